/* spawn.c - what a new worker costs: pthread_create + join, fork + wait, or
 * posix_spawn of a trivial program (/bin/true) + wait.
 *
 * Each worker body creates --alive units, then joins / reaps them, until it
 * made `size` of them: us_per_spawn is the time of one create+join in one
 * body (all bodies run at once). Memory per live unit is measured once per
 * cell in prepare(), outside the clock, with --alive units alive and
 * blocked: a thread's share is the growth of this process's RSS; a
 * process's is its own unshared pages (Private_* of smaps_rollup) plus its
 * page tables, next to its plain RSS (which counts pages it shares).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../runner/concbench.h"
#include "ticker.h"

#define MAX_ALIVE 1024

extern char **environ;

enum spawn_how { SP_THREAD, SP_FORK, SP_POSIX_SPAWN };

static const struct wl_option spawn_opts[] = {
    {"spawn", "thread|fork|posix-spawn", "thread", "spawn: how a unit is created", false},
    {"alive", "N", "8", "spawn: units alive at once (created, then all joined)", false},
    {"program", "PATH", "/bin/true", "spawn: the program posix-spawn runs", false},
    {0},
};

struct spawn_state {
	enum spawn_how how;
	unsigned alive;
	const char *program;
	double rss_kb, private_kb, stack_kb; /* per live unit */
};

static void *noop(void *arg)
{
	return arg;
}

