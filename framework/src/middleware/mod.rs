//! Middleware: code that runs around every request, added with
//! [`App::wrap`](crate::App::wrap) (or [`App::layer`](crate::App::layer) for any tower
//! layer).
//!
//! Two styles, and kiln's built-ins:
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::middleware::{Compression, Middleware};
//!
//! /// The class style: hooks before and after the rest of the app.
//! struct Timing;
//!
//! impl Middleware for Timing {
//!     async fn process_request(&self, req: &mut Request) -> Option<Response> {
//!         if req.uri().path() == "/closed" {
//!             return Some((StatusCode::FORBIDDEN, "closed").into_response()); // answers at once
//!         }
//!         None
//!     }
//!
//!     async fn process_response(&self, res: &mut Response) {
//!         res.headers_mut().insert("x-timing", HeaderValue::from_static("1"));
//!     }
//! }
//!
//! /// The function style: the request and what comes next.
//! #[middleware]
//! async fn require_key(req: Request, next: Next) -> Response {
//!     if req.headers().contains_key("x-key") {
//!         next.run(req).await
//!     } else {
//!         StatusCode::UNAUTHORIZED.into_response()
//!     }
//! }
//!
//! let app = App::new().wrap(Timing).wrap(require_key).wrap(Compression::new());
//! ```
//!
//! The first middleware added is the outermost: requests pass them in the order they
//! were added, responses in reverse. Middleware sees every request: routes, static
//! files, 404s, 405s and the 500 of a handler that panicked.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use tower::{Layer, Service};

use crate::error::Error;

/// Middleware in the class style: a hook before the rest of the app, and one after.
///
/// Both hooks have empty defaults. When `process_request` returns `Some(response)`,
/// that response is the answer: the middleware after this one and the handler are
/// skipped, while the middleware before it still see the response on its way out.
pub trait Middleware: Send + Sync + 'static {
    /// Runs before the rest of the app; `Some(response)` answers at once.
    fn process_request(&self, req: &mut Request) -> impl Future<Output = Option<Response>> + Send {
        let _ = req;
        async { None }
    }

    /// Runs on every response on its way out, the app's or a short-circuit's of a
    /// later middleware.
    fn process_response(&self, res: &mut Response) -> impl Future<Output = ()> + Send {
        let _ = res;
        async {}
    }
}

pub(crate) mod checks;
mod stack;

pub use stack::{Next, Stack};
pub(crate) use stack::{Served, ServedFuture};

use checks::{ViaBuiltin, ViaFn, ViaMiddleware};

/// Something [`App::wrap`](crate::App::wrap) accepts: a [`Middleware`], an
/// `async fn(Request, Next) -> Response`, or one of kiln's built-ins.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be used as middleware",
    note = "`App::wrap` takes a type implementing `kiln::middleware::Middleware`, an `async fn(req: Request, next: Next) -> Response`, or a kiln built-in such as `Compression`; use `App::layer` for a tower layer"
)]
pub trait Wrap<Marker>: Sized {
    /// Puts this middleware around `stack`, the router inside the middleware so far.
    fn wrap_stack(self, stack: Stack) -> Stack;
}

impl<M: Middleware> Wrap<ViaMiddleware> for M {
    fn wrap_stack(self, stack: Stack) -> Stack {
        stack.middleware(Arc::new(self))
    }
}

impl<F, Fut, Out> Wrap<ViaFn> for F
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Out> + Send + 'static,
    Out: IntoResponse + 'static,
{
    fn wrap_stack(self, stack: Stack) -> Stack {
        stack.function(self)
    }
}

/// The tower layer running a [`Middleware`].
pub struct MiddlewareLayer<M>(Arc<M>);

impl<M> Clone for MiddlewareLayer<M> {
    fn clone(&self) -> Self {
        MiddlewareLayer(self.0.clone())
    }
}

impl<S, M> Layer<S> for MiddlewareLayer<M> {
    type Service = MiddlewareService<S, M>;
    fn layer(&self, inner: S) -> Self::Service {
        MiddlewareService {
            inner,
            middleware: self.0.clone(),
        }
    }
}

