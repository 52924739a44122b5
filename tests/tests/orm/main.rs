//! kiln's ORM, end to end. Every test in a `backend_tests!` block runs three times: on
//! a SQLite file, on `sqlite::memory:`, and on the PostgreSQL server named by
//! `KILN_TEST_POSTGRES_URL` (start one with `scripts/postgres.sh`). Without that
//! variable the PostgreSQL runs are skipped with a notice, unless `CI` is set, in which
//! case they fail.

mod support;

mod concurrency;
mod course;
mod errors;
mod http;
mod injection;
mod migrations;
mod models;
mod queries;
mod relations;
mod sqlite;
mod tls;
mod transactions;
mod types;
