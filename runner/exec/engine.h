/* engine.h - cells, reps and measurement of one `run` invocation. */
#ifndef CONCBENCH_ENGINE_H
#define CONCBENCH_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../concbench.h"
#include "../cli/options.h"
#include "../base/stats.h"
#include "sysinfo.h"

struct pool;

/* Prepared state of a workload, shared by the cells that can share it:
 * workloads by (workload, size, tasks), benches one per cell. */
struct instance {
	const struct workload *wl;
	struct wl_ctx ctx;
	struct task_result *res; /* cap entries, MAP_SHARED */
	unsigned cap;
	bool prepared;
	bool have_ref;
	bool poisoned; /* a timed-out thread still runs on it */
	uint64_t ref_checksum; /* the seq cell's first rep */
	long size_from; /* the size before --min-rep-time scaled it (== ctx.size if not) */
};

enum rep_status { REP_OK, REP_MISMATCH, REP_CHECK_FAILED, REP_FAILED, REP_TIMEOUT };

/* One measured rep: one CSV row. */
struct rep_row {
	unsigned rep;
	char timestamp[32];
	double wall_s, user_s, sys_s, cpu_util;
	double startup_s; /* the cell's pool start-up (the same in every row) */
	double cold_s; /* makespan of the pool's first rep (the same in every row) */
	long nvcsw, nivcsw;
	long max_rss_kb; /* peak RSS of this rep alone: parent or largest worker */
	double ops, ops_per_s, task_p50_s, task_p99_s;
	struct gil_stats gil;
	uint64_t checksum;
	enum rep_status status;
	struct cb_metrics metrics;
	char error[256];
	double loadavg;
	char worker_cpus[128]; /* placement_describe(): "0:0;1:1" */
	unsigned migrations; /* CPU changes seen at task starts and ends */
};

/* A cell under --precision: still adding rounds, within the target, or left
 * imprecise when the time budget (or the rep cap) ran out. */
enum cell_prec { PREC_OFF, PREC_OPEN, PREC_MET, PREC_BUDGET };

struct cell {
	struct instance *inst;
	enum cb_mode mode;
	unsigned workers;
	unsigned ntasks;
	bool implicit; /* the seq baseline added for speedups */
	bool failed; /* a rep failed: no further reps */
	struct rep_row *rows; /* measured reps */
	unsigned nrows;
	unsigned cap; /* rows allocated; always > nrows while reps run */
	enum cell_prec prec;
	struct cell *baseline; /* seq cell of the same instance, or NULL */
	struct pool *pool; /* alive from the cell's first rep to its last */
	double startup_s; /* pool_start() of the cell's pool; NAN before */
	double cold_s; /* makespan of the pool's first rep; NAN before */
	/* filled by engine_summarize() */
	struct summary wall;
	double speedup, speedup_lo, speedup_hi, efficiency, cpu_util;
	double halfwidth; /* stats_rel_halfwidth(&wall) */
	bool all_verified;
};

struct run {
	struct cb_config cfg;
	struct machine machine;
	char run_id[48];
	struct instance *inst;
	unsigned ninst;
	struct cell *cells;
	unsigned ncells;
	double load_end;
	unsigned failures; /* reps not verified or failed */
	unsigned rounds; /* interleaved rounds run, warmups included */
	double elapsed_s; /* engine_run from preparation to the last rep */
};

/* Whether --min-rep-time scales sizes in this run: set, and not overridden
 * by an explicit --size without an explicit --min-rep-time. */
bool engine_scales_sizes(const struct cb_config *cfg);

/* Build instances and cells from cfg. 0 or EXIT_USAGE (message printed). */
int engine_plan(struct run *r);

#define ENGINE_INTERRUPTED (-2)

/* Prepare, warm up and measure every cell, interleaved rep by rep in a
 * seeded shuffled order; verify and summarise. With cfg.precision, after
 * the --runs rounds further rounds run only the cells not yet precise, in
 * the same seeded order restricted to them, while the next round fits in
 * cfg.max_time_s. Each cell's pool is started
 * at its first (warmup) rep and stopped after its last measured rep or its
 * failure, so several idle pools may be alive at once. 0, EXIT_USAGE when a
 * workload rejected its input, EXIT_CHECK when a rep failed or did not
 * verify (results are still complete; a failed or timed-out cell runs no
 * more reps, and with --fail-fast the run stops there), -1 when the run
 * had to stop (message printed), or ENGINE_INTERRUPTED after SIGINT or
 * SIGTERM (every worker stopped and reaped). */

int engine_run(struct run *r);

/* Per-cell statistics, speedups and verification. Called by engine_run. */
void engine_summarize(struct run *r);

/* Free everything engine_plan/engine_run built. */
void engine_free(struct run *r);

extern const char *const rep_status_names[];

#endif
