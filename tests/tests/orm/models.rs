//! The tables the ORM tests use.

use kiln::prelude::*;
use serde::{Deserialize, Serialize};

/// The seed course's author.
#[derive(Table, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Author {
    pub id: Id<Author>,
    pub name: String,
    pub age: i64,
}

/// The seed course's book.
#[derive(Table, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Book {
    pub id: Id<Book>,
    pub title: String,
    pub published: bool,
    pub author: ForeignKey<Author>,
}

impl Author {
    pub fn new(name: &str, age: i64) -> Author {
        Author {
            id: Id::new(),
            name: name.into(),
            age,
        }
    }
}

impl Book {
    pub fn new(title: &str, published: bool, author: &Author) -> Book {
        Book {
            id: Id::new(),
            title: title.into(),
            published,
            author: ForeignKey::to(author),
        }
    }
}

/// Nested keys: novel → writer → country, and a second, optional key to a writer.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Country {
    pub id: Id<Country>,
    #[column(unique)]
    pub code: String,
}

#[derive(Table, Debug, Clone, PartialEq)]
pub struct Writer {
    pub id: Id<Writer>,
    pub name: String,
    pub country: ForeignKey<Country>,
}

#[derive(Table, Debug, Clone, PartialEq)]
pub struct Novel {
    pub id: Id<Novel>,
    pub title: String,
    pub writer: ForeignKey<Writer>,
    pub editor: Option<ForeignKey<Writer>>,
    pub pages: Option<i32>,
}

/// A table referring to itself.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Category {
    pub id: Id<Category>,
    pub name: String,
    pub parent: Option<ForeignKey<Self>>,
}

/// Unique columns, renamed columns, an index, a renamed table and SQL keywords as names.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "members")]
pub struct Member {
    pub id: Id<Member>,
    #[column(unique)]
    pub email: String,
    #[column(name = "display_name", index)]
    pub name: String,
    pub order: i64,
    pub select: Option<String>,
}

impl Member {
    pub fn new(email: &str, name: &str) -> Member {
        Member {
            id: Id::new(),
            email: email.into(),
            name: name.into(),
            order: 0,
            select: None,
        }
    }
}

/// Every column type.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Sample {
    pub id: Id<Sample>,
    pub big: i64,
    pub small: i32,
    pub real: f64,
    pub flag: bool,
    pub text: String,
    pub bytes: Vec<u8>,
    pub maybe_big: Option<i64>,
    pub maybe_small: Option<i32>,
    pub maybe_real: Option<f64>,
    pub maybe_flag: Option<bool>,
    pub maybe_text: Option<String>,
    pub maybe_bytes: Option<Vec<u8>>,
    pub other: Id<Author>,
    pub maybe_other: Option<Id<Author>>,
    pub at: kiln::orm::chrono::DateTime<kiln::orm::chrono::Utc>,
    pub local: kiln::orm::chrono::NaiveDateTime,
    pub day: kiln::orm::chrono::NaiveDate,
    pub maybe_day: Option<kiln::orm::chrono::NaiveDate>,
    pub data: serde_json::Value,
    pub maybe_data: Option<serde_json::Value>,
}

/// A table with nothing but its key.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Marker {
    pub id: Id<Marker>,
}

/// A parent and its children, written together in transactions.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Order {
    pub id: Id<Order>,
    pub label: String,
}

#[derive(Table, Debug, Clone, PartialEq)]
pub struct Line {
    pub id: Id<Line>,
    pub order: ForeignKey<Order>,
    pub qty: i64,
}

/// A counter incremented by read-then-write transactions.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Counter {
    pub id: Id<Counter>,
    pub value: i64,
}

/// A lone floating-point column (NaN is NULL to SQLite).
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Measure {
    pub id: Id<Measure>,
    pub value: f64,
    pub note: String,
}

/// Derive edge cases: a raw identifier, other attributes on fields, documented fields,
/// `pub(crate)`, `Self` in a key, and a struct whose snake_case name is a keyword.
/// Compiling this is half the test.
#[derive(Table, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Select {
    /// The key.
    pub(crate) id: Id<Self>,
    /// A raw identifier: column `type`, constant `TYPE`.
    pub(crate) r#type: String,
    #[serde(rename = "ALIAS")]
    #[column(name = "alias_column")]
    pub(crate) aka: Option<String>,
    pub(crate) previous: Option<ForeignKey<Self>>,
    pub(crate) other_id: Id<Author>,
}
