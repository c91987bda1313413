/* cpucal.h - per-CPU speed calibration: the same fixed kernel timed while
 * pinned to each CPU of the affinity mask, at the start and end of a run. */
#ifndef CONCBENCH_CPUCAL_H
#define CONCBENCH_CPUCAL_H

#include <stddef.h>

#define CPUCAL_MAX 64 /* CPUs calibrated: the first of the affinity mask */
#define CPUCAL_SPREAD_WARN 0.10 /* speeds differ, or drifted, by more: warn */

struct cpucal {
	unsigned n;
	unsigned cpu[CPUCAL_MAX];
	double kernel_s[CPUCAL_MAX]; /* best time of the kernel on cpu[i]; NaN: could not pin */
};

/* Time the calibration kernel (2^15 splitmix64 steps, about 0.12 ms; best of 40: 5 ms per CPU)
 * pinned to each CPU of the calling thread's affinity mask, then restore
 * the mask. Can't fail: a CPU that can't be pinned gets NaN; n == 0 when
 * the mask can't be read. */
void cpucal_measure(struct cpucal *c);

/* Slowest over fastest kernel time, minus 1 (0.25: the slowest CPU is 25%
 * slower). NaN with fewer than two measured CPUs. */
double cpucal_spread(const struct cpucal *c);

/* Largest relative change of one CPU's kernel time from `a` to `b`
 * (|b/a − 1|, over CPUs present in both). NaN when none is. */
double cpucal_drift(const struct cpucal *a, const struct cpucal *b);

/* "0:1.02ms 1:2.31ms" (kernel time per CPU) in buf; "" when n == 0.
 * Truncates to len. */
void cpucal_format(const struct cpucal *c, char *buf, size_t len);

#endif
