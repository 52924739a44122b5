//! A book catalogue on kiln: an ORM model with a foreign key, HTML pages with a
//! layout, a form, a JSON API with search and sorting, and error pages. It runs on the
//! embedded SQLite by default:
//!
//! ```text
//! cargo run -p bookstore                                   # sqlite://bookstore.db, port 8000
//! DATABASE_URL=postgres://localhost/books cargo run -p bookstore
//! ```

use kiln::axum::http::header::LOCATION;
use kiln::orm::Order;
use kiln::prelude::*;
use serde::{Deserialize, Serialize};

/// Who wrote a book.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Author {
    /// The key.
    pub id: Id<Author>,
    /// The name, one row per author.
    #[column(unique)]
    pub name: String,
}

/// A book in the catalogue.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Book {
    /// The key.
    pub id: Id<Book>,
    /// The title.
    #[column(index)]
    pub title: String,
    /// The ISBN, one book each.
    #[column(unique)]
    pub isbn: String,
    /// Whether it is out yet.
    pub published: bool,
    /// Who wrote it; loaded with the book, in the same query.
    pub author: ForeignKey<Author>,
}

/// A book as the JSON API shows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct BookJson {
    /// The key.
    pub id: i64,
    /// The title.
    pub title: String,
    /// The ISBN.
    pub isbn: String,
    /// Whether it is out yet.
    pub published: bool,
    /// The author's name.
    pub author: String,
}

impl From<&Book> for BookJson {
    fn from(book: &Book) -> BookJson {
        BookJson {
            id: book.id.get().unwrap_or_default(),
            title: book.title.clone(),
            isbn: book.isbn.clone(),
            published: book.published,
            author: book
                .author
                .get()
                .map(|a| a.name.clone())
                .unwrap_or_default(),
        }
    }
}

/// What a client sends to add a book, as JSON or as a form.
#[derive(Deserialize, Serialize, Debug, Clone)]
pub struct NewBook {
    /// The title.
    pub title: String,
    /// The ISBN.
    pub isbn: String,
    /// The author's name; a new author is added if needed.
    pub author: String,
    /// Whether it is out yet (default no).
    #[serde(default)]
    pub published: bool,
}

impl NewBook {
    /// Trims the fields and checks them: a clear 400 for what's wrong.
    fn validated(self) -> Result<NewBook> {
        let field = |name: &str, value: String, max: usize| -> Result<String> {
            let value = value.trim().to_string();
            if value.is_empty() {
                return Err(Error::bad_request(format!("`{name}` must not be empty")));
            }
            if value.chars().count() > max || value.chars().any(char::is_control) {
                return Err(Error::bad_request(format!(
                    "`{name}` must be at most {max} characters of text"
                )));
            }
            Ok(value)
        };
        Ok(NewBook {
            title: field("title", self.title, 200)?,
            isbn: field("isbn", self.isbn, 32)?,
            author: field("author", self.author, 100)?,
            published: self.published,
        })
    }
}

/// Adds a book (and its author, if new) in one transaction.
async fn add_book(db: &Database, new: NewBook) -> Result<Book> {
    let new = new.validated()?;
    db.transaction(|tx| async move {
        let author = match tx
            .select::<Author>()
            .filter(Author::NAME.eq(&new.author))
            .first()
            .await?
        {
            Some(author) => author,
            None => {
                let mut author = Author {
                    id: Id::new(),
                    name: new.author.clone(),
                };
                tx.save(&mut author).await?;
                author
            }
        };
        let mut book = Book {
            id: Id::new(),
            title: new.title,
            isbn: new.isbn,
            published: new.published,
            author: ForeignKey::to(&author),
        };
        tx.save(&mut book).await?;
        Ok(Book {
            author: ForeignKey::loaded(author),
            ..book
        })
    })
    .await
}

/// The home page: every book, or those whose title contains the search.
#[page("books.html")]
struct BooksPage {
    books: Vec<Book>,
    q: String,
    /// The "Add a book" form's CSRF token: `{{ csrf }}` writes its hidden input.
    csrf: CsrfToken,
}

/// One book.
#[page("book.html")]
struct BookPage {
    book: Book,
}

/// An error, as a page.
#[page("error.html")]
struct ErrorPage {
    status: String,
    message: &'static str,
}

#[get("/?<q>")]
async fn index(db: Db, q: Option<String>, csrf: CsrfToken) -> Result<BooksPage> {
    let q = q.unwrap_or_default();
    let mut select = db.select::<Book>().order_by(Book::TITLE.asc());
    if !q.is_empty() {
        select = select.filter(Book::TITLE.contains(&q));
    }
    Ok(BooksPage {
        books: select.all().await?,
        q,
        csrf,
    })
}

