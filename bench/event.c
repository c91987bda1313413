/* event.c - an event (set / clear / wait with timeout) on a mutex and a
 * condition variable, like Python's threading.Event.
 *
 * Wake-up latency: worker 0 is the setter, the others wait. Each round the
 * setter waits until every waiter has arrived, pauses briefly so they are
 * asleep in the condition wait, stamps the time and sets the event; each
 * waiter records now - stamp when it runs again; after every waiter
 * acknowledged, the setter clears the event and opens the next round.
 * Timeouts: then every worker waits on its own event that nobody sets; the
 * wait must return ETIMEDOUT no earlier than its timeout, and the overshoot
 * (how late it returns) is reported. With one worker only the timeout part
 * runs.
 */
#include <errno.h>
#include <string.h>

#include "sync.h"

#define EV_SET_PAUSE_S 100e-6 /* setter's pause before set: waiters asleep */
#define EV_ROUND_MAX_S 2.0 /* a waiter gives up on a round after this */
#define EV_TIMEOUT_WAITS 20 /* never-set waits per worker */

struct event {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int set; /* guarded by mu */
	unsigned gen; /* guarded by mu: bumped by every set */
	bool have_mu, have_cv;
} __attribute__((aligned(CB_CACHELINE)));

struct ev_shm {
	struct event ev; /* the one set by worker 0 */
	_Atomic uint64_t t_set_ns; /* when the setter set it (CLOCK_MONOTONIC) */
	_Atomic unsigned round __attribute__((aligned(CB_CACHELINE))); /* open round */
	_Atomic unsigned arrived; /* waiter arrivals, all rounds */
	_Atomic unsigned acked; /* waiter acknowledgements, all rounds */
	_Atomic unsigned missed; /* rounds a waiter gave up on */
	_Atomic unsigned early; /* timed waits that returned before their timeout */
	_Atomic unsigned spurious_set; /* never-set waits that reported "set" */
	_Atomic unsigned start;
	_Atomic int abort; /* a body failed: the others stop waiting */
	struct event *own; /* [nworkers] never-set events */
	double *lat; /* [rounds * waiters] seconds, NAN when missed */
	double *over; /* [EV_TIMEOUT_WAITS * nworkers] seconds */
};

struct ev_state {
	struct ev_shm *sh;
	size_t sh_size;
	unsigned rounds, nworkers;
	double timeout_s;
};

/* Initialise ev for this ctx. 0 or a positive errno. */
static int event_init(struct event *ev, bool pshared)
{
	int rc = cb_mutex_init(&ev->mu, PTHREAD_MUTEX_NORMAL, pshared);

	if (rc)
		return rc;
	ev->have_mu = true;
	rc = cb_cond_init(&ev->cv, pshared);
	if (rc)
		return rc;
	ev->have_cv = true;
	return 0;
}

static void event_destroy(struct event *ev, bool pshared)
{
	if (ev->have_cv)
		cb_cond_destroy(&ev->cv, pshared);
	if (ev->have_mu)
		pthread_mutex_destroy(&ev->mu);
}

/* Set the event and wake every waiter. Can't fail. */
static void event_set(struct event *ev)
{
	pthread_mutex_lock(&ev->mu);
	ev->set = 1;
	ev->gen++;
	pthread_cond_broadcast(&ev->cv);
	pthread_mutex_unlock(&ev->mu);
}

static void event_clear(struct event *ev)
{
	pthread_mutex_lock(&ev->mu);
	ev->set = 0;
	pthread_mutex_unlock(&ev->mu);
}

/* Wait until the event is set (or was set and cleared since the call) or
 * timeout_s passed. 0 when set, ETIMEDOUT, or another errno. */
static int event_wait(struct event *ev, double timeout_s)
{
	struct timespec ts = sync_monotonic_in(timeout_s);
	int rc = 0;
	unsigned gen;

	pthread_mutex_lock(&ev->mu);
	gen = ev->gen;
	while (!ev->set && ev->gen == gen) {
		rc = pthread_cond_timedwait(&ev->cv, &ev->mu, &ts);
		if (rc)
			break;
	}
	if (ev->set || ev->gen != gen)
		rc = 0;
	pthread_mutex_unlock(&ev->mu);
	return rc;
}

static void ev_cleanup(struct wl_ctx *ctx)
{
	struct ev_state *st = ctx->state;

	if (!st)
		return;
	if (st->sh) {
		event_destroy(&st->sh->ev, ctx->pshared);
		for (unsigned i = 0; i < st->nworkers; i++)
			event_destroy(&st->sh->own[i], ctx->pshared);
		cb_shm_free(st->sh, st->sh_size);
	}
	free(st);
	ctx->state = NULL;
}

