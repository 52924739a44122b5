#!/usr/bin/env python3
"""The long cases of kiln's reliability battery (BATTERY.md), run by scripts/battery.sh.

Every case starts its own seed server (bench/src/bin/battery-app.rs) on 127.0.0.1,
pinned to one core, with the load tool pinned to the other; each load run has a fixed
duration. Each case writes one JSON line {id, pass, figures} to the results file; the
scorecard is printed at the end and written as Markdown.

Subcommands `b5-client`, `b8-client` and `fuzz-run` are the helpers the cases run in a
child process (pinned to the load core); `main` runs the cases.
"""

import argparse
import asyncio
import json
import math
import os
import random
import re
import select
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time

SERVER_CPU = "0"
LOAD_CPU = "1"

# Every process this script started, so that cleanup ends exactly those.
STARTED = []
STARTED_LOCK = threading.Lock()


def track(proc, group=False):
    """Remembers a process this script started; `group`: it leads a process group of its
    own (start_new_session), ended as a whole with its children (cargo fuzz and the fuzzer)."""
    proc.battery_group = group
    with STARTED_LOCK:
        STARTED.append(proc)
    return proc


def cleanup():
    with STARTED_LOCK:
        procs = list(STARTED)
    for p in procs:
        if p.battery_group:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # the group this script made for it
            except (ProcessLookupError, PermissionError):
                pass
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


def log(msg):
    print(f"[battery {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms():
    return time.time() * 1000.0


def pct(values, p):
    """The p-th percentile (nearest rank) of values, or None."""
    if not values:
        return None
    v = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(v)))
    return v[min(rank, len(v)) - 1]


def r2(x, nd=2):
    return None if x is None else round(x, nd)


# ---------------------------------------------------------------------------
# The seed server


