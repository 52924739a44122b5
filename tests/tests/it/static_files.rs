//! `App::static_files`: content types, caching headers, 304s, ranges, precompressed
//! siblings, and no way out of the folder.

use std::fs;
use std::path::Path;

use kiln::prelude::*;
use kiln::static_files::StaticFiles;

const CANARY: &str = "CANARY-7f3a9c-outside-the-folder";

/// A folder `static/` with some files, next to a canary file that must never be served.
struct Site {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
}

fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("static");
    fs::create_dir_all(root.join("docs/deep")).unwrap();
    fs::write(root.join("style.css"), "body { color: red }\n").unwrap();
    fs::write(root.join("hello.txt"), "hello, static world\n").unwrap();
    fs::write(root.join("docs/index.html"), "<h1>docs</h1>\n").unwrap();
    fs::write(root.join("docs/deep/note.txt"), "deep\n").unwrap();
    fs::write(root.join("app.js"), "console.log('plain');\n").unwrap();
    fs::write(root.join("app.js.gz"), "GZIP-BYTES").unwrap();
    fs::write(root.join("app.js.br"), "BROTLI-BYTES").unwrap();
    fs::write(root.join(".env"), format!("SECRET={CANARY}")).unwrap();
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::write(root.join(".git/config"), CANARY).unwrap();
    fs::write(dir.path().join("canary"), CANARY).unwrap();
    fs::create_dir_all(dir.path().join("etc")).unwrap();
    fs::write(dir.path().join("etc/passwd"), CANARY).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("canary"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
        std::os::unix::fs::symlink(root.join("hello.txt"), root.join("inner-link.txt")).unwrap();
    }
    Site { root, _dir: dir }
}

#[get("/static/dynamic")]
async fn dynamic() -> &'static str {
    "a route beside the files"
}

#[catch(404)]
async fn not_found(uri: Uri) -> String {
    format!("catcher: nothing at {}", uri.path())
}

fn client(root: &Path) -> TestClient {
    TestClient::new(
        App::new()
            .mount("/", routes![dynamic])
            .static_files("/static", root)
            .catch(catchers![not_found]),
    )
}

#[tokio::test]
async fn files_are_served_with_their_type_and_caching_headers() {
    let site = site();
    let client = client(&site.root);
    let res = client.get("/static/style.css").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("text/css"));
    assert_eq!(res.text(), "body { color: red }\n");
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    assert!(res.header("etag").is_some_and(|e| e.starts_with('"')));
    assert!(res.header("last-modified").is_some());
    assert_eq!(
        client.get("/static/hello.txt").await.header("content-type"),
        Some("text/plain")
    );
    // A folder serves its index.html.
    assert_eq!(client.get("/static/docs/").await.text(), "<h1>docs</h1>\n");
    assert_eq!(
        client.get("/static/docs/deep/note.txt").await.text(),
        "deep\n"
    );
    // A route under the prefix still wins for its own path.
    assert_eq!(
        client.get("/static/dynamic").await.text(),
        "a route beside the files"
    );
    // HEAD: headers, no body.
    let res = client.head("/static/hello.txt").await;
    assert_eq!((res.status(), res.text().len()), (StatusCode::OK, 0));
    assert_eq!(res.header("content-length"), Some("20"));
}

#[tokio::test]
async fn conditional_requests_answer_304() {
    let site = site();
    let client = client(&site.root);
    let first = client.get("/static/style.css").await;
    let etag = first.header("etag").unwrap().to_string();
    let modified = first.header("last-modified").unwrap().to_string();
    let res = client
        .get("/static/style.css")
        .header("if-none-match", &etag)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.text(), "");
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    let res = client
        .get("/static/style.css")
        .header("if-modified-since", &modified)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = client
        .get("/static/style.css")
        .header("if-none-match", "\"something-else\"")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn range_requests() {
    let site = site();
    let client = client(&site.root);
    let res = client
        .get("/static/hello.txt")
        .header("range", "bytes=0-4")
        .await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.text(), "hello");
    assert_eq!(res.header("content-range"), Some("bytes 0-4/20"));
    let res = client
        .get("/static/hello.txt")
        .header("range", "bytes=500-600")
        .await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(res.header("content-range"), Some("bytes */20"));
}

