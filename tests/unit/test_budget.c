/* Efficiency budget: the parts of a rep's worker-seconds add up, each is the
 * mechanism it names, and what no counter explains is left as such. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "../../runner/base/budget.h"

/* Two workers, 1 s wall; seq took 1.2 s (user 1.15, sys 0.05). The workers
 * ran 1.3 s user + 0.1 s sys, waited 0.3 s in the run queue, were in tasks
 * 1.85 s, idle after their last task 0.1 s, between tasks 0.05 s. */
static const struct budget_rep rep = {
    .workers = 2,
    .cpus = 2,
    .wall_s = 1,
    .busy_s = 1.85,
    .imbalance_s = 0.1,
    .dispatch_s = 0.05,
    .worker_user_s = 1.3,
    .worker_sys_s = 0.1,
    .runq_s = 0.3,
    .gil_wait_s = NAN,
    .steal_s = 0,
};
static const struct budget_ref ref = {.wall_s = 1.2, .user_s = 1.15, .sys_s = 0.05};

Test(budget, parts_of_a_rep_are_its_mechanisms_and_add_up_to_one)
{
	struct budget b;
	double sum;

	cr_assert_eq(budget_of_rep(&rep, &ref, &b), 0);
	cr_expect_float_eq(b.eff, 0.6, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_RUNQ], 0.15, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_IMBALANCE], 0.05, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_DISPATCH], 0.025, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_KERNEL], 0.025, 1e-12, "sys beyond seq's");
	cr_expect_float_eq(b.part[BUDGET_GIL], 0, 1e-12, "no GIL outside gil mode");
	/* in tasks 1.85 - on CPU 1.4 - run queue 0.3 = 0.15 s blocked */
	cr_expect_float_eq(b.part[BUDGET_BLOCKED], 0.075, 1e-12);
	/* seq ran all its wall time: no baseline slack */
	cr_expect_float_eq(b.part[BUDGET_BASELINE], 0, 1e-12);
	/* unexplained = user beyond seq's / W = (1.3 - 1.15) / 2 */
	cr_expect_float_eq(b.part[BUDGET_UNEXPLAINED], 0.075, 1e-12);
	sum = b.eff;
	for (int i = 0; i < BUDGET_NPARTS; i++)
		sum += b.part[i];
	cr_expect_float_eq(sum, 1, 1e-12);
	cr_expect_float_eq(budget_explained(&b), 0.325 / 0.4, 1e-12);
	cr_expect_eq(budget_main_cause(&b), BUDGET_RUNQ);
}

Test(budget, gil_wait_and_steal_are_taken_from_blocked_time)
{
	struct budget_rep r = rep;
	struct budget b0, b;

	budget_of_rep(&r, &ref, &b0);
	r.gil_wait_s = 0.08;
	r.steal_s = 0.04; /* both CPUs of the mask, 2 workers: all of it */
	cr_assert_eq(budget_of_rep(&r, &ref, &b), 0);
	cr_expect_float_eq(b.part[BUDGET_GIL], 0.04, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_STEAL], 0.02, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_BLOCKED], b0.part[BUDGET_BLOCKED] - 0.06, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_UNEXPLAINED], b0.part[BUDGET_UNEXPLAINED], 1e-12);
	/* One worker could occupy one of the two CPUs: half the steal is its. */
	r.workers = 1;
	budget_of_rep(&r, &ref, &b);
	cr_expect_float_eq(b.part[BUDGET_STEAL] * r.wall_s, 0.02, 1e-12);
}

Test(budget, a_cell_is_the_mean_of_its_reps_and_skips_reps_without_figures)
{
	struct budget_rep r[3] = {rep, rep, rep};
	struct budget b, one;

	/* rep 1 waited 0.2 s more in the run queue: in tasks that much longer,
	 * the rep 0.1 s longer */
	r[1].runq_s = 0.5;
	r[1].busy_s = 2.05;
	r[1].wall_s = 1.1;
	r[2].runq_s = NAN; /* a row without the column */
	cr_assert_eq(budget_of_cell(r, 3, &ref, &b), 0);
	cr_expect_eq(b.nreps, 2);
	budget_of_rep(&rep, &ref, &one);
	cr_expect_float_eq(b.eff, (0.6 + 1.2 / 2.2) / 2, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_RUNQ], (0.15 + 0.5 / 2.2) / 2, 1e-12);
	/* the same 0.15 s of extra user time, over 2 and 2.2 worker-seconds */
	cr_expect_float_eq(b.part[BUDGET_UNEXPLAINED], (0.15 / 2 + 0.15 / 2.2) / 2, 1e-12);
}

/* On a loaded machine seq itself waited: 0.3 s of its 1.5 s wall were not
 * on a CPU. That slack is the baseline share (negative), not unexplained. */
Test(budget, a_slow_baseline_is_its_own_part_not_unexplained)
{
	struct budget_ref slow = {.wall_s = 1.5, .user_s = 1.15, .sys_s = 0.05};
	struct budget b, b0;

	budget_of_rep(&rep, &ref, &b0);
	cr_assert_eq(budget_of_rep(&rep, &slow, &b), 0);
	cr_expect_float_eq(b.eff, 0.6 * 1.5 / 1.2, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_BASELINE], -0.15, 1e-12);
	cr_expect_float_eq(b.part[BUDGET_UNEXPLAINED], b0.part[BUDGET_UNEXPLAINED], 1e-12);
}

Test(budget, missing_figures_give_no_budget_not_an_invented_one)
{
	struct budget_rep r = rep;
	struct budget b;
	char buf[200];

	r.busy_s = NAN;
	cr_expect_eq(budget_of_rep(&r, &ref, &b), -EINVAL);
	cr_expect(isnan(b.eff) && isnan(b.part[BUDGET_UNEXPLAINED]));
	cr_expect_eq(budget_of_cell(&r, 1, &ref, &b), -EINVAL);
	budget_format(&b, buf, sizeof(buf));
	cr_expect_str_eq(buf, "no budget (mechanism figures missing)");
	r = rep;
	r.wall_s = 0;
	cr_expect_eq(budget_of_rep(&r, &ref, &b), -EINVAL);
}

Test(budget, format_reads_like_the_issue)
{
	struct budget b = {.eff = 0.62,
	                   .part = {0.21, 0.15, 0, 0.06, 0.01, 0.03, 0.02, -0.02, 0.10}};
	char buf[200];

	budget_format(&b, buf, sizeof(buf));
	cr_expect_str_eq(buf, "eff 0.62: run-queue 21%, steal 15%, GIL 0%, imbalance 6%, "
	                      "dispatch 1%, kernel 3%, blocked 2%, baseline -2%, unexplained 10%");
}
