/* mixed - the convoy effect: an I/O ping-pong beside CPU-bound workers.
 *
 * Worker 0 sends small requests over a socketpair to an echo peer process
 * (forked in prepare, like the latency client of CPython's old ccbench) and
 * times each round trip for --size milliseconds; workers 1..N-1 burn CPU
 * (calling gil_check() about every microsecond) until the I/O side is done.
 * Both socket calls run with the GIL released, as CPython's socket module
 * does; in `gil` mode each of them must win the GIL back from a CPU-bound
 * holder, which gives it up only after a switch interval (bpo-7946), so the
 * I/O side falls to about 1/(2 x interval) requests/s. In `threads` and
 * `procs` it runs at full speed. Metrics: io_req_per_s, latency p50/p99.
 *
 * Async form (--mode=async, all bodies on one loop): the I/O side is a loop
 * watch on the socket; each CPU competitor burns --cpu-slice on the loop
 * (blocking it, as CPU work in a coroutine blocks asyncio's loop) and then
 * yields through a zero-delay timer, so the I/O side gets about one round
 * trip per slice. With --cpu-offload each competitor burns in a forked
 * process instead (asyncio's run_in_executor with a ProcessPoolExecutor)
 * and the loop only watches for its end: the I/O side recovers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../runner/concbench.h"

#define MSG_BYTES 64
#define REPLY_WAIT_MS 10000 /* a reply later than this is an error */
#define START_WAIT_S 10.0

struct mixed_shm {
	_Atomic int io_done __attribute__((aligned(CB_CACHELINE)));
	_Atomic unsigned arrived __attribute__((aligned(CB_CACHELINE)));
	uint64_t requests __attribute__((aligned(CB_CACHELINE))); /* worker 0 writes */
	uint64_t bad_replies;
	double io_s, lat_p50_s, lat_p99_s;
	_Atomic uint64_t cpu_chunks;
};

struct mixed_state {
	struct mixed_shm *sh;
	double io_work_s; /* --io-work: GIL-held work per request */
	double cpu_slice_s; /* async: --cpu-slice, CPU work between two yields */
	bool offload; /* async: --cpu-offload, competitors burn in forked processes */
	int fd; /* our end of the socketpair; -1 when closed */
	pid_t peer;
};

/* The echo peer: answer every message until the other end closes. */
static void __attribute__((noreturn)) echo_peer(int fd)
{
	char buf[MSG_BYTES];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(fd, buf + o, (size_t)(n - o));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				_exit(1);
			o += w;
		}
	}
}

