/* Summary statistics, the quantile, the outlier rule, the Hodges-Lehmann
 * ratio and the speedup. tests/stats/crosscheck.py compares the same
 * functions with scipy on many more vectors; these pin the cases a
 * reader can check by hand. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "../../runner/base/stats.h"
#include "../../runner/concbench.h"

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
}

Test(stats, median_interval_states_its_confidence)
{
	double x5[] = {5, 1, 4, 2, 3}, x3[] = {3, 1, 2}, x6[] = {6, 1, 5, 2, 4, 3};
	struct summary s;

	/* 5 reps: [min, max] covers 1 - 2 * 2^-5 = 93.75%, not 95% */
	stats_summarize(x5, 5, &s);
	cr_assert_float_eq(s.ci_lo, 1, 1e-12);
	cr_assert_float_eq(s.ci_hi, 5, 1e-12);
	cr_assert_float_eq(s.ci_conf, 0.9375, 1e-12);
	/* 3 reps (make bench): 75% */
	stats_summarize(x3, 3, &s);
	cr_assert_float_eq(s.ci_conf, 0.75, 1e-12);
	/* 6 reps: [min, max] reaches 1 - 2/64 = 96.875% */
	stats_summarize(x6, 6, &s);
	cr_assert_float_eq(s.ci_conf, 1 - 2.0 / 64, 1e-12);
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
	cr_assert(s.ci_conf >= 0.95 && s.ci_conf < 0.97, "conf %g", s.ci_conf);
}

Test(stats, median_interval_of_many_reps_is_not_inverted)
{
	/* 0.5^n underflows from n = 1075: the interval must still be ordered */
	static double x[3000];
	struct summary s;

	for (int i = 0; i < 3000; i++)
		x[i] = i;
	stats_summarize(x, 3000, &s);
	cr_assert(s.ci_lo < s.median && s.median < s.ci_hi, "[%g, %g]", s.ci_lo, s.ci_hi);
	cr_assert(s.ci_conf >= 0.95 && s.ci_conf < 0.96, "conf %g", s.ci_conf);
}

Test(stats, even_count_median_interpolates)
{
	double x[] = {4, 1, 3, 2};
	struct summary s;

	stats_summarize(x, 4, &s);
	cr_assert_float_eq(s.median, 2.5, 1e-12);
}

/* x: six values at 0 and +-1 (median 0, MAD 1) and one spike at d MADs */
static size_t outliers_at(double d)
{
	double x[] = {-1, -1, 0, 0, 1, 1, 0, d};
	struct summary s;

	stats_summarize(x, 8, &s);
	cr_assert_float_eq(s.mad, 1, 1e-12);
	return s.outliers;
}

Test(stats, outlier_rule_is_hyperfines)
{
	/* hyperfine: |x - median| / MAD > 14.826. 18 MADs is an outlier (a
	 * rule that first multiplies by 0.6745 would need 21.98); 14 is not. */
	cr_assert_eq(outliers_at(18), 1);
	cr_assert_eq(outliers_at(-18), 1);
	cr_assert_eq(outliers_at(14), 0);
}

Test(stats, outliers_counted_beyond_512_reps)
{
	static double x[1000];
	struct summary s;

	for (int i = 0; i < 999; i++)
		x[i] = 1 + 0.001 * (i % 10);
	x[999] = 5;
	stats_summarize(x, 1000, &s);
	cr_assert_eq(s.outliers, 1);
	cr_assert(is_noisy(&s));
}

Test(stats, mad_zero_flags_what_differs)
{
	/* more than half the reps equal: MAD = 0; as in hyperfine, any rep
	 * that differs is an outlier, and equal reps are not */
	double x[] = {3, 3, 3, 3, 3, 3, 3, 4}, y[] = {3, 3, 3, 3, 3};
	struct summary s;

	stats_summarize(x, 8, &s);
	cr_assert_float_eq(s.mad, 0, 1e-12);
	cr_assert_eq(s.outliers, 1);
	stats_summarize(y, 5, &s);
	cr_assert_eq(s.outliers, 0);
	cr_assert_not(is_noisy(&s));
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
	cr_assert(isnan(s.ci_conf));
	cr_assert_not(is_noisy(&s));
}

