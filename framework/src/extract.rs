//! How generated handlers read their arguments: path parameters by `FromStr`, query
//! parameters by name, and every other argument as an axum extractor.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, Visitor};

use crate::error::{Error, mark};

/// Marks an extractor that reads only the request head.
#[doc(hidden)]
pub enum ViaParts {}

/// Marks an extractor that consumes the request body.
#[doc(hidden)]
pub enum ViaBody {}

/// A handler argument that is not a path or query parameter: any axum extractor.
///
/// kiln runs the extractors that read only the request head first, in argument order,
/// and the one that reads the body (if any) last, wherever it stands in the list.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be a handler argument",
    label = "not an extractor, and not named after a `<param>` of the route",
    note = "an argument binds a path or query parameter when its name matches `<name>` in the route; any other argument must implement axum's `FromRequestParts` or `FromRequest` (like `Json<T>`, `Form<T>`, `HeaderMap`, `State<T>`, `Db`)"
)]
pub trait Extract<S, M>: Sized + Send {
    /// What the first pass leaves for the second.
    type Stage: Finish<S, Output = Self> + Send;
    /// First pass: head-only extractors run here; the body one waits.
    fn prepare(
        parts: &mut Parts,
        state: &S,
    ) -> impl Future<Output = Result<Self::Stage, Response>> + Send;
}

/// The second pass of an extraction. Generated code calls it on the stage value
/// alone, so a type that is no extractor is reported once, by [`Extract`].
pub trait Finish<S>: Sized {
    /// The extracted argument.
    type Output;
    /// Finishes, taking the request (rebuilt from its head and body) if it needs it.
    fn finish(
        self,
        rest: &mut Option<Request>,
        state: &S,
    ) -> impl Future<Output = Result<Self::Output, Response>> + Send;
}

/// A head-only extractor's value, ready after the first pass.
#[doc(hidden)]
pub struct Ready<T>(T);

/// A body extractor, waiting for the second pass.
#[doc(hidden)]
pub struct Pending<T>(PhantomData<fn() -> T>);

impl<S, T> Extract<S, ViaParts> for T
where
    S: Send + Sync,
    T: FromRequestParts<S> + Send,
{
    type Stage = Ready<T>;

    async fn prepare(parts: &mut Parts, state: &S) -> Result<Ready<T>, Response> {
        T::from_request_parts(parts, state)
            .await
            .map(Ready)
            .map_err(|r| mark(r.into_response()))
    }
}

impl<S, T> Extract<S, ViaBody> for T
where
    S: Send + Sync,
    T: FromRequest<S> + Send,
{
    type Stage = Pending<T>;

    async fn prepare(_parts: &mut Parts, _state: &S) -> Result<Pending<T>, Response> {
        Ok(Pending(PhantomData))
    }
}

impl<S: Sync, T: Send> Finish<S> for Ready<T> {
    type Output = T;

    async fn finish(self, _rest: &mut Option<Request>, _state: &S) -> Result<T, Response> {
        Ok(self.0)
    }
}

impl<S: Send + Sync, T: FromRequest<S> + Send> Finish<S> for Pending<T> {
    type Output = T;

    async fn finish(self, rest: &mut Option<Request>, state: &S) -> Result<T, Response> {
        match rest.take() {
            Some(req) => T::from_request(req, state)
                .await
                .map_err(|r| mark(r.into_response())),
            None => {
                Err(Error::internal("two handler arguments read the request body").into_response())
            }
        }
    }
}

/// Parses one path parameter; generated code implements it for a local type per
/// parameter, so that a type without `FromStr` is reported once, at that type.
#[doc(hidden)]
pub trait ParseParam {
    /// The parameter's type.
    type Output;
    /// Parses the percent-decoded segment; `None` means the route does not match.
    fn parse(segment: &str) -> Option<Self::Output>;
}

/// A path parameter parsed by `P`, deserialized from axum's captures without copying.
#[doc(hidden)]
pub struct PathParam<P: ParseParam>(pub P::Output);

impl<'de, P: ParseParam> Deserialize<'de> for PathParam<P> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<P>(PhantomData<P>);
        impl<P: ParseParam> Visitor<'_> for V<P> {
            type Value = PathParam<P>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path segment")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PathParam<P>, E> {
                P::parse(v)
                    .map(PathParam)
                    .ok_or_else(|| E::custom("no match"))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

