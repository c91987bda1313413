/* queue.c - producers and consumers around one bounded queue.
 *
 * A mutex + two condition variables guard a fixed array of --queue-cap
 * slots, used as a ring (--order=fifo), a stack (lifo) or a binary heap
 * (priority: highest first, ties oldest first). The queue lives in
 * cb_shm_alloc() memory with process-shared primitives in procs mode, so
 * threads and processes run the very same structure.
 *
 * Workers [0, P) produce, [P, N) consume; P = --producers (default N/2).
 * One worker (seq) plays both roles: it fills the queue, then drains it.
 *
 * Checks (verify): every item consumed exactly once, and the order: each
 * get records, under the queue's lock, which item it took and how many puts
 * had happened; replaying that log against a reference FIFO/stack/heap must
 * give the same item at every get. Figures: items/s and put-to-get latency
 * (time an item spent in the queue) p50/p99.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../runner/concbench.h"
#include "../runner/mix.h"

#define WAIT_SLICE_S 0.1

enum q_order { Q_FIFO, Q_LIFO, Q_PRIO };

static const struct wl_option queue_opts[] = {
    {"order", "fifo|lifo|priority", "fifo", "queue: which item a get takes", false},
    {"producers", "N", "0", "queue: producer workers, the rest consume; 0 = half the workers",
     false},
    {"queue-cap", "N", "64", "queue: slots in the bounded queue", false},
    {0},
};

struct item {
	uint32_t id;
	uint32_t prio;
	uint32_t stamp; /* put number, assigned under the lock */
	uint32_t pad;
	double t_put;
};

/* One get, in get order: written under the lock, except lat. */
struct getlog {
	uint32_t id;
	uint32_t stamp;
	uint32_t puts; /* puts done when this get happened */
	uint32_t prio;
	double lat; /* seconds the item spent in the queue */
};

struct q_shm {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	uint32_t count, head; /* items present; ring: index of the oldest */
	uint32_t puts, gets;
	struct item slot[];
};

struct q_state {
	enum q_order order;
	unsigned cap, producers, consumers;
	uint32_t total;
	struct q_shm *sh;
	size_t sh_size;
	struct getlog *log; /* total entries, shared */
	bool have_sync;
};

/* Heap order: a before b when a has the higher priority, ties oldest first. */
static inline bool before(uint32_t pa, uint32_t sa, uint32_t pb, uint32_t sb)
{
	return pa > pb || (pa == pb && sa < sb);
}

static void heap_push(struct item *h, uint32_t n, struct item it)
{
	uint32_t i = n;

	while (i > 0) {
		uint32_t up = (i - 1) / 2;

		if (!before(it.prio, it.stamp, h[up].prio, h[up].stamp))
			break;
		h[i] = h[up];
		i = up;
	}
	h[i] = it;
}

static struct item heap_pop(struct item *h, uint32_t n)
{
	struct item top = h[0], last = h[n - 1];
	uint32_t i = 0;

	n--;
	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && before(h[c + 1].prio, h[c + 1].stamp, h[c].prio, h[c].stamp))
			c++;
		if (!before(h[c].prio, h[c].stamp, last.prio, last.stamp))
			break;
		h[i] = h[c];
		i = c;
	}
	if (n)
		h[i] = last;
	return top;
}

/* Wait on cv for one slice with the lock held; -ECANCELED once stopped. */
static int wait_slice(struct wl_ctx *ctx, pthread_cond_t *cv, pthread_mutex_t *mu)
{
	double t = cb_now() + WAIT_SLICE_S;
	struct timespec ts = {(time_t)t, 0};
	int rc;

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	rc = GIL_BLOCKING(pthread_cond_timedwait(cv, mu, &ts));
	if (rc && rc != ETIMEDOUT)
		return cb_error(ctx, -rc, "pthread_cond_timedwait: %s", strerror(rc));
	return cb_should_stop(ctx) ? -ECANCELED : 0;
}

