#!/usr/bin/env bash
# The whole test suite, as CI runs it (`bash .ci/run`) and as a developer runs it:
#
#   bash scripts/test.sh
#
# It starts what the tests need (PostgreSQL, Redis, nginx, Chromium: Debian's packages,
# installed when absent; openapi-spec-validator and schemathesis from PyPI),
# then runs, cheapest first: rustfmt, clippy, every test (unit, integration,
# compile-fail, doctests), and rustdoc, all with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
JOBS=${JOBS:-2}
started=$(date +%s)
step() {
    echo
    echo "==> $* ($(($(date +%s) - started)) s)"
}

step "services"
if [ -f scripts/postgres.sh ]; then
    KILN_TEST_POSTGRES_URL=$(bash scripts/postgres.sh)
    export KILN_TEST_POSTGRES_URL
    echo "PostgreSQL: $KILN_TEST_POSTGRES_URL"
fi
KILN_TEST_REDIS_URL=$(bash scripts/redis.sh)
export KILN_TEST_REDIS_URL
echo "Redis: $KILN_TEST_REDIS_URL"
# nginx, for the two-process scale-out of shortly; headless Chromium and ChromeDriver,
# for the browser tests of the example apps (Debian's packages, installed when absent).
KILN_TEST_NGINX=$(bash scripts/need.sh nginx nginx)
export KILN_TEST_NGINX
echo "nginx: $KILN_TEST_NGINX"
KILN_TEST_CHROMEDRIVER=$(bash scripts/need.sh chromedriver chromium chromium-driver)
export KILN_TEST_CHROMEDRIVER
echo "ChromeDriver: $KILN_TEST_CHROMEDRIVER"
# openapi-spec-validator and schemathesis (PyPI), for the bookstore's OpenAPI document.
KILN_TEST_PYTOOLS=$(bash scripts/pytools.sh)
export KILN_TEST_PYTOOLS
echo "Python tools: $KILN_TEST_PYTOOLS"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -j "$JOBS" -- -D warnings

step "cargo test"
cargo test --workspace -j "$JOBS"

# kiln's features: the web layer alone (no sqlx in the tree), each database backend
# alone, and all of them. (With PostgreSQL alone the doctests, which use the embedded
# SQLite, have nothing to run on: its unit and integration tests run.)
step "kiln features: none, sqlite, postgres, all"
if cargo tree -p kiln --no-default-features -e normal --prefix none | grep -q '^sqlx'; then
    echo "kiln with default-features = false still pulls in sqlx" >&2
    exit 1
fi
cargo clippy -p kiln --all-targets --no-default-features -j "$JOBS" -- -D warnings
cargo test -p kiln --no-default-features -j "$JOBS"
cargo clippy -p kiln --all-targets --no-default-features --features sqlite -j "$JOBS" -- -D warnings
cargo test -p kiln --no-default-features --features sqlite -j "$JOBS"
cargo clippy -p kiln --all-targets --no-default-features --features postgres -j "$JOBS" -- -D warnings
cargo test -p kiln --no-default-features --features postgres --lib --tests -j "$JOBS"
cargo clippy -p kiln --all-targets --all-features -j "$JOBS" -- -D warnings
cargo test -p kiln --all-features -j "$JOBS"

step "cargo doc -D warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps -j "$JOBS"

step "all green"
