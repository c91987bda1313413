/* async.h - one rep of an async-mode worker: up to `inflight` tasks at once
 * on one event loop (runner/exec/loop.h), taken from the pool's shared
 * dispatch counter; the loop services of the workload API (cb_loop_*,
 * cb_async_done) are defined in async.c. */
#ifndef CONCBENCH_ASYNC_H
#define CONCBENCH_ASYNC_H

#include "../concbench.h"
#include "loop.h"

/* What the pool hands one async worker for one rep. */
struct async_rep {
	struct wl_ctx *ctx; /* the worker's own ctx (wstate set) */
	struct task_result *res; /* ntasks entries */
	unsigned ntasks;
	unsigned inflight; /* at most this many tasks at once; >= 1 */
	unsigned worker;
	double t0; /* the rep clock origin (cb_now()) */
	_Atomic unsigned *next; /* the shared dispatch counter */
	_Atomic int *stop; /* set when the rep must end early */
	/* A task's error: record it (first one wins) and stop the rep. */
	void (*fail)(void *arg, int rc, const char *msg);
	void *fail_arg;
	_Atomic int *task_slot; /* the worker's "task being run" (last started), or NULL */
};

/* True when workload w can run in async mode: it has start(), or it is
 * compute_only (run() inline on the loop). */
bool async_supported(const struct workload *w);

/* Run tasks on loop l until none is left to take and none is in flight,
 * or until *r->stop / SIGINT. Errors go through r->fail. Returns 0, or
 * -ECANCELED when tasks were left in flight: their state is in *abandoned,
 * to free with async_abandoned_free() after loop_free(l) (the loop must
 * not run again). */
int async_run_rep(struct cb_loop *l, const struct async_rep *r, void **abandoned);

/* Free what async_run_rep() abandoned. Safe on NULL. */
void async_abandoned_free(void *abandoned);

#endif
