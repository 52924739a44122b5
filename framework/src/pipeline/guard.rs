//! Running a handler's future: a panic becomes a 500, and an error response kiln
//! produced is handed to the app's catcher for its status. The same future guards
//! kiln's handlers, `App::route`'s, static files and (as a layer) the user's layers.

use std::any::Any;
use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use super::AppState;
use super::runtime::Runtime;
use crate::catcher::{CatchRequest, Head};
use crate::error::{Error, ErrorMark, ErrorMessage, info_of, is_marked, render_as};
use crate::security::{self, Plan};

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

/// A handler's result: a response, or a service's `Result` that can't fail.
pub trait Outcome {
    /// The response.
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
    /// responses kiln produced to a catcher; the [shield](crate::security) decides first
    /// whether it runs at all, and every response leaves with the security headers.
    /// No allocation unless a catcher runs or the request needs its session.
    pub struct CatchFuture<F> {
        #[pin]
        state: State<F>,
        head: Option<Head>,
        runtime: Arc<Runtime>,
        // The response leaves from here: this future adds the security headers and
        // gives kiln's error bodies the client's format.
        last: Option<Client>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Inner { #[pin] fut: F },
        Boxed { fut: BoxFuture<'static, Response> },
        Ready { res: Option<Response> },
        Catching { fut: BoxFuture<'static, Response>, original: Option<Response> },
        Done,
    }
}

impl<F> CatchFuture<F>
where
    F: Future + Send + 'static,
    F::Output: Outcome,
{
    /// Calls a kiln handler (an `async fn`, whose call only moves its arguments and
    /// cannot panic) with `req` and `state`, keeping what the app's catchers need of the
    /// request, if it has catchers. The future is built in place: no extra copies of it.
    pub(crate) fn call<H>(mut req: Request, state: AppState, handler: H) -> CatchFuture<F>
    where
        H: FnOnce(Request, AppState) -> F + Send + 'static,
    {
        let (head, runtime, step) = super::before_handler(&mut req, &state);
        let last = (!runtime.outside).then(|| Client::of(&req));
        let state = match step {
            Step::Run => State::Inner {
                fut: handler(req, state),
            },
            Step::Answer(res) => State::Ready { res: Some(res) },
            Step::Session(plan) => State::Boxed {
                fut: Box::pin(security::with_session(
                    runtime.shield.clone(),
                    req,
                    plan,
                    move |req| async move { Outcome::into_response(handler(req, state).await) },
                )),
            },
        };
        CatchFuture {
            state,
            head,
            runtime,
            last,
        }
    }

    /// Like [`call`](CatchFuture::call), for a handler whose call itself may panic.
    pub(crate) fn call_guarded<H>(mut req: Request, state: AppState, handler: H) -> CatchFuture<F>
    where
        H: FnOnce(Request, AppState) -> F + Send + 'static,
    {
        let (head, runtime, step) = super::before_handler(&mut req, &state);
        let last = (!runtime.outside).then(|| Client::of(&req));
        match step {
            Step::Run => CatchFuture::guarded(head, runtime, last, || handler(req, state)),
            Step::Answer(res) => CatchFuture {
                state: State::Ready { res: Some(res) },
                head,
                runtime,
                last,
            },
            Step::Session(plan) => {
                let fut = Box::pin(security::with_session(
                    runtime.shield.clone(),
                    req,
                    plan,
                    move |req| async move {
                        match catch_unwind(AssertUnwindSafe(|| handler(req, state))) {
                            Ok(fut) => Outcome::into_response(fut.await),
                            Err(panic) => panic_response(panic),
                        }
                    },
                ));
                CatchFuture {
                    state: State::Boxed { fut },
                    head,
                    runtime,
                    last,
                }
            }
        }
    }

    /// Calls `handler` with `req` outside a kiln handler (static files, the guard
    /// around the user's layers): the shield's checks that need no session, catchers
    /// for errors, the security headers (here if `outermost`, the guard around the
    /// router, or if there is no such guard).
    pub(crate) fn with_table(
        runtime: Arc<Runtime>,
        outermost: bool,
        req: Request,
        handler: impl FnOnce(Request) -> F,
    ) -> CatchFuture<F> {
        let head = runtime.catchers.as_ref().map(|t| t.head_of(&req));
        let last = (outermost || !runtime.outside).then(|| Client::of(&req));
        match runtime.shield.plan(&req, true) {
            Plan::Refuse(e) => CatchFuture {
                state: State::Ready {
                    res: Some(e.into_response()),
                },
                head,
                runtime,
                last,
            },
            Plan::Mint => {
                let fut = Box::pin(security::mint(runtime.shield.clone(), req));
                CatchFuture {
                    state: State::Boxed { fut },
                    head,
                    runtime,
                    last,
                }
            }
            Plan::Pass | Plan::Session(_) => {
                CatchFuture::guarded(head, runtime, last, || handler(req))
            }
        }
    }

    fn guarded(
        head: Option<Head>,
        runtime: Arc<Runtime>,
        last: Option<Client>,
        call: impl FnOnce() -> F,
    ) -> CatchFuture<F> {
        let state = match catch_unwind(AssertUnwindSafe(call)) {
            Ok(fut) => State::Inner { fut },
            Err(panic) => State::Ready {
                res: Some(panic_response(panic)),
            },
        };
        CatchFuture {
            state,
            head,
            runtime,
            last,
        }
    }
}

/// What the future that answers a request keeps of it, for the format of kiln's
/// error bodies: its `Accept`.
pub(crate) struct Client {
    accept: Option<HeaderValue>,
}

impl Client {
    fn of(req: &Request) -> Client {
        Client {
            accept: req.headers().get(ACCEPT).cloned(),
        }
    }
}

/// What happens to a request once the shield has looked at it.
pub(crate) enum Step {
    /// Run the handler.
    Run,
    /// Answer this instead (a refusal, or a body over the limit).
    Answer(Response),
    /// Load the session first (and check a form's token), or answer a token request.
    Session(Plan),
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
                        if this.runtime.catchers.is_none() || !is_marked(&res) {
                            this.state.set(State::Done);
                            return Poll::Ready(finish(this.runtime, this.last.as_ref(), res));
                        }
                        res
                    }
                    Err(panic) => panic_response(panic),
                },
                StateProj::Boxed { fut } => {
                    match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                        Ok(Poll::Pending) => return Poll::Pending,
                        Ok(Poll::Ready(res)) => res,
                        Err(panic) => panic_response(panic),
                    }
                }
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
                    return Poll::Ready(finish(this.runtime, this.last.as_ref(), res));
                }
            };
            // A response is ready: hand it to a catcher if kiln produced it for an error.
            let catcher = match (this.runtime.catchers.as_ref(), this.head.take()) {
                (Some(table), Some(head)) if is_marked(&res) => {
                    table.find(res.status()).map(|c| (c.handler, head))
                }
                _ => None,
            };
            let Some((handler, head)) = catcher else {
                this.state.set(State::Done);
                return Poll::Ready(finish(this.runtime, this.last.as_ref(), res));
            };
            let info = info_of(&res);
            let req = CatchRequest {
                message: info
                    .as_ref()
                    .map(|info| ErrorMessage(info.message.clone()))
                    .unwrap_or_default(),
                fields: info
                    .as_ref()
                    .and_then(|info| info.fields.clone())
                    .unwrap_or_default(),
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
                    return Poll::Ready(finish(this.runtime, this.last.as_ref(), strip_mark(res)));
                }
            }
        }
    }
}

/// A tower layer turning panics in the layers inside it into 500s and handing the
/// errors kiln's built-in layers produce to the catchers: kiln puts it outside the
/// user's layers, if there are any.
#[derive(Clone)]
pub(crate) struct PanicGuardLayer {
    table: Arc<Runtime>,
}

impl PanicGuardLayer {
    pub(crate) fn new(table: Arc<Runtime>) -> PanicGuardLayer {
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
    table: Arc<Runtime>,
}

fn ok_response(res: Response) -> Result<Response, Infallible> {
    Ok(res)
}

impl<S> Service<Request> for PanicGuard<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
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
        CatchFuture::with_table(self.table.clone(), true, req, |req| inner.call(req))
            .map(ok_response as fn(Response) -> Result<Response, Infallible>)
    }
}

/// The response as it leaves: with the security headers.
fn finish(runtime: &Runtime, last: Option<&Client>, mut res: Response) -> Response {
    if let Some(client) = last {
        if is_marked(&res) {
            res = render_as(res, client.accept.as_ref());
        }
        runtime.headers.apply(res.headers_mut());
    }
    res
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
