/* explain.c - the answer first, efficiency budgets and scaling fits of a
 * set of rows (explain.h). Cells are those of analysis/cell.h (the one
 * identity); a group is a cell without mode, workers, transport and switch
 * interval (benches: and tasks, which equal the workers), as report's
 * series, and the group's seq cell is its baseline. */
#include "explain.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "scaling.h"
#include "../base/budget.h"
#include "../base/stats.h"

struct xcell {
	struct explain_cell pub; /* speedup and budget */
	const struct cb_rec *first;
	size_t *rec; /* indices of its verified reps in res->rec */
	size_t n, cap;
	size_t group;
	struct summary wall, thr;
	unsigned disturbed;
};

struct xgroup {
	const struct cb_rec *first;
	struct xcell *seq;
};

struct explain_plan {
	const struct cb_results *res;
	struct explain_opts o;
	struct xcell *c;
	size_t nc;
	struct xgroup *g;
	size_t ng;
	size_t *cidx, *gidx; /* open-addressing tables: index + 1 of a cell / group, 0 empty */
	size_t mask; /* table size - 1 */
	struct explain_fit *fit;
	size_t nfit;
};

/* The hash keys of cell.h's series and cells (git_rev is checked, not hashed). */
static unsigned group_fields(bool bench)
{
	return cell_series_mask(bench);
}

static unsigned cell_fields(bool bench)
{
	return cell_series_mask(bench) | CELL_IN_SERIES;
}

static double thr_of(const struct cb_rec *r)
{
	return r->bench ? r->ops_per_s : 1 / r->wall_s;
}

static int add_rec(struct explain_plan *p, size_t i)
{
	const struct cb_rec *r = &p->res->rec[i];
	struct xcell *c = NULL;
	size_t h = cell_hash(r, cell_fields(r->bench)) & p->mask;

	while (p->cidx[h] && !cell_same_cell(p->c[p->cidx[h] - 1].first, r))
		h = (h + 1) & p->mask;
	if (p->cidx[h]) {
		c = &p->c[p->cidx[h] - 1];
	} else {
		size_t g = cell_hash(r, group_fields(r->bench)) & p->mask, gi;

		while (p->gidx[g] && !cell_same_series(p->g[p->gidx[g] - 1].first, r))
			g = (g + 1) & p->mask;
		if (!p->gidx[g]) {
			p->g[p->ng++] = (struct xgroup){.first = r};
			p->gidx[g] = p->ng;
		}
		gi = p->gidx[g] - 1;
		c = &p->c[p->nc++];
		*c = (struct xcell){.first = r, .group = gi};
		p->cidx[h] = p->nc;
	}
	if (c->n == c->cap) {
		size_t *t = realloc(c->rec, (c->cap * 2 + 4) * sizeof(*t));

		if (!t)
			return -ENOMEM;
		c->rec = t;
		c->cap = c->cap * 2 + 4;
	}
	c->rec[c->n++] = i;
	return 0;
}

static void summarize(const struct explain_plan *p, struct xcell *c, double *tmp)
{
	for (size_t k = 0; k < c->n; k++)
		tmp[k] = p->res->rec[c->rec[k]].wall_s;
	stats_summarize(tmp, c->n, &c->wall);
	for (size_t k = 0; k < c->n; k++)
		tmp[k] = thr_of(&p->res->rec[c->rec[k]]);
	stats_summarize(tmp, c->n, &c->thr);
	for (size_t k = 0; k < c->n; k++)
		c->disturbed += p->res->rec[c->rec[k]].mech.noisy;
}

/* Median of a rec's double at byte offset `off` over c's reps (NaNs left out). */
static double median_col(const struct explain_plan *p, const struct xcell *c, size_t off,
                         double *tmp)
{
	size_t n = 0;

	for (size_t k = 0; k < c->n; k++) {
		double v = *(const double *)((const char *)&p->res->rec[c->rec[k]] + off);

		if (!isnan(v))
			tmp[n++] = v;
	}
	stats_sort(tmp, n);
	return n ? stats_quantile(tmp, n, 0.5) : NAN;
}

