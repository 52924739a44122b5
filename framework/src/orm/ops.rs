//! The table operations, written once over [`Exec`] and offered by both [`Database`]
//! and [`Tx`].

use sqlx::SqlStr;

use super::backend::Backend;
use super::database::Database;
use super::error::Error;
use super::exec::Exec;
use super::id::Id;
use super::query::{Column, Select};
use super::row::Args;
use super::table::{Table, create_statements};
use super::transaction::Tx;

async fn create<T: Table>(exec: Exec<'_>) -> Result<(), Error> {
    for sql in create_statements(T::__info(), exec.backend()) {
        exec.execute(
            sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql)),
            Args::new(exec.backend(), 0),
        )
        .await?;
    }
    Ok(())
}

async fn tables(exec: Exec<'_>) -> Result<Vec<String>, Error> {
    let sql = match exec.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let mut names = exec
        .fetch_all(
            SqlStr::from_static(sql),
            Args::new(exec.backend(), 0),
            &[],
            |r| r.get::<String>(),
        )
        .await?;
    names.sort();
    Ok(names)
}

async fn insert<T: Table>(exec: Exec<'_>, row: &mut T) -> Result<(), Error> {
    let info = T::__info();
    let mut args = Args::new(exec.backend(), info.columns.len());
    row.__bind(&mut args)?;
    let id = exec
        .fetch_optional(SqlStr::from_static(info.insert), args, &[], |r| {
            r.get::<i64>()
        })
        .await?;
    match id {
        Some(id) => {
            row.__set_id(Id::from_i64(id));
            Ok(())
        }
        None => Err(Error::Database(sqlx::Error::RowNotFound)),
    }
}

async fn update<T: Table>(exec: Exec<'_>, row: &T) -> Result<(), Error> {
    let info = T::__info();
    let Some(id) = row.id().get() else {
        return Err(Error::Unsaved {
            table: T::table_name(),
            column: None,
        });
    };
    let mut args = Args::new(exec.backend(), info.columns.len());
    row.__bind(&mut args)?;
    args.push(id)?;
    let changed = exec.execute(SqlStr::from_static(info.update), args).await?;
    if changed == 0 {
        return Err(Error::NotFound {
            table: T::table_name(),
            id: Some(id),
        });
    }
    Ok(())
}

async fn save<T: Table>(exec: Exec<'_>, row: &mut T) -> Result<(), Error> {
    if row.id().is_saved() {
        update(exec, row).await
    } else {
        insert(exec, row).await
    }
}

async fn get<T: Table>(exec: Exec<'_>, id: Id<T>) -> Result<Option<T>, Error> {
    let Some(id) = id.get() else { return Ok(None) };
    let compiled = T::__info().compiled();
    let mut args = Args::new(exec.backend(), 1);
    args.push(id)?;
    exec.fetch_optional(
        SqlStr::from_static(&compiled.get),
        args,
        &compiled.plan,
        T::__decode,
    )
    .await
}

async fn all<T: Table>(exec: Exec<'_>) -> Result<Vec<T>, Error> {
    let compiled = T::__info().compiled();
    exec.fetch_all(
        SqlStr::from_static(&compiled.all),
        Args::new(exec.backend(), 0),
        &compiled.plan,
        T::__decode,
    )
    .await
}

async fn delete<T: Table>(exec: Exec<'_>, id: Id<T>) -> Result<bool, Error> {
    let Some(id) = id.get() else { return Ok(false) };
    let mut args = Args::new(exec.backend(), 1);
    args.push(id)?;
    let n = exec
        .execute(SqlStr::from_static(T::__info().delete), args)
        .await?;
    Ok(n > 0)
}

async fn increment<T: Table, V: Counter>(
    exec: Exec<'_>,
    id: Id<T>,
    column: Column<T, V>,
    by: i64,
) -> Result<Option<i64>, Error> {
    let Some(id) = id.get() else { return Ok(None) };
    // Names come from the derive (checked identifiers), never from input; values are bound.
    let (table, col) = (T::table_name(), column.name());
    let sql = format!(
        "UPDATE \"{table}\" SET \"{col}\" = \"{col}\" + $1 WHERE \"id\" = $2 RETURNING \"{col}\""
    );
    let mut args = Args::new(exec.backend(), 2);
    args.push(by)?;
    args.push(id)?;
    exec.fetch_optional(
        sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql)),
        args,
        &[],
        |r| r.get::<i64>(),
    )
    .await
}

/// A whole-number column type [`Database::increment`] can add to.
pub trait Counter: sealed::Sealed {}
impl Counter for i32 {}
impl Counter for i64 {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i32 {}
    impl Sealed for i64 {}
}

fn not_found<T: Table>(id: Id<T>) -> Error {
    Error::NotFound {
        table: T::table_name(),
        id: id.get(),
    }
}

impl Database {
    /// Creates `T`'s table if it does not exist (`CREATE TABLE IF NOT EXISTS`), with
    /// its `NOT NULL`, `UNIQUE` and foreign-key constraints, and its indexes.
    ///
    /// Create a referenced table before the tables referring to it.
    pub async fn create<T: Table>(&self) -> Result<(), Error> {
        create::<T>(self.exec()).await
    }

