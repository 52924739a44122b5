//! F1: panics in a handler, in a middleware and during a template render, mixed into
//! normal traffic over keep-alive connections on a real socket. Each panic answers 500
//! with a generic body, the connection is neither reset nor dropped (the next request
//! on it is answered), and every normal request (`/book/1`: ORM read and a template)
//! answers 200.

use std::time::{Duration, Instant};

use kiln_tests::{Next, Wire};

use crate::{Checks, panics, seed, serial, start};

/// Concurrent keep-alive connections, as BATTERY.md's c=32.
const CONNECTIONS: usize = 32;
/// How long the mixed run lasts (BATTERY.md: 10 s; shortened to keep the target fast).
const RUN: Duration = Duration::from_secs(2);

/// What request `i` of connection `c` asks for: 10% handler panics, 4% middleware
/// panics, 4% template panics, the rest `/book/1`.
fn path_for(c: usize, i: usize) -> &'static str {
    match (c + i) % 50 {
        0 | 10 | 20 | 30 | 40 => "/boom",
        5 | 25 => "/mw-boom",
        15 | 35 => "/render-boom",
        _ => "/book/1",
    }
}

/// One connection's tally.
#[derive(Default)]
struct Tally {
    panics_sent: usize,
    panics_500: usize,
    normal: usize,
    normal_200: usize,
    dropped: usize,
    problems: Vec<String>,
}

async fn client(addr: std::net::SocketAddr, c: usize, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut conn = Wire::connect(addr).await;
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        let path = path_for(c, i);
        let panicky = path != "/book/1";
        if panicky {
            tally.panics_sent += 1;
        } else {
            tally.normal += 1;
        }
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        let sent = conn.send(req.as_bytes()).await;
        let next = conn.next(Duration::from_secs(5)).await;
        let res = match (sent, next) {
            (Ok(()), Next::Response(res)) => res,
            (sent, next) => {
                tally.dropped += 1;
                tally.problems.push(format!(
                    "connection {c}, request {i} ({path}): {next:?}, write {sent:?}"
                ));
                return tally;
            }
        };
        if panicky {
            let generic = !seed::SECRETS.iter().any(|s| res.body.contains(s))
                && !res.body.contains("blew up");
            if res.status == 500 && generic {
                tally.panics_500 += 1;
            } else {
                tally.problems.push(format!(
                    "{path}: wanted 500 with a generic body, got {} {:?}",
                    res.status, res.body
                ));
            }
        } else if res.status == 200 && res.body.contains("Dune") {
            tally.normal_200 += 1;
        } else {
            tally
                .problems
                .push(format!("{path}: {} {:?}", res.status, res.body));
        }
        if res.header("connection") == Some("close") {
            tally.dropped += 1;
            tally.problems.push(format!(
                "connection {c}: the server closed it after {path} ({})",
                res.status
            ));
            return tally;
        }
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f1_panics_answer_500_and_keep_the_connection() {
    let _serial = serial().await;
    let server = start(seed::app(seed::db().await)).await;
    let panics_before = panics();
    let started = Instant::now();
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|c| tokio::spawn(client(server.addr, c, started + RUN)))
        .collect();
    let mut total = Tally::default();
    for client in clients {
        let t = client.await.expect("a client task");
        total.panics_sent += t.panics_sent;
        total.panics_500 += t.panics_500;
        total.normal += t.normal;
        total.normal_200 += t.normal_200;
        total.dropped += t.dropped;
        total.problems.extend(t.problems);
    }
    let took = started.elapsed();
    let panicked = panics() - panics_before;
    let mut checks = Checks::default();
    for p in total.problems.iter().take(20) {
        checks.check(false, || p.clone());
    }
    checks.check(total.dropped == 0, || {
        format!("{} connection(s) reset or dropped", total.dropped)
    });
    checks.check(total.panics_500 == total.panics_sent, || {
        format!(
            "{} panicking requests, {} generic 500s",
            total.panics_sent, total.panics_500
        )
    });
    checks.check(total.normal_200 == total.normal, || {
        format!(
            "{} normal requests, {} answered 200",
            total.normal, total.normal_200
        )
    });
    checks.check(panicked == total.panics_sent, || {
        format!(
            "{panicked} panics seen by the hook for {} panicking requests",
            total.panics_sent
        )
    });
    // Still the same process, still serving.
    let health = kiln_tests::get(server.addr, "/health").await;
    checks.check(health.status == 200, || {
        format!("/health afterwards: {}", health.status)
    });
    server.stop().await;
    let normal_pct = if total.normal == 0 {
        0.0
    } else {
        100.0 * total.normal_200 as f64 / total.normal as f64
    };
    checks.finish(
        "F1",
        serde_json::json!({
            "connections": CONNECTIONS,
            "requests": total.panics_sent + total.normal,
            "panics": total.panics_sent,
            "panics_seen": panicked,
            "panic_500s": total.panics_500,
            "resets": total.dropped,
            "normal_2xx_pct": normal_pct,
            "pid": std::process::id(),
            "run_ms": took.as_millis(),
        }),
    );
}
