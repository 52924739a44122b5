//! Secure defaults, on without asking: the `Host` check, CSRF protection, sessions'
//! loading and saving, and security headers on every response.
//!
//! Every request passes the [`Shield`] before its handler runs (in
//! `pipeline::before_handler`, and around static files and the user's layers): a
//! malformed or unlisted `Host` is a 400; an unsafe request a browser says is
//! cross-site is a 403, and so is a form body without the session's CSRF token
//! (unless the route says `csrf = false`); the session is loaded for the handler and
//! saved when its response leaves. Every response leaves with the
//! [`SecurityHeaders`]. None of it allocates for a request that needs no session.

pub(crate) mod csrf;
pub(crate) mod host;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use kiln_route::{Methods, RoutePath};

use crate::error::Error;
use crate::session::store::Sessions;
use csrf::{CSRF_HEADER, FormKind};
use host::AllowedHosts;

/// The security headers every response carries. The default is Django's and
/// OWASP's baseline; change it with [`App::security_headers`](crate::App::security_headers).
///
/// ```
/// use kiln::prelude::*;
/// use kiln::SecurityHeaders;
///
/// let app = App::new().security_headers(
///     SecurityHeaders::default()
///         .set("x-frame-options", "SAMEORIGIN")
///         .set("content-security-policy", "default-src 'self'"),
/// );
/// ```
#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Default for SecurityHeaders {
    fn default() -> Self {
        SecurityHeaders {
            headers: vec![
                (
                    HeaderName::from_static("x-content-type-options"),
                    HeaderValue::from_static("nosniff"),
                ),
                (
                    HeaderName::from_static("x-frame-options"),
                    HeaderValue::from_static("DENY"),
                ),
                (
                    HeaderName::from_static("referrer-policy"),
                    HeaderValue::from_static("strict-origin-when-cross-origin"),
                ),
            ],
        }
    }
}

impl SecurityHeaders {
    /// No security headers at all: the opt-out, visible in the code.
    pub fn none() -> SecurityHeaders {
        SecurityHeaders {
            headers: Vec::new(),
        }
    }

    /// Sets header `name` to `value` on every response that does not set it itself.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header name or value (a programming mistake
    /// with literal strings).
    #[track_caller]
    pub fn set(mut self, name: &str, value: &str) -> SecurityHeaders {
        let name = HeaderName::try_from(name)
            .unwrap_or_else(|_| panic!("SecurityHeaders::set: invalid header name {name:?}"));
        let value = HeaderValue::try_from(value)
            .unwrap_or_else(|_| panic!("SecurityHeaders::set: invalid header value {value:?}"));
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value));
        self
    }

    /// Leaves header `name` out.
    pub fn remove(mut self, name: &str) -> SecurityHeaders {
        self.headers
            .retain(|(n, _)| !n.as_str().eq_ignore_ascii_case(name));
        self
    }

    /// Adds the headers a response does not set itself.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        // Most responses have a few headers: comparing their names costs less than
        // hashing each of ours to look it up.
        let few = headers.keys_len() <= 8;
        for (name, value) in &self.headers {
            let present = if few {
                headers.keys().any(|k| k == name)
            } else {
                headers.contains_key(name)
            };
            if !present {
                headers.append(name.clone(), value.clone());
            }
        }
    }
}

/// Marks a request the in-process [`TestClient`](crate::TestClient) sends to get a
/// session and its CSRF token, as a browser gets them from a page with a form. It can
/// only be set in process (extensions never come from the network).
#[derive(Clone, Copy, Debug)]
pub(crate) struct MintCsrf;

/// The routes that opted out of CSRF checks (`csrf = false`), by full path.
pub(crate) struct Exempt(Option<matchit::Router<Methods>>);

impl Exempt {
    /// The table for `routes`: each full path with the methods that opted out.
    pub(crate) fn build<'a>(routes: impl Iterator<Item = (&'a RoutePath, Methods)>) -> Exempt {
        let mut by_path: HashMap<String, Methods> = HashMap::new();
        for (path, methods) in routes {
            let key = path.axum_path(|i| format!("p{i}"));
            let entry = by_path.entry(key).or_insert(Methods::NONE);
            *entry = entry.union(methods);
        }
        if by_path.is_empty() {
            return Exempt(None);
        }
        let mut router = matchit::Router::new();
        for (path, methods) in by_path {
            if let Err(e) = router.insert(path, methods) {
                tracing::warn!(error = %e, "csrf = false: route not registered as exempt");
            }
        }
        Exempt(Some(router))
    }

    fn contains(&self, req: &Request) -> bool {
        let Some(router) = &self.0 else { return false };
        let Some(method) = Methods::from_name(req.method().as_str()) else {
            return false;
        };
        router
            .at(req.uri().path())
            .is_ok_and(|m| m.value.intersects(method))
    }
}

