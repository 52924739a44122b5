//! B4: body limits over a real socket, at kiln's default limit (2 MiB). (a) A declared
//! 3,000,000-byte body that never comes: 413 in under 50 ms. (b) A 3 MB chunked JSON
//! body: 413. (c) A 200 MB chunked stream to a raw-`Body` route: 413, the RSS growing
//! by less than 10 MB. (d) A form with 5000 fields: 413 or 400.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kiln_tests::{Next, Wire};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::{Checks, rss_kib, seed, serial, start};

/// What a request got: the status, or how the connection ended.
fn outcome(next: &Next) -> String {
    match next {
        Next::Response(res) => res.status.to_string(),
        Next::Closed { .. } => "closed unanswered".into(),
        Next::Reset(kind) => format!("reset ({kind:?})"),
        Next::TimedOut => "no answer".into(),
    }
}

/// Sends `head`, then `total` bytes of chunked body made of `chunk`, stopping when the
/// server answers or the connection breaks; returns the answer, the body bytes sent and
/// how long the answer took from the first byte.
async fn chunked_upload(
    addr: std::net::SocketAddr,
    head: &str,
    prefix: &[u8],
    total: usize,
) -> (Next, u64, Duration) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (read, mut write) = stream.into_split();
    let answered = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let writer = {
        let (answered, sent) = (answered.clone(), sent.clone());
        let head = head.to_string();
        let prefix = prefix.to_vec();
        tokio::spawn(async move {
            if write.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 * 1024];
            let mut first = (!prefix.is_empty()).then_some(prefix);
            let mut total_sent = 0usize;
            while total_sent < total && !answered.load(Ordering::SeqCst) {
                let data = first.take().unwrap_or_else(|| chunk.clone());
                let frame = [format!("{:x}\r\n", data.len()).as_bytes(), &data, b"\r\n"].concat();
                if write.write_all(&frame).await.is_err() {
                    return;
                }
                total_sent += data.len();
                sent.store(total_sent as u64, Ordering::SeqCst);
            }
            if !answered.load(Ordering::SeqCst) {
                let _ = write.write_all(b"2\r\n\"}\r\n0\r\n\r\n").await;
            }
            // Keep the write half open until the answer is read.
            while !answered.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut wire = Wire::new(read);
    let next = wire.next(Duration::from_secs(20)).await;
    let took = started.elapsed();
    answered.store(true, Ordering::SeqCst);
    let _ = writer.await;
    (next, sent.load(Ordering::SeqCst), took)
}

#[tokio::test]
async fn b4_body_limits() {
    let _serial = serial().await;
    let server = start(seed::app(seed::db().await)).await;
    let mut checks = Checks::default();

    // (a) A declared 3 MB body, never sent: answered from the head alone.
    let mut conn = Wire::connect(server.addr).await;
    let started = Instant::now();
    conn.send(
        "POST /books HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: 3000000\r\n\r\n",
    )
    .await
    .expect("send the head");
    let a = conn.next(Duration::from_secs(5)).await;
    let a_ms = started.elapsed().as_secs_f64() * 1000.0;
    let a_status = outcome(&a);
    checks.check(a_status == "413", || {
        format!("(a) Content-Length: 3000000, no body: wanted 413, got {a_status}")
    });
    checks.check(a_ms < 50.0, || {
        format!("(a) 413 took {a_ms:.1} ms, wanted < 50 ms")
    });

    // (b) 3 MB of chunked JSON.
    let (b, b_sent, _) = chunked_upload(
        server.addr,
        "POST /books HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        br#"{"title":""#,
        3 * 1024 * 1024,
    )
    .await;
    let b_status = outcome(&b);
    checks.check(b_status == "413", || {
        format!("(b) 3 MB chunked JSON: wanted 413, got {b_status} after {b_sent} bytes")
    });

    // (c) 200 MB to a route reading the raw body, with the RSS sampled throughout.
    let rss_before = rss_kib();
    let peak = Arc::new(AtomicU64::new(rss_before));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::SeqCst) {
                peak.fetch_max(rss_kib(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let (c, c_sent, c_took) = chunked_upload(
        server.addr,
        "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"",
        200 * 1024 * 1024,
    )
    .await;
    sampling.store(false, Ordering::SeqCst);
    sampler.join().expect("the RSS sampler");
    let rss_peak = peak.load(Ordering::SeqCst).max(rss_kib());
    let rss_delta_kib = rss_peak.saturating_sub(rss_before);
    let c_status = outcome(&c);
    checks.check(c_status == "413", || {
        format!("(c) 200 MB chunked stream to a raw-Body route: wanted 413, got {c_status}")
    });
    checks.check(rss_delta_kib < 10 * 1024, || {
        format!("(c) RSS grew by {rss_delta_kib} KiB, wanted < 10 MiB")
    });

    // (d) A form with 5000 fields (40 KB: under the body limit).
    let form: String = (0..5000)
        .map(|i| format!("f{i}=x"))
        .chain(std::iter::once("title=Dune".to_string()))
        .collect::<Vec<_>>()
        .join("&");
    let mut conn = Wire::connect(server.addr).await;
    conn.send(format!(
        "POST /books/form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{form}",
        form.len()
    ))
    .await
    .expect("send the form");
    let d = conn.next(Duration::from_secs(5)).await;
    let d_status = outcome(&d);
    checks.check(d_status == "413" || d_status == "400", || {
        format!(
            "(d) a form with 5000 fields ({} bytes): wanted 413 or 400, got {d_status}",
            form.len()
        )
    });
    // Whatever it answered, the server is still up.
    let health = kiln_tests::get(server.addr, "/health").await;
    checks.check(health.status == 200, || {
        format!("/health after B4 answered {}", health.status)
    });
    server.stop().await;
    checks.finish(
        "B4",
        serde_json::json!({
            "a_status": a_status,
            "a_time_to_413_ms": a_ms,
            "b_status": b_status,
            "b_bytes_sent": b_sent,
            "c_status": c_status,
            "c_bytes_sent_before_answer": c_sent,
            "c_time_to_answer_ms": c_took.as_millis(),
            "c_rss_before_kib": rss_before,
            "c_rss_peak_delta_kib": rss_delta_kib,
            "d_status": d_status,
            "d_fields": 5001,
        }),
    );
}
