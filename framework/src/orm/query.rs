//! Typed queries: `db.select::<Book>().filter(Book::PUBLISHED.eq(true)).all()`.
//!
//! Columns are the constants `#[derive(Table)]` generates, so a misspelt column does
//! not compile, and a value of the wrong type for a column does not either. Every value
//! is a bound parameter; the SQL text holds only the derive's quoted identifiers.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{BitAnd, BitOr, Not};

use sqlx::{AssertSqlSafe, SqlSafeStr as _};

use super::backend::Backend;
use super::column::{ColumnType, TextColumn};
use super::error::Error;
use super::exec::Exec;
use super::foreign_key::ForeignKey;
use super::id::Id;
use super::row::{Args, SqlType, Value};
use super::table::Table;

/// A column of table `T` holding values of type `V`: `Book::TITLE` is a
/// `Column<Book, String>`. Its methods make [`Filter`]s and [`Order`]s.
///
/// ```
/// use kiln::prelude::*;
///
/// #[derive(Table)]
/// struct Book {
///     id: Id<Book>,
///     title: String,
///     pages: i32,
///     published: bool,
/// }
///
/// let recent = Book::PUBLISHED.eq(true).and(Book::PAGES.lt(300));
/// let titled = Book::TITLE.contains("50%"); // `%` and `_` match themselves
/// let by_title = Book::TITLE.asc();
/// ```
pub struct Column<T, V> {
    name: &'static str,
    marker: PhantomData<fn() -> (T, V)>,
}

impl<T, V> Column<T, V> {
    /// Used by generated code.
    #[doc(hidden)]
    pub const fn __new(name: &'static str) -> Column<T, V> {
        Column {
            name,
            marker: PhantomData,
        }
    }

    /// The column's SQL name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<T, V> Clone for Column<T, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, V> Copy for Column<T, V> {}

impl<T, V> fmt::Debug for Column<T, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

/// A Rust value that can be compared with a column of type `V`.
///
/// A `String` column takes `&str`, `String` or `&String`; an `Option<V>` column takes
/// what a `V` column takes; an `Id<T>` column takes an `Id<T>` or an `i64`; a
/// `ForeignKey<T>` column takes an `Id<T>`, an `i64` or a `&T` row.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be compared with a `{V}` column",
    label = "wrong type for this column",
    note = "pass a value of the column's type (for `Option<V>` columns, a `V`; for NULL, use `.is_null()`)"
)]
pub trait Param<V> {
    /// The value, ready to bind.
    #[doc(hidden)]
    fn into_value(self) -> Value;
}

macro_rules! params {
    ($($col:ty: $($rust:ty => |$v:ident| $e:expr),+;)*) => {$($(
        impl Param<$col> for $rust {
            fn into_value(self) -> Value {
                let $v = self;
                $e
            }
        }
    )+)*};
}

params! {
    i64: i64 => |v| Value::I64(v);
    i32: i32 => |v| Value::I32(v);
    f64: f64 => |v| Value::F64(v);
    bool: bool => |v| Value::Bool(v);
    String: String => |v| Value::Text(v), &str => |v| Value::Text(v.to_owned()),
        &String => |v| Value::Text(v.clone());
    Vec<u8>: Vec<u8> => |v| Value::Blob(v), &[u8] => |v| Value::Blob(v.to_vec()),
        &Vec<u8> => |v| Value::Blob(v.clone());
}

#[cfg(feature = "chrono")]
params! {
    chrono::DateTime<chrono::Utc>: chrono::DateTime<chrono::Utc> => |v| Value::TimestampTz(v),
        &chrono::DateTime<chrono::Utc> => |v| Value::TimestampTz(*v);
    chrono::NaiveDateTime: chrono::NaiveDateTime => |v| Value::Timestamp(v),
        &chrono::NaiveDateTime => |v| Value::Timestamp(*v);
    chrono::NaiveDate: chrono::NaiveDate => |v| Value::Date(v),
        &chrono::NaiveDate => |v| Value::Date(*v);
}

#[cfg(feature = "json")]
params! {
    serde_json::Value: serde_json::Value => |v| Value::Json(v),
        &serde_json::Value => |v| Value::Json(v.clone());
}

fn id_value(id: Option<i64>) -> Value {
    id.map_or(Value::Null(SqlType::BigInt), Value::I64)
}

impl<T> Param<Id<T>> for Id<T> {
    fn into_value(self) -> Value {
        id_value(self.get())
    }
}

