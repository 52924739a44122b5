//! B3: smuggling and desync. Each request is followed on the same connection by a
//! pipelined `GET /canary`. Acceptable: a 400 and the close (nothing more), or exactly
//! one parse: the request's own answer, then the canary answered as its own request.
//! Never the canary swallowed into a body, and never a third, injected response.

use std::time::Duration;

use kiln_tests::{Next, RawResponse, Wire};

use crate::{Checks, seed, serial, show, start};

const CANARY: &[u8] = b"GET /canary HTTP/1.1\r\nHost: x\r\n\r\n";

/// The cases: a name and the request before the canary. Each body is chosen so that
/// the other reading of the framing would leave bytes in front of the canary.
fn cases() -> Vec<(&'static str, &'static [u8])> {
    vec![
        (
            "Content-Length: +3 (CVE-2021-32715)",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc",
        ),
        (
            "two differing Content-Lengths",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
        ),
        (
            "Transfer-Encoding: chunked with Content-Length: 5",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n\
              5\r\nhello\r\n0\r\n\r\n",
        ),
        (
            "Transfer-Encoding: gzip",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc",
        ),
        (
            "Transfer-Encoding: chunked, identity",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n\
              3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "chunk size FFFFFFFFFFFFFFFFFFFF (RUSTSEC-2021-0079)",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
              FFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "Transfer-Encoding on HTTP/1.0",
            b"POST /echo HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n\
              3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "Transfer-Encoding : chunked (space before the colon)",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n\
              3\r\nabc\r\n0\r\n\r\n",
        ),
    ]
}

/// Everything the server sends on one connection until it closes or goes quiet.
async fn responses(conn: &mut Wire<tokio::net::TcpStream>) -> (Vec<RawResponse>, String) {
    let mut got = Vec::new();
    loop {
        // Generous for the first answer; then only long enough to see an extra one.
        let quiet = if got.is_empty() { 2000 } else { 400 };
        match conn.next(Duration::from_millis(quiet)).await {
            Next::Response(res) => got.push(res),
            Next::Closed { partial } if partial.is_empty() => return (got, "closed".into()),
            Next::Closed { partial } => return (got, format!("closed after {}", show(&partial))),
            Next::Reset(kind) => return (got, format!("reset ({kind:?})")),
            Next::TimedOut => return (got, "open".into()),
        }
    }
}

/// `None` if the exchange shows no desync, else what went wrong.
fn desync(got: &[RawResponse], end: &str) -> Option<String> {
    let closed = end != "open";
    let swallowed = got
        .iter()
        .any(|r| r.body.contains("GET /canary") || r.body.contains("canary HTTP"));
    if swallowed {
        return Some("the canary was read into a body".into());
    }
    match got {
        [only] if only.status == 400 && closed => None,
        [only] if only.status == 400 => Some("400 but the connection stayed open".into()),
        [first, canary]
            if first.status != 400 && canary.status == 200 && canary.body == "canary" =>
        {
            None
        }
        [first, ..] if first.status == 400 => {
            Some("400, then more responses on the same connection".into())
        }
        [_, _, _, ..] => Some(format!("{} responses to two requests", got.len())),
        [only] if closed => Some(format!(
            "answered {} (one parse), then closed: the canary was dropped, neither answered \
             nor refused with the 400",
            only.status
        )),
        _ => Some("neither 400-and-close nor one parse with the canary answered".into()),
    }
}

#[tokio::test]
async fn b3_smuggling_and_desync() {
    let _serial = serial().await;
    let server = start(seed::app(seed::db().await)).await;
    let mut checks = Checks::default();
    let mut outcomes = serde_json::Map::new();
    let mut no_desync = 0;
    let mut as_expected = 0;
    let cases = cases();
    for (name, request) in &cases {
        let mut conn = Wire::connect(server.addr).await;
        let _ = conn.send([*request, CANARY].concat()).await;
        let (got, end) = responses(&mut conn).await;
        let summary = format!(
            "{} then {end}",
            got.iter()
                .map(|r| format!("{} {}", r.status, show(r.body.as_bytes())))
                .collect::<Vec<_>>()
                .join(", ")
        );
        // RFC 9112 §6.3: with both, Transfer-Encoding wins and the server must close
        // after the response; hyper does exactly that (the canary is never read).
        let te_and_cl = name.contains("with Content-Length");
        let problem = match (desync(&got, &end), &got[..]) {
            (Some(_), [only]) if te_and_cl && end != "open" && only.body == "echo:hello" => None,
            (p, _) => p,
        };
        if problem.is_none() {
            as_expected += 1;
        }
        // Strictly a desync: the canary read into a body or into another request, an
        // answer after a 400, or more than two answers.
        let canary_answered = |r: &RawResponse| r.status == 200 && r.body == "canary";
        let desynced = got.len() > 2
            || got
                .iter()
                .any(|r| r.body.contains("GET /canary") || r.body.contains("canary HTTP"))
            || (got.len() == 2 && (got[0].status == 400 || !canary_answered(&got[1])));
        if !desynced {
            no_desync += 1;
        }
        checks.check(problem.is_none(), || {
            format!("{name}: {}: {summary}", problem.clone().unwrap_or_default())
        });
        outcomes.insert((*name).to_string(), summary.into());
    }
    server.stop().await;
    checks.finish(
        "B3",
        serde_json::json!({
            "no_desync": format!("{no_desync}/{}", cases.len()),
            "as_expected": format!("{as_expected}/{}", cases.len()),
            "outcomes": outcomes,
        }),
    );
}
