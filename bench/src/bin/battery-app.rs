//! The seed app of the reliability battery (`scripts/battery.sh`, the long cases of
//! BATTERY.md): a small book catalogue on kiln and SQLite, with the routes the load and
//! fault cases drive.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /book/<id>` | an ORM read and an askama `#[page]` render |
//! | `POST /books` | a JSON book with a unique `isbn`, inserted in an IMMEDIATE transaction: 201 |
//! | `POST /books-deferred` | the same through a plain (DEFERRED) `BEGIN`, read then write: the L3 canary |
//! | `POST /orders` | one parent row and 5 children in one transaction: 201 `{"id":N}` (F6) |
//! | `GET /slow?ms=N` | sleeps N ms (default 100) |
//! | `GET /forever` | never answers |
//! | `GET /health` | pings the database: 200, or 503 when it can't be reached |
//! | `GET /boom` | panics |
//!
//! Configured from the environment (every setting optional; unset means kiln's default):
//!
//! - `HOST`, `PORT`: where to listen (`App::run`; default `127.0.0.1:8000`).
//! - `DATABASE_URL`: the SQLite file (default `sqlite://battery.db`).
//! - `KILN_CONCURRENCY`: `App::concurrency_limit`.
//! - `KILN_MAX_CONNECTIONS`: `App::max_connections`.
//! - `KILN_REQUEST_TIMEOUT_MS`, `KILN_BODY_IDLE_TIMEOUT_MS`, `KILN_HEADER_READ_TIMEOUT_MS`,
//!   `KILN_SHUTDOWN_GRACE_MS`: the server's timeouts and the shutdown grace.
//! - `KILN_DB_MAX_CONNECTIONS`, `KILN_DB_ACQUIRE_TIMEOUT_MS`, `KILN_DB_BUSY_TIMEOUT_MS`:
//!   the pool (`DatabaseBuilder`); `KILN_DB_SYNCHRONOUS_FULL=1` for `synchronous=FULL`.
//! - `RUST_LOG`: the log filter (the battery runs with `warn`).

use std::time::Duration;

use kiln::prelude::*;
use serde::{Deserialize, Serialize};

/// A book in the catalogue.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Book {
    /// The key.
    pub id: Id<Book>,
    /// The title.
    pub title: String,
    /// The ISBN, one book each.
    #[column(unique)]
    pub isbn: String,
}

/// An order: the parent row of F6's transactions.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Purchase {
    /// The key.
    pub id: Id<Purchase>,
    /// The client's label for it.
    pub label: String,
}

/// One of an order's 5 lines.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct PurchaseLine {
    /// The key.
    pub id: Id<PurchaseLine>,
    /// The order it belongs to.
    #[column(index)]
    pub purchase: ForeignKey<Purchase>,
    /// Its position, 1 to 5.
    pub n: i64,
}

/// One book, as a page.
#[page("battery/book.html")]
struct BookPage {
    book: Book,
}

/// What a client sends to add a book.
#[derive(Deserialize, Debug)]
struct NewBook {
    title: String,
    isbn: String,
}

/// What `POST /books` answers.
#[derive(Serialize, Debug)]
struct Created {
    id: i64,
    isbn: String,
}

/// What a client sends to place an order.
#[derive(Deserialize, Debug)]
struct NewOrder {
    #[serde(default)]
    label: String,
}

/// What `POST /orders` answers.
#[derive(Serialize, Debug)]
struct OrderCreated {
    id: i64,
}

#[get("/book/<id>")]
async fn book(id: Id<Book>, db: Db) -> Result<BookPage> {
    Ok(BookPage {
        book: db.find::<Book>(id).await?,
    })
}

#[post("/books")]
async fn add_book(db: Db, Json(new): Json<NewBook>) -> Result<(StatusCode, Json<Created>)> {
    // `Database::transaction` starts with BEGIN IMMEDIATE.
    let book = db
        .transaction(|tx| async move {
            let mut book = Book {
                id: Id::new(),
                title: new.title,
                isbn: new.isbn,
            };
            tx.save(&mut book).await?;
            Ok(book)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: book.id.get().unwrap_or_default(),
            isbn: book.isbn,
        }),
    ))
}

