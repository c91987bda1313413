#!/usr/bin/env bats
# Data safety (issue 12, items 1-4): output paths only ever replace a
# regular file, atomically; devices, FIFOs and stdout are streamed into;
# inputs are bounded; signals end every phase; lists have no empty items.
# The device cases use nodes made in the test's own directory (mknod), so a
# regression can only replace that node, never one of /dev.
load helpers

one_run() {
	run "$CB" -w cpu.primes -m seq -s small --runs=1 --warmup=0 -q "$@"
}

# No temp file of the writer anywhere under the test directory.
no_temp_files() {
	run find . -name '*.tmp.*'
	[ "$output" = "" ]
}

make_dev() { # NAME MAJOR MINOR, or skip where nodes can't be made
	mknod "$1" c "$2" "$3" 2>/dev/null || skip "mknod not permitted here"
	[ -c "$1" ]
}

@test "--csv, --json, --trace through a symlink replace the target atomically; the link stays" {
	mkdir sub
	for f in c.csv j.json t.csv; do
		echo old >"sub/$f"
		ln -s "sub/$f" "$f"
	done
	ln -s ../sub/c.csv sub/rel.csv # a relative link resolved from its own directory
	one_run --csv=c.csv --json=j.json --trace=t.csv
	[ "$status" -eq 0 ]
	for f in c.csv j.json t.csv; do
		[ -L "$f" ]
		[ "$(readlink "$f")" = "sub/$f" ]
	done
	[ "$(head -c 15 sub/c.csv)" = "schema_version," ]
	grep -q '"benchmarks"' sub/j.json
	[ "$(head -1 sub/t.csv)" = "workload,mode,workers,rep,task,worker,t_start_s,t_end_s" ]
	one_run --csv=sub/rel.csv
	[ "$status" -eq 0 ]
	[ -L sub/rel.csv ]
	[ "$(head -c 15 sub/c.csv)" = "schema_version," ]
	no_temp_files
}

@test "a dangling symlink creates its target; a symlink loop is refused before the run" {
	mkdir sub
	ln -s sub/new.csv dangling.csv
	one_run --csv=dangling.csv
	[ "$status" -eq 0 ]
	[ -L dangling.csv ]
	[ -f sub/new.csv ]
	ln -s loop2 loop1
	ln -s loop1 loop2
	one_run --csv=loop1
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: --csv: loop1: Too many levels of symbolic links"* ]]
}

@test "--csv and --json into a FIFO stream into it: no rename, the FIFO stays" {
	mkfifo c.fifo j.fifo
	timeout 20 cat c.fifo >c.got & # a regression (FIFO replaced) must not hang
	timeout 20 cat j.fifo >j.got &
	one_run --csv=c.fifo --json=j.fifo
	[ "$status" -eq 0 ]
	wait
	[ -p c.fifo ]
	[ -p j.fifo ]
	[ "$(head -c 15 c.got)" = "schema_version," ]
	[ "$(wc -l <c.got)" -eq 2 ]
	grep -q '"benchmarks"' j.got
	no_temp_files
}

@test "--csv=- and --json=- write to stdout, not to a file named -" {
	one_run --csv=-
	[ "$status" -eq 0 ]
	[[ "$output" == *"schema_version,run_id"* ]]
	one_run --json=- --no-csv
	[ "$status" -eq 0 ]
	[[ "$output" == *'"benchmarks"'* ]]
	run ls -A
	[ "$output" = "" ]
}

@test "a directory as an output path is refused before the run (exit 2)" {
	mkdir d
	for opt in --csv --json --trace; do
		one_run "$opt=d"
		[ "$status" -eq 2 ]
		[[ "$output" == *"concbench: $opt: d: is a directory"* ]]
		[[ "$output" != *"cpu.primes"* ]] # nothing ran
	done
	[ -d d ]
	run ls -A d
	[ "$output" = "" ]
}

@test "a character device is streamed into, never replaced; ENOSPC from it is exit 1" {
	make_dev full 1 7 # /dev/full's numbers, in the test directory
	make_dev null 1 3
	for opt in --csv --json --trace; do
		one_run "$opt=full"
		[ "$status" -eq 1 ]
		[[ "$output" == *"concbench: $opt: full: No space left on device"* ]]
		[ -c full ]
	done
	one_run --csv=null --json=null --trace=null
	[ "$status" -eq 0 ]
	[ -c null ]
	no_temp_files
}

@test "report -o and image --save write through symlinks and into devices the same way" {
	make_dev full 1 7
	one_run --csv=a.csv
	[ "$status" -eq 0 ]
	mkdir r keep
	echo old >keep/report.md
	ln -s ../keep/report.md r/report.md
	run "$CB" report --no-plots -q -o r a.csv
	[ "$status" -eq 0 ]
	[ -L r/report.md ]
	grep -q cpu.primes keep/report.md
	ln -sf ../full r/index.html
	run "$CB" report --no-plots -q -o r a.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"concbench: report: r/index.html: No space left on device"* ]]
	[ -c full ]
	mkdir s
	ln -s ../keep/out.png s/image.gray-default.png
	run "$CB" -w image.gray -m seq -s 32 --tasks=1 --runs=1 --warmup=0 --no-csv -q --save=s
	[ "$status" -eq 0 ]
	[ -L s/image.gray-default.png ]
	[ "$(head -c 4 keep/out.png | tail -c 3)" = "PNG" ]
	rm s/image.gray-default.png
	ln -s ../full s/image.gray-default.png
	run "$CB" -w image.gray -m seq -s 32 --tasks=1 --runs=1 --warmup=0 --no-csv -q --save=s \
		--format=csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"--save: s/image.gray-default.png: No space left on device"* ]]
	[ -c full ]
	no_temp_files
}

