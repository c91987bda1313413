/* concbench.h - what a workload or bench file sees of the runner.
 *
 * A workload splits work into independent tasks; a bench runs one body per
 * worker against shared state. Neither knows the mode: the runner decides
 * whether run() is called in a loop, on a pool thread, or in a forked worker.
 * Adding one = one .c file exporting one const descriptor + one line in
 * workloads/list.def or bench/list.def.
 *
 * Memory rule: anything run() writes that the parent must see after the rep
 * (outputs, counters, locks) lives in cb_shm_alloc() memory, so the same code
 * serves a thread and a forked process. Inputs built in prepare() are plain
 * memory: workers are forked after prepare() and inherit them. A pool
 * lives for all the reps of its cell, so plain memory that reset() changes
 * in the parent after a worker process was forked is not seen by it.
 */
#ifndef CONCBENCH_H
#define CONCBENCH_H

#include <pthread.h>
#include <signal.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gil.h"

#define CB_CACHELINE 64

enum cb_mode {
	MODE_SEQ,
	MODE_THREADS,
	MODE_PROCS,
	MODE_GIL,
	MODE_THREAD_PER_TASK,
	MODE_FORK_PER_TASK,
	MODE_ASYNC,
	MODE__COUNT
};
#define MODE_BIT(m) (1u << (m))
#define MODES_POOLED                                                                               \
	(MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS) | MODE_BIT(MODE_GIL))
#define MODES_EVERY ((1u << MODE__COUNT) - 1)

struct cb_loop; /* a worker's event loop (async mode); opaque */
struct cb_async; /* the completion of one started task (async mode); opaque */

/* A loop callback: `res` is the ready events (EPOLLIN, EPOLLOUT, … of
 * <sys/epoll.h>) for a watch, 0 for a timer, the byte count or a negative
 * errno for a read. Runs on the loop's thread; must not block. */
typedef void (*cb_loop_fn)(struct cb_loop *loop, void *arg, long res);

enum cb_kind { KIND_WORKLOAD, KIND_BENCH };

/* What one task (workload) or one worker body (bench) reports. The runner
 * fills worker, t_start and t_end; run() fills checksum and ops. */
#define CB_NO_CPU 0xffffu

struct task_result {
	uint64_t checksum; /* deterministic digest of what the task computed */
	double ops; /* units of work done (flops, bytes, increments …) */
	double t_start; /* seconds since the rep's clock started */
	double t_end;
	uint32_t worker;
	uint16_t cpu_start; /* CPU the task started and ended on (set by the */
	uint16_t cpu_end; /* runner; CB_NO_CPU when unknown) */
};

#define CB_MAX_METRICS 16

/* The most workers (--workers) one invocation may ask for. */
#define CB_MAX_WORKERS 16384L

/* Per-rep figures a bench or workload adds to its CSV row (`metrics`
 * column, `name=value;…`). The first one is shown in the table. */
struct cb_metrics {
	unsigned n;
	const char *name[CB_MAX_METRICS];
	double value[CB_MAX_METRICS];
};

struct wl_ctx {
	const struct workload *wl;
	enum cb_mode mode; /* set before each rep; prepare() must not depend on it */
	bool pshared; /* workers are processes: primitives need PTHREAD_PROCESS_SHARED */
	unsigned nworkers; /* workers in this rep (1 in seq); in prepare(): the most
	                    * workers any cell of this instance will run */
	unsigned ntasks; /* tasks per rep (benches: == nworkers) */
	unsigned worker; /* in run(): index of the worker calling it, 0..nworkers-1 */
	bool transport_pipe; /* --transport=pipe: procs return task output through a pipe */
	long size; /* resolved --size (workload-defined scale) */
	uint64_t seed; /* --seed */
	_Atomic int *stop; /* set by the runner when the cell times out */
	void *state; /* the workload's own, set by prepare() */
	void *wstate; /* the worker's own, set by worker_init() in that worker */
	char err[256]; /* why prepare/run/verify failed; see cb_error() */
};

/* A workload-specific command-line option, e.g. --radius=N. Declared by the
 * workload, parsed by the runner; read back with cb_opt_*(). Several
 * workloads may declare the same name; the first declaration's help wins. */
struct wl_option {
	const char *name;
	const char *arg; /* "N", "DURATION" …; NULL for a flag */
	const char *def; /* default value as text; NULL: unset */
	const char *help; /* one line */
	bool repeatable; /* each occurrence counts (cb_opt_nth); else the last wins */
};

