/* cpucal.c - time two fixed kernels pinned to each CPU.
 *
 * The latency kernel is a dependent chain of splitmix64 steps: no memory
 * traffic, no branches to mispredict, so its time is the core's speed
 * (frequency and the share of the physical core the hypervisor gives this
 * vCPU) and not the caches. Many short tries, best kept: on a loaded
 * machine (load 8 on 2 vCPUs) 40 tries of 2^15 steps put the spread of two
 * equal CPUs within 3% in 20 of 20 calibrations, where 5 tries of 2^18
 * passed 10% in 3 of 20 (docs/measurements/issue-16.md).
 *
 * The throughput kernel is a 64 x 64 block multiply-add held in L1: it
 * keeps the core's load and floating-point ports busy, which a dependent
 * chain leaves idle. A busy SMT sibling on the host (another guest's vCPU
 * on the same physical core) takes those ports: on this VM one vCPU ran
 * the throughput kernel 1.6x slower, for seconds at a time, while the
 * latency kernel saw the two CPUs within 2% - and cpu.matmul reps came in
 * two speeds, 0.37 and 0.65 s (docs/measurements/issue-16.md, round 5). */
#include "cpucal.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#include "../concbench.h"
#include "../mix.h"

#define CPUCAL_ITERS (1u << 15)
#define CPUCAL_TRIES 40

#define FP_N 64
#define FP_TRIES_PROBE 3

/* The kernels time the CPU, so a sanitizer must not instrument their loads
 * and stores: under TSan the per-rep probe took about 40 ms a rep (a run
 * of 300 short reps 13.4 s, against 0.65 s plain) and timed the
 * instrumentation, not the CPU. Nothing else touches their data. */
#define CPUCAL_KERNEL __attribute__((no_sanitize("address", "undefined", "thread")))

static volatile uint64_t sink;
static volatile double fsink;

CPUCAL_KERNEL static double kernel_once(void)
{
	uint64_t x = 1;
	double t0 = cb_now();

	for (unsigned i = 0; i < CPUCAL_ITERS; i++)
		x = cb_mix64(x + CB_GOLDEN64);
	sink = x;
	return cb_now() - t0;
}

/* C += A B on 64 x 64 blocks (96 KiB: L1 and L2); the inputs are filled
 * once, C grows harmlessly. The blocks are static (cpucal.h: one thread
 * at a time). */
CPUCAL_KERNEL static double fp_once(void)
{
	static double a[FP_N * FP_N], b[FP_N * FP_N], c[FP_N * FP_N];
	static bool filled;
	double t0;

	if (!filled) {
		for (int i = 0; i < FP_N * FP_N; i++) {
			a[i] = (double)(i % 7) * 0.5;
			b[i] = (double)(i % 5) * 0.25;
		}
		filled = true;
	}
	t0 = cb_now();
	for (int i = 0; i < FP_N; i++)
		for (int k = 0; k < FP_N; k++) {
			double aik = a[i * FP_N + k];

			for (int j = 0; j < FP_N; j++)
				c[i * FP_N + j] += aik * b[k * FP_N + j];
		}
	fsink = c[FP_N + 1];
	return cb_now() - t0;
}

static double best_of(double (*kernel)(void), int tries)
{
	double best = NAN;

	for (int k = 0; k < tries; k++) {
		double t = kernel();

		if (isnan(best) || t < best)
			best = t;
	}
	return best;
}

static bool pin_to(unsigned cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one))
		return false;
	sched_yield(); /* let the migration happen before the clock */
	return true;
}

/* /sys/devices/system/cpu/cpuN/cpu_capacity, else cpufreq/cpuinfo_max_freq;
 * 0 when neither can be read (one class for all). */
static long cpu_class(unsigned cpu)
{
	static const char *const files[] = {"cpu_capacity", "cpufreq/cpuinfo_max_freq"};
	char path[96];
	long v = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && v <= 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/%s", cpu, files[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v > 0 ? v : 0;
}

void cpucal_measure(struct cpucal *c)
{
	cpu_set_t saved;

	c->n = 0;
	if (pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved))
		return;
	for (unsigned cpu = 0; cpu < CPU_SETSIZE && c->n < CPUCAL_MAX; cpu++) {
		bool pinned;

		if (!CPU_ISSET(cpu, &saved))
			continue;
		pinned = pin_to(cpu);
		c->cpu[c->n] = cpu;
		c->klass[c->n] = cpu_class(cpu);
		c->kernel_s[c->n] = pinned ? best_of(kernel_once, CPUCAL_TRIES) : NAN;
		c->fp_s[c->n++] = pinned ? best_of(fp_once, CPUCAL_TRIES) : NAN;
	}
	pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
}

void cpucal_probe(const unsigned *cpus, unsigned n, double *fp_s)
{
	cpu_set_t saved;
	bool have = pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0;

	for (unsigned i = 0; i < n; i++)
		fp_s[i] = have && pin_to(cpus[i]) ? best_of(fp_once, FP_TRIES_PROBE) : NAN;
	if (have)
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
}

double cpucal_class_best(const struct cpucal *c, const double *best, unsigned k)
{
	double v = NAN;

	for (unsigned i = 0; i < c->n; i++)
		if (c->klass[i] == c->klass[k])
			v = fmin(v, best[i]);
	return v;
}

static double spread_of(const struct cpucal *c, const double *v)
{
	double lo = NAN, hi = NAN;
	unsigned k = 0;

	for (unsigned i = 0; i < c->n; i++) {
		double t = v[i];

		if (isnan(t))
			continue;
		lo = k && lo < t ? lo : t;
		hi = k && hi > t ? hi : t;
		k++;
	}
	return k >= 2 && lo > 0 ? hi / lo - 1 : NAN;
}

double cpucal_spread(const struct cpucal *c)
{
	return fmax(spread_of(c, c->kernel_s), spread_of(c, c->fp_s));
}

static double drift_of(const struct cpucal *a, const double *va, const struct cpucal *b,
                       const double *vb)
{
	double worst = NAN;

	for (unsigned i = 0; i < a->n; i++)
		for (unsigned j = 0; j < b->n; j++) {
			if (a->cpu[i] != b->cpu[j] || !(va[i] > 0) || isnan(vb[j]))
				continue;
			worst = fmax(worst, fabs(vb[j] / va[i] - 1));
		}
	return worst;
}

double cpucal_drift(const struct cpucal *a, const struct cpucal *b)
{
	return fmax(drift_of(a, a->kernel_s, b, b->kernel_s), drift_of(a, a->fp_s, b, b->fp_s));
}

void cpucal_format(const struct cpucal *c, char *buf, size_t len)
{
	size_t o = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < c->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u:%.3f/%.3fms", i ? " " : "", c->cpu[i],
		                      1e3 * c->kernel_s[i], 1e3 * c->fp_s[i]);
}
