/* scaling.c - Amdahl and USL fitted by GSL; the model is in scaling.h.
 *
 * Both models share one form, y(N) = λ N / D(N), with
 *   D = 1 + σ (N - 1) + κ N (N - 1)   (Amdahl: κ = 0, σ = s)
 *   ∂y/∂σ = -λ N (N - 1) / D²,  ∂y/∂κ = -λ N² (N - 1) / D²,  ∂y/∂λ = N / D.
 * The start point comes from the linear form N/y = 1/λ + (σ/λ)(N - 1) +
 * (κ/λ) N (N - 1) (gsl_multifit_linear), then gsl_multifit_nlinear (trust region,
 * Levenberg–Marquardt) minimises the relative residuals. Resamples start from the full-data
 * estimate.
 */
#include "scaling.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_rng.h>

#include "../base/stats.h"

const unsigned scaling_pred_mult[SCALING_NPRED] = {2, 4, 8};

const char *const scaling_status_names[] = {
    [SCALING_OK] = "ok",
    [SCALING_TOO_FEW] = "too-few",
    [SCALING_BAD_INPUT] = "bad-input",
    [SCALING_NO_CONVERGENCE] = "no-convergence",
    [SCALING_TOO_WIDE] = "too-wide",
};

/* A model floor for D: a step through negative parameters must not divide
 * by zero; the optimum never sits there for data with C > 0. */
#define D_MIN 1e-6

double scaling_usl(double n, double sigma, double kappa)
{
	double d = 1 + sigma * (n - 1) + kappa * n * (n - 1);

	return n / (d > D_MIN ? d : D_MIN);
}

double scaling_amdahl(double n, double s)
{
	return scaling_usl(n, s, 0);
}

/* The points being fitted: worker count and relative throughput. */
struct points {
	size_t len;
	double *n, *y;
};

/* Parameters: USL (σ, κ, λ), Amdahl (s, λ). */
static void unpack(const gsl_vector *p, double *sigma, double *kappa, double *lambda)
{
	bool usl = p->size == 3;

	*sigma = gsl_vector_get(p, 0);
	*kappa = usl ? gsl_vector_get(p, 1) : 0;
	*lambda = gsl_vector_get(p, usl ? 2 : 1);
}

static int model_f(const gsl_vector *p, void *data, gsl_vector *f)
{
	const struct points *pt = data;
	double sigma, kappa, lambda;

	unpack(p, &sigma, &kappa, &lambda);
	for (size_t i = 0; i < pt->len; i++)
		gsl_vector_set(f, i, lambda * scaling_usl(pt->n[i], sigma, kappa) - pt->y[i]);
	return GSL_SUCCESS;
}

static int model_df(const gsl_vector *p, void *data, gsl_matrix *J)
{
	const struct points *pt = data;
	double sigma, kappa, lambda;
	size_t last = p->size - 1;

	unpack(p, &sigma, &kappa, &lambda);
	for (size_t i = 0; i < pt->len; i++) {
		double n = pt->n[i], d = 1 + sigma * (n - 1) + kappa * n * (n - 1);

		if (d < D_MIN)
			d = D_MIN;
		gsl_matrix_set(J, i, 0, -lambda * n * (n - 1) / (d * d));
		if (last == 2)
			gsl_matrix_set(J, i, 1, -lambda * n * n * (n - 1) / (d * d));
		gsl_matrix_set(J, i, last, n / d);
	}
	return GSL_SUCCESS;
}

/* One model's solver, allocated once for all resamples (their size is
 * the same). */
struct solver {
	size_t p;
	gsl_multifit_nlinear_workspace *w;
	gsl_vector *x0, *wts;
};

static int solver_init(struct solver *s, size_t p, size_t n)
{
	gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();

	s->p = p;
	s->w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, n, p);
	s->x0 = gsl_vector_alloc(p);
	s->wts = gsl_vector_alloc(n);
	return s->w && s->x0 && s->wts ? 0 : -ENOMEM;
}

static void solver_free(struct solver *s)
{
	if (s->w)
		gsl_multifit_nlinear_free(s->w);
	if (s->x0)
		gsl_vector_free(s->x0);
	if (s->wts)
		gsl_vector_free(s->wts);
}

