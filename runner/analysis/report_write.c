/* report_write.c - `report`: DIR/report.md and the self-contained index.html. */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report_model.h"
#include "cell.h"
#include "csvread.h"
#include "../base/safeio.h"
#include "../base/stats.h"
#include "../base/util.h"

static void fmt_cell_fields(const struct group *g, const struct rcell *c, char f[][64])
{
	size_t o;

	(void)g;
	snprintf(f[0], 64, "%s", c->mode);
	snprintf(f[1], 64, "%ld", c->workers);
	snprintf(f[2], 64, "%zu", c->n);
	fmt_seconds(f[3], 64, c->s.median);
	if (c->n) {
		char lo[24], hi[24];

		fmt_seconds(lo, sizeof(lo), c->s.ci_lo);
		fmt_seconds(hi, sizeof(hi), c->s.ci_hi);
		if (c->n > 1)
			snprintf(f[4], 64, "%s – %s (%.1f%%)", lo, hi, 100 * c->s.ci_conf);
		else
			snprintf(f[4], 64, "-");
	} else {
		snprintf(f[4], 64, "-");
	}
	if (isnan(c->speedup))
		snprintf(f[5], 64, "-");
	else if (isnan(c->sp_lo) || !(c->sp_conf > 0))
		snprintf(f[5], 64, "%.2f×", c->speedup);
	else
		snprintf(f[5], 64, "%.2f× [%.2f–%.2f] (%.1f%%)", c->speedup, c->sp_lo, c->sp_hi,
		         100 * c->sp_conf);
	snprintf(f[6], 64, isnan(c->eff) ? "-" : "%.2f", c->eff);
	snprintf(f[7], 64, isnan(c->cpu_util) ? "-" : "%.0f", 100 * c->cpu_util);
	snprintf(f[8], 64, isnan(c->gil_med) ? "-" : "%.0f%%", 100 * c->gil_med);
	if (isnan(c->ops_med))
		snprintf(f[9], 64, "-");
	else
		snprintf(f[9], 64, "%.4g", c->ops_med);
	snprintf(f[10], 64, "%s", c->unverified ? "NO" : c->n ? "yes" : "-");
	o = 0;
	f[11][0] = '\0';
	if (c->unverified)
		o += (size_t)snprintf(f[11] + o, 64 - o, "%zu/%zu unverified ", c->unverified,
		                      c->nall);
	if (is_noisy(&c->s) && o < 64)
		o += (size_t)snprintf(f[11] + o, 64 - o, "noisy(cv=%.0f%%) ", 100 * c->s.cv);
	if (c->s.outliers && o < 64)
		o += (size_t)snprintf(f[11] + o, 64 - o, "outliers=%zu ", c->s.outliers);
	if (c->n && c->n < 3 && o < 64)
		o += (size_t)snprintf(f[11] + o, 64 - o, "few-reps ");
	/* --precision: the half-width reached, by the table's definition */
	if (!isnan(c->prec_target) && o < 64)
		snprintf(f[11] + o, 64 - o, "%s±%.1f%% (target %g%%)",
		         stats_is_precise(&c->s, c->prec_target) ? "precise " : "IMPRECISE ",
		         100 * stats_rel_halfwidth(&c->s), 100 * c->prec_target);
	snprintf(f[12], 64, "%s", c->metric[0] ? c->metric : "");
}

#define NFIELDS 13
static const char *const headers[NFIELDS] = {
    "mode",       "workers", "reps",     "median", "interval (conf.)", "speedup [interval] (conf.)",
    "efficiency", "CPU %",   "GIL wait", "ops/s",  "verified",         "flags",
    "metric"};

void rp_html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void rp_md_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
	}
}

void rp_base64_file(FILE *out, const char *path)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	FILE *f = fopen(path, "rb");
	unsigned char in[3];
	size_t n;

	if (!f)
		return;
	while ((n = fread(in, 1, 3, f)) > 0) {
		unsigned v = (unsigned)in[0] << 16 | (n > 1 ? (unsigned)in[1] << 8 : 0) |
		             (n > 2 ? in[2] : 0);

		fputc(tab[v >> 18 & 63], out);
		fputc(tab[v >> 12 & 63], out);
		fputc(n > 1 ? tab[v >> 6 & 63] : '=', out);
		fputc(n > 2 ? tab[v & 63] : '=', out);
	}
	fclose(f);
}

