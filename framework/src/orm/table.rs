//! The `Table` trait `#[derive(Table)]` implements, the description of a table it
//! emits, and the SQL made from that description.

use std::fmt::Write as _;
use std::sync::OnceLock;

use super::backend::Backend;
use super::error::Error;
use super::id::Id;
use super::row::{Args, JoinStep, RowReader, SqlType};

/// A struct stored as a table row. Implement it with `#[derive(Table)]`.
///
/// ```
/// use kiln::prelude::*;
///
/// #[derive(Table)]
/// #[table(name = "books")]                  // default: the struct's name in snake_case
/// struct Book {
///     id: Id<Book>,                         // the primary key
///     #[column(unique)]
///     isbn: String,
///     #[column(name = "book_title", index)]
///     title: String,
///     subtitle: Option<String>,             // NULL allowed
/// }
///
/// assert_eq!(Book::table_name(), "books");
/// assert_eq!(Book::TITLE.name(), "book_title");
/// let sql = Book::create_sql(kiln::orm::Backend::Sqlite);
/// assert!(sql[0].contains(r#""isbn" TEXT NOT NULL UNIQUE"#));
/// ```
///
/// The derive requires named fields, one of them `id: Id<Self>`, and every field of a
/// [`ColumnType`](crate::orm::ColumnType). It generates the statements for `INSERT`,
/// `UPDATE` and `DELETE`, row decoding, and a typed constant per column (`Book::ISBN`,
/// `Book::TITLE`, ...) for [`select`](crate::orm::Database::select) filters.
///
/// Options: `#[table(name = "..")]` on the struct; `#[column(name = "..")]`,
/// `#[column(unique)]` and `#[column(index)]` on a field. A [`ForeignKey`]
/// field `author` is stored in a column `author_id` unless named otherwise.
///
/// [`ForeignKey`]: crate::orm::ForeignKey
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a database table",
    label = "not a table",
    note = "add `#[derive(Table)]` to the struct `{Self}`"
)]
pub trait Table: Sized + Send + Sync + 'static {
    /// The table's SQL name.
    fn table_name() -> &'static str;

    /// The row's id (unset until saved).
    fn id(&self) -> Id<Self>;

    /// The `CREATE TABLE` statement (and `CREATE INDEX` statements) for `backend`.
    fn create_sql(backend: Backend) -> Vec<String> {
        create_statements(Self::__info(), backend)
    }

    /// Sets the row's id.
    #[doc(hidden)]
    fn __set_id(&mut self, id: Id<Self>);

    /// The table's description.
    #[doc(hidden)]
    fn __info() -> &'static TableInfo;

    /// Binds every column but `id`, in order.
    #[doc(hidden)]
    fn __bind(&self, args: &mut Args) -> Result<(), Error>;

    /// Decodes a row (`id` first, then the other columns in order, each foreign key
    /// followed by its joined row).
    #[doc(hidden)]
    fn __decode(row: &mut RowReader<'_>) -> Result<Self, Error>;
}

/// A table as `#[derive(Table)]` describes it. Not public API.
#[doc(hidden)]
pub struct TableInfo {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [ColumnInfo],
    pub(crate) insert: &'static str,
    pub(crate) update: &'static str,
    pub(crate) delete: &'static str,
    pub(crate) renamed_from: Option<&'static str>,
    compiled: OnceLock<Compiled>,
}

impl TableInfo {
    /// Used by generated code.
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        columns: &'static [ColumnInfo],
        insert: &'static str,
        update: &'static str,
        delete: &'static str,
    ) -> TableInfo {
        TableInfo {
            name,
            columns,
            insert,
            update,
            delete,
            renamed_from: None,
            compiled: OnceLock::new(),
        }
    }

    /// Used by generated code: `#[table(renamed_from = "..")]`.
    #[doc(hidden)]
    pub const fn __renamed_from(mut self, old: &'static str) -> TableInfo {
        self.renamed_from = Some(old);
        self
    }

    /// The `SELECT` statements with their joins, made once per table.
    pub(crate) fn compiled(&'static self) -> &'static Compiled {
        self.compiled.get_or_init(|| compile(self))
    }
}

/// A column as `#[derive(Table)]` describes it. Not public API.
#[doc(hidden)]
pub struct ColumnInfo {
    pub(crate) name: &'static str,
    pub(crate) sql: SqlType,
    pub(crate) nullable: bool,
    pub(crate) unique: bool,
    pub(crate) index: bool,
    pub(crate) references: Option<fn() -> &'static TableInfo>,
    pub(crate) renamed_from: Option<&'static str>,
    pub(crate) default: Option<DefaultLit>,
}

/// A column's default as `#[column(default = ..)]` writes it. Not public API.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum DefaultLit {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A string.
    Text(&'static str),
}

