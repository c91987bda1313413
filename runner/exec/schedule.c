/* schedule.c - the cells loop of engine_run(): preparation, size
 * calibration (--min-rep-time), the seeded interleaved order, --precision
 * rounds within --max-time. */
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

/* splitmix64: the seeded shuffle of the rep order. */
static uint64_t mix64(uint64_t *s)
{
	return cb_mix64(*s += CB_GOLDEN64);
}

static void shuffle(unsigned *order, unsigned n, uint64_t seed)
{
	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)(mix64(&seed) % i), t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
}

/* Raise RLIMIT_NOFILE to its hard limit when a cell may hold more
 * descriptors than the soft limit allows (a task in flight may hold a
 * socket or a file: async's --inflight, a thread per worker), and say so. */
static void raise_nofile(const struct run *r)
{
	unsigned long need = 0;
	struct rlimit rl;

	for (unsigned i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		unsigned long n =
		    c->mode == MODE_ASYNC
		        ? (unsigned long)c->workers *
		              (r->cfg.inflight ? (unsigned long)r->cfg.inflight : c->ntasks)
		        : c->workers;

		if (n > c->ntasks)
			n = c->ntasks;
		if (n > need)
			need = n;
	}
	need += 64; /* the runner's own, a loop's epoll and timer, the server */
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		cb_note(
		    "open files: soft limit raised to the hard limit %llu for %lu tasks at once",
		    (unsigned long long)rl.rlim_max, need - 64);
}

static int prepare_all(struct run *r)
{
	raise_nofile(r);
	for (unsigned i = 0; i < r->ninst; i++) {
		struct instance *in = &r->inst[i];
		int rc = eng_prepare_instance(in);

		if (rc) {
			cb_errorf(in->wl->name, "%s", in->ctx.err[0] ? in->ctx.err : strerror(-rc));
			return rc == -EINVAL ? EXIT_USAGE : -1; /* -1: exit 1, no table, no CSV */
		}
	}
	return 0;
}

/* Undo eng_prepare_instance(), so the instance can be prepared again. */
static void unprepare_instance(struct instance *in)
{
	if (in->prepared && in->wl->cleanup)
		in->wl->cleanup(&in->ctx);
	if (in->res)
		cb_shm_free(in->res, in->cap * sizeof(*in->res));
	in->res = NULL;
	in->prepared = false;
	in->have_ref = false;
}

/* Unmeasured reps of c at size `size` on a freshly prepared instance: the
 * faster of two (the first runs cold: first touches of the inputs and of a
 * new pool, which would make a doubled size look no slower), or NaN when
 * one failed (the real reps will say why). */
static double trial_rep(struct run *r, struct cell *c, long size)
{
	struct instance *in = c->inst;
	struct cell_pool cp = {
	    .pool = NULL, .startup_s = NAN, .cold_s = NAN, .rss_base_kb = -1, .vm_base_kb = -1};
	struct rep_row row;
	double t = NAN;

	in->ctx.size = size;
	if (eng_prepare_instance(in) == 0)
		for (int k = 0; k < 2; k++) {
			if (eng_run_rep(r, c, &cp, &row) != 0 || c->failed) {
				t = NAN;
				break;
			}
			t = k && t < row.wall_s ? t : row.wall_s;
		}
	eng_stop_pool(c, &cp);
	unprepare_instance(in);
	c->failed = false;
	return t;
}

/* The size at which cell c's rep lasts at least `min_s`: its size times the
 * smallest power of two that gets there, so that the same command picks
 * the same size run after run (only a rep near a boundary can tip it).
 * Trial reps, each jumping as many doublings as the exponent of time in
 * size, guessed from the last two trials (taken as at least 1), says, at
 * most 6; the first trial doubles once. Stops at the size cap or after 8
 * trials; when a step's exponent is below 0.3 and the rep already lasts
 * 1/64 of min_s, the size does not drive the rep's time, and the size
 * asked for is kept. */
