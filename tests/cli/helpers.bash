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
