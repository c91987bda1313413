/* pool.c - thread and process pools, thread- and fork-per-task.
 *
 * Control flow of a pooled cell (threads, procs, gil); the pool lives for
 * every rep of the cell:
 *   parent: create N workers ─ wait `ready` ×N
 *           per rep: t0 ─ post each slot's `go` ─ wait `done` ×N ─ t1 ─ wait `ready` ×N
 *           finally: set `quit`, post each slot's `go`, join / reap
 *   worker: worker_init ─ post `ready`
 *           per rep: wait own `go` ─ take tasks from `next` until none ─ post `done` ─
 *                    record use (procs) ─ post `ready`
 *           on `quit`: worker_fini, exit
 * Each worker has its own `go`, so a fast worker can never take a slower
 * one's release (a bench runs body i on worker i exactly once per rep).
 * Per-task modes keep at most N workers alive: each runs one task, raises
 * its slot's `finished` flag and posts `done`; the parent joins that slot
 * and starts the next task in it.
 *
 * The semaphores are process-shared and live with the task counter in
 * MAP_SHARED memory, so the same code serves threads and processes. The
 * parent never blocks without a deadline: every wait wakes up every
 * WATCH_S to notice a dead worker process or the cell's timeout.
 */
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

#define WATCH_S 0.05
#define STOP_GRACE_S 1.0
/* A healthy thread was released to quit and runs worker_fini: an async
 * loop's may close 10,000 connections, which takes more than a second on a
 * loaded machine; only a thread of a failed pool can be stuck. */
#define FINI_GRACE_S 60.0

struct slot {
	sem_t go; /* pooled modes: release this worker for one rep (or quit) */
	_Atomic int finished; /* per-task modes: the task in this slot is done */
	_Atomic int task; /* task being run, -1 between tasks */
	double user_s, sys_s; /* procs: the worker's own rusage during the rep */
	long nvcsw, nivcsw, maxrss_kb; /* maxrss_kb: the rep's own peak (-1: unknown) */
	struct mech_counts mech; /* the worker's mechanisms in the rep (per-task: its tasks') */
} __attribute__((aligned(CB_CACHELINE)));

struct pool_shm {
	sem_t ready, done;
	double t0; /* rep clock origin */
	_Atomic unsigned next __attribute__((aligned(CB_CACHELINE)));
	_Atomic int error __attribute__((aligned(CB_CACHELINE))); /* first task error */
	_Atomic int stop; /* workers take no more tasks; ctx->stop points here */
	_Atomic int quit; /* pooled workers: leave instead of running a rep */
	char errmsg[256];
	char io_backend[16]; /* async: worker 0's loop read backend, set before ready */
	struct slot slots[];
};

struct pool {
	struct pool_params pp;
	struct pool_shm *sh;
	size_t sh_size;
	pthread_t *tids;
	pid_t *pids; /* 0: not started or reaped */
	bool *started; /* thread slots with a live thread to join */
	unsigned ncpu, *cpus;
	bool procs; /* workers are processes */
	bool per_task;
	bool stuck; /* a thread could not be stopped */
	bool have_sems;
	bool have_go; /* slots' go semaphores initialised */
	bool failed; /* a rep or the start failed: only pool_stop is left */
	bool seq_init; /* seq: worker_init ran on seq_ctx */
	double deadline;
	long child_maxrss_kb; /* fork-per-task: peak of the children reaped in the rep */
	struct wl_ctx seq_ctx; /* seq: the one worker's context, kept across reps */
	struct mech_worker seq_mech; /* seq: the parent thread's counters */
	size_t test_alloc; /* CONCBENCH_TEST_ALLOC: bytes each task touches and frees */
	struct transport *tp; /* procs, --transport=pipe: task outputs come by pipe */
};

struct thread_arg {
	struct pool *p;
	unsigned id;
	int task; /* per-task modes */
};

static bool mode_is_procs(enum cb_mode m)
{
	return m == MODE_PROCS || m == MODE_FORK_PER_TASK;
}

const char *pool_io_backend(const struct pool *p)
{
	return p->pp.mode == MODE_ASYNC && p->sh->io_backend[0] ? p->sh->io_backend : NULL;
}

