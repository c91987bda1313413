/* gil.h - an emulated CPython global interpreter lock (Python/ceval_gil.c).
 *
 * In `gil` mode every pool thread must hold the GIL to run; CPU kernels call
 * gil_check() at loop back-edges (about every microsecond of work), and
 * blocking calls are wrapped in gil_release()/gil_acquire(), like
 * Py_BEGIN/END_ALLOW_THREADS. Outside `gil` mode every hook is one
 * predictable branch on a thread-local flag.
 */
#ifndef CONCBENCH_GIL_H
#define CONCBENCH_GIL_H

#include <stdbool.h>
#include <stdint.h>

/* Nonzero on a thread that runs under the GIL (set by gil_thread_enter). */
extern _Thread_local int gil_here;

void gil_check_slow(void);
void gil_release_slow(void);
void gil_acquire_slow(void);

/* At a loop back-edge: give the GIL up if another thread asked for it. */
static inline void gil_check(void)
{
	if (__builtin_expect(gil_here, 0))
		gil_check_slow();
}

/* Around a blocking call: release never waits; acquire blocks until held. */
static inline void gil_release(void)
{
	if (__builtin_expect(gil_here, 0))
		gil_release_slow();
}

static inline void gil_acquire(void)
{
	if (__builtin_expect(gil_here, 0))
		gil_acquire_slow();
}

/* Evaluate a blocking expression with the GIL released. */
#define GIL_BLOCKING(expr)                                                                         \
	({                                                                                         \
		gil_release();                                                                     \
		__auto_type gil_blocking_result_ = (expr);                                         \
		gil_acquire();                                                                     \
		gil_blocking_result_;                                                              \
	})

/* Counters of one rep, summed over threads. */
struct gil_stats {
	double wait_s; /* time threads spent waiting to acquire */
	uint64_t switches; /* times the holder changed */
	uint64_t forced_drops; /* drops made because of a drop request */
	uint64_t drop_requests; /* requests set by a waiting thread */
	double wait_p50_s; /* wait from request to acquisition */
	double wait_p99_s;
};

/* True when this build implements the GIL (mode `gil` is offered). */
extern const bool gil_available;

/* Set the switch interval (seconds, > 0). Call before gil_reset(). */
void gil_set_interval(double seconds);
/* Forget all state and counters; call between reps with no thread inside. */
void gil_reset(void);
/* Make the calling thread a GIL thread and acquire the GIL. */
void gil_thread_enter(void);
/* Release the GIL and stop being a GIL thread. */
void gil_thread_exit(void);
/* Counters since the last gil_reset(). */
void gil_stats_get(struct gil_stats *out);

#endif
