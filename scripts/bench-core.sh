#!/usr/bin/env bash
# The core's benchmark targets (issue 2), measured on this machine:
#  1. `concbench --mode=threads --workload=cpu` with defaults: whole-run time (target <= 5 s)
#  2. cpu kernels at 2 workers: speedup and efficiency in threads and procs (target >= 1.8, >= 0.9)
#  3. 100,000 empty tasks through each pool: dispatch cost per task (thread pool <= 1 us)
#  4. harness cost: seq mode vs the kernel called in a plain loop (target within 2%)
# Prints figures; gates nothing (timings belong in benchmarks, not tests).
# ONLY=24 runs sections 2 and 4 only; REPS=N sets the reps (default 10).
set -euo pipefail
bin=${1:-bin/concbench}
plain=${2:-build/release/plainloop}
out=${OUT:-results/bench-core}
mkdir -p "$out"
reps=${REPS:-10}
only=${ONLY:-1234}

if [[ $only == *1* ]]; then
echo "== 1. whole run: concbench --mode=threads --workload=cpu (defaults), 5 runs"
for i in 1 2 3 4 5; do
	s=$(date +%s.%N)
	"$bin" --mode=threads --workload=cpu --no-csv -q >/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc
done | sort -n | awk '{a[NR]=$1} END {printf "   median %.2f s  (min %.2f, max %.2f)\n", a[int((NR+1)/2)], a[1], a[NR]}'
fi

if [[ $only == *2* ]]; then
echo "== 2. cpu kernels, seq vs threads vs procs at 2 workers, $reps reps"
"$bin" --mode=seq,threads,procs --workload=cpu --workers=2 --runs="$reps" --csv="$out/speedup.csv" -q
fi

if [[ $only == *3* ]]; then
echo "== 3. dispatch cost per task, pool.empty"
"$bin" --mode=seq,threads,procs --workload=pool.empty --tasks=100000 --workers=2 --runs="$reps" \
	--csv="$out/dispatch-pools.csv" -q
"$bin" --mode=seq,thread-per-task,fork-per-task --workload=pool.empty --tasks=10000 --workers=2 \
	--runs=5 --csv="$out/dispatch-per-task.csv" -q
python3 - "$out/dispatch-pools.csv" "$out/dispatch-per-task.csv" <<'PY'
import csv, statistics, sys
for f in sys.argv[1:]:
    per = {}
    for r in csv.DictReader(open(f)):
        per.setdefault(r["mode"], []).append(float(r["wall_s"]) / int(r["tasks"]) * 1e6)
    for m, v in per.items():
        print(f"   {m:16s} {statistics.median(v):9.3f} us per task (median of {len(v)}; min {min(v):.3f}, max {max(v):.3f})")
PY
fi

if [[ $only == *4* ]]; then
echo "== 4. harness cost: seq mode vs a plain loop over the same tasks (interleaved, 6 rounds)"
for w in cpu.matmul cpu.mandelbrot cpu.primes cpu.montecarlo; do
	rm -f "$out/plain-$w.txt" "$out/seq-$w".*.csv
	for round in 1 2 3 4 5 6; do
		"$plain" "$w" medium 5 >>"$out/plain-$w.txt"
		"$bin" --mode=seq --workload="$w" --runs=5 --csv="$out/seq-$w.$round.csv" -q >/dev/null
	done
	python3 - "$w" "$out/plain-$w.txt" "$out"/seq-"$w".*.csv <<'PY'
import csv, statistics, sys
w, plain, seqs = sys.argv[1], sys.argv[2], sys.argv[3:]
p = [float(x) for x in open(plain)]
s = [statistics.median(float(r["wall_s"]) for r in csv.DictReader(open(f))) for f in seqs]
d = [(b / a - 1) * 100 for a, b in zip(p, s)]
print(f"   {w:16s} plain {statistics.median(p)*1e3:8.2f} ms  seq {statistics.median(s)*1e3:8.2f} ms"
      f"  cost {statistics.median(d):+.2f}% (median of {len(d)} paired rounds; min {min(d):+.2f}%, max {max(d):+.2f}%)")
PY
done
fi
