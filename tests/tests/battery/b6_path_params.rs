//! B6: path parameters and encoding, in process. A parameter that does not parse means
//! the route does not match (404 through the 404 catcher, never 500); invalid UTF-8
//! in a `String` parameter, a query value or a form body is a 400 (422 for the form).

use kiln::prelude::*;

use crate::{Checks, seed, serial};

#[tokio::test]
async fn b6_path_parameters_and_encoding() {
    let _serial = serial().await;
    let client = TestClient::new(seed::app(seed::db().await));
    let ten_kb_id = format!("/book/{}", "1".repeat(10 * 1024));
    // (path, allowed statuses, must the body be the 404 catcher's)
    let cases: Vec<(&str, &[u16], bool)> = vec![
        ("/book/99999999999999999999", &[404], true),
        ("/shelf/-1", &[404], true),
        ("/book/1.5", &[404], true),
        ("/book/abc", &[404], true),
        ("/book/9223372036854775807", &[404], false),
        ("/author/%FF", &[400], false),
        ("/search?q=%C3%28", &[400], false),
        (&ten_kb_id, &[404, 414], false),
        ("/book/1%2F2", &[404], false),
    ];
    let mut checks = Checks::default();
    let mut statuses = serde_json::Map::new();
    let mut four_xx = 0;
    let mut five_xx = 0;
    for (path, allowed, catcher) in &cases {
        let res = client.get(path).await;
        let status = res.status().as_u16();
        let body = res.text();
        let shown = if path.len() > 60 {
            "/book/<10 KB of 1s>"
        } else {
            path
        };
        checks.check(allowed.contains(&status), || {
            format!("GET {shown}: wanted {allowed:?}, got {status} {body:?}")
        });
        if *catcher {
            checks.check(body == seed::NOT_FOUND_BODY, || {
                format!("GET {shown}: the 404 did not come from the 404 catcher: {body:?}")
            });
        }
        four_xx += usize::from((400..500).contains(&status));
        five_xx += usize::from(status >= 500);
        statuses.insert(shown.to_string(), status.into());
    }
    // A form body with a raw 0xFF byte (BATTERY.md), and the same byte percent-encoded.
    let forms: [(&str, &[u8]); 2] = [
        ("POST /books/form title=\\xFF\\xFE (raw)", b"title=\xFF\xFE"),
        ("POST /books/form title=%FF%FE", b"title=%FF%FE"),
    ];
    for (name, body) in forms {
        let res = client
            .post("/books/form")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .await;
        let status = res.status().as_u16();
        checks.check(status == 400 || status == 422, || {
            format!("{name}: wanted 400 or 422, got {status} {:?}", res.text())
        });
        four_xx += usize::from((400..500).contains(&status));
        five_xx += usize::from(status >= 500);
        statuses.insert(name.into(), status.into());
    }
    // Book 1 is still there: the cases were refused, not mangled.
    checks.check(
        client.get("/book/1").await.status() == StatusCode::OK,
        || "GET /book/1 is no longer 200".into(),
    );
    let n = cases.len() + 2;
    checks.finish(
        "B6",
        serde_json::json!({
            "four_xx": format!("{four_xx}/{n}"),
            "five_xx": five_xx,
            "statuses": statuses,
        }),
    );
}
