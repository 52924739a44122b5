//! The application builder: routes, catchers, state and middleware, turned into one
//! axum router and served.

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::Route;
use tokio::net::ToSocketAddrs;
use tower::{Layer, Service};

use kiln_route::{RoutePath, Syntax};

use crate::catcher::{Catcher, CatcherTable};
use crate::error::{Error, Result};
use crate::launch::{Problem, ProblemKind};
use crate::middleware::{Served, Stack, Wrap};
use crate::pipeline::guard::PanicGuardLayer;
use crate::pipeline::runtime::{DEFAULT_BODY_LIMIT, Runtime};
use crate::pipeline::{AppState, Caught};
use crate::routing::table::{self, Entry};
use crate::routing::{RouteDef, Routes, methods_of};
use crate::security::host::AllowedHosts;
use crate::security::{Exempt, SecurityHeaders, Shield};
use crate::sentinel::{Checks, Registry};
use crate::server::{Server, ServerConfig};
use crate::session::SessionStore;
use crate::session::key::{self, KeyRing};
use crate::session::store::Sessions;
use crate::state::StateBuilder;
use crate::static_files::StaticFiles;

/// One call of `App::layer` or `App::wrap`, kept in the order made.
enum Step {
    /// A tower layer around each route.
    Layer(Box<dyn FnOnce(Router) -> Router + Send>),
    /// Middleware around the router and the middleware after it.
    Wrap(Box<dyn FnOnce(Stack) -> Stack + Send>),
}

/// A kiln application: mount routes, add catchers, state and middleware, then serve.
///
/// ```no_run
/// use kiln::prelude::*;
///
/// #[get("/")]
/// async fn index() -> &'static str {
///     "Hello, World!"
/// }
///
/// #[catch(404)]
/// async fn not_found(uri: Uri) -> Html<String> {
///     Html(format!("<h1>No page at {uri}</h1>"))
/// }
///
/// #[tokio::main]
/// async fn main() -> kiln::Result<()> {
///     App::new()
///         .mount("/", routes![index])
///         .catch(catchers![not_found])
///         .run()
///         .await
/// }
/// ```
///
/// Mistakes found while building (a route defined twice, state a handler needs but
/// nobody manages, two catchers for one status) are all reported together by
/// [`into_router`](App::into_router), [`serve`](App::serve) and [`run`](App::run).
#[must_use = "an App does nothing until it is served or turned into a router"]
pub struct App {
    pub(crate) routes: Vec<(Cow<'static, str>, RouteDef)>,
    catchers: Vec<Catcher>,
    state: StateBuilder,
    layers: Vec<Step>,
    statics: Vec<StaticFiles>,
    body_limit: usize,
    problems: Vec<Problem>,
    config: ServerConfig,
    security: SecurityConfig,
    pub(crate) data: DataConfig,
    pub(crate) openapi: crate::openapi::Serve,
}

/// What the app knows of its data: the database, the models and the migrations.
#[derive(Default)]
pub(crate) struct DataConfig {
    /// The database given to `App::database`.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) db: Option<crate::orm::Database>,
    /// The models given to `App::models`.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) models: Option<crate::orm::Schema>,
    /// The migrations given to `App::migrations`, embedded.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) migrations: Option<&'static crate::orm::Migrations>,
    /// Where `makemigrations` writes (and `migrate` reads, without embedded ones).
    pub(crate) migrations_dir: Option<std::path::PathBuf>,
}

impl DataConfig {
    /// The migrations folder.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn dir(&self) -> std::path::PathBuf {
        self.migrations_dir
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from("migrations"))
    }
}

