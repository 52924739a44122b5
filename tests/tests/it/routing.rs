//! Route attributes: path, tail and query parameters, extractors, methods, HEAD, 405,
//! reverse routing, mounting.

use kiln::prelude::*;
use serde::{Deserialize, Serialize};

#[get("/")]
async fn index() -> &'static str {
    "Hello, World!"
}

#[get("/hello/<name>")]
async fn hello(name: String) -> String {
    format!("Hello, {name}!")
}

#[get("/book/<id>")]
async fn book(id: i64) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "id": id }))
}

#[get("/book/new")]
async fn new_book() -> &'static str {
    "new book form"
}

#[get("/page/<n>")]
async fn page(n: u32) -> String {
    format!("page {n}")
}

#[get("/files/<path..>")]
async fn file(path: String) -> String {
    path
}

#[get("/search?<q>&<page>")]
async fn search(q: String, page: Option<u32>) -> String {
    format!("{q}:{}", page.unwrap_or(1))
}

#[get("/user/<id>/posts/<slug>?<draft>")]
async fn post_of(slug: String, draft: Option<bool>, id: u64) -> String {
    format!("{id}/{slug}/{}", draft.unwrap_or(false))
}

#[derive(Deserialize, Serialize)]
struct NewBook {
    title: String,
}

struct Shelf {
    name: &'static str,
}

// The body extractor comes first in the list: kiln still runs it last.
#[post("/books")]
async fn create(
    Json(input): Json<NewBook>,
    shelf: State<Shelf>,
    headers: HeaderMap,
) -> (StatusCode, Json<serde_json::Value>) {
    let agent = headers
        .get("x-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    (
        StatusCode::CREATED,
        Json(serde_json::json!({ "title": input.title, "shelf": shelf.name, "agent": agent })),
    )
}

#[post("/any-json")]
async fn any_json(Json(v): Json<serde_json::Value>) -> String {
    v.to_string()
}

#[post("/login")]
async fn login(Form(form): Form<std::collections::HashMap<String, String>>) -> String {
    format!("user={}", form.get("user").cloned().unwrap_or_default())
}

#[route("/echo", methods = [GET, POST])]
async fn echo(method: Method, body: String) -> String {
    format!("{method} {body}")
}

#[put("/thing")]
async fn put_thing() -> &'static str {
    "put"
}

#[patch("/thing")]
async fn patch_thing() -> &'static str {
    "patch"
}

#[delete("/thing")]
async fn delete_thing() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[options("/thing")]
async fn options_thing() -> &'static str {
    "options"
}

#[get("/explicit-head")]
async fn get_with_head() -> &'static str {
    "body of get"
}

#[head("/explicit-head")]
async fn head_override() -> (StatusCode, [(&'static str, &'static str); 1]) {
    (StatusCode::OK, [("x-head", "explicit")])
}

#[get("/uri-info")]
async fn uri_info(uri: Uri) -> String {
    uri.to_string()
}

fn app() -> App {
    App::new()
        .mount(
            "/",
            routes![
                index,
                hello,
                book,
                new_book,
                page,
                file,
                search,
                post_of,
                create,
                any_json,
                login,
                echo,
                put_thing,
                patch_thing,
                delete_thing,
                options_thing,
                get_with_head,
                head_override,
                uri_info
            ],
        )
        .manage(Shelf { name: "fiction" })
}

#[tokio::test]
async fn static_and_parameterized_paths() {
    let client = TestClient::new(app());
    let res = client.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "Hello, World!");
    assert_eq!(client.get("/hello/Kay").await.text(), "Hello, Kay!");
    assert_eq!(client.get("/hello/a%20b").await.text(), "Hello, a b!");
    assert_eq!(
        client.get("/hello/%C3%A9t%C3%A9").await.text(),
        "Hello, été!"
    );
    let v: serde_json::Value = client.get("/book/5").await.json();
    assert_eq!(v, serde_json::json!({ "id": 5 }));
    // A static segment outranks a parameter.
    assert_eq!(client.get("/book/new").await.text(), "new book form");
}

#[tokio::test]
async fn a_parameter_that_does_not_parse_is_a_404() {
    let client = TestClient::new(app());
    for path in [
        "/book/abc",
        "/book/1.5",
        "/book/99999999999999999999",
        "/book/1%2F2",
        "/page/-1",
        "/book/",
    ] {
        let res = client.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res.text(), "Not Found", "{path}");
    }
    let v: serde_json::Value = client.get("/book/9223372036854775807").await.json();
    assert_eq!(v["id"], i64::MAX);
    let v: serde_json::Value = client.get("/book/-3").await.json();
    assert_eq!(v["id"], -3);
}

#[tokio::test]
async fn invalid_utf8_in_a_path_parameter_is_a_400() {
    let client = TestClient::new(app());
    let res = client.get("/hello/%FF").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.text(), "path is not valid UTF-8 once percent-decoded");
}

#[tokio::test]
async fn tail_parameters_take_the_rest_of_the_path() {
    let client = TestClient::new(app());
    assert_eq!(client.get("/files/a/b/c.txt").await.text(), "a/b/c.txt");
    assert_eq!(client.get("/files/x").await.text(), "x");
    assert_eq!(client.get("/files/a%20b/c").await.text(), "a b/c");
}

