#!/usr/bin/env bats
# The results store (SQLite): what `--db` and `store add` keep, that
# importing twice stores once, and that bad databases and hostile names
# give a clear error and lose nothing.
load store_helpers

@test "--db stores every rep row of the run it has just written, and the CSV too" {
	run "$CB" -w cpu.primes -s small -m seq,threads -j 1,2 --runs=2 --warmup=0 -q \
		--csv=run.csv --db=s.db
	[ "$status" -eq 0 ]
	rows=$(($(wc -l <run.csv) - 1))
	[ "$rows" -eq 6 ]
	[ "$(q s.db 'SELECT count(*) FROM reps')" -eq "$rows" ]
	[ "$(q s.db 'SELECT count(*) FROM cells')" -eq 3 ]
	[ "$(q s.db 'SELECT count(*) FROM medians WHERE n = 2')" -eq 3 ]
	# the run row: commit of the binary, machine block, binary hash
	[ "$(q s.db 'SELECT git_commit FROM runs')" = "$(sed -n 2p run.csv | awk -F, '{print $29}' | tr -d '"')" ]
	q s.db 'SELECT machine FROM runs' | grep -q 'cpu_model='
	[ "$(q s.db 'SELECT length(binary_hash) FROM runs')" -eq 32 ]
	# every raw row is kept: the stored raw CSV of rep rows equals the file's rows
	# (the store quotes every field; the values are the same)
	diff <(q s.db 'SELECT raw FROM reps' | tr -d '"' | sort) <(tail -n +2 run.csv | tr -d '"' | sort)
}

@test "store add is idempotent: the same run imported twice is stored once" {
	synth_run a.csv r1 hostA c1 1.0
	synth_run b.csv r2 hostA c2 1.1
	run "$CB" store add --db=s.db a.csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"stored 1 runs (10 rep rows); 0 already stored"* ]]
	run "$CB" store add --db=s.db a.csv b.csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"stored 1 runs (10 rep rows); 1 already stored"* ]]
	[ "$(q s.db 'SELECT count(*) FROM runs')" -eq 2 ]
	[ "$(q s.db 'SELECT count(*) FROM reps')" -eq 20 ]
	# two runs of one configuration share their cells
	[ "$(q s.db 'SELECT count(*) FROM cells')" -eq 2 ]
	[ "$(q s.db "SELECT git_commit FROM runs ORDER BY git_commit" | paste -sd,)" = "c1,c2" ]
}

@test "store add --commit, --branch and \$CONCBENCH_DB set where and what is stored" {
	synth_run a.csv r1 hostA c1 1.0
	CONCBENCH_DB=env.db run "$CB" store add --commit=abc123 --branch=main --commit-time=1700000000 a.csv
	[ "$status" -eq 0 ]
	[ "$(q env.db 'SELECT git_commit, git_branch, commit_time FROM runs')" = "abc123|main|1700000000" ]
}

@test "a bad CSV is refused before anything is stored" {
	synth_run a.csv r1 hostA c1 1.0
	printf 'schema_version,run_id\n1,"x"\n' >bad.csv
	run "$CB" store add --db=s.db a.csv bad.csv
	[ "$status" -eq 2 ]
	[[ "$output" == "concbench: store add: bad.csv"* ]]
	[ "$(q s.db 'SELECT count(*) FROM runs' 2>/dev/null || echo 0)" -eq 0 ]
	run "$CB" store add --db=s.db
	[ "$status" -eq 2 ]
	run "$CB" store frob
	[ "$status" -eq 2 ]
}

@test "a file that is not a database, or a corrupt one, is refused with exit 2 and left as it was" {
	synth_run a.csv r1 hostA c1 1.0
	head -c 8192 /dev/urandom >junk.db
	sum=$(md5sum <junk.db)
	run "$CB" store add --db=junk.db a.csv
	[ "$status" -eq 2 ]
	[[ "$output" == "concbench: store add: junk.db: not a SQLite database, or corrupt"* ]]
	[ "$(md5sum <junk.db)" = "$sum" ]
	# a run with --db into it: exit 2, but the CSV is written
	run "$CB" -w cpu.primes -s small -m seq -j 1 --runs=1 --warmup=0 -q --csv=run.csv --db=junk.db
	[ "$status" -eq 2 ]
	[[ "$output" == *"junk.db: not a SQLite database"*"the CSV is written: run.csv"* ]]
	[ "$(wc -l <run.csv)" -eq 2 ]
}

@test "a truncated store is refused (exit 2), not half-read" {
	for i in $(seq 1 30); do synth_run "a$i.csv" "r$i" hostA "c$i" 1.0; done
	"$CB" store add --db=s.db a*.csv >/dev/null
	sqlite3 s.db 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE' >/dev/null
	size=$(stat -c %s s.db)
	truncate -s $((size / 2)) s.db
	synth_run b.csv rb hostA cb 1.0
	run "$CB" store add --db=s.db b.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"s.db: not a SQLite database, or corrupt"* ]]
}

