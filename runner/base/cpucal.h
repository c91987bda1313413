/* cpucal.h - per-CPU speed calibration: two fixed kernels (a latency-bound
 * integer chain and a throughput-bound floating-point block) timed while
 * pinned to each CPU of the affinity mask, at the start and end of a run;
 * and the short probe of the second one around each rep. The kernels'
 * blocks are static: call these from one thread at a time (the engine's). */
#ifndef CONCBENCH_CPUCAL_H
#define CONCBENCH_CPUCAL_H

#include <stddef.h>

#define CPUCAL_MAX 64 /* CPUs calibrated: the first of the affinity mask */
#define CPUCAL_SPREAD_WARN 0.10 /* speeds differ, or drifted, by more: warn */

struct cpucal {
	unsigned n;
	unsigned cpu[CPUCAL_MAX];
	double
	    kernel_s[CPUCAL_MAX]; /* best time of the integer chain on cpu[i]; NaN: could not pin */
	double fp_s[CPUCAL_MAX]; /* best time of the floating-point block on cpu[i] */
	long klass[CPUCAL_MAX]; /* cpu_capacity, else the maximum frequency; 0: unknown */
};

/* Time both kernels (2^15 splitmix64 steps, about 0.12 ms, and a 64 x 64
 * block multiply-add, about 0.04 ms; best of 40 each: 7 ms per CPU) pinned
 * to each CPU of the calling thread's affinity mask, then restore the
 * mask. Can't fail: a CPU that can't be pinned gets NaN; n == 0 when the
 * mask can't be read. */
void cpucal_measure(struct cpucal *c);

/* The floating-point kernel, best of 3, pinned to each of cpus[0..n) in
 * turn, into fp_s[i] (NaN: could not pin); then the calling thread's mask
 * is restored. About 0.35 ms per CPU, pinning included (0.7 ms for two on the development VM).
 * Can't fail. */
void cpucal_probe(const unsigned *cpus, unsigned n, double *fp_s);

/* The least of best[] (indexed like c->cpu) over the CPUs of the same
 * class as c->cpu[k] - the same cpu_capacity or maximum frequency, so that
 * a hybrid machine's efficiency cores are not held to its performance
 * cores' speed; NaN when all are NaN. */
double cpucal_class_best(const struct cpucal *c, const double *best, unsigned k);

/* Slowest over fastest time, minus 1, of the kernel that differs more
 * (0.25: the slowest CPU is 25% slower). NaN with fewer than two measured
 * CPUs. */
double cpucal_spread(const struct cpucal *c);

/* Largest relative change of one CPU's time of either kernel from `a` to
 * `b` (|b/a − 1|, over CPUs present in both). NaN when none is. */
double cpucal_drift(const struct cpucal *a, const struct cpucal *b);

/* "0:0.120/0.041ms 1:0.121/0.066ms" (integer / floating-point kernel time
 * per CPU) in buf; "" when n == 0. Truncates to len. */
void cpucal_format(const struct cpucal *c, char *buf, size_t len);

#endif
