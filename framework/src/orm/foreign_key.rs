//! `ForeignKey<T>`: a reference to a row of another table, loaded by a join.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::id::Id;
use super::table::Table;

/// A field referring to a row of table `T`: a column `<field>_id` with a foreign-key
/// constraint on `T`'s `id`.
///
/// Rows read with [`get`](crate::orm::Database::get), [`all`](crate::orm::Database::all)
/// and [`select`](crate::orm::Database::select) come with the referenced row already
/// loaded, by a join in the same statement (nested keys too), so [`get`](ForeignKey::get)
/// answers without another query. A key made by [`to`](ForeignKey::to) or
/// [`from_id`](ForeignKey::from_id) holds only the id.
///
/// ```
/// use kiln::prelude::*;
///
/// #[derive(Table)]
/// struct Author {
///     id: Id<Author>,
///     name: String,
/// }
///
/// #[derive(Table)]
/// struct Book {
///     id: Id<Book>,
///     title: String,
///     author: ForeignKey<Author>,
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let db = Database::connect("sqlite::memory:").await?;
/// db.create::<Author>().await?;
/// db.create::<Book>().await?;
///
/// let mut kay = Author { id: Id::new(), name: "Kay".into() };
/// db.save(&mut kay).await?;
/// let mut book = Book { id: Id::new(), title: "Rust".into(), author: ForeignKey::to(&kay) };
/// db.save(&mut book).await?;
///
/// let found = db.get::<Book>(book.id).await?.unwrap();
/// assert_eq!(found.author.id(), kay.id);
/// assert_eq!(found.author.get().unwrap().name, "Kay"); // loaded by the same query
/// # Ok::<(), kiln::orm::Error>(())
/// # }).unwrap();
/// ```
///
/// Equality and hashing compare the ids only. Serde sees the id: a number.
pub struct ForeignKey<T> {
    id: Id<T>,
    value: Option<Arc<T>>,
}

impl<T> ForeignKey<T> {
    /// A key to the saved row `row`.
    ///
    /// If `row` was never saved, saving this key fails with
    /// [`Error::Unsaved`](crate::orm::Error::Unsaved) instead of storing a made-up id.
    pub fn to(row: &T) -> ForeignKey<T>
    where
        T: Table,
    {
        ForeignKey {
            id: row.id(),
            value: None,
        }
    }

    /// A key to the row with id `id`.
    pub fn from_id(id: impl Into<Id<T>>) -> ForeignKey<T> {
        ForeignKey {
            id: id.into(),
            value: None,
        }
    }

    /// A key holding `row` itself, as if loaded from the database.
    pub fn loaded(row: T) -> ForeignKey<T>
    where
        T: Table,
    {
        ForeignKey {
            id: row.id(),
            value: Some(Arc::new(row)),
        }
    }

    /// The referenced row's id.
    pub fn id(&self) -> Id<T> {
        self.id
    }

    /// The referenced row, if it was loaded with this one.
    pub fn get(&self) -> Option<&T> {
        self.value.as_deref()
    }

    /// Whether the referenced row was loaded.
    pub fn is_loaded(&self) -> bool {
        self.value.is_some()
    }

    #[doc(hidden)]
    pub fn __from_parts(id: Id<T>, value: Option<Arc<T>>) -> ForeignKey<T> {
        ForeignKey { id, value }
    }
}

impl<T> Clone for ForeignKey<T> {
    fn clone(&self) -> Self {
        ForeignKey {
            id: self.id,
            value: self.value.clone(),
        }
    }
}

impl<T> From<Id<T>> for ForeignKey<T> {
    fn from(id: Id<T>) -> Self {
        ForeignKey::from_id(id)
    }
}

/// Keys are equal when their ids are, loaded or not.
impl<T> PartialEq for ForeignKey<T> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<T> Eq for ForeignKey<T> {}

impl<T> Hash for ForeignKey<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl<T> fmt::Debug for ForeignKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignKey")
            .field("id", &self.id)
            .field("loaded", &self.value.is_some())
            .finish()
    }
}

/// The referenced row's id: a number.
impl<T> Serialize for ForeignKey<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.id.serialize(serializer)
    }
}

/// From the referenced row's id.
impl<'de, T> Deserialize<'de> for ForeignKey<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Id::deserialize(deserializer).map(ForeignKey::from_id)
    }
}
