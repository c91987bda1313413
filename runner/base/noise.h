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

/* "steal", "run-queue" or "" for a rep of `workers` on `cpus` CPUs with
 * these shares (NaN: not measured, not noisy). Can't fail. */
static inline const char *noise_of_rep(double runq_share, double steal_share, double workers,
                                       double cpus)
{
	double own = workers > cpus && cpus > 0 ? 1 - cpus / workers : 0;

	if (steal_share > NOISE_STEAL_SHARE)
		return "steal";
	if (runq_share - own > NOISE_RUNQ_EXCESS)
		return "run-queue";
	return "";
}

#endif
