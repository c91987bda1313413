#!/bin/sh
# make bench: the standard suite - every workload and bench that
# `concbench list` shows, at its default size, in the pool modes and gil
# (--mode=all: seq, threads, procs, gil; not the per-task modes, which pay a
# thread or fork per task in the clock), workers 1..2xCPUs - then
# `concbench report`. The list comes from the binary, so new workloads
# and benches join without editing this file.
#   usage: scripts/bench.sh [CONCBENCH]     (default bin/concbench)
#   env:   BENCH_RUNS (3), BENCH_WARMUP (1), BENCH_OUT (results),
#          BENCH_MODES (all; e.g. all,thread-per-task,fork-per-task),
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
workers="$workers,$cpus,$max"

names=${BENCH_WORKLOADS:-$("$cb" list | awk '/^modes:/ { exit } /^  [a-z]/ { print $1 }' | paste -sd, -)}
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
# One invocation per workload, so one that rejects the worker list (a
# two-party bench) is retried with 2 workers instead of stopping the suite.
for w in $(echo "$names" | tr ',' ' '); do
	n=$((n + 1))
	echo "bench: [$n] $w ($(($(date +%s) - start)) s)" >&2
	r=0
	"$cb" --mode="$modes" --workload="$w" --workers="$workers" --runs="${BENCH_RUNS:-3}" \
		--warmup="${BENCH_WARMUP:-1}" --timeout="${BENCH_TIMEOUT:-60s}" --quiet \
		--csv="$tmp/$w.csv" >/dev/null 2>"$tmp/err" || r=$?
	if [ "$r" -eq 2 ]; then
		echo "bench: $w: $(head -1 "$tmp/err"); retrying with --workers=2" >&2
		r=0
		"$cb" --mode="$modes" --workload="$w" --workers=2 --runs="${BENCH_RUNS:-3}" \
			--warmup="${BENCH_WARMUP:-1}" --timeout="${BENCH_TIMEOUT:-60s}" --quiet \
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
"$cb" report -o "$out/report-$stamp" "$csv"
ln -sfn "report-$stamp" "$out/report-latest"
echo "bench: report: $out/report-$stamp/index.html" >&2
exit "$rc"
