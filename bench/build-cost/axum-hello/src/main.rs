//! examples/hello, written by hand in axum: the baseline of scripts/build-cost.sh.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;

#[derive(Template)]
#[template(path = "index.html")]
struct Index {
    links: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "greet.html")]
struct Greet {
    name: String,
}

fn page(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn index() -> Response {
    page(Index {
        links: vec![
            ("a greeting", "/greet/Kay".to_string()),
            ("some arithmetic", "/add/2/3".to_string()),
            ("plain text", "/hello/Kay".to_string()),
        ],
    })
}

async fn greet(Path(name): Path<String>) -> Response {
    page(Greet { name })
}

async fn hello(Path(name): Path<String>) -> String {
    format!("Hello, {name}!")
}

async fn add(Path((a, b)): Path<(String, String)>) -> Response {
    let (Ok(a), Ok(b)) = (a.parse::<i64>(), b.parse::<i64>()) else {
        return not_found_page("/add").into_response();
    };
    match a.checked_add(b) {
        Some(sum) => axum::Json(serde_json::json!({ "a": a, "b": b, "sum": sum })).into_response(),
        None => (StatusCode::BAD_REQUEST, "the sum does not fit in 64 bits").into_response(),
    }
}

fn not_found_page(path: &str) -> (StatusCode, Html<String>) {
    (
        StatusCode::NOT_FOUND,
        Html(format!("<h1>Nothing at {path}</h1>\n<p><a href=\"/\">Home</a></p>\n")),
    )
}

async fn not_found(uri: Uri) -> impl IntoResponse {
    not_found_page(uri.path())
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().init();
    let app = Router::new()
        .route("/", get(index))
        .route("/greet/{name}", get(greet))
        .route("/hello/{name}", get(hello))
        .route("/add/{a}/{b}", get(add))
        .nest_service("/static", ServeDir::new("static"))
        .fallback(not_found);
    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
