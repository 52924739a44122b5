//! How any error becomes a [`kiln::Error`](crate::Error) with `?`: well-known error
//! types get their proper status (axum's rejections, a body over the limit, and with
//! a database backend the ORM's and the driver's errors, see `crate::db`); everything
//! else is a logged 500 that tells the client nothing.
//!
//! This sits above both `error` and `db`, so that neither imports the other.

use std::any::Any;
use std::borrow::Cow;
use std::error::Error as StdError;

use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;

use crate::error::{Error, Known};
use crate::pipeline::body_limit;

/// Maps well-known error types to their proper status; `None` is a plain 500.
fn classify(err: &(dyn Any + Send + Sync)) -> Option<Known> {
    use axum::extract::rejection::{
        BytesRejection, FormRejection, JsonRejection, PathRejection, QueryRejection,
        StringRejection,
    };
    // A client that hung up or reset while its body was being read: its doing, not a
    // server failure (so not logged as one), and it never sees the answer anyway.
    if let Some(e) = err.downcast_ref::<axum::Error>()
        && client_gone(e)
    {
        return Some(Known::new(
            StatusCode::BAD_REQUEST,
            Some("the request body was cut off".to_string()),
        ));
    }
    if let Some(e) = err.downcast_ref::<BytesRejection>() {
        return Some(Known::new(e.status(), Some(e.body_text())));
    }
    if let Some(e) = err.downcast_ref::<StringRejection>() {
        return Some(Known::new(e.status(), Some(e.body_text())));
    }
    if let Some(e) = err.downcast_ref::<JsonRejection>() {
        return Some(Known::new(e.status(), Some(e.body_text())));
    }
    if let Some(e) = err.downcast_ref::<FormRejection>() {
        return Some(Known::new(e.status(), Some(e.body_text())));
    }
    if let Some(e) = err.downcast_ref::<QueryRejection>() {
        return Some(Known::new(e.status(), Some(e.body_text())));
    }
    if let Some(e) = err.downcast_ref::<PathRejection>() {
        return Some(Known::new(e.status(), Some(e.body_text())));
    }
    // A body read past the app's limit (the pipeline wraps streamed bodies in `Limited`).
    if let Some(e) = err.downcast_ref::<axum::Error>()
        && body_limit::is_over_limit(e)
    {
        return Some(Known::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some(body_limit::TOO_LARGE.to_string()),
        ));
    }
    // A body that went quiet past the server's body idle timeout.
    if let Some(e) = err.downcast_ref::<axum::Error>()
        && is_body_idle(e)
    {
        return Some(Known::new(
            StatusCode::REQUEST_TIMEOUT,
            Some("the request body took too long to arrive".to_string()),
        ));
    }
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    if let Some(known) = crate::db::classify(err) {
        return Some(known);
    }
    None
}

/// Whether `err` (or what caused it) says the client went away mid-body: an incomplete
/// message, a reset or closed connection.
fn client_gone(err: &(dyn StdError + 'static)) -> bool {
    let mut source = Some(err);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_canceled() || h.is_closed())
        {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return true;
            }
        }
        source = s.source();
    }
    false
}

/// Whether `err` (or what caused it) is the body idle timeout's.
fn is_body_idle(err: &(dyn StdError + 'static)) -> bool {
    let mut source = Some(err);
    while let Some(s) = source {
        if s.is::<crate::middleware::BodyIdle>() {
            return true;
        }
        source = s.source();
    }
    false
}

impl<E: StdError + Send + Sync + 'static> From<E> for Error {
    fn from(err: E) -> Error {
        let known = classify(&err);
        let (status, message, retry) = match known {
            Some(k) => (k.status, k.message, k.retry_after),
            None => (StatusCode::INTERNAL_SERVER_ERROR, None, None),
        };
        let error = Error::build(status, message.map(Cow::Owned), Some(Box::new(err)));
        match retry {
            // A busy database or an exhausted pool: tell the client when to come back.
            Some(seconds) => error.with_header(RETRY_AFTER, seconds.to_string()),
            None => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_errors_become_500_without_leaking() {
        let err: Error = "x".parse::<i64>().unwrap_err().into();
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.public_text(), "Internal Server Error");
        assert!(err.to_string().contains("invalid digit"));
    }
}
