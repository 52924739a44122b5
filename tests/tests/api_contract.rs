//! The examples of `shared/API.md`, sections 1 to 8, 10, 11, 13 and 15, transcribed as literally as a
//! test allows: outside tests compile against exactly these names.

use kiln::prelude::*;
use serde::{Deserialize, Serialize};

// --- 1. Routes -------------------------------------------------------------------

#[get("/")]
async fn index() -> &'static str {
    "Hello, World!"
}

#[get("/hello/<name>")]
async fn hello(name: String) -> String {
    format!("Hello, {name}!")
}

#[get("/book/<id>")] // `<id>` binds the argument named `id`
async fn book(id: i64) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "id": id }))
}

#[get("/files/<path..>")] // tail: the rest of the path, slashes included
async fn file(path: String) -> String {
    path
}

#[get("/search?<q>&<page>")] // query parameters bound by name
async fn search(q: String, page: Option<u32>) -> String {
    format!("{q}:{}", page.unwrap_or(1))
}

#[derive(Deserialize, Serialize)]
struct NewBook {
    title: String,
}

#[post("/books")]
async fn create(Json(input): Json<NewBook>, db: Db) -> Result<(StatusCode, Json<Book>)> {
    let mut author = Author {
        id: Id::new(),
        name: "Kay".into(),
        age: 12,
    };
    db.save(&mut author).await?;
    let mut book = Book {
        id: Id::new(),
        title: input.title,
        published: false,
        author: ForeignKey::to(&author),
    };
    db.save(&mut book).await?;
    Ok((StatusCode::CREATED, Json(book)))
}

#[route("/echo", methods = [GET, POST])]
async fn echo(body: String) -> String {
    body
}

struct Books;

#[resource("/books/<id>")]
impl Books {
    async fn get(id: i64) -> String {
        format!("book {id}")
    }
    async fn delete(id: i64, db: Db) -> Result<StatusCode> {
        if db.delete::<Book>(id).await? {
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(Error::not_found())
        }
    }
}

// --- 3. Catchers --------------------------------------------------------------------

#[catch(404)]
async fn not_found(uri: Uri) -> Html<String> {
    Html(format!("<h1>No page at {uri}</h1>"))
}

#[catch(500)]
async fn server_error() -> Html<&'static str> {
    Html("<h1>Sorry</h1>")
}

// --- 4. Templates -------------------------------------------------------------------

#[page("home.html")] // templates/home.html, askama syntax
struct Home {
    title: String,
    name: String,
}

#[get("/home")]
async fn home() -> Home {
    Home {
        title: "Books".into(),
        name: "Kay".into(),
    }
}

// --- 6. Middleware ------------------------------------------------------------------

struct Timing;

impl Middleware for Timing {
    async fn process_request(&self, _req: &mut Request) -> Option<Response> {
        None // Some(response) answers at once
    }
    async fn process_response(&self, res: &mut Response) {
        res.headers_mut()
            .insert("x-timing", HeaderValue::from_static("1"));
    }
}

#[middleware]
async fn require_key(req: Request, next: Next) -> Response {
    if req.uri().path() == "/locked" {
        StatusCode::UNAUTHORIZED.into_response()
    } else {
        next.run(req).await
    }
}

// --- 7. The ORM ---------------------------------------------------------------------

#[derive(Table, Debug, Clone, PartialEq, Serialize)]
struct Author {
    id: Id<Author>, // primary key; `Id::new()` until saved
    name: String,
    age: i64,
}

#[derive(Table, Debug, Clone, PartialEq, Serialize)]
struct Book {
    id: Id<Book>,
    title: String,
    published: bool,
    author: ForeignKey<Author>,
}

// --- 2. The app ---------------------------------------------------------------------

struct Settings {
    site: String,
}

#[get("/site")]
async fn site(settings: State<Settings>) -> String {
    settings.site.clone()
}

async fn app(db: Database) -> App {
    App::new()
        .mount(
            "/",
            routes![index, hello, book, file, search, echo, home, site, Books],
        )
        .mount("/api", routes![create])
        .catch(catchers![not_found, server_error])
        .static_files("/static", "static") // relative to the working directory: cargo test runs in tests/
        .wrap(Timing)
        .wrap(require_key)
        .layer(kiln::tower_http::trace::TraceLayer::new_for_http())
        .manage(Settings {
            site: "Books".into(),
        })
        .database(db)
}

