//! PostgreSQL over TLS: `sslmode=require` encrypts the connection (sqlx's rustls
//! support, on with kiln's `postgres` feature).

use kiln::prelude::*;

use crate::support::postgres_url;

fn with_sslmode(url: &str, mode: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}sslmode={mode}")
}

#[tokio::test]
async fn sslmode_require_connects_over_tls() {
    let Some(url) = postgres_url() else { return };
    let db = Database::connect(&with_sslmode(&url, "require"))
        .await
        .unwrap();
    db.ping().await.unwrap();
    let pool = db.postgres_pool().unwrap();
    let ssl: bool =
        kiln::sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(ssl, "the connection is encrypted");
    let plain = Database::connect(&with_sslmode(&url, "disable"))
        .await
        .unwrap();
    let ssl: bool =
        kiln::sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(plain.postgres_pool().unwrap())
            .await
            .unwrap();
    assert!(!ssl, "sslmode=disable is plain: the check above could fail");
    // The test server's certificate is self-signed: verify-full refuses it.
    let err = Database::connect(&with_sslmode(&url, "verify-full")).await;
    assert!(
        err.is_err(),
        "a self-signed certificate is not trusted for verify-full"
    );
}
