//! Migrations diffed from `#[derive(Table)]`: the [`Schema`] the derives describe, the
//! [`Migration`] between two schemas (with its SQL for each backend), and applying,
//! recording and verifying them on a [`Database`].
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::orm::{Backend, Migration, Schema};
//!
//! #[derive(Table)]
//! struct Author {
//!     id: Id<Author>,
//!     name: String,
//!     #[column(default = 0)]
//!     born: i64,
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let db = Database::connect("sqlite::memory:").await?;
//! let first = Migration::between("0001_init", &Schema::empty(), &Schema::of::<(Author,)>())?;
//! assert!(first.sql(Backend::Sqlite)[0].starts_with(r#"CREATE TABLE "author""#));
//! db.apply(&first).await?;
//! assert_eq!(db.applied().await?, ["0001_init"]);
//! db.verify::<(Author,)>().await?;
//! # Ok::<(), kiln::Error>(())
//! # }).unwrap();
//! ```
//!
//! Renames are never guessed: a column is renamed only from
//! `#[column(renamed_from = "..")]`, a table from `#[table(renamed_from = "..")]`.
//! Otherwise a missing column is dropped and a new one added. A change that cannot be
//! made safely (a new `NOT NULL` column without `#[column(default = ..)]`, a type
//! change) is an error that names the table and the column.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, SqlStr};

use super::backend::Backend;
use super::database::{Database, Pool};
use super::row::{Args, SqlType};
use super::table::{DefaultLit, Table, TableInfo};

/// The tables a set of models describes, as stored in each migration's snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// The tables, in the order given.
    pub tables: Vec<TableSchema>,
}

/// One table of a [`Schema`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSchema {
    /// The table's name.
    pub name: String,
    /// Its name before a rename (from the derive; not kept in snapshots).
    #[serde(default, skip_serializing)]
    pub renamed_from: Option<String>,
    /// Its columns, `id` first.
    pub columns: Vec<ColumnSchema>,
}

/// One column of a [`TableSchema`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSchema {
    /// The column's name.
    pub name: String,
    /// Its type (`BigInt`, `Text`, ...), written per backend.
    pub sql_type: SqlType,
    /// Whether it may be NULL.
    pub nullable: bool,
    /// The value old rows get when it is added, if any.
    #[serde(default)]
    pub default: Option<DefaultValue>,
    /// `#[column(unique)]`.
    #[serde(default)]
    pub unique: bool,
    /// `#[column(index)]`.
    #[serde(default)]
    pub index: bool,
    /// The table a foreign key points at.
    #[serde(default)]
    pub references: Option<String>,
    /// Its name before a rename (from the derive; not kept in snapshots).
    #[serde(default, skip_serializing)]
    pub renamed_from: Option<String>,
}

/// A column's default value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DefaultValue {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// Text.
    Text(String),
}

impl DefaultValue {
    fn sql(&self, backend: Backend) -> String {
        match self {
            DefaultValue::Int(i) => i.to_string(),
            DefaultValue::Float(f) => format!("{f:?}"),
            DefaultValue::Bool(b) => match backend {
                Backend::Sqlite => (*b as i32).to_string(),
                Backend::Postgres => b.to_string().to_uppercase(),
            },
            DefaultValue::Text(t) => format!("'{}'", t.replace('\'', "''")),
        }
    }
}

/// A set of models: a tuple of `#[derive(Table)]` types, `(Author, Book)`.
pub trait Models {
    /// Their tables' descriptions.
    #[doc(hidden)]
    fn __infos() -> Vec<&'static TableInfo>;
}

macro_rules! models {
    ($($t:ident),+) => {
        impl<$($t: Table),+> Models for ($($t,)+) {
            fn __infos() -> Vec<&'static TableInfo> {
                vec![$($t::__info()),+]
            }
        }
    };
}

models!(A);
models!(A, B);
models!(A, B, C);
models!(A, B, C, D);
models!(A, B, C, D, E);
models!(A, B, C, D, E, F);
models!(A, B, C, D, E, F, G);
models!(A, B, C, D, E, F, G, H);
models!(A, B, C, D, E, F, G, H, I);
models!(A, B, C, D, E, F, G, H, I, J);
models!(A, B, C, D, E, F, G, H, I, J, K);
models!(A, B, C, D, E, F, G, H, I, J, K, L);

impl Schema {
    /// No tables: where the first migration starts.
    pub fn empty() -> Schema {
        Schema::default()
    }