impl<T> Param<Id<T>> for i64 {
    fn into_value(self) -> Value {
        Value::I64(self)
    }
}

impl<T> Param<ForeignKey<T>> for Id<T> {
    fn into_value(self) -> Value {
        id_value(self.get())
    }
}

impl<T> Param<ForeignKey<T>> for i64 {
    fn into_value(self) -> Value {
        Value::I64(self)
    }
}

impl<T: Table> Param<ForeignKey<T>> for &T {
    fn into_value(self) -> Value {
        id_value(self.id().get())
    }
}

impl<V, P: Param<V>> Param<Option<V>> for P {
    fn into_value(self) -> Value {
        self.into_value()
    }
}

/// A condition on rows of table `T`, for [`Select::filter`]. Combine with
/// [`and`](Filter::and), [`or`](Filter::or) (or `&`, `|`) and `!`.
pub struct Filter<T> {
    expr: Expr,
    marker: PhantomData<fn() -> T>,
}

#[derive(Clone, Debug)]
enum Expr {
    Compare(&'static str, &'static str, Value),
    Null(&'static str, bool),
    In(&'static str, Vec<Value>),
    Like(&'static str, String),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

impl<T> Filter<T> {
    fn new(expr: Expr) -> Filter<T> {
        Filter {
            expr,
            marker: PhantomData,
        }
    }

    /// Rows matching both.
    pub fn and(self, other: Filter<T>) -> Filter<T> {
        Filter::new(Expr::And(Box::new(self.expr), Box::new(other.expr)))
    }

    /// Rows matching either.
    pub fn or(self, other: Filter<T>) -> Filter<T> {
        Filter::new(Expr::Or(Box::new(self.expr), Box::new(other.expr)))
    }
}

impl<T> Clone for Filter<T> {
    fn clone(&self) -> Self {
        Filter::new(self.expr.clone())
    }
}

impl<T> fmt::Debug for Filter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// `a & b` is `a.and(b)`.
impl<T> BitAnd for Filter<T> {
    type Output = Filter<T>;
    fn bitand(self, rhs: Filter<T>) -> Filter<T> {
        self.and(rhs)
    }
}

/// `a | b` is `a.or(b)`.
impl<T> BitOr for Filter<T> {
    type Output = Filter<T>;
    fn bitor(self, rhs: Filter<T>) -> Filter<T> {
        self.or(rhs)
    }
}

/// `!a`: rows not matching `a` (SQL `NOT`: a comparison with NULL matches neither way).
impl<T> Not for Filter<T> {
    type Output = Filter<T>;
    fn not(self) -> Filter<T> {
        Filter::new(Expr::Not(Box::new(self.expr)))
    }
}

/// Escapes `\`, `%` and `_` so that `text` matches itself in a `LIKE … ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl<T: Table, V: ColumnType> Column<T, V> {
    fn compare(self, op: &'static str, value: impl Param<V>) -> Filter<T> {
        Filter::new(Expr::Compare(self.name, op, value.into_value()))
    }

    /// Rows where the column equals `value` (`=`).
    pub fn eq(self, value: impl Param<V>) -> Filter<T> {
        self.compare("=", value)
    }

    /// Rows where the column differs from `value` (`<>`; NULLs match neither `eq` nor `ne`).
    pub fn ne(self, value: impl Param<V>) -> Filter<T> {
        self.compare("<>", value)
    }

    /// Rows where the column is less than `value`.
    pub fn lt(self, value: impl Param<V>) -> Filter<T> {
        self.compare("<", value)
    }

    /// Rows where the column is at most `value`.
    pub fn le(self, value: impl Param<V>) -> Filter<T> {
        self.compare("<=", value)
    }

    /// Rows where the column is greater than `value`.
    pub fn gt(self, value: impl Param<V>) -> Filter<T> {
        self.compare(">", value)
    }

    /// Rows where the column is at least `value`.
    pub fn ge(self, value: impl Param<V>) -> Filter<T> {
        self.compare(">=", value)
    }

    /// Rows where the column equals one of `values` (`IN`; an empty list matches nothing).
    pub fn in_list<P: Param<V>>(self, values: impl IntoIterator<Item = P>) -> Filter<T> {
        let values = values.into_iter().map(Param::into_value).collect();
        Filter::new(Expr::In(self.name, values))
    }

    /// Rows where the column is NULL.
    pub fn is_null(self) -> Filter<T> {
        Filter::new(Expr::Null(self.name, true))
    }

    /// Rows where the column is not NULL.
    pub fn is_not_null(self) -> Filter<T> {
        Filter::new(Expr::Null(self.name, false))
    }

    /// Ascending order (NULLs first, on both backends).
    pub fn asc(self) -> Order<T> {
        Order::new(self.name, false, V::NULLABLE)
    }

    /// Descending order (NULLs last, on both backends).
    pub fn desc(self) -> Order<T> {
        Order::new(self.name, true, V::NULLABLE)
    }
}

impl<T: Table, V: ColumnType + TextColumn> Column<T, V> {
    /// Rows where the column matches the SQL `LIKE` pattern: `%` is any text, `_` any
    /// one character, `\` escapes the next character (on both backends).
    ///
    /// Case sensitivity follows the backend: SQLite ignores ASCII case, PostgreSQL
    /// doesn't. For text typed by a user, use [`contains`](Column::contains).
    pub fn like(self, pattern: impl Into<String>) -> Filter<T> {
        Filter::new(Expr::Like(self.name, pattern.into()))
    }

    /// Rows where the column contains `text` literally (`%` and `_` in it are plain
    /// characters).
    pub fn contains(self, text: &str) -> Filter<T> {
        self.like(format!("%{}%", escape_like(text)))
    }

    /// Rows where the column starts with `text` literally.
    pub fn starts_with(self, text: &str) -> Filter<T> {
        self.like(format!("{}%", escape_like(text)))
    }

    /// Rows where the column ends with `text` literally.
    pub fn ends_with(self, text: &str) -> Filter<T> {
        self.like(format!("%{}", escape_like(text)))
    }
}

/// A sort key, for [`Select::order_by`]: `Book::TITLE.asc()`.
pub struct Order<T> {
    column: &'static str,
    desc: bool,
    nullable: bool,
    marker: PhantomData<fn() -> T>,
}

impl<T> Order<T> {
    fn new(column: &'static str, desc: bool, nullable: bool) -> Order<T> {
        Order {
            column,
            desc,
            nullable,
            marker: PhantomData,
        }
    }
}

impl<T: Table> Order<T> {
    /// A sort key named by a client, such as a `?sort=` parameter: a column's name for
    /// ascending order, or `-` and the name for descending. `None` for anything that is
    /// not exactly one of `T`'s columns, so the text never reaches the SQL.
    ///
    /// ```
    /// # use kiln::prelude::*;
    /// # use kiln::orm::Order;
    /// #[derive(Table)]
    /// struct Book { id: Id<Book>, title: String }
    ///
    /// assert!(Order::<Book>::parse("title").is_some());
    /// assert!(Order::<Book>::parse("-title").is_some());
    /// assert!(Order::<Book>::parse("title; DROP TABLE book").is_none());
    /// ```
    pub fn parse(spec: &str) -> Option<Order<T>> {
        let (name, desc) = match spec.strip_prefix('-') {
            Some(name) => (name, true),
            None => (spec, false),
        };
        let column = T::__info().columns.iter().find(|c| c.name == name)?;
        Some(Order::new(column.name, desc, column.nullable))
    }
}

/// What [`Order::parse`] refuses: text that names none of the table's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOrderError(());

impl fmt::Display for ParseOrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a column's name, or `-` and the name for descending order")
    }
}

impl std::error::Error for ParseOrderError {}

/// As [`Order::parse`], so a route can take `sort: Option<Order<Book>>` from the query.
impl<T: Table> std::str::FromStr for Order<T> {
    type Err = ParseOrderError;

