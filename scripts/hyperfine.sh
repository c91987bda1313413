#!/bin/sh
# make hyperfine: whole-process timing by hyperfine beside concbench's own
# clocks. hyperfine runs `concbench --runs=1 --warmup=0 --quiet --no-csv
# --mode={mode} ...` for every mode; concbench then measures the same cells
# itself; `concbench report` shows both and their difference (process
# start-up, preparation, warm-up, the seq baseline).
#   usage: scripts/hyperfine.sh [CONCBENCH]    (default bin/concbench)
#   env:   HF_WORKLOAD (cpu.primes), HF_SIZE (medium), HF_WORKERS (CPUs),
#          HF_RUNS (10), HF_OUT (results)
set -eu
cb=${1:-bin/concbench}
case $cb in /*) ;; *) cb=$(pwd)/$cb ;; esac
out=${HF_OUT:-results}
wl=${HF_WORKLOAD:-cpu.primes}
size=${HF_SIZE:-medium}
workers=${HF_WORKERS:-$(nproc)}
runs=${HF_RUNS:-10}
if ! command -v hyperfine >/dev/null; then
	echo "hyperfine: not installed (apt install hyperfine)" >&2
	exit 2
fi
modes=$("$cb" list | awk '/^modes:/ { on = 1; next } on && $1 == "all" { print $2 }')
[ -n "$modes" ] || modes=seq,threads,procs
stamp=$(date -u +%Y%m%dT%H%M%SZ)
base="$out/hyperfine-$stamp"
mkdir -p "$out"
hyperfine --warmup 1 --runs "$runs" -L mode "$modes" \
	--export-csv "$base.csv" --export-json "$base.json" --export-markdown "$base.md" \
	"$cb --runs=1 --warmup=0 --quiet --no-csv --mode={mode} --workload=$wl --size=$size --workers=$workers"
"$cb" --quiet --mode="$modes" --workload="$wl" --size="$size" --workers="$workers" \
	--runs="$runs" --csv="$base-internal.csv" >/dev/null
"$cb" report -o "$base-report" "$base-internal.csv" "$base.csv"
echo "hyperfine: $base.{csv,json,md}; report: $base-report/report.md" >&2
