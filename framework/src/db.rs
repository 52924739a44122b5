//! The ORM's web glue, in one place: the [`Db`] handler argument and its start-up
//! check, [`App::database`], and what the ORM's errors answer over HTTP (their status,
//! the client's message, `Retry-After`). The ORM itself knows nothing of the web;
//! without the `sqlite` and `postgres` features this module (and sqlx) is not built.

use std::any::Any;
use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::error::{Error, Known};
use crate::orm::{self, Database, Kind, kind_of};
use crate::sentinel::{Registry, Sentinel};
use crate::state::Managed;

/// The app's [`Database`], as a handler argument: `async fn books(db: Db)`.
///
/// It derefs to [`Database`], so `db.all::<Book>()` works directly. The database is
/// given to the app with [`App::database`]; an app with a handler taking `Db` but no
/// database refuses to start, rather than failing at the first request.
///
/// ```
/// use kiln::prelude::*;
///
/// #[derive(Table, serde::Serialize)]
/// struct Book {
///     id: Id<Book>,
///     title: String,
/// }
///
/// async fn books(db: Db) -> Result<Json<Vec<Book>>> {
///     Ok(Json(db.all::<Book>().await?))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let db = Database::connect("sqlite::memory:").await?;
/// db.create::<Book>().await?;
/// db.save(&mut Book { id: Id::new(), title: "Dune".into() }).await?;
///
/// let app = App::new().route("/books", Method::GET, books).database(db);
/// let res = TestClient::new(app).get("/books").await;
/// assert_eq!(res.text(), r#"[{"id":1,"title":"Dune"}]"#);
/// # Ok::<(), kiln::orm::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Db(pub Database);

impl Deref for Db {
    type Target = Database;
    fn deref(&self) -> &Database {
        &self.0
    }
}

impl<S> FromRequestParts<S> for Db
where
    S: Send + Sync,
    Managed: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(_parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Managed::from_ref(state).get::<Database>() {
            Some(db) => Ok(Db(Database::clone(&db))),
            None => Err(Error::internal(
                "a handler takes `Db` but the app has no database; add `.database(db)` to the App",
            )
            .into_response()),
        }
    }
}

impl Sentinel for Db {
    fn check(registry: &Registry<'_>) -> Result<(), String> {
        if registry.manages::<Database>() {
            Ok(())
        } else {
            Err("it takes `Db` but the app has no database; add `.database(db)` to the App".into())
        }
    }
}

impl App {
    /// Gives the app its database, for handlers taking [`Db`].
    #[track_caller]
    pub fn database(mut self, db: Database) -> App {
        self.data.db = Some(db.clone());
        self.manage(db)
    }
}

impl orm::Error {
    /// The HTTP status this error answers with when returned from a handler.
    pub fn status(&self) -> StatusCode {
        match self {
            orm::Error::NotFound { .. } => StatusCode::NOT_FOUND,
            orm::Error::UniqueViolation { .. } | orm::Error::ForeignKeyViolation { .. } => {
                StatusCode::CONFLICT
            }
            orm::Error::InvalidValue { .. } => StatusCode::BAD_REQUEST,
            orm::Error::Busy(_) | orm::Error::PoolTimedOut | orm::Error::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            orm::Error::DiskFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            orm::Error::Unsaved { .. }
            | orm::Error::TransactionClosed
            | orm::Error::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds a client should wait before retrying, for a `Retry-After` header.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            orm::Error::Busy(_) | orm::Error::PoolTimedOut => Some(1),
            orm::Error::Unavailable(_) => Some(5),
            _ => None,
        }
    }

    /// The text a client may see (4xx only); `None` means the status' reason phrase.
    pub fn public_message(&self) -> Option<String> {
        match self {
            orm::Error::UniqueViolation { column, .. } => {
                Some(format!("this value of `{column}` is already taken"))
            }
            orm::Error::ForeignKeyViolation { .. } => {
                Some("a referenced row does not exist, or the row is still referenced".into())
            }
            orm::Error::InvalidValue {
                column: Some(column),
                ..
            } => Some(format!("invalid value for `{column}`")),
            orm::Error::InvalidValue { column: None, .. } => Some("invalid value".into()),
            _ => None,
        }
    }
}

/// Answers with [`orm::Error::status`], a `Retry-After` header when retrying may
/// help, and no database text; 5xx errors are logged.
impl IntoResponse for orm::Error {
    fn into_response(self) -> Response {
        Error::from(self).into_response()
    }
}

/// What kiln knows of an ORM or driver error, for `?` (see `crate::convert`).
pub(crate) fn classify(err: &(dyn Any + Send + Sync)) -> Option<Known> {
    if let Some(e) = err.downcast_ref::<orm::Error>() {
        return Some(Known {
            status: e.status(),
            message: e.public_message(),
            retry_after: e.retry_after(),
        });
    }
    let e = err.downcast_ref::<sqlx::Error>()?;
    let kind = kind_of(e);
    let retry_after = match kind {
        Kind::Busy | Kind::PoolTimedOut => Some(1),
        Kind::Unavailable => Some(5),
        _ => None,
    };
    let (status, message) = match kind {
        Kind::Unique { column, .. } => (
            StatusCode::CONFLICT,
            Some(format!("this value of `{column}` is already taken")),
        ),
        Kind::ForeignKey { .. } => (
            StatusCode::CONFLICT,
            Some("a referenced row does not exist, or the row is still referenced".into()),
        ),
        Kind::Invalid { column: Some(c) } => (
            StatusCode::BAD_REQUEST,
            Some(format!("invalid value for `{c}`")),
        ),
        Kind::Invalid { column: None } => (StatusCode::BAD_REQUEST, Some("invalid value".into())),
        Kind::Busy | Kind::PoolTimedOut | Kind::Unavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, None)
        }
        Kind::DiskFull => (StatusCode::INSUFFICIENT_STORAGE, None),
        Kind::Other if matches!(e, sqlx::Error::RowNotFound) => (StatusCode::NOT_FOUND, None),
        Kind::Other => (StatusCode::INTERNAL_SERVER_ERROR, None),
    };
    Some(Known {
        status,
        message,
        retry_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orm::Error;

    fn status_of(e: sqlx::Error) -> StatusCode {
        classify(&e).map(|k| k.status).unwrap()
    }

    #[test]
    fn statuses() {
        let unique = Error::UniqueViolation {
            table: "book".into(),
            column: "isbn".into(),
        };
        assert_eq!(unique.status(), StatusCode::CONFLICT);
        assert_eq!(
            unique.public_message().as_deref(),
            Some("this value of `isbn` is already taken")
        );
        assert_eq!(
            Error::NotFound {
                table: "book",
                id: Some(1)
            }
            .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            Error::Unsaved {
                table: "book",
                column: None
            }
            .status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            Error::PoolTimedOut.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(Error::PoolTimedOut.retry_after(), Some(1));
        assert_eq!(status_of(sqlx::Error::RowNotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            status_of(sqlx::Error::PoolTimedOut),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
