//! ORM errors a caller can match, and the HTTP statuses they answer through `?`.

use std::time::{Duration, Instant};

use kiln::orm::Error;
use kiln::prelude::*;
use kiln::sqlx;

use crate::models::{Author, Measure, Member};
use crate::{backend_tests, fail};

/// What a client may read must not hold SQL, driver or type names.
fn assert_no_leak(text: &str) {
    let lower = text.to_lowercase();
    for word in [
        "sqlx",
        "sqlite",
        "postgres",
        "constraint",
        "insert",
        "select",
        "update",
        "duplicate",
        "violates",
        "database error",
        "code:",
        "\"members\"",
    ] {
        assert!(!lower.contains(word), "{text:?} leaks {word:?}");
    }
}

fn kiln_error(err: impl std::error::Error + Send + Sync + 'static) -> kiln::Error {
    kiln::Error::from(err)
}

backend_tests! {
    /// A unique violation is its own variant naming the column, and answers 409.
    async fn unique_violation_is_distinguishable(db: Database, kind: Kind) -> TestResult {
        db.create::<Member>().await?;
        let mut first = Member::new("kay@x.test", "Kay");
        db.save(&mut first).await?;
        let mut second = Member::new("kay@x.test", "Other Kay");
        let err = match db.save(&mut second).await {
            Err(e @ Error::UniqueViolation { .. }) => e,
            other => fail!("expected a unique violation, got {other:?}"),
        };
        let Error::UniqueViolation { table, column } = &err else { unreachable!() };
        assert_eq!((table.as_str(), column.as_str()), ("members", "email"));
        assert_eq!(second.id.get(), None, "no id for a row that was not inserted");

        // An update into a taken value fails alike, and changes nothing.
        let mut third = Member::new("ann@x.test", "Ann");
        db.save(&mut third).await?;
        third.email = "kay@x.test".into();
        assert!(matches!(db.save(&mut third).await, Err(Error::UniqueViolation { .. })));
        let stored = db.get::<Member>(third.id).await?.expect("ann");
        assert_eq!(stored.email, "ann@x.test");

        // Through `?` in a handler: 409 with a short message naming the column only.
        let http = kiln_error(err);
        assert_eq!(http.status_code(), StatusCode::CONFLICT);
        assert_eq!(http.public_text(), "this value of `email` is already taken");
        assert_no_leak(&http.public_text());
        assert_eq!(db.select::<Member>().count().await?, 2);
        Ok(())
    }

    /// Real errors of each kind answer their status through `kiln::Error`.
    async fn statuses_of_real_errors(db: Database, kind: Kind) -> TestResult {
        db.create::<Author>().await?;
        db.create::<crate::models::Book>().await?;
        db.create::<Member>().await?;
        db.create::<Measure>().await?;

        // 404: a missing row.
        let e = kiln_error(db.find::<Author>(5).await.expect_err("missing"));
        assert_eq!(e.status_code(), StatusCode::NOT_FOUND);
        assert_eq!(e.public_text(), "Not Found");

        // 409: a key to a missing row.
        let mut book = crate::models::Book {
            id: Id::new(),
            title: "t".into(),
            published: true,
            author: ForeignKey::from_id(9),
        };
        let e = kiln_error(db.save(&mut book).await.expect_err("fk"));
        assert_eq!(e.status_code(), StatusCode::CONFLICT);
        assert_no_leak(&e.public_text());

        // 500: a key to an unsaved row; the message is not sent.
        book.author = ForeignKey::to(&Author::new("ghost", 1));
        let e = kiln_error(db.save(&mut book).await.expect_err("unsaved"));
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.public_text(), "Internal Server Error");

        // 400: a value the database refuses. SQLite stores NaN as NULL, which the
        // NOT NULL column refuses; PostgreSQL refuses a NUL byte in text.
        let mut m = Measure { id: Id::new(), value: f64::NAN, note: "nan".into() };
        if kind == Kind::Postgres {
            m.value = 1.0;
            m.note = "nul\0byte".into();
        }
        let err = db.save(&mut m).await.expect_err("invalid value");
        assert!(matches!(err, Error::InvalidValue { .. }), "{err:?}");
        let e = kiln_error(err);
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
        assert_no_leak(&e.public_text());
        assert_eq!(db.select::<Measure>().count().await?, 0);

        // A raw sqlx error maps the same way: NOT NULL through the escape hatch.
        let raw = match (db.sqlite_pool(), db.postgres_pool()) {
            (Some(p), _) => sqlx::query("INSERT INTO members (email, display_name, \"order\") VALUES (NULL, 'x', 1)")
                .execute(p).await.map(drop),
            (_, Some(p)) => sqlx::query("INSERT INTO members (email, display_name, \"order\") VALUES (NULL, 'x', 1)")
                .execute(p).await.map(drop),
            _ => unreachable!(),
        };
        let e = kiln_error(raw.expect_err("NOT NULL"));
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(e.public_text(), "invalid value for `email`");

        // And a raw duplicate key.
        let mut a = Member::new("a@x.test", "A");
        db.save(&mut a).await?;
        let sql = "INSERT INTO members (email, display_name, \"order\") VALUES ('a@x.test', 'x', 1)";
        let raw = match (db.sqlite_pool(), db.postgres_pool()) {
            (Some(p), _) => sqlx::query(sql).execute(p).await.map(drop),
            (_, Some(p)) => sqlx::query(sql).execute(p).await.map(drop),
            _ => unreachable!(),
        };
        let e = kiln_error(raw.expect_err("duplicate"));
        assert_eq!(e.status_code(), StatusCode::CONFLICT);
        assert_eq!(e.public_text(), "this value of `email` is already taken");
        Ok(())
    }

    /// No free connection within the acquire timeout: `PoolTimedOut`, 503, quickly;
    /// and the pool works again once the connection is back.
    #[with(|b| b.max_connections(1).acquire_timeout(Duration::from_millis(300)))]
    async fn pool_timeout_is_503(db: Database, kind: Kind) -> TestResult {
        db.create::<Author>().await?;
        let tx = db.begin().await?; // holds the only connection
        let started = Instant::now();
        let err = db.all::<Author>().await.expect_err("no connection free");
        let waited = started.elapsed();
        assert!(matches!(err, Error::PoolTimedOut), "{err:?}");
        assert!(waited >= Duration::from_millis(250) && waited < Duration::from_secs(3), "{waited:?}");
        assert!(err.is_retryable());
        let res = err.into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("1"));
        tx.rollback().await?;
        assert_eq!(db.all::<Author>().await?, []);
        Ok(())
    }

    /// A row locked by another writer: `Busy` (SQLite) / lock timeout (PostgreSQL), 503.
    #[with(|b| b.busy_timeout(Duration::from_millis(200)))]
    async fn locked_database_is_503(db: Database, kind: Kind) -> TestResult {
        db.create::<Author>().await?;
        let mut kay = Author::new("Kay", 1);
        db.save(&mut kay).await?;
        match kind {
            Kind::SqliteMemory => {} // one connection: nobody else can hold a lock
            Kind::SqliteFile => {
                let pool = db.sqlite_pool().expect("sqlite");
                let mut holder = pool.acquire().await?;
                sqlx::query("BEGIN IMMEDIATE").execute(&mut *holder).await?;
                let started = Instant::now();
                kay.age = 2;
                let err = db.save(&mut kay).await.expect_err("locked");
                assert!(matches!(err, Error::Busy(_)), "{err:?}");
                assert!(started.elapsed() >= Duration::from_millis(150), "waited the busy timeout");
                assert!(started.elapsed() < Duration::from_secs(3));
                let res = err.into_response();
                assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
                assert_eq!(res.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("1"));
                sqlx::query("ROLLBACK").execute(&mut *holder).await?;
                drop(holder);
                db.save(&mut kay).await?;
                assert_eq!(db.get::<Author>(kay.id).await?.map(|a| a.age), Some(2));
            }
            Kind::Postgres => {
                let tx = db.begin().await?;
                kay.age = 2;
                tx.save(&mut kay).await?; // row lock held by the transaction
                let pool = db.postgres_pool().expect("postgres");
                let mut other = pool.acquire().await?;
                sqlx::query("SET lock_timeout = '200ms'").execute(&mut *other).await?;
                let err = sqlx::query("UPDATE author SET age = 3 WHERE id = 1")
                    .execute(&mut *other)
                    .await
                    .expect_err("locked");
                let e = kiln_error(err);
                assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
                sqlx::query("RESET lock_timeout").execute(&mut *other).await?;
                drop(other);
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// Each variant's status and client text through `kiln::Error`: no SQL, no driver text.
#[test]
fn statuses_of_every_variant() {
    let driver = || sqlx::Error::Protocol("SELECT secret FROM users; syntax error".into());
    let cases: Vec<(Error, StatusCode)> = vec![
        (
            Error::NotFound {
                table: "book",
                id: Some(1),
            },
            StatusCode::NOT_FOUND,
        ),
        (
            Error::UniqueViolation {
                table: "book".into(),
                column: "isbn".into(),
            },
            StatusCode::CONFLICT,
        ),
        (
            Error::ForeignKeyViolation {
                table: Some("book".into()),
                column: Some("author_id".into()),
            },
            StatusCode::CONFLICT,
        ),
        (
            Error::Unsaved {
                table: "book",
                column: Some("author_id"),
            },
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (
            Error::InvalidValue {
                column: Some("title".into()),
                reason: "SELECT 1: bad".into(),
            },
            StatusCode::BAD_REQUEST,
        ),
        (Error::Busy(driver()), StatusCode::SERVICE_UNAVAILABLE),
        (Error::PoolTimedOut, StatusCode::SERVICE_UNAVAILABLE),
        (
            Error::Unavailable(driver()),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        (Error::DiskFull(driver()), StatusCode::INSUFFICIENT_STORAGE),
        (Error::TransactionClosed, StatusCode::INTERNAL_SERVER_ERROR),
        (Error::Database(driver()), StatusCode::INTERNAL_SERVER_ERROR),
    ];
    for (err, status) in cases {
        assert_eq!(err.status(), status, "{err:?}");
        let http = kiln::Error::from(err);
        assert_eq!(http.status_code(), status);
        let text = http.public_text();
        assert!(
            !text.contains("secret") && !text.contains("SELECT"),
            "{text}"
        );
    }
    let e = kiln::Error::from(Error::InvalidValue {
        column: Some("title".into()),
        reason: "x".into(),
    });
    assert_eq!(e.public_text(), "invalid value for `title`");
    let e = kiln::Error::from(sqlx::Error::PoolTimedOut);
    assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
    let e = kiln::Error::from(sqlx::Error::RowNotFound);
    assert_eq!(e.status_code(), StatusCode::NOT_FOUND);
}
