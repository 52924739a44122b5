//! The same small API written twice: once with kiln's attributes, once as
//! hand-written axum. The benchmarks serve both and compare.

use kiln::axum::{self, Router, extract::Path, extract::Query};
use kiln::prelude::*;
use serde::{Deserialize, Serialize};

/// A book, as both apps send it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Book {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Whether it is out.
    pub published: bool,
}

/// What a client sends to create a book.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct NewBook {
    /// The title.
    pub title: String,
}

fn book_of(id: i64) -> Book {
    Book {
        id,
        title: "Building an ORM".to_string(),
        published: true,
    }
}

mod kiln_routes {
    use super::*;

    #[get("/")]
    pub async fn plaintext() -> &'static str {
        "Hello, World!"
    }

    #[get("/book/<id>")]
    pub async fn book(id: i64) -> Json<Book> {
        Json(book_of(id))
    }

    #[get("/search?<q>&<page>")]
    pub async fn search(q: String, page: Option<u32>) -> String {
        format!("{q}:{}", page.unwrap_or(1))
    }

    #[post("/books")]
    pub async fn create(Json(new): Json<NewBook>) -> (StatusCode, Json<Book>) {
        (
            StatusCode::CREATED,
            Json(Book {
                id: 1,
                title: new.title,
                published: false,
            }),
        )
    }
}

/// The kiln app.
pub fn kiln_app() -> App {
    use kiln_routes::*;
    App::new().mount("/", routes![plaintext, book, search, create])
}

#[derive(Deserialize)]
struct SearchParams {
    q: String,
    page: Option<u32>,
}

/// The same app, hand-written in axum.
pub fn axum_app() -> Router {
    use axum::routing::{get, post};
    Router::new()
        .route("/", get(|| async { "Hello, World!" }))
        .route(
            "/book/{id}",
            get(|Path(id): Path<i64>| async move { axum::Json(book_of(id)) }),
        )
        .route(
            "/search",
            get(|Query(p): Query<SearchParams>| async move {
                format!("{}:{}", p.q, p.page.unwrap_or(1))
            }),
        )
        .route(
            "/books",
            post(|axum::Json(new): axum::Json<NewBook>| async move {
                (
                    StatusCode::CREATED,
                    axum::Json(Book {
                        id: 1,
                        title: new.title,
                        published: false,
                    }),
                )
            }),
        )
}

/// The requests both apps answer, as `(name, method, path, body)`.
pub const REQUESTS: [(&str, &str, &str, &str); 4] = [
    ("plaintext", "GET", "/", ""),
    ("path param + JSON", "GET", "/book/42", ""),
    ("query params", "GET", "/search?q=rust&page=2", ""),
    ("JSON body", "POST", "/books", r#"{"title":"Dune"}"#),
];
