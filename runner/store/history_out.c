/* history_out.c - `concbench history`: the table, markdown, CSV and JSON
 * of a loaded and detected history. */
#include "history_int.h"
#include "history.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/stats.h"
#include "../base/util.h"
#include "store.h"
#include "../analysis/compare.h"

/* ---- output ---------------------------------------------------------- */

static void fmt_pct(char *buf, size_t len, double x)
{
	if (isfinite(x))
		snprintf(buf, len, "%+.1f%%", 100 * x);
	else
		snprintf(buf, len, "?");
}

static void short_commit(char *buf, size_t len, const char *c)
{
	snprintf(buf, len, "%.10s", c);
}

void hist_print_table(const struct history *h, const struct cp_opts *o, bool md)
{
	const char *hdr = md ? "| id | state | host | workload | mode | workers | runs | commits | "
	                       "before | after | change [95% CI] | p |\n"
	                       "|---|---|---|---|---|---:|---:|---|---:|---:|---|---:|\n"
	                     : NULL;
	size_t ncp = 0, nshort = 0, nquiet = 0;

	if (md)
		fputs(hdr, stdout);
	else
		printf("%-12s %-12s %-10s %-18s %-10s %7s %5s %-23s %10s %10s %-26s %8s\n", "id",
		       "state", "host", "workload", "mode", "workers", "runs", "commits", "before",
		       "after", "change [95% CI]", "p");
	for (size_t i = 0; i < h->n; i++) {
		const struct hist_cell *c = &h->cells[i];

		if (c->too_short || !c->ncp) {
			char why[64];

			if (c->too_short) {
				snprintf(why, sizeof(why), "too short to decide (need %zu runs)",
				         2 * o->min_seg);
				nshort++;
			} else {
				snprintf(why, sizeof(why), "no change point");
				nquiet++;
			}
			if (md)
				printf("| - | - | %s | %s | %s | %ld | %zu | %s | | | | |\n",
				       c->host, c->workload, c->mode, c->workers, c->n, why);
			else
				printf("%-12s %-12s %-10s %-18s %-10s %7ld %5zu %s\n", "-", "-",
				       c->host, c->workload, c->mode, c->workers, c->n, why);
			continue;
		}
		for (int j = 0; j < c->ncp; j++) {
			const struct hist_cp *cp = &c->cp[j];
			char b[24], a[24], r[16], lo[16], hi[16], ch[64], cb[16], ca[16], cm[40];

			if (h->absolute) { /* a fitted parameter: plain numbers, the shift */
				snprintf(b, sizeof(b), "%.4g", cp->before);
				snprintf(a, sizeof(a), "%.4g", cp->after);
				snprintf(r, sizeof(r), "%+.3g", cp->rel);
				snprintf(lo, sizeof(lo), "%+.3g", cp->lo);
				snprintf(hi, sizeof(hi), "%+.3g", cp->hi);
			} else {
				fmt_seconds(b, sizeof(b), cp->before);
				fmt_seconds(a, sizeof(a), cp->after);
				fmt_pct(r, sizeof(r), cp->rel);
				fmt_pct(lo, sizeof(lo), cp->lo);
				fmt_pct(hi, sizeof(hi), cp->hi);
			}
			snprintf(ch, sizeof(ch), "%s [%s, %s]", r, lo, hi);
			short_commit(cb, sizeof(cb), c->commit[cp->at - 1]);
			short_commit(ca, sizeof(ca), c->commit[cp->at]);
			snprintf(cm, sizeof(cm), "%s..%s", cb, ca);
			ncp++;
			if (md)
				printf("| %s | %s | %s | %s | %s | %ld | %zu | %s | %s | %s | %s | "
				       "%.2g |\n",
				       cp->id, cp->state, c->host, c->workload, c->mode, c->workers,
				       c->n, cm, b, a, ch, cp->p);
			else
				printf(
				    "%-12s %-12s %-10s %-18s %-10s %7ld %5zu %-23s %10s %10s %-26s "
				    "%8.2g\n",
				    cp->id, cp->state, c->host, c->workload, c->mode, c->workers,
				    c->n, cm, b, a, ch, cp->p);
		}
	}
	if (h->absolute)
		printf(
		    "\n%zu series: %zu change points; %zu series without one; %zu too short to "
		    "decide (fewer than %zu runs). %s, the scaling model fitted per run (workers "
		    "0: every worker count). E-divisive means + Welch t-test, alpha %g, minimum "
		    "change %g; change = median after - before with a Hodges-Lehmann 95%% "
		    "interval.\n",
		    h->n, ncp, nquiet, nshort, 2 * o->min_seg, h->metric, o->alpha, o->min_change);
	else
		printf("%s%zu cells: %zu change points; %zu cells without one; %zu too short to "
		       "decide (fewer than %zu runs). E-divisive means + Welch t-test, alpha %g, "
		       "minimum change %g%%; change = median after / before - 1 with a "
		       "Hodges-Lehmann 95%% interval.\n",
		       "\n", h->n, ncp, nquiet, nshort, 2 * o->min_seg, o->alpha,
		       100 * o->min_change);
}

