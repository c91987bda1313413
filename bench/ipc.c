/* ipc.c - ping-pong latency and streaming bandwidth between two workers
 * over a pipe, a unix stream socketpair, POSIX message queues, or shared
 * memory with a futex or a semaphore for the waits.
 *
 * Worker 0 sends, worker 1 echoes (ping-pong) or only receives (--stream).
 * With one worker (seq, or --workers=1) that worker plays both ends, so a
 * message crosses the same channel without any switch between workers: the
 * syscall-only floor under the two-worker figure (lmbench's "overhead").
 * More than two workers is refused (-EINVAL): the bench measures a pair.
 *
 * Every message carries its sequence number; the receiver checks it, so a
 * lost, duplicated or reordered message is a failed check, not a footnote.
 * Nothing blocks for ever: pipe and socket calls block plainly (as in perf
 * bench sched pipe) and are interrupted by the body's ticker (ticker.h);
 * mqueue, futex and semaphore waits time out every WAIT_SLICE_S. Either way
 * the body then looks at the runner's stop flag (a peer that died or a
 * timed-out cell) and goes on waiting or gives up.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../runner/concbench.h"
#include "sync.h"
#include "ticker.h"

#define WAIT_SLICE_S 0.1
#define STREAM_SLOTS 16 /* shm ring depth and mqueue length when streaming */
#define MSG_MAX (1L << 20)
#define LOOP_CHUNK 4096 /* one worker, both ends: bytes per write+read */

enum chan_kind { CH_PIPE, CH_SOCKETPAIR, CH_MQUEUE, CH_SHM_FUTEX, CH_SHM_SEM, CH__COUNT };

static const char *const chan_names[CH__COUNT] = {"pipe", "socketpair", "mqueue", "shm-futex",
                                                  "shm-sem"};

static const struct wl_option ipc_opts[] = {
    {"channel", "NAME", "pipe", "ipc: pipe, socketpair, mqueue, shm-futex or shm-sem", false},
    {"msg-bytes", "N", "64", "ipc: bytes per message (1..1048576)", false},
    {"stream", NULL, NULL, "ipc: stream one way (bandwidth) instead of ping-pong (latency)", false},
    {0},
};

/* One direction of the shared-memory channel: a ring of `slots` messages.
 * Only the sender writes head, only the receiver writes tail; a side that
 * is about to sleep raises its *_waiting flag so the other side knows to
 * wake it (both accesses seq_cst: one of the two always sees the other). */
struct ring {
	_Atomic uint32_t head __attribute__((aligned(CB_CACHELINE))); /* messages sent */
	_Atomic uint32_t recv_waiting;
	_Atomic uint32_t tail __attribute__((aligned(CB_CACHELINE))); /* messages received */
	_Atomic uint32_t send_waiting;
	sem_t items, spaces; /* shm-sem */
	size_t data; /* offset of the slots in ipc_shm.buf */
};

struct ipc_shm {
	struct ring ring[2]; /* 0: worker 0 -> 1, 1: worker 1 -> 0 */
	_Atomic uint64_t bad; /* messages with a wrong sequence number */
	_Atomic uint64_t received;
	unsigned char buf[];
};

struct ipc_state {
	enum chan_kind kind;
	bool stream;
	size_t msg;
	unsigned slots; /* per direction: 1 for ping-pong, STREAM_SLOTS streaming */
	int pipefd[2][2]; /* [direction][0 read, 1 write] */
	int sv[2]; /* socketpair: worker 0's end, worker 1's end */
	mqd_t mq[2];
	bool have_sem;
	struct ipc_shm *sh;
	size_t sh_size;
};

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static struct timespec monotonic_in(double s)
{
	double t = cb_now() + s;
	struct timespec ts = {(time_t)t, 0};

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	return ts;
}

/* 0 to go on waiting, -ECANCELED once the runner asked to stop. */
static int keep_waiting(struct wl_ctx *ctx)
{
	return cb_should_stop(ctx) ? -ECANCELED : 0;
}

static int sys_fail(struct wl_ctx *ctx, const char *what)
{
	int e = errno;

	return cb_error(ctx, -e, "%s: %s", what, strerror(e));
}

/* --- pipe and socketpair: plain blocking calls, as perf bench sched pipe
 * makes them; the body's ticker (ticker.h) interrupts them with EINTR every
 * TICKER_PERIOD_S so a stop request is seen. A byte stream may deliver a
 * message in parts. --- */

