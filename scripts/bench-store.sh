#!/usr/bin/env bash
# scripts/bench-store.sh BIN CPQUALITY (make bench-store): the results
# store's numbers. Synthetic stores (generator below: awk, fixed seed), each
# timing repeated 3 times, median and range printed:
#   ingest rep rows/s into SQLite and into a local PostgreSQL (started here
#   on a Unix socket in a temp dir, stopped at the end);
#   history (with change-point detection) and dashboard over 1,000 runs x
#   200 cells, and the page's render time in headless Chromium;
#   8 concurrent writers x 1,000 runs into PostgreSQL and 4 into SQLite
#   (row counts must be exact);
#   the change-point detection quality table (CPQUALITY).
set -euo pipefail
bin=$(realpath "$1")
cpq=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/bench-store.XXXXXX)
chmod 755 "$tmp" # the postgres user starts there
# shellcheck source=tests/cli/pg_helpers.bash disable=SC1091
. "$here/../tests/cli/pg_helpers.bash"
cleanup() { pg_stop; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp"

# gen RUNS CELLS REPS HOST FIRST: RUNS runs (ids HOST-FIRST…) of CELLS cells,
# REPS reps each; every 10th cell 10% slower from the middle run on; noise
# uniform +-0.5%.
gen() {
	awk -v runs="$1" -v cells="$2" -v reps="$3" -v host="$4" -v first="$5" 'BEGIN {
		srand(1)
		print "schema_version,run_id,timestamp,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,user_s,sys_s,cpu_util,verified,git_rev,status,metrics"
		for (r = first; r < first + runs; r++) {
			ts = strftime("%Y-%m-%dT%H:%M:%SZ", 1767225600 + r, 1)
			for (c = 0; c < cells; c++) {
				l = (1 + c / 100) * (c % 10 == 0 && r - first >= runs / 2 ? 1.1 : 1)
				for (k = 0; k < reps; k++) {
					w = l * (1 + (rand() - 0.5) / 100)
					printf "1,\"%s-%d\",\"%s\",\"%s\",2,\"syn.c%03d\",\"seq\",1,8,100,%d,%.9f,%.9f,0,1,1,\"g%d\",\"ok\",\"\"\n", host, r, ts, host, c, k, w, w, r
				}
			}
		}
	}'
}

# stats: median and range of the numbers on stdin
stats() { sort -g | awk '{ v[NR] = $1 } END { printf "median %.3g (range %.3g .. %.3g, n=%d)", v[int((NR + 1) / 2)], v[1], v[NR], NR }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

echo "## make bench-store ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
echo

# ---- ingest ----
gen 100 200 5 ingest 0 >ingest.csv # 100,000 rep rows
rows=$(($(wc -l <ingest.csv) - 1))
# timed CMD…: run CMD, print "wall user+sys" seconds (bash's time, children included)
timed() {
	local TIMEFORMAT='%R %U %S'
	{ time "$@" >/dev/null; } 2>&1 | tail -1 | awk '{ print $1, $2 + $3 }'
}
# ingest LABEL URL PREP: 3 imports of ingest.csv; rows/s by wall clock and by CPU time
ingest() {
	for _ in 1 2 3; do
		$3
		timed "$bin" store add --db="$2" ingest.csv
	done >"$1.t"
	echo "- $1 ingest, $rows rep rows (100 runs x 200 cells x 5 reps): wall clock" \
		"$(awk -v n="$rows" '{ print n / $1 }' "$1.t" | stats) rows/s; per CPU second of" \
		"concbench $(awk -v n="$rows" '{ print n / $2 }' "$1.t" | stats) rows/s"
}
lite_fresh() { rm -f ing.db ing.db-wal ing.db-shm; }
ingest SQLite ing.db lite_fresh
# the same file again, every run already stored: reading, checking, sorting
# and hashing the CSV, no inserts (what of the ingest time is not the store's)
for _ in 1 2 3; do timed "$bin" store add --db=ing.db ingest.csv; done >reimport.t
echo "- SQLite re-import of the same file (all runs already stored: reading the CSV, no inserts):" \
	"wall $(cut -d' ' -f1 reimport.t | stats) s, CPU $(cut -d' ' -f2 reimport.t | stats) s"
if pg_start; then
	ingest "PostgreSQL (local, Unix socket, fsync off)" "$CB_PG" pg_fresh
else
	echo "- PostgreSQL: could not start a server (skipped)"
fi

# ---- history and dashboard over 1,000 runs x 200 cells ----
gen 1000 200 5 big 0 >big.csv
"$bin" store add --db=big.db big.csv >/dev/null
for _ in 1 2 3; do timed "$bin" history --db=big.db --format=csv; done >hist.t
"$bin" history --db=big.db --format=csv >hist.csv
echo "- history, 1,000 runs x 200 cells (1,000,000 rep rows stored), with change-point detection:" \
	"wall $(cut -d' ' -f1 hist.t | stats) s, CPU $(cut -d' ' -f2 hist.t | stats) s;" \
	"$(grep -c regression hist.csv) change points found (20 cells have a 10% step at run 500)"
for _ in 1 2 3; do timed "$bin" dashboard --db=big.db -o dash; done >dash.t
echo "- dashboard for it: wall $(cut -d' ' -f1 dash.t | stats) s, CPU $(cut -d' ' -f2 dash.t | stats) s," \
	"page $(du -k dash/index.html | cut -f1) KiB"
if command -v chromium >/dev/null; then
	for _ in 1 2 3; do
		timeout 180 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/prof" \
			--dump-dom "file://$tmp/dash/index.html" 2>/dev/null |
			grep -o 'data-render-ms="[0-9]*"' | tr -dc '0-9'
		echo
	done | awk '{ print $1 / 1000 }' | stats >page.t
	echo "- page load + render in headless Chromium (performance.now() when the last chart is drawn): $(cat page.t) s"
fi

# ---- concurrent writers ----
for w in $(seq 1 8); do gen 1000 1 2 "fleet$w" 0 >"w$w.csv"; done
if [ -n "${CB_PG:-}" ]; then
	pg_fresh
	t0=$(now)
	for w in $(seq 1 8); do "$bin" store add --db="$CB_PG" "w$w.csv" >/dev/null & done
	wait
	t1=$(now)
	runs=$(psqlc 'SELECT count(*) FROM runs')
	reps=$(psqlc 'SELECT count(*) FROM reps')
	echo "- PostgreSQL, 8 concurrent writers x 1,000 runs: $runs runs, $reps rep rows stored (want 8000, 16000) in $(elapsed "$t0" "$t1") s"
fi
rm -f conc.db*
t0=$(now)
for w in 1 2 3 4; do "$bin" store add --db=conc.db "w$w.csv" >/dev/null 2>"err$w" & done
wait
t1=$(now)
echo "- SQLite, 4 concurrent writers x 1,000 runs: $(sqlite3 conc.db 'SELECT count(*) FROM runs') runs, $(sqlite3 conc.db 'SELECT count(*) FROM reps') rep rows (want 4000, 8000), $(cat err? | grep -c locked || true) 'locked' errors, in $(elapsed "$t0" "$t1") s"
cat err? # any error, in full

# ---- detection quality ----
echo
echo "### Change-point detection quality"
echo
"$cpq"
