//! Where sessions are kept: in the cookie itself (the default), or on the server
//! behind [`SessionStore`], with only a sealed random id in the cookie.

use std::sync::Arc;
use std::time::Duration;

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};
use futures_util::future::BoxFuture;

use super::key::{KeyRing, random_token};
use super::{COOKIE_LIMIT, Payload, SESSION_COOKIE, Session, SessionState, now};
use crate::error::Result;

/// The name of the cookie holding a copy of the CSRF token for scripts (and
/// [`TestClient`](crate::TestClient)) to send back in the `x-csrf-token` header.
pub const CSRF_COOKIE: &str = "kiln_csrf";

/// A server-side home for sessions: the cookie then holds only a sealed random id.
///
/// kiln ships [`DatabaseStore`] (on kiln's ORM) and, with the `redis` feature,
/// `RedisStore`. Values are the session serialized as JSON.
pub trait SessionStore: Send + Sync + 'static {
    /// The session stored under `id`, if it exists and has not expired.
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<String>>>;
    /// Stores `data` under `id` until `expires` (seconds since the Unix epoch).
    fn save<'a>(&'a self, id: &'a str, data: &'a str, expires: u64) -> BoxFuture<'a, Result<()>>;
    /// Forgets the session `id`.
    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>>;
}

/// The app's session settings, built at start-up.
pub(crate) struct Sessions {
    pub(crate) keys: KeyRing,
    pub(crate) store: Option<Arc<dyn SessionStore>>,
    pub(crate) max_age: Duration,
    pub(crate) secure: bool,
}

