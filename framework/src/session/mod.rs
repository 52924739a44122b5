//! Sessions and flash messages: the [`Session`] extractor, kept in an encrypted
//! cookie by default or in a server-side [`SessionStore`].
//!
//! ```
//! use kiln::prelude::*;
//!
//! #[derive(serde::Deserialize)]
//! struct Login { user: String }
//!
//! #[post("/login")]
//! async fn login(session: Session, Form(f): Form<Login>) -> Result<Redirect> {
//!     session.regenerate();                 // a new session: no fixation
//!     session.insert("user", &f.user)?;
//!     session.flash("Welcome back");
//!     Ok(Redirect::to("/"))
//! }
//!
//! #[get("/")]
//! async fn index(session: Session) -> Result<String> {
//!     let user: Option<String> = session.get("user")?;
//!     Ok(format!("{user:?} {:?}", session.take_flashes()))
//! }
//! ```
//!
//! Changes are saved when the response leaves. A cookie that was tampered with,
//! truncated, made with an unknown key or expired is simply no session.

pub(crate) mod key;
pub(crate) mod store;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use store::DatabaseStore;
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{CSRF_COOKIE, SessionStore};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "kiln_session";

/// How long a session lives without being saved again: two weeks, Django's default.
pub(crate) const DEFAULT_MAX_AGE: Duration = Duration::from_secs(14 * 24 * 3600);

/// The largest cookie browsers keep (RFC 6265 §6.1 asks for at least 4096 bytes for
/// name, value and attributes); a cookie-stored session must fit in it.
pub(crate) const COOKIE_LIMIT: usize = 4096;

/// The user's session: read and changed by handlers, saved when the response leaves.
///
/// Cloning gives another handle to the same session.
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<Mutex<SessionState>>,
}

/// What a session holds, as stored (in the cookie or the server-side store).
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
pub(crate) struct Payload {
    /// The user's values.
    #[serde(default, rename = "d")]
    pub(crate) data: Map<String, Value>,
    /// Flash messages not shown yet.
    #[serde(default, rename = "f", skip_serializing_if = "Vec::is_empty")]
    pub(crate) flashes: Vec<String>,
    /// The CSRF token bound to this session.
    #[serde(default, rename = "c", skip_serializing_if = "Option::is_none")]
    pub(crate) csrf: Option<String>,
    /// When it expires, in seconds since the Unix epoch.
    #[serde(default, rename = "x")]
    pub(crate) expires: u64,
}

/// A session during one request.
#[derive(Debug, Default)]
pub(crate) struct SessionState {
    pub(crate) payload: Payload,
    /// The server-side id this session was loaded under, if any.
    pub(crate) id: Option<String>,
    /// Ids to delete from the server-side store when saving (after `regenerate`/`clear`).
    pub(crate) stale: Vec<String>,
    /// Whether it must be saved.
    pub(crate) changed: bool,
    /// Whether it must be deleted (the cookie removed).
    pub(crate) cleared: bool,
    /// The largest serialized payload accepted, when sessions live in the cookie.
    pub(crate) limit: Option<usize>,
}

impl SessionState {
    /// A session read from storage.
    pub(crate) fn loaded(payload: Payload, id: Option<String>, limit: Option<usize>) -> Self {
        SessionState {
            payload,
            id,
            limit,
            ..SessionState::default()
        }
    }

    /// The CSRF token, made (and the session marked for saving) if there is none.
    pub(crate) fn csrf_token(&mut self) -> String {
        if let Some(t) = &self.payload.csrf {
            return t.clone();
        }
        let token = key::random_token();
        self.payload.csrf = Some(token.clone());
        self.cleared = false;
        self.changed = true;
        token
    }

    fn check_size(&self) -> Result<()> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let size = serde_json::to_vec(&self.payload)
            .map(|v| v.len())
            .unwrap_or(0);
        if size > limit {
            return Err(Error::internal(format!(
                "the session is {size} bytes, more than a cookie can hold ({limit} bytes \
                 before encryption); keep less in it, or store sessions on the server with \
                 `App::sessions(DatabaseStore::new(db))` (or `RedisStore` with the `redis` feature)"
            )));
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Session {
    pub(crate) fn new(state: SessionState) -> Session {
        Session {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value stored under `key`, if any. An `Err` if it is not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let state = self.lock();
        match state.payload.data.get(key) {
            None => Ok(None),
            Some(v) => T::deserialize(v).map(Some).map_err(|e| {
                Error::internal(format!(
                    "session value `{key}` is not a `{}`: {e}",
                    std::any::type_name::<T>()
                ))
            }),
        }
    }

    /// Stores `value` (any serde value) under `key`.
    ///
    /// An `Err` if it can't be serialized, or if the session would no longer fit in
    /// its cookie (the message says to pick a server-side store).
    pub fn insert<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<()> {
        let value = serde_json::to_value(value)
            .map_err(|e| Error::internal(format!("session value `{key}`: {e}")))?;
        let mut state = self.lock();
        let old = state.payload.data.insert(key.to_string(), value);
        if let Err(e) = state.check_size() {
            match old {
                Some(old) => state.payload.data.insert(key.to_string(), old),
                None => state.payload.data.remove(key),
            };
            return Err(e);
        }
        state.cleared = false;
        state.changed = true;
        Ok(())
    }

    /// Removes the value under `key`.
    pub fn remove(&self, key: &str) {
        let mut state = self.lock();
        if state.payload.data.remove(key).is_some() {
            state.changed = true;
        }
    }

    /// Ends the session: every value, flash message and the CSRF token are gone and
    /// the cookie is removed (log out).
    pub fn clear(&self) {
        let mut state = self.lock();
        state.payload = Payload::default();
        if let Some(id) = state.id.take() {
            state.stale.push(id);
        }
        state.cleared = true;
        state.changed = true;
    }

    /// Gives the session a new identity, keeping its values: call it at login, so a
    /// session id (or cookie) planted before cannot be used after (session fixation).
    /// The CSRF token changes too.
    pub fn regenerate(&self) {
        let mut state = self.lock();
        if let Some(id) = state.id.take() {
            state.stale.push(id);
        }
        state.payload.csrf = Some(key::random_token());
        state.cleared = false;
        state.changed = true;
    }

    /// Adds a message to show once, on a later page ([`take_flashes`](Session::take_flashes)).
    pub fn flash(&self, message: impl Into<String>) {
        let mut state = self.lock();
        state.payload.flashes.push(message.into());
        if state.check_size().is_err() {
            let dropped = state.payload.flashes.pop();
            tracing::error!(
                ?dropped,
                "flash message dropped: the session cookie is full"
            );
            return;
        }
        state.cleared = false;
        state.changed = true;
    }

    /// The flash messages not shown yet, oldest first; they are gone afterwards.
    pub fn take_flashes(&self) -> Vec<String> {
        let mut state = self.lock();
        let flashes = std::mem::take(&mut state.payload.flashes);
        if !flashes.is_empty() {
            state.changed = true;
        }
        flashes
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Session")
            .field("keys", &state.payload.data.keys().collect::<Vec<_>>())
            .field("flashes", &state.payload.flashes.len())
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Session> {
        parts.extensions.get::<Session>().cloned().ok_or_else(|| {
            Error::status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "no session: this router was not built by `App::into_router`",
            )
        })
    }
}
