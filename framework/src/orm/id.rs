//! `Id<T>`: a table's typed primary key.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The primary key of a row of table `T`: unset until the row is saved.
///
/// The type parameter keeps ids of different tables apart: an `Id<Author>` can't be
/// passed where an `Id<Book>` is expected. It is `Copy`, `Eq`, `Ord`, `Hash` and
/// `Debug` whatever `T` is, converts from an `i64`, displays as the number, parses
/// from one (so it works as a route parameter), and serializes as a number, or `null`
/// while unsaved.
///
/// ```
/// use kiln::prelude::*;
///
/// #[derive(Table)]
/// struct Book {
///     id: Id<Book>,
///     title: String,
/// }
///
/// let unsaved: Id<Book> = Id::new();
/// assert_eq!(unsaved.get(), None);
///
/// let id: Id<Book> = 7.into();
/// assert_eq!(id.get(), Some(7));
/// assert_eq!(id.to_string(), "7");
/// assert_eq!("7".parse::<Id<Book>>().unwrap(), id);
/// assert_eq!(serde_json::to_string(&id).unwrap(), "7");
/// ```
pub struct Id<T> {
    value: Option<i64>,
    table: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    /// The id of a row that was never saved.
    pub const fn new() -> Id<T> {
        Id {
            value: None,
            table: PhantomData,
        }
    }

    /// The id of the saved row with this key.
    pub const fn from_i64(value: i64) -> Id<T> {
        Id {
            value: Some(value),
            table: PhantomData,
        }
    }

    /// The key, or `None` while the row is unsaved.
    pub const fn get(self) -> Option<i64> {
        self.value
    }

    /// Whether the row has been saved (has a key).
    pub const fn is_saved(self) -> bool {
        self.value.is_some()
    }
}

impl<T> Default for Id<T> {
    fn default() -> Self {
        Id::new()
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Id<T> {}

impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> Eq for Id<T> {}

impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Unsaved ids sort first.
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}

impl<T> Hash for Id<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Some(v) => write!(f, "Id({v})"),
            None => f.write_str("Id(unsaved)"),
        }
    }
}

/// The number; `unsaved` for an unsaved row.
impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Some(v) => fmt::Display::fmt(&v, f),
            None => f.write_str("unsaved"),
        }
    }
}

/// Only from `i64`, so that an integer literal (`db.get::<Book>(7)`) is inferred as one.
impl<T> From<i64> for Id<T> {
    fn from(value: i64) -> Self {
        Id::from_i64(value)
    }
}

/// The text was not a decimal `i64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIdError(());

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id is a decimal integer")
    }
}

impl std::error::Error for ParseIdError {}

/// Parses a decimal integer, as in a route parameter: `#[get("/book/<id>")]`.
impl<T> FromStr for Id<T> {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, ParseIdError> {
        // `i64::from_str` also takes a leading `+`; an id in a URL has one spelling.
        if s.starts_with('+') {
            return Err(ParseIdError(()));
        }
        s.parse::<i64>()
            .map(Id::from_i64)
            .map_err(|_| ParseIdError(()))
    }
}

/// A number, or `null` while unsaved.
impl<T> Serialize for Id<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Some(v) => serializer.serialize_i64(v),
            None => serializer.serialize_none(),
        }
    }
}

/// From a number, or `null` (or a missing field) for an unsaved row.
impl<'de, T> Deserialize<'de> for Id<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Id {
            value: Option::<i64>::deserialize(deserializer)?,
            table: PhantomData,
        })
    }
}

/// An integer (`int64`) in the OpenAPI document, or `null` while unsaved (as a path
/// or query parameter, which cannot be null, an integer: `/book/{id}`).
impl<T> schemars::JsonSchema for Id<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Id".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": ["integer", "null"], "format": "int64" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NotCopy;

    #[test]
    fn traits_without_bounds_on_the_table() {
        let a: Id<NotCopy> = Id::from(3);
        let b = a;
        assert_eq!(a, b);
        assert!(Id::<NotCopy>::new() < a);
        assert_eq!(format!("{a:?} {a}"), "Id(3) 3");
        assert_eq!(format!("{:?}", Id::<NotCopy>::new()), "Id(unsaved)");
    }

    #[test]
    fn parses_canonical_integers_only() {
        assert_eq!("42".parse::<Id<NotCopy>>().unwrap().get(), Some(42));
        assert!("+42".parse::<Id<NotCopy>>().is_err());
        assert!("4.2".parse::<Id<NotCopy>>().is_err());
        assert!("99999999999999999999".parse::<Id<NotCopy>>().is_err());
        assert!("".parse::<Id<NotCopy>>().is_err());
    }

    #[test]
    fn serde_as_number_or_null() {
        let id: Id<NotCopy> = Id::from(5);
        assert_eq!(serde_json::to_string(&id).unwrap(), "5");
        assert_eq!(
            serde_json::to_string(&Id::<NotCopy>::new()).unwrap(),
            "null"
        );
        let back: Id<NotCopy> = serde_json::from_str("5").unwrap();
        assert_eq!(back, id);
        let none: Id<NotCopy> = serde_json::from_str("null").unwrap();
        assert!(!none.is_saved());

        #[derive(serde::Deserialize)]
        struct Input {
            id: Id<NotCopy>,
        }
        let missing: Input = serde_json::from_str("{}").unwrap();
        assert!(!missing.id.is_saved());
    }
}
