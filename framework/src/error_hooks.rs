//! Where kiln's own error types (the ORM's, the database driver's) are given their HTTP
//! status when converted into [`kiln::Error`](crate::Error) with `?`.

use std::any::Any;

use axum::http::StatusCode;

/// The status and client message for a known error type, or `None` for a plain 500.
///
/// ORM errors: missing row 404, unique or foreign-key violation 409, invalid value 400,
/// busy / pool timed out / unavailable 503, disk full 507, anything else 500. A raw
/// `sqlx::Error` maps the same way. The message (4xx only) never holds SQL or driver text.
pub(crate) fn classify(err: &(dyn Any + Send + Sync)) -> Option<(StatusCode, Option<String>)> {
    if let Some(e) = err.downcast_ref::<crate::orm::Error>() {
        return Some(crate::orm::classify_orm(e));
    }
    if let Some(e) = err.downcast_ref::<sqlx::Error>() {
        return Some(crate::orm::classify_sqlx(e));
    }
    None
}

/// Seconds for a `Retry-After` header on the response to a known error type (database
/// busy, pool timed out, database unavailable: all 503).
///
/// `From<E> for kiln::Error` (in error.rs) should call this next to [`classify`] and add
/// the header with `Error::with_header(RETRY_AFTER, ..)`; until it does, only responses
/// built from `kiln::orm::Error`'s own `IntoResponse` carry the header.
#[allow(dead_code)]
pub(crate) fn retry_after(err: &(dyn Any + Send + Sync)) -> Option<u32> {
    if let Some(e) = err.downcast_ref::<crate::orm::Error>() {
        return e.retry_after();
    }
    if let Some(e) = err.downcast_ref::<sqlx::Error>() {
        return crate::orm::sqlx_retry_after(e);
    }
    None
}
