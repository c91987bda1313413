/* engine.c - plan the cells, measure the reps, verify, summarise.
 *
 * Timed region of a rep: pool_run() only. A cell's pool is started at its
 * first rep (timed on its own: startup_s) and kept for all its reps, so the
 * first rep (cold_s, normally the warmup) pays the first touches and every
 * later rep runs on warm workers; per-task modes create their workers
 * inside pool_run(), which is their point.
 */
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

static _Atomic int no_stop;

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
	in->ctx.stop = &no_stop;
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

static int prepare_instance(struct instance *in)
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

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

static uint64_t combine_checksums(const struct task_result *res, unsigned n)
{
	XXH3_state_t *st = XXH3_createState();
	uint64_t h;

	XXH3_64bits_reset(st);
	for (unsigned i = 0; i < n; i++)
		XXH3_64bits_update(st, &res[i].checksum, sizeof(res[i].checksum));
	h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return h;
}

static void task_percentiles(const struct task_result *res, unsigned n, double *p50, double *p99)
{
	double *d = malloc(n * sizeof(*d));

	*p50 = *p99 = NAN;
	if (!d)
		return;
	for (unsigned i = 0; i < n; i++)
		d[i] = res[i].t_end - res[i].t_start;
	stats_sort(d, n);
	*p50 = stats_quantile(d, n, 0.50);
	*p99 = stats_quantile(d, n, 0.99);
	free(d);
}

static void utc_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A cell's pool and what it cost, kept by the engine for the cell's life. */
struct cell_pool {
	struct pool *pool; /* alive from the cell's first rep to its last */
	double startup_s; /* pool_start(); NAN before */
	double cold_s; /* makespan of the pool's first rep; NAN before */
	long rss_base_kb, vm_base_kb; /* VmRSS, VmSize before the pool started */
};

/* VmRSS and VmSize of this process in KiB (-1 when /proc can't say). */
static void vm_now(long *rss_kb, long *size_kb)
{
	FILE *f = fopen("/proc/self/statm", "re");
	long pages = sysconf(_SC_PAGESIZE) / 1024, size = -1, rss = -1;

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &rss) != 2)
			size = rss = -1;
		fclose(f);
	}
	*rss_kb = rss < 0 ? -1 : rss * pages;
	*size_kb = size < 0 ? -1 : size * pages;
}

/* Samples VmSize during a rep: its peak is the committed address space
 * while the tasks are in flight (VmPeak can't be reset per rep). */
struct vm_sampler {
	pthread_t th;
	_Atomic int quit;
	_Atomic long peak_kb;
	bool running;
};

static void *vm_sample(void *arg)
{
	struct vm_sampler *v = arg;

	while (!atomic_load(&v->quit)) {
		long rss, size;

		vm_now(&rss, &size);
		if (size > atomic_load(&v->peak_kb))
			atomic_store(&v->peak_kb, size);
		nanosleep(&(struct timespec){0, 5000000}, NULL);
	}
	return NULL;
}

static void vm_sampler_start(struct vm_sampler *v)
{
	atomic_init(&v->quit, 0);
	atomic_init(&v->peak_kb, -1);
	v->running = pthread_create(&v->th, NULL, vm_sample, v) == 0;
}

static long vm_sampler_stop(struct vm_sampler *v)
{
	if (!v->running)
		return -1;
	atomic_store(&v->quit, 1);
	pthread_join(v->th, NULL);
	return atomic_load(&v->peak_kb);
}

/* Tasks of cell c in flight at once at most. */
static unsigned cell_concurrency(const struct run *r, const struct cell *c)
{
	unsigned long n = c->workers;

	if (c->mode == MODE_ASYNC)
		n *= r->cfg.inflight ? (unsigned long)r->cfg.inflight : c->ntasks;
	if (c->mode == MODE_SEQ)
		n = 1;
	return (unsigned)(n < c->ntasks ? n : c->ntasks);
}

/* Memory per task in flight and CPU per op, added to the row's metrics:
 * the cell's pool and tasks above what the process held before the pool
 * started, over the concurrency (procs: the largest worker's own peak, as
 * a worker holds one task at a time). */
static void add_cost_metrics(const struct run *r, const struct cell *c, const struct cell_pool *cp,
                             struct rep_row *row, long vm_peak_kb)
{
	double k = cell_concurrency(r, c);