static int fd_send(struct wl_ctx *ctx, int fd, const unsigned char *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = GIL_BLOCKING(write(fd, p + off, len - off));

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EINTR)
			return sys_fail(ctx, "write");
		if (keep_waiting(ctx))
			return -ECANCELED;
	}
	return 0;
}

static int fd_recv(struct wl_ctx *ctx, int fd, unsigned char *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = GIL_BLOCKING(read(fd, p + off, len - off));

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0)
			return cb_error(ctx, -EPIPE, "read: the other end was closed");
		if (errno != EINTR)
			return sys_fail(ctx, "read");
		if (keep_waiting(ctx))
			return -ECANCELED;
	}
	return 0;
}

/* --- POSIX message queues: one message per call --- */

static int mq_put(struct wl_ctx *ctx, mqd_t q, const unsigned char *p, size_t len)
{
	for (;;) {
		struct timespec ts = sync_realtime_in(WAIT_SLICE_S);

		if (GIL_BLOCKING(mq_timedsend(q, (const char *)p, len, 0, &ts)) == 0)
			return 0;
		if (errno != ETIMEDOUT && errno != EINTR)
			return sys_fail(ctx, "mq_timedsend");
		if (keep_waiting(ctx))
			return -ECANCELED;
	}
}

static int mq_get(struct wl_ctx *ctx, mqd_t q, unsigned char *p, size_t len)
{
	for (;;) {
		struct timespec ts = sync_realtime_in(WAIT_SLICE_S);
		ssize_t n = GIL_BLOCKING(mq_timedreceive(q, (char *)p, len, NULL, &ts));

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return cb_error(ctx, -EPROTO, "mq_timedreceive: %zd bytes, want %zu", n,
			                len);
		if (errno != ETIMEDOUT && errno != EINTR)
			return sys_fail(ctx, "mq_timedreceive");
		if (keep_waiting(ctx))
			return -ECANCELED;
	}
}

/* --- shared memory ring, futex or semaphore waits --- */

static const struct timespec slice_rel = {0, (long)(WAIT_SLICE_S * 1e9)};

/* Sleep while *word == seen, announcing it through *waiting. */
static int futex_sleep(struct wl_ctx *ctx, _Atomic uint32_t *word, uint32_t seen,
                       _Atomic uint32_t *waiting)
{
	atomic_store(waiting, 1);
	if (atomic_load(word) == seen)
		GIL_BLOCKING(futex(word, FUTEX_WAIT, seen, &slice_rel));
	atomic_store(waiting, 0);
	return keep_waiting(ctx);
}

static int sem_sleep(struct wl_ctx *ctx, sem_t *s, bool *got)
{
	struct timespec ts = monotonic_in(WAIT_SLICE_S);

	*got = GIL_BLOCKING(sem_clockwait(s, CLOCK_MONOTONIC, &ts)) == 0;
	if (!*got && errno != ETIMEDOUT && errno != EINTR)
		return sys_fail(ctx, "sem_clockwait");
	return *got ? 0 : keep_waiting(ctx);
}

static int ring_put(struct wl_ctx *ctx, struct ipc_state *st, struct ring *r,
                    const unsigned char *p)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	bool futexes = st->kind == CH_SHM_FUTEX, got = false;
	int rc;

	if (!futexes)
		while (!got)
			if ((rc = sem_sleep(ctx, &r->spaces, &got)))
				return rc;
	for (;;) {
		uint32_t t = atomic_load_explicit(&r->tail, memory_order_acquire);

		if (h - t < st->slots)
			break;
		if ((rc = futexes ? futex_sleep(ctx, &r->tail, t, &r->send_waiting)
		                  : keep_waiting(ctx)))
			return rc;
	}
	memcpy(st->sh->buf + r->data + (h % st->slots) * st->msg, p, st->msg);
	atomic_store(&r->head, h + 1);
	if (futexes && atomic_load(&r->recv_waiting))
		futex(&r->head, FUTEX_WAKE, 1, NULL);
	if (!futexes)
		sem_post(&r->items);
	return 0;
}

static int ring_get(struct wl_ctx *ctx, struct ipc_state *st, struct ring *r, unsigned char *p)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	bool futexes = st->kind == CH_SHM_FUTEX, got = false;
	int rc;

	if (!futexes)
		while (!got)
			if ((rc = sem_sleep(ctx, &r->items, &got)))
				return rc;
	for (;;) {
		uint32_t h = atomic_load_explicit(&r->head, memory_order_acquire);

		if (h != t)
			break;
		if ((rc = futexes ? futex_sleep(ctx, &r->head, h, &r->recv_waiting)
		                  : keep_waiting(ctx)))
			return rc;
	}
	memcpy(p, st->sh->buf + r->data + (t % st->slots) * st->msg, st->msg);
	atomic_store(&r->tail, t + 1);
	if (futexes && atomic_load(&r->send_waiting))
		futex(&r->tail, FUTEX_WAKE, 1, NULL);
	if (!futexes)
		sem_post(&r->spaces);
	return 0;
}