/* Reap pid; the ticker's EINTR lets a stop request kill it. */
static int reap(struct wl_ctx *ctx, pid_t pid)
{
	int status;

	for (;;) {
		pid_t r = GIL_BLOCKING(waitpid(pid, &status, 0));

		if (r == pid)
			break;
		if (errno != EINTR)
			return cb_error(ctx, -errno, "waitpid: %s", strerror(errno));
		if (cb_should_stop(ctx))
			kill(pid, SIGKILL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cb_error(ctx, -ECHILD, "child %d ended with status 0x%x", (int)pid, status);
	return 0;
}

static int spawn_one(struct wl_ctx *ctx, struct spawn_state *st, pthread_t *t, pid_t *pid)
{
	char *argv[] = {(char *)st->program, NULL};
	int rc;

	switch (st->how) {
	case SP_THREAD:
		rc = pthread_create(t, NULL, noop, NULL);
		return rc ? cb_error(ctx, -rc, "pthread_create: %s", strerror(rc)) : 0;
	case SP_FORK:
		*pid = fork();
		if (*pid < 0)
			return cb_error(ctx, -errno, "fork: %s", strerror(errno));
		if (*pid == 0)
			_exit(0);
		return 0;
	default:
		rc = posix_spawn(pid, st->program, NULL, NULL, argv, environ);
		return rc ? cb_error(ctx, -rc, "posix_spawn %s: %s", st->program, strerror(rc)) : 0;
	}
}

static int spawn_run(struct wl_ctx *ctx, unsigned w, struct task_result *res)
{
	struct spawn_state *st = ctx->state;
	uint64_t n = (uint64_t)ctx->size, done = 0;
	pthread_t *t = calloc(st->alive, sizeof(*t));
	pid_t *pid = calloc(st->alive, sizeof(*pid));
	timer_t tick;
	int rc = 0;

	(void)w;
	if (!t || !pid) {
		rc = cb_error(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	rc = ticker_start(&tick);
	if (rc) {
		cb_error(ctx, rc, "timer_create: %s", strerror(-rc));
		goto out;
	}
	while (done < n && !rc) {
		unsigned k = n - done < st->alive ? (unsigned)(n - done) : st->alive, made = 0;

		while (made < k && !rc)
			if ((rc = spawn_one(ctx, st, &t[made], &pid[made])) == 0)
				made++;
		for (unsigned j = 0; j < made; j++) {
			int r =
			    st->how == SP_THREAD ? -pthread_join(t[j], NULL) : reap(ctx, pid[j]);

			if (r && !rc)
				rc = r;
		}
		done += made;
		if (!rc && cb_should_stop(ctx))
			rc = -ECANCELED;
	}
	ticker_stop(tick);
	res->ops = (double)done;
	res->checksum = done;
out:
	free(t);
	free(pid);
	return rc;
}

/* "Key:   123 kB" from a /proc file; -1 when absent. */
static double proc_kb(const char *path, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	double v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, len) == 0 && line[len] == ':') {
			v = strtod(line + len + 1, NULL);
			break;
		}
	fclose(f);
	return v;
}

static void *blocked(void *arg)
{
	char c;

	while (read(*(int *)arg, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* Threads: RSS growth of this process with `k` threads blocked on a pipe. */
static int measure_threads(struct wl_ctx *ctx, struct spawn_state *st, int fd[2])
{
	pthread_t *t = calloc(st->alive, sizeof(*t));
	double before = proc_kb("/proc/self/status", "VmRSS"), after;
	unsigned made = 0;
	pthread_attr_t a;
	size_t stack = 0;
	int rc = 0;

	if (!t)
		return cb_error(ctx, -ENOMEM, "out of memory");
	while (made < st->alive && !rc)
		if ((rc = pthread_create(&t[made], NULL, blocked, &fd[0])) == 0)
			made++;
	usleep(20000); /* let them reach read() */
	after = proc_kb("/proc/self/status", "VmRSS");
	close(fd[1]); /* every read returns 0 */
	fd[1] = -1;
	for (unsigned j = 0; j < made; j++)
		pthread_join(t[j], NULL);
	free(t);
	if (rc)
		return cb_error(ctx, -rc, "pthread_create: %s", strerror(rc));
	if (pthread_attr_init(&a) == 0) {
		pthread_getattr_default_np(&a);
		pthread_attr_getstacksize(&a, &stack);
		pthread_attr_destroy(&a);
	}
	st->rss_kb = st->private_kb = (after - before) / made;
	st->stack_kb = (double)stack / 1024;
	return 0;
}

/* Processes: each one's own RSS, unshared pages and page tables. */
static int measure_procs(struct wl_ctx *ctx, struct spawn_state *st, int fd[2])
{
	pid_t *pid = calloc(st->alive, sizeof(*pid));
	char *argv[] = {"cat", NULL}, path[64];
	double rss = 0, priv = 0, stk = 0;
	posix_spawn_file_actions_t fa;
	unsigned made = 0, seen = 0;
	int rc = 0;

	if (!pid)
		return cb_error(ctx, -ENOMEM, "out of memory");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	fflush(NULL);
	while (made < st->alive && !rc) {
		if (st->how == SP_FORK) {
			pid[made] = fork();
			if (pid[made] == 0) {
				close(fd[1]);
				blocked(&fd[0]);
				_exit(0);
			}
			rc = pid[made] < 0 ? errno : 0;
		} else {
			/* the program of posix-spawn may exit at once: a blocked `cat`
			 * stands in as the exec'd image */
			rc = posix_spawnp(&pid[made], "cat", &fa, NULL, argv, environ);
		}
		if (!rc)
			made++;
	}
	posix_spawn_file_actions_destroy(&fa);
	usleep(50000); /* let them start (and exec) */
	for (unsigned j = 0; j < made; j++) {
		double r, pc, pd, pte, s;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid[j]);
		r = proc_kb(path, "VmRSS");
		pte = proc_kb(path, "VmPTE");
		s = proc_kb(path, "VmStk");
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid[j]);
		pc = proc_kb(path, "Private_Clean");
		pd = proc_kb(path, "Private_Dirty");
		if (r < 0 || pc < 0 || pd < 0)
			continue;
		rss += r;
		priv += pc + pd + (pte > 0 ? pte : 0);
		stk += s > 0 ? s : 0;
		seen++;
	}
	close(fd[1]);
	fd[1] = -1;
	for (unsigned j = 0; j < made; j++)
		while (waitpid(pid[j], NULL, 0) < 0 && errno == EINTR)
			;
	free(pid);
	if (rc)
		return cb_error(ctx, -rc, "%s: %s", st->how == SP_FORK ? "fork" : "posix_spawn",
		                strerror(rc));
	st->rss_kb = seen ? rss / seen : -1;
	st->private_kb = seen ? priv / seen : -1;
	st->stack_kb = seen ? stk / seen : -1;
	return 0;
}

static int spawn_prepare(struct wl_ctx *ctx)
{
	static const char *const names[] = {"thread", "fork", "posix-spawn"};
	const char *how = cb_opt_str("spawn");
	struct spawn_state *st;
	int fd[2], rc = -EINVAL;
	long alive;

	st = calloc(1, sizeof(*st));
	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	for (int k = 0; k < 3; k++)
		if (how && strcmp(how, names[k]) == 0) {
			st->how = (enum spawn_how)k;
			rc = 0;
		}
	if (rc) {
		free(st);
		return cb_error(ctx, -EINVAL, "--spawn: '%s': want thread, fork or posix-spawn",
		                how ? how : "");
	}
	ctx->state = st;
	st->program = cb_opt_str("program");
	rc = cb_opt_long(ctx, "alive", 1, MAX_ALIVE, &alive);
	if (!rc && st->how == SP_POSIX_SPAWN && (!st->program || access(st->program, X_OK)))
		rc = cb_error(ctx, -EINVAL, "--program: '%s': not an executable file",
		              st->program ? st->program : "");
	if (!rc)
		rc = ticker_install();
	if (rc)
		goto err;
	st->alive = (unsigned)alive;
	if (pipe2(fd, O_CLOEXEC)) {
		rc = cb_error(ctx, -errno, "pipe2: %s", strerror(errno));
		goto err;
	}
	rc = st->how == SP_THREAD ? measure_threads(ctx, st, fd) : measure_procs(ctx, st, fd);
	close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	if (rc)
		goto err;
	return 0;
err:
	free(st);
	ctx->state = NULL;
	return rc;
}

static int spawn_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct spawn_state *st = ctx->state;
	double t0 = res[0].t_start, t1 = res[0].t_end, n = (double)ctx->size, total = 0;

	for (unsigned i = 0; i < ctx->nworkers; i++) {
		if (res[i].t_start < t0)
			t0 = res[i].t_start;
		if (res[i].t_end > t1)
			t1 = res[i].t_end;
		total += res[i].ops;
	}
	cb_metric(m, "us_per_spawn", (t1 - t0) / n * 1e6);
	cb_metric(m, "spawns_per_s", total / (t1 - t0));
	cb_metric(m, "rss_kb_per", st->rss_kb);
	cb_metric(m, "private_kb_per", st->private_kb);
	cb_metric(m, "stack_kb", st->stack_kb);
	cb_metric(m, "alive", st->alive);
	if (total != n * ctx->nworkers)
		return cb_error(ctx, 1, "%.0f of %.0f units were created and joined", total,
		                n * ctx->nworkers);
	return 0;
}

static void spawn_cleanup(struct wl_ctx *ctx)
{
	free(ctx->state);
	ctx->state = NULL;
}

const struct workload bench_spawn = {
    .name = "spawn",
    .summary = "pthread_create+join vs fork+wait vs posix_spawn+wait; memory per live unit",
    .kind = KIND_BENCH,
    .family_default = true,
    .modes =
        MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS) | MODE_BIT(MODE_GIL),
    .default_tasks = 2,
    .sizes = {100, 1000, 10000},
    .size_unit = "units per worker",
    .ops_unit = "spawn",
    .options = spawn_opts,
    .prepare = spawn_prepare,
    .run = spawn_run,
    .verify = spawn_verify,
    .cleanup = spawn_cleanup,
};
