//! An in-process test client: requests go straight into the app's router, with no
//! socket and no port, and cookies are kept between requests like a browser would.

use std::fmt;
use std::future::IntoFuture;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceExt;

use crate::app::App;
use crate::security::MintCsrf;
use crate::security::csrf::CSRF_HEADER;
use crate::session::CSRF_COOKIE;

/// Sends requests to an app in process.
///
/// ```
/// use kiln::prelude::*;
///
/// #[get("/hello/<name>")]
/// async fn hello(name: String) -> String {
///     format!("Hello, {name}!")
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let client = TestClient::new(App::new().mount("/", routes![hello]));
/// let res = client.get("/hello/Kay").await;
/// assert_eq!(res.status(), StatusCode::OK);
/// assert_eq!(res.text(), "Hello, Kay!");
/// # });
/// ```
#[derive(Clone)]
pub struct TestClient {
    router: Router,
    jar: Arc<Mutex<Vec<StoredCookie>>>,
}

#[derive(Clone, Debug)]
struct StoredCookie {
    name: String,
    value: String,
    path: String,
}

impl fmt::Debug for TestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient").finish_non_exhaustive()
    }
}

macro_rules! method_fns {
    ($($name:ident => $method:ident),* $(,)?) => {$(
        #[doc = concat!("Starts a `", stringify!($method), "` request to `path` (which may hold a query).")]
        pub fn $name(&self, path: &str) -> TestRequest {
            self.request(Method::$method, path)
        }
    )*};
}

impl TestClient {
    /// A client for `app`.
    ///
    /// # Panics
    ///
    /// If the app fails to build, with the app's message (a test should see it).
    #[track_caller]
    pub fn new(app: App) -> TestClient {
        match app.into_router() {
            Ok(router) => TestClient::from_router(router),
            Err(e) => panic!("TestClient::new: {e}"),
        }
    }

    /// A client for any axum router.
    pub fn from_router(router: Router) -> TestClient {
        TestClient {
            router,
            jar: Arc::default(),
        }
    }

    method_fns! {
        get => GET, post => POST, put => PUT, patch => PATCH,
        delete => DELETE, head => HEAD, options => OPTIONS,
    }

    /// Starts a request with any method.
    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        TestRequest {
            client: self.clone(),
            method,
            path: path.to_string(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            error: None,
            csrf: Csrf::SameOrigin,
        }
    }

    /// The session's CSRF token, got from the app as a page with a form would give it,
    /// if the client has none yet.
    async fn csrf_token(&self, host: Option<HeaderValue>) -> Option<String> {
        if let Some(token) = self.cookie(CSRF_COOKIE) {
            return Some(token);
        }
        let host = host.unwrap_or(HeaderValue::from_static("localhost"));
        let mut req = Request::builder()
            .method(Method::GET)
            .uri("/")
            .header(HOST, host)
            .body(Body::empty())
            .ok()?;
        req.extensions_mut().insert(MintCsrf);
        if let Some(cookies) = self.cookie_header("/") {
            req.headers_mut().insert(COOKIE, cookies);
        }
        let res = match self.router.clone().oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        };
        self.store_cookies(res.headers(), "/");
        self.cookie(CSRF_COOKIE)
    }

    /// The value of the cookie `name` the client holds, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let jar = self.jar.lock().unwrap_or_else(|e| e.into_inner());
        jar.iter().find(|c| c.name == name).map(|c| c.value.clone())
    }

    fn cookie_header(&self, path: &str) -> Option<HeaderValue> {
        let jar = self.jar.lock().unwrap_or_else(|e| e.into_inner());
        let pairs: Vec<String> = jar
            .iter()
            .filter(|c| path_matches(&c.path, path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        if pairs.is_empty() {
            None
        } else {
            HeaderValue::from_str(&pairs.join("; ")).ok()
        }
    }

    fn store_cookies(&self, headers: &HeaderMap, request_path: &str) {
        let mut jar = self.jar.lock().unwrap_or_else(|e| e.into_inner());
        for value in headers.get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let Ok(cookie) = cookie::Cookie::parse(text.to_string()) else {
                continue;
            };
            let path = cookie
                .path()
                .map(str::to_string)
                .unwrap_or_else(|| default_path(request_path));
            jar.retain(|c| !(c.name == cookie.name() && c.path == path));
            let expired = cookie
                .max_age()
                .is_some_and(|age| age.is_zero() || age.is_negative())
                || cookie
                    .expires_datetime()
                    .is_some_and(|at| at <= cookie::time::OffsetDateTime::now_utc());
            if !expired {
                jar.push(StoredCookie {
                    name: cookie.name().to_string(),
                    value: cookie.value().to_string(),
                    path,
                });
            }
        }
    }
}

/// RFC 6265 §5.1.4 path matching.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    let request_path = request_path.split('?').next().unwrap_or("/");
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// RFC 6265 §5.1.4 default path: the request path up to its last `/`.
fn default_path(request_path: &str) -> String {
    let path = request_path.split('?').next().unwrap_or("/");
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => path[..i].to_string(),
    }
}

