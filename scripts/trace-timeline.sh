#!/usr/bin/env bash
# trace-timeline.sh - draw one cell of a --trace CSV as a timeline (SVG):
# one row per worker, one bar per task from its start to its end.
#
# usage: scripts/trace-timeline.sh TRACE.csv [OUT.svg [WORKLOAD MODE WORKERS]]
#   default cell: the first one with the most workers. Example, the 7 tasks on 4
#   workers of the seed (4 run at once, 3 wait for a free worker):
#   concbench -w pool.tiny --task-us=100000 -m threads -j 4 -t 7 --runs=1 --trace=t.csv
#   scripts/trace-timeline.sh t.csv timeline.svg
set -euo pipefail

die() { echo "trace-timeline: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: $0 TRACE.csv [OUT.svg [WORKLOAD MODE WORKERS]]"
in=$1
out=${2:-${in%.csv}.svg}
[ -r "$in" ] || die "$in: cannot read"
[ "$(head -1 "$in")" = "workload,mode,workers,rep,task,worker,t_start_s,t_end_s" ] ||
	die "$in: not a concbench --trace file"
command -v gnuplot >/dev/null || die "gnuplot not found (apt-get install gnuplot-nox)"
if [ $# -ge 5 ]; then
	wl=$3 mode=$4 workers=$5
else
	# the first cell with the most workers
	IFS=, read -r wl mode workers _ < <(awk -F, 'NR > 1 && $3 > n { n = $3; l = $0 } END { print l }' "$in")
fi

data=$(mktemp)
trap 'rm -f "$data"' EXIT
awk -F, -v w="$wl" -v m="$mode" -v n="$workers" \
	'NR > 1 && $1 == w && $2 == m && $3 == n { print $6, $7, $8, $5 }' "$in" >"$data"
[ -s "$data" ] || die "$in: no rows for $wl $mode $workers"
ntasks=$(wc -l <"$data")

gnuplot <<GP
set terminal svg size 900,$((160 + 40 * workers)) dynamic font "sans,12"
set output "$out"
set title "$wl, $mode, $workers workers: $ntasks tasks (rep $(awk -F, -v w="$wl" -v m="$mode" 'NR > 1 && $1 == w && $2 == m { print $4; exit }' "$in"))"
set xlabel "seconds since the pool was released"
set ylabel "worker"
set yrange [-0.6:$workers - 0.4]
set ytics 1
set xrange [0:*]
set grid xtics
set style fill solid 0.6 border -1
unset key
plot "$data" using ((\$2 + \$3) / 2):1:2:3:(\$1 - 0.35):(\$1 + 0.35):(\$4) with boxxyerror lc variable, \
     "" using ((\$2 + \$3) / 2):1:(sprintf("%d", \$4)) with labels
GP
echo "trace-timeline: $out ($ntasks tasks of $wl $mode $workers)"
