//! Helpers shared by kiln's integration tests: a raw HTTP/1.1 exchange over a real
//! TCP socket, for what the in-process test client can't see (framing, keep-alive,
//! shutdown).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response read off the wire.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status code from the status line.
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (by `Content-Length`).
    pub body: String,
}

/// What came next on a connection read with [`Wire::next`].
#[derive(Debug)]
pub enum Next {
    /// A complete response.
    Response(RawResponse),
    /// The server closed the connection (end of stream); `partial` holds any bytes it
    /// sent that were not a complete response.
    Closed {
        /// Bytes read that did not make a complete response.
        partial: Vec<u8>,
    },
    /// The connection was reset (or another read error).
    Reset(std::io::ErrorKind),
    /// Nothing complete within the time limit.
    TimedOut,
}

/// A connection read response by response, keeping what it read past each one, for
/// pipelined requests; bodies framed by `Content-Length`, chunked, or the close.
#[derive(Debug)]
pub struct Wire<S> {
    /// The stream (a `TcpStream`, or its read half).
    pub inner: S,
    buf: Vec<u8>,
}

impl Wire<TcpStream> {
    /// Connects to `addr`.
    ///
    /// # Panics
    ///
    /// If the connection is refused.
    pub async fn connect(addr: SocketAddr) -> Wire<TcpStream> {
        Wire::new(TcpStream::connect(addr).await.expect("connect"))
    }

    /// Writes `bytes`; an error means the server closed or reset the connection.
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
        self.inner.write_all(bytes.as_ref()).await
    }
}

impl<S: tokio::io::AsyncRead + Unpin> Wire<S> {
    /// Reads from `inner`.
    pub fn new(inner: S) -> Wire<S> {
        Wire {
            inner,
            buf: Vec::new(),
        }
    }

    /// The next response, the close, a reset, or [`Next::TimedOut`] after `limit`
    /// (what was read so far is kept for the next call).
    pub async fn next(&mut self, limit: Duration) -> Next {
        tokio::time::timeout(limit, self.read_one())
            .await
            .unwrap_or(Next::TimedOut)
    }

    /// Reads more into the buffer: `Ok(false)` at the end of the stream.
    async fn fill(&mut self) -> std::io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.inner.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    /// Fills until `ready(buf)` gives a position, or the stream ends.
    async fn until(&mut self, ready: impl Fn(&[u8]) -> Option<usize>) -> Result<usize, Next> {
        loop {
            if let Some(i) = ready(&self.buf) {
                return Ok(i);
            }
            match self.fill().await {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Next::Closed {
                        partial: std::mem::take(&mut self.buf),
                    });
                }
                Err(e) => return Err(Next::Reset(e.kind())),
            }
        }
    }

    async fn read_one(&mut self) -> Next {
        match self.try_read_one().await {
            Ok(res) => Next::Response(res),
            Err(next) => next,
        }
    }

    async fn try_read_one(&mut self) -> Result<RawResponse, Next> {
        let head_end = self.until(|b| find(b, b"\r\n\r\n").map(|i| i + 4)).await?;
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_string();
        let Some(mut res) = parse_head(&head) else {
            return Err(Next::Closed {
                partial: std::mem::take(&mut self.buf),
            });
        };
        let chunked = res
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        let length: Option<usize> = res.header("content-length").and_then(|v| v.parse().ok());
        let no_body = res.status < 200 || res.status == 204 || res.status == 304;
        let body = if no_body {
            self.buf.drain(..head_end);
            Vec::new()
        } else if chunked {
            self.buf.drain(..head_end);
            let mut body = Vec::new();
            loop {
                let line_end = self.until(|b| find(b, b"\r\n")).await?;
                let line = String::from_utf8_lossy(&self.buf[..line_end]).to_string();
                let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| Next::Closed {
                    partial: self.buf.clone(),
                })?;
                let need = line_end + 2 + size + 2;
                self.until(|b| (b.len() >= need).then_some(need)).await?;
                body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                self.buf.drain(..need);
                if size == 0 {
                    break;
                }
            }
            body
        } else if let Some(len) = length {
            let need = head_end + len;
            self.until(|b| (b.len() >= need).then_some(need)).await?;
            let body = self.buf[head_end..need].to_vec();
            self.buf.drain(..need);
            body
        } else {
            // Framed by the close.
            while let Ok(true) = self.fill().await {}
            let body = self.buf[head_end..].to_vec();
            self.buf.clear();
            body
        };
        res.body = String::from_utf8_lossy(&body).to_string();
        Ok(res)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The status and headers of a response head (its body left empty).
fn parse_head(head: &str) -> Option<RawResponse> {
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(RawResponse {
        status,
        headers,
        body: String::new(),
    })
}

impl RawResponse {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` on `stream` and reads one response (bounded by `Content-Length`).
///
/// # Panics
///
/// If the server closes the connection or takes over 10 s.
pub async fn exchange(stream: &mut TcpStream, request: &str) -> RawResponse {
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    tokio::time::timeout(Duration::from_secs(10), read_response(stream))
        .await
        .expect("response within 10 s")
        .expect("a complete response")
}

/// Reads one response; `None` if the connection closed first.
pub async fn read_response(stream: &mut TcpStream) -> Option<RawResponse> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(RawResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

/// `GET path` on a new connection.
pub async fn get(addr: SocketAddr, path: &str) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    exchange(
        &mut stream,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    )
    .await
}