    /// The statements [`create`](Database::create) runs on this database.
    pub fn create_sql<T: Table>(&self) -> Vec<String> {
        T::create_sql(self.backend())
    }

    /// The names of the tables in the database, sorted (SQLite's internal tables left
    /// out; on PostgreSQL, those of the current schema).
    pub async fn tables(&self) -> Result<Vec<String>, Error> {
        tables(self.exec()).await
    }

    /// Saves `row`: `INSERT` if it was never saved (then sets its id), else `UPDATE`.
    ///
    /// Fails with [`Error::NotFound`] if it has an id but the row is gone,
    /// [`Error::Unsaved`] if a foreign key points at an unsaved row, and
    /// [`Error::UniqueViolation`] if a unique column's value is taken.
    pub async fn save<T: Table>(&self, row: &mut T) -> Result<(), Error> {
        save(self.exec(), row).await
    }

    /// Writes an already saved `row` (`UPDATE`).
    ///
    /// Fails with [`Error::Unsaved`] if it has no id, [`Error::NotFound`] if the row is gone.
    pub async fn update<T: Table>(&self, row: &T) -> Result<(), Error> {
        update(self.exec(), row).await
    }

    /// The row with id `id` (an `Id<T>` or an `i64`), its foreign keys loaded by joins
    /// in the same statement; `None` if there is none.
    pub async fn get<T: Table>(&self, id: impl Into<Id<T>>) -> Result<Option<T>, Error> {
        get(self.exec(), id.into()).await
    }

    /// Like [`get`](Database::get), but a missing row is [`Error::NotFound`], which
    /// answers **404** when returned from a handler with `?`.
    pub async fn find<T: Table>(&self, id: impl Into<Id<T>>) -> Result<T, Error> {
        let id = id.into();
        get(self.exec(), id).await?.ok_or_else(|| not_found(id))
    }

    /// Every row of `T`, in id order, foreign keys loaded: one statement.
    pub async fn all<T: Table>(&self) -> Result<Vec<T>, Error> {
        all(self.exec()).await
    }

    /// Deletes the row with id `id`; answers whether there was one.
    ///
    /// Fails with [`Error::ForeignKeyViolation`] if other rows still refer to it.
    pub async fn delete<T: Table>(&self, id: impl Into<Id<T>>) -> Result<bool, Error> {
        delete(self.exec(), id.into()).await
    }

    /// A query on `T`'s rows: see [`Select`].
    pub fn select<T: Table>(&self) -> Select<'_, T> {
        Select::new(self.exec())
    }

    /// Adds `by` to `column` of row `id` in one atomic statement (`SET n = n + ?`, so
    /// concurrent increments are never lost) and answers the new value; `None` if
    /// there is no such row. `db.increment(link.id, Link::CLICKS, 1)`.
    pub async fn increment<T: Table, V: Counter>(
        &self,
        id: impl Into<Id<T>>,
        column: Column<T, V>,
        by: i64,
    ) -> Result<Option<i64>, Error> {
        increment(self.exec(), id.into(), column, by).await
    }
}

impl Tx {
    /// [`Database::create`], inside the transaction.
    pub async fn create<T: Table>(&self) -> Result<(), Error> {
        create::<T>(self.exec()).await
    }

    /// [`Database::tables`], inside the transaction.
    pub async fn tables(&self) -> Result<Vec<String>, Error> {
        tables(self.exec()).await
    }

    /// [`Database::save`], inside the transaction.
    pub async fn save<T: Table>(&self, row: &mut T) -> Result<(), Error> {
        save(self.exec(), row).await
    }

    /// [`Database::update`], inside the transaction.
    pub async fn update<T: Table>(&self, row: &T) -> Result<(), Error> {
        update(self.exec(), row).await
    }

    /// [`Database::get`], inside the transaction.
    pub async fn get<T: Table>(&self, id: impl Into<Id<T>>) -> Result<Option<T>, Error> {
        get(self.exec(), id.into()).await
    }

    /// [`Database::find`], inside the transaction.
    pub async fn find<T: Table>(&self, id: impl Into<Id<T>>) -> Result<T, Error> {
        let id = id.into();
        get(self.exec(), id).await?.ok_or_else(|| not_found(id))
    }

    /// [`Database::all`], inside the transaction.
    pub async fn all<T: Table>(&self) -> Result<Vec<T>, Error> {
        all(self.exec()).await
    }

    /// [`Database::delete`], inside the transaction.
    pub async fn delete<T: Table>(&self, id: impl Into<Id<T>>) -> Result<bool, Error> {
        delete(self.exec(), id.into()).await
    }

    /// [`Database::select`], inside the transaction.
    pub fn select<T: Table>(&self) -> Select<'_, T> {
        Select::new(self.exec())
    }

    /// [`Database::increment`], inside the transaction.
    pub async fn increment<T: Table, V: Counter>(
        &self,
        id: impl Into<Id<T>>,
        column: Column<T, V>,
        by: i64,
    ) -> Result<Option<i64>, Error> {
        increment(self.exec(), id.into(), column, by).await
    }
}