#[tokio::test]
async fn section_1_routes_and_2_the_app() -> kiln::Result<()> {
    let db = Database::connect("sqlite::memory:").await?;
    db.create::<Author>().await?;
    db.create::<Book>().await?;
    let client = TestClient::new(app(db).await);
    assert_eq!(client.get("/").await.text(), "Hello, World!");
    assert_eq!(client.get("/hello/Kay").await.text(), "Hello, Kay!");
    assert_eq!(
        client.get("/book/5").await.json::<serde_json::Value>(),
        serde_json::json!({ "id": 5 })
    );
    assert_eq!(
        client.get("/book/abc").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(client.get("/files/a/b.txt").await.text(), "a/b.txt");
    assert_eq!(client.get("/search?q=x&page=2").await.text(), "x:2");
    assert_eq!(
        client.get("/search").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(client.post("/echo").body("hi").await.text(), "hi");
    assert_eq!(client.get("/books/3").await.text(), "book 3");
    assert_eq!(client.get("/site").await.text(), "Books");
    let res = client
        .post("/api/books")
        .json(&NewBook {
            title: "Dune".into(),
        })
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: serde_json::Value = res.json();
    assert_eq!(created["title"], "Dune");
    assert_eq!(
        client.delete("/books/1").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        client.delete("/books/1").await.status(),
        StatusCode::NOT_FOUND
    );
    // 405 with Allow.
    let res = client.put("/hello/x").await;
    assert_eq!(
        (res.status(), res.header("allow")),
        (StatusCode::METHOD_NOT_ALLOWED, Some("GET,HEAD"))
    );
    // Reverse routes.
    assert_eq!(book::uri(5), "/book/5");
    assert_eq!(hello::uri("a b"), "/hello/a%20b");
    // Catchers, templates, static files, middleware.
    assert_eq!(
        client.get("/nowhere").await.text(),
        "<h1>No page at /nowhere</h1>"
    );
    let res = client.get("/home").await;
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(res.text(), "<h1>Books</h1>\n<p>Hello, Kay!</p>");
    assert_eq!(res.header("x-timing"), Some("1"));
    assert_eq!(
        client.get("/static/site.css").await.text(),
        "body { margin: 0 }\n"
    );
    assert_eq!(
        client.get("/locked").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // `into_router` gives a plain axum router.
    let _router: kiln::axum::Router = App::new().mount("/", routes![index]).into_router()?;
    Ok(())
}

#[tokio::test]
async fn section_3_errors() {
    #[get("/a")]
    async fn a() -> Result<String> {
        Err(Error::not_found())
    }
    #[get("/b")]
    async fn b() -> Result<String> {
        Err(Error::bad_request("bad thing"))
    }
    #[get("/c")]
    async fn c() -> Result<String> {
        Err(Error::status(StatusCode::CONFLICT, "taken"))
    }
    #[get("/d")]
    async fn d() -> Result<String> {
        Ok("n".parse::<i64>()?.to_string())
    }
    #[get("/e")]
    async fn e() -> Text<&'static str> {
        Text("plain")
    }
    #[get("/f")]
    async fn f() -> Redirect {
        Redirect::to("/a")
    }
    #[get("/g")]
    async fn g() -> Redirect {
        Redirect::permanent("/b")
    }
    let client = TestClient::new(App::new().mount("/", routes![a, b, c, d, e, f, g]));
    assert_eq!(client.get("/a").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(client.get("/b").await.text(), "bad thing");
    assert_eq!(client.get("/c").await.status(), StatusCode::CONFLICT);
    assert_eq!(
        client.get("/d").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        client.get("/e").await.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(client.get("/f").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        client.get("/g").await.status(),
        StatusCode::PERMANENT_REDIRECT
    );
}

#[tokio::test]
async fn section_7_the_orm() -> kiln::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let db = Database::connect(&url).await?; // file made if missing
    let _memory = Database::connect("sqlite::memory:").await?;

    db.create::<Author>().await?; // CREATE TABLE IF NOT EXISTS
    db.create::<Book>().await?;
    let names: Vec<String> = db.tables().await?; // ["author", "book"]
    assert_eq!(names, ["author", "book"]);

    let mut kay = Author {
        id: Id::new(),
        name: "Kay".into(),
        age: 12,
    };
    db.save(&mut kay).await?; // INSERT; sets kay.id
    assert_eq!(kay.id.get(), Some(1));
    let mut book = Book {
        id: Id::new(),
        title: "Building an ORM".into(),
        published: true,
        author: ForeignKey::to(&kay),
    };
    db.save(&mut book).await?;

    let authors: Vec<Author> = db.all::<Author>().await?;
    assert_eq!(authors, [kay.clone()]);
    let found: Option<Book> = db.get::<Book>(book.id).await?; // also db.get::<Book>(7)
    assert!(db.get::<Book>(7).await?.is_none());
    let found = found.unwrap();
    assert_eq!(found.author.get().unwrap().name, "Kay"); // loaded in the same query

    book.title = "How to build an ORM".into();
    db.save(&mut book).await?; // UPDATE, since it has an id
    db.update(&book).await?; // UPDATE; error if unsaved or gone
    assert_eq!(
        db.get::<Book>(book.id).await?.unwrap().title,
        "How to build an ORM"
    );
    let published = db
        .select::<Book>()
        .filter(Book::PUBLISHED.eq(true))
        .order_by(Book::TITLE.asc())
        .limit(10)
        .all()
        .await?;
    assert_eq!(published.len(), 1);
    db.transaction(|tx| async move {
        let mut other = Author {
            id: Id::new(),
            name: "Other".into(),
            age: 30,
        };
        tx.save(&mut other).await?;
        Ok(())
    })
    .await?;
    let gone: bool = db.delete::<Book>(book.id).await?;
    assert!(gone);
    let id: Id<Author> = Id::from(5);
    assert_eq!(id.to_string(), "5");
    Ok(())
}

#[tokio::test]
async fn section_8_the_test_client() {
    let client = TestClient::new(App::new().mount("/", routes![index, echo, book]));
    let res = client.get("/book/1").await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: serde_json::Value = res.json();
    assert_eq!(v["id"], 1);
    let new_book = NewBook { title: "x".into() };
    let res = client.post("/echo").json(&new_book).await;
    assert_eq!(res.text(), r#"{"title":"x"}"#);
    let res = client.post("/echo").form(&[("user", "kay")]).await;
    assert_eq!(res.text(), "user=kay");
    let res = client.get("/").header("accept", "text/html").await;
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let body: String = res.text();
    assert_eq!(body, "Hello, World!");
    assert_eq!(res.bytes(), "Hello, World!".as_bytes());
    for res in [
        client.put("/").await,
        client.patch("/").await,
        client.delete("/").await,
        client.options("/").await,
    ] {
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    assert_eq!(client.head("/").await.status(), StatusCode::OK);
}

// --- 10. Sessions, flash messages, CSRF, secure defaults ------------------------

mod section10 {
    use kiln::prelude::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Login {
        user: String,
    }

    #[post("/login")]
    async fn login(session: Session, Form(f): Form<Login>) -> Result<Redirect> {
        session.regenerate(); // a new session id: no fixation
        session.insert("user", &f.user)?; // any serde value
        session.flash("Welcome back"); // shown once, on a later page
        Ok(Redirect::to(index::uri()))
    }

    #[get("/")]
    async fn index(session: Session) -> Result<String> {
        let user: Option<String> = session.get("user")?;
        let flashes: Vec<String> = session.take_flashes();
        Ok(format!("{user:?} {flashes:?}"))
    }

    #[post("/logout")]
    async fn logout(session: Session) -> Redirect {
        session.clear();
        Redirect::to("/")
    }

    #[page("new_book.html")] // the template writes {{ csrf }}
    struct NewBookPage {
        csrf: CsrfToken,
    }

    #[get("/books/new")]
    async fn new_book(csrf: CsrfToken) -> NewBookPage {
        NewBookPage { csrf }
    }

    #[post("/hooks/payment", csrf = false)] // opt out, visibly, per route
    async fn payment_hook(body: String) -> StatusCode {
        let _ = body;
        StatusCode::NO_CONTENT
    }

    #[tokio::test]
    async fn section_10_as_written() {
        let app = App::new()
            .mount("/", routes![login, index, logout, new_book, payment_hook])
            .secret_key([9u8; 32])
            .trusted_origins(["https://pay.example"])
            .allowed_hosts(["localhost"])
            .secure_cookies(false)
            .security_headers(kiln::SecurityHeaders::default());
        let client = TestClient::new(app);
        let res = client.post("/login").form(&[("user", "kay")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.header("location"), Some("/"));
        assert_eq!(
            client.get("/").await.text(),
            r#"Some("kay") ["Welcome back"]"#
        );
        let page = client.get("/books/new").await;
        assert!(page.text().contains(r#"name="csrf_token""#));
        assert_eq!(page.header("x-frame-options"), Some("DENY"));
        let res = client.post("/hooks/payment").body("x").cross_site().await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = client.post("/logout").cross_site().await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = client.post("/logout").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(client.get("/").await.text(), "None []");
        let res = client.get("/").header("host", "evil.example").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
}

mod section11 {
    use std::convert::Infallible;

    use futures::{SinkExt, StreamExt};
    use kiln::prelude::*;
    use tokio_tungstenite::tungstenite;

    #[get("/ws")]
    async fn echo(ws: WebSocketUpgrade) -> Response {
        ws.on_upgrade(|mut socket: WebSocket| async move {
            while let Some(Ok(msg)) = socket.recv().await {
                if socket.send(msg).await.is_err() {
                    break;
                }
            }
        })
    }

    #[get("/events")]
    async fn events() -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        let ticks = futures::stream::iter(1..=3).map(|n| Ok(Event::default().data(n.to_string())));
        Sse::new(ticks).keep_alive(KeepAlive::default())
    }

    #[tokio::test]
    async fn section_11_as_written() {
        // The types by their module paths too.
        let _: Option<kiln::ws::Message> = None;
        let _: Option<kiln::sse::KeepAlive> = None;
        let server = App::new()
            .mount("/", routes![echo, events])
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.serve_until(async {
            let _ = stopped.await;
        }));

        let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("a WebSocket");
        socket
            .send(tungstenite::Message::text("ping"))
            .await
            .unwrap();
        let back = socket.next().await.unwrap().unwrap();
        assert_eq!(back.into_text().unwrap().as_str(), "ping");
        socket.close(None).await.unwrap();

        let client = TestClient::new(App::new().mount("/", routes![echo, events]));
        let res = client.get("/events").await;
        assert_eq!(res.header("content-type"), Some("text/event-stream"));
        assert_eq!(res.text(), "data: 1\n\ndata: 2\n\ndata: 3\n\n");
        // A plain GET of the WebSocket route is the client's mistake.
        assert!(client.get("/ws").await.status().is_client_error());

        stop.send(()).unwrap();
        serving.await.unwrap().unwrap();
    }
}

// --- 15. Forms a person can fix, and errors that say what went wrong ------------

mod section15 {
    use kiln::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Deserialize, Serialize, Validate, Default, Clone)]
    struct NewBook {
        #[validate(length(min = 1, max = 200))]
        title: String,
        #[validate(length(min = 10, max = 17))]
        isbn: String,
    }

    #[page("contract_new_book.html")] // {{ form.value("title") }}, {% for e in form.errors("title") %}
    struct NewBookPage {
        form: Checked<NewBook>,
        csrf: CsrfToken,
    }

    #[derive(Serialize)]
    struct Book {
        title: String,
    }

    #[post("/books")]
    async fn add(form: Checked<NewBook>, csrf: CsrfToken, db: Db) -> Result<Response> {
        let new = match form.valid() {
            Some(new) => new.clone(),
            None => {
                return Ok(
                    (StatusCode::UNPROCESSABLE_ENTITY, NewBookPage { form, csrf }).into_response(),
                );
            }
        };
        db.ping().await?;
        Ok((StatusCode::CREATED, new.title).into_response())
    }

    #[post("/api/books")]
    async fn create(Valid(Json(new)): Valid<Json<NewBook>>) -> (StatusCode, Json<Book>) {
        (StatusCode::CREATED, Json(Book { title: new.title }))
    }

    #[get("/teapot")]
    async fn teapot() -> Result<String> {
        Err(Error::status(StatusCode::IM_A_TEAPOT, "no coffee here"))
    }

    #[catch(default)]
    async fn any_error(status: StatusCode, message: ErrorMessage) -> Html<String> {
        Html(format!("<p>{} {}</p>", status.as_u16(), &*message))
    }

    async fn app() -> App {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        App::new()
            .database(db)
            .mount("/", routes![add, create, teapot])
    }

    #[tokio::test]
    async fn section_15_as_written() {
        let client = TestClient::new(app().await);
        let res = client
            .post("/books")
            .form(&[("title", "<i>x</i>"), ("isbn", "123")])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(
            html.contains(r#"value="&#60;i&#62;x&#60;/i&#62;""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="error">must be at least 10 characters</span>"#),
            "{html}"
        );
        let res = client
            .post("/books")
            .form(&[("title", "Emma"), ("isbn", "978-0-14-143958-7")])
            .await;
        assert_eq!(
            (res.status(), res.text().as_str()),
            (StatusCode::CREATED, "Emma")
        );

        let res = client
            .post("/api/books")
            .json(&serde_json::json!({ "title": "", "isbn": "978-0-14-143958-7" }))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = res.json();
        assert_eq!(
            body["errors"],
            serde_json::json!({ "title": ["must not be empty"] })
        );

        // Without a catcher, the error body follows Accept.
        let res = client
            .get("/teapot")
            .header("accept", "application/json")
            .await;
        assert_eq!(
            res.json::<serde_json::Value>(),
            serde_json::json!({ "error": "no coffee here" })
        );
        let res = client.get("/teapot").header("accept", "text/html").await;
        assert!(
            res.text().contains("<p>no coffee here</p>"),
            "{}",
            res.text()
        );
        assert_eq!(client.get("/teapot").await.text(), "no coffee here");

        // A catcher may take ErrorMessage.
        let client = TestClient::new(app().await.catch(catchers![any_error]));
        assert_eq!(
            client.get("/teapot").await.text(),
            "<p>418 no coffee here</p>"
        );
    }
}

mod section13 {
    use kiln::prelude::*;
    use serde::{Deserialize, Serialize};

    // API.md's "// the summary in the document" annotates the line; it is not doc text.
    /// Lists the books, newest first.
    #[get("/books?<q>&<limit>")]
    async fn list(q: Option<String>, limit: Option<u32>, db: Db) -> Result<Json<Vec<BookOut>>> {
        db.ping().await?;
        let _ = (q, limit);
        Ok(Json(vec![BookOut {
            id: 1,
            title: "Emma".into(),
        }]))
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct BookOut {
        id: i64,
        title: String,
    }

    #[post("/books")]
    async fn create(Json(book): Json<BookOut>) -> (StatusCode, Json<BookOut>) {
        (StatusCode::CREATED, Json(book))
    }

    async fn app() -> App {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        App::new()
            .database(db)
            .mount("/api", routes![list, create])
            .openapi("/openapi.json")
            .openapi_ui("/docs")
    }

    #[tokio::test]
    async fn section_13_as_written() {
        let doc: serde_json::Value = app().await.openapi_document();
        assert_eq!(doc["openapi"], "3.1.0");
        let list = &doc["paths"]["/api/books"]["get"];
        assert_eq!(list["summary"], "Lists the books, newest first.");
        let params: Vec<(&str, bool)> = list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap(), p["required"] == true))
            .collect();
        assert_eq!(params, [("q", false), ("limit", false)]);
        assert_eq!(
            list["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"],
            "#/components/schemas/BookOut"
        );
        for status in ["400", "405"] {
            assert!(list["responses"][status].is_object(), "{status}");
        }
        let create = &doc["paths"]["/api/books"]["post"];
        for status in ["405", "413", "415", "422"] {
            assert!(create["responses"][status].is_object(), "{status}");
        }
        assert_eq!(
            doc["components"]["schemas"]["BookOut"]["required"],
            serde_json::json!(["id", "title"])
        );

        let client = TestClient::new(app().await);
        let served: serde_json::Value = client.get("/openapi.json").await.json();
        assert_eq!(served, doc);
        let docs = client.get("/docs").await;
        assert_eq!(docs.status(), StatusCode::OK);
        assert!(docs.text().contains("/api/books"));
        let res = client.get("/api/books?limit=2").await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}
