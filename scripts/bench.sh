#!/bin/sh
# make bench: the standard suite - every workload and bench that
# `concbench list` shows, at its default size, all modes, workers 1..2xCPUs -
# then `concbench report`. The list comes from the binary, so new workloads
# and benches join without editing this file.
#   usage: scripts/bench.sh [CONCBENCH]     (default bin/concbench)
#   env:   BENCH_RUNS (5), BENCH_WARMUP (1), BENCH_OUT (results),
#          BENCH_WORKLOADS (comma list; default: all), BENCH_TIMEOUT (60s per rep)
set -eu
cb=${1:-bin/concbench}
out=${BENCH_OUT:-results}
cpus=$(nproc)
max=$((2 * cpus))

# 1..2xCPUs: every count up to 8, then powers of two plus CPUs and 2xCPUs.
if [ "$max" -le 8 ]; then
	workers="1-$max"
else
	workers=1 w=2
	while [ "$w" -lt "$max" ]; do workers="$workers,$w"; w=$((w * 2)); done
	workers="$workers,$cpus,$max"
fi

names=${BENCH_WORKLOADS:-$("$cb" list | awk '/^modes:/ { exit } /^  [a-z]/ { print $1 }' | paste -sd, -)}
if [ -z "$names" ]; then
	echo "bench: $cb list shows no workloads" >&2
	exit 2
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
csv="$out/bench-$stamp.csv"
echo "bench: $(echo "$names" | tr ',' '\n' | wc -l) workloads/benches, workers $workers, all modes -> $csv" >&2
start=$(date +%s)
rc=0
"$cb" --mode=all --workload="$names" --workers="$workers" --runs="${BENCH_RUNS:-5}" \
	--warmup="${BENCH_WARMUP:-1}" --timeout="${BENCH_TIMEOUT:-60s}" --csv="$csv" || rc=$?
echo "bench: measured in $(($(date +%s) - start)) s (exit $rc)" >&2
[ -s "$csv" ] || exit "${rc:-1}"
"$cb" report -o "$out/report-$stamp" "$csv"
ln -sfn "report-$stamp" "$out/report-latest"
echo "bench: report: $out/report-$stamp/index.html" >&2
exit "$rc"
