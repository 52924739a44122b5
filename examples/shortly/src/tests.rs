//! Shortly's tests, run on both stores: SQLite through the ORM, and Redis (the test
//! server at `$KILN_TEST_REDIS_URL`, which CI requires).

use super::*;
use kiln::TestResponse;

/// An app on a fresh in-memory SQLite database.
async fn sql_app() -> App {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    app(Store::Sql(SqlStore::new(db).await.unwrap())).secret_key([3u8; 32])
}

/// An app on the test Redis server under a prefix of its own; `None` (said on
/// stderr) outside CI when there is no Redis.
async fn redis_app(test: &str) -> Option<App> {
    const VAR: &str = "KILN_TEST_REDIS_URL";
    let url = match std::env::var(VAR) {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var_os("CI").is_some() => {
            panic!("{VAR} is not set, and CI is: Shortly's Redis store must be tested")
        }
        _ => {
            eprintln!("skipping Shortly on Redis: {VAR} not set (run scripts/redis.sh)");
            return None;
        }
    };
    let prefix = format!("shortly-test-{}-{test}:", std::process::id());
    let store = RedisStore::connect(&url, &prefix).await.unwrap();
    Some(app(Store::Redis(store)).secret_key([3u8; 32]))
}

/// Both stores, for tests that run on each.
async fn apps(test: &str) -> Vec<(&'static str, App)> {
    let mut apps = vec![("sqlite", sql_app().await)];
    if let Some(app) = redis_app(test).await {
        apps.push(("redis", app));
    }
    apps
}

async fn shorten(client: &TestClient, url: &str) -> TestResponse {
    client.post("/").form(&[("url", url)]).await
}

#[tokio::test]
async fn shorten_follow_and_count_on_both_stores() {
    for (name, app) in apps("flow").await {
        let client = TestClient::new(app);
        let form = client.get("/").await;
        assert_eq!(form.status(), StatusCode::OK, "{name}");
        assert!(
            form.text().contains(r#"name="csrf_token""#),
            "{name}: the form has its token"
        );
        assert!(
            form.text()
                .contains(r#"<link rel="stylesheet" href="/static/style.css">"#)
        );

        let res = shorten(&client, "https://example.com/a?b=c").await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{name}: {}",
            res.text()
        );
        assert_eq!(
            res.header("location"),
            Some("/1+"),
            "{name}: the first key is 1"
        );

        let details = client.get("/1+").await;
        assert_eq!(details.status(), StatusCode::OK);
        let html = details.text();
        assert!(html.contains(r#"<dd id="clicks">0</dd>"#), "{name}: {html}");
        assert!(
            html.contains("http://localhost/1"),
            "{name}: the short URL: {html}"
        );
        assert!(html.contains("https://example.com/a?b=c"), "{name}");

        let res = client.get("/1").await;
        assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY, "{name}");
        assert_eq!(res.header("location"), Some("https://example.com/a?b=c"));
        assert!(
            client
                .get("/1+")
                .await
                .text()
                .contains(r#"<dd id="clicks">1</dd>"#)
        );

        // The same URL keeps its key; another gets the next one.
        let again = shorten(&client, "https://example.com/a?b=c").await;
        assert_eq!(again.header("location"), Some("/1+"), "{name}");
        let other = shorten(&client, "http://other.example/").await;
        assert_eq!(other.header("location"), Some("/2+"), "{name}");

        // Unknown keys: the custom 404 page.
        for path in ["/zz", "/zz+", "/0", "/A", "/1++"] {
            let res = client.get(path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{name} {path}");
            assert!(
                res.text().contains("Sorry, there is no short link at"),
                "{name} {path}"
            );
        }
    }
}

#[tokio::test]
async fn keys_count_in_base36() {
    for (name, app) in apps("base36").await {
        let client = TestClient::new(app);
        let mut last = String::new();
        for i in 1..=37 {
            let res = shorten(&client, &format!("https://example.com/{i}")).await;
            last = res.header("location").unwrap().to_string();
            if i == 36 {
                assert_eq!(last, "/10+", "{name}: the 36th link is 10");
            }
        }
        assert_eq!(last, "/11+", "{name}");
    }
}

#[tokio::test]
async fn only_http_and_https_links_are_taken() {
    let client = TestClient::new(sql_app().await);
    for bad in [
        "javascript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "file:///etc/passwd",
        "\njavascript:x",
        "http://a%0d%0aSet-Cookie:x=1 b",
        "http://a\r\nSet-Cookie: x=1",
        "ftp://example.com/",
        "http://",
        "not a url",
        "",
        "example.com",
    ] {
        let res = shorten(&client, bad).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(res.header("location"), None, "{bad:?}");
        let html = res.text();
        assert!(
            html.contains(r#"<p class="error" id="error">"#),
            "{bad:?}: {html}"
        );
        assert!(
            html.contains(r#"name="csrf_token""#),
            "the form again, with its token"
        );
        assert!(!html.contains("<script"), "{bad:?}");
    }
    // The value typed is kept, escaped.
    let res = shorten(&client, "javascript:\"><b>x").await;
    assert!(
        res.text()
            .contains("value=\"javascript:&#34;&#62;&#60;b&#62;x\""),
        "{}",
        res.text()
    );
    // Nothing was stored.
    assert_eq!(client.get("/1").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_form_needs_its_csrf_token() {
    let client = TestClient::new(sql_app().await);
    let res = client
        .post("/")
        .form(&[("url", "https://example.com/")])
        .without_csrf()
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = client
        .post("/")
        .form(&[("url", "https://example.com/")])
        .cross_site()
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        client.get("/1").await.status(),
        StatusCode::NOT_FOUND,
        "nothing stored"
    );
}

#[tokio::test]
async fn short_urls_never_name_an_unlisted_host() {
    let client = TestClient::new(sql_app().await.allowed_hosts(["short.test"]));
    let res = client
        .post("/")
        .header("host", "short.test")
        .form(&[("url", "https://example.com/")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text());
    let page = client.get("/1+").header("host", "short.test").await;
    assert!(
        page.text().contains("http://short.test/1"),
        "{}",
        page.text()
    );
    let evil = client.get("/1+").header("host", "evil.example").await;
    assert_eq!(evil.status(), StatusCode::BAD_REQUEST);
    assert!(!evil.text().contains("evil.example"));
}

#[tokio::test]
async fn a_thousand_concurrent_follows_count_a_thousand() {
    for (name, app) in apps("clicks").await {
        let client = TestClient::new(app);
        let res = shorten(&client, "https://example.com/popular").await;
        assert_eq!(res.header("location"), Some("/1+"), "{name}");
        let follows = (0..1000).map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get("/1").await.status() })
        });
        let statuses = futures_util::future::join_all(follows).await;
        assert!(
            statuses
                .iter()
                .all(|s| *s.as_ref().unwrap() == StatusCode::MOVED_PERMANENTLY),
            "{name}"
        );
        let html = client.get("/1+").await.text();
        assert!(
            html.contains(r#"<dd id="clicks">1000</dd>"#),
            "{name}: {html}"
        );
    }
}
