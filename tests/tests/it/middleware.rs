//! Middleware: order, short-circuits, what it sees, and kiln's built-ins.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiln::middleware::{Compression, Middleware, RequestLog, Timeout};
use kiln::prelude::*;

/// The shared log, carried to every middleware and handler in the request.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, entry: impl Into<String>) {
        self.0.lock().unwrap().push(entry.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Records both hooks; short-circuits `/blocked` if told to.
struct Recorder {
    name: &'static str,
    log: Log,
    blocks: bool,
}

impl Middleware for Recorder {
    async fn process_request(&self, req: &mut Request) -> Option<Response> {
        self.log.push(format!("{} request", self.name));
        req.extensions_mut().insert(self.log.clone());
        if self.blocks && req.uri().path() == "/blocked" {
            return Some((StatusCode::FORBIDDEN, "blocked").into_response());
        }
        None
    }

    async fn process_response(&self, res: &mut Response) {
        self.log
            .push(format!("{} response {}", self.name, res.status().as_u16()));
        res.headers_mut()
            .append("x-seen-by", HeaderValue::from_static(self.name));
    }
}

/// The function style, logging through the request's `Log`.
#[middleware]
async fn fn_style(req: Request, next: Next) -> Response {
    let log = req
        .extensions()
        .get::<Log>()
        .cloned()
        .expect("an outer middleware put the log in");
    log.push("fn request");
    let res = next.run(req).await;
    log.push(format!("fn response {}", res.status().as_u16()));
    res
}

#[get("/")]
async fn index(req_log: Option<kiln::axum::Extension<Log>>) -> &'static str {
    if let Some(kiln::axum::Extension(log)) = req_log {
        log.push("handler");
    }
    "index"
}

#[get("/blocked")]
async fn blocked() -> &'static str {
    unreachable!("a middleware answers for this route")
}

#[get("/boom")]
async fn boom() -> &'static str {
    panic!("boom")
}

fn app(log: &Log) -> App {
    App::new()
        .mount("/", routes![index, blocked, boom])
        .wrap(Recorder {
            name: "first",
            log: log.clone(),
            blocks: false,
        })
        .wrap(Recorder {
            name: "second",
            log: log.clone(),
            blocks: true,
        })
        .wrap(fn_style)
}

#[tokio::test]
async fn requests_pass_in_the_order_added_and_responses_in_reverse() {
    let log = Log::default();
    let client = TestClient::new(app(&log));
    let res = client.get("/").await;
    assert_eq!(res.text(), "index");
    assert_eq!(
        log.take(),
        [
            "first request",
            "second request",
            "fn request",
            "handler",
            "fn response 200",
            "second response 200",
            "first response 200"
        ]
    );
    let seen: Vec<&str> = res
        .headers()
        .get_all("x-seen-by")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(seen, ["second", "first"]);
}

#[tokio::test]
async fn a_short_circuit_skips_the_rest_but_earlier_middleware_see_it() {
    let log = Log::default();
    let client = TestClient::new(app(&log));
    let res = client.get("/blocked").await;
    assert_eq!(
        (res.status(), res.text()),
        (StatusCode::FORBIDDEN, "blocked".to_string())
    );
    assert_eq!(
        log.take(),
        ["first request", "second request", "first response 403"]
    );
}

#[tokio::test]
async fn middleware_sees_404s_405s_panics_and_static_files() {
    let log = Log::default();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "file").unwrap();
    let client = TestClient::new(app(&log).static_files("/files", dir.path()));
    for (method, path, status) in [
        (Method::GET, "/nowhere", 404),
        (Method::POST, "/", 405),
        (Method::GET, "/boom", 500),
        (Method::GET, "/files/a.txt", 200),
        (Method::GET, "/files/missing.txt", 404),
    ] {
        let res = client.request(method.clone(), path).await;
        assert_eq!(res.status().as_u16(), status, "{method} {path}");
        let entries = log.take();
        assert_eq!(
            entries.first().map(String::as_str),
            Some("first request"),
            "{method} {path}: {entries:?}"
        );
        assert_eq!(
            entries.last(),
            Some(&format!("first response {status}")),
            "{method} {path}: {entries:?}"
        );
    }
}

