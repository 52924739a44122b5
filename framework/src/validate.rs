//! Forms a person can fix: validation rules on form and JSON types, [`Checked`] for
//! pages that show the form again with what was typed and each field's errors, and
//! [`Valid`] for APIs, which answers **422** with every field's errors.
//!
//! The rules are the [`validator`] crate's, declared with kiln's
//! `#[derive(Validate)]` (the same attribute language as validator's own derive, so a
//! user depends on kiln alone):
//!
//! ```
//! use kiln::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize, Serialize, Validate, Default)]
//! struct NewBook {
//!     #[validate(length(min = 1, max = 200))]
//!     title: String,
//!     #[validate(length(min = 10, max = 17))]
//!     isbn: String,
//! }
//!
//! #[post("/api/books")]
//! async fn create(Valid(Json(new)): Valid<Json<NewBook>>) -> String {
//!     new.title
//! }
//! ```

use std::collections::HashSet;
use std::fmt;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::Error;
use crate::form::{Form, Query};
use crate::security::csrf::{FormKind, form_kind};

pub use validator::Validate;

pub use crate::error::FieldErrors;

/// The messages of `errors`, field by field: each rule's message, or one made from its
/// code when it has none.
pub fn field_errors(errors: &ValidationErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    flatten(errors, "", &mut out);
    out
}

fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    for (field, kind) in errors.errors() {
        // validator names the items of a validated list `_tmp_validator`.
        let name = match (prefix, field.as_ref()) {
            (p, "_tmp_validator") => p.to_string(),
            ("", f) => f.to_string(),
            (p, f) => format!("{p}.{f}"),
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                let messages = out.entry(name).or_default();
                messages.extend(list.iter().map(message_of));
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(inner, &format!("{name}[{i}]"), out);
                }
            }
        }
    }
}

/// A rule's message, or a sentence from its code.
fn message_of(error: &ValidationError) -> String {
    match &error.message {
        Some(m) => m.to_string(),
        None => match error.code.as_ref() {
            "length" => "has the wrong length".to_string(),
            "range" => "is out of range".to_string(),
            "email" => "must be an email address".to_string(),
            "url" => "must be a URL".to_string(),
            "required" => "is required".to_string(),
            _ => "is not valid".to_string(),
        },
    }
}

/// A form (or a JSON body) read for a page that shows it again: it never rejects what
/// a person typed wrong. It keeps each value as typed, to fill the form again, and
/// each field's errors, from the type (a field that is missing or not a number) and
/// from the [`Validate`] rules.
///
/// ```
/// use kiln::prelude::*;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize, Validate, Default)]
/// struct Signup {
///     #[validate(email)]
///     email: String,
/// }
///
/// #[post("/signup")]
/// async fn signup(form: Checked<Signup>) -> (StatusCode, String) {
///     match form.valid() {
///         Some(signup) => (StatusCode::OK, format!("welcome, {}", signup.email)),
///         None => (
///             StatusCode::UNPROCESSABLE_ENTITY,
///             format!("{}: {:?}", form.value("email"), form.errors("email")),
///         ),
///     }
/// }
/// ```
///
/// In an askama template, `{{ form.value("title") }}` and
/// `{% for e in form.errors("title") %}{{ e }}{% endfor %}` are escaped like any value.
///
/// A body that is neither a form nor JSON is **415**, one over the body limit **413**,
/// a form that is not UTF-8 or JSON that does not parse **400**: those are a program's
/// mistakes, not a person's.
#[derive(Clone)]
pub struct Checked<T> {
    value: Option<T>,
    values: Vec<(String, String)>,
    errors: FieldErrors,
}

impl<T: fmt::Debug> fmt::Debug for Checked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checked")
            .field("value", &self.value)
            .field("values", &self.values)
            .field("errors", &self.errors)
            .finish()
    }
}

impl<T> Checked<T> {
    /// The value, if the form had no errors (none added with
    /// [`add_error`](Checked::add_error) either).
    pub fn valid(&self) -> Option<&T> {
        if self.errors.is_empty() {
            self.value.as_ref()
        } else {
            None
        }
    }

    /// The value, if the form had no errors, by value.
    pub fn into_valid(self) -> Option<T> {
        if self.errors.is_empty() {
            self.value
        } else {
            None
        }
    }