/* Fit from start[0..p) to pt; the result in par[0..p). 0 or -1. */
static int solver_run(struct solver *s, struct points *pt, const double *start, double *par)
{
	gsl_multifit_nlinear_fdf fdf = {
	    .f = model_f, .df = model_df, .fvv = NULL, .n = pt->len, .p = s->p, .params = pt};
	int info;

	for (size_t j = 0; j < s->p; j++)
		gsl_vector_set(s->x0, j, start[j]);
	for (size_t i = 0; i < pt->len; i++)
		gsl_vector_set(s->wts, i, 1 / (pt->y[i] * pt->y[i]));
	if (gsl_multifit_nlinear_winit(s->x0, s->wts, &fdf, s->w))
		return -1;
	if (gsl_multifit_nlinear_driver(200, 1e-10, 1e-10, 1e-12, NULL, NULL, &info, s->w))
		return -1;
	for (size_t j = 0; j < s->p; j++) {
		par[j] = gsl_vector_get(gsl_multifit_nlinear_position(s->w), j);
		if (!isfinite(par[j]))
			return -1;
	}
	return 0;
}

/* Start point from the linear form N/y = 1/λ + (σ/λ)(N-1) + (κ/λ) N(N-1),
 * least squares with intercept: usl = (σ, κ, λ), amdahl = (σ, λ).
 * Falls back to (0, 0, 1). */
static void linear_start(const struct points *pt, double *usl, double *amd)
{
	gsl_matrix *X = gsl_matrix_alloc(pt->len, 3);
	gsl_vector *z = gsl_vector_alloc(pt->len), *c = gsl_vector_alloc(3);
	gsl_matrix *cov = gsl_matrix_alloc(3, 3);
	gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(pt->len, 3);
	double chisq;

	usl[0] = usl[1] = 0;
	usl[2] = 1;
	if (X && z && c && cov && w) {
		for (size_t i = 0; i < pt->len; i++) {
			double n = pt->n[i];

			gsl_matrix_set(X, i, 0, 1);
			gsl_matrix_set(X, i, 1, n - 1);
			gsl_matrix_set(X, i, 2, n * (n - 1));
			gsl_vector_set(z, i, n / pt->y[i]);
		}
		if (gsl_multifit_linear(X, z, c, cov, &chisq, w) == 0 && gsl_vector_get(c, 0) > 0) {
			double lambda = 1 / gsl_vector_get(c, 0);

			usl[0] = gsl_vector_get(c, 1) * lambda;
			usl[1] = gsl_vector_get(c, 2) * lambda;
			usl[2] = lambda;
			if (!isfinite(usl[0]) || !isfinite(usl[1]) || !isfinite(usl[2]))
				usl[0] = usl[1] = 0, usl[2] = 1;
		}
	}
	amd[0] = usl[0];
	amd[1] = usl[2];
	if (w)
		gsl_multifit_linear_free(w);
	if (cov)
		gsl_matrix_free(cov);
	if (c)
		gsl_vector_free(c);
	if (z)
		gsl_vector_free(z);
	if (X)
		gsl_matrix_free(X);
}

static void goodness(const struct points *pt, double sigma, double kappa, double lambda, double *r2,
                     double *rmse)
{
	double mean = 0, ss_tot = 0, ss_res = 0, rel = 0;

	for (size_t i = 0; i < pt->len; i++)
		mean += pt->y[i] / (double)pt->len;
	for (size_t i = 0; i < pt->len; i++) {
		double m = lambda * scaling_usl(pt->n[i], sigma, kappa), e = pt->y[i] - m;

		ss_tot += (pt->y[i] - mean) * (pt->y[i] - mean);
		ss_res += e * e;
		rel += (e / pt->y[i]) * (e / pt->y[i]);
	}
	*r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : NAN;
	*rmse = sqrt(rel / (double)pt->len);
}

static double nstar_of(double sigma, double kappa)
{
	if (!(kappa > 0))
		return INFINITY;
	return sigma < 1 ? sqrt((1 - sigma) / kappa) : 1;
}

static double median_of(const double *x, size_t n, double *tmp)
{
	memcpy(tmp, x, n * sizeof(*x));
	stats_sort(tmp, n);
	return stats_quantile(tmp, n, 0.5);
}

