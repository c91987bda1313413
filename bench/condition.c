/* condition.c - a producer notifies consumers through a condition variable:
 * notify-one against notify-all (the thundering herd).
 *
 * Worker 0 produces items into a one-item buffer guarded by a mutex; the
 * other workers consume. After each item the producer wakes one consumer
 * (condition.one, pthread_cond_signal) or all of them (condition.all,
 * pthread_cond_broadcast). A consumer that wakes and finds the buffer
 * already empty made a wasted wake-up; wakeups_per_item compares wake-ups
 * with useful work. Every produced item must be consumed exactly once (a
 * hard check). With one worker it produces and consumes in turn (no wait).
 */
#include <errno.h>
#include <string.h>

#include "sync.h"

#define COND_SLICE_S 0.05 /* timed-wait slice: check for stop between */
#define COND_WORK 300 /* sync_work iterations of useful work per item */

struct cond_worker {
	uint64_t wakeups, wasted, consumed;
} __attribute__((aligned(CB_CACHELINE)));

struct cond_shm {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	/* guarded by mu: */
	unsigned items; /* 0 or 1 in the buffer */
	uint64_t produced, consumed;
	int done; /* producer finished */
	bool have_mu, have_ne, have_nf;
	_Atomic unsigned arrived __attribute__((aligned(CB_CACHELINE)));
	_Atomic int abort;
	struct cond_worker w[];
};

struct cond_state {
	struct cond_shm *sh;
	size_t sh_size;
	bool all; /* notify-all */
};

static void cond_cleanup(struct wl_ctx *ctx)
{
	struct cond_state *st = ctx->state;

	if (!st)
		return;
	if (st->sh) {
		if (st->sh->have_mu)
			pthread_mutex_destroy(&st->sh->mu);
		if (st->sh->have_ne)
			cb_cond_destroy(&st->sh->not_empty, ctx->pshared);
		if (st->sh->have_nf)
			cb_cond_destroy(&st->sh->not_full, ctx->pshared);
		cb_shm_free(st->sh, st->sh_size);
	}
	free(st);
	ctx->state = NULL;
}

static int cond_prepare(struct wl_ctx *ctx)
{
	struct cond_state *st = calloc(1, sizeof(*st));
	struct cond_shm *sh;
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = st;
	st->all = strcmp(ctx->wl->name, "condition.all") == 0;
	st->sh_size = sizeof(*st->sh) + ctx->nworkers * sizeof(struct cond_worker);
	sh = st->sh = cb_shm_alloc(st->sh_size);
	if (!sh) {
		rc = cb_error(ctx, -ENOMEM, "shared memory: %s", strerror(errno));
		goto err;
	}
	rc = cb_mutex_init(&sh->mu, PTHREAD_MUTEX_NORMAL, ctx->pshared);
	sh->have_mu = !rc;
	if (!rc)
		rc = cb_cond_init(&sh->not_empty, ctx->pshared);
	sh->have_ne = sh->have_mu && !rc;
	if (!rc)
		rc = cb_cond_init(&sh->not_full, ctx->pshared);
	sh->have_nf = sh->have_ne && !rc;
	if (rc) {
		rc = cb_error(ctx, -rc, "mutex/condvar init: %s", strerror(rc));
		goto err;
	}
	return 0;
err:
	cond_cleanup(ctx);
	return rc;
}

static int cond_reset(struct wl_ctx *ctx)
{
	struct cond_state *st = ctx->state;
	struct cond_shm *sh = st->sh;

	sh->items = 0;
	sh->produced = sh->consumed = 0;
	sh->done = 0;
	atomic_store(&sh->arrived, 0);
	atomic_store(&sh->abort, 0);
	memset(sh->w, 0, ctx->nworkers * sizeof(struct cond_worker));
	return 0;
}

/* Timed wait on cv (mu held): 0 woken, ETIMEDOUT, -ECANCELED when the
 * runner asked to stop or another body failed. */
static int wait_slice(struct wl_ctx *ctx, struct cond_shm *sh, pthread_cond_t *cv)
{
	struct timespec ts = sync_monotonic_in(COND_SLICE_S);
	int rc = pthread_cond_timedwait(cv, &sh->mu, &ts);

	if (rc == ETIMEDOUT && (cb_should_stop(ctx) || atomic_load(&sh->abort)))
		return -ECANCELED;
	return rc;
}

