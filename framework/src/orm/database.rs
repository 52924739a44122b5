//! `Database`: a connection pool to SQLite or PostgreSQL, chosen by URL, and the
//! operations on tables.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::backend::Backend;
use super::error::Error;

#[derive(Clone)]
pub(crate) enum Pool {
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

struct Inner {
    pool: Pool,
    statements: AtomicU64,
    /// SQLite: how long `begin` may wait for a connection and the write lock together.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    write_wait: Duration,
}

/// A pool of connections to one database, SQLite or PostgreSQL, picked by the URL.
///
/// Cloning is cheap (one reference count) and every clone shares the pool. Give it to
/// the app with [`App::database`](crate::App::database) and take it in handlers as
/// [`Db`](crate::Db).
///
/// ```
/// use kiln::prelude::*;
///
/// #[derive(Table, Debug, Clone, PartialEq)]
/// struct Author {
///     id: Id<Author>,
///     name: String,
///     age: i64,
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let db = Database::connect("sqlite::memory:").await?;
/// db.create::<Author>().await?;
/// assert_eq!(db.tables().await?, ["author"]);
///
/// let mut kay = Author { id: Id::new(), name: "Kay".into(), age: 12 };
/// db.save(&mut kay).await?;                       // INSERT: sets kay.id
/// assert_eq!(kay.id.get(), Some(1));
///
/// kay.age = 13;
/// db.save(&mut kay).await?;                       // UPDATE, since it has an id
/// assert_eq!(db.get::<Author>(1).await?, Some(kay.clone()));
/// assert_eq!(db.all::<Author>().await?.len(), 1);
///
/// let teens = db.select::<Author>().filter(Author::AGE.ge(13)).count().await?;
/// assert_eq!(teens, 1);
///
/// assert!(db.delete::<Author>(kay.id).await?);
/// assert_eq!(db.get::<Author>(kay.id).await?, None);
/// # Ok::<(), kiln::orm::Error>(())
/// # }).unwrap();
/// ```
///
/// # SQLite settings
///
/// A SQLite file is created if missing and opened in WAL mode (readers don't block the
/// writer), with foreign keys enforced, a 5 s busy timeout (a writer waits that long
/// for another's lock before [`Error::Busy`]), and `synchronous=NORMAL`: a committed
/// transaction survives the process crashing or being killed, but the last few
/// commits may roll back if the *machine* loses power. Choose
/// [`DatabaseBuilder::synchronous_full`] to survive that too, at the cost of an fsync
/// per commit. Transactions start with `BEGIN IMMEDIATE`, so two read-then-write
/// transactions queue for the lock instead of failing with `SQLITE_BUSY_SNAPSHOT`.
///
/// `sqlite::memory:` is one private in-memory database held by a single connection
/// (each connection to `:memory:` would otherwise see its own empty database): its
/// statements run one at a time, and it vanishes when the `Database` is dropped.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (size, idle) = match &self.inner.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => (p.size(), p.num_idle()),
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => (p.size(), p.num_idle()),
        };
        f.debug_struct("Database")
            .field("backend", &self.backend())
            .field("connections", &size)
            .field("idle", &idle)
            .field("statements", &self.statement_count())
            .finish()
    }
}

/// Options for a [`Database`]: `Database::builder(url).max_connections(4).connect()`.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.connect()`"]
pub struct DatabaseBuilder {
    url: String,
    max_connections: Option<u32>,
    min_connections: u32,
    acquire_timeout: Duration,
    busy_timeout: Duration,
    synchronous_full: bool,
    ping_before_acquire: Option<bool>,
}

impl DatabaseBuilder {
    /// Whether each connection is pinged before an operation gets it from the pool.
    ///
    /// Default: off for SQLite, on for PostgreSQL. A SQLite connection is a file
    /// handle on a thread of its own: nothing goes stale, and the ping is a round trip
    /// to that thread on every operation (about a quarter of `db.get`'s time). A
    /// PostgreSQL connection can die with its server or a proxy; the ping finds that
    /// before a query does, at the cost of a network round trip.
    pub fn ping_before_acquire(mut self, ping: bool) -> Self {
        self.ping_before_acquire = Some(ping);
        self
    }

