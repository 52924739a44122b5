//! B1: a corpus of malformed requests, one per connection over a real socket. Each
//! must be answered with a 4xx or closed within 1 s, with no panic, and `GET /health`
//! must answer 200 after each.

use std::time::{Duration, Instant};

use kiln_tests::{Next, Wire, get};

use crate::{Checks, panics, seed, serial, show, start};

/// Pseudo-random bytes (xorshift), the same on every run.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// The corpus: a name, the bytes, and whether to half-close (FIN) after sending.
fn corpus() -> Vec<(&'static str, Vec<u8>, bool)> {
    let method = [
        "A".repeat(64 * 1024).as_bytes(),
        b" /health HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    .concat();
    vec![
        ("bare GET", b"GET\r\n\r\n".to_vec(), false),
        (
            "HTTP/9.9",
            b"GET / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(),
            false,
        ),
        (
            "G@T method",
            b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            false,
        ),
        (
            "space in the path",
            b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            false,
        ),
        (
            "header line without a colon",
            b"GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n".to_vec(),
            false,
        ),
        (
            "space before the colon",
            b"GET /health HTTP/1.1\r\nHost : x\r\n\r\n".to_vec(),
            false,
        ),
        (
            "obs-fold continuation line",
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n".to_vec(),
            false,
        ),
        (
            "bare LF line endings",
            b"GET /health HTTP/1.1\nHost: x\n\n".to_vec(),
            false,
        ),
        (
            "NUL in the path",
            b"GET /he\0alth HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            false,
        ),
        (
            "non-ASCII header name",
            "GET /health HTTP/1.1\r\nHost: x\r\nX-Ünïcödé: 1\r\n\r\n"
                .as_bytes()
                .to_vec(),
            false,
        ),
        ("64 KB method token", method, false),
        ("1 MB of random bytes", random_bytes(1024 * 1024), false),
        (
            "truncated head, then FIN",
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Trunc".to_vec(),
            true,
        ),
    ]
}

#[tokio::test]
async fn b1_malformed_request_corpus() {
    let _serial = serial().await;
    let server = start(seed::app(seed::db().await)).await;
    let panics_before = panics();
    let mut checks = Checks::default();
    let mut outcomes = serde_json::Map::new();
    let mut handled = 0;
    let mut health_ok = 0;
    let mut max_ms: u128 = 0;
    let cases = corpus();
    for (name, bytes, fin) in &cases {
        let mut conn = Wire::connect(server.addr).await;
        let sent = Instant::now();
        // The server may answer and close before all of it is written.
        let wrote = conn.send(bytes).await;
        if *fin {
            use tokio::io::AsyncWriteExt;
            let _ = conn.inner.shutdown().await;
        }
        let next = conn.next(Duration::from_secs(1)).await;
        let took = sent.elapsed();
        max_ms = max_ms.max(took.as_millis());
        let (outcome, ok) = match &next {
            // RFC 9112 §2.2: a recipient MAY take a bare LF as a line end; hyper (like
            // nginx) does, so this is one well-formed request, answered once: no
            // ambiguity for anyone in front of kiln that does the same.
            Next::Response(res) if *name == "bare LF line endings" => (
                format!(
                    "{} {} (read as CRLF, RFC 9112 §2.2)",
                    res.status,
                    show(res.body.as_bytes())
                ),
                res.status == 200 || (400..500).contains(&res.status),
            ),
            Next::Response(res) => (
                format!("{} {}", res.status, show(res.body.as_bytes())),
                (400..500).contains(&res.status),
            ),
            Next::Closed { partial } if partial.is_empty() => ("closed".to_string(), true),
            Next::Closed { partial } => (format!("closed after {}", show(partial)), true),
            Next::Reset(kind) => (format!("reset ({kind:?})"), true),
            Next::TimedOut => ("still open after 1 s".to_string(), false),
        };
        let outcome = match wrote {
            Ok(()) => outcome,
            Err(e) => format!("{outcome} (write stopped: {})", e.kind()),
        };
        if ok {
            handled += 1;
        }
        checks.check(ok, || {
            format!("{name}: wanted a 4xx or a close within 1 s, got {outcome}")
        });
        outcomes.insert((*name).to_string(), outcome.clone().into());
        let health = get(server.addr, "/health").await;
        if health.status == 200 {
            health_ok += 1;
        }
        checks.check(health.status == 200, || {
            format!("{name}: GET /health afterwards answered {}", health.status)
        });
    }
    let panicked = panics() - panics_before;
    checks.check(panicked == 0, || {
        format!("{panicked} panic(s) in the process")
    });
    server.stop().await;
    let n = cases.len();
    checks.finish(
        "B1",
        serde_json::json!({
            "inputs": n,
            "answered_4xx_or_closed": handled,
            "health_200": health_ok,
            "health_pct": 100.0 * f64::from(health_ok) / n as f64,
            "panics": panicked,
            "max_latency_ms": max_ms,
            "outcomes": outcomes,
        }),
    );
}
