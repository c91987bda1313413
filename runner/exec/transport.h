/* transport.h - the process pool's pipe transport (--transport=pipe).
 *
 * In `procs` mode with --transport=pipe, a workload that declares an
 * output() hook keeps its task outputs in private (malloc) memory; each
 * worker process sends the regions of every task it finished over its own
 * pipe, and the parent reads them into the same addresses of its own memory
 * (fork keeps addresses). Only the task results (checksums, ops) still come
 * back through shared memory. So the makespan of a pipe rep includes the
 * price of moving the data between processes: copy in, copy out, the page
 * faults of private memory and the wake-ups.
 *
 * Wire format per part: struct { u32 task, part; u64 len; } then len bytes;
 * a header with task UINT32_MAX ends the worker's rep. The pipes live as
 * long as the pool, across the reps of its cell:
 *
 *   parent: transport_open ─ fork ─ transport_forked ─
 *           (transport_rep_begin ─ transport_wait … ─ transport_finish)… ─
 *           transport_close
 *   worker: transport_child ─ ((run task, transport_send)… ─ transport_rep_end)…
 */
#ifndef CONCBENCH_TRANSPORT_H
#define CONCBENCH_TRANSPORT_H

#include <semaphore.h>

#include "../concbench.h"

struct transport;

/* Parent, before any worker is forked: one pipe per worker. `ctx` is the
 * parent's context; output() is called with it to find where each part
 * goes, and parent-side errors are recorded in it. 0, or a negative errno
 * with ctx->err set. */
int transport_open(struct transport **out, struct wl_ctx *ctx, unsigned nworkers, unsigned ntasks);

/* In worker `id`'s process right after fork: keep only its own write end
 * (so every pipe sees EOF when its one writer is done); ignore SIGPIPE. */
void transport_child(struct transport *t, unsigned id);

/* In the parent right after worker `id` was forked: close its write end. */
void transport_forked(struct transport *t, unsigned id);

/* Worker: send every output part of `task` (blocking). 0, or a negative
 * errno with wctx->err set. */
int transport_send(struct transport *t, struct wl_ctx *wctx, unsigned id, unsigned task);

/* Worker: no more parts in this rep (sends the end-of-rep header). 0, or a
 * negative errno with wctx->err set. */
int transport_rep_end(struct transport *t, struct wl_ctx *wctx, unsigned id);

/* Parent, before releasing the workers for a rep: nothing received yet. */
void transport_rep_begin(struct transport *t);

/* Parent: like sem_clockwait(s, CLOCK_MONOTONIC, until) but reading what
 * the workers send meanwhile (so a worker never blocks on a full pipe).
 * 0 when a post of `s` was taken; -1 with errno ETIMEDOUT at `until`, EINTR,
 * or EPROTO / EIO (ctx->err set) on a broken stream. */
int transport_wait(struct transport *t, sem_t *s, double until);

/* Parent, after every worker posted done: read the rest until every worker
 * ended its rep (or closed its pipe), then check that every part of every task arrived. `deadline`
 * in cb_now() seconds, 0 for none. 0, -ETIMEDOUT, or -EPROTO / -EIO with
 * ctx->err set. */
int transport_finish(struct transport *t, double deadline);

/* Worker process, before it reports ready (outside the clock): read one
 * byte per page of the workload's input() regions and map its output()
 * regions into this process's page tables (MADV_POPULATE_WRITE), so the
 * first-touch costs are paid at start-up rather than in the pool's first
 * rep. Best effort, for both transports; nothing without the hooks. Can't
 * fail. */
void transport_prefault(struct wl_ctx *wctx);

/* Close what is left open and free. Safe on NULL. */
void transport_close(struct transport *t);

#endif
