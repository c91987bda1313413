/* net.fetch - HTTP/1.1 GETs with libcurl; a task fetches its URL --size
 * times. Each worker makes one easy handle in its initialiser
 * (worker_init, outside the clock in the pooled modes) and keeps it, with
 * its connections, for every task and rep of its life, unless
 * --no-keepalive; per-task modes pay a new handle and connection per task.
 *
 * Target: the embedded server (runner/httpd/httpd.c) in its own process on
 * 127.0.0.1, serving --net-bytes deterministic bytes after --net-latency;
 * or real servers with --url / --url-file (http and https only).
 *
 * Checksums: from the embedded server every body must equal the known body
 * (checked per fetch) and the task checksum covers it. Real servers may
 * answer differently each time, so prepare() fetches every URL twice: a URL
 * whose two bodies are identical is "stable" and its body hash enters the
 * checksums (a later change fails the run as a mismatch); for an unstable
 * one only the HTTP status does, and the `unstable_urls` metric counts it.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <xxhash.h>

#include "../runner/concbench.h"
#include "../runner/safeio.h"
#include "../runner/httpd/httpd.h"
#include "io.h"

#define NET_MAX_URLS 4096
#define NET_URL_FILE_MAX (1 << 20) /* --url-file: bytes, checked while reading */

struct net_async;

/* A worker's curl handle (ctx->wstate), made in that worker's thread or
 * process by net_worker_init. */
struct net_slot {
	CURL *h;
	XXH3_state_t *xxh;
	uint64_t bytes;
	char errbuf[CURL_ERROR_SIZE];
	struct net_async
	    *async; /* async form: the worker's multi handle, made at its first start() */
};

struct net_state {
	char **urls;
	unsigned nurls;
	bool embedded;
	bool keepalive;
	bool curl_ready;
	double timeout_s;
	size_t net_bytes;
	uint64_t body_hash; /* embedded: XXH3 of the body */
	uint64_t *ref; /* per URL: body hash seen in prepare */
	bool *stable; /* per URL: two fetches in prepare agreed */
	unsigned unstable;
	struct httpd srv;
	struct httpd_stats *stats; /* shm */
	double *lat; /* shm: ntasks * per_task latencies, seconds */
	uint32_t *connects; /* shm: new connections per task */
	unsigned cap; /* tasks lat/connects hold */
	long per_task;
};

static const struct wl_option net_options[] = {
    {"url", "URL", NULL,
     "net.fetch: fetch URL (http/https) instead of the embedded server; repeatable", true},
    {"url-file", "FILE", NULL,
     "net.fetch: fetch the URLs listed in FILE, one a line (a file or pipe of at most 1 MiB)",
     false},
    {"net-bytes", "BYTES", "1K", "net.fetch: body size of the embedded server", false},
    {"net-latency", "DURATION", "20ms", "net.fetch: the embedded server's delay per request",
     false},
    {"net-timeout", "DURATION", "10s", "net.fetch: give up a request after this long", false},
    {"no-keepalive", NULL, NULL, "net.fetch: a new connection per request", false},
    {0},
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct net_slot *s = arg;

	XXH3_64bits_update(s->xxh, data, size * n);
	s->bytes += size * n;
	return size * n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	/* nonzero aborts the transfer: the cell was stopped, or (in prepare's
	 * probe, before any cell) SIGINT/SIGTERM arrived */
	return cb_should_stop(arg) || cb_interrupted;
}