    /// The schema the derives of `M`, a tuple of tables, describe.
    pub fn of<M: Models>() -> Schema {
        Schema {
            tables: M::__infos().into_iter().map(table_schema).collect(),
        }
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.iter().find(|t| t.name == name)
    }
}

impl TableSchema {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }
}

fn table_schema(info: &'static TableInfo) -> TableSchema {
    TableSchema {
        name: info.name.to_string(),
        renamed_from: info.renamed_from.map(str::to_string),
        columns: info
            .columns
            .iter()
            .map(|c| ColumnSchema {
                name: c.name.to_string(),
                sql_type: c.sql,
                nullable: c.nullable,
                default: c.default.map(|d| match d {
                    DefaultLit::Int(i) => DefaultValue::Int(i),
                    DefaultLit::Float(f) => DefaultValue::Float(f),
                    DefaultLit::Bool(b) => DefaultValue::Bool(b),
                    DefaultLit::Text(t) => DefaultValue::Text(t.to_string()),
                }),
                unique: c.unique,
                index: c.index && !c.unique,
                references: c.references.map(|t| t().name.to_string()),
                renamed_from: c.renamed_from.map(str::to_string),
            })
            .collect(),
    }
}

/// Why a migration can't be made: the table, the column if it is about one, and the
/// reason.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationError {
    /// The table.
    pub table: String,
    /// The column, if the problem is one column.
    pub column: Option<String>,
    /// What is wrong, and what to do.
    pub reason: String,
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "table `{}`, column `{c}`: {}", self.table, self.reason),
            None => write!(f, "table `{}`: {}", self.table, self.reason),
        }
    }
}

impl std::error::Error for MigrationError {}

/// One change between two schemas.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new table.
    CreateTable(TableSchema),
    /// A table that is gone.
    DropTable(String),
    /// A table renamed (`#[table(renamed_from = "..")]`).
    RenameTable {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// A table whose columns changed: `old` as it was (under its new name), `new` as it
    /// is to be, and where each new column's values come from.
    AlterTable {
        /// The table as it was.
        old: TableSchema,
        /// The table as it is to be.
        new: TableSchema,
        /// For each column of `new`, the column of `old` it keeps, if any.
        sources: Vec<Option<String>>,
    },
}

/// The step from one schema to the next: its changes, the SQL for each backend, and
/// the schema after it (stored as the migration's snapshot).
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    name: String,
    changes: Vec<Change>,
    schema: Schema,
    sqlite: Vec<String>,
    postgres: Vec<String>,
}

impl Migration {
    /// The changes from `old` to `new`, named `name` (`0002_born`).
    pub fn between(name: &str, old: &Schema, new: &Schema) -> Result<Migration, MigrationError> {
        let changes = diff(old, new)?;
        let sqlite = changes
            .iter()
            .flat_map(|c| change_sql(c, Backend::Sqlite))
            .collect();
        let postgres = changes
            .iter()
            .flat_map(|c| change_sql(c, Backend::Postgres))
            .collect();
        let mut schema = new.clone();
        for t in &mut schema.tables {
            t.renamed_from = None;
            for c in &mut t.columns {
                c.renamed_from = None;
            }
        }
        Ok(Migration {
            name: name.to_string(),
            changes,
            schema,
            sqlite,
            postgres,
        })
    }