/* 2.5 and 97.5 percentiles of v[0..n) (sorted in place); +inf stays +inf. */
static void interval(double *v, size_t n, struct scaling_est *e)
{
	for (size_t i = 0; i < n; i++)
		if (isinf(v[i]))
			v[i] = DBL_MAX;
	stats_sort(v, n);
	e->lo = stats_quantile(v, n, 0.025);
	e->hi = stats_quantile(v, n, 0.975);
	if (e->lo >= DBL_MAX / 2)
		e->lo = INFINITY;
	if (e->hi >= DBL_MAX / 2)
		e->hi = INFINITY;
}

static const struct scaling_est none = {NAN, NAN, NAN};

static void clear(struct scaling_fit *out, unsigned cpus)
{
	memset(out, 0, sizeof(*out));
	out->cpus = cpus;
	out->amdahl_s = out->amdahl_lambda = out->sigma = out->kappa = out->nstar = none;
	out->usl_lambda = none;
	out->amdahl_r2 = out->amdahl_rmse = out->usl_r2 = out->usl_rmse = out->max_fitted = NAN;
	for (unsigned k = 0; k < SCALING_NPRED; k++) {
		out->pred_workers[k] = (double)scaling_pred_mult[k] * cpus;
		out->usl_pred[k] = out->amdahl_pred[k] = none;
	}
}

static enum scaling_status refuse(struct scaling_fit *out, enum scaling_status st, const char *fmt,
                                  ...) __attribute__((format(printf, 3, 4)));

static enum scaling_status refuse(struct scaling_fit *out, enum scaling_status st, const char *fmt,
                                  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	out->status = st;
	return st;
}

static bool valid_group(const struct scaling_group *g)
{
	if (!g || !g->thr || g->n == 0 || !(g->workers >= 1))
		return false;
	for (size_t i = 0; i < g->n; i++)
		if (!isfinite(g->thr[i]) || !(g->thr[i] > 0))
			return false;
	return true;
}

/* Everything one fit and its bootstrap work on. */
struct job {
	const struct scaling_group *base, *g[SCALING_MAX_GROUPS + 1]; /* fitted groups */
	size_t ng;
	struct points pt;
	double *tmp, *draw; /* scratch: a group's values */
	struct solver usl, amd;
};

/* Fill job->pt from the groups; with rng, from a resample of every group
 * and of the baseline. The baseline's median is the normalisation. */
static void fill_points(struct job *j, gsl_rng *rng)
{
	size_t k = 0;
	double norm;

	for (size_t i = 0; i < j->base->n; i++)
		j->draw[i] = j->base->thr[rng ? gsl_rng_uniform_int(rng, j->base->n) : i];
	norm = median_of(j->draw, j->base->n, j->tmp);
	for (size_t gi = 0; gi < j->ng; gi++) {
		const struct scaling_group *g = j->g[gi];

		for (size_t i = 0; i < g->n; i++) {
			j->pt.n[k] = g == j->base ? 1 : g->workers;
			j->pt.y[k++] =
			    (g == j->base ? j->draw[i]
			                  : g->thr[rng ? gsl_rng_uniform_int(rng, g->n) : i]) /
			    norm;
		}
	}
}

static int fit_both(struct job *j, const double *usl_start, const double *amd_start, double *usl,
                    double *amd)
{
	if (solver_run(&j->usl, &j->pt, usl_start, usl))
		return -1;
	return solver_run(&j->amd, &j->pt, amd_start, amd);
}

static void karp_flatt(const struct scaling_group *base, const struct scaling_group *g, size_t ng,
                       const struct scaling_opts *o, double *tmp, struct scaling_fit *out)
{
	double norm = median_of(base->thr, base->n, tmp);

	for (size_t i = 0; i < ng && out->nkf < SCALING_MAX_GROUPS; i++) {
		struct scaling_kf *kf = &out->kf[out->nkf++];
		double c = median_of(g[i].thr, g[i].n, tmp) / norm, n = g[i].workers;

		kf->workers = n;
		kf->speedup = c;
		kf->serial = n > 1 ? (1 / c - 1 / n) / (1 - 1 / n) : NAN;
		kf->fitted = o->beyond_cpus || n <= o->cpus;
	}
}

/* Bootstrap: fill the intervals; returns the share of resamples that
 * failed to fit. */