	if (c->mode == MODE_PROCS || c->mode == MODE_FORK_PER_TASK) {
		cb_metric(&row->metrics, "rss_per_task_kb", (double)row->max_rss_kb);
	} else if (cp->rss_base_kb >= 0 && row->max_rss_kb >= 0) {
		cb_metric(&row->metrics, "rss_per_task_kb",
		          (double)(row->max_rss_kb - cp->rss_base_kb) / k);
		if (vm_peak_kb >= 0 && cp->vm_base_kb >= 0)
			cb_metric(&row->metrics, "vm_per_task_kb",
			          (double)(vm_peak_kb - cp->vm_base_kb) / k);
	}
	if (row->ops > 0)
		cb_metric(&row->metrics, "cpu_per_op_us",
		          (row->user_s + row->sys_s) / row->ops * 1e6);
}

/* Stop cell c's pool, if it has one. A thread that can't be stopped still
 * uses the instance: its memory is left alone and nothing more of it runs. */
static void stop_pool(struct cell *c, struct cell_pool *cp)
{
	struct instance *in = c->inst;

	if (!cp->pool)
		return;
	if (pool_stop(cp->pool)) {
		in->poisoned = true;
		cb_errorf(in->wl->name,
		          "%s: a worker thread could not be stopped; its state is abandoned "
		          "until exit",
		          mode_names[c->mode]);
	}
	cp->pool = NULL;
	in->ctx.stop = &no_stop;
}

static void stop_all_pools(struct run *r, struct cell_pool *cps)
{
	for (unsigned i = 0; cps && i < r->ncells; i++)
		stop_pool(&r->cells[i], &cps[i]);
}

/* The row's mechanism figures: the workers' sums (pool), the task clock,
 * steal of the mask's CPUs, and whether the rep was disturbed. */
static void fill_mech(struct rep_mech *m, const struct mech_counts *mc,
                      const struct task_result *res, const struct cell *c, double wall_s, long cpus,
                      double steal_s)
{
	struct mech_tasks t;
	double w = c->workers * wall_s;

	memset(m, 0, sizeof(*m));
	m->workers = mc->workers;
	m->run_s = mc->workers ? mc->run_s : NAN;
	m->runq_s = mc->workers ? mc->runq_s : NAN;
	m->user_s = mc->workers ? mc->user_s : NAN;
	m->sys_s = mc->workers ? mc->sys_s : NAN;
	m->nvcsw = mc->workers ? mc->nvcsw : -1;
	m->nivcsw = mc->workers ? mc->nivcsw : -1;
	m->minflt = mc->workers ? mc->minflt : -1;
	m->majflt = mc->workers ? mc->majflt : -1;
	m->migrations = mc->workers ? mc->migrations : -1;
	m->instructions = mc->workers ? mc->instructions : -1;
	m->cycles = mc->workers ? mc->cycles : -1;
	m->cache_misses = mc->workers ? mc->cache_misses : -1;
	m->src = mc->workers ? mech_src_names[mc->src] : "";
	mech_tasks(res, c->ntasks, c->mode == MODE_SEQ ? 1 : c->workers, wall_s, &t);
	m->busy_s = t.busy_s;
	m->imbalance_s = t.imbalance_s;
	m->dispatch_s = t.dispatch_s;
	m->tail_span_s = t.tail_span_s;
	m->steal_s = steal_s;
	m->runq_share = w > 0 ? m->runq_s / w : NAN;
	m->steal_share = cpus > 0 && wall_s > 0 ? steal_s / ((double)cpus * wall_s) : NAN;
	m->noisy = noise_of_rep(m->runq_share, m->steal_share, c->workers, (double)cpus);
}

/* Run one rep of cell c; fill row when measured (row may be NULL for a
 * warmup). The cell's pool is started at its first rep and kept. A failure
 * is recorded in the row, stops the pool and marks the cell failed.
 * Returns 0, or ENGINE_INTERRUPTED after SIGINT/SIGTERM. */