struct workload {
	const char *name; /* "cpu.matmul": family.kernel */
	const char *summary; /* one line for `list` and --help */
	enum cb_kind kind;
	bool family_default; /* selected by the bare family name (`cpu`) */
	unsigned modes; /* MODE_BIT mask of supported modes; 0 = all */
	unsigned default_tasks;
	long sizes[3]; /* small, medium (default), large */
	const char *size_unit; /* what --size counts, for `list` */
	const char *ops_unit; /* what task_result.ops counts ("flop", "B"…) */
	const struct wl_option *options;

	/* Build inputs and shared state. Called once per instance, before any
	 * worker exists and outside every clock. 0, or -EINVAL for bad input
	 * (exit 2) / another negative errno (exit 1), with ctx->err set. */
	int (*prepare)(struct wl_ctx *ctx);
	/* Optional, Python's pool `initializer=`: build what one worker keeps
	 * for its life (a connection, scratch memory) in ctx->wstate. Called in
	 * the worker (its own thread or process, its own copy of ctx with
	 * ctx->worker set, without the GIL) before it reports ready: outside
	 * the clock for seq, threads, procs and gil, whose workers live for all
	 * the reps of a cell; inside it, once per task, for thread-per-task and
	 * fork-per-task, whose workers live for one task. 0 or a negative errno
	 * with ctx->err set (the cell fails). */
	int (*worker_init)(struct wl_ctx *ctx);
	/* Optional: free what worker_init() built, in the same worker, after
	 * its last task. Not called when worker_init() failed (it frees what
	 * it built itself) nor in a worker process that is killed. */
	void (*worker_fini)(struct wl_ctx *ctx);
	/* Optional: reset shared state before each rep, outside the clock. */
	int (*reset)(struct wl_ctx *ctx);
	/* Run task `i` (workload) or the body of worker `i` (bench). May run on
	 * any thread or in a forked process. 0 or negative errno + ctx->err. */
	int (*run)(struct wl_ctx *ctx, unsigned i, struct task_result *res);
	/* Optional, the async form (--mode=async): start task `i` on `loop`
	 * without blocking and return; the task goes on in loop callbacks
	 * (cb_loop_watch/timer/read) and ends with exactly one
	 * cb_async_done(done, rc) — possibly before start() returns. It fills
	 * res like run() (checksum, ops); ctx->err says why on an error. Up to
	 * --inflight tasks of one worker are in flight at once on its loop; the
	 * worker's ctx (and its wstate) is shared by them. A negative return
	 * means the task never started (cb_async_done must not be called). */
	int (*start)(struct wl_ctx *ctx, struct cb_loop *loop, unsigned i, struct task_result *res,
	             struct cb_async *done);
	/* No waits at all, CPU only (cpu.*, image.*): in async mode without
	 * start(), run() is called inline on the loop and blocks it, as CPU
	 * work blocks asyncio's loop. A workload with neither is refused in
	 * async mode. */
	bool compute_only;
	/* Optional: check the rep after all workers joined; add metrics.
	 * 0 = verified, 1 = a correctness check failed (ctx->err says which),
	 * negative errno = could not check. Workloads without verify() are
	 * verified by comparing the rep checksum with the seq one. */
	int (*verify)(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m);
	/* Optional: free what prepare() built. */
	void (*cleanup)(struct wl_ctx *ctx);
	/* Optional: region `part` (0, 1, …) of what task `task` wrote, for the
	 * process pool's pipe transport (--transport=pipe, runner/exec/transport.h).
	 * 1 with *buf and *len set, 0 when the task has no such part. Called in
	 * the worker after run() and in the parent (fork keeps addresses). When
	 * ctx->transport_pipe (set before reset()), keep these regions in plain
	 * malloc memory, not cb_shm_alloc: the pipe is then their only way back. */
	int (*output)(struct wl_ctx *ctx, unsigned task, unsigned part, void **buf, size_t *len);
	/* Optional: region `part` (0, 1, …) of the input every task reads (built
	 * by prepare()); 1 with *buf and *len set, 0 past the last. A forked
	 * pool worker reads one byte per page of these, and maps the output()
	 * regions, before it reports ready: the first touch of inherited memory
	 * is paid once by a long-lived pool, not inside every rep's makespan. */
	int (*input)(struct wl_ctx *ctx, unsigned part, void **buf, size_t *len);
};

/* --- services for workloads and benches (runner/exec/shm.c, runner/cli/options.c) --- */