    /// At most `n` connections at once (default: 10; a `sqlite::memory:` database
    /// always has one).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = Some(n.max(1));
        self
    }

    /// Keep at least `n` connections open (default 0).
    pub fn min_connections(mut self, n: u32) -> Self {
        self.min_connections = n;
        self
    }

    /// How long an operation waits for a free connection before failing with
    /// [`Error::PoolTimedOut`] (default 5 s).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// SQLite: how long a writer waits for another's lock before failing with
    /// [`Error::Busy`] (default 5 s).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// SQLite: `synchronous=FULL`, an fsync of the log at every commit, so that a
    /// committed transaction survives power loss, not only a crash of the process.
    pub fn synchronous_full(mut self) -> Self {
        self.synchronous_full = true;
        self
    }

    /// Opens the pool and checks that the database answers.
    pub async fn connect(self) -> Result<Database, Error> {
        let pool = match self.backend()? {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let (pool_options, options) = self.sqlite()?;
                Pool::Sqlite(pool_options.connect_with(options).await?)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                let (pool_options, options) = self.postgres()?;
                Pool::Postgres(pool_options.connect_with(options).await?)
            }
            #[allow(unreachable_patterns)]
            other => return Err(not_built(other)),
        };
        Ok(Database::from_pool(pool, self.write_wait()))
    }

    /// Makes the pool without connecting: the first operation connects. An app can
    /// then start while the database is still down, and answer 503 until it is up.
    pub fn connect_lazy(self) -> Result<Database, Error> {
        let pool = match self.backend()? {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let (pool_options, options) = self.sqlite()?;
                Pool::Sqlite(pool_options.connect_lazy_with(options))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                let (pool_options, options) = self.postgres()?;
                Pool::Postgres(pool_options.connect_lazy_with(options))
            }
            #[allow(unreachable_patterns)]
            other => return Err(not_built(other)),
        };
        Ok(Database::from_pool(pool, self.write_wait()))
    }

    /// The longer of the two timeouts: waiting for a connection and then for SQLite's
    /// write lock share it, rather than adding up (battery F2).
    fn write_wait(&self) -> Duration {
        self.acquire_timeout.max(self.busy_timeout)
    }

    fn backend(&self) -> Result<Backend, Error> {
        Backend::from_url(&self.url).ok_or_else(|| {
            Error::Database(sqlx::Error::Configuration(
                "unsupported database URL: use `sqlite://path`, `sqlite::memory:` or `postgres://...`"
                    .into(),
            ))
        })
    }

    #[cfg(feature = "sqlite")]
    fn sqlite(&self) -> Result<(SqlitePoolOptions, SqliteConnectOptions), Error> {
        let memory = self.url.contains(":memory:") || self.url.contains("mode=memory");
        let mut options = SqliteConnectOptions::from_str(&self.url)?
            .foreign_keys(true)
            .busy_timeout(self.busy_timeout);
        let mut pool = SqlitePoolOptions::new()
            .acquire_timeout(self.acquire_timeout)
            .test_before_acquire(self.ping_before_acquire.unwrap_or(false));
        if memory {
            // One connection holds the database: it must never be closed.
            pool = pool
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else {
            options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(if self.synchronous_full {
                    SqliteSynchronous::Full
                } else {
                    SqliteSynchronous::Normal
                });
            pool = pool
                .min_connections(self.min_connections)
                // A connection that may have opened the file read-only is closed, so
                // the app recovers once the file is writable (see `read_only`).
                .before_acquire(|_, meta| {
                    let keep = !super::read_only::opened_before_last(meta.age);
                    Box::pin(std::future::ready(Ok(keep)))
                });
            if let Some(n) = self.max_connections {
                pool = pool.max_connections(n);
            }
        }
        Ok((pool, options))
    }

    #[cfg(feature = "postgres")]
    fn postgres(&self) -> Result<(PgPoolOptions, PgConnectOptions), Error> {
        let options = PgConnectOptions::from_str(&self.url)?;
        let mut pool = PgPoolOptions::new()
            .acquire_timeout(self.acquire_timeout)
            .test_before_acquire(self.ping_before_acquire.unwrap_or(true))
            .min_connections(self.min_connections);
        if let Some(n) = self.max_connections {
            pool = pool.max_connections(n);
        }
        Ok((pool, options))
    }
}

impl Database {
    /// Connects to `url` with the default settings: `sqlite://app.db` (created if
    /// missing), `sqlite::memory:`, or `postgres://user:password@host/database`.
    pub async fn connect(url: &str) -> Result<Database, Error> {
        Database::builder(url).connect().await
    }

