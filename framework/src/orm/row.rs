//! The two ends of a statement: [`Args`] collects bound parameters, [`RowReader`]
//! decodes a result row column by column. Both hide which backend is in use.

#[cfg(feature = "postgres")]
use sqlx::Postgres;
#[cfg(feature = "sqlite")]
use sqlx::Sqlite;
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgArguments, PgRow};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteArguments, SqliteRow};
#[allow(unused_imports)]
use sqlx::{Arguments as _, Decode, Encode, Row as _, Type, ValueRef as _};

use super::backend::Backend;
use super::error::Error;

/// A column's SQL type, named per backend by [`SqlType::sql`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum SqlType {
    /// `i64`: `INTEGER` / `BIGINT`.
    BigInt,
    /// `i32`: `INTEGER` / `INTEGER`.
    Int,
    /// `f64`: `REAL` / `DOUBLE PRECISION`.
    Double,
    /// `bool`: `INTEGER` 0/1 / `BOOLEAN`.
    Bool,
    /// `String`: `TEXT`.
    Text,
    /// `Vec<u8>`: `BLOB` / `BYTEA`.
    Blob,
    /// `chrono::DateTime<Utc>`: `TEXT` / `TIMESTAMPTZ`.
    #[cfg(feature = "chrono")]
    TimestampTz,
    /// `chrono::NaiveDateTime`: `TEXT` / `TIMESTAMP`.
    #[cfg(feature = "chrono")]
    Timestamp,
    /// `chrono::NaiveDate`: `TEXT` / `DATE`.
    #[cfg(feature = "chrono")]
    Date,
    /// `serde_json::Value`: `TEXT` / `JSONB`.
    #[cfg(feature = "json")]
    Json,
}

impl SqlType {
    /// The type's name in `backend`'s SQL.
    pub fn sql(self, backend: Backend) -> &'static str {
        use SqlType::*;
        match backend {
            Backend::Sqlite => match self {
                BigInt | Int | Bool => "INTEGER",
                Double => "REAL",
                Text => "TEXT",
                Blob => "BLOB",
                #[cfg(feature = "chrono")]
                TimestampTz | Timestamp | Date => "TEXT",
                #[cfg(feature = "json")]
                Json => "TEXT",
            },
            Backend::Postgres => match self {
                BigInt => "BIGINT",
                Int => "INTEGER",
                Double => "DOUBLE PRECISION",
                Bool => "BOOLEAN",
                Text => "TEXT",
                Blob => "BYTEA",
                #[cfg(feature = "chrono")]
                TimestampTz => "TIMESTAMPTZ",
                #[cfg(feature = "chrono")]
                Timestamp => "TIMESTAMP",
                #[cfg(feature = "chrono")]
                Date => "DATE",
                #[cfg(feature = "json")]
                Json => "JSONB",
            },
        }
    }
}

/// A value every enabled driver can encode (one bound per driver, so that the
/// derive's generated code names no driver).
#[doc(hidden)]
pub trait Encodable<'t>: EncodeSqlite<'t> + EncodePostgres<'t> {}

impl<'t, T: EncodeSqlite<'t> + EncodePostgres<'t>> Encodable<'t> for T {}

/// A value every enabled driver can decode.
#[doc(hidden)]
pub trait Decodable: DecodeSqlite + DecodePostgres {}

impl<T: DecodeSqlite + DecodePostgres> Decodable for T {}

/// What SQLite needs to encode a value (nothing without the `sqlite` feature).
#[doc(hidden)]
#[cfg(feature = "sqlite")]
pub trait EncodeSqlite<'t>: Encode<'t, Sqlite> + Type<Sqlite> {}
#[cfg(feature = "sqlite")]
impl<'t, T: Encode<'t, Sqlite> + Type<Sqlite>> EncodeSqlite<'t> for T {}
#[doc(hidden)]
#[cfg(not(feature = "sqlite"))]
pub trait EncodeSqlite<'t> {}
#[cfg(not(feature = "sqlite"))]
impl<T> EncodeSqlite<'_> for T {}

