//! The bookstore in headless Chromium, the real binary on a fresh SQLite file: add a
//! book through the form (its CSRF token and session cookie as a browser sends them),
//! land on its page, see it listed; send the form with errors, see them next to their
//! fields with what was typed, fix them. Screenshots: `target/screenshots/bookstore.png`
//! and `bookstore-form-errors.png`; the API docs page: `bookstore-openapi.png`.

use testkit::{Browser, Locator, Served};

const BINARY: &str = env!("CARGO_BIN_EXE_bookstore");

/// Chromium (or `None` outside CI without it), and the real binary on a fresh SQLite
/// file (kept while the folder is), with the home page open.
async fn start() -> Option<(Browser, Served, tempfile::TempDir)> {
    let browser = Browser::start().await?;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("bookstore.db").display());
    let app = Served::start(BINARY, &[("DATABASE_URL", &db)]);
    browser.client().goto(&app.url("/")).await.unwrap();
    Some((browser, app, dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_adds_a_book_and_sees_it_listed() {
    let Some((browser, app, _dir)) = start().await else {
        return;
    };
    let c = browser.client();
    let form = browser.wait_for("form[action='/books']").await;
    for (field, value) in [
        ("title", "The Left Hand of Darkness"),
        ("isbn", "978-0-441-47812-5"),
        ("author", "Ursula K. Le Guin"),
    ] {
        form.find(Locator::Css(&format!("input[name={field}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    browser.click("form[action='/books'] button").await;

    // The form answers with a redirect to the new book's page.
    let title = browser
        .wait_for_text("h1", |t| t.contains("Left Hand"))
        .await;
    assert_eq!(title, "The Left Hand of Darkness");
    let page = c.current_url().await.unwrap();
    assert!(page.path().starts_with("/book/"), "{page}");

    // And the home page lists it with its author, after the seeded three.
    c.goto(&app.url("/")).await.unwrap();
    let listed = browser
        .wait_for_text("ul.books", |t| t.contains("Left Hand"))
        .await;
    assert!(
        listed.contains("The Left Hand of Darkness by Ursula K. Le Guin"),
        "{listed}"
    );
    assert_eq!(listed.lines().count(), 4, "{listed}");
    browser.screenshot("bookstore").await;
    browser.close().await;
    assert!(!app.log().contains("ERROR"), "{}", app.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_with_errors_is_fixed_and_the_book_listed() {
    let Some((browser, app, _dir)) = start().await else {
        return;
    };
    let c = browser.client();
    browser.wait_for("form[action='/books']").await;
    // As a browser that does not check `required` itself would send it.
    c.execute(
        "document.querySelector(\"form[action='/books']\").noValidate = true",
        vec![],
    )
    .await
    .unwrap();
    let type_into = |field: &'static str, value: &'static str| {
        let c = c.clone();
        async move {
            let input = c
                .find(Locator::Css(&format!(
                    "form[action='/books'] input[name={field}]"
                )))
                .await
                .unwrap();
            input.clear().await.unwrap();
            input.send_keys(value).await.unwrap();
        }
    };
    // Empty title, a bad ISBN, an author: submitted.
    type_into("isbn", "12-34").await;
    type_into("author", "Octavia E. Butler").await;
    browser.click("form[action='/books'] button").await;

    let errors = browser
        .wait_for_text("form[action='/books']", |t| t.contains("must not be empty"))
        .await;
    assert!(
        errors.contains("must be at least 10 characters"),
        "{errors}"
    );
    assert!(errors.contains("must be 10 or 13 digits"), "{errors}");
    // What was typed is still there.
    for (field, typed) in [
        ("isbn", "12-34"),
        ("author", "Octavia E. Butler"),
        ("title", ""),
    ] {
        let input = c
            .find(Locator::Css(&format!(
                "form[action='/books'] input[name={field}]"
            )))
            .await
            .unwrap();
        assert_eq!(
            input.prop("value").await.unwrap().as_deref(),
            Some(typed),
            "{field}"
        );
    }
    browser.screenshot("bookstore-form-errors").await;

    // Fixed and sent again: the book's page, then listed.
    type_into("title", "Kindred").await;
    type_into("isbn", "978-0-8070-8305-4").await;
    browser.click("form[action='/books'] button").await;
    let title = browser.wait_for_text("h1", |t| t.contains("Kindred")).await;
    assert_eq!(title, "Kindred");
    c.goto(&app.url("/")).await.unwrap();
    let listed = browser
        .wait_for_text("ul.books", |t| t.contains("Kindred"))
        .await;
    assert!(listed.contains("Kindred by Octavia E. Butler"), "{listed}");
    browser.close().await;
    assert!(!app.log().contains("ERROR"), "{}", app.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_docs_page_shows_each_operation() {
    let Some((browser, app, _dir)) = start().await else {
        return;
    };
    let c = browser.client();
    c.goto(&app.url("/docs")).await.unwrap();
    let create = browser
        .wait_for_text("#op-api_create h2", |t| t.contains("/api/books"))
        .await;
    assert_eq!(create, "POST /api/books");
    let page = browser
        .wait_for_text("main", |t| t.contains("Schemas"))
        .await;
    for text in [
        "Lists the books, oldest first unless sort says otherwise.",
        "GET /api/books/{id}",
        "NewBook",
        "at most 200 characters",
    ] {
        assert!(page.contains(text), "{text} not in {page}");
    }
    // Styled by its own stylesheet, served by the app.
    let colour = browser
        .wait_for(".method.post")
        .await
        .css_value("background-color")
        .await
        .unwrap();
    assert_eq!(colour, "rgba(26, 127, 55, 1)");
    // The picture: adding a book, its body and its answers.
    c.goto(&app.url("/docs#op-api_create")).await.unwrap();
    browser.wait_for("#op-api_create").await;
    browser.screenshot("bookstore-openapi").await;
    browser.close().await;
    assert!(!app.log().contains("ERROR"), "{}", app.log());
}
