/* changepoint.h - change points in a series of per-run medians: E-divisive
 * means to place them, a Welch t-test to keep only significant ones (the
 * method of Apache Otava / Hunter). The model and references: changepoint.c. */
#ifndef CONCBENCH_CHANGEPOINT_H
#define CONCBENCH_CHANGEPOINT_H

#include <stdbool.h>
#include <stddef.h>

struct cp_opts {
	double alpha; /* significance of the t-test, e.g. 0.001 */
	double min_change; /* smallest |relative change| of the means kept, e.g. 0.01 */
	size_t min_seg; /* fewest points on each side of a change point, >= 2 */
	bool absolute; /* min_change bounds |mean after - mean before| (a fitted σ near 0) */
};

#define CP_DEFAULT_ALPHA 0.0001
#define CP_DEFAULT_MIN_CHANGE 0.01
#define CP_DEFAULT_MIN_SEG 5

struct cp_point {
	size_t at; /* index of the first point after the change */
	double p; /* Welch t-test p between the segments on either side */
	double q; /* the E-divisive statistic at the split */
};

/* The split tau in [a + min_seg, b - min_seg] of x[a..b) that maximises
 * the E-divisive statistic q(tau) (Matteson & James 2014, alpha = 1):
 *   q = m k / (m + k) * (2/(m k) sum|x_i - y_j| - 2/(m(m-1)) sum|x_i - x_i'|
 *                        - 2/(k(k-1)) sum|y_j - y_j'|),
 * x = x[a..tau) (m points), y = x[tau..b) (k points). O((b-a)^2), no
 * allocation. Returns 0 with *tau and *q, or -EINVAL when the segment is
 * shorter than 2 * min_seg (or min_seg < 2). */
int cp_ediv_split(const double *x, size_t a, size_t b, size_t min_seg, size_t *tau, double *q);

/* Two-sided p of Welch's unequal-variances t-test of a[0..na) against
 * b[0..nb) (na, nb >= 2). Both variances 0: 0 when the means differ, else
 * 1. Can't fail. */
double cp_welch_p(const double *a, size_t na, const double *b, size_t nb);

/* Change points of x[0..n): repeatedly split the segment between known
 * change points whose best E-divisive split has the smallest t-test p
 * (the smaller of the whole segments' and of 2 min_seg runs on either
 * side, times 2),
 * while that p < alpha and the relative change of the means is at least
 * min_change. Writes up to cap points, sorted by at, into out. Returns
 * their number (0 for a series shorter than 2 * min_seg), or -EINVAL for
 * bad options. Allocates nothing. */
int cp_detect(const double *x, size_t n, const struct cp_opts *o, struct cp_point *out, size_t cap);

#endif
