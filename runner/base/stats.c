/* stats.c - median, spread, intervals and the noise flag. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void stats_sort(double *x, size_t n)
{
	qsort(x, n, sizeof(*x), cmp_double);
}

double stats_quantile(const double *sorted, size_t n, double p)
{
	double pos, frac;
	size_t i;

	if (n == 0)
		return NAN;
	if (p <= 0)
		return sorted[0];
	if (p >= 1)
		return sorted[n - 1];
	pos = p * (double)(n - 1);
	i = (size_t)pos;
	frac = pos - (double)i;
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

/* The 0-based index k of the distribution-free 95% interval of the median,
 * [x(k), x(n-1-k)]: the largest k with P(Binomial(n, 1/2) <= k - 1) <= 0.025,
 * as a 1-based rank minus one. For n < 6 no such rank exists; the interval
 * is then [min, max], whose coverage 1 - 2^(1-n) is below 95%. */
static size_t median_ci_index(size_t n)
{
	double cdf = 0, term = pow(0.5, (double)n);
	size_t k = 0;

	for (size_t j = 0; j < n; j++) {
		cdf += term;
		if (cdf > 0.025)
			break;
		k = j;
		term = term * (double)(n - j) / (double)(j + 1);
	}
	return k;
}

void stats_summarize(double *x, size_t n, struct summary *s)
{
	double sum = 0, sq = 0, dev[512];
	size_t k;

	s->n = n;
	if (n == 0) {
		s->median = s->mean = s->stddev = s->min = s->max = NAN;
		s->cv = s->ci_lo = s->ci_hi = s->mad = NAN;
		s->outliers = 0;
		return;
	}
	stats_sort(x, n);
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	s->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (x[i] - s->mean) * (x[i] - s->mean);
	s->stddev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
	s->cv = s->mean > 0 ? s->stddev / s->mean : 0;
	s->min = x[0];
	s->max = x[n - 1];
	s->median = stats_quantile(x, n, 0.5);
	k = median_ci_index(n);
	s->ci_lo = x[k];
	s->ci_hi = x[n - 1 - k];

	/* MAD and outliers; beyond the buffer, skip the outlier count. */
	s->mad = NAN;
	s->outliers = 0;
	if (n <= sizeof(dev) / sizeof(dev[0])) {
		for (size_t i = 0; i < n; i++)
			dev[i] = fabs(x[i] - s->median);
		stats_sort(dev, n);
		s->mad = stats_quantile(dev, n, 0.5);
		for (size_t i = 0; i < n && s->mad > 0; i++)
			if (fabs(0.6745 * (x[i] - s->median) / s->mad) > 14.826)
				s->outliers++;
	}
}

double stats_rel_halfwidth(const struct summary *s)
{
	if (s->n < 2 || !(s->median > 0))
		return NAN;
	return (s->ci_hi - s->ci_lo) / 2 / s->median;
}

bool stats_is_precise(const struct summary *s, double target)
{
	/* 6: the fewest reps whose median interval covers >= 95% (median_ci_index) */
	return s->n >= 6 && stats_rel_halfwidth(s) <= target;
}

bool is_noisy(const struct summary *s)
{
	return s->n > 1 && (s->cv > NOISY_CV || s->outliers > 0);
}