/* --- one message in direction d (0: worker 0 -> 1, 1: back) --- */

static int chan_send(struct wl_ctx *ctx, struct ipc_state *st, int d, const unsigned char *p)
{
	switch (st->kind) {
	case CH_PIPE:
		return fd_send(ctx, st->pipefd[d][1], p, st->msg);
	case CH_SOCKETPAIR:
		return fd_send(ctx, st->sv[d], p, st->msg);
	case CH_MQUEUE:
		return mq_put(ctx, st->mq[d], p, st->msg);
	default:
		return ring_put(ctx, st, &st->sh->ring[d], p);
	}
}

static int chan_recv(struct wl_ctx *ctx, struct ipc_state *st, int d, unsigned char *p)
{
	switch (st->kind) {
	case CH_PIPE:
		return fd_recv(ctx, st->pipefd[d][0], p, st->msg);
	case CH_SOCKETPAIR:
		return fd_recv(ctx, st->sv[1 - d], p, st->msg);
	case CH_MQUEUE:
		return mq_get(ctx, st->mq[d], p, st->msg);
	default:
		return ring_get(ctx, st, &st->sh->ring[d], p);
	}
}

/* One worker playing both ends: send, then receive, the same message. A
 * byte stream goes in chunks that fit any pipe or socket buffer, or the
 * write would wait for a read that comes after it. */
static int chan_loop(struct wl_ctx *ctx, struct ipc_state *st, int d, const unsigned char *p,
                     unsigned char *q)
{
	int rc;

	if (st->kind != CH_PIPE && st->kind != CH_SOCKETPAIR) {
		rc = chan_send(ctx, st, d, p);
		return rc ? rc : chan_recv(ctx, st, d, q);
	}
	for (size_t off = 0; off < st->msg; off += LOOP_CHUNK) {
		size_t len = st->msg - off < LOOP_CHUNK ? st->msg - off : LOOP_CHUNK;
		int w = st->kind == CH_PIPE ? st->pipefd[d][1] : st->sv[d];
		int r = st->kind == CH_PIPE ? st->pipefd[d][0] : st->sv[1 - d];

		rc = fd_send(ctx, w, p + off, len);
		if (!rc)
			rc = fd_recv(ctx, r, q + off, len);
		if (rc)
			return rc;
	}
	return 0;
}

/* The sequence number travels in the first min(8, msg) bytes. */
static void stamp(unsigned char *p, size_t msg, uint64_t k)
{
	memcpy(p, &k, msg < 8 ? msg : 8);
}

static bool stamped(const unsigned char *p, size_t msg, uint64_t k)
{
	uint64_t v = 0, want = k;

	memcpy(&v, p, msg < 8 ? msg : 8);
	if (msg < 8)
		want &= (1ULL << (8 * msg)) - 1;
	return v == want;
}

static void ipc_cleanup(struct wl_ctx *ctx)
{
	struct ipc_state *st = ctx->state;

	if (!st)
		return;
	for (int d = 0; d < 2; d++) {
		for (int e = 0; e < 2; e++)
			if (st->pipefd[d][e] >= 0)
				close(st->pipefd[d][e]);
		if (st->sv[d] >= 0)
			close(st->sv[d]);
		if (st->mq[d] != (mqd_t)-1)
			mq_close(st->mq[d]);
	}
	if (st->sh) {
		if (st->have_sem)
			for (int d = 0; d < 2; d++) {
				sem_destroy(&st->sh->ring[d].items);
				sem_destroy(&st->sh->ring[d].spaces);
			}
		cb_shm_free(st->sh, st->sh_size);
	}
	free(st);
	ctx->state = NULL;
}

