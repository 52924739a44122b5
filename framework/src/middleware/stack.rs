//! The app as it is built and served: the router, inside the middleware given to
//! [`App::wrap`](crate::App::wrap), inside kiln's own layers.
//!
//! Each piece of middleware goes around the whole router once, as a shared trait
//! object that is called through `&self`: a request clones no boxed service and goes
//! through no extra `Router`. (It used to be `Router::new().fallback_service(layer)`
//! for each: a route lookup, a boxed-service clone and a boxed future per layer per
//! request.) kiln's own layers around that are concrete types, so they box nothing.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use tower::util::Either;
use tower::{Layer, Service, ServiceExt};

use super::{Middleware, TimeoutService};
use crate::pipeline::guard::PanicGuard;

/// The app while it is being built: the router, inside the middleware added with
/// [`App::wrap`](crate::App::wrap) so far. A [`Wrap`](super::Wrap) goes around it.
#[derive(Clone)]
pub struct Stack(Either<Router, Shared>);

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Either::Left(router) => f.debug_tuple("Stack").field(router).finish(),
            Either::Right(_) => f.write_str("Stack(<middleware>)"),
        }
    }
}

impl Stack {
    /// Just the router.
    pub(crate) fn new(router: Router) -> Stack {
        Stack(Either::Left(router))
    }

    /// Inside `layer`, a tower layer (any response type, made ready before each call).
    pub(crate) fn layer<L>(self, layer: L) -> Stack
    where
        L: Layer<Stack>,
        L::Service: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        Stack(Either::Right(Shared::new(Ready(layer.layer(self)))))
    }

    /// Inside a [`Middleware`]: one boxed future a request, its hooks and the rest.
    pub(crate) fn middleware<M: Middleware>(self, middleware: Arc<M>) -> Stack {
        Stack(Either::Right(Shared::new(Hooks {
            inner: self,
            middleware,
        })))
    }

    /// Inside a middleware function: one boxed future a request, the function's.
    pub(crate) fn function<F, Fut, Out>(self, f: F) -> Stack
    where
        F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Out> + Send + 'static,
        Out: IntoResponse + 'static,
    {
        Stack(Either::Right(Shared::new(Function { f, inner: self })))
    }

    /// As a `Router`: the router itself when no middleware is around it.
    pub(crate) fn into_router(self) -> Router {
        match self.0 {
            Either::Left(router) => router,
            Either::Right(shared) => Router::new().fallback_service(shared),
        }
    }
}

/// Always ready: the router is, and each piece of middleware readies its own service
/// inside its future.
impl Service<Request> for Stack {
    type Response = Response;
    type Error = Infallible;
    type Future = StackFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> StackFuture {
        StackFuture {
            inner: self.0.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`Stack`]'s response.
    pub struct StackFuture {
        #[pin]
        inner: <Either<Router, Shared> as Service<Request>>::Future,
    }
}

impl Future for StackFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}

/// Something called through `&self`, with a boxed future.
trait CallRef: Send + Sync {
    fn call_ref(&self, req: Request) -> BoxFuture<'static, Result<Response, Infallible>>;
}

/// A piece of middleware shared by every request (cloning it counts a reference).
#[derive(Clone)]
pub(crate) struct Shared(Arc<dyn CallRef>);

impl Shared {
    fn new(call: impl CallRef + 'static) -> Shared {
        Shared(Arc::new(call))
    }
}

impl Service<Request> for Shared {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        self.0.call_ref(req)
    }
}

/// A tower service, cloned (not boxed) for each request and made ready before it.
struct Ready<S>(S);

impl<S> CallRef for Ready<S>
where
    S: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Response: IntoResponse + 'static,
    S::Future: Send + 'static,
{
    fn call_ref(&self, req: Request) -> BoxFuture<'static, Result<Response, Infallible>> {
        let service = self.0.clone();
        Box::pin(async move {
            let Ok(res) = service.oneshot(req).await;
            Ok(res.into_response())
        })
    }
}

