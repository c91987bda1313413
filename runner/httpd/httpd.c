/* httpd.c - the embedded loopback HTTP server (see httpd.h).
 *
 * One thread, one epoll set. A connection is READ (collecting a request),
 * WAIT (request parsed, response due at `due`), WRITE (response partly
 * sent) or SILENT (/silent: never answered). WAIT connections queue in a
 * FIFO ring; because every request waits the same latency, the ring is in
 * due order and one timerfd armed at the head's due time is enough.
 */
#include "httpd.h"
#include "../mix.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 4096 /* request line + headers; more is refused with 431 */
#define MAX_CONNS 16384 /* 10,000 concurrent clients (--mode=async, issue 17) and room */
#define TAG_LISTEN UINT64_MAX
#define TAG_TIMER (UINT64_MAX - 1)

enum conn_state { C_FREE, C_READ, C_WAIT, C_WRITE, C_SILENT, C_DRAIN };

struct conn {
	int fd;
	enum conn_state st;
	bool close_after; /* Connection: close, HTTP/1.0 or an error reply */
	bool counted; /* counted in stats->inflight */
	bool refused; /* an error reply: drain what the client still sends */
	uint32_t gen; /* bumped on every reuse of the slot; stale FIFO entries */
	size_t inlen;
	double due;
	char head[192];
	size_t headlen;
	const char *body;
	size_t bodylen;
	size_t off; /* bytes of head+body sent */
	char in[REQ_MAX];
};

struct fifo_ent {
	uint32_t slot;
	uint32_t gen;
};

struct server {
	const struct httpd_config *cfg;
	struct httpd_stats *stats;
	int ep, lfd, tfd;
	uint8_t *body;
	struct conn *conns; /* MAX_CONNS slots */
	uint32_t *free_slots;
	unsigned nfree;
	struct fifo_ent *fifo; /* ring of MAX_CONNS */
	unsigned fhead, fcount;
	double armed; /* due time the timerfd is set to; 0: disarmed */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void httpd_body(uint8_t *buf, size_t n, uint64_t seed)
{
	uint64_t s = seed;

	/* splitmix64, little-endian bytes */
	for (size_t i = 0; i < n; i += 8) {
		uint64_t z = cb_mix64(s += CB_GOLDEN64);

		for (size_t k = 0; k < 8 && i + k < n; k++)
			buf[i + k] = (uint8_t)(z >> (8 * k));
	}
}

static void inflight_add(struct server *s, int d)
{
	uint32_t now;

	if (!s->stats)
		return;
	now = atomic_fetch_add_explicit(&s->stats->inflight, (uint32_t)d, memory_order_relaxed) +
	      (uint32_t)d;
	if (d > 0 && now > atomic_load_explicit(&s->stats->max_inflight, memory_order_relaxed))
		atomic_store_explicit(&s->stats->max_inflight, now, memory_order_relaxed);
}

static void conn_close(struct server *s, struct conn *c)
{
	if (c->counted)
		inflight_add(s, -1);
	close(c->fd); /* also removes it from the epoll set */
	c->st = C_FREE;
	c->counted = false;
	s->free_slots[s->nfree++] = (uint32_t)(c - s->conns);
}

static int conn_watch(struct server *s, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)(c - s->conns)};

	return epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static const char *reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Content Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

/* Lay out the response of status `code` in c. */
static void conn_reply(struct server *s, struct conn *c, int code)
{
	static const char short_body[] = "concbench httpd\n";

	if (code == 200) {
		c->body = (const char *)s->body;
		c->bodylen = s->cfg->body_bytes;
	} else {
		c->body = short_body;
		c->bodylen = sizeof(short_body) - 1;
	}
	c->headlen = (size_t)snprintf(c->head, sizeof(c->head),
	                              "HTTP/1.1 %d %s\r\nServer: concbench\r\n"
	                              "Content-Type: application/octet-stream\r\n"
	                              "Content-Length: %zu\r\n%s\r\n",
	                              code, reason(code), c->bodylen,
	                              c->close_after ? "Connection: close\r\n" : "");
	c->off = 0;
}

static void arm_timer(struct server *s)
{
	struct itimerspec its = {0};
	double due;

	if (!s->fcount) {
		if (s->armed != 0) {
			timerfd_settime(s->tfd, 0, &its, NULL);
			s->armed = 0;
		}
		return;
	}
	due = s->conns[s->fifo[s->fhead].slot].due;
	if (due == s->armed)
		return;
	its.it_value.tv_sec = (time_t)due;
	its.it_value.tv_nsec = (long)((due - (double)(time_t)due) * 1e9);
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	s->armed = due;
}