static bool plot_exists(const struct report *rp, const struct group *g)
{
	char path[4200];
	struct stat st;

	if (!rp->plots_ok || !g->plot[0])
		return false;
	snprintf(path, sizeof(path), "%s/%s", rp->dir, g->plot);
	return stat(path, &st) == 0 && st.st_size > 0;
}

static const char css[] =
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
    "color:#222}table{border-collapse:collapse;margin:.5em 0 1em;font-size:.85em}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}th{background:#f0f0f0}"
    ".bad{color:#b00;font-weight:bold}.reading{background:#f6f8fa;padding:.4em .8em;"
    "border-left:4px solid #4a7}img{max-width:100%}code{font-size:.9em}"
    "h2{border-bottom:1px solid #ddd;margin-top:2em}";

static void write_header(FILE *md, FILE *html, const struct report *rp)
{
	static const char legend[] =
	    "Per workload: median wall time of the verified reps with its distribution-free "
	    "interval (order statistics) and the confidence it achieves (below 95% with fewer "
	    "than 6 reps: 93.8% at 5, 75% at 3); speedup = the Hodges-Lehmann estimate of "
	    "seq / cell wall time (the median of every pairwise ratio), or of cell / seq ops/s "
	    "for benches, with its distribution-free interval and confidence; efficiency = speedup "
	    "/ workers, CPU "
	    "% = (user + sys) / wall, GIL wait = the median share of thread time spent waiting "
	    "for the GIL. A reading claims only what its interval supports. Flags: noisy = CV "
	    "above 10% or an outlier by hyperfine's rule (|x - median| > 14.826 MAD).";

	time_t now = time(NULL);
	struct tm tm;
	char stamp[40];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(md, "# concbench report\n\nGenerated %s from %zu reps in:", stamp, rp->res.n);
	fprintf(html,
	        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	        "<title>concbench report</title><style>%s</style></head><body>\n"
	        "<h1>concbench report</h1>\n<p>Generated %s from %zu reps in:",
	        css, stamp, rp->res.n);
	for (int i = 0; i < rp->nfiles; i++) {
		fprintf(md, " `%s`", rp->files[i]);
		fprintf(html, " <code>");
		rp_html_esc(html, rp->files[i]);
		fprintf(html, "</code>");
	}
	fprintf(md, ".\n\n%s\n", legend);
	fprintf(html, ".</p>\n<p>%s</p>\n", legend);
	if (rp->plot_note[0]) {
		fprintf(md, "\nPlots: %s.\n", rp->plot_note);
		fprintf(html, "<p class=\"bad\">Plots: ");
		rp_html_esc(html, rp->plot_note);
		fprintf(html, ".</p>\n");
	}
}

static void write_host(FILE *md, FILE *html, const struct group *g)
{
	const struct cb_rec *r = g->first;

	fprintf(md, "\n## host %s\n\n%s; %ld CPUs in the affinity mask; concbench %s.\n", g->host,
	        r->cpu_model && *r->cpu_model ? r->cpu_model : "CPU unknown", r->cpus,
	        r->git_rev && *r->git_rev ? r->git_rev : "?");
	fprintf(html, "<h2>host ");
	rp_html_esc(html, g->host);
	fprintf(html, "</h2>\n<p>");
	rp_html_esc(html, r->cpu_model && *r->cpu_model ? r->cpu_model : "CPU unknown");
	fprintf(html, "; %ld CPUs in the affinity mask; concbench ", r->cpus);
	rp_html_esc(html, r->git_rev && *r->git_rev ? r->git_rev : "?");
	fprintf(html, ".</p>\n");
}