static int run_rep(struct run *r, struct cell *c, struct cell_pool *cp, struct rep_row *row)
{
	struct instance *in = c->inst;
	struct wl_ctx *ctx = &in->ctx;
	struct pool_params pp = {
	    .mode = c->mode,
	    .nworkers = c->workers,
	    .ntasks = c->ntasks,
	    .bench = in->wl->kind == KIND_BENCH,
	    .pin = r->cfg.pin,
	    .timeout_s = r->cfg.timeout_s,
	    .inflight = (unsigned)r->cfg.inflight,
	    .ctx = ctx,
	    .res = in->res,
	};
	struct rusage s0, s1, c0, c1;
	struct vm_sampler vs = {0};
	long vm_peak;
	struct pool_usage pu;
	struct rep_row tmp;
	double t0, t1, steal0 = NAN, steal1 = NAN;
	long parent_peak;
	bool cold;
	int rc;

	if (!row)
		row = &tmp;
	memset(row, 0, sizeof(*row));
	ctx->mode = c->mode;
	ctx->nworkers = c->workers;
	ctx->ntasks = c->ntasks;
	ctx->pshared = pp.bench && c->mode == MODE_PROCS;
	ctx->transport_pipe = c->mode == MODE_PROCS && strcmp(r->cfg.transport, "pipe") == 0;
	ctx->worker = 0;
	ctx->err[0] = '\0';
	ctx->stop = &no_stop;
	memset(in->res, 0, in->cap * sizeof(*in->res));
	utc_stamp(row->timestamp, sizeof(row->timestamp));
	row->loadavg = machine_loadavg();

	rc = in->wl->reset ? in->wl->reset(ctx) : 0;
	if (rc)
		goto failed;
	if (c->mode == MODE_GIL) {
		gil_set_interval(r->cfg.switch_interval_s);
		gil_reset();
	}
	cold = !cp->pool;
	if (cold) {
		double ts;

		vm_now(&cp->rss_base_kb, &cp->vm_base_kb);
		ts = cb_now();
		rc = pool_start(&cp->pool, &pp);
		cp->startup_s = cb_now() - ts;
		if (rc)
			goto failed;
	}
	row->startup_s = cp->startup_s;

	rss_peak_reset();
	mech_steal_read(&steal0);
	if (r->cfg.cost_metrics)
		vm_sampler_start(&vs);
	getrusage(RUSAGE_SELF, &s0);
	getrusage(RUSAGE_CHILDREN, &c0);
	t0 = cb_now();
	rc = pool_run(cp->pool);
	t1 = cb_now();
	getrusage(RUSAGE_SELF, &s1);
	getrusage(RUSAGE_CHILDREN, &c1);
	mech_steal_read(&steal1);
	parent_peak = rss_peak_kb();
	vm_peak = r->cfg.cost_metrics ? vm_sampler_stop(&vs) : -1;
	if (!rc)
		rc = pool_usage_get(cp->pool, &pu);
	if (rc)
		goto failed;

	row->wall_s = t1 - t0;
	if (cold)
		cp->cold_s = row->wall_s;
	row->cold_s = cp->cold_s;
	row->user_s = tv_s(s1.ru_utime) - tv_s(s0.ru_utime) + pu.user_s;
	row->sys_s = tv_s(s1.ru_stime) - tv_s(s0.ru_stime) + pu.sys_s;
	row->nvcsw = s1.ru_nvcsw - s0.ru_nvcsw + pu.nvcsw;
	row->nivcsw = s1.ru_nivcsw - s0.ru_nivcsw + pu.nivcsw;
	/* the rep's own peak; the lifetime peak where /proc can't say */
	row->max_rss_kb = parent_peak >= 0 ? parent_peak : s1.ru_maxrss;
	if (pu.maxrss_kb > row->max_rss_kb)
		row->max_rss_kb = pu.maxrss_kb;
	if (c->mode == MODE_FORK_PER_TASK) {
		row->user_s += tv_s(c1.ru_utime) - tv_s(c0.ru_utime);
		row->sys_s += tv_s(c1.ru_stime) - tv_s(c0.ru_stime);
		row->nvcsw += c1.ru_nvcsw - c0.ru_nvcsw;
		row->nivcsw += c1.ru_nivcsw - c0.ru_nivcsw;
	}
	row->cpu_util = row->wall_s > 0 ? (row->user_s + row->sys_s) / row->wall_s : NAN;
	fill_mech(&row->mech, &pu.mech, in->res, c, row->wall_s, r->machine.cpus_affinity,
	          steal1 - steal0);
	for (unsigned i = 0; i < c->ntasks; i++)
		row->ops += in->res[i].ops;
	row->ops_per_s = row->wall_s > 0 ? row->ops / row->wall_s : NAN;
	task_percentiles(in->res, c->ntasks, &row->task_p50_s, &row->task_p99_s);
	placement_describe(in->res, c->ntasks, c->workers, row->worker_cpus,
	                   sizeof(row->worker_cpus), &row->cpu_changes);
	if (c->mode == MODE_GIL)
		gil_stats_get(&row->gil);
	row->checksum = combine_checksums(in->res, c->ntasks);
	row->status = REP_OK;
	if (in->wl->verify) {
		rc = in->wl->verify(ctx, in->res, &row->metrics);
		if (rc) {
			row->status = REP_CHECK_FAILED;
			snprintf(row->error, sizeof(row->error), "%s",
			         ctx->err[0] ? ctx->err : "check failed");
		}
	}
	if (r->cfg.cost_metrics)
		add_cost_metrics(r, c, cp, row, vm_peak);
	ctx->stop = &no_stop;
	/* the reference: the --baseline cell's first verified rep; with
	 * --baseline=none the first verified rep of any cell */
	if ((c->is_ref || r->cfg.baseline_none) && !in->have_ref && row->status == REP_OK) {
		in->ref_checksum = row->checksum;
		in->ref = c;
		in->have_ref = true;
	}
	return 0;

failed:
	stop_pool(c, cp);
	if (rc == -EINTR && cb_interrupted)
		return ENGINE_INTERRUPTED;
	row->status = rc == -ETIMEDOUT ? REP_TIMEOUT : REP_FAILED;
	row->startup_s = cp->startup_s;
	row->cold_s = cp->cold_s;
	snprintf(row->error, sizeof(row->error), "%s", ctx->err[0] ? ctx->err : strerror(-rc));
	cb_errorf(in->wl->name, "%s, %u workers: %s", mode_names[c->mode], c->workers, row->error);
	c->failed = true;
	return 0;
}