    /// A migration as stored: its name, its SQL for each backend and its snapshot.
    pub fn from_parts(name: &str, sqlite: &str, postgres: &str, schema: Schema) -> Migration {
        Migration {
            name: name.to_string(),
            changes: Vec::new(),
            schema,
            sqlite: split_sql(sqlite),
            postgres: split_sql(postgres),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.sqlite.is_empty() && self.postgres.is_empty()
    }

    /// The changes it makes (empty for a migration read back from its files).
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The schema after it.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Its statements for `backend`.
    pub fn sql(&self, backend: Backend) -> Vec<String> {
        match backend {
            Backend::Sqlite => self.sqlite.clone(),
            Backend::Postgres => self.postgres.clone(),
        }
    }

    /// Its statements for `backend` as one file, one statement after another.
    pub fn sql_file(&self, backend: Backend) -> String {
        let mut out = String::new();
        for s in self.sql(backend) {
            out.push_str(&s);
            out.push_str(";\n");
        }
        out
    }

    /// A checksum of its SQL for `backend`: a changed file is caught.
    pub fn checksum(&self, backend: Backend) -> String {
        checksum(&self.sql_file(backend))
    }
}

/// The statements of a file written by [`Migration::sql_file`].
fn split_sql(file: &str) -> Vec<String> {
    file.split(";\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// FNV-1a, 64 bits, as hex: a change detector for migration files, not a security
/// measure.
fn checksum(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn error(table: &str, column: Option<&str>, reason: impl Into<String>) -> MigrationError {
    MigrationError {
        table: table.to_string(),
        column: column.map(str::to_string),
        reason: reason.into(),
    }
}

/// The changes from `old` to `new`.
fn diff(old: &Schema, new: &Schema) -> Result<Vec<Change>, MigrationError> {
    let mut changes = Vec::new();
    let mut matched: Vec<&str> = Vec::new();
    for table in &new.tables {
        let (previous, renamed) = match old.table(&table.name) {
            Some(t) => (Some(t), false),
            None => match table
                .renamed_from
                .as_deref()
                .filter(|r| new.table(r).is_none())
                .and_then(|r| old.table(r))
            {
                Some(t) => (Some(t), true),
                None => (None, false),
            },
        };
        let Some(previous) = previous else {
            changes.push(Change::CreateTable(table.clone()));
            continue;
        };
        matched.push(&previous.name);
        if renamed {
            changes.push(Change::RenameTable {
                from: previous.name.clone(),
                to: table.name.clone(),
            });
        }
        let mut before = previous.clone();
        before.name = table.name.clone();
        if let Some(change) = alter(&before, table)? {
            changes.push(change);
        }
    }
    for table in &old.tables {
        if !matched.contains(&table.name.as_str()) {
            changes.push(Change::DropTable(table.name.clone()));
        }
    }
    Ok(changes)
}

/// How `old` becomes `new`, the same table: `None` if it does not change.
fn alter(old: &TableSchema, new: &TableSchema) -> Result<Option<Change>, MigrationError> {
    let t = &new.name;
    let mut sources = Vec::new();
    for col in &new.columns {
        let source = match old.column(&col.name) {
            Some(c) => Some(c),
            None => col
                .renamed_from
                .as_deref()
                .filter(|r| new.column(r).is_none())
                .and_then(|r| old.column(r)),
        };
        match source {
            None => {
                if !col.nullable && col.default.is_none() {
                    return Err(error(
                        t,
                        Some(&col.name),
                        "a new NOT NULL column needs a value for the rows there are: add \
                         `#[column(default = ..)]`, or make the field an `Option`",
                    ));
                }
                sources.push(None);
            }
            Some(was) => {
                if was.sql_type != col.sql_type {
                    return Err(error(
                        t,
                        Some(&col.name),
                        format!(
                            "its type changes from {:?} to {:?}, and there is no rule to convert \
                             the rows there are: add a new column and move the data yourself",
                            was.sql_type, col.sql_type
                        ),
                    ));
                }
                if was.nullable && !col.nullable && col.default.is_none() {
                    return Err(error(
                        t,
                        Some(&col.name),
                        "it becomes NOT NULL: add `#[column(default = ..)]` for the rows that \
                         hold NULL",
                    ));
                }
                sources.push(Some(was.name.clone()));
            }
        }
    }
    let same_columns = old.columns.len() == new.columns.len()
        && old
            .columns
            .iter()
            .zip(&new.columns)
            .all(|(a, b)| same_column(a, b));
    if same_columns {
        return Ok(None);
    }
    Ok(Some(Change::AlterTable {
        old: old.clone(),
        new: new.clone(),
        sources,
    }))
}

fn same_column(a: &ColumnSchema, b: &ColumnSchema) -> bool {
    a.name == b.name
        && a.sql_type == b.sql_type
        && a.nullable == b.nullable
        && a.default == b.default
        && a.unique == b.unique
        && a.index == b.index
        && a.references == b.references
}

/// A column's definition in `CREATE TABLE` / `ADD COLUMN`.
fn column_def(col: &ColumnSchema, first: bool, backend: Backend) -> String {
    let mut sql = format!("\"{}\" ", col.name);
    if first {
        sql.push_str(match backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        });
        return sql;
    }
    sql.push_str(col.sql_type.sql(backend));
    if !col.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(d) = &col.default {
        let _ = write!(sql, " DEFAULT {}", d.sql(backend));
    }
    if col.unique {
        sql.push_str(" UNIQUE");
    }
    if let Some(target) = &col.references {
        let _ = write!(sql, " REFERENCES \"{target}\" (\"id\")");
    }
    sql
}

fn create_table(table: &TableSchema, name: &str, backend: Backend) -> String {
    let mut sql = format!("CREATE TABLE \"{name}\" (");
    for (i, col) in table.columns.iter().enumerate() {
        sql.push_str(if i == 0 { "\n    " } else { ",\n    " });
        sql.push_str(&column_def(col, i == 0, backend));
    }
    sql.push_str("\n)");
    sql
}

fn index_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_idx")
}

fn create_index(table: &str, column: &str) -> String {
    format!(
        "CREATE INDEX \"{}\" ON \"{table}\" (\"{column}\")",
        index_name(table, column)
    )
}

fn change_sql(change: &Change, backend: Backend) -> Vec<String> {
    match change {
        Change::CreateTable(t) => {
            let mut out = vec![create_table(t, &t.name, backend)];
            out.extend(
                t.columns
                    .iter()
                    .filter(|c| c.index)
                    .map(|c| create_index(&t.name, &c.name)),
            );
            out
        }
        Change::DropTable(name) => vec![format!("DROP TABLE \"{name}\"")],
        Change::RenameTable { from, to } => {
            vec![format!("ALTER TABLE \"{from}\" RENAME TO \"{to}\"")]
        }
        Change::AlterTable { old, new, sources } => match backend {
            Backend::Postgres => alter_postgres(old, new, sources),
            Backend::Sqlite => alter_sqlite(old, new, sources),
        },
    }
}

/// PostgreSQL alters a table in place.
fn alter_postgres(old: &TableSchema, new: &TableSchema, sources: &[Option<String>]) -> Vec<String> {
    let t = &new.name;
    let mut out = Vec::new();
    let kept: Vec<&str> = sources.iter().flatten().map(String::as_str).collect();
    for col in &old.columns {
        if !kept.contains(&col.name.as_str()) {
            out.push(format!("ALTER TABLE \"{t}\" DROP COLUMN \"{}\"", col.name));
        }
    }
    for (col, source) in new.columns.iter().zip(sources) {
        let c = &col.name;
        let Some(source) = source else {
            out.push(format!(
                "ALTER TABLE \"{t}\" ADD COLUMN {}",
                column_def(col, false, Backend::Postgres)
            ));
            if col.index {
                out.push(create_index(t, c));
            }
            continue;
        };
        let was = old
            .column(source)
            .expect("a source column of the old table");
        if source != c {
            out.push(format!(
                "ALTER TABLE \"{t}\" RENAME COLUMN \"{source}\" TO \"{c}\""
            ));
        }
        if was.default != col.default {
            out.push(match &col.default {
                Some(d) => format!(
                    "ALTER TABLE \"{t}\" ALTER COLUMN \"{c}\" SET DEFAULT {}",
                    d.sql(Backend::Postgres)
                ),
                None => format!("ALTER TABLE \"{t}\" ALTER COLUMN \"{c}\" DROP DEFAULT"),
            });
        }
        if was.nullable != col.nullable {
            if col.nullable {
                out.push(format!(
                    "ALTER TABLE \"{t}\" ALTER COLUMN \"{c}\" DROP NOT NULL"
                ));
            } else {
                if let Some(d) = &col.default {
                    out.push(format!(
                        "UPDATE \"{t}\" SET \"{c}\" = {} WHERE \"{c}\" IS NULL",
                        d.sql(Backend::Postgres)
                    ));
                }
                out.push(format!(
                    "ALTER TABLE \"{t}\" ALTER COLUMN \"{c}\" SET NOT NULL"
                ));
            }
        }
        // Constraints made inline are named by PostgreSQL after the table and column
        // as they were then.
        if was.unique != col.unique {
            out.push(if col.unique {
                format!("ALTER TABLE \"{t}\" ADD CONSTRAINT \"{t}_{c}_key\" UNIQUE (\"{c}\")")
            } else {
                format!("ALTER TABLE \"{t}\" DROP CONSTRAINT IF EXISTS \"{t}_{source}_key\"")
            });
        }
        if was.references != col.references {
            if was.references.is_some() {
                out.push(format!(
                    "ALTER TABLE \"{t}\" DROP CONSTRAINT IF EXISTS \"{t}_{source}_fkey\""
                ));
            }
            if let Some(target) = &col.references {
                out.push(format!(
                    "ALTER TABLE \"{t}\" ADD CONSTRAINT \"{t}_{c}_fkey\" FOREIGN KEY (\"{c}\") \
                     REFERENCES \"{target}\" (\"id\")"
                ));
            }
        }
        if was.index != col.index || (col.index && source != c) {
            if was.index {
                out.push(format!(
                    "DROP INDEX IF EXISTS \"{}\"",
                    index_name(t, source)
                ));
            }
            if col.index {
                out.push(create_index(t, c));
            }
        }
    }
    out
}

/// SQLite renames a column or adds a nullable (or defaulted, plain) one in place;
/// anything else rebuilds the table: a new table, the rows copied, the old one dropped,
/// the new one renamed, its indexes made. Foreign keys are checked once, at the end
/// (`Database::apply` turns their enforcement off around the transaction and runs
/// `PRAGMA foreign_key_check` before committing).
fn alter_sqlite(old: &TableSchema, new: &TableSchema, sources: &[Option<String>]) -> Vec<String> {
    let t = &new.name;
    let kept: Vec<&str> = sources.iter().flatten().map(String::as_str).collect();
    let drops = old.columns.iter().any(|c| !kept.contains(&c.name.as_str()));
    let simple = !drops
        && new
            .columns
            .iter()
            .zip(sources)
            .all(|(col, source)| match source {
                None => !col.unique && col.references.is_none(),
                Some(s) => {
                    let was = old.column(s).expect("a source column");
                    let mut renamed = was.clone();
                    renamed.name = col.name.clone();
                    same_column(&renamed, col)
                }
            });
    let mut out = Vec::new();
    if simple {
        for (col, source) in new.columns.iter().zip(sources) {
            match source {
                Some(s) if s != &col.name => {
                    out.push(format!(
                        "ALTER TABLE \"{t}\" RENAME COLUMN \"{s}\" TO \"{}\"",
                        col.name
                    ));
                    if col.index {
                        out.push(format!("DROP INDEX IF EXISTS \"{}\"", index_name(t, s)));
                        out.push(create_index(t, &col.name));
                    }
                }
                Some(_) => {}
                None => {
                    out.push(format!(
                        "ALTER TABLE \"{t}\" ADD COLUMN {}",
                        column_def(col, false, Backend::Sqlite)
                    ));
                    if col.index {
                        out.push(create_index(t, &col.name));
                    }
                }
            }
        }
        return out;
    }
    let temp = format!("_kiln_new_{t}");
    out.push(create_table(new, &temp, Backend::Sqlite));
    let names: Vec<String> = new
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    let values: Vec<String> = new
        .columns
        .iter()
        .zip(sources)
        .map(|(col, source)| match (source, &col.default) {
            (Some(s), Some(d)) if !col.nullable => {
                format!("COALESCE(\"{s}\", {})", d.sql(Backend::Sqlite))
            }
            (Some(s), _) => format!("\"{s}\""),
            (None, Some(d)) => d.sql(Backend::Sqlite),
            (None, None) => "NULL".to_string(),
        })
        .collect();
    out.push(format!(
        "INSERT INTO \"{temp}\" ({}) SELECT {} FROM \"{t}\"",
        names.join(", "),
        values.join(", ")
    ));
    out.push(format!("DROP TABLE \"{t}\""));
    out.push(format!("ALTER TABLE \"{temp}\" RENAME TO \"{t}\""));
    out.extend(
        new.columns
            .iter()
            .filter(|c| c.index)
            .map(|c| create_index(t, &c.name)),
    );
    out
}

/// Migrations embedded by [`kiln::migrations!`](crate::migrations), in order.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    list: &'static [EmbeddedMigration],
}

/// One migration's files, embedded. Not public API.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedMigration {
    /// Its folder's name.
    pub name: &'static str,
    /// `sqlite.sql`.
    pub sqlite: &'static str,
    /// `postgres.sql`.
    pub postgres: &'static str,
    /// `schema.json`.
    pub schema: &'static str,
}

