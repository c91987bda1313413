#!/bin/sh
# Run a small suite under valgrind memcheck, forked workers included:
# any error or definite/indirect leak fails (exit 1).
set -eu
bin=${1:-bin/concbench}
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --trace-children=yes --child-silent-after-fork=no"
run() {
	echo "memcheck: concbench $*" >&2
	$vg "$bin" "$@" --runs=1 --warmup=0 --size=small --no-csv -q >/dev/null
}
run --mode=seq,threads,procs,thread-per-task,fork-per-task --workload=cpu --workers=2
run --mode=threads --workload=cpu.primes --workers=2 --inject=fail@3 || [ $? -eq 1 ]
"$bin" list >/dev/null
$vg "$bin" list >/dev/null
$vg "$bin" sysinfo >/dev/null
$vg "$bin" --workers=0 2>/dev/null || [ $? -eq 2 ]
echo "memcheck: no errors, no leaks" >&2
