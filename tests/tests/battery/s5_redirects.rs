//! S5: open redirects and header injection. `kiln::safe_next` sends Django's bad-URL
//! list (and `//evil.com`, `/\evil.com`, `\\evil.com`, the non-http schemes) to `/`;
//! `Redirect::to` with a CR or LF in the target answers 400, never a `Location` holding
//! CR/LF and never an injected header. Checked directly and over a real socket.

use std::time::Duration;

use kiln::prelude::*;
use kiln_tests::{Next, RawResponse, Wire};

use crate::{Checks, encode, seed, serial, start};

/// Targets `?next=` must never redirect to: Django's `url_has_allowed_host_and_scheme`
/// bad URLs, the battery's extras, and the schemes a link shortener must refuse.
const BAD_NEXT: &[&str] = &[
    "http://example.com",
    "http:///example.com",
    "https://example.com",
    "ftp://example.com",
    r"\\example.com",
    r"\\\example.com",
    r"/\\/example.com",
    r"\\\\example.com",
    r"\\//example.com",
    r"/\/example.com",
    r"\/example.com",
    r"/\example.com",
    "http:example.com",
    "http:/example.com",
    r"http:\/example.com",
    r"http:\\example.com",
    "javascript:alert(\"XSS\")",
    "\njavascript:alert(x)",
    "\x08//example.com",
    r"http://otherserver\@example.com",
    r"http:\\testserver\@example.com",
    r"http://testserver\me:pass@example.com",
    r"http://testserver\@example.com",
    r"http:\\testserver\confirm\me@example.com",
    "http:999999999",
    "ftp:9999999999",
    "\n",
    "http://[2001:cdba:0000:0000:0000:0000:3257:9652/",
    "http://2001:cdba:0000:0000:0000:0000:3257:9652]/",
    "//evil.com",
    r"/\evil.com",
    r"\\evil.com",
    "/\t/evil.com",
    " /evil.com",
    "javascript:alert(1)",
    "data:text/html,x",
    "vbscript:x",
    "file:///etc/passwd",
    "\njavascript:x",
    "http://a%0d%0aSet-Cookie:x=1",
    "http://a\r\nSet-Cookie:x=1",
    "evil.com",
    "",
];

/// Redirect targets with CR/LF (decoded, as a handler would get them from a query).
const CRLF_TARGETS: &[&str] = &[
    "http://a\r\nSet-Cookie:x=1",
    "http://a\rSet-Cookie:x=1",
    "http://a\nSet-Cookie:x=1",
    "\njavascript:x",
    "/ok\r\n\r\n<script>x</script>",
];

/// Whether a response carries a `Location` with CR/LF, or a header injected by one.
fn injected(res: &RawResponse) -> bool {
    res.headers.iter().any(|(name, value)| {
        value.contains(['\r', '\n'])
            || (name == "set-cookie" && value.contains("x=1"))
            || name.contains("javascript")
            || name.contains("<script>")
    })
}

async fn over_socket(addr: std::net::SocketAddr, target: &str) -> Option<RawResponse> {
    let mut conn = Wire::connect(addr).await;
    let _ = conn
        .send(format!(
            "GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ))
        .await;
    match conn.next(Duration::from_secs(5)).await {
        Next::Response(res) => Some(res),
        _ => None,
    }
}

#[tokio::test]
async fn s5_open_redirects_and_header_injection() {
    let _serial = serial().await;
    let mut checks = Checks::default();
    let mut rejected = 0;
    let mut crlf_locations = 0;
    let mut total = 0;

    // Directly.
    for bad in BAD_NEXT {
        total += 1;
        let next = kiln::safe_next(bad);
        rejected += usize::from(next == "/");
        checks.check(next == "/", || {
            format!("safe_next({bad:?}) = {next:?}, wanted \"/\"")
        });
    }
    for target in CRLF_TARGETS {
        total += 1;
        let res = Redirect::to(target).into_response();
        let location = res.headers().get("location");
        crlf_locations += usize::from(location.is_some());
        rejected += usize::from(res.status() == StatusCode::BAD_REQUEST && location.is_none());
        checks.check(res.status() == StatusCode::BAD_REQUEST, || {
            format!(
                "Redirect::to({target:?}) answered {}, wanted 400",
                res.status()
            )
        });
        checks.check(location.is_none(), || {
            format!("Redirect::to({target:?}) set Location {location:?}")
        });
    }
    // Local paths are kept.
    for good in ["/", "/books?page=2", "/a/b#top"] {
        checks.check(kiln::safe_next(good) == good, || {
            format!("safe_next({good:?}) refused a local path")
        });
    }

    // Over a real socket, percent-encoded in the query as a browser would send them.
    let server = start(seed::app(seed::db().await)).await;
    for bad in BAD_NEXT {
        total += 1;
        let target = format!("/next?next={}", encode(bad));
        match over_socket(server.addr, &target).await {
            Some(res) => {
                let ok =
                    res.status == 303 && res.header("location") == Some("/") && !injected(&res);
                rejected += usize::from(ok);
                crlf_locations += usize::from(injected(&res));
                checks.check(ok, || {
                    format!(
                        "GET {target}: {} Location {:?}, wanted 303 to /",
                        res.status,
                        res.header("location")
                    )
                });
            }
            None => checks.check(false, || format!("GET {target}: no answer")),
        }
    }
    for target in CRLF_TARGETS {
        total += 1;
        let path = format!("/go?to={}", encode(target));
        match over_socket(server.addr, &path).await {
            Some(res) => {
                let ok = res.status == 400 && res.header("location").is_none() && !injected(&res);
                rejected += usize::from(ok);
                crlf_locations += usize::from(injected(&res) || res.header("location").is_some());
                checks.check(ok, || {
                    format!(
                        "GET {path}: {} with headers {:?}, wanted 400 and no Location",
                        res.status, res.headers
                    )
                });
            }
            None => checks.check(false, || format!("GET {path}: no answer")),
        }
    }
    server.stop().await;
    checks.finish(
        "S5",
        serde_json::json!({
            "rejected": format!("{rejected}/{total}"),
            "locations_with_crlf": crlf_locations,
        }),
    );
}
