/* pool_worker.c - the worker side of a pool: the loop a pool thread or
 * process runs across reps, one task, a per-task worker, starting one. */
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

bool pl_mode_is_procs(enum cb_mode m)
{
	return m == MODE_PROCS || m == MODE_FORK_PER_TASK;
}

const char *pool_io_backend(const struct pool *p)
{
	return p->pp.mode == MODE_ASYNC && p->sh->io_backend[0] ? p->sh->io_backend : NULL;
}

bool pl_mode_is_per_task(enum cb_mode m)
{
	return m == MODE_THREAD_PER_TASK || m == MODE_FORK_PER_TASK;
}

void pl_pin_self(struct pool *p, unsigned id, bool thread)
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

void pl_record_error(struct pool *p, int rc, const char *msg)
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
size_t pl_test_alloc_bytes(const char *wl)
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
int pl_run_one(struct pool *p, struct wl_ctx *ctx, unsigned id, unsigned i)
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
		pl_record_error(p, rc, ctx->err[0] ? ctx->err : strerror(-rc));
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
		pl_record_error(p, rc, ctx->err);
		atomic_store(&p->sh->stop, 1);
	}
	return rc;
}

/* The workload's per-worker initialiser on this worker's ctx; a failure
 * is recorded like a task error. */
int pl_init_worker(struct pool *p, struct wl_ctx *ctx, unsigned id)
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
		pl_record_error(p, rc, msg);
		atomic_store(&p->sh->stop, 1);
	}
	return rc;
}

void pl_fini_worker(struct wl_ctx *ctx)
{
	if (ctx->wl->worker_fini)
		ctx->wl->worker_fini(ctx);
	ctx->wstate = NULL;
}

static void async_fail(void *arg, int rc, const char *msg)
{
	struct pool *p = arg;

	pl_record_error(p, rc, msg);
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
			pl_run_one(p, ctx, id, id);
		return;
	}
	for (;;) {
		unsigned i = atomic_fetch_add_explicit(&p->sh->next, 1, memory_order_relaxed);

		if (i >= p->pp.ntasks || atomic_load_explicit(&p->sh->stop, memory_order_relaxed))
			break;
		if (pl_run_one(p, ctx, id, i) || (p->tp && send_output(p, ctx, id, i)))
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
			pl_record_error(p, rc, msg);
			atomic_store(&p->sh->stop, 1);
		} else if (id == 0) {
			snprintf(p->sh->io_backend, sizeof(p->sh->io_backend), "%s",
			         loop_io_name(loop));
		}
	}
	if (!rc)
		rc = pl_init_worker(p, &ctx, id);
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
			pl_record_error(p, -EIO, ctx.err);
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
	pl_fini_worker(&ctx);
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
	    pl_init_worker(p, &ctx, slot) == 0) {
		mech_begin_fresh(&mw);
		pl_run_one(p, &ctx, slot, task);
		mech_end(&mw, &d);
		mech_close(&mw);
		/* the slot's earlier workers were joined before this one started */
		mech_add(&p->sh->slots[slot].mech, &d);
		pl_fini_worker(&ctx);
	}
	atomic_store_explicit(&p->sh->slots[slot].finished, 1, memory_order_release);
	sem_post(&p->sh->done);
}

static void *thread_main(void *arg)
{
	struct thread_arg *a = arg;

	pl_pin_self(a->p, a->id, true);
	if (a->p->per_task)
		task_once(a->p, a->id, (unsigned)a->task);
	else
		worker_loop(a->p, a->id);
	free(a);
	return NULL;
}

/* Start worker `id` (pooled) or the worker for `task` in slot `id`
 * (per-task; task >= 0). 0 or a negative errno. */
int pl_start_worker(struct pool *p, unsigned id, int task)
{
	if (p->procs) {
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (pid == 0) {
			if (p->tp)
				transport_child(p->tp, id);
			pl_pin_self(p, id, false);
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
