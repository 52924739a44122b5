//! The TechEmpower test types in actix-web 4, the way its users write it.

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpResponse, HttpServer, Responder, get, web};
use askama::Template;
use common::{HELLO, Message};
use serde::Deserialize;
use sqlx::SqlitePool;

#[derive(Deserialize)]
struct Count {
    q: Option<String>,
}

fn internal(e: impl std::fmt::Display) -> actix_web::Error {
    actix_web::error::ErrorInternalServerError(e.to_string())
}

#[get("/plaintext")]
async fn plaintext() -> impl Responder {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(HELLO)
}

#[get("/json")]
async fn json() -> impl Responder {
    web::Json(Message { message: HELLO })
}

#[get("/db")]
async fn db(pool: web::Data<SqlitePool>) -> actix_web::Result<web::Json<common::World>> {
    common::world(&pool, common::random_id())
        .await
        .map(web::Json)
        .map_err(internal)
}

#[get("/queries")]
async fn queries(
    pool: web::Data<SqlitePool>,
    c: web::Query<Count>,
) -> actix_web::Result<web::Json<Vec<common::World>>> {
    let n = common::query_count(c.q.as_deref());
    common::worlds(&pool, n)
        .await
        .map(web::Json)
        .map_err(internal)
}

#[get("/updates")]
async fn updates(
    pool: web::Data<SqlitePool>,
    c: web::Query<Count>,
) -> actix_web::Result<web::Json<Vec<common::World>>> {
    let n = common::query_count(c.q.as_deref());
    common::updates(&pool, n)
        .await
        .map(web::Json)
        .map_err(internal)
}

#[get("/fortunes")]
async fn fortunes(pool: web::Data<SqlitePool>) -> actix_web::Result<HttpResponse> {
    let rows = common::fortunes(&pool).await.map_err(internal)?;
    let rows = common::with_extra(rows);
    let body = common::Fortunes { fortunes: &rows }
        .render()
        .map_err(internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[get("/book/{id}")]
async fn book(id: web::Path<i64>) -> impl Responder {
    web::Json(common::book(id.into_inner()))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let pool = common::pool().await;
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(pool.clone()))
            .wrap(DefaultHeaders::new().add((header::SERVER, "actix")))
            .service(plaintext)
            .service(json)
            .service(db)
            .service(queries)
            .service(updates)
            .service(fortunes)
            .service(book)
    })
    .workers(common::workers())
    .bind(("127.0.0.1", common::port()))?
    .run()
    .await
}
