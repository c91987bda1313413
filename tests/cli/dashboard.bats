#!/usr/bin/env bats
# `concbench dashboard`: a self-contained page, rendered by Debian's
# headless Chromium; checks read the DOM Chromium built (every series in
# the store is drawn, no script error, no console message), and a
# screenshot is kept in the build directory.
load store_helpers

SHOTS=${CONCBENCH_SHOTS:-$BATS_TEST_DIRNAME/../../build}

# browser URL_OR_FILE ARGS…: headless Chromium with a private profile.
browser() {
	local page=$1
	shift
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$TMP/profile" --enable-logging=stderr --v=0 "$@" "file://$page"
}

needs_browser() {
	# Under sanitizers the page is the same; the browser adds only time.
	[ -z "${CONCBENCH_SAN:-}" ] || skip "browser checks run in the plain build"
	command -v chromium >/dev/null || skip "chromium not installed (scripts/deps.txt)"
}

@test "dashboard: every series in the store is drawn in Chromium, with change points and open regressions, no errors" {
	needs_browser
	series s.db hostA step:1.2
	series s.db hostB $STEP10 step:0.9
	run "$CB" dashboard --db=s.db -o dash
	[ "$status" -eq 0 ]
	[ "$output" = "dash/index.html: 4 cells" ]
	browser "$TMP/dash/index.html" --dump-dom >dom.html 2>console.log
	python3 "$BATS_TEST_DIRNAME/dashboard_dom.py" <dom.html >dom.txt
	cat dom.txt
	# the cells of the store, as the page should name them
	q s.db "SELECT host || '|' || workload || ' ' || mode || ' ' || char(215) || workers FROM cells ORDER BY 1" >want.txt
	[ "$(wc -l <want.txt)" -eq 4 ]
	diff want.txt <(sed -n 's/^series //p' dom.txt | sort)
	grep -qx 'rendered 4' dom.txt
	grep -qx 'errors 0' dom.txt
	grep -qx 'open 2' dom.txt # hostA's slowdown in both cells; hostB's change is an improvement
	grep -qx 'changepoints 4' dom.txt
	grep -qx 'external 0' dom.txt # self-contained: nothing loaded from elsewhere
	run grep -c 'CONSOLE' console.log
	[ "$output" -eq 0 ]
	mkdir -p "$SHOTS"
	browser "$TMP/dash/index.html" --screenshot="$SHOTS/dashboard.png" --window-size=1280,1100 2>/dev/null
	[ -s "$SHOTS/dashboard.png" ]
}

@test "dashboard: a triaged regression leaves the open table; names with markup stay text" {
	needs_browser
	series s.db hostA step:1.2
	synth_run evil.csv "e1" hostC c1 1.0 '</script><script>document.title=1</script>'
	"$CB" store add --db=s.db evil.csv >/dev/null
	for id in $("$CB" history --db=s.db --format=csv | grep '"new"' | cut -d, -f1 | tr -d '"'); do
		"$CB" history --db=s.db expect "$id" >/dev/null
	done
	"$CB" dashboard --db=s.db -o dash >/dev/null
	browser "$TMP/dash/index.html" --dump-dom 2>/dev/null | python3 "$BATS_TEST_DIRNAME/dashboard_dom.py" >dom.txt
	grep -qx 'open 0' dom.txt
	grep -qx 'errors 0' dom.txt
	grep -qx 'rendered 4' dom.txt
	grep -q '^series hostC|</script><script>document.title=1</script> seq' dom.txt
}

@test "dashboard: bad arguments and a bad store are exit 2, nothing written" {
	run "$CB" dashboard --db=s.db
	[ "$status" -eq 2 ]
	[[ "$output" == *"-o DIR is required"* ]]
	head -c 4096 /dev/urandom >junk.db
	run "$CB" dashboard --db=junk.db -o out
	[ "$status" -eq 2 ]
	[ ! -e out/index.html ]
	run "$CB" dashboard --db=s.db -o /nonexistent/dir/x
	[ "$status" -eq 2 ]
}
