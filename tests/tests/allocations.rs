//! kiln's generated router does no per-request work that hand-written axum would
//! not: counted in heap allocations per request, the same routes cost the same.
//!
//! One test per binary (a global allocator counts for the whole process).

use kiln::axum::{self, Router, body::Body, extract::Path, http::Request};
use kiln::prelude::*;
use tower::ServiceExt;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn allocations() -> u64 {
    dhat::HeapStats::get().total_blocks
}

#[get("/")]
async fn kiln_index() -> &'static str {
    "Hello, World!"
}

#[get("/book/<id>")]
async fn kiln_book(id: i64) -> String {
    format!("book {id}")
}

#[get("/search?<q>")]
async fn kiln_search(q: i64) -> String {
    format!("q {q}")
}

#[post("/echo")]
async fn kiln_echo(body: String) -> String {
    body
}

#[derive(serde::Deserialize)]
struct Search {
    q: i64,
}

fn axum_router() -> Router {
    Router::new()
        .route("/", axum::routing::get(|| async { "Hello, World!" }))
        .route(
            "/book/{id}",
            axum::routing::get(|Path(id): Path<i64>| async move { format!("book {id}") }),
        )
        .route(
            "/search",
            axum::routing::get(
                |axum::extract::Query(s): axum::extract::Query<Search>| async move {
                    format!("q {}", s.q)
                },
            ),
        )
        .route(
            "/echo",
            axum::routing::post(|body: String| async move { body }),
        )
}

/// The middleware both apps run: it adds a header, as a `Server` header would be.
async fn stamp(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert("x-stamp", HeaderValue::from_static("1"));
    res
}

#[middleware]
async fn kiln_stamp(req: axum::extract::Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert("x-stamp", HeaderValue::from_static("1"));
    res
}

#[catch(404)]
async fn not_found() -> &'static str {
    "no such page"
}

fn kiln_router(with_catcher: bool) -> Router {
    let app = App::new().mount("/", routes![kiln_index, kiln_book, kiln_search, kiln_echo]);
    let app = if with_catcher {
        app.catch(catchers![not_found])
    } else {
        app
    };
    app.into_router().unwrap()
}

/// The kiln app with one `#[middleware]`, and axum with the same as `from_fn`.
fn with_middleware() -> (Router, Router) {
    let kiln = App::new()
        .mount("/", routes![kiln_index, kiln_book, kiln_search, kiln_echo])
        .wrap(kiln_stamp)
        .into_router()
        .unwrap();
    let axum = axum_router().layer(axum::middleware::from_fn(stamp));
    (kiln, axum)
}

/// Average allocations per request, after a warm-up; requests are built beforehand.
async fn per_request(router: &Router, method: &str, path: &str, body: &'static str) -> f64 {
    const N: u64 = 200;
    let make = || {
        Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .body(Body::from(body))
            .unwrap()
    };
    for _ in 0..20 {
        let res = router.clone().oneshot(make()).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    let requests: Vec<_> = (0..N).map(|_| make()).collect();
    let before = allocations();
    for req in requests {
        let res = router.clone().oneshot(req).await.unwrap();
        drop(res);
    }
    (allocations() - before) as f64 / N as f64
}

#[tokio::test(flavor = "current_thread")]
async fn kiln_allocates_no_more_than_hand_written_axum() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let (kiln, caught, axum) = (kiln_router(false), kiln_router(true), axum_router());
    let (kiln_mw, axum_mw) = with_middleware();
    for (method, path, body) in [
        ("GET", "/", ""),
        ("GET", "/book/42", ""),
        ("GET", "/search?q=7", ""),
        ("POST", "/echo", "hi"),
    ] {
        let k = per_request(&kiln, method, path, body).await;
        let c = per_request(&caught, method, path, body).await;
        let a = per_request(&axum, method, path, body).await;
        println!(
            "{method} {path}: kiln {k:.2} allocations/request ({c:.2} with a catcher), axum {a:.2}"
        );
        assert!(
            k <= a,
            "{method} {path}: kiln makes {k} allocations per request, hand-written axum {a}"
        );
        // With one middleware: kiln puts it once around the router (so it sees 404s,
        // 405s and static files too) as a shared service with one boxed future, axum's
        // `from_fn` around each route (a boxed service made per request, its boxed
        // future, the boxed user future). Measured 15/22/18/19 against 19/25/24/23.
        let km = per_request(&kiln_mw, method, path, body).await;
        let am = per_request(&axum_mw, method, path, body).await;
        println!("{method} {path} with a middleware: kiln {km:.2}, axum {am:.2}");
        assert!(
            km < am,
            "{method} {path} with a middleware: kiln makes {km} allocations per request, axum {am}"
        );
        // With catchers, the request's URI is kept for them: a reference-count bump for
        // a URI parsed by the server, one small allocation for one built from a &str.
        assert!(
            c <= k + 1.0,
            "{method} {path}: a catcher costs {} allocations per request",
            c - k
        );
    }
}
