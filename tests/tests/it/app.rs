//! Building the app: duplicate routes, state, start-up checks, run-time routes,
//! nesting in axum, tower layers, and the test client itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kiln::axum;
use kiln::prelude::*;

#[get("/book/<id>")]
async fn book(id: i64) -> String {
    format!("book {id}")
}

#[get("/book/<name>")]
async fn book_by_name(name: String) -> String {
    name
}

#[post("/book/<slug>")]
async fn update_book(slug: String) -> String {
    format!("updated {slug}")
}

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

struct Settings {
    site: &'static str,
}

#[get("/site")]
async fn site(settings: State<Settings>) -> String {
    settings.site.to_string()
}

#[test]
fn a_route_mounted_twice_is_an_error_naming_both_handlers() {
    let err = App::new()
        .mount("/", routes![book])
        .mount("/", routes![book_by_name])
        .into_router()
        .unwrap_err();
    let msg = err.to_string();
    assert!(err.is_launch_error());
    assert!(msg.contains("GET /book/<name> is defined twice"), "{msg}");
    assert!(msg.contains("by `book` (tests/tests/it/app.rs:"), "{msg}");
    assert!(
        msg.contains("by `book_by_name` (tests/tests/it/app.rs:"),
        "{msg}"
    );
}

#[tokio::test]
async fn one_shape_may_carry_several_methods_under_different_names() {
    let client = TestClient::new(App::new().mount("/", routes![book, update_book]));
    assert_eq!(client.get("/book/4").await.text(), "book 4");
    assert_eq!(client.post("/book/dune").await.text(), "updated dune");
}

#[test]
fn the_same_routes_under_different_prefixes_do_not_collide() {
    assert!(
        App::new()
            .mount("/a", routes![book])
            .mount("/b", routes![book])
            .into_router()
            .is_ok()
    );
}

async fn raw_ping() -> &'static str {
    "raw pong"
}

async fn raw_book(axum::extract::Path(id): axum::extract::Path<u32>) -> String {
    format!("raw book {id}")
}

#[tokio::test]
async fn routes_added_at_run_time() {
    let client = TestClient::new(
        App::new()
            .mount("/", routes![book])
            .route("/raw", Method::GET, raw_ping)
            .route("/raw/<id>", Method::GET, raw_book)
            .route("/raw/{id}", Method::DELETE, || async {
                StatusCode::NO_CONTENT
            }),
    );
    assert_eq!(client.get("/raw").await.text(), "raw pong");
    assert_eq!(client.get("/raw/7").await.text(), "raw book 7");
    assert_eq!(
        client.delete("/raw/7").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        client.post("/raw/7").await.header("allow"),
        Some("GET,HEAD,DELETE")
    );
}

#[test]
fn a_run_time_route_colliding_with_a_macro_route_is_an_error() {
    let err = App::new()
        .mount("/", routes![ping])
        .route("/ping", Method::GET, raw_ping)
        .into_router()
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("GET /ping is defined twice"), "{msg}");
    assert!(msg.contains("`ping`"), "{msg}");
    assert!(msg.contains("raw_ping"), "{msg}");
}

#[test]
fn malformed_run_time_paths_are_errors_not_panics() {
    for path in ["no-slash", "/:id", "/a/<b", "/<x..>/y", "/a?b=1"] {
        let err = App::new()
            .route(path, Method::GET, raw_ping)
            .into_router()
            .unwrap_err();
        assert!(err.is_launch_error(), "{path}");
    }
    let err = App::new()
        .mount("/<id>", routes![ping])
        .into_router()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("mount prefix `/<id>` must not have parameters"),
        "{err}"
    );
    let err = App::new().route("/x", Method::CONNECT, raw_ping).route(
        "/x",
        Method::from_bytes(b"BREW").unwrap(),
        raw_ping,
    );
    let msg = err.into_router().unwrap_err().to_string();
    assert!(
        msg.contains("`BREW` on `/x` is not a method kiln can route"),
        "{msg}"
    );
}

#[test]
fn differently_named_parameters_at_one_position_are_an_error_for_run_time_routes() {
    // axum's router needs one name per position; kiln reports it instead of panicking.
    let err = App::new()
        .route("/u/{id}/a", Method::GET, raw_ping)
        .route("/u/{name}/b", Method::GET, raw_ping)
        .into_router()
        .unwrap_err();
    assert!(
        err.to_string().contains("use one name for the parameter"),
        "{err}"
    );
}

#[test]
fn a_parameter_beside_a_rest_of_path_parameter_is_an_error_for_run_time_routes() {
    let err = App::new()
        .route("/x/<name>", Method::GET, raw_ping)
        .route("/x/<rest..>", Method::POST, raw_ping)
        .into_router()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("can't be routed: it conflicts with `/x/<"),
        "{msg}"
    );
    assert!(
        msg.contains("a parameter and a rest-of-path parameter"),
        "{msg}"
    );
}

