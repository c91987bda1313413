/* report_explain.c - `report`: per series a second plot, the measured
 * speedups with the fitted Amdahl and USL curves and each cell's
 * efficiency budget as a stacked bar; and DIR/fits.csv. Every figure
 * comes from the explain plan (explain.h). */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_model.h"
#include "cell.h"
#include "../base/safeio.h"
#include "../base/util.h"

/* The parts drawn, in stacking order, with their colours; useful work
 * (eff) goes first. Baseline (≤ 0) and negative over-counts are not drawn. */
static const struct {
	enum budget_part part;
	const char *color;
} bars[] = {
    {BUDGET_RUNQ, "#d62728"},      {BUDGET_STEAL, "#8c564b"},       {BUDGET_GIL, "#9467bd"},
    {BUDGET_IMBALANCE, "#ff7f0e"}, {BUDGET_DISPATCH, "#bcbd22"},    {BUDGET_KERNEL, "#17becf"},
    {BUDGET_BLOCKED, "#7f7f7f"},   {BUDGET_UNEXPLAINED, "#cccccc"},
};

static const char *const fit_color[] = {"#1f77b4", "#d62728", "#2ca02c",
                                        "#9467bd", "#ff7f0e", "#8c564b"};

/* A label for gnuplot data or strings: letters, digits and . _ - / x kept,
 * anything else a space (rows are untrusted input). */
static void gp_label(char *dst, size_t len, const char *s)
{
	size_t i = 0;

	for (; *s && i + 1 < len; s++, i++)
		dst[i] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		                 (*s >= '0' && *s <= '9') || strchr("._-/=", *s)
		             ? *s
		             : ' ';
	dst[i] = '\0';
}

static bool fitted(const struct explain_fit *x)
{
	return x && (x->fit.status == SCALING_OK || x->fit.status == SCALING_TOO_WIDE);
}

/* The path of g's explain plot (relative to DIR) into buf: its main plot's
 * with -explain before .svg. */
void rp_explain_plot_path(const struct group *g, char *buf, size_t len)
{
	size_t n = strlen(g->plot);

	snprintf(buf, len, "%.*s-explain.svg", (int)(n > 4 ? n - 4 : 0), g->plot);
}

bool rp_has_explain_plot(const struct report *rp, const struct group *g)
{
	for (size_t i = 0; rp->plan && i < g->ncells; i++) {
		const struct explain_cell *x = explain_cell_of(rp->plan, g->cells[i].first);

		if ((x && x->has_budget) || fitted(explain_fit_of(rp->plan, g->cells[i].first)))
			return true;
	}
	return false;
}

/* Panel 1: the measured speedups of each mode and, where a fit was made,
 * its USL (solid) and Amdahl (dashed) curves. */
static void plot_fits(FILE *f, const struct report *rp, const struct group *g, long maxw)
{
	char label[128], title[256];
	int nplot = 0, m = 0;
	const char *prev = NULL;

	fprintf(f,
	        "set title 'speedup, fitted models'\n"
	        "set ylabel 'speedup (x seq)'\nset yrange [0:*]\nset xrange [0.8:%g]\n"
	        "set key inside top left nobox noopaque font ',8' samplen 2\n",
	        (double)maxw * 1.1);
	fprintf(f, "plot x with lines dt 3 lc rgb '#888888' title 'ideal'");
	for (size_t i = 0; i < g->ncells; i++) {
		const struct rcell *c = &g->cells[i];
		const struct explain_fit *x;
		const char *col;

		if (!c->n || cell_is_baseline_mode(c->mode) || (prev && !strcmp(prev, c->mode)))
			continue;
		prev = c->mode;
		col = fit_color[m++ % ARRAY_SIZE(fit_color)];
		gp_label(label, sizeof(label), c->mode);
		fprintf(f, ", $x%d using 1:2:3:4 with yerrorbars pt 7 lc rgb '%s' title '%s'",
		        nplot, col, label);
		nplot++;
		x = explain_fit_of(rp->plan, c->first);
		if (!fitted(x))
			continue;
		snprintf(title, sizeof(title), "%s USL sigma %.3g kappa %.2g%s", label,
		         x->fit.sigma.est, x->fit.kappa.est,
		         x->fit.status == SCALING_OK ? "" : " (untrusted)");
		/* the models of scaling.h, times the fitted one-worker throughput λ */
		fprintf(f,
		        ", %.9g*x/(1+%.9g*(x-1)+%.9g*x*(x-1)) with lines lw 2 lc rgb '%s' "
		        "title '%s'",
		        x->fit.usl_lambda.est, x->fit.sigma.est, x->fit.kappa.est, col, title);
		fprintf(f,
		        ", %.9g*x/(1+%.9g*(x-1)) with lines lw 1 dt 2 lc rgb '%s' title '%s "
		        "Amdahl s %.3g'",
		        x->fit.amdahl_lambda.est, x->fit.amdahl_s.est, col, label,
		        x->fit.amdahl_s.est);
	}
	fputc('\n', f);
}