/// The service made by [`MiddlewareLayer`].
pub struct MiddlewareService<S, M> {
    inner: S,
    middleware: Arc<M>,
}

impl<S: Clone, M> Clone for MiddlewareService<S, M> {
    fn clone(&self) -> Self {
        MiddlewareService {
            inner: self.inner.clone(),
            middleware: self.middleware.clone(),
        }
    }
}

impl<S, M> Service<Request> for MiddlewareService<S, M>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    M: Middleware,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // The clone waits for the next request; the service that was made ready runs this one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let middleware = self.middleware.clone();
        Box::pin(async move {
            if let Some(res) = middleware.process_request(&mut req).await {
                return Ok(res);
            }
            let mut res = inner.call(req).await?;
            middleware.process_response(&mut res).await;
            Ok(res)
        })
    }
}

/// Logs every request and its outcome with `tracing` at INFO (on by default in
/// [`App::run`](crate::App::run)).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestLog;

impl RequestLog {
    /// The request log.
    pub fn new() -> RequestLog {
        RequestLog
    }
}

impl Wrap<ViaBuiltin> for RequestLog {
    fn wrap_stack(self, stack: Stack) -> Stack {
        stack.layer(request_log())
    }
}

/// Compresses responses (brotli or gzip, as the client accepts) with tower-http.
#[derive(Debug, Clone, Copy, Default)]
pub struct Compression;

impl Compression {
    /// Response compression.
    pub fn new() -> Compression {
        Compression
    }
}

impl Wrap<ViaBuiltin> for Compression {
    fn wrap_stack(self, stack: Stack) -> Stack {
        stack.layer(tower_http::compression::CompressionLayer::new())
    }
}

/// Gives up on a request that takes longer than a duration, reading its body
/// included, and answers as appropriate: **408 Request Timeout** if the app was left
/// waiting for the client's body, **503 Service Unavailable** if the app itself was
/// too slow. Either is rendered by the catchers like any error kiln produces.
#[derive(Debug, Clone, Copy)]
pub struct Timeout(pub Duration);

impl Timeout {
    /// A timeout of `duration`.
    pub fn new(duration: Duration) -> Timeout {
        Timeout(duration)
    }
}

impl Wrap<ViaBuiltin> for Timeout {
    fn wrap_stack(self, stack: Stack) -> Stack {
        stack.layer(RequestTimeouts {
            total: Some(self.0),
            body_idle: None,
        })
    }
}

/// The layer made by [`Timeout`], and the request timeouts `serve` and `run` put around
/// every app: a limit on the whole request, and one on the wait for each piece of its
/// body (either may be off).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestTimeouts {
    total: Option<Duration>,
    body_idle: Option<Duration>,
}

impl RequestTimeouts {
    /// The request timeout and the body idle timeout (`Duration::ZERO` turns either
    /// off); `None` if both are off.
    pub(crate) fn new(total: Duration, body_idle: Duration) -> Option<RequestTimeouts> {
        let total = (!total.is_zero()).then_some(total);
        let body_idle = (!body_idle.is_zero()).then_some(body_idle);
        (total.is_some() || body_idle.is_some()).then_some(RequestTimeouts { total, body_idle })
    }
}

impl<S> Layer<S> for RequestTimeouts {
    type Service = TimeoutService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        TimeoutService {
            inner,
            timeouts: *self,
        }
    }
}

/// The service made by [`RequestTimeouts`].
#[derive(Debug, Clone)]
pub(crate) struct TimeoutService<S> {
    inner: S,
    timeouts: RequestTimeouts,
}

/// What the request timeouts answer when the client's body was too slow.
fn slow_body() -> Response {
    Error::status(
        StatusCode::REQUEST_TIMEOUT,
        "the request body took too long to arrive",
    )
    .into_response()
}

