//! In-process: one request through kiln's router against the same request through
//! hand-written axum, per route, in one run (`cargo bench -p kiln-bench`).

use criterion::{Criterion, criterion_group, criterion_main};
use kiln::axum::{Router, body::Body, http::Request};
use kiln_bench::{REQUESTS, axum_app, kiln_app};
use tower::ServiceExt;

fn request(method: &str, path: &str, body: &'static str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request")
}

fn routers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let kiln: Router = kiln_app().into_router().expect("kiln app");
    let axum: Router = axum_app();
    for (name, method, path, body) in REQUESTS {
        let mut group = c.benchmark_group(name);
        for (label, router) in [("axum", &axum), ("kiln", &kiln)] {
            group.bench_function(label, |b| {
                b.to_async(&rt).iter(|| async {
                    let res = router
                        .clone()
                        .oneshot(request(method, path, body))
                        .await
                        .expect("infallible");
                    assert!(res.status().is_success());
                    res
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, routers);
criterion_main!(benches);
