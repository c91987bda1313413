/* httpd.h - concbench's embedded loopback HTTP/1.1 server.
 *
 * The default target of net.fetch: one process (forked from the runner, or
 * `concbench serve` in the foreground) serving a deterministic body after an
 * injected latency, on 127.0.0.1 only. One epoll loop serves every
 * connection; a request waiting out its latency sits in a FIFO of due times
 * (the latency is constant, so arrival order is due order) and holds up
 * nobody. Only small GET requests are accepted.
 *
 * Paths: `/status/NNN` answers with status NNN (200..599) and a short body,
 * `/silent` reads the request and never answers, anything else answers 200
 * with the body.
 */
#ifndef CONCBENCH_HTTPD_H
#define CONCBENCH_HTTPD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Counters the server publishes; place them in cb_shm_alloc() memory so the
 * runner sees them. Written by the server only, except that the runner may
 * zero max_inflight between reps. */
struct httpd_stats {
	_Atomic uint64_t requests; /* responses completely sent */
	_Atomic uint64_t connections; /* connections accepted */
	_Atomic uint32_t inflight; /* requests parsed and not yet answered */
	_Atomic uint32_t max_inflight; /* the most at one time */
};

struct httpd_config {
	double latency_s; /* delay between a request and its response */
	size_t body_bytes; /* length of the 200 body */
	uint64_t seed; /* the body is httpd_body(seed) */
	int port; /* 0: ephemeral */
	struct httpd_stats *stats; /* NULL: not published */
};

struct httpd {
	pid_t pid; /* the server process; 0 when not running */
	int port;
};

/* Fill buf with the n deterministic body bytes of `seed`. Can't fail. */
void httpd_body(uint8_t *buf, size_t n, uint64_t seed);

/* Fork a server process for cfg and wait (up to 5 s) until it listens.
 * The child dies with its parent (PR_SET_PDEATHSIG) and ignores SIGINT, so
 * only httpd_stop() or the parent's death ends it. 0 with h filled, or a
 * negative errno with a message in err. */
int httpd_start(struct httpd *h, const struct httpd_config *cfg, char *err, size_t errlen);

/* SIGTERM the server and reap it (SIGKILL after 2 s). Safe to call twice
 * and on a server that never started. Can't fail. */
void httpd_stop(struct httpd *h);

/* Listen on 127.0.0.1 as cfg says, report "port N\n" (or "error TEXT\n")
 * on ready_fd and close it, then serve until killed. Returns only on a
 * setup failure: a negative errno with a message in err. */
int httpd_serve(const struct httpd_config *cfg, int ready_fd, char *err, size_t errlen);

/* `concbench serve` (argv[0] is "serve"): run the server in the foreground
 * until SIGINT/SIGTERM. The exit status. */
int cmd_serve(int argc, char **argv);

#endif
