#!/usr/bin/env bats
# The CI gate: `concbench compare`'s verdicts and exit codes (0 pass,
# 1 regression, 2 error, 3 inconclusive), the cell identity compare and
# report share (runner/analysis/cell.c), and the testing-only slowdown knob
# --inject=slow=PCT. CSVs are written with fixed numbers: no timing decides
# a test.
load helpers
bats_require_minimum_version 1.5.0

HEADER=schema_version,run_id,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,user_s,sys_s,cpu_util,verified,pin,transport,switch_interval_s,params

# cells FILE NCELLS REPS SLOW_CELL FACTOR [SIZE]: NCELLS cells (workload
# w.cN, seq, 1 worker) of REPS reps each, wall time 1 +- 0.4% (a fixed
# pattern shifted by cell); cell SLOW_CELL (-1: every cell) is FACTOR slower.
cells() {
	awk -v n="$2" -v reps="$3" -v slow="$4" -v k="$5" -v size="${6:-100}" -v h="$HEADER" 'BEGIN {
		print h
		split("1.000 1.004 0.996 1.002 0.998 1.003 0.997 1.001 0.999 1.0005", base, " ")
		for (c = 0; c < n; c++)
			for (r = 0; r < reps; r++)
				printf "1,\"r\",\"h\",2,\"w.c%d\",\"seq\",1,8,%d,%d,%.6f,1,0,1,1,0,\"\",,\"\"\n",
					c, size, r, base[(r + c) % 10 + 1] * (slow < 0 || c == slow ? k : 1)
	}' >"$1"
}

@test "gate: five reps a side, 30% slower: a regression by its interval, exit 1" {
	cells base.csv 3 5 -1 1
	cells head.csv 3 5 -1 1.3
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	[ "$(grep -c 'regression (the interval lies beyond +10%)' <<<"$output")" -eq 3 ]
	grep -q '^summary: 0 pass, 3 regression' <<<"$output"
}

@test "gate: a 100-cell suite with one cell 25% slower fails on that cell alone" {
	cells base.csv 100 5 -1 1
	cells head.csv 100 5 42 1.25
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	grep -q '^summary: 99 pass, 1 regression, 0 improvement, 0 inconclusive' <<<"$output"
	grep -q '^w.c42 .* regression' <<<"$output"
	# the same suite with no change passes
	run "$CB" compare base.csv base.csv
	[ "$status" -eq 0 ]
	grep -q '^summary: 100 pass, 0 regression' <<<"$output"
}

@test "gate: a change all of a workload's cells share fails pooled when no cell can decide it" {
	workload base.csv 1
	workload head.csv 1.25
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	# each cell alone: a slow base rep puts its interval below +10%
	grep -q '^summary: 0 pass, 0 regression, 0 improvement, 5 inconclusive, 0 unverified' <<<"$output"
	line=$(grep -A2 '^pooled by workload (' <<<"$output" | tail -1)
	[[ "$line" =~ ^w\ +5\ +25/25\ +1\.2[0-9]+\ +\[1\.(1[1-9]|2)[0-9]*,\ 1\.[23][0-9]*\]\ +regression\ \(the\ pooled\ interval\ lies\ beyond\ \+10%\)$ ]] ||
		{ echo "$line"; false; }
	grep -q '^pooled by workload: 1 regression, 0 improvement, 0 pass, 0 inconclusive$' <<<"$output"
	run "$CB" compare --format=markdown base.csv head.csv
	[ "$status" -eq 1 ]
	grep -Eq '^\| w \| 5 \| 25/25 \| 1\.2[0-9]+ \| \[[0-9.]+, [0-9.]+\] \| \*\*regression\*\* ' <<<"$output"
	# the same cells unchanged: the pool passes, but never passes a cell:
	# each is still undecided alone (exit 3)
	run "$CB" compare base.csv base.csv
	[ "$status" -eq 3 ]
	grep -q '^summary: 0 pass, 0 regression, 0 improvement, 5 inconclusive' <<<"$output"
	grep -q '^pooled by workload: 0 regression, 0 improvement, 1 pass, 0 inconclusive$' <<<"$output"
	# one cell of five 25% slower: the pool does not blame the workload
	workload head1.csv 1.25 4
	run "$CB" compare base.csv head1.csv
	[ "$status" -eq 3 ]
	grep -q '^pooled by workload: 0 regression' <<<"$output"
	grep -q '^w .* procs .* 2 .* inconclusive' <<<"$output"
}

@test "gate: a pooled regression whose head reps were disturbed is inconclusive" {
	workload base.csv 1
	workload head.csv 1.25 -1 slow-cpu
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 3 ]
	grep -A2 '^pooled by workload (' <<<"$output" | tail -1 |
		grep -q "inconclusive (25 of 25 head reps were disturbed by other work on the machine (noisy column), and the rest can't decide: rerun when it is quiet)"
	# a single cell is no pool: one workload per cell shows none
	cells one.csv 3 5 -1 1
	run "$CB" compare one.csv one.csv
	[ "$status" -eq 0 ]
	run ! grep -q 'pooled' <<<"$output"
}

