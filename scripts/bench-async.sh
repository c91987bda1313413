#!/usr/bin/env bash
# Issue 17's numbers, measured on this machine (prints figures; gates nothing):
#  1. 10,000 sleep tasks of 1 s: async on 1 loop (makespan <= 1.1 s) vs threads
#     with 10,000 workers vs procs with PROCS workers; memory per task in
#     flight (async <= 1/20 of threads)
#  2. 10,000 net.fetch tasks against the embedded server at 1 s latency:
#     async on 1 loop (>= 5,000 requests/s, every body verified)
#     and threads with TASKS workers (a curl handle and connection each: 7
#     descriptors per worker, past RLIMIT_NOFILE here) and NET_THREADS
#     (default 2000)
#  3. CPython's asyncio (python-reference py-async) on the same shapes
#  4. the report's I/O section: sleep at 10, 100, 1,000 and 10,000 tasks in
#     flight (SWEEP_SLEEP each, default 100ms, SWEEP_REPS reps, default 3)
#     for seq (10 only: it waits tasks x sleep), threads and gil with one
#     worker per task, procs with min(tasks, PROCS) and async on 1 loop;
#     `concbench report` over them into $OUT/report, crossovers printed
#  5. mixed: the I/O side's requests/s with 1 CPU competitor under threads,
#     gil (the convoy) and async (competitor inline on the loop), and async
#     --cpu-offload (competitor in a process: recovered)
# TASKS=N (default 10000), REPS=N (default 5), PROCS=N (default 200) and
# ONLY=12345 choose; CSVs go to $OUT (default results/bench-async).
# About 10 minutes with the defaults (procs' 50 rounds of 1 s per rep in 1
# are most of it). Not measured here: procs on net.fetch (200 workers = 50 rounds of 1 s).
set -euo pipefail
bin=${1:-bin/concbench}
out=${OUT:-results/bench-async}
tasks=${TASKS:-10000}
reps=${REPS:-5}
procs=${PROCS:-200}
only=${ONLY:-12345}
sweep_sleep=${SWEEP_SLEEP:-100ms}
net_threads=${NET_THREADS:-2000}
sweep_reps=${SWEEP_REPS:-3}
mkdir -p "$out"

# summary CSV...: median and range of wall_s, ops_per_s and each metric per cell
summary() {
	python3 - "$@" <<'PY'
import csv, statistics, sys, collections
cells = collections.OrderedDict()
for path in sys.argv[1:]:
    for r in csv.DictReader(open(path)):
        cells.setdefault((r["workload"], r["mode"], r["workers"]), []).append(r)
for (w, m, k), rows in cells.items():
    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:
        print(f"   {w:10} {m:10} {k:>6}: {rows[0]['status']}: {rows[0]['error'][:120]}")
        continue
    def med(vals):
        vals = sorted(vals)
        return f"{statistics.median(vals):.4g} [{vals[0]:.4g}-{vals[-1]:.4g}]"
    mets = collections.defaultdict(list)
    for r in ok:
        for kv in filter(None, r["metrics"].split(";")):
            n, v = kv.split("=")
            mets[n].append(float(v))
    print(f"   {w:10} {m:10} {k:>6}: {len(ok)} reps verified; wall_s {med([float(r['wall_s']) for r in ok])}"
          f"; ops/s {med([float(r['ops_per_s']) for r in ok])}")
    for n in ("rss_per_task_kb", "vm_per_task_kb", "cpu_per_op_us", "lat_p50_ms", "server_max_inflight",
              "connects", "io_req_per_s", "io_lat_p99_s", "cpu_chunks_per_s"):
        if n in mets:
            print(f"   {'':33}{n} {med(mets[n])}")
PY
}

