#!/usr/bin/env bats
# The results store on a real PostgreSQL server (started here, on a Unix
# socket in a temp directory, stopped at the end): the same answers as
# SQLite, idempotent imports, a fleet of concurrent writers, and faults.
load store_helpers
load pg_helpers

setup_file() {
	# Under ThreadSanitizer these add nothing (the store is single-threaded)
	# and cost a server start: they run in the plain and ASan builds.
	if [[ "${CONCBENCH_SAN:-}" == *thread* ]]; then
		export CB_PG_SKIP=1
		return 0
	fi
	pg_start || {
		cat "${PGDIR:-/nonexistent}"/*.log >&3 2>/dev/null || true
		pg_stop
		return 1
	}
}

teardown_file() {
	pg_stop
}

setup() {
	[ -z "${CB_PG_SKIP:-}" ] || skip "PostgreSQL store tests run in the plain and ASan+UBSan builds"
	TMP=$(mktemp -d)
	cd "$TMP" || exit 1
	pg_fresh
}

@test "PostgreSQL: store add stores every row once, and answers as SQLite does" {
	synth_run a.csv r1 hostA c1 1.0
	synth_run a.csv r2 hostB c2 1.2
	synth_run b.csv r3 hostA c3 1.1
	run "$CB" store add --db="$CB_PG" a.csv b.csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"stored 3 runs (30 rep rows); 0 already stored"* ]]
	run "$CB" store add --db="$CB_PG" a.csv b.csv
	[[ "$output" == *"stored 0 runs (0 rep rows); 3 already stored"* ]]
	"$CB" store add --db=s.db a.csv b.csv >/dev/null
	sql="SELECT c.host, c.workload, c.mode, c.workers, r.git_commit, m.n, m.median
	     FROM medians m JOIN cells c ON c.cell_uid = m.cell_uid JOIN runs r ON r.run_uid = m.run_uid
	     ORDER BY 1, 2, 3, 4, 5"
	pg=$(psqlc "$sql")
	lite=$(q s.db "$sql")
	[ "$(echo "$pg" | wc -l)" -eq 6 ]
	diff <(echo "$pg") <(echo "$lite")
	[ "$(psqlc 'SELECT count(*) FROM reps')" -eq 30 ]
	[ "$(psqlc 'SELECT value FROM meta WHERE key = $$schema_version$$')" -eq 1 ]
}

@test "PostgreSQL: a real run with --db=postgresql://…" {
	run "$CB" -w cpu.primes -s small -m seq,threads -j 2 --runs=2 --warmup=0 -q --csv=run.csv --db="$CB_PG"
	[ "$status" -eq 0 ]
	[ "$(psqlc 'SELECT count(*) FROM reps')" -eq $(($(wc -l <run.csv) - 1)) ]
}

@test "PostgreSQL: 8 concurrent writers lose nothing and duplicate nothing" {
	for w in $(seq 1 8); do
		for i in $(seq 1 10); do synth_run "w$w.csv" "r$w-$i" "host$w" "c$i" 1.0; done
	done
	for w in $(seq 1 8); do "$CB" store add --db="$CB_PG" "w$w.csv" w1.csv >"out$w" 2>&1 & done
	wait
	cat out*
	[ "$(psqlc 'SELECT count(*) FROM runs')" -eq 80 ]
	[ "$(psqlc 'SELECT count(*) FROM reps')" -eq 800 ]
	# each host's series apart: 2 cells per host
	[ "$(psqlc 'SELECT count(DISTINCT cell_uid) FROM cells')" -eq 16 ]
	[ "$(psqlc 'SELECT count(*) FROM (SELECT host FROM cells GROUP BY host HAVING count(*) = 2) x')" -eq 8 ]
}

@test "PostgreSQL: a wrong password is exit 2, and the password is never shown" {
	synth_run a.csv r1 hostA c1 1.0
	run "$CB" store add --db="postgresql://pw:wrongpass@/cb?host=$PGDIR" a.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"pw:***@"*"password authentication failed"* ]]
	[[ "$output" != *wrongpass* ]]
	PGPASSWORD=right run "$CB" store add --db="$CB_PGPW" a.csv
	[ "$status" -eq 0 ]
}

@test "PostgreSQL: names with quotes and SQL are stored verbatim" {
	evil="x'; DROP TABLE runs; --"
	synth_run a.csv "r'1" 'h""o'"'"'st' c1 1.0 "$evil"
	run "$CB" store add --db="$CB_PG" a.csv
	[ "$status" -eq 0 ]
	[ "$(psqlc 'SELECT DISTINCT workload FROM cells')" = "$evil" ]
	[ "$(psqlc 'SELECT host FROM runs')" = "h\"o'st" ]
}

@test "PostgreSQL: a newer schema is refused (exit 2)" {
	synth_run a.csv r1 hostA c1 1.0
	"$CB" store add --db="$CB_PG" a.csv >/dev/null
	psqlc "UPDATE meta SET value = '7' WHERE key = 'schema_version'"
	run "$CB" store add --db="$CB_PG" a.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"schema version 7 is newer than this concbench's (1)"* ]]
}

@test "PostgreSQL: the server connection dies mid-run: exit 1, the run is not half-stored" {
	synth_run a.csv r1 hostA c1 1.0
	synth_run b.csv r2 hostA c2 1.0
	"$CB" store add --db="$CB_PG" a.csv >/dev/null
	# hold a lock on reps so the import stops inside its transaction ...
	PGAPPNAME=cblocker psql -h "$PGDIR" -U cb -d cb -qAt -c 'BEGIN; LOCK TABLE reps IN EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT' >/dev/null 2>&1 &
	locker=$!
	for _ in $(seq 300); do
		[ "$(psqlc "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'reps' AND l.mode = 'ExclusiveLock' AND l.granted")" -eq 1 ] && break
		sleep 0.1
	done
	"$CB" store add --db="$CB_PG&application_name=cbvictim" b.csv >out 2>&1 &
	victim=$!
	# ... then kill its server process, as a crash would
	for _ in $(seq 300); do
		[ "$(psqlc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cbvictim' AND wait_event_type = 'Lock'")" -eq 1 ] && break
		sleep 0.1
	done
	psqlc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cbvictim'" >/dev/null
	st=0
	wait "$victim" || st=$?
	psqlc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cblocker'" >/dev/null
	wait "$locker" || true
	cat out
	[ "$st" -eq 1 ]
	grep -q "concbench: store add: .*connection lost" out
	[ "$(psqlc 'SELECT count(*) FROM runs')" -eq 1 ]
	[ "$(psqlc 'SELECT count(*) FROM reps')" -eq 10 ]
}

@test "PostgreSQL: history gives the same change points as SQLite, and triage works" {
	series "$CB_PG" hostA step:1.2
	series s.db hostA step:1.2
	run "$CB" history --db="$CB_PG" --format=csv
	[ "$status" -eq 0 ]
	pg=$output
	lite=$("$CB" history --db=s.db --format=csv)
	[ "$(echo "$pg" | grep -c '"c10","c11"')" -eq 2 ]
	diff <(echo "$pg") <(echo "$lite")
	id=$(echo "$pg" | sed -n 2p | cut -d, -f1 | tr -d '"')
	"$CB" history --db="$CB_PG" ack "$id" >/dev/null
	[ "$(psqlc "SELECT state FROM changepoints WHERE cp_id = '$id'")" = acknowledged ]
}

@test "PostgreSQL: the stored scaling fits and their history are the same as in SQLite" {
	usl_series u.csv
	"$CB" store add --db="$CB_PG" u.csv >/dev/null
	"$CB" store add --db=s.db u.csv >/dev/null
	[ "$(psqlc "SELECT count(*) FROM medians WHERE metric = 'fit.usl.sigma'")" -eq 20 ]
	run "$CB" history --db="$CB_PG" --metric=fit.usl.sigma --format=csv
	[ "$status" -eq 0 ]
	pg=$output
	lite=$("$CB" history --db=s.db --metric=fit.usl.sigma --format=csv)
	[ "$(echo "$pg" | grep -c '"c10","c11"')" -eq 1 ]
	diff <(echo "$pg") <(echo "$lite")
}