static void conn_write(struct server *s, struct conn *c);
static void conn_parse(struct server *s, struct conn *c);

/* Start sending c's response now. */
static void conn_send(struct server *s, struct conn *c)
{
	c->st = C_WRITE;
	conn_write(s, c);
}

static void conn_write(struct server *s, struct conn *c)
{
	size_t total = c->headlen + c->bodylen;

	while (c->off < total) {
		struct iovec iov[2];
		struct msghdr msg = {.msg_iov = iov};
		ssize_t n;

		if (c->off < c->headlen) {
			iov[0] = (struct iovec){c->head + c->off, c->headlen - c->off};
			iov[1] = (struct iovec){(void *)c->body, c->bodylen};
			msg.msg_iovlen = 2;
		} else {
			iov[0] = (struct iovec){(void *)(c->body + (c->off - c->headlen)),
			                        total - c->off};
			msg.msg_iovlen = 1;
		}
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				conn_watch(s, c, EPOLLOUT);
				return;
			}
			conn_close(s, c);
			return;
		}
		c->off += (size_t)n;
	}
	if (s->stats)
		atomic_fetch_add_explicit(&s->stats->requests, 1, memory_order_relaxed);
	if (c->counted) {
		inflight_add(s, -1);
		c->counted = false;
	}
	if (c->close_after && c->refused) {
		/* closing with unread input would send a reset that can destroy
		 * the reply before the client reads it: half-close and drain */
		shutdown(c->fd, SHUT_WR);
		c->st = C_DRAIN;
		if (conn_watch(s, c, EPOLLIN))
			conn_close(s, c);
		return;
	}
	if (c->close_after) {
		conn_close(s, c);
		return;
	}
	c->st = C_READ;
	if (conn_watch(s, c, EPOLLIN)) {
		conn_close(s, c);
		return;
	}
	if (c->inlen)
		conn_parse(s, c); /* a pipelined request is already here */
}

/* Refuse the request with `code` and close after the reply. */
static void conn_refuse(struct server *s, struct conn *c, int code)
{
	c->close_after = true;
	c->refused = true;
	c->inlen = 0;
	conn_reply(s, c, code);
	conn_send(s, c);
}

static bool header_says(const char *hdrs, const char *name, const char *value)
{
	size_t nl = strlen(name);

	for (const char *p = hdrs; p && *p; p = strstr(p, "\r\n")) {
		while (*p == '\r' || *p == '\n')
			p++;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			if (!value)
				return true;
			if (strncasecmp(v, value, strlen(value)) == 0)
				return true;
		}
	}
	return false;
}

/* A complete request may be in c->in: act on it. */
static void conn_parse(struct server *s, struct conn *c)
{
	char *end, *sp1, *sp2, *eol, *path;
	size_t reqlen;
	long code = 200;
	bool silent;

	c->in[c->inlen < REQ_MAX ? c->inlen : REQ_MAX - 1] = '\0';
	end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
	if (!end) {
		if (c->inlen >= REQ_MAX - 1)
			conn_refuse(s, c, 431);
		return;
	}
	reqlen = (size_t)(end - c->in) + 4;
	*end = '\0';
	eol = strstr(c->in, "\r\n");
	if (eol)
		*eol = '\0';
	sp1 = strchr(c->in, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp1[1] != '/') {
		conn_refuse(s, c, 400);
		return;
	}
	if (sp1 - c->in != 3 || strncmp(c->in, "GET", 3) != 0) {
		conn_refuse(s, c, 405);
		return;
	}
	if (eol && ((header_says(eol + 1, "Content-Length", NULL) &&
	             !header_says(eol + 1, "Content-Length", "0")) ||
	            header_says(eol + 1, "Transfer-Encoding", NULL))) {
		conn_refuse(s, c, 413);
		return;
	}
	*sp2 = '\0';
	path = sp1 + 1;
	c->close_after = strcmp(sp2 + 1, "HTTP/1.0") == 0 ||
	                 (eol && header_says(eol + 1, "Connection", "close"));
	if (strncmp(path, "/status/", 8) == 0) {
		char *e;

		code = strtol(path + 8, &e, 10);
		if (*e || code < 200 || code > 599)
			code = 400;
	}
	silent = strcmp(path, "/silent") == 0;
	/* keep what follows this request (pipelining); path is gone now */
	memmove(c->in, c->in + reqlen, c->inlen - reqlen);
	c->inlen -= reqlen;
	c->counted = true;
	inflight_add(s, +1);
	if (silent) {
		c->st = C_SILENT; /* read nothing more, answer never */
		conn_watch(s, c, EPOLLRDHUP);
		return;
	}
	conn_reply(s, c, (int)code);
	if (s->cfg->latency_s <= 0 || s->fcount == MAX_CONNS) {
		conn_send(s, c);
		return;
	}
	c->st = C_WAIT;
	c->due = now_s() + s->cfg->latency_s;
	conn_watch(s, c, EPOLLRDHUP);
	s->fifo[(s->fhead + s->fcount++) % MAX_CONNS] =
	    (struct fifo_ent){(uint32_t)(c - s->conns), c->gen};
	arm_timer(s);
}

