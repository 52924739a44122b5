//! The battery's HTTP/1.1 load client (`scripts/battery.sh`): keep-alive connections on
//! loopback, each sending one request after another for a fixed time, with latencies
//! kept per status and, on request, one log line per request. wrk measures the steady
//! state (L1); this client is used where the battery needs what wrk can't give: the p99
//! of 200s and 503s apart (L2), the ids a server acknowledged (L3, F6), and when each
//! request started and ended (F2, F7).
//!
//! ```text
//! battery-load --addr 127.0.0.1:8000 --method POST --path /books \
//!     --body '{"title":"t","isbn":"L3-{n}"}' -c 64 -d 20 --log acked.txt --log-status 201
//! ```
//!
//! `{n}` in the path or body is a counter unique over the run, `{c}` the connection's
//! number. It prints one JSON summary on stdout. A log line is
//! `start_ms end_ms status kind retry_after body` (epoch milliseconds; `kind` is `ok`,
//! `read`, `write` or `timeout`, status 0 for the last three; body `-` if empty).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

struct Args {
    addr: String,
    method: String,
    path: String,
    body: Option<String>,
    content_type: String,
    connections: usize,
    duration: Duration,
    timeout: Duration,
    log: Option<String>,
    /// Log only these statuses (all when empty).
    log_status: Vec<u16>,
    /// Pause between one connection's requests.
    pause: Duration,
    /// Stop after this many requests on each connection (0: no limit).
    per_connection: u64,
}

