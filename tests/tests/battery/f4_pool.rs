//! F4: pool exhaustion on a SQLite file. With `max_connections(2)`, `/hold` keeps a
//! connection for 3 s; 20 `/hold` and 50 `/book/1` at once. The books that find no
//! connection answer 503 (`PoolTimedOut`, with `Retry-After`) no later than the acquire
//! timeout + 0.5 s; nothing hangs; afterwards the pool drains to idle. A handler that
//! acquires twice on a one-connection pool is ended by the timeout, not a deadlock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln::prelude::*;
use kiln_tests::{Next, Wire};
use tokio::sync::Barrier;

use crate::{Checks, seed, serial, start};

const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);
const HOLD: Duration = Duration::from_secs(3);
const GRACE: Duration = Duration::from_millis(500);

/// Takes a connection from the pool and keeps it for 3 s.
#[get("/hold")]
async fn hold(db: Db) -> Result<&'static str> {
    let pool = db.sqlite_pool().expect("a SQLite database");
    let conn = pool.acquire().await.map_err(kiln::orm::Error::from)?;
    tokio::time::sleep(HOLD).await;
    drop(conn);
    Ok("held")
}

/// Holds a connection, then asks the ORM for another: on a one-connection pool this
/// can only end by the acquire timeout.
#[get("/nested")]
async fn nested(db: Db) -> Result<String> {
    let pool = db.sqlite_pool().expect("a SQLite database");
    let _conn = pool.acquire().await.map_err(kiln::orm::Error::from)?;
    let book = db.find::<seed::Book>(1).await?;
    Ok(book.title)
}

/// One request's answer: status (0: none), `Retry-After`, latency.
async fn request(
    addr: std::net::SocketAddr,
    path: &'static str,
    go: Arc<Barrier>,
) -> (u16, bool, Duration) {
    let mut conn = Wire::connect(addr).await;
    go.wait().await;
    let sent = Instant::now();
    let _ = conn
        .send(format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ))
        .await;
    match conn.next(Duration::from_secs(10)).await {
        Next::Response(res) => (
            res.status,
            res.header("retry-after").is_some(),
            sent.elapsed(),
        ),
        _ => (0, false, sent.elapsed()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f4_pool_exhaustion() {
    let _serial = serial().await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let db = Database::builder(&url)
        .max_connections(2)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect()
        .await
        .expect("open the SQLite file");
    seed::populate(&db).await;
    let server = start(seed::app(db.clone()).mount("/", routes![hold])).await;
    let mut checks = Checks::default();

    let holds = 20;
    let books = 50;
    let go = Arc::new(Barrier::new(holds + books));
    let mut tasks = Vec::new();
    for i in 0..holds + books {
        let path = if i < holds { "/hold" } else { "/book/1" };
        tasks.push((path, tokio::spawn(request(server.addr, path, go.clone()))));
    }
    let mut book_503 = 0;
    let mut book_200 = 0;
    let mut hold_200 = 0;
    let mut hold_503 = 0;
    let mut hung = 0;
    let mut max_book_wait = Duration::ZERO;
    let mut max_wait = Duration::ZERO;
    for (path, task) in tasks {
        let (status, retry_after, took) = task.await.expect("a request task");
        max_wait = max_wait.max(took);
        if status == 0 {
            hung += 1;
            checks.check(false, || format!("{path}: no answer after {took:?}"));
            continue;
        }
        if status == 503 {
            checks.check(retry_after, || format!("{path}: a 503 without Retry-After"));
        }
        if path == "/book/1" {
            max_book_wait = max_book_wait.max(took);
            match status {
                503 => book_503 += 1,
                200 => book_200 += 1,
                other => checks.check(false, || format!("/book/1 answered {other}")),
            }
            checks.check(took <= ACQUIRE_TIMEOUT + GRACE, || {
                format!(
                    "/book/1 answered {status} after {took:?}, wanted <= {:?}",
                    ACQUIRE_TIMEOUT + GRACE
                )
            });
        } else {
            match status {
                200 => hold_200 += 1,
                503 => {
                    hold_503 += 1;
                    checks.check(took <= ACQUIRE_TIMEOUT + GRACE, || {
                        format!("/hold answered 503 after {took:?}")
                    });
                }
                other => checks.check(false, || format!("/hold answered {other}")),
            }
            checks.check(took <= HOLD + ACQUIRE_TIMEOUT + GRACE, || {
                format!("/hold answered {status} after {took:?}")
            });
        }
    }
    checks.check(book_503 > 0, || {
        format!("no /book/1 got 503 ({book_200} got 200): the pool was never exhausted")
    });
    checks.check(hold_200 >= 1, || "no /hold got a connection".into());

    // After the load, every connection goes back to the pool.
    let pool = db.sqlite_pool().expect("a SQLite database");
    let drained_by = Instant::now() + Duration::from_secs(2);
    while pool.num_idle() < pool.size() as usize && Instant::now() < drained_by {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (size, idle) = (pool.size(), pool.num_idle());
    checks.check(idle == size as usize, || {
        format!("after the load the pool has {size} connections, {idle} idle")
    });
    let after = kiln_tests::get(server.addr, "/book/1").await;
    checks.check(after.status == 200, || {
        format!("/book/1 after the load answered {}", after.status)
    });
    server.stop().await;

    // A nested double acquire on a one-connection pool.
    let single = Database::builder(&url)
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(500))
        .connect()
        .await
        .expect("open the SQLite file again");
    let server = start(seed::app(single).mount("/", routes![nested])).await;
    let started = Instant::now();
    let mut conn = Wire::connect(server.addr).await;
    let _ = conn
        .send("GET /nested HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let nested_status = match conn.next(Duration::from_secs(10)).await {
        Next::Response(res) => res.status,
        _ => 0,
    };
    let nested_took = started.elapsed();
    checks.check(nested_status == 503, || {
        format!(
            "the nested double acquire answered {nested_status} after {nested_took:?}, wanted 503"
        )
    });
    checks.check(nested_took <= Duration::from_millis(500) + GRACE, || {
        format!("the nested double acquire took {nested_took:?}")
    });
    server.stop().await;

    checks.finish(
        "F4",
        serde_json::json!({
            "max_connections": 2,
            "acquire_timeout_ms": ACQUIRE_TIMEOUT.as_millis(),
            "book_503": book_503,
            "book_200": book_200,
            "hold_200": hold_200,
            "hold_503": hold_503,
            "max_book_wait_ms": max_book_wait.as_millis(),
            "max_wait_ms": max_wait.as_millis(),
            "hung": hung,
            "pool_after": { "size": size, "idle": idle },
            "nested_double_acquire": { "status": nested_status, "ms": nested_took.as_millis() },
        }),
    );
}
