/* changepoint: E-divisive placement and the Welch t-test against values
 * computed outside this code (scipy 1.10 and a numpy brute force of the
 * Matteson & James statistic), and detection on series with known steps. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "../../runner/analysis/changepoint.h"
#include "../../runner/mix.h"

Test(changepoint, welch_matches_scipy)
{
	double a[] = {1.0, 1.1, 0.9, 1.05, 0.95, 1.02}, b[] = {1.3, 1.25, 1.4, 1.35, 1.28};
	double c[] = {10, 12, 11, 13, 9, 10.5, 11.5}, d[] = {10.2, 11.8, 11.1, 12.5, 9.5};

	/* scipy.stats.ttest_ind(a, b, equal_var=False).pvalue */
	cr_assert_float_eq(cp_welch_p(a, 6, b, 5), 2.3557710944968496e-05, 1e-12);
	cr_assert_float_eq(cp_welch_p(c, 7, d, 5), 0.9788516283811148, 1e-9);
	cr_assert_float_eq(cp_welch_p(b, 5, a, 6), 2.3557710944968496e-05, 1e-12);
}

Test(changepoint, welch_constant_segments)
{
	double a[] = {2, 2, 2}, b[] = {3, 3, 3};

	cr_assert_eq(cp_welch_p(a, 3, b, 3), 0);
	cr_assert_eq(cp_welch_p(a, 3, a, 3), 1);
}

Test(changepoint, ediv_split_matches_brute_force)
{
	double x[] = {3.1, 2.9, 3.0, 3.2, 2.8, 3.05, 4.0, 4.2, 3.9, 4.1, 4.05, 3.95, 4.15};
	size_t tau;
	double q;

	/* numpy: max over t of m k/(m+k) (2 mean|X-Y| - mean|X-X'| - mean|Y-Y'|) */
	cr_assert_eq(cp_ediv_split(x, 0, 13, 3, &tau, &q), 0);
	cr_assert_eq(tau, 6);
	cr_assert_float_eq(q, 5.72923076923077, 1e-9);
	cr_assert_eq(cp_ediv_split(x, 0, 5, 3, &tau, &q), -EINVAL);
}

/* Normal noise by Box-Muller over splitmix64, so the series is the same everywhere. */
static double gauss(uint64_t *s)
{
	double u = ((double)(cb_mix64(*s += CB_GOLDEN64) >> 11) + 0.5) / 9007199254740992.0;
	double v = ((double)(cb_mix64(*s += CB_GOLDEN64) >> 11) + 0.5) / 9007199254740992.0;

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

Test(changepoint, finds_two_known_steps_where_they_are)
{
	struct cp_opts o = {CP_DEFAULT_ALPHA, CP_DEFAULT_MIN_CHANGE, CP_DEFAULT_MIN_SEG, false};
	struct cp_point pts[8];
	double x[60];
	uint64_t s = 42;

	for (int i = 0; i < 60; i++)
		x[i] = (i < 20 ? 1.0 : i < 40 ? 1.10 : 0.95) + 0.01 * gauss(&s);
	cr_assert_eq(cp_detect(x, 60, &o, pts, 8), 2);
	cr_assert_eq(pts[0].at, 20);
	cr_assert_eq(pts[1].at, 40);
	cr_assert_lt(pts[0].p, 1e-6);
}

Test(changepoint, nothing_in_noise_or_short_or_small_changes)
{
	struct cp_opts o = {CP_DEFAULT_ALPHA, CP_DEFAULT_MIN_CHANGE, CP_DEFAULT_MIN_SEG, false};
	struct cp_point pts[8];
	double x[40];
	uint64_t s = 7;

	for (int i = 0; i < 40; i++)
		x[i] = 1.0 + 0.01 * gauss(&s);
	cr_assert_eq(cp_detect(x, 40, &o, pts, 8), 0);
	/* shorter than 2 * min_seg: nothing decided */
	cr_assert_eq(cp_detect((double[]){1, 1, 1, 2, 2}, 5, &o, pts, 8), 0);
	/* a significant step smaller than min_change is not reported */
	for (int i = 0; i < 40; i++)
		x[i] = (i < 20 ? 1.0 : 1.005) + 0.0001 * gauss(&s);
	cr_assert_eq(cp_detect(x, 40, &o, pts, 8), 0);
	o.min_change = 0.001;
	cr_assert_eq(cp_detect(x, 40, &o, pts, 8), 1);
	o.min_seg = 1;
	cr_assert_eq(cp_detect(x, 40, &o, pts, 8), -EINVAL);
}

Test(changepoint, finds_a_regression_that_was_undone)
{
	struct cp_opts o = {CP_DEFAULT_ALPHA, CP_DEFAULT_MIN_CHANGE, CP_DEFAULT_MIN_SEG, false};
	struct cp_point pts[8];
	double x[30];
	uint64_t s = 3;

	/* 10 runs at 1.0, 10 at 1.2, 10 at 1.0: the whole-segment test of the
	 * first split sees 1.0 against a mix of 1.2 and 1.0 */
	for (int i = 0; i < 30; i++)
		x[i] = (i >= 10 && i < 20 ? 1.2 : 1.0) + 0.003 * gauss(&s);
	cr_assert_eq(cp_detect(x, 30, &o, pts, 8), 2);
	cr_assert_eq(pts[0].at, 10);
	cr_assert_eq(pts[1].at, 20);
}