/* The datablocks of plot_fits: per mode, workers, speedup, lo, hi. */
static void fit_data(FILE *f, const struct group *g)
{
	const char *prev = NULL;
	int nplot = -1;

	for (size_t i = 0; i < g->ncells; i++) {
		const struct rcell *c = &g->cells[i];

		if (!c->n || cell_is_baseline_mode(c->mode))
			continue;
		if (!prev || strcmp(prev, c->mode)) {
			if (prev)
				fprintf(f, "EOD\n");
			fprintf(f, "$x%d << EOD\n", ++nplot);
			prev = c->mode;
		}
		fprintf(f, "%ld %.9g %.9g %.9g\n", c->workers, isnan(c->speedup) ? NAN : c->speedup,
		        isnan(c->sp_lo) ? c->speedup : c->sp_lo,
		        isnan(c->sp_hi) ? c->speedup : c->sp_hi);
	}
	if (prev)
		fprintf(f, "EOD\n");
}

/* Panel 2: the budget of each cell as a stacked bar of shares of the
 * workers' time. */
static void plot_budgets(FILE *f, const struct report *rp, const struct group *g)
{
	char label[160];
	size_t n = 0;

	fprintf(f, "$b << EOD\n");
	for (size_t i = 0; i < g->ncells; i++) {
		const struct rcell *c = &g->cells[i];
		const struct explain_cell *x = explain_cell_of(rp->plan, c->first);

		if (!x || !x->has_budget)
			continue;
		gp_label(label, sizeof(label), c->mode);
		fprintf(f, "\"%s x%ld\" %.6f", label, c->workers, fmax(x->budget.eff, 0));
		for (size_t k = 0; k < ARRAY_SIZE(bars); k++)
			fprintf(f, " %.6f", fmax(x->budget.part[bars[k].part], 0));
		fputc('\n', f);
		n++;
	}
	fprintf(f, "EOD\n");
	fprintf(f, "set title 'efficiency budget'\n");
	if (!n) {
		fprintf(f, "set label 1 'no budget: no mechanism columns or no seq baseline' at "
		           "graph 0.5,0.5 center\nunset key\nplot 2 notitle\nunset label 1\n"
		           "set key\n");
		return;
	}
	fprintf(f, "set style data histograms\nset style histogram rowstacked\n"
	           "set style fill solid 0.9 border rgb '#444444'\nset boxwidth 0.7\n"
	           "set ylabel 'share of workers x wall (parts < 0 not drawn)'\nset yrange "
	           "[0:*]\nset xrange [*:*]\n"
	           "unset logscale x\nset xtics rotate by -45 autofreq font ',8'\n"
	           "set key outside right font ',8'\nset xlabel 'cell'\n");
	fprintf(f, "plot $b using 2:xtic(1) lc rgb '#2ca02c' title 'useful (eff)'");
	for (size_t k = 0; k < ARRAY_SIZE(bars); k++)
		fprintf(f, ", '' using %zu lc rgb '%s' title '%s'", k + 3, bars[k].color,
		        budget_part_names[bars[k].part]);
	fprintf(f, "\nset xtics norotate 1 font ''\nset xlabel 'workers'\n");
}

void rp_plot_explain(FILE *f, const struct report *rp, const struct group *g)
{
	char path[600];
	long maxw = 1;

	if (!rp_has_explain_plot(rp, g))
		return;
	for (size_t i = 0; i < g->ncells; i++)
		if (g->cells[i].workers > maxw)
			maxw = g->cells[i].workers;
	rp_explain_plot_path(g, path, sizeof(path));
	fit_data(f, g);
	fprintf(f,
	        "set output '%s/%s'\nset multiplot layout 1,2\nunset logscale x\n"
	        "set xtics 1\n",
	        rp->dir, path);
	plot_fits(f, rp, g, maxw);
	plot_budgets(f, rp, g);
	fprintf(f, "unset multiplot\nset output\nset style data points\nset key inside top left "
	           "box opaque font ''\n");
}

int rp_write_fits(const struct report *rp)
{
	char path[4200];
	struct safe_out o;
	int rc;

	snprintf(path, sizeof(path), "%s/fits.csv", rp->dir);
	rc = safe_out_open(&o, path);
	if (!rc) {
		rc = explain_fits_csv(o.f, rp->plan);
		rc = rc ? rc : safe_out_commit(&o);
		if (rc)
			safe_out_abort(&o);
	}
	if (rc) {
		cb_errorf("report", "%s: %s", path, safe_strerror(rc));
		return EXIT_CHECK;
	}
	return 0;
}