static int q_put(struct wl_ctx *ctx, struct q_state *st, struct item it)
{
	struct q_shm *q = st->sh;
	int rc = 0;

	GIL_BLOCKING(pthread_mutex_lock(&q->mu));
	while (q->count == st->cap && !rc)
		rc = wait_slice(ctx, &q->not_full, &q->mu);
	if (rc)
		goto out;
	it.stamp = q->puts++;
	it.t_put = cb_now();
	switch (st->order) {
	case Q_FIFO:
		q->slot[(q->head + q->count) % st->cap] = it;
		break;
	case Q_LIFO:
		q->slot[q->count] = it;
		break;
	case Q_PRIO:
		heap_push(q->slot, q->count, it);
		break;
	}
	q->count++;
	pthread_cond_signal(&q->not_empty);
out:
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* Take one item: 0 with *g = its get number, 1 when every item was taken,
 * or a negative errno. */
static int q_get(struct wl_ctx *ctx, struct q_state *st, uint32_t *g)
{
	struct q_shm *q = st->sh;
	struct item it;
	int rc = 0;

	GIL_BLOCKING(pthread_mutex_lock(&q->mu));
	while (q->count == 0 && !rc) {
		if (q->gets == st->total) {
			rc = 1;
			goto out;
		}
		rc = wait_slice(ctx, &q->not_empty, &q->mu);
	}
	if (rc)
		goto out;
	switch (st->order) {
	case Q_FIFO:
		it = q->slot[q->head];
		q->head = (q->head + 1) % st->cap;
		break;
	case Q_LIFO:
		it = q->slot[q->count - 1];
		break;
	default:
		it = heap_pop(q->slot, q->count);
		break;
	}
	q->count--;
	*g = q->gets++;
	st->log[*g] = (struct getlog){it.id, it.stamp, q->puts, it.prio, it.t_put};
	if (q->gets == st->total)
		pthread_cond_broadcast(&q->not_empty); /* the other consumers may leave */
	pthread_cond_signal(&q->not_full);
out:
	pthread_mutex_unlock(&q->mu);
	return rc;
}

static struct item make_item(const struct wl_ctx *ctx, uint32_t id)
{
	return (struct item){.id = id,
	                     .prio = (uint32_t)(cb_mix64((ctx->seed ^ id) + CB_GOLDEN64) % 1000)};
}

static void note_latency(struct q_state *st, uint32_t g)
{
	st->log[g].lat = cb_now() - st->log[g].lat; /* lat held t_put until now */
}

static int produce(struct wl_ctx *ctx, struct q_state *st, unsigned p, struct task_result *res)
{
	uint32_t lo = (uint32_t)((uint64_t)st->total * p / st->producers);
	uint32_t hi = (uint32_t)((uint64_t)st->total * (p + 1) / st->producers);
	int rc = 0;

	for (uint32_t id = lo; id < hi && !rc; id++) {
		rc = q_put(ctx, st, make_item(ctx, id));
		if (!rc && (id & 255) == 0 && cb_should_stop(ctx))
			rc = -ECANCELED;
	}
	res->checksum = hi - lo;
	return rc;
}

static int consume(struct wl_ctx *ctx, struct q_state *st, struct task_result *res)
{
	uint64_t n = 0;
	uint32_t g;
	int rc;

	while ((rc = q_get(ctx, st, &g)) == 0) {
		note_latency(st, g);
		n++;
	}
	res->ops = (double)n;
	res->checksum = n;
	return rc < 0 ? rc : 0;
}

/* One worker: fill the queue, drain it, until every item went through. */
static int both_roles(struct wl_ctx *ctx, struct q_state *st, struct task_result *res)
{
	uint32_t id = 0, g;
	int rc = 0;

	while (id < st->total && !rc) {
		uint32_t batch = st->total - id < st->cap ? st->total - id : st->cap;

		for (uint32_t k = 0; k < batch && !rc; k++)
			rc = q_put(ctx, st, make_item(ctx, id++));
		for (uint32_t k = 0; k < batch && !rc; k++) {
			rc = q_get(ctx, st, &g);
			if (rc == 0)
				note_latency(st, g);
			else if (rc > 0)
				rc = cb_error(ctx, -EPROTO, "queue empty after %u puts", id);
		}
		if (!rc && cb_should_stop(ctx))
			rc = -ECANCELED;
	}
	res->ops = (double)id;
	res->checksum = id;
	return rc;
}

static int queue_run(struct wl_ctx *ctx, unsigned w, struct task_result *res)
{
	struct q_state *st = ctx->state;

	if (ctx->nworkers == 1)
		return both_roles(ctx, st, res);
	if (w < st->producers)
		return produce(ctx, st, w, res);
	return consume(ctx, st, res);
}

static void queue_cleanup(struct wl_ctx *ctx)
{
	struct q_state *st = ctx->state;

	if (!st)
		return;
	if (st->have_sync) {
		cb_cond_destroy(&st->sh->not_full, ctx->pshared);
		cb_cond_destroy(&st->sh->not_empty, ctx->pshared);
		pthread_mutex_destroy(&st->sh->mu);
	}
	cb_shm_free(st->sh, st->sh_size);
	cb_shm_free(st->log, (size_t)st->total * sizeof(*st->log));
	free(st);
	ctx->state = NULL;
}

static int queue_reset(struct wl_ctx *ctx)
{
	struct q_state *st = ctx->state;

	st->sh->count = st->sh->head = st->sh->puts = st->sh->gets = 0;
	memset(st->log, 0, (size_t)st->total * sizeof(*st->log));
	return 0;
}

static int parse_order(struct wl_ctx *ctx, enum q_order *out)
{
	static const char *const names[] = {"fifo", "lifo", "priority"};
	const char *s = cb_opt_str("order");

	for (int k = 0; k < 3; k++)
		if (s && strcmp(s, names[k]) == 0) {
			*out = (enum q_order)k;
			return 0;
		}
	return cb_error(ctx, -EINVAL, "--order: '%s': want fifo, lifo or priority", s ? s : "");
}

static int queue_prepare(struct wl_ctx *ctx)
{
	struct q_state *st = calloc(1, sizeof(*st));
	long cap, prod;
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = st;
	rc = parse_order(ctx, &st->order);
	if (!rc)
		rc = cb_opt_long(ctx, "queue-cap", 1, 1 << 20, &cap);
	if (!rc)
		rc = cb_opt_long(ctx, "producers", 0, 4096, &prod);
	if (rc)
		goto err;
	if (ctx->size > UINT32_MAX / 2) {
		rc = cb_error(ctx, -EINVAL, "--size: at most %u items", UINT32_MAX / 2);
		goto err;
	}
	st->cap = (unsigned)cap;
	st->total = (uint32_t)ctx->size;
	st->producers = prod ? (unsigned)prod : (ctx->nworkers + 1) / 2;
	if (ctx->nworkers == 1) {
		st->producers = 1;
	} else if (st->producers >= ctx->nworkers) {
		rc = cb_error(ctx, -EINVAL,
		              "--producers=%u leaves no consumer among %u workers (want 1..%u)",
		              st->producers, ctx->nworkers, ctx->nworkers - 1);
		goto err;
	}
	st->consumers = ctx->nworkers == 1 ? 1 : ctx->nworkers - st->producers;
	st->sh_size = sizeof(*st->sh) + st->cap * sizeof(struct item);
	st->sh = cb_shm_alloc(st->sh_size);
	st->log = cb_shm_alloc((size_t)st->total * sizeof(*st->log));
	if (!st->sh || !st->log) {
		rc = cb_error(ctx, -ENOMEM, "shared memory: %s", strerror(errno));
		goto err;
	}
	rc = cb_mutex_init(&st->sh->mu, PTHREAD_MUTEX_NORMAL, ctx->pshared);
	if (!rc && (rc = cb_cond_init(&st->sh->not_empty, ctx->pshared)) != 0)
		pthread_mutex_destroy(&st->sh->mu);
	if (!rc && (rc = cb_cond_init(&st->sh->not_full, ctx->pshared)) != 0) {
		pthread_cond_destroy(&st->sh->not_empty);
		pthread_mutex_destroy(&st->sh->mu);
	}
	if (rc) {
		rc = cb_error(ctx, -rc, "queue lock: %s", strerror(rc));
		goto err;
	}
	st->have_sync = true;
	return 0;
err:
	queue_cleanup(ctx);
	return rc;
}

/* The reference structure the log is replayed against: the same ring,
 * stack or heap, single-threaded, over put numbers. */
static unsigned replay_order(const struct q_state *st, const uint32_t *prio_of)
{
	struct item *ref = malloc((size_t)st->total * sizeof(*ref));
	uint32_t n = 0, head = 0, next = 0;
	unsigned errors = 0;

	if (!ref)
		return 1;
	for (uint32_t g = 0; g < st->total && !errors; g++) {
		const struct getlog *e = &st->log[g];
		struct item want;

		for (; next < e->puts && next < st->total; next++) {
			struct item it = {.stamp = next, .prio = prio_of[next]};

			if (st->order == Q_PRIO)
				heap_push(ref, n, it);
			else
				ref[head + n] = it;
			n++;
		}
		if (n == 0) {
			errors++;
			break;
		}
		if (st->order == Q_FIFO) {
			want = ref[head++];
		} else if (st->order == Q_LIFO) {
			want = ref[head + n - 1];
		} else {
			want = heap_pop(ref, n);
		}
		n--;
		errors += want.stamp != e->stamp;
	}
	free(ref);
	return errors;
}

static int queue_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct q_state *st = ctx->state;
	uint32_t total = st->total, gets = st->sh->gets;
	uint8_t *seen = calloc(total, 1);
	uint32_t *prio_of = calloc(total, sizeof(*prio_of));
	double *lat = malloc((size_t)total * sizeof(*lat));
	double t0 = res[0].t_start, t1 = res[0].t_end;
	uint64_t lost = 0, dup = 0;
	unsigned order_errors;
	int rc = 0;

	if (!seen || !prio_of || !lat) {
		rc = cb_error(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 1; i < ctx->nworkers; i++) {
		if (res[i].t_start < t0)
			t0 = res[i].t_start;
		if (res[i].t_end > t1)
			t1 = res[i].t_end;
	}
	for (uint32_t g = 0; g < gets && g < total; g++) {
		const struct getlog *e = &st->log[g];

		if (e->id >= total || e->stamp >= total) {
			dup++;
			continue;
		}
		dup += seen[e->id] > 0;
		if (seen[e->id] < 255)
			seen[e->id]++;
		prio_of[e->stamp] = e->prio;
		lat[g] = e->lat;
	}
	for (uint32_t id = 0; id < total; id++)
		lost += seen[id] == 0;
	order_errors = lost || dup ? 0 : replay_order(st, prio_of);
	cb_metric(m, "items_per_s", (double)gets / (t1 - t0));
	if (gets) {
		uint32_t n = gets < total ? gets : total;

		cb_metric(m, "lat_p50_us", cb_quantile(lat, n, 0.50) * 1e6);
		cb_metric(m, "lat_p99_us", cb_quantile(lat, n, 0.99) * 1e6);
	}
	cb_metric(m, "lost", (double)lost);
	cb_metric(m, "duplicated", (double)dup);
	cb_metric(m, "order_errors", (double)order_errors);
	cb_metric(m, "producers", st->producers);
	cb_metric(m, "consumers", st->consumers);
	if (lost || dup || gets != total)
		rc = cb_error(ctx, 1, "%llu of %u items lost, %llu consumed twice",
		              (unsigned long long)lost, total, (unsigned long long)dup);
	else if (order_errors)
		rc = cb_error(ctx, 1, "a get took an item out of %s order",
		              st->order == Q_FIFO   ? "fifo"
		              : st->order == Q_LIFO ? "lifo"
		                                    : "priority");
out:
	free(seen);
	free(prio_of);
	free(lat);
	return rc;
}

const struct workload bench_queue = {
    .name = "queue",
    .summary = "producers and consumers on a bounded mutex+condvar queue (fifo, lifo, priority)",
    .kind = KIND_BENCH,
    .family_default = true,
    .modes =
        MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS) | MODE_BIT(MODE_GIL),
    .default_tasks = 2,
    .sizes = {20000, 200000, 2000000},
    .size_unit = "items",
    .ops_unit = "item",
    .options = queue_opts,
    .prepare = queue_prepare,
    .reset = queue_reset,
    .run = queue_run,
    .verify = queue_verify,
    .cleanup = queue_cleanup,
};
