/* Unit tests of the embedded HTTP server (runner/httpd/httpd.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../runner/concbench.h"
#include "../../runner/httpd/httpd.h"

static int dial(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {.tv_sec = 10};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_assert(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s",
	          strerror(errno));
	return fd;
}

static void send_str(int fd, const char *s)
{
	cr_assert(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

/* Read one response: returns the status, copies the body into body. */
static int read_response(int fd, char *body, size_t cap, size_t *len)
{
	static char buf[1 << 16];
	static size_t have;
	char *end;
	size_t clen, head;
	int status = -1;

	for (;;) {
		end = memmem(buf, have, "\r\n\r\n", 4);
		if (end) {
			char *cl = strcasestr(buf, "Content-Length:");

			cr_assert(cl && cl < end);
			clen = strtoul(cl + 15, NULL, 10);
			head = (size_t)(end - buf) + 4;
			if (have >= head + clen)
				break;
		}
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);

		cr_assert(n > 0, "read: %zd %s", n, strerror(errno));
		have += (size_t)n;
	}
	sscanf(buf, "HTTP/1.1 %d", &status);
	cr_assert(clen <= cap);
	memcpy(body, buf + head, clen);
	*len = clen;
	memmove(buf, buf + head + clen, have - head - clen);
	have -= head + clen;
	return status;
}

Test(httpd, body_is_deterministic_per_seed)
{
	uint8_t a[100], b[100], c[100];

	httpd_body(a, sizeof(a), 7);
	httpd_body(b, sizeof(b), 7);
	httpd_body(c, sizeof(c), 8);
	cr_assert(memcmp(a, b, sizeof(a)) == 0);
	cr_assert(memcmp(a, c, sizeof(a)) != 0);
}

Test(httpd, holds_concurrent_requests_at_once_and_stops)
{
	struct httpd_stats *st = cb_shm_alloc(sizeof(*st));
	struct httpd_config cfg = {.latency_s = 0.3, .body_bytes = 1000, .seed = 3, .stats = st};
	uint8_t want[1000];
	char body[2000], err[256];
	struct httpd h;
	int fds[8];
	size_t len;

	httpd_body(want, sizeof(want), 3);
	cr_assert(httpd_start(&h, &cfg, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < 8; i++) {
		fds[i] = dial(h.port);
		send_str(fds[i], "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
	}
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(read_response(fds[i], body, sizeof(body), &len), 200);
		cr_assert_eq(len, sizeof(want));
		cr_assert(memcmp(body, want, len) == 0);
		close(fds[i]);
	}
	/* all eight waited out their latency together */
	cr_assert_eq(atomic_load(&st->max_inflight), 8);
	cr_assert_eq(atomic_load(&st->connections), 8);
	pid_t pid = h.pid;
	httpd_stop(&h);
	cr_assert_eq(h.pid, 0);
	cr_assert(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD, "server not reaped");
	httpd_stop(&h); /* twice is harmless */
	cb_shm_free(st, sizeof(*st));
}

Test(httpd, pipelined_requests_and_status_paths)
{
	struct httpd_config cfg = {.latency_s = 0, .body_bytes = 5, .seed = 1};
	char body[64], err[256];
	struct httpd h;
	size_t len;
	int fd;

	cr_assert(httpd_start(&h, &cfg, err, sizeof(err)) == 0, "%s", err);
	fd = dial(h.port);
	send_str(fd, "GET / HTTP/1.1\r\n\r\nGET /status/503 HTTP/1.1\r\n\r\n"
	             "GET /status/404 HTTP/1.1\r\n\r\n");
	cr_assert_eq(read_response(fd, body, sizeof(body), &len), 200);
	cr_assert_eq(len, 5);
	cr_assert_eq(read_response(fd, body, sizeof(body), &len), 503);
	cr_assert_eq(read_response(fd, body, sizeof(body), &len), 404);
	send_str(fd, "DELETE / HTTP/1.1\r\n\r\n");
	cr_assert_eq(read_response(fd, body, sizeof(body), &len), 405);
	close(fd);
	fd = dial(h.port);
	send_str(fd, "GET / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789");
	cr_assert_eq(read_response(fd, body, sizeof(body), &len), 413);
	close(fd);
	fd = dial(h.port);
	send_str(fd, "garbage\r\n\r\n");
	cr_assert_eq(read_response(fd, body, sizeof(body), &len), 400);
	close(fd);
	httpd_stop(&h);
}

Test(httpd, start_reports_a_port_in_use)
{
	struct httpd_config cfg = {.body_bytes = 1};
	struct httpd a, b;
	char err[256];

	cr_assert(httpd_start(&a, &cfg, err, sizeof(err)) == 0, "%s", err);
	cfg.port = a.port;
	cr_assert(httpd_start(&b, &cfg, err, sizeof(err)) < 0);
	cr_assert(strstr(err, "Address already in use"), "%s", err);
	cr_assert_eq(b.pid, 0);
	httpd_stop(&a);
}
