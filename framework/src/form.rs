//! `Form<T>` and `Query<T>`: axum's extractors of the same names, but strict about
//! encoding: a name or value that is not UTF-8 once percent-decoded is a **400**, as
//! for kiln's own `?<q>` parameters, where axum would replace the bytes with U+FFFD.

use std::ops::{Deref, DerefMut};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::extract::decode_component;
use crate::security::csrf::{FormKind, form_kind};

/// The most fields a form or query string may have (Django's
/// `DATA_UPLOAD_MAX_NUMBER_FIELDS`): more is a **400**, before any is decoded.
pub const MAX_FIELDS: usize = 1000;

/// Checks that every name and value of an urlencoded string decodes to UTF-8, and that
/// there are at most [`MAX_FIELDS`] of them.
pub(crate) fn check_utf8(data: &[u8], what: &'static str) -> Result<(), Error> {
    let text = std::str::from_utf8(data).map_err(|_| invalid(what))?;
    if text
        .split('&')
        .filter(|p| !p.is_empty())
        .nth(MAX_FIELDS)
        .is_some()
    {
        return Err(Error::bad_request(format!(
            "too many fields (at most {MAX_FIELDS})"
        )));
    }
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if decode_component(name).is_err() || decode_component(value).is_err() {
            return Err(invalid(what));
        }
    }
    Ok(())
}

fn invalid(what: &'static str) -> Error {
    Error::bad_request(match what {
        "form" => "form data is not valid UTF-8 once percent-decoded",
        _ => "query string is not valid UTF-8 once percent-decoded",
    })
}

/// A form: the urlencoded body of a `POST` (or the query string of a `GET`),
/// deserialized into `T`. A body of another type is **415**, one that does not fit
/// `T` is **422**, invalid UTF-8 is **400**.
///
/// ```
/// use kiln::prelude::*;
///
/// #[derive(serde::Deserialize)]
/// struct Login { user: String }
///
/// #[post("/login")]
/// async fn login(Form(f): Form<Login>) -> String {
///     format!("hello {}", f.user)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            let query = req.uri().query().unwrap_or_default().as_bytes();
            check_utf8(query, "form")?;
            return serde_urlencoded::from_bytes(query)
                .map(Form)
                .map_err(|e| unprocessable(&e));
        }
        let is_form = form_kind(req.headers()) == Some(FormKind::UrlEncoded);
        if !is_form {
            return Err(Error::status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a form body (`Content-Type: application/x-www-form-urlencoded`)",
            ));
        }
        let body = Bytes::from_request(req, state).await?;
        check_utf8(&body, "form")?;
        serde_urlencoded::from_bytes(&body)
            .map(Form)
            .map_err(|e| unprocessable(&e))
    }
}

fn unprocessable(e: &serde_urlencoded::de::Error) -> Error {
    Error::status(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("the form does not fit: {e}"),
    )
}

impl<T: Serialize> IntoResponse for Form<T> {
    fn into_response(self) -> Response {
        axum::Form(self.0).into_response()
    }
}

impl<T> Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Form<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// The query string deserialized into `T`: **400** if it does not fit `T` or is not
/// UTF-8 once percent-decoded.
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        let query = parts.uri.query().unwrap_or_default().as_bytes();
        check_utf8(query, "query")?;
        serde_urlencoded::from_bytes(query)
            .map(Query)
            .map_err(|e| Error::bad_request(format!("the query string does not fit: {e}")))
    }
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Query<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_utf8_passes() {
        assert!(check_utf8(b"a=1&b=caf%C3%A9+au+lait", "form").is_ok());
        assert!(check_utf8(b"q=%C3%28", "query").is_err());
        assert!(check_utf8(b"q=%FF", "form").is_err());
        assert!(check_utf8(b"%FF=1", "form").is_err());
        assert!(check_utf8(b"q=\xff", "form").is_err());
        assert!(check_utf8(b"", "form").is_ok());
        let many = vec!["a=1"; MAX_FIELDS].join("&");
        assert!(check_utf8(many.as_bytes(), "form").is_ok());
        let too_many = format!("{many}&b=2");
        let err = check_utf8(too_many.as_bytes(), "form").unwrap_err();
        assert_eq!(err.message(), Some("too many fields (at most 1000)"));
    }
}
