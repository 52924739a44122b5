//! SQLite specifics: the settings of a file database, one connection for `:memory:`,
//! and a full disk answering 507 without losing rows.

use std::time::Duration;

use kiln::orm::Error;
use kiln::prelude::*;
use kiln::sqlx;

use crate::models::{Author, Measure};
use crate::support::{Kind, TestDb, temp_dir};

/// A PRAGMA's value, as text whatever its type.
async fn pragma(pool: &sqlx::SqlitePool, name: &str) -> String {
    use sqlx::Row as _;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("PRAGMA {name}: {e}"));
    row.try_get::<String, _>(0)
        .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
        .unwrap_or_else(|e| panic!("PRAGMA {name}: {e}"))
}

/// A file database: created if missing, WAL, foreign keys, 5 s busy timeout, NORMAL sync.
#[tokio::test]
async fn file_settings() {
    let dir = temp_dir("file_settings");
    let path = dir.join("nested-ok.db");
    assert!(!path.exists());
    let db = Database::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    assert!(path.exists(), "the file is created");
    let pool = db.sqlite_pool().expect("sqlite");
    assert_eq!(pragma(pool, "journal_mode").await, "wal");
    assert_eq!(pragma(pool, "foreign_keys").await, "1");
    assert_eq!(pragma(pool, "busy_timeout").await, "5000");
    assert_eq!(pragma(pool, "synchronous").await, "1"); // NORMAL
    db.close().await;

    let db = Database::builder(format!("sqlite://{}", path.display()))
        .synchronous_full()
        .busy_timeout(Duration::from_millis(1500))
        .connect()
        .await
        .expect("connect");
    let pool = db.sqlite_pool().expect("sqlite");
    assert_eq!(pragma(pool, "synchronous").await, "2"); // FULL
    assert_eq!(pragma(pool, "busy_timeout").await, "1500");
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// `sqlite::memory:` is one database on one connection that stays open.
#[tokio::test]
async fn memory_is_one_database() {
    let db = Database::builder("sqlite::memory:")
        .max_connections(8)
        .connect()
        .await
        .expect("memory");
    db.create::<Author>().await.expect("create");
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move { db.save(&mut Author::new("a", i)).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("join").expect("save");
    }
    assert_eq!(db.select::<Author>().count().await.expect("count"), 10);
    let pool = db.sqlite_pool().expect("sqlite");
    assert_eq!(pool.size(), 1);
    // Two memory databases are separate.
    let other = Database::connect("sqlite::memory:").await.expect("memory");
    assert_eq!(other.tables().await.expect("tables"), Vec::<String>::new());
}

/// A URL kiln does not support is an error, not a panic.
#[tokio::test]
async fn unsupported_url() {
    let err = Database::connect("mysql://localhost/db")
        .await
        .expect_err("unsupported");
    assert!(
        err.to_string().contains("unsupported database URL"),
        "{err}"
    );
    assert!(Database::builder("nonsense").connect_lazy().is_err());
}

/// A lazily connected pool to a server that is down answers 503 within the acquire
/// timeout, and the app starts anyway.
#[tokio::test]
async fn database_down_is_503() {
    let db = Database::builder("postgres://postgres@127.0.0.1:1/none")
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy()
        .expect("lazy pool");
    let started = std::time::Instant::now();
    let err = db.ping().await.expect_err("nobody listens on port 1");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(
        kiln::Error::from(err).status_code(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

/// A full database answers `DiskFull` (507); rows written before stay readable, the
/// file stays sound, and writes resume once there is room, without reconnecting.
#[tokio::test]
async fn disk_full_is_507_and_recovers() {
    // One connection, so that the page limit (a per-connection setting) applies.
    let t = TestDb::with(Kind::SqliteFile, "disk_full", |b| b.max_connections(1))
        .await
        .expect("sqlite file");
    let db = &t.db;
    db.create::<Measure>().await.expect("create");
    let pool = db.sqlite_pool().expect("sqlite").clone();
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&pool)
        .await
        .expect("pages");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA max_page_count = {}",
        pages + 8
    )))
    .execute(&pool)
    .await
    .expect("limit");

    let big = "x".repeat(3000);
    let mut saved = 0;
    let err = loop {
        let mut m = Measure {
            id: Id::new(),
            value: saved as f64,
            note: big.clone(),
        };
        match db.save(&mut m).await {
            Ok(()) => saved += 1,
            Err(e) => break e,
        }
        assert!(saved < 1000, "the limit never hit");
    };
    assert!(saved > 0);
    assert!(matches!(err, Error::DiskFull(_)), "{err:?}");
    assert_eq!(
        kiln::Error::from(err).status_code(),
        StatusCode::INSUFFICIENT_STORAGE
    );
    assert_eq!(db.select::<Measure>().count().await.expect("count"), saved);
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("check");
    assert_eq!(check, "ok");

    sqlx::query("PRAGMA max_page_count = 1000000")
        .execute(&pool)
        .await
        .expect("raise");
    db.save(&mut Measure {
        id: Id::new(),
        value: -1.0,
        note: big,
    })
    .await
    .expect("room again");
    assert_eq!(
        db.select::<Measure>().count().await.expect("count"),
        saved + 1
    );
    t.cleanup().await;
}
