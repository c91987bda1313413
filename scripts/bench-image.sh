#!/bin/bash
# bench-image.sh [BIN] - the numbers of issue 5 (image workloads):
#   1. speedup at 2 workers of every image filter in threads and procs (shm)
#   2. the pipe transport's extra cost: median(procs, pipe) / median(procs, shm)
#   3. MPixel/s per filter and mode (ops_per_s of the CSV / 1e6)
#   4. image.blur (1 thread) vs ImageMagick's single-threaded -blur, same
#      image, same radius and sigma (apt-installs imagemagick when missing)
# Settings: RUNS (10), ROUNDS (5), SIZE (4096: side of the generated image),
# RADIUS (5), OUT (results/bench-image). Medians and spreads are printed; the raw CSVs
# stay in $OUT; CPU = user + sys of the parent and the worker processes.
# On a machine shared with other jobs, compare the CPU columns too and see
# the load averages printed at start and end. Needs python3.
set -euo pipefail

BIN=${1:-bin/concbench}
RUNS=${RUNS:-10}
SIZE=${SIZE:-4096}
RADIUS=${RADIUS:-5}
OUT=${OUT:-results/bench-image}
SIGMA=$(awk -v r="$RADIUS" 'BEGIN { print r / 2 }')

mkdir -p "$OUT"
echo "# bench-image: $BIN, ${SIZE}x${SIZE} RGB (generated), radius $RADIUS, $RUNS runs"
echo "# $(nproc) CPUs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# 1 + 3: every filter, seq / threads / procs with shared memory, 2 workers.
# 2: the same procs cells with the pipe transport (seq runs again as the
# baseline; only procs rows are compared). The transport is per invocation,
# so the two alternate in ROUNDS rounds of RUNS / ROUNDS reps each: drift of
# the machine spreads over both instead of biasing one.
ROUNDS=${ROUNDS:-5}
per=$(((RUNS + ROUNDS - 1) / ROUNDS))
rm -f "$OUT"/shm-*.csv "$OUT"/pipe-*.csv
for ((round = 1; round <= ROUNDS; round++)); do
	"$BIN" -w 'image.*' -m seq,threads,procs -j 2 -s "$SIZE" --radius="$RADIUS" --runs="$per" \
		--transport=shm --csv="$OUT/shm-$round.csv" -q >/dev/null
	"$BIN" -w 'image.*' -m procs -j 2 -s "$SIZE" --radius="$RADIUS" --runs="$per" \
		--transport=pipe --csv="$OUT/pipe-$round.csv" -q >/dev/null
done

python3 - "$OUT" <<'EOF'
import csv, glob, statistics, sys

def rows(pattern):
    out = {}
    for r in (r for f in sorted(glob.glob(pattern)) for r in csv.DictReader(open(f))):
        if r["status"] != "ok" or r["verified"] != "1":
            sys.exit(f"{pattern}: {r['workload']} {r['mode']}: {r['status']} {r['error']}")
        out.setdefault((r["workload"], r["mode"], r.get("transport", "")), []).append(r)
    return out

def med(rs, k):
    return statistics.median(float(r[k]) for r in rs)

def cpu(rs):
    return statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in rs)

def spread(rs):
    w = sorted(float(r["wall_s"]) for r in rs)
    return f"{w[0]*1e3:.1f}-{w[-1]*1e3:.1f}"

