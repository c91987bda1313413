#!/bin/sh
# A/A and A/B checks of `concbench compare` at its default settings.
#   A/A: the same build and size on both sides: no try may give a regression.
#   A/B: head is 25% slower in the same cells: --inject=slow=25% (testing
#        only: every task spins 25% of its own time more; not part of the
#        cell identity): the gate should say regression (exit 1).
# compare exits 0 pass, 1 regression (of a cell or of the workload's cells
# pooled), 3 inconclusive; each is counted.
# Each try runs both sides interleaved round by round, as scripts/ci-regress
# does, and compares them.
#   usage: scripts/aa-ab.sh [CONCBENCH]   (default bin/concbench)
#   env:   TRIES (10), AB_WORKLOAD (cpu.montecarlo), AB_SIZE (empty: the size
#          --min-rep-time calibrates for a seq rep of 100 ms, as a user gets by
#          default, found once by the base binary and then fixed on both sides:
#          a slower head would calibrate a smaller size, a different cell),
#          AB_SLOW (25%), AB_MODES (seq,threads,procs), AB_WORKERS (1,2),
#          ROUNDS (5), RUNS (1): 5 reps a side, each in its own invocation,
#          interleaved (one invocation's reps share its machine state: on
#          this VM a whole invocation can run 2x slow, invisibly; ROUNDS=1
#          RUNS=5 puts all 5 reps in one), AB_KEEP (a folder for each try's
#          compare output and its base and head CSVs)
set -eu
cb=${1:-bin/concbench}
tries=${TRIES:-10}
wl=${AB_WORKLOAD:-cpu.montecarlo}
size=${AB_SIZE:-}
how=given
slow=${AB_SLOW:-25%}
modes=${AB_MODES:-seq,threads,procs}
workers=${AB_WORKERS:-1,2}
rounds=${ROUNDS:-5}
runs=${RUNS:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aa-ab.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

side() { # name seed [extra option]
	"$cb" -w "$wl" -s "$size" -m "$modes" -j "$workers" --runs="$runs" --warmup=1 --seed="$2" \
		--quiet --csv="$tmp/$1-$2.csv" ${3:+"$3"} >/dev/null
}
merge() { # name
	first=1
	for f in "$tmp/$1"-*.csv; do
		if [ "$first" = 1 ]; then cat "$f"; first=0; else tail -n +2 "$f"; fi
	done >"$tmp/$1.csv"
	rm -f "$tmp/$1"-*.csv
}
try() { # kind try -> prints "exit cells-regression cells-total"
	hopt=
	[ "$1" = ab ] && hopt=--inject=slow=$slow
	r=1
	while [ "$r" -le "$rounds" ]; do
		seed=$(($2 * 100 + r))
		if [ $(((r + $2) % 2)) -eq 1 ]; then side base "$seed"; side head "$seed" "$hopt"
		else side head "$seed" "$hopt"; side base "$seed"; fi
		r=$((r + 1))
	done
	merge base
	merge head
	rc=0
	"$cb" compare "$tmp/base.csv" "$tmp/head.csv" >"$tmp/out.txt" || rc=$?
	cp "$tmp/out.txt" "$tmp/$1-$2.txt"
	if [ -n "${AB_KEEP:-}" ]; then
		mkdir -p "$AB_KEEP" && cp "$tmp/base.csv" "$AB_KEEP/$1-$2-base.csv" &&
			cp "$tmp/head.csv" "$AB_KEEP/$1-$2-head.csv"
	fi
	pooled=$(sed -n 's/^pooled by workload: \([0-9]*\) regression.*/\1/p' "$tmp/out.txt")
	sed -n 's/^summary: \([0-9]*\) pass, \([0-9]*\) regression, \([0-9]*\) improvement, \([0-9]*\) inconclusive.*/\1 \2 \3 \4/p' "$tmp/out.txt" |
		{ read -r p g i n; echo "$rc $p $g $i $n ${pooled:-0}"; }
}
if [ -z "$size" ]; then
	"$cb" -w "$wl" -m seq --runs=1 --warmup=0 --quiet --csv="$tmp/cal.csv" >/dev/null
	size=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "size") c = i } NR == 2 { print $c }' "$tmp/cal.csv")
	rm -f "$tmp/cal.csv"
	how=calibrated
fi
echo "aa-ab: $wl size $size ($how) (B: --inject=slow=$slow), modes $modes, workers $workers, $rounds rounds x $runs reps per side, $tries tries" >&2
for kind in aa ab; do
	flagged=0 undecided=0 cells=0 creg=0 cinc=0 preg=0
	t=1
	while [ "$t" -le "$tries" ]; do
		# shellcheck disable=SC2046 # six numbers, split on purpose
		set -- $(try "$kind" "$t")
		echo "$kind try $t: exit $1; cells: $2 pass, $3 regression, $4 improvement, $5 inconclusive; workloads pooled: $6 regression"
		[ "$1" -eq 1 ] && flagged=$((flagged + 1))
		[ "$1" -eq 3 ] && undecided=$((undecided + 1))
		[ "$1" -eq 2 ] && { cat "$tmp/$kind-$t.txt" >&2; exit 2; }
		cells=$((cells + $2 + $3 + $4 + $5)); creg=$((creg + $3)); cinc=$((cinc + $5)); preg=$((preg + $6))
		t=$((t + 1))
	done
	if [ "$kind" = aa ]; then
		echo "A/A: $((tries - flagged))/$tries tries without a regression verdict (exit 1: $flagged, exit 3: $undecided; $creg of $cells cells flagged, $cinc inconclusive; $preg pooled workloads flagged)"
	else
		echo "A/B: $flagged/$tries tries flagged as regression (exit 1: $flagged, exit 3: $undecided; $creg of $cells cells flagged, $cinc inconclusive; $preg pooled workloads flagged)"
	fi
	if [ -n "${AB_KEEP:-}" ]; then mkdir -p "$AB_KEEP" && cp "$tmp"/"$kind"-*.txt "$AB_KEEP"/; fi
done
