#!/usr/bin/env bash
# kiln against hand-written axum, actix-web 4 and Rocket 0.5 on the TechEmpower test
# types, side by side, on loopback. Writes bench/RESULTS.md.
#
#   bash scripts/bench.sh                        # 3 rounds, 10 s a route, 64 connections
#   ROUNDS=5 DURATION=15 bash scripts/bench.sh
#   FRAMEWORKS="axum kiln" ROUTES="/db /fortunes" bash scripts/bench.sh
#
# The apps are bench/peers (a workspace of its own: same SQLite file, pool of 4, no
# ping before acquire, system allocator, fat LTO and one codegen unit). Each round
# starts each framework in turn (interleaved, so drift hits all alike), pinned to
# CPU 0 with one worker thread; wrk (one thread, 64 connections) runs pinned to CPU 1
# against each route after a 2 s warm-up. Recorded per run: req/s, p50/p99, non-2xx
# and socket errors, the server's CPU time per request (from /proc), and its peak RSS
# (VmHWM). The table takes each figure's median over the rounds. Only the PIDs this
# script started are stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-64}
FRAMEWORKS=${FRAMEWORKS:-"axum actix rocket kiln"}
ROUTES=${ROUTES:-"/plaintext /json /db /queries?q=20 /fortunes /updates?q=20 /book/42"}
PEERS=bench/peers
OUT=target/bench-peers
mkdir -p "$OUT"

command -v wrk >/dev/null || bash scripts/need.sh wrk wrk >/dev/null
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed" >&2; exit 1; }

echo "building the peer apps (release, fat LTO)" >&2
cargo build --release --manifest-path "$PEERS/Cargo.toml" \
    -p axum-app -p actix-app -p rocket-app -p kiln-app >&2
BIN="$PEERS/target/release"

# The database: 10,000 world rows and the 12 fortunes, made once, the same for all.
export DATABASE="$OUT/world.db"
python3 - "$DATABASE" <<'PY'
import random, sqlite3, sys, os
path = sys.argv[1]
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE world (id INTEGER PRIMARY KEY AUTOINCREMENT, randomnumber INTEGER NOT NULL)")
db.execute("CREATE TABLE fortune (id INTEGER PRIMARY KEY AUTOINCREMENT, message TEXT NOT NULL)")
rng = random.Random(42)
db.executemany("INSERT INTO world (id, randomnumber) VALUES (?, ?)",
               [(i, rng.randint(1, 10000)) for i in range(1, 10001)])
fortunes = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. \u2014 Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af",
]
db.executemany("INSERT INTO fortune (id, message) VALUES (?, ?)", list(enumerate(fortunes, 1)))
db.commit()
db.close()
PY

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

RAW="$OUT/runs.tsv"
printf 'round\tframework\troute\treq_s\tp50\tp99\tnon2xx\terrors\tcpu_us_per_req\tpeak_rss_kb\n' >"$RAW"
for round in $(seq "$ROUNDS"); do
    for fw in $FRAMEWORKS; do
        port=$(free_port)
        PORT=$port WORKERS=1 taskset -c 0 "$BIN/$fw-app" >"$OUT/$fw.log" 2>&1 &
        server_pid=$!
        for _ in $(seq 200); do
            curl -s -o /dev/null "http://127.0.0.1:$port/plaintext" && break
            sleep 0.05
        done
        for route in $ROUTES; do
            url="http://127.0.0.1:$port$route"
            status=$(curl -s -o /dev/null -w '%{http_code}' "$url")
            [ "$status" = 200 ] || { echo "$fw $route answered $status" >&2; cat "$OUT/$fw.log" >&2; exit 1; }
            taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null
            before=$(cpu_ticks "$server_pid")
            taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" >"$OUT/wrk.out"
            after=$(cpu_ticks "$server_pid")
            rss=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
            python3 - "$OUT/wrk.out" "$round" "$fw" "$route" "$before" "$after" "$ticks" "$rss" "$DURATION" >>"$RAW" <<'PY'
import re, sys
out, rnd, fw, route, before, after, ticks, rss, duration = sys.argv[1:]
text = open(out).read()
def unit(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n, u = float(m.group(1)), m.group(2)
    return n * {"us": 0.001, "ms": 1.0, "s": 1000.0}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = unit(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = unit(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
total = int(re.search(r"(\d+) requests in", text).group(1))
cpu_s = (int(after) - int(before)) / int(ticks)
print("\t".join(str(x) for x in [rnd, fw, route, f"{rps:.0f}", f"{p50:.3f}", f"{p99:.3f}",
      non2xx.group(1) if non2xx else 0, sum(map(int, errs.groups())) if errs else 0,
      f"{cpu_s * 1e6 / max(total, 1):.2f}", rss]))
PY
            tail -n1 "$RAW" >&2
        done
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    done
done

python3 scripts/bench_results.py "$RAW" "$ROUNDS" "$DURATION" "$CONNECTIONS" >bench/RESULTS.md
echo "wrote bench/RESULTS.md" >&2
