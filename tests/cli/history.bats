#!/usr/bin/env bats
# `concbench history`: change points over commits with their numbers,
# the formats CI reads, the exit code, and triage kept in the store.
load store_helpers

@test "history finds a 20% step where it is, with medians, change and interval" {
	series s.db hostA step:1.2
	run "$CB" history --db=s.db --format=csv
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 3 ] # header + seq and threads cells
	line=$(echo "$output" | grep '"seq"')
	IFS=, read -r _ state _ _ _ _ _ _ _ runs cb ca before after change lo hi p kind <<<"$line"
	[ "$state" = '"new"' ] && [ "$runs" -eq 20 ]
	[ "$cb" = '"c10"' ] && [ "$ca" = '"c11"' ]
	[ "$kind" = '"regression"' ]
	awk -v b="$before" -v a="$after" -v c="$change" -v lo="$lo" -v hi="$hi" -v p="$p" 'BEGIN {
		exit !(b > 0.99 && b < 1.01 && a > 1.19 && a < 1.21 && c > 0.19 && c < 0.21 &&
		       lo <= c && c <= hi && lo > 0.15 && hi < 0.25 && p < 1e-6) }'
}

@test "history: no change point in a flat series; a short series says it can't decide" {
	series s.db hostA $STEP10
	series s.db hostB 1.0 1.3 1.0 1.3
	run "$CB" history --db=s.db
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c 'hostA .*no change point')" -eq 2 ]
	[ "$(echo "$output" | grep -c 'hostB .*too short to decide (need 10 runs)')" -eq 2 ]
	[[ "$output" == *"4 cells: 0 change points; 2 cells without one; 2 too short to decide"* ]]
}

@test "history --fail-on=new-regression: exit 1 until the regression is acknowledged or expected" {
	series s.db hostA step:1.2
	run "$CB" history --db=s.db --fail-on=new-regression
	[ "$status" -eq 1 ]
	ids=$("$CB" history --db=s.db --format=csv | tail -n +2 | cut -d, -f1 | tr -d '"')
	[ "$(echo "$ids" | wc -l)" -eq 2 ]
	set -- $ids
	run "$CB" history ack "$1" --db=s.db
	[ "$status" -eq 0 ]
	[ "$output" = "$1: acknowledged" ]
	run "$CB" history --db=s.db --fail-on=new-regression
	[ "$status" -eq 1 ]
	"$CB" history --db=s.db expect "$2" >/dev/null
	run "$CB" history --db=s.db --fail-on=new-regression
	[ "$status" -eq 0 ]
	[ "$(q s.db "SELECT state FROM changepoints ORDER BY state" | paste -sd,)" = "acknowledged,expected" ]
	# an improvement is not a regression
	series i.db hostA step:0.8
	run "$CB" history --db=i.db --fail-on=new-regression
	[ "$status" -eq 0 ]
	[[ "$output" == *"-20.0%"* ]]
}

@test "history --branch: only that branch's runs count; cells without any are left out" {
	CONCBENCH_BRANCH=main series s.db hostA step:1.2
	CONCBENCH_BRANCH=feature series s.db hostB 1.0 1.3 1.0 1.3
	# hostA's cells also have 5 far slower runs on the feature branch
	for i in 1 2 3 4 5; do synth_run f.csv "feat-r$i" hostA "f$i" 5.0 w.x $((100 + i)); done
	CONCBENCH_BRANCH=feature "$CB" store add --db=s.db f.csv >/dev/null
	run "$CB" history --db=s.db --branch=main --format=csv
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 3 ]
	[ "$(echo "$output" | grep -c '"hostA","w.x",".*",20,"c10","c11",.*"regression"')" -eq 2 ]
	run "$CB" history --db=s.db --branch=feature
	[[ "$output" == *"4 cells: 0 change points; 0 cells without one; 4 too short to decide"* ]]
	run "$CB" history --db=s.db --format=csv
	[ "$(echo "$output" | grep -c '"hostA","w.x",".*",25,')" -ge 2 ]
	run "$CB" history --db=s.db --branch=nosuch
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 cells: 0 change points"* ]]
}

@test "history: a regression undone later is marked fixed" {
	series s.db hostA step:1.2 $STEP10
	run "$CB" history --db=s.db --format=csv --workload='w.*'
	[ "$(echo "$output" | grep -c '"fixed".*"seq"')" -eq 1 ]
	[ "$(echo "$output" | grep -c '"new".*"seq".*"improvement"')" -eq 1 ]
	run "$CB" history --db=s.db --fail-on=new-regression
	[ "$status" -eq 0 ]
}

