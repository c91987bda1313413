#!/usr/bin/env bats
# The event-loop answer: python-reference's asyncio rows (py-async) and,
# with --mode=async, concbench's own loop.

load helpers

PYREF="$BATS_TEST_DIRNAME/../../scripts/python-reference"

@test "python-reference: py-async sleep and net.fetch rows in concbench's schema, same answers as py-seq" {
	run timeout 120 "$PYREF" --workload=sleep,net.fetch --modes=py-seq,py-threads,py-procs,py-async \
		--workers=2 --runs=1 --warmup=0 --tasks=8 --size=1 --sleep=1ms --net-latency=1ms \
		--concbench="$CB" --csv=py.csv
	[ "$status" -eq 0 ]
	"$CB" -w sleep -m seq --runs=1 -t 2 -s 1 -q --csv=cb.csv >/dev/null
	[ "$(head -1 py.csv)" = "$(head -1 cb.csv)" ]
	# 2 workloads x (seq, threads, procs, async) rows, each verified
	[ "$(tail -n +2 py.csv | wc -l)" -eq 8 ]
	python3 - <<'PY'
import csv, collections
rows = list(csv.DictReader(open("py.csv")))
sums = collections.defaultdict(set)
for r in rows:
    assert r["verified"] == "1" and r["status"] == "ok", r
    sums[r["workload"]].add(r["checksum"])
assert {r["mode"] for r in rows} == {"py-seq", "py-threads", "py-procs", "py-async"}
assert all(len(s) == 1 for s in sums.values()), sums
assert [r["workers"] for r in rows if r["mode"] == "py-async"] == ["1", "1"]
PY
	# the server it started is gone
	[ -z "$(leftover_children)" ]
}

@test "python-reference: bad py-async options are usage errors" {
	run "$PYREF" --workload=mixed --modes=py-async --csv=x.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"mixed has no py-async form"* ]]
	run "$PYREF" --workload=sleep --modes=py-nope --csv=x.csv
	[ "$status" -eq 2 ]
	[ ! -e x.csv ]
}
