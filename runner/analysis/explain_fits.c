/* explain_fits.c - the scaling fits of a plan (explain.h) as CSV and JSON,
 * one definition of their fields (results/README.md, *Scaling fits*). */
#include "explain.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../base/config.h"
#include "../base/util.h"

#define FITS_VERSION 1

static const char *pin_of(const struct cb_rec *r)
{
	return r->pin >= PIN_NONE && r->pin <= PIN_SPREAD ? pin_names[r->pin] : "";
}

/* --- CSV --- */

static void csv_str(FILE *f, const char *s)
{
	csv_fwrite(f, s ? s : "", s ? strlen(s) : 0);
}

static void csv_num(FILE *f, double v)
{
	if (!isnan(v) && !isinf(v))
		fprintf(f, "%.9g", v);
}

static const char fits_header[] =
    "fits_version,host,workload,size,tasks,pin,params,git_rev,mode,cpus,beyond_cpus,status,why,"
    "param,workers,est,lo,hi\n";

/* One row: the fit's identity, then param, workers (NaN: empty), est, lo, hi. */
static void row(FILE *f, const struct explain_fit *x, const char *param, double workers, double est,
                double lo, double hi)
{
	const struct cb_rec *r = x->base;
	const struct scaling_fit *fit = &x->fit;

	fprintf(f, "%d,", FITS_VERSION);
	csv_str(f, r->host);
	fputc(',', f);
	csv_str(f, r->workload);
	fprintf(f, ",%ld,%ld,", r->size, r->tasks);
	csv_str(f, pin_of(r));
	fputc(',', f);
	csv_str(f, r->params);
	fputc(',', f);
	csv_str(f, r->git_rev);
	fputc(',', f);
	csv_str(f, x->mode);
	fprintf(f, ",%u,%d,", fit->cpus, x->beyond_cpus);
	csv_str(f, scaling_status_names[fit->status]);
	fputc(',', f);
	csv_str(f, fit->status == SCALING_OK ? "" : fit->why);
	fputc(',', f);
	csv_str(f, param);
	fputc(',', f);
	csv_num(f, workers);
	fputc(',', f);
	csv_num(f, est);
	fputc(',', f);
	csv_num(f, lo);
	fputc(',', f);
	csv_num(f, hi);
	fputc('\n', f);
}

static void row_est(FILE *f, const struct explain_fit *x, const char *param, double workers,
                    const struct scaling_est *e)
{
	row(f, x, param, workers, e->est, e->lo, e->hi);
}