static long calibrated_size(struct run *r, struct cell *c, double min_s, bool *refused)
{
	const struct workload *w = c->inst->wl;
	long cap = w->sizes[2] * 64 > 0 ? w->sizes[2] * 64 : 1, size = c->inst->ctx.size, s0 = 0;
	double t0 = NAN;

	for (int trial = 0; trial < 8 && !cb_interrupted; trial++) {
		double t = trial_rep(r, c, size), expo = 1;
		int k = 1;

		if (cb_verbosity > 0)
			cb_note("--min-rep-time: %s %s at size %ld: %.6f s", w->name,
			        mode_names[c->mode], size, t);
		if (!(t > 0)) {
			/* a size the workload refuses (image.*: a side past
			 * 8192) or a failed rep: keep the last size that ran;
			 * when none did, the real reps say why */
			if (s0 > 0) {
				/* the largest power-of-two step below it that runs */
				while ((size >>= 1) > s0 && !cb_interrupted)
					if (trial_rep(r, c, size) > 0)
						break;
				if (size < s0)
					size = s0;
				*refused = true;
			}
			break;
		}
		if (t >= min_s || size >= cap)
			break;
		if (s0 > 0 && t0 > 0) {
			expo = log(t / t0) / log((double)size / (double)s0);
			if (!(expo > 0.3) && t > min_s / 64) {
				/* the size does not drive a rep that is already
				 * long (a bench dominated by something else):
				 * keep it. A tiny rep is mostly fixed costs, which
				 * hide the work's growth: it goes on doubling. */
				size = c->inst->size_from;
				break;
			}
			/* never assume the work grows slower than linearly when
			 * jumping (fixed costs make a small rep's exponent look
			 * small), and at most 64x a trial: one trial far past
			 * min_s (cpu.primes at its cap) would run for minutes */
			expo = expo < 1 ? 1 : expo > 4 ? 4 : expo;
			k = (int)ceil(log2(min_s / t) / expo);
			k = k < 1 ? 1 : k > 6 ? 6 : k;
		}
		s0 = size;
		t0 = t;
		size = size > cap >> k ? cap : size << k;
	}
	return size;
}

/* --min-rep-time: scale the size of every workload whose seq rep (a bench:
 * its first cell's rep) is shorter, on every instance of that workload, so
 * its cells stay one workload at one size. Only CPU workloads
 * (compute_only) and benches: an I/O workload's rep is its waits (sleep,
 * net.fetch: the size does not drive it) or its corpus (file.read: each
 * trial size would write a new corpus of files, and cold/warm cache state
 * is the point of its size), so it runs the size it was given. */
static void calibrate_sizes(struct run *r)
{
	double min_s = r->cfg.min_rep_time_s;

	if (!config_scales_sizes(&r->cfg))
		return;
	for (unsigned i = 0; i < r->ncells && !cb_interrupted; i++) {
		struct cell *c = &r->cells[i], *probe = c;
		long before = c->inst->ctx.size, size;
		bool done = false, refused = false;

		for (unsigned j = 0; j < i; j++)
			done |= r->cells[j].inst->wl == c->inst->wl;
		if (done || (c->inst->wl->kind == KIND_WORKLOAD && !c->inst->wl->compute_only))
			continue;
		for (unsigned j = i; j < r->ncells; j++)
			if (r->cells[j].inst->wl == c->inst->wl && r->cells[j].mode == MODE_SEQ) {
				probe = &r->cells[j];
				break;
			}
		size = calibrated_size(r, probe, min_s, &refused);
		for (unsigned j = 0; j < r->ninst; j++)
			if (r->inst[j].wl == c->inst->wl) {
				r->inst[j].ctx.size = size;
				r->inst[j].size_from = before;
			}
		for (unsigned j = 0; j < r->ncells; j++)
			if (r->cells[j].wl == c->inst->wl) {
				r->cells[j].size = size;
				r->cells[j].size_from = before;
				r->cells[j].calibrated = true;
				r->cells[j].size_refused = refused;
			}
	}
}

/* The wall-time summary of cell c's verified-so-far reps, but those set
 * aside (discarded). */
