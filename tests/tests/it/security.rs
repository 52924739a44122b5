//! Secure defaults: CSRF, sessions, flash messages, security headers, the Host check.

use std::time::Duration;

use kiln::SecurityHeaders;
use kiln::prelude::*;
use kiln::session::DatabaseStore;
use kiln_tests::{RawResponse, exchange};
use tokio::net::TcpStream;

#[derive(serde::Deserialize)]
struct Login {
    user: String,
}

#[post("/login")]
async fn login(session: Session, Form(f): Form<Login>) -> Result<Redirect> {
    session.regenerate();
    session.insert("user", &f.user)?;
    session.flash("Welcome back");
    Ok(Redirect::to("/"))
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

#[post("/big")]
async fn big(session: Session) -> String {
    match session.insert("blob", &"x".repeat(5000)) {
        Ok(()) => "stored".to_string(),
        Err(e) => format!("{} {}", e.status_code(), e.message().unwrap_or_default()),
    }
}

#[post("/big-unhandled")]
async fn big_unhandled(session: Session) -> Result<&'static str> {
    session.insert("blob", &"x".repeat(5000))?;
    Ok("stored")
}

#[page("new_book.html")]
struct NewBookPage {
    csrf: CsrfToken,
}

#[get("/books/new")]
async fn new_book(csrf: CsrfToken) -> NewBookPage {
    NewBookPage { csrf }
}

#[derive(serde::Deserialize)]
struct NewBook {
    title: String,
}

#[post("/books/new")]
async fn create_book(Form(b): Form<NewBook>) -> (StatusCode, String) {
    (StatusCode::CREATED, format!("created {}", b.title))
}

#[post("/hooks/payment", csrf = false)]
async fn payment_hook(body: String) -> String {
    format!("hook {}", body.len())
}

#[post("/api/books")]
async fn api_create(Json(b): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(b)
}

#[get("/boom")]
async fn boom() -> &'static str {
    panic!("boom")
}

#[post("/upload")]
async fn upload(body: String) -> String {
    format!("{} bytes", body.len())
}

const KEY: [u8; 32] = [42; 32];

fn app() -> App {
    App::new()
        .mount(
            "/",
            routes![
                login,
                index,
                logout,
                big,
                big_unhandled,
                new_book,
                create_book,
                payment_hook,
                api_create,
                boom,
                upload
            ],
        )
        .secret_key(KEY)
}

#[tokio::test]
async fn login_sets_a_session_and_a_flash_shown_once() {
    let client = TestClient::new(app());
    let res = client.post("/login").form(&[("user", "kay")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(
        client.get("/").await.text(),
        r#"Some("kay") ["Welcome back"]"#
    );
    assert_eq!(
        client.get("/").await.text(),
        r#"Some("kay") []"#,
        "flash shown once"
    );
    let res = client.post("/logout").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0")),
        "logout removes the cookie: {:?}",
        res.headers()
    );
    assert_eq!(client.get("/").await.text(), "None []");
}

#[tokio::test]
async fn session_cookies_carry_safe_flags() {
    let client = TestClient::new(app());
    let res = client.get("/books/new").await;
    let cookies: Vec<&str> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("kiln_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(session.contains(flag), "{flag} in {session}");
    }
    assert!(
        !session.contains("Secure"),
        "not Secure unless asked: {session}"
    );
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("kiln_csrf="))
        .unwrap();
    assert!(
        !csrf.contains("HttpOnly"),
        "scripts may read the token: {csrf}"
    );
    assert!(csrf.contains("SameSite=Lax"), "{csrf}");

    let secure = TestClient::new(app().secure_cookies(true));
    let res = secure.get("/books/new").await;
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .all(|v| v.to_str().unwrap().contains("Secure")),
        "{:?}",
        res.headers()
    );
}