#[get("/u/<id>/a")]
async fn u_a(id: u32) -> String {
    format!("a{id}")
}

#[get("/u/<name>/b")]
async fn u_b(name: String) -> String {
    format!("b{name}")
}

#[tokio::test]
async fn macro_routes_may_name_one_position_differently() {
    let client = TestClient::new(App::new().mount("/", routes![u_a, u_b]));
    assert_eq!(client.get("/u/1/a").await.text(), "a1");
    assert_eq!(client.get("/u/x/b").await.text(), "bx");
}

#[tokio::test]
async fn managed_state_reaches_handlers() {
    let client = TestClient::new(
        App::new()
            .mount("/", routes![site])
            .manage(Settings { site: "Books" }),
    );
    assert_eq!(client.get("/site").await.text(), "Books");
}

#[test]
fn unmanaged_state_stops_the_app_at_start_up() {
    let err = App::new()
        .mount("/", routes![site])
        .into_router()
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("handler `site`"), "{msg}");
    assert!(
        msg.contains("takes `State<it::app::Settings>` but no `it::app::Settings` is managed"),
        "{msg}"
    );
}

#[test]
fn managing_a_type_twice_is_an_error() {
    let err = App::new()
        .manage(Settings { site: "a" })
        .manage(Settings { site: "b" })
        .into_router()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`it::app::Settings` is managed twice"),
        "{err}"
    );
}

#[post("/two-bodies")]
async fn two_bodies(a: String, b: String) -> String {
    a + &b
}

#[test]
fn two_body_extractors_stop_the_app_at_start_up() {
    let err = App::new()
        .mount("/", routes![two_bodies])
        .into_router()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("more than one argument reads the request body"),
        "{err}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = App::new()
        .mount("/", routes![site, book])
        .mount("/", routes![book_by_name])
        .manage(1u8)
        .manage(2u8)
        .into_router()
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("the app can't start:"), "{msg}");
    assert_eq!(msg.matches("\n  - ").count(), 3, "{msg}");
}

#[tokio::test]
async fn the_router_nests_in_plain_axum() {
    let kiln_router = App::new().mount("/", routes![book]).into_router().unwrap();
    let outer = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .nest("/kiln", kiln_router);
    let client = TestClient::from_router(outer);
    assert_eq!(client.get("/health").await.text(), "ok");
    assert_eq!(client.get("/kiln/book/3").await.text(), "book 3");
}

#[tokio::test]
async fn tower_layers_see_routes_404s_and_405s() {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let counter = tower::util::MapRequestLayer::new(move |req: Request| {
        seen.fetch_add(1, Ordering::SeqCst);
        req
    });
    let client = TestClient::new(App::new().mount("/", routes![ping]).layer(counter));
    assert_eq!(client.get("/ping").await.text(), "pong");
    assert_eq!(client.get("/nowhere").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        client.post("/ping").await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[get("/login")]
async fn set_cookie() -> (
    axum::response::AppendHeaders<[(&'static str, &'static str); 2]>,
    &'static str,
) {
    let cookies = [
        ("set-cookie", "session=abc; Path=/; HttpOnly"),
        ("set-cookie", "scoped=1; Path=/admin"),
    ];
    (axum::response::AppendHeaders(cookies), "logged in")
}

#[get("/logout")]
async fn clear_cookie() -> ([(&'static str, &'static str); 1], &'static str) {
    ([("set-cookie", "session=; Path=/; Max-Age=0")], "bye")
}

#[get("/whoami")]
async fn whoami(headers: HeaderMap) -> String {
    headers
        .get("cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("nobody")
        .to_string()
}

#[get("/admin/whoami")]
async fn admin_whoami(headers: HeaderMap) -> String {
    headers
        .get("cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("nobody")
        .to_string()
}

#[tokio::test]
async fn the_test_client_keeps_cookies() {
    let client = TestClient::new(
        App::new().mount("/", routes![set_cookie, clear_cookie, whoami, admin_whoami]),
    );
    assert_eq!(client.get("/whoami").await.text(), "nobody");
    client.get("/login").await;
    assert_eq!(client.cookie("session").as_deref(), Some("abc"));
    assert_eq!(client.get("/whoami").await.text(), "session=abc");
    assert_eq!(
        client.get("/admin/whoami").await.text(),
        "session=abc; scoped=1"
    );
    // An explicit Cookie header wins.
    assert_eq!(
        client.get("/whoami").header("cookie", "x=1").await.text(),
        "x=1"
    );
    client.get("/logout").await;
    assert_eq!(client.cookie("session"), None);
    assert_eq!(client.get("/whoami").await.text(), "nobody");
}

#[test]
#[should_panic(expected = "TestClient::new: the app can't start:")]
fn the_test_client_panics_with_the_build_error() {
    let _ = TestClient::new(App::new().mount("/", routes![site]));
}
