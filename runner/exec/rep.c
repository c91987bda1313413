/* rep.c - one rep of one cell: its pool kept across reps, the clock, the
 * rusage and peak-RSS deltas, the mechanism figures, --max-steal re-runs. */
#include "engine_int.h"
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "inject.h"
#include "mech.h"
#include "placement.h"
#include "async.h"
#include "pool.h"
#include "progress.h"
#include "../out/trace.h"
#include "signals.h"
#include "../base/cpucal.h"
#include "../base/noise.h"
#include "../base/util.h"
#include "../mix.h"

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
void eng_stop_pool(struct cell *c, struct cell_pool *cp)
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
	in->ctx.stop = &eng_no_stop;
}

void eng_stop_all_pools(struct run *r, struct cell_pool *cps)
{
	for (unsigned i = 0; cps && i < r->ncells; i++)
		eng_stop_pool(&r->cells[i], &cps[i]);
}

/* The probe before a rep: every calibrated CPU when there are at most
 * this many (about 0.35 ms each), none on a bigger machine. */
#define PROBE_BEFORE_MAX 8

/* The floating-point probe of every calibrated CPU into before[] (indexed
 * like cal_start), the best times updated; NaN where not probed. */
static void probe_before(struct run *r, double *before)
{
	const struct cpucal *cal = &r->machine.cal_start;

	for (unsigned k = 0; k < CPUCAL_MAX; k++)
		before[k] = NAN;
	if (cal->n > PROBE_BEFORE_MAX)
		return;
	cpucal_probe(cal->cpu, cal->n, before);
	for (unsigned k = 0; k < cal->n; k++) {
		before[k] *= inject_probe_before_scale();
		r->probe_best[k] = fmin(r->probe_best[k], before[k]);
	}
}

/* How much slower the CPUs the rep's tasks started and ended on ran the
 * floating-point probe, just before the rep (before[], probe_before) or
 * right after it, than the best time in this run of any CPU of their
 * class (0.6: 60%), the best times updated; NaN when none of them was
 * calibrated. A host's busy SMT sibling slows a vCPU for seconds at a
 * time, so a rep is seen at both ends. */
