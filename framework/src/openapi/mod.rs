//! OpenAPI 3.1 from the route attributes: each attribute records, at compile time, a
//! function that describes its operation (its parameters with their types, its body
//! extractor, its return type, its doc comment); [`App::openapi_document`] walks the
//! mounted routes and calls them.
//!
//! Schemas come from [`schemars`] (`#[derive(JsonSchema)]`, re-exported by kiln). A
//! type without `JsonSchema` still shows: a path or query parameter as a string;
//! `Json<T>`, `Form<T>` and `Checked<T>` with their media types and statuses and a
//! schema of any value; another body extractor as any body; a response as the
//! handler's `default`.
//!
//! Implement [`ApiInput`] for an extractor of your own and [`ApiOutput`] for a
//! response type, calling [`Operation`]'s methods, to put them in the document.
//!
//! [`App::openapi_document`]: crate::App::openapi_document

mod document;
mod impls;

pub use impls::page_response;
pub(crate) mod ui;

use std::collections::BTreeMap;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

pub(crate) use document::{Info, Listed, document};

/// A type's schema, as generated code records it.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// What one argument or return type adds to its operation.
pub type DescribeFn = fn(&mut Operation<'_>);

/// The name of the error body's schema in `components.schemas`.
/// (A Rust type's schema name cannot hold a dot, so it never collides with this one.)
pub(crate) const ERROR_SCHEMA: &str = "kiln.Error";

/// One operation of the document as it is being described: the parameters, body and
/// responses that a handler's arguments and return type add.
///
/// [`ApiInput`] and [`ApiOutput`] impls for your own extractors and responses call its
/// methods.
pub struct Operation<'g> {
    schemas: &'g mut SchemaGenerator,
    outputs: &'g mut SchemaGenerator,
    method: &'static str,
    csrf: bool,
    pub(crate) summary: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) package: Option<(&'static str, &'static str)>,
    pub(crate) parameters: Vec<Value>,
    /// Left out of the document (`#[doc(hidden)]` on the handler).
    pub(crate) hidden: bool,
    /// `#[deprecated]` on the handler, with its note.
    deprecated: Option<Option<&'static str>>,
    /// The handler's module below the crate root: the operation's tag.
    pub(crate) tag: Option<String>,
    body: Map<String, Value>,
    body_optional: bool,
    responses: BTreeMap<String, Value>,
    errors: BTreeMap<u16, &'static str>,
}

impl<'g> Operation<'g> {
    pub(crate) fn new(
        schemas: &'g mut SchemaGenerator,
        outputs: &'g mut SchemaGenerator,
        method: &'static str,
        csrf: bool,
    ) -> Self {
        Operation {
            schemas,
            outputs,
            method,
            csrf,
            summary: None,
            description: None,
            package: None,
            parameters: Vec::new(),
            hidden: false,
            deprecated: None,
            tag: None,
            body: Map::new(),
            body_optional: false,
            responses: BTreeMap::new(),
            errors: BTreeMap::new(),
        }
    }

    /// The HTTP method being described, upper case: `GET`.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The schema of `T` as a request deserializes it: a `$ref` into
    /// `components.schemas` for a named type.
    pub fn schema<T: JsonSchema + ?Sized>(&mut self) -> Value {
        self.schemas.subschema_for::<T>().to_value()
    }

    /// The schema of `T` as a response serializes it (a field with
    /// `skip_serializing_if` may be missing, one with `default` is always there).
    pub fn response_schema<T: JsonSchema + ?Sized>(&mut self) -> Value {
        self.outputs.subschema_for::<T>().to_value()
    }

    /// The schema generator of requests, for schemas built by hand.
    pub fn generator(&mut self) -> &mut SchemaGenerator {
        self.schemas
    }

    /// Marks the body as one the request may leave out (an `Option<Json<T>>`).
    pub fn body_optional(&mut self) {
        self.body_optional = true;
    }

    /// A parameter `in` `"path"`, `"query"`, `"header"` or `"cookie"` (which carry no
    /// `null`: an `Option`'s is taken out of the schema).
    pub fn parameter(&mut self, location: &str, name: &str, required: bool, schema: Value) {
        let mut schema = schema;
        strip_null(&mut schema);
        let mut param = json!({
            "name": name,
            "in": location,
            "required": required || location == "path",
        });
        // A field's doc comment is the parameter's description.
        if let Some(d) = schema.as_object_mut().and_then(|o| o.remove("description")) {
            param["description"] = d;
        }
        param["schema"] = schema;
        self.parameters
            .retain(|p| !(p["name"] == name && p["in"] == location));
        self.parameters.push(param);
    }

