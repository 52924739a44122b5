//! The Rust types a table's fields may have, and how each is stored.

use std::sync::Arc;

use super::error::Error;
use super::foreign_key::ForeignKey;
use super::id::Id;
use super::row::{Args, RowReader, SqlType};
use super::table::{Table, TableInfo};

/// A Rust type that can be stored in a table column.
///
/// Implemented for `i64`, `i32`, `f64`, `bool`, `String`, `Vec<u8>`, [`Id<T>`],
/// [`ForeignKey<T>`] and `Option<_>` of these (a nullable column); with kiln's
/// `chrono` feature for `chrono::DateTime<Utc>`, `NaiveDateTime` and `NaiveDate`; with
/// its `json` feature for `serde_json::Value`. `#[derive(Table)]` requires it of every
/// field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be stored in a database column",
    label = "not a column type",
    note = "a table's fields may be `i64`, `i32`, `f64`, `bool`, `String`, `Vec<u8>`, `Id<T>`, `ForeignKey<T>`, or `Option<_>` of these",
    note = "`chrono` date-times and `serde_json::Value` need kiln's `chrono` and `json` features"
)]
pub trait ColumnType: Sized + Send + Sync + 'static {
    /// The column's SQL type.
    #[doc(hidden)]
    const SQL: SqlType;
    /// Whether the column allows NULL.
    #[doc(hidden)]
    const NULLABLE: bool = false;
    /// The table a foreign-key column refers to.
    #[doc(hidden)]
    const REFERENCES: Option<fn() -> &'static TableInfo> = None;
    /// Binds the value as the next parameter.
    #[doc(hidden)]
    fn bind(&self, args: &mut Args) -> Result<(), Error>;
    /// Decodes the value from the next column(s).
    #[doc(hidden)]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error>;
    /// Moves past the column(s) of a NULL value.
    #[doc(hidden)]
    fn skip(row: &mut RowReader<'_>) {
        row.skip_column();
    }
}

/// A column type that is not itself an `Option`: what `Option<_>` may hold.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`Option<{Self}>` can't be stored in a database column",
    label = "a column is NULL or holds one value; `Option<Option<_>>` has two kinds of nothing"
)]
pub trait NotNull {}

// Written out rather than by a macro, so that rustc's "other types implement
// `ColumnType`" hint lists the types instead of pointing into a macro.
impl ColumnType for i64 {
    const SQL: SqlType = SqlType::BigInt;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

impl NotNull for i64 {}

impl ColumnType for i32 {
    const SQL: SqlType = SqlType::Int;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

impl NotNull for i32 {}

impl ColumnType for f64 {
    const SQL: SqlType = SqlType::Double;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

impl NotNull for f64 {}

impl ColumnType for bool {
    const SQL: SqlType = SqlType::Bool;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

impl NotNull for bool {}

impl ColumnType for String {
    const SQL: SqlType = SqlType::Text;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

impl NotNull for String {}

impl ColumnType for Vec<u8> {
    const SQL: SqlType = SqlType::Blob;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

impl NotNull for Vec<u8> {}

#[cfg(feature = "chrono")]
impl ColumnType for chrono::DateTime<chrono::Utc> {
    const SQL: SqlType = SqlType::TimestampTz;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

#[cfg(feature = "chrono")]
impl NotNull for chrono::DateTime<chrono::Utc> {}

#[cfg(feature = "chrono")]
impl ColumnType for chrono::NaiveDateTime {
    const SQL: SqlType = SqlType::Timestamp;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

#[cfg(feature = "chrono")]
impl NotNull for chrono::NaiveDateTime {}

#[cfg(feature = "chrono")]
impl ColumnType for chrono::NaiveDate {
    const SQL: SqlType = SqlType::Date;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

#[cfg(feature = "chrono")]
impl NotNull for chrono::NaiveDate {}

#[cfg(feature = "json")]
impl ColumnType for serde_json::Value {
    const SQL: SqlType = SqlType::Json;
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        args.push(self)
    }
    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get()
    }
}

#[cfg(feature = "json")]
impl NotNull for serde_json::Value {}

impl<T: ColumnType + NotNull> ColumnType for Option<T> {
    const SQL: SqlType = T::SQL;
    const NULLABLE: bool = true;
    const REFERENCES: Option<fn() -> &'static TableInfo> = T::REFERENCES;

    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        match self {
            Some(v) => v.bind(args),
            None => args.push_null(T::SQL),
        }
    }

    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        if row.is_null()? {
            T::skip(row);
            Ok(None)
        } else {
            T::decode(row).map(Some)
        }
    }

    fn skip(row: &mut RowReader<'_>) {
        T::skip(row);
    }
}

/// An `Id<T>` that is not the row's own key: a plain integer column (no constraint,
/// no join). Binding an unsaved one is [`Error::Unsaved`].
impl<T: 'static> ColumnType for Id<T> {
    const SQL: SqlType = SqlType::BigInt;

    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        match self.get() {
            Some(v) => args.push(v),
            None => Err(Error::Unsaved {
                table: "",
                column: None,
            }),
        }
    }

    #[inline]
    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        row.get::<i64>().map(Id::from_i64)
    }
}

impl<T> NotNull for Id<T> {}

/// A foreign key: an integer column referencing `T`'s `id`, whose row is loaded by a
/// join in the same statement.
impl<T: Table> ColumnType for ForeignKey<T> {
    const SQL: SqlType = SqlType::BigInt;
    const REFERENCES: Option<fn() -> &'static TableInfo> = Some(T::__info);

    #[inline]
    fn bind(&self, args: &mut Args) -> Result<(), Error> {
        match self.id().get() {
            Some(v) => args.push(v),
            None => Err(Error::Unsaved {
                table: "",
                column: None,
            }),
        }
    }

    fn decode(row: &mut RowReader<'_>) -> Result<Self, Error> {
        let id = Id::from_i64(row.get::<i64>()?);
        let value = match row.next_join() {
            None => None,
            Some(join) if row.is_null()? => {
                row.skip_join(join);
                None
            }
            Some(_) => Some(Arc::new(T::__decode(row)?)),
        };
        Ok(ForeignKey::__from_parts(id, value))
    }

    fn skip(row: &mut RowReader<'_>) {
        row.skip_column();
        if let Some(join) = row.next_join() {
            row.skip_join(join);
        }
    }
}

impl<T> NotNull for ForeignKey<T> {}

/// A column holding text (`String` or `Option<String>`): the ones
/// [`like`](crate::orm::Column::like), [`contains`](crate::orm::Column::contains),
/// [`starts_with`](crate::orm::Column::starts_with) and
/// [`ends_with`](crate::orm::Column::ends_with) apply to.
pub trait TextColumn {}

impl TextColumn for String {}
impl TextColumn for Option<String> {}
