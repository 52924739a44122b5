//! Pages: askama templates checked at compile time, answered as HTML.
//!
//! ```
//! use kiln::prelude::*;
//!
//! #[page(source = "<h1>{{ title }}</h1><p>Hello, {{ name }}!</p>")]
//! struct Home {
//!     title: String,
//!     name: String,
//! }
//!
//! #[get("/")]
//! async fn home() -> Home {
//!     Home { title: "Books".into(), name: "<Kay>".into() }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let res = TestClient::new(App::new().mount("/", routes![home])).get("/").await;
//! assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
//! assert_eq!(res.text(), "<h1>Books</h1><p>Hello, &#60;Kay&#62;!</p>");
//! # });
//! ```
//!
//! `#[page("home.html")]` reads `templates/home.html` from the crate's folder (next to
//! its `Cargo.toml`), with askama's syntax: `{% extends "layout.html" %}` and
//! `{% block %}` layouts, `{% include %}`, loops, conditions and filters. Values are
//! HTML-escaped in `.html` templates unless marked `|safe`. A name the template uses
//! that the struct lacks, or a template file that does not exist, fails to compile;
//! editing a template rebuilds the crate.
//!
//! Outside a handler, `page.render()` (askama's [`Template`] trait, in the prelude)
//! gives the HTML as a `String`.

use axum::response::{Html, IntoResponse, Response};

pub use askama::Template;

use crate::error::Error;

/// Renders a page into a response: 200 HTML, or a logged 500 if rendering fails.
#[doc(hidden)]
pub fn render_page<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => Error::internal(format!(
            "rendering template `{}` failed: {e}",
            std::any::type_name::<T>()
        ))
        .into_response(),
    }
}