Test(stats, quantile_is_linear_between_order_statistics)
{
	double x[] = {0, 10, 20, 30, 40};
	size_t i;
	double frac;

	cr_assert_float_eq(stats_quantile(x, 5, 0.5), 20, 1e-12);
	/* h = 0.99 * 4 = 3.96: 30 + 0.96 * 10 (nearest rank would give 40,
	 * the floor rule 30) */
	cr_assert_float_eq(stats_quantile(x, 5, 0.99), 39.6, 1e-9);
	cr_assert_float_eq(stats_quantile(x, 5, 0), 0, 1e-12);
	cr_assert_float_eq(stats_quantile(x, 5, 1), 40, 1e-12);
	stats_quantile_pos(5, 0.99, &i, &frac);
	cr_assert_eq(i, 3);
	cr_assert_float_eq(frac, 0.96, 1e-12);
}

Test(stats, cb_quantile_sorts_and_uses_the_same_definition)
{
	double v[] = {40, 0, 30, 10, 20};

	cr_assert_float_eq(cb_quantile(v, 5, 0.99), 39.6, 1e-9);
	cr_assert_float_eq(v[0], 0, 1e-12);
	cr_assert(isnan(cb_quantile(v, 0, 0.5)));
}

Test(stats, hodges_lehmann_ratio_recovers_a_scale_change)
{
	double b[] = {1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00};
	double h[8], est, lo, hi;

	for (int i = 0; i < 8; i++)
		h[i] = 1.25 * b[(i + 3) % 8];
	cr_assert_eq(hl_ratio(b, 8, h, 8, &est, &lo, &hi), 0);
	cr_assert_float_eq(est, 1.25, 1e-9);
	cr_assert(lo <= 1.25 && hi >= 1.25 && lo > 1.15 && hi < 1.35, "[%g, %g]", lo, hi);
	cr_assert_eq(hl_ratio(b, 0, h, 8, &est, &lo, &hi), -EINVAL);
}

Test(stats, pooled_ratio_of_one_stratum_is_hodges_lehmann)
{
	double b[] = {1.00, 1.07, 0.95, 1.21, 0.99}, h[] = {1.31, 1.18, 1.52, 1.26, 1.40};
	struct hl_stratum s = {b, h, 5, 5};
	double est, lo, hi, conf, e1, l1, h1;

	cr_assert_eq(hl_ratio_pooled(&s, 1, &est, &lo, &hi, &conf), 0);
	cr_assert_eq(hl_ratio(b, 5, h, 5, &e1, &l1, &h1), 0);
	cr_assert_float_eq(est, e1, 1e-12);
	cr_assert_float_eq(lo, l1, 1e-12);
	cr_assert_float_eq(hi, h1, 1e-12);
	cr_assert_float_eq(conf, hl_conf(5, 5), 1e-12);
}

Test(stats, pooled_ratio_decides_what_no_single_stratum_can)
{
	/* five cells, each at its own level, each base with one rep 30%
	 * slow (a neighbour): head is 25% slower in every cell. One cell's
	 * interval reaches below 1.10; the five pooled lie above it. */
	double b[5][5], h[5][5], base[] = {1.000, 1.010, 0.990, 1.020, 0.995};
	struct hl_stratum s[5];
	double est, lo, hi, conf;

	for (int c = 0; c < 5; c++) {
		for (int r = 0; r < 5; r++) {
			b[c][r] = (c + 1) * base[r] * (r == c ? 1.3 : 1);
			h[c][r] = 1.25 * (c + 1) * base[(r + 2) % 5];
		}
		s[c] = (struct hl_stratum){b[c], h[c], 5, 5};
	}
	cr_assert_eq(hl_ratio(b[0], 5, h[0], 5, &est, &lo, &hi), 0);
	cr_assert(lo < 1.10, "one cell: [%g, %g]", lo, hi);
	cr_assert_eq(hl_ratio_pooled(s, 5, &est, &lo, &hi, &conf), 0);
	cr_assert(lo > 1.15 && hi < 1.30 && est > 1.2 && est < 1.27, "%g [%g, %g]", est, lo, hi);
	cr_assert(conf >= 0.95 && conf < 0.96, "%g", conf);
	/* a level is not a change: the same cells with no change pool to 1 */
	for (int c = 0; c < 5; c++)
		s[c].h = b[c];
	cr_assert_eq(hl_ratio_pooled(s, 5, &est, &lo, &hi, &conf), 0);
	cr_assert_float_eq(est, 1, 1e-12);
	cr_assert(lo < 1 && hi > 1);
}

