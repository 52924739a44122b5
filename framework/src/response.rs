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

    /// **303 See Other** to `next` (a `?next=` parameter) if it is a path on this site,
    /// else to `/`: see [`safe_next`].
    pub fn to_next(next: Option<&str>) -> Redirect {
        Redirect::to(next.map_or("/", safe_next))
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
            // CR, LF and other bytes a header can't hold come from the client (a target
            // typed into a form, a `?next=`): the client's mistake, and never a header.
            Err(uri) => {
                tracing::debug!(target = %uri, "redirect target refused");
                Error::bad_request("invalid redirect target").into_response()
            }
        }
    }
}

/// `next` if it is a path on this site (`/books?page=2`), else `"/"`: for a `?next=`
/// parameter, so a link cannot send users to another site after login (an open
/// redirect). Refused: other hosts and schemes (`https://evil.com`, `//evil.com`,
/// `javascript:..`), backslash tricks browsers read as `//` (`/\evil.com`,
/// `\\evil.com`), control characters (browsers drop tabs and newlines, so
/// `/\t/evil.com` would be `//evil.com`), and leading spaces.
pub fn safe_next(next: &str) -> &str {
    let bytes = next.as_bytes();
    let local = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && !bytes.iter().any(|&b| b == b'\\' || b < 0x20 || b == 0x7f);
    if local { next } else { "/" }
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
    fn a_crlf_target_is_a_400_not_a_panic() {
        for target in ["http://a\r\nSet-Cookie: x=1", "http://a%0d%0a\nx", "/a\0b"] {
            let r = Redirect::to(target);
            assert_eq!(r.location(), None);
            let res = r.into_response();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{target:?}");
            assert!(res.headers().get(LOCATION).is_none());
        }
    }

    #[test]
    fn safe_next_keeps_local_paths_only() {
        for ok in [
            "/",
            "/books",
            "/books?page=2&q=a%20b",
            "/a/b#top",
            "/%2F%2Fevil.com",
        ] {
            assert_eq!(safe_next(ok), ok);
        }
        // Django's bad-URL list (tests/utils_tests/test_http.py) and the backslash tricks.
        for bad in [
            "http://example.com",
            "http:///example.com",
            "https://example.com",
            "ftp://example.com",
            r"\\example.com",
            r"\\\example.com",
            r"/\\/example.com",
            r"\\\\example.com",
            r"\\//example.com",
            r"/\/example.com",
            r"\/example.com",
            r"/\example.com",
            "http:example.com",
            "http:/example.com",
            "http:\\/example.com",
            "http:\\\\example.com",
            "javascript:alert(\"XSS\")",
            "\njavascript:alert(x)",
            "\x08//example.com",
            r"http://otherserver\@example.com",
            r"http:\\testserver\@example.com",
            r"http://testserver\me:pass@example.com",
            r"http://testserver\@example.com",
            r"http:\\testserver\confirm\me@example.com",
            "http:999999999",
            "ftp:9999999999",
            "\n",
            "http://[2001:cdba:0000:0000:0000:0000:3257:9652/",
            "//evil.com",
            "/\t/evil.com",
            " /x",
            "",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
        let res = Redirect::to_next(Some("//evil.com")).into_response();
        assert_eq!(res.headers()[LOCATION], "/");
        let res = Redirect::to_next(Some("/books/1")).into_response();
        assert_eq!(res.headers()[LOCATION], "/books/1");
        assert_eq!(Redirect::to_next(None).location(), Some("/"));
    }

    #[test]
    fn text_is_plain_utf8() {
        let res = Text("hi").into_response();
        assert_eq!(res.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
    }
}