static int slot_init(struct net_state *st, struct net_slot *s)
{
	long ms = (long)(st->timeout_s * 1000);

	memset(s, 0, sizeof(*s));
	s->h = curl_easy_init();
	s->xxh = XXH3_createState();
	if (!s->h || !s->xxh)
		return -ENOMEM;
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(s->h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(s->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(s->h, CURLOPT_USERAGENT, "concbench/" CONCBENCH_VERSION);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	if (!st->keepalive) {
		curl_easy_setopt(s->h, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(s->h, CURLOPT_FRESH_CONNECT, 1L);
	}
	return 0;
}

static void slot_free(struct net_slot *s)
{
	if (s->h)
		curl_easy_cleanup(s->h);
	if (s->xxh)
		XXH3_freeState(s->xxh);
	memset(s, 0, sizeof(*s));
}

/* Whether this process is out of descriptors now. */
static bool out_of_fds(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EMFILE || errno == ENFILE;
}

/* The error of a transfer that ended with cc on handle h. curl says only
 * "Couldn't connect" when socket() fails for want of a descriptor (each
 * worker of a pool holds its own curl descriptors and a connection):
 * name the limit then. */
static int xfer_error(struct wl_ctx *ctx, CURL *h, const char *url, CURLcode cc, const char *errbuf)
{
	long oserr = 0;
	struct rlimit rl;

	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	if (cc == CURLE_COULDNT_CONNECT && (oserr == EMFILE || oserr == ENFILE || out_of_fds()) &&
	    getrlimit(RLIMIT_NOFILE, &rl) == 0)
		return cb_error(
		    ctx, -EMFILE,
		    "GET %s: out of file descriptors (open files: soft limit %llu, hard "
		    "%llu): every worker holds its own connection and curl's descriptors; "
		    "use fewer --workers or --mode=async, or raise the hard limit",
		    url, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	return cb_error(ctx, -EIO, "GET %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

/* GET url on slot s. 0 with the body hash and status, or a negative errno
 * with ctx->err naming the URL. */
static int fetch(struct wl_ctx *ctx, struct net_slot *s, const char *url, uint64_t *hash,
                 long *status, long *connects)
{
	CURLcode cc;

	s->errbuf[0] = '\0';
	s->bytes = 0;
	XXH3_64bits_reset(s->xxh);
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_easy_setopt(s->h, CURLOPT_XFERINFODATA, ctx);
	cc = GIL_BLOCKING(curl_easy_perform(s->h));
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return cb_error(ctx, cb_interrupted ? -EINTR : -ECANCELED, "GET %s: stopped", url);
	if (cc != CURLE_OK)
		return xfer_error(ctx, s->h, url, cc, s->errbuf);
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(s->h, CURLINFO_NUM_CONNECTS, connects);
	if (*status < 200 || *status > 299)
		return cb_error(ctx, -EIO, "GET %s: HTTP status %ld", url, *status);
	*hash = XXH3_64bits_digest(s->xxh);
	return 0;
}

static bool scheme_ok(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static int add_url(struct wl_ctx *ctx, struct net_state *st, const char *url, const char *where)
{
	if (!scheme_ok(url))
		return cb_error(ctx, -EINVAL,
		                "%s: '%s': only http:// and https:// URLs are supported", where,
		                url);
	if (st->nurls == NET_MAX_URLS)
		return cb_error(ctx, -EINVAL, "%s: more than %d URLs", where, NET_MAX_URLS);
	st->urls[st->nurls] = strdup(url);
	if (!st->urls[st->nurls])
		return cb_error(ctx, -ENOMEM, "out of memory");
	st->nurls++;
	return 0;
}

/* Split s on white space into URLs. */
static int add_url_list(struct wl_ctx *ctx, struct net_state *st, const char *s, const char *where)
{
	while (*s) {
		char url[8192];
		size_t n;
		int rc;

		while (isspace((unsigned char)*s))
			s++;
		n = strcspn(s, " \t\r\n");
		if (!n)
			break;
		if (n >= sizeof(url))
			return cb_error(ctx, -EINVAL, "%s: a URL longer than %zu bytes", where,
			                sizeof(url) - 1);
		memcpy(url, s, n);
		url[n] = '\0';
		rc = add_url(ctx, st, url, where);
		if (rc)
			return rc;
		s += n;
	}
	return 0;
}

/* Read --url-file whole through safeio.h (a regular file, FIFO or pipe of
 * at most NET_URL_FILE_MAX bytes; SIGINT/SIGTERM stop a blocked read). */
static int read_url_file(struct wl_ctx *ctx, struct net_state *st, const char *path)
{
	char *buf, *line, *next, where[512];
	unsigned lineno = 0;
	size_t len;
	int rc;

	rc = safe_read_all(path, NET_URL_FILE_MAX, &cb_interrupted, &buf, &len);
	if (rc == -EINTR)
		return cb_error(ctx, rc, "--url-file: %s: interrupted", path);
	if (rc == -EFBIG)
		return cb_error(ctx, -EINVAL, "--url-file: %s: larger than the limit of %d MiB",
		                path, NET_URL_FILE_MAX >> 20);
	if (rc)
		return cb_error(ctx, -EINVAL, "--url-file: %s: %s", path, safe_strerror(rc));
	if (memchr(buf, '\0', len)) {
		free(buf);
		return cb_error(ctx, -EINVAL, "--url-file: %s: a NUL byte: not a text file", path);
	}
	for (line = buf; !rc && line < buf + len; line = next) {
		char *p = line, *nl = strchr(line, '\n');

		next = nl ? nl + 1 : buf + len;
		if (nl)
			*nl = '\0';
		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		snprintf(where, sizeof(where), "--url-file: %s:%u", path, lineno);
		rc = add_url_list(ctx, st, p, where);
	}
	if (!rc && st->nurls == 0)
		rc = cb_error(ctx, -EINVAL, "--url-file: %s: no URLs in it", path);
	free(buf);
	return rc;
}

static int start_embedded(struct wl_ctx *ctx, struct net_state *st)
{
	struct httpd_config cfg = {.body_bytes = st->net_bytes, .seed = ctx->seed};
	char err[256], url[64];
	uint8_t *body;
	int rc;

	const char *lat = cb_opt_str("net-latency");

	/* "0" (or 0ms …) means no delay; parse_duration takes only > 0 */
	if (!(lat && lat[0] == '0' && strtod(lat, NULL) == 0)) {
		rc = cb_opt_duration(ctx, "net-latency", 1e-6, 3600, &cfg.latency_s);
		if (rc)
			return rc;
	}
	body = malloc(st->net_bytes ? st->net_bytes : 1);
	if (!body)
		return cb_error(ctx, -ENOMEM, "out of memory");
	httpd_body(body, st->net_bytes, cfg.seed);
	st->body_hash = XXH3_64bits(body, st->net_bytes);
	free(body);
	st->stats = cb_shm_alloc(sizeof(*st->stats));
	if (!st->stats)
		return cb_error(ctx, -ENOMEM, "out of memory");
	cfg.stats = st->stats;
	rc = httpd_start(&st->srv, &cfg, err, sizeof(err));
	if (rc)
		return cb_error(ctx, rc, "%s", err);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", st->srv.port);
	return add_url(ctx, st, url, "embedded server");
}

/* Fetch every URL twice: reachability, and which ones answer identically. */
static int probe_urls(struct wl_ctx *ctx, struct net_state *st)
{
	struct net_slot s;
	int rc = slot_init(st, &s);

	if (rc) {
		slot_free(&s);
		return cb_error(ctx, rc, "curl_easy_init failed");
	}
	for (unsigned u = 0; u < st->nurls && !rc; u++) {
		uint64_t h1 = 0, h2 = 0;
		long status = 0, conns = 0;

		rc = fetch(ctx, &s, st->urls[u], &h1, &status, &conns);
		if (!rc)
			rc = fetch(ctx, &s, st->urls[u], &h2, &status, &conns);
		if (!rc && st->embedded && (s.bytes != st->net_bytes || h2 != st->body_hash))
			rc = cb_error(ctx, -EIO,
			              "GET %s: the body differs from the embedded server's",
			              st->urls[u]);
		st->ref[u] = h1;
		st->stable[u] = h1 == h2;
		st->unstable += h1 != h2;
	}
	slot_free(&s);
	return rc;
}

static void net_free(struct net_state *st)
{
	if (!st)
		return;
	httpd_stop(&st->srv);
	if (st->stats)
		cb_shm_free(st->stats, sizeof(*st->stats));
	if (st->lat)
		cb_shm_free(st->lat, st->cap * (size_t)st->per_task * sizeof(*st->lat));
	if (st->connects)
		cb_shm_free(st->connects, st->cap * sizeof(*st->connects));
	for (unsigned u = 0; u < st->nurls; u++)
		free(st->urls[u]);
	free(st->urls);
	free(st->ref);
	free(st->stable);
	if (st->curl_ready)
		curl_global_cleanup();
	free(st);
}

static int net_prepare(struct wl_ctx *ctx)
{
	struct net_state *st = calloc(1, sizeof(*st));
	const char *url, *file = cb_opt_str("url-file");
	unsigned long long nb = 0;
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	st->keepalive = !cb_opt_flag("no-keepalive");
	st->per_task = ctx->size;
	st->cap = ctx->ntasks;
	rc = cb_opt_duration(ctx, "net-timeout", 1e-3, 86400, &st->timeout_s);
	if (!rc)
		rc = io_opt_bytes(ctx, "net-bytes", 0, 1ULL << 30, &nb);
	if (!rc && (ctx->size < 1 || ctx->size > 1000000))
		rc = cb_error(ctx, -EINVAL, "--size: %ld: want 1..1000000 requests per task",
		              ctx->size);
	if (rc)
		goto err;
	st->net_bytes = (size_t)nb;
	st->urls = calloc(NET_MAX_URLS, sizeof(*st->urls));
	st->ref = calloc(NET_MAX_URLS, sizeof(*st->ref));
	st->stable = calloc(NET_MAX_URLS, sizeof(*st->stable));
	st->lat = cb_shm_alloc(st->cap * (size_t)st->per_task * sizeof(*st->lat));
	st->connects = cb_shm_alloc(st->cap * sizeof(*st->connects));
	if (!st->urls || !st->ref || !st->stable || !st->lat || !st->connects) {
		rc = cb_error(ctx, -ENOMEM, "out of memory");
		goto err;
	}
	/* --url is repeatable, and each may hold several URLs */
	for (unsigned k = 0; !rc && (url = cb_opt_nth("url", k)); k++) {
		unsigned before = st->nurls;

		rc = add_url_list(ctx, st, url, "--url");
		if (!rc && st->nurls == before)
			rc = cb_error(ctx, -EINVAL, "--url: empty");
	}
	if (!rc && file)
		rc = read_url_file(ctx, st, file);
	if (rc)
		goto err;
	st->embedded = st->nurls == 0;
	/* the server is forked before libcurl or any worker thread exists */
	if (st->embedded && (rc = start_embedded(ctx, st)))
		goto err;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		rc = cb_error(ctx, -EIO, "curl_global_init failed");
		goto err;
	}
	st->curl_ready = true;
	rc = probe_urls(ctx, st);
	if (rc)
		goto err;
	ctx->state = st;
	return 0;
err:
	net_free(st);
	return rc;
}

static int net_reset(struct wl_ctx *ctx)
{
	struct net_state *st = ctx->state;

	memset(st->lat, 0, st->cap * (size_t)st->per_task * sizeof(*st->lat));
	memset(st->connects, 0, st->cap * sizeof(*st->connects));
	if (st->stats)
		atomic_store(&st->stats->max_inflight, 0);
	return 0;
}

/* The worker's own handle, made in its thread or process: a forked
 * worker never touches a handle (and socket) of its parent. */
static int net_worker_init(struct wl_ctx *ctx)
{
	struct net_slot *s = malloc(sizeof(*s));

	if (!s)
		return cb_error(ctx, -ENOMEM, "out of memory");
	if (slot_init(ctx->state, s)) {
		slot_free(s);
		free(s);
		return cb_error(ctx, -ENOMEM, "curl_easy_init failed");
	}
	ctx->wstate = s;
	return 0;
}

static void async_free(struct net_async *a);

static void net_worker_fini(struct wl_ctx *ctx)
{
	struct net_slot *s = ctx->wstate;

	if (!s)
		return;
	async_free(s->async);
	slot_free(s);
	free(s);
}

static int net_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct net_state *st = ctx->state;
	struct net_slot *s = ctx->wstate;
	unsigned u = i % st->nurls;
	uint64_t acc = 0;
	long r;

	for (r = 0; r < st->per_task; r++) {
		uint64_t h = 0, part[3];
		long status = 0, conns = 0;
		double t0 = cb_now();
		int rc = fetch(ctx, s, st->urls[u], &h, &status, &conns);

		st->lat[(size_t)i * st->per_task + r] = cb_now() - t0;
		if (rc)
			return rc;
		if (st->embedded && (s->bytes != st->net_bytes || h != st->body_hash))
			return cb_error(ctx, -EIO,
			                "GET %s: the body differs from the embedded server's",
			                st->urls[u]);
		st->connects[i] += (uint32_t)conns;
		part[0] = u;
		part[1] = (uint64_t)status;
		part[2] = st->stable[u] ? h : 0;
		acc = XXH3_64bits_withSeed(part, sizeof(part), acc);
	}
	res->checksum = acc;
	res->ops = (double)r;
	return 0;
}

/* --- the async form: libcurl's multi interface driven by the worker's loop.
 * One easy handle per task in flight, kept for later tasks, on one of the
 * worker's multi handles; each multi handle has its own connection cache
 * (the worker's connections, as the easy handle's are in the other modes).
 * curl says which sockets to watch (CURLMOPT_SOCKETFUNCTION ->
 * cb_loop_watch) and when to call it back (CURLMOPT_TIMERFUNCTION ->
 * cb_loop_timer); readiness and timers go back to curl_multi_socket_action().
 *
 * Why several multi handles: libcurl (7.88 at least) walks its whole
 * connection cache on every curl_multi_remove_handle (close_connect_only)
 * and the host's connections on every reuse (ConnectionExists), so one
 * multi handle with 10,000 cached connections costs O(connections) per
 * request - 10,000 requests in flight spent most of their CPU in those two
 * scans (perf, issue 17). A new multi handle is opened for every
 * NET_MULTI_XFERS easy handles, which bounds both scans. */
#define NET_MULTI_XFERS 128

struct net_multi;

/* One task in flight: its requests one after another on one easy handle. */
struct net_xfer {
	struct net_slot s; /* easy handle, body hash and size of the request */
	struct net_async *a;
	struct net_multi *m; /* the multi handle it belongs to, for its life */
	struct task_result *res;
	struct cb_async *done;
	unsigned task, url;
	long r; /* requests done */
	uint64_t acc;
	double t0; /* start of the request */
	bool busy;
	struct net_xfer *next_free, *next_all;
};

/* One multi handle and its connection cache. */
struct net_multi {
	CURLM *multi;
	struct net_async *a;
	uint64_t timer;
	bool timer_armed;
	unsigned nxfers; /* easy handles made for it */
};

/* A socket curl asked to watch. */
struct net_sock {
	struct net_multi *m;
	curl_socket_t fd;
};

struct net_async {
	struct cb_loop *loop;
	struct wl_ctx *ctx; /* the worker's */
	struct net_multi **multis;
	unsigned nmulti;
	struct net_xfer *free, *all;
};

static void async_check(struct net_multi *m);

static void async_on_sock(struct cb_loop *loop, void *arg, long events)
{
	struct net_sock *ns = arg;
	struct net_multi *m = ns->m;
	int flags = 0, running;

	(void)loop;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	/* ns may be freed inside (CURL_POLL_REMOVE): m is read before */
	curl_multi_socket_action(m->multi, ns->fd, flags, &running);
	async_check(m);
}

static int async_socket_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct net_multi *m = userp;
	struct net_sock *ns = socketp;
	uint32_t ev = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		cb_loop_watch(m->a->loop, fd, 0, NULL, NULL);
		free(ns);
		curl_multi_assign(m->multi, fd, NULL);
		return 0;
	}
	if (!ns) {
		ns = malloc(sizeof(*ns));
		if (!ns)
			return -1;
		*ns = (struct net_sock){m, fd};
		curl_multi_assign(m->multi, fd, ns);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= EPOLLOUT;
	return cb_loop_watch(m->a->loop, fd, ev, async_on_sock, ns) ? -1 : 0;
}

static void async_on_timer(struct cb_loop *loop, void *arg, long res)
{
	struct net_multi *m = arg;
	int running;

	(void)loop, (void)res;
	m->timer_armed = false;
	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	async_check(m);
}

static int async_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct net_multi *m = userp;

	(void)multi;
	if (m->timer_armed)
		cb_loop_timer_cancel(m->a->loop, m->timer);
	m->timer_armed = false;
	if (timeout_ms < 0)
		return 0;
	if (cb_loop_timer(m->a->loop, cb_now() + (double)timeout_ms * 1e-3, async_on_timer, m,
	                  &m->timer))
		return -1;
	m->timer_armed = true;
	return 0;
}

static void async_free(struct net_async *a)
{
	if (!a)
		return;
	for (struct net_xfer *x = a->all; x; x = x->next_all)
		if (x->busy)
			curl_multi_remove_handle(x->m->multi, x->s.h);
	for (unsigned k = 0; k < a->nmulti; k++) {
		struct net_multi *m = a->multis[k];

		curl_multi_cleanup(m->multi);
		if (m->timer_armed)
			cb_loop_timer_cancel(a->loop, m->timer);
		free(m);
	}
	free(a->multis);
	while (a->all) {
		struct net_xfer *x = a->all;

		a->all = x->next_all;
		slot_free(&x->s);
		free(x);
	}
	free(a);
}

/* The worker's async state on `loop`, made at its first start(). */
static struct net_async *async_get(struct wl_ctx *ctx, struct cb_loop *loop)
{
	struct net_slot *s = ctx->wstate;
	struct net_async *a = s->async;

	if (a)
		return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->loop = loop;
	a->ctx = ctx;
	s->async = a;
	return a;
}

/* A multi handle with room for one more easy handle: the newest, or a new
 * one. NULL when out of memory. */
static struct net_multi *async_multi(struct net_async *a)
{
	struct net_multi *m, **p;

	if (a->nmulti && a->multis[a->nmulti - 1]->nxfers < NET_MULTI_XFERS)
		return a->multis[a->nmulti - 1];
	p = realloc(a->multis, (a->nmulti + 1) * sizeof(*p));
	if (!p)
		return NULL;
	a->multis = p;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->a = a;
	m->multi = curl_multi_init();
	if (!m->multi) {
		free(m);
		return NULL;
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, async_socket_cb);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, async_timer_cb);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	/* keep a connection per easy handle between reps (the default cache
	 * of 4 per added handle shrinks as the handles are removed) */
	curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)NET_MULTI_XFERS);
	a->multis[a->nmulti++] = m;
	return m;
}

