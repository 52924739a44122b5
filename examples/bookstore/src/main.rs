//! A book catalogue on kiln: an ORM model with a foreign key, HTML pages with a
//! layout, a form, a JSON API with search and sorting, and error pages. It runs on the
//! embedded SQLite by default:
//!
//! ```text
//! cargo run -p bookstore                                   # sqlite://bookstore.db, port 8000
//! DATABASE_URL=postgres://localhost/books cargo run -p bookstore
//! cargo run -p bookstore -- routes                         # the route table
//! cargo run -p bookstore -- openapi                        # the OpenAPI document
//! cargo run -p bookstore -- makemigrations add_isbn        # after changing a model
//! cargo run -p bookstore -- migrate                        # (serving migrates too)
//! ```

use kiln::FieldErrors;
use kiln::axum::http::header::LOCATION;
use kiln::orm::Order;
use kiln::prelude::*;
use kiln::validator::ValidationError;
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
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
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

/// What a client sends to add or change a book, as JSON or as a form.
#[derive(Deserialize, Serialize, Validate, JsonSchema, Debug, Clone, Default, PartialEq)]
pub struct NewBook {
    /// The title.
    #[validate(length(max = 200), custom(function = "filled"), non_control_character)]
    pub title: String,
    /// The ISBN: 10 or 13 digits, with or without hyphens.
    #[validate(length(min = 10, max = 17), custom(function = "isbn_digits"))]
    pub isbn: String,
    /// The author's name; a new author is added if needed.
    #[validate(length(max = 100), custom(function = "filled"), non_control_character)]
    pub author: String,
    /// Whether it is out yet (default no).
    #[serde(default)]
    pub published: bool,
}

/// Text with more than spaces in it.
fn filled(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new("filled").with_message("must not be empty".into()));
    }
    Ok(())
}

/// 10 or 13 digits (the last of an ISBN-10 may be X), hyphens and spaces aside.
fn isbn_digits(value: &str) -> Result<(), ValidationError> {
    let digits: Vec<char> = value.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    let ok = match digits.len() {
        13 => digits.iter().all(char::is_ascii_digit),
        10 => {
            digits[..9].iter().all(char::is_ascii_digit)
                && (digits[9].is_ascii_digit() || digits[9] == 'X' || digits[9] == 'x')
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("isbn").with_message("must be 10 or 13 digits".into()))
    }
}

impl NewBook {
    /// The fields without the spaces around them.
    fn trimmed(&self) -> NewBook {
        NewBook {
            title: self.title.trim().to_string(),
            isbn: self.isbn.trim().to_string(),
            author: self.author.trim().to_string(),
            published: self.published,
        }
    }
}

impl From<&Book> for NewBook {
    fn from(book: &Book) -> NewBook {
        NewBook {
            title: book.title.clone(),
            isbn: book.isbn.clone(),
            author: book
                .author
                .get()
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            published: book.published,
        }
    }
}

/// What the ISBN field says when another book has it.
const ISBN_TAKEN: &str = "is already in the catalogue";

/// Whether `err` is a second book with the same ISBN.
fn isbn_taken(err: &Error) -> bool {
    err.source_error()
        .and_then(|e| e.downcast_ref::<kiln::orm::Error>())
        .is_some_and(
            |e| matches!(e, kiln::orm::Error::UniqueViolation { column, .. } if column == "isbn"),
        )
}

/// The author named `name`, added if new.
async fn author_named(tx: &kiln::orm::Tx, name: &str) -> Result<Author> {
    if let Some(author) = tx
        .select::<Author>()
        .filter(Author::NAME.eq(name))
        .first()
        .await?
    {
        return Ok(author);
    }
    let mut author = Author {
        id: Id::new(),
        name: name.to_string(),
    };
    tx.save(&mut author).await?;
    Ok(author)
}

