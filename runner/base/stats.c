/* stats.c - median, spread, intervals, the quantile, the rank test, the
 * Hodges-Lehmann ratio, the speedup and the noise flag. */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../concbench.h" /* cb_quantile(), the workloads' door to the quantile */

#define EXACT_MAX_PAIRS 2500
#define TAIL 0.025 /* each tail of a two-sided 95% interval */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void stats_sort(double *x, size_t n)
{
	if (n > 1)
		qsort(x, n, sizeof(*x), cmp_double);
}

void stats_quantile_pos(size_t n, double p, size_t *i, double *frac)
{
	double h;

	if (!(p > 0)) /* also NaN */
		p = 0;
	if (p > 1)
		p = 1;
	h = p * (double)(n - 1);
	*i = (size_t)h;
	if (*i >= n - 1) {
		*i = n - 1;
		*frac = 0;
		return;
	}
	*frac = h - (double)*i;
}

double stats_quantile(const double *sorted, size_t n, double p)
{
	size_t i;
	double frac;

	if (n == 0)
		return NAN;
	stats_quantile_pos(n, p, &i, &frac);
	if (frac == 0)
		return sorted[i];
	return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

double cb_quantile(double *v, size_t n, double p)
{
	stats_sort(v, n);
	return stats_quantile(v, n, p);
}

/* The 0-based index k of the distribution-free interval of the median,
 * [x[k], x[n-1-k]]: the largest k with P(Binomial(n, 1/2) <= k) <= 0.025,
 * so that the coverage 1 - 2 P(B <= k) is at least 95%. For n < 6 no such k
 * exists; the interval is then [min, max] (k = 0), whose coverage
 * 1 - 2^(1-n) is below 95%. *conf gets the coverage. */
static size_t median_ci_index(size_t n, double *conf)
{
	double cdf = 0, at_k = 0;
	size_t k = 0;

	for (size_t j = 0; j < n; j++) {
		/* P(B = j) in log space: 0.5^n underflows from n = 1075 on */
		double term = exp(lgamma((double)n + 1) - lgamma((double)j + 1) -
		                  lgamma((double)(n - j) + 1) - (double)n * M_LN2);

		cdf += term;
		if (j == 0)
			at_k = cdf;
		if (cdf > TAIL)
			break;
		k = j;
		at_k = cdf;
	}
	*conf = 1 - 2 * at_k;
	return k;
}

/* The value at 0-based rank r of |x[i] - med| over sorted x[0..n), without
 * a buffer: the deviations below the median grow leftwards from the split,
 * those above it grow rightwards; merge the two runs up to rank r. */
static double abs_dev_rank(const double *x, size_t n, double med, size_t r)
{
	size_t right = 0, left;
	double d = 0;

	while (right < n && x[right] < med)
		right++;
	left = right; /* x[0..left) are below the median, taken from left - 1 down */
	for (size_t taken = 0; taken <= r; taken++) {
		double dl = left ? med - x[left - 1] : INFINITY;
		double dr = right < n ? x[right] - med : INFINITY;

		if (dl <= dr) {
			d = dl;
			left--;
		} else {
			d = dr;
			right++;
		}
	}
	return d;
}

/* The MAD by the quantile definition of stats_quantile at p = 0.5. */
static double mad_of_sorted(const double *x, size_t n, double med)
{
	size_t i;
	double frac, lo;

	stats_quantile_pos(n, 0.5, &i, &frac);
	lo = abs_dev_rank(x, n, med, i);
	if (frac == 0)
		return lo;
	return lo + frac * (abs_dev_rank(x, n, med, i + 1) - lo);
}

void stats_summarize(double *x, size_t n, struct summary *s)
{
	double sum = 0, sq = 0;
	size_t k;

	s->n = n;
	s->outliers = 0;
	if (n == 0) {
		s->median = s->mean = s->stddev = s->min = s->max = NAN;
		s->cv = s->ci_lo = s->ci_hi = s->ci_conf = s->mad = NAN;
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
	k = median_ci_index(n, &s->ci_conf);
	s->ci_lo = x[k];
	s->ci_hi = x[n - 1 - k];

	/* hyperfine's rule: |x - median| / MAD > 14.826. When more than half
	 * the reps are equal (MAD = 0), hyperfine divides by DBL_EPSILON: any
	 * rep that differs from them is an outlier; so here. */
	s->mad = mad_of_sorted(x, n, s->median);
	for (size_t i = 0; i < n; i++) {
		double dev = fabs(x[i] - s->median);

		if (s->mad > 0 ? dev / s->mad > OUTLIER_MADS : dev > 0)
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
	/* from 6 reps on the median interval covers >= 95% (ci_conf) */
	return s->ci_conf >= 0.95 && stats_rel_halfwidth(s) <= target;
}

bool is_noisy(const struct summary *s)
{
	return s->n > 1 && (s->cv > NOISY_CV || s->outliers > 0);
}

/* P(U = u) for u = 0..m*n, U = #{(x, y): x > y}, x of size m, y of size n,
 * no ties, by the recurrence on the largest value: it is an x with
 * probability m/(m+n) (then it beats all n y's) or a y. NULL on ENOMEM. */
static double *mwu_pmf(size_t m, size_t n)
{
	size_t w = m * n + 1;
	double *prev = calloc((n + 1) * w, sizeof(double));
	double *cur = calloc((n + 1) * w, sizeof(double));
	double *out = NULL;

	if (!prev || !cur)
		goto out;
	/* i = 0 x's: U = 0 whatever j. */
	for (size_t j = 0; j <= n; j++)
		prev[j * w] = 1;
	for (size_t i = 1; i <= m; i++) {
		memset(cur, 0, (n + 1) * w * sizeof(double));
		cur[0] = 1; /* j = 0: U = 0 */
		for (size_t j = 1; j <= n; j++) {
			double px = (double)i / (double)(i + j), py = 1 - px;
			double *c = cur + j * w, *a = prev + j * w, *b = cur + (j - 1) * w;

			for (size_t u = 0; u <= i * j; u++)
				c[u] = py * b[u] + (u >= j ? px * a[u - j] : 0);
		}
		double *t = prev;
		prev = cur;
		cur = t;
	}
	out = malloc(w * sizeof(double));
	if (out)
		memcpy(out, prev + n * w, w * sizeof(double));
out:
	free(prev);
	free(cur);
	return out;
}

double mwu_p(const double *a, size_t na, const double *b, size_t nb, double *p_min)
{
	size_t n = na + nb;
	double u = 0, mu, var, tie = 0, z, p;
	bool ties = false;
	double *all;

	if (p_min)
		*p_min = NAN;
	if (!na || !nb)
		return NAN;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			u += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
	all = malloc(n * sizeof(*all));
	if (!all)
		return NAN;
	memcpy(all, a, na * sizeof(*a));
	memcpy(all + na, b, nb * sizeof(*b));
	stats_sort(all, n);
	for (size_t i = 0; i < n;) {
		size_t k = i;

		while (k < n && all[k] == all[i])
			k++;
		if (k - i > 1) {
			double t = (double)(k - i);

			ties = true;
			tie += t * t * t - t;
		}
		i = k;
	}
	free(all);
	if (!ties && na * nb <= EXACT_MAX_PAIRS) {
		double *pmf = mwu_pmf(na, nb), lo = 0, hi = 0;
		size_t uu = (size_t)u;

		if (pmf) {
			for (size_t k = 0; k <= na * nb; k++) {
				if (k <= uu)
					lo += pmf[k];
				if (k >= uu)
					hi += pmf[k];
			}
			if (p_min)
				*p_min = fmin(1, 2 * pmf[0]);
			free(pmf);
			return fmin(1, 2 * fmin(lo, hi));
		}
	}
	mu = (double)na * (double)nb / 2;
	var =
	    (double)na * (double)nb / 12 * ((double)(n + 1) - tie / ((double)n * (double)(n - 1)));
	if (var <= 0)
		return 1;
	z = (fabs(u - mu) - 0.5) / sqrt(var);
	p = z <= 0 ? 1 : erfc(z / M_SQRT2);
	if (p_min)
		*p_min = erfc((mu - 0.5) / sqrt(var) / M_SQRT2);
	return fmin(1, p);
}

/* Rank k (1-based) of the lower end of a 95% interval over sorted
 * pairwise differences, from the null distribution pmf[0..len) of U, the
 * count of differences above the true shift: the largest k with
 * P(U <= k-1) <= TAIL, at least 1 (the widest interval when no rank
 * reaches 95%). *conf gets the coverage 1 - 2 P(U <= k-1). */
static size_t rank_of_pmf(const double *pmf, size_t len, double *conf)
{
	size_t k = 0;
	double cdf = 0, below = 0;

	for (size_t u = 0; u < len; u++) {
		cdf += pmf[u];
		if (cdf > TAIL + 1e-12)
			break;
		k = u + 1;
		below = cdf;
	}
	if (!k) {
		k = 1;
		below = pmf[0];
	}
	*conf = fmin(1, fmax(0, 1 - 2 * below));
	return k;
}

/* The same from the normal approximation of U (mean mu, variance var),
 * with the continuity correction. */
static size_t rank_normal(double mu, double var, double *conf)
{
	double sd = sqrt(var), kk = floor(mu - 1.959964 * sd + 0.5);

	if (kk < 1)
		kk = 1;
	/* P(U <= k-1) */
	*conf = 1 - erfc(-((kk - 0.5 - mu) / sd) / M_SQRT2);
	return (size_t)kk;
}

/* Rank k of the lower end of the interval over the m*n pairwise
 * differences of two samples (hl_core(), hl_conf()). */
static size_t hl_rank(size_t m, size_t n, double *conf)
{
	if (m * n <= EXACT_MAX_PAIRS) {
		double *pmf = mwu_pmf(m, n);

		if (pmf) {
			size_t k = rank_of_pmf(pmf, m * n + 1, conf);

			free(pmf);
			return k;
		}
	}
	return rank_normal((double)m * (double)n / 2,
	                   (double)m * (double)n * (double)(m + n + 1) / 12, conf);
}

double hl_conf(size_t nb, size_t nh)
{
	double conf;

	if (!nb || !nh)
		return NAN;
	hl_rank(nb, nh, &conf);
	return conf;
}

/* Rearrange x[0..n) so that x[k] is its k-th smallest value (0-based),
 * with nothing larger before it and nothing smaller after it: quickselect
 * with three-way partitioning, so ties cost nothing. O(n) on average. */
static void select_kth(double *x, size_t n, size_t k)
{
	size_t lo = 0, hi = n; /* x[k] is in [lo, hi) */

	while (hi - lo > 1) {
		double a = x[lo], b = x[lo + (hi - lo) / 2], c = x[hi - 1], p, t;
		size_t lt = lo, i = lo, gt = hi;

		p = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		while (i < gt) {
			if (x[i] < p) {
				t = x[lt], x[lt++] = x[i], x[i++] = t;
			} else if (x[i] > p) {
				t = x[--gt], x[gt] = x[i], x[i] = t;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return;
	}
}

/* stats_quantile(sorted d, n, 0.5) without sorting d: the order statistics
 * it interpolates between, found by selection. */
static double select_median(double *d, size_t n)
{
	double pos = 0.5 * (double)(n - 1), frac, m0, m1;
	size_t i = (size_t)pos;

	frac = pos - (double)i;
	select_kth(d, n, i);
	m0 = d[i];
	if (frac == 0 || i + 1 >= n)
		return m0;
	m1 = d[i + 1];
	for (size_t j = i + 2; j < n; j++)
		if (d[j] < m1)
			m1 = d[j];
	return m0 + frac * (m1 - m0);
}

/* The Hodges-Lehmann estimate and interval of the pairwise differences
 * h_j - b_i, of their logs when `logs` (every value positive); *mb gets
 * median(b). */
static int hl_core(const double *b, size_t nb, const double *h, size_t nh, bool logs, double *est,
                   double *lo, double *hi, double *mb)
{
	size_t np = nb * nh, k;
	double *d, *sb, *lh, conf;

	if (!nb || !nh)
		return -EINVAL;
	d = malloc(np * sizeof(*d));
	sb = malloc(nb * sizeof(*sb));
	lh = malloc(nh * sizeof(*lh));
	if (!d || !sb || !lh) {
		free(d);
		free(sb);
		free(lh);
		return -ENOMEM;
	}
	memcpy(sb, b, nb * sizeof(*b));
	stats_sort(sb, nb);
	*mb = stats_quantile(sb, nb, 0.5);
	for (size_t j = 0; j < nh; j++)
		lh[j] = logs ? log(h[j]) : h[j];
	for (size_t i = 0; i < nb; i++) {
		double lb = logs ? log(b[i]) : b[i];

		for (size_t j = 0; j < nh; j++)
			d[i * nh + j] = lh[j] - lb;
	}
	free(sb);
	free(lh);
	/* the pairwise differences are only needed at three ranks:
	 * select them instead of sorting all nb * nh */
	k = hl_rank(nb, nh, &conf);
	if (k > (np + 1) / 2)
		k = (np + 1) / 2;
	select_kth(d, np, k - 1);
	*lo = d[k - 1];
	select_kth(d, np, np - k);
	*hi = d[np - k];
	*est = select_median(d, np);
	free(d);
	return 0;
}

int hl_ratio(const double *b, size_t nb, const double *h, size_t nh, double *est, double *lo,
             double *hi)
{
	bool logs = true;
	double mb;
	int rc;

	for (size_t i = 0; i < nb; i++)
		logs = logs && b[i] > 0;
	for (size_t j = 0; j < nh; j++)
		logs = logs && h[j] > 0;
	rc = hl_core(b, nb, h, nh, logs, est, lo, hi, &mb);
	if (rc)
		return rc;
	if (logs) {
		*est = exp(*est);
		*lo = exp(*lo);
		*hi = exp(*hi);
	} else {
		*est = 1 + *est / mb;
		*lo = 1 + *lo / mb;
		*hi = 1 + *hi / mb;
	}
	return 0;
}

int hl_shift(const double *b, size_t nb, const double *h, size_t nh, double *est, double *lo,
             double *hi)
{
	double mb;

	return hl_core(b, nb, h, nh, false, est, lo, hi, &mb);
}

/* The pooled null distribution is exact up to this many pairs in all. */
#define POOL_EXACT_MAX_PAIRS 10000

/* Rank k of the lower end of the pooled interval (hl_ratio_pooled): the
 * null distribution of the sum of the strata's U is the convolution of
 * theirs (exact while every stratum and the sum are small enough), else
 * normal with the summed mean and variance. -ENOMEM or the rank. */
static long pooled_rank(const struct hl_stratum *s, size_t ns, size_t np, double *conf)
{
	double mu = 0, var = 0, *sum = NULL, *next = NULL;
	bool exact = np <= POOL_EXACT_MAX_PAIRS;
	size_t len = 1;
	long k;

	for (size_t i = 0; i < ns; i++) {
		double m = (double)s[i].nb, n = (double)s[i].nh;

		mu += m * n / 2;
		var += m * n * (m + n + 1) / 12;
		exact = exact && s[i].nb * s[i].nh <= EXACT_MAX_PAIRS;
	}
	if (!exact)
		return (long)rank_normal(mu, var, conf);
	sum = calloc(np + 1, sizeof(*sum));
	next = calloc(np + 1, sizeof(*next));
	if (!sum || !next)
		goto nomem;
	sum[0] = 1;
	for (size_t i = 0; i < ns; i++) {
		size_t w = s[i].nb * s[i].nh + 1;
		double *pmf, *t;

		if (!s[i].nb || !s[i].nh)
			continue;
		pmf = mwu_pmf(s[i].nb, s[i].nh);
		if (!pmf)
			goto nomem;
		memset(next, 0, (len + w - 1) * sizeof(*next));
		for (size_t a = 0; a < len; a++)
			for (size_t u = 0; u < w; u++)
				next[a + u] += sum[a] * pmf[u];
		free(pmf);
		len += w - 1;
		t = sum;
		sum = next;
		next = t;
	}
	k = (long)rank_of_pmf(sum, len, conf);
	free(sum);
	free(next);
	return k;
nomem:
	free(sum);
	free(next);
	return -ENOMEM;
}

int hl_ratio_pooled(const struct hl_stratum *s, size_t ns, double *est, double *lo, double *hi,
                    double *conf)
{
	size_t np = 0, at = 0;
	double *d;
	long k;

	for (size_t i = 0; i < ns; i++) {
		for (size_t j = 0; j < s[i].nb; j++)
			if (!(s[i].b[j] > 0) || !isfinite(s[i].b[j]))
				return -EINVAL;
		for (size_t j = 0; j < s[i].nh; j++)
			if (!(s[i].h[j] > 0) || !isfinite(s[i].h[j]))
				return -EINVAL;
		np += s[i].nb * s[i].nh;
	}
	if (!np)
		return -EINVAL;
	d = malloc(np * sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < ns; i++)
		for (size_t a = 0; a < s[i].nb; a++) {
			double lb = log(s[i].b[a]);

			for (size_t j = 0; j < s[i].nh; j++)
				d[at++] = log(s[i].h[j]) - lb;
		}
	k = pooled_rank(s, ns, np, conf);
	if (k < 0) {
		free(d);
		return (int)k;
	}
	if ((size_t)k > (np + 1) / 2)
		k = (long)((np + 1) / 2);
	select_kth(d, np, (size_t)k - 1);
	*lo = exp(d[k - 1]);
	select_kth(d, np, np - (size_t)k);
	*hi = exp(d[np - (size_t)k]);
	*est = exp(select_median(d, np));
	free(d);
	return 0;
}

/* Copy the finite values of x[0..n) into a new array; *m gets their count.
 * NULL on ENOMEM. */
static double *finite_copy(const double *x, size_t n, size_t *m)
{
	double *out = malloc((n + 1) * sizeof(*out));

	*m = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]))
			out[(*m)++] = x[i];
	return out;
}

int stats_speedup(const double *base, size_t nb, const double *cell, size_t nc, bool rates,
                  struct speedup *s)
{
	size_t mb, mc;
	double *fb, *fc;
	int rc;

	s->est = s->lo = s->hi = s->conf = NAN;
	fb = finite_copy(base, nb, &mb);
	fc = finite_copy(cell, nc, &mc);
	if (!fb || !fc) {
		rc = -ENOMEM;
		goto out;
	}
	/* rates: cell / base; times: base / cell, the ratio with the roles swapped */
	if (rates)
		rc = hl_ratio(fb, mb, fc, mc, &s->est, &s->lo, &s->hi);
	else
		rc = hl_ratio(fc, mc, fb, mb, &s->est, &s->lo, &s->hi);
	if (!rc)
		s->conf = hl_conf(mb, mc);
out:
	free(fb);
	free(fc);
	return rc;
}
