//! Catchers: custom pages for the error responses kiln produces (unknown path, 405,
//! unparsable parameter, extractor rejection, a returned `kiln::Error`, a panic).
//!
//! A response a handler built itself is sent as it is; only responses kiln marked as
//! its own errors reach a catcher.

use std::any::Any;
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::error::{Error, ErrorMark, is_marked};
use crate::state::AppState;

/// What a `#[catch]` attribute knows about its catcher at compile time.
#[derive(Debug, Clone, Copy)]
pub struct CatcherInfo {
    /// The catcher function's name.
    pub name: &'static str,
    /// The status it renders, or `None` for `#[catch(default)]`.
    pub code: Option<u16>,
    /// `file!()` where it was defined.
    pub file: &'static str,
    /// `line!()` where it was defined.
    pub line: u32,
}

/// The request (and error status) a catcher renders a page for.
#[derive(Debug, Clone)]
pub struct CatchRequest {
    /// The status of the error response.
    pub status: StatusCode,
    /// The request's method.
    pub method: Method,
    /// The request's URI.
    pub uri: Uri,
    /// The request's headers (empty unless some catcher asks for them).
    pub headers: HeaderMap,
}

/// A catcher argument: built from the failed request.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be a catcher argument",
    note = "a catcher may take `Uri`, `Method`, `HeaderMap` and `StatusCode`"
)]
pub trait FromCatch: Sized {
    /// Whether it needs the request headers (kept only if some catcher does).
    const NEEDS_HEADERS: bool = false;
    /// Builds the argument.
    fn from_catch(req: &CatchRequest) -> Self;
}

impl FromCatch for StatusCode {
    fn from_catch(req: &CatchRequest) -> Self {
        req.status
    }
}

impl FromCatch for Method {
    fn from_catch(req: &CatchRequest) -> Self {
        req.method.clone()
    }
}

impl FromCatch for Uri {
    fn from_catch(req: &CatchRequest) -> Self {
        req.uri.clone()
    }
}

impl FromCatch for HeaderMap {
    const NEEDS_HEADERS: bool = true;
    fn from_catch(req: &CatchRequest) -> Self {
        req.headers.clone()
    }
}

type CatchFn = fn(CatchRequest) -> BoxFuture<'static, Response>;

/// One catcher, ready to register.
#[derive(Clone)]
pub struct Catcher {
    pub(crate) code: Option<u16>,
    pub(crate) name: &'static str,
    pub(crate) location: String,
    pub(crate) needs_headers: bool,
    pub(crate) handler: CatchFn,
}

impl fmt::Debug for Catcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catcher")
            .field("code", &self.code)
            .field("name", &self.name)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Catcher {
    /// A catcher made by `#[catch]`. Used by generated code.
    #[doc(hidden)]
    pub fn __new(info: &'static CatcherInfo, needs_headers: bool, handler: CatchFn) -> Catcher {
        Catcher {
            code: info.code,
            name: info.name,
            location: format!("{}:{}", info.file, info.line),
            needs_headers,
            handler,
        }
    }

    /// `code` as a readable label: `404` or `default`.
    pub(crate) fn label(&self) -> String {
        self.code
            .map_or_else(|| "default".to_string(), |c| c.to_string())
    }
}

/// The catchers in effect, by status.
#[derive(Default)]
pub(crate) struct CatcherTable {
    by_code: HashMap<u16, Catcher>,
    default: Option<Catcher>,
    needs_headers: bool,
}

impl CatcherTable {
    /// Builds the table, or the messages naming catchers registered twice for one status.
    pub(crate) fn build(catchers: Vec<Catcher>) -> Result<CatcherTable, Vec<String>> {
        let mut table = CatcherTable::default();
        let mut problems = Vec::new();
        for c in catchers {
            table.needs_headers |= c.needs_headers;
            let slot = match c.code {
                Some(code) => table.by_code.get(&code),
                None => table.default.as_ref(),
            };
            if let Some(first) = slot {
                problems.push(format!(
                    "two catchers for {}: `{}` ({}) and `{}` ({})",
                    c.label(),
                    first.name,
                    first.location,
                    c.name,
                    c.location
                ));
                continue;
            }
            match c.code {
                Some(code) => {
                    table.by_code.insert(code, c);
                }
                None => table.default = Some(c),
            }
        }
        if problems.is_empty() {
            Ok(table)
        } else {
            Err(problems)
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_code.is_empty() && self.default.is_none()
    }

    fn find(&self, status: StatusCode) -> Option<&Catcher> {
        self.by_code.get(&status.as_u16()).or(self.default.as_ref())
    }
}

/// The answer to a panic: a logged, marked 500 that says nothing of the panic.
pub(crate) fn panic_response(panic: Box<dyn Any + Send>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_string());
    tracing::error!(panic = %message, "a handler panicked; answering 500");
    Error::status(StatusCode::INTERNAL_SERVER_ERROR, "handler panicked").into_response()
}

