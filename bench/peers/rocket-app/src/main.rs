//! The TechEmpower test types in Rocket 0.5, the way its users write it.

use askama::Template;
use common::{HELLO, Message};
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::serde::json::Json;
use rocket::{State, get, routes};
use sqlx::SqlitePool;

fn internal(e: impl std::fmt::Display) -> Status {
    eprintln!("{e}");
    Status::InternalServerError
}

#[get("/plaintext")]
fn plaintext() -> &'static str {
    HELLO
}

#[get("/json")]
fn json() -> Json<Message> {
    Json(Message { message: HELLO })
}

#[get("/db")]
async fn db(pool: &State<SqlitePool>) -> Result<Json<common::World>, Status> {
    common::world(pool, common::random_id())
        .await
        .map(Json)
        .map_err(internal)
}

#[get("/queries?<q>")]
async fn queries(
    pool: &State<SqlitePool>,
    q: Option<&str>,
) -> Result<Json<Vec<common::World>>, Status> {
    common::worlds(pool, common::query_count(q))
        .await
        .map(Json)
        .map_err(internal)
}

#[get("/updates?<q>")]
async fn updates(
    pool: &State<SqlitePool>,
    q: Option<&str>,
) -> Result<Json<Vec<common::World>>, Status> {
    common::updates(pool, common::query_count(q))
        .await
        .map(Json)
        .map_err(internal)
}

#[get("/fortunes")]
async fn fortunes(pool: &State<SqlitePool>) -> Result<RawHtml<String>, Status> {
    let rows = common::fortunes(pool).await.map_err(internal)?;
    let rows = common::with_extra(rows);
    common::Fortunes { fortunes: &rows }
        .render()
        .map(RawHtml)
        .map_err(internal)
}

#[get("/book/<id>")]
fn book(id: i64) -> Json<common::Book> {
    Json(common::book(id))
}

fn main() {
    let config = rocket::Config {
        address: std::net::Ipv4Addr::LOCALHOST.into(),
        port: common::port(),
        workers: common::workers(),
        log_level: rocket::config::LogLevel::Off,
        ..rocket::Config::release_default()
    };
    // Rocket's own runtime, with `workers` threads, as `#[launch]` builds it.
    rocket::execute(async move {
        let pool = common::pool().await;
        rocket::custom(config)
            .manage(pool)
            .mount(
                "/",
                routes![plaintext, json, db, queries, updates, fortunes, book],
            )
            .launch()
            .await
            .map(|_| ())
    })
    .expect("serve");
}