fn usage() -> ! {
    eprintln!(
        "usage: battery-load --addr HOST:PORT [--method M] [--path P] [--body B] \
         [--content-type T] [-c N] [-d SECS] [--timeout-ms MS] [--log FILE] \
         [--log-status S,S] [--pause-ms MS] [--per-connection N]"
    );
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut args = Args {
        addr: String::new(),
        method: "GET".into(),
        path: "/".into(),
        body: None,
        content_type: "application/json".into(),
        connections: 1,
        duration: Duration::from_secs(10),
        timeout: Duration::from_secs(10),
        log: None,
        log_status: Vec::new(),
        pause: Duration::ZERO,
        per_connection: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--addr" => args.addr = value(),
            "--method" => args.method = value(),
            "--path" => args.path = value(),
            "--body" => args.body = Some(value()),
            "--content-type" => args.content_type = value(),
            "-c" => args.connections = value().parse().unwrap_or_else(|_| usage()),
            "-d" => {
                let secs: f64 = value().parse().unwrap_or_else(|_| usage());
                args.duration = Duration::from_secs_f64(secs);
            }
            "--timeout-ms" => {
                args.timeout = Duration::from_millis(value().parse().unwrap_or_else(|_| usage()))
            }
            "--log" => args.log = Some(value()),
            "--log-status" => {
                args.log_status = value()
                    .split(',')
                    .map(|s| s.trim().parse().unwrap_or_else(|_| usage()))
                    .collect()
            }
            "--pause-ms" => {
                args.pause = Duration::from_millis(value().parse().unwrap_or_else(|_| usage()))
            }
            "--per-connection" => args.per_connection = value().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    if args.addr.is_empty() {
        usage();
    }
    args
}

/// What one request came to.
enum Outcome {
    Response {
        status: u16,
        retry_after: Option<String>,
        close: bool,
        body: Vec<u8>,
    },
    Failed(&'static str),
}

#[derive(Default)]
struct Stats {
    latencies: BTreeMap<u16, Vec<u32>>,
    errors: BTreeMap<&'static str, u64>,
    retry_after: BTreeMap<u16, u64>,
    log: Vec<u8>,
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads one response from `stream`, `buf` holding bytes already read.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Outcome {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Outcome::Failed("read"),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (mut length, mut chunked, mut close, mut retry_after) = (None, false, false, None);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse::<usize>().ok(),
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            "retry-after" => retry_after = Some(value.to_string()),
            _ => {}
        }
    }
    buf.drain(..head_end);
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(buf, b"\r\n") {
                    break i;
                }
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return Outcome::Failed("read"),
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let size_text = String::from_utf8_lossy(&buf[..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .unwrap_or(0);
            while buf.len() < line_end + 2 + size + 2 {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return Outcome::Failed("read"),
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            body.extend_from_slice(&buf[line_end + 2..line_end + 2 + size]);
            buf.drain(..line_end + 2 + size + 2);
            if size == 0 {
                break body;
            }
        }
    } else if let Some(length) = length {
        while buf.len() < length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Outcome::Failed("read"),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..length).collect()
    } else {
        // No length: the body runs to the close.
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break std::mem::take(buf),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    Outcome::Response {
        status,
        retry_after,
        close: close || (length.is_none() && !chunked),
        body,
    }
}

async fn connection(
    index: usize,
    args: Arc<Args>,
    counter: Arc<AtomicU64>,
    stats: Arc<Mutex<Stats>>,
    deadline: Instant,
) {
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::new();
    let mut sent = 0u64;
    while Instant::now() < deadline && (args.per_connection == 0 || sent < args.per_connection) {
        if stream.is_none() {
            match TcpStream::connect(&args.addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    stream = Some(s);
                    buf.clear();
                }
                Err(_) => {
                    *stats.lock().await.errors.entry("connect").or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            }
        }
        let s = stream.as_mut().expect("connected");
        let n = counter.fetch_add(1, Ordering::Relaxed).to_string();
        let c = index.to_string();
        let fill = |t: &str| t.replace("{n}", &n).replace("{c}", &c);
        let path = fill(&args.path);
        let mut request = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\n",
            args.method, path, args.addr
        );
        let body = args.body.as_deref().map(fill);
        if let Some(body) = &body {
            request.push_str(&format!(
                "Content-Type: {}\r\nContent-Length: {}\r\n\r\n{}",
                args.content_type,
                body.len(),
                body
            ));
        } else {
            request.push_str("\r\n");
        }
        sent += 1;
        let start = Instant::now();
        let start_ms = epoch_ms();
        let outcome = if s.write_all(request.as_bytes()).await.is_err() {
            Outcome::Failed("write")
        } else {
            match tokio::time::timeout(args.timeout, read_response(s, &mut buf)).await {
                Ok(outcome) => outcome,
                Err(_) => Outcome::Failed("timeout"),
            }
        };
        let latency = start.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        let end_ms = epoch_ms();
        let mut st = stats.lock().await;
        let (status, kind, retry, body, drop_conn) = match &outcome {
            Outcome::Response {
                status,
                retry_after,
                close,
                body,
            } => {
                st.latencies.entry(*status).or_default().push(latency);
                if retry_after.is_some() {
                    *st.retry_after.entry(*status).or_default() += 1;
                }
                (
                    *status,
                    "ok",
                    retry_after.clone().unwrap_or_else(|| "-".into()),
                    String::from_utf8_lossy(body).replace(['\n', '\r'], " "),
                    *close,
                )
            }
            Outcome::Failed(kind) => {
                *st.errors.entry(kind).or_default() += 1;
                (0, *kind, "-".into(), String::new(), true)
            }
        };
        if args.log.is_some() && (args.log_status.is_empty() || args.log_status.contains(&status)) {
            let body = if body.is_empty() { "-".into() } else { body };
            let _ = writeln!(st.log, "{start_ms} {end_ms} {status} {kind} {retry} {body}");
        }
        drop(st);
        if drop_conn {
            stream = None;
        }
        if !args.pause.is_zero() {
            tokio::time::sleep(args.pause).await;
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

fn summary(v: &mut [u32]) -> serde_json::Value {
    v.sort_unstable();
    serde_json::json!({
        "count": v.len(),
        "p50_ms": percentile(v, 50.0),
        "p90_ms": percentile(v, 90.0),
        "p99_ms": percentile(v, 99.0),
        "max_ms": v.last().map_or(0.0, |m| f64::from(*m) / 1000.0),
    })
}

fn main() {
    let args = Arc::new(parse_args());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let stats = Arc::new(Mutex::new(Stats::default()));
    let started = Instant::now();
    runtime.block_on(async {
        let counter = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + args.duration;
        let mut tasks = Vec::new();
        for i in 0..args.connections {
            tasks.push(tokio::spawn(connection(
                i,
                args.clone(),
                counter.clone(),
                stats.clone(),
                deadline,
            )));
        }
        // A request in flight at the deadline gets its own timeout to finish.
        for t in tasks {
            let _ = t.await;
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut st = runtime.block_on(stats.lock()).clone_out();
    if let Some(path) = &args.log {
        std::fs::write(path, &st.log).expect("writing the log");
    }
    let mut all: Vec<u32> = st.latencies.values().flatten().copied().collect();
    let total: usize = all.len();
    let mut per_status = serde_json::Map::new();
    let mut counts = serde_json::Map::new();
    for (status, v) in st.latencies.iter_mut() {
        counts.insert(status.to_string(), v.len().into());
        per_status.insert(status.to_string(), summary(v));
    }
    let out = serde_json::json!({
        "duration_s": elapsed,
        "responses": total,
        "rps": total as f64 / elapsed,
        "status": counts,
        "errors": st.errors,
        "retry_after": st.retry_after.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
        "latency": summary(&mut all),
        "latency_by_status": per_status,
    });
    println!("{out}");
}

impl Stats {
    fn clone_out(&mut self) -> Stats {
        std::mem::take(self)
    }
}
