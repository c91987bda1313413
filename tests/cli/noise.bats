#!/usr/bin/env bats
# Noise you can see: a rep disturbed by other work on the machine is
# flagged in its row (noisy, foreign_share), and compare does not call a
# regression that the disturbance can explain (one the undisturbed reps
# decide alone stands).
load helpers
bats_require_minimum_version 1.5.0

@test "a rep beside a busy process is flagged: other processes' CPU share, noisy column" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
	# a busy loop on CPU 1; the run on CPUs 0-1: its worker shares a CPU
	# with it (run-queue) or runs beside it (other-load), either way flagged
	taskset -c 1 sh -c 'while :; do :; done' &
	hog=$!
	run taskset -c 0,1 "$CB" -w cpu.montecarlo -s 60000000 -m seq --runs=3 --warmup=0 \
		--min-rep-time=0 --csv=out.csv
	kill "$hog"
	wait "$hog" || true
	[ "$status" -eq 0 ]
	# shown when the test fails
	paste <(col out.csv noisy) <(col out.csv foreign_share) <(col out.csv runq_share) \
		<(col out.csv steal_share) <(col out.csv worker_cpus)
	for s in $(col out.csv foreign_share); do
		python3 -c "import sys; sys.exit(0 if float('$s') > 0.2 else 1)"
	done
	# which flag comes first depends on where the worker ran (and the
	# hypervisor may steal, or a neighbour on the host slow the CPU: the
	# probe after the rep): every rep carries one
	[ "$(col out.csv noisy | grep -c -E '^(other-load|run-queue|steal|slow-cpu)$')" -eq 3 ]
}

# The note under the table: "note: D of N reps ran disturbed (noisy column:
# CAUSE K, ...)"; the reps the table counts are the kept ones of the CSV.
check_disturbed_note() { # CSV
	local n d note sum
	n=$(col "$1" noisy 'r["status"] == "ok" and r["discarded"] == "0"' | wc -l)
	d=$(col "$1" noisy 'r["status"] == "ok" and r["discarded"] == "0" and r["noisy"] != ""' | wc -l)
	note=$(grep '^note: [0-9]* of [0-9]* reps ran disturbed' <<<"$output" || true)
	if [ "$d" -eq 0 ]; then
		[ -z "$note" ] || { echo "a note without disturbed reps: $note"; return 1; }
		return 0
	fi
	[[ "$note" == "note: $d of $n reps ran disturbed (noisy column: "*"); the figures above include them"* ]] ||
		{ echo "want $d of $n: '$note'"; return 1; }
	sum=$(grep -oE '(steal|slow-cpu|run-queue|other-load) [0-9]+' <<<"$note" | awk '{ s += $2 } END { print s + 0 }')
	[ "$sum" -eq "$d" ] || { echo "causes add up to $sum, not $d: $note"; return 1; }
}

@test "the table says how many of its reps ran disturbed, by cause, as the noisy column does" {
	run "$CB" -w cpu.primes -m seq,threads -j 2 -s small --runs=3 --inject=slowcpu-all=1000% \
		--csv=out.csv
	[ "$status" -eq 0 ]
	# every rep slowed by the knob (the note counts kept reps only)
	[ "$(col out.csv noisy 'r["noisy"] == ""' | wc -l)" -eq 0 ]
	check_disturbed_note out.csv
	grep -q '^note: 6 of 6 reps ran disturbed' <<<"$output"
	# a run as it comes: the note when its CSV flags a rep, none when not
	run "$CB" -w cpu.primes -m seq,threads -j 2 -s small --runs=3 --csv=out2.csv
	[ "$status" -eq 0 ]
	check_disturbed_note out2.csv
}