#[tokio::test]
async fn the_token_is_rendered_as_a_hidden_input_and_changes_on_login() {
    let client = TestClient::new(app());
    let html = client.get("/books/new").await.text();
    let token = client.cookie("kiln_csrf").expect("a token cookie");
    assert_eq!(
        html.trim(),
        format!(
            r#"<form method="post" action="/books/new"><input type="hidden" name="csrf_token" value="{token}"><input name="title"></form>"#
        ),
        "rendered unescaped, with the session's token"
    );
    let before = client.cookie("kiln_session").unwrap();
    let res = client.post("/login").form(&[("user", "kay")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_ne!(
        client.cookie("kiln_session").unwrap(),
        before,
        "a new session cookie"
    );
    assert_ne!(
        client.cookie("kiln_csrf").unwrap(),
        token,
        "a new token at login"
    );
}

#[tokio::test]
async fn tampered_truncated_and_foreign_cookies_are_no_session() {
    let client = TestClient::new(app());
    let res = client.post("/login").form(&[("user", "kay")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let good = client.cookie("kiln_session").unwrap();
    let good_header = format!("kiln_session={good}");
    let ok = client.get("/").header("cookie", &good_header).await;
    assert!(ok.text().starts_with(r#"Some("kay")"#), "{}", ok.text());

    let bytes = good.as_bytes();
    let mut accepted = 0;
    for i in 0..100 {
        let mut tampered = bytes.to_vec();
        if i % 2 == 0 {
            // Flip one character to another base64 character.
            let at = (i * 7) % tampered.len();
            tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        } else {
            tampered.truncate((i * 13) % tampered.len());
        }
        let value = String::from_utf8(tampered).unwrap();
        let res = client
            .get("/")
            .header("cookie", &format!("kiln_session={value}"))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "never an error");
        if res.text() != "None []" {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 0, "tampered cookies accepted");

    // Sealed with another key: no session.
    let other = TestClient::new(app().secret_key([7u8; 32]));
    let res = other.get("/").header("cookie", &good_header).await;
    assert_eq!(res.text(), "None []");
    // After a key rotation, the old key still opens it.
    let rotated = TestClient::new(app().secret_key([7u8; 32]).old_secret_key(KEY));
    let res = rotated.get("/").header("cookie", &good_header).await;
    assert!(res.text().starts_with(r#"Some("kay")"#), "{}", res.text());
}

#[tokio::test]
async fn an_expired_session_is_no_session() {
    let client = TestClient::new(app().session_max_age(Duration::from_secs(1)));
    let res = client.post("/login").form(&[("user", "kay")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = client.cookie("kiln_session").unwrap();
    let header = format!("kiln_session={cookie}");
    let res = client.get("/").header("cookie", &header).await;
    assert!(res.text().starts_with(r#"Some("kay")"#), "{}", res.text());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // A browser drops it after Max-Age; sent anyway, as an attacker would, it is no session.
    let res = client.get("/").header("cookie", &header).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "None []");
}

#[tokio::test]
async fn a_session_too_big_for_its_cookie_is_a_clear_error() {
    let client = TestClient::new(app());
    let text = client.post("/big").await.text();
    assert!(text.starts_with("500 "), "{text}");
    assert!(text.contains("more than a cookie can hold"), "{text}");
    assert!(text.contains("DatabaseStore"), "it says what to do: {text}");
    let res = client.post("/big-unhandled").await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !res.text().contains("cookie"),
        "the reason is for the log: {}",
        res.text()
    );
    // Nothing half-stored: the session still works.
    let res = client.post("/login").form(&[("user", "kay")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_release_build_refuses_to_start_without_a_secret_key() {
    let err = App::new()
        .mount("/", routes![index])
        .require_secret_key()
        .into_router()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("KILN_SECRET_KEY"), "{text}");
    // With a key, or without sessions, it starts.
    assert!(
        App::new()
            .mount("/", routes![index])
            .secret_key(KEY)
            .require_secret_key()
            .into_router()
            .is_ok()
    );
    assert!(
        App::new()
            .mount("/", routes![upload])
            .require_secret_key()
            .into_router()
            .is_ok()
    );
    let short = App::new().secret_key([1u8; 8]).into_router().unwrap_err();
    assert!(short.to_string().contains("at least 32"), "{short}");
}

#[tokio::test]
async fn the_test_client_passes_csrf_as_a_same_origin_browser_and_can_fail_it() {
    let client = TestClient::new(app());
    let ok = client.post("/books/new").form(&[("title", "Dune")]).await;
    assert_eq!(ok.status(), StatusCode::CREATED, "{}", ok.text());
    let res = client
        .post("/books/new")
        .form(&[("title", "Dune")])
        .without_csrf()
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.text(), "CSRF token missing or wrong");
    let res = client
        .post("/books/new")
        .form(&[("title", "Dune")])
        .cross_site()
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // JSON is not a form: the origin check alone applies.
    let res = client
        .post("/api/books")
        .json(&serde_json::json!({"t": 1}))
        .without_csrf()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = client
        .post("/api/books")
        .json(&serde_json::json!({"t": 1}))
        .cross_site()
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // `csrf = false`: the route opted out, visibly.
    let res = client
        .post("/hooks/payment")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=1")
        .cross_site()
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    // Trusted origins pass the origin check.
    let trusted = TestClient::new(app().trusted_origins(["https://evil.example"]));
    let res = trusted
        .post("/api/books")
        .json(&serde_json::json!({}))
        .cross_site()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// Reads the session cookie and the token off a real response.
fn cookies_of(res: &RawResponse) -> (String, String) {
    let mut session = None;
    let mut token = None;
    for (name, value) in &res.headers {
        if name == "set-cookie" {
            let pair = value.split(';').next().unwrap();
            if let Some(v) = pair.strip_prefix("kiln_session=") {
                session = Some(v.to_string());
            }
            if let Some(v) = pair.strip_prefix("kiln_csrf=") {
                token = Some(v.to_string());
            }
        }
    }
    (
        session.expect("session cookie"),
        token.expect("token cookie"),
    )
}

async fn form_post(addr: std::net::SocketAddr, cookie: &str, extra: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST /books/new HTTP/1.1\r\nHost: {addr}\r\nCookie: kiln_session={cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{extra}\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(&mut stream, &req).await.status
}

#[tokio::test]
async fn the_csrf_matrix_over_a_real_socket() {
    let server = app().bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_until(async move {
        let _ = rx.await;
    }));
    let page = |addr| async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        exchange(
            &mut s,
            &format!("GET /books/new HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        )
        .await
    };
    let first = page(addr).await;
    assert_eq!(first.status, 200);
    let (cookie, token) = cookies_of(&first);
    assert!(first.body.contains(&token), "the page carries the token");
    let (_, other_token) = cookies_of(&page(addr).await);
    let origin = format!("Origin: http://{addr}\r\n");
    let with = |t: &str| format!("title=Dune&csrf_token={t}");

    let cases = [
        (
            "a: no token",
            form_post(addr, &cookie, &origin, "title=Dune").await,
            403,
        ),
        (
            "b: wrong token",
            form_post(addr, &cookie, &origin, &with("AAAA")).await,
            403,
        ),
        (
            "c: another session's token",
            form_post(addr, &cookie, &origin, &with(&other_token)).await,
            403,
        ),
        (
            "d: valid token, evil origin",
            form_post(
                addr,
                &cookie,
                "Origin: https://evil.example\r\n",
                &with(&token),
            )
            .await,
            403,
        ),
        (
            "e: Sec-Fetch-Site cross-site",
            form_post(
                addr,
                &cookie,
                "Sec-Fetch-Site: cross-site\r\n",
                &with(&token),
            )
            .await,
            403,
        ),
        (
            "f: same origin, valid token",
            form_post(addr, &cookie, &origin, &with(&token)).await,
            201,
        ),
    ];
    for (name, got, want) in cases {
        assert_eq!(got, want, "{name}");
    }
    // g: a state change attempted with GET is not routed.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let res = exchange(
        &mut s,
        &format!("GET /books/new?title=Dune HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(res.status, 200, "GET only shows the form");
    assert!(!res.body.contains("created"), "GET changed nothing");
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "hello").unwrap();
    let client = TestClient::new(app().static_files("/static", dir.path()).body_limit(10));
    let cases = [
        (client.get("/").await, 200),
        (client.get("/nope").await, 404),
        (client.delete("/").await, 405),
        (client.post("/upload").body("x".repeat(100)).await, 413),
        (client.get("/boom").await, 500),
        (client.get("/static/a.txt").await, 200),
        (client.get("/").header("host", "a@b").await, 400),
        (
            client
                .post("/books/new")
                .form(&[("t", "x")])
                .without_csrf()
                .await,
            403,
        ),
    ];
    for (res, status) in cases {
        assert_eq!(res.status().as_u16(), status, "{}", res.text());
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{status}"
        );
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{status}");
        assert_eq!(
            res.header("referrer-policy"),
            Some("strict-origin-when-cross-origin"),
            "{status}"
        );
    }
    let custom = TestClient::new(
        app().security_headers(
            SecurityHeaders::default()
                .set("x-frame-options", "SAMEORIGIN")
                .remove("referrer-policy"),
        ),
    );
    let res = custom.get("/").await;
    assert_eq!(res.header("x-frame-options"), Some("SAMEORIGIN"));
    assert_eq!(res.header("referrer-policy"), None);
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    let none = TestClient::new(app().security_headers(SecurityHeaders::none()));
    assert_eq!(none.get("/").await.header("x-frame-options"), None);
}

#[tokio::test]
async fn bad_and_unlisted_hosts_are_400() {
    let client = TestClient::new(app().allowed_hosts(["books.test"]));
    assert_eq!(
        client.get("/").header("host", "books.test").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        client
            .get("/")
            .header("host", "books.test:8000")
            .await
            .status(),
        StatusCode::OK
    );
    for host in [
        "evil.example",
        "a@b",
        "x:99999",
        "",
        "books.test.evil.example",
    ] {
        let res = client.get("/").header("host", host).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{host:?}");
    }
}

#[tokio::test]
async fn host_cases_over_a_real_socket() {
    let server = app()
        .allowed_hosts(["books.test"])
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_until(async move {
        let _ = rx.await;
    }));
    let cases = [
        ("GET / HTTP/1.1\r\nHost: books.test\r\n", 200),
        ("GET / HTTP/1.1\r\nHost: evil.example\r\n", 400),
        (
            "GET / HTTP/1.1\r\nHost: books.test\r\nHost: evil.example\r\n",
            400,
        ),
        ("GET / HTTP/1.1\r\nHost: \r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a@b\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: books.test:99999\r\n", 400),
        ("GET / HTTP/1.1\r\n", 400),
    ];
    for (head, want) in cases {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let res = exchange(&mut s, &format!("{head}Connection: close\r\n\r\n")).await;
        assert_eq!(res.status, want, "{head:?}");
    }
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn sessions_in_the_database_store() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    let client = TestClient::new(app().sessions(DatabaseStore::new(db.clone())));
    let res = client.post("/login").form(&[("user", "kay")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(
        client.get("/").await.text(),
        r#"Some("kay") ["Welcome back"]"#
    );
    let pool = db.sqlite_pool().unwrap();
    let rows: i64 = kiln::sqlx::query_scalar("SELECT COUNT(*) FROM kiln_sessions")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        rows, 1,
        "login replaced the token session's row (regenerate)"
    );
    let cookie = client.cookie("kiln_session").unwrap();
    assert!(cookie.len() < 200, "the cookie holds only the sealed id");
    client.post("/logout").await;
    let rows: i64 = kiln::sqlx::query_scalar("SELECT COUNT(*) FROM kiln_sessions")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "logout deletes it");
    let res = client
        .get("/")
        .header("cookie", &format!("kiln_session={cookie}"))
        .await;
    assert_eq!(res.text(), "None []", "the old id is gone");
}

/// The test Redis server's URL; in CI a missing one fails the test, elsewhere it is
/// skipped with a note.
fn redis_url() -> Option<String> {
    const VAR: &str = "KILN_TEST_REDIS_URL";
    match std::env::var(VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{VAR} is not set, and CI is: the Redis session tests must run. \
             Start one with `export {VAR}=$(scripts/redis.sh)`."
        ),
        _ => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipping Redis: {VAR} not set (run `export {VAR}=$(scripts/redis.sh)`)"
            );
            None
        }
    }
}

#[tokio::test]
async fn sessions_in_redis() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("kiln-test-{}:", std::process::id());
    let store = kiln::session::RedisStore::new(&url)
        .unwrap()
        .prefix(prefix.clone());
    let client = TestClient::new(app().sessions(store));
    let res = client.post("/login").form(&[("user", "kay")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(
        client.get("/").await.text(),
        r#"Some("kay") ["Welcome back"]"#
    );
    assert_eq!(client.get("/").await.text(), r#"Some("kay") []"#);
    let cookie = client.cookie("kiln_session").unwrap();
    assert!(cookie.len() < 200, "the cookie holds only the sealed id");

    // What Redis holds: one key with the session and a TTL, gone after logout.
    let redis = kiln_redis_keys(&url, &prefix);
    assert_eq!(
        redis.len(),
        1,
        "regenerate at login removed the first id: {redis:?}"
    );
    client.post("/logout").await;
    assert!(
        kiln_redis_keys(&url, &prefix).is_empty(),
        "logout deletes it"
    );
    let res = client
        .get("/")
        .header("cookie", &format!("kiln_session={cookie}"))
        .await;
    assert_eq!(res.text(), "None []", "the old id is gone");

    // A server that is down is no session, never a 500.
    let down = kiln::session::RedisStore::new("redis://127.0.0.1:1/").unwrap();
    let client = TestClient::new(app().sessions(down));
    let res = client.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "None []");
}

/// The keys under `prefix`, with a positive TTL each, read with `redis-cli`.
fn kiln_redis_keys(url: &str, prefix: &str) -> Vec<String> {
    let port = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let out = std::process::Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port, "--scan", "--pattern"])
        .arg(format!("{prefix}*"))
        .output()
        .expect("redis-cli");
    let keys: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    for key in &keys {
        let ttl = std::process::Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port, "ttl", key])
            .output()
            .unwrap();
        let ttl: i64 = String::from_utf8_lossy(&ttl.stdout).trim().parse().unwrap();
        assert!(ttl > 0, "{key} expires: ttl {ttl}");
    }
    keys
}

#[derive(serde::Deserialize)]
struct Search {
    q: String,
}

#[get("/find")]
async fn find(Query(s): Query<Search>) -> String {
    s.q
}

#[tokio::test]
async fn forms_and_queries_refuse_invalid_utf8() {
    let client = TestClient::new(app().mount("/", routes![find]));
    assert_eq!(client.get("/find?q=caf%C3%A9").await.text(), "café");
    let res = client.get("/find?q=%C3%28").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.text(),
        "query string is not valid UTF-8 once percent-decoded"
    );
    assert_eq!(
        client.get("/find").await.status(),
        StatusCode::BAD_REQUEST,
        "q missing"
    );
    for body in [&b"title=%FF"[..], &b"title=\xff"[..]] {
        let res = client
            .post("/books/new")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body:?}");
    }
    let res = client.post("/books/new").form(&[("nope", "x")]).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing field"
    );
    let res = client
        .post("/books/new")
        .json(&serde_json::json!({"title": "x"}))
        .await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[post("/avatar")]
async fn avatar(body: kiln::axum::body::Bytes) -> String {
    format!("{} bytes", body.len())
}

fn multipart(token: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(t) = token {
        body.push_str(&format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n"
        ));
    }
    body.push_str(
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n",
    );
    body
}

#[tokio::test]
async fn multipart_forms_carry_the_token_in_a_field() {
    let client = TestClient::new(app().mount("/", routes![avatar]));
    client.get("/books/new").await;
    let token = client.cookie("kiln_csrf").unwrap();
    let send = |body: String| {
        client
            .post("/avatar")
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .without_csrf()
    };
    let res = send(multipart(Some(&token))).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    assert_eq!(
        res.text(),
        format!("{} bytes", multipart(Some(&token)).len()),
        "body intact"
    );
    assert_eq!(send(multipart(None)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        send(multipart(Some("wrong"))).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send("garbage".to_string()).await.status(),
        StatusCode::FORBIDDEN
    );
}
