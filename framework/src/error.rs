//! kiln's error type: an HTTP status, a message for the client (4xx only) and,
//! for logs, the error that caused it.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use axum::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::launch::LaunchError;

/// `Result` with [`kiln::Error`](Error) as the default error: the return type of
/// fallible handlers and of `main`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error that answers with an HTTP status.
///
/// Any `std::error::Error` converts into it with `?`: that answers
/// **500 Internal Server Error**, logs the error, and sends the client nothing of it.
/// The constructors give other statuses; for 4xx statuses the message is sent to the
/// client as plain text, for 5xx it is only logged.
///
/// ```
/// use kiln::prelude::*;
///
/// #[get("/book/<id>")]
/// async fn book(id: i64) -> Result<String> {
///     if id > 100 {
///         return Err(Error::not_found());
///     }
///     let n: i64 = "12".parse()?; // a ParseIntError would answer 500
///     Ok(format!("book {id} of {n}"))
/// }
/// ```
///
/// Catchers (`#[catch(404)]`) render the responses these errors produce.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    status: StatusCode,
    message: Option<Cow<'static, str>>,
    source: Option<Box<dyn StdError + Send + Sync>>,
    headers: HeaderMap,
    launch: bool,
}

/// What kiln knows of an error type: its status, the message a client may see (4xx
/// only), and when a client should retry (for a `Retry-After` header).
pub(crate) struct Known {
    pub(crate) status: StatusCode,
    pub(crate) message: Option<String>,
    pub(crate) retry_after: Option<u32>,
}

impl Known {
    pub(crate) fn new(status: StatusCode, message: Option<String>) -> Known {
        Known {
            status,
            message,
            retry_after: None,
        }
    }
}

/// Marks a response kiln produced for an error, so that catchers may render it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ErrorMark;

impl Error {
    /// An error answering `status`, with `message` for the client (4xx) or the log (5xx).
    pub fn status(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Error {
        Error::build(status, Some(message.into()), None)
    }

    /// **404 Not Found**.
    pub fn not_found() -> Error {
        Error::build(StatusCode::NOT_FOUND, None, None)
    }

    /// **400 Bad Request** telling the client what was wrong.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Error {
        Error::status(StatusCode::BAD_REQUEST, message)
    }

    /// **500 Internal Server Error**; `message` is logged, never sent.
    pub fn internal(message: impl Into<Cow<'static, str>>) -> Error {
        Error::status(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// An error of `status` caused by `source`, which is logged, never sent.
    pub fn with_source(status: StatusCode, source: impl StdError + Send + Sync + 'static) -> Error {
        Error::build(status, None, Some(Box::new(source)))
    }

    pub(crate) fn build(
        status: StatusCode,
        message: Option<Cow<'static, str>>,
        source: Option<Box<dyn StdError + Send + Sync>>,
    ) -> Error {
        Error {
            inner: Box::new(Inner {
                status,
                message,
                source,
                headers: HeaderMap::new(),
                launch: false,
            }),
        }
    }

    /// An error answering `status` with its standard reason phrase.
    pub fn from_status(status: StatusCode) -> Error {
        Error::build(status, None, None)
    }

    /// The app can't start, for these reasons.
    pub(crate) fn launch(problems: impl Into<LaunchError>) -> Error {
        let launch: LaunchError = problems.into();
        let mut err = Error::build(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            Some(Box::new(launch)),
        );
        err.inner.launch = true;
        err
    }

    /// Whether this error stopped the app from starting (rather than answering a request).
    pub fn is_launch_error(&self) -> bool {
        self.inner.launch
    }

    /// Why the app can't start, if that is what this error says: every problem, typed.
    pub fn launch_error(&self) -> Option<&LaunchError> {
        if !self.inner.launch {
            return None;
        }
        self.inner.source.as_deref()?.downcast_ref::<LaunchError>()
    }

    /// Adds a header to the response, such as `Retry-After` on a 503.
    ///
    /// A value that is not a valid header value is left out (and logged).
    pub fn with_header(mut self, name: HeaderName, value: impl TryInto<HeaderValue>) -> Error {
        match value.try_into() {
            Ok(v) => {
                self.inner.headers.insert(name, v);
            }
            Err(_) => {
                tracing::warn!(header = %name, "kiln::Error::with_header: invalid header value left out")
            }
        }
        self
    }

    /// The status this error answers with.
    pub fn status_code(&self) -> StatusCode {
        self.inner.status
    }

    /// The message given to the constructor, if any.
    pub fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// The error this one was converted from, if any.
    pub fn source_error(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.inner.source.as_deref()
    }

    /// The text sent to the client: the message for 4xx, the status' reason otherwise.
    pub fn public_text(&self) -> Cow<'static, str> {
        let status = self.inner.status;
        match &self.inner.message {
            Some(m) if status.is_client_error() => m.clone(),
            _ => Cow::Borrowed(status.canonical_reason().unwrap_or("Error")),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(launch) = self.launch_error() {
            return fmt::Display::fmt(launch, f);
        }
        write!(f, "{}", self.inner.status)?;
        if let Some(m) = &self.inner.message {
            write!(f, ": {m}")?;
        }
        if let Some(s) = &self.inner.source {
            write!(f, ": {s}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `main` returning `kiln::Result` prints its error with `Debug`: a start-up
        // failure reads as the list of problems, not as a struct dump.
        if let Some(launch) = self.launch_error() {
            return fmt::Display::fmt(launch, f);
        }
        let mut d = f.debug_struct("Error");
        d.field("status", &self.inner.status);
        if let Some(m) = &self.inner.message {
            d.field("message", m);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.inner.status;
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), error = %self, "request failed");
        }
        let body = self.public_text();
        let Inner { headers, .. } = *self.inner;
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        res.headers_mut().extend(headers);
        res.extensions_mut().insert(ErrorMark);
        res
    }
}

/// Marks `res` as produced by kiln for an error, so that catchers render it.
pub(crate) fn mark(mut res: Response) -> Response {
    res.extensions_mut().insert(ErrorMark);
    res
}

/// Whether kiln produced `res` for an error.
pub(crate) fn is_marked(res: &Response) -> bool {
    res.extensions().get::<ErrorMark>().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_carry_their_message() {
        let err = Error::bad_request("missing title");
        assert_eq!(err.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(err.public_text(), "missing title");
        assert_eq!(Error::not_found().public_text(), "Not Found");
        assert_eq!(
            Error::internal("db exploded").public_text(),
            "Internal Server Error"
        );
    }

    #[test]
    fn responses_are_marked_and_plain_text() {
        let res = Error::status(StatusCode::CONFLICT, "taken")
            .with_header(axum::http::header::RETRY_AFTER, "5")
            .into_response();
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(is_marked(&res));
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
        assert_eq!(res.headers()["retry-after"], "5");
    }
}
