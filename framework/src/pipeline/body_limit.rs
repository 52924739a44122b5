//! The request body limit, enforced before the handler runs.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

/// What a body over the limit answers.
pub(crate) const TOO_LARGE: &str = "request body too large";

/// Enforces the app's body limit before the handler runs: a body whose length is
/// known (hyper knows it from `Content-Length`) and too long answers **413** at once;
/// a streamed body of unknown length is cut off at the limit while it is read (and
/// the extractor reading it answers 413, see `crate::convert`). Ordinary requests (no
/// body, or a short known one) cost nothing. Returns whether the request may go on;
/// if not, [`too_large`] is the answer.
#[inline]
pub(crate) fn limit_body(req: &mut Request, limit: usize) -> bool {
    use axum::body::HttpBody as _;
    let hint = req.body().size_hint();
    match hint.exact() {
        Some(n) => n <= limit as u64,
        None => {
            if hint.upper().is_none_or(|upper| upper > limit as u64) {
                let body = std::mem::take(req.body_mut());
                *req.body_mut() = axum::body::Body::new(http_body_util::Limited::new(body, limit));
            }
            true
        }
    }
}

/// The answer to a body over the limit.
#[cold]
pub(crate) fn too_large() -> Response {
    Error::status(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE).into_response()
}

/// Whether `err` (or what caused it) is a body read past the limit.
pub(crate) fn is_over_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(err);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}
