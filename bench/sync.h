/* sync.h - small helpers shared by the synchronisation benches (race, lock,
 * semaphore, event, condition, deadlock). Header-only, all static inline.
 */
#ifndef CONCBENCH_BENCH_SYNC_H
#define CONCBENCH_BENCH_SYNC_H

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "../runner/concbench.h"

/* Longest a bench body waits for its peers at a start barrier or a round
 * hand-off before it gives up with -ETIMEDOUT: nothing waits for ever. */
#define SYNC_WAIT_MAX_S 10.0

/* Absolute CLOCK_REALTIME time `s` seconds from now, for the *timedlock /
 * sem_timedwait calls (their clock is fixed to CLOCK_REALTIME). Can't fail. */
static inline struct timespec sync_realtime_in(double s)
{
	struct timespec ts;
	long ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = ts.tv_nsec + (long)(s * 1e9);
	ts.tv_sec += ns / 1000000000L;
	ts.tv_nsec = ns % 1000000000L;
	return ts;
}

/* Absolute CLOCK_MONOTONIC time `s` seconds from now (condition variables
 * made by cb_cond_init use that clock). Can't fail. */
static inline struct timespec sync_monotonic_in(double s)
{
	double t = cb_now() + s;
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	return ts;
}

/* Sleep about `s` seconds (nanosleep; restarts after a signal). */
static inline void sync_sleep(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Start barrier: every body calls it once; it returns when all `n` arrived,
 * so the bodies really run at the same time. 0, -ECANCELED when the runner
 * asked to stop, -ETIMEDOUT after SYNC_WAIT_MAX_S. */
static inline int sync_barrier(struct wl_ctx *ctx, _Atomic unsigned *arrived, unsigned n)
{
	double limit = cb_now() + SYNC_WAIT_MAX_S;
	unsigned spins = 0;

	atomic_fetch_add(arrived, 1);
	while (atomic_load(arrived) < n) {
		if (cb_should_stop(ctx))
			return -ECANCELED;
		if (++spins % 64 == 0) {
			if (cb_now() > limit)
				return cb_error(ctx, -ETIMEDOUT, "start barrier: %u of %u workers",
				                atomic_load(arrived), n);
						/* under the GIL a spinning waiter must let the others in */
			GIL_BLOCKING(sched_yield());
		}
	}
	return 0;
}


/* Wait until *v >= want, polling every ~20 us. 0, -ECANCELED (stop asked or
 * *abort set) or -ETIMEDOUT after max_s. */
static inline int sync_wait_at_least(struct wl_ctx *ctx, _Atomic unsigned *v, unsigned want,
                                     _Atomic int *abort, double max_s)
{
	double limit = cb_now() + max_s;

	while (atomic_load(v) < want) {
		if (cb_should_stop(ctx) || (abort && atomic_load(abort)))
			return -ECANCELED;
		if (cb_now() > limit)
			return -ETIMEDOUT;
		sync_sleep(20e-6);
	}
	return 0;
}

/* Coefficient of variation (stddev / mean) of v[0..n); 0 for n < 2. */
static inline double sync_cv(const double *v, size_t n)
{
	double mean = 0, var = 0;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		mean += v[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		var += (v[i] - mean) * (v[i] - mean);
	var /= (double)(n - 1);
	return mean > 0 ? sqrt(var) / mean : 0;
}

/* A few hundred nanoseconds of work the compiler can't drop: the "useful
 * work" done inside or after a critical section. Returns a value to sink. */
static inline unsigned sync_work(unsigned iters, unsigned seed)
{
	unsigned x = seed | 1;

	for (unsigned i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

#endif
