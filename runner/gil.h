/* gil.h - an emulated CPython global interpreter lock (Python/ceval_gil.c).
 *
 * In `gil` mode every pool thread must hold the GIL to run; CPU kernels call
 * gil_check() at loop back-edges (about every microsecond of work), and
 * blocking calls are wrapped in gil_release()/gil_acquire(), like
 * Py_BEGIN/END_ALLOW_THREADS. Outside `gil` mode every hook is one
 * predictable branch on a thread-local flag.
 *
 * Build with -DCONCBENCH_NO_GIL_HOOKS to compile the hooks to nothing (used
 * to measure their cost); such a build does not offer mode `gil`.
 */
#ifndef CONCBENCH_GIL_H
#define CONCBENCH_GIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Nonzero on a thread that runs under the GIL (set by gil_thread_enter). */
extern _Thread_local int gil_here;
/* Set by a thread that waited a whole switch interval in vain: the holder
 * must drop the GIL at its next gil_check() (CPython's gil_drop_request). */
extern _Atomic int gil_drop_request;

void gil_check_slow(void);
void gil_release_slow(void);
void gil_acquire_slow(void);

#ifdef CONCBENCH_NO_GIL_HOOKS
static inline void gil_check(void)
{
}
static inline void gil_release(void)
{
}
static inline void gil_acquire(void)
{
}
#else
/* At a loop back-edge: give the GIL up if another thread asked for it. */
static inline void gil_check(void)
{
	if (__builtin_expect(gil_here, 0) &&
	    atomic_load_explicit(&gil_drop_request, memory_order_relaxed))
		gil_check_slow();
}

/* Around a blocking call: release waits only while a drop request is
 * pending, until the requester took the GIL (as CPython does); acquire
 * blocks until held. Both keep errno. Releasing when not held / acquiring
 * when held is a no-op. */
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
#endif

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
	double wait_p50_s; /* wait from request to acquisition, over all acquisitions */
	double wait_p99_s;
	uint64_t acquisitions; /* acquisitions the percentiles are taken over */
};

/* True when this build implements the GIL (mode `gil` is offered). */
extern const bool gil_available;

/* Set the switch interval (seconds, > 0). Call before gil_reset(). */
void gil_set_interval(double seconds);
/* Forget all state and counters; call between reps with no thread inside. */
void gil_reset(void);
/* Make the calling thread a GIL thread and acquire the GIL. */
void gil_thread_enter(void);
/* Release the GIL and stop being a GIL thread. Never waits. */
void gil_thread_exit(void);
/* True when the calling thread holds the GIL now. Can't fail. */
bool gil_held(void);
/* Counters since the last gil_reset(). Can't fail. */
void gil_stats_get(struct gil_stats *out);

#endif
