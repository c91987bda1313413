/* compare.c - the regression gate's decision rule: per cell a Mann-Whitney
 * U test and the Hodges-Lehmann estimate of head/base with its interval
 * (both in runner/base/stats.c), Holm over the cells beyond the threshold,
 * and the verdict. The subcommand around it is compare_cmd.c. */
#include "compare.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "../base/stats.h"
#include "../base/util.h"

const char *const cmp_verdict_names[] = {
    [CMP_PASS] = "pass",
    [CMP_REGRESSION] = "regression",
    [CMP_IMPROVEMENT] = "improvement",
    [CMP_INCONCLUSIVE] = "inconclusive",
    [CMP_UNVERIFIED] = "unverified",
};

int cmp_compute(const double *b, size_t nb, const double *h, size_t nh, struct cmp_stats *s)
{
	double *sb, *sh;
	int rc;

	memset(s, 0, sizeof(*s));
	s->nb = nb;
	s->nh = nh;
	if (!nb || !nh)
		return -EINVAL;
	sb = malloc(nb * sizeof(*sb));
	sh = malloc(nh * sizeof(*sh));
	if (!sb || !sh) {
		free(sb);
		free(sh);
		return -ENOMEM;
	}
	memcpy(sb, b, nb * sizeof(*b));
	memcpy(sh, h, nh * sizeof(*h));
	stats_sort(sb, nb);
	stats_sort(sh, nh);
	s->med_b = stats_quantile(sb, nb, 0.5);
	s->med_h = stats_quantile(sh, nh, 0.5);
	s->p = mwu_p(sh, nh, sb, nb, &s->p_min);
	s->conf = hl_conf(nb, nh);
	rc = hl_ratio(sb, nb, sh, nh, &s->ratio, &s->ci_lo, &s->ci_hi);
	free(sb);
	free(sh);
	if (!rc && isnan(s->conf))
		rc = -ENOMEM;
	return rc;
}

/* The ratio and interval of s as a slowdown: > 1 is worse. */
static void as_slowdown(const struct cmp_stats *s, bool higher_better, double *r, double *lo,
                        double *hi)
{
	*r = higher_better ? 1 / s->ratio : s->ratio;
	*lo = higher_better ? 1 / s->ci_hi : s->ci_lo;
	*hi = higher_better ? 1 / s->ci_lo : s->ci_hi;
}

int cmp_adjust(struct cmp_stats *s, size_t n, double threshold, bool higher_better)
{
	double *p = malloc((n + 1) * sizeof(*p)), up = 1 + threshold, down = 1 / up;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		double r, lo, hi;

		as_slowdown(&s[i], higher_better, &r, &lo, &hi);
		s[i].candidate = !isnan(s[i].p) && !isnan(r) && (r > up || r < down);
		p[i] = s[i].candidate ? s[i].p : NAN;
	}
	if (cmp_holm(p, n)) {
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i].candidate)
			s[i].p = p[i];
	free(p);
	return 0;
}

long cmp_reps_needed(const struct cmp_stats *s, double threshold, bool higher_better)
{
	double r, lo, hi, half, dist, n = (double)(s->nb < s->nh ? s->nb : s->nh), need;

	as_slowdown(s, higher_better, &r, &lo, &hi);
	if (!(lo > 0) || isnan(r) || !(n > 0))
		return LONG_MAX;
	if (lo > 1 + threshold || hi <= 1 + threshold)
		return 0;
	half = (log(hi) - log(lo)) / 2;
	dist = fabs(log(r) - log1p(threshold));
	if (dist < 1e-9)
		return LONG_MAX;
	need = ceil(n * (half / dist) * (half / dist));
	if (need <= n)
		need = n + 1;
	return need > 1e9 ? LONG_MAX : (long)need;
}

/* The fewest reps per side (as many on both, at least those there are)
 * for which a 95% interval exists. */
static size_t reps_for_interval(size_t nb, size_t nh)
{
	size_t n = nb > nh ? nb : nh;

	while (n < 64 && hl_conf(n, n) < 0.95 - 1e-12)
		n++;
	return n;
}

enum cmp_verdict cmp_decide(const struct cmp_stats *s, double threshold, double alpha,
                            bool higher_better, char *why, size_t whylen)
{
	double r, lo, hi, up = 1 + threshold, down = 1 / up;
	char dummy[8];
	long need;

	if (!why || !whylen) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	as_slowdown(s, higher_better, &r, &lo, &hi);
	if (isnan(s->p) || isnan(r) || isnan(lo) || isnan(hi)) {
		snprintf(why, whylen, "no comparable values");
		return CMP_INCONCLUSIVE;
	}
	if (s->conf < 0.95 - 1e-12) {
		snprintf(why, whylen,
		         "too few reps for a 95%% interval: %zu reps per side would decide",
		         reps_for_interval(s->nb, s->nh));
		return CMP_INCONCLUSIVE;
	}
	if (lo > up) {
		snprintf(why, whylen, "the interval lies beyond +%.3g%%", 100 * threshold);
		return CMP_REGRESSION;
	}
	if (hi < down) {
		snprintf(why, whylen, "the interval lies beyond -%.3g%%", 100 * threshold);
		return CMP_IMPROVEMENT;
	}
	if (s->candidate && s->p < alpha) {
		snprintf(why, whylen, "significant, estimate beyond the threshold");
		return r > up ? CMP_REGRESSION : CMP_IMPROVEMENT;
	}
	if (hi <= up) {
		snprintf(why, whylen,
		         lo < down ? "no regression; an improvement is possible"
		                   : "within the threshold");
		return CMP_PASS;
	}
	need = cmp_reps_needed(s, threshold, higher_better);
	if (need == LONG_MAX)
		snprintf(why, whylen,
		         "the interval reaches past +%.3g%%; the estimate sits on the threshold",
		         100 * threshold);
	else
		snprintf(why, whylen,
		         "the interval reaches past +%.3g%%: about %ld reps per side would decide",
		         100 * threshold, need);
	return CMP_INCONCLUSIVE;
}

int parse_threshold(const char *s, double *out)
{
	char buf[64];
	size_t n = s ? strlen(s) : 0;
	double v;

	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == '%') {
		buf[n - 1] = '\0';
		if (csv_parse_double(buf, &v))
			return -EINVAL;
		v /= 100;
	} else if (csv_parse_double(buf, &v)) {
		return -EINVAL;
	}
	if (!(v > 0) || v > 10)
		return -EINVAL;
	*out = v;
	return 0;
}

struct p_idx {
	double p;
	size_t i;
};

static int p_idx_cmp(const void *a, const void *b)
{
	const struct p_idx *x = a, *y = b;

	return (x->p > y->p) - (x->p < y->p);
}

int cmp_holm(double *p, size_t n)
{
	struct p_idx *s = malloc((n + 1) * sizeof(*s));
	size_t m = 0;
	double run = 0;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!isnan(p[i]))
			s[m++] = (struct p_idx){p[i], i};
	qsort(s, m, sizeof(*s), p_idx_cmp);
	for (size_t k = 0; k < m; k++) {
		double adj = fmin(1, (double)(m - k) * s[k].p);

		run = fmax(run, adj); /* adjusted p-values are monotone */
		p[s[k].i] = run;
	}
	free(s);
	return 0;
}
