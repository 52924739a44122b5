//! `#[resource]`: class-style handlers, one path, methods named after verbs.

use std::sync::Mutex;

use kiln::prelude::*;

struct Store(Mutex<Vec<String>>);

struct Books;

#[resource("/books/<id>")]
impl Books {
    async fn get(id: usize, store: State<Store>) -> Result<String> {
        let books = store.0.lock().unwrap();
        books.get(id).cloned().ok_or_else(Error::not_found)
    }

    async fn put(id: usize, store: State<Store>, title: String) -> Result<StatusCode> {
        let mut books = store.0.lock().unwrap();
        let slot = books.get_mut(id).ok_or_else(Error::not_found)?;
        *slot = Self::tidy(&title);
        Ok(StatusCode::NO_CONTENT)
    }

    async fn delete(id: usize, store: State<Store>) -> Result<StatusCode> {
        let mut books = store.0.lock().unwrap();
        if id >= books.len() {
            return Err(Error::not_found());
        }
        books.remove(id);
        Ok(StatusCode::NO_CONTENT)
    }

    /// Not a verb: stays an ordinary associated function.
    fn tidy(title: &str) -> String {
        title.trim().to_string()
    }
}

struct Shelf;

#[resource("/shelf")]
impl Shelf {
    async fn get() -> &'static str {
        "the shelf"
    }

    async fn post(body: String) -> (StatusCode, String) {
        (StatusCode::CREATED, body)
    }
}

fn client() -> TestClient {
    TestClient::new(
        App::new()
            .mount("/", routes![Books, Shelf])
            .manage(Store(Mutex::new(vec!["Dune".into(), "Emma".into()]))),
    )
}

#[tokio::test]
async fn verb_methods_become_handlers() {
    let client = client();
    assert_eq!(client.get("/books/0").await.text(), "Dune");
    assert_eq!(
        client.put("/books/1").body("  Persuasion ").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(client.get("/books/1").await.text(), "Persuasion");
    assert_eq!(
        client.delete("/books/0").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(client.get("/books/0").await.text(), "Persuasion");
    assert_eq!(client.get("/books/5").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(client.get("/books/x").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(client.get("/shelf").await.text(), "the shelf");
    let res = client.post("/shelf").body("hi").await;
    assert_eq!(
        (res.status(), res.text()),
        (StatusCode::CREATED, "hi".to_string())
    );
    assert_eq!(Books::tidy(" x "), "x");
}

#[tokio::test]
async fn other_methods_get_405_listing_the_resource_methods() {
    let client = client();
    let res = client.post("/books/0").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET,HEAD,PUT,DELETE"));
    let res = client.delete("/shelf").await;
    assert_eq!(res.header("allow"), Some("GET,HEAD,POST"));
}

#[test]
fn resources_have_reverse_routes() {
    assert_eq!(Books::uri(3usize), "/books/3");
    assert_eq!(Shelf::uri(), "/shelf");
}
