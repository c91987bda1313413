#!/usr/bin/env bats
# Mode gil: the emulated CPython GIL, its CSV columns, --switch-interval,
# the convoy workload `mixed` and the GIL-released kernel cpu.hash.
load helpers

# rows FILE MODE COLUMN: column values of the rows of one mode.
rows() {
	python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["mode"] == sys.argv[2]: print(r[sys.argv[3]])' "$1" "$2" "$3"
}

@test "gil mode verifies every cpu kernel against seq" {
	run "$CB" -m seq,gil -w cpu -s small -j 1,3 --runs=1 --warmup=0 --csv=out.csv
	[ "$status" -eq 0 ]
	[ "$(grep -c ' gil ' <<<"$output")" -eq 8 ]
	[[ "$output" != *NO* && "$output" != *FAILED* ]]
	[ "$(col out.csv verified | sort -u)" = 1 ]
}

@test "--mode=all includes gil and list names it" {
	run "$CB" list
	[ "$status" -eq 0 ]
	grep -q '^  *gil ' <<<"$output"
	grep -q 'all  *seq,threads,procs,gil' <<<"$output"
	run "$CB" -m all -w cpu.primes -s small -j 2 --runs=1 --warmup=0 --csv=out.csv
	[ "$status" -eq 0 ]
	[ "$(col out.csv mode | sort -u | tr '\n' ' ')" = "gil procs seq threads " ]
}

@test "GIL columns are filled in gil rows and empty in the others" {
	run "$CB" -m threads,gil -w cpu.mandelbrot -s small -j 2 --runs=2 --warmup=0 \
		--switch-interval=200us --csv=out.csv
	[ "$status" -eq 0 ]
	for c in gil_wait_s gil_switches gil_forced_drops gil_drop_requests gil_wait_p50_s \
		gil_wait_p99_s switch_interval_s; do
		# seq and threads rows: empty
		[ "$(rows out.csv threads "$c" | sort -u)" = "" ]
		[ "$(rows out.csv seq "$c" | sort -u)" = "" ]
		# gil rows: a number
		rows out.csv gil "$c" | grep -qE '^[0-9.e+-]+$'
	done
	rows out.csv gil switch_interval_s | grep -qx '0.0002'
	# two CPU-bound threads must hand the GIL over at least once
	for s in $(rows out.csv gil gil_switches); do [ "$s" -ge 2 ]; done
}

@test "one gil worker is never asked to drop the GIL" {
	run "$CB" -m gil -w cpu.primes -s small -j 1 --runs=2 --warmup=0 --csv=out.csv \
		--switch-interval=100us
	[ "$status" -eq 0 ]
	[ "$(rows out.csv gil gil_drop_requests | sort -u)" = "0" ]
	[ "$(rows out.csv gil gil_forced_drops | sort -u)" = "0" ]
	[ "$(rows out.csv gil gil_switches | sort -u)" = "1" ]
}

@test "--switch-interval accepts us, ms and s" {
	for v in 100us 2ms 0.01s; do
		run "$CB" -m gil -w cpu.primes -s small -j 2 --runs=1 --warmup=0 --no-csv \
			--switch-interval=$v
		[ "$status" -eq 0 ]
	done
}

@test "--switch-interval: zero, negative, unreadable or absurd -> exit 2" {
	for v in 0 0ms -5ms 5xyz ms '' 1ns 11s 1m 1e400; do
		run "$CB" -m gil -w cpu.primes -s small --no-csv --switch-interval="$v"
		[ "$status" -eq 2 ]
		grep -q 'concbench: --switch-interval: .*want a duration from 1us to 10s' <<<"$output"
	done
}

@test "--switch-interval without gil mode warns that it has no effect" {
	run "$CB" -m threads -w cpu.primes -s small -j 2 --runs=1 --warmup=0 --no-csv \
		--switch-interval=1ms
	[ "$status" -eq 0 ]
	grep -q 'switch-interval has no effect without mode gil' <<<"$output"
	run "$CB" -m gil -w cpu.primes -s small -j 2 --runs=1 --warmup=0 --no-csv \
		--switch-interval=1ms
	[ "$status" -eq 0 ]
	[[ "$output" != *"no effect"* ]]
}

@test "mixed reports the I/O side and leaves no peer process behind" {
	run "$CB" -m seq,threads,procs,gil -w mixed -s 50 -j 2 --runs=1 --warmup=0 --csv=out.csv
	[ "$status" -eq 0 ]
	[ "$(col out.csv verified | sort -u)" = 1 ]
	for m in seq threads procs gil; do
		rows out.csv "$m" metrics | grep -qE '^io_req_per_s=[0-9.e+]+;io_lat_p50_s=.*;io_lat_p99_s='
	done
	[ -z "$(leftover_children)" ]
	[ -z "$(pgrep -P $$ concbench)" ]
}

@test "mixed --io-work takes a duration up to 1s; bad values exit 2" {
	run "$CB" -m gil -w mixed -s 20 -j 2 --runs=1 --warmup=0 --no-csv --io-work=20us
	[ "$status" -eq 0 ]
	for v in -1 5s abc; do
		run "$CB" -m gil -w mixed -s 20 -j 2 --runs=1 --warmup=0 --no-csv --io-work=$v
		[ "$status" -eq 2 ]
		grep -q 'concbench: mixed: --io-work' <<<"$output"
	done
}

@test "mixed rejects a zero or absurd ping-pong duration" {
	for s in 0 99999999; do
		run "$CB" -m seq -w mixed -s $s --no-csv
		[ "$status" -eq 2 ]
		grep -q 'concbench: --size' <<<"$output"
	done
}

@test "cpu.hash verifies in every mode; plain cpu leaves it out, cpu.* takes it" {
	run "$CB" -m seq,threads,procs,gil,thread-per-task,fork-per-task -w cpu.hash -s 8 -j 2 \
		--runs=1 --warmup=0 --csv=out.csv
	[ "$status" -eq 0 ]
	[ "$(col out.csv verified | sort -u)" = 1 ]
	[ "$(col out.csv checksum | sort -u | wc -l)" -eq 1 ]
	run "$CB" -m seq -w cpu -s small --runs=1 --warmup=0 --no-csv
	[[ "$output" != *cpu.hash* ]]
	run "$CB" -m seq -w 'cpu.*' -s small --runs=1 --warmup=0 --no-csv
	grep -q cpu.hash <<<"$output"
}

@test "python-reference writes concbench's CSV schema with py-* modes" {
	ref="$BATS_TEST_DIRNAME/../../scripts/python-reference"
	run /usr/bin/python3 "$ref" --workload=cpu.primes --workers=2 --runs=1 --warmup=0 --csv=py.csv
	[ "$status" -eq 0 ]
	"$CB" -m seq -w cpu.primes -s small --runs=1 --warmup=0 --csv=cb.csv
	[ "$(head -1 py.csv)" = "$(head -1 cb.csv)" ]
	[ "$(col py.csv mode | sort | tr '\n' ' ')" = "py-procs py-seq py-threads " ]
	[ "$(col py.csv checksum | sort -u | wc -l)" -eq 1 ]
	rows py.csv py-threads switch_interval_s | grep -qx '0.005'
	run /usr/bin/python3 "$ref" --workers=0
	[ "$status" -eq 2 ]
}
