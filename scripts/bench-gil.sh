#!/usr/bin/env bash
# bench-gil.sh - the figures of issue 3 (mode gil), as markdown on stdout and
# raw CSV under $OUT:
#   1. cpu kernels: seq, threads and gil at 2 and 4 workers in one invocation
#   2. GIL switch rate at 5 ms (from 1) and 1 ms
#   3. GIL-released / blocking work: cpu.hash (and sleep, when registered)
#   4. convoy: `mixed` at switch intervals 5 ms, 1 ms, 0.1 ms
#   5. hook cost outside gil mode: seq with hooks vs -DCONCBENCH_NO_GIL_HOOKS
#   6. real CPython: scripts/python-reference (threading / multiprocessing)
# Usage: scripts/bench-gil.sh [BIN]   (RUNS=5 OUT=results/bench-gil HOOK_ROUNDS=5
#        SECTIONS=123456: which of the sections to run)
# Section 5 builds both of its binaries from the working tree (build/hooks-on,
# build/hooks-off) so that they differ only in -DCONCBENCH_NO_GIL_HOOKS.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-bin/concbench}
OUT=${OUT:-results/bench-gil}
RUNS=${RUNS:-5}
HOOK_ROUNDS=${HOOK_ROUNDS:-5}
SECTIONS=${SECTIONS:-123456}
PY=${PYTHON:-/usr/bin/python3}
SUM="$PY scripts/gil-summary.py"
mkdir -p "$OUT"

section() { printf '\n### %s\n\n' "$*"; }
cmd() { printf '`%s`\n\n' "$*" >&2; "$@"; }
note_load() { printf 'load average before: %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"; }
want() { [[ $SECTIONS == *$1* ]]; }

if want 1; then
section "1-2. cpu kernels: seq, threads, gil (interval 5 ms) at 2 and 4 workers"
note_load
cmd "$BIN" -q -m seq,threads,gil -w cpu -j 2,4 -r "$RUNS" --csv="$OUT/cpu.csv" >/dev/null
$SUM speedup "$OUT/cpu.csv"
fi

if want 2; then
section "2. switch rate at interval 1 ms"
cmd "$BIN" -q -m gil -w cpu.mandelbrot,cpu.primes -j 2,4 -r "$RUNS" --switch-interval=1ms \
	--csv="$OUT/switch-1ms.csv" >/dev/null
$SUM speedup "$OUT/switch-1ms.csv"
fi

if want 3; then
section "3. GIL-released and blocking work: gil vs threads"
blocking=cpu.hash
if "$BIN" list | grep -q '^  sleep '; then blocking=cpu.hash,sleep; fi
cmd "$BIN" -q -m seq,threads,gil -w "$blocking" -j 2,4 -r "$RUNS" --csv="$OUT/blocking.csv" >/dev/null
$SUM speedup "$OUT/blocking.csv"
fi

if want 4; then
section "4. convoy: mixed (1 s of ping-pong per rep) beside 1 and 3 CPU-bound workers"
note_load
cmd "$BIN" -q -m seq,threads,procs,gil -w mixed -j 2,4 -r "$RUNS" --switch-interval=5ms \
	--csv="$OUT/mixed-5ms.csv" >/dev/null
for iv in 1ms 0.1ms; do
	cmd "$BIN" -q -m gil -w mixed -j 2,4 -r "$RUNS" --switch-interval=$iv \
		--csv="$OUT/mixed-$iv.csv" >/dev/null
done
$SUM mixed "$OUT"/mixed-*.csv
fi

if want 5; then
section "5. hook cost outside gil mode (seq, $HOOK_ROUNDS alternating rounds x 3 reps)"
make --no-print-directory -s O=build/hooks-on CFLAGS="-O2 -g" >/dev/null
make --no-print-directory -s O=build/hooks-off CFLAGS="-O2 -g -DCONCBENCH_NO_GIL_HOOKS" >/dev/null
HOOKS=build/hooks-on/release/concbench
NOHOOKS=build/hooks-off/release/concbench
if "$NOHOOKS" list | grep -q '^  gil '; then
	echo "bench-gil: $NOHOOKS still offers mode gil: hooks not compiled out" >&2
	exit 1
fi
note_load
rm -f "$OUT"/hooks-*.csv
for r in $(seq "$HOOK_ROUNDS"); do
	"$HOOKS" -q -m seq -w cpu -r 3 --csv="$OUT/hooks-on-$r.csv" >/dev/null
	"$NOHOOKS" -q -m seq -w cpu -r 3 --csv="$OUT/hooks-off-$r.csv" >/dev/null
done
"$PY" - "$OUT" <<'EOF'
import csv, glob, sys
out = sys.argv[1]
for kind in ("on", "off"):
    rows = []
    for p in sorted(glob.glob("%s/hooks-%s-*.csv" % (out, kind))):
        with open(p, newline="") as f:
            r = list(csv.reader(f))
            hdr, rows = r[0], rows + r[1:]
    with open("%s/hooks-%s.csv" % (out, kind), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(hdr)
        w.writerows(rows)
EOF
$SUM hooks "$OUT/hooks-on.csv" "$OUT/hooks-off.csv"
if command -v valgrind >/dev/null; then
	printf '\nInstructions executed (callgrind Ir, whole process, seq, size small): load-independent.\n\n'
	printf '| kernel | with hooks | without | cost |\n|---|---:|---:|---:|\n'
	for k in cpu.matmul cpu.mandelbrot cpu.primes cpu.montecarlo; do
		ir() {
			valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" -q -m seq -w "$k" \
				-s small --runs=1 --warmup=0 --no-csv 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
		}
		on=$(ir "$HOOKS") off=$(ir "$NOHOOKS")
		printf '| %s | %s | %s | %+.3f%% |\n' "$k" "$on" "$off" \
			"$("$PY" -c "print(($on / $off - 1) * 100)")"
	done
fi

fi

if want 6; then
section "6. real CPython $($PY -c 'import platform; print(platform.python_version())') (python-reference)"
note_load
cmd "$PY" scripts/python-reference --workers=1,2,4 --runs=3 --csv="$OUT/python.csv" 2>/dev/null
$SUM speedup "$OUT/python.csv"
for iv in 1ms 0.1ms; do
	cmd "$PY" scripts/python-reference --workload=mixed --modes=py-threads --workers=2,4 --runs=3 \
		--switch-interval=$iv --csv="$OUT/python-mixed-$iv.csv" 2>/dev/null
done
$SUM mixed "$OUT/python.csv" "$OUT"/python-mixed-*.csv
fi
