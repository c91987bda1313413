/* pool.h - the workers of one cell: threads or processes, pooled or per task.
 *
 * One dispatch path: the control block, the task counter and the results
 * live in MAP_SHARED memory, so a pool thread and a forked pool process run
 * the same worker loop; only starting and joining a worker differ.
 *
 * A pool lives for every rep of its cell (warmup and measured), like a
 * user's long-lived pool; several pools may be alive at once, the idle ones
 * blocked on their semaphores:
 *
 *   pool_start()      create the workers, run the workload's worker_init()
 *                     in each and wait until each is ready (pooled modes;
 *                     the start-up cost, outside every clock)
 *   pool_run()        one rep: release the workers and wait until every
 *                     task is done (the makespan; per-task modes create
 *                     their workers, and call worker_init, here)
 *   pool_usage_get()  after the clock: wait until every worker process has
 *                     recorded its rep (CPU time, peak RSS) and is idle
 *   pool_stop()       worker_fini() in each worker, join / reap everything
 */
#ifndef CONCBENCH_POOL_H
#define CONCBENCH_POOL_H

#include <stdbool.h>

#include "../concbench.h"
#include "mech.h"
#include "placement.h"

struct pool;

struct pool_params {
	enum cb_mode mode;
	unsigned nworkers; /* 1 in seq */
	unsigned ntasks; /* benches: == nworkers */
	bool bench; /* worker i runs body i once per rep, all at the same time */
	enum cb_pin pin; /* worker i on CPU i mod n of placement_cpus(pin); seq like worker 0 */
	double timeout_s; /* 0: none; pool_run gives up after it */
	unsigned inflight; /* async: tasks in flight per loop; 0: all */
	struct wl_ctx *ctx; /* shared by all workers; each gets its own copy at pool_start */
	struct task_result *res; /* ntasks entries in cb_shm_alloc() memory */
};

/* Resource use of the workers during one rep: user/sys/switches/peak for
 * the modes where they are other processes (procs: each worker's own
 * deltas; fork-per-task: the reaped children's peak; zero for thread
 * modes), and in every mode the mechanism counters each worker read at the
 * edges of its work (seq: the parent thread's). */
struct pool_usage {
	double user_s, sys_s;
	long nvcsw, nivcsw, maxrss_kb; /* maxrss_kb: the largest process's peak in the rep */
	struct mech_counts mech; /* every mode: the workers' mechanisms, summed (mech.h) */
};

/* Start the workers of a cell (pooled modes) and wait until all are ready
 * (worker_init() done). 0 or a negative errno with a message in
 * pp->ctx->err; on failure every worker already started has been stopped
 * and reaped. */
int pool_start(struct pool **out, const struct pool_params *pp);

/* Run every task once (one rep). Returns 0; the first task error (negative
 * errno, message in ctx->err); -ECHILD when a worker process died (message
 * says which and during which task); -ETIMEDOUT after timeout_s; -EINTR
 * after SIGINT/SIGTERM. After an error the pool can only be stopped. */
int pool_run(struct pool *p);

/* After a successful pool_run, outside the clock: wait until every worker
 * process has recorded its use of the rep and is idle again, and return
 * that use in *u. 0, or a negative errno (a worker died, signal) with
 * ctx->err set; the pool can then only be stopped. */
int pool_usage_get(struct pool *p, struct pool_usage *u);

/* Stop every worker (worker_fini() in each when the pool is healthy; a
 * failed pool's processes are killed), join or reap them and free the
 * pool. Returns 0, or -EBUSY when a thread could not be stopped (a
 * timed-out thread keeps running: the caller must end the process). Safe on
 * NULL. */
int pool_stop(struct pool *p);

/* async: the read backend of the workers' loops ("io_uring" or
 * "threads"), known once pool_start() returned; NULL in other modes. */
const char *pool_io_backend(const struct pool *p);

/* Peak resident set of this process since the last rss_peak_reset(), in
 * KiB (Linux VmHWM); -1 when /proc is not readable. */
long rss_peak_kb(void);

/* Restart the peak resident set at the current one (writes 5 to
 * /proc/self/clear_refs). 0, or -1 where the kernel does not allow it. */
int rss_peak_reset(void);

#endif