    /// Settings for a connection to `url`, before [`connect`](DatabaseBuilder::connect).
    ///
    /// ```
    /// # use kiln::prelude::*;
    /// # use std::time::Duration;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let db = Database::builder("sqlite::memory:")
    ///     .acquire_timeout(Duration::from_secs(2))
    ///     .connect()
    ///     .await?;
    /// # Ok::<(), kiln::orm::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn builder(url: impl Into<String>) -> DatabaseBuilder {
        DatabaseBuilder {
            url: url.into(),
            max_connections: None,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
            synchronous_full: false,
            ping_before_acquire: None,
        }
    }

    fn from_pool(pool: Pool, write_wait: Duration) -> Database {
        Database {
            inner: Arc::new(Inner {
                pool,
                statements: AtomicU64::new(0),
                write_wait,
            }),
        }
    }

    /// SQLite: how long [`begin`](Database::begin) may wait for a connection and the
    /// write lock together.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) fn write_wait(&self) -> Duration {
        self.inner.write_wait
    }

    /// Which database system this is.
    pub fn backend(&self) -> Backend {
        match self.inner.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// How many SQL statements kiln has run on this database (all clones and their
    /// transactions together), counting `BEGIN`, `COMMIT` and `ROLLBACK`.
    ///
    /// Reading a list of rows with their foreign keys takes one statement:
    ///
    /// ```
    /// # use kiln::prelude::*;
    /// # #[derive(Table)] struct Author { id: Id<Author>, name: String }
    /// # #[derive(Table)] struct Book { id: Id<Book>, author: ForeignKey<Author> }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let db = Database::connect("sqlite::memory:").await?;
    /// # db.create::<Author>().await?; db.create::<Book>().await?;
    /// let before = db.statement_count();
    /// let books = db.all::<Book>().await?;
    /// assert_eq!(db.statement_count() - before, 1);
    /// # Ok::<(), kiln::orm::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// Statements run directly on [`sqlite_pool`](Database::sqlite_pool) or
    /// [`postgres_pool`](Database::postgres_pool) are not counted.
    pub fn statement_count(&self) -> u64 {
        self.inner.statements.load(Ordering::Relaxed)
    }

    pub(crate) fn count_statement(&self) {
        self.inner.statements.fetch_add(1, Ordering::Relaxed);
    }

    /// The SQLite pool underneath, for queries the ORM doesn't express.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.inner.pool {
            Pool::Sqlite(p) => Some(p),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The PostgreSQL pool underneath, for queries the ORM doesn't express.
    #[cfg(feature = "postgres")]
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.inner.pool {
            Pool::Postgres(p) => Some(p),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The pool underneath.
    pub(crate) fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Closes every connection; operations afterwards fail.
    pub async fn close(&self) {
        match &self.inner.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => p.close().await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// A `Database` over a SQLite pool you configured yourself.
#[cfg(feature = "sqlite")]
impl From<SqlitePool> for Database {
    fn from(pool: SqlitePool) -> Database {
        // The pool's own acquire timeout, and SQLite's default busy timeout.
        let wait = pool
            .options()
            .get_acquire_timeout()
            .max(Duration::from_secs(5));
        Database::from_pool(Pool::Sqlite(pool), wait)
    }
}

/// A `Database` over a PostgreSQL pool you configured yourself.
#[cfg(feature = "postgres")]
impl From<PgPool> for Database {
    fn from(pool: PgPool) -> Database {
        let wait = pool.options().get_acquire_timeout();
        Database::from_pool(Pool::Postgres(pool), wait)
    }
}

/// The error for a URL whose backend this build of kiln leaves out.
#[allow(dead_code)]
fn not_built(backend: Backend) -> Error {
    let feature = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Error::Database(sqlx::Error::Configuration(
        format!(
            "kiln was built without its `{feature}` feature; enable it to use this database URL"
        )
        .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_connections_are_not_pinged_unless_asked() {
        let (pool, _) = Database::builder("sqlite://a.db").sqlite().unwrap();
        assert!(!pool.get_test_before_acquire());
        let (pool, _) = Database::builder("sqlite://a.db")
            .ping_before_acquire(true)
            .sqlite()
            .unwrap();
        assert!(pool.get_test_before_acquire());
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_connections_are_pinged_unless_told_not_to() {
        let (pool, _) = Database::builder("postgres://localhost/a")
            .postgres()
            .unwrap();
        assert!(pool.get_test_before_acquire());
        let (pool, _) = Database::builder("postgres://localhost/a")
            .ping_before_acquire(false)
            .postgres()
            .unwrap();
        assert!(!pool.get_test_before_acquire());
    }
}
