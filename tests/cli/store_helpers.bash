# Shared by store.bats, history.bats and dashboard.bats: synthetic
# concbench CSVs with fixed numbers (no timing in the tests).
load helpers

SHEADER=schema_version,run_id,timestamp,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,user_s,sys_s,cpu_util,verified,git_rev,status,metrics

# synth_run FILE RUN_ID HOST COMMIT LEVEL [WORKLOAD]: one run, cells seq x1
# and threads x2 of WORKLOAD (default w.x), 5 reps each, wall time
# LEVEL * (1 + rep/1000) (threads: half). Appends when FILE exists.
synth_run() {
	local f=$1 id=$2 host=$3 commit=$4 level=$5 wl=${6:-w.x}
	[ -s "$f" ] || echo "$SHEADER" >"$f"
	awk -v id="$id" -v host="$host" -v c="$commit" -v l="$level" -v wl="$wl" 'BEGIN {
		for (rep = 0; rep < 5; rep++) {
			w = l * (1 + rep / 1000)
			printf "1,\"%s\",\"2026-01-01T00:00:00Z\",\"%s\",2,\"%s\",\"seq\",1,8,100,%d,%.9f,%.9f,0,1,1,\"%s\",\"ok\",\"\"\n", id, host, wl, rep, w, w, c
			printf "1,\"%s\",\"2026-01-01T00:00:00Z\",\"%s\",2,\"%s\",\"threads\",2,8,100,%d,%.9f,%.9f,0,1.9,1,\"%s\",\"ok\",\"\"\n", id, host, wl, rep, w / 2, w, c
		}
	}' >>"$f"
}

# q DB SQL: one value from a SQLite store.
q() {
	sqlite3 -batch -noheader "$1" "$2"
}