static double probe_slowdown(struct run *r, const struct task_result *res, unsigned ntasks,
                             const double *before)
{
	const struct cpucal *cal = &r->machine.cal_start;
	short *slot = malloc(CPU_SETSIZE * sizeof(*slot));
	unsigned cpus[CPUCAL_MAX], idx[CPUCAL_MAX], n = 0;
	double t[CPUCAL_MAX], worst = NAN, scale;

	if (!slot)
		return NAN;
	for (unsigned i = 0; i < CPU_SETSIZE; i++)
		slot[i] = -1;
	for (unsigned k = 0; k < cal->n; k++)
		if (cal->cpu[k] < CPU_SETSIZE)
			slot[cal->cpu[k]] = (short)k;
	for (unsigned i = 0; i < ntasks && n < cal->n; i++)
		for (int e = 0; e < 2 && res[i].t_end > 0; e++) {
			unsigned cpu = e ? res[i].cpu_end : res[i].cpu_start;

			if (cpu >= CPU_SETSIZE || slot[cpu] < 0)
				continue;
			idx[n] = (unsigned)slot[cpu];
			cpus[n++] = cpu;
			slot[cpu] = -1; /* once */
		}
	free(slot);
	cpucal_probe(cpus, n, t);
	scale = inject_probe_scale();
	for (unsigned i = 0; i < n; i++) {
		t[i] *= scale;
		r->probe_best[idx[i]] = fmin(r->probe_best[idx[i]], t[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		double best = cpucal_class_best(cal, r->probe_best, idx[i]);

		worst = fmax(worst, t[i] / best - 1);
		worst = fmax(worst, before[idx[i]] / best - 1);
	}
	return worst;
}

/* The row's mechanism figures: the workers' sums (pool), the task clock,
 * steal of the mask's CPUs, the CPUs' slowdown, and whether the rep was
 * disturbed. */
static void fill_mech(struct rep_mech *m, const struct mech_counts *mc,
                      const struct task_result *res, const struct cell *c, double wall_s, long cpus,
                      double steal_s, double foreign_s, double slowdown)
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
	m->foreign_s = foreign_s < 0 ? 0 : foreign_s;
	m->foreign_share = cpus > 0 && wall_s > 0 ? m->foreign_s / ((double)cpus * wall_s) : NAN;
	m->cpu_slowdown = slowdown;
	m->noisy = noise_of_rep(m->runq_share, m->steal_share, m->foreign_share, m->foreign_s,
	                        slowdown, c->workers, (double)cpus);
}

/* Run one rep of cell c; fill row when measured (row may be NULL for a
 * warmup). The cell's pool is started at its first rep and kept. A failure
 * is recorded in the row, stops the pool and marks the cell failed.
 * Returns 0, or ENGINE_INTERRUPTED after SIGINT/SIGTERM. */

int eng_run_rep(struct run *r, struct cell *c, struct cell_pool *cp, struct rep_row *row)
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
	double t0, t1, steal0 = NAN, steal1 = NAN, busy0 = NAN, busy1 = NAN, slowdown;
	double before[CPUCAL_MAX];
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
	ctx->stop = &eng_no_stop;
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

	probe_before(r, before);
	rss_peak_reset();
	mech_cpu_read(&steal0, &busy0);
	if (r->cfg.cost_metrics)
		vm_sampler_start(&vs);
	getrusage(RUSAGE_SELF, &s0);
	getrusage(RUSAGE_CHILDREN, &c0);
	t0 = cb_now();
	rc = pool_run(cp->pool);
	t1 = cb_now();
	getrusage(RUSAGE_SELF, &s1);
	getrusage(RUSAGE_CHILDREN, &c1);
	mech_cpu_read(&steal1, &busy1);
	parent_peak = rss_peak_kb();
	vm_peak = r->cfg.cost_metrics ? vm_sampler_stop(&vs) : -1;
	if (!rc)
		rc = pool_usage_get(cp->pool, &pu);
	if (rc)
		goto failed;
	slowdown = probe_slowdown(r, in->res, c->ntasks, before);

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
	          steal1 - steal0, busy1 - busy0 - row->user_s - row->sys_s, slowdown);
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
	ctx->stop = &eng_no_stop;
	/* the reference: the --baseline cell's first verified rep; with
	 * --baseline=none the first verified rep of any cell */
	if ((c->is_ref || r->cfg.baseline_none) && !in->have_ref && row->status == REP_OK) {
		in->ref_checksum = row->checksum;
		in->ref = c;
		in->have_ref = true;
	}
	return 0;

failed:
	eng_stop_pool(c, cp);
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

/* Why a verified rep is set aside: "steal" (--max-steal), "slowdown"
 * (--max-slowdown) or NULL (kept). */
static const char *set_aside(const struct run *r, const struct rep_row *row)
{
	if (row->status != REP_OK)
		return NULL;
	if (r->cfg.max_steal > 0 && row->mech.steal_share > r->cfg.max_steal)
		return "steal";
	if (r->cfg.max_slowdown > 0 && row->mech.cpu_slowdown > r->cfg.max_slowdown)
		return "slowdown";
	return NULL;
}

int eng_run_rep_steal(struct run *r, struct cell *c, struct cell_pool *cp, struct rep_row *row,
                      bool measured)
{
	for (unsigned tries = 0;; tries++) {
		int rc = eng_run_rep(r, c, cp, row);
		const char *why = measured && !rc && !c->failed ? set_aside(r, row) : NULL;

		if (!why || tries == MAX_STEAL_RERUNS)
			return rc;
		row->mech.discarded = true;
		c->ndiscarded++;
		if (!strcmp(why, "steal"))
			cb_note("%s %s w=%u: a rep lost %.0f%% of the CPUs to steal (--max-steal); "
			        "discarded%s",
			        c->inst->wl->name, mode_names[c->mode], c->workers,
			        100 * row->mech.steal_share,
			        r->cfg.precision > 0 ? "" : ", run again");
		else if (cb_verbosity > 0)
			cb_note(
			    "%s %s w=%u: a rep's CPU ran the probe around it %.0f%% slower than "
			    "the best of its kind (--max-slowdown); discarded%s",
			    c->inst->wl->name, mode_names[c->mode], c->workers,
			    100 * row->mech.cpu_slowdown,
			    r->cfg.precision > 0 ? "" : ", run again");
		/* --precision adds rounds instead: a neighbour busy now is likely
		 * still busy a rep later */
		if (r->cfg.precision > 0)
			return rc;
		row->rep = c->nrows++;
		row = &c->rows[c->nrows];
	}
}