impl<S> Service<Request> for TimeoutService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = TimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        use http_body::Body as _;
        let RequestTimeouts { total, body_idle } = self.timeouts;
        // A request without a body has nothing to watch.
        let (req, watch) = if req.body().is_end_stream() {
            (req, None)
        } else {
            let watch = Arc::new(BodyWatch::default());
            let req = req.map(|body| {
                axum::body::Body::new(WatchedBody {
                    inner: body,
                    watch: watch.clone(),
                    idle: body_idle,
                    armed: false,
                    sleep: None,
                })
            });
            (req, Some(watch))
        };
        // `inner` was made ready by `poll_ready`, and its future owns what it needs.
        TimeoutFuture {
            fut: self.inner.call(req),
            total,
            sleep: None,
            watch,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`TimeoutService`]: the inner one, unless time runs out first. The
    /// timer starts at the first poll that has to wait, so a request answered at once
    /// never touches the timer wheel.
    pub(crate) struct TimeoutFuture<F> {
        #[pin]
        fut: F,
        total: Option<Duration>,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        watch: Option<Arc<BodyWatch>>,
    }
}

impl<F> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(res) = this.fut.poll(cx) {
            // The body went quiet for too long: whatever the handler made of the error
            // it read, the answer is the client's fault.
            if this
                .watch
                .as_ref()
                .is_some_and(|w| w.idle_expired.load(Ordering::Acquire))
            {
                return Poll::Ready(Ok(slow_body()));
            }
            return Poll::Ready(res);
        }
        let Some(total) = *this.total else {
            return Poll::Pending;
        };
        if this.sleep.is_none() {
            this.sleep.set(Some(tokio::time::sleep(total)));
        }
        let Some(sleep) = this.sleep.as_pin_mut() else {
            return Poll::Pending;
        };
        if sleep.poll(cx).is_pending() {
            return Poll::Pending;
        }
        if this.watch.as_ref().is_some_and(|w| w.client_was_slow()) {
            return Poll::Ready(Ok(slow_body()));
        }
        Poll::Ready(Ok(Error::status(
            StatusCode::SERVICE_UNAVAILABLE,
            "the request took too long",
        )
        .into_response()))
    }
}

/// What a [`WatchedBody`] tells its request's timeout.
#[derive(Debug, Default)]
struct BodyWatch {
    /// Its reader is waiting for the client.
    waiting: AtomicBool,
    /// No frame came for the body idle timeout.
    idle_expired: AtomicBool,
}

impl BodyWatch {
    fn client_was_slow(&self) -> bool {
        self.waiting.load(Ordering::Acquire) || self.idle_expired.load(Ordering::Acquire)
    }
}

/// The error a request body gives when no frame came for the body idle timeout.
#[derive(Debug)]
pub(crate) struct BodyIdle;

impl std::fmt::Display for BodyIdle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body sent nothing for too long")
    }
}

impl std::error::Error for BodyIdle {}

pin_project_lite::pin_project! {
    /// A request body that remembers whether its reader is waiting for the client, and
    /// fails with [`BodyIdle`] when the client sends nothing for the idle timeout.
    struct WatchedBody {
        #[pin]
        inner: axum::body::Body,
        watch: Arc<BodyWatch>,
        idle: Option<Duration>,
        // Whether `sleep` is set for the current wait.
        armed: bool,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
    }
}

impl http_body::Body for WatchedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, axum::Error>>> {
        let mut this = self.project();
        if this.watch.idle_expired.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(axum::Error::new(BodyIdle))));
        }
        let polled = this.inner.poll_frame(cx);
        if polled.is_ready() {
            this.watch.waiting.store(false, Ordering::Release);
            *this.armed = false;
            return polled;
        }
        this.watch.waiting.store(true, Ordering::Release);
        let Some(idle) = *this.idle else {
            return Poll::Pending;
        };
        if !*this.armed {
            let deadline = tokio::time::Instant::now() + idle;
            match this.sleep.as_mut().as_pin_mut() {
                Some(sleep) => sleep.reset(deadline),
                None => this.sleep.set(Some(tokio::time::sleep_until(deadline))),
            }
            *this.armed = true;
        }
        if let Some(sleep) = this.sleep.as_pin_mut()
            && sleep.poll(cx).is_ready()
        {
            this.watch.idle_expired.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(axum::Error::new(BodyIdle))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The layer logging every request and its outcome at INFO.
pub(crate) fn request_log() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    tower_http::trace::DefaultMakeSpan,
    tower_http::trace::DefaultOnRequest,
    tower_http::trace::DefaultOnResponse,
> {
    use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
    use tracing::Level;
    TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}
