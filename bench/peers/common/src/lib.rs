//! What the hand-written peer apps share, so that they differ only in the framework:
//! the rows and their JSON, the fortunes template, the pool (the settings kiln's own
//! pool uses on SQLite, with `test_before_acquire(false)` as hand-written apps and
//! TechEmpower's sqlx entries have it), the runtime, and the query-count rule.

use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// The `/plaintext` body.
pub const HELLO: &str = "Hello, World!";

/// The `/json` body.
#[derive(Serialize)]
pub struct Message {
    /// Always "Hello, World!".
    pub message: &'static str,
}

/// A row of `world`.
#[derive(Serialize, sqlx::FromRow, Clone, Copy)]
pub struct World {
    /// 1 to 10,000.
    pub id: i64,
    /// 1 to 10,000.
    #[serde(rename = "randomNumber")]
    pub randomnumber: i64,
}

/// A row of `fortune`.
#[derive(sqlx::FromRow)]
pub struct Fortune {
    /// Its id.
    pub id: i64,
    /// Its text (escaped when rendered).
    pub message: String,
}

/// The fortunes page.
#[derive(askama::Template)]
#[template(path = "fortunes.html")]
pub struct Fortunes<'a> {
    /// Sorted by message.
    pub fortunes: &'a [Fortune],
}

/// `/book/<id>`'s answer: a typed path parameter back as JSON.
#[derive(Serialize)]
pub struct Book {
    /// The id asked for.
    pub id: i64,
    /// A title.
    pub title: &'static str,
    /// Always true.
    pub published: bool,
}

/// The book `id`.
pub fn book(id: i64) -> Book {
    Book {
        id,
        title: "Building an ORM",
        published: true,
    }
}

/// A random `world` id.
pub fn random_id() -> i64 {
    fastrand::i64(1..=10_000)
}

/// TechEmpower's rule for `?q=`: a number clamped to 1..=500, 1 when missing or bad.
pub fn query_count(q: Option<&str>) -> usize {
    q.and_then(|q| q.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 500)
}

/// Adds the request-time fortune and sorts by message.
pub fn with_extra(mut fortunes: Vec<Fortune>) -> Vec<Fortune> {
    fortunes.push(Fortune {
        id: 0,
        message: "Additional fortune added at request time.".to_string(),
    });
    fortunes.sort_by(|a, b| a.message.cmp(&b.message));
    fortunes
}

/// The database file (`$DATABASE`, default `bench/peers/world.db`).
pub fn database() -> String {
    std::env::var("DATABASE")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../world.db").to_string())
}

/// The port (`$PORT`, default 8080); every app listens on 127.0.0.1.
pub fn port() -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080)
}

/// How many runtime worker threads (`$WORKERS`, default 1).
pub fn workers() -> usize {
    std::env::var("WORKERS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
}

/// The pool size every app uses.
pub const POOL: u32 = 4;

/// The pool: 4 connections, WAL, `synchronous=NORMAL`, foreign keys on, a 5 s busy
/// and acquire timeout, no ping before each acquire.
pub async fn pool() -> SqlitePool {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", database()))
        .expect("a SQLite URL")
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    SqlitePoolOptions::new()
        .max_connections(POOL)
        .min_connections(POOL)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .expect("open the benchmark database (scripts/bench.sh makes it)")
}

/// One `world` row.
pub async fn world(pool: &SqlitePool, id: i64) -> Result<World, sqlx::Error> {
    sqlx::query_as::<_, World>("SELECT id, randomnumber FROM world WHERE id = ?")
        .bind(id)
        .fetch_one(pool)
        .await
}

/// `count` random rows, one query each.
pub async fn worlds(pool: &SqlitePool, count: usize) -> Result<Vec<World>, sqlx::Error> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(world(pool, random_id()).await?);
    }
    Ok(out)
}

/// `count` random rows given new random numbers, written in one IMMEDIATE transaction
/// (as kiln's transactions are on SQLite).
pub async fn updates(pool: &SqlitePool, count: usize) -> Result<Vec<World>, sqlx::Error> {
    let mut rows = worlds(pool, count).await?;
    for row in &mut rows {
        row.randomnumber = random_id();
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    for row in &rows {
        sqlx::query("UPDATE world SET randomnumber = ? WHERE id = ?")
            .bind(row.randomnumber)
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows)
}

/// Every fortune.
pub async fn fortunes(pool: &SqlitePool) -> Result<Vec<Fortune>, sqlx::Error> {
    sqlx::query_as::<_, Fortune>("SELECT id, message FROM fortune")
        .fetch_all(pool)
        .await
}

/// A multi-threaded tokio runtime with [`workers`] threads.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers())
        .enable_all()
        .build()
        .expect("a runtime")
}