#[tokio::test]
async fn wrap_and_layer_share_one_order() {
    let log = Log::default();
    let tower_log = log.clone();
    let client = TestClient::new(
        App::new()
            .mount("/", routes![index])
            .wrap(Recorder {
                name: "outer",
                log: log.clone(),
                blocks: false,
            })
            .layer(tower::util::MapRequestLayer::new(move |req: Request| {
                tower_log.push("tower layer");
                req
            }))
            .wrap(Recorder {
                name: "inner",
                log: log.clone(),
                blocks: false,
            }),
    );
    client.get("/").await;
    assert_eq!(
        log.take(),
        [
            "outer request",
            "tower layer",
            "inner request",
            "handler",
            "inner response 200",
            "outer response 200"
        ]
    );
}

struct Explodes;

impl Middleware for Explodes {
    async fn process_request(&self, _req: &mut Request) -> Option<Response> {
        panic!("middleware bug")
    }
}

#[tokio::test]
async fn a_panicking_middleware_answers_500_and_the_app_keeps_serving() {
    let client = TestClient::new(App::new().mount("/", routes![index]).wrap(Explodes));
    for _ in 0..2 {
        let res = client.get("/").await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.text(), "Internal Server Error");
    }
}

#[get("/long")]
async fn long() -> String {
    "kiln bakes web apps. ".repeat(200)
}

#[tokio::test]
async fn compression_follows_accept_encoding() {
    let client = TestClient::new(
        App::new()
            .mount("/", routes![long])
            .wrap(Compression::new()),
    );
    let res = client.get("/long").header("accept-encoding", "gzip").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(
        res.bytes().len() < 4200 / 4,
        "compressed to {} bytes",
        res.bytes().len()
    );
    let res = client.get("/long").await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.text().len(), 4200);
}

#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(500)).await;
    "too late"
}

#[catch(503)]
async fn unavailable() -> &'static str {
    "try again later"
}

#[tokio::test]
async fn a_timeout_answers_503_through_the_catchers() {
    let client = TestClient::new(
        App::new()
            .mount("/", routes![index, slow])
            .wrap(Timeout::new(Duration::from_millis(50)))
            .catch(catchers![unavailable]),
    );
    let started = std::time::Instant::now();
    let res = client.get("/slow").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.text(), "try again later");
    assert!(started.elapsed() < Duration::from_millis(400));
    assert_eq!(client.get("/").await.text(), "index");
}

static UPLOAD_RAN: AtomicBool = AtomicBool::new(false);

#[post("/upload")]
async fn upload(body: String) -> String {
    UPLOAD_RAN.store(true, Ordering::SeqCst);
    format!("{} bytes", body.len())
}

#[tokio::test]
async fn request_bodies_are_limited() {
    // Default: 2 MiB, as declared by the body's length (hyper's Content-Length).
    let client = TestClient::new(App::new().mount("/", routes![upload]));
    assert_eq!(
        client.post("/upload").body("x".repeat(1000)).await.text(),
        "1000 bytes"
    );
    UPLOAD_RAN.store(false, Ordering::SeqCst);
    let res = client
        .post("/upload")
        .body(vec![b'x'; 3 * 1024 * 1024])
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.text(), "request body too large");
    assert!(
        !UPLOAD_RAN.load(Ordering::SeqCst),
        "the handler must not run"
    );

    // A smaller limit, and a larger one.
    let small = TestClient::new(App::new().mount("/", routes![upload]).body_limit(16));
    assert_eq!(
        small.post("/upload").body("x".repeat(17)).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        small.post("/upload").body("x".repeat(16)).await.text(),
        "16 bytes"
    );
    let large = TestClient::new(
        App::new()
            .mount("/", routes![upload])
            .body_limit(4 * 1024 * 1024),
    );
    assert_eq!(
        large
            .post("/upload")
            .body(vec![b'x'; 3 * 1024 * 1024])
            .await
            .text(),
        "3145728 bytes"
    );
}

#[tokio::test]
async fn the_request_log_passes_requests_through() {
    let client = TestClient::new(
        App::new()
            .mount("/", routes![index])
            .wrap(RequestLog::new()),
    );
    assert_eq!(client.get("/").await.text(), "index");
}