static double bootstrap(struct job *j, const struct scaling_opts *o, const double *usl0,
                        const double *amd0, struct scaling_fit *out)
{
	unsigned nb = o->boot ? o->boot : SCALING_BOOT, ok = 0;
	double *v = calloc((size_t)nb * (6 + 2 * SCALING_NPRED), sizeof(*v));
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double *sg, *kp, *ns, *as, *ul, *al, *up, *ap;

	if (!v || !rng) {
		free(v);
		if (rng)
			gsl_rng_free(rng);
		return 1;
	}
	sg = v, kp = v + nb, ns = v + 2 * nb, as = v + 3 * nb;
	ul = v + 4 * nb, al = v + 5 * nb;
	up = v + 6 * nb, ap = up + (size_t)nb * SCALING_NPRED;
	gsl_rng_set(rng, (unsigned long)(o->seed ^ (o->seed >> 32)));
	for (unsigned b = 0; b < nb; b++) {
		double usl[3], amd[2];

		fill_points(j, rng);
		if (fit_both(j, usl0, amd0, usl, amd))
			continue;
		sg[ok] = usl[0];
		kp[ok] = usl[1];
		ns[ok] = nstar_of(usl[0], usl[1]);
		as[ok] = amd[0];
		ul[ok] = usl[2];
		al[ok] = amd[1];
		for (unsigned k = 0; k < SCALING_NPRED; k++) {
			up[(size_t)k * nb + ok] =
			    usl[2] * scaling_usl(out->pred_workers[k], usl[0], usl[1]);
			ap[(size_t)k * nb + ok] =
			    amd[1] * scaling_amdahl(out->pred_workers[k], amd[0]);
		}
		ok++;
	}
	if (ok) {
		interval(sg, ok, &out->sigma);
		interval(kp, ok, &out->kappa);
		interval(ns, ok, &out->nstar);
		interval(as, ok, &out->amdahl_s);
		interval(ul, ok, &out->usl_lambda);
		interval(al, ok, &out->amdahl_lambda);
		for (unsigned k = 0; k < SCALING_NPRED; k++) {
			interval(up + (size_t)k * nb, ok, &out->usl_pred[k]);
			interval(ap + (size_t)k * nb, ok, &out->amdahl_pred[k]);
		}
	}
	gsl_rng_free(rng);
	free(v);
	return 1 - (double)ok / nb;
}

static void free_job(struct job *j)
{
	solver_free(&j->usl);
	solver_free(&j->amd);
	free(j->pt.n);
	free(j->pt.y);
	free(j->tmp);
	free(j->draw);
}

static void list_counts(char *buf, size_t len, const struct scaling_group *g, size_t ng,
                        const struct scaling_opts *o, bool in_range)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ng && off < len; i++)
		if ((g[i].workers <= o->cpus || o->beyond_cpus) == in_range)
			off += (size_t)snprintf(buf + off, len - off, "%s%g", off ? ", " : "",
			                        g[i].workers);
}