/// What `App` was told about secure defaults; see the builder methods.
struct SecurityConfig {
    secret_key: Option<Vec<u8>>,
    old_keys: Vec<Vec<u8>>,
    store: Option<Arc<dyn SessionStore>>,
    secure_cookies: bool,
    session_max_age: Duration,
    trusted_origins: Vec<String>,
    allowed_hosts: Option<Vec<String>>,
    headers: SecurityHeaders,
    require_key: bool,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            secret_key: None,
            old_keys: Vec::new(),
            store: None,
            secure_cookies: false,
            session_max_age: crate::session::DEFAULT_MAX_AGE,
            trusted_origins: Vec::new(),
            allowed_hosts: None,
            headers: SecurityHeaders::default(),
            require_key: false,
        }
    }
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    /// An empty application: every request answers 404.
    pub fn new() -> App {
        App {
            routes: Vec::new(),
            catchers: Vec::new(),
            state: StateBuilder::default(),
            layers: Vec::new(),
            statics: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            problems: Vec::new(),
            config: ServerConfig::default(),
            security: SecurityConfig::default(),
            data: DataConfig::default(),
            openapi: crate::openapi::Serve::default(),
        }
    }

    /// Mounts `routes` under the static `prefix`: `"/"`, or `"/api"` to serve
    /// `#[get("/books")]` at `/api/books`.
    pub fn mount(mut self, prefix: impl Into<Cow<'static, str>>, routes: Routes) -> App {
        let prefix = prefix.into();
        for def in routes.defs {
            self.routes.push((prefix.clone(), def));
        }
        self
    }

    /// Adds one route at run time from any axum handler: `.route("/ping", Method::GET, ping)`.
    ///
    /// The path may use kiln syntax (`/book/<id>`) or axum syntax (`/book/{id}`);
    /// axum extractors such as `Path` see the parameter names as written.
    #[track_caller]
    pub fn route<H, T>(
        mut self,
        path: impl Into<Cow<'static, str>>,
        method: Method,
        handler: H,
    ) -> App
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let location = std::panic::Location::caller();
        let path = path.into();
        let here = format!("{}:{}", location.file(), location.line());
        let Some(methods) = methods_of(&method) else {
            self.problems.push(Problem::new(
                ProblemKind::BadMethod,
                format!("{method} {path}"),
                Some(here),
                format!("`{method}` on `{path}` is not a method kiln can route"),
            ));
            return self;
        };
        self.routes.push((
            Cow::Borrowed("/"),
            RouteDef {
                name: Cow::Borrowed(std::any::type_name::<H>()),
                location: Cow::Owned(here),
                methods,
                path,
                positional: false,
                csrf: true,
                make: Box::new(move |mr, filter| mr.on(filter, Caught(handler))),
                checks: Checks::default(),
                describe: None,
            },
        ));
        self
    }

    /// Registers catchers, made with `catchers![..]`.
    pub fn catch(mut self, catchers: Vec<Catcher>) -> App {
        self.catchers.extend(catchers);
        self
    }

    /// Shares `value` with every handler, which asks for it as [`State<T>`](crate::State).
    #[track_caller]
    pub fn manage<T: Send + Sync + 'static>(mut self, value: T) -> App {
        if !self.state.insert(value) {
            let location = std::panic::Location::caller();
            let here = format!("{}:{}", location.file(), location.line());
            let name = std::any::type_name::<T>();
            self.problems.push(Problem::new(
                ProblemKind::ManagedTwice,
                name,
                Some(here.clone()),
                format!("`{name}` is managed twice (the second time at {here})"),
            ));
        }
        self
    }

    /// Adds a tower layer around every route, the fallback and kiln's error responses.
    ///
    /// The first layer added is the outermost: requests pass layers in the order they
    /// were added, responses in reverse. Like axum's `Router::layer`, it wraps each
    /// route, so it runs after routing and sees `MatchedPath`.
    pub fn layer<L>(mut self, layer: L) -> App
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.layers
            .push(Step::Layer(Box::new(move |router: Router| {
                router.layer(layer)
            })));
        self
    }

    /// Adds middleware around everything: a [`Middleware`](crate::middleware::Middleware)
    /// type, an `async fn(req: Request, next: Next) -> Response` (see `#[middleware]`),
    /// or a built-in from [`kiln::middleware`](mod@crate::middleware).
    ///
    /// `wrap` and [`layer`](App::layer) share one order: the first added is the
    /// outermost, so requests pass them in the order added and responses in reverse.
    /// Middleware goes once around the whole router, before routing: it sees every
    /// request (static files, 404s and 405s too), but no `MatchedPath`.
    pub fn wrap<W, M>(mut self, middleware: W) -> App
    where
        W: Wrap<M> + Send + 'static,
    {
        self.layers.push(Step::Wrap(Box::new(move |stack: Stack| {
            middleware.wrap_stack(stack)
        })));
        self
    }

    /// Serves the files of folder `dir` under the URL `prefix`:
    /// `.static_files("/static", "static")`. See [`StaticFiles`] for the details and
    /// [`serve_files`](App::serve_files) for the options.
    ///
    /// A folder that does not exist stops the app at start-up.
    pub fn static_files(
        self,
        prefix: impl Into<String>,
        dir: impl Into<std::path::PathBuf>,
    ) -> App {
        self.serve_files(StaticFiles::new(prefix, dir))
    }

    /// Serves a folder configured with [`StaticFiles`] (cache policy, precompression).
    pub fn serve_files(mut self, files: StaticFiles) -> App {
        self.statics.push(files);
        self
    }

    /// The largest request body accepted, in bytes (default 2 MiB). A body declared
    /// longer answers **413** before the handler runs; a streamed one is cut off at
    /// the limit (413 from the extractor reading it).
    pub fn body_limit(mut self, bytes: usize) -> App {
        self.body_limit = bytes;
        self
    }

    /// How long [`serve`](App::serve) and [`run`](App::run) let in-flight requests
    /// finish after Ctrl-C or SIGTERM before closing their connections (default 5 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> App {
        self.config.shutdown_grace = grace;
        self
    }

    /// How long a client may take to send a request's head before the connection is
    /// closed (default 30 s; this also closes idle keep-alive connections).
    ///
    /// It runs from the moment a connection is accepted, so a client that never sends a
    /// byte (or half an HTTP/2 preface) is closed too. `Duration::ZERO` turns it off.
    pub fn header_read_timeout(mut self, timeout: Duration) -> App {
        self.config.header_read_timeout = timeout;
        self
    }

    /// The secret key sealing session cookies (at least 32 bytes of random data);
    /// without it, `$KILN_SECRET_KEY` (hex or base64). A release build whose handlers
    /// use sessions or CSRF tokens refuses to start without one; a debug build makes a
    /// random key (sessions then end when the app restarts) and warns.
    pub fn secret_key(mut self, key: impl AsRef<[u8]>) -> App {
        self.security.secret_key = Some(key.as_ref().to_vec());
        self
    }

    /// A previous secret key, still accepted for reading cookies it sealed (key
    /// rotation); `$KILN_OLD_SECRET_KEYS` (comma-separated) adds more.
    pub fn old_secret_key(mut self, key: impl AsRef<[u8]>) -> App {
        self.security.old_keys.push(key.as_ref().to_vec());
        self
    }

    /// Refuses to start without a secret key even in a debug build, as a release build
    /// that uses sessions does (for staging builds, and to test that check).
    pub fn require_secret_key(mut self) -> App {
        self.security.require_key = true;
        self
    }

    /// Keeps sessions in `store` on the server instead of in the cookie (which then
    /// holds only a sealed random id): [`DatabaseStore`](crate::session::DatabaseStore),
    /// or `RedisStore` with the `redis` feature.
    pub fn sessions(mut self, store: impl SessionStore) -> App {
        self.security.store = Some(Arc::new(store));
        self
    }

    /// Marks kiln's cookies `Secure` (sent over HTTPS only): turn it on behind TLS.
    pub fn secure_cookies(mut self, secure: bool) -> App {
        self.security.secure_cookies = secure;
        self
    }

    /// How long a session lives after its last change (default two weeks).
    pub fn session_max_age(mut self, age: Duration) -> App {
        self.security.session_max_age = age;
        self
    }

    /// Origins (`https://pay.example`) whose cross-site unsafe requests are accepted by
    /// the CSRF origin check. Form bodies still need the token.
    pub fn trusted_origins<I, S>(mut self, origins: I) -> App
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.security.trusted_origins.extend(
            origins
                .into_iter()
                .map(|o| o.into().trim_end_matches('/').to_string()),
        );
        self
    }

    /// The hosts the app answers to (`books.test`, or `.books.test` for the domain and
    /// its subdomains); any other `Host` answers **400**. Without it any well-formed
    /// host is accepted (a malformed, doubled or missing one never is).
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> App
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list = self.security.allowed_hosts.get_or_insert_with(Vec::new);
        list.extend(hosts.into_iter().map(|h| h.into().to_ascii_lowercase()));
        self
    }

    /// The security headers every response carries (default: `nosniff`,
    /// `X-Frame-Options: DENY`, `Referrer-Policy: strict-origin-when-cross-origin`);
    /// [`SecurityHeaders::none()`] turns them off.
    pub fn security_headers(mut self, headers: SecurityHeaders) -> App {
        self.security.headers = headers;
        self
    }

    /// How long an HTTP/2 connection may stay open with no request in flight before it
    /// is closed gracefully with GOAWAY (default 60 s; `Duration::ZERO` turns it off).
    pub fn http2_idle_timeout(mut self, timeout: Duration) -> App {
        self.config.http2_idle_timeout = timeout;
        self
    }

    /// The most connections served at once (default 10,000, or three quarters of the
    /// process's open-file limit if that is lower; `usize::MAX` turns the cap off).
    ///
    /// A connection past the cap is answered **503** with `Retry-After: 1` and
    /// `Connection: close`, then closed.
    pub fn max_connections(mut self, max: usize) -> App {
        self.config.max_connections = Some(max);
        self
    }

    /// The most requests handled at once, over all connections (default 1,024;
    /// `usize::MAX` turns the limit off).
    ///
    /// A request past the limit is answered **503** with `Retry-After: 1` at once: it
    /// is shed, never queued, before any middleware runs (so the request log doesn't
    /// show it; a warning a second counts them). A request holds its place until its
    /// response head is ready, so a streamed body or a WebSocket doesn't keep one.
    pub fn concurrency_limit(mut self, max: usize) -> App {
        self.config.concurrency_limit = max;
        self
    }

    /// Paths (exact, like `"/health"`) that the concurrency limit never sheds, so a
    /// load balancer's health check still answers while the app sheds everything else.
    /// Keep them cheap: they are not limited.
    pub fn concurrency_exempt<I, S>(mut self, paths: I) -> App
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config
            .concurrency_exempt
            .extend(paths.into_iter().map(Into::into));
        self
    }

    /// How long a request may take, reading its body included (default 30 s;
    /// `Duration::ZERO` turns it off): **408** if the app was waiting for the client's
    /// body, **503** if the app itself was slow, as [`Timeout`](crate::middleware::Timeout).
    pub fn request_timeout(mut self, timeout: Duration) -> App {
        self.config.request_timeout = timeout;
        self
    }

    /// Turns the request timeout off (for long uploads or slow streams); the body idle
    /// timeout still applies.
    pub fn no_request_timeout(self) -> App {
        self.request_timeout(Duration::ZERO)
    }

    /// How long a request body being read may go without sending anything before the
    /// request answers **408** (default 10 s; `Duration::ZERO` turns it off).
    pub fn body_idle_timeout(mut self, timeout: Duration) -> App {
        self.config.body_idle_timeout = timeout;
        self
    }

    /// The application as a plain axum router, to serve or to nest in other axum code.
    ///
    /// Fails with every problem found: routes defined twice (naming the method, the
    /// path and both handlers), state that handlers need but nobody manages, catchers
    /// registered twice, malformed paths.
    pub fn into_router(self) -> Result<Router> {
        Ok(self.build(Outer::default())?.into_router())
    }

    /// The app, inside the layers kiln's server adds (`outer`).
    fn build(self, outer: Outer) -> Result<Served> {
        let App {
            routes,
            catchers,
            state,
            layers,
            statics,
            body_limit,
            mut problems,
            config: _,
            security,
            data: _,
            openapi,
        } = self;
        let mut routes = routes;
        let fixed = openapi.fixed(routes.iter().map(|(prefix, def)| def.listed(prefix)));
        routes.extend(
            fixed
                .into_iter()
                .map(|f| (Cow::Borrowed("/"), RouteDef::fixed(f))),
        );
        let registry = Registry {
            state: &state,
            sessions: std::cell::Cell::new(false),
        };
        let bad_path = |subject: String, location: Option<String>, message: String| {
            Problem::new(ProblemKind::BadPath, subject, location, message)
        };
        let mut entries = Vec::with_capacity(routes.len());
        for (prefix, def) in routes {
            let prefix_path = match RoutePath::parse_as(&prefix, Syntax::Runtime) {
                Ok(p) if p.is_static() => p,
                Ok(_) => {
                    problems.push(bad_path(
                        prefix.to_string(),
                        None,
                        format!("mount prefix `{prefix}` must not have parameters"),
                    ));
                    continue;
                }
                Err(e) => {
                    problems.push(bad_path(
                        prefix.to_string(),
                        None,
                        format!("mount prefix: {e}"),
                    ));
                    continue;
                }
            };
            let path = match RoutePath::parse_as(&def.path, Syntax::Runtime) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(bad_path(
                        def.path.to_string(),
                        Some(def.location.to_string()),
                        format!("`{}` ({}): {e}", def.name, def.location),
                    ));
                    continue;
                }
            };
            problems.extend(def.checks.run(&registry, &def.name, &def.location));
            if def.methods.is_empty() {
                problems.push(Problem::new(
                    ProblemKind::BadMethod,
                    def.name.to_string(),
                    Some(def.location.to_string()),
                    format!(
                        "handler `{}` ({}) answers no method",
                        def.name, def.location
                    ),
                ));
                continue;
            }
            entries.push(Entry {
                full: path.under(&prefix_path),
                def,
            });
        }
        let mut static_prefixes = Vec::new();
        for files in &statics {
            let subject = files.prefix.clone();
            match RoutePath::parse_as(&files.prefix, Syntax::Runtime) {
                Ok(p) if p.is_static() => static_prefixes.push(p),
                Ok(_) => problems.push(bad_path(
                    subject,
                    None,
                    format!(
                        "static files prefix `{}` must not have parameters",
                        files.prefix
                    ),
                )),
                Err(e) => {
                    problems.push(bad_path(subject, None, format!("static files prefix: {e}")))
                }
            }
        }
        let exempt = Exempt::build(
            entries
                .iter()
                .filter(|e| !e.def.csrf)
                .map(|e| (&e.full, e.def.methods)),
        );
        let uses_sessions = registry.sessions.get();
        let release = !cfg!(debug_assertions) || security.require_key;
        let keys = match key_ring(&security, uses_sessions, !release) {
            Ok(keys) => Some(keys),
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        let router = match table::build(entries, &static_prefixes) {
            Ok(router) => Some(router),
            Err(more) => {
                problems.extend(more);
                None
            }
        };
        let catchers = match CatcherTable::build(catchers) {
            Ok(t) => Some(t),
            Err(more) => {
                problems.extend(more);
                None
            }
        };
        let (Some(router), Some(catchers), Some(keys)) = (router, catchers, keys) else {
            return Err(Error::launch(problems));
        };

        // kiln's own settings: one `Runtime`, shared by every handler's future, the
        // static files and the panic guard.
        let shield = Shield {
            hosts: AllowedHosts(security.allowed_hosts),
            trusted_origins: security.trusted_origins,
            csrf: true,
            exempt,
            sessions: Arc::new(Sessions {
                keys,
                store: security.store,
                max_age: security.session_max_age,
                secure: security.secure_cookies,
            }),
            every_request: uses_sessions,
            body_limit,
        };
        // A panic guard goes around the router when anything else does: panics in the
        // layers are 500s too, errors kiln's built-in layers produce reach the
        // catchers, and what the layers answer themselves leaves with the security
        // headers. It checks the `Host` and adds the headers for the handlers inside.
        let guarded = !layers.is_empty() || outer.timeouts.is_some();
        let runtime = Arc::new(Runtime {
            catchers: (!catchers.is_empty()).then_some(catchers),
            body_limit,
            shield: Arc::new(shield),
            headers: security.headers,
            outside: guarded,
        });
        let mut services = Vec::new();
        for (files, prefix) in statics.iter().zip(&static_prefixes) {
            match files.service(runtime.clone(), prefix.segments.is_empty()) {
                Ok(service) => services.push((prefix.path_string(), service)),
                Err(e) => problems.push(Problem::new(
                    ProblemKind::StaticFiles,
                    files.prefix.clone(),
                    None,
                    e,
                )),
            }
        }
        if !problems.is_empty() {
            return Err(Error::launch(problems));
        }

        // Panics and catchers are handled inside each handler's future (kiln's own and
        // `App::route`'s alike), so that no tower layer boxes anything per request.
        let mut router = router;
        let mut root_files = None;
        for (prefix, service) in services {
            if prefix == "/" {
                root_files = Some(service);
            } else {
                router = router.nest_service(&prefix, service);
            }
        }
        let router = table::with_fallbacks(router, root_files);
        let mut router = router.with_state(AppState::new(state.finish(), runtime.clone()));
        if body_limit != DEFAULT_BODY_LIMIT {
            router = router.layer(axum::extract::DefaultBodyLimit::max(body_limit));
        }
        // Applied innermost first. A layer after middleware wraps the middleware too:
        // the stack so far becomes a router's fallback for it.
        let mut stack = Stack::new(router);
        for step in layers.into_iter().rev() {
            stack = match step {
                Step::Layer(layer) => Stack::new(layer(stack.into_router())),
                Step::Wrap(wrap) => wrap(stack),
            };
        }
        // kiln's own layers go once around the whole stack, as concrete types, not
        // around each route as `Router::layer` puts them (see `middleware::stack`).
        // Outermost first: the request log (it sees the final status), the panic guard,
        // the request timeouts (they wrap all the app's middleware), the user's layers.
        let guard = guarded.then(|| PanicGuardLayer::new(runtime));
        Ok(Served::new(stack, outer.timeouts, guard, outer.request_log))
    }

    /// Binds `addr` (use port 0 for any free port), ready to serve.
    ///
    /// The server applies kiln's limits (see [`header_read_timeout`](App::header_read_timeout)
    /// and the methods after it); [`into_router`](App::into_router) and the test client don't.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> Result<Server> {
        self.bind_with(addr, false).await
    }

    /// [`bind`](App::bind), with the request log outermost if `request_log`.
    async fn bind_with(self, addr: impl ToSocketAddrs, request_log: bool) -> Result<Server> {
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        self.check_schema().await?;
        let mut config = self.config.clone();
        config.security_headers = self.security.headers.clone();
        let outer = Outer {
            timeouts: crate::middleware::RequestTimeouts::new(
                config.request_timeout,
                config.body_idle_timeout,
            ),
            request_log,
        };
        let app = self.build(outer)?;
        Server::bind(addr, app, config).await
    }

    /// Serves on `addr` until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn serve(self, addr: impl ToSocketAddrs) -> Result<()> {
        self.bind(addr).await?.serve().await
    }

    /// Serves on `$HOST:$PORT` (default `127.0.0.1:8000`), logging each request with
    /// `tracing`, until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run(self) -> Result<()> {
        crate::server::init_tracing();
        let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_string());
        let port = match std::env::var("PORT") {
            Ok(p) => p.parse::<u16>().map_err(|_| {
                Error::launch(Problem::new(
                    ProblemKind::Address,
                    "PORT",
                    None,
                    format!("PORT must be a port number, not `{p}`"),
                ))
            })?,
            Err(_) => 8000,
        };
        let addr: SocketAddr = match format!("{host}:{port}").parse() {
            Ok(a) => a,
            Err(_) => match tokio::net::lookup_host((host.as_str(), port))
                .await
                .ok()
                .and_then(|mut a| a.next())
            {
                Some(a) => a,
                None => {
                    return Err(Error::launch(Problem::new(
                        ProblemKind::Address,
                        "HOST",
                        None,
                        format!("HOST `{host}` is not an address"),
                    )));
                }
            },
        };
        // Request logging is the outermost layer, so it sees the final status.
        self.bind_with(addr, true).await?.serve().await
    }
}