#[tokio::test]
async fn precompressed_siblings_follow_accept_encoding() {
    let site = site();
    let client = client(&site.root);
    let res = client
        .get("/static/app.js")
        .header("accept-encoding", "br, gzip")
        .await;
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert_eq!(res.text(), "BROTLI-BYTES");
    assert_eq!(res.header("content-type"), Some("text/javascript"));
    let res = client
        .get("/static/app.js")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.text(), "GZIP-BYTES");
    let res = client.get("/static/app.js").await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.text(), "console.log('plain');\n");
    // Turned off, the siblings are just files.
    let plain = TestClient::new(
        App::new().serve_files(StaticFiles::new("/s", &site.root).precompressed(false)),
    );
    let res = plain.get("/s/app.js").header("accept-encoding", "br").await;
    assert_eq!(res.header("content-encoding"), None);
}

#[tokio::test]
async fn nothing_outside_the_folder_is_ever_served() {
    let site = site();
    let client = client(&site.root);
    let variants = [
        "../canary",
        "..%2fcanary",
        "%2e%2e%2fcanary",
        "%2e%2e/canary",
        "..%5ccanary",
        "%2e%2e%5ccanary",
        "%252e%252e%252fcanary",
        "..;/canary",
        "%2fetc%2fpasswd",
        "/etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "C:/Windows/win.ini",
        "c%3A/windows/win.ini",
        ".%00./canary",
        "%c0%ae%c0%ae/canary",
        "....//canary",
        "%00",
        ".env",
        "%2eenv",
        ".git/config",
        "docs/../../canary",
        "docs/%2e%2e/%2e%2e/canary",
        "link",
        "up/canary",
        "up/etc/passwd",
        "%2e%2e",
    ];
    for v in variants {
        let res = client.get(&format!("/static/{v}")).await;
        assert!(
            matches!(
                res.status(),
                StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST
            ),
            "/static/{v} answered {}",
            res.status()
        );
        assert!(
            !res.text().contains(CANARY),
            "/static/{v} leaked the canary"
        );
    }
    // A symlink that stays inside the folder is fine.
    assert_eq!(
        client.get("/static/inner-link.txt").await.text(),
        "hello, static world\n"
    );
}

#[tokio::test]
async fn a_missing_file_reaches_the_404_catcher() {
    let site = site();
    let client = client(&site.root);
    let res = client.get("/static/nope.css").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.text(), "catcher: nothing at /static/nope.css");
}

#[tokio::test]
async fn only_get_and_head() {
    let site = site();
    let res = client(&site.root).post("/static/style.css").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET,HEAD"));
}

#[tokio::test]
async fn cache_control_is_configurable() {
    let site = site();
    let client = TestClient::new(
        App::new().serve_files(
            StaticFiles::new("/assets", &site.root)
                .cache_control("public, max-age=31536000, immutable"),
        ),
    );
    let res = client.get("/assets/style.css").await;
    assert_eq!(
        res.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    // Errors carry no caching header.
    assert_eq!(
        client.get("/assets/nope").await.header("cache-control"),
        None
    );
}

#[tokio::test]
async fn files_at_the_root_answer_what_no_route_does() {
    let site = site();
    let client = TestClient::new(
        App::new()
            .mount("/", routes![dynamic])
            .static_files("/", &site.root),
    );
    assert_eq!(
        client.get("/hello.txt").await.text(),
        "hello, static world\n"
    );
    assert_eq!(
        client.get("/static/dynamic").await.text(),
        "a route beside the files"
    );
    assert_eq!(client.get("/missing").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        client.post("/missing").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get("/../canary").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn a_missing_folder_stops_the_app_at_start_up() {
    let err = App::new()
        .static_files("/static", "/no/such/folder/anywhere")
        .into_router()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("static folder `/no/such/folder/anywhere` for `/static` can't be opened"),
        "{msg}"
    );
    let err = App::new()
        .static_files("/s/<x>", ".")
        .into_router()
        .unwrap_err();
    assert!(
        err.to_string().contains("must not have parameters"),
        "{err}"
    );
}

#[get("/static/<name>")]
async fn shadow(name: String) -> String {
    name
}

#[test]
fn a_route_parameter_inside_a_static_folder_is_a_start_up_error_not_a_panic() {
    let site = site();
    let built = std::panic::catch_unwind(|| {
        App::new()
            .mount("/", routes![shadow])
            .static_files("/static", &site.root)
            .into_router()
    });
    let err = built.expect("building must not panic").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(
            "static files at `/static` can't be served there: it conflicts with `/static/<name>`"
        ),
        "{msg}"
    );
}
