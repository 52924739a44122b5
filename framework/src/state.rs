//! Managed state: values given to [`App::manage`](crate::App::manage), read by
//! handlers through [`State<T>`](crate::State). Only the user's values live here.

use std::any::{Any, TypeId};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

struct Entry {
    id: TypeId,
    name: &'static str,
    value: Arc<dyn Any + Send + Sync>,
}

/// The values the app manages, keyed by type: only what the user gave to
/// [`App::manage`](crate::App::manage) (kiln keeps its own settings elsewhere).
/// Cloning is one reference-count bump.
#[derive(Clone, Default)]
pub struct Managed(Arc<[Entry]>);

impl Managed {
    /// The managed value of type `T`, if there is one.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let id = TypeId::of::<T>();
        let entry = self.0.iter().find(|e| e.id == id)?;
        entry.value.clone().downcast::<T>().ok()
    }

    /// Whether a value of type `T` is managed.
    pub fn contains<T: 'static>(&self) -> bool {
        let id = TypeId::of::<T>();
        self.0.iter().any(|e| e.id == id)
    }
}

impl fmt::Debug for Managed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|e| e.name))
            .finish()
    }
}

/// The values being collected by the [`App`](crate::App) builder.
#[derive(Default)]
pub(crate) struct StateBuilder {
    entries: Vec<Entry>,
}

impl StateBuilder {
    /// Adds `value`; returns `false` (and keeps the first) if its type is already managed.
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> bool {
        if self.contains_id(TypeId::of::<T>()) {
            return false;
        }
        self.entries.push(Entry {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
            value: Arc::new(value),
        });
        true
    }

    pub(crate) fn contains_id(&self, id: TypeId) -> bool {
        self.entries.iter().any(|e| e.id == id)
    }

    /// The values collected, ready to share.
    pub(crate) fn finish(self) -> Managed {
        Managed(self.entries.into())
    }
}

/// A managed value, extracted in a handler: `async fn index(settings: State<Settings>)`.
///
/// The value is given to [`App::manage`](crate::App::manage) and shared by every
/// request. Asking for a type that was never managed stops the app at start-up.
/// `State<T>` derefs to `T` (its field is private, so `state.0` reaches `T`'s own
/// first field when `T` is a tuple struct).
///
/// ```
/// use kiln::prelude::*;
///
/// struct Settings { site: String }
///
/// #[get("/")]
/// async fn index(settings: State<Settings>) -> String {
///     format!("Welcome to {}", settings.site)
/// }
///
/// let app = App::new()
///     .mount("/", routes![index])
///     .manage(Settings { site: "Books".into() });
/// # let client = TestClient::new(app);
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// #     assert_eq!(client.get("/").await.text(), "Welcome to Books");
/// # });
/// ```
pub struct State<T>(Arc<T>);

impl<T> State<T> {
    /// The shared value itself, to keep beyond the request.
    pub fn into_arc(self) -> Arc<T> {
        self.0
    }
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&self.0).finish()
    }
}

impl<T, S> FromRequestParts<S> for State<T>
where
    T: Send + Sync + 'static,
    S: Send + Sync,
    Managed: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(_parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Managed::from_ref(state).get::<T>() {
            Some(value) => Ok(State(value)),
            None => Err(Error::internal(format!(
                "State<{}> was asked for but never managed; add `.manage(..)` to the App",
                std::any::type_name::<T>()
            ))
            .into_response()),
        }
    }
}
