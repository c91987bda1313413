/* engine.c - plan the cells, measure the reps, verify, summarise.
 *
 * Timed region of a rep: pool_run() only. A cell's pool is started at its
 * first rep (timed on its own: startup_s) and kept for all its reps, so the
 * first rep (cold_s, normally the warmup) pays the first touches and every
 * later rep runs on warm workers; per-task modes create their workers
 * inside pool_run(), which is their point.
 */
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

const char *const rep_status_names[] = {
    [REP_OK] = "ok",         [REP_MISMATCH] = "mismatch", [REP_CHECK_FAILED] = "check-failed",
    [REP_FAILED] = "failed", [REP_TIMEOUT] = "timeout",
};

_Atomic int eng_no_stop;

static bool wl_supports(const struct workload *w, enum cb_mode m)
{
	unsigned mask = w->modes ? w->modes : MODES_EVERY;

	return mask & MODE_BIT(m);
}

static struct instance *add_instance(struct run *r, const struct workload *w, long size,
                                     unsigned ntasks, unsigned cap)
{
	struct instance *in = &r->inst[r->ninst++];

	memset(in, 0, sizeof(*in));
	in->wl = w;
	in->cap = cap;
	in->ctx.wl = w;
	in->ctx.size = size;
	in->size_from = size;
	in->ctx.ntasks = ntasks;
	in->ctx.nworkers = cap;
	in->ctx.seed = r->cfg.seed;
	in->ctx.stop = &eng_no_stop;
	return in;
}

static void add_cell(struct run *r, struct instance *in, enum cb_mode m, unsigned workers,
                     unsigned ntasks, bool implicit)
{
	struct cell *c = &r->cells[r->ncells++];

	memset(c, 0, sizeof(*c));
	c->inst = in;
	c->wl = in->wl;
	c->size = in->ctx.size;
	c->size_from = in->ctx.size;
	c->inst_index = (unsigned)(in - r->inst);
	c->mode = m;
	c->workers = workers;
	c->ntasks = ntasks;
	c->implicit = implicit;
	c->cap = (unsigned)r->cfg.runs * (1 + MAX_STEAL_RERUNS);
	c->rows = calloc(c->cap, sizeof(*c->rows));
	c->prec = r->cfg.precision > 0 ? PREC_OPEN : PREC_OFF;
}

/* The workers of the --baseline cell of a plan whose cells have `first`
 * workers (the first --workers value). */
static unsigned baseline_workers(const struct cb_config *cfg)
{
	if (cfg->baseline_mode == MODE_SEQ)
		return 1;
	return cfg->baseline_workers ? cfg->baseline_workers : cfg->workers[0];
}

/* Refuse async for workloads without an async form. 0 or EXIT_USAGE. */
static int check_async(const struct cb_config *cfg)
{
	bool want = (cfg->modes & MODE_BIT(MODE_ASYNC)) ||
	            (!cfg->baseline_none && cfg->baseline_mode == MODE_ASYNC);

	for (unsigned i = 0; want && i < cfg->nwl; i++) {
		const struct workload *w = cfg->wl[i];

		if (!async_supported(w) || (w->kind == KIND_BENCH && !w->start)) {
			cb_errorf("--mode",
			          "async: %s has no async form (a start() on the event loop, or "
			          "compute-only CPU work run inline); choose other modes or "
			          "workloads (see `concbench list`)",
			          w->name);
			return EXIT_USAGE;
		}
	}
	return 0;
}

