/* loop.h - one event loop on one thread: file-descriptor readiness (epoll),
 * timers (a binary heap of deadlines behind one timerfd) and file reads
 * (io_uring through liburing, or a small thread pool where the kernel
 * refuses io_uring, as asyncio's run_in_executor does).
 *
 * Everything runs on the thread that calls loop_run(); callbacks must not
 * block. Nothing here is thread-safe except the fallback read pool's
 * hand-back, which is internal. */
#ifndef CONCBENCH_LOOP_H
#define CONCBENCH_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cb_loop;

/* A callback: `res` is the epoll events for a watch, 0 for a timer, and the
 * byte count or a negative errno for a read. */
typedef void (*cb_loop_fn)(struct cb_loop *l, void *arg, long res);

enum loop_io { LOOP_IO_URING, LOOP_IO_THREADS };

/* Create a loop. `io`: LOOP_IO_URING tries io_uring and falls back to
 * threads when the kernel refuses it (seccomp, sysctl
 * kernel.io_uring_disabled); LOOP_IO_THREADS never tries. 0 or a negative
 * errno. */
int loop_new(struct cb_loop **out, enum loop_io io);

/* Free the loop and everything it holds; pending callbacks never run.
 * Safe on NULL. */
void loop_free(struct cb_loop *l);

/* Which read backend the loop uses: "io_uring" or "threads". */
const char *loop_io_name(const struct cb_loop *l);

/* Watch fd for `events` (EPOLLIN, EPOLLOUT, …; level-triggered): fn(l, arg,
 * events) runs while it is ready. events = 0 stops watching. Watching an fd
 * again replaces its events and callback. 0 or a negative errno. */
int loop_watch(struct cb_loop *l, int fd, uint32_t events, cb_loop_fn fn, void *arg);

/* Run fn(l, arg, 0) once at CLOCK_MONOTONIC time `deadline` (seconds, as
 * cb_now()). *id (may be NULL) names it for loop_timer_cancel. 0 or
 * -ENOMEM. */
int loop_timer(struct cb_loop *l, double deadline, cb_loop_fn fn, void *arg, uint64_t *id);

/* Cancel a pending timer; 0, or -ENOENT when it already ran or never was. */
int loop_timer_cancel(struct cb_loop *l, uint64_t id);

/* Read len bytes at offset off of fd (pread semantics) without blocking the
 * loop; fn(l, arg, bytes or -errno) runs on the loop when done. 0 or a
 * negative errno (nothing queued). */
int loop_read(struct cb_loop *l, int fd, void *buf, size_t len, off_t off, cb_loop_fn fn,
              void *arg);

/* Run callbacks until nothing is pending (no watch, timer or read), *stop
 * becomes nonzero, or `until` (a cb_now() deadline; 0 = none) passes.
 * Returns 0, -ETIMEDOUT past `until`, -EINTR when stopped, or a negative
 * errno of epoll_wait. */
int loop_run(struct cb_loop *l, const volatile int *stop, double until);

/* Pending watches + timers + reads. */
unsigned loop_pending(const struct cb_loop *l);

#endif