/// A [`Middleware`]'s hooks around the rest of the app.
struct Hooks<M> {
    inner: Stack,
    middleware: Arc<M>,
}

impl<M: Middleware> CallRef for Hooks<M> {
    fn call_ref(&self, mut req: Request) -> BoxFuture<'static, Result<Response, Infallible>> {
        let mut inner = self.inner.clone();
        let middleware = self.middleware.clone();
        Box::pin(async move {
            if let Some(res) = middleware.process_request(&mut req).await {
                return Ok(res);
            }
            let Ok(mut res) = inner.call(req).await;
            middleware.process_response(&mut res).await;
            Ok(res)
        })
    }
}

/// What comes after a middleware function: the rest of the app, run with
/// [`run`](Next::run).
#[derive(Debug, Clone)]
pub struct Next {
    inner: Stack,
}

impl Next {
    /// Runs the rest of the app on `req`: the middleware after this one, routing and
    /// the handler.
    pub async fn run(mut self, req: Request) -> Response {
        let Ok(res) = self.inner.call(req).await;
        res
    }
}

/// A middleware function around the rest of the app.
struct Function<F> {
    f: F,
    inner: Stack,
}

impl<F, Fut, Out> CallRef for Function<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Out> + Send + 'static,
    Out: IntoResponse + 'static,
{
    fn call_ref(&self, req: Request) -> BoxFuture<'static, Result<Response, Infallible>> {
        let next = Next {
            inner: self.inner.clone(),
        };
        Box::pin(IntoOk {
            fut: (self.f)(req, next),
        })
    }
}

pin_project_lite::pin_project! {
    /// A middleware function's future, answering its output as a response.
    struct IntoOk<Fut> {
        #[pin]
        fut: Fut,
    }
}

impl<Fut> Future for IntoOk<Fut>
where
    Fut: Future,
    Fut::Output: IntoResponse,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .fut
            .poll(cx)
            .map(|out| Ok(out.into_response()))
    }
}

/// The request timeouts around the app, when they are on.
type Timed = Either<TimeoutService<Stack>, Stack>;

/// The panic guard around that, when anything but the router is inside.
type Guarded = Either<PanicGuard<Timed>, Timed>;

/// The app as kiln's server calls it: the stack, inside the request timeouts, the
/// panic guard and the request log, each only when it is on. Always ready.
#[derive(Clone)]
pub(crate) struct Served(Either<Shared, Guarded>);

impl fmt::Debug for Served {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Served")
    }
}

/// The future of [`Served`].
pub(crate) type ServedFuture = <Either<Shared, Guarded> as Service<Request>>::Future;

impl Served {
    /// `stack` inside the layers that are given.
    pub(crate) fn new(
        stack: Stack,
        timeouts: Option<super::RequestTimeouts>,
        guard: Option<crate::pipeline::guard::PanicGuardLayer>,
        request_log: bool,
    ) -> Served {
        let timed = match timeouts {
            Some(timeouts) => Either::Left(timeouts.layer(stack)),
            None => Either::Right(stack),
        };
        let guarded = match guard {
            Some(guard) => Either::Left(guard.layer(timed)),
            None => Either::Right(timed),
        };
        // The log is what `run` adds (not `serve`): one boxed future a request.
        Served(if request_log {
            Either::Left(Shared::new(Ready(
                super::request_log().layer(Served(Either::Right(guarded))),
            )))
        } else {
            Either::Right(guarded)
        })
    }

    /// Calls the app (every part of it is always ready).
    pub(crate) fn call(&self, req: Request) -> ServedFuture {
        self.0.clone().call(req)
    }

    /// As a `Router`: the router itself when nothing is around it.
    pub(crate) fn into_router(self) -> Router {
        match self.0 {
            Either::Right(Either::Right(Either::Right(stack))) => stack.into_router(),
            other => Router::new().fallback_service(Served(other)),
        }
    }
}

impl Service<Request> for Served {
    type Response = Response;
    type Error = Infallible;
    type Future = ServedFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> ServedFuture {
        self.0.call(req)
    }
}
