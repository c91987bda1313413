/* pool.c - thread and process pools, thread- and fork-per-task: the
 * parent side (start, run a rep, usage, stop). The control flow is in
 * pool_int.h, the worker side in pool_worker.c. */
#include "pool_int.h"
#include "pool.h"
#include "transport.h"

#include "async.h"

#include "inject.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void describe_status(char *buf, size_t len, unsigned id, int status, int task)
{
	char during[48] = "";

	if (task >= 0)
		snprintf(during, sizeof(during), " during task %d", task);
	if (WIFSIGNALED(status))
		snprintf(buf, len, "worker %u died (signal %d)%s", id, WTERMSIG(status), during);
	else
		snprintf(buf, len, "worker %u exited with status %d%s", id, WEXITSTATUS(status),
		         during);
}

/* Reap worker processes that ended. A worker that ended without finishing
 * its work is a death: -ECHILD with the message recorded. */
static int check_children(struct pool *p)
{
	for (unsigned id = 0; id < p->pp.nworkers; id++) {
		int status, task;
		pid_t r;

		if (!p->pids[id])
			continue;
		task = atomic_load(&p->sh->slots[id].task);
		r = waitpid(p->pids[id], &status, WNOHANG);
		if (r == 0)
			continue;
		p->pids[id] = 0;
		if (r < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
			continue;
		char msg[160];

		describe_status(msg, sizeof(msg), id, status, task);
		pl_record_error(p, -ECHILD, msg);
		return -ECHILD;
	}
	return 0;
}

/* Absolute CLOCK_REALTIME time of monotonic time t: the waits below use
 * sem_timedwait / pthread_timedjoin_np (CLOCK_REALTIME) rather than their
 * clock* variants, which ThreadSanitizer does not intercept (it would miss
 * their happens-before edges and report the workers' writes as races). */
static struct timespec realtime_at(double t)
{
	struct timespec ts;
	long ns;
	double d = t - cb_now();

	clock_gettime(CLOCK_REALTIME, &ts);
	if (d < 0)
		d = 0;
	ns = ts.tv_nsec + (long)((d - (double)(long)d) * 1e9);
	ts.tv_sec += (time_t)d + ns / 1000000000L;
	ts.tv_nsec = ns % 1000000000L;
	return ts;
}

/* Wait for one post of `s`, watching for signals, dead workers and the
 * deadline: never longer than WATCH_S without a look around. */
static int wait_sem(struct pool *p, sem_t *s)
{

	for (;;) {
		struct timespec ts;
		double t = cb_now() + WATCH_S;
		int rc;

		if (p->deadline > 0 && t > p->deadline)
			t = p->deadline;
		ts = realtime_at(t);
		/* With the pipe transport the parent reads while it waits for done. */
		if ((p->tp && s == &p->sh->done ? transport_wait(p->tp, s, t)
		                                : sem_timedwait(s, &ts)) == 0)
			return 0;
		if (errno != ETIMEDOUT && errno != EINTR)
			return -errno;
		if (cb_interrupted)
			return -EINTR;
		if (p->procs && (rc = check_children(p)))
			return rc;
		if (p->deadline > 0 && cb_now() >= p->deadline)
			return -ETIMEDOUT;
	}
}

static void kill_children(struct pool *p)
{
	for (unsigned id = 0; id < p->pp.nworkers; id++)
		if (p->pids && p->pids[id])
			kill(p->pids[id], SIGKILL);
}

static void free_pool(struct pool *p)
{
	if (p->sh && p->have_sems) {
		sem_destroy(&p->sh->ready);
		sem_destroy(&p->sh->done);
	}
	if (p->sh && p->have_go)
		for (unsigned i = 0; i < p->pp.nworkers; i++)
			sem_destroy(&p->sh->slots[i].go);
	if (p->sh)
		cb_shm_free(p->sh, p->sh_size);
	free(p->tids);
	free(p->pids);
	free(p->started);
	transport_close(p->tp);
	free(p->cpus);
	free(p);
}

static int affinity_cpus(struct pool *p)
{
	if (p->pp.pin == PIN_NONE)
		return 0;
	p->cpus = calloc(CPU_SETSIZE, sizeof(*p->cpus));
	if (!p->cpus)
		return -ENOMEM;
	p->ncpu = placement_cpus(p->pp.pin, p->cpus, CPU_SETSIZE);
	return p->ncpu ? 0 : -errno;
}

static int init_sems(struct pool *p)
{
	if (sem_init(&p->sh->ready, 1, 0))
		return -errno;
	if (sem_init(&p->sh->done, 1, 0)) {
		sem_destroy(&p->sh->ready);
		return -errno;
	}
	p->have_sems = true;
	for (unsigned i = 0; i < p->pp.nworkers; i++) {
		if (sem_init(&p->sh->slots[i].go, 1, 0)) {
			int rc = -errno;

			while (i--)
				sem_destroy(&p->sh->slots[i].go);
			return rc;
		}
	}
	p->have_go = true;
	return 0;
}

int pool_start(struct pool **out, const struct pool_params *pp)
{
	struct pool *p = calloc(1, sizeof(*p));
	unsigned n = pp->nworkers;
	int rc = -ENOMEM;

	*out = NULL;
	if (!p)
		return cb_error(pp->ctx, -ENOMEM, "pool: out of memory");
	p->pp = *pp;
	p->procs = pl_mode_is_procs(pp->mode);
	p->per_task = pl_mode_is_per_task(pp->mode);
	p->test_alloc = pl_test_alloc_bytes(pp->ctx->wl->name);
	p->sh_size = sizeof(*p->sh) + n * sizeof(struct slot);
	p->sh = cb_shm_alloc(p->sh_size);
	p->tids = calloc(n, sizeof(*p->tids));
	p->pids = calloc(n, sizeof(*p->pids));
	p->started = calloc(n, sizeof(*p->started));
	if (!p->sh || !p->tids || !p->pids || !p->started)
		goto err_free;
	rc = init_sems(p);
	if (rc)
		goto err_free;
	for (unsigned i = 0; i < n; i++)
		atomic_init(&p->sh->slots[i].task, -1);
	p->pp.ctx->stop = &p->sh->stop;
	rc = affinity_cpus(p);
	if (rc)
		goto err_free;
	if (pp->mode == MODE_PROCS && pp->ctx->transport_pipe && pp->ctx->wl->output &&
	    !pp->bench) {
		rc = transport_open(&p->tp, pp->ctx, n, pp->ntasks);
		if (rc)
			goto err_free;
	}
	if (p->per_task) {
		*out = p;
		return 0;
	}
	if (pp->mode == MODE_SEQ) {
		/* seq's one worker is the calling thread: its context lives here */
		p->seq_ctx = *pp->ctx;
		rc = pl_init_worker(p, &p->seq_ctx, 0);
		if (rc) {
			cb_error(pp->ctx, rc, "%s", p->sh->errmsg);
			free_pool(p);
			return rc;
		}
		p->seq_init = true;
		*out = p;
		return 0;
	}
	fflush(NULL);
	for (unsigned i = 0; i < n; i++) {
		rc = pl_start_worker(p, i, -1);
		if (rc) {
			cb_error(pp->ctx, rc, "%s: starting worker %u of %u: %s",
			         p->procs ? "fork" : "pthread_create", i + 1, n, strerror(-rc));
			goto err_stop;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		rc = wait_sem(p, &p->sh->ready);
		if (rc) {
			cb_error(pp->ctx, rc, "pool start: %s",
			         rc == -ECHILD ? p->sh->errmsg : strerror(-rc));
			goto err_stop;
		}
	}
	rc = atomic_load(&p->sh->error);
	if (rc) {
		/* a worker's initialiser failed */
		cb_error(pp->ctx, rc, "%s", p->sh->errmsg);
		goto err_stop;
	}
	*out = p;
	return 0;

err_stop:
	atomic_store(&p->sh->stop, 1);
	p->failed = true;
	pool_stop(p);
	return rc;
err_free:
	free_pool(p);
	return cb_error(pp->ctx, rc, "pool: %s", strerror(-rc));
}

/* seq runs in the calling thread, pinned where worker 0 would be (its
 * own mask is restored after), so the baseline shares worker 0's CPU. */
static int run_seq(struct pool *p)
{
	struct wl_ctx *ctx = &p->seq_ctx;
	bool pinned = false;
	cpu_set_t saved;
	int rc = 0;

	ctx->err[0] = '\0';
	if (p->pp.pin != PIN_NONE && p->ncpu &&
	    !pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved)) {
		pl_pin_self(p, 0, true);
		pinned = true;
	}
	mech_begin(&p->seq_mech);
	for (unsigned i = 0; i < p->pp.ntasks && !rc; i++) {
		if (cb_interrupted)
			rc = -EINTR;
		else if (pl_run_one(p, ctx, 0, i))
			rc = atomic_load(&p->sh->error);
	}
	mech_end(&p->seq_mech, &p->sh->slots[0].mech);
	if (pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	return rc;
}

/* Join the worker of slot `id` after it raised its finished flag. */
static int join_slot(struct pool *p, unsigned id)
{
	struct rusage ru;
	int status;

	if (!p->procs) {
		pthread_join(p->tids[id], NULL);
		p->started[id] = false;
		return 0;
	}
	if (!p->pids[id])
		return 0;
	if (wait4(p->pids[id], &status, 0, &ru) == p->pids[id]) {
		p->pids[id] = 0;
		/* a fresh child's peak is its own (the kernel starts it at fork) */
		if (ru.ru_maxrss > p->child_maxrss_kb)
			p->child_maxrss_kb = ru.ru_maxrss;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char msg[160];

			describe_status(msg, sizeof(msg), id, status, -1);
			pl_record_error(p, -ECHILD, msg);
			return -ECHILD;
		}
	}
	p->pids[id] = 0;
	return 0;
}

static int run_per_task(struct pool *p)
{
	unsigned n = p->pp.nworkers, next = 0, live = 0;
	int rc = 0;

	fflush(NULL);
	for (unsigned id = 0; id < n && next < p->pp.ntasks; id++) {
		rc = pl_start_worker(p, id, (int)next);
		if (rc)
			return cb_error(p->pp.ctx, rc, "%s: task %u: %s",
			                p->procs ? "fork" : "pthread_create", next, strerror(-rc));
		next++;
		live++;
	}
	while (live) {
		rc = wait_sem(p, &p->sh->done);
		if (rc)
			return rc;
		for (unsigned id = 0; id < n; id++) {
			if (!atomic_load_explicit(&p->sh->slots[id].finished, memory_order_acquire))
				continue;
			atomic_store(&p->sh->slots[id].finished, 0);
			/* The done post of this slot may be the one we consumed or a
			 * later one; either way each finished flag pairs with one post. */
			rc = join_slot(p, id);
			live--;
			if (rc)
				return rc;
			if (atomic_load(&p->sh->error))
				continue;
			if (next < p->pp.ntasks) {
				rc = pl_start_worker(p, id, (int)next);
				if (rc)
					return cb_error(p->pp.ctx, rc, "%s: task %u: %s",
					                p->procs ? "fork" : "pthread_create", next,
					                strerror(-rc));
				next++;
				live++;
			}
			break;
		}
	}
	return atomic_load(&p->sh->error);
}

/* A rep ended in error: say why in ctx->err; the pool is done. */
static int rep_failed(struct pool *p, int rc)
{
	p->failed = true;
	atomic_store(&p->sh->stop, 1);
	if (rc == -ETIMEDOUT)
		cb_error(p->pp.ctx, rc, "timed out after %g s", p->pp.timeout_s);
	else if (rc == -EINTR)
		cb_error(p->pp.ctx, rc, "interrupted by signal %d", (int)cb_interrupted);
	else if (atomic_load(&p->sh->error))
		cb_error(p->pp.ctx, rc, "%s", p->sh->errmsg);
	else if (rc == -ECHILD)
		cb_error(p->pp.ctx, rc, "%s", p->sh->errmsg);
	return rc;
}

int pool_run(struct pool *p)
{
	int rc;

	if (p->failed)
		return cb_error(p->pp.ctx, -EPIPE, "pool: used after a failure");
	/* Every worker is idle: nothing reads these until the release. */
	atomic_store(&p->sh->next, 0);
	atomic_store(&p->sh->error, 0);
	atomic_store(&p->sh->stop, 0);
	p->sh->errmsg[0] = '\0';
	p->child_maxrss_kb = 0;
	for (unsigned i = 0; i < p->pp.nworkers; i++) {
		struct slot *s = &p->sh->slots[i];

		s->user_s = s->sys_s = 0;
		s->nvcsw = s->nivcsw = 0;
		s->maxrss_kb = -1;
		mech_zero(&s->mech);
	}
	p->pp.ctx->stop = &p->sh->stop;
	if (p->tp)
		transport_rep_begin(p->tp);
	p->deadline = p->pp.timeout_s > 0 ? cb_now() + p->pp.timeout_s : 0;
	p->sh->t0 = cb_now();
	if (p->pp.mode == MODE_SEQ) {
		rc = run_seq(p);
	} else if (p->per_task) {
		rc = run_per_task(p);
	} else {
		for (unsigned i = 0; i < p->pp.nworkers; i++)
			sem_post(&p->sh->slots[i].go);
		rc = 0;
		for (unsigned i = 0; i < p->pp.nworkers && !rc; i++)
			rc = wait_sem(p, &p->sh->done);
		if (!rc)
			rc = atomic_load(&p->sh->error);
		if (!rc && p->tp)
			rc = transport_finish(p->tp, p->deadline);
	}
	return rc ? rep_failed(p, rc) : 0;
}

int pool_usage_get(struct pool *p, struct pool_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->maxrss_kb = -1;
	mech_zero(&u->mech);
	if (p->pp.mode == MODE_FORK_PER_TASK && p->child_maxrss_kb > 0)
		u->maxrss_kb = p->child_maxrss_kb;
	/* pooled workers post ready once they recorded the rep */
	for (unsigned i = 0; !(p->pp.mode == MODE_SEQ || p->per_task) && i < p->pp.nworkers; i++) {
		int rc = wait_sem(p, &p->sh->ready);

		if (rc)
			return rep_failed(p, rc);
	}
	for (unsigned i = 0; i < (p->pp.mode == MODE_SEQ ? 1 : p->pp.nworkers); i++)
		if (p->sh->slots[i].mech.workers)
			mech_add(&u->mech, &p->sh->slots[i].mech);
	if (p->pp.mode == MODE_SEQ || p->per_task)
		return 0;
	if (p->pp.mode != MODE_PROCS)
		return 0;
	for (unsigned i = 0; i < p->pp.nworkers; i++) {
		const struct slot *s = &p->sh->slots[i];

		u->user_s += s->user_s;
		u->sys_s += s->sys_s;
		u->nvcsw += s->nvcsw;
		u->nivcsw += s->nivcsw;
		if (s->maxrss_kb > u->maxrss_kb)
			u->maxrss_kb = s->maxrss_kb;
	}
	return 0;
}

/* Healthy pooled workers: ask them to leave (worker_fini runs) and give
 * processes STOP_GRACE_S to do it before they are killed. */
static void release_workers(struct pool *p)
{
	atomic_store(&p->sh->quit, 1);
	atomic_store(&p->sh->stop, 1);
	if (!p->have_go)
		return;
	for (unsigned i = 0; i < p->pp.nworkers; i++)
		sem_post(&p->sh->slots[i].go);
	if (!p->procs)
		return;
	for (double end = cb_now() + STOP_GRACE_S;;) {
		bool left = false;

		for (unsigned id = 0; id < p->pp.nworkers; id++) {
			if (!p->pids[id])
				continue;
			if (waitpid(p->pids[id], NULL, WNOHANG) == p->pids[id])
				p->pids[id] = 0;
			else
				left = true;
		}
		if (!left || cb_now() >= end)
			break;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
}

int pool_stop(struct pool *p)
{
	int rc = 0;
	double grace;

	if (!p)
		return 0;
	grace =
	    p->failed || atomic_load(&p->sh->error) || cb_interrupted ? STOP_GRACE_S : FINI_GRACE_S;
	if (p->failed || atomic_load(&p->sh->error) || cb_interrupted)
		kill_children(p);
	if (!p->per_task)
		release_workers(p);
	kill_children(p); /* those that did not leave in time */
	for (unsigned id = 0; id < p->pp.nworkers; id++) {
		if (p->procs && p->pids[id]) {
			while (waitpid(p->pids[id], NULL, 0) < 0 && errno == EINTR)
				;
			p->pids[id] = 0;
		}
		if (!p->procs && p->started[id]) {
			struct timespec ts = realtime_at(cb_now() + grace);

			if (pthread_timedjoin_np(p->tids[id], NULL, &ts)) {
				p->stuck = true;
				rc = -EBUSY;
				continue;
			}
			p->started[id] = false;
		}
	}
	if (p->stuck)
		return rc; /* a running thread still uses the pool: leak it */
	if (p->seq_init)
		pl_fini_worker(&p->seq_ctx);
	mech_close(&p->seq_mech);
	free_pool(p);
	return 0;
}

long rss_peak_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int rss_peak_reset(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, "5", 1);
	close(fd);
	return n == 1 ? 0 : -1;
}
