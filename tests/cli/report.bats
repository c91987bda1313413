#!/usr/bin/env bats
# report, compare, the exports (--json, --format=markdown) and the progress
# line: what users and CI scripts read.
load helpers

HEADER=schema_version,run_id,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,user_s,sys_s,cpu_util,verified,metrics

# synth FILE FACTOR WORKERS...: a concbench CSV with fixed numbers, 8 reps
# per cell of w.x in seq (workers 1) and threads (each WORKERS), wall time
# (1 + rep/100) * FACTOR / workers. Deterministic: no timing in the test.
synth() {
	local f=$1 k=$2
	shift 2
	echo "$HEADER" >"$f"
	for rep in 0 1 2 3 4 5 6 7; do
		echo "1,\"r\",\"hostA\",2,\"w.x\",\"seq\",1,8,100,$rep,$(awk "BEGIN { printf \"%.6f\", (1 + $rep / 100) * $k }"),1,0,1,1,\"\"" >>"$f"
		for w in "$@"; do
			echo "1,\"r\",\"hostA\",2,\"w.x\",\"threads\",$w,8,100,$rep,$(awk "BEGIN { printf \"%.6f\", (1 + $rep / 100) * $k / $w }"),1,0,1.9,1,\"\"" >>"$f"
		done
	done
}

small_run() { # small_run CSV [more options]: a real sweep, fast
	local f=$1
	shift
	"$CB" -w cpu.primes -s small -m seq,threads,procs -j 1,2 --runs=2 --warmup=0 -q --csv="$f" "$@" >/dev/null
}

@test "a sweep over modes and workers is one invocation and one CSV" {
	run "$CB" -w cpu.primes,cpu.montecarlo -s small -m seq,threads,procs -j 1,2,4 --runs=2 \
		--warmup=0 -q --csv=sweep.csv
	[ "$status" -eq 0 ]
	# per workload: seq + threads x 3 + procs x 3 cells, 2 reps each
	for w in cpu.primes cpu.montecarlo; do
		[ "$(grep -c ",\"$w\"," sweep.csv)" -eq 14 ]
		for m in threads procs; do
			[ "$(grep ",\"$w\",\"$m\"," sweep.csv | cut -d, -f8 | sort -u | paste -sd,)" = "1,2,4" ]
		done
	done
	[ "$(cut -d, -f2 sweep.csv | sort -u | wc -l)" -eq 2 ] # header + one run_id
}

@test "report writes report.md and a self-contained index.html with plots" {
	small_run a.csv
	run "$CB" report -o rep a.csv
	[ "$status" -eq 0 ]
	grep -q '^### cpu.primes — size 100000' rep/report.md
	grep -q '^| mode | workers | reps | median | interval (conf.) | speedup \[interval\] (conf.)' rep/report.md
	grep -q '^| threads | 2 | 2 |' rep/report.md
	grep -q '^| procs | 2 | 2 |' rep/report.md
	# the one-line reading names the modes and what the work is
	grep -qE '^threads [0-9.]+× at .* — .*; procs .*seq (uses|got) [0-9]+% of a CPU' rep/report.md
	svg=$(sed -n 's/^!\[cpu.primes\](\(.*\))$/\1/p' rep/report.md)
	[ -n "$svg" ]
	grep -q '<svg' "rep/$svg"
	grep -q 'speedup vs workers' "rep/$svg"
	grep -q 'ideal' "rep/$svg"
	grep -q 'GIL wait share' "rep/$svg"
	# self-contained: the plot inline, nothing fetched
	grep -q 'src="data:image/svg+xml;base64,' rep/index.html
	run ! grep -q -e 'src="http' -e '<link' -e '<script' rep/index.html
	grep -q '<table>' rep/index.html
}

@test "report groups files of several hosts by host" {
	synth a.csv 1 2
	synth b.csv 2 2
	sed -i 's/"hostA"/"hostB"/' b.csv
	run "$CB" report --no-plots -o rep a.csv b.csv
	[ "$status" -eq 0 ]
	[ "$(grep -c '^## host ' rep/report.md)" -eq 2 ]
	grep -q '^## host hostA' rep/report.md
	grep -q '^## host hostB' rep/report.md
	[ "$(grep -c '^### w.x' rep/report.md)" -eq 2 ]
	# speedup 2x at 2 workers on 2 CPUs: scales
	grep -q 'threads 2.00× at 2 workers — scales' rep/report.md
}