static bool mode_is_per_task(enum cb_mode m)
{
	return m == MODE_THREAD_PER_TASK || m == MODE_FORK_PER_TASK;
}

static void pin_self(struct pool *p, unsigned id, bool thread)
{
	cpu_set_t set;

	if (p->pp.pin == PIN_NONE || !p->ncpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(p->cpus[id % p->ncpu], &set);
	if (thread)
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	else
		sched_setaffinity(0, sizeof(set), &set);
}

static void record_error(struct pool *p, int rc, const char *msg)
{
	int expected = 0;

	if (atomic_compare_exchange_strong(&p->sh->error, &expected, rc))
		snprintf(p->sh->errmsg, sizeof(p->sh->errmsg), "%s", msg);
}

/* The CPU this thread runs on now, or CB_NO_CPU. */
static unsigned current_cpu(void)
{
	int c = sched_getcpu();

	return c < 0 || c >= (int)CB_NO_CPU ? CB_NO_CPU : (unsigned)c;
}

/* Testing only (tests/cli/engine.bats): CONCBENCH_TEST_ALLOC=WORKLOAD:MIB
 * makes every task of WORKLOAD map, touch and unmap MIB MiB, so a test can
 * tell one cell's memory peak from another's. Bytes, or 0 when unset or
 * not for this workload. */
static size_t test_alloc_bytes(const char *wl)
{
	const char *env = getenv("CONCBENCH_TEST_ALLOC"), *colon;
	size_t n;

	if (!env || !(colon = strchr(env, ':')))
		return 0;
	n = (size_t)(colon - env);
	if (strlen(wl) != n || strncmp(env, wl, n) != 0)
		return 0;
	return (size_t)strtoul(colon + 1, NULL, 10) << 20;
}

static void test_alloc_touch(size_t bytes)
{
	uint8_t *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return;
	memset(m, 1, bytes);
	munmap(m, bytes);
}

/* Run task i on worker `id` with the worker's own ctx copy. */
static int run_one(struct pool *p, struct wl_ctx *ctx, unsigned id, unsigned i)
{
	struct task_result *r = &p->pp.res[i];
	struct inject_mark mark;
	int rc;

	if (p->test_alloc)
		test_alloc_touch(p->test_alloc);
	atomic_store_explicit(&p->sh->slots[id].task, (int)i, memory_order_relaxed);
	inject_mark(&mark);
	r->cpu_start = (uint16_t)current_cpu();
	r->t_start = cb_now() - p->sh->t0;
	rc = p->pp.mode == MODE_SEQ ? 0 : inject_before_task(i);

	if (rc)
		cb_error(ctx, rc, "task %u: injected failure", i);
	else
		rc = ctx->wl->run(ctx, i, r);
	if (!rc)
		inject_after_task(&mark);
	r->t_end = cb_now() - p->sh->t0;
	r->cpu_end = (uint16_t)current_cpu();
	r->worker = id;
	atomic_store_explicit(&p->sh->slots[id].task, -1, memory_order_relaxed);
	if (rc) {
		record_error(p, rc, ctx->err[0] ? ctx->err : strerror(-rc));
		atomic_store(&p->sh->stop, 1);
	}
	return rc;
}

static void usage_now(struct rusage *ru)
{
	getrusage(RUSAGE_SELF, ru);
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

/* Pipe transport: send task i's output; a failure stops the rep like a
 * task error. */
static int send_output(struct pool *p, struct wl_ctx *ctx, unsigned id, unsigned i)
{
	int rc = transport_send(p->tp, ctx, id, i);

	if (rc) {
		record_error(p, rc, ctx->err);
		atomic_store(&p->sh->stop, 1);
	}
	return rc;
}

/* The workload's per-worker initialiser on this worker's ctx; a failure
 * is recorded like a task error. */
static int init_worker(struct pool *p, struct wl_ctx *ctx, unsigned id)
{
	int rc;

	ctx->err[0] = '\0';
	ctx->worker = id;
	ctx->wstate = NULL;
	rc = ctx->wl->worker_init ? ctx->wl->worker_init(ctx) : 0;
	if (rc) {
		char msg[256];

		snprintf(msg, sizeof(msg), "worker %u: initialiser: %.200s", id,
		         ctx->err[0] ? ctx->err : strerror(-rc));
		record_error(p, rc, msg);
		atomic_store(&p->sh->stop, 1);
	}
	return rc;
}

static void fini_worker(struct wl_ctx *ctx)
{
	if (ctx->wl->worker_fini)
		ctx->wl->worker_fini(ctx);
	ctx->wstate = NULL;
}

static void async_fail(void *arg, int rc, const char *msg)
{
	struct pool *p = arg;

	record_error(p, rc, msg);
	atomic_store(&p->sh->stop, 1);
}

/* One rep of an async worker: its loop runs up to --inflight tasks at once.
 * Tasks abandoned in flight by a stopped rep end up in *abandoned. */
static void worker_rep_async(struct pool *p, struct wl_ctx *ctx, unsigned id, struct cb_loop *l,
                             void **abandoned)
{
	unsigned k = p->pp.inflight ? p->pp.inflight : p->pp.ntasks;
	struct async_rep r = {
	    .ctx = ctx,
	    .res = p->pp.res,
	    .ntasks = p->pp.ntasks,
	    .inflight = k ? k : 1,
	    .worker = id,
	    .t0 = p->sh->t0,
	    .next = &p->sh->next,
	    .stop = &p->sh->stop,
	    .fail = async_fail,
	    .fail_arg = p,
	    .task_slot = &p->sh->slots[id].task,
	};

	if (*abandoned)
		return; /* a failed rep before: the pool only waits to be stopped */
	/* a bench: all its bodies at once on worker 0's loop */
	if (p->pp.bench && id != 0)
		return;
	if (p->pp.bench)
		r.inflight = p->pp.ntasks;
	async_run_rep(l, &r, abandoned);
}

/* One rep of a pooled worker: take tasks until none are left. */
static void worker_rep(struct pool *p, struct wl_ctx *ctx, unsigned id)
{
	ctx->err[0] = '\0';
	if (p->pp.bench) {
		if (!atomic_load(&p->sh->stop))
			run_one(p, ctx, id, id);
		return;
	}
	for (;;) {
		unsigned i = atomic_fetch_add_explicit(&p->sh->next, 1, memory_order_relaxed);

		if (i >= p->pp.ntasks || atomic_load_explicit(&p->sh->stop, memory_order_relaxed))
			break;
		if (run_one(p, ctx, id, i) || (p->tp && send_output(p, ctx, id, i)))
			break;
	}
}

/* The pooled worker loop, identical for threads and processes: one rep per
 * release of its own `go`, until `quit`. */
static void worker_loop(struct pool *p, unsigned id)
{
	struct wl_ctx ctx = *p->pp.ctx;
	struct rusage r0, r1;
	struct slot *s = &p->sh->slots[id];
	struct mech_worker mw = {.open = false};
	struct cb_loop *loop = NULL;
	void *abandoned = NULL;
	int rc = 0;

	if (p->procs && !p->pp.bench)
		transport_prefault(&ctx);
	if (p->pp.mode == MODE_ASYNC) {
		/* the worker's loop, made on its own thread before worker_init */
		rc = loop_new(&loop, LOOP_IO_URING);
		if (rc) {
			char msg[128];

			snprintf(msg, sizeof(msg), "worker %u: event loop: %s", id, strerror(-rc));
			record_error(p, rc, msg);
			atomic_store(&p->sh->stop, 1);
		} else if (id == 0) {
			snprintf(p->sh->io_backend, sizeof(p->sh->io_backend), "%s",
			         loop_io_name(loop));
		}
	}
	if (!rc)
		rc = init_worker(p, &ctx, id);
	if (p->procs)
		rss_peak_reset();
	sem_post(&p->sh->ready);
	if (rc) {
		loop_free(loop);
		return;
	}
	for (;;) {
		while (sem_wait(&s->go) && errno == EINTR)
			;
		if (atomic_load(&p->sh->quit))
			break;
		if (p->procs)
			usage_now(&r0);
		mech_begin(&mw);
		if (p->pp.mode == MODE_GIL)
			gil_thread_enter();
		if (loop)
			worker_rep_async(p, &ctx, id, loop, &abandoned);
		else
			worker_rep(p, &ctx, id);
		if (p->pp.mode == MODE_GIL)
			gil_thread_exit();
		mech_end(&mw, &s->mech);
		if (p->procs) {
			usage_now(&r1);
			s->user_s = tv_s(r1.ru_utime) - tv_s(r0.ru_utime);
			s->sys_s = tv_s(r1.ru_stime) - tv_s(r0.ru_stime);
			s->nvcsw = r1.ru_nvcsw - r0.ru_nvcsw;
			s->nivcsw = r1.ru_nivcsw - r0.ru_nivcsw;
		}
		if (p->tp && transport_rep_end(p->tp, &ctx, id)) {
			record_error(p, -EIO, ctx.err);
			atomic_store(&p->sh->stop, 1);
		}
		sem_post(&p->sh->done);
		/* After the clock: this process's own peak of the rep, then a
		 * fresh peak for the next one. */
		if (p->procs) {
			s->maxrss_kb = rss_peak_kb();
			rss_peak_reset();
		}
		sem_post(&p->sh->ready);
	}
	mech_close(&mw);
	fini_worker(&ctx);
	loop_free(loop);
	async_abandoned_free(abandoned);
}

/* Per-task worker: one task (its worker_init and worker_fini included),
 * then raise the slot's flag. */
static void task_once(struct pool *p, unsigned slot, unsigned task)
{
	struct wl_ctx ctx = *p->pp.ctx;
	struct mech_worker mw = {.open = false};
	struct mech_counts d;

	if (!atomic_load_explicit(&p->sh->stop, memory_order_relaxed) &&
	    init_worker(p, &ctx, slot) == 0) {
		mech_begin_fresh(&mw);
		run_one(p, &ctx, slot, task);
		mech_end(&mw, &d);
		mech_close(&mw);
		/* the slot's earlier workers were joined before this one started */
		mech_add(&p->sh->slots[slot].mech, &d);
		fini_worker(&ctx);
	}
	atomic_store_explicit(&p->sh->slots[slot].finished, 1, memory_order_release);
	sem_post(&p->sh->done);
}

static void *thread_main(void *arg)
{
	struct thread_arg *a = arg;

	pin_self(a->p, a->id, true);
	if (a->p->per_task)
		task_once(a->p, a->id, (unsigned)a->task);
	else
		worker_loop(a->p, a->id);
	free(a);
	return NULL;
}

/* Start worker `id` (pooled) or the worker for `task` in slot `id`
 * (per-task; task >= 0). 0 or a negative errno. */
static int start_worker(struct pool *p, unsigned id, int task)
{
	if (p->procs) {
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (pid == 0) {
			if (p->tp)
				transport_child(p->tp, id);
			pin_self(p, id, false);
			if (task >= 0)
				task_once(p, id, (unsigned)task);
			else
				worker_loop(p, id);
			_exit(0);
		}
		if (p->tp)
			transport_forked(p->tp, id);
		p->pids[id] = pid;
		return 0;
	}

	struct thread_arg *a = malloc(sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	*a = (struct thread_arg){p, id, task};
	rc = pthread_create(&p->tids[id], NULL, thread_main, a);
	if (rc) {
		free(a);
		return -rc;
	}
	p->started[id] = true;
	return 0;
}

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
		record_error(p, -ECHILD, msg);
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
	p->procs = mode_is_procs(pp->mode);
	p->per_task = mode_is_per_task(pp->mode);
	p->test_alloc = test_alloc_bytes(pp->ctx->wl->name);
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
		rc = init_worker(p, &p->seq_ctx, 0);
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
		rc = start_worker(p, i, -1);
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
		pin_self(p, 0, true);
		pinned = true;
	}
	mech_begin(&p->seq_mech);
	for (unsigned i = 0; i < p->pp.ntasks && !rc; i++) {
		if (cb_interrupted)
			rc = -EINTR;
		else if (run_one(p, ctx, 0, i))
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
			record_error(p, -ECHILD, msg);
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
		rc = start_worker(p, id, (int)next);
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
				rc = start_worker(p, id, (int)next);
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
		fini_worker(&p->seq_ctx);
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
