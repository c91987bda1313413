/* pool_int.h - what the two sides of a pool share (pool.c: the parent,
 * pool_worker.c: the workers): the shared memory, the slots, the pool.
 *
 * Control flow of a pooled cell (threads, procs, gil); the pool lives for
 * every rep of the cell:
 *   parent: create N workers ─ wait `ready` ×N
 *           per rep: t0 ─ post each slot's `go` ─ wait `done` ×N ─ t1 ─ wait `ready` ×N
 *           finally: set `quit`, post each slot's `go`, join / reap
 *   worker: worker_init ─ post `ready`
 *           per rep: wait own `go` ─ take tasks from `next` until none ─ post `done` ─
 *                    record use (procs) ─ post `ready`
 *           on `quit`: worker_fini, exit
 * Each worker has its own `go`, so a fast worker can never take a slower
 * one's release (a bench runs body i on worker i exactly once per rep).
 * Per-task modes keep at most N workers alive: each runs one task, raises
 * its slot's `finished` flag and posts `done`; the parent joins that slot
 * and starts the next task in it.
 *
 * The semaphores are process-shared and live with the task counter in
 * MAP_SHARED memory, so the same code serves threads and processes. The
 * parent never blocks without a deadline: every wait wakes up every
 * WATCH_S to notice a dead worker process or the cell's timeout.
 */
#ifndef CONCBENCH_POOL_INT_H
#define CONCBENCH_POOL_INT_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "pool.h"
#include "transport.h"
#include "async.h"

#define WATCH_S 0.05
#define STOP_GRACE_S 1.0
/* A healthy thread was released to quit and runs worker_fini: an async
 * loop's may close 10,000 connections, which takes more than a second on a
 * loaded machine; only a thread of a failed pool can be stuck. */
#define FINI_GRACE_S 60.0

struct slot {
	sem_t go; /* pooled modes: release this worker for one rep (or quit) */
	_Atomic int finished; /* per-task modes: the task in this slot is done */
	_Atomic int task; /* task being run, -1 between tasks */
	double user_s, sys_s; /* procs: the worker's own rusage during the rep */
	long nvcsw, nivcsw, maxrss_kb; /* maxrss_kb: the rep's own peak (-1: unknown) */
	struct mech_counts mech; /* the worker's mechanisms in the rep (per-task: its tasks') */
} __attribute__((aligned(CB_CACHELINE)));

struct pool_shm {
	sem_t ready, done;
	double t0; /* rep clock origin */
	_Atomic unsigned next __attribute__((aligned(CB_CACHELINE)));
	_Atomic int error __attribute__((aligned(CB_CACHELINE))); /* first task error */
	_Atomic int stop; /* workers take no more tasks; ctx->stop points here */
	_Atomic int quit; /* pooled workers: leave instead of running a rep */
	char errmsg[256];
	char io_backend[16]; /* async: worker 0's loop read backend, set before ready */
	struct slot slots[];
};

struct pool {
	struct pool_params pp;
	struct pool_shm *sh;
	size_t sh_size;
	pthread_t *tids;
	pid_t *pids; /* 0: not started or reaped */
	bool *started; /* thread slots with a live thread to join */
	unsigned ncpu, *cpus;
	bool procs; /* workers are processes */
	bool per_task;
	bool stuck; /* a thread could not be stopped */
	bool have_sems;
	bool have_go; /* slots' go semaphores initialised */
	bool failed; /* a rep or the start failed: only pool_stop is left */
	bool seq_init; /* seq: worker_init ran on seq_ctx */
	double deadline;
	long child_maxrss_kb; /* fork-per-task: peak of the children reaped in the rep */
	struct wl_ctx seq_ctx; /* seq: the one worker's context, kept across reps */
	struct mech_worker seq_mech; /* seq: the parent thread's counters */
	size_t test_alloc; /* CONCBENCH_TEST_ALLOC: bytes each task touches and frees */
	struct transport *tp; /* procs, --transport=pipe: task outputs come by pipe */
};

struct thread_arg {
	struct pool *p;
	unsigned id;
	int task; /* per-task modes */
};

/* pool_worker.c, for the parent side: the mode's kind of worker; pin the
 * caller as worker id; record a worker's first error; the bytes of
 * CONCBENCH_TEST_ALLOC for workload wl (testing only); run task i as worker
 * id (0 or the task's error, recorded); a worker's worker_init/worker_fini;
 * start worker id (task: the task of a per-task worker, else -1), 0 or a
 * negative errno. */
bool pl_mode_is_procs(enum cb_mode m);
bool pl_mode_is_per_task(enum cb_mode m);
void pl_pin_self(struct pool *p, unsigned id, bool thread);
void pl_record_error(struct pool *p, int rc, const char *msg);
size_t pl_test_alloc_bytes(const char *wl);
int pl_run_one(struct pool *p, struct wl_ctx *ctx, unsigned id, unsigned i);
int pl_init_worker(struct pool *p, struct wl_ctx *ctx, unsigned id);
void pl_fini_worker(struct wl_ctx *ctx);
int pl_start_worker(struct pool *p, unsigned id, int task);

#endif
