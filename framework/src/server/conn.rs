//! One connection, from its first byte to its close.
//!
//! hyper's header-read timer starts only once HTTP/1 is known, so kiln reads the first
//! bytes itself until the protocol is known (one byte that is not the HTTP/2
//! preface's, or the whole 24-byte preface), then hands the connection, those bytes
//! replayed first, to hyper's HTTP/1 or HTTP/2 builder. The header-read deadline runs
//! from the accept: the first request's head (HTTP/1) or HEADERS (HTTP/2) must be in by
//! then, so a client that sends nothing, half the preface, or a head one byte at a time
//! is closed at the deadline. After the first request, an HTTP/1 connection is closed
//! once it has waited a header-read timeout (up to half as long again) for a head with
//! no request open: kiln counts heads and open requests, and looks every quarter of
//! the timeout, instead of hyper's timer, which boxes a new sleep for every request.
//! An HTTP/2 connection is bounded by its idle timeout (no open stream for that long:
//! GOAWAY) and by keep-alive pings (a peer that does not answer one within 20 s is
//! dropped).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker, ready};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::task::AtomicWaker;
use hyper::body::Incoming;
use hyper::http::{Request, Response};
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, watch};

use super::limits::{self, Concurrency};
use super::{ServerConfig, nonzero};
use crate::middleware::{Served, ServedFuture};
use crate::security::SecurityHeaders;

/// What an HTTP/2 client sends first.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How long an HTTP/2 connection closed for idleness may take to say goodbye.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// What every connection of one server shares.
pub(crate) struct Shared {
    app: Served,
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
    refuse: auto::Builder<TokioExecutor>,
    concurrency: Concurrency,
    header_read_timeout: Option<Duration>,
    http2_idle_timeout: Option<Duration>,
    refuse_deadline: Duration,
    /// The app's security headers, for the 503s answered here.
    security: Arc<SecurityHeaders>,
    /// Paths never shed by the concurrency limit.
    exempt: Vec<String>,
    /// The open WebSockets, closed at shutdown.
    #[cfg(feature = "ws")]
    pub(crate) sockets: Arc<crate::ws::Sockets>,
}

impl Shared {
    pub(crate) fn new(app: Served, config: &ServerConfig) -> Shared {
        let header_read_timeout = nonzero(config.header_read_timeout);
        let mut http1 = http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            // kiln bounds the wait for each head itself (see the module's docs).
            .header_read_timeout(None)
            // hyper checks its head limit only while a head is incomplete, so one read
            // can take a larger head whole: this checks every complete head too (431).
            .max_header_size(limits::MAX_HEAD)
            .keep_alive(true);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .max_concurrent_streams(256)
            .keep_alive_interval(Duration::from_secs(20))
            .keep_alive_timeout(Duration::from_secs(20));
        let refuse_deadline =
            header_read_timeout.map_or(limits::REFUSE_DEADLINE, |d| d.min(limits::REFUSE_DEADLINE));
        let mut refuse = auto::Builder::new(TokioExecutor::new());
        refuse
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(refuse_deadline)
            .keep_alive(false);
        refuse.http2().timer(TokioTimer::new());
        Shared {
            app,
            http1,
            http2,
            refuse,
            concurrency: Concurrency::new(config.concurrency_limit),
            header_read_timeout,
            http2_idle_timeout: nonzero(config.http2_idle_timeout),
            refuse_deadline,
            security: Arc::new(config.security_headers.clone()),
            exempt: config.concurrency_exempt.clone(),
            #[cfg(feature = "ws")]
            sockets: crate::ws::Sockets::new(),
        }
    }

    /// The concurrency limit, `None` when there is none.
    pub(crate) fn concurrency_limit(&self) -> Option<usize> {
        self.concurrency.limit()
    }
}

