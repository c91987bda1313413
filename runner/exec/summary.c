/* summary.c - per-cell statistics, speedups against the --baseline cell,
 * verification; and freeing what the engine built. */
#include "engine_int.h"
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "mech.h"
#include "placement.h"
#include "async.h"
#include "pool.h"
#include "progress.h"
#include "../out/trace.h"
#include "signals.h"
#include "../base/noise.h"
#include "../base/util.h"
#include "../mix.h"

/* The verified reps' sample a speedup compares: ops/s for benches (each
 * worker does --size operations, so the work grows with the workers), wall
 * time for workloads (the same work in every mode). *n gets the count;
 * NULL on ENOMEM. */
static double *speedup_sample(const struct cell *c, size_t *n)
{
	bool rates = c->inst->wl->kind == KIND_BENCH;
	double *x = malloc((c->nrows + 1) * sizeof(*x));

	*n = 0;
	for (unsigned k = 0; x && k < c->nrows; k++)
		if (c->rows[k].status == REP_OK && !c->rows[k].mech.discarded)
			x[(*n)++] = rates ? c->rows[k].ops_per_s : c->rows[k].wall_s;
	return x;
}

/* c's speedup over its seq baseline (stats_speedup); the baseline itself is
 * 1 by definition, with no interval. */
static void cell_speedup(struct cell *c)
{
	struct speedup sp = {NAN, NAN, NAN, NAN};
	size_t nb = 0, nc = 0;
	double *b = NULL, *x = NULL;

	c->speedup = c->speedup_lo = c->speedup_hi = c->speedup_conf = c->efficiency = NAN;
	if (!c->baseline || !c->baseline->wall.n || !c->wall.n)
		return;
	if (c->baseline == c) {
		c->speedup = 1;
		if (c->mode == MODE_SEQ)
			c->efficiency = 1;
		return;
	}
	b = speedup_sample(c->baseline, &nb);
	x = speedup_sample(c, &nc);
	if (b && x && stats_speedup(b, nb, x, nc, c->inst->wl->kind == KIND_BENCH, &sp) == 0) {
		c->speedup = sp.est;
		c->speedup_lo = sp.lo;
		c->speedup_hi = sp.hi;
		c->speedup_conf = sp.conf;
		/* per worker over one worker: only against a seq baseline */
		if (c->baseline->mode == MODE_SEQ)
			c->efficiency = sp.est / c->workers;
	}
	free(b);
	free(x);
}

/* When every verified rep of c was set aside (--max-slowdown under
 * --precision never re-runs one), they all count again, flagged in the
 * noisy column: a figure from disturbed reps, not none. */
static void keep_if_all_discarded(struct cell *c)
{
	for (unsigned k = 0; k < c->nrows; k++)
		if (c->rows[k].status == REP_OK && !c->rows[k].mech.discarded)
			return;
	for (unsigned k = 0; k < c->nrows; k++)
		c->rows[k].mech.discarded = false;
	c->ndiscarded = 0;
}

void engine_summarize(struct run *r)
{
	r->failures = 0;
	for (unsigned i = 0; i < r->ncells; i++) {
		struct cell *c = &r->cells[i];
		struct instance *in = c->inst;
		double *w = calloc(c->nrows + 1, sizeof(*w)), cpu = 0;
		unsigned n = 0;

		keep_if_all_discarded(c);
		c->all_verified = c->nrows > 0 && !c->failed;
		if (c->prec == PREC_OPEN)
			c->prec = c->failed ? PREC_OFF : PREC_BUDGET; /* stopped by --fail-fast */
		if (c->failed)
			r->failures++; /* even when it failed before a measured rep */
		for (unsigned k = 0; k < c->nrows; k++) {
			struct rep_row *row = &c->rows[k];

			if (row->status == REP_OK && in->wl->kind == KIND_WORKLOAD &&
			    (!in->have_ref || row->checksum != in->ref_checksum)) {
				row->status = REP_MISMATCH;
				if (!in->have_ref)
					snprintf(
					    row->error, sizeof(row->error),
					    "checksum %016llx: no reference (the %s cell did not "
					    "verify)",
					    (unsigned long long)row->checksum,
					    mode_names[r->cfg.baseline_mode]);
				else if (in->ref->mode == MODE_SEQ)
					snprintf(row->error, sizeof(row->error),
					         "checksum %016llx differs from seq %016llx",
					         (unsigned long long)row->checksum,
					         (unsigned long long)in->ref_checksum);
				else
					snprintf(row->error, sizeof(row->error),
					         "checksum %016llx differs from %s:%u %016llx",
					         (unsigned long long)row->checksum,
					         mode_names[in->ref->mode], in->ref->workers,
					         (unsigned long long)in->ref_checksum);
			}
			if (row->status != REP_OK) {
				c->all_verified = false;
				r->failures++;
				continue;
			}
			if (row->mech.discarded)
				continue; /* --max-steal: verified, but not in the statistics */
			if (w)
				w[n++] = row->wall_s;
			cpu += row->cpu_util;
		}
		if (!c->all_verified && c->nrows && c->rows[0].status == REP_MISMATCH)
			cb_errorf(in->wl->name, "%s, %u workers: %s", mode_names[c->mode],
			          c->workers, c->rows[0].error);
		stats_summarize(w ? w : (double[1]){0}, w ? n : 0, &c->wall);
		c->halfwidth = stats_rel_halfwidth(&c->wall);
		/* precise by the reps that also verified */
		if (c->prec == PREC_MET && !stats_is_precise(&c->wall, r->cfg.precision))
			c->prec = PREC_BUDGET;
		c->cpu_util = n ? cpu / n : NAN;
		free(w);
	}
	for (unsigned i = 0; i < r->ncells; i++)
		cell_speedup(&r->cells[i]);
}

void engine_free(struct run *r)
{
	for (unsigned i = 0; i < r->ninst; i++) {
		struct instance *in = &r->inst[i];

		if (in->poisoned)
			continue; /* a stuck thread still runs on it; exit reclaims it */
		if (in->prepared && in->wl->cleanup)
			in->wl->cleanup(&in->ctx);
		cb_shm_free(in->res, in->cap * sizeof(*in->res));
	}
	for (unsigned i = 0; i < r->ncells; i++)
		free(r->cells[i].rows);
	free(r->inst);
	free(r->cells);
	r->inst = NULL;
	r->cells = NULL;
}
