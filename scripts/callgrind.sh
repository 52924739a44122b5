#!/usr/bin/env bash
# Instructions per in-process request, kiln against hand-written axum, counted by
# callgrind (deterministic: the same binary and inputs give the same count).
#
#   bash scripts/callgrind.sh [TARGET_DIR]      # prints a Markdown table
#
# Per request = (count for N requests - count for none) / N, so start-up is left out.
#
# Built as a deployment would be (fat LTO, one codegen unit), so the count follows the
# code rather than how the compiler happened to split it into units; and run with a
# large glibc tcache, so that a small change in the start-up heap does not move a
# request's allocations between malloc's fast and slow paths (the allocations
# themselves, their number and sizes, are what tests/tests/allocations.rs checks).
set -euo pipefail
export CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export GLIBC_TUNABLES=glibc.malloc.tcache_count=1000
cd "$(dirname "$0")/.."
target=${1:-target}
N=${N:-20000}
GLIBC_TUNABLES= cargo build --release -p kiln-bench --bin profile-one --target-dir "$target" -j "${JOBS:-2}" >/dev/null 2>&1
bin="$target/release/profile-one"
count() { # framework index n
    local out
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" "$2" "$3" >/dev/null 2>&1
    grep '^summary:' "$out" | awk '{print $2}'
    rm -f "$out"
}
names=("\`GET /\` plaintext" "\`GET /book/42\` path param + JSON" "\`GET /search?q=rust&page=2\` query params" "\`POST /books\` JSON body")
echo "| request | axum instructions | kiln instructions | kiln / axum |"
echo "|---|---:|---:|---:|"
for i in 0 1 2 3; do
    a0=$(count axum "$i" 0); a=$(count axum "$i" "$N")
    k0=$(count kiln "$i" 0); k=$(count kiln "$i" "$N")
    pa=$(( (a - a0) / N )); pk=$(( (k - k0) / N ))
    printf '| %s | %s | %s | %s |\n' "${names[$i]}" "$pa" "$pk" "$(echo "scale=3; $pk / $pa" | bc)"
done