/// The L3 canary: read then write in a DEFERRED transaction (sqlx's plain `BEGIN`), the
/// pattern `BEGIN IMMEDIATE` exists to avoid. Busy errors answer 503, as kiln maps them.
#[post("/books-deferred")]
async fn add_book_deferred(
    db: Db,
    Json(new): Json<NewBook>,
) -> Result<(StatusCode, Json<Created>)> {
    let pool = db
        .sqlite_pool()
        .ok_or_else(|| Error::internal("the battery app runs on SQLite"))?;
    let mut tx = pool.begin().await?;
    let (taken,): (i64,) = kiln::sqlx::query_as("SELECT count(*) FROM \"book\" WHERE isbn = ?")
        .bind(&new.isbn)
        .fetch_one(&mut *tx)
        .await?;
    if taken > 0 {
        return Err(Error::status(StatusCode::CONFLICT, "isbn taken"));
    }
    let id = kiln::sqlx::query("INSERT INTO \"book\" (title, isbn) VALUES (?, ?)")
        .bind(&new.title)
        .bind(&new.isbn)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(Created { id, isbn: new.isbn })))
}

#[post("/orders")]
async fn add_order(db: Db, Json(new): Json<NewOrder>) -> Result<(StatusCode, Json<OrderCreated>)> {
    let id = db
        .transaction(|tx| async move {
            let mut order = Purchase {
                id: Id::new(),
                label: new.label,
            };
            tx.save(&mut order).await?;
            for n in 1..=5 {
                let mut line = PurchaseLine {
                    id: Id::new(),
                    purchase: ForeignKey::to(&order),
                    n,
                };
                tx.save(&mut line).await?;
            }
            Ok(order.id.get().unwrap_or_default())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(OrderCreated { id })))
}

#[get("/slow?<ms>")]
async fn slow(ms: Option<u64>) -> &'static str {
    tokio::time::sleep(Duration::from_millis(ms.unwrap_or(100).min(60_000))).await;
    "slept"
}

#[get("/forever")]
async fn forever() -> &'static str {
    std::future::pending().await
}

/// Liveness and the database: `ok`, or 503 when the database can't be reached.
#[get("/health")]
async fn health(db: Db) -> Result<&'static str> {
    db.ping().await?;
    Ok("ok")
}

#[get("/boom")]
async fn boom() -> &'static str {
    panic!("boom: the battery's panicking handler")
}

/// Creates the tables, and book 1 the first time.
async fn setup(db: &Database) -> Result<()> {
    db.create::<Book>().await?;
    db.create::<Purchase>().await?;
    db.create::<PurchaseLine>().await?;
    if db.get::<Book>(1).await?.is_none() {
        let mut book = Book {
            id: Id::new(),
            title: "Building an ORM".into(),
            isbn: "978-0-00-000001-1".into(),
        };
        db.save(&mut book).await?;
    }
    Ok(())
}

/// `$name` as a number, if set; a malformed value stops the program.
fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok().filter(|v| !v.trim().is_empty())?;
    match value.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            eprintln!("battery-app: ${name} must be a whole number, not `{value}`");
            std::process::exit(2);
        }
    }
}

fn env_ms(name: &str) -> Option<Duration> {
    env_u64(name).map(Duration::from_millis)
}

#[tokio::main]
async fn main() -> kiln::Result<()> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://battery.db".into());
    let mut builder = Database::builder(url);
    if let Some(n) = env_u64("KILN_DB_MAX_CONNECTIONS") {
        builder = builder.max_connections(n as u32);
    }
    if let Some(d) = env_ms("KILN_DB_ACQUIRE_TIMEOUT_MS") {
        builder = builder.acquire_timeout(d);
    }
    if let Some(d) = env_ms("KILN_DB_BUSY_TIMEOUT_MS") {
        builder = builder.busy_timeout(d);
    }
    if env_u64("KILN_DB_SYNCHRONOUS_FULL") == Some(1) {
        builder = builder.synchronous_full();
    }
    let db = builder.connect().await?;
    setup(&db).await?;

    let mut app = App::new()
        .mount(
            "/",
            routes![
                book,
                add_book,
                add_book_deferred,
                add_order,
                slow,
                forever,
                health,
                boom
            ],
        )
        .database(db);
    if let Some(n) = env_u64("KILN_CONCURRENCY") {
        // The health check is answered even while everything else is shed.
        app = app
            .concurrency_limit(n as usize)
            .concurrency_exempt(["/health"]);
    }
    if let Some(n) = env_u64("KILN_MAX_CONNECTIONS") {
        app = app.max_connections(n as usize);
    }
    if let Some(d) = env_ms("KILN_REQUEST_TIMEOUT_MS") {
        app = app.request_timeout(d);
    }
    if let Some(d) = env_ms("KILN_BODY_IDLE_TIMEOUT_MS") {
        app = app.body_idle_timeout(d);
    }
    if let Some(d) = env_ms("KILN_HEADER_READ_TIMEOUT_MS") {
        app = app.header_read_timeout(d);
    }
    if let Some(d) = env_ms("KILN_SHUTDOWN_GRACE_MS") {
        app = app.shutdown_grace(d);
    }
    app.run().await
}
