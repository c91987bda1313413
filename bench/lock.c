/* lock.c - latency and throughput of locks, and re-entrant locking.
 *
 * Every variant runs the same loop: take the lock, increment a plain
 * counter it guards, release. The counter must end at the number of
 * increments (lost_updates = 0, a hard check: the lock really excludes).
 * uncontended_ns is measured before each rep on a private lock of the same
 * kind in the parent (one thread, no contention); the rep itself measures
 * contended throughput (ops_per_s) and ns_per_op per worker.
 *
 * lock.reentrant takes a recursive mutex at depth 1, 2, 4 and 8 and reports
 * the cost of each depth; then each worker locks an error-checking mutex a
 * second time, which must return EDEADLK (never a hang), and tries its own
 * normal mutex again, which returns EBUSY (lock() there would block for
 * ever: the self-deadlock a recursive mutex exists to avoid).
 */
#include <errno.h>
#include <string.h>

#include "sync.h"

enum lock_kind {
	LK_MUTEX,
	LK_ERRORCHECK,
	LK_RECURSIVE,
	LK_SPIN,
	LK_RW_READ,
	LK_RW_WRITE,
	LK_ATOMIC,
	LK_REENTRANT,
	LK__COUNT
};

static const char *const lock_names[LK__COUNT] = {
    "lock.mutex",       "lock.errorcheck",   "lock.recursive", "lock.spin",
    "lock.rwlock-read", "lock.rwlock-write", "lock.atomic",    "lock.reentrant",
};

static const unsigned depths[] = {1, 2, 4, 8};
#define NDEPTHS 4

/* The lock objects and what they guard; lives in shared memory for the
 * rep, in private memory for the uncontended probe. */
struct locks {
	pthread_mutex_t mutex __attribute__((aligned(CB_CACHELINE)));
	pthread_spinlock_t spin;
	pthread_rwlock_t rw;
	pthread_mutex_t echeck; /* reentrant: the error-checking mutex */
	pthread_mutex_t normal; /* reentrant: a normal mutex */
	uint64_t counter __attribute__((aligned(CB_CACHELINE))); /* guarded by the lock */
	_Atomic uint64_t acounter;
	bool have_mutex, have_spin, have_rw, have_echeck, have_normal;
};

struct lock_worker {
	double elapsed_s; /* the whole timed loop */
	uint64_t ops, writes;
	uint64_t errors; /* lock calls that returned an error */
	double depth_ns[NDEPTHS]; /* reentrant: ns per lock^d + unlock^d */
	int relock_rc; /* reentrant: second lock of the error-checking mutex */
	int trylock_rc; /* reentrant: trylock of its own held normal mutex */
} __attribute__((aligned(CB_CACHELINE)));

struct lock_shm {
	struct locks l;
	_Atomic unsigned arrived __attribute__((aligned(CB_CACHELINE)));
	struct lock_worker w[];
};

struct lock_state {
	enum lock_kind kind;
	struct lock_shm *sh;
	size_t sh_size;
	struct locks *priv; /* uncontended probe */
	double uncontended_ns;
};

static int mutex_type(enum lock_kind k)
{
	switch (k) {
	case LK_ERRORCHECK:
		return PTHREAD_MUTEX_ERRORCHECK;
	case LK_RECURSIVE:
	case LK_REENTRANT:
		return PTHREAD_MUTEX_RECURSIVE;
	default:
		return PTHREAD_MUTEX_NORMAL;
	}
}

static void locks_destroy(struct locks *l)
{
	if (l->have_mutex)
		pthread_mutex_destroy(&l->mutex);
	if (l->have_spin)
		pthread_spin_destroy(&l->spin);
	if (l->have_rw)
		pthread_rwlock_destroy(&l->rw);
	if (l->have_echeck)
		pthread_mutex_destroy(&l->echeck);
	if (l->have_normal)
		pthread_mutex_destroy(&l->normal);
}