impl Migrations {
    /// Used by `kiln::migrations!()`.
    #[doc(hidden)]
    pub const fn __new(list: &'static [EmbeddedMigration]) -> Migrations {
        Migrations { list }
    }

    /// The migrations, in order; an unreadable snapshot is an error naming it.
    pub fn all(&self) -> crate::Result<Vec<Migration>> {
        self.list
            .iter()
            .map(|m| {
                let schema: Schema = serde_json::from_str(m.schema).map_err(|e| {
                    crate::Error::internal(format!("migration `{}`: schema.json: {e}", m.name))
                })?;
                Ok(Migration::from_parts(m.name, m.sqlite, m.postgres, schema))
            })
            .collect()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

const LEDGER: &str = "kiln_migrations";

/// The ledger's rows, in the order applied (the table is `LEDGER`).
const LEDGER_ROWS: &str =
    "SELECT name, checksum FROM \"kiln_migrations\" ORDER BY applied_at, name";

/// The migrations in `dir` (one folder each, in name order), read at run time.
pub fn read_migrations(dir: &std::path::Path) -> crate::Result<Vec<Migration>> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(crate::Error::internal(format!(
                "can't read {}: {e}",
                dir.display()
            )));
        }
    };
    names.sort();
    names
        .iter()
        .map(|name| {
            let read = |file: &str| {
                let path = dir.join(name).join(file);
                std::fs::read_to_string(&path).map_err(|e| {
                    crate::Error::internal(format!("can't read {}: {e}", path.display()))
                })
            };
            let schema: Schema = serde_json::from_str(&read("schema.json")?).map_err(|e| {
                crate::Error::internal(format!("migration `{name}`: schema.json: {e}"))
            })?;
            Ok(Migration::from_parts(
                name,
                &read("sqlite.sql")?,
                &read("postgres.sql")?,
                schema,
            ))
        })
        .collect()
}

