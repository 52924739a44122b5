//! What generated code and `Wrap`'s impls name: argument checks for
//! `#[middleware]` functions and the markers that keep `Wrap`'s impls apart.
//! Reached through `kiln::__private`; not public API.

use super::Next;
use axum::extract::Request;

/// Marks [`Middleware`](super::Middleware) types for [`Wrap`](super::Wrap).
pub enum ViaMiddleware {}

/// Marks function middleware for [`Wrap`](super::Wrap).
pub enum ViaFn {}

/// Marks kiln's built-in middleware for [`Wrap`](super::Wrap).
pub enum ViaBuiltin {}

/// The first argument of a `#[middleware]` function: the request.
#[diagnostic::on_unimplemented(
    message = "a middleware's first argument must be the `Request`, not `{Self}`",
    note = "write `async fn name(req: Request, next: Next) -> Response`"
)]
pub trait MiddlewareRequest {}

impl MiddlewareRequest for Request {}

/// The second argument of a `#[middleware]` function: what comes next.
#[diagnostic::on_unimplemented(
    message = "a middleware's second argument must be `Next`, not `{Self}`",
    note = "write `async fn name(req: Request, next: Next) -> Response`"
)]
pub trait MiddlewareNext {}

impl MiddlewareNext for Next {}

/// Checks a `#[middleware]` function's first argument type. Used by generated code.
pub fn middleware_request<T: MiddlewareRequest>() {}

/// Checks a `#[middleware]` function's second argument type. Used by generated code.
pub fn middleware_next<T: MiddlewareNext>() {}