class Server:
    def __init__(self, ctx, name, db, env=None, user=None):
        self.ctx = ctx
        self.name = name
        self.db = db
        self.env = dict(env or {})
        self.user = user
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(ctx.work, f"{name}.server.log")
        self.starts = 0

    @property
    def pid(self):
        return self.proc.pid

    def start(self, ready_timeout=20.0):
        env = os.environ.copy()
        env.update(
            {
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "DATABASE_URL": f"sqlite://{self.db}",
                "RUST_LOG": os.environ.get("BATTERY_RUST_LOG", "warn"),
                "RUST_BACKTRACE": "0",
                "NO_COLOR": "1",
            }
        )
        env.update(self.env)
        cmd = ["taskset", "-c", SERVER_CPU, self.ctx.app]
        if self.user is not None:
            uid, gid = self.user
            cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"] + cmd
        logf = open(self.log_path, "ab")
        logf.write(f"--- start {self.starts} {time.ctime()}\n".encode())
        logf.flush()
        # setpriv and taskset exec the app: the PID is the server's.
        self.proc = track(
            subprocess.Popen(cmd, env=env, stdout=logf, stderr=logf, cwd=self.ctx.work)
        )
        logf.close()
        self.starts += 1
        t0 = time.time()
        while time.time() - t0 < ready_timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name}: the server exited with {self.proc.returncode}; see {self.log_path}"
                )
            st, _, _ = http_get(self.port, "/health", timeout=1.0)
            if st == 200:
                return time.time() - t0
            time.sleep(0.05)
        raise RuntimeError(f"{self.name}: the server did not answer /health in {ready_timeout}s")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kb(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def fds(self):
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return None

    def stop(self, timeout=15.0):
        """SIGTERM, then wait: (exit code, seconds to exit)."""
        if not self.alive():
            return (self.proc.returncode if self.proc else None, 0.0)
        t0 = time.time()
        os.kill(self.pid, signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            code = self.proc.wait()
        return code, time.time() - t0

    def kill9(self):
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait()

    def panics(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return sum(1 for line in f if "panicked" in line and "boom" not in line)
        except OSError:
            return None


def http_get(port, path, timeout=2.0):
    """One GET on a new connection: (status or None, latency ms, headers dict)."""
    t0 = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        latency = (time.perf_counter() - t0) * 1000
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        return status, latency, headers
    except (OSError, ValueError, IndexError):
        return None, (time.perf_counter() - t0) * 1000, {}


class Prober(threading.Thread):
    """GETs `path` every `interval` s on a new connection; keeps (t_ms, status, latency)."""

    def __init__(self, port, path="/health", interval=0.1, timeout=2.0):
        super().__init__(daemon=True)
        self.port, self.path, self.interval, self.timeout = port, path, interval, timeout
        self.samples = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            t = now_ms()
            st, lat, _ = http_get(self.port, self.path, self.timeout)
            self.samples.append((t, st, lat))
            self.stopped.wait(self.interval)

    def stop(self):
        self.stopped.set()
        self.join()
        return self.samples


class Sampler(threading.Thread):
    """Samples the server's fd count and RSS every `interval` s."""

    def __init__(self, server, interval=0.25):
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.samples = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.samples.append((time.time(), self.server.fds(), self.server.rss_kb()))
            self.stopped.wait(self.interval)

    def stop(self):
        self.stopped.set()
        self.join()
        return self.samples


# ---------------------------------------------------------------------------
# Load tools

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m|h)$", text.strip())
    if not m:
        return None
    return float(m.group(1)) * UNITS[m.group(2)]


WRK_STATUS_LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body) counts[status] = (counts[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = string.format('"%d":%d', k, v) end
  io.write("WRK_STATUS {" .. table.concat(parts, ",") .. "}\n")
end
"""


def wrk_cmd(port, path, c, d, script=None, timeout="2s"):
    cmd = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{c}", f"-d{d}s", "--latency", "--timeout", timeout]
    if script:
        cmd += ["-s", script]
    return cmd + [f"http://127.0.0.1:{port}{path}"]


def parse_wrk(out):
    r = {"raw_tail": out.strip().splitlines()[-3:] if out.strip() else []}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    r["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    r["max_ms"] = to_ms(m.group(3)) if m else None
    r["avg_ms"] = to_ms(m.group(1)) if m else None
    for p in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{p}%\s+(\S+)", out, re.M)
        r[f"p{p}_ms"] = to_ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["errors"] = {k: int(v) for k, v in zip(("connect", "read", "write", "timeout"), m.groups())}
    else:
        r["errors"] = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    m = re.search(r"WRK_STATUS (\{.*\})", out)
    r["status"] = json.loads(m.group(1)) if m else None
    return r


def wrk(port, path, c, d, script=None, timeout="2s"):
    out = subprocess.run(
        wrk_cmd(port, path, c, d, script, timeout), capture_output=True, text=True, timeout=d + 30
    ).stdout
    return parse_wrk(out)


def wrk_background(port, path, c, d, script=None, timeout="2s"):
    return track(
        subprocess.Popen(wrk_cmd(port, path, c, d, script, timeout), stdout=subprocess.PIPE, text=True)
    )


def load_cmd(ctx, port, method="GET", path="/", body=None, c=1, d=10, timeout_ms=10000, log=None, log_status=None):
    cmd = [
        "taskset", "-c", LOAD_CPU, ctx.load, "--addr", f"127.0.0.1:{port}",
        "--method", method, "--path", path, "-c", str(c), "-d", str(d), "--timeout-ms", str(timeout_ms),
    ]
    if body is not None:
        cmd += ["--body", body]
    if log:
        cmd += ["--log", log]
    if log_status:
        cmd += ["--log-status", ",".join(str(s) for s in log_status)]
    return cmd


def load(ctx, port, **kw):
    d = kw.get("d", 10)
    p = track(subprocess.Popen(load_cmd(ctx, port, **kw), stdout=subprocess.PIPE, text=True))
    out, _ = p.communicate(timeout=d + 60)
    return json.loads(out)


def load_background(ctx, port, **kw):
    return track(subprocess.Popen(load_cmd(ctx, port, **kw), stdout=subprocess.PIPE, text=True))


def load_result(proc, timeout=120):
    out, _ = proc.communicate(timeout=timeout)
    return json.loads(out)


def read_load_log(path):
    """[(start_ms, end_ms, status, kind, retry_after, body)]"""
    rows = []
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 5)
            if len(parts) < 6:
                continue
            rows.append((int(parts[0]), int(parts[1]), int(parts[2]), parts[3], parts[4], parts[5]))
    return rows


# ---------------------------------------------------------------------------
# Cases


class Context:
    def __init__(self, args):
        self.app = args.app
        self.load = args.load
        self.out = args.out
        self.work = args.work
        self.scale = args.scale
        self.seed = args.seed
        self.fuzz_dir = args.fuzz_dir
        self.fuzz_target_dir = args.fuzz_target_dir
        self.fuzz_secs = args.fuzz_secs
        self.results = []
        self.jsonl = os.path.join(args.out, "battery-long.jsonl")
        open(self.jsonl, "w").close()

    def dur(self, secs):
        """A load duration, scaled down for a quick trial run (BATTERY_SCALE)."""
        return max(1, int(round(secs * self.scale)))

    def fresh_db(self, name):
        d = os.path.join(self.work, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return os.path.join(d, "app.db")

    def record(self, cid, passed, figures, summary, note=""):
        line = {"id": cid, "pass": passed, "figures": figures}
        if note:
            line["note"] = note
        with open(self.jsonl, "a") as f:
            f.write(json.dumps(line) + "\n")
        self.results.append({"id": cid, "pass": passed, "summary": summary, "note": note, "figures": figures})
        verdict = {True: "PASS", False: "FAIL", None: "NOT RUN"}[passed]
        log(f"{cid}: {verdict}: {summary}")


def case_l1(ctx):
    d = ctx.dur(15)
    s = Server(ctx, "l1", ctx.fresh_db("l1"))
    s.start()
    rss_idle = s.rss_kb()
    wrk(s.port, "/book/1", 200, 2)  # warm-up, not counted
    rss_start = s.rss_kb()
    r64 = wrk(s.port, "/book/1", 64, d)
    r200 = wrk(s.port, "/book/1", 200, d)
    rss_end = s.rss_kb()
    panics = s.panics()
    s.stop()
    growth = (rss_end - rss_start) / rss_start * 100 if rss_start else None
    errs = lambda r: sum(r["errors"].values())
    figures = {
        "duration_s": d,
        "c64": {k: r64[k] for k in ("rps", "p50_ms", "p99_ms", "max_ms", "non2xx", "errors")},
        "c200": {k: r200[k] for k in ("rps", "p50_ms", "p99_ms", "max_ms", "non2xx", "errors")},
        "rss_kb": {"idle": rss_idle, "start": rss_start, "end": rss_end},
        "rss_growth_pct": r2(growth, 1),
        "panics": panics,
    }
    passed = (
        r64["non2xx"] == 0 and r200["non2xx"] == 0 and errs(r64) == 0 and errs(r200) == 0
        and r64["p99_ms"] is not None and r64["p99_ms"] < 100 and growth is not None and growth < 10
    )
    summary = (
        f"c=64: {r64['rps']:.0f} req/s, p50/p99/max {r64['p50_ms']:.2f}/{r64['p99_ms']:.2f}/{r64['max_ms']:.2f} ms; "
        f"c=200: {r200['rps']:.0f} req/s, p50/p99/max {r200['p50_ms']:.2f}/{r200['p99_ms']:.2f}/{r200['max_ms']:.2f} ms; "
        f"non-2xx {r64['non2xx'] + r200['non2xx']}, socket errors {errs(r64) + errs(r200)}; "
        f"RSS {rss_start} -> {rss_end} kB ({growth:+.1f}%, idle {rss_idle} kB)"
    )
    ctx.record("L1", passed, figures, summary, note=f"{d} s per run (BATTERY: 30 s); RSS start is after a 2 s warm-up at c=200")


def case_l2(ctx):
    s = Server(ctx, "l2", ctx.fresh_db("l2"), env={"KILN_CONCURRENCY": "32"})
    s.start()
    lua = os.path.join(ctx.work, "status.lua")
    with open(lua, "w") as f:
        f.write(WRK_STATUS_LUA)
    probe = Prober(s.port, "/health", interval=0.1)
    probe.start()
    dw, dl = ctx.dur(15), ctx.dur(10)
    w = wrk(s.port, "/slow?ms=100", 256, dw, script=lua, timeout="5s")
    lr = load(ctx, s.port, path="/slow?ms=100", c=256, d=dl, timeout_ms=5000)
    samples = probe.stop()
    alive = s.alive()
    s.stop()
    st = {int(k): v for k, v in (w["status"] or {}).items()}
    total = sum(st.values())
    shed = st.get(503, 0) / total * 100 if total else None
    other = {k: v for k, v in st.items() if k not in (200, 503)}
    lst = {int(k): v for k, v in lr["status"].items()}
    lother = {k: v for k, v in lst.items() if k not in (200, 503)}
    by = lr["latency_by_status"]
    p99_200 = by.get("200", {}).get("p99_ms")
    p99_503 = by.get("503", {}).get("p99_ms")
    timeouts = w["errors"]["timeout"] + lr["errors"].get("timeout", 0)
    other_errors = w["errors"]["connect"] + w["errors"]["read"] + w["errors"]["write"] + sum(
        v for k, v in lr["errors"].items() if k != "timeout"
    )
    hl = [lat for _, code, lat in samples if code is not None]
    h200 = sum(1 for _, code, _ in samples if code == 200)
    hfail = sum(1 for _, code, _ in samples if code is None)
    health_p99 = pct(hl, 99)
    figures = {
        "wrk": {"duration_s": dw, "rps": w["rps"], "status": st, "shed_pct": r2(shed, 1), "p99_ms": w["p99_ms"], "errors": w["errors"]},
        "load_client": {"duration_s": dl, "status": lst, "p99_200_ms": p99_200, "p99_503_ms": p99_503,
                        "max_200_ms": by.get("200", {}).get("max_ms"), "max_503_ms": by.get("503", {}).get("max_ms"),
                        "errors": lr["errors"], "retry_after_on_503": lr["retry_after"].get("503", 0)},
        "timeouts": timeouts,
        "health": {"samples": len(samples), "answered_200": h200, "no_answer": hfail,
                   "p50_ms": r2(pct(hl, 50)), "p99_ms": r2(health_p99), "max_ms": r2(max(hl) if hl else None)},
        "server_alive": alive,
    }
    # "Stays live for /health": every probe answered 200, with a p99 under 50 ms.
    passed = (
        not other and not lother and timeouts == 0 and other_errors == 0 and p99_503 is not None and p99_503 < 20
        and health_p99 is not None and health_p99 < 50 and hfail == 0 and h200 == len(samples) and alive
    )
    summary = (
        f"shed {shed:.1f}% (wrk {total} responses: {st}); p99(200) {p99_200} ms, p99(503) {p99_503} ms; "
        f"timeouts {timeouts}; /health p99 {r2(health_p99)} ms, {h200}/{len(samples)} answered 200"
    )
    note = "ConcurrencyLimit(32) via KILN_CONCURRENCY; wrk -c256 gives % shed, the battery load client -c256 the p99 of 200s and 503s apart"
    if samples and h200 < len(samples):
        note += (f"; /health passes through the same app-wide concurrency limit: {len(samples) - h200 - hfail} of "
                 f"{len(samples)} health probes were shed with 503")
    ctx.record("L2", passed, figures, summary, note=note)


def db_isbns(db, prefix):
    con = sqlite3.connect(db, timeout=30)
    try:
        return {row[0] for row in con.execute("SELECT isbn FROM book WHERE isbn LIKE ?", (prefix + "%",))}
    finally:
        con.close()


def case_l3(ctx):
    db = ctx.fresh_db("l3")
    s = Server(ctx, "l3", db)
    s.start()
    d = ctx.dur(20)
    acked_log = os.path.join(ctx.work, "l3-acked.log")
    r = load(ctx, s.port, method="POST", path="/books", body='{"title":"L3","isbn":"L3-{c}-{n}"}',
             c=64, d=d, timeout_ms=15000, log=acked_log, log_status=[201])
    acked = set()
    for _, _, status, _, _, body in read_load_log(acked_log):
        m = re.search(r'"isbn":"([^"]+)"', body)
        if status == 201 and m:
            acked.add(m.group(1))
    rows = db_isbns(db, "L3-")
    # The canary: the same writes in a DEFERRED transaction (read, then write).
    dd = ctx.dur(10)
    canary = load(ctx, s.port, method="POST", path="/books-deferred", body='{"title":"D","isbn":"D-{c}-{n}"}',
                  c=64, d=dd, timeout_ms=15000)
    panics = s.panics()
    s.stop()
    st = {int(k): v for k, v in r["status"].items()}
    five = sum(v for k, v in st.items() if k >= 500)
    cst = {int(k): v for k, v in canary["status"].items()}
    lost = len(acked - rows)
    extra = len(rows - acked)
    figures = {
        "duration_s": d, "clients": 64,
        "writes_per_s": r2(st.get(201, 0) / r["duration_s"], 0),
        "p99_ms": r["latency"]["p99_ms"], "max_ms": r["latency"]["max_ms"],
        "status": st, "errors": r["errors"], "5xx": five,
        "acked": len(acked), "rows": len(rows), "lost": lost, "rows_not_acked": extra,
        "busy_errors_immediate": st.get(503, 0),
        "canary_deferred": {"duration_s": dd, "status": cst, "busy_errors": cst.get(503, 0),
                            "other_5xx": sum(v for k, v in cst.items() if k >= 500 and k != 503)},
        "panics": panics,
    }
    passed = five == 0 and sum(r["errors"].values()) == 0 and lost == 0 and len(rows) == len(acked)
    summary = (
        f"{figures['writes_per_s']:.0f} writes/s, p99 {r['latency']['p99_ms']} ms, 5xx {five}, "
        f"acked {len(acked)}, rows {len(rows)}, lost {lost}; busy errors immediate {st.get(503, 0)} vs deferred {cst.get(503, 0)}"
    )
    note = f"{d} s (BATTERY: 30 s), 64 keep-alive clients of the battery load client; canary {dd} s on POST /books-deferred"
    if cst.get(503, 0) == 0:
        note += "; the DEFERRED canary showed no busy errors this run"
    ctx.record("L3", passed, figures, summary, note=note)


def case_f2(ctx):
    db = ctx.fresh_db("f2")
    s = Server(ctx, "f2", db)
    s.start()
    hold = 8.0
    before, after = 3.0, 5.0
    d = before + hold + after + 1
    lg = os.path.join(ctx.work, "f2-requests.log")
    bg = load_background(ctx, s.port, method="POST", path="/books", body='{"title":"F2","isbn":"F2-{c}-{n}"}',
                         c=16, d=d, timeout_ms=20000, log=lg)
    time.sleep(before)
    con = sqlite3.connect(db, timeout=20, isolation_level=None)
    t_ask = now_ms()
    con.execute("BEGIN EXCLUSIVE")
    con.execute("SELECT 1").fetchall()
    lock_start = now_ms()
    time.sleep(hold)
    con.execute("COMMIT")
    lock_end = now_ms()
    con.close()
    r = load_result(bg)
    alive = s.alive()
    s.stop()
    rows = read_load_log(lg)
    during = [x for x in rows if x[0] < lock_end and x[1] > lock_start]
    max_lat = max((x[1] - x[0] for x in during), default=None)
    n503 = sum(1 for x in rows if x[2] == 503)
    n503_retry = sum(1 for x in rows if x[2] == 503 and x[4] != "-")
    other5 = sum(1 for x in rows if x[2] >= 500 and x[2] != 503)
    errs = sum(1 for x in rows if x[3] != "ok")
    bad_after = [x for x in rows if x[1] >= lock_end and x[2] != 201]
    recovery = max(0.0, (max(x[1] for x in bad_after) - lock_end) / 1000) if bad_after else 0.0
    first_ok = min((x[1] for x in rows if x[1] >= lock_end and x[2] == 201), default=None)
    figures = {
        "writers": 16, "lock_held_s": r2((lock_end - lock_start) / 1000), "lock_wait_s": r2((lock_start - t_ask) / 1000),
        "max_latency_during_lock_ms": max_lat, "count_503": n503, "count_503_with_retry_after": n503_retry,
        "other_5xx": other5, "client_errors": errs, "status": r["status"],
        "recovery_s": r2(recovery), "first_201_after_release_ms": None if first_ok is None else round(first_ok - lock_end),
        "server_alive": alive,
    }
    passed = (other5 == 0 and errs == 0 and n503 > 0 and n503 == n503_retry and max_lat is not None
              and max_lat <= 6000 and recovery <= 1.0)
    summary = (f"max latency during lock {max_lat} ms, 503s {n503} ({n503_retry} with Retry-After), other 5xx {other5}, "
               f"client errors {errs}, recovery {recovery:.2f} s")
    note = "external BEGIN EXCLUSIVE from Python's sqlite3 held 8 s; busy_timeout and acquire_timeout at kiln's 5 s defaults, pool of 10"
    slow = [x for x in during if x[1] - x[0] > 6000]
    if slow:
        note += (f"; {len(slow)} requests took over 6 s ({', '.join(str(x[1] - x[0]) + ' ms ' + str(x[2]) for x in slow[:6])}): "
                 "16 writers on a pool of 10, so a request can wait for a connection (up to acquire_timeout) and "
                 "then for the lock (up to busy_timeout): the two 5 s bounds add up")
    ctx.record("F2", passed, figures, summary, note=note)


def db_fd_modes(pid, db):
    """How the server holds app.db open: {"read-only": n, "read-write": m} (from /proc/PID/fdinfo)."""
    modes = {}
    real = os.path.realpath(db)
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") != real:
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    flags = int(re.search(r"flags:\s+(\d+)", f.read()).group(1), 8)
            except (OSError, AttributeError):
                continue
            kind = "read-only" if flags & 3 == 0 else "read-write"
            modes[kind] = modes.get(kind, 0) + 1
    except OSError:
        pass
    return modes


def case_f3(ctx):
    db = ctx.fresh_db("f3")
    ddir = os.path.dirname(db)
    user = None
    note = ""
    if os.geteuid() == 0:
        if shutil.which("setpriv"):
            user = (65534, 65534)
            os.chown(ddir, 65534, 65534)
            note = "root ignores file modes, so the server runs as nobody (setpriv) on a folder nobody owns; "
        else:
            note = "running as root without setpriv: chmod 444 does not bind root; "
    s = Server(ctx, "f3", db, user=user)
    s.start()
    # One writer first: the pool holds few connections when the file turns read-only.
    load(ctx, s.port, method="POST", path="/books", body='{"title":"F3","isbn":"F3w-{n}"}', c=1, d=1)
    pid = s.pid
    ro, back = 8.0, 8.0
    lg = os.path.join(ctx.work, "f3-requests.log")
    os.chmod(db, 0o444)
    t_ro = now_ms()
    bg = load_background(ctx, s.port, method="POST", path="/books", body='{"title":"F3","isbn":"F3-{c}-{n}"}',
                         c=16, d=ro + back, timeout_ms=15000, log=lg)
    probe = Prober(s.port, "/health", interval=0.2)
    probe.start()
    time.sleep(ro)
    os.chmod(db, 0o644)
    t_back = now_ms()
    r = load_result(bg)
    end = now_ms()
    samples = probe.stop()
    same_pid = s.alive() and s.pid == pid
    db_fds = db_fd_modes(s.pid, db)
    s.stop()
    rows = read_load_log(lg)
    first503 = min((x[1] for x in rows if x[1] >= t_ro and x[2] == 503), default=None)
    ro_rows = [x for x in rows if t_ro <= x[1] < t_back]
    back_rows = [x for x in rows if x[1] >= t_back]
    ro_status, back_status = {}, {}
    for x in ro_rows:
        ro_status[x[2]] = ro_status.get(x[2], 0) + 1
    for x in back_rows:
        back_status[x[2]] = back_status.get(x[2], 0) + 1
    bad_after = [x for x in back_rows if x[2] != 201]
    last_bad = max((x[1] for x in bad_after), default=None)
    recovered = last_bad is None or last_bad < end - 2000
    recovery = None if not recovered else (0.0 if last_bad is None else max(0.0, (last_bad - t_back) / 1000))
    health_ro = {}
    for t, code, _ in samples:
        if t_ro <= t < t_back:
            health_ro[str(code)] = health_ro.get(str(code), 0) + 1
    other5 = sum(1 for x in rows if x[2] >= 500 and x[2] != 503)
    figures = {
        "server_user": "nobody" if user else "self",
        "time_to_503_s": None if first503 is None else r2((first503 - t_ro) / 1000),
        "status_while_read_only": ro_status, "status_after_restore": back_status,
        "health_while_read_only": health_ro,
        "recovery_s": r2(recovery), "recovered": recovered, "other_5xx": other5,
        "restarts": 0, "same_pid": same_pid, "errors": r["errors"],
        "server_fds_on_app_db_after_restore": db_fds,
    }
    passed = (first503 is not None and (first503 - t_ro) <= 5000 and recovered and same_pid and other5 == 0)
    summary = (f"time to 503 {figures['time_to_503_s']} s; while read-only {ro_status}, /health {health_ro}; "
               f"after chmod 644 {back_status}, recovery {'%.2f s' % recovery if recovered else 'none within %.0f s' % back}; restarts 0")
    note += ("after one writer for 1 s (the pool holds 1-2 connections), chmod 444 app.db, then 16 writers for 8 s, "
             "then chmod 644 and 8 s more; only connections the pool opens after the chmod see a read-only file "
             "(open ones keep their read-write descriptor)")
    if not recovered and db_fds.get("read-only"):
        note += (f"; after chmod 644 the server still holds {db_fds['read-only']} read-only descriptor(s) of app.db "
                 f"(and {db_fds.get('read-write', 0)} read-write): the connections opened while the file was read-only "
                 "stay in the pool and keep failing")
    ctx.record("F3", passed, figures, summary, note=note)


def f6_check(db, acked):
    con = sqlite3.connect(db, timeout=30)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        con.execute("CREATE TEMP TABLE acked (id INTEGER PRIMARY KEY)")
        con.executemany("INSERT OR IGNORE INTO acked VALUES (?)", [(i,) for i in acked])
        lost = con.execute(
            "SELECT count(*) FROM acked a WHERE (SELECT count(*) FROM purchase p WHERE p.id = a.id) "
            "+ (SELECT count(*) FROM purchase_line l WHERE l.purchase_id = a.id) != 6"
        ).fetchone()[0]
        partial = con.execute(
            "SELECT count(*) FROM (SELECT p.id, (SELECT count(*) FROM purchase_line l WHERE l.purchase_id = p.id) AS n "
            "FROM purchase p) WHERE n != 5"
        ).fetchone()[0]
        orphans = con.execute(
            "SELECT count(*) FROM purchase_line WHERE purchase_id NOT IN (SELECT id FROM purchase)"
        ).fetchone()[0]
        orders = con.execute("SELECT count(*) FROM purchase").fetchone()[0]
        return {"integrity": integrity, "lost": lost, "partial": partial, "orphans": orphans, "orders": orders}
    finally:
        con.close()


def case_f6(ctx):
    rng = random.Random(ctx.seed)
    db = ctx.fresh_db("f6")
    s = Server(ctx, "f6", db)
    s.start()
    iterations = int(os.environ.get("BATTERY_F6_ITERATIONS", "20"))
    acked = set()
    runs = []
    for i in range(iterations):
        kill_at = rng.uniform(0.5, 3.0)
        conns = rng.randint(500, 1000)
        lg = os.path.join(ctx.work, f"f6-{i}.log")
        bg = load_background(ctx, s.port, method="POST", path="/orders", body='{"label":"f6-%d-{c}-{n}"}' % i,
                             c=conns, d=r2(kill_at + 0.7), timeout_ms=3000, log=lg, log_status=[201])
        time.sleep(kill_at)
        wal = db + "-wal"
        s.kill9()
        wal_bytes = os.path.getsize(wal) if os.path.exists(wal) else 0
        r = load_result(bg)
        new = set()
        for _, _, status, _, _, body in read_load_log(lg):
            m = re.search(r'"id":(\d+)', body)
            if status == 201 and m:
                new.add(int(m.group(1)))
        acked |= new
        ready = s.start()
        chk = f6_check(db, acked)
        ok = chk["integrity"] == "ok" and chk["lost"] == 0 and chk["partial"] == 0 and chk["orphans"] == 0
        runs.append({"i": i, "kill_at_s": r2(kill_at), "connections": conns, "acked": len(new),
                     "wal_bytes_at_kill": wal_bytes, "restart_s": r2(ready), "status": r["status"], "client_errors": r["errors"], **chk, "ok": ok})
    s.stop()
    good = sum(1 for x in runs if x["ok"])
    figures = {
        "iterations": iterations, "ok_runs": good, "acked_total": len(acked),
        "acked_lost": max((x["lost"] for x in runs), default=0), "partial_txns": max((x["partial"] for x in runs), default=0),
        "orphan_lines": max((x["orphans"] for x in runs), default=0),
        "integrity_ok_runs": sum(1 for x in runs if x["integrity"] == "ok"),
        "synchronous": "NORMAL (kiln default): survives a process kill; FULL is needed for power loss",
        "runs": runs, "seed": ctx.seed,
    }
    passed = good == iterations
    summary = (f"{good}/{iterations} runs: acked {len(acked)}, lost {figures['acked_lost']}, partial txns "
               f"{figures['partial_txns']}, integrity ok {figures['integrity_ok_runs']}/{iterations}")
    ctx.record("F6", passed, figures, summary,
               note="500-1000 keep-alive clients POST /orders (1 parent + 5 children in one BEGIN IMMEDIATE transaction); "
                    "SIGKILL at a random 0.5-3 s; every acked id checked after each restart; power loss not testable on loopback")


def case_f7(ctx):
    grace = 5.0
    s = Server(ctx, "f7", ctx.fresh_db("f7"), env={"KILN_SHUTDOWN_GRACE_MS": str(int(grace * 1000))})
    s.start()
    lg = os.path.join(ctx.work, "f7-requests.log")
    bg = load_background(ctx, s.port, path="/slow?ms=500", c=32, d=12, timeout_ms=15000, log=lg)
    forever = {}

    def hold_forever():
        t0 = now_ms()
        try:
            with socket.create_connection(("127.0.0.1", s.port), timeout=30) as sock:
                sock.settimeout(30)
                sock.sendall(b"GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
                data = b""
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                forever["response"] = data.split(b"\r\n", 1)[0].decode("latin-1")
        except OSError as e:
            forever["error"] = type(e).__name__
        forever["closed_ms"] = now_ms()
        forever["start_ms"] = t0

    th = threading.Thread(target=hold_forever, daemon=True)
    time.sleep(0.5)
    th.start()
    time.sleep(4.5)
    t_term = now_ms()
    os.kill(s.pid, signal.SIGTERM)
    time.sleep(0.3)
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=1):
            refused = False
    except OSError:
        refused = True
    try:
        code = s.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        code = None
        s.kill9()
    t_exit = now_ms()
    r = load_result(bg)
    th.join(timeout=20)
    rows = read_load_log(lg)
    inflight = [x for x in rows if x[0] <= t_term <= x[1]]
    completed = sum(1 for x in inflight if x[2] == 200)
    cut = [x for x in inflight if x[2] != 200]
    exit_s = (t_exit - t_term) / 1000
    forever_cut_s = r2((forever.get("closed_ms", t_term) - t_term) / 1000)
    figures = {
        "grace_s": grace, "inflight_at_sigterm": len(inflight), "inflight_completed_200": completed,
        "inflight_not_completed": [{"status": x[2], "kind": x[3], "started_before_ms": round(t_term - x[0])} for x in cut],
        "exit_time_s": r2(exit_s), "exit_code": code, "new_connect_refused": refused,
        "forever": {"cut_after_sigterm_s": forever_cut_s, "response": forever.get("response"), "error": forever.get("error")},
        "client": {"status": r["status"], "errors": r["errors"]},
    }
    passed = (len(inflight) > 0 and completed == len(inflight) and code == 0 and exit_s <= grace + 1 and refused)
    summary = (f"in-flight completed {completed}/{len(inflight)}, exit {exit_s:.2f} s (grace {grace:.0f} s), "
               f"exit code {code}, new connects refused {'yes' if refused else 'no'}, /forever cut at {forever_cut_s} s")
    ctx.record("F7", passed, figures, summary,
               note="32 keep-alive clients of the battery load client on /slow?ms=500 (wrk -c32 equivalent, timed per request), "
                    "plus one /forever; SIGTERM at t=5 s")


def case_b5(ctx):
    hdr, req_to = 5.0, 10.0
    s = Server(ctx, "b5", ctx.fresh_db("b5"),
               env={"KILN_HEADER_READ_TIMEOUT_MS": str(int(hdr * 1000)), "KILN_REQUEST_TIMEOUT_MS": str(int(req_to * 1000))})
    s.start()
    before = wrk(s.port, "/book/1", 32, ctx.dur(8))
    time.sleep(0.5)
    fd_before = s.fds()
    rss_before = s.rss_kb()
    hold = 16
    sampler = Sampler(s)
    sampler.start()
    out = os.path.join(ctx.work, "b5-client.json")
    attack = track(subprocess.Popen(["taskset", "-c", LOAD_CPU, sys.executable, os.path.abspath(__file__), "b5-client",
                                     "--port", str(s.port), "--hold", str(hold), "--out", out], start_new_session=True),
                   group=True)
    during = wrk(s.port, "/book/1", 32, hold - 2)
    attack.wait(timeout=hold + 60)
    time.sleep(2)
    samples = sampler.stop()
    fd_after = s.fds()
    rss_after = s.rss_kb()
    alive = s.alive()
    panics = s.panics()
    s.stop()
    with open(out) as f:
        res = json.load(f)
    fd_peak = max((x[1] for x in samples if x[1] is not None), default=None)
    open_at = {k: v["open_at_end"] for k, v in res["groups"].items()}
    figures = {
        "header_read_timeout_s": hdr, "request_timeout_s": req_to, "body_idle_timeout_s": 10,
        "groups": res["groups"], "open_at_check": open_at, "check_at_s": hold,
        "fd": {"before": fd_before, "peak": fd_peak, "after": fd_after},
        "rss_kb": {"before": rss_before, "peak": max((x[2] for x in samples if x[2]), default=None), "after": rss_after},
        "l1_c32_p99_ms": {"before": before["p99_ms"], "during": during["p99_ms"]},
        "l1_c32_rps": {"before": before["rps"], "during": during["rps"]},
        "l1_errors_during": during["errors"], "l1_non2xx_during": during["non2xx"],
        "server_alive": alive, "panics": panics,
    }
    degr = during["p99_ms"] / before["p99_ms"] if before["p99_ms"] and during["p99_ms"] else None
    figures["l1_p99_ratio"] = r2(degr)
    passed = (all(v == 0 for v in open_at.values()) and fd_after is not None and fd_before is not None
              and fd_after <= fd_before + 2 and degr is not None and degr <= 2.0 and alive)
    summary = (f"open at t={hold} s: slowloris {open_at['a']}, slow body {open_at['b']}, idle {open_at['c']}; "
               f"fd before/peak/after {fd_before}/{fd_peak}/{fd_after}; L1 c=32 p99 before/during "
               f"{before['p99_ms']}/{during['p99_ms']} ms (x{r2(degr)})")
    ctx.record("B5", passed, figures, summary,
               note=f"header-read timeout {hdr:.0f} s and request timeout {req_to:.0f} s for this run (defaults 30 s / 30 s) "
                    f"to fit the time box; so closes are due by ~{req_to:.0f} s and checked at {hold} s instead of 35 s")


def server_goaways(server):
    """The GOAWAY frames the server's h2 says it sent (its debug log), as error-code names."""
    try:
        with open(server.log_path, errors="replace") as f:
            return re.findall(r"send frame=GoAway \{ error_code: (\w+)", f.read())
    except OSError:
        return []


def case_b8(ctx):
    # h2's frame writer logs each frame it sends at debug: the server's own word on GOAWAY.
    s = Server(ctx, "b8", ctx.fresh_db("b8"), env={"RUST_LOG": "warn,h2::codec::framed_write=debug"})
    s.start()
    before = wrk(s.port, "/book/1", 32, ctx.dur(6))
    rss0 = s.rss_kb()
    dur = 24
    bgw = wrk_background(s.port, "/book/1", 32, dur)
    t0 = time.time()
    cases = {}
    for which in ("a", "b", "c"):
        out = os.path.join(ctx.work, f"b8-{which}.json")
        rss_a = s.rss_kb()
        sent_before = len(server_goaways(s))
        p = track(subprocess.Popen(["taskset", "-c", LOAD_CPU, sys.executable, os.path.abspath(__file__), "b8-client",
                                    "--port", str(s.port), "--case", which, "--out", out], start_new_session=True),
                  group=True)
        p.wait(timeout=60)
        with open(out) as f:
            res = json.load(f)
        res["rss_kb_before"] = rss_a
        res["rss_kb_after"] = s.rss_kb()
        res["health_after"] = http_get(s.port, "/health")[0]
        res["server_log_goaway"] = server_goaways(s)[sent_before:]
        cases[which] = res
    left = dur - (time.time() - t0)
    during = parse_wrk(bgw.communicate(timeout=left + 40)[0])
    rss1 = s.rss_kb()
    alive = s.alive()
    panics = s.panics()
    s.stop()
    figures = {
        "cases": cases, "rss_kb": {"before": rss0, "after": rss1, "delta": None if rss0 is None or rss1 is None else rss1 - rss0},
        "l1_c32_p99_ms": {"before": before["p99_ms"], "during": during["p99_ms"]},
        "l1_errors_during": during["errors"], "l1_non2xx_during": during["non2xx"], "server_alive": alive,
        "panics": panics,
    }
    degr = during["p99_ms"] / before["p99_ms"] if before["p99_ms"] and during["p99_ms"] else None
    figures["l1_p99_ratio"] = r2(degr)
    calm = all(c.get("goaway_code") == 0xB for c in cases.values())
    passed = calm and alive and degr is not None and degr <= 2.0 and all(c["health_after"] == 200 for c in cases.values())
    parts = []
    for k, name in (("a", "rapid reset"), ("b", "CONTINUATION flood"), ("c", "invalid frames")):
        c = cases[k]
        g = f"GOAWAY {c['goaway_name']}" if c["goaway"] else ("closed without GOAWAY" if c["closed"] else "no GOAWAY")
        parts.append(f"{name}: {g} after {c['frames_sent_before_goaway_or_end']} frames")
    summary = "; ".join(parts) + (f"; RSS delta {figures['rss_kb']['delta']} kB; L1 c=32 p99 before/during "
                                  f"{before['p99_ms']}/{during['p99_ms']} ms")
    ctx.record("B8", passed, figures, summary,
               note="h2c prior knowledge, raw frames written by a small Python frame writer (static-table HPACK); "
                    "pass needs GOAWAY ENHANCE_YOUR_CALM (0xb) for each case, as BATTERY.md asks")


def case_b9(ctx):
    if not ctx.fuzz_dir:
        ctx.record("B9", None, {"ran": False, "reason": "no fuzz build (see battery.sh output)"},
                   "fuzzing could not run: " + (os.environ.get("BATTERY_FUZZ_REASON") or "no fuzz build"))
        return
    results = {}
    for target, seeds in (("route_path", "route_path"), ("http_conn", "http_conn")):
        out = os.path.join(ctx.work, f"fuzz-{target}.json")
        corpus = os.path.join(ctx.out, "fuzz-corpus", target)  # kept from run to run
        os.makedirs(corpus, exist_ok=True)
        # This run's crashes only.
        shutil.rmtree(os.path.join(ctx.out, "fuzz-artifacts", target), ignore_errors=True)
        p = track(subprocess.Popen([sys.executable, os.path.abspath(__file__), "fuzz-run", "--fuzz-dir", ctx.fuzz_dir,
                                    "--target-dir", ctx.fuzz_target_dir, "--target", target, "--corpus", corpus,
                                    "--seeds", os.path.join(ctx.fuzz_dir, "seeds", seeds), "--secs", str(ctx.fuzz_secs),
                                    "--artifacts", os.path.join(ctx.out, "fuzz-artifacts", target) + "/", "--out", out],
                                   start_new_session=True), group=True)
        p.wait(timeout=ctx.fuzz_secs + 600)
        with open(out) as f:
            results[target] = json.load(f)
    crashes = sum(r["crashes"] for r in results.values())
    ran = all(r["ran"] for r in results.values())
    passed = ran and crashes == 0
    parts = []
    for t, r in results.items():
        text = (f"{t}: {r['execs']} execs in {r['secs']} s, crashes {r['crashes']}, cov {r['cov_half']}->{r['cov_final']} "
                f"(last new at {r['last_new_s']} s of the last phase), corpus {r['corpus_files']}")
        if r["findings"]:
            text += " - found: " + " / ".join(r["findings"])
        parts.append(text)
    ctx.record("B9", passed if ran else None, {"targets": results, "secs_per_target": ctx.fuzz_secs}, "; ".join(parts),
               note=f"time-boxed to {ctx.fuzz_secs} s per target (BATTERY: 10 min), cargo-fuzz on nightly, ASan, 1 core; "
                    "targets: RoutePath::parse_as (both syntaxes, round trip) and bytes -> hyper serve_connection "
                    "(HTTP/1.1 or HTTP/2) over a kiln router, any 500 a crash; targets (2) in-process client and (3) "
                    "route collisions of BATTERY B9 are not in this script")


CASES = {"L1": case_l1, "L2": case_l2, "L3": case_l3, "F2": case_f2, "F3": case_f3, "F6": case_f6,
         "F7": case_f7, "B5": case_b5, "B8": case_b8, "B9": case_b9}


# ---------------------------------------------------------------------------
# The scorecard


def scorecard(ctx, elapsed):
    res = {r["id"]: r for r in ctx.results}

    def v(cid):
        r = res.get(cid)
        if r is None:
            return "not run"
        return {True: "PASS", False: "FAIL", None: "NOT RUN"}[r["pass"]]

    def fig(cid, *path, default="n/a"):
        r = res.get(cid)
        if r is None:
            return default
        x = r["figures"]
        for p in path:
            if not isinstance(x, dict) or p not in x:
                return default
            x = x[p]
        return x

    lines = []
    lines.append("| Area | Figure |")
    lines.append("|---|---|")
    l1 = (f"L1 ({v('L1')}): {fig('L1', 'c64', 'rps', default=0):.0f} req/s, p99 {fig('L1', 'c64', 'p99_ms')} ms at c=64; "
          f"{fig('L1', 'c200', 'rps', default=0):.0f} req/s, p99 {fig('L1', 'c200', 'p99_ms')} ms at c=200; "
          f"non-2xx {fig('L1', 'c64', 'non2xx', default=0) + fig('L1', 'c200', 'non2xx', default=0)}, "
          f"socket errors {sum(fig('L1', 'c64', 'errors', default={}).values()) + sum(fig('L1', 'c200', 'errors', default={}).values())}; "
          f"RSS {fig('L1', 'rss_kb', 'start')} -> {fig('L1', 'rss_kb', 'end')} kB. "
          f"L2 ({v('L2')}): {fig('L2', 'wrk', 'shed_pct')}% shed, timeouts {fig('L2', 'timeouts')}, "
          f"p99(200) {fig('L2', 'load_client', 'p99_200_ms')} ms, p99(503) {fig('L2', 'load_client', 'p99_503_ms')} ms, "
          f"/health p99 {fig('L2', 'health', 'p99_ms')} ms")
    lines.append(f"| Load held | {l1} |")
    faults = [c for c in ("F2", "F3", "F6", "F7") if c in res]
    fpass = sum(1 for c in faults if res[c]["pass"] is True)
    fl = (f"{fpass}/{len(faults)} long fault cases pass ({', '.join(f'{c} {v(c)}' for c in faults)}; F1, F4, F5 are short "
          f"cases, not in this script); F6 \"{fig('F6', 'ok_runs')}/{fig('F6', 'iterations')} kill -9 runs, "
          f"{fig('F6', 'acked_lost')} acked rows lost, {fig('F6', 'partial_txns')} partial txns\"")
    lines.append(f"| Faults survived | {fl} |")
    b5n = 500 + 100 + 2000
    b8n = 3
    bl = (f"B5 ({v('B5')}): {b5n} slow/idle connections, open at the check "
          f"{sum(fig('B5', 'open_at_check', default={}).values()) if isinstance(fig('B5', 'open_at_check', default={}), dict) else 'n/a'}; "
          f"B8 ({v('B8')}): {b8n} HTTP/2 floods, GOAWAY codes "
          f"{', '.join(str(fig('B8', 'cases', k, 'goaway_name')) for k in ('a', 'b', 'c'))}; "
          f"server panics in B5/B8 {fig('B5', 'panics', default='n/a')}/{fig('B8', 'panics', default='n/a')}; "
          f"B9 ({v('B9')}): ")
    if res.get("B9") and res["B9"]["figures"].get("targets"):
        t = res["B9"]["figures"]["targets"]
        bl += ", ".join(f"{k} {x['execs']} execs / {x['crashes']} crashes" for k, x in t.items())
    else:
        bl += "fuzzing not run"
    bl += " (B1-B4, B6, B7 are short cases, not in this script)"
    lines.append(f"| Bad inputs tried | {bl} |")
    nl = (f"L3 ({v('L3')}): acked {fig('L3', 'acked')} == rows {fig('L3', 'rows')}, lost {fig('L3', 'lost')}, 5xx {fig('L3', '5xx')}, "
          f"busy errors immediate {fig('L3', 'busy_errors_immediate')} vs deferred {fig('L3', 'canary_deferred', 'busy_errors')}; "
          f"F5 not in this script; F6 ({v('F6')}) {fig('F6', 'acked_total')} acked orders, {fig('F6', 'acked_lost')} lost, "
          f"integrity ok {fig('F6', 'integrity_ok_runs')}/{fig('F6', 'iterations')}")
    lines.append(f"| Nothing lost | {nl} |")
    lines.append("| Nobody let in | S1-S9 are short cases, not in this script |")
    table = "\n".join(lines)
    detail = ["| Case | Result | Figures |", "|---|---|---|"]
    for r in ctx.results:
        verdict = {True: "PASS", False: "**FAIL**", None: "NOT RUN"}[r["pass"]]
        text = r["summary"].replace("|", "/")
        if r["note"]:
            text += f" <br>_{r['note'].replace('|', '/')}_"
        detail.append(f"| {r['id']} | {verdict} | {text} |")
    md = ("# kiln battery: long cases\n\n"
          f"Run {time.strftime('%Y-%m-%d %H:%M:%S')}, {elapsed / 60:.1f} min of cases, on {os.cpu_count()} CPUs "
          f"(server on CPU {SERVER_CPU}, load on CPU {LOAD_CPU}), 127.0.0.1 only. Raw figures: target/battery-long.jsonl.\n\n"
          "## Scorecard\n\n" + table + "\n\n## Cases\n\n" + "\n".join(detail) + "\n")
    return md


def main(args):
    os.makedirs(args.out, exist_ok=True)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    os.chmod(args.work, 0o755)
    try:
        os.sched_setaffinity(0, {int(LOAD_CPU)})
    except (AttributeError, OSError):
        pass
    ctx = Context(args)
    wanted = [c.strip().upper() for c in args.cases.split(",") if c.strip()]
    t0 = time.time()
    for cid in wanted:
        fn = CASES.get(cid)
        if fn is None:
            log(f"unknown case {cid}")
            continue
        log(f"{cid}: starting")
        tc = time.time()
        try:
            fn(ctx)
        except Exception as e:  # a case that breaks is a FAIL with its reason, not a stop
            import traceback
            traceback.print_exc()
            ctx.record(cid, False, {"error": f"{type(e).__name__}: {e}"}, f"the case broke: {type(e).__name__}: {e}")
        finally:
            cleanup()
        log(f"{cid}: {time.time() - tc:.1f} s")
    elapsed = time.time() - t0
    md = scorecard(ctx, elapsed)
    path = os.path.join(args.out, "battery-scorecard.md")
    with open(path, "w") as f:
        f.write(md)
    print()
    print(md)
    log(f"cases took {elapsed:.0f} s; wrote {ctx.jsonl} and {path}")
    return 0


# ---------------------------------------------------------------------------
# B5 client: slowloris, slow body, idle flood


async def b5_client(port, hold):
    t0 = time.monotonic()
    groups = {"a": [], "b": [], "c": []}
    writers = []

    async def watch(reader, rec):
        data = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                data += chunk
                if rec.get("status") is None and b"\r\n" in data:
                    try:
                        rec["status"] = int(data.split(b"\r\n", 1)[0].split(b" ")[1])
                    except (ValueError, IndexError):
                        rec["status"] = -1
        except (ConnectionError, OSError):
            pass
        rec["closed_at"] = time.monotonic() - t0

    async def open_conn(rec):
        for _ in range(20):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                rec["opened_at"] = time.monotonic() - t0
                writers.append(writer)
                return reader, writer
            except OSError:
                await asyncio.sleep(0.2)
        rec["connect_failed"] = True
        return None, None

    async def dribble(writer, first, every, byte):
        try:
            writer.write(first)
            await writer.drain()
            while True:
                await asyncio.sleep(every)
                writer.write(byte)
                await writer.drain()
        except (ConnectionError, OSError, RuntimeError):
            pass

    async def slowloris(rec):
        reader, writer = await open_conn(rec)
        if reader is None:
            return
        asyncio.ensure_future(dribble(writer, b"GET / HTTP/1.1\r\nHost: x\r\n", 10, b"X"))
        await watch(reader, rec)

    async def slow_body(rec):
        reader, writer = await open_conn(rec)
        if reader is None:
            return
        head = (b"POST /books HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1048576\r\n\r\n")
        asyncio.ensure_future(dribble(writer, head, 1, b" "))
        await watch(reader, rec)

    async def idle(rec):
        reader, writer = await open_conn(rec)
        if reader is None:
            return
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        await watch(reader, rec)

    tasks = []
    for kind, n, fn in (("a", 500, slowloris), ("b", 100, slow_body), ("c", 2000, idle)):
        for i in range(n):
            rec = {"status": None, "closed_at": None}
            groups[kind].append(rec)
            tasks.append(asyncio.ensure_future(fn(rec)))
            if i % 100 == 99:
                await asyncio.sleep(0.02)
    await asyncio.sleep(max(0.0, hold - (time.monotonic() - t0)))
    out = {}
    for kind, recs in groups.items():
        closed = [r["closed_at"] for r in recs if r["closed_at"] is not None]
        statuses = {}
        for r in recs:
            statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
        out[kind] = {
            "connections": len(recs),
            "connect_failed": sum(1 for r in recs if r.get("connect_failed")),
            "open_at_end": sum(1 for r in recs if r["closed_at"] is None and not r.get("connect_failed")),
            "closed": len(closed),
            "closed_at_s": {"min": r2(min(closed, default=None) if closed else None),
                            "median": r2(pct(closed, 50)), "max": r2(max(closed) if closed else None)},
            "statuses": statuses,
        }
    for w in writers:
        w.close()
    for t in tasks:
        t.cancel()
    await asyncio.sleep(0.2)
    return {"groups": out, "hold_s": hold}


# ---------------------------------------------------------------------------
# B8 client: HTTP/2 frames by hand

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H2_ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 4: "SETTINGS_TIMEOUT",
             5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR",
             10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream & 0x7FFFFFFF) + payload


def hpack_literal(index, value):
    """A literal header field without indexing, name from the static table (index < 15)."""
    v = value.encode()
    assert len(v) < 127
    return bytes([index, len(v)]) + v


def request_block(path="/book/1"):
    # :method GET (2), :scheme http (6), :path (4) literal, :authority (1) literal.
    return b"\x82\x86" + hpack_literal(4, path) + hpack_literal(1, "127.0.0.1")


class H2Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.closed = False
        self.send_failed = None
        self.close_kind = None
        self.goaway = None
        self.rst = 0
        self.frames = {}
        self.sock.sendall(PREFACE + frame(4, 0, 0))
        self.poll(0.5)  # the server's SETTINGS, acknowledged in parse()

    def send(self, data):
        if self.closed or self.send_failed:
            return False
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError) as e:
            # The server closed; what it sent before (a GOAWAY) may still be readable.
            self.send_failed = type(e).__name__
            self.poll(0.5)
            return False

    def poll(self, wait=0.0):
        """Reads what the server sent, for up to `wait` s (at once when 0)."""
        end = time.time() + wait
        while not self.closed:
            left = max(0.0, end - time.time())
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                break
            try:
                chunk = self.sock.recv(1 << 20)
            except (ConnectionResetError, OSError) as e:
                self.closed = True
                self.close_kind = type(e).__name__
                break
            if not chunk:
                self.closed = True
                self.close_kind = "EOF"
                break
            self.buf += chunk
            self.parse()
            if self.goaway and wait == 0:
                break

    def parse(self):
        while len(self.buf) >= 9:
            length = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + length:
                return
            ftype, flags = self.buf[3], self.buf[4]
            payload = self.buf[9:9 + length]
            self.buf = self.buf[9 + length:]
            self.frames[ftype] = self.frames.get(ftype, 0) + 1
            if ftype == 3:
                self.rst += 1
            elif ftype == 7 and self.goaway is None:
                last = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
                code = int.from_bytes(payload[4:8], "big")
                self.goaway = (last, code)
            elif ftype == 4 and not flags & 1:
                self.send(frame(4, 1, 0))
            elif ftype == 6 and not flags & 1:
                self.send(frame(6, 1, 0, payload))


def b8_case(port, which):
    c = H2Conn(port)
    sent = 0
    sent_at_goaway = None
    t0 = time.time()
    if which == "a":  # rapid reset: HEADERS + RST_STREAM(CANCEL), 10,000 pairs
        hb = request_block()
        for i in range(10000):
            sid = 2 * i + 1
            batch = frame(1, 0x5, sid, hb) + frame(3, 0, sid, struct.pack(">I", 8))
            if not c.send(batch):
                break
            sent += 2
            if i % 50 == 49:
                c.poll(0)
                if c.goaway or c.closed:
                    break
    elif which == "b":  # CONTINUATION flood: HEADERS without END_HEADERS, then 1 KB fragments
        if c.send(frame(1, 0x1, 1, request_block())):
            sent += 1
        # ~1 KB of valid HPACK per frame: literal `x-a: aaa...` fields, never indexed.
        frag = (b"\x00\x03x-a\x64" + b"a" * 100) * 9 + b"\x00\x03x-b\x4e" + b"b" * 78
        for i in range(10000):
            if not c.send(frame(9, 0, 1, frag)):
                break
            sent += 1
            if i % 50 == 49:
                c.poll(0)
                if c.goaway or c.closed:
                    break
    else:  # 2000 invalid frames: malformed HEADERS (a connection-specific header), each a stream error
        hb = request_block() + b"\x00\x0aconnection\x05close"
        for i in range(2000):
            sid = 2 * i + 1
            if not c.send(frame(1, 0x5, sid, hb)):
                break
            sent += 1
            if i % 50 == 49:
                c.poll(0)
                if c.goaway or c.closed:
                    break
    if c.goaway:
        sent_at_goaway = sent
    c.poll(3.0)
    if c.goaway and sent_at_goaway is None:
        sent_at_goaway = sent
    out = {
        "case": which,
        "frames_sent": sent,
        "frames_sent_before_goaway_or_end": sent_at_goaway if sent_at_goaway is not None else sent,
        "goaway": c.goaway is not None,
        "goaway_code": c.goaway[1] if c.goaway else None,
        "goaway_name": H2_ERRORS.get(c.goaway[1], hex(c.goaway[1])) if c.goaway else None,
        "goaway_last_stream": c.goaway[0] if c.goaway else None,
        "rst_stream_received": c.rst,
        "frames_received": {str(k): v for k, v in sorted(c.frames.items())},
        "closed": c.closed or bool(c.send_failed),
        "close_kind": c.close_kind, "send_failed": c.send_failed,
        "secs": r2(time.time() - t0),
    }
    try:
        c.sock.close()
    except OSError:
        pass
    return out


# ---------------------------------------------------------------------------
# Fuzzing: one target for a fixed time


# After a crash, the switch that lets a target fuzz on past that known finding.
KNOWN_SWITCH = {"route_path": ("KILN_FUZZ_KNOWN", "launch")}


def fuzz_once(a, secs, env_extra):
    cmd = ["taskset", "-c", LOAD_CPU, "cargo", "+nightly", "fuzz", "run", "--target-dir", a.target_dir, a.target,
           a.corpus, a.seeds, "--", f"-max_total_time={secs}", "-print_final_stats=1", "-rss_limit_mb=2048",
           f"-artifact_prefix={a.artifacts}", "-timeout=10"]
    env = os.environ.copy()
    env["CARGO_BUILD_JOBS"] = "1"
    env.update(env_extra)
    t0 = time.time()
    covs, last_new, execs, tail, panics = [], None, None, [], []
    fuzz_start = None
    want_msg = False
    p = track(subprocess.Popen(cmd, cwd=a.fuzz_dir, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                               errors="replace", env=env))
    for line in p.stderr:
        t = time.time() - t0
        line = line.rstrip()
        tail = (tail + [line])[-40:]
        if want_msg:
            panics.append(line.strip()[:300])
            want_msg = False
        if "panicked at" in line:
            want_msg = True
        if fuzz_start is None and ("INFO: Seed:" in line or "INITED" in line):
            fuzz_start = t
        m = re.search(r"cov: (\d+)", line)
        if m:
            covs.append((t, int(m.group(1))))
            if "NEW" in line:
                last_new = t
        m = re.search(r"stat::number_of_executed_units: (\d+)", line)
        if m:
            execs = int(m.group(1))
        m = re.search(r"Done (\d+) runs in", line)
        if m and execs is None:
            execs = int(m.group(1))
    code = p.wait()
    if execs is None:
        # A crash ends the run before the final stats: the last "#N" line counts.
        nums = [int(x) for x in re.findall(r"^#(\d+)", "\n".join(tail), re.M)]
        execs = max(nums) if nums else None
    start = fuzz_start or 0
    return {"secs": time.time() - t0, "code": code, "execs": execs, "covs": [(t - start, c) for t, c in covs],
            "last_new": None if last_new is None else last_new - start, "panics": panics, "tail": tail,
            "ran": bool(covs) or execs is not None, "env": env_extra}


def fuzz_run(a):
    os.makedirs(a.artifacts, exist_ok=True)
    remaining = a.secs
    env_extra = {}
    phases = []
    while remaining >= 5:
        r = fuzz_once(a, int(remaining), env_extra)
        phases.append(r)
        remaining -= r["secs"]
        if r["code"] == 0 or not r["ran"]:
            break
        switch = KNOWN_SWITCH.get(a.target)
        if switch and switch[0] not in env_extra:
            env_extra = {switch[0]: switch[1]}
            continue
        break
    crashes = sorted(f for f in os.listdir(a.artifacts) if f.startswith(("crash-", "oom-", "timeout-", "leak-")))
    last = phases[-1] if phases else {"covs": [], "last_new": None, "tail": [], "code": None, "ran": False}
    covs = last["covs"]
    span = covs[-1][0] if covs else 0
    cov_half = max((c for t, c in covs if t <= span / 2), default=None)
    ran = any(ph["ran"] for ph in phases)
    out = {
        "target": a.target, "ran": ran, "secs": round(sum(ph["secs"] for ph in phases)),
        "execs": sum(ph["execs"] or 0 for ph in phases),
        "crashes": len(crashes) + sum(1 for ph in phases if ph["code"] not in (0, None) and ph["ran"] and not ph["panics"]
                                      and not crashes),
        "artifacts": crashes[:5], "findings": [m for ph in phases for m in ph["panics"]][:5],
        "phases": [{"secs": round(ph["secs"]), "execs": ph["execs"], "exit_code": ph["code"], "env": ph["env"]}
                   for ph in phases],
        "cov_half": cov_half, "cov_final": covs[-1][1] if covs else None,
        "last_new_s": None if last["last_new"] is None else round(last["last_new"]),
        "corpus_files": len(os.listdir(a.corpus)),
        "tail": last["tail"][-8:] if not ran else [],
    }
    with open(a.out, "w") as f:
        json.dump(out, f)


def entry():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("main")
    m.add_argument("--app", required=True)
    m.add_argument("--load", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--work", required=True)
    m.add_argument("--cases", default="L1,L2,L3,F2,F3,F6,F7,B5,B8,B9")
    m.add_argument("--scale", type=float, default=1.0)
    m.add_argument("--seed", type=int, default=int(time.time()))
    m.add_argument("--fuzz-dir", default="")
    m.add_argument("--fuzz-target-dir", default="")
    m.add_argument("--fuzz-secs", type=int, default=120)
    b5 = sub.add_parser("b5-client")
    b5.add_argument("--port", type=int, required=True)
    b5.add_argument("--hold", type=float, required=True)
    b5.add_argument("--out", required=True)
    b8 = sub.add_parser("b8-client")
    b8.add_argument("--port", type=int, required=True)
    b8.add_argument("--case", required=True, choices=["a", "b", "c"])
    b8.add_argument("--out", required=True)
    fz = sub.add_parser("fuzz-run")
    for k in ("--fuzz-dir", "--target-dir", "--target", "--corpus", "--seeds", "--artifacts", "--out"):
        fz.add_argument(k, required=True)
    fz.add_argument("--secs", type=int, required=True)
    a = ap.parse_args()
    try:
        if a.cmd == "main":
            return main(a)
        if a.cmd == "b5-client":
            res = asyncio.run(b5_client(a.port, a.hold))
            with open(a.out, "w") as f:
                json.dump(res, f)
            return 0
        if a.cmd == "b8-client":
            with open(a.out, "w") as f:
                json.dump(b8_case(a.port, a.case), f)
            return 0
        if a.cmd == "fuzz-run":
            fuzz_run(a)
            return 0
    finally:
        cleanup()
    return 2


if __name__ == "__main__":
    sys.exit(entry())
