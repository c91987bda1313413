#!/bin/bash
# bench-io.sh - the numbers of the I/O workloads (issue 4):
#  1. sleep and net.fetch (20 ms, 64 tasks): threads and procs at 1,2,4,8,16
#     workers in one table, speedup vs seq against the 0.9 x workers target;
#  2. the embedded HTTP server's requests/s (no latency, 1 KiB bodies) under
#     wrk, side by side with nginx (one worker process, same body, same
#     client), alternating, REPS times each; plus concbench's own libcurl
#     client against the embedded server;
#  3. file.read warm throughput vs `cat` over the same corpus.
# Usage: scripts/bench-io.sh [BIN] [REPS]   (installs wrk and nginx-light if missing)
set -euo pipefail

BIN=${1:-bin/concbench}
REPS=${2:-5}
WORK=$(mktemp -d)
NGINX_PID=
SERVE_PID=
cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

need() {
	command -v "$1" >/dev/null && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1; } || true
	fi
	command -v "$1" >/dev/null || PATH=$PATH:/usr/sbin command -v "$1" >/dev/null
}

# median and spread ((max-min)/median) of numbers, one per line
stats() { sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2;
	printf "%.0f (spread %.1f%%, n=%d, min %.0f, max %.0f)", m, (v[NR]-v[1])/m*100, NR, v[1], v[NR]}'; }

echo "# concbench I/O benchmarks"
echo
echo "host: $(hostname), $(nproc) CPUs, $(uname -r), $($BIN --version)"
echo

# --- 1. sleep and net.fetch sweep -------------------------------------------------
echo "## 1. sleep and net.fetch: 20 ms waits, 64 tasks, threads and procs"
echo
echo "command: $BIN -w sleep,net.fetch --sleep=20ms --net-latency=20ms -t 64 -s 1 -m seq,threads,procs -j 1,2,4,8,16 --runs=$REPS"
echo
"$BIN" -w sleep,net.fetch --sleep=20ms --net-latency=20ms -t 64 -s 1 -m seq,threads,procs \
	-j 1,2,4,8,16 --runs="$REPS" --warmup=1 -q --csv="$WORK/sweep.csv" >"$WORK/sweep.txt"
echo '```'
cat "$WORK/sweep.txt"
echo '```'
echo
# speedup = median(seq) / median(cell); target 0.9 x workers
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ gsub(/"/, ""); k = $c["workload"] SUBSEP $c["mode"] SUBSEP $c["workers"];
	  n[k]++; w[k, n[k]] = $c["wall_s"]; keys[k] = 1 }
	function median(k,   i, j, t, a, m) {
		m = n[k]; for (i = 1; i <= m; i++) a[i] = w[k, i];
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	END {
		print "| workload | mode | workers | median ms | speedup | target (0.9 x workers) | met |"
		print "|---|---|---:|---:|---:|---:|---|"
		for (k in keys) { split(k, p, SUBSEP); if (p[2] == "seq") base[p[1]] = median(k) }
		for (k in keys) { split(k, p, SUBSEP); if (p[2] == "seq") continue;
			s = base[p[1]] / median(k); t = 0.9 * p[3];
			printf "| %s | %s | %d | %.1f | %.2f | %.1f | %s |\n", p[1], p[2], p[3], median(k) * 1000, s, t, (s >= t ? "yes" : "NO") }
	}' "$WORK/sweep.csv" | { read -r h; read -r s; echo "$h"; echo "$s"; sort -t'|' -k2,2 -k3,3 -k4,4n; }
echo

# --- 2. server requests/s ---------------------------------------------------------
echo "## 2. embedded server vs nginx: requests/s, no latency, 1 KiB body, loopback"
echo
if need wrk wrk && need nginx nginx-light; then
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
	mkdir -p "$WORK/www" "$WORK/nginx"
	head -c 1024 /dev/urandom >"$WORK/www/body"
	port=$((20000 + RANDOM % 20000))
	cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $WORK/nginx/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$port;
		root $WORK/www;
		location / { try_files /body =404; default_type application/octet-stream; }
	}
}
EOF
	"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
	NGINX_PID=$!
	"$BIN" serve --net-bytes=1024 >"$WORK/serve.out" &
	SERVE_PID=$!
	sleep 1
	sport=$(awk '/^port /{print $2}' "$WORK/serve.out")
	curl -sf -o /dev/null "http://127.0.0.1:$port/" || { echo "nginx did not answer"; exit 1; }
	WRK="wrk -t 1 -c 32 -d 5s"
	for _ in $(seq "$REPS"); do
		$WRK "http://127.0.0.1:$sport/" | awk '/Requests\/sec/ {print $2}' >>"$WORK/rps.concbench"
		$WRK "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}' >>"$WORK/rps.nginx"
	done
	echo "client: \`$WRK URL\` (1 client thread, 32 keep-alive connections), $REPS runs each, alternating"
	echo
	echo "| server | requests/s: median (spread, runs, min, max) |"
	echo "|---|---|"
	echo "| concbench serve (1 process, epoll) | $(stats <"$WORK/rps.concbench") |"
	echo "| nginx $("$NGINX" -v 2>&1 | sed 's/.*\///') (worker_processes 1, static 1 KiB file) | $(stats <"$WORK/rps.nginx") |"
	echo
	kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=
	kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=
