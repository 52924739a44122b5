#!/usr/bin/env bash
# kiln against hand-written axum under load, on loopback, in one run.
#
# The same four routes (bench/src/lib.rs) are served by each framework in turn; the
# server is pinned to CPU 0 and wrk (one thread) to CPU 1. Prints a Markdown table.
#
#   bash scripts/bench-router.sh          # 10 s per run, 64 connections
#   DURATION=30 CONNECTIONS=200 bash scripts/bench-router.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-1}

if ! command -v wrk >/dev/null; then
    echo "installing wrk from Debian's packages" >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release -q -p kiln-bench --bin bench-server
BIN=target/release/bench-server

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"title":"Dune"}'
wrk.headers["Content-Type"] = "application/json"
LUA

# run FRAMEWORK PATH [LUA]: prints "req/s p50 p99 non2xx errors"
run() {
    local fw=$1 path=$2 script=${3:-}
    : >"$work/port"
    taskset -c 0 "$BIN" "$fw" >"$work/port" 2>/dev/null &
    local pid=$!
    for _ in $(seq 100); do grep -q PORT "$work/port" && break; sleep 0.05; done
    local port
    port=$(sed -n 's/^PORT=//p' "$work/port")
    local args=(-t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency)
    if [ -n "$script" ]; then args+=(-s "$script"); fi
    taskset -c 1 wrk "${args[@]}" "http://127.0.0.1:$port$path" >"$work/out"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    local rps p50 p99 non2xx errors
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/out")
    p50=$(awk '$1 == "50%" {print $2}' "$work/out")
    p99=$(awk '$1 == "99%" {print $2}' "$work/out")
    non2xx=$(awk '/Non-2xx/ {print $4}' "$work/out")
    errors=$(awk '/Socket errors/ {print $4+$6+$8+$10}' "$work/out")
    echo "$rps $p50 $p99 ${non2xx:-0} ${errors:-0}"
}

echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s on 127.0.0.1; server on CPU 0, wrk on CPU 1; $(nproc) CPUs; rounds: $ROUNDS"
echo
echo "| request | axum req/s | kiln req/s | kiln / axum | kiln router on axum::serve / axum | axum p50 / p99 | kiln p50 / p99 | non-2xx + errors |"
echo "|---|---:|---:|---:|---:|---|---|---:|"
routes=("plaintext|/|" "path param + JSON|/book/42|" "query params|/search?q=rust&page=2|" "JSON body|/books|$work/post.lua")
for entry in "${routes[@]}"; do
    IFS='|' read -r name path script <<<"$entry"
    best_a="" best_k="" best_r=""
    for _ in $(seq "$ROUNDS"); do
        a=$(run axum "$path" "$script")
        k=$(run kiln "$path" "$script")
        r=$(run kiln-router "$path" "$script")
        # Keep the round with the most requests per second for each.
        if [ -z "$best_a" ] || awk "BEGIN {exit !(${a%% *} > ${best_a%% *})}"; then best_a=$a; fi
        if [ -z "$best_k" ] || awk "BEGIN {exit !(${k%% *} > ${best_k%% *})}"; then best_k=$k; fi
        if [ -z "$best_r" ] || awk "BEGIN {exit !(${r%% *} > ${best_r%% *})}"; then best_r=$r; fi
    done
    read -r ar a50 a99 an ae <<<"$best_a"
    read -r kr k50 k99 kn ke <<<"$best_k"
    read -r rr _ _ rn re <<<"$best_r"
    ratio=$(awk "BEGIN {printf \"%.3f\", $kr / $ar}")
    router_ratio=$(awk "BEGIN {printf \"%.3f\", $rr / $ar}")
    printf '| %s | %.0f | %.0f | %s | %s | %s / %s | %s / %s | %d |\n' \
        "$name" "$ar" "$kr" "$ratio" "$router_ratio" "$a50" "$a99" "$k50" "$k99" "$((an + ae + kn + ke + rn + re))"
done
