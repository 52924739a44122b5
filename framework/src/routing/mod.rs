//! Routes: what the route attributes describe, what `routes!` collects, and (in
//! [`table`]) how the [`App`](crate::App) turns them into one axum router, with the
//! start-up collision check and the 404 and 405 answers. The path grammar, the method
//! table and the collision rule itself are `kiln-route`'s, shared with the macros.

pub(crate) mod table;

use std::borrow::Cow;
use std::fmt;

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter};
pub use kiln_route::Methods;
use kiln_route::Shape;

use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;

use crate::openapi::{DescribeFn, Fixed, Listed};
use crate::pipeline::AppState;
use crate::sentinel::Checks;

/// The set holding just `method`, or `None` for a method kiln does not route.
pub(crate) fn methods_of(method: &Method) -> Option<Methods> {
    Methods::from_name(method.as_str())
}

/// The same set as axum's [`MethodFilter`], method by method through `http`'s names.
pub(crate) fn filter_of(methods: Methods) -> Option<MethodFilter> {
    methods
        .names()
        .filter_map(|name| Method::from_bytes(name.as_bytes()).ok())
        .filter_map(|m| MethodFilter::try_from(m).ok())
        .reduce(MethodFilter::or)
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
    /// The path's shape, for the collision rule.
    pub shape: Shape<'static>,
    /// The names bound from the query string.
    pub query: &'static [&'static str],
    /// Whether the CSRF checks apply (`false` after `csrf = false`).
    pub csrf: bool,
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
    /// Whether the CSRF checks apply to it.
    pub(crate) csrf: bool,
    pub(crate) make: MakeRoute,
    pub(crate) checks: Checks,
    /// What the OpenAPI document says of it, for a route made by an attribute.
    pub(crate) describe: Option<DescribeFn>,
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

impl RouteDef {
    /// The route as the OpenAPI document lists it, under `prefix`.
    pub(crate) fn listed<'a>(&'a self, prefix: &'a str) -> Listed<'a> {
        Listed {
            prefix,
            path: &self.path,
            name: &self.name,
            methods: self.methods,
            csrf: self.csrf,
            positional: self.positional,
            describe: self.describe,
        }
    }

    /// A `GET` route answering a body fixed at start-up (the OpenAPI document, its page).
    pub(crate) fn fixed(fixed: Fixed) -> RouteDef {
        let Fixed {
            path,
            name,
            media,
            body,
        } = fixed;
        let handler = move || {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, HeaderValue::from_static(media))], body) }
        };
        RouteDef {
            name: Cow::Borrowed(name),
            location: Cow::Borrowed("kiln::openapi"),
            methods: Methods::GET,
            path: Cow::Owned(path),
            positional: false,
            csrf: true,
            make: Box::new(move |mr, filter| mr.on(filter, handler)),
            checks: Checks::default(),
            describe: None,
        }
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
}

impl Extend<Routes> for Routes {
    fn extend<I: IntoIterator<Item = Routes>>(&mut self, iter: I) {
        for r in iter {
            self.defs.extend(r.defs);
        }
    }
}

/// Adds a route made by a route attribute to `routes`. Used by generated code.
pub fn push_route<H, T>(
    routes: &mut Routes,
    info: &'static RouteInfo,
    handler: H,
    checks: fn(&mut Checks),
    describe: DescribeFn,
) where
    H: Handler<T, AppState>,
    T: 'static,
{
    let mut c = Checks::default();
    checks(&mut c);
    routes.defs.push(RouteDef {
        name: Cow::Borrowed(info.name),
        location: Cow::Owned(format!("{}:{}", info.file, info.line)),
        methods: info.methods,
        path: Cow::Borrowed(info.path),
        positional: true,
        csrf: info.csrf,
        make: Box::new(move |mr, filter| mr.on(filter, handler)),
        checks: c,
        describe: Some(describe),
    });
}
