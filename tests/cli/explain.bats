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
    # every reason base/noise.h can give (a neighbour on the host or a busy
    # CI machine can cause any of them)
    assert r["noisy"] in ("", "run-queue", "steal", "slow-cpu", "other-load"), \
        f"{where}: noisy {r['noisy']!r}"
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

# usl_rows IN OUT: IN's rows with cpus = 8 and every wall time set by the USL
# with sigma 0.05, kappa 0.01 (seq: N = 1, at seq's median), times a fixed
# +-1% pattern: data a fit must recover.
usl_rows() {
	python3 - "$1" "$2" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
t1 = statistics.median(float(r["wall_s"]) for r in rows if r["mode"] == "seq")
for i, r in enumerate(rows):
    r["cpus"] = "8"
    n, noise = int(r["workers"]), (1.01, 0.99, 1.0)[i % 3]
    r["wall_s"] = repr(t1 * (1 + 0.05 * (n - 1) + 0.01 * n * (n - 1)) / n * noise)
with open(sys.argv[2], "w", newline="") as f:
    w = csv.DictWriter(f, list(rows[0]))
    w.writeheader()
    w.writerows(rows)
PY
}

# check_fits FITS.csv ROWS.csv: the fits' shape, and every figure that can be
# recomputed from the rows (speedup, Karp-Flatt) or from the fit (N*, the
# predictions) agrees; the USL parameters are those of usl_rows.
check_fits() {
	python3 - "$1" "$2" <<'PY'
import csv, math, statistics, sys
fits = list(csv.DictReader(open(sys.argv[1])))
rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["verified"] == "1"]
head = ("fits_version,host,workload,size,tasks,pin,params,git_rev,mode,cpus,beyond_cpus,status,"
        "why,param,workers,est,lo,hi").split(",")
assert list(fits[0]) == head, list(fits[0])
modes = sorted({f["mode"] for f in fits})
assert modes == ["procs", "threads"], modes
seq = statistics.median(1 / float(r["wall_s"]) for r in rows if r["mode"] == "seq")
for m in modes:
    got = {(f["param"], f["workers"]): f for f in fits if f["mode"] == m}
    assert all(f["status"] == "ok" and f["cpus"] == "8" for f in got.values()), m
    one = {"counts_fitted", "amdahl_s", "amdahl_lambda", "amdahl_r2", "amdahl_rmse", "usl_sigma",
           "usl_kappa", "usl_lambda", "usl_nstar", "usl_r2", "usl_rmse"}
    per = {("usl_speedup", w) for w in ("16", "32", "64")} | {("amdahl_speedup", w) for w in ("16", "32", "64")}
    per |= {(p, w) for p in ("speedup", "karp_flatt") for w in ("1", "2", "4", "8")}
    assert set(got) == {(p, "") for p in one} | per, sorted(set(got) ^ ({(p, "") for p in one} | per))
    v = lambda p, w="": float(got[(p, w)]["est"])
    assert v("counts_fitted") == 4
    for w in (1, 2, 4, 8):
        c = statistics.median(1 / float(r["wall_s"]) for r in rows if r["mode"] == m and int(r["workers"]) == w) / seq
        assert math.isclose(v("speedup", str(w)), c, rel_tol=1e-6), (m, w, v("speedup", str(w)), c)
        if w > 1:
            kf = (1 / c - 1 / w) / (1 - 1 / w)
            assert math.isclose(v("karp_flatt", str(w)), kf, rel_tol=1e-6, abs_tol=1e-9), (m, w)
        else:
            assert got[("karp_flatt", "1")]["est"] == ""
    s, k, lam = v("usl_sigma"), v("usl_kappa"), v("usl_lambda")
    assert abs(s - 0.05) < 0.02 and abs(k - 0.01) < 0.004, (m, s, k)
    assert math.isclose(v("usl_nstar"), math.sqrt((1 - s) / k), rel_tol=1e-6)
    for w in (16, 32, 64):
        assert math.isclose(v("usl_speedup", str(w)), lam * w / (1 + s * (w - 1) + k * w * (w - 1)), rel_tol=1e-6)
        e = got[("usl_speedup", str(w))]
        assert float(e["lo"]) <= float(e["est"]) <= float(e["hi"]), e
    assert 0.9 <= v("usl_r2") <= 1, v("usl_r2")
