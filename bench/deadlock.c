/* deadlock.c - dining philosophers, with a deadlock watchdog.
 *
 * P philosophers (--philosophers) sit at a round table with one fork
 * (a mutex, process-shared in procs mode) between neighbours; philosopher p
 * needs fork p (left) and fork p+1 mod P (right) to eat. Worker w hosts the
 * philosophers p with p mod workers == w (one runs in the body itself,
 * more run as threads of that worker), so threads and processes contend on
 * the same forks.
 *
 *   naive    left, then right: all can hold their left fork and wait for
 *            their right one for ever - a deadlock, the expected outcome.
 *   ordered  lower-numbered fork first (resource hierarchy): no circular wait.
 *   trylock  left, then try right; on failure put left back and back off:
 *            no hold and wait.
 *   waiter   a semaphore with P-1 seats at the table: at most P-1 reach for
 *            forks, so one of them always gets both (no circular wait).
 *
 * Nobody blocks for ever: every fork is taken with pthread_mutex_timedlock
 * in DL_SLICE_S slices. Between slices a waiting philosopher acts as the
 * watchdog: when no meal was eaten for --deadlock-timeout, the first one to
 * notice takes a snapshot of who holds which fork and who waits for which,
 * finds the wait-for cycle, records which Coffman conditions hold, and sets
 * `abort`; everyone then puts their forks down and leaves. The parent
 * prints the cycle in verify().
 */
#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include "sync.h"

#define DL_MAX_PHIL 64
#define DL_SLICE_S 0.01 /* timed-lock slice: the watchdog looks between */
#define DL_NAIVE_FACTOR                                                                            \
	100 /* naive gives up after this many times the meals                                      \
	     */
#define DL_NO_FORK -1
#define DL_SEAT -2 /* waits[p]: waiting for a seat (waiter variant) */

enum dl_variant { DL_NAIVE, DL_ORDERED, DL_TRYLOCK, DL_WAITER };

struct dl_fork {
	pthread_mutex_t mu;
	_Atomic int holder; /* philosopher holding it, DL_NO_FORK when free */
} __attribute__((aligned(CB_CACHELINE)));

struct dl_shm {
	struct dl_fork fork[DL_MAX_PHIL];
	sem_t seats;
	_Atomic int waits[DL_MAX_PHIL]; /* fork p waits for, DL_NO_FORK or DL_SEAT */
	_Atomic int eating[DL_MAX_PHIL];
	_Atomic uint64_t meals[DL_MAX_PHIL];
	_Atomic uint64_t last_meal_ns __attribute__((aligned(CB_CACHELINE)));
	_Atomic int detected; /* the watchdog fired (first CAS wins) */
	_Atomic int abort; /* philosophers put their forks down and leave */
	_Atomic unsigned violations; /* neighbours eating at once */
	_Atomic unsigned stalls; /* watchdog runs that found no stable cycle */
	_Atomic unsigned arrived;
	/* written once by the philosopher that won `detected`, read by the
	 * parent after the rep: */
	int cycle_len;
	int cycle[DL_MAX_PHIL]; /* philosophers along the wait-for cycle */
	int cycle_fork[DL_MAX_PHIL]; /* fork cycle[k] waits for (held by cycle[k+1])
	                              */
	int cycle_held[DL_MAX_PHIL]; /* a fork cycle[k] holds while waiting */
	int coffman[4]; /* mutual exclusion, hold and wait, no preemption, circular
	                   wait */
	double stalled_s;
};

struct dl_state {
	enum dl_variant variant;
	struct dl_shm *sh;
	unsigned nphil;
	double timeout_s, pick_delay_s;
	bool have_seats, have_forks;
	unsigned printed; /* reps whose deadlock was printed */
};

struct phil_arg {
	struct wl_ctx *ctx;
	struct dl_state *st;
	unsigned p;
	int rc;
	pthread_t tid;
};

static const char *const coffman_names[4] = {"mutual exclusion", "hold and wait", "no preemption",
                                             "circular wait"};

static uint64_t now_ns(void)
{
	return (uint64_t)(cb_now() * 1e9);
}

