//! The chat page in two tabs of headless Chromium, the real binary: each tab sends
//! over its WebSocket and reads the room back as server-sent events, so a message
//! typed in one tab appears in both. Screenshot: `target/screenshots/chat.png`.

use testkit::{Browser, Served};

const BINARY: &str = env!("CARGO_BIN_EXE_chat");

/// Types `text` into the open tab's form and sends it.
async fn say(browser: &Browser, text: &str) {
    let input = browser.wait_for("#text").await;
    input.send_keys(text).await.unwrap();
    browser.click("#send button").await;
}

/// Waits until the open tab has its WebSocket and its event stream.
async fn connected(browser: &Browser) {
    browser
        .wait_for("body[data-ws='open'][data-sse='open']")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_typed_in_one_tab_arrives_in_the_other() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = Served::start(BINARY, &[]);
    let c = browser.client();

    c.goto(&app.url("/")).await.unwrap();
    connected(&browser).await;
    let first = c.window().await.unwrap();
    let second = c.new_window(true).await.unwrap().handle;
    c.switch_to_window(second.clone()).await.unwrap();
    c.goto(&app.url("/")).await.unwrap();
    connected(&browser).await;

    // From the second tab to both.
    say(&browser, "hello from the second tab").await;
    browser
        .wait_for_text("#log", |t| t.contains("hello from the second tab"))
        .await;
    c.switch_to_window(first.clone()).await.unwrap();
    browser
        .wait_for_text("#log", |t| t.contains("hello from the second tab"))
        .await;

    // And back, from the first.
    say(&browser, "and hello back <b>from the first</b>").await;
    let log = browser
        .wait_for_text("#log", |t| t.contains("hello back"))
        .await;
    // Shown as text, never as markup.
    assert_eq!(
        log,
        "hello from the second tab\nand hello back <b>from the first</b>"
    );
    browser.screenshot("chat").await;
    c.switch_to_window(second).await.unwrap();
    browser
        .wait_for_text("#log", |t| t.contains("hello back <b>from the first</b>"))
        .await;
    browser.close().await;
    assert!(!app.log().contains("ERROR"), "{}", app.log());
}
