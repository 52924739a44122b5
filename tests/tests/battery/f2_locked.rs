//! F2: another process holds SQLite's write lock (`BEGIN EXCLUSIVE`) while writers start
//! transactions on a pool whose connections are busy for a while. Each waits for a
//! connection and then for the lock within one bound, the longer of the acquire and
//! busy timeouts (1 s each here), and gets 503 with `Retry-After` then: not the two
//! added up. After the lock is released, writes succeed at once.

use std::time::{Duration, Instant};

use kiln::prelude::*;
use kiln::sqlx::Connection as _;

use crate::{Checks, serial};

const TIMEOUT: Duration = Duration::from_secs(1);
const LOCK: Duration = Duration::from_millis(2500);
const GRACE: Duration = Duration::from_millis(400);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_locked_database() {
    let _serial = serial().await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let db = Database::builder(&url)
        .max_connections(2)
        .acquire_timeout(TIMEOUT)
        .busy_timeout(TIMEOUT)
        .connect()
        .await
        .expect("open the SQLite file");
    let pool = db.sqlite_pool().expect("SQLite").clone();
    kiln::sqlx::query("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        .execute(&pool)
        .await
        .unwrap();

    // "Another process": a connection of its own, holding the write lock.
    let mut other = kiln::sqlx::SqliteConnection::connect(&url).await.unwrap();
    kiln::sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let locked = Instant::now();

    // Both connections are taken for 0.9 s (say by slow readers), so each writer waits
    // for one of them first, then for the lock: 0.9 s + 1 s if the bounds added up.
    let mut holders = Vec::new();
    for _ in 0..2 {
        let conn = pool.acquire().await.unwrap();
        holders.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(900)).await;
            drop(conn);
        }));
    }
    let writers = 4;
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let outcome = db.begin().await;
            let took = started.elapsed();
            match outcome {
                Ok(tx) => {
                    tx.rollback().await.unwrap();
                    (200, false, took)
                }
                // As a handler's `?` answers it.
                Err(e) => {
                    let res = kiln::Error::from(e).into_response();
                    let retry = res.headers().contains_key("retry-after");
                    (res.status().as_u16(), retry, took)
                }
            }
        }));
    }
    let mut checks = Checks::default();
    let mut max_wait = Duration::ZERO;
    let mut busy = 0;
    for task in tasks {
        let (status, retry, took) = task.await.unwrap();
        max_wait = max_wait.max(took);
        match (status, retry) {
            (503, true) => busy += 1,
            (other, _) => checks.check(false, || {
                format!("a writer answered {other} (Retry-After: {retry}) after {took:?}")
            }),
        }
        checks.check(took <= TIMEOUT + GRACE, || {
            format!(
                "a writer waited {took:?}, wanted <= {:?} (the acquire and busy timeouts must not add up)",
                TIMEOUT + GRACE
            )
        });
    }
    for h in holders {
        h.await.unwrap();
    }
    checks.check(busy == writers, || {
        format!("{busy}/{writers} writers got 503 with Retry-After")
    });

    // The lock goes; writes succeed at once.
    tokio::time::sleep(LOCK.saturating_sub(locked.elapsed())).await;
    kiln::sqlx::query("COMMIT")
        .execute(&mut other)
        .await
        .unwrap();
    let released = Instant::now();
    let tx = db.begin().await;
    let recovery = released.elapsed();
    checks.check(tx.is_ok(), || {
        format!("after the release: {:?}", tx.as_ref().err())
    });
    if let Ok(tx) = tx {
        tx.commit().await.unwrap();
    }
    checks.check(recovery < Duration::from_secs(1), || {
        format!("recovery took {recovery:?}")
    });
    checks.finish(
        "F2",
        serde_json::json!({
            "writers": writers,
            "pool": 2,
            "acquire_timeout_ms": TIMEOUT.as_millis() as u64,
            "busy_timeout_ms": TIMEOUT.as_millis() as u64,
            "max_wait_ms": max_wait.as_millis() as u64,
            "count_503_with_retry_after": busy,
            "recovery_ms": recovery.as_millis() as u64,
        }),
    );
}