static void cell_wall(const struct cell *c, struct summary *s)
{
	double *w = calloc(c->nrows + 1, sizeof(*w));
	unsigned n = 0;

	for (unsigned k = 0; w && k < c->nrows; k++)
		if (c->rows[k].status == REP_OK && !c->rows[k].mech.discarded)
			w[n++] = c->rows[k].wall_s;
	stats_summarize(w ? w : (double[1]){0}, w ? n : 0, s);
	free(w);
}

/* After a round under --precision: close the cells that are precise (their
 * pools stop), then decide whether one more round of the others fits in
 * the budget; when it doesn't, they are left imprecise. Returns the number
 * of cells for the next round (0: stop). Grows the rows of those cells. */
static unsigned precision_next_round(struct run *r, struct cell_pool *cps, double t_start)
{
	double next_s = 0, now = cb_now();
	unsigned open = 0;

	for (unsigned i = 0; i < r->ncells; i++) {
		struct cell *c = &r->cells[i];
		struct summary s;

		if (c->prec != PREC_OPEN)
			continue;
		if (c->failed) {
			c->prec = PREC_OFF;
			continue;
		}
		cell_wall(c, &s);
		if (stats_is_precise(&s, r->cfg.precision)) {
			c->prec = PREC_MET;
			eng_stop_pool(c, &cps[i]);
			continue;
		}
		open++;
		/* a rep costs about its median, plus the checks around it */
		next_s += (s.n ? s.median : 0) + 1e-3;
	}
	for (unsigned i = 0; i < r->ncells && open; i++) {
		struct cell *c = &r->cells[i];

		if (c->prec != PREC_OPEN)
			continue;
		if (now + next_s > t_start + r->cfg.max_time_s || c->nrows >= CB_MAX_RUNS) {
			open = 0;
			break;
		}
		if (c->nrows + 1 >= c->cap) {
			unsigned cap = c->cap * 2;
			struct rep_row *rows = realloc(c->rows, cap * sizeof(*rows));

			if (!rows) {
				cb_errorf("--precision", "out of memory for more reps");
				open = 0;
				break;
			}
			memset(rows + c->cap, 0, (cap - c->cap) * sizeof(*rows));
			c->rows = rows;
			c->cap = cap;
		}
	}
	if (!open)
		for (unsigned i = 0; i < r->ncells; i++)
			if (r->cells[i].prec == PREC_OPEN)
				r->cells[i].prec = PREC_BUDGET;
	if (open && cb_verbosity > 0)
		cb_note("--precision: round %u: %u cell(s) not yet within %g%%", r->rounds + 1,
		        open, 100 * r->cfg.precision);
	return open;
}

/* Under --precision, whether one more of the fixed --runs rounds fits in
 * --max-time (a rep costs about its median so far). The first measured
 * round always runs; when the next does not fit, each cell is closed as
 * precise or out of budget, as after an added round. */
static bool fixed_round_fits(struct run *r, struct cell_pool *cps, double t_start)
{
	double next_s = 0;

	for (unsigned i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		struct summary s;

		if (c->failed)
			continue;
		cell_wall(c, &s);
		next_s += (s.n ? s.median : 0) + 1e-3;
	}
	if (cb_now() + next_s <= t_start + r->cfg.max_time_s)
		return true;
	for (unsigned i = 0; i < r->ncells; i++) {
		struct cell *c = &r->cells[i];
		struct summary s;

		if (c->prec != PREC_OPEN)
			continue;
		cell_wall(c, &s);
		c->prec = c->failed                                ? PREC_OFF
		          : stats_is_precise(&s, r->cfg.precision) ? PREC_MET
		                                                   : PREC_BUDGET;
		eng_stop_pool(c, &cps[i]);
	}
	return false;
}

