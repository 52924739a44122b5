//! What kiln's own extractors and responses add to the document.

use std::borrow::Cow;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponseParts;
use schemars::JsonSchema;
use serde_json::{Value, json};

use super::{ApiBody, ApiInput, ApiOutput, Operation};
use crate::form::{Form, Query};
use crate::response::{Html, Json, Redirect, Text};
use crate::validate::{Checked, Valid, Validated};

const TOO_LARGE: &str = "Content Too Large: the body is over the app's limit";
const UNSUPPORTED: &str = "Unsupported Media Type: the body's `Content-Type` is not one listed";
const RUNTIME_STATUS: &str = "The status the handler chooses";
const RULES: &str = "Unprocessable Content: the request does not deserialize, or a field breaks a rule (`errors` says which)";

/// What `Json<T>` reads: 400 when the body is not JSON, 415 without
/// `application/json`, 422 when it does not fit `schema`.
fn json_body(op: &mut Operation<'_>, schema: Value) {
    op.body("application/json", schema);
    op.error(400, "Bad Request: the body is not JSON");
    op.error(413, TOO_LARGE);
    op.error(415, UNSUPPORTED);
    op.error(422, "Unprocessable Content: the body does not deserialize");
}

/// What `Form<T>` reads: on `GET` the query string, else a form body; 400 when it is
/// not UTF-8 or has too many fields, 415 without the form type, 422 when it does not
/// fit.
fn form_body(op: &mut Operation<'_>, schema: Value, fields: Option<fn(&mut Operation<'_>)>) {
    if matches!(op.method(), "GET" | "HEAD") {
        if let Some(fields) = fields {
            fields(op);
        }
    } else {
        op.body("application/x-www-form-urlencoded", schema);
        op.error(413, TOO_LARGE);
        op.error(415, UNSUPPORTED);
    }
    op.error(
        400,
        "Bad Request: the form is not UTF-8 once decoded, or has too many fields",
    );
    op.error(422, "Unprocessable Content: the form does not deserialize");
}

/// What `Checked<T>` reads: a form or JSON body (the query string on `GET`), its
/// mistakes left for the handler to show.
fn checked_body(op: &mut Operation<'_>, schema: Value, fields: Option<fn(&mut Operation<'_>)>) {
    op.error(
        400,
        "Bad Request: the body is not JSON, or the form is not UTF-8 once decoded",
    );
    if matches!(op.method(), "GET" | "HEAD") {
        if let Some(fields) = fields {
            fields(op);
        }
        return;
    }
    op.body("application/x-www-form-urlencoded", schema.clone());
    op.body("application/json", schema);
    op.error(413, TOO_LARGE);
    op.error(415, UNSUPPORTED);
}

fn fields_of<T: JsonSchema>(op: &mut Operation<'_>) {
    op.query_object::<T>(false);
}

fn optional_fields_of<T: JsonSchema>(op: &mut Operation<'_>) {
    op.query_object::<T>(true);
}

/// The body as JSON.
impl<T: JsonSchema> ApiInput for Json<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<T>();
        json_body(op, schema);
    }
}

/// A form body (the query string on `GET`).
impl<T: JsonSchema> ApiInput for Form<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<T>();
        form_body(op, schema, Some(fields_of::<T>));
    }
}

/// Each field of `T` as a query parameter: 400 when the query string does not fit.
impl<T: JsonSchema> ApiInput for Query<T> {
    fn describe(op: &mut Operation<'_>) {
        op.query_object::<T>(false);
        op.error(400, "Bad Request: the query string does not fit");
    }
}

/// A form or JSON body kept as typed (on `GET`, each field an optional query
/// parameter: the handler decides what is missing).
impl<T: JsonSchema> ApiInput for Checked<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema::<T>();
        checked_body(op, schema, Some(optional_fields_of::<T>));
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
        op.error(422, RULES);
        E::describe(op);
    }
}

// The same extractors around a type without `JsonSchema`: their media types and
// statuses, with a schema of any value.

impl<T> ApiBody for Json<T> {
    fn describe(op: &mut Operation<'_>) {
        json_body(op, json!({}));
    }
}

impl<T> ApiBody for Form<T> {
    fn describe(op: &mut Operation<'_>) {
        form_body(op, json!({}), None);
    }
}

impl<T> ApiBody for Checked<T> {
    fn describe(op: &mut Operation<'_>) {
        checked_body(op, json!({}), None);
    }
}

impl<E: ApiBody> ApiBody for Option<E> {
    fn describe(op: &mut Operation<'_>) {
        E::describe(op);
        op.body_optional();
    }
}

impl<E: ApiBody + Validated> ApiBody for Valid<E> {
    fn describe(op: &mut Operation<'_>) {
        op.error(422, RULES);
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
        op.response("default", RUNTIME_STATUS, None);
    }
}

/// A redirect, with its `Location`.
impl ApiOutput for Redirect {
    fn describe(op: &mut Operation<'_>) {
        op.response("3XX", "A redirect to `Location`", None);
        op.response_header("3XX", "Location", "Where to go");
    }
}

/// 200 with bytes.
impl ApiOutput for Vec<u8> {
    fn describe(op: &mut Operation<'_>) {
        bytes(op);
    }
}

/// 200 with bytes.
impl ApiOutput for bytes::Bytes {
    fn describe(op: &mut Operation<'_>) {
        bytes(op);
    }
}

fn bytes(op: &mut Operation<'_>) {
    let schema = json!({ "type": "string", "contentMediaType": "application/octet-stream" });
    op.response("200", "OK", Some(("application/octet-stream", schema)));
}

/// Server-sent events.
impl<S> ApiOutput for crate::sse::Sse<S> {
    fn describe(op: &mut Operation<'_>) {
        text(op, "text/event-stream");
    }
}

/// `T`'s responses; an `Err` may answer any status with kiln's error body (a 409
/// from a unique constraint, a 503 while the database is away).
impl<T: ApiOutput, E> ApiOutput for Result<T, E> {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        op.error_default("Another error, with its status");
    }
}

/// `T`'s body with a status chosen at run time.
impl<T: ApiOutput> ApiOutput for (StatusCode, T) {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        op.restatus("200", "default", RUNTIME_STATUS);
    }
}

/// `T`'s body with a status chosen at run time, and headers.
impl<H: IntoResponseParts, T: ApiOutput> ApiOutput for (StatusCode, H, T) {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        op.restatus("200", "default", RUNTIME_STATUS);
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
