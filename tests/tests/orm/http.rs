//! `Db` in handlers, through the test client; ORM errors as HTTP answers; and an app
//! that takes `Db` without a database refusing to start.

use kiln::axum::extract::Path;
use kiln::prelude::*;

use crate::backend_tests;
use crate::models::{Author, Book, Line, Member, Order};

async fn list_books(db: Db) -> Result<Json<Vec<Book>>> {
    Ok(Json(db.all::<Book>().await?))
}

/// `GET /books/{id}`: the book and its author's name, or 404.
async fn show_book(Path(id): Path<i64>, db: Db) -> Result<Json<serde_json::Value>> {
    let book = db.find::<Book>(id).await?;
    let author = book.author.get().map(|a| a.name.clone());
    Ok(Json(
        serde_json::json!({ "title": book.title, "author": author }),
    ))
}

#[derive(serde::Deserialize)]
struct NewMember {
    email: String,
    name: String,
}

/// `POST /members`: 201, or 409 when the email is taken.
async fn create_member(db: Db, Json(input): Json<NewMember>) -> Result<(StatusCode, Json<i64>)> {
    let mut m = Member::new(&input.email, &input.name);
    db.save(&mut m).await?;
    Ok((StatusCode::CREATED, Json(m.id.get().unwrap_or_default())))
}

/// `GET /search?q=..`: names containing `q` literally.
async fn search(
    db: Db,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<String>>> {
    let text = q.get("q").cloned().unwrap_or_default();
    let found = db
        .select::<Member>()
        .filter(Member::NAME.contains(&text))
        .all()
        .await?;
    Ok(Json(found.into_iter().map(|m| m.name).collect()))
}

/// `POST /orders`: an order and its lines, in one transaction.
async fn create_order(db: Db) -> Result<(StatusCode, Json<i64>)> {
    let id = db
        .transaction(|tx| async move {
            let mut order = Order {
                id: Id::new(),
                label: "web".into(),
            };
            tx.save(&mut order).await?;
            for qty in 1..=3 {
                tx.save(&mut Line {
                    id: Id::new(),
                    order: ForeignKey::to(&order),
                    qty,
                })
                .await?;
            }
            Ok(order.id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(id.get().unwrap_or_default())))
}

/// `GET /health`: 200 when the database answers.
async fn health(db: Db) -> Result<&'static str> {
    db.ping().await?;
    Ok("ok")
}

fn app(db: Database) -> App {
    App::new()
        .route("/books", Method::GET, list_books)
        .route("/books/{id}", Method::GET, show_book)
        .route("/members", Method::POST, create_member)
        .route("/search", Method::GET, search)
        .route("/health", Method::GET, health)
        .route("/orders", Method::POST, create_order)
        .database(db)
}

backend_tests! {
    /// Handlers take `Db`; ORM errors answer 404 and 409 with no database text.
    async fn db_in_handlers(db: Database, kind: Kind) -> TestResult {
        db.create::<Author>().await?;
        db.create::<Book>().await?;
        db.create::<Member>().await?;
        let mut kay = Author::new("Kay", 12);
        db.save(&mut kay).await?;
        db.save(&mut Book::new("Rust", true, &kay)).await?;
        let client = TestClient::new(app(db.clone()));

        let res = client.get("/health").await;
        assert_eq!((res.status(), res.text().as_str()), (StatusCode::OK, "ok"));

        let res = client.get("/books").await;
        assert_eq!(res.status(), StatusCode::OK);
        let books: Vec<serde_json::Value> = res.json();
        assert_eq!(books, [serde_json::json!({"id": 1, "title": "Rust", "published": true, "author": 1})]);

        let res = client.get("/books/1").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<serde_json::Value>(), serde_json::json!({"title": "Rust", "author": "Kay"}));

        let res = client.get("/books/2").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(res.text(), "Not Found");

        let res = client.post("/members").json(&serde_json::json!({"email": "k@x.test", "name": "50% Kay_"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.json::<i64>(), 1);
        let res = client.post("/members").json(&serde_json::json!({"email": "k@x.test", "name": "Again"})).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert_eq!(res.text(), "this value of `email` is already taken");
        assert_eq!(res.header("content-type"), Some("text/plain; charset=utf-8"));

        let res = client.post("/members").json(&serde_json::json!({"email": "z@x.test", "name": "5 Kay"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = client.get("/search?q=0%25%20Kay").await; // "0% Kay"
        assert_eq!(res.json::<Vec<String>>(), ["50% Kay_"]);
        let res = client.get("/search?q=%25").await; // "%": only the row holding one
        assert_eq!(res.json::<Vec<String>>(), ["50% Kay_"]);
        let res = client.get("/search?q=_").await;
        assert_eq!(res.json::<Vec<String>>(), ["50% Kay_"]);
        let res = client.get("/search?q=%27%20OR%20%271%27%3D%271").await; // "' OR '1'='1"
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Vec<String>>(), Vec::<String>::new());
        assert_eq!(db.select::<Member>().count().await?, 2);

        db.create::<Order>().await?;
        db.create::<Line>().await?;
        let res = client.post("/orders").await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let id: i64 = res.json();
        assert_eq!(db.select::<Line>().filter(Line::ORDER.eq(id)).count().await?, 3);
        Ok(())
    }

    /// While the pool is exhausted, a handler answers 503, and recovers after.
    #[with(|b| b.max_connections(1).acquire_timeout(std::time::Duration::from_millis(200)))]
    async fn exhausted_pool_answers_503(db: Database, kind: Kind) -> TestResult {
        db.create::<Author>().await?;
        db.create::<Book>().await?;
        let client = TestClient::new(app(db.clone()));
        let tx = db.begin().await?;
        let res = client.get("/books").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.text(), "Service Unavailable");
        drop(tx);
        let res = client.get("/books").await;
        assert_eq!(res.status(), StatusCode::OK);
        Ok(())
    }
}

/// A route attribute handler taking `Db`.
#[get("/books")]
async fn books_route(db: Db) -> Result<Json<Vec<Book>>> {
    Ok(Json(db.all::<Book>().await?))
}

/// A `Db` handler in an app without `.database(db)`: the app refuses to start.
#[test]
fn db_without_database_fails_at_start() {
    let routes = || routes![books_route];
    let err = App::new()
        .mount("/", routes())
        .into_router()
        .expect_err("no database");
    assert!(err.is_launch_error());
    let text = err.to_string();
    assert!(
        text.contains("handler `books_route`")
            && text.contains(
                "it takes `Db` but the app has no database; add `.database(db)` to the App"
            ),
        "{text}"
    );

    // With a database, the same app starts.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = rt
        .block_on(Database::connect("sqlite::memory:"))
        .expect("memory db");
    assert!(
        App::new()
            .mount("/", routes())
            .database(db)
            .into_router()
            .is_ok()
    );
}

/// Without `.database(db)`, a `Db` handler added by `App::route` answers 500, with the
/// reason logged, not sent.
#[tokio::test]
async fn db_without_database_answers_500() {
    let client = TestClient::new(App::new().route("/books", Method::GET, list_books));
    let res = client.get("/books").await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text(), "Internal Server Error");
}
