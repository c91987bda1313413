/* race.c - N workers increment one shared counter M times each.
 *
 * race.none is a real race condition without undefined behaviour: each
 * increment is a relaxed atomic load followed by a relaxed atomic store, so
 * two workers that load the same value both store value+1 and one update is
 * lost. ThreadSanitizer stays quiet (every access is atomic), the lost
 * updates are real. race.mutex, race.spin and race.atomic synchronise the
 * increment and must lose exactly none (a hard check).
 */
#include <errno.h>
#include <string.h>

#include "sync.h"

enum race_sync { RACE_NONE, RACE_MUTEX, RACE_SPIN, RACE_ATOMIC };

struct race_shm {
	_Atomic uint64_t counter __attribute__((aligned(CB_CACHELINE))); /* none, atomic */
	uint64_t guarded __attribute__((aligned(CB_CACHELINE))); /* mutex, spin */
	pthread_mutex_t mutex __attribute__((aligned(CB_CACHELINE)));
	pthread_spinlock_t spin;
	_Atomic unsigned arrived __attribute__((aligned(CB_CACHELINE)));
};

struct race_state {
	struct race_shm *sh;
	enum race_sync sync;
	bool have_mutex, have_spin;
};

static enum race_sync race_kind(const struct workload *w)
{
	static const char *const names[] = {"race.none", "race.mutex", "race.spin", "race.atomic"};

	for (int k = RACE_NONE; k <= RACE_ATOMIC; k++)
		if (strcmp(w->name, names[k]) == 0)
			return (enum race_sync)k;
	return RACE_NONE;
}

static void race_cleanup(struct wl_ctx *ctx)
{
	struct race_state *st = ctx->state;

	if (!st)
		return;
	if (st->have_mutex)
		pthread_mutex_destroy(&st->sh->mutex);
	if (st->have_spin)
		pthread_spin_destroy(&st->sh->spin);
	cb_shm_free(st->sh, sizeof(*st->sh));
	free(st);
	ctx->state = NULL;
}

static int race_prepare(struct wl_ctx *ctx)
{
	struct race_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = st;
	st->sync = race_kind(ctx->wl);
	st->sh = cb_shm_alloc(sizeof(*st->sh));
	if (!st->sh) {
		rc = cb_error(ctx, -errno, "shared memory: %s", strerror(errno));
		goto err;
	}
	rc = cb_mutex_init(&st->sh->mutex, PTHREAD_MUTEX_NORMAL, ctx->pshared);
	if (rc) {
		rc = cb_error(ctx, -rc, "pthread_mutex_init: %s", strerror(rc));
		goto err;
	}
	st->have_mutex = true;
	rc = pthread_spin_init(&st->sh->spin,
	                       ctx->pshared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
	if (rc) {
		rc = cb_error(ctx, -rc, "pthread_spin_init: %s", strerror(rc));
		goto err;
	}
	st->have_spin = true;
	return 0;
err:
	race_cleanup(ctx);
	return rc;
}

static int race_reset(struct wl_ctx *ctx)
{
	struct race_state *st = ctx->state;

	atomic_store(&st->sh->counter, 0);
	st->sh->guarded = 0;
	atomic_store(&st->sh->arrived, 0);
	return 0;
}

static int race_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct race_state *st = ctx->state;
	struct race_shm *sh = st->sh;
	uint64_t m = (uint64_t)ctx->size;
	int rc;

	rc = sync_barrier(ctx, &sh->arrived, ctx->nworkers);
	if (rc)
		return rc;
	switch (st->sync) {
	case RACE_NONE:
		for (uint64_t k = 0; k < m; k++) {
			/* The race: another worker's store may land between the
			 * load and the store; its update is then overwritten. */
			uint64_t v = atomic_load_explicit(&sh->counter, memory_order_relaxed);

			atomic_store_explicit(&sh->counter, v + 1, memory_order_relaxed);
		}
		break;
	case RACE_MUTEX:
		for (uint64_t k = 0; k < m; k++) {
			pthread_mutex_lock(&sh->mutex);
			sh->guarded++;
			pthread_mutex_unlock(&sh->mutex);
		}
		break;
	case RACE_SPIN:
		for (uint64_t k = 0; k < m; k++) {
			pthread_spin_lock(&sh->spin);
			sh->guarded++;
			pthread_spin_unlock(&sh->spin);
		}
		break;
	case RACE_ATOMIC:
		for (uint64_t k = 0; k < m; k++)
			atomic_fetch_add_explicit(&sh->counter, 1, memory_order_relaxed);
		break;
	}
	res->checksum = m + i;
	res->ops = (double)m;
	return 0;
}

static int race_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct race_state *st = ctx->state;
	uint64_t expected = 0, actual;
	double lost;

	for (unsigned i = 0; i < ctx->nworkers; i++)
		expected += (uint64_t)res[i].ops;
	actual = st->sync == RACE_MUTEX || st->sync == RACE_SPIN ? st->sh->guarded
	                                                         : atomic_load(&st->sh->counter);
	lost = (double)expected - (double)actual;
	cb_metric(m, "lost_updates", lost);
	cb_metric(m, "expected", (double)expected);
	cb_metric(m, "actual", (double)actual);
	cb_metric(m, "lost_pct", expected ? 100.0 * lost / (double)expected : 0);
	if (actual > expected)
		return cb_error(ctx, 1, "counter %llu exceeds the %llu increments made",
		                (unsigned long long)actual, (unsigned long long)expected);
	if (st->sync != RACE_NONE && lost != 0)
		return cb_error(ctx, 1, "%.0f updates lost despite synchronisation", lost);
	return 0;
}

#define RACE_BENCH(sym, variant, what)                                                             \
	const struct workload sym = {                                                              \
	    .name = "race." variant,                                                               \
	    .summary = what,                                                                       \
	    .kind = KIND_BENCH,                                                                    \
	    .family_default = true,                                                                \
	    .modes = MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS),           \
	    .default_tasks = 1,                                                                    \
	    .sizes = {1000000, 10000000, 100000000},                                               \
	    .size_unit = "increments per worker",                                                  \
	    .ops_unit = "increment",                                                               \
	    .prepare = race_prepare,                                                               \
	    .reset = race_reset,                                                                   \
	    .run = race_run,                                                                       \
	    .verify = race_verify,                                                                 \
	    .cleanup = race_cleanup,                                                               \
	}

RACE_BENCH(race_none, "none",
           "shared counter, relaxed load then store: a real race, lost updates "
           "counted");
RACE_BENCH(race_mutex, "mutex", "shared counter under a pthread mutex: no lost update");
RACE_BENCH(race_spin, "spin", "shared counter under a pthread spinlock: no lost update");
RACE_BENCH(race_atomic, "atomic", "shared counter, atomic fetch-add: no lost update");
