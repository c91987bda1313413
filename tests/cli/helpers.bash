# Shared by the .bats files: the binary under test and a scratch directory.
# A line `! cmd` fails a bats test only as its last line (set -e ignores it):
# assert absence with `run ! cmd`, an explicit comparison or no_files below;
# scripts/lint-tests (make test) refuses the pattern.
bats_require_minimum_version 1.5.0
# shellcheck disable=SC2034 # used by every .bats file that loads this
CB=${CONCBENCH:-$BATS_TEST_DIRNAME/../../bin/concbench}

setup() {
	TMP=$(mktemp -d)
	cd "$TMP" || exit 1
}

teardown() {
	cd / && rm -rf "$TMP"
}

# no_files GLOB: fails, naming them, if any files match GLOB (left-over temp files).
no_files() {
	local left
	left=$(compgen -G "$1" || true)
	[ -z "$left" ] || {
		echo "left behind: $left"
		return 1
	}
}

# Children of this shell still alive (a leaked worker or server shows here).
leftover_children() {
	pgrep -P $$ -a | grep -v -e bats -e pgrep || true
}

# col FILE COLUMN [CONDITION]: the values of COLUMN in the rows of the CSV
# FILE for which the Python expression CONDITION (on the row r, a dict) holds.
col() {
	python3 - "$@" <<'PY'
import csv, sys
f, c = sys.argv[1], sys.argv[2]
cond = sys.argv[3] if len(sys.argv) > 3 else "True"
for r in csv.DictReader(open(f)):
    if eval(cond, {}, {"r": r}):
        print(r[c])
PY
}

# workload FILE FACTOR [ONLY [NOISY [RUN [SPIKE]]]]: a compare input,
# workload "w" in five cells (seq 1; threads and procs at 1 and 2
# workers) of 5 reps, each rep its own invocation (run_id rN; RUN: all in
# run RUN), wall time (cell + 1) s +- 1%, rep c of cell c SPIKE (default
# 1.3) times slower (a neighbour); every cell FACTOR slower, or only cell
# ONLY (>= 0); NOISY: the noisy column of every rep.
workload() {
	awk -v k="$2" -v only="${3:--1}" -v noisy="${4:-}" -v run="${5:-}" -v spike="${6:-1.3}" 'BEGIN {
		print "schema_version,run_id,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,user_s,sys_s,cpu_util,verified,noisy"
		split("seq threads threads procs procs", m, " ")
		split("1 1 2 1 2", w, " ")
		split("1.000 1.010 0.990 1.020 0.995", b, " ")
		for (c = 0; c < 5; c++)
			for (r = 0; r < 5; r++)
				printf "2,\"r%s\",\"h\",2,\"w\",\"%s\",%d,8,100,%d,%.6f,1,0,1,1,\"%s\"\n",
					run == "" ? r : run, m[c + 1], w[c + 1], r,
					(c + 1) * b[r + 1] * (r == c ? spike : 1) * (only < 0 || only == c ? k : 1), noisy
	}' >"$1"
}