static int ev_prepare(struct wl_ctx *ctx)
{
	struct ev_state *st = calloc(1, sizeof(*st));
	unsigned n = ctx->nworkers, waiters = n > 1 ? n - 1 : 0;
	size_t own_off, lat_off, over_off;
	char *base;
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = st;
	rc = cb_opt_duration(ctx, "event-timeout", 1e-6, 0.1, &st->timeout_s);
	if (rc)
		goto err;
	st->rounds = (unsigned)ctx->size;
	st->nworkers = n;
	own_off = (sizeof(struct ev_shm) + CB_CACHELINE - 1) / CB_CACHELINE * CB_CACHELINE;
	lat_off = own_off + n * sizeof(struct event);
	over_off = lat_off + (size_t)st->rounds * waiters * sizeof(double);
	st->sh_size = over_off + (size_t)EV_TIMEOUT_WAITS * n * sizeof(double);
	base = cb_shm_alloc(st->sh_size);
	if (!base) {
		rc = cb_error(ctx, -ENOMEM, "shared memory: %s", strerror(errno));
		goto err;
	}
	st->sh = (struct ev_shm *)base;
	st->sh->own = (void *)(base + own_off);
	st->sh->lat = (void *)(base + lat_off);
	st->sh->over = (void *)(base + over_off);
	rc = event_init(&st->sh->ev, ctx->pshared);
	for (unsigned i = 0; i < n && !rc; i++)
		rc = event_init(&st->sh->own[i], ctx->pshared);
	if (rc) {
		rc = cb_error(ctx, -rc, "event init: %s", strerror(rc));
		goto err;
	}
	return 0;
err:
	ev_cleanup(ctx);
	return rc;
}

static int ev_reset(struct wl_ctx *ctx)
{
	struct ev_state *st = ctx->state;
	struct ev_shm *sh = st->sh;
	unsigned waiters = st->nworkers > 1 ? st->nworkers - 1 : 0;

	sh->ev.set = 0;
	sh->ev.gen = 0;
	atomic_store(&sh->round, 0);
	atomic_store(&sh->arrived, 0);
	atomic_store(&sh->acked, 0);
	atomic_store(&sh->missed, 0);
	atomic_store(&sh->early, 0);
	atomic_store(&sh->spurious_set, 0);
	atomic_store(&sh->start, 0);
	atomic_store(&sh->abort, 0);
	for (size_t k = 0; k < (size_t)st->rounds * waiters; k++)
		sh->lat[k] = NAN;
	for (size_t k = 0; k < (size_t)EV_TIMEOUT_WAITS * st->nworkers; k++)
		sh->over[k] = NAN;
	return 0;
}

static uint64_t now_ns(void)
{
	return (uint64_t)(cb_now() * 1e9);
}

static int run_setter(struct wl_ctx *ctx, struct ev_state *st)
{
	struct ev_shm *sh = st->sh;
	unsigned waiters = st->nworkers - 1;
	int rc;

	for (unsigned r = 0; r < st->rounds; r++) {
		rc = sync_wait_at_least(ctx, &sh->arrived, waiters * (r + 1), &sh->abort,
		                        SYNC_WAIT_MAX_S);
		if (rc)
			return rc;
		sync_sleep(EV_SET_PAUSE_S);
		atomic_store(&sh->t_set_ns, now_ns());
		event_set(&sh->ev);
		rc = sync_wait_at_least(ctx, &sh->acked, waiters * (r + 1), &sh->abort,
		                        SYNC_WAIT_MAX_S);
		if (rc)
			return rc;
		event_clear(&sh->ev);
		atomic_store(&sh->round, r + 1);
	}
	return 0;
}

static int run_waiter(struct wl_ctx *ctx, struct ev_state *st, unsigned i)
{
	struct ev_shm *sh = st->sh;
	unsigned waiters = st->nworkers - 1;
	int rc;

	for (unsigned r = 0; r < st->rounds; r++) {
		double give_up;

		rc = sync_wait_at_least(ctx, &sh->round, r, &sh->abort, SYNC_WAIT_MAX_S);
		if (rc)
			return rc;
		atomic_fetch_add(&sh->arrived, 1);
		give_up = cb_now() + EV_ROUND_MAX_S;
		for (;;) {
			rc = event_wait(&sh->ev, 0.05);
			if (rc == 0) {
				double lat = (double)(now_ns() - atomic_load(&sh->t_set_ns)) * 1e-9;

				sh->lat[(size_t)r * waiters + (i - 1)] = lat;
				break;
			}
			if (rc != ETIMEDOUT)
				return cb_error(ctx, -rc, "event wait: %s", strerror(rc));
			if (cb_should_stop(ctx) || atomic_load(&sh->abort))
				return -ECANCELED;
			if (cb_now() > give_up) {
				atomic_fetch_add(&sh->missed, 1);
				break;
			}
		}
		atomic_fetch_add(&sh->acked, 1);
	}
	return 0;
}