/* Start request x->r of x's task. 0 or a negative errno with ctx->err. */
static int async_request(struct net_xfer *x)
{
	struct net_state *st = x->a->ctx->state;
	CURLMcode mc;

	x->s.errbuf[0] = '\0';
	x->s.bytes = 0;
	XXH3_64bits_reset(x->s.xxh);
	curl_easy_setopt(x->s.h, CURLOPT_URL, st->urls[x->url]);
	curl_easy_setopt(x->s.h, CURLOPT_XFERINFODATA, x->a->ctx);
	curl_easy_setopt(x->s.h, CURLOPT_PRIVATE, x);
	x->t0 = cb_now();
	mc = curl_multi_add_handle(x->m->multi, x->s.h);
	if (mc != CURLM_OK)
		return cb_error(x->a->ctx, -EIO, "curl_multi_add_handle: %s",
		                curl_multi_strerror(mc));
	return 0;
}

/* Request x->r of x's task ended with cc: check it like fetch() and
 * net_run(). 0 or a negative errno with ctx->err. */
static int async_result(struct net_xfer *x, CURLcode cc)
{
	struct wl_ctx *ctx = x->a->ctx;
	struct net_state *st = ctx->state;
	const char *url = st->urls[x->url];
	long status = 0, conns = 0;
	uint64_t h, part[3];

	st->lat[(size_t)x->task * st->per_task + x->r] = cb_now() - x->t0;
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return cb_error(ctx, cb_interrupted ? -EINTR : -ECANCELED, "GET %s: stopped", url);
	if (cc != CURLE_OK)
		return xfer_error(ctx, x->s.h, url, cc, x->s.errbuf);
	curl_easy_getinfo(x->s.h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->s.h, CURLINFO_NUM_CONNECTS, &conns);
	if (status < 200 || status > 299)
		return cb_error(ctx, -EIO, "GET %s: HTTP status %ld", url, status);
	h = XXH3_64bits_digest(x->s.xxh);
	if (st->embedded && (x->s.bytes != st->net_bytes || h != st->body_hash))
		return cb_error(ctx, -EIO, "GET %s: the body differs from the embedded server's",
		                url);
	st->connects[x->task] += (uint32_t)conns;
	part[0] = x->url;
	part[1] = (uint64_t)status;
	part[2] = st->stable[x->url] ? h : 0;
	x->acc = XXH3_64bits_withSeed(part, sizeof(part), x->acc);
	x->r++;
	return 0;
}

