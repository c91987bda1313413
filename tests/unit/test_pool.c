/* Pool dispatch: every task runs exactly once, in every mode, whatever the
 * ratio of tasks to workers; a task's error and a dead worker are reported. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../../runner/exec/pool.h"

struct counts {
	_Atomic unsigned ran[4096];
	_Atomic int fail_task; /* run returns -EIO for this task; -1 none */
	_Atomic int kill_task; /* this task kills its own process; -1 none */
};

static int count_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct counts *c = ctx->state;

	atomic_fetch_add(&c->ran[i], 1);
	if ((int)i == atomic_load(&c->kill_task))
		raise(SIGKILL);
	if ((int)i == atomic_load(&c->fail_task))
		return cb_error(ctx, -EIO, "task %u failed on purpose", i);
	res->checksum = i * 2654435761u;
	res->ops = 1;
	return 0;
}

static const struct workload counting = {
    .name = "test.count", .kind = KIND_WORKLOAD, .run = count_run};

static int run_mode(enum cb_mode mode, unsigned workers, unsigned tasks, struct counts *c,
                    struct task_result *res, char *err)
{
	_Atomic int no_stop = 0;
	struct wl_ctx ctx = {
	    .wl = &counting, .ntasks = tasks, .nworkers = workers, .state = c, .stop = &no_stop};
	struct pool_params pp = {.mode = mode,
	                         .nworkers = workers,
	                         .ntasks = tasks,
	                         .ctx = &ctx,
	                         .res = res,
	                         /* a hang guard, not a speed limit: 1000 forks
	                          * take over 10 s on a loaded 2-CPU VM */
	                         .timeout_s = 120};
	struct pool *p;
	int rc = pool_start(&p, &pp);

	if (rc == 0) {
		rc = pool_run(p);
		cr_assert_eq(pool_stop(p), 0);
	}
	if (err)
		strcpy(err, ctx.err);
	return rc;
}

static struct counts *new_counts(void)
{
	struct counts *c = cb_shm_alloc(sizeof(*c));

	cr_assert_not_null(c);
	atomic_store(&c->fail_task, -1);
	atomic_store(&c->kill_task, -1);
	return c;
}

static void check_once(enum cb_mode mode, unsigned workers, unsigned tasks)
{
	struct counts *c = new_counts();
	struct task_result *res = cb_shm_alloc(tasks * sizeof(*res));

	cr_assert_eq(run_mode(mode, workers, tasks, c, res, NULL), 0, "mode %d", mode);
	for (unsigned i = 0; i < tasks; i++) {
		cr_assert_eq(atomic_load(&c->ran[i]), 1, "mode %d w=%u t=%u: task %u ran %u times",
		             mode, workers, tasks, i, atomic_load(&c->ran[i]));
		cr_assert_eq(res[i].checksum, i * 2654435761u);
		cr_assert(res[i].worker < workers);
		cr_assert(res[i].t_end >= res[i].t_start);
	}
	cb_shm_free(res, tasks * sizeof(*res));
	cb_shm_free(c, sizeof(*c));
}

static const enum cb_mode all_modes[] = {MODE_SEQ, MODE_THREADS, MODE_PROCS, MODE_THREAD_PER_TASK,
                                         MODE_FORK_PER_TASK};

Test(pool, every_task_once_more_tasks_than_workers)
{
	for (unsigned m = 0; m < 5; m++)
		check_once(all_modes[m], all_modes[m] == MODE_SEQ ? 1 : 3, 1000);
}

Test(pool, every_task_once_more_workers_than_tasks)
{
	for (unsigned m = 1; m < 5; m++)
		check_once(all_modes[m], 8, 3);
}

Test(pool, one_task)
{
	for (unsigned m = 0; m < 5; m++)
		check_once(all_modes[m], 1, 1);
	for (unsigned m = 1; m < 5; m++)
		check_once(all_modes[m], 4, 1);
}

