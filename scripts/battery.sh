#!/usr/bin/env bash
# The long cases of kiln's reliability battery (BATTERY.md): L1-L3 load, F2/F3/F6/F7
# faults, B5 slowloris, B8 HTTP/2 abuse and B9 fuzzing, on 127.0.0.1 only.
#
#   bash scripts/battery.sh                      # everything, about 15 minutes
#   CASES=L1,F7 bash scripts/battery.sh          # some cases
#   FUZZ_SECS=600 bash scripts/battery.sh        # BATTERY.md's 10 min per fuzz target
#   BATTERY_SKIP_FUZZ=1 bash scripts/battery.sh  # no nightly / no fuzzing
#
# Each case starts its own seed server (bench/src/bin/battery-app.rs, release build) on
# CPU 0; the load tools (wrk, bench/src/bin/battery-load.rs, the Python clients in
# scripts/battery/battery.py) run on CPU 1. Every load run has a fixed duration of at
# most 60 s. Results: one JSON line per case in target/battery-long.jsonl, and the
# scorecard in target/battery-scorecard.md (also printed at the end). A case is marked
# PASS only by what it measured in this run.
#
# Needs: cargo, python3 (3.9+, standard library only), taskset, wrk (installed from
# Debian's packages when absent); for B9, a nightly toolchain and cargo-fuzz (installed
# with `cargo install cargo-fuzz` when a nightly is there and it is absent). Run it by
# hand; it is not part of CI. Run as root, F3 drops the server to `nobody` (root ignores
# file modes).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CASES=${CASES:-L1,L2,L3,F2,F3,F6,F7,B5,B8,B9}
FUZZ_SECS=${FUZZ_SECS:-120}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=$ROOT/target
WORK=$OUT/battery-work
mkdir -p "$OUT"

say() { echo "[battery] $*" >&2; }

# Whatever this script started is ended on the way out, by PID only.
child=""
cleanup() {
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

if [ "$(nproc)" -lt 2 ]; then
    say "needs at least 2 CPUs (server and load tool on different cores)"
    exit 1
fi
if ! command -v wrk >/dev/null; then
    say "installing wrk from Debian's packages"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
for tool in python3 taskset cargo; do
    command -v "$tool" >/dev/null || { say "needs $tool"; exit 1; }
done

prep_start=$(date +%s)
say "building the seed app and the load client (release)"
CARGO_TARGET_DIR=$TARGET_DIR cargo build --release -q -j1 -p kiln-bench --bin battery-app --bin battery-load
APP=$TARGET_DIR/release/battery-app
LOAD=$TARGET_DIR/release/battery-load

FUZZ_DIR=""
FUZZ_TARGET_DIR=$TARGET_DIR/fuzz
export BATTERY_FUZZ_REASON=""
if [[ ",$CASES," == *",B9,"* ]]; then
    if [ -n "${BATTERY_SKIP_FUZZ:-}" ]; then
        BATTERY_FUZZ_REASON="skipped (BATTERY_SKIP_FUZZ)"
    elif ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        BATTERY_FUZZ_REASON="no nightly toolchain (cargo fuzz needs one: rustup toolchain install nightly)"
    else
        if ! cargo fuzz --version >/dev/null 2>&1; then
            say "installing cargo-fuzz (once)"
            cargo install -q cargo-fuzz --locked -j1 || BATTERY_FUZZ_REASON="cargo install cargo-fuzz failed"
        fi
        if [ -z "$BATTERY_FUZZ_REASON" ]; then
            say "building the fuzz targets (nightly, ASan; the first build takes several minutes)"
            if (cd fuzz && CARGO_BUILD_JOBS=1 cargo +nightly fuzz build --target-dir "$FUZZ_TARGET_DIR" >&2); then
                FUZZ_DIR=$ROOT/fuzz
            else
                BATTERY_FUZZ_REASON="cargo +nightly fuzz build failed"
            fi
        fi
    fi
    [ -n "$BATTERY_FUZZ_REASON" ] && say "B9: $BATTERY_FUZZ_REASON"
fi
prep_end=$(date +%s)
say "builds took $((prep_end - prep_start)) s"

run_start=$(date +%s)
python3 scripts/battery/battery.py main --app "$APP" --load "$LOAD" --out "$OUT" --work "$WORK" \
    --cases "$CASES" --fuzz-dir "$FUZZ_DIR" --fuzz-target-dir "$FUZZ_TARGET_DIR" --fuzz-secs "$FUZZ_SECS" \
    ${BATTERY_SEED:+--seed "$BATTERY_SEED"} ${BATTERY_SCALE:+--scale "$BATTERY_SCALE"} &
child=$!
status=0
wait "$child" || status=$?
child=""
run_end=$(date +%s)
say "cases took $((run_end - run_start)) s (builds before them: $((prep_end - prep_start)) s)"
exit "$status"
