//! `Db`: the handler argument giving the app's database, and `App::database`.

use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::database::Database;
use crate::app::App;
use crate::sentinel::{Registry, Sentinel};
use crate::state::AppState;

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
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(_parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match AppState::from_ref(state).get::<Database>() {
            Some(db) => Ok(Db(Database::clone(&db))),
            None => Err(crate::Error::internal(
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
    pub fn database(self, db: Database) -> App {
        self.manage(db)
    }
}
