# Shared by store.bats, history.bats and dashboard.bats: synthetic
# concbench CSVs with fixed numbers (no timing in the tests).
load helpers

SHEADER=schema_version,run_id,timestamp,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,user_s,sys_s,cpu_util,verified,git_rev,status,metrics

# synth_run FILE RUN_ID HOST COMMIT LEVEL [WORKLOAD] [SECOND]: one run,
# cells seq x1 and threads x2 of WORKLOAD (default w.x), 5 reps each, wall
# time LEVEL * (1 + rep/1000) (threads: half), started SECOND seconds after
# 2026-01-01 (default 0). Appends when FILE exists.
synth_run() {
	local f=$1 id=$2 host=$3 commit=$4 level=$5 wl=${6:-w.x}
	local ts
	ts=$(date -u -d "@$((1767225600 + ${7:-0}))" +%Y-%m-%dT%H:%M:%SZ)
	[ -s "$f" ] || echo "$SHEADER" >"$f"
	awk -v id="$id" -v host="$host" -v c="$commit" -v l="$level" -v wl="$wl" -v ts="$ts" 'BEGIN {
		for (rep = 0; rep < 5; rep++) {
			w = l * (1 + rep / 1000)
			printf "1,\"%s\",\"%s\",\"%s\",2,\"%s\",\"seq\",1,8,100,%d,%.9f,%.9f,0,1,1,\"%s\",\"ok\",\"\"\n", id, ts, host, wl, rep, w, w, c
			printf "1,\"%s\",\"%s\",\"%s\",2,\"%s\",\"threads\",2,8,100,%d,%.9f,%.9f,0,1.9,1,\"%s\",\"ok\",\"\"\n", id, ts, host, wl, rep, w / 2, w, c
		}
	}' >>"$f"
}

# q DB SQL: one value from a SQLite store.
q() {
	sqlite3 -batch -noheader "$1" "$2"
}

# series DB HOST L1 L2 … (or step:F): one run per level, commits c1, c2, … started
# one second apart (the order of commit times), stored in DB in one import.
# $SERIES_COMMIT: one commit (one binary) for all: A/A runs.
series() {
	local db=$1 host=$2 i=0 levels=() a
	shift 2
	for a in "$@"; do # step:F stands for the 20 levels of step_levels F
		if [[ "$a" == step:* ]]; then
			mapfile -t -O "${#levels[@]}" levels < <(step_levels "${a#step:}")
		else
			levels+=("$a")
		fi
	done
	rm -f "s$host.csv"
	for l in "${levels[@]}"; do
		i=$((i + 1))
		synth_run "s$host.csv" "$host-r$i" "$host" "${SERIES_COMMIT:-c$i}" "$l" w.x "$i"
	done
	"$CB" store add --db="$db" "s$host.csv" >/dev/null
}

# Levels with a little deterministic jitter: 10 runs at 1.0, 10 at STEP.
STEP10="1.000 1.004 0.997 1.002 0.999 1.003 0.996 1.001 1.000 0.998"
step_levels() { # step_levels FACTOR
	for l in $STEP10; do echo "$l"; done
	for l in $STEP10; do awk -v l="$l" -v f="$1" 'BEGIN { printf "%.4f\n", l * f }'; done
}

# usl_run FILE RUN COMMIT SIGMA SECOND: a run on 4 CPUs of w.u seq x1 and
# threads x1, x2, x4, 5 reps each, whose speedups follow the USL with
# contention SIGMA (kappa 0), with a little deterministic jitter per rep.
usl_run() {
	local ts
	ts=$(date -u -d "@$((1767225600 + $5))" +%Y-%m-%dT%H:%M:%SZ)
	[ -s "$1" ] || echo "$SHEADER" >"$1"
	awk -v id="$2" -v c="$3" -v s="$4" -v ts="$ts" 'BEGIN {
		split("1.000 1.006 0.995 1.003 0.998", j, " ")
		for (rep = 0; rep < 5; rep++) {
			printf "1,\"%s\",\"%s\",\"h\",4,\"w.u\",\"seq\",1,8,100,%d,%.9f,%.9f,0,1,1,\"%s\",\"ok\",\"\"\n", id, ts, rep, j[rep + 1], j[rep + 1], c
			for (n = 1; n <= 4; n *= 2) {
				w = j[(rep + n) % 5 + 1] * (1 + s * (n - 1)) / n
				printf "1,\"%s\",\"%s\",\"h\",4,\"w.u\",\"threads\",%d,8,100,%d,%.9f,%.9f,0,%d,1,\"%s\",\"ok\",\"\"\n", id, ts, n, rep, w, w * n, n, c
			}
		}
	}' >>"$1"
}

# usl_series FILE: 20 runs of usl_run, c1..c20: σ 0.05, then 0.30 from c11.
usl_series() {
	local i s
	for i in $(seq 1 20); do
		s=0.05
		[ "$i" -le 10 ] || s=0.30
		usl_run "$1" "r$i" "c$i" "$s" "$i"
	done
}