@test "a run killed with SIGKILL while --trace is written leaves the old file and no temp file" {
	echo old >t.csv
	"$CB" -w cpu.primes -m seq -s small --runs=100000 --warmup=0 -q --no-csv --trace=t.csv \
		>/dev/null 2>&1 &
	pid=$!
	fds=
	for _ in $(seq 200); do # until the trace's temp file is open
		# the link targets of /proc/PID/fd, not file names; ls fails when
		# an fd closes while it lists them (the run opens and closes /proc files)
		fds=$(ls -l "/proc/$pid/fd" 2>/dev/null || true)
		grep -q -e '#' -e 't.csv.tmp' <<<"$fds" && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	if grep -q 't.csv.tmp' <<<"$fds"; then # a named temp file: no O_TMPFILE here
		rm -f t.csv.tmp.*
		skip "this filesystem has no O_TMPFILE"
	fi
	grep -q '#' <<<"$fds" # the unnamed temp file was open
	[ "$(cat t.csv)" = old ]
	no_temp_files
}

# A full filesystem: a 64 KiB tmpfs, filled up, in a private mount
# namespace (nothing outside it sees the mount).
@test "a full disk leaves the old regular file whole and no temp file (exit 1)" {
	unshare -m true 2>/dev/null || skip "no private mount namespace here"
	one_run --csv=a.csv
	[ "$status" -eq 0 ]
	mkdir mnt
	run unshare -m bash -c '
		mount -t tmpfs -o size=64k tmpfs mnt || exit 99
		for f in c.csv j.json t.csv; do echo old >mnt/$f; done
		mkdir mnt/r && echo old >mnt/r/report.md
		dd if=/dev/zero of=mnt/fill bs=4k 2>/dev/null
		for opt in --csv=mnt/c.csv "--json=mnt/j.json --no-csv" "--trace=mnt/t.csv --no-csv"; do
			"$0" -w cpu.primes -m seq -s small --runs=1 --warmup=0 -q $opt
			echo "status $?"
		done
		"$0" report --no-plots -q -o mnt/r a.csv
		echo "status $?"
		cat mnt/c.csv mnt/j.json mnt/t.csv mnt/r/report.md
		ls mnt mnt/r' "$CB"
	[ "$status" -ne 99 ] || skip "cannot mount a tmpfs here"
	[[ "$output" == *"concbench: --csv: mnt/c.csv: No space left on device"* ]]
	[[ "$output" == *"concbench: --json: mnt/j.json: No space left on device"* ]]
	[[ "$output" == *"concbench: --trace: mnt/t.csv: No space left on device"* ]]
	[[ "$output" == *"concbench: report: mnt/r/"*": No space left on device"* ]]
	[ "$(grep -c '^status 1$' <<<"$output")" -eq 4 ]
	[ "$(grep -c '^old$' <<<"$output")" -eq 4 ]
	[[ "$output" != *".tmp."* ]]
}

@test "an empty item in any list option is a usage error (exit 2)" {
	for arg in --workers=1,,2 "--workers=1,2," --workers=,1 --mode=seq,,threads "--mode=seq," \
		--workload=cpu.primes,,cpu.matmul --workload=,cpu.primes --inject=fail@0,,fail@1; do
		one_run "$arg" --no-csv
		[ "$status" -eq 2 ]
		[[ "$output" == *"concbench: ${arg%%=*}: '${arg#*=}': "*"an empty item in the list"* ]]
		[[ "$output" != *"cpu.primes "*" seq "* ]] # nothing ran
	done
	one_run --workers=1,2 --no-csv
	[ "$status" -eq 0 ]
}