/// The layers kiln's server puts around an app's router.
#[derive(Default, Clone, Copy)]
struct Outer {
    timeouts: Option<crate::middleware::RequestTimeouts>,
    request_log: bool,
}

/// The app's secret keys: set with `App::secret_key` or `$KILN_SECRET_KEY`, with older
/// ones for reading. Without one, a release build that uses sessions stops; otherwise
/// a random key (warned about in a debug build that uses sessions).
fn key_ring(
    security: &SecurityConfig,
    uses_sessions: bool,
    debug: bool,
) -> std::result::Result<KeyRing, Problem> {
    let problem = |message: String| Problem::new(ProblemKind::Config, "secret key", None, message);
    let env = std::env::var(key::SECRET_KEY_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let current = match (&security.secret_key, env) {
        (Some(k), _) if k.len() < key::MIN_KEY_LEN => {
            return Err(problem(format!(
                "`App::secret_key` is {} bytes; it needs at least {} random bytes",
                k.len(),
                key::MIN_KEY_LEN
            )));
        }
        (Some(k), _) => Some(k.clone()),
        (None, Some(text)) => Some(
            key::decode_key(&text).map_err(|e| problem(format!("${} {e}", key::SECRET_KEY_VAR)))?,
        ),
        (None, None) => None,
    };
    let mut old = security.old_keys.clone();
    if let Ok(text) = std::env::var(key::OLD_KEYS_VAR) {
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            old.push(
                key::decode_key(part)
                    .map_err(|e| problem(format!("a key in ${} {e}", key::OLD_KEYS_VAR)))?,
            );
        }
    }
    match current {
        Some(k) => Ok(KeyRing::new(&k, &old)),
        None if uses_sessions && !debug => Err(problem(format!(
            "this release build uses sessions or CSRF tokens but has no secret key: set ${} \
             (at least 32 random bytes, hex or base64: `openssl rand -hex 32`) or call \
             `App::secret_key`",
            key::SECRET_KEY_VAR
        ))),
        None => {
            if uses_sessions {
                tracing::warn!(
                    "kiln: no secret key (${}); sessions use a random key and end when the app restarts",
                    key::SECRET_KEY_VAR
                );
            }
            Ok(KeyRing::random())
        }
    }
}