#[get("/book/<id>")]
async fn book(id: Id<Book>, db: Db) -> Result<BookPage> {
    Ok(BookPage {
        book: db.find::<Book>(id).await?,
    })
}

#[post("/books")]
async fn add(db: Db, Form(new): Form<NewBook>) -> Result<Redirect> {
    let book = add_book(&db, new).await?;
    Ok(Redirect::to(book::uri(book.id)))
}

#[get("/api/books?<q>&<sort>&<limit>")]
async fn api_list(
    db: Db,
    q: Option<String>,
    sort: Option<String>,
    limit: Option<u64>,
) -> Result<Json<Vec<BookJson>>> {
    // Only exact column names sort (`title`, `-title`): user text never reaches SQL.
    let order = match sort.as_deref() {
        None | Some("") => Book::ID.asc(),
        Some(spec) => Order::parse(spec).ok_or_else(|| {
            Error::bad_request("`sort` must name a column, like `title` or `-title`")
        })?,
    };
    let mut select = db
        .select::<Book>()
        .order_by(order)
        .limit(limit.unwrap_or(50).min(500));
    if let Some(q) = q.filter(|q| !q.is_empty()) {
        select = select.filter(Book::TITLE.contains(&q));
    }
    Ok(Json(
        select.all().await?.iter().map(BookJson::from).collect(),
    ))
}

#[get("/api/books/<id>")]
async fn api_get(id: Id<Book>, db: Db) -> Result<Json<BookJson>> {
    Ok(Json(BookJson::from(&db.find::<Book>(id).await?)))
}

#[post("/api/books")]
async fn api_create(
    db: Db,
    Json(new): Json<NewBook>,
) -> Result<(
    StatusCode,
    [(kiln::axum::http::HeaderName, String); 1],
    Json<BookJson>,
)> {
    let book = add_book(&db, new).await?;
    Ok((
        StatusCode::CREATED,
        [(LOCATION, api_get::uri(book.id))],
        Json(BookJson::from(&book)),
    ))
}

#[delete("/api/books/<id>")]
async fn api_delete(id: Id<Book>, db: Db) -> Result<StatusCode> {
    if db.delete::<Book>(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::not_found())
    }
}

/// Liveness and the database: `ok`, or 503 when the database can't be reached.
#[get("/health")]
async fn health(db: Db) -> Result<&'static str> {
    db.ping().await?;
    Ok("ok")
}

/// Errors under `/api/` as JSON, elsewhere as a page.
#[catch(default)]
async fn error_page(status: StatusCode, uri: Uri) -> Response {
    let message = match status {
        StatusCode::NOT_FOUND => "There is nothing here.",
        s if s.is_client_error() => "Something was wrong with that request.",
        _ => "Something went wrong on our side; please try again.",
    };
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    if uri.path().starts_with("/api/") {
        return (status, Json(serde_json::json!({ "error": title }))).into_response();
    }
    (
        status,
        ErrorPage {
            status: title,
            message,
        },
    )
        .into_response()
}

/// Creates the tables, and a few books the first time.
async fn setup(db: &Database) -> Result<()> {
    db.create::<Author>().await?;
    db.create::<Book>().await?;
    if db.select::<Book>().count().await? == 0 {
        for (title, isbn, author) in [
            ("Building an ORM", "978-0-00-000001-1", "Kay"),
            ("Web Frameworks from Scratch", "978-0-00-000002-8", "Kay"),
            ("Dune", "978-0-441-17271-9", "Frank Herbert"),
        ] {
            let new = NewBook {
                title: title.into(),
                isbn: isbn.into(),
                author: author.into(),
                published: true,
            };
            add_book(db, new).await?;
        }
    }
    Ok(())
}

/// Where the stylesheet lives: `$STATIC_DIR`, else `static/` next to this crate.
fn static_dir() -> String {
    std::env::var("STATIC_DIR").unwrap_or_else(|_| kiln::relative!("static").to_string())
}

/// The application on `db`.
fn app(db: Database) -> App {
    App::new()
        .mount(
            "/",
            routes![
                index, book, add, api_list, api_get, api_create, api_delete, health
            ],
        )
        .static_files("/static", static_dir())
        .catch(catchers![error_page])
        .database(db)
}

