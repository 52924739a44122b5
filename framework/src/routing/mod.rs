//! Routes: what the route attributes describe, what `routes!` collects, and how the
//! [`App`](crate::App) turns them into one axum router.

pub(crate) mod collide;
pub(crate) mod path;
pub(crate) mod table;

use std::borrow::Cow;
use std::fmt;

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter};

use crate::sentinel::Checks;
use crate::state::AppState;

pub use collide::{collides, router_conflict, same_shape};

/// A set of HTTP methods, usable in `const` context.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Methods(u16);

/// Every method kiln routes, with its name, in a fixed order.
pub(crate) const METHOD_NAMES: [(Methods, &str); 9] = [
    (Methods::GET, "GET"),
    (Methods::HEAD, "HEAD"),
    (Methods::POST, "POST"),
    (Methods::PUT, "PUT"),
    (Methods::PATCH, "PATCH"),
    (Methods::DELETE, "DELETE"),
    (Methods::OPTIONS, "OPTIONS"),
    (Methods::TRACE, "TRACE"),
    (Methods::CONNECT, "CONNECT"),
];

impl Methods {
    /// No method.
    pub const NONE: Methods = Methods(0);
    /// `GET` (which also answers `HEAD`).
    pub const GET: Methods = Methods(1);
    /// `HEAD`.
    pub const HEAD: Methods = Methods(1 << 1);
    /// `POST`.
    pub const POST: Methods = Methods(1 << 2);
    /// `PUT`.
    pub const PUT: Methods = Methods(1 << 3);
    /// `PATCH`.
    pub const PATCH: Methods = Methods(1 << 4);
    /// `DELETE`.
    pub const DELETE: Methods = Methods(1 << 5);
    /// `OPTIONS`.
    pub const OPTIONS: Methods = Methods(1 << 6);
    /// `TRACE`.
    pub const TRACE: Methods = Methods(1 << 7);
    /// `CONNECT`.
    pub const CONNECT: Methods = Methods(1 << 8);

    /// Both sets together.
    pub const fn union(self, other: Methods) -> Methods {
        Methods(self.0 | other.0)
    }

    /// Whether the sets share a method.
    pub const fn intersects(self, other: Methods) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set holding just `method`, or `None` for a method kiln does not route.
    pub fn from_method(method: &Method) -> Option<Methods> {
        METHOD_NAMES
            .iter()
            .find(|(_, name)| *name == method.as_str())
            .map(|(m, _)| *m)
    }

    /// The same set as axum's [`MethodFilter`].
    pub fn to_filter(self) -> Option<MethodFilter> {
        let filters = [
            MethodFilter::GET,
            MethodFilter::HEAD,
            MethodFilter::POST,
            MethodFilter::PUT,
            MethodFilter::PATCH,
            MethodFilter::DELETE,
            MethodFilter::OPTIONS,
            MethodFilter::TRACE,
            MethodFilter::CONNECT,
        ];
        METHOD_NAMES
            .iter()
            .zip(filters)
            .filter(|((m, _), _)| self.intersects(*m))
            .map(|(_, f)| f)
            .reduce(MethodFilter::or)
    }

    /// The names of the methods in the set, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        METHOD_NAMES
            .iter()
            .filter(move |(m, _)| self.intersects(*m))
            .map(|(_, n)| *n)
    }
}

impl fmt::Display for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Methods({self})")
    }
}

/// What a route attribute knows about its route at compile time.
///
/// Every `#[get]`-style attribute and `#[resource]` emits these as constants, so that
/// `routes!` can check for collisions during compilation.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    /// The handler's name: `book`, or `Books::get` for a resource method.
    pub name: &'static str,
    /// The methods it answers.
    pub methods: Methods,
    /// Its path in kiln syntax, without the query part: `/book/<id>`.
    pub path: &'static str,
    /// The names bound from the query string.
    pub query: &'static [&'static str],
    /// `module_path!()` where it was defined.
    pub module: &'static str,
    /// `file!()` where it was defined.
    pub file: &'static str,
    /// `line!()` where it was defined.
    pub line: u32,
}

type MakeRoute =
    Box<dyn FnOnce(MethodRouter<AppState>, MethodFilter) -> MethodRouter<AppState> + Send>;

/// One route ready to mount: where it came from, its path and methods, and its handler.
pub(crate) struct RouteDef {
    pub(crate) name: Cow<'static, str>,
    pub(crate) location: Cow<'static, str>,
    pub(crate) methods: Methods,
    pub(crate) path: Cow<'static, str>,
    /// Macro-made handlers read path parameters by position, so their names are free.
    pub(crate) positional: bool,
    pub(crate) make: MakeRoute,
    pub(crate) checks: Checks,
}

impl fmt::Debug for RouteDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteDef")
            .field("name", &self.name)
            .field("methods", &self.methods)
            .field("path", &self.path)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// Handlers collected by `routes![..]`, ready for [`App::mount`](crate::App::mount).
#[derive(Debug, Default)]
pub struct Routes {
    pub(crate) defs: Vec<RouteDef>,
}

impl Routes {
    /// No routes.
    pub fn new() -> Routes {
        Routes::default()
    }

    /// How many routes (method sets on a path) there are.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Adds all of `other`'s routes.
    pub fn merge(mut self, other: Routes) -> Routes {
        self.defs.extend(other.defs);
        self
    }

    /// `(methods, path, handler name)` of each route, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Methods, &str, &str)> {
        self.defs.iter().map(|d| (d.methods, &*d.path, &*d.name))
    }

    /// Adds a route made by a route attribute. Used by generated code.
    #[doc(hidden)]
    pub fn __push<H, T>(&mut self, info: &'static RouteInfo, handler: H, checks: fn(&mut Checks))
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let mut c = Checks::default();
        checks(&mut c);
        self.defs.push(RouteDef {
            name: Cow::Borrowed(info.name),
            location: Cow::Owned(format!("{}:{}", info.file, info.line)),
            methods: info.methods,
            path: Cow::Borrowed(info.path),
            positional: true,
            make: Box::new(move |mr, filter| mr.on(filter, handler)),
            checks: c,
        });
    }
}

impl Extend<Routes> for Routes {
    fn extend<I: IntoIterator<Item = Routes>>(&mut self, iter: I) {
        for r in iter {
            self.defs.extend(r.defs);
        }
    }
}

/// Marks kiln's own handler type for axum's `Handler` trait.
#[doc(hidden)]
pub struct EndpointMarker;

/// A generated handler: a function of the request and the app state.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Endpoint<F>(pub F);

impl<F, Fut> Handler<EndpointMarker, AppState> for Endpoint<F>
where
    F: FnOnce(axum::extract::Request, AppState) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = axum::response::Response> + Send + 'static,
{
    type Future = crate::catcher::CatchFuture<Fut>;

    fn call(self, req: axum::extract::Request, state: AppState) -> Self::Future {
        crate::catcher::CatchFuture::call(req, state, self.0)
    }
}
