//! # kiln
//!
//! A web framework that bakes your application at compile time. Route attributes
//! expand into a plain [axum] router, mistakes in paths and route tables are compile
//! errors, and the result runs as fast as hand-written axum.
//!
//! ```no_run
//! use kiln::prelude::*;
//!
//! #[get("/")]
//! async fn index() -> &'static str {
//!     "Hello, World!"
//! }
//!
//! #[get("/hello/<name>")]
//! async fn hello(name: String) -> String {
//!     format!("Hello, {name}!")
//! }
//!
//! #[tokio::main]
//! async fn main() -> kiln::Result<()> {
//!     App::new().mount("/", routes![index, hello]).run().await
//! }
//! ```
//!
//! - Routes: [`get`], [`post`], [`put`], [`patch`], [`delete`], [`head`], [`options`],
//!   [`route`], collected by [`routes!`] and mounted with [`App::mount`].
//! - Class-style handlers: [`resource`].
//! - Error pages: [`catch`] and [`catchers!`].
//! - Responses: [`Json`], [`Html`], [`Text`], [`Redirect`], and [`Error`] / [`Result`].
//! - Pages: [`macro@page`], askama templates checked at compile time.
//! - Static files: [`App::static_files`].
//! - Middleware: [`App::wrap`] with a [`middleware::Middleware`] type, a
//!   [`macro@middleware`] function, or a built-in; [`App::layer`] for any tower layer.
//! - Tests: [`TestClient`], in process, no socket.
//! - OpenAPI: [`App::openapi`] and [`App::openapi_ui`], from the route attributes.

//! ## Where things live
//!
//! A map of the crate, for finding each piece by its name:
//!
//! | what | where |
//! |---|---|
//! | the route grammar (`/book/<id>/<rest..>?<q>`), the method table, the collision rule | the `kiln-route` crate (`framework/route/`), shared with the macros |
//! | routes as `routes!` collects them, `Routes`, `RouteInfo` | `routing/mod.rs` |
//! | building the axum router: collisions at start-up, the 404 and the 405 (`Allow`) answers | `routing/table.rs` |
//! | the compile-time collision check of `routes!` and `catchers!` (`const` evaluation) | `checks.rs` |
//! | the request pipeline: body limit, panic guard, catcher dispatch, kiln's runtime settings | `pipeline/` (`body_limit.rs`, `guard.rs`, `runtime.rs`) |
//! | catcher types and the table of catchers by status | `catcher/` |
//! | the user's managed state and `State<T>` | `state.rs` |
//! | start-up checks of handler arguments (`Sentinel`) | `sentinel.rs` |
//! | typed start-up problems (`LaunchError`, `Problem`) | `launch.rs` |
//! | `kiln::Error`; how other errors convert into it with `?` | `error.rs`; `convert.rs` |
//! | how handler arguments are read (path, query, extractors) | `extract.rs` |
//! | responses (`Json`, `Html`, `Text`, `Redirect`), pages, reverse routes | `response.rs`, `page.rs`, `uri.rs` |
//! | static files, middleware, the server and its limits, the test client | `static_files.rs`, `middleware/`, `server/`, `testing.rs` |
//! | the ORM: tables, SQL generation, queries, transactions | `orm/` (`table.rs` writes the SQL, `query.rs` the typed queries) |
//! | the ORM's web glue: `Db`, `App::database`, the HTTP status of ORM errors | `db.rs` |
//! | forms: `Checked`, `Valid`, validation messages; kiln's error bodies by `Accept` | `validate.rs`; `error.rs` |
//! | migrations: `Schema`, `Migration`, applying and verifying them | `orm/migrate.rs` |
//! | the app's command line (`App::cli`), `App::models` | `cli.rs` |
//! | `App::wrap`'s middleware stack and what the server calls | `middleware/stack.rs` |
//! | the OpenAPI document: what each route adds (`Operation`), the document, its page | `openapi/` (`impls.rs` for kiln's own types, `document.rs`, `ui.rs`); `apidoc.rs` for `App::openapi` |
//!
//! Generated code names everything through `kiln::__private`, the one door for it;
//! nothing else there is public API.
//!
//! ## Features
//!
//! `sqlite` and `postgres` (both on by default) build the ORM over sqlx with those
//! drivers; the URL given to [`orm::Database::connect`] picks one. With
//! `default-features = false` kiln is the web layer alone, with no sqlx in its tree.
//! `chrono` and `json` add column types.

mod apidoc;
mod app;
mod catcher;
mod checks;
mod cli;
mod convert;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod db;
mod error;
mod extract;
mod form;
mod launch;
pub mod middleware;
pub mod openapi;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod orm;
mod page;
mod pipeline;
mod response;
mod routing;
mod security;
mod sentinel;
mod server;
pub mod session;
mod state;
pub mod static_files;
mod testing;
mod uri;
pub mod validate;
#[cfg(feature = "ws")]
pub mod ws;

