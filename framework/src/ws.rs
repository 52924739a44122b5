//! WebSockets: axum's, with one thing added: when the server shuts down, an open
//! socket's [`recv`](WebSocket::recv) sends a close frame (`1001 Going Away`) and ends,
//! once the grace period is over, so clients see a clean close instead of a reset.
//!
//! ```
//! use kiln::prelude::*;
//!
//! #[get("/ws")]
//! async fn echo(ws: WebSocketUpgrade) -> Response {
//!     ws.on_upgrade(|mut socket: WebSocket| async move {
//!         while let Some(Ok(msg)) = socket.recv().await {
//!             if socket.send(msg).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//! ```
//!
//! A plain `GET` without the upgrade headers is refused with a 4xx by the extractor.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use tokio::sync::{Notify, watch};

pub use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, close_code};

use crate::error::Error;

/// The server's open WebSockets: told to close at shutdown, and counted so the server
/// can wait for their close frames.
#[derive(Debug)]
pub(crate) struct Sockets {
    close: watch::Sender<bool>,
    open: AtomicUsize,
    idle: Notify,
}

impl Sockets {
    pub(crate) fn new() -> Arc<Sockets> {
        Arc::new(Sockets {
            close: watch::channel(false).0,
            open: AtomicUsize::new(0),
            idle: Notify::new(),
        })
    }

    /// Lets the open sockets end by themselves until `grace_over`, then tells the rest
    /// to close and waits (at most a second) for their close frames to go out.
    pub(crate) async fn close_at(&self, grace_over: tokio::time::Instant) {
        if tokio::time::timeout_at(grace_over, self.all_closed())
            .await
            .is_ok()
        {
            return;
        }
        tracing::info!(
            open = self.open.load(Ordering::Acquire),
            "kiln: closing the open WebSockets"
        );
        let _ = self.close.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), self.all_closed()).await;
    }

    async fn all_closed(&self) {
        loop {
            let notified = self.idle.notified();
            if self.open.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// Marks a request the server may upgrade: its [`Sockets`].
#[derive(Clone, Debug)]
pub(crate) struct SocketsHandle(pub(crate) Arc<Sockets>);

/// Counts one open socket while it lives.
#[derive(Debug)]
struct Open(Arc<Sockets>);

impl Drop for Open {
    fn drop(&mut self) {
        if self.0.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// The extractor of a WebSocket handshake; [`on_upgrade`](WebSocketUpgrade::on_upgrade)
/// answers it and runs the socket.
#[derive(Debug)]
pub struct WebSocketUpgrade {
    inner: axum::extract::ws::WebSocketUpgrade,
    sockets: Option<Arc<Sockets>>,
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let inner = axum::extract::ws::WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map_err(|r| Error::status(r.status(), r.body_text()))?;
        let sockets = parts.extensions.get::<SocketsHandle>().map(|h| h.0.clone());
        Ok(WebSocketUpgrade { inner, sockets })
    }
}

impl WebSocketUpgrade {
    /// The subprotocols the server speaks, in order of preference.
    pub fn protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<std::borrow::Cow<'static, str>>,
    {
        self.inner = self.inner.protocols(protocols);
        self
    }

    /// The largest message accepted, in bytes (default 64 MiB).
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.inner = self.inner.max_message_size(max);
        self
    }

    /// Answers the handshake (101) and runs `callback` with the socket once upgraded.
    pub fn on_upgrade<C, Fut>(self, callback: C) -> Response
    where
        C: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let sockets = self.sockets;
        self.inner.on_upgrade(move |socket| {
            let open = sockets.map(|s| {
                s.open.fetch_add(1, Ordering::AcqRel);
                (s.close.subscribe(), Open(s))
            });
            let (closing, open) = match open {
                Some((rx, open)) => (Some(rx), Some(open)),
                None => (None, None),
            };
            callback(WebSocket {
                inner: socket,
                closing,
                _open: open,
            })
        })
    }
}

/// An open WebSocket: [`recv`](WebSocket::recv) and [`send`](WebSocket::send) messages.
#[derive(Debug)]
pub struct WebSocket {
    inner: axum::extract::ws::WebSocket,
    closing: Option<watch::Receiver<bool>>,
    _open: Option<Open>,
}

impl WebSocket {
    /// The next message; `None` once the socket is closed, or when the server shuts
    /// down (it then sends the close frame itself).
    pub async fn recv(&mut self) -> Option<Result<Message, axum::Error>> {
        let Some(closing) = &mut self.closing else {
            return self.inner.recv().await;
        };
        tokio::select! {
            biased;
            _ = closing.wait_for(|stop| *stop) => {}
            msg = self.inner.recv() => return msg,
        }
        // The server is shutting down: say so, once, and end.
        self.closing = None;
        let frame = CloseFrame {
            code: close_code::AWAY,
            reason: Utf8Bytes::from_static("server shutting down"),
        };
        let _ = self.inner.send(Message::Close(Some(frame))).await;
        None
    }

    /// Sends `msg`.
    pub async fn send(&mut self, msg: Message) -> Result<(), axum::Error> {
        self.inner.send(msg).await
    }

    /// The subprotocol agreed on, if any.
    pub fn protocol(&self) -> Option<&axum::http::HeaderValue> {
        self.inner.protocol()
    }

    /// axum's socket, for `split()` and the `Stream`/`Sink` traits (shutdown is then
    /// left to you).
    pub fn into_inner(self) -> axum::extract::ws::WebSocket {
        self.inner
    }
}
