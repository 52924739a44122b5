//! S7: security headers and error leakage over a real socket. 200, 404, 405, 413,
//! 415, 500 (a handler panic, a middleware panic, a template panic, a database error)
//! and a static file each carry `X-Content-Type-Options: nosniff`,
//! `X-Frame-Options: DENY` and a `Referrer-Policy`, and no body holds a file path, a
//! panic message, SQL text, or a `sqlx`/`askama` name.

use std::time::Duration;

use kiln_tests::{Next, Wire};

use crate::{Checks, seed, serial, start};

#[tokio::test]
async fn s7_security_headers_and_error_leakage() {
    let _serial = serial().await;
    let app = seed::app(seed::db().await).static_files("/static", seed::STATIC_DIR);
    let server = start(app).await;
    let cases: Vec<(&str, String, u16)> = vec![
        ("200", "GET /book/1 HTTP/1.1\r\n".into(), 200),
        ("404", "GET /nowhere HTTP/1.1\r\n".into(), 404),
        ("405", "DELETE /health HTTP/1.1\r\n".into(), 405),
        (
            "413",
            "POST /books HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 3000000\r\n"
                .into(),
            413,
        ),
        (
            "415",
            "POST /books HTTP/1.1\r\nContent-Type: application/xml\r\nContent-Length: 2\r\n".into(),
            415,
        ),
        ("500 handler panic", "GET /boom HTTP/1.1\r\n".into(), 500),
        (
            "500 middleware panic",
            "GET /mw-boom HTTP/1.1\r\n".into(),
            500,
        ),
        (
            "500 template panic",
            "GET /render-boom HTTP/1.1\r\n".into(),
            500,
        ),
        (
            "500 database error",
            "GET /db-error HTTP/1.1\r\n".into(),
            500,
        ),
        (
            "static file",
            "GET /static/site.css HTTP/1.1\r\n".into(),
            200,
        ),
    ];
    let mut checks = Checks::default();
    let mut covered = 0;
    let mut leaks = 0;
    let mut seen = serde_json::Map::new();
    for (name, head, want) in &cases {
        let body = if head.contains("Content-Length: 2\r\n") {
            "{}"
        } else {
            ""
        };
        let mut conn = Wire::connect(server.addr).await;
        let _ = conn
            .send(format!("{head}Host: x\r\nConnection: close\r\n\r\n{body}"))
            .await;
        let res = match conn.next(Duration::from_secs(5)).await {
            Next::Response(res) => res,
            other => {
                checks.check(false, || format!("{name}: no response: {other:?}"));
                continue;
            }
        };
        checks.check(res.status == *want, || {
            format!(
                "{name}: wanted status {want}, got {} {:?}",
                res.status, res.body
            )
        });
        let nosniff = res.header("x-content-type-options") == Some("nosniff");
        let deny = res.header("x-frame-options") == Some("DENY");
        let referrer = res.header("referrer-policy").is_some_and(|v| !v.is_empty());
        if nosniff && deny && referrer {
            covered += 1;
        }
        checks.check(nosniff, || {
            format!(
                "{name}: X-Content-Type-Options is {:?}",
                res.header("x-content-type-options")
            )
        });
        checks.check(deny, || {
            format!(
                "{name}: X-Frame-Options is {:?}",
                res.header("x-frame-options")
            )
        });
        checks.check(referrer, || format!("{name}: no Referrer-Policy"));
        let leaked: Vec<&str> = seed::SECRETS
            .iter()
            .copied()
            .filter(|s| res.body.contains(s))
            .collect();
        leaks += leaked.len();
        checks.check(leaked.is_empty(), || {
            format!("{name}: the body shows {leaked:?}: {:?}", res.body)
        });
        seen.insert(
            (*name).to_string(),
            serde_json::json!({ "status": res.status, "body": res.body.chars().take(80).collect::<String>() }),
        );
    }
    server.stop().await;
    checks.finish(
        "S7",
        serde_json::json!({
            "header_coverage": format!("{covered}/{}", cases.len()),
            "header_coverage_pct": 100.0 * covered as f64 / cases.len() as f64,
            "leaks": leaks,
            "responses": seen,
        }),
    );
}
