#!/usr/bin/env bats
# The event-loop answer: python-reference's asyncio rows (py-async) and,
# with --mode=async, concbench's own loop.

load helpers

PYREF="$BATS_TEST_DIRNAME/../../scripts/python-reference"

@test "python-reference: py-async sleep and net.fetch rows in concbench's schema, same answers as py-seq" {
	run timeout 120 "$PYREF" --workload=sleep,net.fetch --modes=py-seq,py-threads,py-procs,py-async \
		--workers=2 --runs=1 --warmup=0 --tasks=8 --size=1 --sleep=1ms --net-latency=1ms \
		--concbench="$CB" --csv=py.csv
	[ "$status" -eq 0 ]
	"$CB" -w sleep -m seq --runs=1 -t 2 -s 1 -q --csv=cb.csv >/dev/null
	[ "$(head -1 py.csv)" = "$(head -1 cb.csv)" ]
	# 2 workloads x (seq, threads, procs, async) rows, each verified
	[ "$(tail -n +2 py.csv | wc -l)" -eq 8 ]
	python3 - <<'PY'
import csv, collections
rows = list(csv.DictReader(open("py.csv")))
sums = collections.defaultdict(set)
for r in rows:
    assert r["verified"] == "1" and r["status"] == "ok", r
    sums[r["workload"]].add(r["checksum"])
assert {r["mode"] for r in rows} == {"py-seq", "py-threads", "py-procs", "py-async"}
assert all(len(s) == 1 for s in sums.values()), sums
assert [r["workers"] for r in rows if r["mode"] == "py-async"] == ["1", "1"]
PY
	# the server it started is gone
	[ -z "$(leftover_children)" ]
}

@test "python-reference: bad py-async options are usage errors" {
	run "$PYREF" --workload=mixed --modes=py-async --csv=x.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"mixed has no py-async form"* ]]
	run "$PYREF" --workload=sleep --modes=py-nope --csv=x.csv
	[ "$status" -eq 2 ]
	[ ! -e x.csv ]
}

# col FILE COLUMN [PYTHON-CONDITION]: the values of COLUMN in CSV FILE, one a line.
col() {
	python3 - "$1" "$2" "${3:-True}" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if eval(sys.argv[3]):
        print(r[sys.argv[2]])
PY
}

# verified_like_seq FILE: every row verified, and each workload's async
# rows carry its seq rows' checksum.
verified_like_seq() {
	python3 - "$1" <<'PY'
import csv, collections, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sums = collections.defaultdict(lambda: collections.defaultdict(set))
for r in rows:
    assert r["status"] == "ok" and r["verified"] == "1", r
    sums[r["workload"]][r["mode"]].add(r["checksum"])
for w, m in sums.items():
    assert "async" in m and "seq" in m, (w, dict(m))
    assert m["async"] == m["seq"] and len(m["seq"]) == 1, (w, dict(m))
PY
}

@test "async: sleep, net.fetch, file.read and compute-only cpu.primes verify against seq" {
	run timeout 300 "$CB" -m seq,async -w sleep,net.fetch,file.read,cpu.primes -j 1,3 \
		--inflight=5 -t 40 -s small --sleep=2ms --net-latency=2ms --runs=2 --warmup=1 \
		-q --csv=out.csv
	[ "$status" -eq 0 ]
	verified_like_seq out.csv
	# two worker counts of async per workload, next to seq
	[ "$(col out.csv mode "r['mode']=='async'" | wc -l)" -eq 16 ]
	# file.read under async says which read backend its loops used
	[ "$(col out.csv metrics "r['mode']=='async' and r['workload']=='file.read'" |
		grep -c 'io_uring=[01]$')" -eq 4 ]
	[ -z "$(leftover_children)" ]
}