int engine_run(struct run *r)
{
	unsigned fixed = (unsigned)(r->cfg.warmup + r->cfg.runs);
	unsigned *order = calloc(r->ncells, sizeof(*order));
	bool *early = calloc(r->ncells, sizeof(*early));
	struct cell_pool *cps = calloc(r->ncells, sizeof(*cps));
	bool precision = r->cfg.precision > 0;
	double t_start = cb_now();
	int rc = -1;

	if (!order || !early || !cps)
		goto out;
	for (unsigned i = 0; i < r->ncells; i++)
		cps[i].startup_s = cps[i].cold_s = NAN;
	for (unsigned k = 0; k < CPUCAL_MAX; k++)
		r->probe_best[k] = k < r->machine.cal_start.n ? r->machine.cal_start.fp_s[k] : NAN;
	calibrate_sizes(r);
	if (cb_interrupted) {
		rc = ENGINE_INTERRUPTED;
		goto out;
	}
	rc = prepare_all(r);
	if (rc)
		goto out;
	/* progress counts the fixed rounds; extra rounds extend it */
	progress_begin(fixed * r->ncells);
	for (unsigned round = 0;; round++) {
		bool measured = round >= r->cfg.warmup;
		unsigned rounds = fixed;

		if (round >= fixed) {
			if (!precision || !precision_next_round(r, cps, t_start))
				break;
			rounds = round + 1;
		} else if (precision && round > (unsigned)r->cfg.warmup &&
		           !fixed_round_fits(r, cps, t_start)) {
			if (cb_verbosity > 0)
				cb_note("--max-time: %u of the %ld --runs rounds fitted in %g s",
				        round - (unsigned)r->cfg.warmup, r->cfg.runs,
				        r->cfg.max_time_s);
			break;
		}
		r->rounds = round + 1;
		shuffle(order, r->ncells, r->cfg.seed * 0x100000001b3ULL + round);
		/* reference cells of a round run first while no reference exists yet,
		 * so the first warmup already yields the reference checksum. */
		for (unsigned k = 0; k < r->ncells; k++)
			early[k] = r->cells[k].is_ref && !r->cells[k].inst->have_ref;
		for (unsigned pass = 0; pass < 2; pass++) {
			for (unsigned k = 0; k < r->ncells; k++) {
				struct cell *c = &r->cells[order[k]];
				struct cell_pool *cp = &cps[order[k]];
				/* A warmup writes into the next row too: it is kept only
				 * when the cell fails, so the CSV records the failure. */
				struct rep_row *row = &c->rows[c->nrows];

				if ((pass == 0) != early[order[k]] || c->failed)
					continue;
				if (round >= fixed && c->prec != PREC_OPEN)
					continue; /* precise already: no more reps */
				progress_tick(round, rounds);
				if (c->inst->poisoned) {
					c->failed = true;
					eng_stop_pool(c, cp);
					cb_errorf(
					    c->inst->wl->name,
					    "%s, %u workers: skipped: a timed-out thread of this "
					    "workload still runs on its state",
					    mode_names[c->mode], c->workers);
					continue;
				}

				rc = eng_run_rep_steal(r, c, cp, row, measured);
				row = NULL; /* eng_run_rep_steal may have moved on */
				if (rc == 0 && cb_interrupted)
					rc = ENGINE_INTERRUPTED;
				if (rc < 0)
					goto out;
				if (measured || c->failed) {
					c->rows[c->nrows].rep = c->nrows;
					c->nrows++;
					if (!precision &&
					    c->nrows - c->ndiscarded == (unsigned)r->cfg.runs)
						eng_stop_pool(c, cp); /* its last rep */

					if (measured && trace_rep(r, c, c->inst->res)) {

						rc = -1;
						goto out;
					}
				}
				if (c->failed && r->cfg.fail_fast) {
					cb_note("--fail-fast: stopping after the first failure");
					goto done;
				}
				if (cb_verbosity > 0 && measured)
					fprintf(stderr, "concbench: %s %s w=%u rep %u: %.6f s %s\n",
					        c->inst->wl->name, mode_names[c->mode], c->workers,
					        c->nrows - 1, c->rows[c->nrows - 1].wall_s,
					        rep_status_names[c->rows[c->nrows - 1].status]);
			}
		}
	}
done:
	r->elapsed_s = cb_now() - t_start;
	eng_stop_all_pools(r, cps);
	r->load_end = machine_loadavg();
	engine_summarize(r);
	rc = r->failures ? EXIT_CHECK : 0;
out:
	eng_stop_all_pools(r, cps);
	progress_end();
	free(order);
	free(early);
	free(cps);
	return rc;
}
