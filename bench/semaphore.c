/* semaphore.c - K slots, N workers, a POSIX semaphore.
 *
 * Workers compete for a budget of acquisitions: take a slot (sem_timedwait),
 * count how many workers are inside at once, take one ticket of the budget,
 * do a little work, leave, post. The highest number inside at once must be
 * <= K (a hard check: the semaphore bounds concurrency); throughput is
 * acquisitions per second; fairness is the CV of acquisitions per worker.
 * The semaphore is process-shared in procs mode (sem_init pshared=1 in
 * MAP_SHARED memory).
 */
#include <errno.h>
#include <semaphore.h>
#include <string.h>

#include "sync.h"

#define SEM_SLICE_S 0.1 /* sem_timedwait slice: check for stop between */
#define SEM_WORK 200 /* sync_work iterations inside the slot */

struct sem_worker {
	uint64_t acquired;
} __attribute__((aligned(CB_CACHELINE)));

struct sem_shm {
	sem_t sem;
	_Atomic int inside __attribute__((aligned(CB_CACHELINE)));
	_Atomic int max_inside;
	_Atomic uint64_t tickets __attribute__((aligned(CB_CACHELINE)));
	_Atomic unsigned arrived __attribute__((aligned(CB_CACHELINE)));
	struct sem_worker w[];
};

struct sem_state {
	struct sem_shm *sh;
	size_t sh_size;
	long slots;
	bool have_sem;
};

static void sem_cleanup(struct wl_ctx *ctx)
{
	struct sem_state *st = ctx->state;

	if (!st)
		return;
	if (st->have_sem)
		sem_destroy(&st->sh->sem);
	cb_shm_free(st->sh, st->sh_size);
	free(st);
	ctx->state = NULL;
}

static int sem_prepare(struct wl_ctx *ctx)
{
	struct sem_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = st;
	rc = cb_opt_long(ctx, "slots", 0, 1024, &st->slots);
	if (rc)
		goto err;
	if (st->slots == 0)
		st->slots = ctx->nworkers / 2 ? ctx->nworkers / 2 : 1;
	st->sh_size = sizeof(*st->sh) + ctx->nworkers * sizeof(struct sem_worker);
	st->sh = cb_shm_alloc(st->sh_size);
	if (!st->sh) {
		rc = cb_error(ctx, -ENOMEM, "shared memory: %s", strerror(errno));
		goto err;
	}
	return 0;
err:
	sem_cleanup(ctx);
	return rc;
}

static int sem_reset(struct wl_ctx *ctx)
{
	struct sem_state *st = ctx->state;
	struct sem_shm *sh = st->sh;

	if (st->have_sem)
		sem_destroy(&sh->sem);
	st->have_sem = false;
	if (sem_init(&sh->sem, ctx->pshared, (unsigned)st->slots))
		return cb_error(ctx, -errno, "sem_init: %s", strerror(errno));
	st->have_sem = true;
	atomic_store(&sh->inside, 0);
	atomic_store(&sh->max_inside, 0);
	atomic_store(&sh->tickets, 0);
	atomic_store(&sh->arrived, 0);
	memset(sh->w, 0, ctx->nworkers * sizeof(struct sem_worker));
	return 0;
}

/* Take a slot, waking every SEM_SLICE_S to honour a stop request.
 * 0, -ECANCELED or a negative errno. */
static int slot_take(struct wl_ctx *ctx, sem_t *s)
{
	for (;;) {
		struct timespec ts = sync_realtime_in(SEM_SLICE_S);

		if (sem_timedwait(s, &ts) == 0)
			return 0;
		if (errno != ETIMEDOUT && errno != EINTR)
			return -errno;
		if (cb_should_stop(ctx))
			return -ECANCELED;
	}
}

static int sem_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct sem_state *st = ctx->state;
	struct sem_shm *sh = st->sh;
	uint64_t budget = (uint64_t)ctx->size, mine = 0;
	unsigned sink = 0;
	int rc;

	rc = sync_barrier(ctx, &sh->arrived, ctx->nworkers);
	if (rc)
		return rc;
	for (;;) {
		int now, max;

		rc = slot_take(ctx, &sh->sem);
		if (rc)
			return rc == -ECANCELED
			           ? rc
			           : cb_error(ctx, rc, "sem_timedwait: %s", strerror(-rc));
		now = atomic_fetch_add(&sh->inside, 1) + 1;
		max = atomic_load_explicit(&sh->max_inside, memory_order_relaxed);
		while (now > max && !atomic_compare_exchange_weak(&sh->max_inside, &max, now))
			;
		if (atomic_fetch_add_explicit(&sh->tickets, 1, memory_order_relaxed) >= budget) {
			atomic_fetch_sub(&sh->inside, 1);
			sem_post(&sh->sem);
			break;
		}
		sink += sync_work(SEM_WORK, (unsigned)mine + i);
		mine++;
		atomic_fetch_sub(&sh->inside, 1);
		sem_post(&sh->sem);
	}
	sh->w[i].acquired = mine;
	res->checksum = sink;
	res->ops = (double)mine;
	return 0;
}

static int sem_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct sem_state *st = ctx->state;
	double *acq = calloc(ctx->nworkers, sizeof(*acq)), total = 0, cv;
	int max = atomic_load(&st->sh->max_inside);

	(void)res;
	if (!acq)
		return cb_error(ctx, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < ctx->nworkers; i++) {
		acq[i] = (double)st->sh->w[i].acquired;
		total += acq[i];
	}
	cv = sync_cv(acq, ctx->nworkers);
	free(acq);
	cb_metric(m, "max_concurrency", max);
	cb_metric(m, "slots", (double)st->slots);
	cb_metric(m, "fairness_cv", cv);
	cb_metric(m, "acquisitions", total);
	if (max > st->slots)
		return cb_error(ctx, 1, "%d workers were inside a semaphore of %ld slots", max,
		                st->slots);
	if (total != (double)ctx->size)
		return cb_error(ctx, 1, "%.0f acquisitions made of a budget of %ld", total,
		                ctx->size);
	return 0;
}

static const struct wl_option sem_options[] = {
    {"slots", "K", "0", "semaphore: K slots (0: half the workers, at least 1)", false},
    {0},
};

const struct workload semaphore_bench = {
    .name = "semaphore",
    .summary = "K-slot POSIX semaphore: max concurrency <= K, throughput, fairness CV",
    .kind = KIND_BENCH,
    .family_default = true,
    .modes = MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS),
    .default_tasks = 1,
    .sizes = {20000, 100000, 1000000},
    .size_unit = "acquisitions per rep",
    .ops_unit = "acquisition",
    .options = sem_options,
    .prepare = sem_prepare,
    .reset = sem_reset,
    .run = sem_run,
    .verify = sem_verify,
    .cleanup = sem_cleanup,
};