static void csv_field(const char *s, bool last)
{
	fputc('"', stdout);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', stdout);
		fputc(*s, stdout);
	}
	fputc('"', stdout);
	fputc(last ? '\n' : ',', stdout);
}

void hist_print_csv(const struct history *h)
{
	printf("id,state,host,workload,mode,workers,tasks,size,params,runs,commit_before,"
	       "commit_after,before_s,after_s,change,change_lo,change_hi,p,status\n");
	for (size_t i = 0; i < h->n; i++) {
		const struct hist_cell *c = &h->cells[i];
		int k = c->ncp ? c->ncp : 1;

		for (int j = 0; j < k; j++) {
			const struct hist_cp *cp = c->ncp ? &c->cp[j] : NULL;

			csv_field(cp ? cp->id : "", false);
			csv_field(cp ? cp->state : "", false);
			csv_field(c->host, false);
			csv_field(c->workload, false);
			csv_field(c->mode, false);
			printf("%ld,%ld,%ld,", c->workers, c->tasks, c->size);
			csv_field(c->params, false);
			printf("%zu,", c->n);
			if (cp) {
				csv_field(c->commit[cp->at - 1], false);
				csv_field(c->commit[cp->at], false);
				printf("%.9g,%.9g,%.6g,%.6g,%.6g,%.3g,", cp->before, cp->after,
				       cp->rel, cp->lo, cp->hi, cp->p);
				csv_field(cp->regression ? "regression" : "improvement", true);
			} else {
				printf(",,,,,,,,");
				csv_field(c->too_short ? "too-short" : "no-change", true);
			}
		}
	}
}

void hist_print_json(const struct history *h, const struct cp_opts *o)
{
	printf("{\n  \"method\": \"e-divisive means + welch t-test\", \"alpha\": %g, "
	       "\"min_change\": %g, \"min_runs\": %zu,\n  \"cells\": [",
	       o->alpha, o->min_change, 2 * o->min_seg);
	for (size_t i = 0; i < h->n; i++) {
		const struct hist_cell *c = &h->cells[i];

		printf("%s\n    {\"host\": ", i ? "," : "");
		json_str(stdout, c->host);
		printf(", \"workload\": ");
		json_str(stdout, c->workload);
		printf(", \"mode\": ");
		json_str(stdout, c->mode);
		printf(", \"workers\": %ld, \"tasks\": %ld, \"size\": %ld, \"params\": ",
		       c->workers, c->tasks, c->size);
		json_str(stdout, c->params);
		printf(", \"runs\": %zu, \"status\": \"%s\", \"change_points\": [", c->n,
		       c->too_short ? "too-short"
		       : c->ncp     ? "changed"
		                    : "no-change");
		for (int j = 0; j < c->ncp; j++) {
			const struct hist_cp *cp = &c->cp[j];

			printf("%s{\"id\": \"%s\", \"state\": \"%s\", \"commit_before\": ",
			       j ? ", " : "", cp->id, cp->state);
			json_str(stdout, c->commit[cp->at - 1]);
			printf(", \"commit_after\": ");
			json_str(stdout, c->commit[cp->at]);
			printf(", \"index\": %zu, \"before_s\": %.9g, \"after_s\": %.9g, "
			       "\"change\": %.6g, "
			       "\"change_lo\": ",
			       cp->at, cp->before, cp->after, cp->rel);
			json_num(stdout, cp->lo);
			printf(", \"change_hi\": ");
			json_num(stdout, cp->hi);
			printf(", \"p\": %.3g, \"regression\": %s}", cp->p,
			       cp->regression ? "true" : "false");
		}
		printf("]}");
	}
	printf("\n  ]\n}\n");
}
