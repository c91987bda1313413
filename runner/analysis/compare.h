/* compare.h - the statistics of `concbench compare`: a rank test and a
 * distribution-free interval for the ratio of two samples, and the verdict
 * a CI gate acts on. Exported for the unit tests. */
#ifndef CONCBENCH_COMPARE_H
#define CONCBENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/stats.h"

enum cmp_verdict { CMP_PASS, CMP_REGRESSION, CMP_IMPROVEMENT, CMP_INCONCLUSIVE, CMP_UNVERIFIED };

extern const char *const cmp_verdict_names[];

/* Statistics of one cell: base sample b, head sample h. */
struct cmp_stats {
	size_t nb, nh;
	double med_b, med_h;
	double ratio; /* med_h / med_b */
	double hl; /* Hodges-Lehmann estimate of the ratio */
	double ci_lo, ci_hi; /* 95% interval of the ratio (Hodges-Lehmann) */
	double p; /* two-sided Mann-Whitney U p-value */
	double p_min; /* the smallest p-value these sample sizes can reach */
};

/* mwu_p() and hl_ratio(), the rank test and the ratio interval used here,
 * are defined once in runner/base/stats.h. */

/* Fill s from the two samples (copied; the inputs are not changed).
 * 0, -EINVAL (an empty sample) or -ENOMEM. */
int cmp_compute(const double *b, size_t nb, const double *h, size_t nh, struct cmp_stats *s);

/* The verdict for threshold (0.10 = 10%) and alpha. With higher_better
 * (throughput) a drop is the regression. *why gets a short reason.
 *   regression/improvement: p < alpha and the ratio beyond the threshold;
 *   inconclusive: the sizes can't reach alpha, or the change is not
 *   significant but the interval reaches past the threshold;
 *   pass: otherwise. */
enum cmp_verdict cmp_decide(const struct cmp_stats *s, double threshold, double alpha,
                            bool higher_better, const char **why);

/* Holm's step-down adjustment of p[0..n) in place (NaN entries are not
 * tests and stay NaN): a cell is significant at family-wise level alpha
 * when its adjusted p < alpha. 0 or -ENOMEM. */
int cmp_holm(double *p, size_t n);

/* Parse "10%" or "0.1" into a fraction in (0, 10]. 0 or -EINVAL. */
int parse_threshold(const char *s, double *out);

/* `concbench compare` (argv[0] is "compare"): the exit status. */
int cmd_compare(int argc, char **argv);

#endif