    /// Whether the form had no errors.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.value.is_some()
    }

    /// What was typed in `field` (its first value), or `""`.
    pub fn value(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(name, _)| name == field)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Whether `field` holds `value` among its values: for checkboxes and selects.
    pub fn has_value(&self, field: &str, value: &str) -> bool {
        self.values.iter().any(|(n, v)| n == field && v == value)
    }

    /// The errors of `field`, in the order found (`""` holds errors about the whole
    /// form).
    pub fn errors(&self, field: &str) -> &[String] {
        self.errors.get(field).map_or(&[], Vec::as_slice)
    }

    /// Whether `field` has an error.
    pub fn has_errors(&self, field: &str) -> bool {
        !self.errors(field).is_empty()
    }

    /// Every field's errors.
    pub fn all_errors(&self) -> &FieldErrors {
        &self.errors
    }

    /// Adds an error found later, say a unique violation on save: the form is no
    /// longer valid.
    pub fn add_error(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }
}

impl<T: Serialize> Checked<T> {
    /// A form filled with `value`, without errors: an edit page's first view.
    pub fn new(value: T) -> Checked<T> {
        let values = values_of(&value);
        Checked {
            value: Some(value),
            values,
            errors: FieldErrors::new(),
        }
    }
}

/// A blank form: the value's defaults, without errors.
impl<T: Serialize + Default> Default for Checked<T> {
    fn default() -> Checked<T> {
        Checked::new(T::default())
    }
}

/// The fields of `value` as a form would send them (nulls are left out).
fn values_of<T: Serialize>(value: &T) -> Vec<(String, String)> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| text_of(&v).map(|t| (k, t)))
            .collect(),
        _ => Vec::new(),
    }
}

/// A JSON value as the text of a form field.
fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl<T, S> FromRequest<S> for Checked<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            let query = req.uri().query().unwrap_or_default().as_bytes();
            crate::form::check_utf8(query, "form")?;
            return Ok(Checked::from_form(query));
        }
        let json = is_json(&req);
        let form = form_kind(req.headers()) == Some(FormKind::UrlEncoded);
        let has_type = req.headers().contains_key(CONTENT_TYPE);
        if !json && !form && has_type {
            return Err(Error::status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a form (`application/x-www-form-urlencoded`) or JSON body",
            ));
        }
        let body = Bytes::from_request(req, state).await?;
        if json {
            let value: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| Error::bad_request(format!("the body is not JSON: {e}")))?;
            return Ok(Checked::from_json(value));
        }
        crate::form::check_utf8(&body, "form")?;
        Ok(Checked::from_form(&body))
    }
}

/// Whether the request's body is JSON (`application/json` or `+json`).
fn is_json<B>(req: &axum::http::Request<B>) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// What went wrong deserializing, and where.
struct Failure {
    field: Option<String>,
    missing: bool,
    message: String,
}

impl<T: DeserializeOwned + Validate> Checked<T> {
    /// A form from an urlencoded body or query string.
    fn from_form(data: &[u8]) -> Checked<T> {
        let values: Vec<(String, String)> = form_urlencoded::parse(data)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Checked::build(values.clone(), |skip| {
            let kept = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(values.iter().filter(|(k, _)| !skip.contains(k)))
                .finish();
            let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(kept.as_bytes()));
            serde_path_to_error::deserialize(de).map_err(|e| failure(e.path(), e.inner()))
        })
    }

    /// A form from a JSON object.
    fn from_json(value: serde_json::Value) -> Checked<T> {
        let values = match &value {
            serde_json::Value::Object(map) => map
                .iter()
                .filter_map(|(k, v)| text_of(v).map(|t| (k.clone(), t)))
                .collect(),
            _ => Vec::new(),
        };
        Checked::build(values, |skip| {
            let mut value = value.clone();
            if let serde_json::Value::Object(map) = &mut value {
                map.retain(|k, _| !skip.contains(k));
            }
            serde_path_to_error::deserialize(value).map_err(|e| failure(e.path(), e.inner()))
        })
    }

    /// Deserializes with `parse`, leaving out the fields that failed (an empty field is
    /// taken as missing, so an empty number input becomes `None`), then checks the
    /// rules.
    fn build(
        values: Vec<(String, String)>,
        parse: impl Fn(&HashSet<String>) -> Result<T, Failure>,
    ) -> Checked<T> {
        let mut errors = FieldErrors::new();
        let mut skip: HashSet<String> = HashSet::new();
        let mut value = None;
        // Each round leaves out one more field, so this ends.
        for _ in 0..=values.len() + 1 {
            match parse(&skip) {
                Ok(v) => {
                    value = Some(v);
                    break;
                }
                Err(failure) => {
                    let Some(field) = failure.field else {
                        errors
                            .entry(String::new())
                            .or_default()
                            .push(failure.message);
                        break;
                    };
                    if failure.missing {
                        // A required field: left out (empty), or missing from the start.
                        errors
                            .entry(field)
                            .or_insert_with(|| vec!["is required".to_string()]);
                        break;
                    }
                    let empty = values
                        .iter()
                        .filter(|(k, _)| *k == field)
                        .all(|(_, v)| v.trim().is_empty());
                    if !empty {
                        errors
                            .entry(field.clone())
                            .or_default()
                            .push(failure.message);
                    }
                    if !skip.insert(field) {
                        break;
                    }
                }
            }
        }
        if let Some(v) = &value
            && let Err(found) = v.validate()
        {
            for (field, messages) in field_errors(&found) {
                errors.entry(field).or_default().extend(messages);
            }
        }
        Checked {
            value,
            values,
            errors,
        }
    }
}