static void dl_cleanup(struct wl_ctx *ctx)
{
	struct dl_state *st = ctx->state;

	if (!st)
		return;
	if (st->have_forks)
		for (unsigned f = 0; f < st->nphil; f++)
			pthread_mutex_destroy(&st->sh->fork[f].mu);
	if (st->have_seats)
		sem_destroy(&st->sh->seats);
	cb_shm_free(st->sh, sizeof(*st->sh));
	free(st);
	ctx->state = NULL;
}

static enum dl_variant dl_variant_of(const struct workload *w)
{
	static const char *const names[] = {"deadlock.naive", "deadlock.ordered",
	                                    "deadlock.trylock", "deadlock.waiter"};

	for (int v = DL_NAIVE; v <= DL_WAITER; v++)
		if (strcmp(w->name, names[v]) == 0)
			return (enum dl_variant)v;
	return DL_NAIVE;
}

static int dl_prepare(struct wl_ctx *ctx)
{
	struct dl_state *st = calloc(1, sizeof(*st));
	long n;
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = st;
	st->variant = dl_variant_of(ctx->wl);
	rc = cb_opt_long(ctx, "philosophers", 2, DL_MAX_PHIL, &n);
	if (!rc)
		rc = cb_opt_duration(ctx, "deadlock-timeout", 0.01, 3600, &st->timeout_s);
	if (!rc)
		rc = cb_opt_duration(ctx, "pick-delay", 0, 1, &st->pick_delay_s);
	if (rc)
		goto err;
	st->nphil = (unsigned)n;
	st->sh = cb_shm_alloc(sizeof(*st->sh));
	if (!st->sh) {
		rc = cb_error(ctx, -ENOMEM, "shared memory: %s", strerror(errno));
		goto err;
	}
	for (unsigned f = 0; f < st->nphil; f++) {
		rc = cb_mutex_init(&st->sh->fork[f].mu, PTHREAD_MUTEX_NORMAL, ctx->pshared);
		if (rc) {
			for (unsigned g = 0; g < f; g++)
				pthread_mutex_destroy(&st->sh->fork[g].mu);
			rc = cb_error(ctx, -rc, "fork mutex: %s", strerror(rc));
			goto err;
		}
	}
	st->have_forks = true;
	return 0;
err:
	dl_cleanup(ctx);
	return rc;
}

static int dl_reset(struct wl_ctx *ctx)
{
	struct dl_state *st = ctx->state;
	struct dl_shm *sh = st->sh;

	if (st->have_seats)
		sem_destroy(&sh->seats);
	st->have_seats = false;
	if (sem_init(&sh->seats, ctx->pshared, st->nphil - 1))
		return cb_error(ctx, -errno, "sem_init: %s", strerror(errno));
	st->have_seats = true;
	for (unsigned p = 0; p < st->nphil; p++) {
		atomic_store(&sh->fork[p].holder, DL_NO_FORK);
		atomic_store(&sh->waits[p], DL_NO_FORK);
		atomic_store(&sh->eating[p], 0);
		atomic_store(&sh->meals[p], 0);
	}
	atomic_store(&sh->last_meal_ns, 0);
	atomic_store(&sh->detected, 0);
	atomic_store(&sh->abort, 0);
	atomic_store(&sh->violations, 0);
	atomic_store(&sh->stalls, 0);
	atomic_store(&sh->arrived, 0);
	sh->cycle_len = 0;
	memset(sh->coffman, 0, sizeof(sh->coffman));
	sh->stalled_s = 0;
	return 0;
}

/* A wait-for cycle: cycle[k] holds held[k] and waits for fork[k], which
 * cycle[k+1] (mod len) holds. len 0: none. */
struct dl_cycle {
	int len;
	int phil[DL_MAX_PHIL], fork[DL_MAX_PHIL], held[DL_MAX_PHIL];
};

/* Snapshot who holds and who waits for which fork, and follow "waits for a
 * fork held by" edges from every philosopher until one comes back to a
 * philosopher on its path. Fills c (len 0 when there is no cycle). */