/// The parts of the request a catcher may need, kept while the handler runs.
pub(crate) struct Head {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl CatcherTable {
    /// What to keep of `req` for this table's catchers (headers only if one wants them).
    pub(crate) fn head_of<B>(&self, req: &axum::http::Request<B>) -> Head {
        // Under a nested service (static files), axum keeps the URI as requested here.
        let uri = match req.extensions().get::<axum::extract::OriginalUri>() {
            Some(original) => original.0.clone(),
            None => req.uri().clone(),
        };
        Head {
            method: req.method().clone(),
            uri,
            headers: if self.needs_headers {
                req.headers().clone()
            } else {
                HeaderMap::new()
            },
        }
    }
}

/// A handler's result: a response, or a service's `Result` that can't fail.
pub(crate) trait Outcome {
    fn into_response(self) -> Response;
}

impl Outcome for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl Outcome for Result<Response, Infallible> {
    fn into_response(self) -> Response {
        match self {
            Ok(res) => res,
            Err(never) => match never {},
        }
    }
}

pin_project! {
    /// Runs a handler's future, turning a panic into a 500 and handing the error
    /// responses kiln produced to a catcher. No allocation unless a catcher runs.
    pub struct CatchFuture<F> {
        #[pin]
        state: State<F>,
        head: Option<Head>,
        table: Option<Arc<CatcherTable>>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Inner { #[pin] fut: F },
        Ready { res: Option<Response> },
        Catching { fut: BoxFuture<'static, Response>, original: Option<Response> },
        Done,
    }
}

impl<F> CatchFuture<F> {
    /// Calls a kiln handler (an `async fn`, whose call only moves its arguments and
    /// cannot panic) with `req` and `state`, keeping what the app's catchers need of the
    /// request, if it has catchers. The future is built in place: no extra copies of it.
    pub(crate) fn call(
        mut req: Request,
        state: AppState,
        handler: impl FnOnce(Request, AppState) -> F,
    ) -> CatchFuture<F> {
        let (head, table, refused) = before_handler(&mut req, &state);
        let state = match refused {
            Some(res) => State::Ready { res: Some(res) },
            None => State::Inner {
                fut: handler(req, state),
            },
        };
        CatchFuture { state, head, table }
    }

    /// Like [`call`](CatchFuture::call), for a handler whose call itself may panic.
    pub(crate) fn call_guarded(
        mut req: Request,
        state: AppState,
        handler: impl FnOnce(Request, AppState) -> F,
    ) -> CatchFuture<F> {
        let (head, table, refused) = before_handler(&mut req, &state);
        match refused {
            Some(res) => CatchFuture {
                state: State::Ready { res: Some(res) },
                head,
                table,
            },
            None => CatchFuture::guarded(head, table, || handler(req, state)),
        }
    }

    /// Calls `handler` with `req`, rendering errors with `table`'s catchers.
    pub(crate) fn with_table(
        table: Option<Arc<CatcherTable>>,
        req: Request,
        handler: impl FnOnce(Request) -> F,
    ) -> CatchFuture<F> {
        let head = table.as_ref().map(|t| t.head_of(&req));
        CatchFuture::guarded(head, table, || handler(req))
    }

    fn guarded(
        head: Option<Head>,
        table: Option<Arc<CatcherTable>>,
        call: impl FnOnce() -> F,
    ) -> CatchFuture<F> {
        let state = match catch_unwind(AssertUnwindSafe(call)) {
            Ok(fut) => State::Inner { fut },
            Err(panic) => State::Ready {
                res: Some(panic_response(panic)),
            },
        };
        CatchFuture { state, head, table }
    }
}

/// What every kiln handler call starts with: what the catchers need of the request
/// (if the app has catchers), and the body-limit check, whose refusal replaces the
/// handler's answer.
fn before_handler(
    req: &mut Request,
    state: &AppState,
) -> (Option<Head>, Option<Arc<CatcherTable>>, Option<Response>) {
    let (head, table) = match state.catchers() {
        Some(table) => (Some(table.head_of(req)), Some(table.clone())),
        None => (None, None),
    };
    (head, table, limit_body(req, state.body_limit()))
}

/// Enforces the app's body limit before the handler runs: a body whose length is
/// known (hyper knows it from `Content-Length`) and too long answers **413** at once;
/// a streamed body of unknown length is cut off at the limit while it is read.
/// Ordinary requests (no body, or a short known one) cost nothing.
fn limit_body(req: &mut Request, limit: usize) -> Option<Response> {
    use axum::body::HttpBody as _;
    let hint = req.body().size_hint();
    match hint.exact() {
        Some(n) if n > limit as u64 => Some(too_large()),
        Some(_) => None,
        None => {
            if hint.upper().is_none_or(|upper| upper > limit as u64) {
                let body = std::mem::take(req.body_mut());
                *req.body_mut() = axum::body::Body::new(http_body_util::Limited::new(body, limit));
            }
            None
        }
    }
}

fn too_large() -> Response {
    Error::status(StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response()
}

impl<F> Future for CatchFuture<F>
where
    F: Future,
    F::Output: Outcome,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let mut this = self.project();
        loop {
            let res = match this.state.as_mut().project() {
                StateProj::Inner { fut } => match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(out)) => {
                        let res = out.into_response();
                        // The common case: no catchers, or not an error kiln produced.
                        if this.table.is_none() || !is_marked(&res) {
                            this.state.set(State::Done);
                            return Poll::Ready(res);
                        }
                        res
                    }
                    Err(panic) => panic_response(panic),
                },
                StateProj::Ready { res } => match res.take() {
                    Some(res) => res,
                    None => panic!("CatchFuture polled after completion"),
                },
                StateProj::Done => panic!("CatchFuture polled after completion"),
                StateProj::Catching { fut, original } => {
                    let rendered = match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                        Ok(Poll::Pending) => return Poll::Pending,
                        Ok(Poll::Ready(res)) => Some(res),
                        Err(panic) => {
                            let _ = panic_response(panic);
                            tracing::error!("a catcher panicked; sending the plain error response");
                            None
                        }
                    };
                    let original = original.take().expect("catcher original response");
                    let res = match rendered {
                        Some(rendered) => merge(original, rendered),
                        None => strip_mark(original),
                    };
                    this.state.set(State::Done);
                    return Poll::Ready(res);
                }
            };
            // A response is ready: hand it to a catcher if kiln produced it for an error.
            let catcher = match (this.table.as_ref(), this.head.take()) {
                (Some(table), Some(head)) if is_marked(&res) => {
                    table.find(res.status()).map(|c| (c.handler, head))
                }
                _ => None,
            };
            let Some((handler, head)) = catcher else {
                this.state.set(State::Done);
                return Poll::Ready(res);
            };
            let req = CatchRequest {
                status: res.status(),
                method: head.method,
                uri: head.uri,
                headers: head.headers,
            };
            match catch_unwind(AssertUnwindSafe(|| handler(req))) {
                Ok(fut) => this.state.set(State::Catching {
                    fut,
                    original: Some(res),
                }),
                Err(panic) => {
                    let _ = panic_response(panic);
                    this.state.set(State::Done);
                    return Poll::Ready(strip_mark(res));
                }
            }
        }
    }
}