/// What the shield needs, built once at start-up.
pub(crate) struct Shield {
    pub(crate) hosts: AllowedHosts,
    pub(crate) trusted_origins: Vec<String>,
    pub(crate) csrf: bool,
    pub(crate) exempt: Exempt,
    pub(crate) sessions: Arc<Sessions>,
    /// Whether some handler takes a `Session` or a `CsrfToken`: then every request gets
    /// its session; otherwise only those that need one for the CSRF check.
    pub(crate) every_request: bool,
    /// The request body limit, for reading a form's token.
    pub(crate) body_limit: usize,
}

/// What the shield does with a request, decided before the handler runs.
pub(crate) enum Plan {
    /// Refuse it with this error.
    Refuse(Error),
    /// Pass it on, with nothing to load or save.
    Pass,
    /// Load the session first (and check the token of a form body of this kind).
    Session(Option<FormKind>),
    /// Answer the test client's request for a session and token.
    Mint,
}

impl Shield {
    /// The verdict on `req`: cheap, and allocation-free unless it refuses. The `Host`
    /// is checked if `check_host` (it is not when a guard outside already did).
    #[inline]
    pub(crate) fn plan(&self, req: &Request, check_host: bool) -> Plan {
        if check_host && let Err(message) = host::check(req, &self.hosts) {
            return Plan::Refuse(Error::bad_request(message));
        }
        if req.extensions().get::<MintCsrf>().is_some() {
            return Plan::Mint;
        }
        let checked = self.csrf && csrf::is_unsafe(req.method()) && !self.exempt.contains(req);
        if checked {
            if let Err(message) = csrf::check_origin(req.headers(), &self.trusted_origins) {
                return Plan::Refuse(csrf::refusal(message));
            }
            if let Some(kind) = csrf::form_kind(req.headers()) {
                return Plan::Session(Some(kind));
            }
        }
        if self.every_request {
            Plan::Session(None)
        } else {
            Plan::Pass
        }
    }
}

/// The slow path: load the session, check a form's token, run the handler (`call`),
/// save the session. `plan` is [`Plan::Session`] or [`Plan::Mint`].
pub(crate) async fn with_session<C, Fut>(
    shield: Arc<Shield>,
    mut req: Request,
    plan: Plan,
    call: C,
) -> Response
where
    C: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let form = match plan {
        Plan::Session(form) => form,
        Plan::Mint => return mint(shield, req).await,
        Plan::Pass | Plan::Refuse(_) => return call(req).await,
    };
    let session = shield.sessions.load(req.headers()).await;
    if let Some(form) = form {
        let expected = session.lock().payload.csrf.clone();
        let (sent, rebuilt) = token_of(req, form, shield.body_limit).await;
        req = match rebuilt {
            Ok(req) => req,
            Err(res) => return res,
        };
        let ok = match (sent, expected) {
            (Some(sent), Some(expected)) => csrf::token_matches(&sent, &expected),
            _ => false,
        };
        if !ok {
            return csrf::refusal("CSRF token missing or wrong").into_response();
        }
    }
    req.extensions_mut().insert(session.clone());
    let mut res = call(req).await;
    shield.sessions.save(&session, res.headers_mut()).await;
    res
}

/// The test client's token request: the session (made if need be) with a token,
/// saved, and nothing else.
pub(crate) async fn mint(shield: Arc<Shield>, req: Request) -> Response {
    let sessions = &shield.sessions;
    let session = sessions.load(req.headers()).await;
    session.lock().csrf_token();
    let mut res = StatusCode::NO_CONTENT.into_response();
    sessions.save(&session, res.headers_mut()).await;
    res
}

/// The CSRF token a form request carries (header first, then the body), and the
/// request rebuilt with its body, or the answer if the body could not be read.
async fn token_of(
    req: Request,
    form: FormKind,
    limit: usize,
) -> (Option<String>, Result<Request, Response>) {
    if let Some(sent) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return (Some(sent.to_string()), Ok(req));
    }
    let (parts, body) = req.into_parts();
    let bytes = match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let res = if e.is::<http_body_util::LengthLimitError>() {
                Error::status(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
            } else {
                Error::bad_request("the request body could not be read")
            };
            return (None, Err(res.into_response()));
        }
    };
    let sent = match form {
        FormKind::Multipart => csrf::token_in_multipart(&parts.headers, bytes.clone()).await,
        _ => csrf::token_in_body(form, &bytes),
    };
    (sent, Ok(Request::from_parts(parts, Body::from(bytes))))
}
