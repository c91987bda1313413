/* results.h - what a run measured: one row per measured rep, cells and
 * the run. The engine (exec/) fills them; the writers (out/) print them.
 * Nothing here refers to the engine's internals: a cell names its workload
 * descriptor and size itself, the prepared instance is opaque. */
#ifndef CONCBENCH_RESULTS_H
#define CONCBENCH_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../concbench.h"
#include "../base/config.h"
#include "../base/stats.h"
#include "../base/sysinfo.h"

struct instance; /* exec/engine.h: a workload's prepared state */

enum rep_status { REP_OK, REP_MISMATCH, REP_CHECK_FAILED, REP_FAILED, REP_TIMEOUT };

/* The mechanisms of a rep, summed over its workers (exec/mech.h). Times
 * NaN and counts -1 where not measured. */
struct rep_mech {
	unsigned workers; /* workers that reported (0: no figures) */
	double run_s, runq_s; /* on a CPU; runnable, waiting for one (schedstat) */
	double user_s, sys_s; /* the workers' own CPU time */
	long nvcsw, nivcsw, minflt, majflt, migrations;
	int64_t instructions, cycles, cache_misses;
	const char *src; /* faults and migrations from "perf" or "rusage" */
	double busy_s, imbalance_s, dispatch_s, tail_span_s; /* the task clock */
	double steal_s; /* stolen from the CPUs of the affinity mask during the rep */
	double runq_share, steal_share; /* runq_s / (workers × wall); steal_s / (cpus × wall) */
	double foreign_s; /* CPU time of other processes on the mask's CPUs during the rep */
	double foreign_share; /* foreign_s / (cpus × wall) */
	/* how much slower than their best in the run the rep's CPUs ran the
	 * probe just before or right after it (0.6: 60%); NaN: not probed */
	double cpu_slowdown;
	const char *noisy; /* noise_of_rep(): "" unless over a noise threshold */
	bool discarded; /* --max-steal, --max-slowdown: left out of the statistics */
};

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
	struct rep_mech mech;
	char worker_cpus[128]; /* placement_describe(): "0:0;1:1" */
	unsigned cpu_changes; /* CPU changes seen at task starts and ends */
};

/* A cell under --precision: still adding rounds, within the target, or left
 * imprecise when the time budget (or the rep cap) ran out. */
enum cell_prec { PREC_OFF, PREC_OPEN, PREC_MET, PREC_BUDGET };

struct cell {
	struct instance *inst; /* opaque outside exec/ */
	const struct workload *wl;
	long size; /* the resolved --size of its instance (--min-rep-time's choice) */
	long size_from; /* the size before --min-rep-time scaled it (== size if not) */
	bool calibrated; /* --min-rep-time chose its size (an I/O workload's is as given) */
	bool size_refused; /* calibration stopped: the workload refused the next size */
	unsigned inst_index; /* its instance in run.inst[]: cells that share work */
	enum cb_mode mode;
	unsigned workers;
	unsigned ntasks;
	bool implicit; /* the baseline cell added for speedups without being asked for */
	bool is_ref; /* the --baseline cell of its instance: its checksum is the reference */
	bool failed; /* a rep failed: no further reps */
	struct rep_row *rows; /* measured reps */
	unsigned nrows;
	unsigned ndiscarded; /* rows discarded by --max-steal or --max-slowdown (among nrows) */
	unsigned cap; /* rows allocated; always > nrows while reps run */
	enum cell_prec prec;
	struct cell *baseline; /* --baseline cell of the same instance, or NULL */
	/* filled by engine_summarize() */
	struct summary wall;
	/* stats_speedup() over the baseline: ops/s ratio for benches, wall
	 * ratio for workloads; speedup_conf = the interval's confidence */
	double speedup, speedup_lo, speedup_hi, speedup_conf, efficiency, cpu_util;
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
	/* exec/: each calibrated CPU's best probe time so far (indexed like
	 * machine.cal_start.cpu), the reference of rep_mech.cpu_slowdown */
	double probe_best[CPUCAL_MAX];
	/* The scaling fits of the run as a JSON array (analysis/explain.h),
	 * filled by the CLI for --json; NULL: none. */
	char *fits_json;
};

/* Names of enum rep_status, for the CSV `status` column. */
extern const char *const rep_status_names[];

#endif