common=(--tasks="$tasks" --size=1 --runs="$reps" --warmup=1 --baseline=none --cost -q)
echo "== machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $only == *1* ]]; then
	echo "== 1. $tasks sleep tasks of 1 s"
	"$bin" -w sleep --sleep=1s -m async -j 1 "${common[@]}" --csv="$out/sleep-async.csv" >/dev/null || true
	"$bin" -w sleep --sleep=1s -m threads -j "$tasks" "${common[@]}" --csv="$out/sleep-threads.csv" >/dev/null || true
	"$bin" -w sleep --sleep=1s -m procs -j "$procs" "${common[@]}" --csv="$out/sleep-procs.csv" >/dev/null || true
	summary "$out"/sleep-*.csv
fi
if [[ $only == *2* ]]; then
	echo "== 2. $tasks net.fetch tasks, embedded server, 1 s latency"
	"$bin" -w net.fetch --net-latency=1s --net-timeout=60s -m async -j 1 "${common[@]}" \
		--csv="$out/net-async.csv" >/dev/null || true
	"$bin" -w net.fetch --net-latency=1s --net-timeout=60s -m threads -j "$tasks" "${common[@]}" \
		--csv="$out/net-threads.csv" >/dev/null || true
	"$bin" -w net.fetch --net-latency=1s --net-timeout=60s -m threads -j "$net_threads" "${common[@]}" \
		--csv="$out/net-threads-$net_threads.csv" >/dev/null || true
	summary "$out"/net-async.csv "$out"/net-threads.csv "$out"/net-threads-"$net_threads".csv
fi
if [[ $only == *3* ]]; then
	echo "== 3. CPython asyncio (py-async), same shapes, 1 rep"
	scripts/python-reference --workload=sleep,net.fetch --modes=py-async --runs=1 --warmup=0 \
		--tasks="$tasks" --size=1 --sleep=1s --net-latency=1s --concbench="$bin" \
		--csv="$out/py-async.csv" >/dev/null || true
	summary "$out"/py-async.csv
fi
if [[ $only == *4* ]]; then
	echo "== 4. sleep $sweep_sleep at 10 .. 10,000 tasks in flight (the report's I/O section)"
	rm -f "$out"/sweep-*.csv
	sw=(--sleep="$sweep_sleep" --size=1 --runs="$sweep_reps" --warmup=1 --baseline=none --cost -q)
	for n in 10 100 1000 10000; do
		p=$((n < procs ? n : procs))
		if [[ $n -le 10 ]]; then
			"$bin" -w sleep -t $n -m seq -j 1 "${sw[@]}" --csv="$out/sweep-seq-$n.csv" >/dev/null || true
		fi
		"$bin" -w sleep -t $n -m threads -j $n "${sw[@]}" --csv="$out/sweep-threads-$n.csv" >/dev/null || true
		"$bin" -w sleep -t $n -m gil -j $n "${sw[@]}" --csv="$out/sweep-gil-$n.csv" >/dev/null || true
		"$bin" -w sleep -t $n -m procs -j $p "${sw[@]}" --csv="$out/sweep-procs-$n.csv" >/dev/null || true
		"$bin" -w sleep -t $n -m async -j 1 "${sw[@]}" --csv="$out/sweep-async-$n.csv" >/dev/null || true
	done
	"$bin" report -o "$out/report" "$out"/sweep-*.csv 2>/dev/null || true
	sed -n '/^## I\/O/,/^## /p' "$out/report/report.md" | grep -E '^\| |^- ' | sed 's/^/   /'
fi
if [[ $only == *5* ]]; then
	echo "== 5. mixed: 1 CPU competitor beside the I/O side, 1 s per rep"
	mx=(-w mixed -j 2 --runs="$reps" --warmup=1 --baseline=none -q)
	"$bin" "${mx[@]}" -m threads --csv="$out/mixed-threads.csv" >/dev/null || true
	"$bin" "${mx[@]}" -m gil --csv="$out/mixed-gil.csv" >/dev/null || true
	"$bin" "${mx[@]}" -m async --csv="$out/mixed-async.csv" >/dev/null || true
	"$bin" "${mx[@]}" -m async --cpu-offload --csv="$out/mixed-async-offload.csv" >/dev/null || true
	for f in threads gil async async-offload; do
		echo "   -- $f"
		summary "$out/mixed-$f.csv"
	done
fi
echo "== load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
