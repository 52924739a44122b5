//! Start-up checks ("sentinels"): a handler argument that needs something from the
//! app (managed state, a database) says so, and the app refuses to start without it,
//! instead of answering 500 at the first request.

use std::any::TypeId;
use std::marker::PhantomData;

use crate::launch::{Problem, ProblemKind};
use crate::state::{State, StateBuilder};

/// What the app being built provides, for [`Sentinel`]s to inspect.
pub struct Registry<'a> {
    pub(crate) state: &'a StateBuilder,
    pub(crate) sessions: std::cell::Cell<bool>,
}

impl Registry<'_> {
    /// Notes that a handler uses sessions (a `Session` or `CsrfToken` argument), so
    /// every request gets its session and a release build needs a secret key.
    pub(crate) fn needs_sessions(&self) {
        self.sessions.set(true);
    }

    /// Whether a value of type `T` is managed.
    pub fn manages<T: 'static>(&self) -> bool {
        self.state.contains_id(TypeId::of::<T>())
    }
}

/// A handler argument type that needs something from the app to work.
///
/// kiln calls [`Sentinel::check`] for every argument of every mounted route when the
/// app is built; an `Err` stops `into_router`, `serve` and `run` with the message.
pub trait Sentinel {
    /// `Ok` if the app provides what this type needs, else what is missing.
    fn check(registry: &Registry<'_>) -> Result<(), String>;
}

/// A start-up check for one argument.
pub(crate) type SentinelFn = fn(&Registry<'_>) -> Result<(), String>;

/// The start-up checks of one route, filled by generated code.
#[derive(Default)]
pub struct Checks {
    pub(crate) sentinels: Vec<(&'static str, SentinelFn)>,
    pub(crate) bodies: Vec<&'static str>,
}

impl Checks {
    /// Records an extractor argument of type `T`: whether it reads the body, and its
    /// sentinel if it has one. Used by generated code.
    pub fn arg<T>(&mut self, body: bool, sentinel: Option<SentinelFn>) {
        let name = std::any::type_name::<T>();
        if body {
            self.bodies.push(name);
        }
        if let Some(f) = sentinel {
            self.sentinels.push((name, f));
        }
    }

    /// Runs the checks of the handler `name` (defined at `location`), returning every
    /// problem found.
    pub(crate) fn run(&self, registry: &Registry<'_>, name: &str, location: &str) -> Vec<Problem> {
        let problem = |kind, message: String| {
            Problem::new(
                kind,
                name,
                Some(location.to_string()),
                format!("handler `{name}` ({location}): {message}"),
            )
        };
        let mut problems: Vec<Problem> = self
            .sentinels
            .iter()
            .filter_map(|(_, check)| check(registry).err())
            .map(|message| problem(ProblemKind::Missing, message))
            .collect();
        if self.bodies.len() > 1 {
            problems.push(problem(
                ProblemKind::TwoBodies,
                format!(
                    "more than one argument reads the request body ({}); only one can",
                    self.bodies.join(", ")
                ),
            ));
        }
        problems
    }
}

/// Finds a type's [`Sentinel`] if it has one, without requiring it (autoref specialization).
#[doc(hidden)]
pub struct Probe<T>(PhantomData<T>);

impl<T> Probe<T> {
    #[doc(hidden)]
    pub const fn new() -> Probe<T> {
        Probe(PhantomData)
    }
}

impl<T> Default for Probe<T> {
    fn default() -> Self {
        Probe::new()
    }
}

/// Picked when `T: Sentinel`.
#[doc(hidden)]
pub trait ProbeSentinel {
    fn __kiln_sentinel(&self) -> Option<SentinelFn>;
}

impl<T: Sentinel> ProbeSentinel for Probe<T> {
    fn __kiln_sentinel(&self) -> Option<SentinelFn> {
        Some(T::check)
    }
}

/// Picked when `T` reads the request body.
#[doc(hidden)]
pub trait ProbeBody {
    fn __kiln_body(&self) -> bool;
}

impl<T: axum::extract::FromRequest<crate::pipeline::AppState>> ProbeBody for Probe<T> {
    fn __kiln_body(&self) -> bool {
        true
    }
}

/// Picked otherwise: no sentinel, no body.
#[doc(hidden)]
pub trait ProbeNone {
    fn __kiln_sentinel(&self) -> Option<SentinelFn> {
        None
    }

    fn __kiln_body(&self) -> bool {
        false
    }
}

impl<T> ProbeNone for &Probe<T> {}

impl<T: Send + Sync + 'static> Sentinel for State<T> {
    fn check(registry: &Registry<'_>) -> Result<(), String> {
        if registry.manages::<T>() {
            Ok(())
        } else {
            let name = std::any::type_name::<T>();
            Err(format!(
                "it takes `State<{name}>` but no `{name}` is managed; add `.manage(..)` with one"
            ))
        }
    }
}

/// A handler taking the session makes every request load it, and a release build
/// need a secret key.
impl Sentinel for crate::session::Session {
    fn check(registry: &Registry<'_>) -> Result<(), String> {
        registry.needs_sessions();
        Ok(())
    }
}

/// The CSRF token lives in the session: as for [`Session`](crate::Session).
impl Sentinel for crate::security::csrf::CsrfToken {
    fn check(registry: &Registry<'_>) -> Result<(), String> {
        registry.needs_sessions();
        Ok(())
    }
}
