//! The ORM's error type: one enum a caller can match. (What each variant answers over
//! HTTP is the web glue's business: `crate::db`.)

use std::fmt;

/// What went wrong in a database operation.
///
/// Match on it to handle the cases that are the client's doing:
///
/// ```
/// use kiln::orm::Error;
///
/// fn explain(err: &Error) -> String {
///     match err {
///         Error::UniqueViolation { column, .. } => format!("that {column} is taken"),
///         Error::NotFound { .. } => "no such row".to_string(),
///         other => format!("database trouble: {}", other.status()),
///     }
/// }
/// # assert_eq!(explain(&Error::PoolTimedOut), "database trouble: 503 Service Unavailable");
/// ```
///
/// With `?` in a handler it becomes a [`kiln::Error`](crate::Error) answering
/// `Error::status()`: 404 for a missing row, 409 for a unique or foreign-key violation,
/// 400 for an invalid value, 503 when the database is busy or out of connections, 507
/// when it is full, and 500 otherwise. The client never sees SQL or driver messages.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The row does not exist: [`update`](crate::orm::Database::update) of a deleted
    /// row, or [`find`](crate::orm::Database::find) of a missing id.
    NotFound {
        /// The table looked in.
        table: &'static str,
        /// The id looked for.
        id: Option<i64>,
    },
    /// Another row already has this value in a `#[column(unique)]` column.
    UniqueViolation {
        /// The table.
        table: String,
        /// The column whose value is taken.
        column: String,
    },
    /// A foreign key points at a row that does not exist, or a deleted row is still
    /// referenced by another.
    ForeignKeyViolation {
        /// The table, when the database says.
        table: Option<String>,
        /// The foreign-key column, when the database says (PostgreSQL does, SQLite doesn't).
        column: Option<String>,
    },
    /// A row that was never saved was used where a saved one is needed: `update` of an
    /// unsaved row, or saving a [`ForeignKey`](crate::orm::ForeignKey) to an unsaved row.
    Unsaved {
        /// The table of the row being written.
        table: &'static str,
        /// The foreign-key column pointing at an unsaved row, if that was the problem.
        column: Option<&'static str>,
    },
    /// The database refused a value: a NULL in a `NOT NULL` column, text with a NUL
    /// byte on PostgreSQL, a number out of range.
    InvalidValue {
        /// The column, when known.
        column: Option<String>,
        /// What the database said (for logs; never sent to clients).
        reason: String,
    },
    /// The database is locked by another writer for longer than the busy timeout
    /// (SQLite `SQLITE_BUSY`/`SQLITE_LOCKED`), or a PostgreSQL serialization failure
    /// or deadlock. Retrying later may succeed.
    Busy(sqlx::Error),
    /// No connection became free within the pool's acquire timeout.
    PoolTimedOut,
    /// The database can't be reached or written: connection refused, read-only file,
    /// server shutting down. Retrying later may succeed.
    Unavailable(sqlx::Error),
    /// The disk (or SQLite's `max_page_count`) is full (`SQLITE_FULL`, PostgreSQL `53100`).
    DiskFull(sqlx::Error),
    /// The [`Tx`](crate::orm::Tx) was used after its transaction ended.
    TransactionClosed,
    /// Any other database error.
    Database(sqlx::Error),
}

/// What a database error means, worked out without taking ownership of it.
#[derive(Debug, PartialEq)]
pub(crate) enum Kind {
    Unique {
        table: String,
        column: String,
    },
    ForeignKey {
        table: Option<String>,
        column: Option<String>,
    },
    Invalid {
        column: Option<String>,
    },
    Busy,
    PoolTimedOut,
    Unavailable,
    DiskFull,
    Other,
}

impl Error {
    /// Whether the same operation may succeed if retried a little later (busy, pool
    /// exhausted, database unavailable).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Busy(_) | Error::PoolTimedOut | Error::Unavailable(_)
        )
    }

    /// Puts a column in context: fills in where an unsaved key or invalid value was.
    #[doc(hidden)]
    pub fn __in_column(self, table: &'static str, column: &'static str) -> Error {
        match self {
            Error::Unsaved { .. } => Error::Unsaved {
                table,
                column: Some(column),
            },
            Error::InvalidValue {
                column: None,
                reason,
            } => Error::InvalidValue {
                column: Some(column.to_string()),
                reason,
            },
            other => other,
        }
    }

    /// An error decoding a column: the stored data does not fit the field's type.
    pub(crate) fn decode(err: sqlx::Error) -> Error {
        Error::Database(err)
    }
}