/* Zeroed MAP_SHARED|MAP_ANONYMOUS memory visible to forked workers.
 * NULL on failure (errno set). Free with cb_shm_free(p, same size). */
void *cb_shm_alloc(size_t size);
void cb_shm_free(void *p, size_t size);

/* Initialise a mutex / condition variable / rwlock for this ctx: process-shared
 * when ctx->pshared. `type` is a PTHREAD_MUTEX_* kind. 0 or an errno. */
int cb_mutex_init(pthread_mutex_t *m, int type, bool pshared);
int cb_cond_init(pthread_cond_t *c, bool pshared);
/* Destroy what cb_cond_init made. A process-shared one is left as it is
 * (its memory is unmapped with the shm): a worker process killed while it
 * waited (an interrupt, a timeout) never leaves it, and glibc's
 * pthread_cond_destroy would wait for that waiter for ever. */
void cb_cond_destroy(pthread_cond_t *c, bool pshared);

/* Record why something failed: "fmt" is printed as
 * `concbench: <workload>: <message>`. Returns `code` for `return cb_error(…)`. */
int cb_error(struct wl_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Workload options as given on the command line (or their default).
 * cb_opt_str: NULL when unset and without default. cb_opt_long/double/duration
 * parse and range-check; 0 or -EINVAL with ctx->err naming the option. */
const char *cb_opt_str(const char *name);
bool cb_opt_flag(const char *name);
/* The n-th value (0-based) given for a repeatable option, in command-line
 * order; NULL past the last one. Defaults are not included. */
const char *cb_opt_nth(const char *name, unsigned n);
int cb_opt_long(struct wl_ctx *ctx, const char *name, long min, long max, long *out);
int cb_opt_duration(struct wl_ctx *ctx, const char *name, double min_s, double max_s,
                    double *out_s);

/* Print `concbench: note: …` on stderr unless quiet (verbosity < 0). */
void cb_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* -1 quiet, 0 normal, 1 verbose; set once by the command line. */
extern int cb_verbosity;

/* Add a per-rep metric; silently ignores more than CB_MAX_METRICS. */
void cb_metric(struct cb_metrics *m, const char *name, double value);

/* Monotonic seconds. Can't fail. */
double cb_now(void);

/* The p-quantile (0..1) of v[0..n) by the one definition every percentile
 * of concbench uses (runner/base/stats.c: linear between order statistics,
 * numpy's default); sorts v in place. NaN when n == 0. Can't fail. */
double cb_quantile(double *v, size_t n, double p);

/* --- async mode: services for start() (runner/exec/async.c) --- */

/* End the task `done` stands for: rc 0, or a negative errno with ctx->err
 * set. Exactly once per started task; `done` is invalid afterwards. */
void cb_async_done(struct cb_async *done, int rc);

/* Watch fd for `events` (EPOLLIN, EPOLLOUT; level-triggered): fn(loop,
 * arg, ready events) runs while it is ready. events = 0 stops watching;
 * watching again replaces events and callback. 0 or a negative errno. */
int cb_loop_watch(struct cb_loop *loop, int fd, uint32_t events, cb_loop_fn fn, void *arg);

/* Run fn(loop, arg, 0) once at `deadline` (seconds, as cb_now()); *id (may
 * be NULL) names it for cb_loop_timer_cancel. 0 or -ENOMEM. */
int cb_loop_timer(struct cb_loop *loop, double deadline, cb_loop_fn fn, void *arg, uint64_t *id);

/* Cancel a pending timer: 0, or -ENOENT when it ran or never was. */
int cb_loop_timer_cancel(struct cb_loop *loop, uint64_t id);

/* pread(fd, buf, len, off) without blocking the loop (io_uring, or the
 * loop's small thread pool where the kernel refuses io_uring); fn(loop, arg,
 * bytes or -errno) runs on the loop when done. 0 or a negative errno. */
int cb_loop_read(struct cb_loop *loop, int fd, void *buf, size_t len, long long off, cb_loop_fn fn,
                 void *arg);

/* The read backend of the loop: "io_uring" or "threads". */
const char *cb_loop_io_name(const struct cb_loop *loop);

/* Nonzero once SIGINT or SIGTERM arrived (runner/exec/signals.c). */
extern volatile sig_atomic_t cb_interrupted;

/* True once the runner asked this cell to stop (timeout, failure) or this
 * process got SIGINT/SIGTERM. */
static inline bool cb_should_stop(const struct wl_ctx *ctx)
{
	return atomic_load_explicit(ctx->stop, memory_order_relaxed) != 0 || cb_interrupted;
}

#endif
