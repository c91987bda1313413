/* compare.h - the statistics of `concbench compare`: a rank test and a
 * distribution-free interval for the ratio of two samples, and the verdict
 * a CI gate acts on (exit 0 pass, 1 regression, 2 error, 3 inconclusive).
 * Exported for the unit tests. */
#ifndef CONCBENCH_COMPARE_H
#define CONCBENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/stats.h"

enum cmp_verdict { CMP_PASS, CMP_REGRESSION, CMP_IMPROVEMENT, CMP_INCONCLUSIVE, CMP_UNVERIFIED };

extern const char *const cmp_verdict_names[];

/* Statistics of one cell: base sample b, head sample h. The verdict and
 * the interval come from one estimator, the Hodges-Lehmann ratio. */
struct cmp_stats {
	size_t nb, nh;
	double med_b, med_h; /* shown beside the ratio */
	double ratio; /* Hodges-Lehmann estimate of head/base */
	double ci_lo, ci_hi; /* its distribution-free interval */
	double conf; /* the interval's achieved confidence (>= 0.95 when possible) */
	double p; /* two-sided Mann-Whitney U p-value; Holm-adjusted by cmp_adjust */
	double p_min; /* the smallest p-value these sample sizes can reach */
	bool candidate; /* the estimate lies beyond the threshold: in the Holm family */
};

/* mwu_p(), hl_ratio() and hl_conf(), the rank test, the ratio interval and
 * its achieved confidence used here, are defined once in runner/base/stats.h.
 * No 95% interval exists below 4 reps a side (or 3 against 5 or fewer). */

/* Fill s from the two samples (copied; the inputs are not changed). p is
 * the raw p-value; candidate is left false. 0, -EINVAL (an empty sample)
 * or -ENOMEM. */
int cmp_compute(const double *b, size_t nb, const double *h, size_t nh, struct cmp_stats *s);

/* The family-wise correction over the cells s[0..n) of one comparison:
 * mark as candidate each cell whose ratio lies beyond the threshold (either
 * way; NaN ratios are skipped) and Holm-adjust the p-values of the
 * candidates only; the others keep their raw p. Cells within the threshold
 * can't be flagged by the significance route, so they spend no alpha, and a
 * large suite with one real change stays failable. 0 or -ENOMEM. */
int cmp_adjust(struct cmp_stats *s, size_t n, double threshold, bool higher_better);

/* The verdict for threshold (0.10 = 10%) and alpha, with s adjusted by
 * cmp_adjust. With higher_better (throughput) a drop is the regression.
 * In this order:
 *   inconclusive: no values, or too few reps for a 95% interval;
 *   regression (improvement): the interval lies wholly beyond the threshold
 *     (decides at any n, as asv does), or the candidate's adjusted p < alpha
 *     and the estimate is beyond the threshold (the test's extra power);
 *   pass: the interval excludes a regression beyond the threshold;
 *   inconclusive: otherwise; why says about how many reps per side would
 *     decide it.
 * why (may be NULL) gets a one-line reason. */
enum cmp_verdict cmp_decide(const struct cmp_stats *s, double threshold, double alpha,
                            bool higher_better, char *why, size_t whylen);

/* About how many reps per side would make the interval of s decide at
 * threshold (the interval shrinks as 1/sqrt(n) around the same estimate);
 * 0 when it decides already, LONG_MAX when the estimate sits on the
 * threshold. */
long cmp_reps_needed(const struct cmp_stats *s, double threshold, bool higher_better);

/* Holm's step-down adjustment of p[0..n) in place (NaN entries are not
 * tests and stay NaN): a cell is significant at family-wise level alpha
 * when its adjusted p < alpha. 0 or -ENOMEM. */
int cmp_holm(double *p, size_t n);

/* Parse "10%" or "0.1" into a fraction in (0, 10]. 0 or -EINVAL. */
int parse_threshold(const char *s, double *out);

/* `concbench compare` (argv[0] is "compare"): the exit status. */
int cmd_compare(int argc, char **argv);

#endif
