#!/usr/bin/env bash
# bench-explain.sh - the figures of issue 15, markdown on stdout, raw CSV and
# reports under $OUT:
#   1. -w cpu -m seq,threads,procs,gil -j 1,2,4: each cell's efficiency
#      budget, the explained share of the loss where the loss is >= 10%,
#      the main cause of oversubscribed and gil cells; the answer-first table
#      and the scaling fits (or why not) from `concbench report`
#   2. a CPU hog (stress-ng --cpu NCPU) beside cpu.primes: reps flagged by the
#      run-queue figure, against the same run without it
#   3. collection cost: one mech_begin/mech_end pair timed (MECHCOST), times
#      the pairs of a rep, over the rep's wall time; and an interleaved A/B of
#      -w cpu against a build with -DCONCBENCH_NO_MECH
#      The run without the hog first waits (at most QUIET_WAIT seconds) for
#      the 1-minute load average to fall below QUIET_LOAD: on a shared
#      machine "quiet" is a moment, not a given; the load is printed.
# Usage: scripts/bench-explain.sh [BIN] [MECHCOST]
#        (RUNS=5 OUT=results/bench-explain AB_ROUNDS=5 SECTIONS=123
#         QUIET_LOAD=1.0 QUIET_WAIT=0)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-bin/concbench}
MECHCOST=${2:-build/release/mechcost}
OUT=${OUT:-results/bench-explain}
RUNS=${RUNS:-5}
AB_ROUNDS=${AB_ROUNDS:-5}
SECTIONS=${SECTIONS:-123}
QUIET_LOAD=${QUIET_LOAD:-1.0}
QUIET_WAIT=${QUIET_WAIT:-0}
PY=${PYTHON:-/usr/bin/python3}
NCPU=$(nproc)
mkdir -p "$OUT"