static int open_mq(struct wl_ctx *ctx, struct ipc_state *st, int d)
{
	static _Atomic unsigned serial;
	struct mq_attr a = {.mq_maxmsg = st->slots, .mq_msgsize = (long)st->msg};
	long limit = 10; /* the default of msg_max, the most without privileges */
	char name[64];
	FILE *f = fopen("/proc/sys/fs/mqueue/msg_max", "re");

	if (f) {
		if (fscanf(f, "%ld", &limit) != 1)
			limit = 10;
		fclose(f);
	}
	if (a.mq_maxmsg > limit)
		a.mq_maxmsg = limit;

	snprintf(name, sizeof(name), "/concbench-ipc-%d-%u", (int)getpid(),
	         atomic_fetch_add(&serial, 1));
	st->mq[d] = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (st->mq[d] == (mqd_t)-1) {
		int e = errno;

		return cb_error(
		    ctx, e == EINVAL ? -EINVAL : -e, "mq_open (%ld messages of %zu bytes): %s%s",
		    a.mq_maxmsg, st->msg, strerror(e),
		    e == EINVAL ? " (see /proc/sys/fs/mqueue/msgsize_max and msg_max)" : "");
	}
	mq_unlink(name); /* the descriptors keep it alive; nothing left behind */
	return 0;
}

static int parse_channel(struct wl_ctx *ctx, enum chan_kind *out)
{
	const char *s = cb_opt_str("channel");

	for (int k = 0; k < CH__COUNT; k++)
		if (s && strcmp(s, chan_names[k]) == 0) {
			*out = (enum chan_kind)k;
			return 0;
		}
	return cb_error(ctx, -EINVAL,
	                "--channel: '%s': want pipe, socketpair, mqueue, shm-futex or shm-sem",
	                s ? s : "");
}

static int open_channel(struct wl_ctx *ctx, struct ipc_state *st)
{
	switch (st->kind) {
	case CH_PIPE:
		for (int d = 0; d < 2; d++)
			if (pipe2(st->pipefd[d], O_CLOEXEC))
				return sys_fail(ctx, "pipe2");
		return 0;
	case CH_SOCKETPAIR:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st->sv))
			return sys_fail(ctx, "socketpair");
		return 0;
	case CH_MQUEUE:
		for (int d = 0; d < (st->stream ? 1 : 2); d++) {
			int rc = open_mq(ctx, st, d);

			if (rc)
				return rc;
		}
		return 0;
	default:
		return 0;
	}
}

static int ipc_reset(struct wl_ctx *ctx)
{
	struct ipc_state *st = ctx->state;
	struct ipc_shm *sh = st->sh;

	atomic_store(&sh->bad, 0);
	atomic_store(&sh->received, 0);
	for (int d = 0; d < 2; d++) {
		struct ring *r = &sh->ring[d];

		atomic_store(&r->head, 0);
		atomic_store(&r->tail, 0);
		atomic_store(&r->recv_waiting, 0);
		atomic_store(&r->send_waiting, 0);
		if (st->kind != CH_SHM_SEM)
			continue;
		if (st->have_sem) {
			sem_destroy(&r->items);
			sem_destroy(&r->spaces);
		}
		if (sem_init(&r->items, 1, 0) || sem_init(&r->spaces, 1, st->slots))
			return sys_fail(ctx, "sem_init");
	}
	st->have_sem = st->kind == CH_SHM_SEM;
	return 0;
}

static int ipc_prepare(struct wl_ctx *ctx)
{
	struct ipc_state *st;
	long msg;
	int rc;

	if (ctx->nworkers > 2)
		return cb_error(ctx, -EINVAL,
		                "a two-party bench: use --workers=2 (or 1: both ends in one "
		                "worker, no switch); got %u",
		                ctx->nworkers);
	rc = ticker_install();
	if (rc)
		return cb_error(ctx, rc, "sigaction: %s", strerror(-rc));
	st = calloc(1, sizeof(*st));
	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	memset(st->pipefd, -1, sizeof(st->pipefd));
	st->sv[0] = st->sv[1] = -1;
	st->mq[0] = st->mq[1] = (mqd_t)-1;
	ctx->state = st;
	rc = parse_channel(ctx, &st->kind);
	if (!rc)
		rc = cb_opt_long(ctx, "msg-bytes", 1, MSG_MAX, &msg);
	if (rc)
		goto err;
	st->msg = (size_t)msg;
	st->stream = cb_opt_flag("stream");
	st->slots = st->stream ? STREAM_SLOTS : 1;
	st->sh_size = sizeof(*st->sh) + 2 * st->slots * st->msg;
	st->sh = cb_shm_alloc(st->sh_size);
	if (!st->sh) {
		rc = sys_fail(ctx, "shared memory");
		goto err;
	}
	st->sh->ring[1].data = st->slots * st->msg;
	rc = open_channel(ctx, st);
	if (!rc)
		rc = ipc_reset(ctx);
	if (rc)
		goto err;
	return 0;
err:
	ipc_cleanup(ctx);
	return rc;
}

