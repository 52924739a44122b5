//! S1: static traversal, over a real socket so that the request targets reach hyper
//! exactly as written. A canary with a unique token sits outside `static/`, with a
//! symlink `static/link -> ../canary` inside it and a `.env` holding the token. Every
//! variant answers 400 or 404 and no body holds the token.

use std::fs;
use std::time::Duration;

use kiln_tests::{Next, Wire};

use crate::{Checks, seed, serial, show, start};

const TOKEN: &str = "CANARY-S1-5d0c2e-never-served";

/// The request targets under `/static/`, as BATTERY.md lists them.
const VARIANTS: &[&str] = &[
    "../canary",
    "..%2fcanary",
    "%2e%2e%2fcanary",
    "%2e%2e/canary",
    "..%5ccanary",
    "..\\canary",
    "%252e%252e%252fcanary",
    "..;/canary",
    "%2fetc%2fpasswd",
    "//etc/passwd",
    "C:/Windows/win.ini",
    "c%3A/windows/win.ini",
    ".%00./canary",
    "%c0%ae%c0%ae/canary",
    "....//canary",
    "%00",
    ".env",
    "link",
];

#[tokio::test]
async fn s1_static_traversal() {
    let _serial = serial().await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().join("static");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("ok.txt"), "inside").unwrap();
    fs::write(root.join(".env"), format!("SECRET={TOKEN}")).unwrap();
    fs::write(dir.path().join("canary"), TOKEN).unwrap();
    // Files the Windows- and /etc-shaped variants would reach if joined naively.
    fs::create_dir_all(dir.path().join("etc")).unwrap();
    fs::write(dir.path().join("etc/passwd"), TOKEN).unwrap();
    std::os::unix::fs::symlink("../canary", root.join("link")).unwrap();
    assert_eq!(fs::read_to_string(root.join("link")).unwrap(), TOKEN);

    let app = seed::app(seed::db().await).static_files("/static", &root);
    let server = start(app).await;
    let mut checks = Checks::default();
    let mut statuses = serde_json::Map::new();
    let mut refused = 0;
    let mut leaks = 0;
    let addr = server.addr;
    let get = |target: String| async move {
        let mut conn = Wire::connect(addr).await;
        let _ = conn
            .send(format!(
                "GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            ))
            .await;
        conn.next(Duration::from_secs(5)).await
    };
    let sanity = get("/static/ok.txt".into()).await;
    checks.check(
        matches!(&sanity, Next::Response(r) if r.status == 200 && r.body == "inside"),
        || format!("/static/ok.txt is not served: {sanity:?}"),
    );
    for variant in VARIANTS {
        let target = format!("/static/{variant}");
        let (status, body) = match get(target.clone()).await {
            Next::Response(res) => (res.status.to_string(), res.body),
            Next::Closed { partial } => ("closed".into(), String::from_utf8_lossy(&partial).into()),
            other => (format!("{other:?}"), String::new()),
        };
        let ok = status == "400" || status == "404";
        let leaked = body.contains(TOKEN);
        refused += usize::from(ok);
        leaks += usize::from(leaked);
        checks.check(ok, || {
            format!(
                "{target}: wanted 400 or 404, got {status} {}",
                show(body.as_bytes())
            )
        });
        checks.check(!leaked, || {
            format!("{target}: the body holds the canary token")
        });
        statuses.insert(target, status.into());
    }
    server.stop().await;
    checks.finish(
        "S1",
        serde_json::json!({
            "variants_400_404": format!("{refused}/{}", VARIANTS.len()),
            "token_leaks": leaks,
            "statuses": statuses,
        }),
    );
}