/// Writes the next migration into `dir`, from the last one's snapshot (or nothing)
/// to `models`: `NNNN_name/` with `sqlite.sql`, `postgres.sql` and `schema.json`.
/// `None` when nothing changed. `name` is made of lowercase letters, digits and `_`
/// (default `init` for the first, else `auto`).
pub fn make_migration(
    dir: &std::path::Path,
    name: Option<&str>,
    models: &Schema,
) -> crate::Result<Option<std::path::PathBuf>> {
    let existing = read_migrations(dir)?;
    let last = existing
        .last()
        .map(|m| m.schema().clone())
        .unwrap_or_default();
    let name = name.unwrap_or(if existing.is_empty() { "init" } else { "auto" });
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(crate::Error::bad_request(format!(
            "`{name}` can't name a migration: use lowercase letters, digits and `_`"
        )));
    }
    let number = existing
        .iter()
        .filter_map(|m| m.name().split('_').next()?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let full = format!("{number:04}_{name}");
    let migration = Migration::between(&full, &last, models)?;
    if migration.is_empty() {
        return Ok(None);
    }
    let folder = dir.join(&full);
    let write = |file: &str, text: String| {
        std::fs::create_dir_all(&folder)
            .and_then(|()| std::fs::write(folder.join(file), text))
            .map_err(|e| crate::Error::internal(format!("can't write {}: {e}", folder.display())))
    };
    write("sqlite.sql", migration.sql_file(Backend::Sqlite))?;
    write("postgres.sql", migration.sql_file(Backend::Postgres))?;
    let snapshot = serde_json::to_string_pretty(migration.schema())
        .map_err(|e| crate::Error::internal(format!("the schema snapshot: {e}")))?;
    write("schema.json", snapshot + "\n")?;
    Ok(Some(folder))
}