# Start a file.read run in the background and wait until the corpora with
# a MANIFEST (complete ones) number $1: the new run is then in its reps.
start_file_read() {
	local want=$1
	shift
	# file.read is never size-calibrated (--min-rep-time), so the corpus the
	# test looks at is the one the reps read
	"$CB" -w file.read -m seq --runs=100000 --warmup=0 --file-bytes=64K \
		--data-dir=data --no-csv -q "$@" >/dev/null 2>&1 &
	bg=$!
	for _ in $(seq 300); do
		[ "$(find data -name MANIFEST | wc -l)" -eq "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

@test "a corpus left by a run killed with SIGKILL is removed by the next run (-v says so)" {
	mkdir data
	start_file_read 1 --files=1 # a live run: its corpus must stay
	live_pid=$bg
	live=$(echo data/concbench-file.*)
	"$CB" -w file.read -m seq --runs=1 --warmup=0 --files=3 --file-bytes=4K --data-dir=data \
		--min-rep-time=0 --no-csv -q --keep-data >/dev/null # a kept corpus must stay
	kept=$(printf '%s\n' data/concbench-file.* | grep -vx "$live")
	start_file_read 3 --files=2
	killed=$(printf '%s\n' data/concbench-file.* | grep -vx -e "$live" -e "$kept")
	kill -9 "$bg"
	wait "$bg" || true
	[ -d "$killed" ] # SIGKILL: nothing could clean up
	run "$CB" -w file.read -m seq --runs=1 --warmup=0 --files=2 --file-bytes=4K --data-dir=data \
		--min-rep-time=0 --no-csv -v
	kill "$live_pid"
	wait "$live_pid" || true
	[ "$status" -eq 0 ]
	[[ "$output" == *"concbench: note: file.read: removing $killed: left by a run that was killed (no live run holds its lock)"* ]]
	[ ! -e "$killed" ]
	[[ "$output" != *"removing $kept"* ]]
	[[ "$output" != *"removing $live"* ]]
	# the live run, stopped by SIGTERM, removed its own corpus; the kept one stays
	[ "$(ls -d data/concbench-file.*)" = "$kept" ]
}

# Memory guard for the unbounded-input tests: a regression fails instead
# of growing until the OOM killer comes (not under a sanitizer, whose
# shadow memory needs the address space).
guarded() {
	run bash -c '[ -n "$CONCBENCH_SAN" ] || ulimit -v 4000000; exec timeout 20 "$@"' _ "$@"
}

@test "--url-file=/dev/zero or an endless pipe ends at once with a clear error (exit 2)" {
	guarded "$CB" -w net.fetch --url-file=/dev/zero -m seq --runs=1 --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: net.fetch: --url-file: /dev/zero: not a regular file or a pipe"* ]]
	guarded "$CB" -w net.fetch --url-file=<(yes http://127.0.0.1:9/) -m seq --runs=1 --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"--url-file: /dev/fd/"*": larger than the limit of 1 MiB"* ]]
}

@test "report and compare refuse /dev/zero at once and a CSV over 1 GiB by its size" {
	guarded "$CB" report -o r /dev/zero
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: report: /dev/zero: not a regular file or a pipe"* ]]
	truncate -s 1025M big.csv # sparse: takes no space
	guarded "$CB" report -o r big.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: report: big.csv: larger than the limit of 1024 MiB"* ]]
	guarded "$CB" compare big.csv /dev/zero
	[ "$status" -eq 2 ]
	[[ "$output" == *"big.csv: larger than the limit of 1024 MiB"* ]]
	[ ! -e r ]
}

# Run "$@" in the background, wait until `ready` (a command) succeeds,
# send SIGTERM and collect status and stderr.
term_when() {
	local ready=$1
	shift
	"$@" >out.txt 2>err.txt &
	local pid=$!
	for _ in $(seq 400); do
		eval "$ready" && break
		sleep 0.05
	done
	kill -TERM "$pid"
	wait "$pid" && status=0 || status=$?
	output=$(cat err.txt)
}

@test "SIGTERM during a blocked --url-file or report read: exit 143, nothing left behind" {
	mkfifo urls csvs
	sleep 60 >urls & # a writer that never writes: the read blocks
	w1=$!
	term_when 'pgrep -f "url-file=urls" >/dev/null && sleep 0.3' \
		"$CB" -w net.fetch --url-file=urls -m seq --runs=1 --csv=out.csv
	[ "$status" -eq 143 ]
	[[ "$output" == *"concbench: run: interrupted by signal 15; no results written"* ]]
	sleep 60 >csvs &
	w2=$!
	term_when 'pgrep -f "report -o r csvs" >/dev/null && sleep 0.3' "$CB" report -o r csvs
	[ "$status" -eq 143 ]
	[[ "$output" == *"concbench: report: interrupted by signal 15; no results written"* ]]
	kill "$w1" "$w2"
	wait || true
	[ "$(leftover_children)" = "" ]
	run ls -A
	[ "$output" = "$(printf 'csvs\nerr.txt\nout.txt\nurls')" ] # no out.csv, no r/
}

@test "SIGTERM while the file.read corpus is generated: exit 143, the corpus removed" {
	mkdir data
	free=$(df -Pk data | awk 'NR == 2 { print $4 }')
	[ "$free" -gt 8000000 ] || skip "needs 8 GB free for the corpus' space check"
	# 4000 x 1 MiB takes seconds to hash and write: SIGTERM once the first
	# corpus files exist lands while it is generated
	term_when '[ "$(find data -type f -name "f*" | head -2 | wc -l)" -ge 2 ]' \
		"$CB" -w file.read -m seq --files=4000 --file-bytes=1M --data-dir=data --runs=1 --no-csv
	[ "$status" -eq 143 ]
	[[ "$output" == *"writing the corpus"* ]]
	[ ! -s out.txt ] # no table: it never got to the reps
	[[ "$output" == *"concbench: run: interrupted by signal 15; no results written"* ]]
	run ls -A data
	[ "$output" = "" ]
	[ "$(leftover_children)" = "" ]
}
