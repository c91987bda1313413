#!/bin/sh
# scripts/bench-gate.sh [CONCBENCH]: how fast the CI gate is (make bench-gate).
# Generates two synthetic 300,000-row CSVs (2,500 cells x 120 reps, the head
# with 25 cells 25% slower; scripts/gen-gate-csv.py) and times, with
# /usr/bin/time -v, `compare` of the two and `report --no-plots` of one.
# Prints wall seconds, CPU seconds (user + sys: what a busy machine does not
# inflate much) and peak RSS of each, and the machine's load.
#   env: GATE_TRIES (3): timed runs of each; the median is printed.
set -eu
cb=${1:-bin/concbench}
tries=${GATE_TRIES:-3}
here=$(dirname "$0")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-gate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

python3 "$here/gen-gate-csv.py" "$tmp/base.csv" 1
python3 "$here/gen-gate-csv.py" "$tmp/head.csv" 2 25
echo "bench-gate: $(wc -l <"$tmp/base.csv") lines, $(du -m "$tmp/base.csv" | cut -f1) MB per file; load: $(cut -d' ' -f1-3 /proc/loadavg)"

measure() { # name command...
	name=$1
	shift
	i=1
	: >"$tmp/$name.times"
	while [ "$i" -le "$tries" ]; do
		rc=0
		/usr/bin/time -v "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 3 ]; then
			cat "$tmp/$name.err" >&2
			exit 2
		fi
		wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/$name.err" |
			awk -F: '{ s = 0; for (k = 1; k <= NF; k++) s = s * 60 + $k; print s }')
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/$name.err")
		cpu=$(sed -n 's/.*User time (seconds): //p; s/.*System time (seconds): //p' "$tmp/$name.err" |
			awk '{ s += $1 } END { print s }')
		echo "$wall $rss $cpu" >>"$tmp/$name.times"
		i=$((i + 1))
	done
	sort -n "$tmp/$name.times" | awk -v n="$name" -v t="$tries" '
		{ w[NR] = $1; r[NR] = $2; c[NR] = $3 }
		END { printf "%-8s median %.2f s wall (min %.2f, max %.2f), %.2f s CPU (user+sys), peak RSS %.0f MB, %d runs\n",
		      n, w[int((NR + 1) / 2)], w[1], w[NR], c[int((NR + 1) / 2)], r[int((NR + 1) / 2)] / 1024, t }'
}
measure compare "$cb" compare "$tmp/base.csv" "$tmp/head.csv"
grep -E '^(summary|pooled by workload):' "$tmp/compare.out"
measure report "$cb" report --no-plots -o "$tmp/report" "$tmp/base.csv"
echo "bench-gate: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