int explain_fits_csv(FILE *f, const struct explain_plan *p)
{
	fputs(fits_header, f);
	for (size_t i = 0; i < explain_nfits(p); i++) {
		const struct explain_fit *x = explain_fit_at(p, i);
		const struct scaling_fit *fit = &x->fit;

		row(f, x, "counts_fitted", NAN, fit->ncounts, NAN, NAN);
		row_est(f, x, "amdahl_s", NAN, &fit->amdahl_s);
		row_est(f, x, "amdahl_lambda", NAN, &fit->amdahl_lambda);
		row(f, x, "amdahl_r2", NAN, fit->amdahl_r2, NAN, NAN);
		row(f, x, "amdahl_rmse", NAN, fit->amdahl_rmse, NAN, NAN);
		row_est(f, x, "usl_sigma", NAN, &fit->sigma);
		row_est(f, x, "usl_kappa", NAN, &fit->kappa);
		row_est(f, x, "usl_lambda", NAN, &fit->usl_lambda);
		row_est(f, x, "usl_nstar", NAN, &fit->nstar);
		row(f, x, "usl_r2", NAN, fit->usl_r2, NAN, NAN);
		row(f, x, "usl_rmse", NAN, fit->usl_rmse, NAN, NAN);
		for (unsigned k = 0; k < SCALING_NPRED; k++) {
			row_est(f, x, "usl_speedup", fit->pred_workers[k], &fit->usl_pred[k]);
			row_est(f, x, "amdahl_speedup", fit->pred_workers[k], &fit->amdahl_pred[k]);
		}
		for (unsigned k = 0; k < fit->nkf; k++) {
			const struct scaling_kf *kf = &fit->kf[k];

			row(f, x, kf->fitted ? "speedup" : "speedup_unfitted", kf->workers,
			    kf->speedup, NAN, NAN);
			row(f, x, "karp_flatt", kf->workers, kf->serial, NAN, NAN);
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* --- JSON --- */

static void json_est(FILE *f, const char *name, const struct scaling_est *e)
{
	fprintf(f, "\"%s\": {\"est\": ", name);
	json_num(f, e->est);
	fprintf(f, ", \"lo\": ");
	json_num(f, e->lo);
	fprintf(f, ", \"hi\": ");
	json_num(f, e->hi);
	fputc('}', f);
}

static void json_fit(FILE *f, const struct explain_fit *x, const char *in)
{
	const struct cb_rec *r = x->base;
	const struct scaling_fit *fit = &x->fit;

	fprintf(f, "{\n%s  \"host\": ", in);
	json_str(f, r->host);
	fprintf(f, ", \"workload\": ");
	json_str(f, r->workload);
	fprintf(f, ", \"size\": %ld, \"tasks\": %ld, \"pin\": ", r->size, r->tasks);
	json_str(f, pin_of(r));
	fprintf(f, ", \"params\": ");
	json_str(f, r->params);
	fprintf(f, ", \"git_rev\": ");
	json_str(f, r->git_rev);
	fprintf(f, ", \"mode\": ");
	json_str(f, x->mode);
	fprintf(f, ",\n%s  \"status\": ", in);
	json_str(f, scaling_status_names[fit->status]);
	fprintf(f, ", \"why\": ");
	json_str(f, fit->status == SCALING_OK ? "" : fit->why);
	fprintf(f,
	        ", \"cpus\": %u, \"beyond_cpus\": %s, \"counts_fitted\": %u, \"points\": %zu, "
	        "\"excluded\": %u",
	        fit->cpus, x->beyond_cpus ? "true" : "false", fit->ncounts, fit->npoints,
	        fit->excluded);
	fprintf(f, ",\n%s  \"amdahl\": {", in);
	json_est(f, "s", &fit->amdahl_s);
	fprintf(f, ", ");
	json_est(f, "lambda", &fit->amdahl_lambda);
	fprintf(f, ", \"r2\": ");
	json_num(f, fit->amdahl_r2);
	fprintf(f, ", \"rmse\": ");
	json_num(f, fit->amdahl_rmse);
	fprintf(f, "},\n%s  \"usl\": {", in);
	json_est(f, "sigma", &fit->sigma);
	fprintf(f, ", ");
	json_est(f, "kappa", &fit->kappa);
	fprintf(f, ", ");
	json_est(f, "lambda", &fit->usl_lambda);
	fprintf(f, ", ");
	json_est(f, "nstar", &fit->nstar);
	fprintf(f, ", \"r2\": ");
	json_num(f, fit->usl_r2);
	fprintf(f, ", \"rmse\": ");
	json_num(f, fit->usl_rmse);
	fprintf(f, "},\n%s  \"predicted\": [", in);
	for (unsigned k = 0; k < SCALING_NPRED; k++) {
		fprintf(f, "%s{\"workers\": ", k ? ", " : "");
		json_num(f, fit->pred_workers[k]);
		fprintf(f, ", ");
		json_est(f, "usl", &fit->usl_pred[k]);
		fprintf(f, ", ");
		json_est(f, "amdahl", &fit->amdahl_pred[k]);
		fputc('}', f);
	}
	fprintf(f, "],\n%s  \"karp_flatt\": [", in);
	for (unsigned k = 0; k < fit->nkf; k++) {
		fprintf(f, "%s{\"workers\": ", k ? ", " : "");
		json_num(f, fit->kf[k].workers);
		fprintf(f, ", \"speedup\": ");
		json_num(f, fit->kf[k].speedup);
		fprintf(f, ", \"serial\": ");
		json_num(f, fit->kf[k].serial);
		fprintf(f, ", \"fitted\": %s}", fit->kf[k].fitted ? "true" : "false");
	}
	fprintf(f, "]\n%s}", in);
}

int explain_fits_json(FILE *f, const struct explain_plan *p, const char *indent)
{
	size_t n = explain_nfits(p);
	char in[64];

	snprintf(in, sizeof(in), "%s  ", indent);
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s\n%s", i ? "," : "", in);
		json_fit(f, explain_fit_at(p, i), in);
	}
	fprintf(f, "%s%s]", n ? "\n" : "", n ? indent : "");
	return ferror(f) ? -EIO : 0;
}