    fn from_str(s: &str) -> Result<Self, ParseOrderError> {
        Order::parse(s).ok_or(ParseOrderError(()))
    }
}

/// In the OpenAPI document, the names `parse` takes: each column, with and without `-`.
impl<T: Table> schemars::JsonSchema for Order<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Order".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<String> = T::__info()
            .columns
            .iter()
            .flat_map(|c| [c.name.to_string(), format!("-{}", c.name)])
            .collect();
        schemars::json_schema!({
            "type": "string",
            "enum": names,
            "description": "A column's name for ascending order, `-` and the name for descending",
        })
    }
}

impl<T> Clone for Order<T> {
    fn clone(&self) -> Self {
        Order::new(self.column, self.desc, self.nullable)
    }
}

impl<T> fmt::Debug for Order<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = if self.desc { "desc" } else { "asc" };
        write!(f, "Order({} {dir})", self.column)
    }
}

/// Writes `expr` as SQL on `t0`, binding its values.
fn render(expr: Expr, sql: &mut String, args: &mut Args) -> Result<(), Error> {
    fn placeholder(sql: &mut String, args: &Args) {
        sql.push('$');
        sql.push_str(&(args.len() + 1).to_string());
    }
    fn column(sql: &mut String, name: &str) {
        sql.push_str("t0.\"");
        sql.push_str(name);
        sql.push('"');
    }
    match expr {
        Expr::Compare(col, op, value) => {
            column(sql, col);
            sql.push(' ');
            sql.push_str(op);
            sql.push(' ');
            placeholder(sql, args);
            value.bind(args)?;
        }
        Expr::Null(col, is_null) => {
            column(sql, col);
            sql.push_str(if is_null { " IS NULL" } else { " IS NOT NULL" });
        }
        Expr::In(_, values) if values.is_empty() => sql.push_str("1 = 0"),
        Expr::In(col, values) => {
            column(sql, col);
            sql.push_str(" IN (");
            for (i, value) in values.into_iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                placeholder(sql, args);
                value.bind(args)?;
            }
            sql.push(')');
        }
        Expr::Like(col, pattern) => {
            column(sql, col);
            sql.push_str(" LIKE ");
            placeholder(sql, args);
            args.push(pattern)?;
            sql.push_str(" ESCAPE '\\'");
        }
        Expr::And(a, b) => binary(*a, " AND ", *b, sql, args)?,
        Expr::Or(a, b) => binary(*a, " OR ", *b, sql, args)?,
        Expr::Not(a) => {
            sql.push_str("NOT (");
            render(*a, sql, args)?;
            sql.push(')');
        }
    }
    Ok(())
}

