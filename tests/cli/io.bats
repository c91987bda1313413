#!/usr/bin/env bats
# I/O workloads: file.read, net.fetch (embedded server and --url), sleep.
load helpers

ONE="--runs=1 --warmup=0 --no-csv"

# Start `concbench serve` in the background; sets SERVE_PID and PORT.
start_serve() {
	"$CB" serve "$@" >serve.out 2>serve.err 3>&- &
	SERVE_PID=$!
	for _ in $(seq 100); do
		PORT=$(awk '/^port /{print $2}' serve.out)
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	return 1
}

teardown() {
	[ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	cd / && rm -rf "$TMP"
}

# Column named $2 of the rows of workload $1 (--format=csv output), parsed
# as CSV (a field may hold a comma: cflags under ASan+UBSan does).
col() {
	sed -n '/^schema_version,/,$p' <<<"$output" | python3 -c '
import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["workload"] == sys.argv[1]:
        print(r.get(sys.argv[2], "no column " + sys.argv[2]))' "$1" "$2"
}

# Fails when the command succeeds (a bare `! cmd` never fails a bats test).
refute() { if "$@"; then return 1; fi; }

# Value of metric $2 in the row of mode $1 (CSV on stdout).
metric() {
	grep ",\"$1\"," <<<"$output" | grep -o "[\";]$2=[0-9.]*" | head -1 | cut -d= -f2
}

@test "list and --help show the I/O workloads and their options" {
	run "$CB" list
	[ "$status" -eq 0 ]
	for w in file.read net.fetch sleep; do grep -q "^  $w " <<<"$output"; done
	run "$CB" --help
	for o in --url= --url-file= --net-latency= --net-timeout= --no-keepalive --data-dir= \
		--keep-data --cache= --block-size= --sleep=; do
		grep -q -- "$o" <<<"$output"
	done
}

@test "sleep: every mode verifies against seq" {
	run "$CB" -w sleep --sleep=1ms -t 8 -m seq,threads,procs,gil,thread-per-task,fork-per-task \
		-j 1,4 $ONE --format=csv
	[ "$status" -eq 0 ]
	[ "$(col sleep checksum | sort -u | wc -l)" -eq 1 ]
	[ -z "$(col sleep verified | grep -vx 1)" ]
}

@test "an option given twice runs with the last value, and the params column records that one" {
	run "$CB" -w sleep --sleep=1ms --sleep=4ms -t 2 -s 2 -m seq $ONE --format=csv
	[ "$status" -eq 0 ]
	[ "$(col sleep params)" = "sleep=4ms" ]
	# 4 sleeps of at least 4 ms each: never under 16 ms (1 ms would take ~4)
	awk -v w="$(col sleep wall_s)" 'BEGIN { exit !(w >= 0.016) }'
	# the cap on occurrences is a usage error, not a silent drop
	mapfile -t many < <(printf -- '--sleep=1ms\n%.0s' $(seq 1025))
	run "$CB" -w sleep "${many[@]}" -m seq $ONE
	[ "$status" -eq 2 ]
	[[ "$output" == "concbench: --sleep: workload options given more than 1024 times"* ]]
}

@test "net.fetch: every mode gets the embedded body and the seq checksum" {
	run "$CB" -w net.fetch --net-latency=1ms --net-bytes=3000 -t 8 -s 2 \
		-m seq,threads,procs,gil,thread-per-task,fork-per-task -j 1,3 $ONE --format=csv
	[ "$status" -eq 0 ]
	[ "$(col net.fetch checksum | sort -u | wc -l)" -eq 1 ]
	[ -z "$(col net.fetch verified | grep -vx 1)" ]
	# ops = requests: 8 tasks x 2
	[ -z "$(col net.fetch ops | grep -vx 16)" ]
	[ -z "$(leftover_children)" ]
}

@test "net.fetch: the embedded server answers concurrent requests concurrently" {
	run "$CB" -w net.fetch --net-latency=400ms -t 4 -s 1 -m threads -j 4 $ONE --format=csv
	[ "$status" -eq 0 ]
	# all 4 requests were waiting out their latency at the same time
	[ "$(metric threads server_max_inflight)" = 4 ]
	[ "$(metric seq server_max_inflight)" = 1 ]
	# the latency is really injected (a lower bound, not a timing claim)
	awk -v v="$(metric threads lat_p50_ms)" 'BEGIN { exit !(v >= 400) }'
}

@test "net.fetch under the GIL: requests still overlap (the GIL is released while waiting)" {
	run "$CB" -w net.fetch --net-latency=400ms -t 4 -s 1 -m gil -j 4 $ONE --format=csv
	[ "$status" -eq 0 ]
	[ "$(metric gil server_max_inflight)" = 4 ]
}

@test "net.fetch: connections are reused unless --no-keepalive" {
	run "$CB" -w net.fetch --net-latency=1ms -t 8 -s 2 -m threads -j 2 $ONE --format=csv
	[ "$status" -eq 0 ]
	[ "$(metric threads connects)" -le 2 ]
	run "$CB" -w net.fetch --net-latency=1ms -t 8 -s 2 -m threads -j 2 $ONE --format=csv \
		--no-keepalive
	[ "$status" -eq 0 ]
	[ "$(metric threads connects)" -eq 16 ]
}

@test "net.fetch --url: repeatable, several URLs each, and from a file" {
	start_serve --net-bytes=100
	printf '# comment\n\nhttp://127.0.0.1:%s/b\n' "$PORT" >urls.txt
	run "$CB" -w net.fetch --url="http://127.0.0.1:$PORT/a http://127.0.0.1:$PORT/c" \
		--url-file=urls.txt --url="http://127.0.0.1:$PORT/d" -t 6 -m threads,procs -j 2 \
		$ONE --format=csv
	[ "$status" -eq 0 ]
	[ "$(col net.fetch checksum | sort -u | wc -l)" -eq 1 ]
	[ "$(metric threads unstable_urls)" = 0 ]
	[ "$(metric threads urls)" = 4 ]
	# each --url is part of the cell's identity, in command-line order
	[ "$(col net.fetch params | sort -u)" = "url=http://127.0.0.1:$PORT/a http://127.0.0.1:$PORT/c;url=http://127.0.0.1:$PORT/d;url-file=urls.txt" ]
}

@test "net.fetch faults: refused, 404, 500, silent server, bad scheme, bad url file" {
	start_serve
	run "$CB" -w net.fetch --url=http://127.0.0.1:1/ -t 2 -m threads -j 2 $ONE
	[ "$status" -eq 1 ]
		[[ "$output" == *"concbench: net.fetch: GET http://127.0.0.1:1/: "*"onnect"* ]]
	# a workload that can't prepare prints no table of empty rows
	[[ "$output" != *"speedup"* ]]

	run "$CB" -w net.fetch --url="http://127.0.0.1:$PORT/status/404" -t 2 -m threads $ONE
	[ "$status" -eq 1 ]
	[[ "$output" == *"concbench: net.fetch: GET http://127.0.0.1:$PORT/status/404: HTTP status 404"* ]]
	run "$CB" -w net.fetch --url="http://127.0.0.1:$PORT/status/500" -t 2 -m threads $ONE
	[ "$status" -eq 1 ]
	[[ "$output" == *"/status/500: HTTP status 500"* ]]
	run "$CB" -w net.fetch --url="http://127.0.0.1:$PORT/silent" --net-timeout=300ms -t 2 \
		-m threads $ONE
	[ "$status" -eq 1 ]
	[[ "$output" == *"GET http://127.0.0.1:$PORT/silent: "*"imed out"* ]]
	run "$CB" -w net.fetch --url=ftp://127.0.0.1/x -m threads $ONE
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: net.fetch: --url: 'ftp://127.0.0.1/x': only http:// and https://"* ]]
	run "$CB" -w net.fetch --url-file=missing.txt -m threads $ONE
	[ "$status" -eq 2 ]
	[[ "$output" == *"--url-file: missing.txt: No such file"* ]]
	printf 'http://127.0.0.1/\nfile:///etc/passwd\n' >bad.txt
	run "$CB" -w net.fetch --url-file=bad.txt -m threads $ONE
	[ "$status" -eq 2 ]
	[[ "$output" == *"--url-file: bad.txt:2: 'file:///etc/passwd'"* ]]
	run "$CB" -w net.fetch --net-latency=soon -m threads $ONE
	[ "$status" -eq 2 ]
	[ -z "$(leftover_children | grep -v "serve")" ]
}

@test "net.fetch: an unresolvable host is an error naming it" {
	run "$CB" -w net.fetch --url=http://no-such-host.invalid/ --net-timeout=5s -t 1 \
		-m threads $ONE
	[ "$status" -eq 1 ]
	[[ "$output" == *"GET http://no-such-host.invalid/: "* ]]
}

@test "embedded server refuses anything but small GET requests" {
	start_serve --net-bytes=10
	exec 5<>/dev/tcp/127.0.0.1/"$PORT"
	printf 'POST / HTTP/1.1\r\nHost: x\r\n\r\n' >&5
	read -r line <&5
	[[ "$line" == "HTTP/1.1 405 "* ]]
	exec 5<&-
	exec 5<>/dev/tcp/127.0.0.1/"$PORT"
	big=$(head -c 5000 /dev/zero | tr '\0' a)
	printf 'GET / HTTP/1.1\r\nX: %s\r\n\r\n' "$big" >&5
	read -r line <&5
	[[ "$line" == "HTTP/1.1 431 "* ]]
	exec 5<&-
	exec 5<>/dev/tcp/127.0.0.1/"$PORT"
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&5
	read -r line <&5
	[[ "$line" == "HTTP/1.1 200 "* ]]
	exec 5<&-
}

@test "net.fetch: the server dies with a killed runner" {
	"$CB" -w net.fetch --net-latency=2s -t 64 -m threads -j 2 $ONE >out 2>err 3>&- &
	pid=$!
	for _ in $(seq 100); do
		srv=$(pgrep -P "$pid" | head -1)
		[ -n "$srv" ] && break
		sleep 0.05
	done
	[ -n "$srv" ]
	kill -9 "$pid"
	wait "$pid" || true
	for _ in $(seq 100); do
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.05
	done
	refute kill -0 "$srv" 2>/dev/null
}

@test "net.fetch: SIGINT stops the run, reaps the server, exit 130" {
	"$CB" -w net.fetch --net-latency=300ms -t 64 -m threads -j 2 --runs=3 --no-csv \
		>out 2>err 3>&- &
	pid=$!
	for _ in $(seq 100); do
		srv=$(pgrep -P "$pid" | head -1)
		[ -n "$srv" ] && break
		sleep 0.05
	done
	[ -n "$srv" ]
	sleep 0.5
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	refute kill -0 "$srv" 2>/dev/null
	[ -z "$(leftover_children)" ]
}

@test "file.read: every mode verifies; the corpus is removed at exit" {
	mkdir d
	run "$CB" -w file.read --data-dir=d --files=3 --file-bytes=100K --block-size=7000 -t 6 \
		-m seq,threads,procs,gil,thread-per-task,fork-per-task -j 1,2 $ONE --format=csv
	[ "$status" -eq 0 ]
	[ "$(col file.read checksum | sort -u | wc -l)" -eq 1 ]
	[ -z "$(col file.read verified | grep -vx 1)" ]
	[ -z "$(col file.read ops | grep -vx 614400)" ]
	[ -z "$(ls -A d)" ]
	run "$CB" -w file.read --data-dir=d --files=3 --file-bytes=64K --cache=cold -t 3 \
		-m threads -j 2 $ONE --format=csv
	[ "$status" -eq 0 ]
	grep -q 'cold=1' <<<"$output"
	[ -z "$(ls -A d)" ]
}

@test "file.read: a kept corpus is reused, repaired, and replaced when parameters change" {
	mkdir d
	args="-w file.read --data-dir=d --files=2 --file-bytes=64K -t 2 -m threads $ONE"
	run "$CB" $args --keep-data
	[ "$status" -eq 0 ]
	[[ "$output" == *"writing the corpus in d/concbench-file."* ]]
	dir=$(ls d)
	[ "$(stat -c %a "d/$dir")" = 700 ]
	run "$CB" $args --keep-data
	[[ "$output" == *"reusing the corpus in d/$dir"* ]]
	# damage one file: the next run notices and rewrites it
	printf X | dd of="d/$dir/f000001" bs=1 seek=10 conv=notrunc 2>/dev/null
	run "$CB" $args --keep-data
	[ "$status" -eq 0 ]
	[[ "$output" == *"rewriting the damaged corpus in d/$dir"* ]]
	# other parameters: a new corpus, the kept one untouched
	run "$CB" -w file.read --data-dir=d --files=2 --file-bytes=32K -t 2 -m threads $ONE
	[ "$status" -eq 0 ]
	[[ "$output" == *"writing the corpus in d/concbench-file."* ]]
	[ "$(ls d)" = "$dir" ]
	# reused without --keep-data: removed at exit
	run "$CB" $args
	[[ "$output" == *"reusing the corpus in d/$dir"* ]]
	[ -z "$(ls -A d)" ]
}

@test "file.read faults: bad data dir, too little disk, bad options" {
	touch plain
	run "$CB" -w file.read --data-dir=missing -m threads $ONE
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: file.read: --data-dir: missing: No such file or directory"* ]]
	run "$CB" -w file.read --data-dir=plain -m threads $ONE
	[ "$status" -eq 2 ]
	[[ "$output" == *"--data-dir: plain: not a directory"* ]]
	# /proc takes no directories, not even root's
	run "$CB" -w file.read --data-dir=/proc -m threads $ONE
	[ "$status" -eq 2 ]
	[[ "$output" == *"--data-dir: /proc: cannot create the corpus directory"* ]]
	mkdir d
	run "$CB" -w file.read --data-dir=d --files=100000 --file-bytes=1T -m threads $ONE
	[ "$status" -eq 1 ]
	[[ "$output" == *"--data-dir: d: the corpus needs "*" MiB free"* ]]
	[ -z "$(ls -A d)" ]
	run "$CB" -w file.read --cache=hot -m threads $ONE
	[ "$status" -eq 2 ]
	[[ "$output" == *"--cache: 'hot': want warm or cold"* ]]
	run "$CB" -w file.read --block-size=12Q -m threads $ONE
	[ "$status" -eq 2 ]
	[[ "$output" == *"--block-size: '12Q'"* ]]
}

@test "file.read: SIGINT removes the corpus, exit 130" {
	mkdir d
	"$CB" -w file.read --data-dir=d --files=4 --file-bytes=1M -t 100000 -m threads -j 2 \
		--runs=50 --no-csv >out 2>err 3>&- &
	pid=$!
	for _ in $(seq 200); do
		[ -n "$(ls -A d)" ] && grep -q corpus err && break
		sleep 0.05
	done
	sleep 0.3
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	[ -z "$(ls -A d)" ]
}

@test "sleep: SIGINT ends even a long sleep (no hang), exit 130" {
	"$CB" -w sleep --sleep=60s -t 4 -m threads -j 2 $ONE >out 2>err 3>&- &
	pid=$!
	sleep 0.5
	kill -INT "$pid"
	# a 60 s sleep must not be waited out
	for _ in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	refute kill -0 "$pid" 2>/dev/null
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
}
