#!/usr/bin/env python3
"""bench/RESULTS.md from scripts/bench.sh's runs: each figure's median over the rounds,
with kiln's ratio to hand-written axum and to actix-web, the targets met or missed,
the machine, and the notes in bench/peers/NOTES.md (what was tried, what the profile says)."""
import csv, os, platform, statistics, subprocess, sys, datetime

raw, rounds, duration, connections = sys.argv[1:5]
rows = list(csv.DictReader(open(raw), delimiter="\t"))
fws = [f for f in ["axum", "actix", "rocket", "kiln"] if any(r["framework"] == f for r in rows)]
routes = []
for r in rows:
    if r["route"] not in routes:
        routes.append(r["route"])

def med(fw, route, key):
    vals = [float(r[key]) for r in rows if r["framework"] == fw and r["route"] == route]
    return statistics.median(vals) if vals else None

def peak(fw):
    vals = [float(r["peak_rss_kb"]) for r in rows if r["framework"] == fw]
    return max(vals) / 1024 if vals else None

def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
    except Exception:
        return "?"

names = {"axum": "axum by hand", "actix": "actix-web 4", "rocket": "Rocket 0.5", "kiln": "kiln"}
out = []
out.append("# kiln against its peers: the TechEmpower test types\n")
out.append(f"Measured {datetime.date.today()} by `bash scripts/bench.sh` ({rounds} interleaved rounds, "
           f"{duration} s a route after a 2 s warm-up, `wrk -t1 -c{connections}` pinned to CPU 1, each "
           f"server pinned to CPU 0 with one worker thread, on 127.0.0.1). Each figure is the median "
           f"over the rounds; peak RSS is the largest seen. Only ratios from one run mean anything: "
           f"rounds on these shared cores vary by up to 15%.\n")
cpu = run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
out.append(f"Machine: {os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, "
           f"{run('rustc --version')}, {run('wrk --version 2>&1 | head -1').split(' [')[0]}.\n")
out.append("The apps are `bench/peers/` (one workspace: the same SQLite file of 10,000 `world` rows "
           "and 12 fortunes, pool of 4 with no ping before acquire for the hand-written ones, "
           "kiln's own pool for kiln, the system allocator, `lto = \"fat\"`, `codegen-units = 1`). "
           "kiln's app is written the kiln way: route attributes, `#[derive(Table)]`, a `#[page]`, one "
           "`#[middleware]` adding `Server`, every secure default on.\n")

out.append("## Requests per second\n")
out.append("| route | " + " | ".join(names[f] for f in fws) + " | kiln / axum | kiln / actix |")
out.append("|---|" + "---:|" * len(fws) + "---:|---:|")
ratios = {}
for route in routes:
    cells = []
    for f in fws:
        v = med(f, route, "req_s")
        cells.append(f"{v:,.0f}" if v is not None else "–")
    k, a, x = med("kiln", route, "req_s"), med("axum", route, "req_s"), med("actix", route, "req_s")
    ra = k / a if k and a else None
    rx = k / x if k and x else None
    ratios[route] = (ra, rx)
    fmt = lambda v: f"{v:.2f}" if v else "–"
    out.append(f"| `{route}` | " + " | ".join(cells) + f" | {fmt(ra)} | {fmt(rx)} |")

out.append("\n## Latency, p50 / p99 (ms)\n")
out.append("| route | " + " | ".join(names[f] for f in fws) + " |")
out.append("|---|" + "---|" * len(fws))
for route in routes:
    cells = []
    for f in fws:
        p50, p99 = med(f, route, "p50"), med(f, route, "p99")
        cells.append(f"{p50:.2f} / {p99:.2f}" if p50 is not None else "–")
    out.append(f"| `{route}` | " + " | ".join(cells) + " |")

out.append("\n## Server CPU time per request (µs)\n")
out.append("| route | " + " | ".join(names[f] for f in fws) + " | kiln / axum |")
out.append("|---|" + "---:|" * len(fws) + "---:|")
for route in routes:
    cells = []
    for f in fws:
        v = med(f, route, "cpu_us_per_req")
        cells.append(f"{v:.1f}" if v is not None else "–")
    k, a = med("kiln", route, "cpu_us_per_req"), med("axum", route, "cpu_us_per_req")
    out.append(f"| `{route}` | " + " | ".join(cells) + (f" | {k / a:.2f} |" if k and a else " | – |"))

out.append("\n## Peak RSS under load (MB)\n")
out.append("| " + " | ".join(names[f] for f in fws) + " |")
out.append("|" + "---:|" * len(fws))
out.append("| " + " | ".join(f"{peak(f):.1f}" for f in fws) + " |")

bad = sum(int(r["non2xx"]) + int(r["errors"]) for r in rows)
out.append(f"\nNon-2xx responses and socket errors over every run: {bad}.\n")

out.append("## Targets\n")
def verdict(ok):
    return "met" if ok else "**missed**"
if "kiln" in fws:
    if "actix" in fws:
        worst = min((rx, r) for r, (ra, rx) in ratios.items() if rx)
        out.append(f"- kiln ≥ actix-web on every route: {verdict(worst[0] >= 1.0)} (lowest: {worst[0]:.2f} on `{worst[1]}`).")
    if "axum" in fws:
        worst = min((ra, r) for r, (ra, rx) in ratios.items() if ra)
        out.append(f"- kiln never below 0.97× hand-written axum: {verdict(worst[0] >= 0.97)} (lowest: {worst[0]:.2f} on `{worst[1]}`).")
        rss = peak("kiln") / peak("axum")
        out.append(f"- Peak RSS ≤ 1.1× hand-written axum: {verdict(rss <= 1.1)} ({rss:.2f}×).")
out.append("- ORM get / all-with-join / save ≤ 1.05× raw sqlx with the tuned pool: measured by "
           "`cargo bench -p kiln --bench orm`, not by this script; see below.")
out.append("")

notes = os.path.join(os.path.dirname(__file__), "..", "bench", "peers", "NOTES.md")
if os.path.exists(notes):
    out.append(open(notes).read())
print("\n".join(out))
