#!/usr/bin/env bats
# scripts/lint-tests: a bats assertion that cannot fail is refused, and the
# reason it exists (bats ignores a failing `! cmd` before a test's last line).
load helpers

LINT=$BATS_TEST_DIRNAME/../../scripts/lint-tests

# fixture NAME.bats < TEXT: a test file. "TEST" stands for bats' at-test,
# which bats would otherwise preprocess inside this file too, and "NOT" for
# the `!` that lint-tests would otherwise find in this file.
fixture() {
	sed -e 's/^TEST /@test /' -e 's/^\(\s*\)NOT /\1! /' >"$1"
}

# A test file whose assertions are all false, each in a form bats ignores.
write_vacuous() {
	fixture vacuous.bats <<'EOF'
#!/usr/bin/env bats
TEST "mid-test" {
	NOT true
	echo after
}
TEST "in a loop" {
	for i in 1 2; do
		NOT true
	done
	echo after
}
check() {
	NOT true
	return 0
}
TEST "in a helper" {
	check
}
EOF
}

@test "bats passes a test whose mid-test '! cmd' is false (the reason for the check)" {
	write_vacuous
	run bats vacuous.bats
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq 3 ]
}

@test "lint-tests refuses '! cmd' mid-test, in a loop and in a helper" {
	write_vacuous
	run "$LINT" vacuous.bats
	[ "$status" -eq 1 ]
	# ShellCheck's SC2314 for the test body, our grep for all three
	[[ "$output" == *"vacuous.bats:3:2: error:"*"[SC2314]"* ]]
	[ "$(grep -c 'never fails a bats test here' <<<"$output")" -eq 3 ]
	grep -q '^vacuous.bats:3:' <<<"$output"
	grep -q '^vacuous.bats:8:' <<<"$output"
	grep -q '^vacuous.bats:13:' <<<"$output"
}

@test "lint-tests accepts the forms that can fail" {
	fixture fine.bats <<'EOF'
#!/usr/bin/env bats
TEST "ok" {
	run ! false
	[ ! -e nothing ]
	[[ ! -e nothing ]]
	if ! true; then echo no; fi
	while ! true; do break; done
	[[ "$output" != *x* ]]
	# ! in a comment
}
EOF
	run "$LINT" fine.bats
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "the project's own tests pass lint-tests" {
	run "$LINT"
	[ "$status" -eq 0 ]
}

@test "lint-paths names a cited file that the project lacks" {
	paths=$BATS_TEST_DIRNAME/../../scripts/lint-paths
	r=runner # spelt out, the stale path would be cited by this file too
	cat >stale.c <<EOF2
/* the pool lives in $r/pool.c (moved), the schema in DESIGN.md */
/* see $r/exec/pool.c and scripts/bench.sh; results/concbench-<stamp>.csv */
EOF2
	run "$paths" "$TMP/stale.c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stale.c:1: $r/pool.c: no such file in the project"* ]]
	[[ "$output" == *"stale.c:1: DESIGN.md: no file of that name in the project"* ]]
	[ "${#lines[@]}" -eq 2 ]
	run "$paths"
	[ "$status" -eq 0 ]
}
