//! Forms a person can fix: `Checked` (values kept, each field's errors, `add_error`),
//! `Valid` (422 with every field's errors for JSON, forms and queries), catchers that
//! take `ErrorMessage`, and kiln's own error bodies in the format `Accept` asks for.

use kiln::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize, Validate, Default, Debug, Clone, PartialEq)]
struct NewBook {
    #[validate(length(min = 1, max = 20))]
    title: String,
    #[validate(length(min = 10, max = 17), contains(pattern = "-"))]
    isbn: String,
    #[validate(range(min = 1450, max = 2100))]
    year: Option<i64>,
    #[serde(default)]
    #[validate(email(message = "needs an @ and a domain"))]
    contact: Option<String>,
}

/// What the page shows: each field's value as typed and its errors.
fn shown(form: &Checked<NewBook>) -> String {
    ["title", "isbn", "year", "contact"]
        .iter()
        .map(|f| format!("{f}={:?} {:?}", form.value(f), form.errors(f)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[post("/books")]
async fn add(mut form: Checked<NewBook>) -> (StatusCode, String) {
    if let Some(book) = form.valid() {
        if book.title == "Taken" {
            // Found on save, say a unique violation.
            form.add_error("title", "is already in the catalogue");
        } else {
            return (StatusCode::CREATED, format!("added {}", book.title));
        }
    }
    (StatusCode::UNPROCESSABLE_ENTITY, shown(&form))
}

#[get("/books/new")]
async fn blank() -> String {
    let form = Checked::<NewBook>::default();
    format!("{} {}", form.value("title").is_empty(), form.is_valid())
}

#[post("/api/books")]
async fn create(Valid(Json(book)): Valid<Json<NewBook>>) -> (StatusCode, Json<NewBook>) {
    (StatusCode::CREATED, Json(book))
}

#[post("/form/books")]
async fn create_form(Valid(Form(book)): Valid<Form<NewBook>>) -> String {
    book.title
}

#[derive(Deserialize, Validate)]
struct Search {
    #[validate(length(min = 2, message = "type at least two letters"))]
    q: String,
    #[validate(range(min = 1, max = 100))]
    limit: Option<u32>,
}

#[get("/search")]
async fn search(Valid(Query(s)): Valid<Query<Search>>) -> String {
    format!("{} {:?}", s.q, s.limit)
}

#[get("/teapot")]
async fn teapot() -> Result<String> {
    Err(Error::status(StatusCode::IM_A_TEAPOT, "short & <stout>"))
}

#[get("/fails")]
async fn fails() -> Result<String> {
    let n: i64 = "secret detail".parse()?;
    Ok(n.to_string())
}

fn app() -> App {
    App::new().mount(
        "/",
        routes![add, blank, create, create_form, search, teapot, fails],
    )
}

fn client() -> TestClient {
    TestClient::new(app())
}

#[tokio::test]
async fn a_valid_form_passes() {
    let res = client()
        .post("/books")
        .form(&[
            ("title", "Persuasion"),
            ("isbn", "978-0-14-143951-8"),
            ("year", "1817"),
        ])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.text(), "added Persuasion");
}

#[tokio::test]
async fn an_invalid_form_keeps_its_values_and_says_what_is_wrong() {
    let res = client()
        .post("/books")
        .form(&[
            ("title", ""),
            ("isbn", "12345"),
            ("year", "nineteen"),
            ("contact", "nobody"),
        ])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text();
    assert!(text.contains(r#"title="" ["must not be empty"]"#), "{text}");
    // Two rules broken on one field: both errors, in the order declared.
    assert!(
        text.contains(r#"isbn="12345" ["must be at least 10 characters", "must contain “-”"]"#),
        "{text}"
    );
    // Not a number: kept as typed, with the type's error.
    assert!(
        text.contains(r#"year="nineteen" ["must be a number"]"#),
        "{text}"
    );
    assert!(
        text.contains(r#"contact="nobody" ["needs an @ and a domain"]"#),
        "{text}"
    );
}

#[tokio::test]
async fn missing_and_empty_fields() {
    // A missing required field is "required"; an empty optional number is no number.
    let res = client()
        .post("/books")
        .form(&[("isbn", "978-0-14-143951-8"), ("year", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text();
    assert!(text.contains(r#"title="" ["is required"]"#), "{text}");
    assert!(text.contains(r#"year="" []"#), "{text}");
    let res = client()
        .post("/books")
        .form(&[
            ("title", "Emma"),
            ("isbn", "978-0-14-143958-7"),
            ("year", ""),
        ])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text());
}

#[tokio::test]
async fn an_error_found_later_makes_the_form_invalid() {
    let res = client()
        .post("/books")
        .form(&[("title", "Taken"), ("isbn", "978-0-14-143951-8")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .contains(r#"title="Taken" ["is already in the catalogue"]"#),
        "{}",
        res.text()
    );
}

#[tokio::test]
async fn checked_reads_json_too_and_a_blank_form_has_no_errors() {
    let res = client()
        .post("/books")
        .json(&serde_json::json!({ "title": "", "isbn": "978-0-14-143951-8", "year": 3000 }))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text();
    assert!(text.contains(r#"title="" ["#), "{text}");
    assert!(
        text.contains(r#"year="3000" ["must be at least 1450 and at most 2100"]"#),
        "{text}"
    );
    assert_eq!(client().get("/books/new").await.text(), "true true");
    // A body that is neither a form nor JSON is the program's mistake: 415.
    let res = client()
        .post("/books")
        .header("content-type", "text/plain")
        .body("title=x")
        .await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn valid_json_answers_422_with_every_field() {
    let res = client()
        .post("/api/books")
        .json(&serde_json::json!({ "title": "", "isbn": "1", "year": 1000 }))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let body: serde_json::Value = res.json();
    assert_eq!(
        body["errors"]["isbn"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );
    assert_eq!(
        body["errors"]["year"],
        serde_json::json!(["must be at least 1450 and at most 2100"])
    );
    assert!(body["errors"]["title"].is_array(), "{body}");
    assert!(body["error"].is_string(), "{body}");
    let ok = client()
        .post("/api/books")
        .json(&serde_json::json!({ "title": "Emma", "isbn": "978-0-14-143958-7" }))
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn valid_form_and_query_answer_422_too() {
    let res = client()
        .post("/form/books")
        .header("accept", "application/json")
        .form(&[("title", "x"), ("isbn", "short")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json();
    assert!(body["errors"]["isbn"].is_array(), "{body}");
    assert!(body["errors"].get("title").is_none(), "{body}");

    let res = client().get("/search?q=a&limit=500").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text();
    assert!(text.contains("q: type at least two letters"), "{text}");
    assert!(
        text.contains("limit: must be at least 1 and at most 100"),
        "{text}"
    );
    assert_eq!(
        client().get("/search?q=ab&limit=5").await.text(),
        "ab Some(5)"
    );
}

#[tokio::test]
async fn error_bodies_follow_accept() {
    let c = client();
    // JSON for API clients.
    let res = c.get("/teapot").header("accept", "application/json").await;
    assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.json::<serde_json::Value>(),
        serde_json::json!({ "error": "short & <stout>" })
    );
    // A page for browsers, escaped.
    let res = c
        .get("/teapot")
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .await;
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let html = res.text();
    assert!(html.contains("<h1>418 I&#39;m a teapot</h1>"), "{html}");
    assert!(
        html.contains("<p>short &#38; &#60;stout&#62;</p>"),
        "{html}"
    );
    assert!(!html.contains("<stout>"), "{html}");
    // Text otherwise.
    let res = c.get("/teapot").header("accept", "*/*").await;
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.text(), "short & <stout>");
    // A 500 says nothing of its cause, in any format.
    let res = c.get("/fails").header("accept", "application/json").await;
    assert_eq!(
        res.json::<serde_json::Value>(),
        serde_json::json!({ "error": "Internal Server Error" })
    );
    let res = c.get("/nowhere").header("accept", "text/html").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.text().contains("<h1>404 Not Found</h1>"),
        "{}",
        res.text()
    );
}

#[catch(default)]
async fn with_message(status: StatusCode, message: ErrorMessage) -> String {
    format!("{} [{message}] {}", status.as_u16(), message.len())
}

#[tokio::test]
async fn a_catcher_takes_the_error_message() {
    let c = TestClient::new(app().catch(catchers![with_message]));
    assert_eq!(c.get("/teapot").await.text(), "418 [short & <stout>] 15");
    // A 5xx's message stays in the log.
    assert_eq!(c.get("/fails").await.text(), "500 [] 0");
    // An extractor's rejection carries its message too.
    let res = c
        .post("/api/books")
        .header("content-type", "application/json")
        .body("{not json")
        .await;
    let text = res.text();
    assert!(text.starts_with("400 [") && text.len() > 10, "{text}");
    // Validation: the catcher renders the 422.
    let res = c
        .post("/api/books")
        .json(&serde_json::json!({ "title": "", "isbn": "978-0-14-143958-7" }))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.text(), "422 [some fields are not valid] 25");
}
