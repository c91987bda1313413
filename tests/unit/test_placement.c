/* Pin orders from an SMT topology, where a rep's workers ran, and the
 * per-CPU calibration's spread and drift. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include <pthread.h>
#include <sched.h>

#include "../../runner/base/cpucal.h"
#include "../../runner/base/noise.h"
#include "../../runner/exec/placement.h"
#include "../../runner/exec/pool.h"

/* 4 cores x 2 threads numbered like Intel's Linux enumeration: cpu i and
 * i + 4 are siblings (core id = lowest sibling). */
static const unsigned cpus8[] = {0, 1, 2, 3, 4, 5, 6, 7};
static const unsigned core8[] = {0, 1, 2, 3, 0, 1, 2, 3};

Test(placement, compact_fills_siblings_first)
{
	unsigned out[8], want[] = {0, 4, 1, 5, 2, 6, 3, 7};

	placement_sort(PIN_COMPACT, cpus8, core8, 8, out);
	cr_assert_arr_eq(out, want, sizeof(want));
}

Test(placement, spread_takes_one_cpu_per_core_first)
{
	/* siblings adjacent (AMD-style numbering): 0,1 share a core, 2,3 … */
	static const unsigned core_adj[] = {0, 0, 2, 2, 4, 4, 6, 6};
	unsigned out[8], want[] = {0, 2, 4, 6, 1, 3, 5, 7};

	placement_sort(PIN_SPREAD, cpus8, core_adj, 8, out);
	cr_assert_arr_eq(out, want, sizeof(want));
}

Test(placement, mask_keeps_number_order)
{
	unsigned out[8];

	placement_sort(PIN_MASK, cpus8, core8, 8, out);
	cr_assert_arr_eq(out, cpus8, sizeof(cpus8));
}

static struct task_result task(unsigned worker, double t0, unsigned c0, unsigned c1)
{
	return (struct task_result){.worker = worker,
	                            .t_start = t0,
	                            .t_end = t0 + 1,
	                            .cpu_start = (uint16_t)c0,
	                            .cpu_end = (uint16_t)c1};
}

Test(placement, describe_lists_cpus_per_worker_and_counts_moves)
{
	/* worker 1's tasks given out of start order: 0→0, 0→1 (a move inside the
	 * task), 1→1; worker 0 stays on CPU 1; one task never ran (zeroed). */
	struct task_result res[] = {
	    task(1, 2.0, 1, 1), task(0, 0.5, 1, 1), task(1, 0.0, 0, 0), task(1, 1.0, 0, 1), {0}};
	char buf[64];
	unsigned moves;

	placement_describe(res, 5, 2, buf, sizeof(buf), &moves);
	cr_assert_str_eq(buf, "0:1;1:0+1");
	cr_assert_eq(moves, 1);
}

Test(placement, describe_counts_a_move_between_tasks)
{
	struct task_result res[] = {task(0, 0.0, 0, 0), task(0, 1.0, 1, 1), task(0, 2.0, 0, 0)};
	char buf[64];
	unsigned moves;

	placement_describe(res, 3, 1, buf, sizeof(buf), &moves);
	cr_assert_str_eq(buf, "0:0+1");
	cr_assert_eq(moves, 2);
}

Test(placement, describe_without_cpus_is_empty)
{
	struct task_result res[] = {task(0, 0.0, CB_NO_CPU, CB_NO_CPU)};
	char buf[16] = "x";
	unsigned moves = 7;

	placement_describe(res, 1, 1, buf, sizeof(buf), &moves);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(moves, 0);
}

Test(cpucal, spread_is_slowest_over_fastest)
{
	struct cpucal c = {.n = 3, .cpu = {0, 1, 2}, .kernel_s = {1.0e-3, 1.25e-3, NAN}};

	cr_assert_float_eq(cpucal_spread(&c), 0.25, 1e-12);
	c.n = 1;
	cr_assert(isnan(cpucal_spread(&c)));
}

Test(cpucal, spread_takes_the_kernel_that_differs_more)
{
	/* a busy SMT sibling on the host: the integer chain sees nothing, the
	 * floating-point block 60% */
	struct cpucal c = {
	    .n = 2, .cpu = {0, 1}, .kernel_s = {1.0e-4, 1.01e-4}, .fp_s = {4.0e-5, 6.4e-5}};

	cr_assert_float_eq(cpucal_spread(&c), 0.6, 1e-12);
	c.fp_s[1] = 4.0e-5;
	cr_assert_float_eq(cpucal_spread(&c), 0.01, 1e-12);
}

Test(cpucal, drift_of_either_kernel)
{
	struct cpucal a = {.n = 1, .cpu = {3}, .kernel_s = {1.0e-4}, .fp_s = {4.0e-5}};
	struct cpucal b = {.n = 1, .cpu = {3}, .kernel_s = {1.0e-4}, .fp_s = {1.0e-4}};

	cr_assert_float_eq(cpucal_drift(&a, &b), 1.5, 1e-12);
}

