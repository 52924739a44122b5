//! What kiln's own extractors and responses add to the document.

use std::borrow::Cow;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponseParts;
use schemars::JsonSchema;
use serde_json::json;

use super::{ApiInput, ApiOutput, Operation};
use crate::form::{Form, Query};
use crate::response::{Html, Json, Redirect, Text};
use crate::validate::{Checked, Valid, Validated};

const TOO_LARGE: &str = "Content Too Large: the body is over the app's limit";
const UNSUPPORTED: &str = "Unsupported Media Type: the body's `Content-Type` is not one listed";
const RUNTIME_STATUS: &str = "Success, with the status the handler chooses";
const UNPROCESSABLE: &str = "Unprocessable Content: the body does not deserialize";

/// The body as JSON: 400 when it is not JSON, 415 without `application/json`, 422 when
/// it does not fit `T`.
impl<T: JsonSchema> ApiInput for Json<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<T>();
        op.body("application/json", schema);
        op.error(400, "Bad Request: the body is not JSON");
        op.error(413, TOO_LARGE);
        op.error(415, UNSUPPORTED);
        op.error(422, UNPROCESSABLE);
    }
}

/// A form body (the query string on `GET`): 415 without the form type, 422 when it does
/// not fit `T`.
impl<T: JsonSchema> ApiInput for Form<T> {
    fn describe(op: &mut Operation<'_>) {
        if matches!(op.method(), "GET" | "HEAD") {
            op.query_object::<T>();
        } else {
            let schema = op.schema::<T>();
            op.body("application/x-www-form-urlencoded", schema);
            op.error(413, TOO_LARGE);
            op.error(415, UNSUPPORTED);
        }
        op.error(422, "Unprocessable Content: the form does not deserialize");
    }
}

/// Each field of `T` as a query parameter: 400 when the query string does not fit.
impl<T: JsonSchema> ApiInput for Query<T> {
    fn describe(op: &mut Operation<'_>) {
        op.query_object::<T>();
        op.error(400, "Bad Request: the query string does not fit");
    }
}

/// A form or JSON body kept as typed, its mistakes for the handler to show.
impl<T: JsonSchema> ApiInput for Checked<T> {
    fn describe(op: &mut Operation<'_>) {
        if matches!(op.method(), "GET" | "HEAD") {
            op.query_object::<T>();
            return;
        }
        let schema = op.schema::<T>();
        op.body("application/x-www-form-urlencoded", schema.clone());
        op.body("application/json", schema);
        op.error(400, "Bad Request: the body is not JSON");
        op.error(413, TOO_LARGE);
        op.error(415, UNSUPPORTED);
    }
}

/// `E`'s body, which the request may leave out.
impl<E: ApiInput> ApiInput for Option<E> {
    fn describe(op: &mut Operation<'_>) {
        E::describe(op);
        op.body_optional();
    }
}

/// `E`, and 422 with each field's errors when a rule is broken.
impl<E: ApiInput + Validated> ApiInput for Valid<E> {
    fn describe(op: &mut Operation<'_>) {
        // Before `E`'s own 422, which it says more than.
        op.error(
            422,
            "Unprocessable Content: the body does not deserialize, or a field breaks a rule (`errors` says which)",
        );
        E::describe(op);
    }
}

/// 200 with `T` as JSON.
impl<T: JsonSchema> ApiOutput for Json<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.response_schema::<T>();
        op.response("200", "OK", Some(("application/json", schema)));
    }
}

fn text(op: &mut Operation<'_>, media: &str) {
    op.response("200", "OK", Some((media, json!({ "type": "string" }))));
}

/// What a `#[page]` type answers: 200 with an HTML page. Used by generated code.
#[doc(hidden)]
pub fn page_response(op: &mut Operation<'_>) {
    text(op, "text/html");
}

/// 200 with an HTML page.
impl<T> ApiOutput for Html<T> {
    fn describe(op: &mut Operation<'_>) {
        text(op, "text/html");
    }
}

/// 200 with plain text.
impl<T> ApiOutput for Text<T> {
    fn describe(op: &mut Operation<'_>) {
        text(op, "text/plain");
    }
}

/// 200 with plain text.
impl ApiOutput for String {
    fn describe(op: &mut Operation<'_>) {
        text(op, "text/plain");
    }
}

/// 200 with plain text.
impl ApiOutput for &'static str {
    fn describe(op: &mut Operation<'_>) {
        text(op, "text/plain");
    }
}

/// 200 with plain text.
impl ApiOutput for Cow<'static, str> {
    fn describe(op: &mut Operation<'_>) {
        text(op, "text/plain");
    }
}

/// 200 with no body.
impl ApiOutput for () {
    fn describe(op: &mut Operation<'_>) {
        op.response("200", "OK", None);
    }
}

/// A status chosen at run time, with no body.
impl ApiOutput for StatusCode {
    fn describe(op: &mut Operation<'_>) {
        op.response("2XX", RUNTIME_STATUS, None);
    }
}

/// A redirect, with its `Location`.
impl ApiOutput for Redirect {
    fn describe(op: &mut Operation<'_>) {
        op.response("3XX", "A redirect; `Location` says where", None);
    }
}

/// Server-sent events.
impl<S> ApiOutput for crate::sse::Sse<S> {
    fn describe(op: &mut Operation<'_>) {
        text(op, "text/event-stream");
    }
}

/// `T`'s responses; an `Err` answers one of kiln's error statuses.
impl<T: ApiOutput, E> ApiOutput for Result<T, E> {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
    }
}

/// `T`'s body with a status chosen at run time.
impl<T: ApiOutput> ApiOutput for (StatusCode, T) {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        op.restatus("200", "2XX", RUNTIME_STATUS);
    }
}

/// `T`'s body with a status chosen at run time, and headers.
impl<H: IntoResponseParts, T: ApiOutput> ApiOutput for (StatusCode, H, T) {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        op.restatus("200", "2XX", RUNTIME_STATUS);
    }
}

/// `T`, with headers.
impl<K, V, const N: usize, T: ApiOutput> ApiOutput for ([(K, V); N], T) {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
    }
}

/// `T`, with headers.
impl<T: ApiOutput> ApiOutput for (HeaderMap, T) {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
    }
}