/// The value of the cookie `name` in `headers` (percent-decoded), if present.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse_encoded)
        .filter_map(|c| c.ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

impl Sessions {
    /// The request's session: what its cookie holds, or a new empty one. A cookie that
    /// does not open, does not parse or has expired is no session. A store that fails
    /// is logged and treated the same way (the user is logged out, never shown a 500).
    pub(crate) async fn load(&self, headers: &HeaderMap) -> Session {
        let limit = self.store.is_none().then_some(payload_limit());
        let empty = || Session::new(SessionState::loaded(Payload::default(), None, limit));
        let Some(sealed) = cookie_value(headers, SESSION_COOKIE) else {
            return empty();
        };
        let Some(plain) = self.keys.open(SESSION_COOKIE, &sealed) else {
            return empty();
        };
        let (json, id) = match &self.store {
            None => (plain, None),
            Some(store) => match store.load(&plain).await {
                Ok(Some(json)) => (json, Some(plain)),
                Ok(None) => return empty(),
                Err(e) => {
                    tracing::error!(error = %e, "session store: load failed; treating it as no session");
                    return empty();
                }
            },
        };
        match serde_json::from_str::<Payload>(&json) {
            Ok(payload) if payload.expires > now() => {
                Session::new(SessionState::loaded(payload, id, limit))
            }
            _ => empty(),
        }
    }

    /// Writes what changed in `session` to storage and to `headers` (`Set-Cookie`).
    pub(crate) async fn save(&self, session: &Session, headers: &mut HeaderMap) {
        let (payload, id, stale, cleared) = {
            let mut state = session.lock();
            if !state.changed {
                return;
            }
            state.changed = false;
            state.payload.expires = now() + self.max_age.as_secs();
            let stale = std::mem::take(&mut state.stale);
            if self.store.is_some() && state.id.is_none() && !state.cleared {
                state.id = Some(random_token());
            }
            (
                state.payload.clone(),
                state.id.clone(),
                stale,
                state.cleared,
            )
        };
        if let Some(store) = &self.store {
            for old in &stale {
                if let Err(e) = store.delete(old).await {
                    tracing::error!(error = %e, "session store: delete failed");
                }
            }
        }
        if cleared {
            self.set_cookie(headers, SESSION_COOKIE, String::new(), true, true);
            self.set_cookie(headers, CSRF_COOKIE, String::new(), false, true);
            return;
        }
        let json = match serde_json::to_string(&payload) {
            Ok(json) => json,
            Err(e) => {
                tracing::error!(error = %e, "session: can't serialize; not saved");
                return;
            }
        };
        let value = match (&self.store, id) {
            (Some(store), Some(id)) => {
                if let Err(e) = store.save(&id, &json, payload.expires).await {
                    tracing::error!(error = %e, "session store: save failed; session not saved");
                    return;
                }
                self.keys.seal(SESSION_COOKIE, id)
            }
            _ => self.keys.seal(SESSION_COOKIE, json),
        };
        if value.len() + SESSION_COOKIE.len() + 100 > COOKIE_LIMIT {
            tracing::error!(
                bytes = value.len(),
                "session: too big for a cookie; not saved (use a server-side store)"
            );
            return;
        }
        self.set_cookie(headers, SESSION_COOKIE, value, true, false);
        if let Some(token) = payload.csrf {
            self.set_cookie(headers, CSRF_COOKIE, token, false, false);
        }
    }

    fn set_cookie(
        &self,
        headers: &mut HeaderMap,
        name: &'static str,
        value: String,
        http_only: bool,
        remove: bool,
    ) {
        let mut c = Cookie::build((name, value))
            .path("/")
            .http_only(http_only)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .build();
        if remove {
            c.make_removal();
        } else {
            let secs = i64::try_from(self.max_age.as_secs()).unwrap_or(i64::MAX);
            c.set_max_age(cookie::time::Duration::seconds(secs));
        }
        if let Ok(v) = HeaderValue::try_from(c.encoded().to_string()) {
            headers.append(SET_COOKIE, v);
        }
    }
}

/// The largest serialized session that still fits a cookie once sealed: sealing adds
/// a 12-byte nonce and a 16-byte tag, then base64 (4/3), and the cookie needs room for
/// its name and attributes.
fn payload_limit() -> usize {
    (COOKIE_LIMIT - 200) * 3 / 4 - 28
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use db_store::DatabaseStore;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod db_store {
    use futures_util::FutureExt;
    use tokio::sync::OnceCell;

    use super::*;
    use crate::orm::{Backend, Database};

    /// Sessions in the app's database, in a table `kiln_sessions` (made on first use).
    ///
    /// ```no_run
    /// # async fn doc() -> kiln::Result<()> {
    /// use kiln::prelude::*;
    /// use kiln::session::DatabaseStore;
    /// let db = Database::connect("sqlite://app.db").await?;
    /// let app = App::new().sessions(DatabaseStore::new(db.clone())).database(db);
    /// # Ok(()) }
    /// ```
    pub struct DatabaseStore {
        db: Database,
        ready: OnceCell<()>,
    }

    impl DatabaseStore {
        /// A store on `db`.
        pub fn new(db: Database) -> DatabaseStore {
            DatabaseStore {
                db,
                ready: OnceCell::new(),
            }
        }

        async fn ready(&self) -> Result<()> {
            self.ready
                .get_or_try_init(|| async {
                    let sql = "CREATE TABLE IF NOT EXISTS kiln_sessions (\
                               id TEXT PRIMARY KEY, data TEXT NOT NULL, expires BIGINT NOT NULL)";
                    self.run(sql, &[]).await.map(drop)
                })
                .await
                .map(|_| ())
        }

        /// Runs `sql` (with `$n` placeholders) binding `args` as text or integers.
        async fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<String>> {
            let err = |e: sqlx::Error| crate::Error::from(crate::orm::Error::from(e));
            match self.db.backend() {
                #[cfg(feature = "sqlite")]
                Backend::Sqlite => {
                    let pool = self.db.sqlite_pool().expect("a SQLite database");
                    let sql = sql.replace('$', "?");
                    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
                    for a in args {
                        q = match a {
                            Arg::Text(t) => q.bind(t.to_string()),
                            Arg::Int(i) => q.bind(*i),
                        };
                    }
                    q.fetch_optional(pool).await.map_err(err)
                }
                #[cfg(feature = "postgres")]
                Backend::Postgres => {
                    let pool = self.db.postgres_pool().expect("a PostgreSQL database");
                    let mut q =
                        sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_string()));
                    for a in args {
                        q = match a {
                            Arg::Text(t) => q.bind(t.to_string()),
                            Arg::Int(i) => q.bind(*i),
                        };
                    }
                    q.fetch_optional(pool).await.map_err(err)
                }
                #[allow(unreachable_patterns)]
                other => Err(crate::Error::internal(format!(
                    "DatabaseStore: kiln was built without the {other:?} feature"
                ))),
            }
        }
    }

    enum Arg<'a> {
        Text(&'a str),
        Int(i64),
    }

    fn secs(t: u64) -> i64 {
        i64::try_from(t).unwrap_or(i64::MAX)
    }

    impl SessionStore for DatabaseStore {
        fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<String>>> {
            async move {
                self.ready().await?;
                self.run(
                    "SELECT data FROM kiln_sessions WHERE id = $1 AND expires > $2",
                    &[Arg::Text(id), Arg::Int(secs(now()))],
                )
                .await
            }
            .boxed()
        }

        fn save<'a>(
            &'a self,
            id: &'a str,
            data: &'a str,
            expires: u64,
        ) -> BoxFuture<'a, Result<()>> {
            async move {
                self.ready().await?;
                self.run(
                    "INSERT INTO kiln_sessions (id, data, expires) VALUES ($1, $2, $3) \
                     ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires = excluded.expires",
                    &[Arg::Text(id), Arg::Text(data), Arg::Int(secs(expires))],
                )
                .await
                .map(drop)
            }
            .boxed()
        }

        fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
            async move {
                self.ready().await?;
                self.run("DELETE FROM kiln_sessions WHERE id = $1", &[Arg::Text(id)])
                    .await
                    .map(drop)
            }
            .boxed()
        }
    }
}

