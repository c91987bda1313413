/* loop.c - epoll, a timer heap behind one timerfd, and reads through
 * io_uring (or a small thread pool). See loop.h. */
#include "loop.h"

#include <errno.h>
#include <liburing.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_URING_DEPTH 256
#define LOOP_READ_THREADS 4
#define LOOP_MAX_EVENTS 256

struct watch {
	int fd;
	uint32_t events;
	cb_loop_fn fn;
	void *arg;
};

struct timer {
	double deadline;
	uint64_t id;
	cb_loop_fn fn;
	void *arg;
};

/* A read in flight: the io_uring user data, or an entry of the fallback
 * pool's queues. */
struct read_op {
	int fd;
	void *buf;
	size_t len;
	off_t off;
	long res;
	cb_loop_fn fn;
	void *arg;
	struct read_op *next;
};

struct cb_loop {
	int epfd, tfd, efd; /* epoll, the timerfd, the completion eventfd */
	struct watch *w; /* indexed by fd */
	unsigned wcap, nwatch;
	struct timer *heap; /* min-heap by deadline */
	unsigned nt, tcap;
	uint64_t next_id;
	double armed; /* deadline the timerfd is set to, or 0 */
	bool rearm; /* the heap's head may differ from `armed`: rearm before waiting */
	unsigned nreads;
	bool uring;
	struct io_uring ring;
	unsigned unsubmitted;
	/* fallback pool: todo queue, done queue (both under mu) */
	pthread_t th[LOOP_READ_THREADS];
	unsigned nth;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct read_op *todo, *done;
	bool quit;
};

/* Tags of the epoll data for the loop's own fds (user fds are >= 0). */
enum { TAG_TIMER = -1, TAG_COMPLETION = -2 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int ep_add(int epfd, int fd, uint32_t ev, int tag)
{
	struct epoll_event e = {.events = ev, .data.u64 = (uint64_t)(int64_t)tag};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

static void *read_worker(void *arg)
{
	struct cb_loop *l = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		struct read_op *op;
		ssize_t n;

		while (!l->todo && !l->quit)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->quit)
			break;
		op = l->todo;
		l->todo = op->next;
		pthread_mutex_unlock(&l->mu);
		n = pread(op->fd, op->buf, op->len, op->off);
		op->res = n < 0 ? -errno : (long)n;
		pthread_mutex_lock(&l->mu);
		op->next = l->done;
		l->done = op;
		if (write(l->efd, &one, sizeof(one)) < 0) {
			/* the counter can't overflow at these rates; nothing to do */
		}
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static int start_read_pool(struct cb_loop *l)
{
	int rc;

	for (l->nth = 0; l->nth < LOOP_READ_THREADS; l->nth++) {
		rc = pthread_create(&l->th[l->nth], NULL, read_worker, l);
		if (rc)
			return -rc;
	}
	return 0;
}

int loop_new(struct cb_loop **out, enum loop_io io)
{
	struct cb_loop *l = calloc(1, sizeof(*l));
	int rc = -ENOMEM;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (l->epfd < 0 || l->tfd < 0 || l->efd < 0) {
		rc = -errno;
		goto err;
	}
	if ((rc = ep_add(l->epfd, l->tfd, EPOLLIN, TAG_TIMER)) ||
	    (rc = ep_add(l->epfd, l->efd, EPOLLIN, TAG_COMPLETION)))
		goto err;
	if (io == LOOP_IO_URING && io_uring_queue_init(LOOP_URING_DEPTH, &l->ring, 0) == 0) {
		if (io_uring_register_eventfd(&l->ring, l->efd) == 0)
			l->uring = true;
		else
			io_uring_queue_exit(&l->ring);
	}
	if (!l->uring && (rc = start_read_pool(l)))
		goto err;
	*out = l;
	return 0;
err:
	loop_free(l);
	return rc;
}

void loop_free(struct cb_loop *l)
{
	if (!l)
		return;
	if (l->nth) {
		pthread_mutex_lock(&l->mu);
		l->quit = true;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		for (unsigned i = 0; i < l->nth; i++)
			pthread_join(l->th[i], NULL);
	}
	for (struct read_op *op = l->todo, *n; op; op = n) {
		n = op->next;
		free(op);
	}
	for (struct read_op *op = l->done, *n; op; op = n) {
		n = op->next;
		free(op);
	}
	if (l->uring) {
		/* ops still in the ring are abandoned with it: wait for them so the
		 * kernel writes no buffer after we return */
		while (l->nreads) {
			struct io_uring_cqe *cqe;

			if (io_uring_wait_cqe(&l->ring, &cqe))
				break;
			free(io_uring_cqe_get_data(cqe));
			io_uring_cqe_seen(&l->ring, cqe);
			l->nreads--;
		}
		io_uring_queue_exit(&l->ring);
	}
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->efd >= 0)
		close(l->efd);
	free(l->w);
	free(l->heap);
	free(l);
}

const char *loop_io_name(const struct cb_loop *l)
{
	return l->uring ? "io_uring" : "threads";
}

int loop_watch(struct cb_loop *l, int fd, uint32_t events, cb_loop_fn fn, void *arg)
{
	struct epoll_event e = {.events = events, .data.u64 = (uint64_t)fd};
	bool had;

	if (fd < 0)
		return -EBADF;
	if ((unsigned)fd >= l->wcap) {
		unsigned nc = l->wcap ? l->wcap : 64;
		struct watch *p;

		while (nc <= (unsigned)fd)
			nc *= 2;
		p = realloc(l->w, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memset(p + l->wcap, 0, (nc - l->wcap) * sizeof(*p));
		l->w = p;
		l->wcap = nc;
	}
	had = l->w[fd].events != 0;
	if (!events) {
		if (had && epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) && errno != EBADF &&
		    errno != ENOENT)
			return -errno;
		if (had)
			l->nwatch--;
		l->w[fd] = (struct watch){0};
		return 0;
	}
	if (epoll_ctl(l->epfd, had ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e))
		return -errno;
	if (!had)
		l->nwatch++;
	l->w[fd] = (struct watch){.fd = fd, .events = events, .fn = fn, .arg = arg};
	return 0;
}

/* ---- timers: a binary min-heap by deadline ---- */

static bool earlier(const struct timer *a, const struct timer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->id < b->id);
}

