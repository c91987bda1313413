/* Unit tests of the event loop (runner/exec/loop.c): timers, watches and
 * reads through io_uring and through the fallback thread pool. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../../runner/concbench.h"
#include "../../runner/exec/loop.h"

struct order {
	unsigned n;
	int seen[16];
};

/* Each timer's arg: the order record and its own number. */
struct targ {
	struct order *o;
	int k;
};

static void note(struct cb_loop *l, void *arg, long res)
{
	struct order *o = ((struct targ *)arg)->o;

	(void)l;
	cr_assert_eq(res, 0);
	o->seen[o->n++] = ((struct targ *)arg)->k;
}

Test(loop, timers_fire_in_deadline_order_and_cancel_works)
{
	struct cb_loop *l;
	struct order o = {0};
	struct targ t[4];
	uint64_t id[4];
	double t0 = cb_now();
	const double due[4] = {0.030, 0.010, 0.020, 0.015};

	cr_assert_eq(loop_new(&l, LOOP_IO_THREADS), 0);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct targ){&o, i};
		cr_assert_eq(loop_timer(l, t0 + due[i], note, &t[i], &id[i]), 0);
	}
	cr_assert_eq(loop_timer_cancel(l, id[2]), 0);
	cr_assert_eq(loop_timer_cancel(l, id[2]), -ENOENT);
	cr_assert_eq(loop_run(l, NULL, 0), 0);
	cr_assert_eq(o.n, 3);
	cr_assert_eq(o.seen[0], 1);
	cr_assert_eq(o.seen[1], 3);
	cr_assert_eq(o.seen[2], 0);
	cr_assert(cb_now() - t0 >= 0.030, "the last timer ran before its deadline");
	loop_free(l);
}

static void count(struct cb_loop *l, void *arg, long res)
{
	(void)l;
	(void)res;
	(*(unsigned *)arg)++;
}

Test(loop, ten_thousand_timers_on_one_loop)
{
	struct cb_loop *l;
	unsigned fired = 0;
	double t0 = cb_now();

	cr_assert_eq(loop_new(&l, LOOP_IO_THREADS), 0);
	for (unsigned i = 0; i < 10000; i++)
		cr_assert_eq(loop_timer(l, t0 + 0.05 + (i % 97) * 1e-4, count, &fired, NULL), 0);
	cr_assert_eq(loop_pending(l), 10000);
	cr_assert_eq(loop_run(l, NULL, 0), 0);
	cr_assert_eq(fired, 10000);
	cr_assert_eq(loop_pending(l), 0);
	loop_free(l);
}

struct pipe_arg {
	int fd;
	char got[8];
	unsigned n;
};

static void on_readable(struct cb_loop *l, void *arg, long events)
{
	struct pipe_arg *p = arg;

	cr_assert(events & EPOLLIN);
	cr_assert_eq(read(p->fd, p->got + p->n, 1), 1);
	if (++p->n == 3)
		cr_assert_eq(loop_watch(l, p->fd, 0, NULL, NULL), 0);
}

static void write_later(struct cb_loop *l, void *arg, long res)
{
	(void)l;
	(void)res;
	cr_assert_eq(write(*(int *)arg, "abc", 3), 3);
}

Test(loop, a_watch_runs_while_the_fd_is_ready)
{
	struct cb_loop *l;
	int fds[2];
	struct pipe_arg p = {0};

	cr_assert_eq(pipe(fds), 0);
	p.fd = fds[0];
	cr_assert_eq(loop_new(&l, LOOP_IO_THREADS), 0);
	cr_assert_eq(loop_watch(l, fds[0], EPOLLIN, on_readable, &p), 0);
	cr_assert_eq(loop_timer(l, cb_now() + 0.01, write_later, &fds[1], NULL), 0);
	cr_assert_eq(loop_run(l, NULL, cb_now() + 5), 0);
	cr_assert_eq(p.n, 3);
	cr_assert_eq(memcmp(p.got, "abc", 3), 0);
	loop_free(l);
	close(fds[0]);
	close(fds[1]);
}

struct rd {
	long res;
	unsigned done;
};

static void on_read(struct cb_loop *l, void *arg, long res)
{
	struct rd *r = arg;

	(void)l;
	r->res = res;
	r->done++;
}

static void reads_return_the_bytes(enum loop_io io)
{
	char path[] = "/tmp/concbench-loop-XXXXXX";
	int fd = mkstemp(path);
	char buf[64][100], want[6400];
	struct rd r[64] = {{0}};
	struct cb_loop *l;

	cr_assert(fd >= 0);
	unlink(path);
	for (unsigned i = 0; i < sizeof(want); i++)
		want[i] = (char)(i * 7 + i / 100);
	cr_assert_eq(write(fd, want, sizeof(want)), (ssize_t)sizeof(want));
	cr_assert_eq(loop_new(&l, io), 0);
	for (int i = 0; i < 64; i++)
		cr_assert_eq(loop_read(l, fd, buf[i], 100, (off_t)i * 100, on_read, &r[i]), 0);
	cr_assert_eq(loop_run(l, NULL, cb_now() + 10), 0);
	for (int i = 0; i < 64; i++) {
		cr_assert_eq(r[i].done, 1);
		cr_assert_eq(r[i].res, 100);
		cr_assert_eq(memcmp(buf[i], want + i * 100, 100), 0, "read %d", i);
	}
	/* a bad fd completes with -EBADF, not a crash */
	cr_assert_eq(loop_read(l, -1, buf[0], 1, 0, on_read, &r[0]), 0);
	cr_assert_eq(loop_run(l, NULL, cb_now() + 10), 0);
	cr_assert_eq(r[0].res, -EBADF);
	loop_free(l);
	close(fd);
}

Test(loop, reads_through_the_thread_pool)
{
	reads_return_the_bytes(LOOP_IO_THREADS);
}

Test(loop, reads_through_io_uring_or_its_fallback)
{
	struct cb_loop *l;

	cr_assert_eq(loop_new(&l, LOOP_IO_URING), 0);
	cr_log_info("read backend: %s", loop_io_name(l));
	loop_free(l);
	reads_return_the_bytes(LOOP_IO_URING);
}

Test(loop, stop_flag_ends_the_run)
{
	struct cb_loop *l;
	volatile int stop = 1;
	unsigned fired = 0;

	cr_assert_eq(loop_new(&l, LOOP_IO_THREADS), 0);
	cr_assert_eq(loop_timer(l, cb_now() + 60, count, &fired, NULL), 0);
	cr_assert_eq(loop_run(l, &stop, 0), -EINTR);
	stop = 0;
	cr_assert_eq(loop_run(l, &stop, cb_now() + 0.01), -ETIMEDOUT);
	cr_assert_eq(fired, 0);
	loop_free(l);
}
