/* The ipc, ctxswitch, queue and spawn benches run through the real pool:
 * they verify, leave no descriptor and no child process behind, and a
 * stopped cell (timeout) ends with every worker joined - nothing blocked. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../runner/cli/options.h"
#include "../../runner/exec/pool.h"

extern const struct workload bench_ipc, bench_ctxswitch, bench_queue, bench_spawn;

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Set workload options as the command line would. */
static void set_opts(const char *a, const char *b)
{
	char *argv[4] = {"run", (char *)a, (char *)b, NULL};
	int argc = 1 + (a != NULL) + (b != NULL);
	struct cb_config cfg;

	options_reset();
	cr_assert_eq(options_parse(argc, argv, &cfg), 0);
}

/* prepare, reset, one rep through the pool, verify, cleanup. Returns the
 * pool_run result; *stopped says whether pool_stop joined every worker. */
static int run_bench(const struct workload *w, enum cb_mode mode, unsigned workers, long size,
                     double timeout_s, bool *joined)
{
	_Atomic int no_stop = 0;
	struct wl_ctx ctx = {.wl = w,
	                     .mode = mode,
	                     .ntasks = workers,
	                     .nworkers = workers,
	                     .size = size,
	                     .seed = 1,
	                     .stop = &no_stop,
	                     .pshared = mode == MODE_PROCS};
	struct task_result *res = cb_shm_alloc(workers * sizeof(*res));
	struct pool_params pp = {.mode = mode,
	                         .nworkers = workers,
	                         .ntasks = workers,
	                         .bench = true,
	                         .ctx = &ctx,
	                         .res = res,
	                         .timeout_s = timeout_s};
	struct cb_metrics m = {0};
	struct pool *p;
	int rc;

	cr_assert_eq(w->prepare(&ctx), 0, "%s prepare: %s", w->name, ctx.err);
	if (w->reset)
		cr_assert_eq(w->reset(&ctx), 0, "%s", ctx.err);
	rc = pool_start(&p, &pp);
	cr_assert_eq(rc, 0, "%s pool_start: %s", w->name, ctx.err);
	rc = pool_run(p);
	*joined = pool_stop(p) == 0;
	ctx.stop = &no_stop;
	if (rc == 0)
		cr_assert_eq(w->verify(&ctx, res, &m), 0, "%s mode %d w=%u: %s", w->name, mode,
		             workers, ctx.err);
	if (w->cleanup)
		w->cleanup(&ctx);
	cb_shm_free(res, workers * sizeof(*res));
	return rc;
}

static void no_children_left(void)
{
	errno = 0;
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child process was left behind");
	cr_assert_eq(errno, ECHILD);
}

static const enum cb_mode modes[] = {MODE_SEQ, MODE_THREADS, MODE_PROCS};

static void check_clean(const struct workload *w, long size)
{
	for (unsigned k = 0; k < 3; k++) {
		unsigned before = count_fds();
		bool joined;

		cr_assert_eq(
		    run_bench(w, modes[k], modes[k] == MODE_SEQ ? 1 : 2, size, 30, &joined), 0);
		cr_assert(joined);
		cr_assert_eq(count_fds(), before, "%s mode %d leaked %d descriptors", w->name,
		             modes[k], (int)(count_fds() - before));
		no_children_left();
	}
}

Test(ipc, every_channel_verifies_and_leaks_nothing, .timeout = 60)
{
	static const char *const ch[] = {"--channel=pipe", "--channel=socketpair",
	                                 "--channel=mqueue", "--channel=shm-futex",
	                                 "--channel=shm-sem"};

	for (unsigned c = 0; c < 5; c++) {
		set_opts(ch[c], "--msg-bytes=100");
		check_clean(&bench_ipc, 200);
		set_opts(ch[c], "--stream");
		check_clean(&bench_ipc, 500);
	}
	options_reset();
}

Test(ipc, big_messages_arrive_whole, .timeout = 60)
{
	static const char *const ch[] = {"--channel=pipe", "--channel=socketpair",
	                                 "--channel=shm-futex"};

	for (unsigned c = 0; c < 3; c++) {
		set_opts(ch[c], "--msg-bytes=200000");
		check_clean(&bench_ipc, 20);
	}
	options_reset();
}

Test(ipc, more_than_two_workers_is_refused, .timeout = 60)
{
	_Atomic int no_stop = 0;
	struct wl_ctx ctx = {
	    .wl = &bench_ipc, .nworkers = 3, .ntasks = 3, .size = 10, .stop = &no_stop};

	set_opts(NULL, NULL);
	cr_assert_eq(bench_ipc.prepare(&ctx), -EINVAL);
	cr_assert(strstr(ctx.err, "two-party"), "%s", ctx.err);
}

Test(ctxswitch, ring_verifies_and_leaks_nothing, .timeout = 60)
{
	set_opts(NULL, NULL);
	check_clean(&bench_ctxswitch, 300);
	set_opts("--ctx-cpu=any", NULL);
	check_clean(&bench_ctxswitch, 300);
	options_reset();
}

Test(queue, every_order_verifies_and_leaks_nothing, .timeout = 60)
{
	static const char *const order[] = {"--order=fifo", "--order=lifo", "--order=priority"};

	for (unsigned o = 0; o < 3; o++) {
		set_opts(order[o], "--queue-cap=4");
		check_clean(&bench_queue, 3000);
	}
	options_reset();
}

Test(spawn, every_kind_verifies_and_leaves_no_child, .timeout = 60)
{
	static const char *const how[] = {"--spawn=thread", "--spawn=fork", "--spawn=posix-spawn"};

	for (unsigned h = 0; h < 3; h++) {
		set_opts(how[h], "--alive=3");
		check_clean(&bench_spawn, 10);
	}
	options_reset();
}

/* A cell stopped by its timeout in the middle: the peer of a worker that
 * left is blocked in read(), futex or a condition wait, and must still
 * come out, so the pool joins every thread (threads mode is the hard case:
 * nobody can kill a thread). */
Test(shutdown, stopped_cells_join_every_thread, .timeout = 60)
{
	static const char *const ch[] = {"--channel=pipe", "--channel=socketpair",
	                                 "--channel=mqueue", "--channel=shm-futex",
	                                 "--channel=shm-sem"};
	bool joined;

	for (unsigned c = 0; c < 5; c++) {
		set_opts(ch[c], NULL);
		cr_assert_eq(run_bench(&bench_ipc, MODE_THREADS, 2, 100000000, 0.2, &joined),
		             -ETIMEDOUT, "%s", ch[c]);
		cr_assert(joined, "%s: a thread stayed blocked", ch[c]);
	}
	set_opts(NULL, NULL);
	cr_assert_eq(run_bench(&bench_ctxswitch, MODE_THREADS, 3, 100000000, 0.2, &joined),
	             -ETIMEDOUT);
	cr_assert(joined);
	set_opts("--queue-cap=1", NULL); /* a hand-off per item: slow enough to time out */
	cr_assert_eq(run_bench(&bench_queue, MODE_THREADS, 3, 2000000, 0.2, &joined), -ETIMEDOUT);
	cr_assert(joined);
	cr_assert_eq(run_bench(&bench_ctxswitch, MODE_PROCS, 2, 100000000, 0.2, &joined),
	             -ETIMEDOUT);
	cr_assert(joined);
	no_children_left();
	options_reset();
}
