//! Shortly past one machine: two processes of the real binary behind nginx (Debian's
//! package), on one PostgreSQL and then on one Redis. A link made through one process
//! resolves through the other, a session made by one is honoured by the other (same
//! `KILN_SECRET_KEY`, nothing kept in the process), and 1,000 follows spread by nginx
//! over both count exactly 1,000.
//!
//! Needs `KILN_TEST_NGINX` and `KILN_TEST_POSTGRES_URL` / `KILN_TEST_REDIS_URL`, as
//! `scripts/test.sh` sets them; `scripts/scaleout.sh` runs the same set-up by hand.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln::axum::http::StatusCode;
use testkit::{Http, Served, free_port, service};

const BINARY: &str = env!("CARGO_BIN_EXE_shortly");
/// The key both processes share (hex, 32 bytes): what makes a cookie one process
/// wrote readable by the other.
const SECRET: &str = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";
const FOLLOWS: usize = 1_000;

/// nginx on 127.0.0.1, balancing round-robin over `backends`; stopped on drop.
struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    conf: PathBuf,
    port: u16,
}

impl Nginx {
    fn start(nginx: &str, backends: &[SocketAddr]) -> Nginx {
        let dir = tempfile::tempdir().expect("a directory for nginx");
        let port = free_port();
        let servers: String = backends
            .iter()
            .map(|a| format!("        server {a};\n"))
            .collect();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(
            &conf,
            include_str!("../nginx.conf.in")
                .replace("@DIR@", &dir.path().display().to_string())
                .replace("@PORT@", &port.to_string())
                .replace("@BACKENDS@", &servers),
        )
        .expect("write nginx.conf");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {nginx}: {e}"));
        let nginx = Nginx {
            child,
            dir,
            conf,
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on {port}: {}",
                nginx.read("error.log")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        nginx
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file)).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // A graceful stop through the master, so its workers go too.
        let _ = Command::new(std::env::var("KILN_TEST_NGINX").unwrap_or_default())
            .arg("-p")
            .arg(self.dir.path())
            .arg("-c")
            .arg(&self.conf)
            .args(["-s", "stop"])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The short key in a `Location` of `/<key>+`.
fn key_of(location: &str) -> String {
    location
        .trim_start_matches('/')
        .trim_end_matches('+')
        .to_string()
}

/// The click count on a details page.
fn clicks(page: &str) -> u64 {
    let start = page.find(r#"<dd id="clicks">"#).expect("a click count") + 16;
    let end = start + page[start..].find('<').expect("the count's end");
    page[start..end].trim().parse().expect("a number")
}

/// Makes a link for `url` through `at` with the session `http` holds.
async fn shorten(http: &Http, at: &Served, token: &str, url: &str) -> String {
    let made = http
        .post_form(
            &at.url("/"),
            &at.url(""),
            &[("csrf_token", token), ("url", url)],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    key_of(made.location().expect("a Location"))
}

/// The whole run on the store `env` selects.
async fn scale_out(nginx_bin: &str, env: &[(&str, &str)]) {
    let mut env = env.to_vec();
    env.push(("KILN_SECRET_KEY", SECRET));
    // One after the other: the first creates the tables (no two racing to).
    let a = Served::start(BINARY, &env);
    let b = Served::start(BINARY, &env);
    let nginx = Nginx::start(nginx_bin, &[a.addr(), b.addr()]);

    // A session and its CSRF token from process a ...
    let http = Http::new();
    let form = http.get(&a.url("/")).await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form.hidden("csrf_token").expect("a CSRF token in the form");
    let target = "https://example.com/scaled?out=1";
    let key = shorten(&http, &a, &token, target).await;
    // ... are honoured by process b: a second link, made through b.
    let other = shorten(&http, &b, &token, "https://example.org/other").await;
    assert_ne!(key, other);
    // The same URL gets the same key, whichever process is asked.
    assert_eq!(shorten(&http, &b, &token, target).await, key);

    // Made through a, followed through b.
    let followed = Http::new().get(&b.url(&format!("/{key}"))).await;
    assert_eq!(followed.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(followed.location(), Some(target));

    // 1,000 follows through nginx, 64 at a time.
    let client = Http::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(64));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..FOLLOWS {
        let client = client.clone();
        let url = nginx.url(&format!("/{key}"));
        let permit = Arc::clone(&limit).acquire_owned().await.unwrap();
        tasks.spawn(async move {
            let reply = client.get(&url).await;
            drop(permit);
            reply.status
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::MOVED_PERMANENTLY);
    }

    // nginx spread them over both processes. It writes a request's log line after
    // the response has left, so the last lines may come a moment after the replies.
    let follow_line = format!("GET /{key} HTTP");
    let follows_in = |log: &str| log.lines().filter(|l| l.contains(&follow_line)).count();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut log = nginx.read("access.log");
    while follows_in(&log) < FOLLOWS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        log = nginx.read("access.log");
    }
    let served_by = |addr: SocketAddr| {
        log.lines()
            .filter(|l| l.contains(&follow_line) && l.contains(&format!(" {addr} ")))
            .count()
    };
    let (by_a, by_b) = (served_by(a.addr()), served_by(b.addr()));
    eprintln!(
        "nginx sent {by_a} follows to {} and {by_b} to {}",
        a.addr(),
        b.addr()
    );
    assert_eq!(
        by_a + by_b,
        FOLLOWS,
        "every follow went to one of the two:\n{log}"
    );
    assert!(
        by_a >= FOLLOWS / 4 && by_b >= FOLLOWS / 4,
        "both processes served follows"
    );
    // ... and every one counted: 1,000 through nginx and the one through b.
    for at in [&a, &b] {
        let details = Http::new().get(&at.url(&format!("/{key}+"))).await;
        assert_eq!(details.status, StatusCode::OK);
        assert_eq!(
            clicks(&details.body),
            FOLLOWS as u64 + 1,
            "{}",
            details.body
        );
    }
    let through_nginx = Http::new().get(&nginx.url(&format!("/{key}+"))).await;
    assert_eq!(clicks(&through_nginx.body), FOLLOWS as u64 + 1);
    // The details page names the address the visitor used: nginx's, passed on as Host.
    assert!(
        through_nginx
            .body
            .contains(&format!("http://127.0.0.1:{}/{key}", nginx.port)),
        "{}",
        through_nginx.body
    );
    assert!(!a.log().contains("ERROR") && !b.log().contains("ERROR"));
}

/// Runs `sql` (built here from a name of our own, not from input).
async fn exec(pool: &kiln::sqlx::PgPool, sql: &str) {
    kiln::sqlx::raw_sql(kiln::sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn nginx() -> Option<String> {
    service(
        "KILN_TEST_NGINX",
        "nginx",
        "`scripts/need.sh nginx nginx` installs Debian's and prints its path",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_behind_nginx_share_one_postgresql() {
    let Some(nginx) = nginx() else { return };
    let Some(admin) = service(
        "KILN_TEST_POSTGRES_URL",
        "PostgreSQL",
        "`export KILN_TEST_POSTGRES_URL=$(scripts/postgres.sh)`",
    ) else {
        return;
    };
    // A schema of its own, so the run starts from no links.
    let schema = format!("shortly_scaleout_{}", std::process::id());
    let db = kiln::orm::Database::connect(&admin)
        .await
        .expect("connect to PostgreSQL");
    let pool = db.postgres_pool().expect("a PostgreSQL database");
    for sql in [
        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
    ] {
        exec(pool, &sql).await;
    }
    let sep = if admin.contains('?') { '&' } else { '?' };
    let url = format!("{admin}{sep}options=-c%20search_path%3D{schema}");
    scale_out(&nginx, &[("DATABASE_URL", &url)]).await;
    let drop = format!("DROP SCHEMA {schema} CASCADE");
    exec(pool, &drop).await;
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_behind_nginx_share_one_redis() {
    let Some(nginx) = nginx() else { return };
    let Some(redis) = service(
        "KILN_TEST_REDIS_URL",
        "Redis",
        "`export KILN_TEST_REDIS_URL=$(scripts/redis.sh)`",
    ) else {
        return;
    };
    // Keys of its own, so the run starts from no links.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("scaleout-{}-{nanos}:", std::process::id());
    scale_out(&nginx, &[("REDIS_URL", &redis), ("REDIS_PREFIX", &prefix)]).await;
}
