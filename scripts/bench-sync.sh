#!/usr/bin/env bash
# bench-sync.sh - issue 6 figures: the synchronisation benches next to the
# closest peer tools, side by side in one run on this machine.
#
#   scripts/bench-sync.sh [CONCBENCH]      (default bin/concbench)
#   RUNS=10 PEER_RUNS=5 OUT=results/bench-sync scripts/bench-sync.sh
#
# concbench: lock.mutex (seq: uncontended ns per lock+unlock; threads vs
# procs: contended ops/s) and event (wake-up latency p50/p99).
# Peers: sysbench mutex, stress-ng --mutex --metrics, perf bench futex
# lock-pi / wake, perf bench sched pipe (threads -T and processes).
# sysbench and stress-ng are installed with apt when missing (root only).
# Prints one markdown table: figure, median, spread (min..max), command.
set -euo pipefail

CB=${1:-bin/concbench}
RUNS=${RUNS:-10}
PEER_RUNS=${PEER_RUNS:-5}
OUT=${OUT:-results/bench-sync}
WORKERS=${WORKERS:-2}
LOCKS=${LOCKS:-20000000}

[ -x "$CB" ] || { echo "bench-sync.sh: $CB: not built (make)" >&2; exit 2; }
mkdir -p "$OUT"

ensure() { # ensure TOOL PACKAGE
	command -v "$1" >/dev/null && return 0
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >"$OUT/apt-$2.log" 2>&1 || true
	fi
	command -v "$1" >/dev/null || echo "bench-sync.sh: $1 missing; its rows are skipped" >&2
}
ensure sysbench sysbench
ensure stress-ng stress-ng
have() { command -v "$1" >/dev/null; }

# median, min and max of the numbers on stdin: "median min max"
stats() {
	sort -g | awk '{v[NR]=$1} END {if (!NR) {print "- - -"; exit}
		m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
		printf "%.4g %.4g %.4g\n", m, v[1], v[NR]}'
}

ROWS=()
row() { # row FIGURE "median min max" UNIT COMMAND
	local m lo hi
	read -r m lo hi <<<"$2"
	ROWS+=("| $1 | $m $3 | $lo .. $hi | \`$4\` |")
}

# A concbench field or metric: cbfig CSV WORKLOAD MODE (ops_per_s|ns_per_op|metric:NAME)
cbfig() {
	python3 - "$@" <<'EOF'
import csv, sys
path, wl, mode, what = sys.argv[1:5]
for r in csv.DictReader(open(path)):
    if r["workload"] != wl or r["mode"] != mode or r["status"] != "ok":
        continue
    if what == "ops_per_s":
        print(r["ops_per_s"])
    elif what == "ns_per_op":
        print(1e9 / float(r["ops_per_s"]))
    else:
        m = dict(kv.split("=", 1) for kv in r["metrics"].split(";") if "=" in kv)
        print(m[what.split(":", 1)[1]])
EOF
}

echo "bench-sync: concbench runs ($RUNS reps per cell)" >&2
LOCK_CMD="$CB -w lock.mutex -m seq,threads,procs -j $WORKERS --runs=$RUNS"
$LOCK_CMD --csv="$OUT/lock.csv" -q >"$OUT/lock.txt"
EV_CMD="$CB -w event -m threads,procs -j $WORKERS --runs=$RUNS"
$EV_CMD --csv="$OUT/event.csv" -q >"$OUT/event.txt"

row "concbench lock.mutex seq: ns per lock+unlock (1 worker)" \
	"$(cbfig "$OUT/lock.csv" lock.mutex seq ns_per_op | stats)" ns "$LOCK_CMD"
row "concbench lock.mutex: uncontended_ns probe (private mutex)" \
	"$(cbfig "$OUT/lock.csv" lock.mutex seq metric:uncontended_ns | stats)" ns "$LOCK_CMD"

