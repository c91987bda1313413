#!/usr/bin/env bats
# The include rules of runner/README.md, checked by scripts/check-includes.

load helpers

ROOT="$BATS_TEST_DIRNAME/../.."

@test "the tree obeys the include rules" {
	run "$ROOT/scripts/check-includes"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# A copy of the rules and a few files: one allowed include, one that points
# the wrong way (analysis -> exec), one a workload must not use (base).
make_tree() {
	local d=$1
	mkdir -p "$d/runner/analysis" "$d/runner/exec" "$d/runner/base" "$d/workloads"
	cp "$ROOT/runner/README.md" "$d/runner/"
	: >"$d/runner/concbench.h"
	: >"$d/runner/exec/engine.h"
	: >"$d/runner/base/util.h"
	printf '#include "../base/util.h"\n' >"$d/runner/analysis/ok.c"
	printf '#include "../runner/concbench.h"\n' >"$d/workloads/w.c"
}

@test "a forbidden include fails the check, naming the file and line" {
	local d="$BATS_TEST_TMPDIR/tree"
	make_tree "$d"
	run "$ROOT/scripts/check-includes" "$d"
	[ "$status" -eq 0 ]
	printf '/* x */\n#include "../exec/engine.h"\n' >"$d/runner/analysis/bad.c"
	run "$ROOT/scripts/check-includes" "$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"runner/analysis/bad.c:2: includes runner/exec/engine.h: not allowed from runner/analysis/"* ]]
}

@test "a workload may include only the workload API" {
	local d="$BATS_TEST_TMPDIR/tree"
	make_tree "$d"
	printf '#include "../runner/base/util.h"\n' >>"$d/workloads/w.c"
	run "$ROOT/scripts/check-includes" "$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"workloads/w.c:2: includes runner/base/util.h"* ]]
}

@test "an include of a missing file is reported" {
	local d="$BATS_TEST_TMPDIR/tree"
	make_tree "$d"
	printf '#include "../exec/nope.h"\n' >"$d/runner/analysis/gone.c"
	run "$ROOT/scripts/check-includes" "$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"gone.c:1: includes ../exec/nope.h: no such file"* ]]
}

@test "list prints each option once per family, after the family's members" {
	run "$CB" list
	[ "$status" -eq 0 ]
	[ "$(grep -c -- '--input=FILE|DIR' <<<"$output")" -eq 1 ]
	[ "$(grep -c -- '--radius=N' <<<"$output")" -eq 1 ]
	[ "$(grep -c -- '--url=URL' <<<"$output")" -eq 1 ]
	# every image workload is listed, and the image options follow the last of them
	local last opts
	last=$(grep -n '^  image\.' <<<"$output" | tail -1 | cut -d: -f1)
	opts=$(grep -n 'options of image:' <<<"$output" | cut -d: -f1)
	[ "$(grep -c '^  image\.' <<<"$output")" -eq 5 ]
	[ "$opts" -gt "$last" ]
}

@test "make rebuilds what a changed setting affects: flags every object, the revision sysinfo.o" {
	# a private build directory: the project's own build is not touched
	root=$BATS_TEST_DIRNAME/../..
	o=$BATS_TEST_TMPDIR/o
	mk() { make -s -C "$root" O="$o" SAN= OPT=-O2 CFLAGS="-O2 -g" "$@"; }
	stats=$o/release/runner/base/stats.o sys=$o/release/runner/base/sysinfo.o
	mk GIT_REV=aaaaaaa "$stats" "$sys" >/dev/null
	run mk -q GIT_REV=aaaaaaa "$stats" "$sys"
	[ "$status" -eq 0 ]
	# a new commit: sysinfo.o records it, nothing else changes
	run mk -q GIT_REV=bbbbbbb "$sys"
	[ "$status" -eq 1 ]
	run mk -q GIT_REV=bbbbbbb "$stats"
	[ "$status" -eq 0 ]
	mk GIT_REV=bbbbbbb "$sys" >/dev/null
	grep -q 'bbbbbbb' "$sys"
	# other flags into the same directory: every object again
	run mk -q GIT_REV=bbbbbbb CFLAGS="-O0 -g" "$stats"
	[ "$status" -eq 1 ]
}
