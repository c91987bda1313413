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
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
     "mixed: GIL-held work per request on the I/O side (interpreter time, e.g. 20us)"},
    {0},
};

const struct workload mixed = {
    .name = "mixed",
    .summary = "I/O ping-pong to a peer process beside CPU-bound workers: the "
               "GIL convoy effect",
    .kind = KIND_BENCH,
    .modes = MODES_POOLED,
    .default_tasks = 2,
    .sizes = {100, 1000, 3000},
    .size_unit = "ms of I/O ping-pong per rep",
    .ops_unit = "request",
    .options = mixed_options,
    .prepare = mixed_prepare,
    .reset = mixed_reset,
    .run = mixed_run,
    .verify = mixed_verify,
    .cleanup = mixed_cleanup,
};