/// Wraps a handler so that its panics and errors are caught like a kiln route's:
/// used for handlers added with `App::route`. No boxing.
#[derive(Clone)]
pub(crate) struct Caught<H>(pub(crate) H);

impl<H, T> axum::handler::Handler<T, AppState> for Caught<H>
where
    H: axum::handler::Handler<T, AppState>,
{
    type Future = CatchFuture<H::Future>;

    fn call(self, req: Request, state: AppState) -> Self::Future {
        CatchFuture::call_guarded(req, state, move |req, state| self.0.call(req, state))
    }
}

/// A tower layer turning panics in the layers inside it into 500s and handing the
/// errors kiln's built-in layers produce to the catchers: kiln puts it outside the
/// user's layers, if there are any.
#[derive(Clone, Default)]
pub(crate) struct PanicGuardLayer {
    table: Option<Arc<CatcherTable>>,
}

impl PanicGuardLayer {
    pub(crate) fn new(table: Option<Arc<CatcherTable>>) -> PanicGuardLayer {
        PanicGuardLayer { table }
    }
}

impl<S> Layer<S> for PanicGuardLayer {
    type Service = PanicGuard<S>;
    fn layer(&self, inner: S) -> PanicGuard<S> {
        PanicGuard {
            inner,
            table: self.table.clone(),
        }
    }
}

/// The service made by [`PanicGuardLayer`].
#[derive(Clone)]
pub(crate) struct PanicGuard<S> {
    inner: S,
    table: Option<Arc<CatcherTable>>,
}

fn ok_response(res: Response) -> Result<Response, Infallible> {
    Ok(res)
}

impl<S> Service<Request> for PanicGuard<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = futures_util::future::Map<
        CatchFuture<S::Future>,
        fn(Response) -> Result<Response, Infallible>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        use futures_util::FutureExt;
        let inner = &mut self.inner;
        CatchFuture::with_table(self.table.clone(), req, |req| inner.call(req))
            .map(ok_response as fn(Response) -> Result<Response, Infallible>)
    }
}

fn strip_mark(mut res: Response) -> Response {
    res.extensions_mut().remove::<ErrorMark>();
    res
}

/// The catcher's page with the error's status (unless the catcher chose another) and
/// the error's extra headers (`Allow`, `Retry-After`, ...).
fn merge(original: Response, mut rendered: Response) -> Response {
    if rendered.status() == StatusCode::OK {
        *rendered.status_mut() = original.status();
    }
    let (parts, _) = original.into_parts();
    let own: Vec<_> = rendered.headers().keys().cloned().collect();
    for (name, value) in parts.headers.iter() {
        if name == CONTENT_TYPE || name == CONTENT_LENGTH || own.contains(name) {
            continue;
        }
        rendered.headers_mut().append(name.clone(), value.clone());
    }
    rendered
}
