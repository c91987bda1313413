/* ctxswitch.c - the cost of a context switch, lmbench lat_ctx style.
 *
 * N workers form a ring of pipes; a 4-byte token goes round `size` times.
 * Worker i blocks in read() on its pipe until worker i-1 writes to it, so
 * with every worker on one CPU (--ctx-cpu=same, the default) each hop is one
 * switch from a thread (or process) to the next. --ctx-cpu=any leaves the
 * placement to the scheduler: hops then include cross-CPU wake-ups.
 *
 * Like lat_ctx, the cost of the pipe itself is measured apart (prepare():
 * one thread writing and reading its own pipe, no switch; best of 5) and
 * subtracted: switch_us = hop_us - overhead_us. With one worker (seq) the
 * token only crosses that worker's own pipe, so switch_us is about 0.
 * Threads mode gives a switch between threads of one process, procs mode
 * between processes (an address-space change on top).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runner/concbench.h"
#include "ticker.h"

static const struct wl_option ctx_opts[] = {
    {"ctx-cpu", "same|any", "same", "ctxswitch: all workers on one CPU, or anywhere", false},
    {0},
};

struct ctx_shm {
	_Atomic uint64_t bad; /* tokens with an unexpected value */
};

struct ctx_state {
	unsigned n;
	int (*fd)[2]; /* pipe i: worker i reads [0], worker i-1 writes [1] */
	bool same_cpu;
	int cpu; /* the CPU of --ctx-cpu=same */
	double overhead_s; /* per hop without a switch */
	struct ctx_shm *sh;
};

static int sys_fail(struct wl_ctx *ctx, const char *what)
{
	int e = errno;

	return cb_error(ctx, -e, "%s: %s", what, strerror(e));
}

/* Move one token: blocking calls, interrupted by the ticker so a stop
 * request is seen. 0, -ECANCELED, or a negative errno. */
static int token_write(struct wl_ctx *ctx, int fd, uint32_t v)
{
	for (;;) {
		ssize_t n = GIL_BLOCKING(write(fd, &v, sizeof(v)));

		if (n == sizeof(v))
			return 0;
		if (n >= 0 || errno != EINTR)
			return n >= 0 ? cb_error(ctx, -EIO, "write: short")
			              : sys_fail(ctx, "write");
		if (cb_should_stop(ctx))
			return -ECANCELED;
	}
}

static int token_read(struct wl_ctx *ctx, int fd, uint32_t *v)
{
	for (;;) {
		ssize_t n = GIL_BLOCKING(read(fd, v, sizeof(*v)));

		if (n == sizeof(*v))
			return 0;
		if (n == 0)
			return cb_error(ctx, -EPIPE, "read: the ring was closed");
		if (n > 0 || errno != EINTR)
			return n > 0 ? cb_error(ctx, -EIO, "read: short") : sys_fail(ctx, "read");
		if (cb_should_stop(ctx))
			return -ECANCELED;
	}
}

/* Seconds per write+read of a token on one pipe by one thread: best of 5
 * batches of 2000. */
static double pipe_overhead(int fd[2])
{
	double best = 1e9;

	for (int b = 0; b < 5; b++) {
		double t0 = cb_now(), dt;
		uint32_t v = 0;

		for (int k = 0; k < 2000; k++)
			if (write(fd[1], &v, sizeof(v)) != sizeof(v) ||
			    read(fd[0], &v, sizeof(v)) != sizeof(v))
				return 0;
		dt = (cb_now() - t0) / 2000;
		if (dt < best)
			best = dt;
	}
	return best;
}

static void ctx_cleanup(struct wl_ctx *ctx)
{
	struct ctx_state *st = ctx->state;

	if (!st)
		return;
	for (unsigned i = 0; st->fd && i < st->n; i++)
		for (int e = 0; e < 2; e++)
			if (st->fd[i][e] >= 0)
				close(st->fd[i][e]);
	free(st->fd);
	cb_shm_free(st->sh, sizeof(*st->sh));
	free(st);
	ctx->state = NULL;
}

static int first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

