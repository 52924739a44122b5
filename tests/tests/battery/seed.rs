//! The seed app of the battery: the book catalog (`/book/<id>` reads a `Book` row and
//! renders it through a `#[page]` template), plus the probes the cases need: a canary,
//! an echo, a raw-`Body` upload, panics in a handler, a middleware and a template, a
//! database error, redirects, and a 404 catcher that says it answered.
//! (No static files: S1 and S7 each add their own.)

use std::fmt;

use kiln::prelude::*;
use serde::Deserialize;

/// The catalog's book.
#[derive(Table, Debug, Clone, PartialEq)]
pub(crate) struct Book {
    pub(crate) id: Id<Book>,
    pub(crate) title: String,
}

/// A table never created: querying it is a database error (a 500).
#[derive(Table, Debug, Clone, PartialEq)]
pub(crate) struct Missing {
    pub(crate) id: Id<Missing>,
    pub(crate) secret_column: String,
}

/// What `POST /books` takes.
#[derive(Deserialize)]
pub(crate) struct NewBook {
    title: String,
}

/// The body of the 404 catcher.
pub(crate) const NOT_FOUND_BODY: &str = "catcher-404: no such page";

/// Words a panic message, a database error or a template error would carry; no client
/// may see them.
pub(crate) const SECRETS: &[&str] = &[
    "SECRET-PANIC",
    "SECRET-MIDDLEWARE",
    "SECRET-RENDER",
    "secret_column",
    "panicked",
    "/work",
    ".rs:",
    "src/",
    "sqlx",
    "askama",
    "SELECT",
    "no such table",
    "backtrace",
    "kiln::",
];

#[page("battery_book.html")]
struct BookPage {
    title: String,
}

#[page("battery_list.html")]
struct ListPage {
    books: Vec<Book>,
}

#[page("battery_edit.html")]
struct EditPage {
    title: String,
}

/// A value whose `Display` panics: rendering it panics inside the template.
struct Explodes;

impl fmt::Display for Explodes {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("SECRET-RENDER: the template blew up")
    }
}

#[page("battery_explode.html")]
struct ExplodePage {
    value: Explodes,
}

#[get("/health")]
async fn health() -> &'static str {
    "ok"
}

#[get("/canary")]
async fn canary() -> &'static str {
    "canary"
}

#[get("/book/<id>")]
async fn book(id: i64, db: Db) -> Result<BookPage> {
    let book = db.find::<Book>(id).await?;
    Ok(BookPage { title: book.title })
}

#[get("/book/<id>/edit")]
async fn edit_book(id: i64, db: Db) -> Result<EditPage> {
    let book = db.find::<Book>(id).await?;
    Ok(EditPage { title: book.title })
}

#[get("/books")]
async fn list_books(db: Db) -> Result<ListPage> {
    Ok(ListPage {
        books: db.all::<Book>().await?,
    })
}

#[post("/books")]
async fn create_book(db: Db, Json(input): Json<NewBook>) -> Result<(StatusCode, Json<i64>)> {
    let mut book = Book {
        id: Id::new(),
        title: input.title,
    };
    db.save(&mut book).await?;
    Ok((StatusCode::CREATED, Json(book.id.get().unwrap_or_default())))
}

#[post("/books/form", csrf = false)]
async fn create_book_form(Form(input): Form<NewBook>) -> (StatusCode, String) {
    (StatusCode::CREATED, format!("form:{}", input.title.len()))
}

#[post("/echo", csrf = false)]
async fn echo(body: String) -> String {
    format!("echo:{body}")
}

/// Reads the raw body stream frame by frame, as an upload handler would.
#[post("/upload", csrf = false)]
async fn upload(body: kiln::axum::body::Body) -> Result<String> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            total += data.len();
        }
    }
    Ok(format!("{total} bytes"))
}

/// Any JSON value: the bombs meet serde_json's own parser here.
#[post("/api/echo", csrf = false)]
async fn json_echo(Json(value): Json<serde_json::Value>) -> String {
    match value {
        serde_json::Value::Array(a) => format!("array of {}", a.len()),
        serde_json::Value::Object(o) => format!("object of {}", o.len()),
        other => format!("scalar {other}"),
    }
}

#[get("/shelf/<n>")]
async fn shelf(n: u64) -> String {
    format!("shelf {n}")
}

#[get("/author/<name>")]
async fn author(name: String) -> String {
    format!("author {name}")
}

#[get("/search?<q>")]
async fn search(q: String) -> String {
    format!("q={q}")
}

#[get("/boom")]
async fn boom() -> &'static str {
    panic!("SECRET-PANIC: the handler blew up at /work/secret.rs:1")
}

#[get("/render-boom")]
async fn render_boom() -> ExplodePage {
    ExplodePage { value: Explodes }
}

#[get("/db-error")]
async fn db_error(db: Db) -> Result<String> {
    let rows = db.all::<Missing>().await?;
    Ok(format!("{} rows", rows.len()))
}

#[get("/go?<to>")]
async fn go(to: String) -> Redirect {
    Redirect::to(to)
}

#[get("/next?<next>")]
async fn next_page(next: Option<String>) -> Redirect {
    Redirect::to_next(next.as_deref())
}

/// Panics for `/mw-boom`, before any route.
#[middleware]
async fn panicky(req: Request, next: Next) -> Response {
    if req.uri().path() == "/mw-boom" {
        panic!("SECRET-MIDDLEWARE: the middleware blew up");
    }
    next.run(req).await
}

#[catch(404)]
async fn not_found() -> &'static str {
    NOT_FOUND_BODY
}

/// A fresh in-memory catalog holding book 1, "Dune".
pub(crate) async fn db() -> Database {
    let db = Database::connect("sqlite::memory:")
        .await
        .expect("sqlite::memory:");
    populate(&db).await;
    db
}

/// Creates the `book` table on `db` and saves book 1, "Dune".
pub(crate) async fn populate(db: &Database) {
    db.create::<Book>().await.expect("create book");
    let mut dune = Book {
        id: Id::new(),
        title: "Dune".into(),
    };
    db.save(&mut dune).await.expect("save book 1");
}

/// `tests/static`, for the cases that serve it.
pub(crate) const STATIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static");

/// The seed app on `db`.
pub(crate) fn app(db: Database) -> App {
    App::new()
        .mount(
            "/",
            routes![
                health,
                canary,
                book,
                edit_book,
                list_books,
                create_book,
                create_book_form,
                echo,
                upload,
                json_echo,
                shelf,
                author,
                search,
                boom,
                render_boom,
                db_error,
                go,
                next_page
            ],
        )
        .catch(catchers![not_found])
        .wrap(panicky)
        .secret_key([42u8; 32])
        .database(db)
}