int engine_plan(struct run *r)
{
	struct cb_config *cfg = &r->cfg;
	size_t maxcells = (size_t)cfg->nwl * (MODE__COUNT * cfg->nworkers + 1);
	unsigned asked = 0, maxw = baseline_workers(cfg);
	enum cb_mode bm = cfg->baseline_mode;
	bool none = cfg->baseline_none;

	if (check_async(cfg))
		return EXIT_USAGE;
	r->inst = calloc(maxcells, sizeof(*r->inst));
	r->cells = calloc(maxcells, sizeof(*r->cells));
	if (!r->inst || !r->cells) {
		cb_errorf("run", "out of memory");
		return EXIT_USAGE;
	}
	for (unsigned j = 0; j < cfg->nworkers; j++)
		if (cfg->workers[j] > maxw)
			maxw = cfg->workers[j];
	for (unsigned i = 0; i < cfg->nwl; i++) {
		const struct workload *w = cfg->wl[i];
		bool bench = w->kind == KIND_BENCH;
		unsigned ntasks = cfg->tasks ? (unsigned)cfg->tasks : w->default_tasks;
		unsigned bw = baseline_workers(cfg);
		struct instance *shared = NULL, *seq_in;
		bool base_asked = false;
		long size;

		if (resolve_size(w, cfg->size, &size)) {
			cb_errorf("--size", "'%s': want small, medium, large or 1..%ld for %s",
			          cfg->size, w->sizes[2] * 64, w->name);
			return EXIT_USAGE;
		}
		if (!bench) {
			shared = add_instance(r, w, size, ntasks, ntasks);
			/* what prepare() sees: the most workers of any cell */
			shared->ctx.nworkers =
			    (cfg->modes & ~MODE_BIT(MODE_SEQ)) || (!none && bm != MODE_SEQ) ? maxw
			                                                                    : 1;
		}
		if (cfg->modes & MODE_BIT(MODE_SEQ)) {
			seq_in = bench ? add_instance(r, w, size, 1, 1) : shared;
			add_cell(r, seq_in, MODE_SEQ, 1, bench ? 1 : ntasks, false);
			asked++;
			base_asked |= !none && bm == MODE_SEQ;
		}
		for (int m = MODE_SEQ + 1; m < MODE__COUNT; m++) {
			if (!(cfg->modes & MODE_BIT(m)))
				continue;
			if (!wl_supports(w, (enum cb_mode)m)) {
				if (cb_verbosity > 0)
					cb_note("%s does not run in mode %s; skipped", w->name,
					        mode_names[m]);
				continue;
			}
			for (unsigned j = 0; j < cfg->nworkers; j++) {
				unsigned n = cfg->workers[j];
				struct instance *in =
				    bench ? add_instance(r, w, size, n, n) : shared;

				in->ctx.pshared = bench && (m == MODE_PROCS);
				add_cell(r, in, (enum cb_mode)m, n, bench ? n : ntasks, false);
				asked++;
				base_asked |= !none && m == (int)bm && n == bw;
			}
		}
		/* The --baseline cell of every workload, asked for or not. */
		if (!bench && !none && !base_asked) {
			if (!wl_supports(w, bm)) {
				cb_errorf("--baseline", "%s does not run in mode %s", w->name,
				          mode_names[bm]);
				return EXIT_USAGE;
			}
			add_cell(r, shared, bm, bw, ntasks, true);
		}
	}
	if (asked == 0) {
		cb_errorf("--mode", "none of the selected modes applies to the selected workloads "
		                    "(see `concbench list`)");
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < r->ncells; i++) {
		struct cell *c = &r->cells[i];

		if (!c->rows) {
			cb_errorf("run", "out of memory");
			return EXIT_USAGE;
		}
		if (none)
			continue;
		for (unsigned j = 0; j < r->ncells; j++) {
			struct cell *b = &r->cells[j];

			if (b->mode == bm &&
			    b->workers == (bm == MODE_SEQ ? 1 : baseline_workers(cfg)) &&
			    b->inst->wl == c->inst->wl && b->inst->ctx.size == c->inst->ctx.size &&
			    (c->inst->wl->kind == KIND_BENCH || b->inst == c->inst))
				c->baseline = b;
		}
		c->is_ref = c->baseline == c;
	}
	return 0;
}

int eng_prepare_instance(struct instance *in)
{
	int rc;

	in->res = cb_shm_alloc(in->cap * sizeof(*in->res));
	if (!in->res)
		return cb_error(&in->ctx, -ENOMEM, "task results: %s", strerror(errno));
	rc = in->wl->prepare ? in->wl->prepare(&in->ctx) : 0;
	if (rc == 0)
		in->prepared = true;
	return rc;
}