/* Initialise every lock of `l` for kind k. 0 or a positive errno. */
static int locks_init(struct locks *l, enum lock_kind k, bool pshared)
{
	pthread_rwlockattr_t ra;
	int rc;

	rc = cb_mutex_init(&l->mutex, mutex_type(k), pshared);
	if (rc)
		return rc;
	l->have_mutex = true;
	rc = cb_mutex_init(&l->echeck, PTHREAD_MUTEX_ERRORCHECK, pshared);
	if (rc)
		return rc;
	l->have_echeck = true;
	rc = cb_mutex_init(&l->normal, PTHREAD_MUTEX_NORMAL, pshared);
	if (rc)
		return rc;
	l->have_normal = true;
	rc =
	    pthread_spin_init(&l->spin, pshared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
	if (rc)
		return rc;
	l->have_spin = true;
	rc = pthread_rwlockattr_init(&ra);
	if (rc)
		return rc;
	if (pshared)
		rc = pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_rwlock_init(&l->rw, &ra);
	pthread_rwlockattr_destroy(&ra);
	if (!rc)
		l->have_rw = true;
	return rc;
}

/* One operation of kind k, number n of this worker. Returns a lock error
 * (0 normally); *sink absorbs reads so they aren't optimised away. */
static inline int lock_op(struct locks *l, enum lock_kind k, uint64_t n, uint64_t *sink,
                          uint64_t *writes)
{
	int rc = 0;

	switch (k) {
	case LK_MUTEX:
	case LK_ERRORCHECK:
	case LK_RECURSIVE:
	case LK_REENTRANT:
		rc = pthread_mutex_lock(&l->mutex);
		if (rc)
			return rc;
		l->counter++;
		(*writes)++;
		return pthread_mutex_unlock(&l->mutex);
	case LK_SPIN:
		pthread_spin_lock(&l->spin);
		l->counter++;
		(*writes)++;
		pthread_spin_unlock(&l->spin);
		return 0;
	case LK_RW_READ:
	case LK_RW_WRITE:
		/* read-heavy: 9 reads per write; write-heavy: 9 writes per read */
		if ((n % 10 == 0) == (k == LK_RW_READ)) {
			rc = pthread_rwlock_wrlock(&l->rw);
			if (rc)
				return rc;
			l->counter++;
			(*writes)++;
		} else {
			rc = pthread_rwlock_rdlock(&l->rw);
			if (rc)
				return rc;
			*sink += l->counter;
		}
		return pthread_rwlock_unlock(&l->rw);
	case LK_ATOMIC:
		atomic_fetch_add_explicit(&l->acounter, 1, memory_order_relaxed);
		(*writes)++;
		return 0;
	default:
		return EINVAL;
	}
}

static enum lock_kind lock_kind_of(const struct workload *w)
{
	for (int k = 0; k < LK__COUNT; k++)
		if (strcmp(w->name, lock_names[k]) == 0)
			return (enum lock_kind)k;
	return LK_MUTEX;
}

static void lock_cleanup(struct wl_ctx *ctx)
{
	struct lock_state *st = ctx->state;

	if (!st)
		return;
	if (st->sh) {
		locks_destroy(&st->sh->l);
		cb_shm_free(st->sh, st->sh_size);
	}
	if (st->priv) {
		locks_destroy(st->priv);
		free(st->priv);
	}
	free(st);
	ctx->state = NULL;
}

static int lock_prepare(struct wl_ctx *ctx)
{
	struct lock_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = st;
	st->kind = lock_kind_of(ctx->wl);
	st->sh_size = sizeof(*st->sh) + ctx->nworkers * sizeof(struct lock_worker);
	st->sh = cb_shm_alloc(st->sh_size);
	st->priv = aligned_alloc(CB_CACHELINE, sizeof(*st->priv));
	if (!st->sh || !st->priv) {
		rc = cb_error(ctx, -ENOMEM, "out of memory");
		goto err;
	}
	memset(st->priv, 0, sizeof(*st->priv));
	rc = locks_init(&st->sh->l, st->kind, ctx->pshared);
	if (!rc)
		rc = locks_init(st->priv, st->kind, false);
	if (rc) {
		rc = cb_error(ctx, -rc, "initialising the locks: %s", strerror(rc));
		goto err;
	}
	return 0;
err:
	lock_cleanup(ctx);
	return rc;
}

/* Uncontended cost of one operation: a private lock, one thread. */
static double probe_uncontended(struct lock_state *st)
{
	enum { N = 50000 };
	uint64_t sink = 0, writes = 0;
	double t0;

	t0 = cb_now();
	for (uint64_t n = 0; n < N; n++)
		lock_op(st->priv, st->kind, n, &sink, &writes);
	__asm__ volatile("" ::"r"(sink));
	return (cb_now() - t0) * 1e9 / N;
}

static int lock_reset(struct wl_ctx *ctx)
{
	struct lock_state *st = ctx->state;

	st->uncontended_ns = probe_uncontended(st);
	st->sh->l.counter = 0;
	atomic_store(&st->sh->l.acounter, 0);
	atomic_store(&st->sh->arrived, 0);
	memset(st->sh->w, 0, ctx->nworkers * sizeof(struct lock_worker));
	return 0;
}

/* Re-entrant locking: `per` rounds at each depth of the recursive mutex,
 * then the error-checking and normal mutexes locked twice. */
static int run_reentrant(struct lock_shm *sh, struct lock_worker *w, uint64_t m)
{
	struct locks *l = &sh->l;
	uint64_t per = m / NDEPTHS ? m / NDEPTHS : 1;
	int rc;

	for (unsigned d = 0; d < NDEPTHS; d++) {
		double t0 = cb_now();

		for (uint64_t n = 0; n < per; n++) {
			for (unsigned k = 0; k < depths[d]; k++)
				if ((rc = pthread_mutex_lock(&l->mutex)))
					return rc;
			l->counter++;
			w->writes++;
			for (unsigned k = 0; k < depths[d]; k++)
				pthread_mutex_unlock(&l->mutex);
		}
		w->depth_ns[d] = (cb_now() - t0) * 1e9 / (double)per;
		w->ops += per;
	}
	/* A second lock by the owner: EDEADLK from an error-checking mutex. */
	if ((rc = pthread_mutex_lock(&l->echeck)))
		return rc;
	w->relock_rc = pthread_mutex_lock(&l->echeck);
	if (w->relock_rc == 0)
		pthread_mutex_unlock(&l->echeck); /* it must not, but stay balanced */
	pthread_mutex_unlock(&l->echeck);
	/* A normal mutex: trylock by its holder reports EBUSY; lock() would
	 * block for ever (a self-deadlock), so it is never called. */
	if ((rc = pthread_mutex_lock(&l->normal)))
		return rc;
	w->trylock_rc = pthread_mutex_trylock(&l->normal);
	if (w->trylock_rc == 0)
		pthread_mutex_unlock(&l->normal);
	pthread_mutex_unlock(&l->normal);
	return 0;
}

static int lock_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct lock_state *st = ctx->state;
	struct lock_shm *sh = st->sh;
	struct lock_worker *w = &sh->w[i];
	uint64_t m = (uint64_t)ctx->size, sink = 0, writes = 0, errors = 0;
	double t0;
	int rc;

	rc = sync_barrier(ctx, &sh->arrived, ctx->nworkers);
	if (rc)
		return rc;
	t0 = cb_now();
	if (st->kind == LK_REENTRANT) {
		rc = run_reentrant(sh, w, m);
		if (rc)
			return cb_error(ctx, -rc, "recursive mutex: %s", strerror(rc));
	} else {
		for (uint64_t n = 0; n < m; n++)
			errors += lock_op(&sh->l, st->kind, n, &sink, &writes) != 0;
		__asm__ volatile("" ::"r"(sink));
		w->ops = m;
		w->writes = writes;
		w->errors = errors;
	}
	w->elapsed_s = cb_now() - t0;
	res->checksum = w->ops + i;
	res->ops = (double)w->ops;
	return 0;
}

