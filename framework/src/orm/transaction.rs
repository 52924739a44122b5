//! `Tx`: a transaction in progress, with the same table operations as `Database`.

use std::fmt;
use std::sync::Arc;

#[cfg(feature = "postgres")]
use sqlx::Postgres;
#[cfg(feature = "sqlite")]
use sqlx::Sqlite;
use tokio::sync::{Mutex, MutexGuard};

use super::backend::Backend;
use super::database::{Database, Pool};
use super::error::Error;

pub(crate) enum TxConn {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// The write lock was not free in time: busy, as SQLite says past its busy timeout.
#[cfg(feature = "sqlite")]
fn write_lock_timeout(waited: std::time::Duration) -> Error {
    Error::Busy(sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "no connection and write lock within {:.1} s",
            waited.as_secs_f64()
        ),
    )))
}

impl Database {
    /// Starts a transaction: operations on the [`Tx`] see each other and take
    /// effect together at [`Tx::commit`]; dropping it uncommitted rolls back.
    ///
    /// [`transaction`](Database::transaction) is usually more convenient.
    pub async fn begin(&self) -> Result<Tx, Error> {
        self.count_statement();
        let conn = match self.pool() {
            #[cfg(feature = "sqlite")]
            // Waiting for a connection, then for the write lock (`BEGIN IMMEDIATE`), within
            // one bound, so 16 writers on a pool of 10 get their 503 after 5 s, not 10
            // (battery F2). A `BEGIN` cut short is rolled back by sqlx when it ends.
            Pool::Sqlite(p) => {
                let begin = p.begin_with("BEGIN IMMEDIATE");
                match tokio::time::timeout(self.write_wait(), begin).await {
                    Ok(tx) => TxConn::Sqlite(tx?),
                    Err(_) => return Err(write_lock_timeout(self.write_wait())),
                }
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => TxConn::Postgres(p.begin().await?),
        };
        Ok(Tx::new(self.clone(), conn))
    }

    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back when it
    /// returns `Err` or panics (and then lets the panic continue).
    ///
    /// ```
    /// # use kiln::prelude::*;
    /// # #[derive(Table)] struct Account { id: Id<Account>, balance: i64 }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let db = Database::connect("sqlite::memory:").await?;
    /// # db.create::<Account>().await?;
    /// let mut a = Account { id: Id::new(), balance: 10 };
    /// db.save(&mut a).await?;
    ///
    /// let result = db
    ///     .transaction(|tx| async move {
    ///         a.balance -= 20;
    ///         tx.save(&mut a).await?;
    ///         if a.balance < 0 {
    ///             return Err(Error::bad_request("insufficient funds")); // rolls back
    ///         }
    ///         Ok(a)
    ///     })
    ///     .await;
    /// assert!(result.is_err());
    /// assert_eq!(db.all::<Account>().await?[0].balance, 10);
    /// # Ok::<(), kiln::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// Inside, use `tx`, not the `Database`: on a single-connection database (such as
    /// `sqlite::memory:`) the transaction holds the only connection.
    pub async fn transaction<F, Fut, R>(&self, f: F) -> crate::error::Result<R>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = crate::error::Result<R>>,
    {
        use futures_util::FutureExt;
        use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

        let tx = self.begin().await?;
        let fut = match catch_unwind(AssertUnwindSafe(|| f(tx.clone()))) {
            Ok(fut) => fut,
            Err(panic) => {
                tx.finish(false).await;
                resume_unwind(panic);
            }
        };
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(Ok(value)) => {
                tx.finish_commit().await?;
                Ok(value)
            }
            Ok(Err(err)) => {
                tx.finish(false).await;
                Err(err)
            }
            Err(panic) => {
                tx.finish(false).await;
                resume_unwind(panic)
            }
        }
    }
}

/// A transaction in progress: the same operations as [`Database`] (`save`, `get`,
/// `all`, `select`, …), all on one connection, taking effect together at commit.
///
/// [`Database::transaction`] hands one to a closure and commits or rolls back for
/// you; [`Database::begin`] gives one to drive by hand. Clones share the same
/// transaction. Dropping every clone without [`commit`](Tx::commit) rolls back.
#[derive(Clone)]
pub struct Tx {
    db: Database,
    conn: Arc<Mutex<Option<TxConn>>>,
}

impl fmt::Debug for Tx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx")
            .field("backend", &self.db.backend())
            .finish_non_exhaustive()
    }
}

impl Tx {
    pub(crate) fn new(db: Database, conn: TxConn) -> Tx {
        Tx {
            db,
            conn: Arc::new(Mutex::new(Some(conn))),
        }
    }

    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    pub(crate) async fn lock(&self) -> MutexGuard<'_, Option<TxConn>> {
        self.conn.lock().await
    }

    /// Which database system this is.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Makes every change of the transaction permanent.
    ///
    /// Fails with [`Error::TransactionClosed`] if it already ended.
    pub async fn commit(self) -> Result<(), Error> {
        match self.conn.lock().await.take() {
            Some(conn) => self.end(conn, true).await,
            None => Err(Error::TransactionClosed),
        }
    }

    /// Undoes every change of the transaction.
    ///
    /// Fails with [`Error::TransactionClosed`] if it already ended.
    pub async fn rollback(self) -> Result<(), Error> {
        match self.conn.lock().await.take() {
            Some(conn) => self.end(conn, false).await,
            None => Err(Error::TransactionClosed),
        }
    }

    async fn end(&self, conn: TxConn, commit: bool) -> Result<(), Error> {
        self.db.count_statement();
        match (conn, commit) {
            #[cfg(feature = "sqlite")]
            (TxConn::Sqlite(t), true) => t.commit().await?,
            #[cfg(feature = "sqlite")]
            (TxConn::Sqlite(t), false) => t.rollback().await?,
            #[cfg(feature = "postgres")]
            (TxConn::Postgres(t), true) => t.commit().await?,
            #[cfg(feature = "postgres")]
            (TxConn::Postgres(t), false) => t.rollback().await?,
        }
        Ok(())
    }

    /// Commits, unless the closure already ended the transaction itself.
    pub(crate) async fn finish_commit(&self) -> Result<(), Error> {
        let conn = self.conn.lock().await.take();
        match conn {
            Some(conn) => self.end(conn, true).await,
            None => Ok(()),
        }
    }

    /// Rolls back, unless the transaction already ended; a failure is only logged
    /// (the connection is then closed rather than reused).
    pub(crate) async fn finish(&self, commit: bool) {
        let conn = self.conn.lock().await.take();
        if let Some(conn) = conn
            && let Err(e) = self.end(conn, commit).await
        {
            tracing::warn!(error = %e, "kiln: ending a transaction failed");
        }
    }
}