/* run_rep into c->rows[c->nrows]; a measured rep that lost more than
 * --max-steal of the CPUs to steal is kept as a discarded row and run
 * again, at most MAX_STEAL_RERUNS times (then it stays, flagged noisy). */
static int run_rep_steal(struct run *r, struct cell *c, struct cell_pool *cp, struct rep_row *row,
                         bool measured)
{
	for (unsigned tries = 0;; tries++) {
		int rc = run_rep(r, c, cp, row);

		if (rc || !measured || c->failed || !(r->cfg.max_steal > 0) ||
		    row->status != REP_OK || !(row->mech.steal_share > r->cfg.max_steal) ||
		    tries == MAX_STEAL_RERUNS)
			return rc;
		row->mech.discarded = true;
		row->rep = c->nrows++;
		c->ndiscarded++;
		cb_note("%s %s w=%u: a rep lost %.0f%% of the CPUs to steal (--max-steal); "
		        "discarded, run again",
		        c->inst->wl->name, mode_names[c->mode], c->workers,
		        100 * row->mech.steal_share);
		row = &c->rows[c->nrows];
	}
}

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
		int rc = prepare_instance(in);

		if (rc) {
			cb_errorf(in->wl->name, "%s", in->ctx.err[0] ? in->ctx.err : strerror(-rc));
			return rc == -EINVAL ? EXIT_USAGE : -1; /* -1: exit 1, no table, no CSV */
		}
	}
	return 0;
}

/* Undo prepare_instance(), so the instance can be prepared again. */
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

/* One unmeasured rep of c at size `size` on a freshly prepared instance:
 * its wall time, or NaN when it failed (the real reps will say why). */
static double trial_rep(struct run *r, struct cell *c, long size)
{
	struct instance *in = c->inst;
	struct cell_pool cp = {
	    .pool = NULL, .startup_s = NAN, .cold_s = NAN, .rss_base_kb = -1, .vm_base_kb = -1};
	struct rep_row row;
	double t = NAN;

	in->ctx.size = size;
	if (prepare_instance(in) == 0 && run_rep(r, c, &cp, &row) == 0 && !c->failed)
		t = row.wall_s;
	stop_pool(c, &cp);
	unprepare_instance(in);
	c->failed = false;
	return t;
}

