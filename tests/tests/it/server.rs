//! Serving over a real socket on 127.0.0.1: keep-alive, panics, graceful shutdown on
//! a signal, the grace deadline, and SIGTERM to a running process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiln::prelude::*;
use kiln_tests::{exchange, get, read_response};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

#[get("/")]
async fn index() -> &'static str {
    "Hello, World!"
}

#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(800)).await;
    "slow done"
}

#[get("/forever")]
async fn forever() -> &'static str {
    std::future::pending::<()>().await;
    "never"
}

#[get("/boom")]
async fn boom() -> &'static str {
    panic!("boom")
}

#[post("/upload")]
async fn upload(body: String) -> String {
    format!("{} bytes", body.len())
}

/// Streams the body frame by frame, as an upload handler would.
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
    App::new().mount("/", routes![index, slow, forever, boom, upload, stream])
}

/// Starts `app` on an ephemeral port; returns its address, the shutdown trigger and
/// the serving task.
async fn start(
    app: App,
) -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<kiln::Result<()>>,
) {
    let server = app.bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_until(async move {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

#[tokio::test]
async fn serves_over_tcp_with_keep_alive() {
    let (addr, stop, task) = start(app()).await;
    let res = get(addr, "/").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, "Hello, World!");
    // Two requests on one connection, a 404 and a panic among them: the connection
    // survives both.
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let req = |p: &str| format!("GET {p} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(exchange(&mut conn, &req("/nowhere")).await.status, 404);
    let res = exchange(&mut conn, &req("/boom")).await;
    assert_eq!(res.status, 500);
    assert_eq!(res.body, "Internal Server Error");
    assert_eq!(exchange(&mut conn, &req("/")).await.body, "Hello, World!");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish_and_refuses_new_connections() {
    let (addr, stop, task) = start(app()).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let in_flight = tokio::spawn(async move {
        exchange(&mut conn, "GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n").await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let signalled = Instant::now();
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = TcpStream::connect(addr).await;
    assert!(
        refused.is_err(),
        "new connections must be refused after the signal"
    );
    let res = in_flight.await.unwrap();
    assert_eq!((res.status, res.body.as_str()), (200, "slow done"));
    task.await.unwrap().unwrap();
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "took {:?}",
        signalled.elapsed()
    );
}

#[tokio::test]
async fn the_grace_period_cuts_off_what_never_ends() {
    let (addr, stop, task) = start(app().shutdown_grace(Duration::from_millis(300))).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    use tokio::io::AsyncWriteExt;
    conn.write_all(b"GET /forever HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let signalled = Instant::now();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let took = signalled.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1300),
        "took {took:?}"
    );
    // The cut-off connection is closed without a response.
    let cut = tokio::time::timeout(Duration::from_secs(2), read_response(&mut conn))
        .await
        .unwrap();
    assert!(cut.is_none());
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    let (addr, stop, task) = start(app()).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    // The head only: the 3 MB body never comes.
    let res = exchange(
        &mut conn,
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n",
    )
    .await;
    assert_eq!(res.status, 413);
    assert_eq!(res.body, "request body too large");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

/// Sends `total` bytes as a chunked body, in 64 KiB chunks, stopping early if the
/// server has answered; returns the response.
async fn send_chunked(
    addr: std::net::SocketAddr,
    path: &str,
    total: usize,
) -> kiln_tests::RawResponse {
    use tokio::io::AsyncWriteExt;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    conn.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if conn.write_all(&frame).await.is_err() {
            break; // the server answered and closed
        }
        sent += chunk.len();
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    tokio::time::timeout(Duration::from_secs(10), read_response(&mut conn))
        .await
        .unwrap()
        .expect("a response")
}

#[tokio::test]
async fn a_streamed_body_is_cut_off_at_the_limit() {
    let (addr, stop, task) = start(app().body_limit(256 * 1024)).await;
    let ok = send_chunked(addr, "/upload", 128 * 1024).await;
    assert_eq!((ok.status, ok.body.as_str()), (200, "131072 bytes"));
    let res = send_chunked(addr, "/upload", 8 * 1024 * 1024).await;
    assert_eq!(res.status, 413);
    // A handler reading the raw body stream gets the same 413 through `?`.
    let res = send_chunked(addr, "/stream", 8 * 1024 * 1024).await;
    assert_eq!(res.status, 413);
    assert_eq!(res.body, "request body too large");
    // Under the limit, the stream is read whole (one 64 KiB chunk).
    assert_eq!(
        send_chunked(addr, "/stream", 1000).await.body,
        "65536 bytes"
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_timeout_tells_a_slow_client_from_a_slow_handler() {
    use tokio::io::AsyncWriteExt;
    let timed = app().wrap(kiln::middleware::Timeout::new(Duration::from_millis(300)));
    let (addr, stop, task) = start(timed).await;
    // The client declares 100 bytes and sends 10: the app waits on the client.
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .await
        .unwrap();
    let started = Instant::now();
    let res = tokio::time::timeout(Duration::from_secs(5), read_response(&mut conn))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (res.status, res.body.as_str()),
        (408, "the request body took too long to arrive")
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    // The handler itself is slow: the server's fault.
    let res = get(addr, "/slow").await;
    // A 5xx says nothing of its cause to the client (it is logged).
    assert_eq!(
        (res.status, res.body.as_str()),
        (503, "Service Unavailable")
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[test]
fn sigterm_lets_a_slow_request_finish_then_exits_cleanly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_signal_app"))
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn signal_app");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr: std::net::SocketAddr = loop {
        let line = lines.next().expect("the app logs its address").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse().expect("an address");
        }
    };
    // Drain the rest of the log in the background so the child never blocks on it.
    let log = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        assert_eq!(get(addr, "/").await.body, "up");
        let mut conn = TcpStream::connect(addr).await.unwrap();
        let slow = tokio::spawn(async move {
            exchange(&mut conn, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "no new connections after SIGTERM"
        );
        let res = slow.await.unwrap();
        assert_eq!((res.status, res.body.as_str()), (200, "slow done"));
    });
    let started = Instant::now();
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the app did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "exit status {exit:?}");
    let log = log.join().unwrap().join("\n");
    assert!(log.contains("shutting down"), "{log}");
    assert!(
        log.contains("GET") || log.contains("/slow"),
        "requests are logged: {log}"
    );
}

/// Everything logged while it lives, as text (for the current thread's tasks).
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_client_resetting_mid_body_is_not_a_server_error() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (addr, stop, task) = start(app()).await;
    for path in ["/upload", "/stream"] {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut stream = stream;
        use tokio::io::AsyncWriteExt;
        stream
            .write_all(
                format!(
                    "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n0123456789"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stream.set_zero_linger().unwrap();
        drop(stream); // RST
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The server is fine, and nothing was logged as a server failure.
    assert_eq!(get(addr, "/").await.status, 200);
    let _ = stop.send(());
    task.await.unwrap().unwrap();
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains("ERROR"), "{text}");
    assert!(!text.contains("status=500"), "{text}");
}