@test "a SQLite file of another application is not touched" {
	synth_run a.csv r1 hostA c1 1.0
	sqlite3 other.db 'CREATE TABLE t (x); INSERT INTO t VALUES (1);'
	sum=$(md5sum <other.db)
	run "$CB" store add --db=other.db a.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"other.db: not a concbench results database"* ]]
	[ "$(md5sum <other.db)" = "$sum" ]
}

@test "a store of a newer schema is refused clearly (exit 2), nothing written" {
	synth_run a.csv r1 hostA c1 1.0
	synth_run b.csv r2 hostA c2 1.0
	"$CB" store add --db=s.db a.csv >/dev/null
	q s.db "UPDATE meta SET value = '99' WHERE key = 'schema_version'"
	run "$CB" store add --db=s.db b.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"s.db: schema version 99 is newer than this concbench's (1); use a newer concbench"* ]]
	[ "$(q s.db 'SELECT count(*) FROM runs')" -eq 1 ]
}

@test "a read-only store is refused (exit 2)" {
	synth_run a.csv r1 hostA c1 1.0
	"$CB" store add --db=s.db a.csv >/dev/null
	synth_run b.csv r2 hostA c2 1.0
	chmod 444 s.db
	chmod 555 .
	if [ "$(id -u)" -eq 0 ]; then
		# root writes through file modes: run as nobody to see them
		chmod o+rx "$TMP"
		run setpriv --reuid=65534 --regid=65534 --clear-groups "$CB" store add --db=s.db b.csv
	else
		run "$CB" store add --db=s.db b.csv
	fi
	chmod 755 .
	[ "$status" -eq 2 ]
	[[ "$output" == *"s.db: read-only"* ]]
	[ "$(q s.db 'SELECT count(*) FROM runs')" -eq 1 ]
}

@test "a store locked by another writer: waits, then fails with exit 1 and a clear message, nothing lost" {
	synth_run a.csv r1 hostA c1 1.0
	synth_run b.csv r2 hostA c2 1.0
	"$CB" store add --db=s.db a.csv >/dev/null
	# another process holds the write lock for 3 s
	python3 -c 'import sqlite3, time, sys
c = sqlite3.connect("s.db", isolation_level=None)
c.execute("BEGIN EXCLUSIVE"); print("locked", flush=True); time.sleep(3); c.execute("ROLLBACK")' >lock.out &
	holder=$!
	for _ in $(seq 50); do grep -q locked lock.out && break; sleep 0.1; done
	CONCBENCH_DB_BUSY_MS=200 run "$CB" store add --db=s.db b.csv
	wait "$holder"
	[ "$status" -eq 1 ]
	[[ "$output" == *"s.db: database is locked by another process"* ]]
	# once the lock is gone the same import succeeds
	run "$CB" store add --db=s.db b.csv
	[ "$status" -eq 0 ]
	[ "$(q s.db 'SELECT count(*) FROM runs')" -eq 2 ]
}

@test "names with quotes and SQL are stored verbatim (every value is a bound parameter)" {
	evil="x'; DROP TABLE runs; --"
	# (synth_run writes fields as given: CSV doubles a quote)
	synth_run a.csv "r'1" 'host ""A""'"'" c1 1.0 "$evil"
	run "$CB" store add --db=s.db a.csv
	[ "$status" -eq 0 ]
	[ "$(q s.db 'SELECT count(*) FROM runs')" -eq 1 ]
	[ "$(q s.db 'SELECT DISTINCT workload FROM cells')" = "$evil" ]
	[ "$(q s.db 'SELECT host FROM runs')" = "host \"A\"'" ]
}

@test "a file with a bad run stores nothing of it: the check comes before any write" {
	synth_run a.csv a-good hostA c1 1.0
	synth_run a.csv bad hostA c2 1.0
	synth_run a.csv z-good hostA c3 1.0
	# the bad run lists rep 0 of a cell twice
	sed -n '2p' a.csv | sed 's/"a-good"/"bad"/' >>a.csv
	run "$CB" store add --db=s.db a.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"appears twice in run bad"* ]]
	[ "$(q s.db 'SELECT count(*) FROM reps')" -eq 0 ]
	[ "$(q s.db 'SELECT count(*) FROM runs')" -eq 0 ]
}