fn binary(a: Expr, op: &str, b: Expr, sql: &mut String, args: &mut Args) -> Result<(), Error> {
    sql.push('(');
    render(a, sql, args)?;
    sql.push_str(op);
    render(b, sql, args)?;
    sql.push(')');
    Ok(())
}

/// Rows of table `T` to read: `db.select::<Book>()`, then filters, order, limit and
/// offset, then [`all`](Select::all), [`first`](Select::first) or [`count`](Select::count).
///
/// ```
/// # use kiln::prelude::*;
/// # #[derive(Table)] struct Book { id: Id<Book>, title: String, published: bool }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # let db = Database::connect("sqlite::memory:").await?;
/// # db.create::<Book>().await?;
/// for (title, published) in [("b", true), ("a", true), ("c", false)] {
///     db.save(&mut Book { id: Id::new(), title: title.into(), published }).await?;
/// }
/// let books = db
///     .select::<Book>()
///     .filter(Book::PUBLISHED.eq(true))
///     .order_by(Book::TITLE.asc())
///     .limit(10)
///     .all()
///     .await?;
/// let titles: Vec<_> = books.iter().map(|b| b.title.as_str()).collect();
/// assert_eq!(titles, ["a", "b"]);
/// # Ok::<(), kiln::orm::Error>(())
/// # }).unwrap();
/// ```
///
/// Without an `order_by`, rows come in id order; with one, the id breaks ties.
#[must_use = "a query does nothing until `.all()`, `.first()` or `.count()` is awaited"]
pub struct Select<'a, T> {
    exec: Exec<'a>,
    filter: Option<Expr>,
    order: Vec<Order<T>>,
    limit: Option<u64>,
    offset: Option<u64>,
}

