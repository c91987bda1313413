/* --precision's measure: the median interval's half-width over the median,
 * and the 95%-coverage condition. Expected values by hand from the
 * order-statistic interval of stats.h. */
#include <criterion/criterion.h>
#include <math.h>

#include "../../runner/base/stats.h"

Test(precision, halfwidth_of_six_reps_is_min_max_over_median)
{
	double x[] = {6, 1, 5, 2, 4, 3};
	struct summary s;

	stats_summarize(x, 6, &s);
	/* n = 6: [x(1), x(6)] = [1, 6] covers 96.9%; median 3.5 */
	cr_assert_float_eq(stats_rel_halfwidth(&s), 2.5 / 3.5, 1e-12);
	cr_assert(stats_is_precise(&s, 0.72));
	cr_assert_not(stats_is_precise(&s, 0.71));
}

Test(precision, five_reps_are_never_precise)
{
	/* [min, max] of 5 reps covers 93.75% only: no target is met */
	double x[] = {1.00, 1.00, 1.00, 1.00, 1.00};
	struct summary s;

	stats_summarize(x, 5, &s);
	cr_assert_float_eq(stats_rel_halfwidth(&s), 0, 1e-12);
	cr_assert_not(stats_is_precise(&s, 0.5));
}

Test(precision, interval_narrows_to_inner_order_statistics)
{
	/* n = 20: the interval is [x(6), x(15)] (1-based), k = 5 0-based */
	double x[20];
	struct summary s;

	for (int i = 0; i < 20; i++)
		x[i] = 100 + i;
	stats_summarize(x, 20, &s);
	cr_assert_float_eq(stats_rel_halfwidth(&s), (114.0 - 105.0) / 2 / 109.5, 1e-12);
}

Test(precision, undefined_without_two_reps_or_a_positive_median)
{
	double one[] = {1}, zero[] = {0, 0, 0, 0, 0, 0};
	struct summary s;

	stats_summarize(one, 1, &s);
	cr_assert(isnan(stats_rel_halfwidth(&s)));
	stats_summarize(zero, 6, &s);
	cr_assert(isnan(stats_rel_halfwidth(&s)));
	cr_assert_not(stats_is_precise(&s, 0.5));
}
