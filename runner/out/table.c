/* table.c - the per-cell table on stdout (and the cell text --format=markdown
 * shares), the interval note, the efficiency budget of -v, and the notes
 * under the table (sizes, precision, machine checks). */
#include "output.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/safeio.h"
#include "../base/util.h"

const char *output_verdict(const struct cell *c)
{
	if (c->nrows == 0)
		return c->failed ? "FAILED" : "-";
	for (unsigned k = 0; k < c->nrows; k++) {
		if (c->rows[k].status == REP_TIMEOUT)
			return "TIMEOUT";
		if (c->rows[k].status == REP_FAILED)
			return "FAILED";
		if (c->rows[k].status != REP_OK)
			return "NO";
	}
	return c->failed ? "FAILED" : "yes";
}

void output_cell_text(const struct cell *c, bool unicode, struct cell_text *t)
{
	const struct summary *s = &c->wall;
	size_t o = 0;

	memset(t, 0, sizeof(*t));
	fmt_seconds(t->median, sizeof(t->median), s->median);
	strcpy(t->spread, "-");
	strcpy(t->speedup, "-");
	strcpy(t->eff, "-");
	strcpy(t->cpu, "-");
	if (!isnan(stats_rel_halfwidth(s)))
		snprintf(t->spread, sizeof(t->spread), "%.1f%%", 100 * stats_rel_halfwidth(s));
	if (!isnan(c->speedup) && c->baseline == c)
		snprintf(t->speedup, sizeof(t->speedup), unicode ? "1× (base)" : "1x (base)");
	else if (!isnan(c->speedup) && !(c->speedup_conf > 0)) /* 1 rep a side: no interval */
		snprintf(t->speedup, sizeof(t->speedup), unicode ? "%.2f×" : "%.2fx", c->speedup);
	else if (!isnan(c->speedup))
		snprintf(t->speedup, sizeof(t->speedup),
		         unicode ? "%.2f× [%.2f–%.2f]" : "%.2fx [%.2f-%.2f]", c->speedup,
		         c->speedup_lo, c->speedup_hi);
	if (!isnan(c->efficiency))
		snprintf(t->eff, sizeof(t->eff), "%.2f", c->efficiency);
	if (!isnan(c->cpu_util))
		snprintf(t->cpu, sizeof(t->cpu), "%.0f", 100 * c->cpu_util);
	if (c->implicit)
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o, "baseline ");
	if (c->prec == PREC_MET)
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o, "precise(%zu reps", s->n);
	else if (c->prec == PREC_BUDGET)
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o,
		                      "IMPRECISE(out of budget, %zu reps", s->n);
	if (c->ndiscarded && o < sizeof(t->notes))
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o, "%s%u set aside",
		                      c->prec == PREC_MET || c->prec == PREC_BUDGET ? "; " : "(",
		                      c->ndiscarded);
	if ((c->prec == PREC_MET || c->prec == PREC_BUDGET || c->ndiscarded) &&
	    o < sizeof(t->notes))
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o, ") ");
	if (is_noisy(s) && s->outliers)
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o,
		                      "noisy(cv=%.0f%%, %u outlier%s) ", 100 * s->cv,
		                      (unsigned)s->outliers, s->outliers == 1 ? "" : "s");
	else if (is_noisy(s))
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o, "noisy(cv=%.0f%%) ",
		                      100 * s->cv);
	if (c->nrows && c->rows[c->nrows - 1].metrics.n && o < sizeof(t->notes)) {
		const struct cb_metrics *m = &c->rows[c->nrows - 1].metrics;

		snprintf(t->notes + o, sizeof(t->notes) - o, "%s=%.6g", m->name[0], m->value[0]);
	}
	t->verdict = output_verdict(c);
}

