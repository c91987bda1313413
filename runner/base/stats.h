/* stats.h - the statistics of concbench, each defined once: the summary of
 * a cell's reps, the quantile, the rank test and the ratio interval that
 * compare uses, and the speedup that the table, JSON and report print.
 * results/README.md ("Statistics") states each definition. */
#ifndef CONCBENCH_STATS_H
#define CONCBENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct summary {
	size_t n;
	double median, mean, stddev, min, max;
	double cv; /* stddev / mean */
	/* Distribution-free interval of the median: order statistics
	 * [x(k), x(n+1-k)] with the largest k whose coverage is still >= 95%;
	 * below 6 reps no k reaches 95% and the interval is [min, max]. */
	double ci_lo, ci_hi;
	double ci_conf; /* its achieved confidence, 1 - 2 P(Binomial(n, 1/2) < k):
	                 * 0.9375 at 5 reps, 0.75 at 3, >= 0.95 from 6 on */
	double mad; /* median absolute deviation (unscaled) */
	size_t outliers; /* reps with |x - median| / MAD > 14.826 (hyperfine's rule) */
};

#define NOISY_CV 0.10
/* hyperfine's outlier threshold on |x - median| / MAD: 10 standard
 * deviations, with 1.4826 MAD estimating one (src/outlier_detection.rs). */
#define OUTLIER_MADS 14.826

/* Summarise x[0..n); sorts x in place. n may be 0 (every field NaN).
 * Can't fail; allocates nothing. */
void stats_summarize(double *x, size_t n, struct summary *s);

/* The one quantile definition (Hyndman & Fan type 7, numpy's default): the
 * p-quantile (0..1) of n sorted values is at 0-based position h = p (n - 1),
 * interpolated linearly between order statistics floor(h) and floor(h) + 1.
 * Sets *i = floor(h) and *frac = h - floor(h) (*frac = 0 when i = n - 1).
 * n must be > 0; p is clamped to [0, 1]. */
void stats_quantile_pos(size_t n, double p, size_t *i, double *frac);

/* The p-quantile of sorted[0..n) by stats_quantile_pos; NaN if n == 0. */
double stats_quantile(const double *sorted, size_t n, double p);

/* Sort ascending in place. */
void stats_sort(double *x, size_t n);

/* Half-width of the median interval relative to the median,
 * (ci_hi - ci_lo) / 2 / median: the table's ±spread and --precision's
 * measure. NaN when n < 2 or the median is not positive. */
double stats_rel_halfwidth(const struct summary *s);

/* --precision's test: the median interval's achieved confidence (ci_conf)
 * is at least 95% (6 reps or more) and stats_rel_halfwidth(s) <= target. */
bool stats_is_precise(const struct summary *s, double target);

/* Noisy: CV above NOISY_CV or an outlier by hyperfine's MAD rule. */
bool is_noisy(const struct summary *s);

/* Two-sided Mann-Whitney U test of a[0..na) against b[0..nb). Exact
 * distribution when there are no ties and na*nb <= 2500, else the normal
 * approximation with tie and continuity corrections. *p_min (may be NULL)
 * receives the smallest attainable p. Returns NaN when na or nb is 0 (or
 * on ENOMEM). */
double mwu_p(const double *a, size_t na, const double *b, size_t nb, double *p_min);

/* Hodges-Lehmann estimate and distribution-free interval of the ratio h/b:
 * the median and the order statistics k and nb*nh+1-k of the nb*nh pairwise
 * log ratios log(h_j) - log(b_i) when every value is positive, else of the
 * differences h_j - b_i divided by median(b). k is the largest rank whose
 * coverage (Mann-Whitney null distribution) is >= 95%, or 1 when none is;
 * hl_conf() gives the coverage achieved. 0, or -EINVAL when a sample
 * is empty, or -ENOMEM. The inputs are not changed. */
int hl_ratio(const double *b, size_t nb, const double *h, size_t nh, double *est, double *lo,
             double *hi);

/* The same for the shift h - b: the median and order statistics of the
 * pairwise differences h_j - b_i (for values near or below zero, where a
 * ratio means nothing: a fitted σ or κ). */
int hl_shift(const double *b, size_t nb, const double *h, size_t nh, double *est, double *lo,
             double *hi);

/* The achieved confidence of hl_ratio()'s interval for samples of sizes nb
 * and nh (exact for continuous data up to 2500 pairs, else the normal
 * approximation): 0.968 at 5 vs 5, 0.90 at 3 vs 3. NaN if a size is 0. */
double hl_conf(size_t nb, size_t nh);

/* One stratum of hl_ratio_pooled(): the base and head samples of a cell. */
struct hl_stratum {
	const double *b, *h;
	size_t nb, nh;
};

/* The Hodges-Lehmann estimate and distribution-free interval of a ratio
 * h/b that several strata share (the cells of one workload, each with its
 * own level): the median and the order statistics k and N+1-k of the
 * N = sum nb*nh pairwise log ratios taken within each stratum, k the
 * largest rank whose coverage under the null distribution of the summed
 * Mann-Whitney U (the stratified rank test; exact for continuous data up
 * to 10000 pairs, else normal) is >= 95%, or 1. One stratum gives
 * hl_ratio()'s interval. *conf gets the coverage achieved. 0, -EINVAL when
 * a value is not positive and finite or there is no pair, or -ENOMEM. */
int hl_ratio_pooled(const struct hl_stratum *s, size_t ns, double *est, double *lo, double *hi,
                    double *conf);

/* A cell's speedup over its baseline, with its interval. */
struct speedup {
	double est, lo, hi; /* NaN when not computable */
	double conf; /* the interval's achieved confidence (hl_conf) */
};

/* The speedup of a cell over its baseline from their per-rep samples,
 * the one definition the table, JSON and report print: the Hodges-Lehmann
 * ratio cell/base when the samples are rates (ops/s, higher is better, the
 * samples of benches, whose worker count changes the work done), else
 * base/cell (wall times of the same work). NaN and infinite values are
 * skipped. 0, -EINVAL when a sample has no finite value (s all NaN), or
 * -ENOMEM. */
int stats_speedup(const double *base, size_t nb, const double *cell, size_t nc, bool rates,
                  struct speedup *s);

#endif