/// Adds a book (and its author, if new) in one transaction.
async fn add_book(db: &Database, new: &NewBook) -> Result<Book> {
    let new = new.trimmed();
    let book = db
        .transaction(|tx| async move {
            let author = author_named(&tx, &new.author).await?;
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
        .await?;
    Ok(book)
}

/// Changes book `id` to `new` (and adds its author, if new) in one transaction.
async fn update_book(db: &Database, id: Id<Book>, new: &NewBook) -> Result<Book> {
    let new = new.trimmed();
    let book = db
        .transaction(|tx| async move {
            let mut book = tx.find::<Book>(id).await?;
            let author = author_named(&tx, &new.author).await?;
            book.title = new.title;
            book.isbn = new.isbn;
            book.published = new.published;
            book.author = ForeignKey::loaded(author);
            tx.update(&book).await?;
            Ok(book)
        })
        .await?;
    Ok(book)
}

/// The fields of the book form, in order: name, label, most characters.
const FIELDS: &[(&str, &str, usize)] = &[
    ("title", "Title", 200),
    ("isbn", "ISBN", 17),
    ("author", "Author", 100),
];

/// The home page: every book, or those whose title contains the search, and the
/// "Add a book" form.
#[page("books.html")]
struct BooksPage {
    books: Vec<Book>,
    q: String,
    /// The form, blank or as it was sent, with its errors.
    form: Checked<NewBook>,
    fields: &'static [(&'static str, &'static str, usize)],
    /// The form's CSRF token: `{{ csrf }}` writes its hidden input.
    csrf: CsrfToken,
}

/// One book, with its edit link and delete button.
#[page("book.html")]
struct BookPage {
    book: Book,
    csrf: CsrfToken,
}

/// The form that changes a book.
#[page("edit.html")]
struct EditPage {
    book: Book,
    form: Checked<NewBook>,
    fields: &'static [(&'static str, &'static str, usize)],
    csrf: CsrfToken,
}

/// An error, as a page.
#[page("error.html")]
struct ErrorPage {
    status: String,
    message: String,
}

/// The books whose title contains `q` (all of them for `""`), by title.
async fn books_matching(db: &Database, q: &str) -> Result<Vec<Book>> {
    let mut select = db.select::<Book>().order_by(Book::TITLE.asc());
    if !q.is_empty() {
        select = select.filter(Book::TITLE.contains(q));
    }
    Ok(select.all().await?)
}

#[get("/?<q>")]
async fn index(db: Db, q: Option<String>, csrf: CsrfToken) -> Result<BooksPage> {
    let q = q.unwrap_or_default();
    Ok(BooksPage {
        books: books_matching(&db, &q).await?,
        q,
        form: Checked::default(),
        fields: FIELDS,
        csrf,
    })
}

#[get("/book/<id>")]
async fn book(id: Id<Book>, db: Db, csrf: CsrfToken) -> Result<BookPage> {
    Ok(BookPage {
        book: db.find::<Book>(id).await?,
        csrf,
    })
}

/// Adds the book of the form and goes to its page; a form with errors is shown again
/// (422) with what was typed and each field's errors.
#[post("/books")]
async fn add(db: Db, mut form: Checked<NewBook>, csrf: CsrfToken) -> Result<Response> {
    if let Some(new) = form.valid() {
        match add_book(&db, new).await {
            Ok(book) => return Ok(Redirect::to(book::uri(book.id)).into_response()),
            Err(e) if isbn_taken(&e) => form.add_error("isbn", ISBN_TAKEN),
            Err(e) => return Err(e),
        }
    }
    let page = BooksPage {
        books: books_matching(&db, "").await?,
        q: String::new(),
        form,
        fields: FIELDS,
        csrf,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[get("/book/<id>/edit")]
async fn edit(id: Id<Book>, db: Db, csrf: CsrfToken) -> Result<EditPage> {
    let book = db.find::<Book>(id).await?;
    Ok(EditPage {
        form: Checked::new(NewBook::from(&book)),
        book,
        fields: FIELDS,
        csrf,
    })
}

/// Saves the edit form and goes to the book's page, or shows the form again (422).
#[post("/book/<id>/edit")]
async fn save(
    id: Id<Book>,
    db: Db,
    mut form: Checked<NewBook>,
    csrf: CsrfToken,
) -> Result<Response> {
    let book = db.find::<Book>(id).await?;
    if let Some(new) = form.valid() {
        match update_book(&db, id, new).await {
            Ok(book) => return Ok(Redirect::to(book::uri(book.id)).into_response()),
            Err(e) if isbn_taken(&e) => form.add_error("isbn", ISBN_TAKEN),
            Err(e) => return Err(e),
        }
    }
    let page = EditPage {
        book,
        form,
        fields: FIELDS,
        csrf,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Deletes the book (the form's CSRF token is checked, as for every form) and goes
/// home.
#[post("/book/<id>/delete")]
async fn remove(id: Id<Book>, db: Db) -> Result<Redirect> {
    if !db.delete::<Book>(id).await? {
        return Err(Error::not_found());
    }
    Ok(Redirect::to("/"))
}

/// Lists the books, oldest first unless `sort` says otherwise.
///
/// `q` keeps the books whose title contains it; `sort` names a column (`title`, or
/// `-title` for descending); `limit` is at most 500 (default 50).
#[get("/api/books?<q>&<sort>&<limit>")]
async fn api_list(
    db: Db,
    q: Option<String>,
    sort: Option<Order<Book>>,
    limit: Option<u64>,
) -> Result<Json<Vec<BookJson>>> {
    // Only exact column names sort (`title`, `-title`): user text never reaches SQL.
    let order = sort.unwrap_or_else(|| Book::ID.asc());
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

/// One book, with its author's name.
#[get("/api/books/<id>")]
async fn api_get(id: Id<Book>, db: Db) -> Result<Json<BookJson>> {
    Ok(Json(BookJson::from(&db.find::<Book>(id).await?)))
}

/// Adds a book: 201 with it and its `Location`, or 422 with each field's errors (a
/// taken ISBN is an error on `isbn`).
///
/// A new author is added if no author has that name.
#[post("/api/books")]
async fn api_create(
    db: Db,
    Valid(Json(new)): Valid<Json<NewBook>>,
) -> Result<(
    StatusCode,
    [(kiln::axum::http::HeaderName, String); 1],
    Json<BookJson>,
)> {
    let book = add_book(&db, &new).await.map_err(api_error)?;
    Ok((
        StatusCode::CREATED,
        [(LOCATION, api_get::uri(book.id))],
        Json(BookJson::from(&book)),
    ))
}

/// Changes a book: 422 with each field's errors if the JSON breaks a rule.
#[put("/api/books/<id>")]
async fn api_update(
    id: Id<Book>,
    db: Db,
    Valid(Json(new)): Valid<Json<NewBook>>,
) -> Result<Json<BookJson>> {
    let book = update_book(&db, id, &new).await.map_err(api_error)?;
    Ok(Json(BookJson::from(&book)))
}

/// A taken ISBN as the API says it: 422 on the `isbn` field, like the rules' errors.
fn api_error(e: Error) -> Error {
    if isbn_taken(&e) {
        Error::invalid([("isbn".to_string(), vec![ISBN_TAKEN.to_string()])].into())
    } else {
        e
    }
}

/// Deletes a book: 204, or 404 if there was none.
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

/// Errors under `/api/` as JSON (with each field's errors for a 422), elsewhere as a
/// page that says what went wrong.
#[catch(default)]
async fn error_page(
    status: StatusCode,
    uri: Uri,
    message: ErrorMessage,
    fields: FieldErrors,
) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let message = match status {
        StatusCode::NOT_FOUND => "There is nothing here.".to_string(),
        s if s.is_client_error() && !message.is_empty() => format!("{message}."),
        s if s.is_client_error() => "Something was wrong with that request.".to_string(),
        _ => "Something went wrong on our side; please try again.".to_string(),
    };
    if uri.path().starts_with("/api/") {
        let mut body = serde_json::json!({ "error": title });
        if !fields.is_empty() {
            body["errors"] = serde_json::json!(fields);
        }
        return (status, Json(body)).into_response();
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

/// The migrations in `migrations/`, embedded (`build.rs` rebuilds when one is added).
static MIGRATIONS: Migrations = kiln::migrations!();

/// Applies the pending migrations, and adds a few books the first time.
async fn setup(db: &Database) -> Result<()> {
    db.migrate(&MIGRATIONS).await?;
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
            add_book(db, &new).await?;
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
                index, book, add, edit, save, remove, api_list, api_get, api_create, api_update,
                api_delete, health
            ],
        )
        .static_files("/static", static_dir())
        .catch(catchers![error_page])
        .database(db)
        .models::<(Author, Book)>()
        .migrations(&MIGRATIONS)
        .migrations_dir(kiln::relative!("migrations"))
        .openapi("/openapi.json")
        .openapi_ui("/docs")
}

#[tokio::main]
async fn main() -> kiln::Result<()> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://bookstore.db".to_string());
    let db = Database::connect(&url).await?;
    // A command (`makemigrations`, `migrate`, `routes`, `openapi`, `--help`) runs alone.
    if std::env::args_os().len() > 1 {
        return app(db).cli().await;
    }
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
        // The same ISBN again: shown on the ISBN field, and nothing half-saved.
        let again = [
            ("title", "Another"),
            ("isbn", "978-0-14-143951-8"),
            ("author", "New Person"),
        ];
        let res = client.post("/books").form(&again).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(html.contains("is already in the catalogue"), "{html}");
        assert!(html.contains(r#"value="Another""#), "{html}");
        assert_eq!(
            db.all::<Author>().await.unwrap().len(),
            3,
            "the new author was rolled back"
        );
    }

    #[tokio::test]
    async fn a_form_with_errors_is_shown_again_with_what_was_typed() {
        let (client, db) = client().await;
        let res = client
            .post("/books")
            .form(&[("title", " "), ("isbn", "12-34"), ("author", "<b>Kay</b>")])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(html.contains("The book was not added"), "{html}");
        assert!(
            html.contains(r#"<span class="error">must not be empty</span>"#),
            "{html}"
        );
        // Two errors on the ISBN, next to it.
        assert!(
            html.contains(r#"<span class="error">must be at least 10 characters</span><span class="error">must be 10 or 13 digits</span>"#),
            "{html}"
        );
        // What was typed is kept, escaped.
        assert!(html.contains(r#"value="12-34""#), "{html}");
        assert!(
            html.contains(r#"value="&#60;b&#62;Kay&#60;/b&#62;""#)
                || html.contains(r#"value="&lt;b&gt;Kay&lt;/b&gt;""#),
            "{html}"
        );
        assert!(!html.contains("<b>Kay"), "{html}");
        assert_eq!(db.all::<Book>().await.unwrap().len(), 3, "nothing added");
    }

    #[tokio::test]
    async fn a_book_is_edited_and_deleted_through_its_page() {
        let (client, db) = client().await;
        let page = client.get("/book/3").await.text();
        assert!(
            page.contains(r#"<a href="/book/3/edit">Edit</a>"#),
            "{page}"
        );
        assert!(page.contains(r#"action="/book/3/delete""#), "{page}");
        let form = client.get("/book/3/edit").await.text();
        assert!(form.contains(r#"value="Dune""#), "{form}");
        assert!(form.contains(r#"value="Frank Herbert""#), "{form}");
        assert!(form.contains("checked"), "published is ticked: {form}");
        // An error keeps the edit page, with 422.
        let res = client
            .post("/book/3/edit")
            .form(&[
                ("title", "Dune"),
                ("isbn", "978-0-00-000001-1"),
                ("author", "Frank Herbert"),
            ])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text().contains("is already in the catalogue"),
            "{}",
            res.text()
        );
        let res = client
            .post("/book/3/edit")
            .form(&[
                ("title", "Dune Messiah"),
                ("isbn", "978-0-441-17269-6"),
                ("author", "Frank Herbert"),
            ])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let book = db.find::<Book>(Id::from(3)).await.unwrap();
        assert_eq!(
            (book.title.as_str(), book.published),
            ("Dune Messiah", false)
        );
        // Delete needs the form's CSRF token like every form.
        let res = client
            .post("/book/3/delete")
            .form(&[("x", "")])
            .without_csrf()
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = client.post("/book/3/delete").form(&[("x", "")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.header("location"), Some("/"));
        assert_eq!(client.get("/book/3").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(db.all::<Book>().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn the_api_answers_422_with_field_errors() {
        let (client, _db) = client().await;
        let res = client
            .post("/api/books")
            .json(&serde_json::json!({ "title": "", "isbn": "x", "author": "A" }))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = res.json();
        assert_eq!(body["error"], "422 Unprocessable Entity");
        assert_eq!(
            body["errors"]["title"],
            serde_json::json!(["must not be empty"])
        );
        assert_eq!(
            body["errors"]["isbn"],
            serde_json::json!(["must be at least 10 characters", "must be 10 or 13 digits"])
        );
        let res = client
            .post("/api/books")
            .json(&serde_json::json!({ "title": "Dune again", "isbn": "978-0-441-17271-9", "author": "A" }))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            res.json::<serde_json::Value>()["errors"]["isbn"],
            serde_json::json!([ISBN_TAKEN])
        );
        let res = client
            .put("/api/books/1")
            .json(&serde_json::json!({ "title": "Building an ORM, 2nd ed.", "isbn": "978-0-00-000001-1", "author": "Kay" }))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<BookJson>().title, "Building an ORM, 2nd ed.");
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
