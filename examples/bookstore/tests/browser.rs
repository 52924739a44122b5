//! The bookstore in headless Chromium, the real binary on a fresh SQLite file: add a
//! book through the form (its CSRF token and session cookie as a browser sends them),
//! land on its page, see it listed. Screenshot: `target/screenshots/bookstore.png`.

use testkit::{Browser, Locator, Served};

const BINARY: &str = env!("CARGO_BIN_EXE_bookstore");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_adds_a_book_and_sees_it_listed() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("bookstore.db").display());
    let app = Served::start(BINARY, &[("DATABASE_URL", &db)]);
    let c = browser.client();

    c.goto(&app.url("/")).await.unwrap();
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
