/* Summary statistics: the figures the table and the CSV report. */
#include <criterion/criterion.h>
#include <math.h>

#include "../../runner/base/stats.h"

Test(stats, median_mean_spread_of_known_sample)
{
	double x[] = {5, 1, 4, 2, 3};
	struct summary s;

	stats_summarize(x, 5, &s);
	cr_assert_float_eq(s.median, 3, 1e-12);
	cr_assert_float_eq(s.mean, 3, 1e-12);
	cr_assert_float_eq(s.stddev, sqrt(2.5), 1e-12);
	cr_assert_float_eq(s.min, 1, 1e-12);
	cr_assert_float_eq(s.max, 5, 1e-12);
	cr_assert_float_eq(s.cv, sqrt(2.5) / 3, 1e-12);
	/* n = 5: the distribution-free interval is [min, max] */
	cr_assert_float_eq(s.ci_lo, 1, 1e-12);
	cr_assert_float_eq(s.ci_hi, 5, 1e-12);
}

Test(stats, even_count_median_interpolates)
{
	double x[] = {4, 1, 3, 2};
	struct summary s;

	stats_summarize(x, 4, &s);
	cr_assert_float_eq(s.median, 2.5, 1e-12);
}

Test(stats, median_interval_narrows_with_more_reps)
{
	double x[100];
	struct summary s;

	for (int i = 0; i < 100; i++)
		x[i] = i;
	stats_summarize(x, 100, &s);
	/* order statistics 39 and 60 (0-based) for n = 100 */
	cr_assert_float_eq(s.ci_lo, 39, 1e-12);
	cr_assert_float_eq(s.ci_hi, 60, 1e-12);
}

Test(stats, outlier_makes_cell_noisy)
{
	double calm[] = {1.00, 1.01, 0.99, 1.00, 1.02, 0.98, 1.00};
	double spiky[] = {1.00, 1.01, 0.99, 1.00, 1.02, 0.98, 3.00};
	struct summary s;

	stats_summarize(calm, 7, &s);
	cr_assert_not(is_noisy(&s));
	stats_summarize(spiky, 7, &s);
	cr_assert_eq(s.outliers, 1);
	cr_assert(is_noisy(&s));
}

Test(stats, empty_sample_is_nan_not_a_crash)
{
	struct summary s;

	stats_summarize(NULL, 0, &s);
	cr_assert_eq(s.n, 0);
	cr_assert(isnan(s.median));
	cr_assert_not(is_noisy(&s));
}

Test(stats, quantiles)
{
	double x[] = {0, 10, 20, 30, 40};

	cr_assert_float_eq(stats_quantile(x, 5, 0.5), 20, 1e-12);
	cr_assert_float_eq(stats_quantile(x, 5, 0.99), 39.6, 1e-9);
	cr_assert_float_eq(stats_quantile(x, 5, 0), 0, 1e-12);
}
