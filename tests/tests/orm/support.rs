//! Runs each test body against SQLite (a file and memory) and PostgreSQL, each test on
//! its own database: a fresh file, a fresh memory database, or a fresh schema.

use std::fmt::Debug;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Once;

use kiln::orm::Database;

/// The URL of the PostgreSQL server to test against.
pub const POSTGRES_ENV: &str = "KILN_TEST_POSTGRES_URL";

/// A test failure with its message; any `Debug` error converts into it with `?`.
pub struct Failure(pub String);

impl<E: Debug> From<E> for Failure {
    fn from(err: E) -> Failure {
        Failure(format!("{err:?}"))
    }
}

/// What a test body returns.
pub type TestResult = Result<(), Failure>;

/// Fails a test body with a message.
#[macro_export]
macro_rules! fail {
    ($($t:tt)*) => {
        return Err($crate::support::Failure(format!($($t)*)))
    };
}

/// The kinds of database each test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    SqliteFile,
    SqliteMemory,
    Postgres,
}

/// A database made for one test, cleaned up when the test passes.
pub struct TestDb {
    pub db: Database,
    cleanup: Cleanup,
}

enum Cleanup {
    None,
    Dir(PathBuf),
    Schema { admin: String, schema: String },
}

/// A directory of its own for `test`: `$TMPDIR/kiln-orm-tests/<pid>-<test>`.
pub fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("kiln-orm-tests")
        .join(format!("{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test directory");
    dir
}

/// The PostgreSQL URL, or `None` (having said so once) when tests should skip it.
///
/// # Panics
///
/// When it is not set and `CI` is: CI must test PostgreSQL.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{POSTGRES_ENV} is not set, and CI is: the ORM tests must run against PostgreSQL. \
             Start one with `export {POSTGRES_ENV}=$(scripts/postgres.sh)`."
        ),
        _ => {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                // Straight to stderr, past the test harness' output capture.
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping PostgreSQL: {POSTGRES_ENV} not set (run `export {POSTGRES_ENV}=$(scripts/postgres.sh)`)"
                );
            });
            None
        }
    }
}

/// Appends a query parameter to a URL.
fn with_param(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

impl TestDb {
    /// A fresh database of `kind` made with `configure` for the test `test`, or `None`
    /// to skip PostgreSQL.
    pub async fn with(
        kind: Kind,
        test: &str,
        configure: impl FnOnce(kiln::orm::DatabaseBuilder) -> kiln::orm::DatabaseBuilder,
    ) -> Option<TestDb> {
        Self::make(kind, test, "", configure).await
    }

    /// A fresh PostgreSQL schema whose connections get the server settings `settings`
    /// (`-c name=value ...`), or `None` to skip PostgreSQL.
    pub async fn postgres_with_settings(test: &str, settings: &str) -> Option<TestDb> {
        Self::make(Kind::Postgres, test, settings, |b| b).await
    }

    async fn make(
        kind: Kind,
        test: &str,
        pg_settings: &str,
        configure: impl FnOnce(kiln::orm::DatabaseBuilder) -> kiln::orm::DatabaseBuilder,
    ) -> Option<TestDb> {
        match kind {
            Kind::SqliteMemory => Some(TestDb {
                db: configure(Database::builder("sqlite::memory:"))
                    .connect()
                    .await
                    .expect("open sqlite::memory:"),
                cleanup: Cleanup::None,
            }),
            Kind::SqliteFile => {
                let dir = temp_dir(test);
                let url = format!("sqlite://{}", dir.join("app.db").display());
                let db = configure(Database::builder(url))
                    .connect()
                    .await
                    .expect("open the SQLite file");
                Some(TestDb {
                    db,
                    cleanup: Cleanup::Dir(dir),
                })
            }
            Kind::Postgres => {
                let admin_url = postgres_url()?;
                let mut name: String = test.chars().take(40).collect();
                name = format!("t_{name}_{}", std::process::id());
                let admin = Database::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("connect to {POSTGRES_ENV}: {e}"));
                let pool = admin.postgres_pool().expect("a PostgreSQL URL");
                sqlx_exec(pool, &format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE")).await;
                sqlx_exec(pool, &format!("CREATE SCHEMA \"{name}\"")).await;
                admin.close().await;
                let options = format!("-c search_path={name} {pg_settings}");
                let encoded = options.trim().replace(' ', "%20").replace('=', "%3D");
                let url = with_param(&admin_url, &format!("options={encoded}"));
                let db = configure(Database::builder(url))
                    .connect()
                    .await
                    .expect("connect to the test schema");
                Some(TestDb {
                    db,
                    cleanup: Cleanup::Schema {
                        admin: admin_url,
                        schema: name,
                    },
                })
            }
        }
    }

    /// Removes what the test made (only called when it passed).
    pub async fn cleanup(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::None => {}
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema { admin, schema } => {
                if let Ok(admin) = Database::connect(&admin).await {
                    if let Some(pool) = admin.postgres_pool() {
                        sqlx_exec(pool, &format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                            .await;
                    }
                    admin.close().await;
                }
            }
        }
    }
}

async fn sqlx_exec(pool: &kiln::sqlx::PgPool, sql: &str) {
    kiln::sqlx::raw_sql(kiln::sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Runs `body` on a fresh database of `kind` made with `configure`, panicking with
/// its failure.
pub async fn run<F, Fut>(
    kind: Kind,
    test: &str,
    configure: impl FnOnce(kiln::orm::DatabaseBuilder) -> kiln::orm::DatabaseBuilder,
    body: F,
) where
    F: FnOnce(Database, Kind) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let Some(t) = TestDb::with(kind, test, configure).await else {
        return;
    };
    match body(t.db.clone(), kind).await {
        Ok(()) => t.cleanup().await,
        Err(Failure(msg)) => panic!("{test} on {kind:?}: {msg}"),
    }
}

/// Applies a test's database settings.
pub fn apply(
    configure: impl FnOnce(kiln::orm::DatabaseBuilder) -> kiln::orm::DatabaseBuilder,
    builder: kiln::orm::DatabaseBuilder,
) -> kiln::orm::DatabaseBuilder {
    configure(builder)
}

/// A test's `#[with(..)]` settings, or none.
#[macro_export]
macro_rules! configure_or_default {
    () => {
        |b| b
    };
    ($e:expr) => {
        $e
    };
}

/// Declares tests that run on every backend: for each `async fn name(db, kind)`, a
/// module `name` with the tests `sqlite_file`, `sqlite_memory` and `postgres`.
/// `#[with(|builder| ..)]` sets up the database differently.
#[macro_export]
macro_rules! backend_tests {
    ($(
        $(#[doc = $doc:literal])*
        $(#[with($configure:expr)])?
        async fn $name:ident($db:ident: Database, $kind:ident: Kind) -> TestResult $body:block
    )*) => {$(
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::support::{Kind, TestResult, run};

            #[allow(unused_variables)]
            async fn body($db: kiln::orm::Database, $kind: Kind) -> TestResult $body

            fn configure(b: kiln::orm::DatabaseBuilder) -> kiln::orm::DatabaseBuilder {
                $crate::support::apply($crate::configure_or_default!($($configure)?), b)
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_file() {
                run(Kind::SqliteFile, stringify!($name), configure, body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_memory() {
                run(Kind::SqliteMemory, stringify!($name), configure, body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Kind::Postgres, stringify!($name), configure, body).await;
            }
        }
    )*};
}