    /// Each field of `T` (a struct) as a query parameter, as `Query<T>` reads them;
    /// with `all_optional`, none required (the handler decides, as with `Checked`).
    ///
    /// A `T` that is not a plain struct (a map, a flattened enum) is one parameter,
    /// `T` as an object in form style.
    pub fn query_object<T: JsonSchema>(&mut self, all_optional: bool) {
        let schema = T::json_schema(self.schemas).to_value();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match schema["properties"].as_object() {
            Some(props) => {
                for (name, prop) in props {
                    let required = !all_optional && required.contains(&name.as_str());
                    self.parameter("query", name, required, prop.clone());
                }
            }
            None => {
                let name = T::schema_name().to_string();
                self.parameter("query", &name, false, schema.clone());
                if let Some(p) = self.parameters.last_mut() {
                    p["style"] = "form".into();
                    p["explode"] = true.into();
                }
            }
        }
    }

    /// A request body of `content_type`; called again, another type the body may have.
    pub fn body(&mut self, content_type: &str, schema: Value) {
        self.body
            .insert(content_type.to_string(), json!({ "schema": schema }));
    }

    /// A response: `status` is a code (`"200"`), a range (`"2XX"`) or `"default"`;
    /// `content` its media type and schema, if it has a body.
    pub fn response(&mut self, status: &str, description: &str, content: Option<(&str, Value)>) {
        let entry = self
            .responses
            .entry(status.to_string())
            .or_insert_with(|| json!({ "description": description }));
        if let Some((media, schema)) = content {
            entry["content"][media] = json!({ "schema": schema });
        }
    }

    /// A header of the `status` response (recorded before with [`response`]).
    ///
    /// [`response`]: Operation::response
    pub fn response_header(&mut self, status: &str, name: &str, description: &str) {
        if let Some(r) = self.responses.get_mut(status) {
            r["headers"][name] = json!({
                "description": description,
                "schema": { "type": "string" },
            });
        }
    }

    /// An error response kiln itself answers, with its error body.
    pub fn error(&mut self, status: u16, description: &'static str) {
        self.errors.entry(status).or_insert(description);
    }

    /// Any other status, with kiln's error body, unless the handler's own response is
    /// already the `default` one.
    pub fn error_default(&mut self, description: &str) {
        self.responses
            .entry("default".to_string())
            .or_insert_with(|| error_response(description));
    }

    /// Moves the responses recorded as `from` to `to` (a `(StatusCode, T)` answers
    /// `T`'s body with a status chosen at run time: `default`).
    pub fn restatus(&mut self, from: &str, to: &str, description: &str) {
        if let Some(mut r) = self.responses.remove(from) {
            r["description"] = description.into();
            self.responses.insert(to.to_string(), r);
        }
    }

    /// The handler's doc comment, one `#[doc]` attribute a line: its first paragraph
    /// the summary, the rest the description.
    #[doc(hidden)]
    pub fn __doc(&mut self, text: &str) {
        // `/// text` is `#[doc = " text"]`.
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        let start = lines.iter().position(|l| !l.trim().is_empty());
        let Some(start) = start else { return };
        let lines = &lines[start..];
        let end = lines
            .iter()
            .position(|l| l.trim().is_empty())
            .unwrap_or(lines.len());
        let summary: Vec<&str> = lines[..end].iter().map(|l| l.trim()).collect();
        self.summary = Some(summary.join(" "));
        let rest = lines[end..].join("\n");
        let rest = rest.trim();
        if !rest.is_empty() {
            self.description = Some(rest.to_string());
        }
    }

    /// The handler said `#[doc(hidden)]`: the document leaves it out.
    #[doc(hidden)]
    pub fn __hidden(&mut self) {
        self.hidden = true;
    }

    #[doc(hidden)]
    pub fn __deprecated(&mut self, note: Option<&'static str>) {
        self.deprecated = Some(note);
    }

    /// `module_path!()` of the handler: `shop::api::books` tags it `books`; a handler
    /// at the crate root has no tag.
    #[doc(hidden)]
    pub fn __module(&mut self, path: &'static str) {
        self.tag = path.rsplit_once("::").map(|(_, last)| last.to_string());
    }

