//! The TechEmpower test types in hand-written axum, the way its users write it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use common::{HELLO, Message};
use serde::Deserialize;
use sqlx::SqlitePool;
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(Deserialize)]
struct Count {
    q: Option<String>,
}

fn internal(e: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

async fn plaintext() -> &'static str {
    HELLO
}

async fn json() -> Json<Message> {
    Json(Message { message: HELLO })
}

async fn db(State(pool): State<SqlitePool>) -> Result<Json<common::World>, Response> {
    common::world(&pool, common::random_id())
        .await
        .map(Json)
        .map_err(internal)
}

async fn queries(
    State(pool): State<SqlitePool>,
    Query(c): Query<Count>,
) -> Result<Json<Vec<common::World>>, Response> {
    let n = common::query_count(c.q.as_deref());
    common::worlds(&pool, n).await.map(Json).map_err(internal)
}

async fn updates(
    State(pool): State<SqlitePool>,
    Query(c): Query<Count>,
) -> Result<Json<Vec<common::World>>, Response> {
    let n = common::query_count(c.q.as_deref());
    common::updates(&pool, n).await.map(Json).map_err(internal)
}

async fn fortunes(State(pool): State<SqlitePool>) -> Result<Html<String>, Response> {
    let rows = common::fortunes(&pool).await.map_err(internal)?;
    let rows = common::with_extra(rows);
    common::Fortunes { fortunes: &rows }
        .render()
        .map(Html)
        .map_err(internal)
}

async fn book(Path(id): Path<i64>) -> Json<common::Book> {
    Json(common::book(id))
}

fn main() {
    common::runtime().block_on(async {
        let pool = common::pool().await;
        let app = Router::new()
            .route("/plaintext", get(plaintext))
            .route("/json", get(json))
            .route("/db", get(db))
            .route("/queries", get(queries))
            .route("/updates", get(updates))
            .route("/fortunes", get(fortunes))
            .route("/book/{id}", get(book))
            .layer(SetResponseHeaderLayer::overriding(
                header::SERVER,
                HeaderValue::from_static("axum"),
            ))
            .with_state(pool);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", common::port()))
            .await
            .expect("bind");
        axum::serve(listener, app).await.expect("serve");
    });
}