echo "bench-sync: peers ($PEER_RUNS runs each)" >&2
if have sysbench; then
	SB1="sysbench mutex --threads=1 --mutex-num=1 --mutex-locks=$LOCKS --mutex-loops=0 run"
	SB2="sysbench mutex --threads=$WORKERS --mutex-num=1 --mutex-locks=$LOCKS --mutex-loops=0 run"
	for _ in $(seq "$PEER_RUNS"); do
		$SB1 | awk -v n="$LOCKS" '/total time:/ {sub("s","",$3); print $3 * 1e9 / n}'
	done >"$OUT/sysbench-1.txt"
	for _ in $(seq "$PEER_RUNS"); do
		$SB2 | awk -v n="$LOCKS" -v w="$WORKERS" '/total time:/ {sub("s","",$3); print n * w / $3}'
	done >"$OUT/sysbench-2.txt"
	row "sysbench mutex, 1 thread: ns per lock+unlock" "$(stats <"$OUT/sysbench-1.txt")" ns "$SB1"
fi

row "concbench lock.mutex threads, $WORKERS workers: contended ops/s" \
	"$(cbfig "$OUT/lock.csv" lock.mutex threads ops_per_s | stats)" ops/s "$LOCK_CMD"
row "concbench lock.mutex procs, $WORKERS workers: contended ops/s" \
	"$(cbfig "$OUT/lock.csv" lock.mutex procs ops_per_s | stats)" ops/s "$LOCK_CMD"
if have sysbench; then
	row "sysbench mutex, $WORKERS threads, one mutex: ops/s" "$(stats <"$OUT/sysbench-2.txt")" \
		ops/s "$SB2"
fi
if have stress-ng; then
	SN="stress-ng --mutex $WORKERS --mutex-ops 200000 --metrics-brief"
	for _ in $(seq "$PEER_RUNS"); do
		$SN 2>&1 | tee -a "$OUT/stress-ng.log" |
			awk '$4 == "mutex" && $5 ~ /^[0-9]+$/ {print $9}'
	done >"$OUT/stress-ng.txt"
	row "stress-ng --mutex $WORKERS: bogo ops/s (real time)" "$(stats <"$OUT/stress-ng.txt")" \
		ops/s "$SN"
fi
if have perf; then
	PF="perf bench futex lock-pi -t $WORKERS -r 2"
	for _ in $(seq "$PEER_RUNS"); do
		$PF 2>&1 | awk '/^Averaged/ {print $2}'
	done >"$OUT/futex-lock-pi.txt"
	row "perf bench futex lock-pi, $WORKERS threads: ops/s" \
		"$(stats <"$OUT/futex-lock-pi.txt")" ops/s "$PF"
fi

for mode in threads procs; do
	row "concbench event $mode: wake-up latency p50" \
		"$(cbfig "$OUT/event.csv" event $mode metric:wake_p50_us | stats)" us "$EV_CMD"
	row "concbench event $mode: wake-up latency p99" \
		"$(cbfig "$OUT/event.csv" event $mode metric:wake_p99_us | stats)" us "$EV_CMD"
	row "concbench event $mode: never-set 1 ms wait, overshoot p99" \
		"$(cbfig "$OUT/event.csv" event $mode metric:timeout_overshoot_p99_us | stats)" us \
		"$EV_CMD"
done
if have perf; then
	for t in "-T" ""; do
		PP="perf bench sched pipe${t:+ $t} -l 100000"
		for _ in $(seq "$PEER_RUNS"); do
			$PP 2>&1 | awk '/usecs\/op/ {print $1 / 2}'
		done >"$OUT/sched-pipe$t.txt"
		row "perf bench sched pipe, ${t:+threads}${t:-processes}: one-way wake-up (round trip / 2)" \
			"$(stats <"$OUT/sched-pipe$t.txt")" us "$PP"
	done
	PW="perf bench futex wake -t 1 -w 1"
	for _ in $(seq "$PEER_RUNS"); do
		$PW 2>&1 | awk '/^Wokeup/ {print $7 * 1000}'
	done >"$OUT/futex-wake.txt"
	row "perf bench futex wake, 1 waiter: futex_wake() call" "$(stats <"$OUT/futex-wake.txt")" us \
		"$PW"
fi

echo "| figure | median | spread (min .. max) | command |"
echo "|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
