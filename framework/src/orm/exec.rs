//! Running a statement: on the pool or inside a transaction, through one generic
//! function per kind of statement that serves every enabled driver.

use futures_util::TryStreamExt;
#[cfg(feature = "postgres")]
use sqlx::Postgres;
#[cfg(feature = "sqlite")]
use sqlx::Sqlite;
use sqlx::{IntoArguments, SqlStr};

use super::backend::Backend;
use super::database::{Database, Pool};
use super::error::Error;
use super::row::{Args, JoinStep, RowReader, RowRef};
use super::transaction::{Tx, TxConn};

impl Database {
    /// Checks that the database answers (`SELECT 1`), for a health endpoint.
    pub async fn ping(&self) -> Result<(), Error> {
        self.exec()
            .execute(
                SqlStr::from_static("SELECT 1"),
                Args::new(self.backend(), 0),
            )
            .await
            .map(drop)
    }

    pub(crate) fn exec(&self) -> Exec<'_> {
        Exec::Db(self)
    }
}

impl Tx {
    pub(crate) fn exec(&self) -> Exec<'_> {
        Exec::Tx(self)
    }
}

/// Where a statement runs: on the pool, or inside a transaction.
#[derive(Clone, Copy)]
pub(crate) enum Exec<'a> {
    Db(&'a Database),
    Tx(&'a Tx),
}

/// The parts of a sqlx driver kiln needs, so that one generic function serves both.
pub(crate) trait Driver: sqlx::Database + sqlx::database::HasStatementCache {
    fn row_ref(row: &Self::Row) -> RowRef<'_>;
    fn arguments(args: Args) -> Self::Arguments;
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

#[cfg(feature = "sqlite")]
impl Driver for Sqlite {
    fn row_ref(row: &Self::Row) -> RowRef<'_> {
        RowRef::Sqlite(row)
    }
    fn arguments(args: Args) -> Self::Arguments {
        match args {
            Args::Sqlite(a) => a,
            #[cfg(feature = "postgres")]
            Args::Postgres(_) => unreachable!("arguments are made for the statement's backend"),
        }
    }
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "postgres")]
impl Driver for Postgres {
    fn row_ref(row: &Self::Row) -> RowRef<'_> {
        RowRef::Postgres(row)
    }
    fn arguments(args: Args) -> Self::Arguments {
        match args {
            Args::Postgres(a) => a,
            #[cfg(feature = "sqlite")]
            Args::Sqlite(_) => unreachable!("arguments are made for the statement's backend"),
        }
    }
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

async fn execute_on<'c, D, E>(ex: E, sql: SqlStr, args: Args) -> Result<u64, Error>
where
    D: Driver,
    D::Arguments: IntoArguments<D>,
    E: sqlx::Executor<'c, Database = D>,
{
    let result = sqlx::query_with(sql, D::arguments(args))
        .persistent(true)
        .execute(ex)
        .await?;
    Ok(D::rows_affected(&result))
}

async fn fetch_optional_on<'c, D, E, R>(
    ex: E,
    sql: SqlStr,
    args: Args,
    plan: &[Option<JoinStep>],
    decode: impl FnOnce(&mut RowReader<'_>) -> Result<R, Error>,
) -> Result<Option<R>, Error>
where
    D: Driver,
    D::Arguments: IntoArguments<D>,
    E: sqlx::Executor<'c, Database = D>,
{
    let row = sqlx::query_with(sql, D::arguments(args))
        .persistent(true)
        .fetch_optional(ex)
        .await?;
    match row {
        Some(row) => decode(&mut RowReader::new(D::row_ref(&row), plan)).map(Some),
        None => Ok(None),
    }
}

async fn fetch_all_on<'c, D, E, R>(
    ex: E,
    sql: SqlStr,
    args: Args,
    plan: &[Option<JoinStep>],
    mut decode: impl FnMut(&mut RowReader<'_>) -> Result<R, Error>,
) -> Result<Vec<R>, Error>
where
    D: Driver,
    D::Arguments: IntoArguments<D>,
    E: sqlx::Executor<'c, Database = D>,
{
    let mut rows = sqlx::query_with(sql, D::arguments(args))
        .persistent(true)
        .fetch(ex);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        out.push(decode(&mut RowReader::new(D::row_ref(&row), plan))?);
    }
    Ok(out)
}

/// Runs `$f(executor, args..)` on the pool or the transaction's connection.
macro_rules! dispatch {
    ($exec:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $exec {
            Exec::Db(db) => {
                db.count_statement();
                match db.pool() {
                    #[cfg(feature = "sqlite")]
                    Pool::Sqlite(p) => $f(p, $($arg),*).await,
                    #[cfg(feature = "postgres")]
                    Pool::Postgres(p) => $f(p, $($arg),*).await,
                }
            }
            Exec::Tx(tx) => {
                tx.database().count_statement();
                let mut conn = tx.lock().await;
                match conn.as_mut() {
                    None => Err(Error::TransactionClosed),
                    #[cfg(feature = "sqlite")]
                    Some(TxConn::Sqlite(t)) => $f(&mut **t, $($arg),*).await,
                    #[cfg(feature = "postgres")]
                    Some(TxConn::Postgres(t)) => $f(&mut **t, $($arg),*).await,
                }
            }
        }
    };
}

impl Exec<'_> {
    pub(crate) fn backend(self) -> Backend {
        match self {
            Exec::Db(db) => db.backend(),
            Exec::Tx(tx) => tx.database().backend(),
        }
    }

    /// Runs a statement; answers the number of rows it changed.
    pub(crate) async fn execute(self, sql: SqlStr, args: Args) -> Result<u64, Error> {
        dispatch!(self, execute_on(sql, args))
    }

    /// Runs a query expecting at most one row.
    pub(crate) async fn fetch_optional<R>(
        self,
        sql: SqlStr,
        args: Args,
        plan: &[Option<JoinStep>],
        decode: impl FnOnce(&mut RowReader<'_>) -> Result<R, Error>,
    ) -> Result<Option<R>, Error> {
        dispatch!(self, fetch_optional_on(sql, args, plan, decode))
    }

    /// Runs a query, decoding every row.
    pub(crate) async fn fetch_all<R>(
        self,
        sql: SqlStr,
        args: Args,
        plan: &[Option<JoinStep>],
        decode: impl FnMut(&mut RowReader<'_>) -> Result<R, Error>,
    ) -> Result<Vec<R>, Error> {
        dispatch!(self, fetch_all_on(sql, args, plan, decode))
    }
}