static int lock_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct lock_state *st = ctx->state;
	struct lock_shm *sh = st->sh;
	uint64_t writes = 0, errors = 0, actual;
	double ns = 0, depth_ns[NDEPTHS] = {0};
	unsigned edeadlk = 0, ebusy = 0, n = ctx->nworkers;
	static const char *const depth_names[NDEPTHS] = {"depth1_ns", "depth2_ns", "depth4_ns",
	                                                 "depth8_ns"};

	(void)res;
	for (unsigned i = 0; i < n; i++) {
		const struct lock_worker *w = &sh->w[i];

		writes += w->writes;
		errors += w->errors;
		ns += w->ops ? w->elapsed_s * 1e9 / (double)w->ops / n : 0;
		for (unsigned d = 0; d < NDEPTHS; d++)
			depth_ns[d] += w->depth_ns[d] / n;
		edeadlk += w->relock_rc == EDEADLK;
		ebusy += w->trylock_rc == EBUSY;
	}
	actual = st->kind == LK_ATOMIC ? atomic_load(&sh->l.acounter) : sh->l.counter;
	if (st->kind == LK_REENTRANT)
		cb_metric(m, "edeadlk", edeadlk == n);
	cb_metric(m, "lost_updates", (double)writes - (double)actual);
	cb_metric(m, "uncontended_ns", st->uncontended_ns);
	cb_metric(m, "ns_per_op", ns);
	cb_metric(m, "lock_errors", (double)errors);
	if (st->kind == LK_REENTRANT) {
		for (unsigned d = 0; d < NDEPTHS; d++)
			cb_metric(m, depth_names[d], depth_ns[d]);
		cb_metric(m, "trylock_ebusy", ebusy == n);
	}
	if (actual != writes)
		return cb_error(ctx, 1,
		                "%.0f of %llu guarded increments lost: the lock did not exclude",
		                (double)writes - (double)actual, (unsigned long long)writes);
	if (errors)
		return cb_error(ctx, 1, "%llu lock calls failed", (unsigned long long)errors);
	if (st->kind == LK_REENTRANT && edeadlk != n)
		return cb_error(ctx, 1,
		                "relocking an error-checking mutex returned EDEADLK in %u "
		                "of %u workers",
		                edeadlk, n);
	return 0;
}

