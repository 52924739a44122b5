#!/usr/bin/env bash
# Makes sure a Redis server for kiln's tests is running, and prints its URL on stdout
# (and nothing else there; progress goes to stderr):
#
#     export KILN_TEST_REDIS_URL="$(scripts/redis.sh)"
#
# The server listens on 127.0.0.1 only, on a free port picked at first start and kept
# in $KILN_REDIS_DIR (default /tmp/kiln-redis), with no persistence: it is for tests.
# Idempotent: when the server is already up it only prints the URL. When Redis is not
# installed it installs Debian's `redis-server` package (as root).
set -euo pipefail

DIR="${KILN_REDIS_DIR:-/tmp/kiln-redis}"
log() { echo "redis.sh: $*" >&2; }
die() { log "$*"; exit 1; }

if ! command -v redis-server >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "Redis is not installed; run as root to install Debian's redis-server package"
    command -v apt-get >/dev/null 2>&1 || die "Redis is not installed and apt-get is not available"
    log "installing Redis (apt-get install redis-server)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q redis-server >&2; then
        apt-get update -q >&2
        apt-get install -y -q redis-server >&2
    fi
    command -v redis-server >/dev/null 2>&1 || die "installed redis-server, but it is not on PATH"
fi

mkdir -p "$DIR"
if [ -s "$DIR/port" ] && redis-cli -h 127.0.0.1 -p "$(cat "$DIR/port")" ping >/dev/null 2>&1; then
    echo "redis://127.0.0.1:$(cat "$DIR/port")/"
    exit 0
fi

# A free ephemeral port: bind port 0 and read what the kernel picked.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "starting Redis on 127.0.0.1:$PORT"
redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no \
    --daemonize yes --dir "$DIR" --logfile "$DIR/server.log" --pidfile "$DIR/redis.pid" >&2
for _ in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1; then
        echo "$PORT" >"$DIR/port"
        echo "redis://127.0.0.1:$PORT/"
        exit 0
    fi
    sleep 0.1
done
tail -n 20 "$DIR/server.log" >&2 || true
die "the server did not start"