@test "async: --inflight=K bounds the tasks in flight on a loop; the default is all" {
	run timeout 120 "$CB" -m async -w sleep -j 1 -t 30 -s 1 --sleep=20ms --inflight=3 \
		--runs=1 --warmup=0 -q --no-csv --trace=k3.csv
	[ "$status" -eq 0 ]
	run timeout 120 "$CB" -m async -w sleep -j 1 -t 30 -s 1 --sleep=20ms \
		--runs=1 --warmup=0 -q --no-csv --trace=all.csv
	[ "$status" -eq 0 ]
	# the most tasks whose [start, end] intervals overlap at one instant
	overlap() {
		python3 - "$1" <<'PY'
import csv, sys
ev = []
for r in csv.DictReader(open(sys.argv[1])):
    if r["mode"] == "async":
        ev += [(float(r["t_start_s"]), 1), (float(r["t_end_s"]), -1)]
n = best = 0
for _, d in sorted(ev, key=lambda e: (e[0], e[1])):
    n += d
    best = max(best, n)
print(best)
PY
	}
	[ "$(overlap k3.csv)" -eq 3 ]
	[ "$(overlap all.csv)" -eq 30 ]
}

@test "async: net.fetch reuses a loop's connections across tasks and reps" {
	run timeout 120 "$CB" -m async -w net.fetch -j 1 -t 40 -s 3 --inflight=4 --net-latency=1ms \
		--runs=2 --baseline=none -q --csv=out.csv
	[ "$status" -eq 0 ]
	# 120 requests per rep on at most 4 connections at once: the warm reps
	# open none (the worker's connection cache outlives a rep)
	for c in $(col out.csv metrics | sed 's/.*connects=\([0-9]*\).*/\1/'); do
		[ "$c" -le 4 ]
	done
	[ -z "$(leftover_children)" ]
}

@test "async: a workload without an async form, or a bench, is refused (exit 2)" {
	run "$CB" -m seq,async -w pool.tiny -q --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: --mode: async: pool.tiny has no async form"* ]]
	run "$CB" -m async -w lock.mutex -q --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"async: lock.mutex has no async form"* ]]
	run "$CB" -w pool.empty --baseline=async -q --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"pool.empty has no async form"* ]]
}

@test "async: bad --inflight values are usage errors" {
	for v in 0 -1 abc 10000001 99999999999999999999 ''; do
		run "$CB" -m async -w sleep --inflight="$v" -q --csv=x.csv
		[ "$status" -eq 2 ]
		[[ "$output" == *"concbench: --inflight: '$v':"* ]]
	done
	[ ! -e x.csv ]
}

@test "--baseline=none runs no reference cell; checksums still agree across cells" {
	run timeout 120 "$CB" -m threads,async -w sleep -j 2 -t 20 -s 1 --sleep=1ms --runs=2 \
		--baseline=none --csv=out.csv
	[ "$status" -eq 0 ]
	[ "$(col out.csv mode | sort -u | tr '\n' ' ')" = "async threads " ]
	[ "$(col out.csv baseline | sort -u)" = 0 ]
	# no speedup without a reference
	grep -qE '^sleep +async +2 +20 +[0-9.]+ [a-z]+ +[0-9.]+% +- +- ' <<<"$output"
	[ "$(col out.csv checksum | sort -u | wc -l)" -eq 1 ]
}

@test "--baseline=MODE:WORKERS is the reference of speedups, added when not asked for" {
	run timeout 120 "$CB" -m async -w sleep -j 1 -t 20 -s 1 --sleep=1ms --runs=2 \
		--baseline=threads:2 --csv=out.csv
	[ "$status" -eq 0 ]
	[ "$(col out.csv baseline "r['mode']=='threads' and r['workers']=='2'" | sort -u)" = 1 ]
	[ "$(col out.csv baseline "r['mode']=='async'" | sort -u)" = 0 ]
	[ -z "$(col out.csv mode "r['mode']=='seq'")" ]
	grep -E '^sleep +threads +2 .*1x \(base\).*baseline' <<<"$output"
	# asked for: not added twice, and not marked as added
	run timeout 120 "$CB" -m threads,async -w sleep -j 2 -t 20 -s 1 --sleep=1ms --runs=1 \
		--baseline=async --csv=out2.csv
	[ "$status" -eq 0 ]
	[ "$(col out2.csv baseline | sort -u)" = 0 ]
	[ "$(col out2.csv mode | sort | uniq -c | awk '{print $1}' | sort -u)" = 1 ]
	grep -E '^sleep +async +2 .*1x \(base\)' <<<"$output"
}

