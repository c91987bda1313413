/* sleep - tasks that only wait: the purest stand-in for blocking I/O.
 * A task sleeps --sleep, --size times, with the GIL released; its async
 * form waits on loop timers instead, with no thread per sleep. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../runner/concbench.h"

#define SLICE_S 0.1 /* longest uninterruptible piece of a sleep */

struct sleep_state {
	double sleep_s;
	double *over; /* shm: each task's mean oversleep, seconds */
	size_t over_size;
};

static const struct wl_option sleep_options[] = {
    {"sleep", "DURATION", "10ms", "sleep: how long one sleep blocks", false},
    {0},
};

static int sleep_prepare(struct wl_ctx *ctx)
{
	struct sleep_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	rc = cb_opt_duration(ctx, "sleep", 1e-6, 60, &st->sleep_s);
	if (rc)
		goto err;
	if (ctx->size > 1000000) {
		rc = cb_error(ctx, -EINVAL, "--size: %ld: at most 1000000 sleeps per task",
		              ctx->size);
		goto err;
	}
	st->over_size = ctx->ntasks * sizeof(*st->over);
	st->over = cb_shm_alloc(st->over_size);
	if (!st->over) {
		rc = cb_error(ctx, -ENOMEM, "out of memory");
		goto err;
	}
	ctx->state = st;
	return 0;
err:
	free(st);
	return rc;
}

static void ts_add(struct timespec *ts, double s)
{
	long ns = ts->tv_nsec + (long)llround(s * 1e9);

	ts->tv_sec += ns / 1000000000L;
	ts->tv_nsec = ns % 1000000000L;
}

static double ts_s(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec * 1e-9;
}

/* Sleep until `due` with the GIL released, in slices of at most SLICE_S so
 * that a stop request (timeout, SIGINT) ends a long sleep. 0 or an errno. */
static int sleep_until(struct wl_ctx *ctx, const struct timespec *due)
{
	int rc = 0;

	gil_release();
	for (;;) {
		struct timespec now, next;

		clock_gettime(CLOCK_MONOTONIC, &now);
		/* cb_interrupted: in seq mode no pool thread is there to set the
		 * stop flag; the signal interrupts this very sleep */
		if (ts_s(&now) >= ts_s(due) || cb_should_stop(ctx) || cb_interrupted)
			break;
		next = now;
		ts_add(&next, SLICE_S);
		if (ts_s(&next) > ts_s(due))
			next = *due;
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (rc && rc != EINTR)
			break;
		rc = 0;
	}
	gil_acquire();
	return rc;
}

static int sleep_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct sleep_state *st = ctx->state;
	double over = 0;
	long k;

	for (k = 0; k < ctx->size && !cb_should_stop(ctx) && !cb_interrupted; k++) {
		struct timespec due, now;
		int rc;

		clock_gettime(CLOCK_MONOTONIC, &due);
		ts_add(&due, st->sleep_s);
		rc = sleep_until(ctx, &due);
		if (rc)
			return cb_error(ctx, -rc, "clock_nanosleep: %s", strerror(rc));
		clock_gettime(CLOCK_MONOTONIC, &now);
		over += ts_s(&now) - ts_s(&due);
	}
	st->over[i] = k ? over / (double)k : 0;
	/* what every mode must agree on: which task slept how often */
	res->checksum = ((uint64_t)i + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)k;
	res->ops = (double)k;
	return 0;
}

/* One task of the async form: its sleeps one timer after another. */
struct sleep_task {
	struct wl_ctx *ctx;
	struct cb_loop *loop;
	struct task_result *res;
	struct cb_async *done;
	unsigned i;
	long k;
	double due, over;
};

static void sleep_finish(struct sleep_task *t, int rc)
{
	struct sleep_state *st = t->ctx->state;
	struct cb_async *done = t->done;

	st->over[t->i] = t->k ? t->over / (double)t->k : 0;
	t->res->checksum = ((uint64_t)t->i + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)t->k;
	t->res->ops = (double)t->k;
	free(t);
	cb_async_done(done, rc);
}

static void sleep_arm(struct sleep_task *t);

static void sleep_fired(struct cb_loop *loop, void *arg, long res)
{
	struct sleep_task *t = arg;

	(void)loop, (void)res;
	t->over += cb_now() - t->due;
	t->k++;
	sleep_arm(t);
}

/* Arm the next sleep's timer, or end the task. */
static void sleep_arm(struct sleep_task *t)
{
	struct sleep_state *st = t->ctx->state;
	int rc;

	if (t->k >= t->ctx->size || cb_should_stop(t->ctx)) {
		sleep_finish(t, 0);
		return;
	}
	t->due = cb_now() + st->sleep_s;
	rc = cb_loop_timer(t->loop, t->due, sleep_fired, t, NULL);
	if (rc)
		sleep_finish(t,
		             cb_error(t->ctx, rc, "task %u: loop timer: %s", t->i, strerror(-rc)));
}

static int sleep_start(struct wl_ctx *ctx, struct cb_loop *loop, unsigned i,
                       struct task_result *res, struct cb_async *done)
{
	struct sleep_task *t = malloc(sizeof(*t));

	if (!t)
		return cb_error(ctx, -ENOMEM, "out of memory");
	*t = (struct sleep_task){.ctx = ctx, .loop = loop, .res = res, .done = done, .i = i};
	sleep_arm(t);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int sleep_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct sleep_state *st = ctx->state;
	double *o = malloc(ctx->ntasks * sizeof(*o)), sum = 0;

	(void)res;
	if (!o)
		return cb_error(ctx, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < ctx->ntasks; i++) {
		o[i] = st->over[i];
		sum += o[i];
	}
	qsort(o, ctx->ntasks, sizeof(*o), cmp_double);
	cb_metric(m, "oversleep_us", sum / ctx->ntasks * 1e6);
	cb_metric(m, "oversleep_max_us", o[ctx->ntasks - 1] * 1e6);
	free(o);
	return 0;
}

static void sleep_cleanup(struct wl_ctx *ctx)
{
	struct sleep_state *st = ctx->state;

	if (!st)
		return;
	cb_shm_free(st->over, st->over_size);
	free(st);
	ctx->state = NULL;
}

const struct workload sleep_wl = {
    .name = "sleep",
    .summary = "tasks that block in clock_nanosleep: waiting, the purest stand-in for I/O",
    .kind = KIND_WORKLOAD,
    .family_default = true,
    .default_tasks = 64,
    .sizes = {1, 2, 8},
    .size_unit = "sleeps per task",
    .ops_unit = "sleep",
    .options = sleep_options,
    .prepare = sleep_prepare,
    .run = sleep_run,
    .start = sleep_start,
    .verify = sleep_verify,
    .cleanup = sleep_cleanup,
};
