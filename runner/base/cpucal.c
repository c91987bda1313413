/* cpucal.c - time one fixed integer kernel pinned to each CPU.
 *
 * The kernel is a dependent chain of splitmix64 steps: no memory traffic,
 * no branches to mispredict, so its time is the core's speed (frequency and
 * the share of the physical core the hypervisor gives this vCPU) and not
 * the caches. Many short tries, best kept: on a loaded machine (load 8 on
 * 2 vCPUs) 40 tries of 2^15 steps put the spread of two equal CPUs within
 * 3% in 20 of 20 calibrations, where 5 tries of 2^18 passed 10% in 3 of 20
 * (docs/measurements/issue-16.md). */
#include "cpucal.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#include "../concbench.h"
#include "../mix.h"

#define CPUCAL_ITERS (1u << 15)
#define CPUCAL_TRIES 40

static volatile uint64_t sink;

static double kernel_once(void)
{
	uint64_t x = 1;
	double t0 = cb_now();

	for (unsigned i = 0; i < CPUCAL_ITERS; i++)
		x = cb_mix64(x + CB_GOLDEN64);
	sink = x;
	return cb_now() - t0;
}

void cpucal_measure(struct cpucal *c)
{
	cpu_set_t saved, one;

	c->n = 0;
	if (pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved))
		return;
	for (unsigned cpu = 0; cpu < CPU_SETSIZE && c->n < CPUCAL_MAX; cpu++) {
		double best = NAN;

		if (!CPU_ISSET(cpu, &saved))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0) {
			sched_yield(); /* let the migration happen before the clock */
			for (int k = 0; k < CPUCAL_TRIES; k++) {
				double t = kernel_once();

				if (isnan(best) || t < best)
					best = t;
			}
		}
		c->cpu[c->n] = cpu;
		c->kernel_s[c->n++] = best;
	}
	pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
}

double cpucal_spread(const struct cpucal *c)
{
	double lo = NAN, hi = NAN;
	unsigned k = 0;

	for (unsigned i = 0; i < c->n; i++) {
		double t = c->kernel_s[i];

		if (isnan(t))
			continue;
		lo = k && lo < t ? lo : t;
		hi = k && hi > t ? hi : t;
		k++;
	}
	return k >= 2 && lo > 0 ? hi / lo - 1 : NAN;
}

double cpucal_drift(const struct cpucal *a, const struct cpucal *b)
{
	double worst = NAN;

	for (unsigned i = 0; i < a->n; i++)
		for (unsigned j = 0; j < b->n; j++) {
			double d;

			if (a->cpu[i] != b->cpu[j] || !(a->kernel_s[i] > 0) ||
			    isnan(b->kernel_s[j]))
				continue;
			d = fabs(b->kernel_s[j] / a->kernel_s[i] - 1);
			if (isnan(worst) || d > worst)
				worst = d;
		}
	return worst;
}

void cpucal_format(const struct cpucal *c, char *buf, size_t len)
{
	size_t o = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < c->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u:%.3fms", i ? " " : "", c->cpu[i],
		                      1e3 * c->kernel_s[i]);
}
