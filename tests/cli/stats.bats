#!/usr/bin/env bats
# The figures users read: one speedup (throughput ratio for benches) in the
# table, markdown and JSON; intervals labelled with the confidence they
# achieve; report readings that claim only what their interval supports.
load helpers

# hl FILE WORKLOAD MODE WORKERS COLUMN RATES: the Hodges-Lehmann speedup of
# the cell over seq from the CSV, by the textbook definition (the median of
# every pairwise ratio), in plain Python: cell/seq for rates, seq/cell else.
hl() {
	python3 - "$@" <<'PY'
import csv, statistics, sys
f, w, mode, workers, col, rates = sys.argv[1:]
rows = [r for r in csv.DictReader(open(f)) if r["workload"] == w and r["verified"] == "1"]
seq = [float(r[col]) for r in rows if r["mode"] == "seq"]
cell = [float(r[col]) for r in rows if r["mode"] == mode and r["workers"] == workers]
print(statistics.median([c / s if rates == "1" else s / c for s in seq for c in cell]))
PY
}

json_field() { # json_field FILE NAME FIELD: FIELD of the median aggregate NAME
	jq -r --arg n "$2_median" ".benchmarks[] | select(.name == \$n) | .$3" "$1"
}

@test "bench speedup is the throughput ratio, the same in the table, markdown and JSON" {
	run "$CB" -w lock.mutex,cpu.primes -s small -m seq,threads -j 2 --runs=3 --warmup=0 \
		--csv=a.csv --json=a.json
	[ "$status" -eq 0 ]
	table=$output
	# a bench: 2 workers do twice the operations of seq, so ops/s is compared
	want=$(hl a.csv lock.mutex threads 2 ops_per_s 1)
	got=$(json_field a.json lock.mutex/mode:threads/workers:2 speedup)
	python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(abs(a - b) > 1e-6 * b)" "$got" "$want"
	[ "$(json_field a.json lock.mutex/mode:threads/workers:2 speedup_of)" = items_per_second ]
	grep -E "^lock.mutex +threads .* $(printf '%.2f' "$want")x \[" <<<"$table"
	# a workload: the same work in every mode, so wall times are compared
	want=$(hl a.csv cpu.primes threads 2 wall_s 0)
	got=$(json_field a.json cpu.primes/mode:threads/workers:2 speedup)
	python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(abs(a - b) > 1e-6 * b)" "$got" "$want"
	grep -E "^cpu.primes +threads .* $(printf '%.2f' "$want")x \[" <<<"$table"
	# markdown prints the same figure
	run "$CB" -w lock.mutex -s small -m seq,threads -j 2 --runs=3 --warmup=0 --csv=b.csv \
		--format=markdown
	[ "$status" -eq 0 ]
	want=$(hl b.csv lock.mutex threads 2 ops_per_s 1)
	grep -E "^\| lock.mutex \| threads \| 2 \| .* \| $(printf '%.2f' "$want")× \[" <<<"$output"
}

@test "intervals are labelled with the confidence they achieve, not 95%" {
	run "$CB" -w cpu.primes -s small -m seq,threads -j 2 --runs=3 --warmup=0 --csv=a.csv \
		--json=a.json
	[ "$status" -eq 0 ]
	[[ "$output" != *"95% CI"* ]]
	# 3 reps: the median's [min, max] covers 75%; 3 vs 3 Hodges-Lehmann 90%
	[[ "$output" == *"median's distribution-free interval (order statistics), confidence 75.0%"* ]]
	[[ "$output" == *"Hodges-Lehmann interval of the ratio, confidence 90.0%"* ]]
	[ "$(json_field a.json cpu.primes/mode:seq/workers:1 real_time_ci_confidence)" = 0.75 ]
	[ "$(json_field a.json cpu.primes/mode:threads/workers:2 speedup_ci_confidence)" = 0.9 ]
	run "$CB" report --no-plots -o rep a.csv
	[ "$status" -eq 0 ]
	run grep -c '95% CI' rep/report.md
	[ "$output" = 0 ]
	grep -qE '^\| threads \| 2 \| 3 \| .* \(75\.0%\) \| [0-9.]+× \[[0-9.]+–[0-9.]+\] \(90\.0%\) \|' rep/report.md
}

HEADER=schema_version,run_id,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,user_s,sys_s,cpu_util,verified,metrics

# row WORKLOAD MODE WORKERS REP WALL CPU_UTIL: one CSV row on a 2-CPU host
row() {
	echo "1,\"r\",\"h\",2,\"$1\",\"$2\",$3,8,100,$4,$5,1,0,$6,1,\"\""
}

@test "report: a reading claims only what its interval supports" {
	{
		echo "$HEADER"
		i=0
		for w in 0.31 1.95 0.42 1.80 0.55 2.10 0.38 1.70; do
			row w.noisy seq 1 $i "1.0$i" 1
			row w.noisy threads 2 $i "$w" 1.9
			# 4 workers, 3x faster on 2 CPUs, with seq CPU-bound: impossible
			row w.beyond seq 1 $i "3.0$i" 1
			row w.beyond threads 4 $i "1.0$i" 1.9
			# gil: the noisy interval straddles both readings
			row w.gil seq 1 $i "1.0$i" 1
			row w.gil gil 2 $i "$w" 1
			# clear: 2x on 2 CPUs, every pair close to 2
			row w.clear seq 1 $i "2.0$i" 1
			row w.clear threads 2 $i "1.0$i" 1.9
			i=$((i + 1))
		done
	} >s.csv
	run "$CB" report --no-plots -o rep s.csv
	[ "$status" -eq 0 ]
	grep -q '^threads [0-9.]*× at 2 workers — inconclusive: too noisy' rep/report.md
	grep -q '^threads [0-9.]*× at 4 workers — above the CPU count: a baseline artefact' rep/report.md
	grep -q '^gil [0-9.]*× at 2 workers — inconclusive: too noisy' rep/report.md
	grep -qE '^threads 1\.9[0-9]× at 2 workers — scales \(95\.0% interval 1\.9[0-9]–2\.0[0-9]\)' rep/report.md
	run grep -c 'overlaps waiting despite the GIL' rep/report.md
	[ "$output" = 0 ]
}
