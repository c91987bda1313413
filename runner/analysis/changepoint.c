/* changepoint.c - change points in a series of per-run medians.
 *
 * Model: the series is piecewise stationary; a change point is an index
 * where the distribution shifts. Placement is E-divisive means (Matteson &
 * James, "A nonparametric approach for multiple change point analysis of
 * multivariate data", JASA 2014) with alpha = 1: the split maximising
 *   q(tau) = m k/(m+k) * e(X, Y),
 *   e = 2 E|X - Y| - E|X - X'| - E|Y - Y'|   (the energy distance),
 * over the segment between change points already found.
 *
 * Significance: Matteson & James test a split with a permutation test
 * (R = 199 reshuffles, each recomputing q over the whole segment, O(n^2)).
 * Apache Otava (ex-Hunter, Fleming et al., ICPE 2023, after Daly et al.,
 * ICPE 2020) replaced it with Welch's t-test between the segments left and
 * right of the split: deterministic (no seed decides whether CI fails)
 * and ~200x cheaper, which is what makes 200 cells x 1,000 runs a few
 * seconds. Its price: the t-test assumes roughly normal segments; a series
 * of medians of several reps is close to that. We follow Otava.
 *
 * Greedy: among all segments, the split with the smallest p is accepted
 * while p < alpha and the means differ by at least min_change; repeat.
 * Like Otava's sliding window, the test also looks at the 2 min_seg runs
 * next to the split, so a regression later undone (a bump) is found. */
#include "changepoint.h"

#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

int cp_ediv_split(const double *x, size_t a, size_t b, size_t min_seg, size_t *tau, double *q)
{
	double total = 0, wl = 0, wr = 0, best = -INFINITY;
	size_t t0, L, best_t = 0;

	if (min_seg < 2 || b < a || b - a < 2 * min_seg)
		return -EINVAL;
	L = b - a;
	t0 = a + min_seg;
	for (size_t i = a; i < b; i++)
		for (size_t j = i + 1; j < b; j++) {
			double d = fabs(x[i] - x[j]);

			total += d;
			if (j < t0)
				wl += d;
			else if (i >= t0)
				wr += d;
		}
	for (size_t t = t0; t + min_seg <= b; t++) {
		double m = (double)(t - a), k = (double)(b - t);
		double between = total - wl - wr;
		double e = 2 * between / (m * k) - 2 * wl / (m * (m - 1)) - 2 * wr / (k * (k - 1));
		double qq = m * k / (double)L * e;

		if (qq > best) {
			best = qq;
			best_t = t;
		}
		/* move x[t] from the right segment to the left one */
		for (size_t i = a; i < t; i++)
			wl += fabs(x[i] - x[t]);
		for (size_t j = t + 1; j < b; j++)
			wr -= fabs(x[t] - x[j]);
	}
	*tau = best_t;
	*q = best;
	return 0;
}

static void mean_var(const double *x, size_t n, double *mean, double *var)
{
	double s = 0, ss = 0;

	for (size_t i = 0; i < n; i++)
		s += x[i];
	*mean = s / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - *mean) * (x[i] - *mean);
	*var = n > 1 ? ss / (double)(n - 1) : 0;
}

double cp_welch_p(const double *a, size_t na, const double *b, size_t nb)
{
	double ma, va, mb, vb, sa, sb, t, df;

	mean_var(a, na, &ma, &va);
	mean_var(b, nb, &mb, &vb);
	sa = va / (double)na;
	sb = vb / (double)nb;
	if (sa + sb == 0)
		return ma == mb ? 1 : 0;
	t = (ma - mb) / sqrt(sa + sb);
	df = (sa + sb) * (sa + sb) / (sa * sa / (double)(na - 1) + sb * sb / (double)(nb - 1));
	return fmin(1, 2 * gsl_cdf_tdist_Q(fabs(t), df));
}

/* The p of a split at tau of [a, b): the smaller of the t-test over the
 * whole segments and over windows of 2 min_seg runs on either side (a
 * change that a later one undid is invisible to the first: the right
 * segment mixes both levels), doubled (Bonferroni over the two tests). */
static double cp_split_p(const double *x, size_t a, size_t tau, size_t b, size_t min_seg)
{
	size_t w = 2 * min_seg, wa = tau - a > w ? tau - w : a, wb = b - tau > w ? tau + w : b;
	double p = cp_welch_p(x + a, tau - a, x + tau, b - tau);

	if (wa != a || wb != b)
		p = fmin(p, cp_welch_p(x + wa, tau - wa, x + tau, wb - tau));
	return fmin(1, 2 * p);
}

int cp_detect(const double *x, size_t n, const struct cp_opts *o, struct cp_point *out, size_t cap)
{
	size_t k = 0;

	if (!o || o->min_seg < 2 || !(o->alpha > 0) || !(o->min_change >= 0))
		return -EINVAL;
	while (k < cap) {
		struct cp_point best = {0, INFINITY, 0};
		size_t pos = 0;

		for (size_t i = 0; i <= k; i++) {
			size_t a = i ? out[i - 1].at : 0, b = i < k ? out[i].at : n, tau;
			double q, ma, va, mb, vb, p;

			if (b - a < 2 * o->min_seg || cp_ediv_split(x, a, b, o->min_seg, &tau, &q))
				continue;
			mean_var(x + a, tau - a, &ma, &va);
			mean_var(x + tau, b - tau, &mb, &vb);
			if (o->absolute ? fabs(mb - ma) < o->min_change
			                : ma != 0 && fabs(mb - ma) / fabs(ma) < o->min_change)
				continue;
			p = cp_split_p(x, a, tau, b, o->min_seg);
			if (p < best.p) {
				best = (struct cp_point){tau, p, q};
				pos = i;
			}
		}
		if (!(best.p < o->alpha))
			break;
		memmove(out + pos + 1, out + pos, (k - pos) * sizeof(*out));
		out[pos] = best;
		k++;
	}
	return (int)k;
}