@test "a PostgreSQL password never appears in a message" {
	synth_run a.csv r1 hostA c1 1.0
	run "$CB" store add --db='postgresql://bob:s3cr3t@127.0.0.1:1/cb?connect_timeout=2' a.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"postgresql://bob:***@127.0.0.1:1/cb"*"can't connect"* ]]
	[[ "$output" != *s3cr3t* ]]
	run "$CB" store add --db='host=127.0.0.1 port=1 password=s3cr3t dbname=x connect_timeout=2' a.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"password=***"* ]]
	[[ "$output" != *s3cr3t* ]]
}

@test "--db needs the CSV" {
	run "$CB" -w cpu.primes -s small --no-csv --db=s.db -q
	[ "$status" -eq 2 ]
	[[ "$output" == "concbench: --db: needs the CSV file"* ]]
	[ ! -e s.db ]
}

@test "4 concurrent writers into one SQLite file: no 'database is locked', row counts exact" {
	for w in 1 2 3 4; do
		for i in $(seq 1 10); do synth_run "w$w.csv" "r$w-$i" "host$w" "c$i" 1.0; done
	done
	for w in 1 2 3 4; do "$CB" store add --db=s.db "w$w.csv" w1.csv >"out$w" 2>&1 & done
	wait
	cat out*
	run grep -l locked out1 out2 out3 out4
	[ "$status" -eq 1 ]
	[ "$(q s.db 'SELECT count(*) FROM runs')" -eq 40 ]
	[ "$(q s.db 'SELECT count(*) FROM reps')" -eq 400 ]
	[ "$(q s.db 'SELECT count(*) FROM medians')" -eq 80 ]
}

@test "store export: the newest N runs of a host and branch as one CSV compare reads" {
	for i in 1 2 3; do
		synth_run "m$i.csv" "m$i" hostA "c$i" "1.$i" w.x "$i"
		"$CB" store add --db=s.db --branch=main "m$i.csv" >/dev/null
	done
	synth_run f.csv f1 hostA c9 2.0 w.x 9
	"$CB" store add --db=s.db --branch=feature f.csv >/dev/null
	synth_run o.csv o1 hostB c9 2.0 w.x 9
	"$CB" store add --db=s.db --branch=main o.csv >/dev/null
	run "$CB" store export --db=s.db --host=hostA --branch=main --last=2 -o base.csv
	[ "$status" -eq 0 ]
	# runs m3 and m2 (newest commits), 10 rows each, nothing of f1 or hostB
	[ "$(tail -n +2 base.csv | cut -d, -f2 | sort | uniq -c | awk '{print $2 ":" $1}' | paste -sd,)" = '"m2":10,"m3":10' ]
	run "$CB" compare base.csv m1.csv
	[ "$status" -ne 2 ]
	run "$CB" store export --db=s.db --branch=nosuch -o none.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"no stored run matches"* ]]
	[ ! -e none.csv ]
}

@test "ci-regress with CI_DB and CI_TRAILING: HEAD against stored runs of main on this host, and HEAD stored" {
	suite="-w cpu.primes -s small -m seq -j 1"
	for i in 1 2; do
		# shellcheck disable=SC2086
		CONCBENCH_BRANCH=main "$CB" $suite --runs=3 --warmup=0 -q --csv="b$i.csv" --db=s.db >/dev/null
	done
	CI_DB=$TMP/s.db CI_TRAILING=2 CI_HEAD_BIN=$CB CI_ROUNDS=2 CI_RUNS=2 CI_BRANCH=feature \
		CI_SUITE="$suite" run sh -c 'cd "$1" && exec scripts/ci-regress' _ "$BATS_TEST_DIRNAME/../.."
	echo "$output"
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || [ "$status" -eq 3 ] # a verdict (3: inconclusive), whichever the noise gives
	[[ "$output" == *"the newest 2 stored runs of main on $(uname -n) (trailing baseline)"* ]]
	[[ "$output" == *"cpu.primes"* ]]
	[ "$(q s.db "SELECT count(*) FROM runs WHERE git_branch = 'feature'")" -eq 2 ]
	[ "$(q s.db "SELECT count(*) FROM runs WHERE git_branch = 'main'")" -eq 2 ]
}

