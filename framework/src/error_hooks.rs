//! Where kiln's own error types (the ORM's, the database driver's, a body over the
//! limit) are given their HTTP status when converted into [`kiln::Error`](crate::Error)
//! with `?`.

use std::any::Any;

use axum::http::StatusCode;

/// The status and client message for a known error type, or `None` for a plain 500.
///
/// ORM errors: missing row 404, unique or foreign-key violation 409, invalid value 400,
/// busy / pool timed out / unavailable 503, disk full 507, anything else 500. A raw
/// `sqlx::Error` maps the same way. The message (4xx only) never holds SQL or driver text.
/// A request body read past the app's limit is a 413.
pub(crate) fn classify(err: &(dyn Any + Send + Sync)) -> Option<(StatusCode, Option<String>)> {
    if let Some(e) = err.downcast_ref::<crate::orm::Error>() {
        return Some(crate::orm::classify_orm(e));
    }
    if let Some(e) = err.downcast_ref::<sqlx::Error>() {
        return Some(crate::orm::classify_sqlx(e));
    }
    // A body read past the app's limit (kiln wraps streamed bodies in `Limited`).
    if let Some(e) = err.downcast_ref::<axum::Error>() {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if s.is::<http_body_util::LengthLimitError>() {
                return Some((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Some("request body too large".to_string()),
                ));
            }
            source = s.source();
        }
    }
    None
}

/// Seconds for a `Retry-After` header on the response to a known error type (database
/// busy, pool timed out, database unavailable: all 503).
pub(crate) fn retry_after(err: &(dyn Any + Send + Sync)) -> Option<u32> {
    if let Some(e) = err.downcast_ref::<crate::orm::Error>() {
        return e.retry_after();
    }
    if let Some(e) = err.downcast_ref::<sqlx::Error>() {
        return crate::orm::sqlx_retry_after(e);
    }
    None
}