/// Reads what a database error means.
pub(crate) fn kind_of(err: &sqlx::Error) -> Kind {
    match err {
        sqlx::Error::Database(db) => {
            #[cfg(feature = "postgres")]
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                return postgres_kind(pg);
            }
            let code = db.code().and_then(|c| c.parse::<i32>().ok());
            sqlite_kind(code.unwrap_or(0), db.message())
        }
        sqlx::Error::PoolTimedOut => Kind::PoolTimedOut,
        sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Kind::Unavailable,
        _ => Kind::Other,
    }
}

/// SQLite's extended result codes: <https://www.sqlite.org/rescode.html>.
fn sqlite_kind(code: i32, message: &str) -> Kind {
    const CONSTRAINT: i32 = 19;
    const CONSTRAINT_FOREIGNKEY: i32 = 787;
    const CONSTRAINT_PRIMARYKEY: i32 = 1555;
    const CONSTRAINT_UNIQUE: i32 = 2067;
    match (code & 0xff, code) {
        (_, CONSTRAINT_UNIQUE | CONSTRAINT_PRIMARYKEY) => {
            // "UNIQUE constraint failed: book.isbn"
            let target = message.rsplit(": ").next().unwrap_or_default();
            let first = target.split(", ").next().unwrap_or_default();
            let (table, column) = first.split_once('.').unwrap_or(("", first));
            Kind::Unique {
                table: table.to_string(),
                column: column.to_string(),
            }
        }
        (_, CONSTRAINT_FOREIGNKEY) => Kind::ForeignKey {
            table: None,
            column: None,
        },
        // NOT NULL, CHECK and the other constraints; TOOBIG; MISMATCH.
        (CONSTRAINT | 18 | 20, _) => {
            // "NOT NULL constraint failed: book.title"
            let column = message
                .strip_prefix("NOT NULL constraint failed: ")
                .and_then(|t| t.split_once('.'))
                .map(|(_, c)| c.to_string());
            Kind::Invalid { column }
        }
        // BUSY (incl. BUSY_SNAPSHOT), LOCKED.
        (5 | 6, _) => Kind::Busy,
        // FULL.
        (13, _) => Kind::DiskFull,
        // READONLY, CANTOPEN.
        (8 | 14, _) => Kind::Unavailable,
        _ => Kind::Other,
    }
}

/// PostgreSQL's SQLSTATE codes: <https://www.postgresql.org/docs/current/errcodes-appendix.html>.
#[cfg(feature = "postgres")]
fn postgres_kind(err: &sqlx::postgres::PgDatabaseError) -> Kind {
    let code = err.code();
    match code {
        "23505" => {
            // detail: "Key (isbn)=(978-...) already exists."
            let column = err
                .detail()
                .and_then(key_column)
                .or_else(|| {
                    let constraint = err.constraint()?;
                    let table = err.table().unwrap_or_default();
                    let rest = constraint.strip_prefix(table)?.strip_prefix('_')?;
                    Some(rest.strip_suffix("_key").unwrap_or(rest).to_string())
                })
                .unwrap_or_default();
            Kind::Unique {
                table: err.table().unwrap_or_default().to_string(),
                column,
            }
        }
        "23503" => Kind::ForeignKey {
            table: err.table().map(str::to_string),
            column: err.detail().and_then(key_column),
        },
        "23502" => Kind::Invalid {
            column: err.column().map(str::to_string),
        },
        "40001" | "40P01" | "55P03" => Kind::Busy,
        "53100" => Kind::DiskFull,
        "53200" | "53300" | "57P01" | "57P02" | "57P03" | "25006" => Kind::Unavailable,
        _ if code.starts_with("22") || code.starts_with("23") => Kind::Invalid {
            column: err.column().map(str::to_string),
        },
        _ if code.starts_with("08") => Kind::Unavailable,
        _ => Kind::Other,
    }
}

