//! Serving over TCP with hyper: HTTP/1.1 and HTTP/2 (prior knowledge), the limits that
//! protect a server from slow, silent and too many clients, and graceful shutdown on
//! Ctrl-C and SIGTERM.
//!
//! - `conn`: one connection, from the first byte (the protocol is detected under the
//!   header-read deadline) to its close (the HTTP/2 idle timeout, shutdown).
//! - `limits`: the connection cap, the concurrency limit that sheds load, and the
//!   default of each limit.

mod conn;
mod limits;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::middleware::Served;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::error::{Error, Result};
use crate::launch::{Problem, ProblemKind};

use limits::{
    DEFAULT_BODY_IDLE_TIMEOUT, DEFAULT_CONCURRENCY_LIMIT, DEFAULT_HTTP2_IDLE_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
};

/// Connection settings for [`Server`]. A zero duration turns that timeout off, and
/// `usize::MAX` that limit.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    pub(crate) shutdown_grace: Duration,
    pub(crate) header_read_timeout: Duration,
    pub(crate) http2_idle_timeout: Duration,
    /// `None`: the default, lowered to what the process's file limit allows.
    pub(crate) max_connections: Option<usize>,
    pub(crate) concurrency_limit: usize,
    /// Paths the concurrency limit lets through (health checks).
    pub(crate) concurrency_exempt: Vec<String>,
    pub(crate) request_timeout: Duration,
    pub(crate) body_idle_timeout: Duration,
    /// The app's security headers, for the answers the server gives itself.
    pub(crate) security_headers: crate::security::SecurityHeaders,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            shutdown_grace: Duration::from_secs(5),
            header_read_timeout: Duration::from_secs(30),
            http2_idle_timeout: DEFAULT_HTTP2_IDLE_TIMEOUT,
            max_connections: None,
            concurrency_limit: DEFAULT_CONCURRENCY_LIMIT,
            concurrency_exempt: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            body_idle_timeout: DEFAULT_BODY_IDLE_TIMEOUT,
            security_headers: crate::security::SecurityHeaders::default(),
        }
    }
}

/// A duration, or `None` for zero (turned off).
pub(crate) fn nonzero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// An app bound to a TCP address, ready to serve. Made by [`App::bind`](crate::App::bind).
///
/// ```no_run
/// # async fn doc() -> kiln::Result<()> {
/// let server = kiln::App::new().bind("127.0.0.1:0").await?;
/// println!("listening on http://{}", server.local_addr());
/// server.serve().await
/// # }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    app: Served,
    config: ServerConfig,
    local_addr: SocketAddr,
}

impl Server {
    pub(crate) async fn bind(
        addr: impl ToSocketAddrs,
        app: Served,
        config: ServerConfig,
    ) -> Result<Server> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::launch(listen_problem(&e)))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::launch(listen_problem(&e)))?;
        Ok(Server {
            listener,
            app,
            config,
            local_addr,
        })
    }

    /// The address it listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn serve(self) -> Result<()> {
        self.serve_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes, then shuts down gracefully: it stops accepting
    /// connections at once, lets in-flight requests finish for up to the grace period,
    /// then closes what is left.
    pub async fn serve_until(self, signal: impl Future<Output = ()> + Send) -> Result<()> {
        let Server {
            listener,
            app,
            config,
            local_addr,
        } = self;
        let shared = Arc::new(conn::Shared::new(app, &config));
        let cap = limits::ConnectionCap::new(config.max_connections);
        tracing::info!(
            max_connections = %limits::Shown(cap.limit()),
            concurrency_limit = %limits::Shown(shared.concurrency_limit()),
            header_read_timeout = %limits::ShownTime(config.header_read_timeout),
            request_timeout = %limits::ShownTime(config.request_timeout),
            body_idle_timeout = %limits::ShownTime(config.body_idle_timeout),
            http2_idle_timeout = %limits::ShownTime(config.http2_idle_timeout),
            "kiln: limits"
        );
        tracing::info!("kiln: listening on http://{local_addr}");
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tokio::pin!(signal);
        loop {
            // Reap finished connection tasks so the set stays small.
            while tasks.try_join_next().is_some() {}
            let (stream, _remote) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(conn) => conn,
                    Err(e) if is_connection_error(&e) => continue,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::error!(error = %e, "accept failed; retrying in 1s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            let _ = stream.set_nodelay(true);
            match cap.admit() {
                limits::Admit::Serve(place) => {
                    let shared = shared.clone();
                    let stopped = stopped.clone();
                    tasks.spawn(async move { conn::serve(stream, place, &shared, stopped).await });
                }
                limits::Admit::Refuse(permit) => {
                    let shared = shared.clone();
                    let stopped = stopped.clone();
                    tasks.spawn(async move {
                        conn::refuse(stream, &shared, stopped).await;
                        drop(permit);
                    });
                }
                // Past the cap and the connections being refused: closed unanswered.
                limits::Admit::Drop => drop(stream),
            }
        }
        drop(listener);
        tracing::info!("kiln: shutting down; letting in-flight requests finish");
        let grace_over = tokio::time::Instant::now() + config.shutdown_grace;
        let _ = stop.send(true);
        let drain = async { while tasks.join_next().await.is_some() {} };
        tokio::select! {
            () = drain => tracing::info!("kiln: all connections closed"),
            () = tokio::time::sleep_until(grace_over) => {
                tracing::warn!(grace = ?config.shutdown_grace, "kiln: grace period over; closing the remaining connections");
            }
        }
        tasks.shutdown().await;
        // WebSockets outlive their connection's task: they get the rest of the grace
        // period, then a close frame (and a moment to send it).
        #[cfg(feature = "ws")]
        shared.sockets.close_at(grace_over).await;
        Ok(())
    }
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Installs a `tracing` subscriber printing to stderr (filter from `RUST_LOG`,
/// default `info`), unless the program installed one already.
pub(crate) fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}

/// Why the server can't listen, as a start-up problem.
fn listen_problem(e: &std::io::Error) -> Problem {
    Problem::new(
        ProblemKind::Address,
        "listener",
        None,
        format!("can't listen: {e}"),
    )
}