static void find_cycle(const struct dl_state *st, struct dl_cycle *c)
{
	struct dl_shm *sh = st->sh;
	int n = (int)st->nphil, waits[DL_MAX_PHIL], holder[DL_MAX_PHIL];

	for (int k = 0; k < n; k++) {
		waits[k] = atomic_load(&sh->waits[k]);
		holder[k] = atomic_load(&sh->fork[k].holder);
	}
	c->len = 0;
	for (int start = 0; start < n && !c->len; start++) {
		bool seen[DL_MAX_PHIL] = {false};
		int q = start, p;

		/* walk until a free fork, a philosopher who waits for nothing,
		 * or one seen before: then q is on a cycle */
		while (q >= 0 && q < n && !seen[q] && waits[q] >= 0) {
			seen[q] = true;
			q = holder[waits[q]];
		}
		if (q < 0 || q >= n || !seen[q])
			continue;
		p = q;
		do {
			int held = DL_NO_FORK;

			for (int f = 0; f < n; f++)
				if (holder[f] == p)
					held = f;
			c->phil[c->len] = p;
			c->fork[c->len] = waits[p];
			c->held[c->len] = held;
			c->len++;
			p = holder[waits[p]];
		} while (p != q && c->len < n);
	}
}

static bool same_cycle(const struct dl_cycle *a, const struct dl_cycle *b)
{
	if (a->len != b->len)
		return false;
	for (int k = 0; k < a->len; k++)
		if (a->phil[k] != b->phil[k] || a->fork[k] != b->fork[k] ||
		    a->held[k] != b->held[k])
			return false;
	return true;
}

static uint64_t total_meals(const struct dl_state *st)
{
	uint64_t m = 0;

	for (unsigned p = 0; p < st->nphil; p++)
		m += atomic_load(&st->sh->meals[p]);
	return m;
}

/* Record the confirmed deadlock for verify() and the Coffman conditions
 * that hold in it. */
static void record(struct dl_state *st, const struct dl_cycle *c, double stalled_s)
{
	struct dl_shm *sh = st->sh;
	bool hold_and_wait = c->len > 0;

	sh->stalled_s = stalled_s;
	sh->cycle_len = c->len;
	for (int k = 0; k < c->len; k++) {
		sh->cycle[k] = c->phil[k];
		sh->cycle_fork[k] = c->fork[k];
		sh->cycle_held[k] = c->held[k];
		hold_and_wait &= c->held[k] != DL_NO_FORK;
	}
	/* Forks are mutexes: one holder at a time. Nothing takes a fork from
	 * its holder: a waiter can only give up its own attempt. */
	sh->coffman[0] = 1;
	sh->coffman[1] = hold_and_wait;
	sh->coffman[2] = 1;
	sh->coffman[3] = c->len > 0;
}

/* Between two timed waits: should this philosopher stop waiting? True when
 * the runner asked to stop or the watchdog aborted the table. When no meal
 * was eaten for the deadlock timeout, one philosopher (the first to win
 * `detected`) is the watchdog: it looks for a wait-for cycle, looks again
 * two slices later, and declares a deadlock only when the same cycle is
 * still there and nobody ate meanwhile. A stall without a stable cycle (a
 * starved or preempted philosopher) is counted and the table goes on. */
static bool give_up(struct wl_ctx *ctx, struct dl_state *st)
{
	struct dl_shm *sh = st->sh;
	struct dl_cycle first, again;
	double stalled;
	uint64_t meals;
	int zero = 0;

	if (atomic_load(&sh->abort) || cb_should_stop(ctx))
		return true;
	stalled = (double)(now_ns() - atomic_load(&sh->last_meal_ns)) * 1e-9;
	if (stalled < st->timeout_s)
		return false;
	if (!atomic_compare_exchange_strong(&sh->detected, &zero, 1))
		return false; /* another one is the watchdog; wait for its abort */
	meals = total_meals(st);
	find_cycle(st, &first);
	if (first.len) {
		sync_sleep(2 * DL_SLICE_S);
		find_cycle(st, &again);
	}
	if (!first.len || !same_cycle(&first, &again) || total_meals(st) != meals) {
		atomic_fetch_add(&sh->stalls, 1);
		atomic_store(&sh->detected, 0);
		return false;
	}
	record(st, &first, stalled);
	atomic_store(&sh->abort, 1);
	return true;
}

