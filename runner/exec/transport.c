/* transport.c - task outputs from worker processes to the parent through
 * pipes (see transport.h). The parent reads non-blocking, straight into the
 * destination region, and only while it waits for the workers. */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PIPE_BYTES (1 << 20) /* asked of F_SETPIPE_SZ; the default 64 KiB works too */
#define WATCH_S 0.05

struct wire_hdr {
	uint32_t task, part;
	uint64_t len;
};

#define REP_END UINT32_MAX /* task of the header that ends a worker's rep */

/* The parent's view of one worker's pipe. */
struct stream {
	int rfd, wfd; /* -1 once closed */
	bool rep_done; /* the worker's end-of-rep header arrived */
	struct wire_hdr hdr;
	size_t hdr_got; /* bytes of hdr read; sizeof(hdr) while reading a body */
	uint8_t *dst; /* where the rest of the body goes */
	size_t left;
};

struct transport {
	struct wl_ctx *ctx;
	unsigned nworkers, ntasks;
	unsigned long parts_expected, parts_got;
	struct stream *s;
	struct pollfd *pfd;
	unsigned *pidx; /* pfd[k] belongs to stream pidx[k] */
};

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

int transport_open(struct transport **out, struct wl_ctx *ctx, unsigned nworkers, unsigned ntasks)
{
	struct transport *t = calloc(1, sizeof(*t));
	int rc = -ENOMEM;

	*out = NULL;
	if (!t)
		return cb_error(ctx, -ENOMEM, "pipe transport: out of memory");
	t->ctx = ctx;
	t->nworkers = nworkers;
	t->ntasks = ntasks;
	t->s = calloc(nworkers, sizeof(*t->s));
	t->pfd = calloc(nworkers, sizeof(*t->pfd));
	t->pidx = calloc(nworkers, sizeof(*t->pidx));
	if (!t->s || !t->pfd || !t->pidx)
		goto err;
	for (unsigned i = 0; i < nworkers; i++)
		t->s[i].rfd = t->s[i].wfd = -1;
	for (unsigned i = 0; i < nworkers; i++) {
		int fd[2];

		if (pipe2(fd, O_CLOEXEC)) {
			rc = -errno;
			goto err;
		}
		t->s[i].rfd = fd[0];
		t->s[i].wfd = fd[1];
		fcntl(fd[1], F_SETPIPE_SZ, PIPE_BYTES);
		if (fcntl(fd[0], F_SETFL, O_NONBLOCK)) {
			rc = -errno;
			goto err;
		}
	}
	for (unsigned task = 0; task < ntasks; task++) {
		void *buf;
		size_t len;

		for (unsigned part = 0; ctx->wl->output(ctx, task, part, &buf, &len) == 1; part++)
			t->parts_expected++;
	}
	*out = t;
	return 0;
err:
	transport_close(t);
	return cb_error(ctx, rc, "pipe transport: %s", strerror(-rc));
}

void transport_child(struct transport *t, unsigned id)
{
	for (unsigned i = 0; i < t->nworkers; i++) {
		close_fd(&t->s[i].rfd);
		if (i != id)
			close_fd(&t->s[i].wfd);
	}
	signal(SIGPIPE, SIG_IGN);
}