static void write_group(FILE *md, FILE *html, const struct report *rp, const struct group *g)
{
	char f[NFIELDS][64];
	bool plot = plot_exists(rp, g);
	char sub[256];

	if (g->bench)
		snprintf(sub, sizeof(sub), "size %ld%s%s", g->size, *g->variant ? ", " : "",
		         g->variant);
	else
		snprintf(sub, sizeof(sub), "size %ld, %ld tasks%s%s", g->size, g->tasks,
		         *g->variant ? ", " : "", g->variant);
	fprintf(md, "\n### %s — %s\n\n%s\n\n", g->workload, sub, g->reading);
	fprintf(html, "<h3>");
	rp_html_esc(html, g->workload);
	fprintf(html, " — ");
	rp_html_esc(html, sub);
	fprintf(html, "</h3>\n<p class=\"reading\">");
	rp_html_esc(html, g->reading);
	fprintf(html, "</p>\n<table><tr>");
	for (int i = 0; i < NFIELDS; i++) {
		fprintf(md, "| %s ", headers[i]);
		fprintf(html, "<th>%s</th>", headers[i]);
	}
	fprintf(md, "|\n|---|");
	for (int i = 1; i < NFIELDS; i++)
		fprintf(md, "%s", i >= 10 ? "---|" : "--:|");
	fprintf(md, "\n");
	fprintf(html, "</tr>\n");
	for (size_t i = 0; i < g->ncells; i++) {
		fmt_cell_fields(g, &g->cells[i], f);
		fprintf(html, "<tr>");
		for (int k = 0; k < NFIELDS; k++) {
			fprintf(md, "| ");
			rp_md_esc(md, f[k]);
			fprintf(md, " ");
			fprintf(html, "<td%s>",
			        k == 10 && g->cells[i].unverified ? " class=\"bad\"" : "");
			rp_html_esc(html, f[k]);
			fprintf(html, "</td>");
		}
		fprintf(md, "|\n");
		fprintf(html, "</tr>\n");
	}
	fprintf(html, "</table>\n");
	if (plot) {
		char path[4200];

		fprintf(md, "\n![%s](%s)\n", g->workload, g->plot);
		snprintf(path, sizeof(path), "%s/%s", rp->dir, g->plot);
		fprintf(html, "<p><img alt=\"");
		rp_html_esc(html, g->workload);
		fprintf(html, " plots\" src=\"data:image/svg+xml;base64,");
		rp_base64_file(html, path);
		fprintf(html, "\"></p>\n");
		if (rp_has_explain_plot(rp, g)) {
			char rel[600];

			rp_explain_plot_path(g, rel, sizeof(rel));
			snprintf(path, sizeof(path), "%s/%s", rp->dir, rel);
			if (access(path, R_OK) == 0) {
				fprintf(md, "\n![%s: fits and budgets](%s)\n", g->workload, rel);
				fprintf(html, "<p><img alt=\"");
				rp_html_esc(html, g->workload);
				fprintf(html,
				        " fits and budgets\" src=\"data:image/svg+xml;base64,");
				rp_base64_file(html, path);
				fprintf(html, "\"></p>\n");
			}
		}
	}
}

int rp_write_outputs(struct report *rp)
{
	char pmd[4200], phtml[4200];
	struct safe_out md = {0}, html = {0};
	const char *failed = pmd;
	int rc;

	snprintf(pmd, sizeof(pmd), "%s/report.md", rp->dir);
	snprintf(phtml, sizeof(phtml), "%s/index.html", rp->dir);
	rc = safe_out_open(&md, pmd);
	if (!rc) {
		failed = phtml;
		rc = safe_out_open(&html, phtml);
	}
	if (rc)
		goto fail;
	write_header(md.f, html.f, rp);
	rc = explain_write(md.f, html.f, rp->plan);
	if (rc) {
		failed = pmd;
		goto fail;
	}
	for (size_t i = 0; i < rp->ng; i++) {
		if (i == 0 || strcmp(rp->g[i].host, rp->g[i - 1].host) != 0)
			write_host(md.f, html.f, &rp->g[i]);
		write_group(md.f, html.f, rp, &rp->g[i]);
	}
	rp_write_io(md.f, html.f, rp);
	rp_write_hyperfine(md.f, html.f, rp);
	fprintf(html.f, "</body></html>\n");
	/* both or neither: DIR/index.html is committed only after DIR/report.md was */
	failed = pmd;
	rc = safe_out_commit(&md);
	if (!rc) {
		failed = phtml;
		rc = safe_out_commit(&html);
	}
	if (!rc)
		return 0;
fail:
	safe_out_abort(&md);
	safe_out_abort(&html);
	if (rc == -EINTR && cb_interrupted)
		return 128 + cb_interrupted;
	cb_errorf("report", "%s: %s", failed, safe_strerror(rc));
	return EXIT_CHECK;
}
