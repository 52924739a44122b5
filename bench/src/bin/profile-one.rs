//! Runs one benchmark request many times through one framework's router, in process,
//! for instruction-level profiling: `valgrind --tool=callgrind profile-one kiln 3`.

use kiln::axum::{Router, body::Body, http::Request};
use kiln_bench::{REQUESTS, axum_app, kiln_app};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let index: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let router: Router = match which.as_str() {
        "kiln" => kiln_app().into_router().expect("kiln app"),
        _ => axum_app(),
    };
    let (_, method, path, body) = REQUESTS[index];
    for _ in 0..n {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .expect("request");
        let res = tower::ServiceExt::oneshot(router.clone(), req)
            .await
            .expect("infallible");
        assert!(res.status().is_success());
    }
}