#[tokio::main]
async fn main() -> kiln::Result<()> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://bookstore.db".to_string());
    let db = Database::connect(&url).await?;
    setup(&db).await?;
    app(db).run().await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn client() -> (TestClient, Database) {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        setup(&db).await.unwrap();
        (TestClient::new(app(db.clone())), db)
    }

    #[tokio::test]
    async fn the_home_page_lists_books_with_their_authors_in_one_query() {
        let (client, db) = client().await;
        let before = db.statement_count();
        let res = client.get("/").await;
        assert_eq!(
            db.statement_count() - before,
            1,
            "one statement for the list and its authors"
        );
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text();
        assert!(
            html.contains(r#"<a href="/book/1">Building an ORM</a> by Kay"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="/book/3">Dune</a> by Frank Herbert"#),
            "{html}"
        );
        assert!(html.contains(r#"<link rel="stylesheet" href="/static/style.css">"#));
    }

    #[tokio::test]
    async fn search_treats_wildcards_as_text() {
        let (client, _db) = client().await;
        let html = client.get("/?q=ORM").await.text();
        assert!(
            html.contains("Building an ORM") && !html.contains("Dune"),
            "{html}"
        );
        let html = client.get("/?q=%25").await.text();
        assert!(html.contains("No books match “%”."), "{html}");
    }

    #[tokio::test]
    async fn a_book_page_and_missing_books() {
        let (client, _db) = client().await;
        let html = client.get(&book::uri(3)).await.text();
        assert!(
            html.contains("<h1>Dune</h1>") && html.contains("<dd>Frank Herbert</dd>"),
            "{html}"
        );
        for path in [
            "/book/99",
            "/book/abc",
            "/book/-1",
            "/book/1.5",
            "/book/99999999999999999999",
        ] {
            let res = client.get(path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            assert!(res.text().contains("There is nothing here."), "{path}");
        }
    }

    #[tokio::test]
    async fn the_form_adds_a_book_and_redirects_to_it() {
        let (client, db) = client().await;
        let form = [
            ("title", "  Persuasion "),
            ("isbn", "978-0-14-143951-8"),
            ("author", "Jane Austen"),
        ];
        // The form carries the session's CSRF token; without it the post is refused.
        let page = client.get("/").await.text();
        let token = client.cookie("kiln_csrf").expect("a CSRF token");
        assert!(
            page.contains(&format!(r#"name="csrf_token" value="{token}""#)),
            "{page}"
        );
        let res = client.post("/books").form(&form).without_csrf().await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = client.post("/books").form(&form).cross_site().await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(db.all::<Book>().await.unwrap().len(), 3, "nothing added");
        let res = client.post("/books").form(&form).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.header("location"), Some("/book/4"));
        let html = client.get("/book/4").await.text();
        assert!(
            html.contains("<h1>Persuasion</h1>") && html.contains("Jane Austen"),
            "{html}"
        );
        assert_eq!(db.all::<Author>().await.unwrap().len(), 3);
        // The same ISBN again: a conflict, and nothing half-saved.
        let again = [
            ("title", "Another"),
            ("isbn", "978-0-14-143951-8"),
            ("author", "New Person"),
        ];
        let res = client.post("/books").form(&again).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert_eq!(
            db.all::<Author>().await.unwrap().len(),
            3,
            "the new author was rolled back"
        );
        let res = client
            .post("/books")
            .form(&[("title", " "), ("isbn", "1"), ("author", "x")])
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn the_json_api() {
        let (client, _db) = client().await;
        let all: Vec<BookJson> = client.get("/api/books").await.json();
        assert_eq!(all.len(), 3);
        let sorted: Vec<BookJson> = client.get("/api/books?sort=-title&limit=2").await.json();
        assert_eq!(
            sorted.iter().map(|b| b.title.as_str()).collect::<Vec<_>>(),
            ["Web Frameworks from Scratch", "Dune"]
        );
        let res = client
            .get("/api/books?sort=title;%20DROP%20TABLE%20book")
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let new = NewBook {
            title: "Emma".into(),
            isbn: "978-0-14-143958-7".into(),
            author: "Jane Austen".into(),
            published: true,
        };
        let res = client.post("/api/books").json(&new).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.header("location"), Some("/api/books/4"));
        let created: BookJson = res.json();
        assert_eq!((created.id, created.author.as_str()), (4, "Jane Austen"));
        assert_eq!(client.get("/api/books/4").await.json::<BookJson>(), created);
        assert_eq!(
            client.delete("/api/books/4").await.status(),
            StatusCode::NO_CONTENT
        );
        let res = client.get("/api/books/4").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            res.json::<serde_json::Value>(),
            serde_json::json!({ "error": "404 Not Found" })
        );
        assert_eq!(
            client.delete("/api/books/4").await.status(),
            StatusCode::NOT_FOUND
        );
        let res = client
            .post("/api/books")
            .json(&serde_json::json!({ "title": "x" }))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[tokio::test]
    async fn health_checks_the_database() {
        let (client, db) = client().await;
        assert_eq!(client.get("/health").await.text(), "ok");
        db.close().await;
        let res = client.get("/health").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