impl ColumnInfo {
    /// Used by generated code.
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        sql: SqlType,
        nullable: bool,
        unique: bool,
        index: bool,
        references: Option<fn() -> &'static TableInfo>,
    ) -> ColumnInfo {
        ColumnInfo {
            name,
            sql,
            nullable,
            unique,
            index,
            references,
            renamed_from: None,
            default: None,
        }
    }

    /// Used by generated code: `#[column(renamed_from = "..")]`.
    #[doc(hidden)]
    pub const fn __renamed_from(mut self, old: &'static str) -> ColumnInfo {
        self.renamed_from = Some(old);
        self
    }

    /// Used by generated code: `#[column(default = ..)]`.
    #[doc(hidden)]
    pub const fn __default(mut self, value: DefaultLit) -> ColumnInfo {
        self.default = Some(value);
        self
    }
}

/// A table's `SELECT` statements, with every foreign key joined.
pub(crate) struct Compiled {
    /// `SELECT <columns> FROM "t" t0 LEFT JOIN ...`
    pub(crate) select: String,
    /// `select` + `WHERE t0."id" = $1`
    pub(crate) get: String,
    /// `select` + `ORDER BY t0."id"`
    pub(crate) all: String,
    /// One entry per foreign-key column, in row order: its join, if any.
    pub(crate) plan: Vec<Option<JoinStep>>,
}

/// More joins than this in one statement and the rest of the keys are left unloaded
/// (SQLite allows 64 tables in a join).
const MAX_JOINS: usize = 32;

struct SelectBuilder {
    columns: String,
    joins: String,
    plan: Vec<Option<JoinStep>>,
    aliases: usize,
    path: Vec<&'static TableInfo>,
}

impl SelectBuilder {
    /// Adds `table`'s columns under `alias`, joining its foreign keys if `expand`.
    /// Returns how many columns were added.
    fn table(&mut self, table: &'static TableInfo, alias: usize, expand: bool) -> usize {
        let mut width = 0;
        for col in table.columns {
            if !self.columns.is_empty() {
                self.columns.push_str(", ");
            }
            let _ = write!(self.columns, "t{alias}.\"{}\"", col.name);
            width += 1;
            let Some(target) = col.references else {
                continue;
            };
            if !expand || self.aliases >= MAX_JOINS {
                self.plan.push(None);
                continue;
            }
            let target = target();
            self.aliases += 1;
            let joined = self.aliases;
            let _ = write!(
                self.joins,
                " LEFT JOIN \"{}\" t{joined} ON t{joined}.\"id\" = t{alias}.\"{}\"",
                target.name, col.name
            );
            let slot = self.plan.len();
            self.plan.push(None);
            // A table already on the path is loaded, but its own keys are not
            // followed again: self-references and cycles end there.
            let again = self.path.iter().any(|t| std::ptr::eq(*t, target));
            self.path.push(target);
            let inner = self.table(target, joined, !again);
            self.path.pop();
            self.plan[slot] = Some(JoinStep {
                width: inner,
                steps: self.plan.len() - slot - 1,
            });
            width += inner;
        }
        width
    }
}

fn compile(info: &'static TableInfo) -> Compiled {
    let mut b = SelectBuilder {
        columns: String::new(),
        joins: String::new(),
        plan: Vec::new(),
        aliases: 0,
        path: vec![info],
    };
    b.table(info, 0, true);
    let select = format!("SELECT {} FROM \"{}\" t0{}", b.columns, info.name, b.joins);
    Compiled {
        get: format!("{select} WHERE t0.\"id\" = $1"),
        all: format!("{select} ORDER BY t0.\"id\""),
        select,
        plan: b.plan,
    }
}

