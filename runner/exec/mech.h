/* mech.h - the mechanisms that cost a rep its efficiency, read per worker.
 *
 * A worker reads its own counters at the edges of its work in a rep
 * (mech_begin before its first task, mech_end after its last), never
 * inside its task loop; the engine sums the workers of the rep:
 *
 *   run-queue wait  /proc/thread-self/schedstat, 2nd field: time runnable
 *                   but not running (run_delay, complete up to the last time
 *                   the thread got a CPU)
 *   on-CPU time     CLOCK_THREAD_CPUTIME_ID (exact; schedstat's 1st field and
 *                   getrusage lag up to a tick for the running thread)
 *   user, sys       sys from getrusage(RUSAGE_THREAD) (tick-sampled), user =
 *                   on-CPU time - sys (a worker process has one thread)
 *   vol./invol. context switches   getrusage(RUSAGE_THREAD): perf's
 *                   context-switch counter does not tell them apart
 *   minor/major faults  perf_event software counters where perf_event_open
 *                   is allowed, else getrusage (mech_counts.src says which)
 *   CPU migrations  perf_event software counter; absent without perf
 *   instructions, cycles, cache misses  perf_event hardware counters of user
 *                   space, where the machine has them; absent where not
 *
 * The machine-wide figure (steal, /proc/stat) and the task figures
 * (imbalance, dispatch, from the per-task times) are read by the parent.
 */
#ifndef CONCBENCH_MECH_H
#define CONCBENCH_MECH_H

#include <stdbool.h>
#include <stdint.h>

#include "../concbench.h"

enum mech_src { MECH_SRC_NONE, MECH_SRC_PERF, MECH_SRC_RUSAGE };
extern const char *const mech_src_names[]; /* "", "perf", "rusage" */

/* What a worker (or the sum over a rep's workers) did in an interval. A
 * count that could not be read is -1 (absent, never 0). */
struct mech_counts {
	double run_s, runq_s; /* on a CPU (thread CPU clock); runnable, waiting (schedstat) */
	double user_s, sys_s;
	long nvcsw, nivcsw;
	long minflt, majflt;
	long migrations;
	int64_t instructions, cycles, cache_misses;
	enum mech_src src; /* where faults and migrations came from */
	unsigned workers; /* workers summed in */
};

enum { MECH_MINFLT, MECH_MAJFLT, MECH_MIGR, MECH_INSN, MECH_CYC, MECH_CMISS, MECH_NFD };

/* One worker's open counters and its readings at mech_begin. Lives with
 * the worker (its stack or its slot); not shared between workers. */
struct mech_worker {
	int fd[MECH_NFD]; /* perf_event fds, -1 when not open */
	int schedstat_fd; /* /proc/thread-self/schedstat, -1 when not available */
	bool open;
	struct mech_counts at;
};

/* Open the calling thread's counters: perf software and hardware counters
 * where perf_event_open allows them, schedstat. Call on the worker's own
 * thread (process), once per worker; a pool worker keeps them across reps.
 * Can't fail: what can't be opened is absent. */
void mech_open(struct mech_worker *w);

/* Readings at the start of the worker's work. Call on the same thread as
 * mech_open. Can't fail. */
void mech_begin(struct mech_worker *w);

/* mech_begin for a thread or process created for this work alone (per-task
 * modes): its counters started at zero with it, so nothing is read now and
 * no perf counter is opened (faults from getrusage, migrations absent);
 * mech_end then reads schedstat and getrusage once. Can't fail. */
void mech_begin_fresh(struct mech_worker *w);

/* Readings at the end minus those of mech_begin, into *d (workers = 1).
 * Can't fail. */
void mech_end(struct mech_worker *w, struct mech_counts *d);

/* Close what mech_open opened. Safe on a worker never opened. */
void mech_close(struct mech_worker *w);

/* A mech_counts with nothing counted yet (workers 0, absent counts -1 so a
 * sum stays absent until a worker had them). */
void mech_zero(struct mech_counts *c);

/* acc += d; a count absent in d makes it absent in acc (a partial sum
 * would be a wrong figure). Can't fail. */
void mech_add(struct mech_counts *acc, const struct mech_counts *d);

/* Steal time so far of the CPUs in this process's affinity mask, seconds
 * (/proc/stat, USER_HZ). 0, or a negative errno when it can't be read. */
int mech_cpu_read(double *steal_s, double *busy_s);

/* Where the workers' time went by the task clock: per worker, busy (in
 * tasks), its idle tail after its last task while others still ran
 * (imbalance), and the rest: before its first task, between tasks and
 * after the last task ended until the rep's clock stopped (dispatch). Sums
 * over nworkers (a worker with no task is idle for the whole rep: that is
 * imbalance). busy + imbalance + dispatch = nworkers × wall_s. */
struct mech_tasks {
	double busy_s, imbalance_s, dispatch_s;
	double tail_span_s; /* first worker out of tasks → last task ended */
};

/* Fill *t from res[0..ntasks) (times relative to the rep's clock origin,
 * `worker` < nworkers) and the rep's wall time. Can't fail. */
void mech_tasks(const struct task_result *res, unsigned ntasks, unsigned nworkers, double wall_s,
                struct mech_tasks *t);

#endif