section() { printf '\n### %s\n\n' "$*"; }
# shellcheck disable=SC2016 # the backquotes are markdown
cmd() { printf '`%s`\n\n' "$*"; "$@"; }
note_load() { printf 'load average before: %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"; }
want() { [[ $SECTIONS == *$1* ]]; }

# budget_summary REPORT.md: the budget table's cells, with the checks of the issue.
budget_summary() {
	$PY - "$1" "$NCPU" <<'PY'
import sys
md, ncpu = open(sys.argv[1]).read().splitlines(), int(sys.argv[2])
i = md.index("## Where the efficiency went")
end = next((k for k in range(i + 1, len(md)) if md[k].startswith("## ")), len(md))
rows = [l for l in md[i:end] if l.startswith("| cpu.")]
head = [h.strip() for h in next(l for l in md[i:] if l.startswith("| workload")).strip("|").split("|")]
print("| cell | eff | main cost | explained (loss >= 10%) | disturbed |\n|---|--:|---|--:|--:|")
ok = bad = over_ok = over_n = gil_ok = gil_n = 0
shares = []
for l in rows:
    f = dict(zip(head, [x.strip() for x in l.strip().strip("|").split("|")]))
    parts = {k: float(f[k].rstrip("%")) for k in head[4:13] if k != "baseline"}
    main = max(parts, key=parts.get)
    w, eff, ex = int(f["workers"]), float(f["eff"]), f["explained"]
    mark = ""
    if ex != "-":
        shares.append(float(ex.rstrip("%")))
        good = shares[-1] >= 80
        ok += good; bad += not good
        mark = "" if good else " (< 80%)"
    # gil cells are judged by the GIL (with one GIL only one thread is
    # runnable, oversubscribed or not); the other oversubscribed cells by
    # the run queue
    if f["mode"] == "gil" and w > 1:
        gil_n += 1; gil_ok += main == "GIL"
        mark += "" if main == "GIL" else " (gil, main cost not GIL)"
    elif w > ncpu:
        over_n += 1; over_ok += main == "run-queue"
        mark += "" if main == "run-queue" else " (oversubscribed, main cost not run-queue)"
    print(f"| {f['workload']} {f['mode']} x{w} | {eff:.2f} | {main} {parts[main]:.0f}% | {ex}{mark} | {f['disturbed']} |")
rng = f" (range {min(shares):.0f}-{max(shares):.0f}%)" if shares else ""
print(f"\ncells with loss >= 10% explained >= 80%: {ok} of {ok + bad}{rng}")
print(f"oversubscribed cells (> {ncpu} workers, gil apart) with run-queue as the main cost: {over_ok} of {over_n}")
print(f"gil cells (2+ workers) with GIL wait as the main cost: {gil_ok} of {gil_n}")
PY
}

if want 1; then
	section "1. efficiency budget of -w cpu (seq, threads, procs, gil; 1, 2, 4 workers)"
	note_load
	cmd "$BIN" -q -m seq,threads,procs,gil -w cpu -j 1,2,4 -r "$RUNS" --csv="$OUT/cpu.csv" \
		>/dev/null
	"$BIN" report -q -o "$OUT/report" "$OUT/cpu.csv"
	budget_summary "$OUT/report/report.md"
	printf '\nplots (fitted curves, budget bars): %s\n' \
		"$(find "$OUT/report/plots" -name '*-explain.svg' | wc -l) explain plots in $OUT/report/plots"
	printf 'fits: %s (%s rows)\n' "$OUT/report/fits.csv" "$(($(wc -l <"$OUT/report/fits.csv") - 1))"
	section "1b. the answer first and the fits (concbench report)"
	sed -n '/^## The answer first/,/^## Where/p' "$OUT/report/report.md" | sed '$d'
	sed -n '/^## Scaling model/,/^## host/p' "$OUT/report/report.md" | sed '$d'
	printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
fi

# noisy_count CSV: reps flagged, of all reps.
noisy_count() {
	$PY - "$1" <<'PY'
import csv, sys, statistics
rows = list(csv.DictReader(open(sys.argv[1])))
flag = [r for r in rows if r["noisy"]]
share = statistics.median(float(r["runq_share"]) for r in rows)
print(f"{len(flag)} of {len(rows)} reps flagged ({', '.join(sorted(set(r['noisy'] for r in flag))) or '-'}); median run-queue share {share:.2f}; "
      + "; ".join(f"{m}: {sum(1 for r in rows if r['mode'] == m and r['noisy'])} flagged, run-queue shares "
                  + " ".join(f"{float(r['runq_share']):.2f}" for r in rows if r["mode"] == m)
                  for m in sorted({r["mode"] for r in rows}))
      + f"; size {rows[0]['size']}")
PY
}

if want 2; then
	command -v stress-ng >/dev/null || {
		echo "bench-explain: stress-ng missing (apt-get install stress-ng)" >&2
		exit 2
	}
	section "2. a CPU hog beside the run (stress-ng --cpu $NCPU) and without it"
	for ((waited = 0; waited < QUIET_WAIT; waited += 5)); do
		awk -v max="$QUIET_LOAD" '{ exit !($1 < max) }' /proc/loadavg && break
		sleep 5
	done
	note_load
	cmd "$BIN" -q -m seq,threads -w cpu.primes -j 2 -r "$RUNS" --csv="$OUT/quiet.csv" >/dev/null
	printf 'without the hog: '
	noisy_count "$OUT/quiet.csv"
	printf 'load average between: %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	stress-ng --cpu "$NCPU" --timeout 600s --quiet &
	hog=$!
	sleep 1
	# the same reps: the size the run without the hog chose (calibration
	# beside the hog would choose another)
	size=$($PY -c 'import csv, sys; print(next(csv.DictReader(open(sys.argv[1])))["size"])' \
		"$OUT/quiet.csv")
	cmd "$BIN" -q -m seq,threads -w cpu.primes -j 2 -r "$RUNS" --size="$size" \
		--csv="$OUT/hog.csv" >/dev/null
	kill "$hog"
	wait "$hog" || true
	printf 'beside the hog: '
	noisy_count "$OUT/hog.csv"
	printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
fi

if want 3; then
	section "3. what collecting the mechanism figures costs"
	note_load
	pair=$("$MECHCOST" 20000)
	printf 'one mech_begin + mech_end pair (the reads a pooled worker makes per rep): %s µs\n\n' "$pair"
	# per rep: one pair per worker; as a share of the rep, from section 1's rows
	if [ -f "$OUT/cpu.csv" ]; then
		$PY - "$OUT/cpu.csv" "$pair" <<'PY'
import csv, sys, statistics
pair = float(sys.argv[2]) * 1e-6
share = [int(r["workers"]) * pair / float(r["wall_s"]) for r in csv.DictReader(open(sys.argv[1]))]
print(f"as a share of a rep's wall time (workers x pair / wall_s, section 1's reps): median {100*statistics.median(share):.3f}%, max {100*max(share):.3f}%\n")
PY
	fi
	make -s O=build/nomech CFLAGS="-O2 -g -DCONCBENCH_NO_MECH" build/nomech/release/concbench >/dev/null
	NOMECH=build/nomech/release/concbench
	for i in $(seq "$AB_ROUNDS"); do
		"$BIN" -q -m seq,threads,procs,gil -w cpu -j 2 -r 3 --csv="$OUT/ab-on-$i.csv" >/dev/null
		"$NOMECH" -q -m seq,threads,procs,gil -w cpu -j 2 -r 3 --csv="$OUT/ab-off-$i.csv" >/dev/null
	done
	$PY - "$OUT" "$AB_ROUNDS" <<'PY'
import csv, statistics, sys
out, n = sys.argv[1], int(sys.argv[2])
def total(p):
    return sum(float(r["wall_s"]) for r in csv.DictReader(open(p)))
ratios = [total(f"{out}/ab-on-{i}.csv") / total(f"{out}/ab-off-{i}.csv") for i in range(1, n + 1)]
print(f"interleaved A/B, -w cpu -m seq,threads,procs,gil -j 2 -r 3, {n} rounds: summed wall with / without collection, per round: "
      + ", ".join(f"{r:.3f}" for r in ratios)
      + f"; median {statistics.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}")
PY
fi