static void conn_read(struct server *s, struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->inlen, REQ_MAX - 1 - c->inlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(s, c);
			return;
		}
		c->inlen += (size_t)n;
		conn_parse(s, c);
		if (c->st != C_READ || c->inlen >= REQ_MAX - 1)
			return;
	}
}

static void conn_drain(struct server *s, struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->in, sizeof(c->in));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(s, c);
			return;
		}
	}
}

static void accept_all(struct server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
		struct epoll_event ev = {.events = EPOLLIN};
		struct conn *c;
		uint32_t slot;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN, or out of descriptors: try on the next event */
		}
		if (!s->nfree) {
			close(fd);
			continue;
		}
		slot = s->free_slots[--s->nfree];
		c = &s->conns[slot];
		c->fd = fd;
		c->st = C_READ;
		c->gen++;
		c->inlen = 0;
		c->close_after = false;
		c->refused = false;
		c->counted = false;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.data.u64 = slot;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev)) {
			conn_close(s, c);
			continue;
		}
		if (s->stats)
			atomic_fetch_add_explicit(&s->stats->connections, 1, memory_order_relaxed);
	}
}

static void fire_due(struct server *s)
{
	uint64_t ticks;
	double t = now_s();

	while (read(s->tfd, &ticks, sizeof(ticks)) < 0 && errno == EINTR)
		;
	s->armed = 0;
	while (s->fcount) {
		struct fifo_ent e = s->fifo[s->fhead];
		struct conn *c = &s->conns[e.slot];

		if (c->gen == e.gen && c->st == C_WAIT && c->due > t)
			break;
		s->fhead = (s->fhead + 1) % MAX_CONNS;
		s->fcount--;
		if (c->gen == e.gen && c->st == C_WAIT)
			conn_send(s, c);
	}
	arm_timer(s);
}

static void on_event(struct server *s, struct epoll_event *ev)
{
	struct conn *c;

	if (ev->data.u64 == TAG_LISTEN) {
		accept_all(s);
		return;
	}
	if (ev->data.u64 == TAG_TIMER) {
		fire_due(s);
		return;
	}
	c = &s->conns[ev->data.u64];
	if (c->st == C_FREE)
		return;
	if (ev->events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		/* the client went away; a WAIT entry in the FIFO goes stale */
		conn_close(s, c);
		return;
	}
	if (c->st == C_DRAIN && (ev->events & EPOLLIN))
		conn_drain(s, c);
	else if (c->st == C_READ && (ev->events & EPOLLIN))
		conn_read(s, c);
	else if (c->st == C_WRITE && (ev->events & EPOLLOUT))
		conn_write(s, c);
}

static int setup_listener(struct server *s, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)s->cfg->port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN};
	int one = 1;

	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto fail;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(s->lfd, MAX_CONNS))
		goto fail;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->ep < 0 || s->tfd < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev))
		goto fail;
	ev.data.u64 = TAG_TIMER;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->tfd, &ev))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "listen on 127.0.0.1:%d: %s", s->cfg->port, strerror(errno));
	return -errno;
}