@test "bad --baseline values are usage errors" {
	for v in nope threads:0 threads:x seq:4 'threads:' ':2' async:99999; do
		run "$CB" -w sleep --baseline="$v" -q --csv=x.csv
		[ "$status" -eq 2 ]
		[[ "$output" == *"concbench: --baseline: '$v': want seq, none or a mode"* ]]
	done
	[ ! -e x.csv ]
}

@test "async: --mode=all stays seq,threads,procs,gil; list and --help name async and --inflight" {
	run "$CB" list
	[ "$status" -eq 0 ]
	[[ "$output" == *"async "*"an event loop per worker thread"* ]]
	run "$CB" --help
	[[ "$output" == *"--inflight=K"* ]]
	[[ "$output" == *"--baseline=seq|none|MODE[:WORKERS]"* ]]
	run timeout 120 "$CB" -m all -w sleep -j 1 -t 2 -s 1 --sleep=1ms --runs=1 -q --csv=out.csv
	[ "$status" -eq 0 ]
	[ -z "$(col out.csv mode "r['mode']=='async'")" ]
}

@test "async: a failing task fails its cell (exit 1) and leaves nothing behind" {
	run timeout 120 "$CB" -m async -w net.fetch -j 2 -t 20 -s 1 --net-latency=1ms \
		--inject=fail@5 --runs=1 -q --csv=out.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"async, 2 workers: task 5: injected failure"* ]]
	[ "$(col out.csv status "r['mode']=='async'")" = failed ]
	[ -z "$(leftover_children)" ]
	# a timed-out loop abandons its tasks in flight (--baseline=none: seq
	# would sleep the 30 s)
	run timeout 60 "$CB" -m async -w sleep -j 1 -t 4 -s 1 --sleep=30s --timeout=1s --runs=1 \
		--warmup=0 --baseline=none -q --csv=out.csv
	[ "$status" -eq 1 ]
	[ "$(col out.csv status "r['mode']=='async'")" = timeout ]
}

@test "--cost adds memory per task in flight and CPU per op to every row's metrics" {
	run timeout 120 "$CB" -m threads,procs,async -w sleep -j 4 -t 40 -s 1 --sleep=5ms --runs=1 \
		--cost -q --csv=out.csv
	[ "$status" -eq 0 ]
	for m in threads async; do
		[[ "$(col out.csv metrics "r['mode']=='$m'")" == *";rss_per_task_kb="*";vm_per_task_kb="*";cpu_per_op_us="* ]]
	done
	[[ "$(col out.csv metrics "r['mode']=='procs'")" == *";rss_per_task_kb="*";cpu_per_op_us="* ]]
	# without --cost: none of them
	run timeout 120 "$CB" -m async -w sleep -j 1 -t 4 -s 1 --sleep=1ms --runs=1 -q --csv=plain.csv
	[ "$status" -eq 0 ]
	[[ "$(col plain.csv metrics)" != *per_task* ]]
}

@test "async: mixed runs its I/O side as a loop watch beside inline or offloaded CPU competitors" {
	for o in "" --cpu-offload; do
		run timeout 120 "$CB" -m async -w mixed -j 3 -s 100 --runs=1 $o -q --csv=out.csv
		[ "$status" -eq 0 ]
		[ "$(col out.csv verified)" = 1 ]
		# competitors did CPU work while the I/O side completed requests
		python3 - out.csv <<'PY'
import csv, sys
r = next(csv.DictReader(open(sys.argv[1])))
m = dict(kv.split("=") for kv in r["metrics"].split(";"))
assert float(m["io_requests"]) > 0 and float(m["cpu_chunks_per_s"]) > 0, m
PY
		[ -z "$(leftover_children)" ]
	done
	run "$CB" -m async -w mixed --cpu-slice=0 -q --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"--cpu-slice"* ]]
}

# io_rows: sleep rows of threads (N workers) and async (1 loop) at 4 and 32
# tasks in flight, --cost, 2 reps each, one CSV per cell.
io_rows() {
	for n in 4 32; do
		"$CB" -w sleep --sleep=5ms -t $n -s 1 --runs=2 --warmup=0 --baseline=none --cost \
			-m threads -j $n -q --csv=t$n.csv >/dev/null
		"$CB" -w sleep --sleep=5ms -t $n -s 1 --runs=2 --warmup=0 --baseline=none --cost \
			-m async -j 1 -q --csv=a$n.csv >/dev/null
	done
}