/* Waits on an event nobody sets: each must time out, not early. */
static void run_timeouts(struct ev_state *st, unsigned i)
{
	struct ev_shm *sh = st->sh;

	for (unsigned k = 0; k < EV_TIMEOUT_WAITS; k++) {
		double t0 = cb_now(), took;
		int rc = event_wait(&sh->own[i], st->timeout_s);

		took = cb_now() - t0;
		if (rc != ETIMEDOUT)
			atomic_fetch_add(&sh->spurious_set, 1);
		if (took < st->timeout_s)
			atomic_fetch_add(&sh->early, 1);
		sh->over[(size_t)i * EV_TIMEOUT_WAITS + k] = took - st->timeout_s;
	}
}

static int ev_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct ev_state *st = ctx->state;
	int rc = 0;

	rc = sync_barrier(ctx, &st->sh->start, ctx->nworkers);
	if (rc)
		return rc;
	if (st->nworkers > 1)
		rc = i == 0 ? run_setter(ctx, st) : run_waiter(ctx, st, i);
	if (rc) {
		atomic_store(&st->sh->abort, 1);
		if (rc == -ETIMEDOUT)
			rc = cb_error(ctx, rc, "worker %u: no hand-off within %g s", i,
			              SYNC_WAIT_MAX_S);
		return rc;
	}
	run_timeouts(st, i);
	res->checksum = st->rounds;
	res->ops = st->nworkers > 1 && i ? st->rounds : 0;
	return 0;
}

/* Copy the non-NAN entries of v[0..n) to out; returns how many. */
static size_t keep_measured(const double *v, size_t n, double *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			out[k++] = v[i];
	return k;
}

static int ev_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct ev_state *st = ctx->state;
	struct ev_shm *sh = st->sh;
	unsigned waiters = st->nworkers > 1 ? st->nworkers - 1 : 0;
	size_t nl = (size_t)st->rounds * waiters, no = (size_t)EV_TIMEOUT_WAITS * st->nworkers, k;
	double *tmp = malloc((nl > no ? nl : no) * sizeof(double) + 1), p50, p99, o50, o99;
	unsigned missed = atomic_load(&sh->missed), early = atomic_load(&sh->early);
	unsigned spurious = atomic_load(&sh->spurious_set);

	(void)res;
	if (!tmp)
		return cb_error(ctx, -ENOMEM, "out of memory");
	k = keep_measured(sh->lat, nl, tmp);
	p50 = cb_quantile(tmp, k, 0.50);
	p99 = cb_quantile(tmp, k, 0.99);
	k = keep_measured(sh->over, no, tmp);
	o50 = cb_quantile(tmp, k, 0.50);
	o99 = cb_quantile(tmp, k, 0.99);
	free(tmp);
	cb_metric(m, "missed_wakeups", missed);
	cb_metric(m, "wake_p50_us", p50 * 1e6);
	cb_metric(m, "wake_p99_us", p99 * 1e6);
	cb_metric(m, "timeouts_early", early);
	cb_metric(m, "timeouts_set", spurious);
	cb_metric(m, "timeout_overshoot_p50_us", o50 * 1e6);
	cb_metric(m, "timeout_overshoot_p99_us", o99 * 1e6);
	cb_metric(m, "timeout_us", st->timeout_s * 1e6);
	if (missed)
		return cb_error(ctx, 1,
		                "%u wake-ups missed: a set event did not wake its waiter "
		                "within %g s",
		                missed, EV_ROUND_MAX_S);
	if (early || spurious)
		return cb_error(ctx, 1,
		                "never-set waits: %u returned before the timeout, %u "
		                "reported the event set",
		                early, spurious);
	return 0;
}

static const struct wl_option ev_options[] = {
    {"event-timeout", "DURATION", "1ms",
     "event: timeout of the 20 never-set waits per worker, 1us..100ms", false},
    {0},
};

const struct workload event_bench = {
    .name = "event",
    .summary = "event set/clear/wait on mutex+condvar: wake-up latency, "
               "timeouts honoured",
    .kind = KIND_BENCH,
    .family_default = true,
    .modes = MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS),
    .default_tasks = 1,
    .sizes = {50, 300, 3000},
    .size_unit = "set/wake rounds",
    .ops_unit = "wake-up",
    .options = ev_options,
    .prepare = ev_prepare,
    .reset = ev_reset,
    .run = ev_run,
    .verify = ev_verify,
    .cleanup = ev_cleanup,
};