void output_disturbed(const struct cell *c, char *buf, size_t len)
{
	const char *why[8];
	unsigned n = 0, nwhy = 0;
	size_t o = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned k = 0; k < c->nrows; k++) {
		const char *w = c->rows[k].mech.noisy;
		unsigned j = 0;

		if (!w || !*w)
			continue;
		n++;
		while (j < nwhy && strcmp(why[j], w))
			j++;
		if (j == nwhy && nwhy < ARRAY_SIZE(why))
			why[nwhy++] = w;
	}
	if (!n)
		return;
	o += (size_t)snprintf(buf, len, "; disturbed %u/%u reps (", n, c->nrows);
	for (unsigned j = 0; j < nwhy && o < len; j++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", j ? ", " : "", why[j]);
	if (o < len)
		snprintf(buf + o, len - o, ")");
}

static double median_of(double *v, size_t n)
{
	stats_sort(v, n);
	return stats_quantile(v, n, 0.5);
}

int output_cell_budget(const struct cell *c, long cpus, struct budget *b)
{
	const struct cell *base = c->baseline;
	struct budget_rep *reps = calloc(c->nrows + 1, sizeof(*reps));
	double *w = calloc(3 * ((base ? base->nrows : 0) + 1), sizeof(double));
	struct budget_ref ref;
	size_t n = 0, nb = 0;
	int rc = -EINVAL;

	if (!reps || !w || !base)
		goto out;
	for (unsigned k = 0; k < base->nrows; k++) {
		const struct rep_row *row = &base->rows[k];

		if (row->status != REP_OK || !row->mech.workers || row->mech.discarded)
			continue;
		w[nb] = row->wall_s;
		w[base->nrows + 1 + nb] = row->mech.user_s;
		w[2 * (base->nrows + 1) + nb] = row->mech.sys_s;
		nb++;
	}
	if (!nb)
		goto out;
	ref.wall_s = median_of(w, nb);
	ref.user_s = median_of(w + base->nrows + 1, nb);
	ref.sys_s = median_of(w + 2 * (base->nrows + 1), nb);
	for (unsigned k = 0; k < c->nrows; k++) {
		const struct rep_row *row = &c->rows[k];
		const struct rep_mech *m = &row->mech;

		if (row->status != REP_OK || !m->workers || m->discarded)
			continue;
		reps[n++] = (struct budget_rep){
		    .workers = c->workers,
		    .cpus = (double)cpus,
		    .wall_s = row->wall_s,
		    .busy_s = m->busy_s,
		    .imbalance_s = m->imbalance_s,
		    .dispatch_s = m->dispatch_s,
		    .worker_user_s = m->user_s,
		    .worker_sys_s = m->sys_s,
		    .runq_s = m->runq_s,
		    .gil_wait_s = c->mode == MODE_GIL ? row->gil.wait_s : NAN,
		    .steal_s = m->steal_s,
		};
	}
	rc = budget_of_cell(reps, n, &ref, b);
out:
	if (rc)
		budget_of_cell(NULL, 0, &(struct budget_ref){0}, b);
	free(reps);
	free(w);
	return rc;
}

/* "93.8%" or, when cells differ, "75.0–93.8%" of the confidences in v[0..n);
 * "" when none is known. */
static void conf_range(char *buf, size_t len, const double *v, size_t n, bool unicode)
{
	double lo = INFINITY, hi = -INFINITY;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (isnan(v[i]))
			continue;
		lo = fmin(lo, v[i]);
		hi = fmax(hi, v[i]);
	}
	if (lo > hi)
		return;
	if (hi - lo < 5e-4)
		snprintf(buf, len, "%.1f%%", 100 * lo);
	else
		snprintf(buf, len, unicode ? "%.1f–%.1f%%" : "%.1f-%.1f%%", 100 * lo, 100 * hi);
}

