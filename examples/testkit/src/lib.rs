//! Test support for kiln's example apps, run the way they are deployed: the real binary
//! listening on a port ([`Served`]), an HTTP client that keeps cookies ([`Http`]), and
//! headless Chromium driven over WebDriver ([`Browser`]).
//!
//! A test that needs a service (nginx, PostgreSQL, Redis, Chromium) asks [`service`]
//! for it: outside CI a missing one skips the test and says so; in CI it fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{COOKIE, HeaderMap, HeaderValue, LOCATION, SET_COOKIE};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub use fantoccini::{Locator, elements::Element};

/// The value of the environment variable `var`, which names the service `what` a test
/// needs, or `None` when the test should skip (said on stderr).
///
/// # Panics
///
/// When the variable is unset and `CI` is set: in CI every test runs. `how` says how
/// to start the service.
pub fn service(var: &str, what: &str, how: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is not set, and CI is: this test needs {what}. {how}")
        }
        _ => {
            eprintln!("skipping: this test needs {what} and {var} is not set ({how})");
            None
        }
    }
}

/// A free TCP port on 127.0.0.1 (for a program that cannot be told to pick its own).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Where test artifacts go: `<target>/<kind>/`, created.
pub fn artifact_dir(kind: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join(kind);
    std::fs::create_dir_all(&dir).expect("create the artifact directory");
    dir
}

/// An example app's real binary, started with `PORT=0` on 127.0.0.1; killed on drop.
pub struct Served {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Served {
    /// Starts `binary` with the environment `env` and waits (up to 30 s) until it
    /// says where it listens.
    ///
    /// # Panics
    ///
    /// When it does not start, with what it printed.
    pub fn start(binary: &str, env: &[(&str, &str)]) -> Served {
        let mut command = Command::new(binary);
        command
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {binary}: {e}"));
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.trim().to_string());
                }
                let mut log = lines.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr.parse().expect("a socket address"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "{binary} did not start listening; it printed:\n{}",
                    log.lock().unwrap()
                );
            }
        };
        Served { child, addr, log }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP/1.1 client that keeps the cookies it is sent, like a browser, and does not
/// follow redirects.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    cookies: Arc<Mutex<BTreeMap<String, String>>>,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, as text.
    pub body: String,
}

impl Reply {
    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The value of the hidden input `name` in the body (a CSRF token, say).
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.body.find(&marker)? + marker.len();
        let len = self.body[start..].find('"')?;
        Some(self.body[start..start + len].to_string())
    }
}

impl Default for Http {
    fn default() -> Self {
        Http::new()
    }
}

impl Http {
    /// A client with no cookies.
    pub fn new() -> Http {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Http {
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(64)
                .build(connector),
            cookies: Arc::default(),
        }
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> Reply {
        self.send(Method::GET, url, &[], Bytes::new()).await
    }

    /// `POST url` with the form `fields`, from a page of `origin` (`http://host:port`).
    pub async fn post_form(&self, url: &str, origin: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let headers = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", origin),
        ];
        self.send(Method::POST, url, &headers, Bytes::from(body))
            .await
    }

    /// Sends a request with the cookies held, and keeps the ones the response sets.
    ///
    /// # Panics
    ///
    /// When the request cannot be sent or the response read.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let cookies = {
            let jar = self.cookies.lock().unwrap();
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !cookies.is_empty() {
            request = request.header(COOKIE, HeaderValue::from_str(&cookies).unwrap());
        }
        let request = request.body(Full::new(body)).expect("a valid request");
        let response = self
            .client
            .request(request)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e:?}"));
        let (parts, body) = response.into_parts();
        {
            let mut jar = self.cookies.lock().unwrap();
            for value in parts.headers.get_all(SET_COOKIE) {
                let Some(c) = value
                    .to_str()
                    .ok()
                    .and_then(|v| cookie::Cookie::parse(v.to_string()).ok())
                else {
                    continue;
                };
                jar.insert(c.name().to_string(), c.value().to_string());
            }
        }
        let body = body
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{url}: reading the body: {e}"))
            .to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// Form-urlencodes `s` (everything but unreserved characters as `%XX`).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The environment variable naming ChromeDriver (set by `scripts/test.sh`).
pub const CHROMEDRIVER_ENV: &str = "KILN_TEST_CHROMEDRIVER";

/// Headless Chromium, driven over WebDriver by its own ChromeDriver; both stop on
/// [`Browser::close`] (or on drop, less gracefully).
pub struct Browser {
    driver: Child,
    client: Option<fantoccini::Client>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts ChromeDriver (`$KILN_TEST_CHROMEDRIVER`) and a headless Chromium session
    /// (`$KILN_TEST_CHROMIUM`, default `/usr/bin/chromium`), or `None` to skip.
    ///
    /// # Panics
    ///
    /// When ChromeDriver or the browser does not start.
    pub async fn start() -> Option<Browser> {
        let driver_path = service(
            CHROMEDRIVER_ENV,
            "headless Chromium and ChromeDriver",
            "`scripts/chromium.sh` installs Debian's chromium and chromium-driver and prints the driver's path",
        )?;
        let chromium =
            std::env::var("KILN_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {driver_path}: {e}"));
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut browser = Browser {
            driver,
            client: None,
            _profile: profile,
        };
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-extensions".into(),
            "--window-size=1000,720".into(),
            format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        // Wait for the driver to listen, then ask it for a session.
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{driver_path} did not listen on port {port} within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let client = fantoccini::ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("start a Chromium session through {driver_path}: {e}"));
        browser.client = Some(client);
        Some(browser)
    }

    /// The WebDriver session.
    pub fn client(&self) -> &fantoccini::Client {
        self.client.as_ref().expect("an open session")
    }

    /// Waits (up to 10 s) for the element `css`.
    ///
    /// # Panics
    ///
    /// When it does not appear, with the page's source.
    pub async fn wait_for(&self, css: &str) -> Element {
        let found = self
            .client()
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => {
                let source = self.client().source().await.unwrap_or_default();
                panic!("no `{css}` on the page ({e}); the page was:\n{source}")
            }
        }
    }

    /// Waits (up to 10 s) for the element `css`, and clicks it.
    ///
    /// # Panics
    ///
    /// When it does not appear or cannot be clicked.
    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// Waits (up to 10 s) until the text of `css` satisfies `test`, and returns it.
    ///
    /// # Panics
    ///
    /// When it does not, with the last text seen.
    pub async fn wait_for_text(&self, css: &str, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = match self.client().find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if test(&text) {
                return text;
            }
            if Instant::now() > deadline {
                panic!("`{css}` never had the text expected; its last text was {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a screenshot of the window as `target/screenshots/<name>.png` and returns
    /// its path.
    ///
    /// # Panics
    ///
    /// When the browser cannot take it or the file cannot be written.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client().screenshot().await.expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a screenshot is a PNG");
        let path = artifact_dir("screenshots").join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// Ends the session, then the driver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