static void async_end(struct net_xfer *x, int rc)
{
	struct net_async *a = x->a;
	struct cb_async *done = x->done;

	x->res->checksum = x->acc;
	x->res->ops = (double)x->r;
	x->busy = false;
	x->next_free = a->free;
	a->free = x;
	cb_async_done(done, rc);
}

/* Transfers curl finished: the next request of their task, or its end. */
static void async_check(struct net_multi *m)
{
	struct net_state *st = m->a->ctx->state;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m->multi, &left))) {
		struct net_xfer *x = NULL;
		CURLcode cc = msg->data.result;
		int rc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(m->multi, x->s.h);
		rc = async_result(x, cc);
		if (!rc && x->r < st->per_task && !cb_should_stop(m->a->ctx)) {
			rc = async_request(x);
			if (!rc)
				continue; /* the task's next request is on its way */
		}
		async_end(x, rc);
	}
}

static int net_start(struct wl_ctx *ctx, struct cb_loop *loop, unsigned i, struct task_result *res,
                     struct cb_async *done)
{
	struct net_state *st = ctx->state;
	struct net_async *a = async_get(ctx, loop);
	struct net_xfer *x;
	int rc;

	if (!a)
		return cb_error(ctx, -ENOMEM, "out of memory");
	x = a->free;
	if (x) {
		a->free = x->next_free;
	} else {
		struct net_multi *m = async_multi(a);

		if (!m)
			return cb_error(ctx, -ENOMEM, "curl_multi_init failed");
		x = calloc(1, sizeof(*x));
		if (!x)
			return cb_error(ctx, -ENOMEM, "out of memory");
		if (slot_init(st, &x->s)) {
			slot_free(&x->s);
			free(x);
			return cb_error(ctx, -ENOMEM, "curl_easy_init failed");
		}
		x->a = a;
		x->m = m;
		m->nxfers++;
		x->next_all = a->all;
		a->all = x;
	}
	x->res = res;
	x->done = done;
	x->task = i;
	x->url = i % st->nurls;
	x->r = 0;
	x->acc = 0;
	rc = async_request(x);
	if (rc) {
		x->next_free = a->free;
		a->free = x;
		return rc;
	}
	x->busy = true;
	return 0;
}