# reps FILE FACTOR NOISY [N]: 2 cells x 6 reps, wall 1 s x FACTOR (+- 0.4%),
# the noisy column NOISY on the first N reps of each (default: every rep),
# which are also 20% slower when N is given
reps() {
	awk -v k="$2" -v noisy="$3" -v nd="${4:-6}" -v slow="${4:+1.2}" 'BEGIN {
		print "schema_version,run_id,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,user_s,sys_s,cpu_util,verified,noisy"
		split("1.000 1.004 0.996 1.002 0.998 1.003", b, " ")
		for (c = 0; c < 2; c++)
			for (r = 0; r < 6; r++)
				printf "2,\"r\",\"h\",2,\"w.c%d\",\"seq\",1,8,100,%d,%.6f,1,0,1,1,\"%s\"\n", c, r,
					b[r + 1] * k * (r < nd && slow ? slow : 1), r < nd ? noisy : ""
	}' >"$1"
}

@test "compare: a slower head whose reps were disturbed is inconclusive, unless the rest decide" {
	reps base.csv 1 ""
	reps head.csv 1.3 other-load
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 3 ]
	grep -q "^w.c0 .* inconclusive (6 of 6 head reps were disturbed by other work on the machine (noisy column), and the rest can't decide: rerun when it is quiet)" <<<"$output"
	grep -q '^summary: 0 pass, 0 regression, 0 improvement, 2 inconclusive' <<<"$output"
	# the same numbers without the flags: a regression
	reps head.csv 1.3 ""
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	grep -q '^summary: 0 pass, 2 regression' <<<"$output"
	# a disturbed base makes a slower head look no worse: still a regression
	reps base.csv 1 run-queue
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	# 2 of 6 head reps disturbed (and slower still): set aside, the other 4
	# still lie beyond +10%, so the regression stands and says so
	reps base.csv 1 ""
	reps head.csv 1.3 other-load 2
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	grep -q '^w.c0 .* regression (the interval lies beyond +10%; so on the 4 undisturbed head reps too: \[1.2[0-9]*, 1.3[0-9]*\])' <<<"$output" ||
		{ echo "$output"; false; }
	# an improvement whose base was disturbed is not claimed
	reps base.csv 1 run-queue
	reps head.csv 0.7 ""
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 3 ]
	grep -q 'of 6 base reps were disturbed' <<<"$output"
}

# flagged FILE FACTOR FLAGGED SLOWER: workload() (helpers.bash) FACTOR
# slower, without its slow rep; the first FLAGGED reps of each cell
# flagged slow-cpu and SLOWER times slower.
flagged() {
	workload "$1.tmp" "$2" -1 "" "" 1
	awk -F, -v OFS=, -v nf="$3" -v sl="$4" \
		'NR > 1 && $10 < nf { $11 = $11 * sl; $16 = "\"slow-cpu\"" } 1' "$1.tmp" >"$1"
}

@test "compare: flagged reps that ran no slower than the rest of their workload are not set aside" {
	# the base's flagged reps ran as fast as its others: the flag does not
	# touch this workload, so a head flagged throughout still regresses
	flagged base.csv 1 2 1
	flagged head.csv 1.25 5 1
	run "$CB" compare base.csv head.csv
	[ "$status" -eq 1 ]
	grep -q '^summary: 0 pass, 5 regression' <<<"$output"
	[ "$(grep -c "this workload's flagged reps ran within the threshold of the rest: \[" <<<"$output")" -eq 6 ]
	# flagged base reps 15% slower: the flag does slow this workload, so a
	# head 50% slower and flagged throughout is set aside, and the head has
	# no other reps: inconclusive
	flagged slow.csv 1 2 1.15
	flagged head50.csv 1.5 5 1
	run "$CB" compare slow.csv head50.csv
	[ "$status" -eq 3 ]
	grep -q '^summary: 0 pass, 0 regression, 0 improvement, 5 inconclusive' <<<"$output"
	[ "$(grep -c "5 of 5 head reps were disturbed by other work on the machine" <<<"$output")" -eq 5 ]
	grep -q "25 of 25 head reps were disturbed" <<<"$output"
}