    #[doc(hidden)]
    pub fn __package(&mut self, name: &'static str, version: &'static str) {
        self.package = Some((name, version));
    }

    #[doc(hidden)]
    pub fn __path(&mut self, name: &str, schema: Option<SchemaFn>) {
        let schema = self.param_schema(schema);
        self.parameter("path", name, true, schema);
        self.error(
            400,
            "Bad Request: a path parameter is not UTF-8 once percent-decoded",
        );
        self.error(
            404,
            "Not Found: a path parameter does not parse, or names nothing",
        );
    }

    #[doc(hidden)]
    pub fn __query(&mut self, name: &str, required: bool, schema: Option<SchemaFn>) {
        let schema = self.param_schema(schema);
        self.parameter("query", name, required, schema);
        self.error(
            400,
            "Bad Request: a query parameter is missing or does not parse",
        );
        if !required {
            // kiln reads `?name=` as absent when the type has no empty value.
            if let Some(p) = self.parameters.last_mut() {
                p["allowEmptyValue"] = true.into();
            }
        }
    }

    #[doc(hidden)]
    pub fn __describe(&mut self, describe: Option<DescribeFn>) {
        if let Some(f) = describe {
            f(self);
        }
    }

    /// A parameter's schema, a string for a type without `JsonSchema`.
    fn param_schema(&mut self, schema: Option<SchemaFn>) -> Value {
        match schema {
            Some(f) => f(self.schemas).to_value(),
            None => json!({ "type": "string" }),
        }
    }

    /// The operation object, with kiln's own error responses for what it takes.
    pub(crate) fn finish(mut self, operation_id: String) -> Value {
        let unsafe_method = !matches!(self.method, "GET" | "HEAD" | "OPTIONS" | "TRACE");
        if self.csrf && unsafe_method {
            self.error(
                403,
                "Forbidden: a cross-site request, or a form without its CSRF token",
            );
        }
        self.error(
            405,
            "Method Not Allowed: the path answers the methods documented for it (see `Allow`)",
        );
        let mut responses = Map::new();
        for (status, response) in std::mem::take(&mut self.responses) {
            responses.insert(status, response);
        }
        for (status, description) in &self.errors {
            responses
                .entry(status.to_string())
                .or_insert_with(|| error_response(description));
        }
        if !responses
            .keys()
            .any(|k| k.starts_with('2') || k.starts_with('3') || k == "default")
        {
            responses.insert(
                "default".into(),
                json!({ "description": "The handler's response" }),
            );
        }
        let mut op = json!({ "operationId": operation_id });
        if let Some(s) = self.summary {
            op["summary"] = s.into();
        }
        let mut description = self.description;
        if let Some(note) = self.deprecated {
            op["deprecated"] = true.into();
            if let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) {
                let line = format!("Deprecated: {note}");
                description = Some(match description {
                    Some(d) => format!("{d}\n\n{line}"),
                    None => line,
                });
            }
        }
        if let Some(d) = description {
            op["description"] = d.into();
        }
        if let Some(tag) = &self.tag {
            op["tags"] = json!([tag]);
        }
        if !self.parameters.is_empty() {
            op["parameters"] = Value::Array(self.parameters);
        }
        if !self.body.is_empty() {
            op["requestBody"] = json!({ "required": !self.body_optional, "content": self.body });
        }
        op["responses"] = Value::Object(responses);
        op
    }
}

/// Takes `null` out of a parameter's schema: `["integer", "null"]` is `"integer"`, an
/// `anyOf` loses its `{"type": "null"}`.
fn strip_null(schema: &mut Value) {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types[0].clone();
            schema["type"] = only;
        }
    }
    if let Some(list) = schema.get_mut("anyOf").and_then(Value::as_array_mut) {
        list.retain(|s| s["type"] != "null");
        if list.len() == 1 {
            let only = list[0].clone();
            if let Some(map) = schema.as_object_mut() {
                map.remove("anyOf");
                if let Some(o) = only.as_object() {
                    for (k, v) in o {
                        map.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
    }
}

/// An error response: kiln's error body as JSON, or its text or page (by `Accept`).
fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {
            "application/json": { "schema": { "$ref": format!("#/components/schemas/{ERROR_SCHEMA}") } },
            "text/plain": { "schema": { "type": "string" } },
            "text/html": { "schema": { "type": "string" } },
        }
    })
}