#define LOCK_BENCH(sym, kindname, what)                                                            \
	const struct workload sym = {                                                              \
	    .name = kindname,                                                                      \
	    .summary = what,                                                                       \
	    .kind = KIND_BENCH,                                                                    \
	    .family_default = true,                                                                \
	    .modes = MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS),           \
	    .default_tasks = 1,                                                                    \
	    .sizes = {100000, 1000000, 10000000},                                                  \
	    .size_unit = "lock+unlock per worker",                                                 \
	    .ops_unit = "lock+unlock",                                                             \
	    .prepare = lock_prepare,                                                               \
	    .reset = lock_reset,                                                                   \
	    .run = lock_run,                                                                       \
	    .verify = lock_verify,                                                                 \
	    .cleanup = lock_cleanup,                                                               \
	}

LOCK_BENCH(lock_mutex, "lock.mutex", "pthread mutex (normal): uncontended ns, contended ops/s");
LOCK_BENCH(lock_errorcheck, "lock.errorcheck", "error-checking pthread mutex: ns and ops/s");
LOCK_BENCH(lock_recursive, "lock.recursive", "recursive pthread mutex at depth 1: ns and ops/s");
LOCK_BENCH(lock_spin, "lock.spin", "pthread spinlock: uncontended ns, contended ops/s");
LOCK_BENCH(lock_rwlock_read, "lock.rwlock-read", "pthread rwlock, 90% reads: ns and ops/s");
LOCK_BENCH(lock_rwlock_write, "lock.rwlock-write", "pthread rwlock, 90% writes: ns and ops/s");
LOCK_BENCH(lock_atomic, "lock.atomic", "C11 atomic fetch-add instead of a lock: ns and ops/s");
LOCK_BENCH(lock_reentrant, "lock.reentrant",
           "recursive mutex at depth 1/2/4/8; error-checking relock returns EDEADLK");