static int produce(struct wl_ctx *ctx, struct cond_state *st, uint64_t total)
{
	struct cond_shm *sh = st->sh;
	int rc = 0;

	pthread_mutex_lock(&sh->mu);
	for (uint64_t k = 0; k < total && !rc; k++) {
		while (sh->items) {
			rc = wait_slice(ctx, sh, &sh->not_full);
			if (rc == ETIMEDOUT)
				rc = 0;
			if (rc)
				break;
		}
		if (rc)
			break;
		sh->items = 1;
		sh->produced++;
		if (st->all)
			pthread_cond_broadcast(&sh->not_empty);
		else
			pthread_cond_signal(&sh->not_empty);
	}
	sh->done = 1;
	pthread_cond_broadcast(&sh->not_empty);
	pthread_mutex_unlock(&sh->mu);
	return rc;
}

static int consume(struct wl_ctx *ctx, struct cond_state *st, struct cond_worker *w, unsigned *sink)
{
	struct cond_shm *sh = st->sh;

	for (;;) {
		int rc = 0;

		pthread_mutex_lock(&sh->mu);
		while (!sh->items && !sh->done) {
			rc = wait_slice(ctx, sh, &sh->not_empty);
			if (rc == 0) {
				w->wakeups++;
				w->wasted += !sh->items && !sh->done;
			} else if (rc != ETIMEDOUT) {
				break;
			}
			rc = 0;
		}
		if (rc || !sh->items) {
			pthread_mutex_unlock(&sh->mu);
			return rc;
		}
		sh->items = 0;
		sh->consumed++;
		pthread_cond_signal(&sh->not_full);
		pthread_mutex_unlock(&sh->mu);
		*sink += sync_work(COND_WORK, (unsigned)w->consumed);
		w->consumed++;
	}
}

static int cond_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct cond_state *st = ctx->state;
	struct cond_shm *sh = st->sh;
	struct cond_worker *w = &sh->w[i];
	uint64_t total = (uint64_t)ctx->size;
	unsigned sink = 0;
	int rc;

	rc = sync_barrier(ctx, &sh->arrived, ctx->nworkers);
	if (rc)
		return rc;
	if (ctx->nworkers == 1) {
		/* alone: produce and consume in turn, nobody to wait for */
		for (uint64_t k = 0; k < total; k++) {
			pthread_mutex_lock(&sh->mu);
			sh->produced++;
			sh->consumed++;
			pthread_mutex_unlock(&sh->mu);
			sink += sync_work(COND_WORK, (unsigned)k);
			w->consumed++;
		}
	} else {
		rc = i == 0 ? produce(ctx, st, total) : consume(ctx, st, w, &sink);
		if (rc) {
			atomic_store(&sh->abort, 1);
			if (rc > 0)
				rc = cb_error(ctx, -rc, "pthread_cond_timedwait: %s", strerror(rc));
			return rc;
		}
	}
	res->checksum = sink;
	res->ops = (double)w->consumed;
	return 0;
}

static int cond_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct cond_state *st = ctx->state;
	struct cond_shm *sh = st->sh;
	uint64_t wakeups = 0, wasted = 0, consumed = 0;

	(void)res;
	for (unsigned i = 0; i < ctx->nworkers; i++) {
		wakeups += sh->w[i].wakeups;
		wasted += sh->w[i].wasted;
		consumed += sh->w[i].consumed;
	}
	cb_metric(m, "wasted_wakeups", (double)wasted);
	cb_metric(m, "wakeups", (double)wakeups);
	cb_metric(m, "items", (double)consumed);
	cb_metric(m, "wakeups_per_item", consumed ? (double)wakeups / (double)consumed : 0);
	if (consumed != (uint64_t)ctx->size || sh->produced != (uint64_t)ctx->size)
		return cb_error(ctx, 1, "%llu items produced, %llu consumed, %ld expected",
		                (unsigned long long)sh->produced, (unsigned long long)consumed,
		                ctx->size);
	return 0;
}

#define COND_BENCH(sym, variant, what)                                                             \
	const struct workload sym = {                                                              \
	    .name = "condition." variant,                                                          \
	    .summary = what,                                                                       \
	    .kind = KIND_BENCH,                                                                    \
	    .family_default = true,                                                                \
	    .modes = MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS),           \
	    .default_tasks = 1,                                                                    \
	    .sizes = {1000, 10000, 100000},                                                        \
	    .size_unit = "items produced",                                                         \
	    .ops_unit = "item",                                                                    \
	    .prepare = cond_prepare,                                                               \
	    .reset = cond_reset,                                                                   \
	    .run = cond_run,                                                                       \
	    .verify = cond_verify,                                                                 \
	    .cleanup = cond_cleanup,                                                               \
	}

COND_BENCH(condition_one, "one", "producer/consumers on a condvar, notify-one: wake-ups per item");
COND_BENCH(condition_all, "all",
           "producer/consumers on a condvar, notify-all: the thundering herd's "
           "wasted wake-ups");
