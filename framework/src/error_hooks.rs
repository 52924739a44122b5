//! Where kiln's own error types (the ORM's, the database driver's) are given their HTTP
//! status when converted into [`kiln::Error`](crate::Error) with `?`.

use std::any::Any;

use axum::http::StatusCode;

/// The status and client message for a known error type, or `None` for a plain 500.
pub(crate) fn classify(err: &(dyn Any + Send + Sync)) -> Option<(StatusCode, Option<String>)> {
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