#[cfg(feature = "redis")]
pub use redis_store::RedisStore;

#[cfg(feature = "redis")]
mod redis_store {
    use futures_util::FutureExt;
    use redis::AsyncCommands;
    use redis::aio::ConnectionManager;
    use tokio::sync::OnceCell;

    use super::*;
    use crate::error::Error;

    /// Sessions in Redis, under `kiln:session:<id>`, expiring with the session (the
    /// `redis` feature). It connects on first use and reconnects after failures.
    ///
    /// ```no_run
    /// # fn doc() -> kiln::Result<()> {
    /// use kiln::prelude::*;
    /// use kiln::session::RedisStore;
    /// let app = App::new().sessions(RedisStore::new("redis://127.0.0.1:6379/")?);
    /// # Ok(()) }
    /// ```
    pub struct RedisStore {
        client: redis::Client,
        conn: OnceCell<ConnectionManager>,
        prefix: String,
    }

    fn failed(e: redis::RedisError) -> Error {
        Error::with_source(axum::http::StatusCode::SERVICE_UNAVAILABLE, e)
    }

    impl RedisStore {
        /// A store on the Redis server at `url` (`redis://host:port/db`); an `Err` if
        /// the URL is malformed. No connection is made until the first request.
        pub fn new(url: &str) -> Result<RedisStore> {
            let client = redis::Client::open(url)
                .map_err(|e| Error::internal(format!("RedisStore: invalid Redis URL: {e}")))?;
            Ok(RedisStore {
                client,
                conn: OnceCell::new(),
                prefix: "kiln:session:".to_string(),
            })
        }

        /// Keys start with `prefix` instead of `kiln:session:` (to share a server).
        pub fn prefix(mut self, prefix: impl Into<String>) -> RedisStore {
            self.prefix = prefix.into();
            self
        }

        async fn conn(&self) -> Result<ConnectionManager> {
            self.conn
                .get_or_try_init(|| async {
                    ConnectionManager::new(self.client.clone())
                        .await
                        .map_err(failed)
                })
                .await
                .cloned()
        }

        fn key(&self, id: &str) -> String {
            format!("{}{id}", self.prefix)
        }
    }

    impl SessionStore for RedisStore {
        fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<String>>> {
            async move {
                let mut conn = self.conn().await?;
                conn.get(self.key(id)).await.map_err(failed)
            }
            .boxed()
        }

        fn save<'a>(
            &'a self,
            id: &'a str,
            data: &'a str,
            expires: u64,
        ) -> BoxFuture<'a, Result<()>> {
            async move {
                let mut conn = self.conn().await?;
                let ttl = expires.saturating_sub(super::now()).max(1);
                conn.set_ex::<_, _, ()>(self.key(id), data, ttl)
                    .await
                    .map_err(failed)
            }
            .boxed()
        }

        fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
            async move {
                let mut conn = self.conn().await?;
                conn.del::<_, ()>(self.key(id)).await.map_err(failed)
            }
            .boxed()
        }
    }
}