static void fork_put(struct dl_shm *sh, int f)
{
	atomic_store(&sh->fork[f].holder, DL_NO_FORK);
	pthread_mutex_unlock(&sh->fork[f].mu);
}

/* Take fork f for philosopher p, in slices. 0, -ECANCELED when it gave up,
 * or a negative errno. */
static int fork_take(struct wl_ctx *ctx, struct dl_state *st, int p, int f)
{
	struct dl_shm *sh = st->sh;

	atomic_store(&sh->waits[p], f);
	for (;;) {
		struct timespec ts = sync_realtime_in(DL_SLICE_S);
		int rc = pthread_mutex_timedlock(&sh->fork[f].mu, &ts);

		if (rc == 0 && atomic_load(&sh->abort)) {
			/* the watchdog stopped the table: don't eat on */
			pthread_mutex_unlock(&sh->fork[f].mu);
			rc = ECANCELED;
		}
		if (rc == 0) {
			atomic_store(&sh->fork[f].holder, p);
			atomic_store(&sh->waits[p], DL_NO_FORK);
			return 0;
		}
		if (rc == ECANCELED) {
			atomic_store(&sh->waits[p], DL_NO_FORK);
			return -ECANCELED;
		}
		if (rc != ETIMEDOUT && rc != EINTR) {
			atomic_store(&sh->waits[p], DL_NO_FORK);
			return -rc;
		}
		if (give_up(ctx, st)) {
			atomic_store(&sh->waits[p], DL_NO_FORK);
			return -ECANCELED;
		}
	}
}