/// Serves one connection until it closes, or the server stops. `place` (its place
/// under the connection cap) is held by the connection's IO, so a connection upgraded
/// to a WebSocket keeps it until the socket closes.
pub(crate) async fn serve(
    mut stream: TcpStream,
    place: Option<OwnedSemaphorePermit>,
    shared: &Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    // The first request's head must be in by this deadline, however slowly its bytes
    // come (hyper's own timer bounds the later ones).
    let deadline = shared
        .header_read_timeout
        .map(|d| tokio::time::Instant::now() + d);
    let detected = tokio::select! {
        biased;
        () = stopping(&mut stopped) => return,
        detected = within(shared.header_read_timeout, detect(&mut stream)) => detected,
    };
    let first = match detected {
        Some(Ok(Some(first))) => first,
        Some(Ok(None)) => return,
        Some(Err(e)) => {
            tracing::debug!(error = %e, "connection failed before its first request");
            return;
        }
        None => {
            tracing::debug!("closing a connection that sent no request in time");
            return;
        }
    };
    let http2 = first.http2;
    let io = TokioIo::new(Replay {
        first,
        stream,
        _place: place,
    });
    let state = Arc::new(ConnState::default());
    let service = ConnService {
        shared: shared.clone(),
        state: state.clone(),
        http2,
    };
    let limits = Deadlines {
        first_request: deadline,
        http2,
        http2_idle: shared.http2_idle_timeout.filter(|_| http2),
        http1_head: shared.header_read_timeout.filter(|_| !http2),
    };
    if http2 {
        let conn = shared.http2.serve_connection(io, service);
        drive(conn, stopped, &state, limits).await;
    } else {
        let conn = shared.http1.serve_connection(io, service).with_upgrades();
        drive(conn, stopped, &state, limits).await;
    }
}

/// The deadlines [`drive`] keeps, besides hyper's own.
struct Deadlines {
    /// When the first request's head must have come.
    first_request: Option<tokio::time::Instant>,
    /// The connection is HTTP/2: it is closed with GOAWAY, not cut.
    http2: bool,
    /// HTTP/2: how long the connection may stay without an open stream.
    http2_idle: Option<Duration>,
    /// HTTP/1: how long the connection may wait for a head with no request open.
    http1_head: Option<Duration>,
}

/// Answers a connection over the cap with 503 (HTTP/1 or HTTP/2, by hyper), then
/// closes it; gives up after a short deadline.
pub(crate) async fn refuse(
    stream: TcpStream,
    shared: &Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let answered = Arc::new(Notify::new());
    let service = {
        let answered = answered.clone();
        let security = shared.security.clone();
        hyper::service::service_fn(move |_req: Request<Incoming>| {
            answered.notify_one();
            std::future::ready(Ok::<_, Infallible>(limits::refused_response(&security)))
        })
    };
    let conn = shared
        .refuse
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let work = async {
        tokio::select! {
            _ = conn.as_mut() => {}
            () = answered.notified() => {
                // HTTP/1 closes after the answer by itself; HTTP/2 sends GOAWAY.
                conn.as_mut().graceful_shutdown();
                let _ = conn.as_mut().await;
            }
        }
    };
    tokio::select! {
        () = stopping(&mut stopped) => {}
        _ = tokio::time::timeout(shared.refuse_deadline, work) => {}
    }
}

/// Completes when the server stops (or is gone).
async fn stopping(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// `fut` within `limit` (`None`: past it), or without a limit.
async fn within<F: Future>(limit: Option<Duration>, fut: F) -> Option<F::Output> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, fut).await.ok(),
        None => Some(fut.await),
    }
}

