#!/usr/bin/env python3
"""gil-summary.py - markdown tables of the issue-3 figures from concbench /
python-reference CSV files (scripts/bench-gil.sh calls it).

  gil-summary.py speedup CSV...     median wall, min-max, speedup vs seq, GIL switches/s
  gil-summary.py mixed CSV...       I/O requests/s and latency of `mixed` per interval
  gil-summary.py hooks HOOKS.csv NOHOOKS.csv   seq medians with and without hooks
"""
import csv
import statistics
import sys
from collections import defaultdict


def load(paths):
    rows = []
    for p in paths:
        with open(p, newline="") as f:
            rows += [r for r in csv.DictReader(f) if r.get("status", "ok") == "ok"]
    return rows


def metrics(r):
    out = {}
    for kv in (r.get("metrics") or "").split(";"):
        if "=" in kv:
            k, v = kv.split("=", 1)
            out[k] = float(v)
    return out


def fmt(x):
    if x >= 1:
        return "%.3f s" % x
    if x >= 1e-3:
        return "%.2f ms" % (x * 1e3)
    return "%.1f us" % (x * 1e6)


def speedup(paths):
    rows = [r for r in load(paths) if r["workload"] != "mixed"]
    cells = defaultdict(list)
    for r in rows:
        cells[(r["workload"], r["mode"], int(r["workers"]), r.get("switch_interval_s", ""))].append(r)
    seq, seq_min = {}, {}
    for (w, m, n, _), rs in cells.items():
        if m in ("seq", "py-seq"):
            seq[(w, m.startswith("py"))] = statistics.median(float(r["wall_s"]) for r in rs)
            seq_min[(w, m.startswith("py"))] = min(float(r["wall_s"]) for r in rs)
    print("| workload | mode | workers | reps | median wall | min-max | speedup (medians) |"
          " speedup (fastest reps) | GIL switches/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (w, m, n, iv), rs in sorted(cells.items()):
        walls = [float(r["wall_s"]) for r in rs]
        med = statistics.median(walls)
        base = seq.get((w, m.startswith("py")))
        sp = "%.2fx" % (base / med) if base else "-"
        bmin = seq_min.get((w, m.startswith("py")))
        spmin = "%.2fx" % (bmin / min(walls)) if bmin else "-"
        sw = "-"
        if m == "gil":
            rates = [float(r["gil_switches"]) / float(r["wall_s"]) for r in rs]
            sw = "%.0f (max %.0f; interval %s)" % (statistics.median(rates), max(rates),
                                                  fmt(float(iv)))
        print("| %s | %s | %d | %d | %s | %s-%s | %s | %s | %s |" % (
            w, m, n, len(rs), fmt(med), fmt(min(walls)), fmt(max(walls)), sp, spmin, sw))


def mixed(paths):
    rows = [r for r in load(paths) if r["workload"] == "mixed"]
    cells = defaultdict(list)
    for r in rows:
        cells[(r["mode"], int(r["workers"]), r.get("switch_interval_s", ""))].append(r)
    print("| mode | workers | switch interval | reps | I/O requests/s (median, min-max) |"
          " latency p50 | latency p99 | 1/(2 x interval) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for (m, n, iv), rs in sorted(cells.items(), key=lambda k: (k[0][0], k[0][1], -float(k[0][2] or 0))):
        ms = [metrics(r) for r in rs]
        rate = [x["io_req_per_s"] for x in ms]
        ivs = float(iv) if iv else None
        print("| %s | %d | %s | %d | %.0f (%.0f-%.0f) | %s | %s | %s |" % (
            m, n, fmt(ivs) if ivs else "-", len(rs), statistics.median(rate), min(rate),
            max(rate), fmt(statistics.median(x["io_lat_p50_s"] for x in ms)),
            fmt(statistics.median(x["io_lat_p99_s"] for x in ms)),
            "%.0f" % (1 / (2 * ivs)) if ivs and m in ("gil", "py-threads") and n > 1 else "-"))


def hooks(with_path, without_path):
    def medians(p):
        d = defaultdict(list)
        for r in load([p]):
            d[r["workload"]].append(float(r["wall_s"]))
        return d

    a, b = medians(with_path), medians(without_path)
    print("| kernel (seq) | reps | median with hooks | median without | cost (median) |"
          " min with | min without | cost (min) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for w in sorted(a):
        ma, mb = statistics.median(a[w]), statistics.median(b[w])
        na, nb = min(a[w]), min(b[w])
        print("| %s | %d+%d | %s | %s | %+.2f%% | %s | %s | %+.2f%% |" % (
            w, len(a[w]), len(b[w]), fmt(ma), fmt(mb), (ma / mb - 1) * 100, fmt(na), fmt(nb),
            (na / nb - 1) * 100))


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("speedup", "mixed", "hooks"):
        sys.exit(__doc__)
    if sys.argv[1] == "hooks":
        hooks(*sys.argv[2:4])
    else:
        {"speedup": speedup, "mixed": mixed}[sys.argv[1]](sys.argv[2:])