/// One difference between the live schema and the models.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The table.
    pub table: String,
    /// The column, if one is missing.
    pub column: Option<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "table `{}` has no column `{c}`", self.table),
            None => write!(f, "there is no table `{}`", self.table),
        }
    }
}

/// The live schema lacks what the models need.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaMismatch {
    /// Each difference.
    pub differences: Vec<Difference>,
}

impl fmt::Display for SchemaMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.differences.iter().map(ToString::to_string).collect();
        write!(
            f,
            "the database does not match the models: {}; run `migrate` (the app's \
             command line) to apply the pending migrations",
            list.join("; ")
        )
    }
}

impl std::error::Error for SchemaMismatch {}

impl Database {
    /// Applies `migration` in one transaction and records it in `kiln_migrations`;
    /// applying one twice is refused. On SQLite, foreign keys are checked once before
    /// the commit (so a table can be rebuilt).
    pub async fn apply(&self, migration: &Migration) -> crate::Result<()> {
        if self.apply_with(migration, true).await? {
            Ok(())
        } else {
            Err(crate::Error::internal(format!(
                "migration `{}` is applied already",
                migration.name()
            )))
        }
    }

    /// [`apply`](Database::apply), or only its record if not `run` (a database whose
    /// tables were made before it had migrations). `false` if it was applied already,
    /// by this process or another: the ledger is read inside the transaction, after
    /// taking the write lock (SQLite) or an advisory lock (PostgreSQL), so two app
    /// processes starting at once apply each migration once.
    async fn apply_with(&self, migration: &Migration, run_sql: bool) -> crate::Result<bool> {
        self.ensure_ledger().await?;
        let backend = self.backend();
        let sql = if run_sql {
            migration.sql(backend)
        } else {
            Vec::new()
        };
        let checksum = migration.checksum(backend);
        let name = migration.name().to_string();
        match self.pool() {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => {
                let mut conn = pool.acquire().await.map_err(super::Error::from)?;
                run(&mut *conn, "PRAGMA foreign_keys = OFF").await?;
                let result = async {
                    run(&mut *conn, "BEGIN IMMEDIATE").await?;
                    if recorded(&mut *conn, &name).await? {
                        run(&mut *conn, "ROLLBACK").await?;
                        return Ok(false);
                    }
                    for s in &sql {
                        run(&mut *conn, s).await?;
                    }
                    let broken = sqlx::query(AssertSqlSafe("PRAGMA foreign_key_check"))
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(super::Error::from)?;
                    if let Some(row) = broken.first() {
                        use sqlx::Row as _;
                        let table: String = row.try_get(0).unwrap_or_default();
                        return Err(crate::Error::internal(format!(
                            "migration `{name}`: rows of `{table}` point at rows that are gone"
                        )));
                    }
                    sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO \"{LEDGER}\" (name, checksum, applied_at) \
                         VALUES ($1, $2, CURRENT_TIMESTAMP)"
                    )))
                    .bind(&name)
                    .bind(&checksum)
                    .execute(&mut *conn)
                    .await
                    .map_err(super::Error::from)?;
                    run(&mut *conn, "COMMIT").await?;
                    Ok(true)
                }
                .await;
                if result.is_err() {
                    let _ = run(&mut *conn, "ROLLBACK").await;
                }
                run(&mut *conn, "PRAGMA foreign_keys = ON").await?;
                result
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(super::Error::from)?;
                run(&mut *tx, PG_LOCK).await?;
                if recorded(&mut *tx, &name).await? {
                    return Ok(false);
                }
                for s in &sql {
                    run(&mut *tx, s).await?;
                }
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO \"{LEDGER}\" (name, checksum, applied_at) \
                     VALUES ($1, $2, CURRENT_TIMESTAMP::text)"
                )))
                .bind(&name)
                .bind(&checksum)
                .execute(&mut *tx)
                .await
                .map_err(super::Error::from)?;
                tx.commit().await.map_err(super::Error::from)?;
                Ok(true)
            }
        }
    }

    /// The names of the migrations applied, in the order applied.
    pub async fn applied(&self) -> crate::Result<Vec<String>> {
        Ok(self
            .ledger()
            .await?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    /// Applies the migrations of `migrations` not applied yet, in order. An applied
    /// migration whose SQL changed since is an error, as is one applied here that
    /// `migrations` does not have.
    pub async fn migrate(&self, migrations: &Migrations) -> crate::Result<Vec<String>> {
        self.migrate_all(&migrations.all()?).await
    }

    /// [`migrate`](Database::migrate) with migrations read from their files.
    ///
    /// A database that has tables but no record of migrations (made with
    /// `Database::create` before the app had any) takes its first migration as applied
    /// when every table and column of that migration's schema is there already.
    pub async fn migrate_all(&self, all: &[Migration]) -> crate::Result<Vec<String>> {
        let backend = self.backend();
        let ledger: BTreeMap<String, String> = self.ledger().await?.into_iter().collect();
        for (name, sum) in &ledger {
            match all.iter().find(|m| m.name() == name) {
                Some(m) if m.checksum(backend) != *sum => {
                    return Err(crate::Error::internal(format!(
                        "migration `{name}` was changed after it was applied (its checksum was \
                         {sum}, it is {}); add a new migration instead of editing an applied one",
                        m.checksum(backend)
                    )));
                }
                Some(_) => {}
                None => {
                    return Err(crate::Error::internal(format!(
                        "migration `{name}` is applied here but is not among the app's migrations"
                    )));
                }
            }
        }
        let mut done = Vec::new();
        let mut pending = all
            .iter()
            .filter(|m| !ledger.contains_key(m.name()))
            .peekable();
        if ledger.is_empty()
            && let Some(first) = pending.peek()
            && !first.schema().tables.is_empty()
            && self.differences(first.schema()).await?.is_empty()
        {
            tracing::info!(
                migration = first.name(),
                "the database has this migration's tables already: recorded as applied"
            );
            if self.apply_with(first, false).await? {
                done.push(first.name().to_string());
            }
            pending.next();
        }
        for m in pending {
            // Another process may have applied it meanwhile: then it is not ours.
            if self.apply_with(m, true).await? {
                done.push(m.name().to_string());
            }
        }
        Ok(done)
    }

    /// Checks the live schema against the models `M`: every table and column they
    /// need is there. The error lists each difference and says to migrate.
    pub async fn verify<M: Models>(&self) -> crate::Result<()> {
        let differences = self.differences(&Schema::of::<M>()).await?;
        if differences.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::with_source(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                SchemaMismatch { differences },
            ))
        }
    }

    /// What the live database lacks of `schema`.
    pub async fn differences(&self, schema: &Schema) -> crate::Result<Vec<Difference>> {
        let mut out = Vec::new();
        let tables = self.tables().await?;
        for table in &schema.tables {
            if !tables.contains(&table.name) {
                out.push(Difference {
                    table: table.name.clone(),
                    column: None,
                });
                continue;
            }
            let live = self.columns_of(&table.name).await?;
            for col in &table.columns {
                if !live.contains(&col.name) {
                    out.push(Difference {
                        table: table.name.clone(),
                        column: Some(col.name.clone()),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The names of `table`'s columns in the live database.
    async fn columns_of(&self, table: &str) -> crate::Result<Vec<String>> {
        let backend = self.backend();
        let sql = match backend {
            Backend::Sqlite => "SELECT name FROM pragma_table_info($1)",
            Backend::Postgres => {
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
        };
        let mut args = Args::new(backend, 1);
        args.push(table)?;
        Ok(self
            .exec()
            .fetch_all(SqlStr::from_static(sql), args, &[], |r| r.get::<String>())
            .await?)
    }

    async fn ensure_ledger(&self) -> crate::Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS \"{LEDGER}\" (name TEXT PRIMARY KEY, checksum TEXT NOT \
             NULL, applied_at TEXT NOT NULL)"
        );
        match self.pool() {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => run(pool, &sql).await,
            // Two `CREATE TABLE IF NOT EXISTS` at once can both try to create it.
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(super::Error::from)?;
                run(&mut *tx, PG_LOCK).await?;
                run(&mut *tx, &sql).await?;
                tx.commit().await.map_err(super::Error::from)?;
                Ok(())
            }
        }
    }

    /// `(name, checksum)` of each applied migration, in the order applied.
    async fn ledger(&self) -> crate::Result<Vec<(String, String)>> {
        self.ensure_ledger().await?;
        Ok(self
            .exec()
            .fetch_all(
                SqlStr::from_static(LEDGER_ROWS),
                Args::new(self.backend(), 0),
                &[],
                |r| Ok((r.get::<String>()?, r.get::<String>()?)),
            )
            .await?)
    }
}

/// The advisory lock migrations take on PostgreSQL, for this transaction.
#[cfg(feature = "postgres")]
const PG_LOCK: &str = "SELECT pg_advisory_xact_lock(7236083349711585645)";

/// Whether migration `name` is in the ledger, read on `exec`.
async fn recorded<'e, E>(exec: E, name: &str) -> crate::Result<bool>
where
    E: sqlx::Executor<'e>,
{
    let row = sqlx::raw_sql(AssertSqlSafe(format!(
        "SELECT name FROM \"{LEDGER}\" WHERE name = '{}'",
        name.replace('\'', "''")
    )))
    .fetch_optional(exec)
    .await
    .map_err(super::Error::from)?;
    Ok(row.is_some())
}

/// Runs one statement.
async fn run<'e, E>(exec: E, sql: &str) -> crate::Result<()>
where
    E: sqlx::Executor<'e>,
{
    sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
        .execute(exec)
        .await
        .map_err(super::Error::from)?;
    Ok(())
}