/// Reads the route's path parameters as the tuple `T` of [`PathParam`]s.
///
/// A value that does not parse means the route does not match: **404**. A value that
/// is not UTF-8 once percent-decoded is a malformed request: **400**.
#[doc(hidden)]
pub async fn path_params<T: DeserializeOwned + Send>(parts: &mut Parts) -> Result<T, Error> {
    use axum::extract::path::ErrorKind;
    match Path::<T>::from_request_parts(parts, &()).await {
        Ok(Path(t)) => Ok(t),
        Err(PathRejection::FailedToDeserializePathParams(e))
            if matches!(e.kind(), ErrorKind::InvalidUtf8InPathParam { .. }) =>
        {
            Err(Error::bad_request(
                "path is not valid UTF-8 once percent-decoded",
            ))
        }
        Err(_) => Err(Error::not_found()),
    }
}

/// Decodes one `application/x-www-form-urlencoded` component strictly: `+` is a space,
/// `%XX` a byte, and the result must be UTF-8.
pub(crate) fn decode_component(raw: &str) -> Result<Cow<'_, str>, ()> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Ok(Cow::Borrowed(raw));
    }
    let spaced: Cow<'_, str> = if raw.contains('+') {
        Cow::Owned(raw.replace('+', " "))
    } else {
        Cow::Borrowed(raw)
    };
    let decoded = percent_decode_str(&spaced).decode_utf8().map_err(|_| ())?;
    Ok(Cow::Owned(decoded.into_owned()))
}

/// Finds the named parameters in a query string, first occurrence winning.
#[doc(hidden)]
pub fn query_values<'q, const N: usize>(
    query: Option<&'q str>,
    names: [&str; N],
) -> Result<[Option<Cow<'q, str>>; N], Error> {
    let mut out: [Option<Cow<'q, str>>; N] = std::array::from_fn(|_| None);
    let Some(query) = query else { return Ok(out) };
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let Ok(key) = decode_component(raw_key) else {
            continue;
        };
        let Some(i) = names.iter().position(|n| *n == key) else {
            continue;
        };
        if out[i].is_some() {
            continue;
        }
        match decode_component(raw_value) {
            Ok(v) => out[i] = Some(v),
            Err(()) => {
                return Err(Error::bad_request(format!(
                    "query parameter `{}` is not valid UTF-8 once percent-decoded",
                    names[i]
                )));
            }
        }
    }
    Ok(out)
}

/// A required query parameter: missing or unparsable answers **400** naming it.
#[doc(hidden)]
pub fn query_required<T: FromStr>(name: &str, value: Option<Cow<'_, str>>) -> Result<T, Error> {
    match value {
        None => Err(Error::bad_request(format!(
            "missing query parameter `{name}`"
        ))),
        Some(v) => T::from_str(&v)
            .map_err(|_| Error::bad_request(format!("invalid value for query parameter `{name}`"))),
    }
}

/// An optional query parameter: missing (or empty, when `T` can't be empty) is `None`;
/// a value that does not parse answers **400** naming it.
#[doc(hidden)]
pub fn query_optional<T: FromStr>(
    name: &str,
    value: Option<Cow<'_, str>>,
) -> Result<Option<T>, Error> {
    match value {
        None => Ok(None),
        Some(v) => match T::from_str(&v) {
            Ok(t) => Ok(Some(t)),
            Err(_) if v.is_empty() => Ok(None),
            Err(_) => Err(Error::bad_request(format!(
                "invalid value for query parameter `{name}`"
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_decode_strictly() {
        let [q, page] = query_values(Some("q=a+b%21&page=2&q=ignored"), ["q", "page"]).unwrap();
        assert_eq!(q.as_deref(), Some("a b!"));
        assert_eq!(page.as_deref(), Some("2"));
        let [q] = query_values(Some("x=1&flag&%71=enc"), ["q"]).unwrap();
        assert_eq!(q.as_deref(), Some("enc"));
        let [missing] = query_values(None, ["q"]).unwrap();
        assert!(missing.is_none());
        let err = query_values(Some("q=%C3%28"), ["q"]).unwrap_err();
        assert_eq!(err.status_code(), 400);
        // Invalid bytes in a parameter nobody asked for are ignored.
        assert!(query_values(Some("other=%FF&q=1"), ["q"]).is_ok());
    }

    #[test]
    fn required_and_optional_parameters() {
        assert_eq!(query_required::<u32>("page", Some("3".into())).unwrap(), 3);
        assert_eq!(
            query_required::<u32>("page", None)
                .unwrap_err()
                .status_code(),
            400
        );
        assert_eq!(
            query_required::<u32>("page", Some("x".into()))
                .unwrap_err()
                .status_code(),
            400
        );
        assert_eq!(query_optional::<u32>("page", None).unwrap(), None);
        assert_eq!(
            query_optional::<u32>("page", Some("".into())).unwrap(),
            None
        );
        assert_eq!(
            query_optional::<String>("q", Some("".into())).unwrap(),
            Some(String::new())
        );
        assert_eq!(
            query_optional::<u32>("page", Some("-1".into()))
                .unwrap_err()
                .status_code(),
            400
        );
    }
}