@test "history keeps hosts apart and filters by host and workload" {
	series s.db hostA step:1.2
	series s.db hostB $STEP10 $STEP10
	run "$CB" history --db=s.db --host=hostB --format=json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq '.cells | length')" -eq 2 ]
	[ "$(echo "$output" | jq '[.cells[].change_points | length] | add')" -eq 0 ]
	run "$CB" history --db=s.db --host=hostA --format=json
	[ "$(echo "$output" | jq -r '.cells[0].change_points[0].commit_after')" = c11 ]
	run "$CB" history --db=s.db --workload='nomatch*' --format=json
	[ "$(echo "$output" | jq '.cells | length')" -eq 0 ]
	run "$CB" history --db=s.db --format=markdown
	[ "$(echo "$output" | grep -c '^| [0-9a-f]\{12\} | new | hostA')" -eq 2 ]
}

@test "history: bad options and unknown ids are exit 2" {
	series s.db hostA 1.0
	run "$CB" history --db=s.db --format=xml
	[ "$status" -eq 2 ]
	run "$CB" history --db=s.db --fail-on=anything
	[ "$status" -eq 2 ]
	run "$CB" history --db=s.db ack 0123456789ab
	[ "$status" -eq 2 ]
	[[ "$output" == *"'0123456789ab': no such change point"* ]]
	run "$CB" history --db=s.db --alpha=2
	[ "$status" -eq 2 ]
	head -c 4096 /dev/urandom >junk.db
	run "$CB" history --db=junk.db
	[ "$status" -eq 2 ]
}

@test "history --noise: false alarms counted on A/A pairs, and the smallest detectable change" {
	SERIES_COMMIT=same series s.db hostA $STEP10 1.0 1.0
	run "$CB" history --noise --db=s.db
	[ "$status" -eq 0 ]
	# 12 runs of one binary: 11 pairs, none flagged, one A/A series without change points
	[ "$(echo "$output" | grep -c '^hostA .* 11 *0 (0.0%) *0 (1) .*% (5)$')" -eq 2 ]
	# a host whose A/A runs jump between two levels: compare flags every pair
	SERIES_COMMIT=same series s.db hostB 1.0 1.5 1.0 1.5 1.0 1.5
	run "$CB" history --noise --db=s.db --host=hostB
	[ "$(echo "$output" | grep -c '^hostB .* 5 *5 (100.0%)')" -eq 2 ]
	[ "$(echo "$output" | grep -c '^hostA')" -eq 0 ]
}

@test "history --metric=fit.usl.sigma: the store keeps each run's scaling fit, and a rise in contention is a regression" {
	usl_series u.csv
	"$CB" store add --db=s.db u.csv >/dev/null
	# one series cell (workers 0) per workload x mode, a fit per run
	[ "$(q s.db "SELECT count(*) FROM cells WHERE workers = 0")" -eq 1 ]
	[ "$(q s.db "SELECT count(*) FROM medians WHERE metric = 'fit.usl.sigma'")" -eq 20 ]
	[ "$(q s.db "SELECT count(*) FROM medians WHERE metric = 'fit.amdahl.serial'")" -eq 20 ]
	run "$CB" history --db=s.db --metric=fit.usl.sigma --format=csv
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(echo "$output" | wc -l)" -eq 2 ] # header + the series cell
	IFS=, read -r _ state _ wl mode workers _ _ _ runs cb ca before after _ _ _ _ kind <<<"$(sed -n 2p <<<"$output")"
	[ "$wl" = '"w.u"' ] && [ "$mode" = '"threads"' ] && [ "$workers" -eq 0 ] && [ "$runs" -eq 20 ]
	[ "$state" = '"new"' ] && [ "$kind" = '"regression"' ]
	[ "$cb" = '"c10"' ] && [ "$ca" = '"c11"' ]
	awk -v b="$before" -v a="$after" 'BEGIN { exit !(b > 0.04 && b < 0.06 && a > 0.27 && a < 0.33) }' ||
		{ echo "$output"; false; }
	# κ stayed 0: no change; the change is a shift, not a ratio
	run "$CB" history --db=s.db --metric=fit.usl.kappa
	[ "$status" -eq 0 ]
	grep -q '^- .* w.u  *threads  *0  *20 no change point' <<<"$output"
	run "$CB" history --db=s.db --metric=fit.usl.sigma
	grep -Eq '^[0-9a-f]{12} new .* c10..c11 +0.05 +0.3 \+0.25 \[\+0.2[0-9]*, \+0.[23][0-9]*\]' <<<"$output" ||
		{ echo "$output"; false; }
	# the wall-time history is as before: the fit cell has no wall_s series
	run "$CB" history --db=s.db --format=csv
	[ "$(echo "$output" | grep -c '"w.u","threads",0,')" -eq 0 ]
	run "$CB" history --db=s.db --metric=fit.usl.nope
	[ "$status" -eq 2 ]
	[[ "$output" == *"concbench: --metric: 'fit.usl.nope': want wall_s, fit.amdahl.serial, fit.usl.sigma or fit.usl.kappa"* ]]
}
