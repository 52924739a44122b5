//! What a host (a Procfile platform, a container) relies on: the binary listens on
//! `$HOST:$PORT`, says so, stops with a message on a bad `PORT`, and the repository's
//! Procfile names this binary.

use std::process::Command;

use testkit::{Http, Served, free_port};

const BINARY: &str = env!("CARGO_BIN_EXE_bookstore");

#[tokio::test]
async fn the_binary_listens_where_host_and_port_say() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("bookstore.db").display());
    let port = free_port();
    let app = Served::start(
        BINARY,
        &[("PORT", &port.to_string()), ("DATABASE_URL", &db)],
    );
    assert_eq!(app.addr().port(), port);
    let health = Http::new().get(&app.url("/health")).await;
    assert_eq!(health.status, 200);
    // The SQLite file was made where DATABASE_URL said, seeded.
    assert!(dir.path().join("bookstore.db").exists());
    let home = Http::new().get(&app.url("/")).await;
    assert!(home.body.contains("Dune"), "{}", home.body);
}

#[test]
fn a_port_that_is_not_a_number_stops_it_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BINARY)
        .env("PORT", "eighty")
        .env("NO_COLOR", "1")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("b.db").display()),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Error: the app can't start:\n  - ")
            && stderr.contains("PORT must be a port number, not `eighty`"),
        "{stderr}"
    );
    // Said for a person, not dumped as a struct.
    assert!(!stderr.contains("LaunchError"), "{stderr}");
}

#[test]
fn the_procfile_runs_this_binary_built_for_release() {
    let procfile = std::fs::read_to_string(kiln::relative!("../../Procfile")).unwrap();
    assert_eq!(procfile.trim(), "web: ./target/release/bookstore");
    let name = std::path::Path::new(BINARY).file_name().unwrap();
    assert_eq!(name, "bookstore");
    let dockerfile = std::fs::read_to_string(kiln::relative!("../../Dockerfile")).unwrap();
    assert!(dockerfile.contains("ARG APP=bookstore"));
    assert!(dockerfile.contains("HOST=0.0.0.0"));
}
