//! Where kiln's own error types (the ORM's, the database driver's) are given their HTTP
//! status when converted into [`kiln::Error`](crate::Error) with `?`.

use std::any::Any;

use axum::http::StatusCode;

/// The status and client message for a known error type, or `None` for a plain 500.
pub(crate) fn classify(_err: &(dyn Any + Send + Sync)) -> Option<(StatusCode, Option<String>)> {
    None
}
