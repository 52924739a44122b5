//! The limits `serve` ships on by default, over real sockets on 127.0.0.1: the
//! header-read deadline (silent connections, half an HTTP/2 preface, slow heads, idle
//! keep-alive), the HTTP/2 idle timeout, the connection cap, the concurrency limit, and
//! the request and body idle timeouts. Each test sets short timeouts.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kiln::prelude::*;
use kiln_tests::{RawResponse, exchange, get, read_response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

#[get("/")]
async fn index() -> &'static str {
    "Hello, World!"
}

#[get("/sleep")]
async fn sleep() -> &'static str {
    tokio::time::sleep(Duration::from_millis(500)).await;
    "slept"
}

#[post("/upload")]
async fn upload(body: String) -> String {
    format!("{} bytes", body.len())
}

/// Reads the body frame by frame, passing errors on with `?`.
#[post("/stream")]
async fn stream(body: kiln::axum::body::Body) -> Result<String> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            total += data.len();
        }
    }
    Ok(format!("{total} bytes"))
}

fn app() -> App {
    App::new().mount("/", routes![index, sleep, upload, stream])
}

/// Starts `app` on an ephemeral port; returns its address, the shutdown trigger and
/// the serving task.
async fn start(
    app: App,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<kiln::Result<()>>,
) {
    let server = app.bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_until(async move {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

async fn stop(stop: oneshot::Sender<()>, task: tokio::task::JoinHandle<kiln::Result<()>>) {
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

/// Reads until the server closes `conn` (end of stream or reset), at most `limit`;
/// returns when that was, counted from `since`, and what the server sent first.
async fn closed(conn: &mut TcpStream, since: Instant, limit: Duration) -> (Duration, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let read_all = async {
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(limit, read_all)
        .await
        .unwrap_or_else(|_| panic!("the connection is still open after {limit:?}"));
    (since.elapsed(), got)
}

const HEADER_TIMEOUT: Duration = Duration::from_millis(400);

/// Between the header timeout (less a little for timer granularity) and a generous margin.
fn near_header_timeout(took: Duration) -> bool {
    took >= HEADER_TIMEOUT - Duration::from_millis(50) && took < HEADER_TIMEOUT * 4
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_by_the_header_timeout() {
    let (addr, stopper, task) = start(app().header_read_timeout(HEADER_TIMEOUT)).await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let (took, got) = closed(&mut silent, started, Duration::from_secs(3)).await;
    assert!(near_header_timeout(took), "closed after {took:?}");
    assert!(got.is_empty(), "nothing to answer, got {got:?}");
    // The server itself is fine.
    assert_eq!(get(addr, "/").await.body, "Hello, World!");
    stop(stopper, task).await;
}

#[tokio::test]
async fn half_an_http2_preface_is_closed_by_the_header_timeout() {
    let (addr, stopper, task) = start(app().header_read_timeout(HEADER_TIMEOUT)).await;
    let started = Instant::now();
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"PRI * HTTP/2.0\r\n\r\nSM").await.unwrap();
    let (took, got) = closed(&mut conn, started, Duration::from_secs(3)).await;
    assert!(near_header_timeout(took), "closed after {took:?}");
    assert!(got.is_empty(), "got {got:?}");
    stop(stopper, task).await;
}

#[tokio::test]
async fn a_partial_http1_head_is_closed_by_the_header_timeout() {
    let (addr, stopper, task) = start(app().header_read_timeout(HEADER_TIMEOUT)).await;
    let started = Instant::now();
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (took, got) = closed(&mut conn, started, Duration::from_secs(3)).await;
    assert!(near_header_timeout(took), "closed after {took:?}");
    // Closed unanswered, or with a 408: never served.
    let got = String::from_utf8_lossy(&got);
    assert!(
        got.is_empty() || got.starts_with("HTTP/1.1 408"),
        "got {got:?}"
    );
    stop(stopper, task).await;
}

#[tokio::test]
async fn a_head_sent_a_byte_at_a_time_is_cut_at_the_deadline_counted_from_accept() {
    let timeout = Duration::from_millis(600);
    let (addr, stopper, task) = start(app().header_read_timeout(timeout)).await;
    let started = Instant::now();
    let conn = TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = conn.into_split();
    // Silent for 400 ms, then one byte every 50 ms, never finishing the head.
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().cycle() {
            if write.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(3), read.read(&mut buf))
        .await
        .expect("closed within 3 s");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "a response to an unfinished head"
    );
    let took = started.elapsed();
    writer.abort();
    // Had the timer started at the first byte (400 ms), the close would come at 1 s.
    assert!(
        took >= timeout - Duration::from_millis(50) && took < Duration::from_millis(900),
        "closed after {took:?}"
    );
    stop(stopper, task).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_request() {
    let (addr, stopper, task) = start(app().header_read_timeout(HEADER_TIMEOUT)).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let res = exchange(&mut conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(res.status, 200);
    assert_ne!(res.header("connection"), Some("close"), "kept alive");
    let answered = Instant::now();
    let (took, got) = closed(&mut conn, answered, Duration::from_secs(3)).await;
    assert!(near_header_timeout(took), "closed after {took:?}");
    assert!(got.is_empty(), "got {got:?}");
    stop(stopper, task).await;
}

#[tokio::test]
async fn a_partial_second_head_is_closed_by_the_header_timeout() {
    let (addr, stopper, task) = start(app().header_read_timeout(HEADER_TIMEOUT)).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    assert_eq!(get_on(&mut conn, "/").await.status, 200);
    let started = Instant::now();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (took, got) = closed(&mut conn, started, Duration::from_secs(3)).await;
    assert!(near_header_timeout(took), "closed after {took:?}");
    assert!(got.is_empty(), "got {got:?}");
    stop(stopper, task).await;
}

#[tokio::test]
async fn a_keep_alive_connection_in_use_outlives_the_header_timeout() {
    let (addr, stopper, task) = start(app().header_read_timeout(HEADER_TIMEOUT)).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    // Eight requests, half a timeout apart: twice the timeout in all, never idle long.
    for i in 0..8 {
        let res = get_on(&mut conn, "/").await;
        assert_eq!(res.status, 200, "request {i}");
        tokio::time::sleep(HEADER_TIMEOUT / 2).await;
    }
    stop(stopper, task).await;
}

/// One HTTP/2 frame: its type, flags, stream id and payload.
async fn read_frame(conn: &mut TcpStream) -> Option<(u8, u8, u32, Vec<u8>)> {
    let mut head = [0u8; 9];
    conn.read_exact(&mut head).await.ok()?;
    let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
    let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
    let mut payload = vec![0u8; len];
    conn.read_exact(&mut payload).await.ok()?;
    Some((head[3], head[4], stream, payload))
}

/// Reads HTTP/2 frames until one of type `wanted`, at most `limit`; its payload.
async fn frame_of_type(conn: &mut TcpStream, wanted: u8, limit: Duration) -> Option<Vec<u8>> {
    let read = async {
        loop {
            let (kind, _, _, payload) = read_frame(conn).await?;
            if kind == wanted {
                return Some(payload);
            }
        }
    };
    tokio::time::timeout(limit, read).await.ok().flatten()
}

const HTTP2_HANDSHAKE: &[u8] =
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_then_closed_when_idle() {
    const HEADERS: u8 = 1;
    const DATA: u8 = 0;
    const GOAWAY: u8 = 7;
    let idle = Duration::from_millis(400);
    let (addr, stopper, task) = start(app().http2_idle_timeout(idle)).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(HTTP2_HANDSHAKE).await.unwrap();
    // GET / on stream 1: HEADERS with END_STREAM | END_HEADERS, HPACK static-table
    // `:method GET`, `:scheme http`, `:path /`, and `:authority x` as a literal.
    let block = [0x82, 0x86, 0x84, 0x41, 0x01, b'x'];
    let mut frame = vec![0, 0, block.len() as u8, HEADERS, 0x05, 0, 0, 0, 1];
    frame.extend_from_slice(&block);
    conn.write_all(&frame).await.unwrap();
    let mut status = None;
    let mut body = Vec::new();
    let answered = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            let (kind, flags, stream, payload) = read_frame(&mut conn).await.expect("a frame");
            match kind {
                HEADERS if stream == 1 => status = payload.first().copied(),
                DATA if stream == 1 => {
                    body.extend_from_slice(&payload);
                    if flags & 0x01 != 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
    });
    answered.await.expect("an answer on stream 1");
    // `:status 200` is HPACK static entry 8.
    assert_eq!(
        status,
        Some(0x88),
        "the response's first header is :status 200"
    );
    assert_eq!(body, b"Hello, World!");
    // The stream is done: the idle timeout counts from here.
    let done = Instant::now();
    let goaway = frame_of_type(&mut conn, GOAWAY, Duration::from_secs(3))
        .await
        .expect("a GOAWAY frame");
    let took = done.elapsed();
    assert!(
        took >= idle - Duration::from_millis(50) && took < idle * 4,
        "GOAWAY after {took:?}"
    );
    // The first GOAWAY of a graceful close (last stream 2^31-1), with NO_ERROR.
    assert_eq!(goaway, [0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    stop(stopper, task).await;
}

/// Opens an HTTP/2 connection (the preface and an empty SETTINGS frame: a complete
/// handshake, no stream) and waits for GOAWAY; returns how long that took.
async fn http2_goaway_after(addr: SocketAddr) -> Duration {
    const GOAWAY: u8 = 7;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    conn.write_all(HTTP2_HANDSHAKE).await.unwrap();
    let goaway = frame_of_type(&mut conn, GOAWAY, Duration::from_secs(3))
        .await
        .expect("a GOAWAY frame");
    let took = started.elapsed();
    // NO_ERROR: a graceful close.
    assert_eq!(goaway.len(), 8, "{goaway:?}");
    assert_eq!(&goaway[4..8], &[0, 0, 0, 0], "error code NO_ERROR");
    took
}

#[tokio::test]
async fn an_idle_http2_connection_is_sent_goaway() {
    let idle = Duration::from_millis(400);
    // The header-read deadline stays at 30 s: the idle timeout closes it.
    let (addr, stopper, task) = start(app().http2_idle_timeout(idle)).await;
    let took = http2_goaway_after(addr).await;
    assert!(
        took >= idle - Duration::from_millis(50) && took < idle * 4,
        "GOAWAY after {took:?}"
    );
    stop(stopper, task).await;
}

#[tokio::test]
async fn an_http2_connection_without_a_request_is_sent_goaway_at_the_header_timeout() {
    // The idle timeout stays at 60 s: the header-read deadline closes it.
    let (addr, stopper, task) = start(app().header_read_timeout(HEADER_TIMEOUT)).await;
    let took = http2_goaway_after(addr).await;
    assert!(near_header_timeout(took), "GOAWAY after {took:?}");
    stop(stopper, task).await;
}

/// `GET path` on `conn`, keeping it open.
async fn get_on(conn: &mut TcpStream, path: &str) -> RawResponse {
    exchange(conn, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")).await
}

#[tokio::test]
async fn past_the_connection_cap_a_connection_is_answered_503_and_closed() {
    let (addr, stopper, task) = start(app().max_connections(2)).await;
    let mut first = TcpStream::connect(addr).await.unwrap();
    let mut second = TcpStream::connect(addr).await.unwrap();
    assert_eq!(get_on(&mut first, "/").await.status, 200);
    assert_eq!(get_on(&mut second, "/").await.status, 200);
    // Both stay open (keep-alive): a third is over the cap.
    let mut third = TcpStream::connect(addr).await.unwrap();
    let res = get_on(&mut third, "/").await;
    assert_eq!(res.status, 503);
    assert_eq!(res.header("retry-after"), Some("1"));
    assert_eq!(
        res.header("x-content-type-options"),
        Some("nosniff"),
        "security headers too"
    );
    assert_eq!(res.header("connection"), Some("close"));
    let (_, rest) = closed(&mut third, Instant::now(), Duration::from_secs(3)).await;
    assert!(rest.is_empty(), "got {rest:?}");
    // One closes: a new connection is served (once the server has seen the close).
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let res = get(addr, "/").await;
        if res.status == 200 {
            break;
        }
        assert_eq!(res.status, 503);
        assert!(Instant::now() < deadline, "never served after a close");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The one still open was served throughout.
    assert_eq!(get_on(&mut second, "/").await.status, 200);
    stop(stopper, task).await;
}

#[tokio::test]
async fn past_the_concurrency_limit_requests_are_shed_at_once() {
    let (addr, stopper, task) = start(app().concurrency_limit(2).concurrency_exempt(["/"])).await;
    // Connect first, so that the six requests go out together.
    let mut conns = Vec::new();
    for _ in 0..6 {
        conns.push(TcpStream::connect(addr).await.unwrap());
    }
    let requests = conns.into_iter().map(|mut conn| {
        tokio::spawn(async move {
            let sent = Instant::now();
            let res = get_on(&mut conn, "/sleep").await;
            (res, sent.elapsed())
        })
    });
    let mut ok = 0;
    let mut shed = 0;
    for request in requests.collect::<Vec<_>>() {
        let (res, took) = request.await.unwrap();
        match res.status {
            200 => {
                ok += 1;
                assert_eq!(res.body, "slept");
                assert!(took >= Duration::from_millis(450), "took {took:?}");
            }
            503 => {
                shed += 1;
                assert_eq!(res.header("retry-after"), Some("1"));
                assert_eq!(
                    res.header("x-frame-options"),
                    Some("DENY"),
                    "security headers too"
                );
                assert!(
                    took < Duration::from_millis(200),
                    "a shed request took {took:?}"
                );
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((ok, shed), (2, 4));
    // An exempt path (a health check) is answered even at the limit.
    let held: Vec<_> = (0..2)
        .map(|_| tokio::spawn(async move { get(addr, "/sleep").await.status }))
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(get(addr, "/sleep").await.status, 503, "the limit is full");
    assert_eq!(
        get(addr, "/").await.status,
        200,
        "the exempt path still answers"
    );
    for h in held {
        assert_eq!(h.await.unwrap(), 200);
    }
    // The places are given back.
    assert_eq!(get(addr, "/sleep").await.status, 200);
    stop(stopper, task).await;
}

#[tokio::test]
async fn the_request_timeout_is_on_in_serve_and_can_be_turned_off() {
    let timed = app().request_timeout(Duration::from_millis(300));
    let (addr, stopper, task) = start(timed).await;
    let started = Instant::now();
    let res = get(addr, "/sleep").await;
    let took = started.elapsed();
    assert_eq!(
        (res.status, res.body.as_str()),
        (503, "Service Unavailable")
    );
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(490),
        "took {took:?}"
    );
    stop(stopper, task).await;

    let untimed = app()
        .request_timeout(Duration::from_millis(300))
        .no_request_timeout();
    let (addr, stopper, task) = start(untimed).await;
    let res = get(addr, "/sleep").await;
    assert_eq!((res.status, res.body.as_str()), (200, "slept"));
    stop(stopper, task).await;
}

/// Sends `head` and `sent` bytes of a body declared 100 bytes long, then waits.
async fn stalled_upload(addr: SocketAddr, path: &str) -> (RawResponse, Duration) {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
    conn.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let res = tokio::time::timeout(Duration::from_secs(3), read_response(&mut conn))
        .await
        .expect("an answer within 3 s")
        .expect("a response");
    (res, started.elapsed())
}

#[tokio::test]
async fn a_body_that_stops_sending_gets_408_from_the_body_idle_timeout() {
    let idle = Duration::from_millis(300);
    // The request timeout stays at its default (30 s): the idle timeout answers.
    let (addr, stopper, task) = start(app().body_idle_timeout(idle)).await;
    for path in ["/upload", "/stream"] {
        let (res, took) = stalled_upload(addr, path).await;
        assert_eq!(
            (res.status, res.body.as_str()),
            (408, "the request body took too long to arrive"),
            "{path}"
        );
        assert!(
            took >= idle - Duration::from_millis(50) && took < idle * 4,
            "{path} took {took:?}"
        );
    }
    // A body that keeps coming, more slowly than the idle timeout in total but never
    // pausing that long, is read whole.
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n")
        .await
        .unwrap();
    for byte in b"01234567" {
        tokio::time::sleep(Duration::from_millis(100)).await;
        conn.write_all(&[*byte]).await.unwrap();
    }
    let res = tokio::time::timeout(Duration::from_secs(3), read_response(&mut conn))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((res.status, res.body.as_str()), (200, "8 bytes"));
    stop(stopper, task).await;
}

#[get("/ws")]
async fn echo_ws(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            if socket.send(msg).await.is_err() {
                break;
            }
        }
    })
}

#[tokio::test]
async fn a_websocket_outlives_the_header_timeout() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    let app = App::new()
        .mount("/", routes![echo_ws])
        .header_read_timeout(HEADER_TIMEOUT);
    let (addr, stopper, task) = start(app).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("a WebSocket");
    // Three header timeouts with no HTTP request on the connection: it is a
    // WebSocket now, not a keep-alive connection waiting for a head.
    tokio::time::sleep(HEADER_TIMEOUT * 3).await;
    socket.send(WsMessage::text("still here")).await.unwrap();
    let back = socket.next().await.expect("an answer").expect("a message");
    assert_eq!(back.into_text().unwrap().as_str(), "still here");
    socket.close(None).await.unwrap();
    stop(stopper, task).await;
}