enum scaling_status scaling_fit(const struct scaling_group *base, const struct scaling_group *g,
                                size_t ng, const struct scaling_opts *o, struct scaling_fit *out)
{
	struct job j = {.base = base};
	const struct scaling_group *sel[SCALING_MAX_GROUPS];
	size_t nsel = 0;
	double usl[3], amd[2], usl0[3], amd0[2], failed;
	size_t maxrep = base ? base->n : 0, npts = 0;
	bool has_one = false;
	char in[80], out_of[80];
	enum scaling_status st = SCALING_OK;

	clear(out, o->cpus);
	gsl_set_error_handler_off();
	if (!valid_group(base))
		return refuse(out, SCALING_BAD_INPUT, "no baseline (seq) reps to normalise by");
	if (ng > SCALING_MAX_GROUPS || o->cpus < 1)
		return refuse(out, SCALING_BAD_INPUT, "more than %d worker counts",
		              SCALING_MAX_GROUPS);
	for (size_t i = 0; i < ng; i++) {
		if (!valid_group(&g[i]))
			return refuse(out, SCALING_BAD_INPUT,
			              "%g workers: a rep without a positive, finite throughput",
			              g[i].workers);
		for (size_t k = 0; k < i; k++)
			if (g[k].workers == g[i].workers)
				return refuse(out, SCALING_BAD_INPUT, "%g workers given twice",
				              g[i].workers);
	}
	for (size_t i = 0; i < ng; i++)
		if (g[i].n > maxrep)
			maxrep = g[i].n;
	if (!(j.tmp = calloc(maxrep, sizeof(double))) ||
	    !(j.draw = calloc(maxrep, sizeof(double)))) {
		free_job(&j);
		return refuse(out, SCALING_BAD_INPUT, "out of memory");
	}
	karp_flatt(base, g, ng, o, j.tmp, out);
	for (size_t i = 0; i < ng; i++) {
		if (g[i].workers > o->cpus && !o->beyond_cpus) {
			out->excluded++;
			continue;
		}
		has_one |= g[i].workers == 1;
		sel[nsel++] = &g[i];
		npts += g[i].n;
		if (!(out->max_fitted >= g[i].workers))
			out->max_fitted = g[i].workers;
	}
	out->ncounts = (unsigned)nsel;
	list_counts(in, sizeof(in), g, ng, o, true);
	list_counts(out_of, sizeof(out_of), g, ng, o, false);
	if (nsel < SCALING_MIN_COUNTS) {
		free_job(&j);
		if (out->excluded)
			return refuse(
			    out, SCALING_TOO_FEW,
			    "%u worker count%s within the %u CPUs (%s), %d needed; %s left "
			    "out: past the CPUs the plateau is the hardware",
			    out->ncounts, out->ncounts == 1 ? "" : "s", o->cpus,
			    in[0] ? in : "none", SCALING_MIN_COUNTS, out_of);
		return refuse(out, SCALING_TOO_FEW, "%u worker count%s (%s), %d needed",
		              out->ncounts, out->ncounts == 1 ? "" : "s", in[0] ? in : "none",
		              SCALING_MIN_COUNTS);
	}
	/* Without a 1-worker cell the baseline reps are the N = 1 point. */
	if (!has_one) {
		j.g[j.ng++] = base;
		npts += base->n;
		out->anchored = true;
	}
	for (size_t i = 0; i < nsel; i++)
		j.g[j.ng++] = sel[i];
	out->npoints = npts;
	j.pt.len = npts;
	j.pt.n = calloc(npts, sizeof(double));
	j.pt.y = calloc(npts, sizeof(double));
	if (!j.pt.n || !j.pt.y || solver_init(&j.usl, 3, npts) || solver_init(&j.amd, 2, npts)) {
		free_job(&j);
		return refuse(out, SCALING_BAD_INPUT, "out of memory");
	}
	fill_points(&j, NULL);
	linear_start(&j.pt, usl0, amd0);
	if (fit_both(&j, usl0, amd0, usl, amd)) {
		free_job(&j);
		return refuse(out, SCALING_NO_CONVERGENCE,
		              "the least-squares solver did not converge on these points");
	}
	goodness(&j.pt, usl[0], usl[1], usl[2], &out->usl_r2, &out->usl_rmse);
	goodness(&j.pt, amd[0], 0, amd[1], &out->amdahl_r2, &out->amdahl_rmse);
	failed = bootstrap(&j, o, usl, amd, out);
	free_job(&j);
	out->sigma.est = usl[0];
	out->kappa.est = usl[1];
	out->nstar.est = usl[1] > 0 ? nstar_of(usl[0], usl[1]) : NAN;
	out->usl_lambda.est = usl[2];
	out->amdahl_s.est = amd[0];
	out->amdahl_lambda.est = amd[1];
	for (unsigned k = 0; k < SCALING_NPRED; k++) {
		out->usl_pred[k].est = usl[2] * scaling_usl(out->pred_workers[k], usl[0], usl[1]);
		out->amdahl_pred[k].est = amd[1] * scaling_amdahl(out->pred_workers[k], amd[0]);
	}
	if (failed > 0.1)
		st = refuse(out, SCALING_TOO_WIDE,
		            "the fit failed on %.0f%% of bootstrap resamples", failed * 100);
	else if (out->sigma.hi - out->sigma.lo > SCALING_MAX_SIGMA_WIDTH)
		st = refuse(out, SCALING_TOO_WIDE,
		            "intervals too wide to predict: contention σ in [%.3g, %.3g]",
		            out->sigma.lo, out->sigma.hi);
	else if (!(out->usl_pred[0].hi - out->usl_pred[0].lo <=
	           SCALING_MAX_PRED_REL_WIDTH * out->usl_pred[0].est))
		st = refuse(out, SCALING_TOO_WIDE,
		            "intervals too wide to predict: speedup at %g workers in [%.3g, %.3g]",
		            out->pred_workers[0], out->usl_pred[0].lo, out->usl_pred[0].hi);
	return st;
}