@test "report: the I/O section tables, plots and states crossovers of async against threads over concurrency" {
	io_rows
	run timeout 120 "$CB" report -o rep t4.csv t32.csv a4.csv a32.csv
	[ "$status" -eq 0 ]
	md=rep/report.md
	grep -q '^## I/O: makespan and memory per task in flight against concurrency' $md
	# one row per level with both modes, the workers of each cell in brackets
	t='[0-9.]+ (ms|s)'
	grep -Eq "^\| 4 \| $t, [0-9.]+ \(4\) \| $t, [0-9.]+ \(1\) \|\$" $md
	grep -Eq "^\| 32 \| $t, [0-9.]+ \(32\) \| $t, [0-9.]+ \(1\) \|\$" $md
	# a crossover statement per quantity, whichever way the medians fell
	[ "$(grep -Ec '^- threads vs async: (async|threads).s makespan falls below|^- threads vs async: no crossover: .* makespan ' $md)" -eq 1 ]
	[ "$(grep -Ec '^- threads vs async: .*memory per task in flight' $md)" -eq 1 ]
	grep -q 'I/O — sleep on' rep/index.html
	if command -v gnuplot >/dev/null; then
		[ -s "$(ls rep/plots/*/io-sleep-1-*.svg)" ]
		grep -q 'alt="I/O against concurrency" src="data:image/svg+xml;base64,' rep/index.html
	fi
	# the crossover is where the order of the medians flips, interpolated on
	# log scales: async 30 vs threads 20 ms at 4 tasks, 20 vs 30 at 32 ->
	# between 4 and 32, at sqrt(4 * 32) = 11
	python3 - t4.csv t32.csv a4.csv a32.csv <<'PY'
import csv, sys
walls = {"t4.csv": 0.02, "t32.csv": 0.03, "a4.csv": 0.03, "a32.csv": 0.02}
for p in sys.argv[1:]:
    rows = list(csv.DictReader(open(p)))
    for r in rows:
        r["wall_s"] = str(walls[p])
    w = csv.DictWriter(open(p, "w", newline=""), fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
PY
	run timeout 120 "$CB" report --no-plots -o rep2 t4.csv t32.csv a4.csv a32.csv
	[ "$status" -eq 0 ]
	grep -q "^- threads vs async: async's makespan falls below threads's between 4 and 32 tasks (≈ 11, interpolated on log scales): async 0.03 vs threads 0.02 s at 4, 0.02 vs 0.03 at 32" rep2/report.md
}

@test "report: no I/O section without async rows; with async at one level only it says what is missing" {
	io_rows
	run timeout 120 "$CB" report --no-plots -o rep t4.csv t32.csv
	[ "$status" -eq 0 ]
	run grep -c 'I/O' rep/report.md
	[ "$output" = 0 ]
	run timeout 120 "$CB" report --no-plots -o rep t4.csv t32.csv a4.csv
	[ "$status" -eq 0 ]
	grep -q '^## I/O: makespan and memory per task in flight against concurrency' rep/report.md
	grep -q '^Not drawn: these rows have the event-loop mode (async), but no series has async and another mode each at two or more concurrency levels' rep/report.md
	run grep -c 'Crossovers' rep/report.md
	[ "$output" = 0 ]
}

@test "net.fetch: a pool that runs out of descriptors names the open-files limit, not curl's 'Couldn't connect'" {
	# 30 threads each hold curl's descriptors and a connection: over 80.
	# A request takes 300 ms, so every worker takes a task even when the
	# first ones to wake are slow to let go (at 1 ms, a loaded CI pass let
	# a few workers serve all 30 tasks, holding too few descriptors to fail)
	run bash -c 'ulimit -n 80 && exec timeout 120 "$0" -w net.fetch --net-latency=300ms -m threads -j 30 -t 30 -s 1 \
		--runs=1 --warmup=0 --baseline=none -q --csv=out.csv' "$CB"
	[ "$status" -eq 1 ] || { echo "$output"; false; }
	[[ "$output" == *"out of file descriptors (open files: soft limit 80, hard 80)"*"--mode=async"* ]]
	[[ "$output" != *"Couldn't connect"* ]]
	[ "$(col out.csv status)" = failed ]
	[ -z "$(leftover_children)" ]
}
