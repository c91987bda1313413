#!/usr/bin/env bats
# The command-line contract of `concbench run`, list and sysinfo.
load helpers

@test "threads on cpu works as written, verifies, and writes a CSV" {
	run "$CB" --mode=threads --workload=cpu --size=small --runs=2 --csv=out.csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"cpu.matmul"*"threads"* ]]
	[[ "$output" == *"cpu.montecarlo"* ]]
	[[ "$output" != *NO* && "$output" != *FAILED* ]]
	head -1 out.csv | grep -q '^schema_version,run_id,timestamp,host,cpus,workload,mode,workers,tasks,size,rep,wall_s'
	# 4 kernels x (seq baseline + threads) x 2 reps + header
	[ "$(wc -l <out.csv)" -eq 17 ]
	no_files 'out.csv.tmp.*'
}

@test "every mode computes the seq checksum for every cpu kernel" {
	run "$CB" -m seq,threads,procs,thread-per-task,fork-per-task -w 'cpu.*' -s small -j 1,3 \
		--runs=1 --warmup=0 --format=csv --no-csv
	[ "$status" -eq 0 ]
	# one checksum per workload across all its rows, and every row verified
	c=$(head -1 <<<"$output" | tr , '\n' | grep -nx checksum | cut -d: -f1)
	v=$(head -1 <<<"$output" | tr , '\n' | grep -nx verified | cut -d: -f1)
	for w in cpu.matmul cpu.mandelbrot cpu.primes cpu.montecarlo; do
		n=$(grep ",\"$w\"," <<<"$output" | cut -d, -f"$c" | sort -u | wc -l)
		[ "$n" -eq 1 ]
		[ "$(grep ",\"$w\"," <<<"$output" | cut -d, -f"$v" | sort -u)" = 1 ]
	done
}

@test "default CSV lands in results/, created when missing" {
	run "$CB" -m threads -w cpu.primes -s small --runs=1 --warmup=0
	[ "$status" -eq 0 ]
	ls results/concbench-*.csv
	[ "$(ls results | wc -l)" -eq 1 ]
}

@test "--workers takes lists and ranges; seq runs once at 1 worker" {
	run "$CB" -m seq,procs -w cpu.primes -s small -j 1-3 --runs=1 --warmup=0 --no-csv
	[ "$status" -eq 0 ]
	[ "$(grep -c 'cpu.primes *procs' <<<"$output")" -eq 3 ]
	[ "$(grep -c 'cpu.primes *seq' <<<"$output")" -eq 1 ]
}

@test "list is generated from the registry and names every mode" {
	run "$CB" list
	[ "$status" -eq 0 ]
	for w in cpu.matmul cpu.mandelbrot cpu.primes cpu.montecarlo seq threads procs thread-per-task fork-per-task; do
		grep -q "$w" <<<"$output"
	done
}

@test "sysinfo prints the machine block" {
	run "$CB" sysinfo
	[ "$status" -eq 0 ]
	grep -q '^cpus_affinity: [0-9]' <<<"$output"
	grep -q '^kernel: ' <<<"$output"
}

@test "make install puts the binary and a man page under DESTDIR/PREFIX" {
	[ -z "${CONCBENCH_SAN:-}" ] || skip "installs the release build"
	top=$BATS_TEST_DIRNAME/../..
	run make -C "$top" --no-print-directory install DESTDIR="$TMP/dest" PREFIX=/opt/cb
	[ "$status" -eq 0 ]
	[ -x "$TMP/dest/opt/cb/bin/concbench" ]
	grep -q 'fB.-.-workers' "$TMP/dest/opt/cb/share/man/man1/concbench.1"
	"$TMP/dest/opt/cb/bin/concbench" --version
}

@test "--help and --version exit 0" {

	run "$CB" --help
	[ "$status" -eq 0 ]
	grep -q -- '--workers=LIST' <<<"$output"
	run "$CB" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "concbench "* ]]
}

# exit_codes: the numbers of an "Exit status:" paragraph on stdin, one a line.
exit_codes() {
	sed -n '/^Exit status:/,/^$/p' | grep -oE '(^|[ ;(])[0-9]{1,3}( |$)' | tr -dc '0-9\n' | sort -n
}

@test "--help and the README give the same exit statuses, signals included" {
	run "$CB" --help
	[ "$status" -eq 0 ]
	help=$(exit_codes <<<"$output")
	readme=$(exit_codes <"$BATS_TEST_DIRNAME/../../README.md")
	grep -qx 130 <<<"$help"
	grep -qx 143 <<<"$help"
	[ "$help" = "$readme" ]
}

# --- bad input: message on stderr, exit 2, no CSV -------------------------

bad() { # bad EXPECTED-MESSAGE ARGS...
	local msg=$1
	shift
	run "$CB" "$@" --csv=out.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"$msg"* ]]
	[ ! -e out.csv ]
	no_files 'out.csv.tmp.*'
}

@test "unknown mode lists the valid ones" {
	bad "concbench: --mode: 'fast': unknown mode; valid: seq, threads, procs" --mode=fast
}

@test "an empty workload list is an error, not an empty run" {
	bad "concbench: --workload: ',': unknown workload" --workload=,
}

@test "unknown workload lists the valid ones" {

	bad "concbench: --workload: 'gpu': unknown workload" --workload=gpu
	[[ "$output" == *"valid families (FAMILY or FAMILY.*): cpu"* ]]
}

@test "zero, negative, absurd and non-numeric counts" {
	bad "concbench: --workers: '0'" --workers=0
	bad "concbench: --workers: '100000'" --workers=100000
	bad "concbench: --workers: 'many'" --workers=many
	bad "concbench: --runs: '-1'" --runs=-1
	bad "concbench: --runs: '0'" --runs=0
	bad "concbench: --tasks: '1e99'" --tasks=1e99
	bad "concbench: --tasks: '0'" --tasks=0
	bad "concbench: --warmup: 'x'" --warmup=x
	bad "concbench: --size: 'huge'" --size=huge
	bad "concbench: --timeout: '0s'" --timeout=0s
}

@test "unknown options and stray arguments" {
	bad "concbench: option: '--frobnicate': unknown option" --frobnicate
	bad "concbench: option: '-Z': unknown option" -Z
	bad "concbench: argument: 'extra': unexpected" extra
	run "$CB" --mode
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: option: '--mode': needs a value"* ]]
}

@test "unwritable or missing --csv directory" {
	mkdir ro && chmod 555 ro
	if [ "$(id -u)" -ne 0 ]; then
		run "$CB" -w cpu.primes -s small --csv=ro/out.csv
		[ "$status" -eq 2 ]
		[[ "$output" == *"concbench: --csv: ro/out.csv: directory ro is not writable"* ]]
	fi
	run "$CB" -w cpu.primes -s small --csv=nodir/out.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: --csv: nodir/out.csv: directory nodir does not exist"* ]]
	[ ! -e nodir ]
}