impl<'a, T: Table> Select<'a, T> {
    pub(crate) fn new(exec: Exec<'a>) -> Select<'a, T> {
        Select {
            exec,
            filter: None,
            order: Vec::new(),
            limit: None,
            offset: None,
        }
    }

    /// Only rows matching `filter` (and any earlier filters).
    pub fn filter(mut self, filter: Filter<T>) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(prev) => Expr::And(Box::new(prev), Box::new(filter.expr)),
            None => filter.expr,
        });
        self
    }

    /// Sorts by `order`, after any earlier sort keys.
    pub fn order_by(mut self, order: Order<T>) -> Self {
        self.order.push(order);
        self
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// `base` + WHERE (+ ORDER BY) + LIMIT/OFFSET, and the bound values.
    fn build(&mut self, base: &str, order: bool) -> Result<(String, Args), Error> {
        let backend = self.exec.backend();
        let mut sql = String::with_capacity(base.len() + 128);
        sql.push_str(base);
        let mut args = Args::new(backend, 4);
        if let Some(filter) = self.filter.take() {
            sql.push_str(" WHERE ");
            render(filter, &mut sql, &mut args)?;
        }
        if order {
            sql.push_str(" ORDER BY ");
            for o in &self.order {
                sql.push_str("t0.\"");
                sql.push_str(o.column);
                sql.push('"');
                sql.push_str(match (o.desc, o.nullable) {
                    (false, false) => " ASC, ",
                    (true, false) => " DESC, ",
                    (false, true) => " ASC NULLS FIRST, ",
                    (true, true) => " DESC NULLS LAST, ",
                });
            }
            sql.push_str("t0.\"id\"");
        }
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        match (self.limit, self.offset, backend) {
            (None, None, _) => {}
            (limit, offset, Backend::Sqlite) => {
                // SQLite needs a LIMIT before an OFFSET; -1 is "no limit".
                sql.push_str(" LIMIT $");
                sql.push_str(&(args.len() + 1).to_string());
                args.push(limit.map_or(-1, clamp))?;
                if let Some(offset) = offset {
                    sql.push_str(" OFFSET $");
                    sql.push_str(&(args.len() + 1).to_string());
                    args.push(clamp(offset))?;
                }
            }
            (limit, offset, Backend::Postgres) => {
                if let Some(limit) = limit {
                    sql.push_str(" LIMIT $");
                    sql.push_str(&(args.len() + 1).to_string());
                    args.push(clamp(limit))?;
                }
                if let Some(offset) = offset {
                    sql.push_str(" OFFSET $");
                    sql.push_str(&(args.len() + 1).to_string());
                    args.push(clamp(offset))?;
                }
            }
        }
        Ok((sql, args))
    }

    /// The matching rows, each with its foreign keys loaded.
    pub async fn all(mut self) -> Result<Vec<T>, Error> {
        let compiled = T::__info().compiled();
        let (sql, args) = self.build(&compiled.select, true)?;
        self.exec
            .fetch_all(
                AssertSqlSafe(sql).into_sql_str(),
                args,
                &compiled.plan,
                T::__decode,
            )
            .await
    }

    /// The first matching row, if any.
    pub async fn first(mut self) -> Result<Option<T>, Error> {
        self.limit = Some(1);
        let compiled = T::__info().compiled();
        let (sql, args) = self.build(&compiled.select, true)?;
        self.exec
            .fetch_optional(
                AssertSqlSafe(sql).into_sql_str(),
                args,
                &compiled.plan,
                T::__decode,
            )
            .await
    }

    /// How many rows match (within any limit and offset).
    pub async fn count(mut self) -> Result<u64, Error> {
        let paged = self.limit.is_some() || self.offset.is_some();
        let (sql, args) = if paged {
            let base = format!("SELECT 1 FROM \"{}\" t0", T::table_name());
            let (inner, args) = self.build(&base, false)?;
            (format!("SELECT COUNT(*) FROM ({inner}) AS page"), args)
        } else {
            let base = format!("SELECT COUNT(*) FROM \"{}\" t0", T::table_name());
            self.build(&base, false)?
        };
        let n = self
            .exec
            .fetch_optional(AssertSqlSafe(sql).into_sql_str(), args, &[], |r| {
                r.get::<i64>()
            })
            .await?;
        Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }
}

impl<T> fmt::Debug for Select<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("filter", &self.filter)
            .field("order", &self.order)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_escapes() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
        assert_eq!(escape_like("plain"), "plain");
    }

    #[test]
    fn renders_placeholders_in_order() {
        let expr = Expr::Or(
            Box::new(Expr::And(
                Box::new(Expr::Compare("a", "=", Value::I64(1))),
                Box::new(Expr::In("b", vec![Value::I64(2), Value::I64(3)])),
            )),
            Box::new(Expr::Not(Box::new(Expr::Like("c", "x%".into())))),
        );
        let mut sql = String::new();
        // Whichever backend this build has: the placeholders are the same.
        let backend = if cfg!(feature = "sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let mut args = Args::new(backend, 0);
        render(expr, &mut sql, &mut args).unwrap();
        assert_eq!(
            sql,
            "((t0.\"a\" = $1 AND t0.\"b\" IN ($2, $3)) OR NOT (t0.\"c\" LIKE $4 ESCAPE '\\'))"
        );
        assert_eq!(args.len(), 4);

        let mut sql = String::new();
        render(Expr::In("b", vec![]), &mut sql, &mut args).unwrap();
        assert_eq!(sql, "1 = 0");
    }
}
