#!/usr/bin/env bash
# Makes sure a PostgreSQL server for kiln's tests is running, and prints its URL on
# stdout (and nothing else there; progress goes to stderr):
#
#     export KILN_TEST_POSTGRES_URL="$(scripts/postgres.sh)"
#     cargo test -p kiln-tests --test orm
#
# The server is a throw-away cluster in $KILN_PG_DIR (default /tmp/kiln-pg) listening
# on 127.0.0.1:$KILN_PG_PORT (default 54329) only, with trust authentication, and a
# database `kiln_test`. Durability is off (fsync=off): it is for tests.
#
# Idempotent: when the server is already up it only prints the URL. When PostgreSQL is
# not installed it installs Debian's `postgresql` package (as root). As root, the
# cluster is run by the `postgres` system user, since initdb refuses to run as root.
set -euo pipefail

PORT="${KILN_PG_PORT:-54329}"
DIR="${KILN_PG_DIR:-/tmp/kiln-pg}"
DB=kiln_test
URL="postgres://postgres@127.0.0.1:${PORT}/${DB}"

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# The directory holding pg_ctl, initdb, pg_isready and psql (newest version first).
find_bin() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
        if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then
            echo "$d"
            return 0
        fi
    done
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
        return 0
    fi
    return 1
}

BIN="$(find_bin || true)"
if [ -z "$BIN" ]; then
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed; run as root to install Debian's postgresql package"
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available"
    log "installing PostgreSQL (apt-get install postgresql)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q postgresql >&2; then
        apt-get update -q >&2
        apt-get install -y -q postgresql >&2
    fi
    BIN="$(find_bin)" || die "installed postgresql, but found no pg_ctl/initdb"
fi

# Runs a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' system user to run the server as"
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

psql_run() {
    "$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

# A self-signed certificate, so the tests can connect with `sslmode=require`.
make_cert() {
    if [ ! -s "$DIR/server.crt" ]; then
        log "making a self-signed certificate for TLS"
        openssl req -new -x509 -days 3650 -nodes -subj "/CN=127.0.0.1" \
            -keyout "$DIR/server.key" -out "$DIR/server.crt" >/dev/null 2>&1 \
            || die "openssl could not make a certificate"
        chmod 600 "$DIR/server.key"
        [ "$(id -u)" -ne 0 ] || chown postgres: "$DIR/server.key" "$DIR/server.crt"
    fi
}

if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    if [ ! -s "$DIR/PG_VERSION" ]; then
        log "creating a cluster in $DIR"
        mkdir -p "$DIR"
        [ "$(id -u)" -ne 0 ] || chown postgres: "$DIR"
        chmod 700 "$DIR"
        as_owner "$BIN/initdb" -D "$DIR" -U postgres --auth=trust -E UTF8 --no-locale >&2
    fi
    make_cert
    log "starting PostgreSQL on 127.0.0.1:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 start \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c ssl=on -c ssl_cert_file=$DIR/server.crt -c ssl_key_file=$DIR/server.key" >&2 \
        || { tail -n 20 "$DIR/server.log" >&2 || true; die "the server did not start"; }
fi

if [ "$(psql_run -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
    log "creating database $DB"
    psql_run -c "CREATE DATABASE $DB" >&2
fi

echo "$URL"
