#!/bin/sh
# The gate on a 100-cell suite with one cell 25% slower: `concbench compare`
# must flag that cell (exit 1) and no other.
#   Suite: cpu.matmul, cpu.mandelbrot, cpu.primes, cpu.montecarlo at their
#   medium size x seq + threads, procs, thread-per-task, fork-per-task, gil,
#   async at 1-4 workers = 4 x 25 = 100 cells, 5 reps a side: ROUNDS (5)
#   interleaved invocations of RUNS (1) rep each, base and head alternating
#   which goes first (one invocation's reps share its machine state; see
#   scripts/aa-ab.sh).
#   The slow cell (SLOW_CELL, default "cpu.primes threads 2") runs in its own
#   invocation on both sides, the head's with --inject=slow=SLOW (25%: every
#   task spins a quarter of its time more, a testing-only knob that is not
#   part of the cell identity); its rows replace the suite's rows of that
#   cell, so base and head measure it alike.
#   usage: scripts/gate-suite.sh [CONCBENCH]   (default bin/concbench)
#   env:   TRIES (3), ROUNDS (5), RUNS (1), SLOW (25%), SLOW_CELL, GATE_KEEP (a folder
#          for each try's compare output and its base and head CSVs)
set -eu
cb=${1:-bin/concbench}
tries=${TRIES:-3}
rounds=${ROUNDS:-5}
runs=${RUNS:-1}
slow=${SLOW:-25%}
cell=${SLOW_CELL:-cpu.primes threads 2}
# shellcheck disable=SC2086 # three words, split on purpose
set -- $cell
swl=$1 smode=$2 sworkers=$3
suite="-w cpu.matmul,cpu.mandelbrot,cpu.primes,cpu.montecarlo --size=medium
 -m seq,threads,procs,thread-per-task,fork-per-task,gil,async -j 1,2,3,4"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gate-suite.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# side NAME SEED [--inject=...]: the suite without the slow cell, then the
# slow cell alone, appended to NAME.csv
side() {
	# shellcheck disable=SC2086 # the suite's options, split on purpose
	"$cb" $suite --runs="$runs" --seed="$2" --quiet --csv="$tmp/$1-suite.csv" >/dev/null
	"$cb" -w "$swl" --size=medium -m "$smode" -j "$sworkers" --baseline=none --runs="$runs" \
		--seed="$2" --quiet --csv="$tmp/$1-cell.csv" ${3:+"$3"} >/dev/null
	python3 - "$tmp/$1-suite.csv" "$tmp/$1-cell.csv" "$swl" "$smode" "$sworkers" "$tmp/$1.csv" <<'PY'
import csv, os, sys
suite, one, wl, mode, workers, dest = sys.argv[1:]
first = not os.path.exists(dest)
with open(dest, "a") as d:
    out = csv.writer(d, lineterminator="\n")
    with open(suite) as f:
        rows = csv.reader(f)
        head = next(rows)
        if first:
            out.writerow(head)
        i = {c: head.index(c) for c in ("workload", "mode", "workers")}
        for r in rows:
            if (r[i["workload"]], r[i["mode"]], r[i["workers"]]) != (wl, mode, workers):
                out.writerow(r)
    with open(one) as f:
        rows = csv.reader(f)
        if next(rows) != head:
            sys.exit("gate-suite: the two runs wrote different columns")
        for r in rows:
            out.writerow(r)
PY
}

echo "gate-suite: 100 cells, $rounds rounds x $runs reps a side; head: $cell --inject=slow=$slow; $tries tries" >&2
ok=0 t=1
while [ "$t" -le "$tries" ]; do
	rm -f "$tmp/base.csv" "$tmp/head.csv"
	r=1
	while [ "$r" -le "$rounds" ]; do
		seed=$((t * 100 + r))
		if [ $(((t + r) % 2)) -eq 1 ]; then side base "$seed"; side head "$seed" --inject=slow="$slow"
		else side head "$seed" --inject=slow="$slow"; side base "$seed"; fi
		r=$((r + 1))
	done
	rc=0
	"$cb" compare "$tmp/base.csv" "$tmp/head.csv" >"$tmp/out.txt" || rc=$?
	[ "$rc" -eq 2 ] && { cat "$tmp/out.txt" >&2; exit 2; }
	# the cells' table, then (when a workload has 2+ cells of 5+ runs a
	# side) the workloads pooled: a pooled verdict counts as a flag too
	sed '/^pooled by workload (/,$d' "$tmp/out.txt" >"$tmp/cells.txt"
	cells=$(grep -c '^cpu\.' "$tmp/cells.txt" || true)
	flagged=$(grep -E '^cpu\.[^ ]+ +[^ ]+ +[0-9]+ .* (regression|improvement) \(' "$tmp/cells.txt" |
		awk '{ print $1 " " $2 " " $3 }' | tr '\n' ';')
	flagged=$flagged$(sed -n '/^pooled by workload (/,/^summary/p' "$tmp/out.txt" |
		awk '/^cpu\./ && / (regression|improvement) \(/ { printf "%s pooled;", $1 }')
	right=no
	[ "$rc" -eq 1 ] && [ "$flagged" = "$swl $smode $sworkers;" ] && { right=yes; ok=$((ok + 1)); }
	shown=${flagged%;}
	echo "try $t: exit $rc; $cells cells compared; flagged: ${shown:-none}; only the slow cell: $right"
	sed -n 's/^summary: /  summary: /p; s/^pooled by workload: /  pooled by workload: /p' "$tmp/out.txt"
	if [ -n "${GATE_KEEP:-}" ]; then
		mkdir -p "$GATE_KEEP"
		cp "$tmp/out.txt" "$GATE_KEEP/try-$t.txt"
		cp "$tmp/base.csv" "$GATE_KEEP/try-$t-base.csv"
		cp "$tmp/head.csv" "$GATE_KEEP/try-$t-head.csv"
	fi
	t=$((t + 1))
done
echo "gate-suite: $ok/$tries tries flagged the slow cell and no other"
