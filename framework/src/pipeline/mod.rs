//! The request pipeline: what happens to every request between the server and the
//! handler, and to every response on its way back. Dependencies point one way: the
//! pipeline reads the [catchers](crate::catcher) and the [managed state](crate::state);
//! neither knows of it.
//!
//! For each request, in order:
//!
//! 1. the user's middleware and layers (outermost first), inside a [panic
//!    guard](guard::PanicGuardLayer) that turns their panics into 500s;
//! 2. the router (matchit), then, for the matched handler, [`before_handler`]: what the
//!    catchers need of the request is kept, and the [body limit](body_limit) applied;
//! 3. the handler's future, run by [`CatchFuture`](guard::CatchFuture): a panic is a
//!    500, and an error response kiln produced goes to the catcher for its status.
//!
//! kiln's own settings for all of this are one [`Runtime`](runtime::Runtime), built at
//! start-up, apart from the user's state. The next steps of the request path
//! (sessions, CSRF, security headers) plug in at `before_handler` and the guard.

pub(crate) mod body_limit;
pub(crate) mod guard;
pub(crate) mod runtime;

use std::fmt;
use std::sync::Arc;

use axum::extract::{FromRef, Request};
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};

use crate::catcher::Head;
use crate::security::Plan;
use crate::state::Managed;
use guard::CatchFuture;
use runtime::Runtime;

/// The state of the router kiln builds: the values the app manages, and kiln's own
/// settings. Cloning is one reference-count bump.
///
/// Handlers added with [`App::route`](crate::App::route) see it as their axum state.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

struct Shared {
    managed: Managed,
    runtime: Arc<Runtime>,
}

impl AppState {
    pub(crate) fn new(managed: Managed, runtime: Arc<Runtime>) -> AppState {
        AppState(Arc::new(Shared { managed, runtime }))
    }

    /// kiln's own settings.
    #[inline]
    pub(crate) fn runtime(&self) -> &Arc<Runtime> {
        &self.0.runtime
    }

    /// The managed value of type `T`, if there is one.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.0.managed.get::<T>()
    }

    /// Whether a value of type `T` is managed.
    pub fn contains<T: 'static>(&self) -> bool {
        self.0.managed.contains::<T>()
    }
}

impl FromRef<AppState> for Managed {
    fn from_ref(state: &AppState) -> Managed {
        state.0.managed.clone()
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.managed, f)
    }
}

/// What every kiln handler call starts with: what the catchers need of the request
/// (if the app has catchers), the shield's verdict (a bad `Host`, a cross-site form:
/// see [`security`](crate::security)), and the body-limit check.
#[inline]
pub(crate) fn before_handler(
    req: &mut Request,
    state: &AppState,
) -> (Option<Head>, Arc<Runtime>, guard::Step) {
    let runtime = state.runtime().clone();
    let head = runtime.catchers.as_ref().map(|table| table.head_of(req));
    let step = match runtime.shield.plan(req, !runtime.outside) {
        Plan::Refuse(e) => guard::Step::Answer(e.into_response()),
        Plan::Pass => guard::Step::Run,
        plan => guard::Step::Session(plan),
    };
    if !body_limit::limit_body(req, runtime.body_limit) {
        return (head, runtime, guard::Step::Answer(body_limit::too_large()));
    }
    (head, runtime, step)
}

/// Marks kiln's own handler type for axum's `Handler` trait.
pub struct EndpointMarker;

/// A generated handler: a function of the request and the app state, run through the
/// pipeline.
#[derive(Clone, Copy)]
pub struct Endpoint<F>(pub F);

impl<F, Fut> Handler<EndpointMarker, AppState> for Endpoint<F>
where
    F: FnOnce(Request, AppState) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    type Future = CatchFuture<Fut>;

    fn call(self, req: Request, state: AppState) -> Self::Future {
        CatchFuture::call(req, state, self.0)
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