/// What PostgreSQL needs to encode a value (nothing without the `postgres` feature).
#[doc(hidden)]
#[cfg(feature = "postgres")]
pub trait EncodePostgres<'t>: Encode<'t, Postgres> + Type<Postgres> {}
#[cfg(feature = "postgres")]
impl<'t, T: Encode<'t, Postgres> + Type<Postgres>> EncodePostgres<'t> for T {}
#[doc(hidden)]
#[cfg(not(feature = "postgres"))]
pub trait EncodePostgres<'t> {}
#[cfg(not(feature = "postgres"))]
impl<T> EncodePostgres<'_> for T {}

/// What SQLite needs to decode a value.
#[doc(hidden)]
#[cfg(feature = "sqlite")]
pub trait DecodeSqlite: for<'r> Decode<'r, Sqlite> + Type<Sqlite> {}
#[cfg(feature = "sqlite")]
impl<T: for<'r> Decode<'r, Sqlite> + Type<Sqlite>> DecodeSqlite for T {}
#[doc(hidden)]
#[cfg(not(feature = "sqlite"))]
pub trait DecodeSqlite {}
#[cfg(not(feature = "sqlite"))]
impl<T> DecodeSqlite for T {}

/// What PostgreSQL needs to decode a value.
#[doc(hidden)]
#[cfg(feature = "postgres")]
pub trait DecodePostgres: for<'r> Decode<'r, Postgres> + Type<Postgres> {}
#[cfg(feature = "postgres")]
impl<T: for<'r> Decode<'r, Postgres> + Type<Postgres>> DecodePostgres for T {}
#[doc(hidden)]
#[cfg(not(feature = "postgres"))]
pub trait DecodePostgres {}
#[cfg(not(feature = "postgres"))]
impl<T> DecodePostgres for T {}

/// The bound parameters of one statement, for the backend it runs on.
#[doc(hidden)]
pub enum Args {
    /// SQLite's arguments.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteArguments),
    /// PostgreSQL's arguments.
    #[cfg(feature = "postgres")]
    Postgres(PgArguments),
}

impl Args {
    pub(crate) fn new(backend: Backend, capacity: usize) -> Args {
        match backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let mut a = SqliteArguments::default();
                a.reserve(capacity, 0);
                Args::Sqlite(a)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                let mut a = PgArguments::default();
                a.reserve(capacity, capacity * 8);
                Args::Postgres(a)
            }
            // A `Database` only ever holds a pool of a backend this build has.
            #[allow(unreachable_patterns)]
            other => unreachable!("kiln was built without the {other:?} backend"),
        }
    }

    /// Binds the next parameter.
    #[inline]
    pub fn push<'t, T: Encodable<'t>>(&mut self, value: T) -> Result<(), Error> {
        let res = match self {
            #[cfg(feature = "sqlite")]
            Args::Sqlite(a) => a.add(value),
            #[cfg(feature = "postgres")]
            Args::Postgres(a) => a.add(value),
        };
        res.map_err(|e| Error::Database(sqlx::Error::Encode(e)))
    }

    /// Binds a NULL of the column's type (PostgreSQL checks parameter types).
    pub fn push_null(&mut self, ty: SqlType) -> Result<(), Error> {
        match ty {
            SqlType::BigInt => self.push(None::<i64>),
            SqlType::Int => self.push(None::<i32>),
            SqlType::Double => self.push(None::<f64>),
            SqlType::Bool => self.push(None::<bool>),
            SqlType::Text => self.push(None::<String>),
            SqlType::Blob => self.push(None::<Vec<u8>>),
            #[cfg(feature = "chrono")]
            SqlType::TimestampTz => self.push(None::<chrono::DateTime<chrono::Utc>>),
            #[cfg(feature = "chrono")]
            SqlType::Timestamp => self.push(None::<chrono::NaiveDateTime>),
            #[cfg(feature = "chrono")]
            SqlType::Date => self.push(None::<chrono::NaiveDate>),
            #[cfg(feature = "json")]
            SqlType::Json => self.push(None::<serde_json::Value>),
        }
    }

    /// How many parameters are bound.
    pub(crate) fn len(&self) -> usize {
        match self {
            #[cfg(feature = "sqlite")]
            Args::Sqlite(a) => a.len(),
            #[cfg(feature = "postgres")]
            Args::Postgres(a) => a.len(),
        }
    }
}

