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
	                         .timeout_s = 10};
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
