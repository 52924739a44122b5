//! `#[catch]`: custom pages for the errors kiln produces, and only those.

use kiln::prelude::*;

#[get("/book/<id>")]
async fn book(id: i64) -> String {
    format!("book {id}")
}

#[get("/missing")]
async fn missing() -> Result<String> {
    Err(Error::not_found())
}

#[get("/teapot")]
async fn teapot() -> Result<String> {
    Err(Error::status(StatusCode::IM_A_TEAPOT, "short and stout"))
}

#[get("/busy")]
async fn busy() -> Result<String> {
    Err(Error::status(StatusCode::SERVICE_UNAVAILABLE, "db busy")
        .with_header(axum_header("retry-after"), "5"))
}

fn axum_header(name: &'static str) -> kiln::axum::http::HeaderName {
    kiln::axum::http::HeaderName::from_static(name)
}

#[get("/handmade-404")]
async fn handmade() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "my own 404 body")
}

#[get("/boom")]
async fn boom() -> &'static str {
    panic!("secret internal detail")
}

#[get("/fails")]
async fn fails() -> Result<String> {
    let n: i64 = "not a number".parse()?;
    Ok(n.to_string())
}

#[post("/json")]
async fn json(Json(v): Json<serde_json::Value>) -> String {
    v.to_string()
}

#[catch(404)]
async fn not_found(uri: Uri, method: Method) -> Html<String> {
    Html(format!("<h1>No page at {method} {uri}</h1>"))
}

#[catch(405)]
async fn not_allowed(status: StatusCode) -> String {
    format!("caught {}", status.as_u16())
}

#[catch(500)]
async fn server_error() -> Html<&'static str> {
    Html("<h1>Sorry</h1>")
}

#[catch(default)]
async fn fallback(status: StatusCode, headers: HeaderMap) -> (StatusCode, String) {
    let agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    (
        status,
        format!("default catcher: {} for {agent}", status.as_u16()),
    )
}

fn app() -> App {
    App::new()
        .mount(
            "/",
            routes![book, missing, teapot, busy, handmade, boom, fails, json],
        )
        .catch(catchers![not_found, not_allowed, server_error, fallback])
}

#[tokio::test]
async fn an_unknown_path_renders_the_404_catcher() {
    let client = TestClient::new(app());
    let res = client.get("/nowhere?x=1").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(res.text(), "<h1>No page at GET /nowhere?x=1</h1>");
}

#[tokio::test]
async fn parse_failures_and_returned_errors_render_catchers() {
    let client = TestClient::new(app());
    assert_eq!(
        client.get("/book/abc").await.text(),
        "<h1>No page at GET /book/abc</h1>"
    );
    let res = client.get("/missing").await;
    assert_eq!(
        (res.status(), res.text()),
        (
            StatusCode::NOT_FOUND,
            "<h1>No page at GET /missing</h1>".into()
        )
    );
    assert_eq!(client.get("/book/1").await.text(), "book 1");
}

#[tokio::test]
async fn a_405_catcher_keeps_the_allow_header() {
    let client = TestClient::new(app());
    let res = client.delete("/book/1").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.text(), "caught 405");
    assert_eq!(res.header("allow"), Some("GET,HEAD"));
}

#[tokio::test]
async fn the_default_catcher_takes_the_rest_and_keeps_extra_headers() {
    let client = TestClient::new(app());
    let res = client.get("/teapot").header("user-agent", "tests").await;
    assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(res.text(), "default catcher: 418 for tests");
    let res = client.get("/busy").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.header("retry-after"), Some("5"));
    // Extractor rejections are kiln's too.
    let res = client
        .post("/json")
        .header("content-type", "application/json")
        .body("{oops")
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.text(), "default catcher: 400 for -");
}

#[tokio::test]
async fn a_response_the_handler_built_is_sent_as_it_is() {
    let client = TestClient::new(app());
    let res = client.get("/handmade-404").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.text(), "my own 404 body");
}

#[tokio::test]
async fn panics_answer_500_and_the_app_keeps_serving() {
    let client = TestClient::new(app());
    for _ in 0..3 {
        let res = client.get("/boom").await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.text(), "<h1>Sorry</h1>");
        assert!(!res.text().contains("secret"));
        assert_eq!(client.get("/book/2").await.text(), "book 2");
    }
}

#[tokio::test]
async fn std_errors_answer_500_without_leaking() {
    let client = TestClient::new(app());
    let res = client.get("/fails").await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text(), "<h1>Sorry</h1>");
    // Without catchers, the plain body says nothing of the cause either.
    let plain = TestClient::new(App::new().mount("/", routes![fails, boom]));
    let res = plain.get("/fails").await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text(), "Internal Server Error");
    let res = plain.get("/boom").await;
    assert_eq!(res.text(), "Internal Server Error");
}

#[tokio::test]
async fn head_requests_to_errors_have_no_body() {
    let client = TestClient::new(app());
    let res = client.head("/nowhere").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.text(), "");
}

#[catch(404)]
async fn panicking_catcher() -> String {
    panic!("catcher broke")
}

#[tokio::test]
async fn a_panicking_catcher_falls_back_to_the_plain_error() {
    let client = TestClient::new(App::new().catch(catchers![panicking_catcher]));
    let res = client.get("/x").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.text(), "Not Found");
}

#[catch(404)]
async fn other_not_found() -> &'static str {
    "other"
}

#[test]
fn two_catchers_for_one_status_fail_the_build() {
    let err = App::new()
        .catch(catchers![not_found])
        .catch(catchers![other_not_found])
        .into_router()
        .unwrap_err();
    let msg = err.to_string();
    assert!(err.is_launch_error());
    assert!(msg.contains("two catchers for 404: `not_found`"), "{msg}");
    assert!(msg.contains("`other_not_found`"), "{msg}");
}