# masked FILE FACTOR: workload "w" as workload() does, FACTOR slower, and
# in every cell the first two invocations 50% slow and flagged slow-cpu
# (a neighbour on the vCPU, seen by the probe).
masked() {
	workload "$1.tmp" "$2"
	awk -F, -v OFS=, 'NR > 1 && $10 < 2 { $11 = $11 * 1.5; $16 = "\"slow-cpu\"" } 1' "$1.tmp" >"$1"
}

@test "gate: a pool whose undisturbed values decide is decided by them when all its values can't" {
	masked base.csv 1
	workload head.csv 1.25
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	grep -q '^summary: 0 pass, 0 regression, 0 improvement, 5 inconclusive' <<<"$output"
	line=$(grep -A2 '^pooled by workload (' <<<"$output" | tail -1)
	[[ "$line" == *"regression (the pooled interval of the 15 base and 25 head values whose reps were not disturbed lies beyond +10%: ["* ]] ||
		{ echo "$line"; false; }
	# unchanged but for the disturbed base reps: nothing to find
	workload same.csv 1
	run "$CB" compare base.csv same.csv
	[ "$status" -eq 3 ]
	grep -q '^pooled by workload: 0 regression' <<<"$output"
	# one cell with undisturbed values on both sides is no pool
	awk -F, -v OFS=, 'NR > 1 && $6 != "\"seq\"" { $16 = "\"slow-cpu\"" } 1' base.csv >one.csv
	run "$CB" compare one.csv head.csv
	[ "$status" -eq 3 ]
	grep -q '^pooled by workload: 0 regression' <<<"$output"
}

@test "gate: a side run as one invocation is not pooled: its cells share one machine state" {
	workload base.csv 1 -1 "" 0
	workload head.csv 1.25 -1 "" 0
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 3 ]
	grep -q '^summary: 0 pass, 0 regression, 0 improvement, 5 inconclusive' <<<"$output"
	run ! grep -q 'pooled' <<<"$output"
}

@test "gate: an undecided cell exits 3 and says how many reps would decide it" {
	# three reps a side: no 95% interval exists
	cells base.csv 2 3 -1 1
	cells head.csv 2 3 -1 1.3
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 3 ]
	grep -q 'inconclusive (too few reps for a 95% interval: 4 reps per side would decide)' <<<"$output"
	run "$CB" compare --inconclusive=pass base.csv head.csv
	[ "$status" -eq 0 ]
	grep -q '^summary: 0 pass, 0 regression, 0 improvement, 2 inconclusive' <<<"$output"
	# a noisy head (x 0.85 to 1.25): the interval reaches past the threshold
	cells base5.csv 1 8 -1 1
	awk -F, -v OFS=, 'NR > 1 { $11 = $11 * (0.85 + 0.1 * ($10 % 5)) } 1' base5.csv >noisy.csv
	run "$CB" compare base5.csv noisy.csv
	[ "$status" -eq 3 ]
	grep -Eq 'inconclusive \(the interval reaches past \+10%: about [0-9]+ reps per side would decide\)' <<<"$output"
	run "$CB" compare --inconclusive=maybe base5.csv noisy.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: compare: --inconclusive: 'maybe': want fail or pass"* ]]
}

@test "gate: cells that differ in size, transport, pin, switch interval or params are not matched" {
	cells base.csv 1 5 -1 1 100
	cells head.csv 1 5 -1 1 125
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 3 ]
	grep -q 'only in base (base.csv): w.c0 seq workers=1 tasks=8 size=100 pin=none (5 reps)' <<<"$output"
	grep -q 'only in head (head.csv): w.c0 seq workers=1 tasks=8 size=125 pin=none (5 reps)' <<<"$output"
	grep -q 'no cell in common' <<<"$output"
	grep -q '^note: w.c0 ran size 100 in base and 125 in head: give both sides the same --size (e.g. -s 100)' <<<"$output"
	grep -q '^summary: 0 pass, 0 regression, 0 improvement, 0 inconclusive' <<<"$output"
	# one parameter at a time: the row keeps its cell only when it is equal
	for edit in 's/,0,"",,""$/,1,"",,""/' 's/,0,"",,""$/,0,"pipe",,""/' \
		's/,0,"",,""$/,0,"",0.005,""/' 's/,0,"",,""$/,0,"",,"sleep=2ms"/' \
		's/"h",2,/"other",2,/' 's/,1,8,100,/,1,4,100,/'; do
		sed "2,\$$edit" base.csv >edited.csv
		run "$CB" compare base.csv edited.csv
		[ "$status" -eq 3 ] || { echo "$edit: $output"; false; }
		grep -q 'only in head' <<<"$output"
	done
	# what compare compares is not part of a cell: the revision, the seed
	sed 's/"r",/"other-run",/' base.csv >same.csv
	run "$CB" compare base.csv same.csv
	[ "$status" -eq 0 ]
	run ! grep -q 'only in' <<<"$output"
}

