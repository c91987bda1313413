/* async.c - the async-mode worker: tasks as state machines on one loop.
 *
 * fill() starts tasks while fewer than `inflight` are in flight and the
 * dispatch counter has some left; each start() returns at once and the task
 * ends later with cb_async_done(), which frees its slot and fills again.
 * A compute_only workload's run() is called inline: the loop does nothing
 * else meanwhile. The rep is over when nothing is in flight and nothing is
 * left to take; the loop is run in slices of WATCH_S so that a stop set by
 * another thread (another worker's error, the parent's timeout) is seen.
 */
#include "async.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject.h"

#define WATCH_S 0.05

struct cb_async {
	struct arep *a;
	unsigned task;
	bool busy;
};

/* One rep of one worker. */
struct arep {
	const struct async_rep *r;
	struct cb_loop *loop;
	struct cb_async *slots; /* r->inflight of them */
	unsigned *free_ids, nfree;
	unsigned inflight;
	bool filling, no_more, stopped;
	volatile int over; /* the loop's stop flag: the rep is done */
};

bool async_supported(const struct workload *w)
{
	return w->start || w->compute_only;
}

static bool rep_stopping(struct arep *a)
{
	return a->stopped || atomic_load_explicit(a->r->stop, memory_order_relaxed) ||
	       cb_interrupted;
}

static void check_over(struct arep *a)
{
	if (a->inflight == 0 && (a->no_more || rep_stopping(a)))
		a->over = 1;
}

static void fill(struct arep *a);

/* Task of slot s ended with rc. */
static void complete(struct cb_async *s, int rc)
{
	struct arep *a = s->a;
	const struct async_rep *r = a->r;

	r->res[s->task].t_end = cb_now() - r->t0;
	if (rc) {
		char msg[300];

		snprintf(msg, sizeof(msg), "%s", r->ctx->err[0] ? r->ctx->err : strerror(-rc));
		r->fail(r->fail_arg, rc, msg);
		a->stopped = true;
	}
	s->busy = false;
	a->free_ids[a->nfree++] = (unsigned)(s - a->slots);
	a->inflight--;
	if (!a->filling)
		fill(a);
	check_over(a);
}

void cb_async_done(struct cb_async *done, int rc)
{
	if (!done || !done->busy)
		abort(); /* a workload bug: done twice or never started */
	complete(done, rc);
}

static void fill(struct arep *a)
{
	const struct async_rep *r = a->r;
	const struct workload *w = r->ctx->wl;

	a->filling = true;
	while (a->inflight < r->inflight && !a->no_more && !rep_stopping(a)) {
		unsigned i = atomic_fetch_add_explicit(r->next, 1, memory_order_relaxed);
		struct cb_async *s;
		struct task_result *res;
		int rc;

		if (i >= r->ntasks) {
			a->no_more = true;
			break;
		}
		s = &a->slots[a->free_ids[--a->nfree]];
		s->task = i;
		s->busy = true;
		a->inflight++;
		res = &r->res[i];
		res->worker = r->worker;
		res->t_start = cb_now() - r->t0;
		if (r->task_slot)
			atomic_store_explicit(r->task_slot, (int)i, memory_order_relaxed);
		rc = inject_before_task(i);
		if (rc) {
			cb_error(r->ctx, rc, "task %u: injected failure", i);
			complete(s, rc);
		} else if (w->start) {
			rc = w->start(r->ctx, a->loop, i, res, s);
			if (rc) /* never started: end it here */
				complete(s, rc);
		} else {
			complete(s, w->run(r->ctx, i, res)); /* compute_only: blocks the loop */
		}
	}
	a->filling = false;
	check_over(a);
}

static void arep_free(struct arep *a)
{
	if (!a)
		return;
	free(a->slots);
	free(a->free_ids);
	free(a);
}

void async_abandoned_free(void *abandoned)
{
	arep_free(abandoned);
}

/* The first busy slot's task, for the message of a task that waits for
 * nothing. */
static void fail_stalled(struct arep *a)
{
	const struct async_rep *r = a->r;

	for (unsigned k = 0; k < r->inflight; k++)
		if (a->slots[k].busy) {
			char msg[128];

			snprintf(msg, sizeof(msg),
			         "task %u: in flight with nothing to wait for on the loop",
			         a->slots[k].task);
			r->fail(r->fail_arg, -EPROTO, msg);
			return;
		}
}

int async_run_rep(struct cb_loop *l, const struct async_rep *r, void **abandoned)
{
	struct arep *a = calloc(1, sizeof(*a));

	*abandoned = NULL;
	if (a) {
		a->slots = calloc(r->inflight, sizeof(*a->slots));
		a->free_ids = calloc(r->inflight, sizeof(*a->free_ids));
	}
	if (!a || !a->slots || !a->free_ids) {
		arep_free(a);
		r->fail(r->fail_arg, -ENOMEM, "async: out of memory");
		return -ENOMEM;
	}
	a->r = r;
	a->loop = l;
	for (unsigned k = 0; k < r->inflight; k++) {
		a->slots[k].a = a;
		a->free_ids[k] = r->inflight - 1 - k;
	}
	a->nfree = r->inflight;
	r->ctx->err[0] = '\0';
	fill(a);
	while (!a->over) {
		int rc = loop_run(l, &a->over, cb_now() + WATCH_S);

		if (a->over || rep_stopping(a))
			break; /* stopping: tasks in flight are abandoned */
		if (rc == 0) {
			fail_stalled(a);
			break;
		}
		if (rc != -ETIMEDOUT && rc != -EINTR) {
			char msg[128];

			snprintf(msg, sizeof(msg), "event loop: %s", strerror(-rc));
			r->fail(r->fail_arg, rc, msg);
			break;
		}
	}
	if (r->task_slot)
		atomic_store_explicit(r->task_slot, -1, memory_order_relaxed);
	if (a->inflight) {
		/* callbacks on the loop may still name these slots: they are
		 * freed after the loop (the pool is not used again) */
		*abandoned = a;
		return -ECANCELED;
	}
	arep_free(a);
	return 0;
}

int cb_loop_watch(struct cb_loop *loop, int fd, uint32_t events, cb_loop_fn fn, void *arg)
{
	return loop_watch(loop, fd, events, fn, arg);
}

int cb_loop_timer(struct cb_loop *loop, double deadline, cb_loop_fn fn, void *arg, uint64_t *id)
{
	return loop_timer(loop, deadline, fn, arg, id);
}

int cb_loop_timer_cancel(struct cb_loop *loop, uint64_t id)
{
	return loop_timer_cancel(loop, id);
}

int cb_loop_read(struct cb_loop *loop, int fd, void *buf, size_t len, long long off, cb_loop_fn fn,
                 void *arg)
{
	return loop_read(loop, fd, buf, len, (off_t)off, fn, arg);
}

const char *cb_loop_io_name(const struct cb_loop *loop)
{
	return loop_io_name(loop);
}
