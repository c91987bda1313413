/* engine.h - cells, reps and measurement of one `run` invocation. */
#ifndef CONCBENCH_ENGINE_H
#define CONCBENCH_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../concbench.h"
#include "../base/config.h"
#include "../base/stats.h"
#include "../base/sysinfo.h"
#include "../out/results.h"

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
	uint64_t ref_checksum; /* the reference cell's first verified rep */
	const struct cell *ref; /* that cell (--baseline; with none: the first verified) */
	long size_from; /* the size before --min-rep-time scaled it (== ctx.size if not) */
};

/* Build instances and cells from cfg. 0 or EXIT_USAGE (message printed). */
int engine_plan(struct run *r);

#define ENGINE_INTERRUPTED (-2)

/* --max-steal: re-runs of one rep at most. */
#define MAX_STEAL_RERUNS 3

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

#endif
