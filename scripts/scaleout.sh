#!/usr/bin/env bash
# Shortly on two processes behind nginx, on one shared store, to look at by hand:
#
#     bash scripts/scaleout.sh            # both on one PostgreSQL (scripts/postgres.sh)
#     STORE=redis bash scripts/scaleout.sh  # both on one Redis (scripts/redis.sh)
#
# It builds shortly (release), starts the store, two shortly processes on ephemeral
# ports and nginx (Debian's package, installed when absent) in front of them on
# 127.0.0.1:$PORT (default 8080), prints the addresses and waits; Ctrl-C stops what it
# started, and only that. The same set-up, with its checks (a link made through one
# process resolves through the other, 1,000 follows over both count 1,000), is the
# test `cargo test -p shortly --test scaleout`, which scripts/test.sh runs.
set -euo pipefail
cd "$(dirname "$0")/.."

STORE=${STORE:-postgres}
PORT=${PORT:-8080}
DIR=$(mktemp -d /tmp/kiln-scaleout.XXXXXX)
pids=()
stop() {
    [ -f "$DIR/nginx.pid" ] && kill -QUIT "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$DIR"
}
trap stop EXIT

NGINX=$(bash scripts/need.sh nginx nginx)
case "$STORE" in
    postgres) export DATABASE_URL; DATABASE_URL=$(bash scripts/postgres.sh) ;;
    redis) export REDIS_URL REDIS_PREFIX="scaleout:"; REDIS_URL=$(bash scripts/redis.sh) ;;
    *) echo "STORE is postgres or redis" >&2; exit 2 ;;
esac
cargo build --release -p shortly
# One key for both processes: a cookie one writes, the other reads.
export KILN_SECRET_KEY=${KILN_SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}
export HOST=127.0.0.1 NO_COLOR=1
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
backends=""
for name in a b; do
    port=$(free_port)
    PORT=$port ./target/release/shortly 2>"$DIR/shortly-$name.log" &
    pids+=($!)
    for _ in $(seq 1 100); do
        grep -q "listening on" "$DIR/shortly-$name.log" && break
        sleep 0.1
    done
    grep -q "listening on" "$DIR/shortly-$name.log" || { cat "$DIR/shortly-$name.log" >&2; exit 1; }
    backends="$backends        server 127.0.0.1:$port;"$'\n'
    echo "shortly $name: http://127.0.0.1:$port (log: $DIR/shortly-$name.log)"
done
conf=$(<examples/shortly/nginx.conf.in)
conf=${conf//@DIR@/$DIR}
conf=${conf//@PORT@/$PORT}
conf=${conf//@BACKENDS@/$backends}
printf '%s\n' "$conf" >"$DIR/nginx.conf"
"$NGINX" -p "$DIR" -c "$DIR/nginx.conf" -e "$DIR/error.log" &
pids+=($!)
echo "nginx: http://127.0.0.1:$PORT (which process served each request: $DIR/access.log)"
echo "Ctrl-C stops them."
wait
