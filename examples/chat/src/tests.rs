//! The chat over real sockets on 127.0.0.1: two WebSocket clients, an SSE reader, a
//! plain GET on `/ws`, and graceful shutdown closing sockets with a close frame.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::*;

/// Starts the chat on a free port with `grace`; returns its address and the stop trigger.
async fn start(
    grace: Duration,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<kiln::Result<()>>,
) {
    let server = app()
        .shutdown_grace(grace)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_until(async move {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

async fn next_text<S>(ws: &mut S) -> String
where
    S: StreamExt<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("the socket is open")
            .expect("a frame");
        if let WsMessage::Text(text) = msg {
            return text.to_string();
        }
    }
}

#[tokio::test]
async fn two_websockets_and_an_sse_reader_see_each_message() {
    let (addr, stop, task) = start(Duration::from_secs(2)).await;
    let (mut a, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let (mut b, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();

    // The SSE reader: a raw HTTP/1.1 request, reading the stream as it comes.
    let mut sse = TcpStream::connect(addr).await.unwrap();
    sse.write_all(
        format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut head = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), sse.read(&mut head))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&head[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    // Subscriptions are made as each handler starts; give them a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;

    a.send(WsMessage::Text("hello from a".into()))
        .await
        .unwrap();
    assert_eq!(next_text(&mut b).await, "hello from a");
    assert_eq!(
        next_text(&mut a).await,
        "hello from a",
        "the sender sees it too"
    );
    b.send(WsMessage::Text("and from b".into())).await.unwrap();
    assert_eq!(next_text(&mut a).await, "and from b");
    assert_eq!(next_text(&mut b).await, "and from b");

    let mut seen = String::from_utf8_lossy(head.as_bytes()).to_string();
    let mut buf = vec![0u8; 4096];
    while !(seen.contains("data: hello from a") && seen.contains("data: and from b")) {
        let n = tokio::time::timeout(Duration::from_secs(5), sse.read(&mut buf))
            .await
            .expect("SSE data within 5 s")
            .unwrap();
        assert!(n > 0, "the SSE stream ended early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    drop(sse);
    let _ = stop.send(());
    let _ = a.close(None).await;
    let _ = b.close(None).await;
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_plain_get_on_the_socket_route_is_a_4xx() {
    let (addr, stop, task) = start(Duration::from_secs(1)).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET /ws HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let status: u16 = out[9..12].parse().unwrap();
    assert!((400..500).contains(&status), "{out}");
    // The page is served, with its script using both.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut page = String::new();
    s.read_to_string(&mut page).await.unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("new WebSocket(") && page.contains("new EventSource(\"/events\")"));
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_closes_open_sockets_with_a_close_frame_after_the_grace_period() {
    let grace = Duration::from_millis(600);
    let (addr, stop, task) = start(grace).await;
    let (mut a, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    a.send(WsMessage::Text("ping".into())).await.unwrap();
    assert_eq!(next_text(&mut a).await, "ping");
    let stopped_at = std::time::Instant::now();
    let _ = stop.send(());
    let frame = loop {
        match tokio::time::timeout(Duration::from_secs(5), a.next()).await {
            Ok(Some(Ok(WsMessage::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    let waited = stopped_at.elapsed();
    let frame = frame.expect("a close frame with a code");
    assert_eq!(u16::from(frame.code), 1001, "going away");
    assert!(
        waited >= grace - Duration::from_millis(50),
        "not before the grace period: {waited:?}"
    );
    assert!(
        waited < grace + Duration::from_secs(1),
        "soon after it: {waited:?}"
    );
    task.await.unwrap().unwrap();
}
