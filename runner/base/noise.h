/* noise.h - when a rep was disturbed by something outside it: the one rule
 * the engine (table flags, --max-steal) and the report share. */
#ifndef CONCBENCH_NOISE_H
#define CONCBENCH_NOISE_H

#include <math.h>

/* Share of the CPUs' time the hypervisor stole during the rep. */
#define NOISE_STEAL_SHARE 0.05
/* Run-queue share beyond the rep's own oversubscription: N workers on C
 * CPUs wait at least 1 - C/N of their time when N > C; more than this
 * above that was someone else's load. */
#define NOISE_RUNQ_EXCESS 0.10
/* CPU time other processes used on the mask's CPUs during the rep, as a
 * share of those CPUs' time: more than this was someone else's work, which
 * slows a rep even when nobody waits in a run queue (a busy SMT sibling or
 * cache neighbour of a vCPU). /proc/stat counts in ticks of 10 ms, so it
 * must also exceed NOISE_FOREIGN_MIN_S. */
#define NOISE_FOREIGN_SHARE 0.20
#define NOISE_FOREIGN_MIN_S 0.03
/* How much slower than its best in this run a CPU the rep ran on did the
 * floating-point probe just before or right after it (base/cpucal.h): a host's busy SMT
 * sibling slows a vCPU by 1.6x for seconds with no steal and no other
 * process in the guest; the probe's own spread on a quiet CPU is within
 * 12% in 99% of reps (docs/measurements/issue-16.md, round 5). Also --max-slowdown's
 * default under --precision. */
#define NOISE_SLOW_CPU 0.35

/* "steal", "slow-cpu", "run-queue", "other-load" or "" for a rep of
 * `workers` on `cpus` CPUs with these shares, foreign_s seconds of other
 * processes' CPU time and its CPUs' slowdown (NaN: not measured, not
 * noisy). Can't fail. */
static inline const char *noise_of_rep(double runq_share, double steal_share, double foreign_share,
                                       double foreign_s, double slowdown, double workers,
                                       double cpus)
{
	double own = workers > cpus && cpus > 0 ? 1 - cpus / workers : 0;

	if (steal_share > NOISE_STEAL_SHARE)
		return "steal";
	if (slowdown > NOISE_SLOW_CPU)
		return "slow-cpu";
	if (runq_share - own > NOISE_RUNQ_EXCESS)
		return "run-queue";
	if (foreign_share > NOISE_FOREIGN_SHARE && foreign_s > NOISE_FOREIGN_MIN_S)
		return "other-load";
	return "";
}

#endif