#[tokio::test]
async fn query_parameters_bind_by_name() {
    let client = TestClient::new(app());
    assert_eq!(client.get("/search?q=rust").await.text(), "rust:1");
    assert_eq!(client.get("/search?page=3&q=a+b%21").await.text(), "a b!:3");
    assert_eq!(client.get("/search?q=x&page=").await.text(), "x:1");
    assert_eq!(client.get("/search?q=").await.text(), ":1");
    assert_eq!(
        client.get("/user/7/posts/hi?draft=true").await.text(),
        "7/hi/true"
    );
}

#[tokio::test]
async fn bad_query_parameters_answer_400_naming_them() {
    let client = TestClient::new(app());
    let res = client.get("/search").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.text(), "missing query parameter `q`");
    let res = client.get("/search?q=x&page=two").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.text(), "invalid value for query parameter `page`");
    let res = client.get("/search?q=%C3%28").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.text(),
        "query parameter `q` is not valid UTF-8 once percent-decoded"
    );
    let res = client.get("/user/7/posts/hi?draft=maybe").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn other_arguments_are_extractors() {
    let client = TestClient::new(app());
    let res = client
        .post("/books")
        .header("x-agent", "test")
        .json(&NewBook {
            title: "Dune".into(),
        })
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let v: serde_json::Value = res.json();
    assert_eq!(
        v,
        serde_json::json!({ "title": "Dune", "shelf": "fiction", "agent": "test" })
    );
    assert_eq!(
        client.post("/login").form(&[("user", "kay")]).await.text(),
        "user=kay"
    );
    assert_eq!(client.get("/uri-info?x=1").await.text(), "/uri-info?x=1");
}

#[tokio::test]
async fn extractor_rejections_are_client_errors() {
    let client = TestClient::new(app());
    let res = client
        .post("/books")
        .header("content-type", "application/json")
        .body("{not json")
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = client
        .post("/books")
        .json(&serde_json::json!({ "name": "x" }))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text().contains("missing field `title`"),
        "{}",
        res.text()
    );
    let res = client.post("/books").body("{}").await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A nested array where a struct is expected is a data error.
    let res = client
        .post("/books")
        .header("content-type", "application/json")
        .body("[[[]]]")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Depth bomb: serde_json's recursion limit answers 400, no stack overflow.
    let bomb = "[".repeat(100_000) + &"]".repeat(100_000);
    let res = client
        .post("/any-json")
        .header("content-type", "application/json")
        .body(bomb)
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(client.post("/any-json").json(&[1, 2]).await.text(), "[1,2]");
}

#[tokio::test]
async fn several_methods_on_one_route() {
    let client = TestClient::new(app());
    assert_eq!(client.get("/echo").await.text(), "GET ");
    assert_eq!(client.post("/echo").body("hi").await.text(), "POST hi");
    assert_eq!(client.put("/thing").await.text(), "put");
    assert_eq!(client.patch("/thing").await.text(), "patch");
    assert_eq!(
        client.delete("/thing").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(client.options("/thing").await.text(), "options");
}

#[tokio::test]
async fn get_also_answers_head_without_a_body() {
    let client = TestClient::new(app());
    let res = client.head("/hello/Kay").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "");
    assert_eq!(res.header("content-length"), Some("11"));
    // An explicit HEAD handler wins over the GET one.
    let res = client.head("/explicit-head").await;
    assert_eq!(res.header("x-head"), Some("explicit"));
    assert_eq!(client.get("/explicit-head").await.text(), "body of get");
}

#[tokio::test]
async fn wrong_method_is_405_with_exactly_the_allowed_methods() {
    let client = TestClient::new(app());
    let res = client.post("/hello/x").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET,HEAD"));
    assert_eq!(res.text(), "Method Not Allowed");
    // Separate attributes on one path.
    let res = client.post("/thing").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("PUT,PATCH,DELETE,OPTIONS"));
    // `#[route(methods = [..])]`.
    let res = client.delete("/echo").await;
    assert_eq!(res.header("allow"), Some("GET,HEAD,POST"));
    // An unknown path is still a 404, whatever the method.
    assert_eq!(
        client.post("/nowhere").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn reverse_routes_fill_and_encode_parameters() {
    assert_eq!(index::uri(), "/");
    assert_eq!(book::uri(5), "/book/5");
    assert_eq!(hello::uri("a b"), "/hello/a%20b");
    assert_eq!(hello::uri(String::from("x/y?z")), "/hello/x%2Fy%3Fz");
    assert_eq!(file::uri("dir/a b.txt"), "/files/dir/a%20b.txt");
    assert_eq!(post_of::uri(7u64, "héllo"), "/user/7/posts/h%C3%A9llo");
    assert_eq!(page::uri(3u32), "/page/3");
}

#[tokio::test]
async fn reverse_routes_round_trip() {
    let client = TestClient::new(app());
    for name in ["a b", "x/y", "100%", "été", "?&="] {
        let res = client.get(&hello::uri(name)).await;
        assert_eq!(res.text(), format!("Hello, {name}!"), "{name}");
    }
    assert_eq!(client.get(&file::uri("a/b c/d")).await.text(), "a/b c/d");
}

#[tokio::test]
async fn mounting_under_a_prefix() {
    let client = TestClient::new(
        App::new()
            .mount("/", routes![index])
            .mount("/api", routes![index, hello]),
    );
    assert_eq!(client.get("/").await.text(), "Hello, World!");
    assert_eq!(client.get("/api").await.text(), "Hello, World!");
    assert_eq!(client.get("/api/hello/x").await.text(), "Hello, x!");
    assert_eq!(client.get("/hello/x").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn handlers_can_be_called_directly() {
    assert_eq!(hello("Kay".into()).await, "Hello, Kay!");
}