/* The size at which cell c's rep lasts at least `min_s`: its size times the
 * smallest power of two that gets there, so that the same command picks
 * the same size run after run (only a rep near a boundary can tip it).
 * Trial reps, each jumping as many doublings as the exponent of time in
 * size, guessed from the last two trials, says; the first trial doubles
 * once. Stops at the size cap or after 8 trials; when a step's exponent is
 * below 0.3 the size does not drive the rep's time, and the size asked for
 * is kept. */
static long calibrated_size(struct run *r, struct cell *c, double min_s)
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
		if (!(t > 0) || t >= min_s || size >= cap)
			break;
		if (s0 > 0 && t0 > 0) {
			expo = log(t / t0) / log((double)size / (double)s0);
			if (!(expo > 0.3)) {
				/* the size does not drive the time (a bench whose
				 * rep is dominated by something else): keep it */
				size = c->inst->size_from;
				break;
			}
			expo = expo > 4 ? 4 : expo;
			k = (int)ceil(log2(min_s / t) / expo);
			k = k < 1 ? 1 : k > 20 ? 20 : k;
		}
		s0 = size;
		t0 = t;
		size = size > cap >> k ? cap : size << k;
	}
	return size;
}

/* --min-rep-time: scale the size of every workload whose seq rep (a bench:
 * its first cell's rep) is shorter, on every instance of that workload, so
 * its cells stay one workload at one size. */
static void calibrate_sizes(struct run *r)
{
	double min_s = r->cfg.min_rep_time_s;

	if (!config_scales_sizes(&r->cfg))
		return;
	for (unsigned i = 0; i < r->ncells && !cb_interrupted; i++) {
		struct cell *c = &r->cells[i], *probe = c;
		long before = c->inst->ctx.size, size;
		bool done = false;

		for (unsigned j = 0; j < i; j++)
			done |= r->cells[j].inst->wl == c->inst->wl;
		if (done)
			continue;
		for (unsigned j = i; j < r->ncells; j++)
			if (r->cells[j].inst->wl == c->inst->wl && r->cells[j].mode == MODE_SEQ) {
				probe = &r->cells[j];
				break;
			}
		size = calibrated_size(r, probe, min_s);
		for (unsigned j = 0; j < r->ninst; j++)
			if (r->inst[j].wl == c->inst->wl) {
				r->inst[j].ctx.size = size;
				r->inst[j].size_from = before;
			}
		for (unsigned j = 0; j < r->ncells; j++)
			if (r->cells[j].wl == c->inst->wl) {
				r->cells[j].size = size;
				r->cells[j].size_from = before;
			}
	}
}

/* The wall-time summary of cell c's verified-so-far reps. */
static void cell_wall(const struct cell *c, struct summary *s)
{
	double *w = calloc(c->nrows + 1, sizeof(*w));
	unsigned n = 0;

	for (unsigned k = 0; w && k < c->nrows; k++)
		if (c->rows[k].status == REP_OK)
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
			stop_pool(c, &cps[i]);
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
					stop_pool(c, cp);
					cb_errorf(
					    c->inst->wl->name,
					    "%s, %u workers: skipped: a timed-out thread of this "
					    "workload still runs on its state",
					    mode_names[c->mode], c->workers);
					continue;
				}

				rc = run_rep_steal(r, c, cp, row, measured);
				row = NULL; /* run_rep_steal may have moved on */
				if (rc == 0 && cb_interrupted)
					rc = ENGINE_INTERRUPTED;
				if (rc < 0)
					goto out;
				if (measured || c->failed) {
					c->rows[c->nrows].rep = c->nrows;
					c->nrows++;
					if (!precision &&
					    c->nrows - c->ndiscarded == (unsigned)r->cfg.runs)
						stop_pool(c, cp); /* its last rep */

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
	stop_all_pools(r, cps);
	r->load_end = machine_loadavg();
	engine_summarize(r);
	rc = r->failures ? EXIT_CHECK : 0;
out:
	stop_all_pools(r, cps);
	progress_end();
	free(order);
	free(early);
	free(cps);
	return rc;
}

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
		if (c->rows[k].status == REP_OK)
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

void engine_summarize(struct run *r)
{
	r->failures = 0;
	for (unsigned i = 0; i < r->ncells; i++) {
		struct cell *c = &r->cells[i];
		struct instance *in = c->inst;
		double *w = calloc(c->nrows + 1, sizeof(*w)), cpu = 0;
		unsigned n = 0;

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
