/* The emulated GIL: one holder at a time, nobody starves, a drop request is
 * honoured, blocking calls release it. Bounds on time are generous shape
 * bounds (seconds), never a benchmark. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

#include "../../runner/concbench.h"

#define NTHREADS 4

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* About a microsecond of work the compiler can't drop. */
static void spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

static void start_threads(pthread_t *t, void *(*fn)(void *), void *arg, unsigned n)
{
	for (uintptr_t i = 0; i < n; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, fn, arg ? arg : (void *)i), 0);
}

static void join_threads(pthread_t *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* --- mutual exclusion --- */

static _Atomic int holders, max_holders;

static void *exclusive_body(void *arg)
{
	(void)arg;
	gil_thread_enter();
	for (unsigned k = 0; k < 20000; k++) {
		int h = atomic_fetch_add(&holders, 1) + 1, m = atomic_load(&max_holders);

		while (h > m && !atomic_compare_exchange_weak(&max_holders, &m, h))
			;
		spin(50);
		atomic_fetch_sub(&holders, 1);
		if (k % 1000 == 999)
			GIL_BLOCKING(sched_yield());
		gil_check();
	}
	gil_thread_exit();
	return NULL;
}

Test(gil, never_two_holders_under_four_threads)
{
	pthread_t t[NTHREADS];
	struct gil_stats st;

	gil_set_interval(100e-6);
	gil_reset();
	start_threads(t, exclusive_body, NULL, NTHREADS);
	join_threads(t, NTHREADS);
	gil_stats_get(&st);
	cr_assert_eq(atomic_load(&max_holders), 1, "%d threads held the GIL at once",
	             atomic_load(&max_holders));
	/* every thread acquired at least on entry and after each blocking call */
	cr_assert_geq(st.acquisitions, NTHREADS * 21);
	cr_assert_gt(st.switches, 0);
}

/* --- no starvation --- */

static _Atomic unsigned turns[NTHREADS];
static _Atomic unsigned long last_runner;
static _Atomic int starve_done;
static double starve_deadline;

static bool everyone_had(unsigned k)
{
	for (unsigned i = 0; i < NTHREADS; i++)
		if (atomic_load(&turns[i]) < k)
			return false;
	return true;
}

static void *cpu_body(void *arg)
{
	uintptr_t me = (uintptr_t)arg;

	gil_thread_enter();
	while (!atomic_load(&starve_done)) {
		/* a new holding period starts when the last runner was someone else */
		if (atomic_exchange(&last_runner, me + 1) != me + 1)
			atomic_fetch_add(&turns[me], 1);
		if (everyone_had(5) || now() > starve_deadline)
			atomic_store(&starve_done, 1);
		spin(100);
		gil_check();
	}
	gil_thread_exit();
	return NULL;
}

Test(gil, four_cpu_bound_threads_all_make_progress)
{
	pthread_t t[NTHREADS];

	gil_set_interval(1e-3);
	gil_reset();
	starve_deadline = now() + 20;
	start_threads(t, cpu_body, NULL, NTHREADS);
	join_threads(t, NTHREADS);
	for (unsigned i = 0; i < NTHREADS; i++)
		cr_assert_geq(atomic_load(&turns[i]), 5, "thread %u ran %u times", i,
		              atomic_load(&turns[i]));
}

/* --- drop requests --- */

static _Atomic int holding, stop_holder;

static void *holder_body(void *arg)
{
	(void)arg;
	gil_thread_enter();
	atomic_store(&holding, 1);
	while (!atomic_load(&stop_holder)) {
		spin(100);
		gil_check();
	}
	gil_thread_exit();
	return NULL;
}

Test(gil, a_waiter_gets_the_gil_after_about_one_interval)
{
	const double interval = 5e-3;
	struct gil_stats st;
	pthread_t t;
	double t0, waited;

	gil_set_interval(interval);
	gil_reset();
	start_threads(&t, holder_body, NULL, 1);
	while (!atomic_load(&holding))
		sched_yield();
	t0 = now();
	gil_thread_enter(); /* the holder never releases on its own */
	waited = now() - t0;
	cr_assert(gil_held());
	gil_stats_get(&st);
	atomic_store(&stop_holder, 1);
	gil_thread_exit();
	pthread_join(t, NULL);
	/* the waiter asks only after a whole interval in vain */
	cr_assert_geq(waited, interval * 0.99, "got the GIL after %g s", waited);
	cr_assert_lt(waited, 2.0, "the drop request took %g s", waited);
	cr_assert_geq(st.drop_requests, 1);
	cr_assert_geq(st.forced_drops, 1);
	cr_assert_geq(st.switches, 2);
	cr_assert_geq(st.wait_p99_s, interval * 0.95, "p99 wait %g s", st.wait_p99_s);
	cr_assert_geq(st.wait_s, interval * 0.99);
}

Test(gil, a_lone_thread_is_never_asked_to_drop)
{
	const double interval = 1e-3;
	struct gil_stats st;
	double end;

	gil_set_interval(interval);
	gil_reset();
	gil_thread_enter();
	end = now() + 5 * interval;
	while (now() < end)
		gil_check();
	gil_thread_exit();
	gil_stats_get(&st);
	cr_assert_eq(st.drop_requests, 0);
	cr_assert_eq(st.forced_drops, 0);
	cr_assert_eq(st.switches, 1);
	cr_assert_eq(st.acquisitions, 1);
}

/* --- blocking calls --- */

static sem_t wake;
static _Atomic int blocker_rc = 99, blocking, held_after;

static void *blocker_body(void *arg)
{
	struct timespec ts;

	(void)arg;
	gil_thread_enter();
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	atomic_store(&blocking, 1);
	/* if this did not release the GIL, nobody could post `wake` */
	atomic_store(&blocker_rc, GIL_BLOCKING(sem_timedwait(&wake, &ts)));
	atomic_store(&held_after, gil_held());
	gil_thread_exit();
	return NULL;
}

Test(gil, a_blocking_call_releases_the_gil)
{
	struct gil_stats st;
	pthread_t t;

	gil_set_interval(1.0); /* a drop request would take a second */
	gil_reset();
	cr_assert_eq(sem_init(&wake, 0, 0), 0);
	start_threads(&t, blocker_body, NULL, 1);
	while (!atomic_load(&blocking))
		sched_yield();
	gil_thread_enter();
	cr_assert(gil_held());
	sem_post(&wake);
	gil_thread_exit();
	pthread_join(t, NULL);
	gil_stats_get(&st);
	cr_assert_eq(atomic_load(&blocker_rc), 0, "the blocked thread timed out");
	cr_assert(atomic_load(&held_after), "the GIL was not taken back after the call");
	cr_assert_eq(st.forced_drops, 0);
}

Test(gil, release_and_acquire_keep_errno_and_nest_harmlessly)
{
	int rc;

	gil_reset();
	gil_thread_enter();
	rc = GIL_BLOCKING(close(-1));
	cr_assert_eq(rc, -1);
	cr_assert_eq(errno, EBADF);
	gil_release();
	gil_release(); /* not held: no-op */
	cr_assert_not(gil_held());
	gil_acquire();
	gil_acquire(); /* held: no-op */
	cr_assert(gil_held());
	gil_thread_exit();
	cr_assert_not(gil_held());
}

Test(gil, hooks_do_nothing_on_a_thread_outside_gil_mode)
{
	gil_reset();
	atomic_store(&gil_drop_request, 1);
	gil_check();
	gil_release();
	gil_acquire();
	cr_assert_not(gil_held());
	atomic_store(&gil_drop_request, 0);
}

/* --- a voluntary release while a drop request is pending --- */

static void *waiter_body(void *arg)
{
	(void)arg;
	gil_thread_enter();
	gil_thread_exit();
	return NULL;
}

Test(gil, a_release_with_a_pending_request_hands_the_gil_over)
{
	struct gil_stats st;
	pthread_t t;
	double limit;

	gil_set_interval(1e-3);
	gil_reset();
	gil_thread_enter();
	start_threads(&t, waiter_body, NULL, 1);
	/* hold without ever checking until the waiter asked for the GIL */
	limit = now() + 10;
	while (!atomic_load(&gil_drop_request) && now() < limit)
		sched_yield();
	cr_assert(atomic_load(&gil_drop_request), "no drop request within 10 s");
	gil_release(); /* returns once the waiter holds it, like CPython */
	gil_stats_get(&st);
	cr_assert_eq(st.switches, 2, "the waiter had not taken the GIL");
	cr_assert_eq(st.forced_drops, 0);
	gil_acquire();
	gil_thread_exit();
	pthread_join(t, NULL);
}