@test "gate: report shows rows of different work as separate series" {
	cells a.csv 1 3 -1 1 100
	cells b.csv 1 3 -1 1 125
	sed 's/"w.c0"/"w.c0"/; s/,"seq",1,/,"procs",2,/; s/,0,"",,""$/,0,"shm",,""/' a.csv | tail -n +2 >>a.csv
	sed 's/,"seq",1,/,"procs",2,/; s/,0,"",,""$/,0,"pipe",,""/' a.csv | grep '"shm"' | sed 's/"shm"/"pipe"/' >>a.csv
	run "$CB" report --no-plots -o rep a.csv b.csv
	[ "$status" -eq 0 ]
	grep -q '^### w.c0 — size 100, 8 tasks' rep/report.md
	grep -q '^### w.c0 — size 125, 8 tasks' rep/report.md
	grep -q '^| procs/transport=shm | 2 | 3 |' rep/report.md
	grep -q '^| procs/transport=pipe | 2 | 3 |' rep/report.md
	# pinned rows are a series of their own
	sed '2,$s/,0,"",,""$/,1,"",,""/' a.csv | grep -v procs >pinned.csv
	run "$CB" report --no-plots -o rep2 a.csv pinned.csv
	[ "$status" -eq 0 ]
	[ "$(grep -c '^### w.c0 — size 100, 8 tasks' rep2/report.md)" -eq 2 ]
	grep -q '^### w.c0 — size 100, 8 tasks, pin=mask' rep2/report.md
}

@test "gate: --inject=slow=PCT slows every task in every mode, same cells" {
	run "$CB" -w sleep --sleep=20ms -m seq,threads -j 2 --tasks=4 --runs=4 --warmup=0 -q \
		--inject=slow=100% --csv=slow.csv
	[ "$status" -eq 0 ]
	# each task sleeps >= 20 ms then spins as long again: a seq rep of 4
	# tasks takes at least 160 ms, a threads rep at 2 workers at least 80 ms
	# (lower bounds by construction; without the knob a seq rep takes ~90 ms)
	awk -F, 'NR > 1 && $7 == "\"seq\"" && $12 < 0.160 { bad = 1 }
		NR > 1 && $7 == "\"threads\"" && $12 < 0.080 { bad = 1 } END { exit bad }' slow.csv
	run "$CB" -w sleep --sleep=20ms -m seq,threads -j 2 --tasks=4 --runs=4 --warmup=0 -q \
		--csv=plain.csv
	[ "$status" -eq 0 ]
	# the knob is not written: the two runs have the same cells, and a head
	# twice as slow is a regression - unless the machine was busy while the
	# head spun (a CI pass runs the unit tests beside these): compare then
	# says its reps were disturbed, exit 3 (tests/cli/noise.bats)
	run "$CB" compare plain.csv slow.csv
	if [ "$status" -eq 3 ]; then
		grep -q 'head reps were disturbed by other work on the machine' <<<"$output" ||
			{ echo "$output"; false; }
	else
		[ "$status" -eq 1 ] || { echo "$output"; false; }
	fi
	cmp_out=$output
	run ! grep -q 'only in' <<<"$cmp_out"
	# both cells matched, each about twice as slow
	[ "$(awk '$1 == "sleep" && $9 + 0 > 1.8 { n++ } END { print n + 0 }' <<<"$cmp_out")" -eq 2 ]
	run "$CB" -w sleep -m seq --runs=1 --inject=slow=fast --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: --inject: 'slow=fast'"* ]]
	run "$CB" -w sleep -m seq --runs=1 --inject=slow=0% --no-csv
	[ "$status" -eq 2 ]
}

@test "gate: runs whose sizes --min-rep-time calibrated differently are named, with the fix" {
	# the base calibrated its size (a seq rep of at least 50 ms); the head
	# ran the size it was given: a slower build calibrates a smaller size,
	# and compare must say why nothing matched rather than only list cells
	"$CB" -w cpu.primes -m seq --runs=1 --warmup=0 -s 100000 --min-rep-time=50ms --quiet --csv=base.csv
	"$CB" -w cpu.primes -m seq --runs=1 --warmup=0 -s 100000 --quiet --csv=head.csv
	size=$(col base.csv size | head -1)
	[ "$size" -gt 100000 ]
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 3 ]
	grep -q "^note: cpu.primes ran size $size in base and 100000 in head (--min-rep-time calibrated each run's size to its own speed; a slower build picks a smaller size): give both sides the same --size (e.g. -s $size) to compare them" <<<"$output"
	[ "$(grep -c '^note: cpu.primes ran size' <<<"$output")" -eq 1 ]
}