shm, pipe = rows(sys.argv[1] + "/shm-*.csv"), rows(sys.argv[1] + "/pipe-*.csv")
print("\n| workload | mode | median ms | min-max ms | speedup | speedup of min | MPixel/s | CPU ms |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for (w, m, t), rs in sorted(shm.items()):
    base = shm[(w, "seq", "")]
    sp = med(base, "wall_s") / med(rs, "wall_s")
    name = m + (" (shm)" if m == "procs" else "")
    spm = min(float(r["wall_s"]) for r in base) / min(float(r["wall_s"]) for r in rs)
    print(f"| {w} | {name} | {med(rs,'wall_s')*1e3:.1f} | {spread(rs)} | {sp:.2f} | {spm:.2f} | "
          f"{med(rs,'ops_per_s')/1e6:.0f} | {cpu(rs)*1e3:.0f} |")
print("\n| workload | procs shm ms | procs pipe ms (min-max) | pipe / shm | MPixel/s pipe "
      "| CPU ms shm | CPU ms pipe | CPU pipe / shm |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for (w, m, t), rs in sorted(pipe.items()):
    if m != "procs":
        continue
    s = shm[(w, "procs", "shm")]
    print(f"| {w} | {med(s,'wall_s')*1e3:.1f} | {med(rs,'wall_s')*1e3:.1f} ({spread(rs)}) | "
          f"{med(rs,'wall_s')/med(s,'wall_s'):.2f} | {med(rs,'ops_per_s')/1e6:.0f} | "
          f"{cpu(s)*1e3:.0f} | {cpu(rs)*1e3:.0f} | {cpu(rs)/cpu(s):.2f} |")
EOF

# 4: the same blur in ImageMagick, one thread, on the same image file.
# IM_SIZE (2048): Debian's ImageMagick policy caps its pixel cache at 256 MiB,
# which a 4096^2 blur (two Q16 RGBA images, 268 MB) exceeds and would spill
# to disk; 2048^2 keeps it in memory. ImageMagick's time = (read + blur +
# write) - (read + write), wall and CPU (user + sys).
IM_SIZE=${IM_SIZE:-2048}
if ! command -v convert >/dev/null; then
	echo "# installing imagemagick" >&2
	apt-get install -y -qq imagemagick >/dev/null
fi
IMG="$OUT/input-$IM_SIZE.ppm"
[ -s "$IMG" ] || convert -seed 5 -size "${IM_SIZE}x${IM_SIZE}" plasma:fractal -depth 8 "$IMG"
"$BIN" -w image.blur -m seq --input="$IMG" --radius="$RADIUS" --runs="$RUNS" \
	--csv="$OUT/blur-file.csv" -q >/dev/null
median_cmd() { # "median wall s" "median cpu s" of RUNS runs of "$@"
	for ((i = 0; i < RUNS; i++)); do
		/usr/bin/time -f '%e %U %S' "$@" 2>&1 >/dev/null | tail -1
	done | python3 -c '
import statistics, sys
v = [l.split() for l in sys.stdin if l.strip()]
print(statistics.median(float(a[0]) for a in v), statistics.median(float(a[1]) + float(a[2]) for a in v))'
}
read -r io_wall io_cpu < <(median_cmd convert -limit thread 1 "$IMG" "$OUT/im-copy.ppm")
read -r bl_wall bl_cpu < <(median_cmd convert -limit thread 1 "$IMG" -blur "${RADIUS}x${SIGMA}" \
	"$OUT/im-blur.ppm")
python3 - "$OUT/blur-file.csv" "$io_wall" "$io_cpu" "$bl_wall" "$bl_cpu" "$IM_SIZE" "$RADIUS" \
	"$SIGMA" <<'EOF'
import csv, statistics, sys
rs = [r for r in csv.DictReader(open(sys.argv[1])) if r["mode"] == "seq"]
wall = statistics.median(float(r["wall_s"]) for r in rs)
cpu = statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in rs)
io_w, io_c, bl_w, bl_c = map(float, sys.argv[2:6])
im_w, im_c = max(bl_w - io_w, 1e-9), max(bl_c - io_c, 1e-9)
px = int(sys.argv[6]) ** 2
print(f"\n| blur {sys.argv[6]}x{sys.argv[6]} RGB, radius {sys.argv[7]}, sigma {sys.argv[8]}, "
      "1 thread | wall s | CPU s | MPixel/s (wall) |")
print("|---|---:|---:|---:|")
print(f"| concbench image.blur (seq, median of {len(rs)}) | {wall:.3f} | {cpu:.3f} | {px/wall/1e6:.0f} |")
print(f"| ImageMagick -limit thread 1 -blur: total {bl_w:.2f} s - read/write {io_w:.2f} s | "
      f"{im_w:.3f} | {im_c:.3f} | {px/im_w/1e6:.0f} |")
print(f"| ImageMagick / concbench | {im_w/wall:.2f}x | {im_c/cpu:.2f}x | |")
EOF
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