else
	echo "wrk or nginx unavailable: skipped"
	echo
fi
echo "concbench's own client (libcurl, keep-alive) against the embedded server:"
echo
echo "command: $BIN -w net.fetch --net-latency=0 --net-bytes=1K -t 64 -s 200 -m threads -j 1,2,8 --runs=$REPS"
echo
echo '```'
"$BIN" -w net.fetch --net-latency=0 --net-bytes=1K -t 64 -s 200 -m threads -j 1,2,8 \
	--runs="$REPS" -q --csv="$WORK/own.csv"
echo '```'
echo
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ gsub(/"/, ""); print $c["mode"] " " $c["workers"] " " $c["ops_per_s"] }' "$WORK/own.csv" |
	sort -k1,1 -k2,2n | awk '{ k = $1 " w=" $2; if (k != last && last != "") { print last ": " s }
		if (k != last) s = ""; s = s " " int($3); last = k } END { print last ": " s }' |
	sed 's/^/    requests\/s per rep, /'
echo

# --- 3. file.read warm vs cat ------------------------------------------------------
echo "## 3. file.read warm vs cat: 64 files x 1 MiB"
echo
DATA="$WORK/data"
mkdir -p "$DATA"
echo "command: $BIN -w file.read --data-dir=DIR --keep-data --cache=warm -t 64 -m seq,threads -j 1,2 --runs=$REPS"
echo
echo '```'
"$BIN" -w file.read --data-dir="$DATA" --keep-data --cache=warm -t 64 -m seq,threads -j 1,2 \
	--runs="$REPS" -q --csv="$WORK/file.csv"
echo '```'
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ gsub(/"/, ""); if ($c["mode"] == "seq") print $c["ops_per_s"] / 1e6 }' "$WORK/file.csv" >"$WORK/mbs.seq"
corpus=$(ls -d "$DATA"/concbench-file.*)
cat "$corpus"/f* >/dev/null # warm, like concbench's warmup rep
for _ in $(seq "$REPS"); do
	t0=$(date +%s.%N)
	cat "$corpus"/f* >/dev/null
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", 64 * 1048576 / ($2 - $1) / 1e6 }' >>"$WORK/mbs.cat"
done
echo
echo "| reader | MB/s: median (spread, runs, min, max) |"
echo "|---|---|"
echo "| concbench file.read seq (read 128 KiB blocks + XXH3) | $(stats <"$WORK/mbs.seq") |"
echo "| cat f* > /dev/null (one process, timed with date) | $(stats <"$WORK/mbs.cat") |"
