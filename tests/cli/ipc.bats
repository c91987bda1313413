#!/usr/bin/env bats
# queue, ipc, ctxswitch, spawn and the pool workloads: what a user relies on.
load helpers

@test "queue: every item consumed exactly once, in order, for every order, threads and procs" {
	for order in fifo lifo priority; do
		for j in 2 4; do
			run "$CB" -w queue --order=$order -m seq,threads,procs -j $j -s 3000 \
				--queue-cap=8 --runs=1 --warmup=0 --format=csv --no-csv
			[ "$status" -eq 0 ]
			[ "$(grep -c '"queue"' <<<"$output")" -eq 3 ]
			[ "$(grep -c 'lost=0;duplicated=0;order_errors=0' <<<"$output")" -eq 3 ]
		done
	done
	[ -z "$(leftover_children)" ]
}

@test "queue: producers must leave a consumer; bad order is a usage error" {
	run "$CB" -w queue -m threads -j 2 --producers=2 -s small --runs=1 --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: queue: --producers=2 leaves no consumer"* ]]
	run "$CB" -w queue -m threads -j 2 --order=random -s small --runs=1 --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"--order: 'random'"* ]]
}

@test "ipc: every channel, ping-pong and stream, threads and procs, verified" {
	for ch in pipe socketpair mqueue shm-futex shm-sem; do
		for s in "" --stream; do
			run "$CB" -w ipc --channel=$ch $s --msg-bytes=100 -m seq,threads,procs -j 2 \
				-s 300 --runs=1 --warmup=0 --format=csv --no-csv
			[ "$status" -eq 0 ]
			[ "$(grep -c 'bad_msgs=0;lost_msgs=0' <<<"$output")" -eq 3 ]
		done
	done
	[ -z "$(leftover_children)" ]
}

@test "ipc: the table shows round-trip time, or MB/s with --stream" {
	run "$CB" -w ipc -m threads -j 2 -s small --runs=1 --no-csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"rtt_us="* ]]
	run "$CB" -w ipc --stream -m procs -j 2 -s small --runs=1 --no-csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"MB_per_s="* ]]
}

@test "ipc: more than two workers, an unknown channel, a zero message are usage errors" {
	run "$CB" -w ipc -m threads -j 3 -s small --runs=1 --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: ipc: a two-party bench: use --workers=2"* ]]
	run "$CB" -w ipc --channel=carrier-pigeon -m threads -j 2 --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"--channel: 'carrier-pigeon'"* ]]
	run "$CB" -w ipc --msg-bytes=0 -m threads -j 2 --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"--msg-bytes"* ]]
}

@test "ipc: a cell stopped by --timeout ends at once, nothing blocked, no process left" {
	for m in threads procs; do
		run timeout 60 "$CB" -w ipc -m $m -j 2 -s 6000000 --timeout=300ms --runs=1 \
			--warmup=0 --no-csv
		[ "$status" -eq 1 ]
		[[ "$output" == *"timed out"* ]]
		[[ "$output" != *"could not be stopped"* ]]
	done
	[ -z "$(leftover_children)" ]
}

@test "ctxswitch: the ring verifies on one CPU and anywhere, 1 to 3 workers" {
	for cpu in same any; do
		run "$CB" -w ctxswitch --ctx-cpu=$cpu -m seq,threads,procs -j 2,3 -s 200 --runs=1 \
			--warmup=0 --format=csv --no-csv
		[ "$status" -eq 0 ]
		[ "$(grep -c 'bad_tokens=0' <<<"$output")" -eq 5 ]
		grep -q "same_cpu=$([ $cpu = same ] && echo 1 || echo 0)" <<<"$output"
	done
	[ -z "$(leftover_children)" ]
}

@test "spawn: threads, fork and posix_spawn are created, joined and reaped" {
	for how in thread fork posix-spawn; do
		run "$CB" -w spawn --spawn=$how --alive=2 -m seq,threads,procs -j 2 -s 10 --runs=1 \
			--warmup=0 --format=csv --no-csv
		[ "$status" -eq 0 ]
		[ "$(grep -c 'private_kb_per=' <<<"$output")" -eq 3 ]
	done
	[ -z "$(leftover_children)" ]
	run "$CB" -w spawn --spawn=posix-spawn --program=/nonexistent -m threads -j 1 --no-csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"--program: '/nonexistent'"* ]]
}

@test "pool: empty tasks run once each in every mode and agree with seq" {
	run "$CB" -w pool.empty,pool.tiny -m seq,threads,procs,thread-per-task,fork-per-task -j 3 \
		-t 200 --runs=1 --warmup=0 --format=csv --no-csv
	[ "$status" -eq 0 ]
	[ "$(grep -c '"ok"' <<<"$output")" -eq 10 ]
	grep -q 'tasks_per_s=' <<<"$output"
	[ -z "$(leftover_children)" ]
}

@test "--trace: every task of the last rep of every cell, once, with its worker and times" {
	run "$CB" -w pool.empty -m seq,threads,procs,fork-per-task -j 3 -t 50 --runs=2 \
		--warmup=1 --no-csv --trace=trace.csv
	[ "$status" -eq 0 ]
	[ "$(head -1 trace.csv)" = "workload,mode,workers,rep,task,worker,t_start_s,t_end_s" ]
	[ "$(wc -l <trace.csv)" -eq $((4 * 50 + 1)) ]
	for m in seq threads procs fork-per-task; do
		# tasks 0..49 once each, rep = last measured rep (1)
		[ "$(awk -F, -v m=$m '$2 == m && $4 == 1 { print $5 }' trace.csv | sort -n | uniq | wc -l)" -eq 50 ]
	done
	# workers in range, t_end >= t_start >= 0
	awk -F, 'NR > 1 && ($6 >= $3 || $7 < 0 || $8 < $7) { exit 1 }' trace.csv
	# benches: one row per worker body
	run "$CB" -w ipc -m threads -j 2 -s small --runs=1 --warmup=0 --no-csv --trace=b.csv
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ipc,threads,2,0,' b.csv)" -eq 2 ]
}

@test "--trace: an unwritable file is an error named after the option" {
	run "$CB" -w pool.empty -m threads -j 2 -t 10 --runs=1 --warmup=0 --no-csv \
				--trace=/nonexistent/dir/t.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: --trace: /nonexistent/dir/t.csv: directory /nonexistent/dir does not exist"* ]]
	# refused before anything ran: no table
	[[ "$output" != *"speedup"* ]]
}

@test "--json: an unwritable path is refused before the run, exit 2" {
	run "$CB" -w pool.empty -m threads -t 10 --runs=1 --no-csv --json=/nonexistent/dir/x.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: --json: /nonexistent/dir/x.json: directory /nonexistent/dir does not exist"* ]]
	[[ "$output" != *"speedup"* ]]
}

