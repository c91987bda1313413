/* pool.h - the workers of one rep: threads or processes, pooled or per task.
 *
 * One dispatch path: the control block, the task counter and the results
 * live in MAP_SHARED memory, so a pool thread and a forked pool process run
 * the same worker loop; only starting and joining a worker differ.
 *
 *   pool_start()  create the workers and wait until each is ready (pooled
 *                 modes; this is the start-up cost, outside the clock)
 *   pool_run()    release them and wait until every task is done (the
 *                 makespan; per-task modes create their workers here)
 *   pool_stop()   join / reap everything
 */
#ifndef CONCBENCH_POOL_H
#define CONCBENCH_POOL_H

#include <stdbool.h>

#include "../concbench.h"
#include "placement.h"

struct pool;

struct pool_params {
	enum cb_mode mode;
	unsigned nworkers; /* 1 in seq */
	unsigned ntasks; /* benches: == nworkers */
	bool bench; /* worker i runs body i once, all at the same time */
	enum cb_pin pin; /* worker i on CPU i mod n of placement_cpus(pin); seq like worker 0 */
	double timeout_s; /* 0: none; pool_run gives up after it */
	struct wl_ctx *ctx; /* shared by all workers; each gets its own copy */
	struct task_result *res; /* ntasks entries in cb_shm_alloc() memory */
};

/* Resource use of the workers, for modes where they are other processes. */
struct pool_usage {
	double user_s, sys_s;
	long nvcsw, nivcsw, maxrss_kb;
};

/* Start the workers of one rep (pooled modes) and wait until all are ready.
 * 0 or a negative errno with a message in pp->ctx->err; on failure every
 * worker already started has been stopped and reaped. */
int pool_start(struct pool **out, const struct pool_params *pp);

/* Run every task once. Returns 0; the first task error (negative errno,
 * message in ctx->err); -ECHILD when a worker process died (message says
 * which and during which task); -ETIMEDOUT after timeout_s. */
int pool_run(struct pool *p);

/* Worker-process resource use during pool_run (zero for thread modes). */
void pool_usage_get(const struct pool *p, struct pool_usage *u);

/* Join or reap every worker and free the pool. Returns 0, or -EBUSY when a
 * thread could not be stopped (a timed-out thread keeps running: the caller
 * must end the process). Safe on NULL. */
int pool_stop(struct pool *p);

#endif
