//! Bytes off the wire -> hyper's `serve_connection` (HTTP/1.1, or HTTP/2 when the input
//! starts with the preface) over a kiln router, through an in-memory connection. hyper
//! or kiln must never panic, and no request may come back 500 (no handler here fails).
#![no_main]

use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use kiln::prelude::*;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower::ServiceExt as _;

#[get("/book/<id>")]
async fn book(id: u64) -> String {
    format!("book {id}")
}

#[get("/search?<q>&<page>")]
async fn search(q: String, page: Option<u32>) -> String {
    format!("{q}:{}", page.unwrap_or(1))
}

#[derive(serde::Deserialize, serde::Serialize)]
struct NewBook {
    title: String,
}

#[post("/books")]
async fn create(Json(new): Json<NewBook>) -> (StatusCode, Json<NewBook>) {
    (StatusCode::CREATED, Json(new))
}

#[post("/form")]
async fn form(Form(new): Form<NewBook>) -> String {
    new.title
}

#[get("/files/<rest..>")]
async fn files(rest: String) -> String {
    rest
}

fn router() -> kiln::axum::Router {
    static ROUTER: OnceLock<kiln::axum::Router> = OnceLock::new();
    ROUTER
        .get_or_init(|| {
            App::new()
                .mount("/", routes![book, search, create, form, files])
                .into_router()
                .expect("the fuzz app")
        })
        .clone()
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a runtime")
    })
}

/// The input, read in pieces, then end of file; what the server writes is dropped.
struct MockIo {
    data: Vec<u8>,
    pos: usize,
}

impl AsyncRead for MockIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        // Uneven pieces, decided by the input itself, to exercise partial reads.
        let step = 1 + usize::from(*self.data.get(self.pos).unwrap_or(&0) % 64) * 8;
        let n = step.min(self.data.len() - self.pos).min(buf.remaining());
        let start = self.pos;
        buf.put_slice(&self.data[start..start + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for MockIo {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

async fn serve(data: Vec<u8>) {
    let http2 = data.starts_with(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    let io = TokioIo::new(MockIo { data, pos: 0 });
    let service = hyper::service::service_fn(|req: hyper::Request<Incoming>| async move {
        let res = router().oneshot(req).await.expect("infallible");
        assert_ne!(
            res.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "a request answered 500"
        );
        Ok::<_, std::convert::Infallible>(res)
    });
    // The clock is paused: a connection waiting on nothing but a timer moves on at once.
    let limit = Duration::from_secs(60);
    if http2 {
        let conn = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .serve_connection(io, service);
        let _ = tokio::time::timeout(limit, conn).await;
    } else {
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(5))
            .serve_connection(io, service);
        let _ = tokio::time::timeout(limit, conn).await;
    }
}

fuzz_target!(|data: &[u8]| {
    runtime().block_on(serve(data.to_vec()));
});
