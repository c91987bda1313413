#!/usr/bin/env bats
# Issue 15: the mechanism columns of every mode, the efficiency budget, the
# --max-steal option and the scaling fit's refusals. Assertions are about
# presence, shape and arithmetic identities, never about how fast anything
# ran (the machine is shared and noisy).
load helpers
bats_require_minimum_version 1.5.0

MECH_COLS="runq_s runq_share steal_s steal_share noisy discarded busy_s imbalance_s tail_span_s dispatch_s worker_run_s worker_user_s worker_sys_s worker_nvcsw worker_nivcsw minflt majflt migrations instructions cycles cache_misses mech_src"

# check_rows FILE: every row has the mechanism columns, shaped.
check_rows() {
	python3 - "$1" "$MECH_COLS" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cols = sys.argv[2].split()
assert rows, "no rows"
missing = [c for c in cols if c not in rows[0]]
assert not missing, f"missing columns {missing}"
modes = set()
for r in rows:
    where = f"{r['mode']} x{r['workers']} rep {r['rep']}"
    modes.add(r["mode"])
    n, wall = int(r["workers"]), float(r["wall_s"])
    for c in ("runq_s", "busy_s", "imbalance_s", "dispatch_s", "worker_run_s",
              "worker_user_s", "worker_sys_s", "tail_span_s"):
        v = float(r[c])
        assert v >= -1e-9 and math.isfinite(v), f"{where}: {c}={r[c]}"
    # the task clock splits the workers' time exactly
    total = float(r["busy_s"]) + float(r["imbalance_s"]) + float(r["dispatch_s"])
    assert abs(total - n * wall) <= 1e-6 * n * wall + 1e-9, f"{where}: {total} != {n} x {wall}"
    assert abs(float(r["runq_share"]) - float(r["runq_s"]) / (n * wall)) < 1e-6, where
    assert float(r["steal_s"]) >= 0 and 0 <= float(r["steal_share"]) <= 1, where
    assert r["mech_src"] in ("perf", "rusage"), f"{where}: mech_src {r['mech_src']!r}"
    for c in ("worker_nvcsw", "worker_nivcsw", "minflt", "majflt"):
        assert r[c].isdigit(), f"{where}: {c}={r[c]!r}"
    # absent or a count, never a made-up figure
    for c in ("migrations", "instructions", "cycles", "cache_misses"):
        assert r[c] == "" or r[c].isdigit(), f"{where}: {c}={r[c]!r}"
    if r["mech_src"] == "rusage":
        assert r["migrations"] == "", f"{where}: migrations without perf"
    assert r["noisy"] in ("", "run-queue", "steal"), where
    assert r["discarded"] == "0", where
print(" ".join(sorted(modes)))
PY
}

@test "every mode writes the mechanism columns, and the task clock adds up" {
	run "$CB" -w cpu.primes -s small -m seq,threads,procs,gil,thread-per-task,fork-per-task \
		-j 2 -t 8 -r 2 --warmup=0 --csv=out.csv -q
	[ "$status" -eq 0 ]
	run check_rows out.csv
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "fork-per-task gil procs seq thread-per-task threads" ]
}

@test "seq counts one worker: the main thread's run-queue and CPU time" {
	run "$CB" -w cpu.primes -s small -m seq -r 2 --warmup=0 --csv=out.csv -q
	[ "$status" -eq 0 ]
	run python3 - <<'PY'
import csv
for r in csv.DictReader(open("out.csv")):
    run, busy = float(r["worker_run_s"]), float(r["busy_s"])
    assert run > 0 and run <= busy * 1.05 + 0.005, (run, busy)
    assert float(r["imbalance_s"]) == 0, r["imbalance_s"]
PY
	[ "$status" -eq 0 ]
}

@test "-v prints each cell's efficiency budget under it" {
	run "$CB" -w cpu.primes -s small -m seq,threads -j 2 -r 2 --warmup=0 --no-csv -v
	[ "$status" -eq 0 ]
	budgets=$(grep -c '^ *eff [0-9.]*: run-queue [-0-9]*%, steal [-0-9]*%, GIL [-0-9]*%, imbalance .*, unexplained [-0-9]*%' <<<"$output")
	[ "$budgets" -eq 2 ]
}

@test "--max-steal: bad values are refused before anything runs" {
	for v in 0 -1 101 abc '' 5x nan inf 5%%; do
		run "$CB" -w cpu.primes -s small -m seq -r 1 --csv=out.csv --max-steal="$v"
		[ "$status" -eq 2 ]
		[[ "$output" == *"concbench: --max-steal: '$v': want a percentage in (0, 100]"* ]]
		[ ! -e out.csv ]
	done
}

@test "--max-steal=PCT is accepted; kept reps are not marked discarded" {
	run "$CB" -w cpu.primes -s small -m seq,threads -j 2 -r 2 --warmup=0 --csv=out.csv -q \
		--max-steal=100%
	[ "$status" -eq 0 ]
	run check_rows out.csv
	[ "$status" -eq 0 ]
}

@test "report: a fit the data can't support is refused with the reason" {
	"$CB" -w cpu.primes -s small -m seq,threads -j 1,2 -r 2 --warmup=0 --csv=out.csv -q
	run "$CB" report -q --no-plots -o rep out.csv
	[ "$status" -eq 0 ]
	grep -q '^## The answer first' rep/report.md
	grep -q '^## Where the efficiency went' rep/report.md
	line=$(grep '^| cpu.primes | threads | not fitted: ' rep/report.md)
	[[ "$line" == *"worker count"*"3 needed"* ]]
	grep -q 'Only worker counts up to the CPUs available are fitted' rep/report.md
}

@test "report: rows without mechanism columns give no budget, not an invented one" {
	"$CB" -w cpu.primes -s small -m seq,threads -j 2 -r 2 --warmup=0 --csv=out.csv -q
	python3 - <<'PY'
import csv
rows = list(csv.DictReader(open("out.csv")))
keep = [c for c in rows[0] if c not in ("runq_s", "busy_s", "worker_user_s")]
with open("old.csv", "w", newline="") as f:
    w = csv.DictWriter(f, keep, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
PY
	run "$CB" report -q --no-plots -o rep old.csv
	[ "$status" -eq 0 ]
	grep -q '^No budget: these rows have no mechanism columns' rep/report.md
}

@test "a multi-mode run ends with the answer first; one mode or -q does not" {
	run "$CB" -w cpu.primes -s small -m threads,procs -j 2 -r 2 --warmup=0 --no-csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"## The answer first"* ]]
	row=$(grep '^| cpu.primes | ' <<<"$output")
	[[ "$row" =~ ^\|\ cpu.primes\ \|\ (threads|procs|seq)\ x[0-9]+\ \|\ [0-9.]+x\ \[[0-9.]+-[0-9.]+\]\ \| ]]
	run "$CB" -w cpu.primes -s small -m threads -j 2 -r 2 --warmup=0 --no-csv
	[ "$status" -eq 0 ]
	[[ "$output" != *"answer first"* ]]
	run "$CB" -w cpu.primes -s small -m threads,procs -j 2 -r 2 --warmup=0 --no-csv -q
	[[ "$output" != *"answer first"* ]]
}
