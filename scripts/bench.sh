#!/bin/sh
# make bench: the standard suite - every workload and bench that
# `concbench list` shows, at the size --min-rep-time picks, in the pool modes and gil
# (--mode=all: seq, threads, procs, gil; not the per-task modes, which pay a
# thread or fork per task in the clock), workers 1..2xCPUs - then
# `concbench report`. The list comes from the binary, so new workloads
# and benches join without editing this file. Each invocation runs
# --precision=BENCH_PRECISION with an equal share of what is left of the
# BENCH_BUDGET as its --max-time; the report and the end of this script say
# per cell the precision reached, and which cells ran out of budget.
#   usage: scripts/bench.sh [CONCBENCH]     (default bin/concbench)
#   env:   BENCH_PRECISION (3%), BENCH_BUDGET (seconds of measuring in all: 480),
#          BENCH_RUNS (first rounds before --precision adds more: 2), BENCH_WARMUP (1),
#          BENCH_MIN_REP_TIME (workloads: 100ms), BENCH_BENCH_MIN_REP_TIME (benches: 10ms),
#          BENCH_OUT (results), BENCH_MODES (all; e.g. all,thread-per-task,fork-per-task),
#          BENCH_WORKLOADS (comma list; default: all), BENCH_TIMEOUT (60s per rep),
#          BENCH_LIST_ONLY=1 (print the workers and workloads it would run, and stop)
set -eu
cb=${1:-bin/concbench}
out=${BENCH_OUT:-results}
modes=${BENCH_MODES:-all}
cpus=$(nproc)
max=$((2 * cpus))

# 1..2xCPUs: powers of two, plus the CPU count and twice it (2 CPUs: 1,2,4).
workers=1 w=2
while [ "$w" -lt "$max" ]; do workers="$workers,$w"; w=$((w * 2)); done
workers=$(echo "$workers,$cpus,$max" | tr , '\n' | sort -nu | paste -sd, -)

names=${BENCH_WORKLOADS:-$("$cb" list | awk '/^modes:/ { exit } /^  [a-z]/ { print $1 }' | paste -sd, -)}
# A bench's size is calibrated on its seq (first) cell, and its contended
# cells run 10-150x slower per operation (condition.one: seq 0.14 s, procs
# at 4 workers 16.9 s at the 100 ms size; a first round of its cells ~40 s):
# benches get a shorter --min-rep-time so their first rounds fit their share.
benches=" $("$cb" list | awk '/^benches/ { b = 1 } /^modes:/ { exit } b && /^  [a-z]/ { print $1 }' | paste -sd' ' -) "
if [ -n "${BENCH_LIST_ONLY:-}" ]; then # the plan, for tests
	echo "workers=$workers"
	echo "modes=$modes"
	echo "$names" | tr ',' '\n'
	exit 0
fi
if [ -z "$names" ]; then
	echo "bench: $cb list shows no workloads" >&2
	exit 2
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
csv="$out/bench-$stamp.csv"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
echo "bench: $(echo "$names" | tr ',' ' ' | wc -w) workloads/benches, workers $workers, modes $modes -> $csv" >&2
start=$(date +%s)
rc=0
n=0
precision=${BENCH_PRECISION:-3%}
budget=${BENCH_BUDGET:-480}
total=$(echo "$names" | tr ',' ' ' | wc -w)
# One invocation per workload, so one that rejects the worker list (a
# two-party bench) is retried with 2 workers instead of stopping the suite.
for w in $(echo "$names" | tr ',' ' '); do
	n=$((n + 1))
	left=$((budget - ($(date +%s) - start)))
	share=$((left / (total - n + 1)))
	[ "$share" -ge 5 ] || share=5
	case $benches in
	*" $w "*) mrt=${BENCH_BENCH_MIN_REP_TIME:-10ms} ;;
	*) mrt=${BENCH_MIN_REP_TIME:-100ms} ;;
	esac
	echo "bench: [$n] $w ($(($(date +%s) - start)) s, --max-time=${share}s, --min-rep-time=$mrt)" >&2
	r=0
	"$cb" --mode="$modes" --workload="$w" --workers="$workers" --runs="${BENCH_RUNS:-2}" \
		--warmup="${BENCH_WARMUP:-1}" --timeout="${BENCH_TIMEOUT:-60s}" --quiet \
		--precision="$precision" --max-time="${share}s" --min-rep-time="$mrt" \
		--csv="$tmp/$w.csv" >/dev/null 2>"$tmp/err" || r=$?
	if [ "$r" -eq 2 ]; then
		echo "bench: $w: $(head -1 "$tmp/err"); retrying with --workers=2" >&2
		r=0
		"$cb" --mode="$modes" --workload="$w" --workers=2 --runs="${BENCH_RUNS:-2}" \
			--warmup="${BENCH_WARMUP:-1}" --timeout="${BENCH_TIMEOUT:-60s}" --quiet \
			--precision="$precision" --max-time="${share}s" --min-rep-time="$mrt" \
			--csv="$tmp/$w.csv" >/dev/null 2>"$tmp/err" || r=$?
	fi
	if [ "$r" -ne 0 ]; then
		echo "bench: $w: exit $r: $(head -1 "$tmp/err")" >&2
		[ "$rc" -eq 0 ] && rc=$r
	fi
	[ -s "$tmp/$w.csv" ] || continue
	if [ -s "$csv" ]; then tail -n +2 "$tmp/$w.csv" >>"$csv"; else cat "$tmp/$w.csv" >"$csv"; fi
done
echo "bench: measured in $(($(date +%s) - start)) s (exit $rc)" >&2
[ -s "$csv" ] || exit 1
# The precision each cell reached (the CSV's cell_reps, precision_reached,
# precision_met), also in the report's flags column.
python3 - "$csv" "$out/precision-$stamp.txt" <<'PY' >&2
import csv, sys
cells = {}
for r in csv.DictReader(open(sys.argv[1])):
    cells[(r["workload"], r["mode"], int(r["workers"]))] = r
met = [k for k, r in cells.items() if r["precision_met"] == "1"]
with open(sys.argv[2], "w") as f:
    for k, r in sorted(cells.items()):
        reached = float(r["precision_reached"]) if r["precision_reached"] else float("nan")
        width = "+-%5.1f%%" % (100 * reached) if reached == reached else "no interval"
        f.write("%-20s %-16s %3d  %4s reps  %s  %s\n" % (k + (r["cell_reps"], width,
                "precise" if r["precision_met"] == "1" else "IMPRECISE (out of budget)")))
    f.write("%d of %d cells within %g%%\n" % (len(met), len(cells),
            100 * float(next(iter(cells.values()))["precision_target"] or "nan")))
print(open(sys.argv[2]).read(), end="")
PY
"$cb" report -o "$out/report-$stamp" "$csv"
cp "$out/precision-$stamp.txt" "$out/report-$stamp/precision.txt"
ln -sfn "report-$stamp" "$out/report-latest"
echo "bench: report: $out/report-$stamp/index.html" >&2
exit "$rc"
