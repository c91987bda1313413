#!/bin/sh
# Run a small suite under valgrind memcheck, every forked worker and server
# included: any memory error or definite/indirect leak in any process fails.
set -eu
bin=${1:-bin/concbench}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
vg="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --trace-children=yes --log-file=$logs/%p.log"
status() { # status EXPECTED COMMAND...: run, accept only the expected exit status
	want=$1
	shift
	echo "memcheck: concbench $*" >&2
	st=0
	$vg "$bin" "$@" >/dev/null 2>&1 || st=$?
	[ "$st" -eq "$want" ] || { echo "memcheck: exit $st, want $want" >&2; exit 1; }
}
small="--runs=1 --warmup=0 --size=small --no-csv -q --workers=2"
status 0 --mode=seq,threads,procs,thread-per-task,fork-per-task --workload=cpu $small
status 0 --mode=threads,procs,gil,fork-per-task --workload=sleep,net.fetch,file.read,image.gray $small
status 0 --mode=threads,procs --workload=race.mutex,semaphore,queue,deadlock.ordered,ipc $small
status 1 --mode=threads,procs --workload=cpu.primes --inject=fail@3 $small
status 0 list
status 0 sysinfo
status 0 sysinfo --check
status 2 --workers=0
n=$(ls "$logs" | wc -l)
# with -q, valgrind writes nothing for a clean process
bad=$(find "$logs" -name '*.log' -size +0 | sort)
if [ -n "$bad" ]; then

	for f in $bad; do cat "$f"; done >&2
	echo "memcheck: errors or leaks in the processes above" >&2
	exit 1
fi
echo "memcheck: $n processes, no errors, no leaks" >&2
