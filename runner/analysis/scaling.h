/* scaling.h - scaling models fitted to relative throughput.
 *
 * For one workload × mode, each rep at N workers gives y = X / X_seq: its
 * throughput relative to the median throughput of the baseline (seq) reps,
 * i.e. its speedup. Two models are fitted by weighted nonlinear least
 * squares (GSL's gsl_multifit_nlinear, trust region):
 *
 *   Amdahl:  y(N) = λ N / (1 + s (N - 1))                 s: serial fraction
 *   USL:     y(N) = λ N / (1 + σ (N - 1) + κ N (N - 1))   σ: contention, κ: coherency
 *
 * (N. J. Gunther, "Guerrilla Capacity Planning", Springer 2007, ch. 4-6.)
 * λ, the throughput of one worker of the mode relative to seq, is fitted
 * too (as R's `usl` package does with X(1)): one worker of `procs` is not
 * exactly seq, and a noisy baseline median would otherwise bias σ and κ.
 * Residuals are relative, (model - y) / y (weights 1/y²): the noise of a
 * throughput is roughly proportional to it. With κ > 0 the USL peaks at
 * N* = √((1 - σ) / κ). The Karp–Flatt metric e(N) = (1/C - 1/N) / (1 - 1/N)
 * with C the median speedup (Karp & Flatt, CACM 33(5), 1990) is the serial
 * fraction each worker count
 * implies on its own: constant for pure Amdahl, growing with N when there
 * is coherency cost.
 *
 * Intervals: stratified bootstrap over reps (each worker count's reps and
 * the baseline's resampled with replacement, the normalisation and both
 * fits redone), 2.5 and 97.5 percentiles.
 *
 * By default only worker counts ≤ the CPUs available are fitted: past them
 * the plateau is the hardware, not the code. The fit is refused (with the
 * reason in `why`) when fewer than SCALING_MIN_COUNTS counts are left, the
 * solver does not converge, or the intervals are too wide to predict.
 *
 * Pure computation on numbers: no rows, engine or I/O here.
 */
#ifndef CONCBENCH_SCALING_H
#define CONCBENCH_SCALING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCALING_MIN_COUNTS 3
#define SCALING_MAX_GROUPS 64
#define SCALING_BOOT 1000
/* Refuse to predict when the bootstrap interval of σ is wider than this
 * (σ lives in [0, 1]) ... */
#define SCALING_MAX_SIGMA_WIDTH 0.25
/* ... or when the interval of the predicted speedup at 2× the CPUs is wider
 * than this fraction of the prediction. */
#define SCALING_MAX_PRED_REL_WIDTH 0.5
/* Predictions at these multiples of the CPUs available. */
#define SCALING_NPRED 3
extern const unsigned scaling_pred_mult[SCALING_NPRED]; /* 2, 4, 8 */

/* The reps of one worker count: throughput per rep (work / wall time, any
 * unit as long as the baseline uses the same), each finite and > 0. */
struct scaling_group {
	double workers;
	const double *thr;
	size_t n;
};

struct scaling_opts {
	unsigned cpus; /* CPUs available (affinity mask); must be ≥ 1 */
	bool beyond_cpus; /* also fit worker counts > cpus */
	unsigned boot; /* bootstrap resamples; 0 = SCALING_BOOT */
	uint64_t seed; /* of the bootstrap */
};

/* An estimate with its 95% bootstrap interval (NaN when not available;
 * hi = +inf for N* when some resamples have no peak, κ ≤ 0). */
struct scaling_est {
	double est, lo, hi;
};

enum scaling_status {
	SCALING_OK,
	SCALING_TOO_FEW, /* < SCALING_MIN_COUNTS worker counts in range: nothing fitted */
	SCALING_BAD_INPUT, /* no baseline, a throughput not finite and > 0, too many groups */
	SCALING_NO_CONVERGENCE, /* the solver failed on the data */
	SCALING_TOO_WIDE, /* fitted, but the intervals can't support a prediction */
};

extern const char *const scaling_status_names[]; /* ok, too-few, bad-input, … */

/* Karp–Flatt serial fraction of one worker count (every count given, in
 * range or not). */
struct scaling_kf {
	double workers;
	double speedup; /* median relative throughput */
	double serial; /* e(N); NaN for N = 1 */
	bool fitted; /* within the fitted range */
};

struct scaling_fit {
	enum scaling_status status;
	char why[200]; /* status != SCALING_OK: why, in words a user can act on */
	unsigned cpus;
	unsigned ncounts; /* distinct worker counts fitted */
	size_t npoints; /* reps fitted (baseline anchor included) */
	double max_fitted; /* the largest worker count fitted */
	unsigned excluded; /* worker counts left out for being > cpus */
	bool anchored; /* the baseline reps stand in for N = 1 (no 1-worker group) */

	struct scaling_est amdahl_s, amdahl_lambda;
	double amdahl_r2, amdahl_rmse; /* R² of C(N); RMS relative residual */

	struct scaling_est sigma, kappa, usl_lambda, nstar;
	double usl_r2, usl_rmse;

	double pred_workers[SCALING_NPRED]; /* speedups vs seq predicted there */
	struct scaling_est usl_pred[SCALING_NPRED], amdahl_pred[SCALING_NPRED];

	struct scaling_kf kf[SCALING_MAX_GROUPS];
	unsigned nkf;
};

/* Fit both models to the groups g[0..ng) against the baseline reps `base`
 * (its `workers` is ignored: it is N = 1). Fills *out completely in every
 * case (estimates NaN where nothing was fitted) and returns its status; a
 * non-OK status has its reason in out->why. The parameters are not
 * constrained: σ or s < 0 means superlinear scaling, κ < 0 a curve that
 * bends up; N* is given only for κ > 0. Allocates and frees its own
 * memory (SCALING_BAD_INPUT with "out of memory" when that fails); turns
 * GSL's abort-on-error handler off (process-wide). */
enum scaling_status scaling_fit(const struct scaling_group *base, const struct scaling_group *g,
                                size_t ng, const struct scaling_opts *o, struct scaling_fit *out);

/* The models themselves, for drawing the curve and for tests. */
double scaling_amdahl(double n, double s);
double scaling_usl(double n, double sigma, double kappa);

#endif
