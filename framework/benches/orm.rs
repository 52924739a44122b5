//! kiln's ORM against raw sqlx doing the same work, on the same SQLite pool, in one run:
//! `get` by id (with the author joined), `all` of 1,000 rows with a join, and `save`.
//!
//! ```text
//! cargo bench -p kiln --bench orm -- --warm-up-time 1 --measurement-time 3
//! KILN_BENCH_PAIRED=1 cargo bench -p kiln --bench orm
//! ```
//!
//! Each raw version runs the same SQL text kiln generates and builds the same structs
//! (the book with its author loaded), so the difference is kiln's own overhead.
//!
//! Criterion measures one function after the other, so on a shared machine a burst of
//! load can land on one side only. `KILN_BENCH_PAIRED=1` instead alternates batches of
//! kiln and raw sqlx, round after round, and reports the median of the per-round ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use kiln::orm::{Database, ForeignKey, Id, Table};
use kiln::sqlx::{self, SqlitePool};

#[derive(Table, Debug, Clone, PartialEq)]
struct Author {
    id: Id<Author>,
    name: String,
    age: i64,
}

#[derive(Table, Debug, Clone, PartialEq)]
struct Book {
    id: Id<Book>,
    title: String,
    published: bool,
    author: ForeignKey<Author>,
}

const GET: &str = "SELECT t0.\"id\", t0.\"title\", t0.\"published\", t0.\"author_id\", \
     t1.\"id\", t1.\"name\", t1.\"age\" FROM \"book\" t0 \
     LEFT JOIN \"author\" t1 ON t1.\"id\" = t0.\"author_id\" WHERE t0.\"id\" = $1";
const ALL: &str = "SELECT t0.\"id\", t0.\"title\", t0.\"published\", t0.\"author_id\", \
     t1.\"id\", t1.\"name\", t1.\"age\" FROM \"book\" t0 \
     LEFT JOIN \"author\" t1 ON t1.\"id\" = t0.\"author_id\" ORDER BY t0.\"id\"";
const INSERT: &str = "INSERT INTO \"book\" (\"title\", \"published\", \"author_id\") VALUES ($1, $2, $3) RETURNING \"id\"";

type Row = (
    i64,
    String,
    bool,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

/// What kiln builds from a row, built by hand.
fn book_from(row: Row) -> Book {
    let (id, title, published, author_id, a_id, a_name, a_age) = row;
    let author = match (a_id, a_name, a_age) {
        (Some(id), Some(name), Some(age)) => ForeignKey::loaded(Author {
            id: Id::from(id),
            name,
            age,
        }),
        _ => ForeignKey::from_id(author_id),
    };
    Book {
        id: Id::from(id),
        title,
        published,
        author,
    }
}

async fn raw_get(pool: &SqlitePool, id: i64) -> Option<Book> {
    sqlx::query_as::<_, Row>(GET)
        .bind(id)
        .fetch_optional(pool)
        .await
        .expect("raw get")
        .map(book_from)
}

async fn raw_all(pool: &SqlitePool) -> Vec<Book> {
    sqlx::query_as::<_, Row>(ALL)
        .fetch_all(pool)
        .await
        .expect("raw all")
        .into_iter()
        .map(book_from)
        .collect()
}

async fn raw_save(pool: &SqlitePool, book: &mut Book) {
    let id: i64 = sqlx::query_scalar(INSERT)
        .bind(&book.title)
        .bind(book.published)
        .bind(book.author.id().get())
        .fetch_one(pool)
        .await
        .expect("raw insert");
    book.id = Id::from(id);
}

async fn setup() -> Database {
    let db = Database::connect("sqlite::memory:").await.expect("connect");
    db.create::<Author>().await.expect("create author");
    db.create::<Book>().await.expect("create book");
    let mut authors = Vec::new();
    for i in 0..10 {
        let mut a = Author {
            id: Id::new(),
            name: format!("author {i}"),
            age: 30 + i,
        };
        db.save(&mut a).await.expect("save author");
        authors.push(a);
    }
    for i in 0..1000 {
        let mut b = Book {
            id: Id::new(),
            title: format!("book number {i}"),
            published: i % 2 == 0,
            author: ForeignKey::to(&authors[i % 10]),
        };
        db.save(&mut b).await.expect("save book");
    }
    db
}

/// The author every saved book points at (saved by `setup`).
async fn first_author(db: &Database) -> Author {
    db.get::<Author>(1)
        .await
        .expect("get author")
        .expect("author 1")
}

/// An unsaved book by `author`: what both `save` benchmarks insert.
fn new_book(author: &Author) -> Book {
    Book {
        id: Id::new(),
        title: "a new book".to_string(),
        published: true,
        author: ForeignKey::to(author),
    }
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = rt.block_on(setup());
    let pool = db.sqlite_pool().expect("sqlite").clone();

    // The two do the same work: same SQL, same rows, same structs.
    rt.block_on(async {
        let kiln_all = db.all::<Book>().await.expect("all");
        assert_eq!(kiln_all.len(), 1000);
        assert_eq!(kiln_all, raw_all(&pool).await);
        assert!(kiln_all.iter().all(|b| b.author.is_loaded()));
        assert_eq!(
            db.get::<Book>(500).await.expect("get"),
            raw_get(&pool, 500).await
        );
    });

    let mut group = c.benchmark_group("get by id (joined)");
    group.bench_function("kiln", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(db.get::<Book>(black_box(500)).await.expect("get")) })
    });
    group.bench_function("raw sqlx", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(raw_get(&pool, black_box(500)).await) })
    });
    group.finish();

    let mut group = c.benchmark_group("all 1000 rows (joined)");
    group.bench_function("kiln", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(db.all::<Book>().await.expect("all")) })
    });
    group.bench_function("raw sqlx", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(raw_all(&pool).await) })
    });
    group.finish();

    let author = rt.block_on(first_author(&db));
    let mut group = c.benchmark_group("save (insert)");
    group.bench_function("kiln", |b| {
        b.to_async(&rt).iter(|| async {
            let mut book = new_book(&author);
            db.save(&mut book).await.expect("save");
            black_box(book)
        })
    });
    group.bench_function("raw sqlx", |b| {
        b.to_async(&rt).iter(|| async {
            let mut book = new_book(&author);
            raw_save(&pool, &mut book).await;
            black_box(book)
        })
    });
    group.finish();
}

