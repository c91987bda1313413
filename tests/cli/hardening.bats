#!/usr/bin/env bats
# Failure behaviour: signals, dead workers, timeouts, resource limits.
# Nothing may hang (every run is under `timeout`), leave a process behind
# or write part of a CSV.
load helpers

MODES="seq threads procs thread-per-task fork-per-task"

# Start a long run, signal it once it is measuring, check exit and cleanup.
signal_run() { # signal_run MODE SIGNAL EXPECTED-STATUS [WORKLOAD]
	local wl=(-w cpu.primes -s large)
	[ -z "${4:-}" ] || wl=(-w "$4")
	# the CSV path is unique to this test: pgrep below can't see other runs
	timeout -k 5 60 "$CB" -m "$1" "${wl[@]}" -j 2 --runs=1000 --csv="$TMP/out.csv" -q \
		2>err.txt &
	local pid=$!
	sleep 1.5
	kill -"$2" $pid
	local st=0
	wait $pid || st=$?
	[ "$st" -eq "$3" ] || { echo "mode $1: status $st: $(cat err.txt)"; false; }
	grep -q "concbench: run: interrupted by signal" err.txt
	[ ! -e out.csv ]
	no_files 'out.csv.tmp.*'
	# no worker of that run is left
	[ -z "$(pgrep -f -- "--csv=$TMP/out.csv" || true)" ]
}

@test "SIGINT stops every mode: exit 130, workers reaped, no CSV" {
	for m in $MODES; do signal_run "$m" INT 130; done
}

@test "SIGTERM stops every mode: exit 143, workers reaped, no CSV" {
	for m in $MODES; do signal_run "$m" TERM 143; done
}

@test "SIGTERM while worker processes wait on process-shared conditions: exit 143, no hang" {
	# the workers die mid-wait; destroying their condition variable must not
	# wait for them (glibc's pthread_cond_destroy would, for ever)
	for wl in event condition.one queue; do signal_run procs TERM 143 "$wl"; done
}

@test "a worker process killed mid-task is reported with its task; exit 1" {
	for m in procs fork-per-task; do
		run timeout 30 "$CB" -m "$m" -w cpu.primes -s small -j 2 --inject=kill@7 --csv=out.csv
		[ "$status" -eq 1 ]
		[[ "$output" == *"concbench: cpu.primes: $m, 2 workers: worker "*" died (signal 9) during task 7"* ]]
		grep -q FAILED <<<"$output"
		# the CSV is complete: the seq rows and no torn line
		[ -e out.csv ]
		awk -F, 'NR>1 && $7=="\"seq\""' out.csv | grep -q .
		rm -f out.csv
	done
}

@test "a task that crashes (SIGSEGV) in a worker process is reported; exit 1" {
		# sanitizers would catch the SEGV themselves and exit instead of dying by it
	ASAN_OPTIONS=handle_segv=0 TSAN_OPTIONS=handle_segv=0 \
		run timeout 30 "$CB" -m procs -w cpu.primes -s small -j 2 --inject=segv@3 --no-csv

	[ "$status" -eq 1 ]
	[[ "$output" == *"died (signal 11) during task 3"* ]]
}

@test "a failing task is reported in every mode but the seq baseline" {
	for m in threads procs thread-per-task fork-per-task; do
		run timeout 30 "$CB" -m "$m" -w cpu.primes -s small -j 2 --inject=fail@5 --no-csv
		[ "$status" -eq 1 ]
		[[ "$output" == *"$m, 2 workers: task 5: injected failure"* ]]
	done
}

@test "--timeout stops a hung process-pool cell and the run continues" {
	run timeout 60 "$CB" -m procs,fork-per-task -w cpu.primes,cpu.montecarlo -s small -j 2 \
		--inject=hang@3 --timeout=1s --runs=3 --no-csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"cpu.primes: procs, 2 workers: timed out after 1 s"* ]]
	[[ "$output" == *"cpu.montecarlo: fork-per-task, 2 workers: timed out after 1 s"* ]]
	grep -q 'cpu.primes *seq .* yes' <<<"$output"
	grep -q 'cpu.montecarlo *seq .* yes' <<<"$output"
	[ "$(grep -c TIMEOUT <<<"$output")" -eq 4 ]
}

@test "--timeout on a hung thread abandons that workload, other workloads go on" {
	run timeout 60 "$CB" -m threads -w cpu.primes,cpu.montecarlo -s small -j 2 \
		--inject=hang@40 --timeout=1s --runs=2 --no-csv
	[ "$status" -eq 1 ]
		[[ "$output" == *"cpu.primes: threads, 2 workers: timed out after 1 s"* ]]
	[[ "$output" == *"could not be stopped"* ]]
	grep -q 'cpu.primes *threads .* TIMEOUT' <<<"$output"
	grep -q 'cpu.montecarlo *threads .* yes' <<<"$output"

}

@test "--fail-fast stops at the first failure" {
	run timeout 60 "$CB" -m procs -w cpu.primes,cpu.montecarlo -s small --inject=kill@1 \
		--fail-fast --no-csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"--fail-fast: stopping after the first failure"* ]]
	[ "$(grep -c 'died (signal 9)' <<<"$output")" -eq 1 ]
}

@test "bad --inject is a usage error" {
	run "$CB" --inject=explode@3 --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: --inject: 'explode@3': want KIND@TASK"* ]]
}

@test "thread creation failing under a memory limit is a clear error, no hang" {
	[ -z "${CONCBENCH_SAN:-}" ] || skip "sanitizers reserve more address space than the limit"

	run timeout 60 bash -c "ulimit -v 1000000; '$CB' -m threads -w cpu.primes -s small -j 2000 --runs=1 --warmup=0 --no-csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pthread_create: starting worker "*" of 2000: "* ]]
}

@test "fork failing under a process limit is a clear error, no hang, no orphan" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch to an unprivileged user"
	command -v setpriv >/dev/null || skip "setpriv missing"
	cp "$CB" "$TMP/cb"
	chmod 755 "$TMP" "$TMP/cb"
	run timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups bash -c \
		"ulimit -u 16; cd '$TMP' && '$TMP/cb' -m procs -w cpu.primes -s small -j 200 --runs=1 --warmup=0 --no-csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"fork: starting worker "*" of 200: Resource temporarily unavailable"* ]]
	# the full path is unique to this test: no worker of this run is left
	[ -z "$(pgrep -f -- "$TMP/cb")" ]
}
