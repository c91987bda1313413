# Shared by the .bats files: the binary under test and a scratch directory.
CB=${CONCBENCH:-$BATS_TEST_DIRNAME/../../bin/concbench}

setup() {
	TMP=$(mktemp -d)
	cd "$TMP" || exit 1
}

teardown() {
	cd / && rm -rf "$TMP"
}

# Children of this shell still alive (a leaked worker or server shows here).
leftover_children() {
	pgrep -P $$ -a | grep -v -e bats -e pgrep || true
}
