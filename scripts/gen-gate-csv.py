#!/usr/bin/env python3
"""scripts/gen-gate-csv.py OUT.csv SEED [SLOW_CELLS]: a synthetic concbench
CSV for the gate benchmark (make bench-gate): 2,500 cells (5 workloads x 20
sizes x 25 mode/worker pairs) x 120 reps (12 runs of 10) = 300,000 rows with
every column of schema_version 1. SLOW_CELLS (default 0) cells get wall
times 25% longer."""
import random
import sys

COLS = ("schema_version,run_id,timestamp,host,cpus,workload,mode,workers,tasks,size,rep,"
        "wall_s,user_s,sys_s,cpu_util,nvcsw,nivcsw,max_rss_kb,startup_s,ops,ops_per_s,"
        "task_p50_s,task_p99_s,gil_wait_s,gil_switches,checksum,verified,version,git_rev,"
        "status,error,ops_unit,metrics,gil_forced_drops,gil_drop_requests,gil_wait_p50_s,"
        "gil_wait_p99_s,baseline,seed,pin,switch_interval_s,transport,cpu_model,cpus_online,"
        "cgroup_cpus,kernel,compiler,cflags,loadavg,loadavg_start,loadavg_end")


def main():
    out, seed = sys.argv[1], int(sys.argv[2])
    slow = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    rnd = random.Random(seed)
    wls = ["cpu.primes", "cpu.matmul", "cpu.montecarlo", "cpu.mandelbrot", "cpu.hash"]
    pairs = [("seq", 1)] + [(m, w) for m in ("threads", "procs", "gil") for w in range(1, 9)]
    cell = 0
    with open(out, "w") as f:
        f.write(COLS + "\n")
        for wl in wls:
            for s in range(20):
                size = 100000 * (s + 1)
                for mode, workers in pairs:
                    base = 0.01 * (s + 1) / min(workers, 2)
                    factor = 1.25 if cell < slow else 1.0
                    cell += 1
                    for run in range(12):
                        rid = "17000%05d-%d" % (seed, run)
                        for rep in range(10):
                            wall = base * factor * rnd.lognormvariate(0, 0.03)
                            gil = mode == "gil"
                            f.write(
                                '1,"%s","2026-12-02T05:00:%02dZ","vm",2,"%s","%s",%d,64,%d,%d,'
                                '%.9g,%.9g,0,%.6g,3,%d,8204,2.4e-05,%d,%.9g,4.9e-05,0.00013,%s,%s,'
                                '"b7259d367327c997",1,"0.1.0","13a770c","ok","","candidate",'
                                '"primes=9592",%s,%s,%s,%s,0,%d,0,%s,"%s","AMD EPYC",2,"max",'
                                '"Linux 6.18.44 x86_64","gcc 12.2.0","-O2 -g",1.61,1.61,1.62\n'
                                % (rid, rep, wl, mode, workers, size, run * 10 + rep, wall,
                                   wall * workers, workers * 0.98, rnd.randrange(50), size,
                                   size / wall, "0.001" if gil else "", "12" if gil else "",
                                   "1" if gil else "", "2" if gil else "",
                                   "1e-05" if gil else "", "5e-05" if gil else "", seed,
                                   "0.005" if gil else "", "shm" if mode == "procs" else ""))


main()