/// The schema of kiln's error body: `{"error": "..", "errors": {"field": [".."]}}`.
pub(crate) fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "What went wrong; `errors` holds each field's messages (422).",
        "properties": {
            "error": { "type": "string" },
            "errors": {
                "type": "object",
                "additionalProperties": { "type": "array", "items": { "type": "string" } }
            }
        },
        "required": ["error"]
    })
}

/// A handler argument that shows in the document: a body, query parameters, headers.
///
/// kiln implements it for `Json<T>`, `Form<T>`, `Query<T>`, `Checked<T>`, `Valid<E>`
/// and `Option<E>` (with `T: JsonSchema`); implement it for an extractor of your own:
///
/// ```
/// use kiln::openapi::{ApiInput, Operation};
///
/// /// The caller's key, from the `X-Api-Key` header (its extractor impl aside).
/// struct ApiKey(String);
///
/// impl ApiInput for ApiKey {
///     fn describe(op: &mut Operation<'_>) {
///         op.parameter("header", "X-Api-Key", true, serde_json::json!({ "type": "string" }));
///         op.error(401, "Unauthorized: no key, or not one we know");
///     }
/// }
/// ```
pub trait ApiInput {
    /// Adds what the argument reads to `op`.
    fn describe(op: &mut Operation<'_>);
}

/// A handler's return type as the document shows it.
///
/// kiln implements it for `Json<T>` (with `T: JsonSchema`), `Html`, `Text`, strings,
/// `Redirect`, `StatusCode`, `Result<T, E>`, `(StatusCode, T)`, headers with `T`, and
/// `#[page]` types.
pub trait ApiOutput {
    /// Adds the responses it makes to `op`.
    fn describe(op: &mut Operation<'_>);
}

/// Finds what generated code needs, without requiring it (autoref specialization;
/// see [`Probe`](crate::sentinel::Probe)).
#[doc(hidden)]
pub struct Find<T>(PhantomData<T>);

impl<T> Find<T> {
    #[doc(hidden)]
    pub const fn new() -> Find<T> {
        Find(PhantomData)
    }
}

impl<T> Default for Find<T> {
    fn default() -> Self {
        Find::new()
    }
}

fn schema_of<T: JsonSchema>(schemas: &mut SchemaGenerator) -> Schema {
    schemas.subschema_for::<T>()
}

/// Picked when `T: JsonSchema`: a parameter's schema. Call on `&Find<T>`.
#[doc(hidden)]
pub trait FindSchema {
    fn __kiln_schema(&self) -> Option<SchemaFn>;
}

impl<T: JsonSchema> FindSchema for Find<T> {
    fn __kiln_schema(&self) -> Option<SchemaFn> {
        Some(schema_of::<T>)
    }
}

/// Picked otherwise: no schema (the document says string).
#[doc(hidden)]
pub trait FindNoSchema {
    fn __kiln_schema(&self) -> Option<SchemaFn> {
        None
    }
}

impl<T> FindNoSchema for &Find<T> {}

/// Picked when `T: ApiInput`. Call on `&&&&Find<T>`.
#[doc(hidden)]
pub trait FindInput {
    fn __kiln_input(&self) -> Option<DescribeFn>;
}

impl<T: ApiInput> FindInput for &&&Find<T> {
    fn __kiln_input(&self) -> Option<DescribeFn> {
        Some(T::describe)
    }
}

/// A body extractor of kiln's whose type has no `JsonSchema`: its media types and
/// statuses, with a schema of any value.
#[doc(hidden)]
pub trait ApiBody {
    fn describe(op: &mut Operation<'_>);
}

/// Picked when `T: ApiBody` (kiln's extractor around a type without `JsonSchema`).
#[doc(hidden)]
pub trait FindBody {
    fn __kiln_input(&self) -> Option<DescribeFn>;
}

impl<T: ApiBody> FindBody for &&Find<T> {
    fn __kiln_input(&self) -> Option<DescribeFn> {
        Some(T::describe)
    }
}

/// Picked when `T` reads the body but kiln knows nothing of it: a body of any type.
#[doc(hidden)]
pub trait FindAnyBody {
    fn __kiln_input(&self) -> Option<DescribeFn>;
}

impl<T: axum::extract::FromRequest<crate::pipeline::AppState>> FindAnyBody for &Find<T> {
    fn __kiln_input(&self) -> Option<DescribeFn> {
        Some(any_body)
    }
}

fn any_body(op: &mut Operation<'_>) {
    op.body("*/*", json!({}));
    op.error(413, "Content Too Large: the body is over the app's limit");
}

/// Picked otherwise: the argument adds nothing (the session, the database, state).
#[doc(hidden)]
pub trait FindNoInput {
    fn __kiln_input(&self) -> Option<DescribeFn> {
        None
    }
}

impl<T> FindNoInput for Find<T> {}

/// Picked when `T: ApiOutput`. Call on `&Find<T>`.
#[doc(hidden)]
pub trait FindOutput {
    fn __kiln_output(&self) -> Option<DescribeFn>;
}

impl<T: ApiOutput> FindOutput for Find<T> {
    fn __kiln_output(&self) -> Option<DescribeFn> {
        Some(T::describe)
    }
}

/// Picked otherwise: the response is the handler's `default`.
#[doc(hidden)]
pub trait FindNoOutput {
    fn __kiln_output(&self) -> Option<DescribeFn> {
        None
    }
}

impl<T> FindNoOutput for &Find<T> {}

/// What `App` was told to serve of its document.
#[derive(Default)]
pub(crate) struct Serve {
    pub(crate) json: Option<String>,
    pub(crate) ui: Option<String>,
    pub(crate) info: Option<Info>,
}

/// A fixed `GET` answer `Serve` asks the app to mount: the document, its page, the
/// page's stylesheet.
pub(crate) struct Fixed {
    pub(crate) path: String,
    pub(crate) name: &'static str,
    pub(crate) media: &'static str,
    pub(crate) body: bytes::Bytes,
}

impl Serve {
    /// What to serve for `routes`: nothing unless `.openapi(..)` or `.openapi_ui(..)`.
    pub(crate) fn fixed<'a>(&self, routes: impl IntoIterator<Item = Listed<'a>>) -> Vec<Fixed> {
        if self.json.is_none() && self.ui.is_none() {
            return Vec::new();
        }
        let doc = document(routes, self.info.as_ref());
        let mut out = Vec::new();
        if let Some(path) = &self.json {
            out.push(Fixed {
                path: path.clone(),
                name: "openapi",
                media: "application/json",
                body: serde_json::to_vec_pretty(&doc).unwrap_or_default().into(),
            });
        }
        if let Some(path) = &self.ui {
            let css = format!("{}/openapi.css", path.trim_end_matches('/'));
            // Relative links, so the page works under a proxy's prefix or a nested router.
            let json = self.json.as_deref().map(|j| relative(path, j));
            out.push(Fixed {
                path: path.clone(),
                name: "openapi_ui",
                media: "text/html; charset=utf-8",
                body: ui::render(&doc, json.as_deref(), &relative(path, &css)).into(),
            });
            out.push(Fixed {
                path: css,
                name: "openapi_ui_css",
                media: "text/css; charset=utf-8",
                body: bytes::Bytes::from_static(ui::CSS.as_bytes()),
            });
        }
        out
    }
}

/// `target` as a link relative to the page at `page` (both absolute paths).
fn relative(page: &str, target: &str) -> String {
    let base: Vec<&str> = page
        .rsplit_once('/')
        .map_or("", |(dir, _)| dir)
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let to: Vec<&str> = target.split('/').filter(|s| !s.is_empty()).collect();
    let dirs = to.len().saturating_sub(1);
    let common = base
        .iter()
        .zip(&to[..dirs])
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = "../".repeat(base.len() - common);
    out.push_str(&to[common..].join("/"));
    out
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn links_are_relative_to_the_page() {
        assert_eq!(relative("/docs", "/docs/openapi.css"), "docs/openapi.css");
        assert_eq!(relative("/docs", "/openapi.json"), "openapi.json");
        assert_eq!(
            relative("/api/docs/", "/api/docs/openapi.css"),
            "openapi.css"
        );
        assert_eq!(
            relative("/api/docs/", "/openapi.json"),
            "../../openapi.json"
        );
        assert_eq!(relative("/api/docs", "/api/openapi.json"), "openapi.json");
        assert_eq!(relative("/a/docs", "/b/openapi.json"), "../b/openapi.json");
    }
}