/* Worker `w` of a pair (or the only worker, playing both ends). */
static int ipc_run(struct wl_ctx *ctx, unsigned w, struct task_result *res)
{
	struct ipc_state *st = ctx->state;
	uint64_t n = (uint64_t)ctx->size, bad = 0, got = 0;
	unsigned char *out = malloc(st->msg), *in = malloc(st->msg);
	bool both = ctx->nworkers == 1;
	timer_t tick;
	int rc = 0;

	if (!out || !in) {
		rc = cb_error(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	rc = ticker_start(&tick);
	if (rc) {
		cb_error(ctx, rc, "timer_create: %s", strerror(-rc));
		goto out;
	}
	memset(out, 0xa5, st->msg);
	for (uint64_t k = 0; k < n && !rc; k++) {
		if (both) {
			stamp(out, st->msg, k);
			rc = chan_loop(ctx, st, 0, out, in);
			got++;
			bad += !stamped(in, st->msg, k);
			if (!rc && !st->stream) {
				rc = chan_loop(ctx, st, 1, in, out);
				got++;
				bad += !stamped(out, st->msg, k);
			}
		} else if (w == 0) {
			stamp(out, st->msg, k);
			rc = chan_send(ctx, st, 0, out);
			if (!rc && !st->stream) {
				rc = chan_recv(ctx, st, 1, in);
				got++;
				bad += !stamped(in, st->msg, k);
			}
		} else {
			rc = chan_recv(ctx, st, 0, in);
			got++;
			bad += !stamped(in, st->msg, k);
			if (!rc && !st->stream)
				rc = chan_send(ctx, st, 1, in);
		}
		if ((k & 255) == 0) {
			gil_check();
			if (!rc && cb_should_stop(ctx))
				rc = -ECANCELED;
		}
	}
	ticker_stop(tick);
	atomic_fetch_add(&st->sh->bad, bad);
	atomic_fetch_add(&st->sh->received, rc ? 0 : got);
	res->ops = (double)got;
	res->checksum = got;
out:
	free(out);
	free(in);
	return rc;
}

static int ipc_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct ipc_state *st = ctx->state;
	double t0 = res[0].t_start, t1 = res[0].t_end, n = (double)ctx->size;
	uint64_t want = (uint64_t)ctx->size * (st->stream ? 1 : 2);
	uint64_t bad = atomic_load(&st->sh->bad), got = atomic_load(&st->sh->received);

	for (unsigned i = 1; i < ctx->nworkers; i++) {
		if (res[i].t_start < t0)
			t0 = res[i].t_start;
		if (res[i].t_end > t1)
			t1 = res[i].t_end;
	}
	if (st->stream) {
		cb_metric(m, "MB_per_s", n * (double)st->msg / (t1 - t0) / 1e6);
		cb_metric(m, "msgs_per_s", n / (t1 - t0));
		cb_metric(m, "us_per_msg", (t1 - t0) / n * 1e6);
	} else {
		cb_metric(m, "rtt_us", (t1 - t0) / n * 1e6);
		cb_metric(m, "one_way_us", (t1 - t0) / n / 2 * 1e6);
		cb_metric(m, "msgs_per_s", 2 * n / (t1 - t0));
	}
	cb_metric(m, "msg_bytes", (double)st->msg);
	cb_metric(m, "bad_msgs", (double)bad);
	cb_metric(m, "lost_msgs", (double)(want - got));
	if (bad || got != want)
		return cb_error(ctx, 1, "%s: %llu of %llu messages arrived, %llu out of sequence",
		                chan_names[st->kind], (unsigned long long)got,
		                (unsigned long long)want, (unsigned long long)bad);
	return 0;
}

const struct workload bench_ipc = {
    .name = "ipc",
    .summary = "two workers: ping-pong latency or streaming bandwidth over pipe, socketpair, "
               "mqueue, shm",
    .kind = KIND_BENCH,
    .family_default = true,
    .modes =
        MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS) | MODE_BIT(MODE_GIL),
    .default_tasks = 2,
    .sizes = {1000, 10000, 100000},
    .size_unit = "round trips (messages with --stream)",
    .ops_unit = "msg",
    .options = ipc_opts,
    .prepare = ipc_prepare,
    .reset = ipc_reset,
    .run = ipc_run,
    .verify = ipc_verify,
    .cleanup = ipc_cleanup,
};