void transport_forked(struct transport *t, unsigned id)
{
	close_fd(&t->s[id].wfd);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int transport_send(struct transport *t, struct wl_ctx *wctx, unsigned id, unsigned task)
{
	int fd = t->s[id].wfd;
	void *buf;
	size_t len;

	for (unsigned part = 0; wctx->wl->output(wctx, task, part, &buf, &len) == 1; part++) {
		struct wire_hdr h = {task, part, len};
		int rc = write_all(fd, &h, sizeof(h));

		if (!rc)
			rc = write_all(fd, buf, len);
		if (rc)
			return cb_error(wctx, rc, "pipe transport: worker %u, task %u: write: %s",
			                id, task, strerror(-rc));
	}
	return 0;
}

int transport_rep_end(struct transport *t, struct wl_ctx *wctx, unsigned id)
{
	struct wire_hdr h = {REP_END, 0, 0};
	int rc = write_all(t->s[id].wfd, &h, sizeof(h));

	if (rc)
		return cb_error(wctx, rc, "pipe transport: worker %u: write: %s", id,
		                strerror(-rc));
	return 0;
}

void transport_rep_begin(struct transport *t)
{
	t->parts_got = 0;
	for (unsigned i = 0; i < t->nworkers; i++) {
		t->s[i].rep_done = false;
		t->s[i].hdr_got = 0;
	}
}

/* A complete header arrived on stream `id`: find where its body goes. */
static int start_body(struct transport *t, unsigned id, struct stream *s)
{
	void *buf;
	size_t len;

	if (s->hdr.task >= t->ntasks ||
	    t->ctx->wl->output(t->ctx, s->hdr.task, s->hdr.part, &buf, &len) != 1 ||
	    len != s->hdr.len)
		return cb_error(t->ctx, -EPROTO,
		                "pipe transport: worker %u sent %llu bytes for task %u part %u, "
		                "which the workload does not expect",
		                id, (unsigned long long)s->hdr.len, s->hdr.task, s->hdr.part);
	s->dst = buf;
	s->left = len;
	return 0;
}

/* Read what stream `id` has now (until EAGAIN, EOF or the end of the
 * worker's rep). 0 or -EPROTO/-EIO. */
static int pump(struct transport *t, unsigned id)
{
	struct stream *s = &t->s[id];

	for (;;) {
		bool in_hdr = s->hdr_got < sizeof(s->hdr);
		void *to = in_hdr ? (uint8_t *)&s->hdr + s->hdr_got : s->dst;
		size_t want = in_hdr ? sizeof(s->hdr) - s->hdr_got : s->left;
		ssize_t n = want ? read(s->rfd, to, want) : 0;

		if (want && n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return cb_error(t->ctx, -EIO, "pipe transport: worker %u: read: %s", id,
			                strerror(errno));
		}
		if (want && n == 0) {
			/* EOF. A worker that died mid-part is reported by the pool
			 * (dead worker) or by transport_finish (missing parts). */
			close_fd(&s->rfd);
			return 0;
		}
		if (in_hdr) {
			s->hdr_got += (size_t)n;
			if (s->hdr_got == sizeof(s->hdr) && s->hdr.task == REP_END) {
				/* nothing more comes before the next rep's release */
				s->rep_done = true;
				s->hdr_got = 0;
				return 0;
			}
			if (s->hdr_got == sizeof(s->hdr) && start_body(t, id, s))
				return -EPROTO;
			continue;
		}
		s->dst += n;
		s->left -= (size_t)n;
		if (s->left == 0) {
			t->parts_got++;
			s->hdr_got = 0;
		}
	}
}

/* Poll the open pipes whose rep is not over for up to timeout_s and read
 * what came. Returns the number of such pipes before the poll (0: nothing
 * left to read in this rep), or a negative errno. */
static int poll_pipes(struct transport *t, double timeout_s)
{
	unsigned n = 0;
	int r;

	for (unsigned i = 0; i < t->nworkers; i++) {
		if (t->s[i].rfd < 0 || t->s[i].rep_done)
			continue;
		t->pfd[n] = (struct pollfd){.fd = t->s[i].rfd, .events = POLLIN};
		t->pidx[n++] = i;
	}
	if (n == 0)
		return 0;
	r = poll(t->pfd, n, timeout_s > 0 ? (int)ceil(timeout_s * 1000) : 0);
	if (r < 0)
		return -errno;
	for (unsigned k = 0; k < n && r > 0; k++) {
		int rc;

		if (!t->pfd[k].revents)
			continue;
		rc = pump(t, t->pidx[k]);
		if (rc)
			return rc;
	}
	return (int)n;
}

int transport_wait(struct transport *t, sem_t *s, double until)
{
	for (;;) {
		double left = until - cb_now();
		int rc;

		if (sem_trywait(s) == 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll_pipes(t, left);
		if (rc == 0) {
			/* Every worker ended its rep: only the post is left to wait for. */
			struct timespec ts = {(time_t)until,
			                      (long)((until - (double)(time_t)until) * 1e9)};

			return sem_clockwait(s, CLOCK_MONOTONIC, &ts);
		}
		if (rc < 0) {
			errno = -rc;
			return -1;
		}
	}
}

int transport_finish(struct transport *t, double deadline)
{
	for (;;) {
		double left = deadline > 0 ? deadline - cb_now() : WATCH_S;
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll_pipes(t, left < WATCH_S ? left : WATCH_S);
		if (rc == -EINTR)
			continue;
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
	}
	if (t->parts_got != t->parts_expected)
		return cb_error(t->ctx, -EPROTO,
		                "pipe transport: %lu of %lu output parts arrived (a worker stopped "
		                "sending)",
		                t->parts_got, t->parts_expected);
	return 0;
}

/* The whole pages holding [buf, buf + len): the region lies in a mapping
 * of whole pages. */
static void page_span(void *buf, size_t len, uintptr_t page, uintptr_t *a, uintptr_t *b)
{
	*a = (uintptr_t)buf & ~(page - 1);
	*b = ((uintptr_t)buf + len + page - 1) & ~(page - 1);
}

void transport_prefault(struct wl_ctx *wctx)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a, b;
	const struct workload *w = wctx->wl;
	void *buf;
	size_t len;

	/* Inputs: fork leaves the copied page-table entries "old"; the first
	 * access to each page sets its accessed bit, which costs about as much
	 * as a minor fault here. A read per page does it now. */
	for (unsigned part = 0; w->input && w->input(wctx, part, &buf, &len) == 1; part++) {
		volatile const uint8_t *p = buf;
		uint8_t sink = 0;

		for (size_t i = 0; i < len; i += page)
			sink ^= p[i];
		if (len)
			sink ^= p[len - 1];
		(void)sink;
	}
	for (unsigned task = 0; w->output && task < wctx->ntasks; task++) {
		for (unsigned part = 0; w->output(wctx, task, part, &buf, &len) == 1; part++) {
			page_span(buf, len, page, &a, &b);
			if (len)
				madvise((void *)a, b - a, MADV_POPULATE_WRITE);
		}
	}
}

void transport_close(struct transport *t)
{
	if (!t)
		return;
	for (unsigned i = 0; t->s && i < t->nworkers; i++) {
		close_fd(&t->s[i].rfd);
		close_fd(&t->s[i].wfd);
	}
	free(t->s);
	free(t->pfd);
	free(t->pidx);
	free(t);
}