print("ok")
PY
}

@test "report: DIR/fits.csv holds each fit, its figures recomputed from the rows" {
	"$CB" -w cpu.primes -s small -m seq,threads,procs -j 1,2,4,8 -r 3 --warmup=0 --csv=out.csv \
		-q >/dev/null
	usl_rows out.csv usl.csv
	run "$CB" report -q --no-plots -o rep usl.csv
	[ "$status" -eq 0 ]
	run check_fits rep/fits.csv usl.csv
	echo "$output"
	[ "$output" = ok ]
	grep -q '^| cpu.primes | threads | fitted |' rep/report.md
}

@test "report: the plots draw the fitted USL and Amdahl curves and each cell's budget" {
	command -v gnuplot >/dev/null || skip "gnuplot missing"
	"$CB" -w cpu.primes -s small -m seq,threads,procs -j 1,2,4,8 -r 3 --warmup=0 --csv=out.csv \
		-q >/dev/null
	usl_rows out.csv usl.csv
	run "$CB" report -q -o rep usl.csv
	[ "$status" -eq 0 ]
	# the USL curve of threads, with the fitted figures of fits.csv
	curve=$(python3 - <<'PY'
import csv
f = {r["param"]: r["est"] for r in csv.DictReader(open("rep/fits.csv"))
     if r["mode"] == "threads" and r["workers"] == ""}
print(f"{f['usl_lambda']}*x/(1+{f['usl_sigma']}*(x-1)+{f['usl_kappa']}*x*(x-1))")
print(f"{f['amdahl_lambda']}*x/(1+{f['amdahl_s']}*(x-1))")
PY
)
	while read -r c; do
		grep -qF "$c with lines" rep/plots/plots.gp
	done <<<"$curve"
	# a stacked bar per cell: the datablock has one row per cell with a budget
	bars=$(sed -n '/^\$b << EOD/,/^EOD/p' rep/plots/plots.gp | grep -c '^"')
	[ "$bars" -eq 9 ]
	grep -q 'set style histogram rowstacked' rep/plots/plots.gp
	svg=rep/plots/$(hostname)/cpu.primes-100000-64-explain.svg
	[ -s "$svg" ]
	grep -q '<svg' "$svg"
	grep -qF "cpu.primes-100000-64-explain.svg)" rep/report.md
	[ "$(grep -c 'data:image/svg+xml;base64' rep/index.html)" -eq 2 ]
}

@test "--json: the run's fits beside the benchmarks, the same as report's" {
	"$CB" -w cpu.primes -s small -m seq,threads -j 1,2 -r 2 --warmup=0 --csv=out.csv -q \
		--json=out.json >/dev/null
	"$CB" report -q --no-plots -o rep out.csv
	run python3 - <<'PY'
import csv, json, math
d = json.load(open("out.json"))
assert d["benchmarks"], "no benchmarks"
(f,) = d["scaling_fits"]
assert (f["workload"], f["mode"], f["status"]) == ("cpu.primes", "threads", "too-few"), f
assert "3 needed" in f["why"] and f["usl"]["sigma"]["est"] is None
assert [p["workers"] for p in f["predicted"]] == [4, 8, 16]
csvf = {(r["param"], r["workers"]): r for r in csv.DictReader(open("rep/fits.csv"))}
for kf in f["karp_flatt"]:
    w = str(kf["workers"])
    assert math.isclose(kf["speedup"], float(csvf[("speedup", w)]["est"]), rel_tol=1e-6), kf
    assert (kf["serial"] is None) == (csvf[("karp_flatt", w)]["est"] == ""), kf
print("ok")
PY
	echo "$output"
	[ "$output" = ok ]
}