/// Times `iters` runs of `op`.
async fn batch<F, Fut, T>(iters: u32, mut op: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let started = Instant::now();
    for _ in 0..iters {
        black_box(op().await);
    }
    started.elapsed() / iters
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Alternates batches of kiln and raw sqlx; prints medians and the median ratio.
fn paired() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = rt.block_on(setup());
    let pool = db.sqlite_pool().expect("sqlite").clone();
    let author = rt.block_on(first_author(&db));
    const ROUNDS: usize = 31;
    println!(
        "{:<24} {:>12} {:>12} {:>14}",
        "operation", "kiln", "raw sqlx", "kiln / raw"
    );
    for op in [
        "get by id (joined)",
        "all 1000 rows (joined)",
        "save (insert)",
    ] {
        let iters = if op.starts_with("all") { 20 } else { 1000 };
        let (mut kiln_t, mut raw_t, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let run = |kiln: bool| {
                rt.block_on(async {
                    match (op, kiln) {
                        ("get by id (joined)", true) => {
                            batch(iters, || async { db.get::<Book>(500).await.expect("get") }).await
                        }
                        ("get by id (joined)", false) => batch(iters, || raw_get(&pool, 500)).await,
                        ("all 1000 rows (joined)", true) => {
                            batch(iters, || async { db.all::<Book>().await.expect("all") }).await
                        }
                        ("all 1000 rows (joined)", false) => batch(iters, || raw_all(&pool)).await,
                        (_, true) => {
                            batch(iters, || async {
                                let mut book = new_book(&author);
                                db.save(&mut book).await.expect("save");
                                book
                            })
                            .await
                        }
                        (_, false) => {
                            batch(iters, || async {
                                let mut book = new_book(&author);
                                raw_save(&pool, &mut book).await;
                                book
                            })
                            .await
                        }
                    }
                })
            };
            // Alternate which goes first, so neither always follows the other.
            let (k, r) = if round % 2 == 0 {
                let k = run(true);
                (k, run(false))
            } else {
                let r = run(false);
                (run(true), r)
            };
            if round == 0 {
                continue; // warm-up
            }
            kiln_t.push(k.as_secs_f64());
            raw_t.push(r.as_secs_f64());
            ratios.push(k.as_secs_f64() / r.as_secs_f64());
        }
        let show = |s: f64| {
            if s >= 1e-3 {
                format!("{:.3} ms", s * 1e3)
            } else {
                format!("{:.2} µs", s * 1e6)
            }
        };
        println!(
            "{:<24} {:>12} {:>12} {:>14}",
            op,
            show(median(kiln_t)),
            show(median(raw_t)),
            format!("{:.3}", median(ratios))
        );
    }
}

criterion_group!(orm, benches);

fn main() {
    if std::env::var_os("KILN_BENCH_PAIRED").is_some() {
        paired();
        return;
    }
    orm();
    Criterion::default().configure_from_args().final_summary();
}