static void heap_swap(struct timer *h, unsigned a, unsigned b)
{
	struct timer t = h[a];

	h[a] = h[b];
	h[b] = t;
}

static void sift_up(struct timer *h, unsigned i)
{
	while (i && earlier(&h[i], &h[(i - 1) / 2])) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct timer *h, unsigned n, unsigned i)
{
	for (;;) {
		unsigned m = i, a = 2 * i + 1, b = 2 * i + 2;

		if (a < n && earlier(&h[a], &h[m]))
			m = a;
		if (b < n && earlier(&h[b], &h[m]))
			m = b;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

static void heap_remove(struct cb_loop *l, unsigned i)
{
	l->heap[i] = l->heap[--l->nt];
	if (i < l->nt) {
		sift_up(l->heap, i);
		sift_down(l->heap, l->nt, i);
	}
}

/* Point the timerfd at the earliest deadline (or disarm it). */
static void rearm(struct cb_loop *l)
{
	struct itimerspec its = {0};
	double d = l->nt ? l->heap[0].deadline : 0;

	l->rearm = false;
	if (d == l->armed)
		return;
	if (d > 0) {
		if (d < 1e-9)
			d = 1e-9;
		its.it_value.tv_sec = (time_t)d;
		its.it_value.tv_nsec = (long)((d - floor(d)) * 1e9);
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed = d;
}

int loop_timer(struct cb_loop *l, double deadline, cb_loop_fn fn, void *arg, uint64_t *id)
{
	if (l->nt == l->tcap) {
		unsigned nc = l->tcap ? 2 * l->tcap : 64;
		struct timer *p = realloc(l->heap, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->heap = p;
		l->tcap = nc;
	}
	l->heap[l->nt] =
	    (struct timer){.deadline = deadline, .id = ++l->next_id, .fn = fn, .arg = arg};
	if (id)
		*id = l->next_id;
	sift_up(l->heap, l->nt++);
	l->rearm = true; /* once before the next wait, not per call (curl re-times often) */
	return 0;
}

int loop_timer_cancel(struct cb_loop *l, uint64_t id)
{
	for (unsigned i = 0; i < l->nt; i++) {
		if (l->heap[i].id == id) {
			heap_remove(l, i);
			l->rearm = true;
			return 0;
		}
	}
	return -ENOENT;
}

static void run_timers(struct cb_loop *l)
{
	uint64_t ticks;
	double t = now_s();

	if (read(l->tfd, &ticks, sizeof(ticks)) < 0) {
		/* EAGAIN: woken for another fd; the heap decides what is due */
	}
	l->armed = 0;
	while (l->nt && l->heap[0].deadline <= t) {
		struct timer due = l->heap[0];

		heap_remove(l, 0);
		due.fn(l, due.arg, 0);
	}
	rearm(l);
}

/* ---- reads ---- */

int loop_read(struct cb_loop *l, int fd, void *buf, size_t len, off_t off, cb_loop_fn fn, void *arg)
{
	struct read_op *op = malloc(sizeof(*op));

	if (!op)
		return -ENOMEM;
	*op = (struct read_op){.fd = fd, .buf = buf, .len = len, .off = off, .fn = fn, .arg = arg};
	if (l->uring) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

		if (!sqe) { /* the ring is full: hand what is queued to the kernel */
			io_uring_submit(&l->ring);
			l->unsubmitted = 0;
			sqe = io_uring_get_sqe(&l->ring);
		}
		if (!sqe) {
			free(op);
			return -EBUSY;
		}
		io_uring_prep_read(sqe, fd, buf, (unsigned)len, (uint64_t)off);
		io_uring_sqe_set_data(sqe, op);
		l->unsubmitted++;
	} else {
		pthread_mutex_lock(&l->mu);
		op->next = l->todo;
		l->todo = op;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
	}
	l->nreads++;
	return 0;
}

static void run_completions(struct cb_loop *l)
{
	uint64_t n;

	if (read(l->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing new */
	}
	if (l->uring) {
		struct io_uring_cqe *cqe;

		while (io_uring_peek_cqe(&l->ring, &cqe) == 0) {
			struct read_op *op = io_uring_cqe_get_data(cqe);
			long res = cqe->res;

			io_uring_cqe_seen(&l->ring, cqe);
			l->nreads--;
			op->fn(l, op->arg, res);
			free(op);
		}
		return;
	}
	for (;;) {
		struct read_op *op;

		pthread_mutex_lock(&l->mu);
		op = l->done;
		if (op)
			l->done = op->next;
		pthread_mutex_unlock(&l->mu);
		if (!op)
			return;
		l->nreads--;
		op->fn(l, op->arg, op->res);
		free(op);
	}
}

unsigned loop_pending(const struct cb_loop *l)
{
	return l->nwatch + l->nt + l->nreads;
}

int loop_run(struct cb_loop *l, const volatile int *stop, double until)
{
	struct epoll_event ev[LOOP_MAX_EVENTS];

	while (!(stop && *stop)) {
		int n, ms = -1;

		if (!loop_pending(l))
			return 0;
		if (l->unsubmitted) {
			io_uring_submit(&l->ring);
			l->unsubmitted = 0;
		}
		if (l->rearm)
			rearm(l);
		if (until > 0) {
			double left = until - now_s();

			if (left <= 0)
				return -ETIMEDOUT;
			ms = (int)ceil(left * 1e3);
		}
		n = epoll_wait(l->epfd, ev, LOOP_MAX_EVENTS, ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !(stop && *stop); i++) {
			int64_t tag = (int64_t)ev[i].data.u64;

			if (tag == TAG_TIMER)
				run_timers(l);
			else if (tag == TAG_COMPLETION)
				run_completions(l);
			else if ((unsigned)tag < l->wcap && l->w[tag].events)
				l->w[tag].fn(l, l->w[tag].arg, (long)ev[i].events);
		}
	}
	return -EINTR;
}