/// A request being shaped; `.await` it to send it.
#[must_use = "a TestRequest is sent only when awaited"]
pub struct TestRequest {
    client: TestClient,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    error: Option<String>,
    csrf: Csrf,
}

/// How a request faces the CSRF checks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Csrf {
    /// As a page of the site would send it: same origin, with the session's token.
    SameOrigin,
    /// Same origin, but without the token.
    NoToken,
    /// As another site's page would send it.
    CrossSite,
}

/// The origin `TestClient` requests come from (its `Host` is `localhost`).
const SAME_ORIGIN: &str = "http://localhost";

/// The origin of a cross-site request made with [`TestRequest::cross_site`].
const OTHER_ORIGIN: &str = "https://evil.example";

impl TestRequest {
    /// Sends the request as a page of another site would (`Sec-Fetch-Site:
    /// cross-site`, `Origin: https://evil.example`, no CSRF token): to test that
    /// it is refused.
    pub fn cross_site(mut self) -> TestRequest {
        self.csrf = Csrf::CrossSite;
        self
    }

    /// Sends the request from the site itself but without the session's CSRF token: to
    /// test that a form without it is refused.
    pub fn without_csrf(mut self) -> TestRequest {
        self.csrf = Csrf::NoToken;
        self
    }

    /// Sets a header (replacing any earlier value of that name).
    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                self.headers.insert(n, v);
            }
            _ => self.error = Some(format!("invalid header {name:?}: {value:?}")),
        }
        self
    }

    /// Sends `value` as a JSON body with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> TestRequest {
        match serde_json::to_vec(value) {
            Ok(body) => {
                self.body = body.into();
                self.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Err(e) => self.error = Some(format!("can't serialize the JSON body: {e}")),
        }
        self
    }

    /// Sends `value` (pairs, a map or a struct) as an urlencoded form body.
    pub fn form<T: Serialize + ?Sized>(mut self, value: &T) -> TestRequest {
        match serde_urlencoded::to_string(value) {
            Ok(body) => {
                self.body = body.into();
                self.headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
            }
            Err(e) => self.error = Some(format!("can't serialize the form body: {e}")),
        }
        self
    }

    /// Sends `body` as it is.
    pub fn body(mut self, body: impl Into<Bytes>) -> TestRequest {
        self.body = body.into();
        self
    }

    /// Sends the request and reads the whole response.
    ///
    /// # Panics
    ///
    /// On a request that could not be built (an invalid header or path).
    pub async fn send(self) -> TestResponse {
        if let Some(e) = self.error {
            panic!("TestRequest: {e}");
        }
        let mut req = Request::builder()
            .method(self.method)
            .uri(&self.path)
            .body(Body::from(self.body))
            .unwrap_or_else(|e| panic!("TestRequest: invalid request to {:?}: {e}", self.path));
        *req.headers_mut() = self.headers;
        req.headers_mut()
            .entry(HOST)
            .or_insert(HeaderValue::from_static("localhost"));
        if crate::security::csrf::is_unsafe(req.method()) {
            let (site, origin) = match self.csrf {
                Csrf::CrossSite => ("cross-site", OTHER_ORIGIN),
                Csrf::SameOrigin | Csrf::NoToken => ("same-origin", SAME_ORIGIN),
            };
            let headers = req.headers_mut();
            headers
                .entry("sec-fetch-site")
                .or_insert(HeaderValue::from_static(site));
            headers
                .entry(ORIGIN)
                .or_insert(HeaderValue::from_static(origin));
            if self.csrf == Csrf::SameOrigin
                && !req.headers().contains_key(CSRF_HEADER)
                && let Some(token) = self
                    .client
                    .csrf_token(req.headers().get(HOST).cloned())
                    .await
                && let Ok(value) = HeaderValue::try_from(token)
            {
                req.headers_mut().insert(CSRF_HEADER, value);
            }
        }
        if !req.headers().contains_key(COOKIE)
            && let Some(cookies) = self.client.cookie_header(&self.path)
        {
            req.headers_mut().insert(COOKIE, cookies);
        }
        let res = match self.client.router.clone().oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        };
        let (parts, body) = res.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_else(|e| panic!("TestRequest: reading the response body failed: {e}"));
        self.client.store_cookies(&parts.headers, &self.path);
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

impl IntoFuture for TestRequest {
    type Output = TestResponse;
    type IntoFuture = BoxFuture<'static, TestResponse>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A response read whole by [`TestClient`].
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The first value of header `name`, if present and readable as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// All the headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// If it is not JSON of type `T`, showing the body.
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("TestResponse::json: {e}; the body was: {}", self.text()))
    }

    /// The body as bytes.
    pub fn bytes(&self) -> Bytes {
        self.body.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_paths() {
        assert!(path_matches("/", "/anything"));
        assert!(path_matches("/a", "/a/b"));
        assert!(path_matches("/a", "/a?x=1"));
        assert!(!path_matches("/a", "/ab"));
        assert_eq!(default_path("/a/b"), "/a");
        assert_eq!(default_path("/a"), "/");
    }
}