static void cell_budget(const struct explain_plan *p, struct xcell *c, const struct xcell *seq,
                        double *tmp)
{
	struct budget_ref ref = {
	    .wall_s = seq->wall.median,
	    .user_s = median_col(p, seq, offsetof(struct cb_rec, mech.worker_user_s), tmp),
	    .sys_s = median_col(p, seq, offsetof(struct cb_rec, mech.worker_sys_s), tmp),
	};
	struct budget_rep *br = calloc(c->n + 1, sizeof(*br));

	if (!br)
		return;
	for (size_t k = 0; k < c->n; k++) {
		const struct cb_rec *r = &p->res->rec[c->rec[k]];

		br[k] = (struct budget_rep){
		    .workers = (double)r->workers,
		    .cpus = (double)r->cpus,
		    .wall_s = r->wall_s,
		    .busy_s = r->mech.busy_s,
		    .imbalance_s = r->mech.imbalance_s,
		    .dispatch_s = r->mech.dispatch_s,
		    .worker_user_s = r->mech.worker_user_s,
		    .worker_sys_s = r->mech.worker_sys_s,
		    .runq_s = r->mech.runq_s,
		    .gil_wait_s = r->gil_wait_s,
		    .steal_s = r->mech.steal_s,
		};
	}
	c->pub.has_budget = budget_of_cell(br, c->n, &ref, &c->pub.budget) == 0;
	free(br);
}

/* The speedup of c over its baseline cell s: stats_speedup, the one
 * definition the table, JSON and report print (rates for benches, wall
 * times else); the baseline itself is exactly 1. */
static int speedup_of(const struct explain_plan *p, const struct xcell *s, struct xcell *c)
{
	double *b, *x;
	bool rates = c->first->bench;
	int rc = -ENOMEM;

	if (c == s) {
		c->pub.sp = (struct speedup){.est = 1, .lo = 1, .hi = 1, .conf = NAN};
		return 0;
	}
	b = calloc(s->n + 1, sizeof(double));
	x = calloc(c->n + 1, sizeof(double));
	if (b && x) {
		for (size_t k = 0; k < s->n; k++) {
			const struct cb_rec *r = &p->res->rec[s->rec[k]];

			b[k] = rates ? r->ops_per_s : r->wall_s;
		}
		for (size_t k = 0; k < c->n; k++) {
			const struct cb_rec *r = &p->res->rec[c->rec[k]];

			x[k] = rates ? r->ops_per_s : r->wall_s;
		}
		rc = stats_speedup(b, s->n, x, c->n, rates, &c->pub.sp);
		rc = rc == -ENOMEM ? rc : 0;
	}
	free(b);
	free(x);
	return rc;
}

static int fit_all(struct explain_plan *p);