void output_interval_note(const struct run *r, bool unicode, char *buf, size_t len)
{
	double *med = calloc(r->ncells + 1, sizeof(*med)), *sp = calloc(r->ncells + 1, sizeof(*sp));
	char cm[48] = "", cs[48] = "";
	size_t o = 0;

	buf[0] = '\0';
	if (!med || !sp)
		goto out;
	for (unsigned i = 0; i < r->ncells; i++) {
		med[i] = r->cells[i].wall.n > 1 ? r->cells[i].wall.ci_conf : NAN;
		sp[i] = r->cells[i].speedup_conf > 0 ? r->cells[i].speedup_conf : NAN;
	}
	conf_range(cm, sizeof(cm), med, r->ncells, unicode);
	conf_range(cs, sizeof(cs), sp, r->ncells, unicode);
	if (*cm)
		o +=
		    (size_t)snprintf(buf + o, len - o,
		                     "±spread: half the median's distribution-free interval (order "
		                     "statistics), confidence %s",
		                     cm);
	if (*cs && o < len)
		o += (size_t)snprintf(buf + o, len - o,
		                      "%sspeedup [lo-hi]: Hodges-Lehmann interval of the ratio, "
		                      "confidence %s",
		                      o ? "; " : "", cs);
	if (o && o < len)
		snprintf(buf + o, len - o,
		         " (exact for continuous data; below 95%%: too few reps)");
out:
	free(med);
	free(sp);
}

void output_table(FILE *f, const struct run *r)
{
	char note[512];

	fprintf(f, "%-18s %-15s %7s %7s %10s %8s %18s %5s %5s %-8s %s\n", "workload", "mode",
	        "workers", "tasks", "median", "±spread", "speedup [CI]", "eff", "cpu%", "verified",
	        "notes");
	for (unsigned i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		struct cell_text t;

		output_cell_text(c, false, &t);
		fprintf(f, "%-18s %-15s %7u %7u %10s %8s %18s %5s %5s %-8s %s\n", c->wl->name,
		        mode_names[c->mode], c->workers, c->ntasks, t.median, t.spread, t.speedup,
		        t.eff, t.cpu, t.verdict, t.notes);
		if (cb_verbosity > 0) {
			struct budget b;
			char buf[256];

			if (output_cell_budget(c, r->machine.cpus_affinity, &b) == 0) {
				double ex = budget_explained(&b);

				budget_format(&b, buf, sizeof(buf));
				fprintf(f, "%34s %s", "", buf);
				if (!isnan(ex) && 1 - b.eff >= 0.10)
					fprintf(f, "; explained %.0f%% of the loss", 100 * ex);
				output_disturbed(c, buf, sizeof(buf));
				fputs(buf, f);
				fputc('\n', f);
			}
		}
	}
	output_interval_note(r, false, note, sizeof(note));
	if (*note)
		fprintf(f, "intervals: %s\n", note);
	output_machine_notes(f, r);
}

/* --min-rep-time: the size each workload ran at, and what it was scaled from. */
static void size_notes(FILE *f, const struct run *r)
{
	const char *sep = "";
	char t[24];

	if (!config_scales_sizes(&r->cfg))
		return;
	fprintf(f, "sizes for a seq rep of at least %s (--min-rep-time):",
	        fmt_seconds(t, sizeof(t), r->cfg.min_rep_time_s));
	for (unsigned i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		bool seen = false;

		for (unsigned j = 0; j < i; j++)
			seen |= r->cells[j].wl == c->wl;
		if (seen)
			continue;
		if (!c->calibrated)
			fprintf(f, "%s %s %ld (not scaled)", sep, c->wl->name, c->size);
		else if (c->size_refused)
			fprintf(f, "%s %s %ld (from %ld; the largest it takes, short of the time)",
			        sep, c->wl->name, c->size, c->size_from);
		else if (c->size_from != c->size)
			fprintf(f, "%s %s %ld (from %ld)", sep, c->wl->name, c->size, c->size_from);
		else
			fprintf(f, "%s %s %ld", sep, c->wl->name, c->size);
		sep = ",";
	}
	fputs("\n", f);
}