/// A deserializing error as a field and a message a person can read.
fn failure(path: &serde_path_to_error::Path, error: &dyn fmt::Display) -> Failure {
    let text = error.to_string();
    let path = path.to_string();
    if let Some(rest) = text.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        let field = if path == "." || path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        return Failure {
            field: Some(field),
            missing: true,
            message: "is required".to_string(),
        };
    }
    let message = if text.contains("invalid digit")
        || text.contains("parse integer")
        || text.contains("invalid float")
        || text.contains("expected i")
        || text.contains("expected u")
        || text.contains("expected f")
    {
        "must be a number"
    } else if text.contains("`true` or `false`") || text.contains("expected a boolean") {
        "must be true or false"
    } else if text.contains("unknown variant") {
        "is not one of the choices"
    } else {
        "is not valid"
    };
    Failure {
        field: (path != "." && !path.is_empty()).then(|| path.trim_start_matches('.').to_string()),
        missing: false,
        message: message.to_string(),
    }
}

/// An extractor whose value is checked against its [`Validate`] rules: a value that
/// breaks them is **422** with every field's errors (`{"errors": {"isbn": ["..."]}}`
/// for JSON clients). Wraps [`Json`](crate::Json), [`Form`] and [`Query`].
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct Valid<E>(pub E);

/// An extractor [`Valid`] can wrap: it holds one value to check.
pub trait Validated {
    /// The value checked.
    type Value: Validate;
    /// The value.
    fn value(&self) -> &Self::Value;
}

impl<T: Validate> Validated for crate::Json<T> {
    type Value = T;
    fn value(&self) -> &T {
        &self.0
    }
}

impl<T: Validate> Validated for Form<T> {
    type Value = T;
    fn value(&self) -> &T {
        &self.0
    }
}

impl<T: Validate> Validated for Query<T> {
    type Value = T;
    fn value(&self) -> &T {
        &self.0
    }
}

/// The 422 for `errors`.
fn invalid(errors: &ValidationErrors) -> Response {
    Error::invalid(field_errors(errors)).into_response()
}

impl<S, E> FromRequest<S> for Valid<E>
where
    S: Send + Sync,
    E: FromRequest<S> + Validated,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let json = is_json(&req);
        let inner = E::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match inner.value().validate() {
            Ok(()) => Ok(Valid(inner)),
            Err(errors) => {
                let fields = field_errors(&errors);
                let err = Error::invalid(fields);
                Err(if json { err.json() } else { err }.into_response())
            }
        }
    }
}

impl<S, E> FromRequestParts<S> for Valid<E>
where
    S: Send + Sync,
    E: FromRequestParts<S> + Validated,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let inner = E::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        inner.value().validate().map_err(|e| invalid(&e))?;
        Ok(Valid(inner))
    }
}

impl<E> std::ops::Deref for Valid<E> {
    type Target = E;
    fn deref(&self) -> &E {
        &self.0
    }
}

/// What `#[derive(Validate)]` expands to. Not public API.
#[doc(hidden)]
pub mod __private {
    use std::borrow::Cow;

    pub use validator::{
        ValidateContains, ValidateDoesNotContain, ValidateEmail, ValidateLength, ValidateRange,
        ValidateRegex, ValidateRequired, ValidateUrl,
    };