Test(cpucal, class_best_compares_cpus_of_one_class_only)
{
	/* CPUs 0 and 1 performance cores (capacity 1024), 2 an efficiency core */
	struct cpucal c = {.n = 3, .cpu = {0, 1, 2}, .klass = {1024, 1024, 512}};
	double best[3] = {4.0e-5, NAN, 9.0e-5};

	cr_assert_float_eq(cpucal_class_best(&c, best, 1), 4.0e-5, 1e-15);
	cr_assert_float_eq(cpucal_class_best(&c, best, 2), 9.0e-5, 1e-15);
	best[0] = NAN;
	cr_assert(isnan(cpucal_class_best(&c, best, 0)));
}

Test(cpucal, probe_times_the_cpus_it_is_given)
{
	struct cpucal c;
	double t[CPUCAL_MAX];

	cpucal_measure(&c);
	cr_assert_gt(c.n, 0);
	cpucal_probe(c.cpu, c.n, t);
	for (unsigned i = 0; i < c.n; i++) {
		cr_assert(t[i] > 0, "cpu %u: %g", c.cpu[i], t[i]);
		cr_assert(c.fp_s[i] > 0, "cpu %u: %g", c.cpu[i], c.fp_s[i]);
	}
}

Test(noise, slow_cpu_past_its_threshold_and_steal_first)
{
	cr_assert_str_eq(noise_of_rep(0, 0, 0, 0, NOISE_SLOW_CPU + 0.01, 1, 2), "slow-cpu");
	cr_assert_str_eq(noise_of_rep(0, 0, 0, 0, NOISE_SLOW_CPU - 0.01, 1, 2), "");
	cr_assert_str_eq(noise_of_rep(0, 0, 0, 0, NAN, 1, 2), "");
	cr_assert_str_eq(noise_of_rep(0, 0.5, 0, 0, 1.0, 1, 2), "steal");
}

Test(cpucal, drift_matches_cpus_by_number)
{
	struct cpucal a = {.n = 2, .cpu = {0, 1}, .kernel_s = {1.0e-3, 2.0e-3}};
	struct cpucal b = {.n = 2, .cpu = {1, 0}, .kernel_s = {2.0e-3, 1.5e-3}};

	cr_assert_float_eq(cpucal_drift(&a, &b), 0.5, 1e-12);
}

Test(cpucal, measure_times_every_cpu_of_the_mask)
{
	struct cpucal c;

	cpucal_measure(&c);
	cr_assert_gt(c.n, 0);
	for (unsigned i = 0; i < c.n; i++)
		cr_assert(c.kernel_s[i] > 0, "cpu %u: %g", c.cpu[i], c.kernel_s[i]);
}

static int spin_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	(void)ctx;
	res->checksum = i;
	return 0;
}

static const struct workload spinning = {
    .name = "test.spin", .kind = KIND_WORKLOAD, .run = spin_run};

static void pin_to(unsigned cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	cr_assert_eq(pthread_setaffinity_np(pthread_self(), sizeof(set), &set), 0);
}

Test(placement, pinned_seq_runs_on_worker_0s_cpu_and_restores_the_mask)
{
	_Atomic int no_stop = 0;
	struct wl_ctx ctx = {.wl = &spinning, .ntasks = 8, .nworkers = 1, .stop = &no_stop};
	struct task_result *res = cb_shm_alloc(8 * sizeof(*res));
	struct pool_params pp = {.mode = MODE_SEQ,
	                         .nworkers = 1,
	                         .ntasks = 8,
	                         .pin = PIN_MASK,
	                         .ctx = &ctx,
	                         .res = res,
	                         .timeout_s = 10};
	cpu_set_t all, now;
	struct pool *p;

	cr_assert_eq(pthread_getaffinity_np(pthread_self(), sizeof(all), &all), 0);
	if (!CPU_ISSET(0, &all) || !CPU_ISSET(1, &all))
		cr_skip_test("needs CPUs 0 and 1");
	CPU_ZERO(&now);
	CPU_SET(0, &now);
	CPU_SET(1, &now);
	cr_assert_eq(pthread_setaffinity_np(pthread_self(), sizeof(now), &now), 0);
	/* the pool takes its CPU order (0, 1) at start; worker 0 is on CPU 0 */
	cr_assert_eq(pool_start(&p, &pp), 0);
	pin_to(1); /* the calling thread now sits on CPU 1 */
	cr_assert_eq(pool_run(p), 0);
	for (unsigned i = 0; i < 8; i++)
		cr_assert_eq(res[i].cpu_start, 0, "task %u ran on CPU %u", i, res[i].cpu_start);
	cr_assert_eq(pthread_getaffinity_np(pthread_self(), sizeof(now), &now), 0);
	cr_assert(CPU_ISSET(1, &now) && CPU_COUNT(&now) == 1, "mask not restored");
	cr_assert_eq(pool_stop(p), 0);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	cb_shm_free(res, 8 * sizeof(*res));
}
