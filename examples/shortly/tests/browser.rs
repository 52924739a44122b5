//! Shortly in headless Chromium, the real binary on SQLite: submit a URL, land on its
//! details page, follow the short link, see the count go up; a `javascript:` URL is
//! turned away with a message. Screenshot: `target/screenshots/shortly.png`.

use testkit::{Browser, Served};

const BINARY: &str = env!("CARGO_BIN_EXE_shortly");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_shortens_a_link_and_follows_it() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("shortly.db").display());
    let app = Served::start(BINARY, &[("DATABASE_URL", &db)]);
    let c = browser.client();

    // A URL Shortly refuses: the form comes back with the reason and the value typed.
    c.goto(&app.url("/")).await.unwrap();
    let input = browser.wait_for("input[name=url]").await;
    input.send_keys("javascript:alert(1)").await.unwrap();
    browser.click("button[type=submit]").await;
    let error = browser.wait_for_text("#error", |t| !t.is_empty()).await;
    assert_eq!(error, "Only http:// and https:// links can be shortened.");
    let kept = browser.wait_for("input[name=url]").await;
    assert_eq!(
        kept.prop("value").await.unwrap().as_deref(),
        Some("javascript:alert(1)")
    );

    // A good one (a page of this server, since the machine has no other network).
    let target = app.url("/?from=short-link");
    kept.clear().await.unwrap();
    kept.send_keys(&target).await.unwrap();
    browser.click("button[type=submit]").await;
    assert_eq!(browser.wait_for_text("#clicks", |t| t == "0").await, "0");
    let details = c.current_url().await.unwrap();
    assert_eq!(details.path(), "/1+", "the first link gets key 1");
    assert_eq!(
        browser.wait_for_text("#target", |t| !t.is_empty()).await,
        target
    );

    // Follow the short link: the browser lands on the target.
    browser.click("#short").await;
    c.wait()
        .for_url(&target.parse().unwrap())
        .await
        .expect("the short link leads to the target");

    // Back on the details page, the click is counted.
    c.goto(details.as_str()).await.unwrap();
    assert_eq!(browser.wait_for_text("#clicks", |t| t == "1").await, "1");
    browser.screenshot("shortly").await;
    browser.close().await;
    assert!(!app.log().contains("ERROR"), "{}", app.log());
}
