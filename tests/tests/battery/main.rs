//! The fast cases of the reliability and security battery (`/work/shared/BATTERY.md`):
//! bad input over real sockets (B1-B4, B6, B7), faults (F1, F2, F4) and security (S1, S2,
//! S5, S7). Each case asserts, and appends one JSON line `{"id", "pass", "figures"}`
//! to `target/battery.jsonl`.
//!
//! The cases run one at a time (each takes [`serial`] first): their latency bounds and
//! the RSS figures of B4 and B7 (the server runs in this process) would mean little
//! with the other cases running beside them.

mod b1_malformed;
mod b2_header_limits;
mod b3_smuggling;
mod b4_body_limits;
mod b6_path_params;
mod b7_json_bombs;
mod f1_panics;
mod f2_locked;
mod f4_pool;
mod s1_traversal;
mod s2_xss;
mod s5_redirects;
mod s7_headers;
mod seed;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, Once};

use kiln::prelude::*;
use tokio::sync::oneshot;

/// Held by each case for its whole run, so that cases run one at a time.
static SERIAL: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

/// Waits for the other cases to finish; hold the guard for the whole case.
pub(crate) async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    install_panic_counter();
    SERIAL.lock().await
}

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts every panic in the process (the server runs in it), then reports it as usual.
fn install_panic_counter() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

/// How many panics the process has seen so far (cases run one at a time, so the
/// difference across a case is that case's).
pub(crate) fn panics() -> usize {
    PANICS.load(Ordering::SeqCst)
}

/// `target/battery.jsonl`: in `$CARGO_TARGET_DIR`, else the workspace's `target/`.
fn battery_file() -> PathBuf {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds tests/")
        .to_path_buf();
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace.join(dir),
        _ => workspace.join("target"),
    };
    target.join("battery.jsonl")
}

/// Appends `{"id", "pass", "figures"}` to `target/battery.jsonl`.
pub(crate) fn record(id: &str, pass: bool, figures: serde_json::Value) {
    static WRITE: Mutex<()> = Mutex::new(());
    let _guard = WRITE.lock().unwrap_or_else(|e| e.into_inner());
    let path = battery_file();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let line = serde_json::json!({ "id": id, "pass": pass, "figures": figures });
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    file.write_all(format!("{line}\n").as_bytes())
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The failed checks of one case.
#[derive(Debug, Default)]
pub(crate) struct Checks(Vec<String>);

impl Checks {
    /// Notes `what` as a failure unless `ok`.
    pub(crate) fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    /// Whether every check passed.
    pub(crate) fn ok(&self) -> bool {
        self.0.is_empty()
    }

    /// Records the case's line, then fails the test with every failed check.
    pub(crate) fn finish(self, id: &str, figures: serde_json::Value) {
        record(id, self.ok(), figures);
        assert!(
            self.ok(),
            "{id}: {} failed check(s):\n  - {}",
            self.0.len(),
            self.0.join("\n  - ")
        );
    }
}

/// A server on an ephemeral port of 127.0.0.1.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<kiln::Result<()>>,
}

/// Binds `app` to `127.0.0.1:0` and serves it until [`Running::stop`].
pub(crate) async fn start(app: App) -> Running {
    let server = app.bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr();
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_until(async move {
        let _ = rx.await;
    }));
    Running { addr, stop, task }
}

impl Running {
    /// Stops the server; it must stop cleanly.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        self.task
            .await
            .expect("the server task")
            .expect("a clean stop");
    }
}

/// The resident set size of this process (which runs the servers), in KiB.
pub(crate) fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Percent-encodes every byte but the unreserved ones, for a query value.
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A short, printable form of bytes for reports.
pub(crate) fn show(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]);
    format!("{text:?}{}", if bytes.len() > 120 { "…" } else { "" })
}
