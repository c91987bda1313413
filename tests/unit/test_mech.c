/* Mechanism readers: the task clock splits worker time exactly, and the
 * per-thread counters see what a thread did (and nothing of the others). */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runner/exec/mech.h"

Test(mech, task_clock_splits_worker_time_into_busy_imbalance_dispatch)
{
	/* worker 0: [0, 1] [1, 2]; worker 1: [0.1, 0.6]; worker 2: no task;
	 * the rep's clock stopped at 2.1. */
	struct task_result res[] = {
	    {.t_start = 0, .t_end = 1, .worker = 0},
	    {.t_start = 1, .t_end = 2, .worker = 0},
	    {.t_start = 0.1, .t_end = 0.6, .worker = 1},
	};
	struct mech_tasks t;

	mech_tasks(res, 3, 3, 2.1, &t);
	cr_expect_float_eq(t.busy_s, 2.5, 1e-12);
	/* worker 1 idle 0.6 → 2, worker 2 idle 0 → 2 */
	cr_expect_float_eq(t.imbalance_s, 1.4 + 2, 1e-12);
	/* worker 0: 0.1 after the end; worker 1: 0.1 before + 0.1 after;
	 * worker 2: 0.1 after */
	cr_expect_float_eq(t.dispatch_s, 0.4, 1e-12);
	cr_expect_float_eq(t.busy_s + t.imbalance_s + t.dispatch_s, 3 * 2.1, 1e-12);
	cr_expect_float_eq(t.tail_span_s, 2, 1e-12, "worker 2 was out of tasks from the start");
	mech_tasks(res, 3, 2, 2.1, &t);
	cr_expect_float_eq(t.tail_span_s, 1.4, 1e-12);
}

Test(mech, absent_counts_stay_absent_in_a_sum)
{
	struct mech_counts acc, a, b;

	mech_zero(&acc);
	mech_zero(&a);
	mech_zero(&b);
	a.workers = b.workers = 1;
	a.run_s = 1, b.run_s = 2;
	a.minflt = 3, b.minflt = 4;
	a.migrations = 5, b.migrations = -1;
	a.cycles = -1, b.cycles = -1;
	a.src = b.src = MECH_SRC_PERF;
	mech_add(&acc, &a);
	mech_add(&acc, &b);
	cr_expect_eq(acc.workers, 2);
	cr_expect_float_eq(acc.run_s, 3, 1e-12);
	cr_expect_eq(acc.minflt, 7);
	cr_expect_eq(acc.migrations, -1, "one worker without it: no sum");
	cr_expect_eq(acc.cycles, -1);
	cr_expect_eq(acc.src, MECH_SRC_PERF);
}

static void spin(double s)
{
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9 < s);
}

struct spinner {
	struct mech_counts d;
	int cpu;
};

static void *spin_on_cpu(void *arg)
{
	struct spinner *s = arg;
	struct mech_worker w = {.open = false};
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	mech_open(&w);
	mech_begin(&w);
	spin(0.1);
	mech_end(&w, &s->d);
	mech_close(&w);
	return NULL;
}

/* Two threads pinned to one CPU, each needing 0.1 s of it: whichever runs
 * second waited in the run queue. */
Test(mech, threads_sharing_one_cpu_see_run_queue_wait)
{
	struct spinner s[2];
	pthread_t t[2];
	cpu_set_t set;
	int cpu = 0;

	sched_getaffinity(0, sizeof(set), &set);
	while (!CPU_ISSET(cpu, &set))
		cpu++;
	for (int i = 0; i < 2; i++) {
		s[i].cpu = cpu;
		pthread_create(&t[i], NULL, spin_on_cpu, &s[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cr_expect(s[0].d.runq_s + s[1].d.runq_s > 0.01, "run-queue wait %g + %g s", s[0].d.runq_s,
	          s[1].d.runq_s);
	cr_expect(s[0].d.run_s >= 0.09 && s[1].d.run_s >= 0.09, "on CPU %g, %g s", s[0].d.run_s,
	          s[1].d.run_s);
}

/* Faults and voluntary switches of this thread only; the source is named. */
Test(mech, a_thread_sees_its_own_faults_and_sleeps)
{
	struct mech_worker w = {.open = false};
	struct mech_counts d;
	size_t len = 64u << 20;
	volatile char *m;

	mech_open(&w);
	mech_begin(&w);
	m = malloc(len);
	cr_assert(m);
	for (size_t i = 0; i < len; i += 4096)
		m[i] = 1; /* 16384 fresh pages (volatile: the compiler keeps them) */
	usleep(1000);
	mech_end(&w, &d);
	mech_close(&w);
	free((void *)m);
	cr_expect(d.src == MECH_SRC_PERF || d.src == MECH_SRC_RUSAGE, "source %d", d.src);
	cr_expect(d.minflt >= 1000, "minor faults %ld (%s)", d.minflt, mech_src_names[d.src]);
	cr_expect(d.nvcsw >= 1, "a sleep is a voluntary switch: %ld", d.nvcsw);
	cr_expect_eq(d.workers, 1);
	/* Hardware counters: a count or cleanly absent, never garbage. */
	cr_expect(d.cycles == -1 || d.cycles > 0);
	cr_expect(d.instructions == -1 || d.instructions > 0);
}

Test(mech, steal_and_busy_time_of_the_affinity_cpus_are_read)
{
	double s0, b0, s1, b1;
	volatile unsigned long x = 0;
	double t0 = cb_now();

	cr_assert_eq(mech_cpu_read(&s0, &b0), 0);
	cr_expect(s0 >= 0 && isfinite(s0));
	/* 50 ms of this thread's CPU shows in the CPUs' busy time (10 ms ticks) */
	while (cb_now() - t0 < 0.05)
		x++;
	cr_assert_eq(mech_cpu_read(&s1, &b1), 0);
	cr_expect(b1 - b0 >= 0.03, "busy %.3f s over a 50 ms spin", b1 - b0);
	cr_expect(s1 >= s0);
}