static void mixed_cleanup(struct wl_ctx *ctx)
{
	struct mixed_state *st = ctx->state;

	if (!st)
		return;
	if (st->fd >= 0)
		close(st->fd);
	if (st->peer > 0) {
		kill(st->peer, SIGKILL);
		while (waitpid(st->peer, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (st->sh)
		cb_shm_free(st->sh, sizeof(*st->sh));
	free(st);
	ctx->state = NULL;
}

static int mixed_prepare(struct wl_ctx *ctx)
{
	struct mixed_state *st = calloc(1, sizeof(*st));
	int sv[2], rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	st->fd = -1;
	ctx->state = st;
	if (cb_opt_str("io-work")) {
		rc = cb_opt_duration(ctx, "io-work", 1e-9, 1.0, &st->io_work_s);
		if (rc)
			goto err;
	}
	rc = cb_opt_duration(ctx, "cpu-slice", 1e-6, 10, &st->cpu_slice_s);
	if (rc)
		goto err;
	st->offload = cb_opt_flag("cpu-offload");
	if (ctx->size < 1 || ctx->size > 3600 * 1000L) {
		rc = cb_error(ctx, -EINVAL, "--size: %ld: want 1..3600000 ms of ping-pong",
		              ctx->size);
		goto err;
	}
	st->sh = cb_shm_alloc(sizeof(*st->sh));
	if (!st->sh) {
		rc = cb_error(ctx, -errno, "shared memory: %s", strerror(errno));
		goto err;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		rc = cb_error(ctx, -errno, "socketpair: %s", strerror(errno));
		goto err;
	}
	fflush(NULL);
	st->peer = fork();
	if (st->peer < 0) {
		rc = cb_error(ctx, -errno, "fork echo peer: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		goto err;
	}
	if (st->peer == 0) {
		close(sv[0]);
		echo_peer(sv[1]);
	}
	close(sv[1]);
	st->fd = sv[0];
	return 0;
err:
	mixed_cleanup(ctx);
	return rc;
}

static int mixed_reset(struct wl_ctx *ctx)
{
	struct mixed_state *st = ctx->state;
	char buf[256];

	/* a rep cut short may have left a reply behind */
	while (recv(st->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	memset(st->sh, 0, sizeof(*st->sh));
	return 0;
}

/* Every body waits here so the I/O side starts beside its competitors. The
 * wait runs with the GIL released. */
static int start_together(struct wl_ctx *ctx, struct mixed_shm *sh)
{
	double limit = cb_now() + START_WAIT_S;

	atomic_fetch_add(&sh->arrived, 1);
	while (atomic_load(&sh->arrived) < ctx->nworkers) {
		if (cb_should_stop(ctx))
			return -ECANCELED;
		if (cb_now() > limit)
			return cb_error(ctx, -ETIMEDOUT, "start: %u of %u workers arrived",
			                atomic_load(&sh->arrived), ctx->nworkers);
		GIL_BLOCKING(sched_yield());
	}
	return 0;
}

static ssize_t send_msg(int fd, const char *msg)
{
	ssize_t w;

	do
		w = send(fd, msg, MSG_BYTES, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w;
}

/* Busy work for `s` seconds, checking the GIL like bytecode would. */
static void hold_gil_busy(double s)
{
	double end = cb_now() + s;
	unsigned x = 1;

	while (cb_now() < end) {
		for (unsigned i = 0; i < 64; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			__asm__ volatile("" : "+r"(x));
		}
		gil_check();
	}
}

/* Read one whole reply; -ETIMEDOUT after REPLY_WAIT_MS without data. */
static int recv_msg(int fd, char *buf)
{
	size_t got = 0;

	while (got < MSG_BYTES) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, REPLY_WAIT_MS);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(fd, buf + got, MSG_BYTES - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

static int io_side(struct wl_ctx *ctx, struct mixed_state *st, struct task_result *res)
{
	struct mixed_shm *sh = st->sh;
	double t0 = cb_now(), end = t0 + (double)ctx->size * 1e-3, *lat = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	while (cb_now() < end && !cb_should_stop(ctx)) {
		char msg[MSG_BYTES], reply[MSG_BYTES];
		double t;

		/* what the interpreter does between two calls, with the GIL */
		if (st->io_work_s > 0)
			hold_gil_busy(st->io_work_s);
		t = cb_now();
		memset(msg, (int)(n & 0x7f), sizeof(msg));
		memcpy(msg, &n, sizeof(n));
		/* like socket.send()/recv(): the GIL is released around each call */
		if (GIL_BLOCKING(send_msg(st->fd, msg)) != MSG_BYTES) {
			rc = cb_error(ctx, -EPIPE, "send to the echo peer: %s", strerror(errno));
			break;
		}
		rc = GIL_BLOCKING(recv_msg(st->fd, reply));
		if (rc) {
			cb_error(ctx, rc, "reply from the echo peer: %s", strerror(-rc));
			break;
		}
		if (memcmp(msg, reply, sizeof(msg)))
			sh->bad_replies++;
		if (n == cap) {
			double *p = realloc(lat, (cap = cap ? cap * 2 : 4096) * sizeof(*lat));

			if (!p) {
				rc = cb_error(ctx, -ENOMEM, "out of memory");
				break;
			}
			lat = p;
		}
		lat[n++] = cb_now() - t;
	}
	atomic_store(&sh->io_done, 1);
	sh->io_s = cb_now() - t0;
	sh->requests = n;
	sh->lat_p50_s = cb_quantile(lat, n, 0.50);
	sh->lat_p99_s = cb_quantile(lat, n, 0.99);
	free(lat);
	res->checksum = n;
	res->ops = (double)n;
	return rc;
}

/* About a microsecond of integer work the compiler can't drop. */
static unsigned burn(unsigned x)
{
	for (unsigned i = 0; i < 400; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

static int mixed_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct mixed_state *st = ctx->state;
	struct mixed_shm *sh = st->sh;
	unsigned x = i * 2654435761u | 1;
	uint64_t chunks = 0;
	int rc = start_together(ctx, sh);

	if (rc) {
		atomic_store(&sh->io_done, 1);
		return rc;
	}
	if (i == 0)
		return io_side(ctx, st, res);
	while (!atomic_load_explicit(&sh->io_done, memory_order_relaxed) && !cb_should_stop(ctx)) {
		x = burn(x);
		chunks++;
		gil_check();
	}
	atomic_fetch_add(&sh->cpu_chunks, chunks);
	res->checksum = x;
	res->ops = 0; /* ops counts I/O requests only */
	return 0;
}

/* --- the async form ------------------------------------------------- */

struct mixed_task {
	struct wl_ctx *ctx;
	struct cb_loop *loop;
	struct task_result *res;
	struct cb_async *done;
	unsigned i;
	/* I/O side */
	double t0, end, t;
	size_t n, cap, got;
	double *lat;
	char msg[MSG_BYTES], reply[MSG_BYTES];
	/* a competitor */
	unsigned x;
	uint64_t chunks;
	int pfd; /* --cpu-offload: read end of the child's pipe */
	pid_t child;
};

static void mt_end(struct mixed_task *t, int rc)
{
	struct cb_async *done = t->done;

	free(t->lat);
	free(t);
	cb_async_done(done, rc);
}

static void io_finish(struct mixed_task *t, int rc)
{
	struct mixed_state *st = t->ctx->state;
	struct mixed_shm *sh = st->sh;

	cb_loop_watch(t->loop, st->fd, 0, NULL, NULL);
	atomic_store(&sh->io_done, 1);
	sh->io_s = cb_now() - t->t0;
	sh->requests = t->n;
	sh->lat_p50_s = cb_quantile(t->lat, t->n, 0.50);
	sh->lat_p99_s = cb_quantile(t->lat, t->n, 0.99);
	t->res->checksum = t->n;
	t->res->ops = (double)t->n;
	mt_end(t, rc);
}

/* Send the next request, or end the I/O side when its time is up. */
static void io_send(struct mixed_task *t)
{
	struct mixed_state *st = t->ctx->state;

	if (cb_now() >= t->end || cb_should_stop(t->ctx)) {
		io_finish(t, 0);
		return;
	}
	if (st->io_work_s > 0)
		hold_gil_busy(st->io_work_s);
	t->t = cb_now();
	memset(t->msg, (int)(t->n & 0x7f), sizeof(t->msg));
	memcpy(t->msg, &t->n, sizeof(t->n));
	t->got = 0;
	/* 64 bytes into an empty socket buffer: never blocks */
	if (send_msg(st->fd, t->msg) != MSG_BYTES) {
		io_finish(t,
		          cb_error(t->ctx, -EPIPE, "send to the echo peer: %s", strerror(errno)));
		return;
	}
}

static void io_on_reply(struct cb_loop *loop, void *arg, long events)
{
	struct mixed_task *t = arg;
	struct mixed_state *st = t->ctx->state;
	ssize_t n = recv(st->fd, t->reply + t->got, MSG_BYTES - t->got, MSG_DONTWAIT);

	(void)loop, (void)events;
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		io_finish(t,
		          cb_error(t->ctx, n < 0 ? -errno : -EPIPE, "reply from the echo peer: %s",
		                   n < 0 ? strerror(errno) : "closed"));
		return;
	}
	t->got += (size_t)n;
	if (t->got < MSG_BYTES)
		return;
	if (memcmp(t->msg, t->reply, sizeof(t->msg)))
		st->sh->bad_replies++;
	if (t->n == t->cap) {
		double *p = realloc(t->lat, (t->cap = t->cap ? t->cap * 2 : 4096) * sizeof(*p));

		if (!p) {
			io_finish(t, cb_error(t->ctx, -ENOMEM, "out of memory"));
			return;
		}
		t->lat = p;
	}
	t->lat[t->n++] = cb_now() - t->t;
	io_send(t);
}

static void cpu_slice(struct cb_loop *loop, void *arg, long res)
{
	struct mixed_task *t = arg;
	struct mixed_state *st = t->ctx->state;
	double end = cb_now() + st->cpu_slice_s;
	int rc;

	(void)res;
	if (atomic_load_explicit(&st->sh->io_done, memory_order_relaxed) ||
	    cb_should_stop(t->ctx)) {
		atomic_fetch_add(&st->sh->cpu_chunks, t->chunks);
		t->res->checksum = t->x;
		mt_end(t, 0);
		return;
	}
	do { /* blocks the loop: nothing else runs on it meanwhile */
		t->x = burn(t->x);
		t->chunks++;
	} while (cb_now() < end);
	/* yield, like await sleep(0): due now, after what is ready meanwhile */
	rc = cb_loop_timer(loop, cb_now(), cpu_slice, t, NULL);
	if (rc)
		mt_end(t, cb_error(t->ctx, rc, "loop timer: %s", strerror(-rc)));
}

static void cpu_child_done(struct cb_loop *loop, void *arg, long res)
{
	struct mixed_task *t = arg;
	unsigned x = 0;
	ssize_t n = read(t->pfd, &x, sizeof(x));
	int status = 0, rc = 0;

	(void)res;
	cb_loop_watch(loop, t->pfd, 0, NULL, NULL);
	close(t->pfd);
	while (waitpid(t->child, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(x) || !WIFEXITED(status) || WEXITSTATUS(status))
		rc = cb_error(t->ctx, -ECHILD, "CPU process of task %u failed", t->i);
	t->res->checksum = x;
	mt_end(t, rc);
}

/* --cpu-offload: burn in a forked process until the I/O side is done;
 * it reports its last x through a pipe the loop watches. */
static int cpu_offload(struct mixed_task *t)
{
	struct mixed_state *st = t->ctx->state;
	int p[2], rc;

	if (pipe2(p, O_CLOEXEC))
		return cb_error(t->ctx, -errno, "pipe: %s", strerror(errno));
	t->child = fork();
	if (t->child < 0) {
		rc = cb_error(t->ctx, -errno, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (t->child == 0) {
		uint64_t chunks = 0;
		unsigned x = t->x;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		while (!atomic_load_explicit(&st->sh->io_done, memory_order_relaxed) &&
		       !cb_should_stop(t->ctx)) {
			x = burn(x);
			chunks++;
		}
		atomic_fetch_add(&st->sh->cpu_chunks, chunks);
		_exit(write(p[1], &x, sizeof(x)) == (ssize_t)sizeof(x) ? 0 : 1);
	}
	close(p[1]);
	t->pfd = p[0];
	rc = cb_loop_watch(t->loop, t->pfd, EPOLLIN, cpu_child_done, t);
	if (rc) {
		close(t->pfd);
		kill(t->child, SIGKILL);
		while (waitpid(t->child, NULL, 0) < 0 && errno == EINTR)
			;
		return cb_error(t->ctx, rc, "loop watch: %s", strerror(-rc));
	}
	return 0;
}

static int mixed_start(struct wl_ctx *ctx, struct cb_loop *loop, unsigned i,
                       struct task_result *res, struct cb_async *done)
{
	struct mixed_state *st = ctx->state;
	struct mixed_task *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return cb_error(ctx, -ENOMEM, "out of memory");
	*t = (struct mixed_task){.ctx = ctx,
	                         .loop = loop,
	                         .res = res,
	                         .done = done,
	                         .i = i,
	                         .x = i * 2654435761u | 1,
	                         .pfd = -1};
	res->ops = 0;
	if (i == 0) {
		t->t0 = cb_now();
		t->end = t->t0 + (double)ctx->size * 1e-3;
		rc = cb_loop_watch(loop, st->fd, EPOLLIN, io_on_reply, t);
		if (rc) {
			free(t);
			return cb_error(ctx, rc, "loop watch: %s", strerror(-rc));
		}
		io_send(t);
		return 0;
	}
	rc = st->offload ? cpu_offload(t) : cb_loop_timer(loop, cb_now(), cpu_slice, t, NULL);
	if (rc) {
		free(t);
		return rc < 0 && !ctx->err[0] ? cb_error(ctx, rc, "loop timer: %s", strerror(-rc))
		                              : rc;
	}
	return 0;
}

static int mixed_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct mixed_shm *sh = ((struct mixed_state *)ctx->state)->sh;
	double rate = sh->io_s > 0 ? (double)sh->requests / sh->io_s : 0;

	(void)res;
	cb_metric(m, "io_req_per_s", rate);
	cb_metric(m, "io_lat_p50_s", sh->lat_p50_s);
	cb_metric(m, "io_lat_p99_s", sh->lat_p99_s);
	cb_metric(m, "io_requests", (double)sh->requests);
	cb_metric(m, "cpu_chunks_per_s",
	          sh->io_s > 0 ? (double)atomic_load(&sh->cpu_chunks) / sh->io_s : 0);
	if (sh->bad_replies)
		return cb_error(ctx, 1, "%llu of %llu replies differ from their request",
		                (unsigned long long)sh->bad_replies,
		                (unsigned long long)sh->requests);
	if (sh->requests == 0)
		return cb_error(ctx, 1, "no request completed in %ld ms", ctx->size);
	return 0;
}

static const struct wl_option mixed_options[] = {
    {"io-work", "DURATION", NULL,
     "mixed: GIL-held work per request on the I/O side (interpreter time, e.g. 20us)", false},
    {"cpu-slice", "DURATION", "5ms",
     "mixed, async mode: CPU work a competitor does on the loop between two yields", false},
    {"cpu-offload", NULL, NULL,
     "mixed, async mode: competitors burn in forked processes (run_in_executor)", false},
    {0},
};

const struct workload mixed = {
    .name = "mixed",
    .summary = "I/O ping-pong to a peer process beside CPU-bound workers: the "
               "GIL convoy effect",
    .kind = KIND_BENCH,
    .modes = MODES_POOLED | MODE_BIT(MODE_ASYNC),
    .default_tasks = 2,
    .sizes = {100, 1000, 3000},
    .size_unit = "ms of I/O ping-pong per rep",
    .ops_unit = "request",
    .options = mixed_options,
    .prepare = mixed_prepare,
    .reset = mixed_reset,
    .run = mixed_run,
    .start = mixed_start,
    .verify = mixed_verify,
    .cleanup = mixed_cleanup,
};
