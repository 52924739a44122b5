//! SQLite connections that opened a read-only file (battery F3): SQLite opens a file it
//! may not write read-only, silently, and such a connection stays read-only after the
//! file is writable again. When any statement finds its database read-only, every
//! connection opened before that moment is closed the next time the pool hands it out,
//! so the pool reopens them, read-write once the file allows it: the app recovers
//! without a restart.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When a statement last found its database read-only: nanoseconds since [`base`],
/// 0 for never.
static SEEN: AtomicU64 = AtomicU64::new(0);

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Whether `err` is SQLite's `SQLITE_READONLY` (any of its extended codes).
pub(crate) fn is_read_only(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    // As `kind_of` reads codes: PostgreSQL's are SQLSTATEs, SQLite's numbers.
    #[cfg(feature = "postgres")]
    if db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        return false;
    }
    db.code()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 8)
}

/// Notes that a statement found its database read-only, now.
pub(crate) fn seen() {
    let now = nanos(base().elapsed()).max(1);
    SEEN.fetch_max(now, Ordering::Relaxed);
}

/// Whether a connection `age` old was opened before the last read-only finding (and
/// so may be read-only itself).
pub(crate) fn opened_before_last(age: Duration) -> bool {
    let seen = SEEN.load(Ordering::Relaxed);
    if seen == 0 {
        return false;
    }
    let opened = base().elapsed().saturating_sub(age);
    nanos(opened) <= seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orm::Database;

    #[test]
    fn only_connections_older_than_the_finding_are_suspect() {
        seen();
        assert!(opened_before_last(Duration::from_secs(3600)));
        std::thread::sleep(Duration::from_millis(5));
        assert!(!opened_before_last(Duration::ZERO), "opened after it");
    }

    #[tokio::test]
    async fn a_connection_opened_before_a_read_only_finding_is_reopened() {
        let path = std::env::temp_dir().join(format!(
            "kiln-read-only-{}-{}.db",
            std::process::id(),
            nanos(base().elapsed())
        ));
        let url = format!("sqlite://{}", path.display());
        let db = Database::builder(&url)
            .max_connections(1)
            .connect()
            .await
            .unwrap();
        let pool = db.sqlite_pool().unwrap();
        // A TEMP table lives on one connection: it says whether the pool kept it.
        sqlx::query("CREATE TEMP TABLE here (x)")
            .execute(pool)
            .await
            .unwrap();
        let count = "SELECT count(*) FROM temp.here";
        sqlx::query(count).fetch_one(pool).await.unwrap();
        sqlx::query(count)
            .fetch_one(pool)
            .await
            .expect("the same connection");

        // A statement somewhere found its database read-only.
        let err = sqlx::Error::Database(Box::new(ReadOnly));
        assert!(is_read_only(&err));
        let _ = crate::orm::Error::from(err);

        let gone = sqlx::query(count).fetch_one(pool).await;
        assert!(
            gone.is_err(),
            "the old connection was closed, a new one opened"
        );
        sqlx::query("SELECT 1").fetch_one(pool).await.unwrap();
        db.close().await;
        let _ = std::fs::remove_file(&path);
    }

    /// What SQLite says writing through a connection that opened the file read-only.
    #[derive(Debug)]
    struct ReadOnly;

    impl std::fmt::Display for ReadOnly {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("attempt to write a readonly database")
        }
    }

    impl std::error::Error for ReadOnly {}

    impl sqlx::error::DatabaseError for ReadOnly {
        fn message(&self) -> &str {
            "attempt to write a readonly database"
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some("8".into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }
}
