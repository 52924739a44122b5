//! Catchers: custom pages for the error responses kiln produces (unknown path, 405,
//! unparsable parameter, extractor rejection, a returned `kiln::Error`, a panic).
//!
//! A response a handler built itself is sent as it is; only responses kiln marked as
//! its own errors reach a catcher. This module holds the catcher types and the table
//! of catchers by status; running them is the [pipeline](crate::pipeline)'s job.

mod table;

use std::fmt;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use futures_util::future::BoxFuture;

use crate::error::{ErrorMessage, FieldErrors};

pub(crate) use table::{CatcherTable, Head};

/// What a `#[catch]` attribute knows about its catcher at compile time.
#[derive(Debug, Clone, Copy)]
pub struct CatcherInfo {
    /// The catcher function's name.
    pub name: &'static str,
    /// The status it renders, or `None` for `#[catch(default)]`.
    pub code: Option<u16>,
    /// `file!()` where it was defined.
    pub file: &'static str,
    /// `line!()` where it was defined.
    pub line: u32,
}

/// The request (and error status) a catcher renders a page for.
#[derive(Debug, Clone)]
pub struct CatchRequest {
    /// The status of the error response.
    pub status: StatusCode,
    /// The request's method.
    pub method: Method,
    /// The request's URI.
    pub uri: Uri,
    /// The request's headers (empty unless some catcher asks for them).
    pub headers: HeaderMap,
    /// The error's client-safe message (a 4xx's; empty for a 5xx).
    pub message: ErrorMessage,
    /// Each field's errors, for a 422 of [`Valid`](crate::Valid) (else empty).
    pub fields: FieldErrors,
}

/// A catcher argument: built from the failed request.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be a catcher argument",
    note = "a catcher may take `Uri`, `Method`, `HeaderMap`, `StatusCode`, `ErrorMessage` and `FieldErrors`"
)]
pub trait FromCatch: Sized {
    /// Whether it needs the request headers (kept only if some catcher does).
    const NEEDS_HEADERS: bool = false;
    /// Builds the argument.
    fn from_catch(req: &CatchRequest) -> Self;
}

impl FromCatch for StatusCode {
    fn from_catch(req: &CatchRequest) -> Self {
        req.status
    }
}

impl FromCatch for Method {
    fn from_catch(req: &CatchRequest) -> Self {
        req.method.clone()
    }
}

impl FromCatch for Uri {
    fn from_catch(req: &CatchRequest) -> Self {
        req.uri.clone()
    }
}

impl FromCatch for ErrorMessage {
    fn from_catch(req: &CatchRequest) -> Self {
        req.message.clone()
    }
}

impl FromCatch for FieldErrors {
    fn from_catch(req: &CatchRequest) -> Self {
        req.fields.clone()
    }
}

impl FromCatch for HeaderMap {
    const NEEDS_HEADERS: bool = true;
    fn from_catch(req: &CatchRequest) -> Self {
        req.headers.clone()
    }
}

/// How generated code calls a catcher.
pub(crate) type CatchFn = fn(CatchRequest) -> BoxFuture<'static, Response>;

/// One catcher, ready to register.
#[derive(Clone)]
pub struct Catcher {
    pub(crate) code: Option<u16>,
    pub(crate) name: &'static str,
    pub(crate) location: String,
    pub(crate) needs_headers: bool,
    pub(crate) handler: CatchFn,
}

impl fmt::Debug for Catcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catcher")
            .field("code", &self.code)
            .field("name", &self.name)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Catcher {
    /// A catcher made by `#[catch]` (through `kiln::__private::catcher`).
    pub(crate) fn new(
        info: &'static CatcherInfo,
        needs_headers: bool,
        handler: CatchFn,
    ) -> Catcher {
        Catcher {
            code: info.code,
            name: info.name,
            location: format!("{}:{}", info.file, info.line),
            needs_headers,
            handler,
        }
    }

    /// `code` as a readable label: `404` or `default`.
    pub(crate) fn label(&self) -> String {
        self.code
            .map_or_else(|| "default".to_string(), |c| c.to_string())
    }
}
