/* stats.h - summary statistics of the reps of one cell. */
#ifndef CONCBENCH_STATS_H
#define CONCBENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct summary {
	size_t n;
	double median, mean, stddev, min, max;
	double cv; /* stddev / mean */
	double ci_lo, ci_hi; /* distribution-free 95% interval of the median (order statistics) */
	double mad; /* median absolute deviation (unscaled) */
	size_t outliers; /* |modified z-score| > 14.826 (hyperfine's rule) */
};

#define NOISY_CV 0.10

/* Summarise x[0..n); sorts x in place. n may be 0 (every field NaN).
 * Can't fail; allocates nothing. */
void stats_summarize(double *x, size_t n, struct summary *s);

/* The p-quantile (0..1) of sorted[0..n) with linear interpolation; NaN if n == 0. */
double stats_quantile(const double *sorted, size_t n, double p);

/* Sort ascending in place. */
void stats_sort(double *x, size_t n);

/* Half-width of the median interval relative to the median,
 * (ci_hi - ci_lo) / 2 / median: the table's ±spread and --precision's
 * measure. NaN when n < 2 or the median is not positive. */
double stats_rel_halfwidth(const struct summary *s);

/* --precision's test: the median interval reaches 95% coverage (6 reps or
 * more) and stats_rel_halfwidth(s) <= target. */
bool stats_is_precise(const struct summary *s, double target);

/* Noisy: CV above NOISY_CV or an outlier by hyperfine's MAD rule. */
bool is_noisy(const struct summary *s);

#endif