int httpd_serve(const struct httpd_config *cfg, int ready_fd, char *err, size_t errlen)
{
	struct server s = {.cfg = cfg, .stats = cfg->stats, .ep = -1, .lfd = -1, .tfd = -1};
	struct epoll_event evs[256];
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct rlimit rl;
	char msg[320];
	int rc;

	/* a slot per connection needs a descriptor per connection */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	s.body = malloc(cfg->body_bytes ? cfg->body_bytes : 1);
	s.conns = calloc(MAX_CONNS, sizeof(*s.conns));
	s.free_slots = calloc(MAX_CONNS, sizeof(*s.free_slots));
	s.fifo = calloc(MAX_CONNS, sizeof(*s.fifo));
	if (!s.body || !s.conns || !s.free_slots || !s.fifo) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	httpd_body(s.body, cfg->body_bytes, cfg->seed);
	for (unsigned i = 0; i < MAX_CONNS; i++)
		s.free_slots[s.nfree++] = MAX_CONNS - 1 - i;
	rc = setup_listener(&s, err, errlen);
	if (rc)
		goto out;
	if (getsockname(s.lfd, (struct sockaddr *)&sa, &salen)) {
		rc = -errno;
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		goto out;
	}
	snprintf(msg, sizeof(msg), "port %d\n", ntohs(sa.sin_port));
	if (write(ready_fd, msg, strlen(msg)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "report the port: %s", strerror(errno));
		goto out;
	}
	if (ready_fd > 2)
		close(ready_fd);
	for (;;) {
		int n = epoll_wait(s.ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);

		if (n < 0 && errno != EINTR) {
			rc = -errno;
			snprintf(err, errlen, "epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < n; i++)
			on_event(&s, &evs[i]);
	}
out:
	if (s.lfd >= 0)
		close(s.lfd);
	if (s.ep >= 0)
		close(s.ep);
	if (s.tfd >= 0)
		close(s.tfd);
	free(s.body);
	free(s.conns);
	free(s.free_slots);
	free(s.fifo);
	return rc;
}

/* The child side of httpd_start(): never returns. */
static void child_main(const struct httpd_config *cfg, int wfd, pid_t parent)
{
	char err[256], msg[300];
	int rc, null;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) /* the parent died before prctl took effect */
		_exit(1);
	/* the runner's flag-setting handlers must not outlive it here */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN); /* Ctrl-C: the runner stops us when it is ready */
	signal(SIGPIPE, SIG_IGN);
	/* don't hold the runner's stdin/stdout open (a pipe reader would wait) */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0 && wfd > STDOUT_FILENO) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (null > STDOUT_FILENO)
			close(null);
	}
	rc = httpd_serve(cfg, wfd, err, sizeof(err));
	snprintf(msg, sizeof(msg), "error %s\n", err);
	if (write(wfd, msg, strlen(msg)) < 0)
		_exit(3);
	_exit(rc ? 1 : 0);
}

int httpd_start(struct httpd *h, const struct httpd_config *cfg, char *err, size_t errlen)
{
	char buf[320] = "";
	pid_t parent = getpid();
	struct pollfd pfd;
	size_t len = 0;
	int fds[2], rc;

	h->pid = 0;
	h->port = 0;
	if (pipe2(fds, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, errlen, "embedded server: pipe: %s", strerror(errno));
		return rc;
	}
	fflush(NULL);
	h->pid = fork();
	if (h->pid < 0) {
		rc = -errno;
		h->pid = 0;
		snprintf(err, errlen, "embedded server: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (h->pid == 0) {
		close(fds[0]);
		child_main(cfg, fds[1], parent);
	}
	close(fds[1]);
	pfd = (struct pollfd){.fd = fds[0], .events = POLLIN};
	/* one short line; read until newline, EOF or 5 s */
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		ssize_t n;

		rc = poll(&pfd, 1, 5000);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		n = read(fds[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(fds[0]);
	buf[strcspn(buf, "\n")] = '\0';
	if (sscanf(buf, "port %d", &h->port) == 1 && h->port > 0)
		return 0;
	if (strncmp(buf, "error ", 6) == 0)
		snprintf(err, errlen, "embedded server: %s", buf + 6);
	else
		snprintf(err, errlen, "embedded server: did not start within 5 s");
	httpd_stop(h);
	return -EIO;
}

void httpd_stop(struct httpd *h)
{
	int status;

	if (h->pid <= 0)
		return;
	kill(h->pid, SIGTERM);
	for (int i = 0; i < 2000; i++) {
		pid_t r = waitpid(h->pid, &status, WNOHANG);

		if (r == h->pid || (r < 0 && errno != EINTR)) {
			h->pid = 0;
			return;
		}
		usleep(1000);
	}
	kill(h->pid, SIGKILL);
	while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
		;
	h->pid = 0;
}