/* --precision: how many cells reached the target, and which did not. */
static void precision_notes(FILE *f, const struct run *r)
{
	unsigned met = 0, missed = 0;

	if (!(r->cfg.precision > 0))
		return;
	for (unsigned i = 0; i < r->ncells; i++) {
		met += r->cells[i].prec == PREC_MET;
		missed += r->cells[i].prec == PREC_BUDGET;
	}
	fprintf(
	    f, "precision %g%%: %u of %u cells within it after %u round%s in %.1f s (budget %g s)",
	    100 * r->cfg.precision, met, met + missed, r->rounds - (unsigned)r->cfg.warmup,
	    r->rounds - (unsigned)r->cfg.warmup == 1 ? "" : "s", r->elapsed_s, r->cfg.max_time_s);
	fputs(missed ? "; not within it:" : "\n", f);
	for (unsigned i = 0, k = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];

		if (c->prec != PREC_BUDGET)
			continue;
		if (isfinite(c->halfwidth))
			fprintf(f, "%s %s %s/%u ±%.1f%% (%zu reps)", k++ ? "," : "", c->wl->name,
			        mode_names[c->mode], c->workers, 100 * c->halfwidth, c->wall.n);
		else
			fprintf(f, "%s %s %s/%u no interval (%zu rep%s)", k++ ? "," : "",
			        c->wl->name, mode_names[c->mode], c->workers, c->wall.n,
			        c->wall.n == 1 ? "" : "s");
	}
	if (missed)
		fputs("\n", f);
}

/* How many of the reps in the table ran disturbed (the noisy column), by
 * cause (noise_of_rep()'s labels, in the order first seen): their medians
 * include them, and a default run says so without -v. */
static void disturbed_notes(FILE *f, const struct run *r)
{
	const char *why[8];
	unsigned n[ARRAY_SIZE(why)] = {0}, nwhy = 0, total = 0, kept = 0;

	for (unsigned i = 0; i < r->ncells; i++)
		for (unsigned k = 0; k < r->cells[i].nrows; k++) {
			const struct rep_row *row = &r->cells[i].rows[k];
			const char *w = row->mech.noisy;
			unsigned j = 0;

			if (row->status != REP_OK || row->mech.discarded)
				continue;
			kept++;
			if (!w || !*w)
				continue;
			total++;
			while (j < nwhy && strcmp(why[j], w))
				j++;
			if (j == nwhy && nwhy < ARRAY_SIZE(why))
				why[nwhy++] = w;
			if (j < nwhy)
				n[j]++;
		}
	if (!total)
		return;
	fprintf(f, "note: %u of %u reps ran disturbed (noisy column:", total, kept);
	for (unsigned j = 0; j < nwhy; j++)
		fprintf(f, "%s %s %u", j ? "," : "", why[j], n[j]);
	fprintf(f, "); the figures above include them (-v: per cell; %s)\n",
	        r->cfg.max_slowdown > 0 ? "slowed reps past --max-slowdown were run again"
	                                : "--max-slowdown or --precision sets slowed reps aside");
}

void output_machine_notes(FILE *f, const struct run *r)
{
	char msg[1024];
	unsigned warn = machine_warnings(&r->machine);

	precision_notes(f, r);
	size_notes(f, r);
	disturbed_notes(f, r);
	if (machine_cpu_warning(&r->machine, msg, sizeof(msg)))
		fprintf(f, "warning: %s\n", msg);
	if (r->cfg.pin == PIN_NONE && machine_check_status(&r->machine, "smt") == CHECK_WARN)
		fprintf(f, "note: unpinned on a machine with SMT: two workers may share a core "
		           "(--pin=spread or --pin=compact decides)\n");
	if (warn) {
		machine_checks_summary(&r->machine, msg, sizeof(msg));
		fprintf(f, "note: %u system check(s) WARN (%s): see concbench sysinfo --check\n",
		        warn, msg);
	}
}
