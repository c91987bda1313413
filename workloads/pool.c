/* pool.empty, pool.tiny - tasks that do (almost) nothing, so the makespan is
 * the cost of dispatching them: the thread pool and the process pool against
 * a new thread or a new process per task (modes thread-per-task and
 * fork-per-task). `tiny` spins for --task-us microseconds of wall time per
 * task (default 1), which also makes the --trace timeline readable
 * (`-w pool.tiny --task-us=100000 -t 7 -j 4`). */
#include <errno.h>

#include "../runner/concbench.h"
#include "../runner/mix.h"

static const struct wl_option tiny_opts[] = {
    {"task-us", "N", "1", "pool.tiny: microseconds of busy work per task", false},
    {0},
};

struct pool_state {
	double task_s;
};

static int empty_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	res->checksum = cb_mix64((ctx->seed ^ i) + CB_GOLDEN64);
	res->ops = 1;
	return 0;
}

static int tiny_prepare(struct wl_ctx *ctx)
{
	struct pool_state *st;
	long us;
	int rc = cb_opt_long(ctx, "task-us", 0, 60000000, &us);

	if (rc)
		return rc;
	st = cb_shm_alloc(sizeof(*st));
	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	st->task_s = (double)us * 1e-6;
	ctx->state = st;
	return 0;
}

/* Busy work for task_s of wall time; the checksum depends on i only, so
 * every mode agrees however long the spin took. */
static int tiny_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	const struct pool_state *st = ctx->state;
	double end = cb_now() + st->task_s;
	uint64_t x = ctx->seed ^ i;

	do {
		x = cb_mix64(x + CB_GOLDEN64);
		gil_check();
	} while (cb_now() < end);
	__asm__ volatile("" : : "r"(x));
	res->checksum = cb_mix64((ctx->seed ^ i) + CB_GOLDEN64) ^ 1;
	res->ops = 1;
	return 0;
}

static void tiny_cleanup(struct wl_ctx *ctx)
{
	cb_shm_free(ctx->state, sizeof(struct pool_state));
	ctx->state = NULL;
}

/* Dispatch figures from the task timestamps: makespan = the last task's end
 * on the rep clock. */
static int pool_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	double makespan = 0, busy = 0;
	unsigned n = ctx->ntasks;

	for (unsigned i = 0; i < n; i++) {
		if (res[i].ops != 1)
			return cb_error(ctx, 1, "task %u did not run", i);
		if (res[i].t_end > makespan)
			makespan = res[i].t_end;
		busy += res[i].t_end - res[i].t_start;
	}
	cb_metric(m, "tasks_per_s", makespan > 0 ? n / makespan : 0);
	cb_metric(m, "us_per_task", makespan * 1e6 / n);
	cb_metric(m, "overhead_us", (makespan * ctx->nworkers - busy) * 1e6 / n);
	return 0;
}

const struct workload pool_empty = {
    .name = "pool.empty",
    .summary = "tasks that do nothing: the dispatch cost of each mode per task",
    .kind = KIND_WORKLOAD,
    .family_default = true,
    .default_tasks = 20000,
    .sizes = {1, 1, 1},
    .size_unit = "(unused)",
    .ops_unit = "task",
    .run = empty_run,
    .verify = pool_verify,
};

const struct workload pool_tiny = {
    .name = "pool.tiny",
    .summary = "tasks of ~1 us busy work (--task-us): dispatch cost next to real work",
    .kind = KIND_WORKLOAD,
    .default_tasks = 20000,
    .sizes = {1, 1, 1},
    .size_unit = "(unused)",
    .ops_unit = "task",
    .options = tiny_opts,
    .prepare = tiny_prepare,
    .run = tiny_run,
    .verify = pool_verify,
    .cleanup = tiny_cleanup,
};