static int seat_take(struct wl_ctx *ctx, struct dl_state *st, int p)
{
	struct dl_shm *sh = st->sh;
	int rc = 0;

	atomic_store(&sh->waits[p], DL_SEAT);
	for (;;) {
		struct timespec ts = sync_realtime_in(DL_SLICE_S);

		if (sem_timedwait(&sh->seats, &ts) == 0)
			break;
		if (errno != ETIMEDOUT && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (give_up(ctx, st)) {
			rc = -ECANCELED;
			break;
		}
	}
	atomic_store(&sh->waits[p], DL_NO_FORK);
	return rc;
}

static void eat(struct dl_state *st, int p)
{
	struct dl_shm *sh = st->sh;
	int n = (int)st->nphil;

	atomic_store(&sh->eating[p], 1);
	if (atomic_load(&sh->eating[(p + n - 1) % n]) || atomic_load(&sh->eating[(p + 1) % n]))
		atomic_fetch_add(&sh->violations, 1);
	atomic_fetch_add(&sh->meals[p], 1);
	atomic_store(&sh->last_meal_ns, now_ns());
	atomic_store(&sh->eating[p], 0);
}

static unsigned xorshift(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* One meal of philosopher p in the variant's way. 0, -ECANCELED (gave
 * up, forks put down) or a negative errno. */
static int dine_once(struct wl_ctx *ctx, struct dl_state *st, int p, unsigned *rnd)
{
	struct dl_shm *sh = st->sh;
	int n = (int)st->nphil, left = p, right = (p + 1) % n, first = left, second = right;
	int rc;

	if (st->variant == DL_ORDERED && first > second) {
		first = right;
		second = left;
	}
	if (atomic_load(&sh->abort) || cb_should_stop(ctx))
		return -ECANCELED;
	if (st->variant == DL_WAITER && (rc = seat_take(ctx, st, p)))
		return rc;
	for (;;) {
		rc = fork_take(ctx, st, p, first);
		if (rc)
			break;
		if (st->pick_delay_s > 0)
			sync_sleep(st->pick_delay_s);
		if (st->variant != DL_TRYLOCK) {
			rc = fork_take(ctx, st, p, second);
			if (rc)
				fork_put(sh, first);
			break;
		}
		if (pthread_mutex_trylock(&sh->fork[second].mu) == 0) {
			atomic_store(&sh->fork[second].holder, p);
			break;
		}
		/* no hold and wait: put the first fork back, back off */
		fork_put(sh, first);
		sync_sleep(st->pick_delay_s * (xorshift(rnd) % 1000) / 1000.0 + 1e-6);
		if (give_up(ctx, st)) {
			rc = -ECANCELED;
			break;
		}
	}
	if (!rc) {
		eat(st, p);
		fork_put(sh, second);
		fork_put(sh, first);
	}
	if (st->variant == DL_WAITER)
		sem_post(&sh->seats);
	return rc;
}

static void *philosopher(void *arg)
{
	struct phil_arg *a = arg;
	struct dl_state *st = a->st;
	uint64_t meals = (uint64_t)a->ctx->size;
	unsigned rnd = a->p * 2654435761u + 1;

	if (st->variant == DL_NAIVE)
		meals *= DL_NAIVE_FACTOR;
	a->rc = 0;
	for (uint64_t k = 0; k < meals && !a->rc; k++)
		a->rc = dine_once(a->ctx, st, (int)a->p, &rnd);
	if (a->rc == -ECANCELED && atomic_load(&st->sh->abort))
		a->rc = 0; /* stopped by the watchdog: the outcome, not an error */
	else if (a->rc && a->rc != -ECANCELED)
		atomic_store(&st->sh->abort, 1); /* a real error: free the others */
	return NULL;
}

static int dl_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct dl_state *st = ctx->state;
	struct dl_shm *sh = st->sh;
	struct phil_arg args[DL_MAX_PHIL];
	unsigned mine = 0, started = 0;
	uint64_t meals = 0, zero = 0;
	int rc;

	for (unsigned p = i; p < st->nphil; p += ctx->nworkers)
		args[mine++] = (struct phil_arg){.ctx = ctx, .st = st, .p = p};
	rc = sync_barrier(ctx, &sh->arrived, ctx->nworkers);
	if (rc)
		return rc;
	/* the first meal is due from now on */
	atomic_compare_exchange_strong(&sh->last_meal_ns, &zero, now_ns());
	for (unsigned k = 1; k < mine; k++) {
		rc = pthread_create(&args[k].tid, NULL, philosopher, &args[k]);
		if (rc) {
			atomic_store(&sh->abort, 1);
			rc = cb_error(ctx, -rc, "pthread_create: %s", strerror(rc));
			break;
		}
		started++;
	}
	if (mine && !rc)
		philosopher(&args[0]);
	for (unsigned k = 1; k <= started; k++)
		pthread_join(args[k].tid, NULL);
	for (unsigned k = 0; k < mine; k++) {
		if (!rc && args[k].rc)
			rc = cb_error(ctx, args[k].rc, "philosopher %u: %s", args[k].p,
			              args[k].rc == -ECANCELED ? "stopped" : strerror(-args[k].rc));
		meals += atomic_load(&sh->meals[args[k].p]);
	}
	res->checksum = meals;
	res->ops = (double)meals;
	return rc;
}

static void describe_cycle(const struct dl_shm *sh, char *buf, size_t len)
{
	size_t o = 0;

	for (int k = 0; k < sh->cycle_len && o < len; k++)
		o += (size_t)snprintf(buf + o, len - o, "P%d (holds fork %d) waits for fork %d -> ",
		                      sh->cycle[k], sh->cycle_held[k], sh->cycle_fork[k]);
	if (sh->cycle_len && o < len)
		snprintf(buf + o, len - o, "P%d", sh->cycle[0]);
	else if (!sh->cycle_len)
		snprintf(buf, len,
		         "none (no philosopher waits for a held fork: a stall, not a "
		         "deadlock)");
}

