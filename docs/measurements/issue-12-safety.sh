#!/bin/bash
# usage: issue-12-safety.sh ABSOLUTE-PATH-OF-BINARY -- the before/after cases of
# issue 12 items 1-4 (docs/measurements/issue-12-safety.md). Run as root
# (mknod, unshare -m); device nodes are made in a temp directory, the full
# disk is a tmpfs in a private mount namespace.
# shellcheck disable=SC2012,SC2016 # ls -l shows the file type; bash -c gets $0
B=$1
d=$(mktemp -d)
cd "$d" || exit 1
echo "### item 1"
mknod full c 1 7
echo '$ concbench ... --csv=full   # full = mknod c 1 7 (a copy of /dev/full)'
"$B" -w cpu.primes -m seq -s small --runs=1 --warmup=0 -q --csv=full >/dev/null; echo "exit $?"; ls -l full | cut -c1-11
mkdir sub; echo old >sub/real.csv; ln -s sub/real.csv link.csv
echo '$ concbench ... --csv=link.csv   # link.csv -> sub/real.csv'
"$B" -w cpu.primes -m seq -s small --runs=1 --warmup=0 -q --csv=link.csv >/dev/null; echo "exit $?"; ls -l link.csv | cut -c1-11; echo "sub/real.csv: $(head -c 20 sub/real.csv)"
mkfifo fifo.csv; timeout 10 cat fifo.csv >got.csv &
echo '$ concbench ... --csv=fifo.csv   # a FIFO with a reader'
"$B" -w cpu.primes -m seq -s small --runs=1 --warmup=0 -q --csv=fifo.csv >/dev/null; echo "exit $?"; wait; ls -l fifo.csv | cut -c1-11; echo "reader got $(wc -l <got.csv) lines"
echo '$ concbench ... --csv=- | grep -c schema_version'
"$B" -w cpu.primes -m seq -s small --runs=1 --warmup=0 -q --csv=- | grep -c schema_version; ls -l -- - 2>&1 | cut -c1-60
mkdir m
echo '$ unshare -m: 64k tmpfs, old out.csv, filled up; concbench ... --csv=m/out.csv'
unshare -m bash -c 'mount -t tmpfs -o size=64k tmpfs m; echo old >m/out.csv; dd if=/dev/zero of=m/fill bs=4k 2>/dev/null
"$0" -w cpu.primes -m seq -s small --runs=1 --warmup=0 -q --csv=m/out.csv >/dev/null; echo "exit $?"; echo "out.csv: $(cat m/out.csv)"; ls m
"$0" -w cpu.primes -m seq -s small --runs=1 --warmup=0 -q --no-csv --trace=m/out.csv >/dev/null; echo "exit $?"; echo "out.csv: $(head -c 40 m/out.csv)"' "$B" 2>&1
echo "### item 2"
mkdir data
"$B" -w file.read -m seq --runs=100000 --warmup=0 --files=2 --file-bytes=64K --data-dir=data --no-csv -q >/dev/null 2>&1 & p=$!
for _ in $(seq 300); do [ -n "$(find data -name MANIFEST)" ] && break; sleep 0.1; done
kill -9 $p; wait $p 2>/dev/null
echo '$ kill -9 a file.read run; ls data'; ls data
echo '$ concbench -w file.read --files=3 ... --data-dir=data -v 2>&1 | grep -e removing -e writing; ls data'
"$B" -w file.read -m seq --runs=1 --warmup=0 --files=3 --file-bytes=64K --data-dir=data --no-csv -v 2>&1 | grep -e removing -e writing
ls data
echo "### item 3"
echo '$ (ulimit -v 2000000; timeout 20 concbench -w net.fetch --url-file=/dev/zero -m seq --runs=1)'
s=$(date +%s.%N); (ulimit -v 2000000; timeout 20 "$B" -w net.fetch --url-file=/dev/zero -m seq --runs=1 --no-csv >out.txt 2>&1); st=$?; tail -2 out.txt | cut -c1-150; echo "exit $st after $(echo "$(date +%s.%N) - $s" | bc | cut -c1-5) s"
echo '$ /usr/bin/time -f "%e s %M KB" concbench report -o r /dev/zero'
/usr/bin/time -f "%e s, max RSS %M KB" "$B" report -o r /dev/zero 2>&1 | cut -c1-150
echo '$ SIGTERM while the corpus of --files=4000 --file-bytes=1M is generated'
mkdir data2
"$B" -w file.read -m seq --files=4000 --file-bytes=1M --data-dir=data2 --runs=1 --no-csv 2>err.txt & p=$!
for _ in $(seq 400); do [ -n "$(ls -A data2)" ] && break; sleep 0.05; done
s=$(date +%s.%N); kill -TERM $p; wait $p; st=$?; echo "exit $st after $(echo "$(date +%s.%N) - $s" | bc | cut -c1-5) s"; cat err.txt; echo "left in data2: $(ls -A data2 | wc -l)"
echo "### item 4"
echo '$ concbench -w cpu.primes -m seq --workers=1,,2 --no-csv'
"$B" -w cpu.primes -m seq -s small --runs=1 --warmup=0 --workers=1,,2 --no-csv >out.txt 2>&1; st=$?; cut -c1-100 out.txt; echo "exit $st"
cd /; rm -rf "$d"
