#![doc = include_str!("guide.md")]

mod backend;
mod column;
mod database;
mod error;
mod exec;
mod foreign_key;
mod id;
mod migrate;
mod ops;
mod query;
#[cfg(feature = "sqlite")]
mod read_only;
mod row;
mod table;
mod transaction;

pub use backend::Backend;
pub use column::{ColumnType, TextColumn};
pub use database::{Database, DatabaseBuilder};
pub use error::Error;
pub use foreign_key::ForeignKey;
pub use id::{Id, ParseIdError};
pub use migrate::{
    Change, ColumnSchema, DefaultValue, Difference, Migration, MigrationError, Migrations, Models,
    Schema, SchemaMismatch, TableSchema, make_migration, read_migrations,
};
pub use ops::Counter;
pub use query::{Column, Filter, Order, Param, ParseOrderError, Select};
pub use row::SqlType;
pub use table::Table;
pub use transaction::Tx;

/// `#[derive(Table)]`: see the [`Table`](trait@Table) trait.
pub use kiln_orm_derive::Table;

/// The `chrono` crate, for date-time columns (kiln's `chrono` feature).
#[cfg(feature = "chrono")]
pub use chrono;

pub(crate) use error::{Kind, kind_of};

/// What generated code names. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use super::column::{ColumnType, NotNull};
    pub use super::error::Error;
    pub use super::id::Id;
    pub use super::migrate::EmbeddedMigration;
    pub use super::migrate::Migrations;
    pub use super::query::Column;
    pub use super::row::{Args, RowReader, SqlType};
    pub use super::table::{ColumnInfo, DefaultLit, Table, TableInfo};
}