@test "report never runs commands named in a CSV (gnuplot backquotes)" {
	command -v gnuplot >/dev/null || skip "gnuplot missing"
	synth a.csv 1 2
	# a host with a quote and a backslash, a workload name with a backquote
	sed -i "s#\"hostA\"#\"h\`touch $TMP/pwned1\`'\\\\\`touch $TMP/pwned2\`\"#; s#\"w.x\"#\"w\`touch $TMP/pwned3\`\"#" a.csv
	grep -q pwned3 a.csv
	run "$CB" report -o rep a.csv
	[ "$status" -eq 0 ]
			[ ! -e "$TMP/pwned1" ]
	[ ! -e "$TMP/pwned2" ]
	[ ! -e "$TMP/pwned3" ]

	# and the plot was drawn, with the names as plain text in it
	grep -q 'src="data:image/svg+xml;base64,' rep/index.html
	grep -rq 'touch' rep/plots/*/*.svg

}

@test "report works for benches: throughput ratios" {

	bench=$("$CB" list | awk '/^benches/ { on = 1; next } /^modes:/ { exit } on && /^  [a-z]/ { print $1; exit }')
	[ -n "$bench" ] || skip "no bench registered"
	run "$CB" -w "$bench" -s small -m seq,threads -j 2 --runs=2 --warmup=0 -q --csv=b.csv
	[ -s b.csv ]
	run "$CB" report --no-plots -o rep b.csv
	[ "$status" -eq 0 ]
	# one group per bench, whatever the worker count (tasks = workers)
	[ "$(grep -c "^### $bench " rep/report.md)" -eq 1 ]
	grep -q 'throughput ratios' rep/report.md
}

bad_report() { # bad_report FILE EXPECTED-MESSAGE
	run "$CB" report --no-plots -o rep "$1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$2"* ]]
}

@test "report: bad input names the file and line, exit 2" {
	synth good.csv 1 2
	: >empty.csv
	bad_report empty.csv "concbench: report: empty.csv:1: empty file"
	printf '\xef\xbb\xbf' >bom.csv
	cat good.csv >>bom.csv
	bad_report bom.csv "concbench: report: bom.csv:1: starts with a UTF-8 byte-order mark"
	cut -d, -f1-10,12- good.csv >nowall.csv
	bad_report nowall.csv "concbench: report: nowall.csv:1: missing column 'wall_s'"
	sed '3s/,8,100,\([0-9]\),[0-9.]*,/,8,100,\1,slow,/' good.csv >type.csv
	bad_report type.csv "concbench: report: type.csv:3: column wall_s: 'slow' is not a number"
	sed '4s/,[^,]*$//' good.csv >ragged.csv
	bad_report ragged.csv "concbench: report: ragged.csv:4: 15 fields, but the header has 16"
	sed '2s/^[0-9]*,/9,/' good.csv >v9.csv
	bad_report v9.csv "concbench: report: v9.csv:2: schema_version 9; this concbench reads schema_version 1 to 2"
	printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' >img.csv
	bad_report img.csv "concbench: report: img.csv:"
	[[ "$output" == *"not CSV"* ]]
	echo '{"benchmarks": []}' >j.csv
	bad_report j.csv "concbench: report: j.csv:1: not"
	bad_report missing.csv "concbench: report: missing.csv: No such file or directory"
	run "$CB" report
	[ "$status" -eq 2 ]
	[ ! -e rep/report.md ]
}

@test "compare: no change passes, exit 0" {
	synth base.csv 1 2 4
	synth head.csv 1 2 4
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 0 ]
	[ "$(grep -c ' pass (' <<<"$output")" -eq 3 ]
	grep -q '^summary: 3 pass, 0 regression' <<<"$output"
}

@test "compare: 50% slower is a regression, exit 1; faster is an improvement, exit 0" {
	synth base.csv 1 2
	synth head.csv 1.5 2
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	grep -q 'w.x .* seq .* 1\.500 .* regression' <<<"$output"
	run "$CB" compare head.csv base.csv
	[ "$status" -eq 0 ]
	grep -q 'improvement' <<<"$output"
	# the threshold decides what counts
	run "$CB" compare --threshold=60% base.csv head.csv
	[ "$status" -eq 0 ]
}

@test "compare: markdown output, cells in one file only are listed" {
	synth base.csv 1 2 4
	synth head.csv 1 2
	run "$CB" compare --format=markdown base.csv head.csv
	[ "$status" -eq 0 ]
	grep -q '^| workload | mode | workers |' <<<"$output"
	grep -q '^| w.x | threads | 2 | 8/8 |' <<<"$output"
	grep -q 'only in base (base.csv): w.x threads workers=4 tasks=8 size=100 (8 reps)' <<<"$output"
	grep -q '^\*\*summary:\*\* 2 pass' <<<"$output"
}

@test "compare: an unverified head rep fails the gate" {
	synth base.csv 1 2
	synth head.csv 1 2
	sed -i '5s/,1,""$/,0,""/' head.csv
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	grep -q 'unverified' <<<"$output"
}

@test "compare: usage errors exit 2" {
	synth base.csv 1 2
	run "$CB" compare base.csv
	[ "$status" -eq 2 ]
	run "$CB" compare --threshold=lots base.csv base.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: compare: --threshold: 'lots'"* ]]
	run "$CB" compare --alpha=2 base.csv base.csv
	[ "$status" -eq 2 ]
	run "$CB" compare --metric=nope base.csv base.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"--metric: 'nope'"* ]]
	: >empty.csv
	run "$CB" compare base.csv empty.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: compare: empty.csv:1: empty file"* ]]
}

@test "--json writes Google Benchmark JSON; --format=markdown a table" {
	run "$CB" -w cpu.primes -s small -m seq,threads -j 2 --runs=2 --warmup=0 -q --no-csv \
		--json=out.json --format=markdown
	[ "$status" -eq 0 ]
	grep -q '^| workload | mode | workers |' <<<"$output"
	grep -q '^| cpu.primes | threads | 2 |' <<<"$output"
	jq -e '.context.num_cpus > 0 and (.context.host_name | length > 0)' out.json
	[ "$(jq '[.benchmarks[] | select(.run_type == "iteration" and .name == "cpu.primes/mode:threads/workers:2")] | length' out.json)" -eq 2 ]
	jq -e '.benchmarks[] | select(.aggregate_name == "median" and .run_name == "cpu.primes/mode:seq/workers:1") | .real_time > 0 and .time_unit == "us"' out.json
	no_files 'out.json.tmp.*'
}

@test "progress on a terminal only, and not with -q" {
	command -v script >/dev/null || skip "no script(1)"
	run script -qec "$CB -w cpu.primes -s small -m seq,threads -j 2 --runs=2 --no-csv" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"round 1/3, cell 1 of 2"*"elapsed"* ]]
	run script -qec "$CB -q -w cpu.primes -s small -m seq,threads -j 2 --runs=2 --no-csv" /dev/null
	[[ "$output" != *"elapsed"* ]]
	"$CB" -w cpu.primes -s small -m seq,threads -j 2 --runs=2 --no-csv 2>err >/dev/null
	run ! grep -q elapsed err
}

@test "compare: with 5+ runs a side, each run's median is one observation" {
	synth base.csv 1 2
	synth head.csv 1.5 2
	# one run_id per rep index: 8 runs of 1 rep (seq) and 1 rep (threads) each
	for f in base.csv head.csv; do
		awk -F, -v OFS=, 'NR > 1 { $2 = "\"r" $10 "\"" } 1' "$f" >"$f.runs"
	done
	run "$CB" compare base.csv.runs head.csv.runs
	[ "$status" -eq 1 ]
	grep -q 'w.x .* seq .* 8/8 in 8/8 runs .* regression' <<<"$output"
	# one run a side: the reps themselves
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	[[ "$output" != *" runs "* ]]
}

@test "make bench's script runs every listed workload and bench, then the report" {
	bench=$BATS_TEST_DIRNAME/../../scripts/bench.sh
	run env BENCH_LIST_ONLY=1 "$bench" "$CB"
	[ "$status" -eq 0 ]
	cpus=$(nproc)
	[[ "${lines[0]}" == "workers=1,"*"$((2 * cpus))" ]]
	# each worker count once (2 CPUs: 1,2,4, not 1,2,2,4)
	[ -z "$(tr , '\n' <<<"${lines[0]#workers=}" | sort -n | uniq -d)" ]
	[ "${lines[1]}" = "modes=all" ]
	# the plan is the registry as `list` shows it: nothing hard-coded
	"$CB" list | awk '/^modes:/ { exit } /^  [a-z]/ { print $1 }' >listed
	[ "$(wc -l <listed)" -ge 4 ]
	[ "$(printf '%s\n' "${lines[@]:2}" | sort)" = "$(sort listed)" ]
	run env BENCH_LIST_ONLY=1 BENCH_MODES=all,fork-per-task "$bench" "$CB"
	[ "${lines[1]}" = "modes=all,fork-per-task" ]
	run env BENCH_WORKLOADS=cpu.primes BENCH_RUNS=1 BENCH_WARMUP=0 BENCH_BUDGET=5 BENCH_OUT=out \
		"$bench" "$CB"
	[ "$status" -eq 0 ]
	ls out/bench-*.csv
	[ -f out/report-latest/report.md ]
	[ -f out/report-latest/index.html ]
	grep -q '^### cpu.primes' out/report-latest/report.md
}