/// An owned parameter value, held by a query filter until the statement runs.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL of a column type.
    Null(SqlType),
    /// An `i64`.
    I64(i64),
    /// An `i32`.
    I32(i32),
    /// An `f64`.
    F64(f64),
    /// A `bool`.
    Bool(bool),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// A UTC date-time.
    #[cfg(feature = "chrono")]
    TimestampTz(chrono::DateTime<chrono::Utc>),
    /// A date-time without zone.
    #[cfg(feature = "chrono")]
    Timestamp(chrono::NaiveDateTime),
    /// A date.
    #[cfg(feature = "chrono")]
    Date(chrono::NaiveDate),
    /// JSON.
    #[cfg(feature = "json")]
    Json(serde_json::Value),
}

impl Value {
    pub(crate) fn bind(self, args: &mut Args) -> Result<(), Error> {
        match self {
            Value::Null(ty) => args.push_null(ty),
            Value::I64(v) => args.push(v),
            Value::I32(v) => args.push(v),
            Value::F64(v) => args.push(v),
            Value::Bool(v) => args.push(v),
            Value::Text(v) => args.push(v),
            Value::Blob(v) => args.push(v),
            #[cfg(feature = "chrono")]
            Value::TimestampTz(v) => args.push(v),
            #[cfg(feature = "chrono")]
            Value::Timestamp(v) => args.push(v),
            #[cfg(feature = "chrono")]
            Value::Date(v) => args.push(v),
            #[cfg(feature = "json")]
            Value::Json(v) => args.push(v),
        }
    }
}

/// A joined table's share of a row: how many columns it spans and how many join steps
/// its own foreign keys take, so that a missing (NULL) referenced row can be skipped.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinStep {
    pub(crate) width: usize,
    pub(crate) steps: usize,
}

/// A result row being decoded.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub(crate) enum RowRef<'r> {
    #[cfg(feature = "sqlite")]
    Sqlite(&'r SqliteRow),
    #[cfg(feature = "postgres")]
    Postgres(&'r PgRow),
}

/// Reads a result row left to right; generated code calls it once per column.
#[doc(hidden)]
pub struct RowReader<'r> {
    row: RowRef<'r>,
    col: usize,
    plan: &'r [Option<JoinStep>],
    step: usize,
}

impl<'r> RowReader<'r> {
    pub(crate) fn new(row: RowRef<'r>, plan: &'r [Option<JoinStep>]) -> RowReader<'r> {
        RowReader {
            row,
            col: 0,
            plan,
            step: 0,
        }
    }

    /// Decodes the next column.
    #[inline]
    pub fn get<T: Decodable>(&mut self) -> Result<T, Error> {
        let i = self.col;
        self.col += 1;
        match self.row {
            #[cfg(feature = "sqlite")]
            RowRef::Sqlite(r) => r.try_get(i),
            #[cfg(feature = "postgres")]
            RowRef::Postgres(r) => r.try_get(i),
        }
        .map_err(Error::decode)
    }

    /// Whether the next column is NULL (without moving past it).
    pub fn is_null(&self) -> Result<bool, Error> {
        let i = self.col;
        match self.row {
            #[cfg(feature = "sqlite")]
            RowRef::Sqlite(r) => r.try_get_raw(i).map(|v| v.is_null()),
            #[cfg(feature = "postgres")]
            RowRef::Postgres(r) => r.try_get_raw(i).map(|v| v.is_null()),
        }
        .map_err(Error::decode)
    }

    /// Moves past the next column.
    pub fn skip_column(&mut self) {
        self.col += 1;
    }

    /// The next foreign key's join, if the statement joined its table.
    pub fn next_join(&mut self) -> Option<JoinStep> {
        let step = self.plan.get(self.step).copied().flatten();
        self.step += 1;
        step
    }

    /// Moves past a joined row that is missing.
    pub fn skip_join(&mut self, join: JoinStep) {
        self.col += join.width;
        self.step += join.steps;
    }
}