Test(pool, task_error_is_reported_in_every_mode)
{
	for (unsigned m = 0; m < 5; m++) {
		struct counts *c = new_counts();
		struct task_result res[64];
		char err[256];

		atomic_store(&c->fail_task, 5);
		cr_assert_eq(run_mode(all_modes[m], 2, 64, c, res, err), -EIO, "mode %d", m);
		cr_assert(strstr(err, "task 5 failed on purpose"), "mode %d: err '%s'", m, err);
		cb_shm_free(c, sizeof(*c));
	}
}

Test(pool, dead_worker_process_is_reported_with_its_task)
{
	enum cb_mode modes[] = {MODE_PROCS, MODE_FORK_PER_TASK};

	for (unsigned m = 0; m < 2; m++) {
		struct counts *c = new_counts();
		struct task_result res[16];
		char err[256];

		atomic_store(&c->kill_task, 7);
		cr_assert_eq(run_mode(modes[m], 2, 16, c, res, err), -ECHILD);
		cr_assert(strstr(err, "died (signal 9) during task 7"), "err '%s'", err);
		cb_shm_free(c, sizeof(*c));
	}
}

/* --- a pool lives across the reps of its cell --- */

#define REPS 4

struct ids {
	_Atomic long who[REPS][64]; /* pid or tid that ran task i in rep r */
	_Atomic unsigned rep;
	_Atomic unsigned inits, finis, init_fail_worker; /* 0: none fails */
	_Atomic unsigned ran[64];
};

static int id_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct ids *d = ctx->state;

	atomic_store(&d->who[atomic_load(&d->rep)][i], (long)gettid());
	atomic_fetch_add(&d->ran[i], 1);
	cr_assert_not_null(ctx->wstate, "run() before worker_init()");
	res->checksum = i;
	return 0;
}

static int id_init(struct wl_ctx *ctx)
{
	struct ids *d = ctx->state;

	atomic_fetch_add(&d->inits, 1);
	if (atomic_load(&d->init_fail_worker) == ctx->worker + 1)
		return cb_error(ctx, -ENOTCONN, "no connection for worker %u", ctx->worker);
	ctx->wstate = ctx; /* anything not NULL */
	return 0;
}

static void id_fini(struct wl_ctx *ctx)
{
	struct ids *d = ctx->state;

	cr_assert_not_null(ctx->wstate);
	atomic_fetch_add(&d->finis, 1);
}

static const struct workload ids_wl = {.name = "test.ids",
                                       .kind = KIND_WORKLOAD,
                                       .run = id_run,
                                       .worker_init = id_init,
                                       .worker_fini = id_fini};

/* Start one pool and run REPS reps on it. */
static int run_reps(enum cb_mode mode, unsigned workers, unsigned tasks, bool bench, struct ids *d,
                    char *err)
{
	_Atomic int no_stop = 0;
	struct wl_ctx ctx = {
	    .wl = &ids_wl, .ntasks = tasks, .nworkers = workers, .state = d, .stop = &no_stop};
	struct task_result *res = cb_shm_alloc(tasks * sizeof(*res));
	struct pool_params pp = {.mode = mode,
	                         .nworkers = workers,
	                         .ntasks = tasks,
	                         .bench = bench,
	                         .ctx = &ctx,
	                         .res = res,
	                         .timeout_s = 10};
	struct pool *p;
	int rc = pool_start(&p, &pp);

	for (unsigned r = 0; r < REPS && rc == 0; r++) {
		struct pool_usage u;

		atomic_store(&d->rep, r);
		rc = pool_run(p);
		if (rc == 0)
			rc = pool_usage_get(p, &u);
	}
	if (p)
		cr_assert_eq(pool_stop(p), 0);
	if (err)
		strcpy(err, ctx.err);
	cb_shm_free(res, tasks * sizeof(*res));
	return rc;
}

/* The set of ids that ran rep r. */
static unsigned ids_of_rep(struct ids *d, unsigned r, unsigned tasks, long *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tasks; i++) {
		long id = atomic_load(&d->who[r][i]);
		bool seen = false;

		for (unsigned k = 0; k < n; k++)
			seen |= out[k] == id;
		if (!seen)
			out[n++] = id;
	}
	return n;
}