/// The column in a PostgreSQL detail such as `Key (isbn)=(x) already exists.`
#[cfg(feature = "postgres")]
fn key_column(detail: &str) -> Option<String> {
    let rest = detail.strip_prefix("Key (")?;
    let end = rest.find(")=")?;
    Some(rest[..end].to_string())
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Error {
        #[cfg(feature = "sqlite")]
        if super::read_only::is_read_only(&err) {
            super::read_only::seen();
        }
        match kind_of(&err) {
            Kind::Unique { table, column } => Error::UniqueViolation { table, column },
            Kind::ForeignKey { table, column } => Error::ForeignKeyViolation { table, column },
            Kind::Invalid { column } => Error::InvalidValue {
                column,
                reason: err.to_string(),
            },
            Kind::Busy => Error::Busy(err),
            Kind::PoolTimedOut => Error::PoolTimedOut,
            Kind::Unavailable => Error::Unavailable(err),
            Kind::DiskFull => Error::DiskFull(err),
            Kind::Other => Error::Database(err),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound {
                table,
                id: Some(id),
            } => write!(f, "no `{table}` row with id {id}"),
            Error::NotFound { table, id: None } => write!(f, "no such `{table}` row"),
            Error::UniqueViolation { table, column } => {
                write!(f, "another `{table}` row already has this `{column}`")
            }
            Error::ForeignKeyViolation { table, column } => {
                f.write_str("foreign-key violation")?;
                match (table, column) {
                    (Some(t), Some(c)) => write!(f, " on `{t}.{c}`"),
                    (Some(t), None) => write!(f, " on `{t}`"),
                    _ => Ok(()),
                }?;
                f.write_str(": a referenced row does not exist, or the row is still referenced")
            }
            Error::Unsaved {
                table,
                column: Some(column),
            } => write!(
                f,
                "`{table}.{column}` refers to a row that was never saved; save that row first"
            ),
            Error::Unsaved {
                table,
                column: None,
            } => write!(f, "this `{table}` row was never saved (its id is unset)"),
            Error::InvalidValue { column, reason } => {
                f.write_str("invalid value")?;
                if let Some(c) = column {
                    write!(f, " for `{c}`")?;
                }
                write!(f, ": {reason}")
            }
            Error::Busy(e) => write!(f, "the database is busy: {e}"),
            Error::PoolTimedOut => {
                f.write_str("no database connection became free within the acquire timeout")
            }
            Error::Unavailable(e) => write!(f, "the database is unavailable: {e}"),
            Error::DiskFull(e) => write!(f, "the database is full: {e}"),
            Error::TransactionClosed => f.write_str("the transaction already ended"),
            Error::Database(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Busy(e) | Error::Unavailable(e) | Error::DiskFull(e) | Error::Database(e) => {
                Some(e)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes() {
        assert_eq!(
            sqlite_kind(2067, "UNIQUE constraint failed: book.isbn"),
            Kind::Unique {
                table: "book".into(),
                column: "isbn".into()
            }
        );
        assert_eq!(
            sqlite_kind(787, "FOREIGN KEY constraint failed"),
            Kind::ForeignKey {
                table: None,
                column: None
            }
        );
        assert_eq!(
            sqlite_kind(1299, "NOT NULL constraint failed: book.title"),
            Kind::Invalid {
                column: Some("title".into())
            }
        );
        assert_eq!(sqlite_kind(5, "database is locked"), Kind::Busy);
        assert_eq!(sqlite_kind(517, "database is locked"), Kind::Busy);
        assert_eq!(sqlite_kind(6, "database table is locked"), Kind::Busy);
        assert_eq!(sqlite_kind(13, "database or disk is full"), Kind::DiskFull);
        assert_eq!(
            sqlite_kind(8, "attempt to write a readonly database"),
            Kind::Unavailable
        );
        assert_eq!(sqlite_kind(1, "no such table: x"), Kind::Other);
    }

    #[test]
    #[cfg(feature = "postgres")]
    fn postgres_key_detail() {
        assert_eq!(
            key_column("Key (isbn)=(1-2) already exists.").as_deref(),
            Some("isbn")
        );
        assert_eq!(key_column("something else"), None);
    }
}