Test(stats, pooled_ratio_refuses_what_has_no_ratio)
{
	double b[] = {1, 2}, h[] = {0, 2}, est, lo, hi, conf;
	struct hl_stratum s[2] = {{b, b, 2, 2}, {b, h, 2, 2}};

	cr_assert_eq(hl_ratio_pooled(s, 2, &est, &lo, &hi, &conf), -EINVAL);
	s[1].nb = s[1].nh = s[0].nb = s[0].nh = 0;
	cr_assert_eq(hl_ratio_pooled(s, 2, &est, &lo, &hi, &conf), -EINVAL);
}

Test(stats, hodges_lehmann_interval_is_the_third_pair_from_each_end)
{
	/* 5 vs 5: the interval is [d(3), d(23)] of the 25 sorted log ratios
	 * (Mann-Whitney critical value C = 3; P(U <= 2) = 4/252). Here all 25
	 * ratios differ: h/b = 2^(j/5 - i): d(1), d(2), d(3) are distinct, so a
	 * wrong rank gives a different end. */
	double b[5], h[5], est, lo, hi;

	for (int i = 0; i < 5; i++) {
		b[i] = pow(2, i);
		h[i] = pow(2, i / 5.0);
	}
	/* log2 ratios: j/5 - i, i, j = 0..4: sorted -4, -3.8, -3.6, … */
	cr_assert_eq(hl_ratio(b, 5, h, 5, &est, &lo, &hi), 0);
	cr_assert_float_eq(log2(lo), -3.6, 1e-9);
	cr_assert_float_eq(log2(hi), 0.4, 1e-9);
	cr_assert_float_eq(log2(est), -1.6, 1e-9);
	cr_assert_float_eq(hl_conf(5, 5), 1 - 8.0 / 252, 1e-12);
	cr_assert_float_eq(hl_conf(3, 3), 0.9, 1e-12);
}

Test(stats, hodges_lehmann_shift_is_the_third_difference_from_each_end)
{
	/* 5 vs 5, values around zero (a fitted κ): the differences h_j - b_i
	 * = j/5 - i (i, j = 0..4) sorted: -4, -3.8, -3.6, …; the interval is
	 * [d(3), d(23)], the estimate their median - no ratio, no logs */
	double b[5], h[5], est, lo, hi;

	for (int i = 0; i < 5; i++) {
		b[i] = i - 2.0;
		h[i] = i / 5.0 - 2.0;
	}
	cr_assert_eq(hl_shift(b, 5, h, 5, &est, &lo, &hi), 0);
	cr_assert_float_eq(lo, -3.6, 1e-9);
	cr_assert_float_eq(hi, 0.4, 1e-9);
	cr_assert_float_eq(est, -1.6, 1e-9);
	cr_assert_eq(hl_shift(b, 5, h, 0, &est, &lo, &hi), -EINVAL);
}

Test(stats, speedup_of_times_is_base_over_cell_of_rates_cell_over_base)
{
	double seq[] = {2.0, 2.1, 1.9}, par[] = {1.0, 1.05, 0.95};
	struct speedup sp;

	cr_assert_eq(stats_speedup(seq, 3, par, 3, false, &sp), 0);
	cr_assert_float_eq(sp.est, 2, 1e-9);
	cr_assert(sp.lo < 2 && sp.hi > 2);
	cr_assert_float_eq(sp.conf, 0.9, 1e-12);
	/* rates: twice the ops/s is a speedup of 2, whatever the wall times */
	cr_assert_eq(stats_speedup(par, 3, seq, 3, true, &sp), 0);
	cr_assert_float_eq(sp.est, 2, 1e-9);
	cr_assert_eq(stats_speedup(par, 0, seq, 3, true, &sp), -EINVAL);
	cr_assert(isnan(sp.est));
}
