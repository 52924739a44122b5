//! Serves a small app with kiln's limits on 127.0.0.1 (an ephemeral port, printed as
//! `PORT=<n>`), for the overload and slow-client runs of the battery (L2, B5): `/`
//! answers at once, `/slow` after 100 ms, `/health` at once, `POST /upload` reads its
//! body. `CONCURRENCY=<n>` sets the concurrency limit, `MAX_CONNECTIONS=<n>` the
//! connection cap, `HEADER_TIMEOUT=<s>` the header-read timeout, `REQUEST_TIMEOUT=<s>`
//! and `BODY_IDLE_TIMEOUT=<s>` the request timeouts (0 turns one off; default kiln's).

use std::time::Duration;

use kiln::prelude::*;

#[get("/")]
async fn index() -> &'static str {
    "Hello, World!"
}

#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(100)).await;
    "slow"
}

#[get("/health")]
async fn health() -> &'static str {
    "ok"
}

#[post("/upload")]
async fn upload(body: String) -> String {
    format!("{} bytes", body.len())
}

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[tokio::main]
async fn main() {
    let mut app = App::new().mount("/", routes![index, slow, health, upload]);
    if let Some(n) = env("CONCURRENCY") {
        app = app.concurrency_limit(n as usize);
    }
    if let Some(n) = env("MAX_CONNECTIONS") {
        app = app.max_connections(n as usize);
    }
    if let Some(s) = env("HEADER_TIMEOUT") {
        app = app.header_read_timeout(Duration::from_secs(s));
    }
    if let Some(s) = env("REQUEST_TIMEOUT") {
        app = app.request_timeout(Duration::from_secs(s));
    }
    if let Some(s) = env("BODY_IDLE_TIMEOUT") {
        app = app.body_idle_timeout(Duration::from_secs(s));
    }
    let server = app.bind("127.0.0.1:0").await.expect("bind");
    println!("PORT={}", server.local_addr().port());
    server.serve().await.expect("serve");
}
