//! The limits `serve` and `run` put on clients, and their defaults: the connection
//! cap, the concurrency limit that sheds load, and the answers both give when full.
//!
//! At the connection cap a new connection is still accepted and answered **503** with
//! `Retry-After` and `Connection: close` (by hyper, with a tiny service, within a short
//! deadline), then closed. Not accepting it would leave it in the kernel's listen
//! backlog, where a client (a load balancer's health check included) waits on SYN
//! retries for seconds without learning anything, and a flood fills the backlog for
//! everyone. The connections being refused are themselves capped (a tenth of the cap,
//! at least 32, at most 1,000); past that a new connection is closed at once, unanswered,
//! so a flood costs a file descriptor for a moment, never memory or time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header::{CONNECTION, CONTENT_TYPE, RETRY_AFTER};

use crate::security::SecurityHeaders;
use axum::http::{HeaderValue, Response, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The default connection cap (lowered to three quarters of the open-file limit when
/// that is smaller).
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// The default number of requests handled at once, over all connections.
pub(crate) const DEFAULT_CONCURRENCY_LIMIT: usize = 1_024;
/// The largest request head (start line and headers) accepted: hyper's own buffer
/// limit, 408 KiB; a larger one is answered **431**.
pub(crate) const MAX_HEAD: usize = 417_792;

/// The default time a whole request may take (408 for a slow body, 503 for a slow handler).
pub(crate) const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The default time a request body may go without sending a byte (then 408).
pub(crate) const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time an HTTP/2 connection may stay open with no stream (then GOAWAY).
pub(crate) const DEFAULT_HTTP2_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a refused connection may take to send its request and read the 503.
pub(crate) const REFUSE_DEADLINE: Duration = Duration::from_secs(2);

/// A limit for the logs: a number, or `unlimited`.
pub(crate) struct Shown(pub(crate) Option<usize>);

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("unlimited"),
        }
    }
}

/// A timeout for the logs: a duration, or `off`.
pub(crate) struct ShownTime(pub(crate) Duration);

impl std::fmt::Display for ShownTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_zero() {
            f.write_str("off")
        } else {
            write!(f, "{:?}", self.0)
        }
    }
}

/// `n` as a semaphore size, or `None` for no limit (`usize::MAX`, or more than a
/// semaphore can count).
fn bounded(n: usize) -> Option<usize> {
    (n <= Semaphore::MAX_PERMITS).then_some(n.max(1))
}

/// The soft limit on open files of this process, where the system says (Linux).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// What the accept loop does with a new connection.
pub(crate) enum Admit {
    /// Serve it; the permit (if the cap is on) is its place under the cap.
    Serve(Option<OwnedSemaphorePermit>),
    /// Answer 503 and close it; the permit is its place among the refused.
    Refuse(OwnedSemaphorePermit),
    /// Close it at once.
    Drop,
}

/// The connection cap: connections being served, and those being refused.
pub(crate) struct ConnectionCap {
    serving: Option<Arc<Semaphore>>,
    refusing: Arc<Semaphore>,
    limit: Option<usize>,
}

impl ConnectionCap {
    /// The cap set with `App::max_connections`, or the default (`None`).
    pub(crate) fn new(configured: Option<usize>) -> ConnectionCap {
        let files = open_file_limit();
        let limit = match configured {
            Some(n) => bounded(n),
            None => Some(match files {
                Some(files) => DEFAULT_MAX_CONNECTIONS.min(files / 4 * 3).max(1),
                None => DEFAULT_MAX_CONNECTIONS,
            }),
        };
        if let (Some(limit), Some(files)) = (limit, files)
            && limit >= files
        {
            tracing::warn!(
                max_connections = limit,
                open_file_limit = files,
                "kiln: the connection cap is above the open-file limit; accept will fail first"
            );
        }
        let refusing = limit.map_or(32, |n| (n / 10).clamp(32, 1_000));
        ConnectionCap {
            serving: limit.map(|n| Arc::new(Semaphore::new(n))),
            refusing: Arc::new(Semaphore::new(refusing)),
            limit,
        }
    }

    /// The cap, `None` when there is none.
    pub(crate) fn limit(&self) -> Option<usize> {
        self.limit
    }

    /// Where a new connection goes.
    pub(crate) fn admit(&self) -> Admit {
        let Some(serving) = &self.serving else {
            return Admit::Serve(None);
        };
        if let Ok(permit) = serving.clone().try_acquire_owned() {
            return Admit::Serve(Some(permit));
        }
        match self.refusing.clone().try_acquire_owned() {
            Ok(permit) => Admit::Refuse(permit),
            Err(_) => Admit::Drop,
        }
    }
}

/// The concurrency limit: requests in flight over all connections. A request past it
/// is answered 503 at once; nothing ever waits for a place.
pub(crate) struct Concurrency {
    permits: Option<Arc<Semaphore>>,
    limit: Option<usize>,
    shed: ShedLog,
}

impl Concurrency {
    /// At most `limit` requests at once (`usize::MAX`: no limit).
    pub(crate) fn new(limit: usize) -> Concurrency {
        let limit = bounded(limit);
        Concurrency {
            permits: limit.map(|n| Arc::new(Semaphore::new(n))),
            limit,
            shed: ShedLog::new(),
        }
    }

    /// The limit, `None` when there is none.
    pub(crate) fn limit(&self) -> Option<usize> {
        self.limit
    }

    /// A place for one request (`Ok(None)` when there is no limit), or `Err` if the
    /// server is full and the request must be shed.
    #[inline]
    pub(crate) fn enter(&self) -> Result<Option<OwnedSemaphorePermit>, Full> {
        match &self.permits {
            None => Ok(None),
            Some(permits) => match permits.clone().try_acquire_owned() {
                Ok(permit) => Ok(Some(permit)),
                Err(_) => {
                    self.shed.count();
                    Err(Full)
                }
            },
        }
    }
}

/// The server is at its concurrency limit.
pub(crate) struct Full;

/// Counts shed requests and logs them at most once a second, so that shedding stays
/// cheap under a flood.
struct ShedLog {
    start: Instant,
    shed: AtomicU64,
    logged_at: AtomicU64,
}

impl ShedLog {
    fn new() -> ShedLog {
        ShedLog {
            start: Instant::now(),
            shed: AtomicU64::new(0),
            logged_at: AtomicU64::new(0),
        }
    }

    fn count(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
        let now = self.start.elapsed().as_secs() + 1;
        let last = self.logged_at.load(Ordering::Relaxed);
        if now > last
            && self
                .logged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let shed = self.shed.swap(0, Ordering::Relaxed);
            tracing::warn!(
                shed,
                "kiln: at the concurrency limit; shedding requests with 503"
            );
        }
    }
}

/// The answer to a request shed at the concurrency limit: 503, `Retry-After: 1`.
#[cold]
pub(crate) fn shed_response(security: &SecurityHeaders) -> Response<Body> {
    let mut res = Response::new(Body::from("Service Unavailable"));
    security.apply(res.headers_mut());
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = res.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// The answer on a connection over the cap: 503, `Retry-After: 1`, `Connection: close`.
pub(crate) fn refused_response(security: &SecurityHeaders) -> Response<Body> {
    let mut res = shed_response(security);
    res.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    res
}