/// Drives a hyper connection to its end: shut down gracefully when the server stops;
/// closed if its first request's head has not come by the deadline (an HTTP/1 head is
/// cut, an HTTP/2 connection gets GOAWAY), or (HTTP/2) when no stream has been open
/// for the idle timeout.
async fn drive<C: Graceful>(
    conn: C,
    mut stopped: watch::Receiver<bool>,
    state: &ConnState,
    limits: Deadlines,
) {
    tokio::pin!(conn);
    let too_late = async {
        let no_request = async {
            if let Some(deadline) = limits.first_request {
                tokio::time::sleep_until(deadline).await;
                if state.heads.load(Ordering::Acquire) == 0 {
                    return;
                }
            }
            std::future::pending().await
        };
        let idle = async {
            match limits.http2_idle {
                Some(timeout) => state.idle_for(timeout).await,
                None => std::future::pending().await,
            }
        };
        let no_head = async {
            match limits.http1_head {
                Some(timeout) => state.head_wait(timeout).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = no_request => "sent no request in time",
            () = idle => "idle",
            () = no_head => "sent no request head in time",
        }
    };
    // The deadlines and the stop signal are polled only when one of them wakes, not
    // on every wake-up of the connection (each read, write and query).
    let result = tokio::select! {
        biased;
        result = conn.as_mut() => result,
        side = OwnWake::new(async {
            tokio::select! {
                () = stopping(&mut stopped) => None,
                why = too_late => Some(why),
            }
        }) => match side {
            None => {
                conn.as_mut().graceful_shutdown();
                conn.as_mut().await
            }
            Some(why) => {
                tracing::debug!(http2 = limits.http2, "closing a connection: {why}");
                if !limits.http2 {
                    return;
                }
                conn.as_mut().graceful_shutdown();
                // No stream is open: if the server stops meanwhile, there is nothing to
                // wait for.
                tokio::select! {
                    result = tokio::time::timeout(CLOSE_GRACE, conn.as_mut()) => match result {
                        Ok(result) => result,
                        Err(_) => return,
                    },
                    () = stopping(&mut stopped) => return,
                }
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

pin_project! {
    /// A future polled only after it woke itself (and once at first), not on every
    /// wake-up of the task it shares.
    struct OwnWake<F> {
        #[pin]
        fut: F,
        flag: Arc<WakeFlag>,
        waker: Waker,
    }
}

/// Whether an [`OwnWake`] future woke, and the task to wake.
struct WakeFlag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<F: Future> OwnWake<F> {
    fn new(fut: F) -> OwnWake<F> {
        let flag = Arc::new(WakeFlag {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        let waker = Waker::from(flag.clone());
        OwnWake { fut, flag, waker }
    }
}

impl<F: Future> Future for OwnWake<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        this.flag.task.register(cx.waker());
        if !this.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        this.fut.poll(&mut Context::from_waker(this.waker))
    }
}

/// A hyper connection of kiln's that can be shut down gracefully.
trait Graceful: Future<Output = hyper::Result<()>> {
    fn graceful_shutdown(self: Pin<&mut Self>);
}

impl Graceful for http1::UpgradeableConnection<TokioIo<Replay>, ConnService> {
    fn graceful_shutdown(self: Pin<&mut Self>) {
        http1::UpgradeableConnection::graceful_shutdown(self);
    }
}

impl Graceful for http2::Connection<TokioIo<Replay>, ConnService, TokioExecutor> {
    fn graceful_shutdown(self: Pin<&mut Self>) {
        http2::Connection::graceful_shutdown(self);
    }
}

/// The first bytes of a connection, and the protocol they say.
struct First {
    buf: [u8; 24],
    len: u8,
    read: u8,
    http2: bool,
}

/// Reads until the protocol is known; `None` if the client closed first.
async fn detect(stream: &mut TcpStream) -> io::Result<Option<First>> {
    let mut buf = [0u8; 24];
    let mut len = 0;
    loop {
        let n = stream.read(&mut buf[len..]).await?;
        if n == 0 {
            return Ok(None);
        }
        let was = len;
        len += n;
        let http1 = buf[was..len] != H2_PREFACE[was..len];
        if http1 || len == H2_PREFACE.len() {
            return Ok(Some(First {
                buf,
                len: len as u8,
                read: 0,
                http2: !http1,
            }));
        }
    }
}

/// The stream with its first bytes put back in front, holding its place under the cap.
struct Replay {
    first: First,
    stream: TcpStream,
    _place: Option<OwnedSemaphorePermit>,
}

impl AsyncRead for Replay {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let first = &mut this.first;
        if first.read < first.len {
            let rest = &first.buf[usize::from(first.read)..usize::from(first.len)];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            first.read += n as u8;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// What a connection's service tells the task driving it.
#[derive(Default)]
struct ConnState {
    /// The request heads that have come.
    heads: AtomicUsize,
    /// The open requests (not yet fully answered), or HTTP/2 streams.
    open: AtomicUsize,
    /// HTTP/2: `open` went from 0 to 1 or from 1 to 0.
    changed: Notify,
}

impl ConnState {
    /// Completes once the connection has waited about `timeout` for a request head
    /// with no request open: between 1 and 1.5 times `timeout` after the last
    /// response, as it looks every quarter of `timeout` and needs five quiet looks.
    async fn head_wait(&self, timeout: Duration) {
        let tick = (timeout / 4).max(Duration::from_millis(1));
        let mut looks = tokio::time::interval_at(tokio::time::Instant::now() + tick, tick);
        looks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen = self.heads.load(Ordering::Acquire);
        let mut quiet = 0;
        loop {
            looks.tick().await;
            let heads = self.heads.load(Ordering::Acquire);
            if heads != seen || self.open.load(Ordering::Acquire) > 0 {
                seen = heads;
                quiet = 0;
                continue;
            }
            quiet += 1;
            if quiet > 4 {
                return;
            }
        }
    }

    /// Completes once no stream has been open for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.open.load(Ordering::Acquire) == 0 {
                if tokio::time::timeout(timeout, changed).await.is_err()
                    && self.open.load(Ordering::Acquire) == 0
                {
                    return;
                }
            } else {
                changed.await;
            }
        }
    }
}

/// One open request or stream, closed when dropped (with the response body). The
/// HTTP/2 idle timeout waits on its changes (`notify`).
struct StreamGuard {
    state: Arc<ConnState>,
    notify: bool,
}

impl StreamGuard {
    fn new(state: &Arc<ConnState>, notify: bool) -> StreamGuard {
        if state.open.fetch_add(1, Ordering::AcqRel) == 0 && notify {
            state.changed.notify_waiters();
        }
        StreamGuard {
            state: state.clone(),
            notify,
        }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if self.state.open.fetch_sub(1, Ordering::AcqRel) == 1 && self.notify {
            self.state.changed.notify_waiters();
        }
    }
}

/// The hyper service of one connection: the app behind the concurrency limit.
struct ConnService {
    shared: Arc<Shared>,
    state: Arc<ConnState>,
    /// HTTP/2: the idle timeout waits on the open streams.
    http2: bool,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<ConnBody>;
    type Error = Infallible;
    type Future = ConnFuture;

    fn call(&self, req: Request<Incoming>) -> ConnFuture {
        self.state.heads.fetch_add(1, Ordering::AcqRel);
        let exempt = !self.shared.exempt.is_empty()
            && self.shared.exempt.iter().any(|p| p == req.uri().path());
        let entered = if exempt {
            Ok(None)
        } else {
            self.shared.concurrency.enter()
        };
        let Ok(permit) = entered else {
            return ConnFuture::Shed {
                security: self.shared.security.clone(),
            };
        };
        let guard = Some(StreamGuard::new(&self.state, self.http2));
        // A request that may become a WebSocket learns of the server's shutdown.
        #[cfg(feature = "ws")]
        let req = {
            let mut req = req;
            if req.headers().contains_key(axum::http::header::UPGRADE)
                || req.method() == axum::http::Method::CONNECT
            {
                req.extensions_mut()
                    .insert(crate::ws::SocketsHandle(self.shared.sockets.clone()));
            }
            req
        };
        let fut = self.shared.app.call(req.map(Body::new));
        ConnFuture::Running { fut, permit, guard }
    }
}

pin_project! {
    /// The response of [`ConnService`]: the app's, holding a place under the
    /// concurrency limit until the response head is ready; or the 503 of a shed request.
    #[project = ConnFutureProj]
    enum ConnFuture {
        Shed { security: Arc<SecurityHeaders> },
        Running {
            #[pin]
            fut: ServedFuture,
            permit: Option<OwnedSemaphorePermit>,
            guard: Option<StreamGuard>,
        },
    }
}

impl Future for ConnFuture {
    type Output = Result<Response<ConnBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            ConnFutureProj::Shed { security } => Poll::Ready(Ok(
                limits::shed_response(security).map(|inner| ConnBody { inner, guard: None })
            )),
            ConnFutureProj::Running { fut, permit, guard } => {
                let Ok(res) = ready!(fut.poll(cx));
                drop(permit.take());
                let guard = guard.take();
                Poll::Ready(Ok(res.map(|inner| ConnBody { inner, guard })))
            }
        }
    }
}

pin_project! {
    /// A response body; on HTTP/2 it keeps its stream open until it ends.
    struct ConnBody {
        #[pin]
        inner: Body,
        guard: Option<StreamGuard>,
    }
}

impl http_body::Body for ConnBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if let Poll::Ready(None | Some(Err(_))) = polled {
            *this.guard = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