static int dl_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct dl_state *st = ctx->state;
	struct dl_shm *sh = st->sh;
	bool detected = atomic_load(&sh->detected);
	unsigned violations = atomic_load(&sh->violations);
	uint64_t meals = 0, want = (uint64_t)ctx->size * st->nphil;
	char cycle[1024], conds[160];
	size_t o = 0;

	(void)res;
	for (unsigned p = 0; p < st->nphil; p++)
		meals += atomic_load(&sh->meals[p]);
	cb_metric(m, "deadlock_detected", detected);
	cb_metric(m, "meals", (double)meals);
	cb_metric(m, "philosophers", st->nphil);
	cb_metric(m, "cycle_len", sh->cycle_len);
	cb_metric(m, "stalled_s", sh->stalled_s);
	cb_metric(m, "mutual_exclusion", sh->coffman[0]);
	cb_metric(m, "hold_and_wait", sh->coffman[1]);
	cb_metric(m, "no_preemption", sh->coffman[2]);
	cb_metric(m, "circular_wait", sh->coffman[3]);
	cb_metric(m, "violations", violations);
	cb_metric(m, "stalls", atomic_load(&sh->stalls));
	describe_cycle(sh, cycle, sizeof(cycle));
	for (int c = 0; c < 4; c++)
		o += (size_t)snprintf(conds + o, sizeof(conds) - o, "%s%s %s", c ? ", " : "",
		                      coffman_names[c], sh->coffman[c] ? "yes" : "no");
	if (detected && st->variant == DL_NAIVE && st->printed++ == 0 && cb_verbosity >= 0)
		fprintf(stderr,
		        "concbench: %s: deadlock detected after %.3g s without a meal "
		        "(%s mode, %u worker%s); wait-for cycle: %s; Coffman conditions: %s; "
		        "workers stopped\n",
		        ctx->wl->name, sh->stalled_s,
		        ctx->mode == MODE_PROCS ? "procs"
		        : ctx->mode == MODE_SEQ ? "seq"
		                                : "threads",
		        ctx->nworkers, ctx->nworkers == 1 ? "" : "s", cycle, conds);
	if (violations)
		return cb_error(ctx, 1, "neighbours ate at the same time %u times", violations);
	if (st->variant == DL_NAIVE) {
		if (!detected)
			return cb_error(ctx, 1,
			                "naive philosophers ate %llu meals without deadlocking",
			                (unsigned long long)meals);
		if (!sh->cycle_len)
			return cb_error(ctx, 1, "no meal for %.3g s but no wait-for cycle",
			                sh->stalled_s);
		return 0;
	}
	if (detected)
		return cb_error(ctx, 1, "no meal for %.3g s in a live variant; wait-for cycle: %s",
		                sh->stalled_s, cycle);
	if (meals != want)
		return cb_error(ctx, 1, "%llu of %llu meals eaten", (unsigned long long)meals,
		                (unsigned long long)want);
	return 0;
}

static const struct wl_option dl_options[] = {
    {"philosophers", "N", "5", "deadlock: philosophers (and forks) at the table, 2..64", false},
    {"deadlock-timeout", "DURATION", "500ms",
     "deadlock: no meal for this long = deadlock; the watchdog stops the "
     "table",
     false},
    {"pick-delay", "DURATION", "1ms",
     "deadlock: pause between picking up the first and the second fork", false},
    {0},
};

#define DL_BENCH(sym, variant, what)                                                               \
	const struct workload sym = {                                                              \
	    .name = "deadlock." variant,                                                           \
	    .summary = what,                                                                       \
	    .kind = KIND_BENCH,                                                                    \
	    .family_default = true,                                                                \
	    .modes = MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS),           \
	    .default_tasks = 1,                                                                    \
	    .sizes = {10, 50, 500},                                                                \
	    .size_unit = "meals per philosopher",                                                  \
	    .ops_unit = "meal",                                                                    \
	    .options = dl_options,                                                                 \
	    .prepare = dl_prepare,                                                                 \
	    .reset = dl_reset,                                                                     \
	    .run = dl_run,                                                                         \
	    .verify = dl_verify,                                                                   \
	    .cleanup = dl_cleanup,                                                                 \
	}

DL_BENCH(deadlock_naive, "naive",
         "dining philosophers, left then right: deadlocks; the watchdog "
         "detects and reports it");
DL_BENCH(deadlock_ordered, "ordered", "dining philosophers, lower fork first: no circular wait");
DL_BENCH(deadlock_trylock, "trylock",
         "dining philosophers, try the second fork or put the first back: no "
         "hold and wait");
DL_BENCH(deadlock_waiter, "waiter",
         "dining philosophers, a semaphore of N-1 seats: never all reach for forks");