    /// Text without control characters (validator has this rule behind a feature
    /// that pulls in the `unic` crates; it is one line of `char::is_control`).
    pub trait ValidateNonControlCharacter {
        /// Whether the text has no control character (`None` passes).
        fn validate_non_control_character(&self) -> bool;
    }

    impl ValidateNonControlCharacter for str {
        fn validate_non_control_character(&self) -> bool {
            !self.chars().any(char::is_control)
        }
    }

    impl ValidateNonControlCharacter for String {
        fn validate_non_control_character(&self) -> bool {
            self.as_str().validate_non_control_character()
        }
    }

    impl ValidateNonControlCharacter for Cow<'_, str> {
        fn validate_non_control_character(&self) -> bool {
            self.as_ref().validate_non_control_character()
        }
    }

    impl<T: ValidateNonControlCharacter + ?Sized> ValidateNonControlCharacter for &T {
        fn validate_non_control_character(&self) -> bool {
            T::validate_non_control_character(self)
        }
    }

    impl<T: ValidateNonControlCharacter> ValidateNonControlCharacter for Option<T> {
        fn validate_non_control_character(&self) -> bool {
            self.as_ref()
                .is_none_or(ValidateNonControlCharacter::validate_non_control_character)
        }
    }
    use validator::ValidationError;

    /// A rule's error: its code, its message (the rule's own, else `default`), and the
    /// rule's arguments as params.
    pub fn error(
        code: &'static str,
        message: Option<&'static str>,
        default: impl FnOnce() -> Cow<'static, str>,
        params: Vec<(&'static str, String)>,
    ) -> ValidationError {
        let mut error = ValidationError::new(code);
        error.message = Some(message.map_or_else(default, Cow::Borrowed));
        for (name, value) in params {
            error.add_param(Cow::Borrowed(name), &value);
        }
        error
    }

    /// The arguments a rule was given.
    pub fn params(given: &[(&'static str, Option<String>)]) -> Vec<(&'static str, String)> {
        given
            .iter()
            .filter_map(|(n, v)| v.clone().map(|v| (*n, v)))
            .collect()
    }

    /// A custom check's error, with the rule's message if it gave one.
    pub fn finish_custom(
        mut error: ValidationError,
        message: Option<&'static str>,
    ) -> ValidationError {
        if let Some(m) = message {
            error.message = Some(Cow::Borrowed(m));
        }
        error
    }

    /// `length`'s message, for a value of `actual` characters (or items).
    pub fn length_message(
        min: Option<String>,
        max: Option<String>,
        equal: Option<String>,
        text: bool,
        actual: Option<u64>,
    ) -> Cow<'static, str> {
        let unit = if text { "characters" } else { "items" };
        let bound = |b: &Option<String>| b.as_deref().and_then(|b| b.parse::<u64>().ok());
        let short = matches!((bound(&min), actual), (Some(m), Some(a)) if a < m);
        Cow::Owned(match (min, max, equal) {
            (_, _, Some(n)) => format!("must be exactly {n} {unit}"),
            (Some(min), _, _) if short && min == "1" => "must not be empty".to_string(),
            (Some(min), _, _) if short => format!("must be at least {min} {unit}"),
            (_, Some(max), _) => format!("must be at most {max} {unit}"),
            (Some(min), None, _) => format!("must be at least {min} {unit}"),
            (None, None, None) => "has the wrong length".to_string(),
        })
    }

    /// `range`'s message.
    pub fn range_message(
        min: Option<String>,
        max: Option<String>,
        exclusive_min: Option<String>,
        exclusive_max: Option<String>,
    ) -> Cow<'static, str> {
        let low = min
            .map(|m| format!("at least {m}"))
            .or(exclusive_min.map(|m| format!("more than {m}")));
        let high = max
            .map(|m| format!("at most {m}"))
            .or(exclusive_max.map(|m| format!("less than {m}")));
        Cow::Owned(match (low, high) {
            (Some(l), Some(h)) => format!("must be {l} and {h}"),
            (Some(l), None) => format!("must be {l}"),
            (None, Some(h)) => format!("must be {h}"),
            (None, None) => "is out of range".to_string(),
        })
    }

    /// `contains`' and `does_not_contain`'s message.
    pub fn contains_message(pattern: &str, contains: bool) -> Cow<'static, str> {
        Cow::Owned(if contains {
            format!("must contain “{pattern}”")
        } else {
            format!("must not contain “{pattern}”")
        })
    }
}

impl<T> IntoResponse for Valid<T>
where
    T: IntoResponse,
{
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
