//! Response types. A handler returns anything axum's `IntoResponse` accepts; these
//! cover the common cases with the right `Content-Type`.

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub use axum::Json;
pub use axum::response::Html;

use crate::error::Error;

/// Plain text: `text/plain; charset=utf-8`.
///
/// ```
/// use kiln::prelude::*;
///
/// #[get("/robots.txt")]
/// async fn robots() -> Text<&'static str> {
///     Text("User-agent: *\nDisallow:\n")
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Text<T>(pub T);

impl<T: Into<Body>> IntoResponse for Text<T> {
    fn into_response(self) -> Response {
        (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            self.0.into(),
        )
            .into_response()
    }
}

/// A redirect to another URI.
///
/// Unlike building a `Location` header by hand, a target that is not a valid header
/// value (say it holds a line break) never panics: the response is a logged 500.
/// Validate user-supplied targets before redirecting to them.
///
/// ```
/// use kiln::prelude::*;
///
/// #[post("/books")]
/// async fn create() -> Redirect {
///     Redirect::to("/books/1")
/// }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Redirect does nothing unless returned"]
pub struct Redirect {
    status: StatusCode,
    location: Result<HeaderValue, String>,
}

impl Redirect {
    fn with(status: StatusCode, uri: &str) -> Redirect {
        Redirect {
            status,
            location: HeaderValue::try_from(uri).map_err(|_| uri.escape_debug().to_string()),
        }
    }

    /// **303 See Other**: the client fetches `uri` with `GET` (after a form post, say).
    pub fn to(uri: impl AsRef<str>) -> Redirect {
        Redirect::with(StatusCode::SEE_OTHER, uri.as_ref())
    }

    /// **307 Temporary Redirect**: the client repeats the same method and body at `uri`.
    pub fn temporary(uri: impl AsRef<str>) -> Redirect {
        Redirect::with(StatusCode::TEMPORARY_REDIRECT, uri.as_ref())
    }

    /// **308 Permanent Redirect**: the resource moved to `uri` for good.
    pub fn permanent(uri: impl AsRef<str>) -> Redirect {
        Redirect::with(StatusCode::PERMANENT_REDIRECT, uri.as_ref())
    }

    /// **302 Found**: the classic redirect, for clients that need it.
    pub fn found(uri: impl AsRef<str>) -> Redirect {
        Redirect::with(StatusCode::FOUND, uri.as_ref())
    }

    /// The status this redirect answers with.
    pub fn status_code(&self) -> StatusCode {
        self.status
    }

    /// The target, if it is a valid header value.
    pub fn location(&self) -> Option<&str> {
        self.location.as_ref().ok().and_then(|v| v.to_str().ok())
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        match self.location {
            Ok(location) => (self.status, [(LOCATION, location)]).into_response(),
            Err(uri) => Error::internal(format!(
                "redirect target is not a valid header value: \"{uri}\""
            ))
            .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_set_status_and_location() {
        let res = Redirect::to("/x").into_response();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[LOCATION], "/x");
        assert_eq!(
            Redirect::permanent("/y").into_response().status(),
            StatusCode::PERMANENT_REDIRECT
        );
    }

    #[test]
    fn a_crlf_target_is_a_500_not_a_panic() {
        let r = Redirect::to("http://a\r\nSet-Cookie: x=1");
        assert_eq!(r.location(), None);
        let res = r.into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.headers().get(LOCATION).is_none());
    }

    #[test]
    fn text_is_plain_utf8() {
        let res = Text("hi").into_response();
        assert_eq!(res.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
    }
}