static int ctx_prepare(struct wl_ctx *ctx)
{
	const char *where = cb_opt_str("ctx-cpu");
	struct ctx_state *st;
	int rc;

	if (!where || (strcmp(where, "same") && strcmp(where, "any")))
		return cb_error(ctx, -EINVAL, "--ctx-cpu: '%s': want same or any",
		                where ? where : "");
	rc = ticker_install();
	if (rc)
		return cb_error(ctx, rc, "sigaction: %s", strerror(-rc));
	st = calloc(1, sizeof(*st));
	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = st;
	st->n = ctx->nworkers;
	st->same_cpu = strcmp(where, "same") == 0;
	st->cpu = first_cpu();
	st->fd = malloc(st->n * sizeof(*st->fd));
	st->sh = cb_shm_alloc(sizeof(*st->sh));
	if (!st->fd || !st->sh) {
		rc = cb_error(ctx, -ENOMEM, "out of memory");
		goto err;
	}
	memset(st->fd, -1, st->n * sizeof(*st->fd));
	for (unsigned i = 0; i < st->n; i++)
		if (pipe2(st->fd[i], O_CLOEXEC)) {
			rc = sys_fail(ctx, "pipe2");
			goto err;
		}
	st->overhead_s = pipe_overhead(st->fd[0]);
	return 0;
err:
	ctx_cleanup(ctx);
	return rc;
}

static int ctx_reset(struct wl_ctx *ctx)
{
	struct ctx_state *st = ctx->state;

	atomic_store(&st->sh->bad, 0);
	return 0;
}

/* Worker w of the ring: read the token from pipe w, pass it on to pipe
 * w+1; worker 0 puts it in first. The token counts hops, so each worker
 * knows the value it must see. */
static int ctx_run(struct wl_ctx *ctx, unsigned w, struct task_result *res)
{
	struct ctx_state *st = ctx->state;
	uint64_t rounds = (uint64_t)ctx->size, bad = 0;
	int in = st->fd[w][0], out = st->fd[(w + 1) % st->n][1];
	cpu_set_t saved, one;
	bool pinned = false;
	timer_t tick;
	int rc;

	if (st->same_cpu && st->cpu >= 0 && sched_getaffinity(0, sizeof(saved), &saved) == 0) {
		CPU_ZERO(&one);
		CPU_SET(st->cpu, &one);
		pinned = sched_setaffinity(0, sizeof(one), &one) == 0;
	}
	rc = ticker_start(&tick);
	if (rc) {
		cb_error(ctx, rc, "timer_create: %s", strerror(-rc));
		goto out;
	}
	for (uint64_t r = 0; r < rounds && !rc; r++) {
		uint32_t v = (uint32_t)(r * st->n + w), got;

		if (w == 0)
			rc = token_write(ctx, out, v);
		if (!rc)
			rc = token_read(ctx, in, &got);
		if (!rc) {
			uint32_t want = w == 0 ? v + st->n - 1 : v - 1;

			bad += got != want;
			if (w != 0)
				rc = token_write(ctx, out, got + 1);
		}
		if (!rc && (r & 255) == 0 && cb_should_stop(ctx))
			rc = -ECANCELED;
	}
	ticker_stop(tick);
	atomic_fetch_add(&st->sh->bad, bad);
	res->ops = (double)rounds;
	res->checksum = rounds;
out:
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	return rc;
}

static int ctx_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct ctx_state *st = ctx->state;
	double t0 = res[0].t_start, t1 = res[0].t_end, hops = (double)ctx->size * st->n, hop;
	uint64_t bad = atomic_load(&st->sh->bad);

	for (unsigned i = 1; i < st->n; i++) {
		if (res[i].t_start < t0)
			t0 = res[i].t_start;
		if (res[i].t_end > t1)
			t1 = res[i].t_end;
	}
	hop = (t1 - t0) / hops;
	cb_metric(m, "switch_us", (hop - st->overhead_s) * 1e6);
	cb_metric(m, "hop_us", hop * 1e6);
	cb_metric(m, "overhead_us", st->overhead_s * 1e6);
	cb_metric(m, "hops_per_s", hops / (t1 - t0));
	cb_metric(m, "same_cpu", st->same_cpu);
	cb_metric(m, "bad_tokens", (double)bad);
	if (bad)
		return cb_error(ctx, 1, "%llu tokens arrived with the wrong hop count",
		                (unsigned long long)bad);
	return 0;
}

const struct workload bench_ctxswitch = {
    .name = "ctxswitch",
    .summary = "a token passed round a ring of workers on one CPU: the cost of a switch",
    .kind = KIND_BENCH,
    .family_default = true,
    .modes =
        MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS) | MODE_BIT(MODE_GIL),
    .default_tasks = 2,
    .sizes = {2000, 20000, 200000},
    .size_unit = "rounds of the ring",
    .ops_unit = "round",
    .options = ctx_opts,
    .prepare = ctx_prepare,
    .reset = ctx_reset,
    .run = ctx_run,
    .verify = ctx_verify,
    .cleanup = ctx_cleanup,
};
