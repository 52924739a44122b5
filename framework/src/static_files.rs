//! Serving a folder of files: tower-http's `ServeDir` (content types, `ETag` and
//! `Last-Modified` with 304s, `Range` requests, precompressed `.br`/`.gz` siblings)
//! behind kiln's containment policy and error handling.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{ALLOW, CACHE_CONTROL};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use tower::{Service, ServiceExt};
use tower_http::services::ServeDir;
use tower_http::services::fs::{Backend, TokioBackend, TokioFile};

use crate::error::Error;
use crate::pipeline::guard::CatchFuture;
use crate::pipeline::runtime::Runtime;

/// A folder served under a URL prefix, for [`App::serve_files`](crate::App::serve_files).
///
/// ```no_run
/// use kiln::static_files::StaticFiles;
///
/// let app = kiln::App::new()
///     .static_files("/static", "static")                       // the usual way
///     .serve_files(StaticFiles::new("/assets", "dist").cache_control("public, max-age=31536000, immutable"));
/// ```
#[derive(Debug, Clone)]
pub struct StaticFiles {
    pub(crate) prefix: String,
    pub(crate) dir: PathBuf,
    cache_control: String,
    precompressed: bool,
}

impl StaticFiles {
    /// Serves the files of `dir` (relative to the working directory, or absolute)
    /// under the URL `prefix`.
    pub fn new(prefix: impl Into<String>, dir: impl Into<PathBuf>) -> StaticFiles {
        StaticFiles {
            prefix: prefix.into(),
            dir: dir.into(),
            cache_control: "no-cache".to_string(),
            precompressed: true,
        }
    }

    /// The `Cache-Control` header sent with files (default `no-cache`: browsers keep
    /// files but revalidate them with `ETag`/`Last-Modified`, which suits development).
    pub fn cache_control(mut self, value: impl Into<String>) -> StaticFiles {
        self.cache_control = value.into();
        self
    }

    /// Whether `name.br` / `name.gz` siblings are sent to clients that accept them
    /// (default on).
    pub fn precompressed(mut self, on: bool) -> StaticFiles {
        self.precompressed = on;
        self
    }

    /// The service for this folder, or why it can't be served.
    pub(crate) fn service(
        &self,
        runtime: Arc<Runtime>,
        at_root: bool,
    ) -> Result<StaticService, String> {
        let root = std::fs::canonicalize(&self.dir).map_err(|e| {
            let cwd = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            format!(
                "static folder `{}` for `{}` can't be opened ({e}; working directory {cwd})",
                self.dir.display(),
                self.prefix
            )
        })?;
        if !root.is_dir() {
            return Err(format!(
                "static folder `{}` for `{}` is not a folder",
                self.dir.display(),
                self.prefix
            ));
        }
        let cache_control = HeaderValue::from_str(&self.cache_control).map_err(|_| {
            format!(
                "`{}` is not a valid Cache-Control value",
                self.cache_control
            )
        })?;
        let root = Arc::new(root);
        let mut dir = ServeDir::with_backend(root.as_path(), Contained { root: root.clone() })
            .append_index_html_on_directories(true);
        if self.precompressed {
            dir = dir.precompressed_br().precompressed_gzip();
        }
        Ok(StaticService {
            dir,
            cache_control,
            catchers: runtime,
            at_root,
        })
    }
}

/// kiln's file policy over tokio's file system: only regular paths inside the folder.
///
/// `ServeDir` already refuses `..`, absolute and drive paths after percent-decoding;
/// this also refuses what it follows by design: a symlink (or any path) whose real
/// location is outside the folder, and hidden files and folders (`.env`, `.git/`).
#[derive(Clone, Debug)]
struct Contained {
    root: Arc<PathBuf>,
}

fn not_found() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "not served")
}

impl Contained {
    async fn check(root: &Path, path: &Path) -> io::Result<()> {
        let relative = path.strip_prefix(root).map_err(|_| not_found())?;
        for component in relative.components() {
            match component {
                Component::Normal(name) if !name.to_string_lossy().starts_with('.') => {}
                _ => return Err(not_found()),
            }
        }
        // The real location, every symlink resolved, must still be inside.
        let real = tokio::fs::canonicalize(path)
            .await
            .map_err(|_| not_found())?;
        if real.starts_with(root) {
            Ok(())
        } else {
            Err(not_found())
        }
    }
}

impl Backend for Contained {
    type File = TokioFile;
    type Metadata = std::fs::Metadata;
    type OpenFuture = BoxFuture<'static, io::Result<TokioFile>>;
    type MetadataFuture = BoxFuture<'static, io::Result<std::fs::Metadata>>;

    fn open(&self, path: PathBuf) -> Self::OpenFuture {
        let root = self.root.clone();
        Box::pin(async move {
            Contained::check(&root, &path).await?;
            TokioBackend.open(path).await
        })
    }

    fn metadata(&self, path: PathBuf) -> Self::MetadataFuture {
        let root = self.root.clone();
        Box::pin(async move {
            Contained::check(&root, &path).await?;
            TokioBackend.metadata(path).await
        })
    }
}

/// The service serving one folder: `GET`/`HEAD` only, kiln's errors (so catchers
/// render a missing file), a `Cache-Control` header on what it serves.
#[derive(Clone)]
pub(crate) struct StaticService {
    dir: ServeDir<tower_http::services::fs::DefaultServeDirFallback, Contained>,
    cache_control: HeaderValue,
    catchers: Arc<Runtime>,
    /// Served at `/` as the fallback: other methods are then just "no such route".
    at_root: bool,
}

impl StaticService {
    async fn serve(
        dir: ServeDir<tower_http::services::fs::DefaultServeDirFallback, Contained>,
        cache_control: HeaderValue,
        at_root: bool,
        req: Request,
    ) -> Response {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            if at_root {
                return Error::not_found().into_response();
            }
            let mut res = Error::from_status(StatusCode::METHOD_NOT_ALLOWED).into_response();
            res.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET,HEAD"));
            return res;
        }
        match dir.oneshot(req).await {
            Ok(res) if res.status() == StatusCode::NOT_FOUND => Error::not_found().into_response(),
            // ServeDir answers an I/O failure with a bare 500: make it kiln's.
            Ok(res) if res.status().is_server_error() => {
                Error::from_status(res.status()).into_response()
            }
            Ok(res) => {
                let (mut parts, body) = res.into_parts();
                if (parts.status.is_success() || parts.status == StatusCode::NOT_MODIFIED)
                    && !parts.headers.contains_key(CACHE_CONTROL)
                {
                    parts.headers.insert(CACHE_CONTROL, cache_control);
                }
                Response::from_parts(parts, Body::new(body))
            }
            Err(never) => match never {},
        }
    }
}

impl Service<Request> for StaticService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let (dir, cache_control, at_root) =
            (self.dir.clone(), self.cache_control.clone(), self.at_root);
        let fut = CatchFuture::with_table(self.catchers.clone(), false, req, move |req| {
            Self::serve(dir, cache_control, at_root, req)
        });
        Box::pin(async move { Ok(fut.await) })
    }
}