/// `CREATE TABLE IF NOT EXISTS` and `CREATE INDEX IF NOT EXISTS` for `backend`.
pub(crate) fn create_statements(info: &TableInfo, backend: Backend) -> Vec<String> {
    let mut sql = format!("CREATE TABLE IF NOT EXISTS \"{}\" (", info.name);
    for (i, col) in info.columns.iter().enumerate() {
        sql.push_str(if i == 0 { "\n    " } else { ",\n    " });
        let _ = write!(sql, "\"{}\" ", col.name);
        if i == 0 {
            sql.push_str(match backend {
                Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
                Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            });
            continue;
        }
        sql.push_str(col.sql.sql(backend));
        if !col.nullable {
            sql.push_str(" NOT NULL");
        }
        if col.unique {
            sql.push_str(" UNIQUE");
        }
        if let Some(target) = col.references {
            let _ = write!(sql, " REFERENCES \"{}\" (\"id\")", target().name);
        }
    }
    sql.push_str("\n)");
    let mut out = vec![sql];
    for col in info.columns.iter().filter(|c| c.index && !c.unique) {
        out.push(format!(
            "CREATE INDEX IF NOT EXISTS \"{table}_{col}_idx\" ON \"{table}\" (\"{col}\")",
            table = info.name,
            col = col.name
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn col(name: &'static str, sql: SqlType) -> ColumnInfo {
        ColumnInfo::__new(name, sql, false, false, false, None)
    }

    static COUNTRY: TableInfo = TableInfo::__new(
        "country",
        &[col("id", SqlType::BigInt), col("name", SqlType::Text)],
        "",
        "",
        "",
    );
    static AUTHOR: TableInfo = TableInfo::__new(
        "author",
        &[
            col("id", SqlType::BigInt),
            ColumnInfo::__new(
                "country_id",
                SqlType::BigInt,
                true,
                false,
                true,
                Some(|| &COUNTRY),
            ),
        ],
        "",
        "",
        "",
    );
    static BOOK: TableInfo = TableInfo::__new(
        "book",
        &[
            col("id", SqlType::BigInt),
            ColumnInfo::__new(
                "author_id",
                SqlType::BigInt,
                false,
                false,
                false,
                Some(|| &AUTHOR),
            ),
            ColumnInfo::__new(
                "editor_id",
                SqlType::BigInt,
                true,
                false,
                false,
                Some(|| &AUTHOR),
            ),
            ColumnInfo::__new("isbn", SqlType::Text, false, true, false, None),
        ],
        "",
        "",
        "",
    );
    static CATEGORY: TableInfo = TableInfo::__new(
        "category",
        &[
            col("id", SqlType::BigInt),
            ColumnInfo::__new(
                "parent_id",
                SqlType::BigInt,
                true,
                false,
                false,
                Some(|| &CATEGORY),
            ),
        ],
        "",
        "",
        "",
    );

    #[test]
    fn nested_and_repeated_joins_get_their_own_aliases() {
        let c = compile(&BOOK);
        assert_eq!(
            c.select,
            "SELECT t0.\"id\", t0.\"author_id\", t1.\"id\", t1.\"country_id\", t2.\"id\", t2.\"name\", \
             t0.\"editor_id\", t3.\"id\", t3.\"country_id\", t4.\"id\", t4.\"name\", t0.\"isbn\" \
             FROM \"book\" t0 \
             LEFT JOIN \"author\" t1 ON t1.\"id\" = t0.\"author_id\" \
             LEFT JOIN \"country\" t2 ON t2.\"id\" = t1.\"country_id\" \
             LEFT JOIN \"author\" t3 ON t3.\"id\" = t0.\"editor_id\" \
             LEFT JOIN \"country\" t4 ON t4.\"id\" = t3.\"country_id\""
        );
        assert_eq!(
            c.plan,
            [
                Some(JoinStep { width: 4, steps: 1 }),
                Some(JoinStep { width: 2, steps: 0 }),
                Some(JoinStep { width: 4, steps: 1 }),
                Some(JoinStep { width: 2, steps: 0 }),
            ]
        );
        assert!(c.get.ends_with(" WHERE t0.\"id\" = $1"));
        assert!(c.all.ends_with(" ORDER BY t0.\"id\""));
    }

    #[test]
    fn self_references_are_joined_once() {
        let c = compile(&CATEGORY);
        assert_eq!(
            c.select,
            "SELECT t0.\"id\", t0.\"parent_id\", t1.\"id\", t1.\"parent_id\" FROM \"category\" t0 \
             LEFT JOIN \"category\" t1 ON t1.\"id\" = t0.\"parent_id\""
        );
        assert_eq!(c.plan, [Some(JoinStep { width: 2, steps: 1 }), None]);
    }

    #[test]
    fn create_statements_per_backend() {
        assert_eq!(
            create_statements(&BOOK, Backend::Sqlite),
            ["CREATE TABLE IF NOT EXISTS \"book\" (\n    \
                 \"id\" INTEGER PRIMARY KEY AUTOINCREMENT,\n    \
                 \"author_id\" INTEGER NOT NULL REFERENCES \"author\" (\"id\"),\n    \
                 \"editor_id\" INTEGER REFERENCES \"author\" (\"id\"),\n    \
                 \"isbn\" TEXT NOT NULL UNIQUE\n)"]
        );
        assert_eq!(
            create_statements(&AUTHOR, Backend::Postgres),
            [
                "CREATE TABLE IF NOT EXISTS \"author\" (\n    \
                 \"id\" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n    \
                 \"country_id\" BIGINT REFERENCES \"country\" (\"id\")\n)",
                "CREATE INDEX IF NOT EXISTS \"author_country_id_idx\" ON \"author\" (\"country_id\")",
            ]
        );
    }
}