@test "ci-regress: an undecided gate (exit 3) shows the runner's load, steal and CPU-speed checks" {
	# the stored runs are of another size: no cell in common, always exit 3
	CONCBENCH_BRANCH=main "$CB" -w cpu.primes -s 1000 -m seq -j 1 --runs=2 --warmup=0 -q \
		--csv=b.csv --db=s.db >/dev/null
	CI_DB=$TMP/s.db CI_TRAILING=1 CI_HEAD_BIN=$CB CI_ROUNDS=1 CI_RUNS=1 \
		CI_SUITE="-w cpu.primes -s small -m seq -j 1" \
		run sh -c 'cd "$1" && exec scripts/ci-regress' _ "$BATS_TEST_DIRNAME/../.."
	[ "$status" -eq 3 ]
	[[ "$output" == *"Undecided (exit 3). Where cells were too noisy to decide, rerun"* ]]
	for c in load steal cpu_speed cpu_steady; do
		grep -Eq "^(OK|WARN|n/a) +$c " <<<"$output" || { echo "no $c line"; false; }
	done
	# a decided gate adds nothing
	CI_DB=$TMP/s.db CI_TRAILING=1 CI_HEAD_BIN=$CB CI_ROUNDS=1 CI_RUNS=1 CI_COMPARE=--inconclusive=pass \
		CI_SUITE="-w cpu.primes -s small -m seq -j 1" \
		run sh -c 'cd "$1" && exec scripts/ci-regress' _ "$BATS_TEST_DIRNAME/../.."
	[ "$status" -eq 0 ]
	[[ "$output" != *"Undecided"* ]]
}

@test "adapters: Google Benchmark and hyperfine JSON import as their own cells, once" {
	cat >gb.json <<'JSON'
{"context": {"date": "2026-01-02T03:04:05+00:00", "host_name": "gbhost", "num_cpus": 4},
 "benchmarks": [
  {"name": "BM_sort/64", "run_name": "BM_sort/64", "run_type": "iteration", "repetition_index": 0, "threads": 1, "iterations": 100, "real_time": 2000, "cpu_time": 1900, "time_unit": "ns"},
  {"name": "BM_sort/64", "run_name": "BM_sort/64", "run_type": "iteration", "repetition_index": 1, "threads": 1, "iterations": 100, "real_time": 3000, "cpu_time": 2900, "time_unit": "ns"},
  {"name": "BM_sort/64", "run_name": "BM_sort/64", "run_type": "iteration", "repetition_index": 2, "threads": 1, "iterations": 100, "real_time": 2500, "cpu_time": 2400, "time_unit": "ns"},
  {"name": "BM_sort/64_mean", "run_name": "BM_sort/64", "run_type": "aggregate", "aggregate_name": "mean", "real_time": 2500, "cpu_time": 2400, "time_unit": "ns"},
  {"name": "BM_io/threads:2", "run_name": "BM_io/threads:2", "run_type": "iteration", "repetition_index": 0, "threads": 2, "real_time": 1.5, "cpu_time": 1, "time_unit": "ms"}
 ]}
JSON
	cat >hf.json <<'JSON'
{"results": [{"command": "sleep 0.1", "mean": 0.1, "user": 0.001, "system": 0.002,
  "times": [0.101, 0.103, 0.102, 0.104], "exit_codes": [0, 0, 0, 0]}]}
JSON
	run "$CB" store add --db=s.db gb.json hf.json
	[ "$status" -eq 0 ]
	[[ "$output" == *"stored 2 runs (8 rep rows)"* ]] # aggregates are not reps
	run "$CB" store add --db=s.db hf.json gb.json
	[[ "$output" == *"stored 0 runs (0 rep rows); 2 already stored"* ]]
	[ "$(q s.db "SELECT c.host, c.workload, c.mode, c.workers, m.n, printf('%.9f', m.median) FROM medians m JOIN cells c USING (cell_uid) ORDER BY 2" | paste -sd' ')" = \
		"gbhost|gbench.BM_io/threads:2|external|2|1|0.001500000 gbhost|gbench.BM_sort/64|external|1|3|0.000002500 $(uname -n)|hyperfine.sleep 0.1|external|1|4|0.102500000" ]
	echo '{"neither": 1}' >x.json
	run "$CB" store add --db=s.db x.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"x.json: JSON, but neither Google Benchmark"* ]]
	printf '{"results": [' >trunc.json
	run "$CB" store add --db=s.db trunc.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"trunc.json:1: not JSON"* ]]
}

@test "adapters: export a stored run as Bencher BMF and github-action-benchmark JSON" {
	synth_run a.csv r1 hostA c1 2.0
	"$CB" store add --db=s.db a.csv >/dev/null
	run "$CB" store export --db=s.db --format=bmf -o bmf.json
	[ "$status" -eq 0 ]
	[ "$(jq -r '."w.x/mode:seq/workers:1".latency.value' bmf.json)" = 2004000000 ]
	[ "$(jq -r '."w.x/mode:threads/workers:2".latency | .lower_value <= .value and .value <= .upper_value' bmf.json)" = true ]
	run "$CB" store export --db=s.db --format=github-action-benchmark -o gab.json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'map(.name + "=" + (.value | tostring) + .unit) | join(",")' gab.json)" = "w.x/mode:seq/workers:1=2.004s,w.x/mode:threads/workers:2=1.002s" ]
	run "$CB" store export --db=s.db --format=xml
	[ "$status" -eq 2 ]
}