static int build(struct explain_plan *p)
{
	size_t maxn = 1;
	double *tmp;
	int rc = 0;

	p->c = calloc(p->res->n + 1, sizeof(*p->c));
	p->g = calloc(p->res->n + 1, sizeof(*p->g));
	for (p->mask = 63; p->mask < 2 * p->res->n; p->mask = 2 * p->mask + 1)
		;
	p->cidx = calloc(p->mask + 1, sizeof(*p->cidx));
	p->gidx = calloc(p->mask + 1, sizeof(*p->gidx));
	if (!p->c || !p->g || !p->cidx || !p->gidx)
		return -ENOMEM;
	for (size_t i = 0; i < p->res->n; i++)
		if (p->res->rec[i].verified && p->res->rec[i].wall_s > 0 && add_rec(p, i))
			return -ENOMEM;
	for (size_t k = 0; k < p->nc; k++)
		if (p->c[k].n > maxn)
			maxn = p->c[k].n;
	tmp = calloc(maxn, sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	/* the baseline: seq, else a prefixed one (py-seq) */
	for (size_t k = 0; k < p->nc; k++) {
		struct xcell *c = &p->c[k];
		struct xgroup *g = &p->g[c->group];

		summarize(p, c, tmp);
		if (cell_is_baseline_mode(c->first->mode) &&
		    (!g->seq || strcmp(c->first->mode, "seq") == 0))
			g->seq = c;
	}
	for (size_t k = 0; k < p->nc && !rc; k++) {
		struct xcell *c = &p->c[k];
		const struct xcell *s = p->g[c->group].seq;

		c->pub.sp = (struct speedup){NAN, NAN, NAN, NAN};
		if (!s)
			continue;
		rc = speedup_of(p, s, c);
		if (!rc && !c->first->bench)
			cell_budget(p, c, s, tmp);
	}
	free(tmp);
	if (!rc && p->o.fits)
		rc = fit_all(p);
	return rc;
}

static void free_plan(struct explain_plan *p)
{
	for (size_t k = 0; k < p->nc; k++)
		free(p->c[k].rec);
	free(p->c);
	free(p->g);
	free(p->cidx);
	free(p->gidx);
	free(p->fit);
}

static const char *why_of(const struct xcell *c, char *buf, size_t len)
{
	enum budget_part m;

	if (!c->pub.has_budget)
		return c->first->bench ? "a bench: throughput, no budget"
		                       : "no mechanism columns in these rows";
	if (c->pub.budget.eff >= 0.9)
		snprintf(buf, len, "scales: eff %.2f", c->pub.budget.eff);
	else {
		m = budget_main_cause(&c->pub.budget);
		snprintf(buf, len, "%s %.0f%% of the worker time (eff %.2f)", budget_part_names[m],
		         100 * c->pub.budget.part[m], c->pub.budget.eff);
	}
	return buf;
}

static void write_answer(FILE *f, const struct explain_plan *p)
{
	fprintf(f, "\n## The answer first\n\nPer workload, the fastest mode and worker count "
	           "(speedup over seq with its Hodges-Lehmann interval, as in the table), whether "
	           "the runner-up's interval "
	           "overlaps it, and the main cost from the efficiency budget.\n\n");
	fprintf(f, "| workload | best | speedup [interval] | how sure | main reason |\n"
	           "|---|---|--:|---|---|\n");
	for (size_t gi = 0; gi < p->ng; gi++) {
		const struct xcell *best = NULL, *second = NULL, *gil = NULL;
		char why[160], sure[160];

		for (size_t k = 0; k < p->nc; k++) {
			const struct xcell *c = &p->c[k];

			if (c->group != gi || isnan(c->pub.sp.est))
				continue;
			if (strcmp(c->first->mode, "gil") == 0 &&
			    (!gil || c->pub.sp.est > gil->pub.sp.est))
				gil = c;
			if (!best || c->pub.sp.est > best->pub.sp.est) {
				second = best;
				best = c;
			} else if (!second || c->pub.sp.est > second->pub.sp.est) {
				second = c;
			}
		}
		if (!best) {
			fprintf(f, "| %s | - | - | no seq baseline in these rows | - |\n",
			        p->g[gi].first->workload);
			continue;
		}
		if (best->pub.sp.lo <= 1 && !cell_is_baseline_mode(best->first->mode))
			snprintf(
			    sure, sizeof(sure),
			    "undecided: its interval includes seq's 1x; nothing here beats seq "
			    "for sure");
		else if (second && second->pub.sp.hi >= best->pub.sp.lo)
			snprintf(sure, sizeof(sure), "%s x%ld (%.2fx) within the interval",
			         second->first->mode, second->first->workers, second->pub.sp.est);
		else if (second)
			snprintf(sure, sizeof(sure), "clear: next %s x%ld at %.2fx [%.2f-%.2f]",
			         second->first->mode, second->first->workers, second->pub.sp.est,
			         second->pub.sp.lo, second->pub.sp.hi);
		else
			snprintf(sure, sizeof(sure), "only cell");
		fprintf(f, "| %s | %s x%ld | %.2fx [%.2f-%.2f] | %s | %s", best->first->workload,
		        best->first->mode, best->first->workers, best->pub.sp.est, best->pub.sp.lo,
		        best->pub.sp.hi, sure, why_of(best, why, sizeof(why)));
		if (gil && gil != best)
			fprintf(f, "; GIL best %.2fx", gil->pub.sp.est);
		fprintf(f, " |\n");
	}
}

/* A stacked bar of the budget, 40 characters for the workers' time: `=`
 * useful work (eff), then one letter per part (R run-queue, S steal, G GIL,
 * I imbalance, D dispatch, K kernel, B blocked, U unexplained). Negative
 * parts (baseline, over-counts) take no room. */
static void budget_bar(FILE *f, const struct budget *b)
{
	static const char letter[BUDGET_NPARTS] = {
	    [BUDGET_RUNQ] = 'R',      [BUDGET_STEAL] = 'S',    [BUDGET_GIL] = 'G',
	    [BUDGET_IMBALANCE] = 'I', [BUDGET_DISPATCH] = 'D', [BUDGET_KERNEL] = 'K',
	    [BUDGET_BLOCKED] = 'B',   [BUDGET_BASELINE] = 0,   [BUDGET_UNEXPLAINED] = 'U'};
	double total = fmax(b->eff, 0), at = 0;
	int put = 0;

	for (int i = 0; i < BUDGET_NPARTS; i++)
		if (letter[i] && b->part[i] > 0)
			total += b->part[i];
	if (!(total > 0))
		return;
	fputc('`', f);
	for (int i = -1; i < BUDGET_NPARTS; i++) {
		double v = i < 0 ? fmax(b->eff, 0) : b->part[i];

		if ((i >= 0 && !letter[i]) || !(v > 0))
			continue;
		at += v / total * 40;
		for (; put < (int)lround(at); put++)
			fputc(i < 0 ? '=' : letter[i], f);
	}
	fputc('`', f);
}

static void write_budgets(FILE *f, const struct explain_plan *p)
{
	bool any = false;

	for (size_t k = 0; k < p->nc && !any; k++)
		any = p->c[k].pub.has_budget;
	fprintf(f, "\n## Where the efficiency went\n\n");
	if (!any) {
		fprintf(f, "No budget: these rows have no mechanism columns (older files) or no "
		           "seq baseline.\n");
		return;
	}
	fprintf(f, "Shares of the workers' time (workers × wall), mean over reps "
	           "(results/README.md, *The efficiency budget*). `disturbed`: reps whose "
	           "run-queue or steal share shows someone else's load. `bar`: the workers' "
	           "time, `=` useful, R run-queue, S steal, G GIL, I imbalance, D dispatch, "
	           "K kernel, B blocked, U unexplained.\n\n| workload | mode | "
	           "workers | eff");
	for (int i = 0; i < BUDGET_NPARTS; i++)
		fprintf(f, " | %s", budget_part_names[i]);
	fprintf(f, " | explained | disturbed | bar |\n|---|---|--:|--:");
	for (int i = 0; i < BUDGET_NPARTS + 2; i++)
		fprintf(f, "|--:");
	fprintf(f, "|---|\n");
	for (size_t k = 0; k < p->nc; k++) {
		const struct xcell *c = &p->c[k];
		double ex;

		if (!c->pub.has_budget)
			continue;
		ex = budget_explained(&c->pub.budget);
		fprintf(f, "| %s | %s | %ld | %.2f", c->first->workload, c->first->mode,
		        c->first->workers, c->pub.budget.eff);
		for (int i = 0; i < BUDGET_NPARTS; i++)
			fprintf(f, " | %.0f%%", 100 * c->pub.budget.part[i]);
		if (isnan(ex) || 1 - c->pub.budget.eff < 0.10)
			fprintf(f, " | - ");
		else
			fprintf(f, " | %.0f%% ", 100 * ex);
		fprintf(f, "| %u/%zu | ", c->disturbed, c->n);
		budget_bar(f, &c->pub.budget);
		fprintf(f, " |\n");
	}
}

static void est(FILE *f, const struct scaling_est *e, const char *fmt)
{
	fprintf(f, " | ");
	fprintf(f, fmt, e->est);
	fprintf(f, " [");
	fprintf(f, fmt, e->lo);
	fprintf(f, ", ");
	fprintf(f, fmt, e->hi);
	fprintf(f, "]");
}

/* Fit the models to the reps of `mode` in series gi. 0 or -ENOMEM. */
static int fit_one(const struct explain_plan *p, size_t gi, const char *mode,
                   struct explain_fit *out)
{
	struct scaling_group sg[SCALING_MAX_GROUPS], base;
	double *buf[SCALING_MAX_GROUPS + 1] = {0};
	const struct xcell *seq = p->g[gi].seq;
	struct scaling_opts so = {.beyond_cpus = p->o.beyond_cpus, .boot = p->o.boot, .seed = 1};
	size_t ng = 0;
	int rc = -ENOMEM;

	for (size_t k = 0; k < p->nc && ng < SCALING_MAX_GROUPS; k++) {
		const struct xcell *c = &p->c[k];

		if (c->group != gi || strcmp(c->first->mode, mode) != 0)
			continue;
		buf[ng] = calloc(c->n, sizeof(double));
		if (!buf[ng])
			goto out;
		for (size_t i = 0; i < c->n; i++)
			buf[ng][i] = thr_of(&p->res->rec[c->rec[i]]);
		sg[ng] = (struct scaling_group){(double)c->first->workers, buf[ng], c->n};
		ng++;
	}
	buf[ng] = calloc(seq->n, sizeof(double));
	if (!buf[ng])
		goto out;
	for (size_t i = 0; i < seq->n; i++)
		buf[ng][i] = thr_of(&p->res->rec[seq->rec[i]]);
	base = (struct scaling_group){1, buf[ng], seq->n};
	so.cpus = seq->first->cpus > 0 ? (unsigned)seq->first->cpus : 1;
	out->base = seq->first;
	out->mode = mode;
	out->beyond_cpus = p->o.beyond_cpus;
	scaling_fit(&base, sg, ng, &so, &out->fit);
	rc = out->fit.status == SCALING_BAD_INPUT && strcmp(out->fit.why, "out of memory") == 0
	         ? -ENOMEM
	         : 0;
out:
	for (size_t i = 0; i <= ng; i++)
		free(buf[i]);
	return rc;
}

/* A fit per series with a baseline and per other mode, in first-seen order. */
static int fit_all(struct explain_plan *p)
{
	p->fit = calloc(p->nc + 1, sizeof(*p->fit));
	if (!p->fit)
		return -ENOMEM;
	for (size_t gi = 0; gi < p->ng; gi++) {
		if (!p->g[gi].seq)
			continue;
		for (size_t k = 0; k < p->nc; k++) {
			const struct xcell *c = &p->c[k];
			bool seen = cell_is_baseline_mode(c->first->mode);

			for (size_t d = 0; d < p->nfit && !seen; d++)
				seen = p->fit[d].base == p->g[gi].seq->first &&
				       strcmp(p->fit[d].mode, c->first->mode) == 0;
			if (c->group != gi || seen)
				continue;
			if (fit_one(p, gi, c->first->mode, &p->fit[p->nfit]))
				return -ENOMEM;
			p->nfit++;
		}
	}
	return 0;
}

static void write_fit(FILE *f, const struct explain_fit *x)
{
	const struct scaling_fit *fit = &x->fit;

	fprintf(f, "| %s | %s", x->base->workload, x->mode);
	if (fit->status != SCALING_OK && fit->status != SCALING_TOO_WIDE) {
		fprintf(f, " | not fitted: %s | | | | | | |", fit->why);
	} else {
		fprintf(f, " | %s%s", fit->status == SCALING_OK ? "fitted" : "untrusted: ",
		        fit->status == SCALING_OK ? "" : fit->why);
		est(f, &fit->amdahl_s, "%.3g");
		est(f, &fit->sigma, "%.3g");
		est(f, &fit->kappa, "%.2g");
		if (isnan(fit->nstar.est))
			fprintf(f, " | none (κ ≤ 0)");
		else
			fprintf(f, " | %.1f", fit->nstar.est);
		fprintf(f, " | %.3f", fit->usl_r2);
		fprintf(f, " |");
		for (unsigned k = 0; k < SCALING_NPRED; k++)
			fprintf(f, " %g: %.2fx [%.2f-%.2f]%s", fit->pred_workers[k],
			        fit->usl_pred[k].est, fit->usl_pred[k].lo, fit->usl_pred[k].hi,
			        k + 1 < SCALING_NPRED ? ";" : "");
	}
	fprintf(f, " |");
	for (unsigned k = 0; k < fit->nkf; k++)
		if (!isnan(fit->kf[k].serial))
			fprintf(f, " %g: %.3f%s", fit->kf[k].workers, fit->kf[k].serial,
			        fit->kf[k].fitted ? "" : "*");
	fprintf(f, " |\n");
}

static void write_fits(FILE *f, const struct explain_plan *p)
{
	fprintf(f,
	        "\n## Scaling model\n\nAmdahl's law and Gunther's Universal Scalability Law "
	        "fitted to throughput relative to seq (runner/analysis/scaling.h), 95%% "
	        "bootstrap intervals over reps. %s Predictions are USL speedups at 2, 4 and 8 "
	        "times the CPUs. Karp–Flatt e(N): the serial fraction each worker count "
	        "implies (* = not fitted). Every figure is also in DIR/fits.csv.\n\n",
	        p->o.beyond_cpus ? "Every worker count is fitted (--fit-beyond-cpus)."
	                         : "Only worker counts up to the CPUs available are fitted: "
	                           "past them the plateau is the hardware, not the code.");
	fprintf(f, "| workload | mode | fit | Amdahl s | USL σ | USL κ | N* | R² | predicted | "
	           "Karp–Flatt |\n|---|---|---|--:|--:|--:|--:|--:|---|---|\n");
	for (size_t i = 0; i < p->nfit; i++)
		write_fit(f, &p->fit[i]);
}

static void write_all(FILE *f, const struct explain_plan *p)
{
	write_answer(f, p);
	write_budgets(f, p);
	if (p->o.fits)
		write_fits(f, p);
}

int explain_plan_build(const struct cb_results *res, const struct explain_opts *o,
                       struct explain_plan **out)
{
	struct explain_plan *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->res = res;
	p->o = *o;
	rc = build(p);
	if (rc) {
		explain_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void explain_plan_free(struct explain_plan *p)
{
	if (!p)
		return;
	free_plan(p);
	free(p);
}

static const struct xcell *xcell_of(const struct explain_plan *p, const struct cb_rec *r)
{
	size_t h = cell_hash(r, cell_fields(r->bench)) & p->mask;

	while (p->cidx[h] && !cell_same_cell(p->c[p->cidx[h] - 1].first, r))
		h = (h + 1) & p->mask;
	return p->cidx[h] ? &p->c[p->cidx[h] - 1] : NULL;
}

const struct explain_cell *explain_cell_of(const struct explain_plan *p, const struct cb_rec *r)
{
	const struct xcell *c = xcell_of(p, r);

	return c ? &c->pub : NULL;
}

size_t explain_nfits(const struct explain_plan *p)
{
	return p->nfit;
}

const struct explain_fit *explain_fit_at(const struct explain_plan *p, size_t i)
{
	return i < p->nfit ? &p->fit[i] : NULL;
}

const struct explain_fit *explain_fit_of(const struct explain_plan *p, const struct cb_rec *r)
{
	for (size_t i = 0; i < p->nfit; i++)
		if (cell_same_series(p->fit[i].base, r) && strcmp(p->fit[i].mode, r->mode) == 0)
			return &p->fit[i];
	return NULL;
}

int explain_answer(FILE *f, const struct cb_results *res)
{
	struct explain_plan *p;
	int rc = explain_plan_build(res, &(struct explain_opts){0}, &p);

	if (!rc)
		write_answer(f, p);
	explain_plan_free(p);
	return rc;
}

int explain_write(FILE *md, FILE *html, const struct explain_plan *p)
{
	if (md)
		write_all(md, p);
	if (html) {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);

		if (!m)
			return -ENOMEM;
		write_all(m, p);
		fclose(m);
		fprintf(html, "<pre class=\"explain\">");
		for (size_t i = 0; i < len; i++) {
			if (text[i] == '<')
				fputs("&lt;", html);
			else if (text[i] == '>')
				fputs("&gt;", html);
			else if (text[i] == '&')
				fputs("&amp;", html);
			else
				fputc(text[i], html);
		}
		fprintf(html, "</pre>\n");
		free(text);
	}
	return 0;
}
