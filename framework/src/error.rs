//! kiln's error type: an HTTP status, a message for the client (4xx only) and,
//! for logs, the error that caused it.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use axum::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use axum::body::Body;
use std::sync::Arc;

use crate::launch::LaunchError;

/// Each field's error messages, by the field's name as the client sends it (nested
/// fields as `author.name`, list items as `items[0]`).
pub type FieldErrors = std::collections::BTreeMap<String, Vec<String>>;

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
    /// Each field's errors, for a 422 of [`Valid`](crate::Valid).
    fields: Option<FieldErrors>,
    /// Meant for a JSON client: JSON unless its `Accept` names another format.
    json: bool,
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

/// Marks a response kiln produced for an error, so that catchers may render it, with
/// what they and the `Accept`-chosen body need.
#[derive(Clone, Debug)]
pub(crate) struct ErrorMark(pub(crate) Arc<ErrorInfo>);

/// What an error response says, for catchers and for its body in the client's format.
#[derive(Debug, Default)]
pub(crate) struct ErrorInfo {
    /// The client-safe message (a 4xx's; empty for a 5xx).
    pub(crate) message: Cow<'static, str>,
    /// Each field's errors, if any.
    pub(crate) fields: Option<FieldErrors>,
    /// Meant for a JSON client: JSON unless its `Accept` names another format.
    pub(crate) json: bool,
}

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
                fields: None,
                json: false,
            }),
        }
    }

    /// **422 Unprocessable Entity** with each field's errors: the body lists them
    /// (`{"error": "..", "errors": {"isbn": [".."]}}` for JSON clients).
    pub fn invalid(fields: FieldErrors) -> Error {
        let mut err = Error::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "some fields are not valid",
        );
        err.inner.fields = Some(fields);
        err
    }

    /// Each field's errors, for an [`invalid`](Error::invalid) error.
    pub fn fields(&self) -> Option<&FieldErrors> {
        self.inner.fields.as_ref()
    }

    /// Marks the client as a JSON client: its error body is JSON unless its `Accept`
    /// asks for something else.
    pub(crate) fn json(mut self) -> Error {
        self.inner.json = true;
        self
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
        let text = self.public_text();
        let Inner {
            headers,
            fields,
            json,
            ..
        } = *self.inner;
        let info = ErrorInfo {
            message: if status.is_client_error() {
                text.clone()
            } else {
                Cow::Borrowed("")
            },
            fields,
            json,
        };
        let mut res = (status, plain_text(&text, info.fields.as_ref())).into_response();
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        res.headers_mut().extend(headers);
        res.extensions_mut().insert(ErrorMark(Arc::new(info)));
        res
    }
}

/// An error's text body: the message, then a line for each field error.
fn plain_text(text: &str, fields: Option<&FieldErrors>) -> String {
    let mut body = text.to_string();
    for (field, messages) in fields.into_iter().flatten() {
        for m in messages {
            body.push('\n');
            if field.is_empty() {
                body.push_str(m);
            } else {
                body.push_str(&format!("{field}: {m}"));
            }
        }
    }
    body
}

/// Marks `res`, an extractor's rejection, as produced by kiln for an error, so that
/// catchers render it; a 4xx's message is its body, when that is a short text already
/// in memory.
pub(crate) fn mark(mut res: Response) -> Response {
    if res.extensions().get::<ErrorMark>().is_some() {
        return res;
    }
    let mut message = Cow::Borrowed("");
    if res.status().is_client_error() {
        let (parts, body) = res.into_parts();
        let (text, body) = read_short(body);
        message = text.map_or(Cow::Borrowed(""), Cow::Owned);
        res = Response::from_parts(parts, body);
    }
    res.extensions_mut().insert(ErrorMark(Arc::new(ErrorInfo {
        message,
        fields: None,
        json: false,
    })));
    res
}

/// The text of a body that is short and complete in memory (a rejection's message),
/// and the body to send instead.
fn read_short(body: Body) -> (Option<String>, Body) {
    use futures_util::FutureExt;
    use http_body::Body as _;
    let short = body.size_hint().exact().is_some_and(|n| n <= 4096);
    if !short {
        return (None, body);
    }
    match http_body_util::BodyExt::collect(body).now_or_never() {
        Some(Ok(collected)) => {
            let bytes = collected.to_bytes();
            let text = String::from_utf8(bytes.to_vec()).ok();
            (text, Body::from(bytes))
        }
        // Not ready at once, or failed: nothing of it can be sent now.
        _ => (None, Body::empty()),
    }
}

