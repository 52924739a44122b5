//! A closed-loop HTTP/1.1 load client that keeps latencies apart by status, for the
//! overload run of the battery (L2): `shed-load <addr> <path> <connections> <seconds>`.
//! Prints one line per status: count, share, p50, p99 and max latency, and the count of
//! requests that got no answer within 5 s (timeouts) or whose connection failed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads one response; its status, or `None` if the connection closed first.
async fn response(conn: &mut TcpStream, buf: &mut Vec<u8>) -> Option<u16> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let status = head.split(' ').nth(1)?.parse().ok()?;
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = conn.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(status);
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let addr = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:8000".into());
    let path = args.get(2).cloned().unwrap_or_else(|| "/".into());
    let conns: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(64);
    let secs: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(10);
    let end = Instant::now() + Duration::from_secs(secs);
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let addr = addr.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen: Vec<(u16, Duration)> = Vec::new();
            let mut failed = 0u64;
            let mut buf = Vec::new();
            let mut conn = None;
            while Instant::now() < end {
                if conn.is_none() {
                    match TcpStream::connect(&addr).await {
                        Ok(c) => conn = Some(c),
                        Err(_) => {
                            failed += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let c = conn.as_mut().expect("connected");
                let sent = Instant::now();
                if c.write_all(request.as_bytes()).await.is_err() {
                    failed += 1;
                    conn = None;
                    continue;
                }
                match tokio::time::timeout(Duration::from_secs(5), response(c, &mut buf)).await {
                    Ok(Some(status)) => seen.push((status, sent.elapsed())),
                    Ok(None) | Err(_) => {
                        failed += 1;
                        conn = None;
                    }
                }
            }
            (seen, failed)
        }));
    }
    let mut by_status: BTreeMap<u16, Vec<Duration>> = BTreeMap::new();
    let mut failed = 0;
    for task in tasks {
        let (seen, f) = task.await.expect("a load task");
        failed += f;
        for (status, took) in seen {
            by_status.entry(status).or_default().push(took);
        }
    }
    let total: usize = by_status.values().map(Vec::len).sum();
    for (status, mut times) in by_status {
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "status {status}: {} ({:.1}%), p50 {:?}, p99 {:?}, max {:?}",
            times.len(),
            100.0 * times.len() as f64 / total.max(1) as f64,
            at(0.50),
            at(0.99),
            times[times.len() - 1]
        );
    }
    println!(
        "{total} answered in {secs} s ({:.0}/s); timeouts or failed connections: {failed}",
        total as f64 / secs as f64
    );
}