/// Server-sent events: axum's `Sse` response, its `Event`s and `KeepAlive`.
pub mod sse {
    pub use axum::response::sse::{Event, KeepAlive, Sse};
}

pub use app::App;
pub use catcher::{CatchRequest, Catcher, FromCatch};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use db::Db;
pub use error::{Error, ErrorMessage, Result};
pub use form::{Form, Query};
pub use kiln_macros::{
    Validate, catch, catchers, delete, get, head, middleware, migrations, options, page, patch,
    post, put, resource, route, routes,
};
pub use launch::{LaunchError, Problem, ProblemKind};
pub use page::Template;
pub use pipeline::AppState;
pub use response::{Html, Json, Redirect, Text, safe_next};
pub use routing::{Methods, Routes};
pub use security::SecurityHeaders;
pub use security::csrf::CsrfToken;
pub use sentinel::{Registry, Sentinel};
pub use server::Server;
pub use session::Session;
pub use state::{Managed, State};
pub use testing::{TestClient, TestRequest, TestResponse};
pub use uri::UriArg;
pub use validate::{Checked, FieldErrors, Valid, Validate, Validated};

/// askama, which `#[page]` templates compile with.
pub use askama;
pub use axum;
/// schemars, whose `#[derive(JsonSchema)]` gives the OpenAPI document its schemas.
pub use schemars;
/// Derives a type's JSON Schema, for the OpenAPI document (schemars' derive).
pub use schemars::JsonSchema;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sqlx;
pub use tower_http;
/// validator, whose rules `#[derive(Validate)]` checks.
pub use validator;

/// A path relative to the calling crate's folder (where its `Cargo.toml` is), fixed
/// at compile time: `kiln::relative!("static")`. Handy for `App::static_files` in
/// `cargo run`, whatever the working directory.
#[macro_export]
macro_rules! relative {
    ($path:literal) => {
        ::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", $path)
    };
}

/// Everything a kiln application uses: `use kiln::prelude::*;`.
pub mod prelude {
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub use crate::Db;
    pub use crate::middleware::Middleware;
    pub use crate::middleware::Next;
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub use crate::orm::{Backend, Database, ForeignKey, Id, Migration, Migrations, Schema, Table};
    pub use crate::page::Template;
    pub use crate::sse::{Event, KeepAlive, Sse};
    #[cfg(feature = "ws")]
    pub use crate::ws::{Message, WebSocket, WebSocketUpgrade};
    pub use crate::{
        App, CsrfToken, Error, Html, Json, Redirect, Result, Routes, Session, State, TestClient,
        Text, catch, catchers, delete, get, head, middleware, options, page, patch, post, put,
        resource, route, routes,
    };
    pub use crate::{Checked, ErrorMessage, Form, Query, Valid, Validate};
    pub use axum::extract::Request;
    pub use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
    pub use axum::response::{IntoResponse, Response};
    pub use futures_util::Stream;
    pub use schemars::{self, JsonSchema};
}

/// What generated code names, so it works under any import style. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::catcher::{CatchRequest, Catcher, CatcherInfo, FromCatch};
    pub use crate::checks::{assert_distinct_catchers, assert_no_collision};
    pub use crate::extract::{
        Extract, Finish, ParseParam, PathParam, path_params, query_optional, query_required,
        query_values,
    };
    pub use crate::middleware::Next;
    pub use crate::middleware::checks::{
        MiddlewareNext, MiddlewareRequest, ViaBuiltin, ViaFn, ViaMiddleware, middleware_next,
        middleware_request,
    };
    pub use crate::openapi::{
        Find, FindAnyBody, FindBody, FindInput, FindNoInput, FindNoOutput, FindNoSchema,
        FindOutput, FindSchema, Operation, page_response,
    };
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub use crate::orm::__private as orm;
    pub use crate::page::render_page;
    pub use crate::pipeline::{AppState, Endpoint};
    pub use crate::routing::{Methods, RouteInfo, Routes, push_route};
    pub use crate::sentinel::{Checks, Probe, ProbeBody, ProbeNone, ProbeSentinel};
    pub use crate::uri::UriArg;
    pub use crate::validate::__private as validate;
    pub use axum::extract::Request;
    pub use axum::response::{IntoResponse, Response};
    pub use futures_util::future::BoxFuture;
    pub use kiln_route::{Part, Shape};
    pub use std::borrow::Cow;
    pub use std::boxed::Box;
    pub use std::option::Option::{self, None, Some};
    pub use std::result::Result::{self, Err, Ok};
    pub use std::str::FromStr;
    pub use std::string::String;
    pub use std::vec::Vec;

    /// Checks, at the user's return type, that a handler's result is a response.
    pub fn into_response<R: IntoResponse>(r: R) -> Response {
        r.into_response()
    }

    /// A catcher made by `#[catch]`.
    pub fn catcher(
        info: &'static CatcherInfo,
        needs_headers: bool,
        handler: fn(CatchRequest) -> BoxFuture<'static, Response>,
    ) -> Catcher {
        Catcher::new(info, needs_headers, handler)
    }
}