Test(pool, pooled_workers_live_across_reps)
{
	enum cb_mode modes[] = {MODE_SEQ, MODE_THREADS, MODE_PROCS};

	for (unsigned m = 0; m < 3; m++) {
		unsigned w = modes[m] == MODE_SEQ ? 1 : 2, tasks = 48;
		struct ids *d = cb_shm_alloc(sizeof(*d));
		long first[64], later[64];
		unsigned n0;

		cr_assert_eq(run_reps(modes[m], w, tasks, false, d, NULL), 0, "mode %d", modes[m]);
		n0 = ids_of_rep(d, 0, tasks, first);
		cr_assert(n0 >= 1 && n0 <= w);
		for (unsigned r = 1; r < REPS; r++) {
			unsigned n = ids_of_rep(d, r, tasks, later);

			for (unsigned k = 0; k < n; k++) {
				bool known = false;

				for (unsigned j = 0; j < n0; j++)
					known |= later[k] == first[j];
				/* a worker that ran no task in rep 0 may show up later */
				if (!known && n0 < w)
					first[n0++] = later[k], known = true;
				cr_assert(known, "mode %d rep %u: task run by new worker %ld",
				          modes[m], r, later[k]);
			}
		}
		/* the initialiser ran once per worker, the finaliser too */
		cr_assert_eq(atomic_load(&d->inits), w, "mode %d: %u inits", modes[m],
		             atomic_load(&d->inits));
		cr_assert_eq(atomic_load(&d->finis), w, "mode %d: %u finis", modes[m],
		             atomic_load(&d->finis));
		cb_shm_free(d, sizeof(*d));
	}
}

Test(pool, per_task_workers_init_per_task)
{
	enum cb_mode modes[] = {MODE_THREAD_PER_TASK, MODE_FORK_PER_TASK};

	for (unsigned m = 0; m < 2; m++) {
		struct ids *d = cb_shm_alloc(sizeof(*d));

		cr_assert_eq(run_reps(modes[m], 2, 6, false, d, NULL), 0);
		cr_assert_eq(atomic_load(&d->inits), 6 * REPS);
		cr_assert_eq(atomic_load(&d->finis), 6 * REPS);
		cb_shm_free(d, sizeof(*d));
	}
}

Test(pool, bench_body_runs_once_per_worker_every_rep)
{
	enum cb_mode modes[] = {MODE_THREADS, MODE_PROCS};

	for (unsigned m = 0; m < 2; m++) {
		struct ids *d = cb_shm_alloc(sizeof(*d));

		cr_assert_eq(run_reps(modes[m], 4, 4, true, d, NULL), 0);
		for (unsigned i = 0; i < 4; i++)
			cr_assert_eq(atomic_load(&d->ran[i]), REPS, "mode %d body %u ran %u times",
			             modes[m], i, atomic_load(&d->ran[i]));
		cb_shm_free(d, sizeof(*d));
	}
}

Test(pool, failing_initialiser_fails_the_start)
{
	enum cb_mode modes[] = {MODE_SEQ, MODE_THREADS, MODE_PROCS};

	for (unsigned m = 0; m < 3; m++) {
		struct ids *d = cb_shm_alloc(sizeof(*d));
		char err[256];

		atomic_store(&d->init_fail_worker, 1); /* worker 0 */
		cr_assert_eq(run_reps(modes[m], modes[m] == MODE_SEQ ? 1 : 2, 8, false, d, err),
		             -ENOTCONN, "mode %d", modes[m]);
		cr_assert(strstr(err, "worker 0: initialiser: no connection for worker 0"),
		          "mode %d: '%s'", modes[m], err);
		for (unsigned i = 0; i < 8; i++)
			cr_assert_eq(atomic_load(&d->ran[i]), 0);
		cb_shm_free(d, sizeof(*d));
	}
}