static int net_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct net_state *st = ctx->state;
	size_t n = (size_t)ctx->ntasks * st->per_task;
	double *d = malloc(n * sizeof(*d));
	uint64_t conns = 0;

	(void)res;
	if (!d)
		return cb_error(ctx, -ENOMEM, "out of memory");
	memcpy(d, st->lat, n * sizeof(*d));
	for (unsigned i = 0; i < ctx->ntasks; i++)
		conns += st->connects[i];
	cb_metric(m, "lat_p50_ms", cb_quantile(d, n, 0.50) * 1e3);
	cb_metric(m, "lat_p99_ms", cb_quantile(d, n, 0.99) * 1e3);
	cb_metric(m, "connects", (double)conns);
	if (st->embedded)
		cb_metric(m, "server_max_inflight", atomic_load(&st->stats->max_inflight));
	else
		cb_metric(m, "unstable_urls", st->unstable);
	if (!st->embedded)
		cb_metric(m, "urls", st->nurls);
	free(d);
	return 0;
}

static void net_cleanup(struct wl_ctx *ctx)
{
	net_free(ctx->state);
	ctx->state = NULL;
}

const struct workload net_fetch = {
    .name = "net.fetch",
    .summary = "HTTP GETs with libcurl against the embedded latency server or --url",
    .kind = KIND_WORKLOAD,
    .family_default = true,
    .default_tasks = 64,
    .sizes = {1, 2, 8},
    .size_unit = "requests per task",
    .ops_unit = "request",
    .options = net_options,
    .prepare = net_prepare,
    .reset = net_reset,
    .worker_init = net_worker_init,
    .worker_fini = net_worker_fini,
    .run = net_run,
    .start = net_start,
    .verify = net_verify,
    .cleanup = net_cleanup,
};
