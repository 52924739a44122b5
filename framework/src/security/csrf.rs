//! Cross-site request forgery protection, on by default: an unsafe request that a
//! browser says comes from another site is refused (Go's `CrossOriginProtection`),
//! and a form body must carry the session's token (Django's `csrf_token`).

use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::session::Session;

/// The form field carrying the token.
pub const CSRF_FIELD: &str = "csrf_token";

/// The header carrying the token (for scripts and non-form bodies).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Whether `method` changes state, so needs the checks: anything but `GET`, `HEAD`,
/// `OPTIONS` and `TRACE`.
pub(crate) fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The kind of body a browser form can send across sites without a preflight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormKind {
    UrlEncoded,
    Multipart,
    Text,
}

/// The body's form kind, if it is one a cross-site form could send.
pub(crate) fn form_kind(headers: &HeaderMap) -> Option<FormKind> {
    let ct = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = ct.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Some(FormKind::UrlEncoded),
        "multipart/form-data" => Some(FormKind::Multipart),
        "text/plain" => Some(FormKind::Text),
        _ => None,
    }
}

/// The origin check: `Err` with the client's message when the browser says the
/// request comes from another site.
pub(crate) fn check_origin(headers: &HeaderMap, trusted: &[String]) -> Result<(), &'static str> {
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let is_trusted = |o: &str| trusted.iter().any(|t| t.eq_ignore_ascii_case(o));
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => Ok(()),
            _ if origin.is_some_and(is_trusted) => Ok(()),
            _ => Err("cross-site request refused (CSRF)"),
        };
    }
    let Some(origin) = origin else {
        // Not a browser, or one too old to say: the token check still applies to forms.
        return Ok(());
    };
    if is_trusted(origin) {
        return Ok(());
    }
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .filter(|rest| !rest.contains('/'));
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err("cross-origin request refused (CSRF)"),
    }
}

/// Whether `sent` is the session's `expected` token, compared in constant time.
pub(crate) fn token_matches(sent: &str, expected: &str) -> bool {
    sent.len() == expected.len() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
}

/// The token in a form body, if there is one.
pub(crate) fn token_in_body(kind: FormKind, body: &[u8]) -> Option<String> {
    match kind {
        FormKind::UrlEncoded => form_urlencoded_field(body),
        // Browsers send `text/plain` forms as `name=value` lines, unescaped.
        FormKind::Text => std::str::from_utf8(body).ok()?.lines().find_map(|line| {
            line.strip_prefix(CSRF_FIELD)
                .and_then(|rest| rest.strip_prefix('='))
                .map(|v| v.trim_end_matches('\r').to_string())
        }),
        FormKind::Multipart => None,
    }
}

/// The token in a `multipart/form-data` body (already read, so bounded by the body
/// limit), parsed with `multer`.
pub(crate) async fn token_in_multipart(headers: &HeaderMap, body: bytes::Bytes) -> Option<String> {
    let ct = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let boundary = multer::parse_boundary(ct).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(CSRF_FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

fn form_urlencoded_field(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v)
}

/// Why a request was refused by the CSRF checks, as a 403.
pub(crate) fn refusal(message: &'static str) -> Error {
    Error::status(StatusCode::FORBIDDEN, message)
}

/// The session's CSRF token, for forms: in a `#[page]` template `{{ csrf }}` writes
/// the hidden `<input name="csrf_token">`, and [`value`](CsrfToken::value) is the
/// token itself (for a `x-csrf-token` header sent by a script).
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// The token.
    pub fn value(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is URL-safe base64: nothing in it needs escaping.
        write!(
            f,
            r#"<input type="hidden" name="{CSRF_FIELD}" value="{}">"#,
            self.0
        )
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfToken(..)")
    }
}

/// `{{ csrf }}` is markup kiln wrote (a hidden input with a base64 token), not user text.
impl askama::filters::HtmlSafe for CsrfToken {}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<CsrfToken> {
        let session = Session::from_request_parts(parts, state).await?;
        let token = session.lock().csrf_token();
        Ok(CsrfToken(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_origin_check_follows_the_browser() {
        let trusted = vec!["https://pay.example".to_string()];
        let ok = |h: &[(&'static str, &'static str)]| check_origin(&headers(h), &trusted).is_ok();
        assert!(ok(&[]), "no browser headers: left to the token check");
        assert!(ok(&[("sec-fetch-site", "same-origin")]));
        assert!(ok(&[("sec-fetch-site", "none")]));
        assert!(!ok(&[("sec-fetch-site", "cross-site")]));
        assert!(!ok(&[("sec-fetch-site", "same-site")]));
        assert!(ok(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://pay.example")
        ]));
        assert!(ok(&[
            ("host", "books.test"),
            ("origin", "https://books.test")
        ]));
        assert!(!ok(&[
            ("host", "books.test"),
            ("origin", "https://evil.example")
        ]));
        assert!(!ok(&[("host", "books.test"), ("origin", "null")]));
        assert!(ok(&[("host", "x"), ("origin", "https://pay.example")]));
    }

    #[test]
    fn tokens_are_found_in_form_bodies() {
        let body = b"title=Dune&csrf_token=abc%2Bd&x=1";
        assert_eq!(
            token_in_body(FormKind::UrlEncoded, body).as_deref(),
            Some("abc+d")
        );
        assert_eq!(token_in_body(FormKind::UrlEncoded, b"title=x"), None);
        let text = b"title=Dune\r\ncsrf_token=abc\r\n";
        assert_eq!(token_in_body(FormKind::Text, text).as_deref(), Some("abc"));
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abd", "abc"));
        assert!(!token_matches("ab", "abc"));
    }
}