/// The message a catcher may show: a 4xx's client-safe message (empty for a 5xx,
/// whose detail stays in the log). Derefs to `str`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorMessage(pub(crate) Cow<'static, str>);

impl ErrorMessage {
    /// The message.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ErrorMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for ErrorMessage {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ErrorMessage {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// What a marked response says, for a catcher.
pub(crate) fn info_of(res: &Response) -> Option<Arc<ErrorInfo>> {
    res.extensions().get::<ErrorMark>().map(|m| m.0.clone())
}

/// The body formats kiln's own error responses come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Html,
    Text,
}

/// The format a client asks for with `Accept`: JSON or HTML when it names one (the
/// higher quality wins), else JSON for a client that sent JSON, else text.
pub(crate) fn format_for(accept: Option<&HeaderValue>, sent_json: bool) -> Format {
    let fallback = if sent_json {
        Format::Json
    } else {
        Format::Text
    };
    let Some(accept) = accept.and_then(|a| a.to_str().ok()) else {
        return fallback;
    };
    let (mut json, mut html, mut text) = (None::<f32>, None::<f32>, None::<f32>);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let slot = match mime.as_str() {
            "application/json" => &mut json,
            m if m.starts_with("application/") && m.ends_with("+json") => &mut json,
            "text/html" | "application/xhtml+xml" => &mut html,
            "text/plain" => &mut text,
            _ => continue,
        };
        *slot = Some(slot.map_or(q, |old| old.max(q)));
    }
    let best = [
        (json.unwrap_or(0.0), Format::Json),
        (html.unwrap_or(0.0), Format::Html),
        (text.unwrap_or(0.0), Format::Text),
    ]
    .into_iter()
    .fold(
        (0.0, fallback),
        |best, (q, f)| if q > best.0 { (q, f) } else { best },
    );
    best.1
}

/// An error page, escaped by askama.
#[derive(askama::Template)]
#[template(
    ext = "html",
    source = "<!DOCTYPE html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
{% if !message.is_empty() %}<p>{{ message }}</p>
{% endif %}{% if !fields.is_empty() %}<ul>
{% for (field, messages) in fields %}{% for m in messages %}<li>{% if !field.is_empty() %}{{ field }}: {% endif %}{{ m }}</li>
{% endfor %}{% endfor %}</ul>
{% endif %}</body>
</html>
"
)]
struct ErrorHtml<'a> {
    title: &'a str,
    message: &'a str,
    fields: Vec<(&'a String, &'a Vec<String>)>,
}

/// A marked error response's body in the format the client asks for (see
/// [`format_for`]): JSON `{"error": .., "errors": ..}`, a small HTML page, or the text
/// it has.
pub(crate) fn render_as(res: Response, accept: Option<&HeaderValue>) -> Response {
    let Some(info) = info_of(&res) else {
        return res;
    };
    let format = format_for(accept, info.json);
    if format == Format::Text {
        return res;
    }
    let status = res.status();
    let reason = status.canonical_reason().unwrap_or("Error");
    let message: &str = if info.message.is_empty() {
        reason
    } else {
        &info.message
    };
    let (body, content_type) = match format {
        Format::Json => {
            let mut value = serde_json::json!({ "error": message });
            if let Some(fields) = &info.fields {
                value["errors"] = serde_json::json!(fields);
            }
            (value.to_string(), "application/json")
        }
        _ => {
            use askama::Template as _;
            let title = format!("{} {reason}", status.as_u16());
            let page = ErrorHtml {
                title: &title,
                message: if info.message.is_empty() { "" } else { message },
                fields: info.fields.iter().flatten().collect(),
            };
            match page.render() {
                Ok(html) => (html, "text/html; charset=utf-8"),
                Err(_) => return res,
            }
        }
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Response::from_parts(parts, Body::from(body))
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
    fn the_format_follows_accept_and_its_qualities() {
        let f = |accept: Option<&'static str>, json| {
            format_for(accept.map(HeaderValue::from_static).as_ref(), json)
        };
        assert_eq!(f(None, false), Format::Text);
        assert_eq!(f(None, true), Format::Json);
        assert_eq!(f(Some("*/*"), false), Format::Text);
        assert_eq!(f(Some("application/json"), false), Format::Json);
        assert_eq!(f(Some("application/problem+json"), false), Format::Json);
        assert_eq!(
            f(Some("text/html,application/xhtml+xml,*/*;q=0.8"), true),
            Format::Html
        );
        assert_eq!(
            f(Some("text/html;q=0.5, application/json;q=0.9"), false),
            Format::Json
        );
        assert_eq!(f(Some("text/plain"), true), Format::Text);
        assert_eq!(f(Some("image/png"), false), Format::Text);
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
