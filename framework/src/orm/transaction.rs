//! `Tx`: a transaction in progress, with the same table operations as `Database`.

use std::fmt;
use std::sync::Arc;

use sqlx::{Postgres, Sqlite};
use tokio::sync::{Mutex, MutexGuard};

use super::database::{Backend, Database, Exec};
use super::error::Error;

pub(crate) enum TxConn {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
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

    pub(crate) fn exec(&self) -> Exec<'_> {
        Exec::Tx(self)
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
            (TxConn::Sqlite(t), true) => t.commit().await?,
            (TxConn::Sqlite(t), false) => t.rollback().await?,
            (TxConn::Postgres(t), true) => t.commit().await?,
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
