/* mech.c - per-worker mechanism counters (the sources are in mech.h).
 *
 * perf_event_open(pid 0, cpu -1, no inherit) counts the calling thread
 * only, which is what a worker thread or a worker process wants. Software
 * counters are opened with the kernel included (faults and migrations
 * happen there); where perf_event_paranoid refuses that, faults come from
 * getrusage instead. Hardware counters count user space only, so they open
 * at paranoid 2 too; a VM without a PMU answers ENOENT: absent.
 */
#include "mech.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

const char *const mech_src_names[] = {
    [MECH_SRC_NONE] = "",
    [MECH_SRC_PERF] = "perf",
    [MECH_SRC_RUSAGE] = "rusage",
};

static const struct {
	uint32_t type;
	uint64_t config;
} counters[MECH_NFD] = {
    [MECH_MINFLT] = {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN},
    [MECH_MAJFLT] = {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    [MECH_MIGR] = {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    [MECH_INSN] = {PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    [MECH_CYC] = {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    [MECH_CMISS] = {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
};

static int perf_open(uint32_t type, uint64_t config)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = type;
	a.config = config;
	a.exclude_hv = 1;
	a.exclude_kernel = type == PERF_TYPE_HARDWARE;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* A build with -DCONCBENCH_NO_MECH reads nothing per worker: the
 * baseline of the collection-overhead benchmark (make bench-explain). */
#ifdef CONCBENCH_NO_MECH
#define MECH_ENABLED 0
#else
#define MECH_ENABLED 1
#endif

void mech_open(struct mech_worker *w)
{
	for (int i = 0; i < MECH_NFD; i++)
		w->fd[i] = perf_open(counters[i].type, counters[i].config);
	w->schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	w->open = true;
}

void mech_close(struct mech_worker *w)
{
	if (!w->open)
		return;
	for (int i = 0; i < MECH_NFD; i++)
		if (w->fd[i] >= 0)
			close(w->fd[i]);
	if (w->schedstat_fd >= 0)
		close(w->schedstat_fd);
	w->open = false;
}

static int64_t perf_read(int fd)
{
	uint64_t v;

	if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return -1;
	return (int64_t)v;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

/* Absolute readings now into c (counts, not deltas). */
static void read_now(struct mech_worker *w, struct mech_counts *c)
{
	struct rusage ru;
	char buf[96];
	unsigned long long run = 0, wait = 0;
	struct timespec ts;
	ssize_t n = -1;

	mech_zero(c);
	c->workers = 1;
	if (w->schedstat_fd >= 0)
		n = pread(w->schedstat_fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%llu %llu", &run, &wait) == 2)
			c->runq_s = (double)wait * 1e-9;
	}
	/* schedstat's run time (and getrusage's) is brought up to date only at
	 * a tick or a switch: up to a tick stale for the running thread. The
	 * thread CPU clock is exact. */
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		c->run_s = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
	if (getrusage(RUSAGE_THREAD, &ru) == 0) {
		c->user_s = tv_s(ru.ru_utime);
		c->sys_s = tv_s(ru.ru_stime);
		c->nvcsw = ru.ru_nvcsw;
		c->nivcsw = ru.ru_nivcsw;
		c->minflt = ru.ru_minflt;
		c->majflt = ru.ru_majflt;
		c->src = MECH_SRC_RUSAGE;
	}
	if (w->fd[MECH_MINFLT] >= 0 && w->fd[MECH_MAJFLT] >= 0) {
		c->minflt = perf_read(w->fd[MECH_MINFLT]);
		c->majflt = perf_read(w->fd[MECH_MAJFLT]);
		c->src = c->minflt >= 0 && c->majflt >= 0 ? MECH_SRC_PERF : MECH_SRC_NONE;
	}
	c->migrations = perf_read(w->fd[MECH_MIGR]);
	c->instructions = perf_read(w->fd[MECH_INSN]);
	c->cycles = perf_read(w->fd[MECH_CYC]);
	c->cache_misses = perf_read(w->fd[MECH_CMISS]);
}

void mech_begin(struct mech_worker *w)
{
	if (!MECH_ENABLED)
		return;
	if (!w->open)
		mech_open(w);
	read_now(w, &w->at);
}

void mech_begin_fresh(struct mech_worker *w)
{
	if (!MECH_ENABLED)
		return;
	for (int i = 0; i < MECH_NFD; i++)
		w->fd[i] = -1;
	w->schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	w->open = true;
	mech_zero(&w->at);
	w->at.run_s = w->at.runq_s = w->at.user_s = w->at.sys_s = 0;
	w->at.nvcsw = w->at.nivcsw = w->at.minflt = w->at.majflt = 0;
	w->at.src = MECH_SRC_RUSAGE;
	w->at.workers = 1;
}

static long dlong(long a, long b)
{
	return a < 0 || b < 0 ? -1 : b - a;
}

static int64_t d64(int64_t a, int64_t b)
{
	return a < 0 || b < 0 ? -1 : b - a;
}

void mech_end(struct mech_worker *w, struct mech_counts *d)
{
	struct mech_counts now;
	const struct mech_counts *a = &w->at;

	if (!MECH_ENABLED) {
		mech_zero(d);
		return;
	}
	read_now(w, &now);
	*d = now;
	d->run_s = now.run_s - a->run_s;
	d->runq_s = now.runq_s - a->runq_s;
	/* sys from getrusage (tick-sampled), the rest of the exact CPU time is user */
	d->sys_s = fmin(now.sys_s - a->sys_s, d->run_s);
	d->user_s = d->run_s - d->sys_s;
	d->nvcsw = dlong(a->nvcsw, now.nvcsw);
	d->nivcsw = dlong(a->nivcsw, now.nivcsw);
	d->minflt = dlong(a->minflt, now.minflt);
	d->majflt = dlong(a->majflt, now.majflt);
	d->migrations = dlong(a->migrations, now.migrations);
	d->instructions = d64(a->instructions, now.instructions);
	d->cycles = d64(a->cycles, now.cycles);
	d->cache_misses = d64(a->cache_misses, now.cache_misses);
	if (a->src != now.src)
		d->src = MECH_SRC_NONE;
}

void mech_zero(struct mech_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->nvcsw = c->nivcsw = c->minflt = c->majflt = c->migrations = -1;
	c->instructions = c->cycles = c->cache_misses = -1;
	c->run_s = c->runq_s = c->user_s = c->sys_s = NAN;
}

/* Sum of two counts where -1 is absent; a sum starting from nothing
 * (acc has no workers yet) takes d's value. */
static long addl(long acc, long d, bool first)
{
	if (first)
		return d;
	return acc < 0 || d < 0 ? -1 : acc + d;
}

static int64_t add64(int64_t acc, int64_t d, bool first)
{
	if (first)
		return d;
	return acc < 0 || d < 0 ? -1 : acc + d;
}

static double addd(double acc, double d, bool first)
{
	return first ? d : acc + d; /* NaN stays NaN */
}

void mech_add(struct mech_counts *acc, const struct mech_counts *d)
{
	bool first = acc->workers == 0;

	acc->run_s = addd(acc->run_s, d->run_s, first);
	acc->runq_s = addd(acc->runq_s, d->runq_s, first);
	acc->user_s = addd(acc->user_s, d->user_s, first);
	acc->sys_s = addd(acc->sys_s, d->sys_s, first);
	acc->nvcsw = addl(acc->nvcsw, d->nvcsw, first);
	acc->nivcsw = addl(acc->nivcsw, d->nivcsw, first);
	acc->minflt = addl(acc->minflt, d->minflt, first);
	acc->majflt = addl(acc->majflt, d->majflt, first);
	acc->migrations = addl(acc->migrations, d->migrations, first);
	acc->instructions = add64(acc->instructions, d->instructions, first);
	acc->cycles = add64(acc->cycles, d->cycles, first);
	acc->cache_misses = add64(acc->cache_misses, d->cache_misses, first);
	if (first)
		acc->src = d->src;
	else if (acc->src != d->src)
		acc->src = MECH_SRC_NONE;
	acc->workers += d->workers;
}

int mech_cpu_read(double *steal_s, double *busy_s)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[512];
	cpu_set_t set;
	unsigned long long total = 0, busy = 0;
	long hz = sysconf(_SC_CLK_TCK);
	bool any = false;

	*steal_s = *busy_s = NAN;
	if (!f)
		return -errno;
	if (sched_getaffinity(0, sizeof(set), &set))
		CPU_ZERO(&set);
	while (fgets(line, sizeof(line), f)) {
		unsigned cpu;
		unsigned long long v[8];

		if (strncmp(line, "cpu", 3) != 0 || !(line[3] >= '0' && line[3] <= '9'))
			continue;
		if (sscanf(line + 3, "%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
		           &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9)
			continue;
		if (cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set)) {
			total += v[7]; /* user nice system idle iowait irq softirq steal */
			busy += v[0] + v[1] + v[2] + v[5] + v[6];
			any = true;
		}
	}
	fclose(f);
	if (!any || hz <= 0)
		return -ENODATA;
	*steal_s = (double)total / (double)hz;
	*busy_s = (double)busy / (double)hz;
	return 0;
}

void mech_tasks(const struct task_result *res, unsigned ntasks, unsigned nworkers, double wall_s,
                struct mech_tasks *t)
{
	double *first = calloc(nworkers ? nworkers : 1, 3 * sizeof(double));
	double *last, *busy, end = 0, first_out = INFINITY;

	t->busy_s = t->imbalance_s = t->dispatch_s = t->tail_span_s = NAN;
	if (!first || nworkers == 0) {
		free(first);
		return;
	}
	last = first + nworkers;
	busy = last + nworkers;
	for (unsigned w = 0; w < nworkers; w++)
		first[w] = NAN;
	for (unsigned i = 0; i < ntasks; i++) {
		const struct task_result *r = &res[i];
		unsigned w = r->worker < nworkers ? r->worker : 0;

		if (isnan(first[w]) || r->t_start < first[w])
			first[w] = r->t_start;
		if (r->t_end > last[w])
			last[w] = r->t_end;
		busy[w] += r->t_end - r->t_start;
		if (r->t_end > end)
			end = r->t_end;
	}
	if (wall_s < end)
		wall_s = end; /* the rep's clock stops after the last task */
	t->busy_s = t->imbalance_s = t->dispatch_s = 0;
	for (unsigned w = 0; w < nworkers; w++) {
		if (isnan(first[w])) { /* no task: idle all along */
			t->imbalance_s += end;
			t->dispatch_s += wall_s - end;
			first_out = 0;
			continue;
		}
		t->busy_s += busy[w];
		t->imbalance_s += end - last[w];
		t->dispatch_s += first[w] + (last[w] - first[w] - busy[w]) + (wall_s - end);
		if (last[w] < first_out)
			first_out = last[w];
	}
	t->tail_span_s = end - first_out;
	free(first);
}
