/* compare.h - the statistics of `concbench compare`: a rank test and a
 * distribution-free interval for the ratio of two samples, and the verdict
 * a CI gate acts on. Exported for the unit tests. */
#ifndef CONCBENCH_COMPARE_H
#define CONCBENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

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

/* Two-sided Mann-Whitney U test of a[0..na) against b[0..nb). Exact
 * distribution when there are no ties and na*nb <= 2500, else the normal
 * approximation with tie and continuity corrections. *p_min (may be NULL)
 * receives the smallest attainable p. Returns NaN when na or nb is 0. */
double mwu_p(const double *a, size_t na, const double *b, size_t nb, double *p_min);

/* Hodges-Lehmann estimate and 95% interval of the ratio h/b: on log values
 * when every value is positive, else of the shift, divided by median(b).
 * 0, or -EINVAL when a sample is empty, or -ENOMEM. */
int hl_ratio(const double *b, size_t nb, const double *h, size_t nh, double *est, double *lo,
             double *hi);

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
