/* schema.h - the one definition of the raw CSV schema (results/README.md):
 * column names, their order, their type and the schema version that added
 * them. The writer (out/output.c) emits exactly these columns in this
 * order; the reader (analysis/csvread.c) checks fields by these types and
 * accepts files of any version from 1 to CSV_SCHEMA_VERSION, requiring
 * only the columns their version already had. */
#ifndef CONCBENCH_SCHEMA_H
#define CONCBENCH_SCHEMA_H

#define CSV_SCHEMA_VERSION 2

enum col_type {
	COL_STR,
	COL_INT,
	COL_NUM, /* a finite number */
	COL_NUM_OPT, /* a number or empty (does not apply) */
	COL_BOOL, /* 0 or 1 */
};

/* X(ID, "name", type, version that added it), in column order. */
#define CB_CSV_COLUMNS(X)                                                                          \
	X(SCHEMA_VERSION, "schema_version", COL_INT, 1)                                            \
	X(RUN_ID, "run_id", COL_STR, 1)                                                            \
	X(TIMESTAMP, "timestamp", COL_STR, 1)                                                      \
	X(HOST, "host", COL_STR, 1)                                                                \
	X(CPUS, "cpus", COL_INT, 1)                                                                \
	X(WORKLOAD, "workload", COL_STR, 1)                                                        \
	X(MODE, "mode", COL_STR, 1)                                                                \
	X(WORKERS, "workers", COL_INT, 1)                                                          \
	X(TASKS, "tasks", COL_INT, 1)                                                              \
	X(SIZE, "size", COL_INT, 1)                                                                \
	X(REP, "rep", COL_INT, 1)                                                                  \
	X(WALL_S, "wall_s", COL_NUM, 1)                                                            \
	X(USER_S, "user_s", COL_NUM_OPT, 1)                                                        \
	X(SYS_S, "sys_s", COL_NUM_OPT, 1)                                                          \
	X(CPU_UTIL, "cpu_util", COL_NUM_OPT, 1)                                                    \
	X(NVCSW, "nvcsw", COL_INT, 1)                                                              \
	X(NIVCSW, "nivcsw", COL_INT, 1)                                                            \
	X(MAX_RSS_KB, "max_rss_kb", COL_INT, 1)                                                    \
	X(STARTUP_S, "startup_s", COL_NUM_OPT, 1)                                                  \
	X(OPS, "ops", COL_NUM_OPT, 1)                                                              \
	X(OPS_PER_S, "ops_per_s", COL_NUM_OPT, 1)                                                  \
	X(TASK_P50_S, "task_p50_s", COL_NUM_OPT, 1)                                                \
	X(TASK_P99_S, "task_p99_s", COL_NUM_OPT, 1)                                                \
	X(GIL_WAIT_S, "gil_wait_s", COL_NUM_OPT, 1)                                                \
	X(GIL_SWITCHES, "gil_switches", COL_STR, 1)                                                \
	X(CHECKSUM, "checksum", COL_STR, 1)                                                        \
	X(VERIFIED, "verified", COL_BOOL, 1)                                                       \
	X(VERSION, "version", COL_STR, 1)                                                          \
	X(GIT_REV, "git_rev", COL_STR, 1)                                                          \
	X(STATUS, "status", COL_STR, 1)                                                            \
	X(ERROR, "error", COL_STR, 1)                                                              \
	X(OPS_UNIT, "ops_unit", COL_STR, 1)                                                        \
	X(METRICS, "metrics", COL_STR, 1)                                                          \
	X(GIL_FORCED_DROPS, "gil_forced_drops", COL_STR, 1)                                        \
	X(GIL_DROP_REQUESTS, "gil_drop_requests", COL_STR, 1)                                      \
	X(GIL_WAIT_P50_S, "gil_wait_p50_s", COL_NUM_OPT, 1)                                        \
	X(GIL_WAIT_P99_S, "gil_wait_p99_s", COL_NUM_OPT, 1)                                        \
	X(BASELINE, "baseline", COL_BOOL, 1)                                                       \
	X(SEED, "seed", COL_STR, 1)                                                                \
	X(PIN, "pin", COL_STR, 1) /* 0/1 before schema 3 */                                        \
	X(SWITCH_INTERVAL_S, "switch_interval_s", COL_NUM_OPT, 1)                                  \
	X(TRANSPORT, "transport", COL_STR, 1)                                                      \
	X(CPU_MODEL, "cpu_model", COL_STR, 1)                                                      \
	X(CPUS_ONLINE, "cpus_online", COL_INT, 1)                                                  \
	X(CGROUP_CPUS, "cgroup_cpus", COL_STR, 1)                                                  \
	X(KERNEL, "kernel", COL_STR, 1)                                                            \
	X(COMPILER, "compiler", COL_STR, 1)                                                        \
	X(CFLAGS, "cflags", COL_STR, 1)                                                            \
	X(LOADAVG, "loadavg", COL_NUM_OPT, 1)                                                      \
	X(LOADAVG_START, "loadavg_start", COL_NUM_OPT, 1)                                          \
	X(LOADAVG_END, "loadavg_end", COL_NUM_OPT, 1)                                              \
	X(KIND, "kind", COL_STR, 2)                                                                \
	X(PARAMS, "params", COL_STR, 2)                                                            \
	X(COLD_S, "cold_s", COL_NUM_OPT, 2)                                                        \
	X(RUNQ_S, "runq_s", COL_NUM_OPT, 2)                                                        \
	X(RUNQ_SHARE, "runq_share", COL_NUM_OPT, 2)                                                \
	X(STEAL_S, "steal_s", COL_NUM_OPT, 2)                                                      \
	X(STEAL_SHARE, "steal_share", COL_NUM_OPT, 2)                                              \
	X(NOISY, "noisy", COL_STR, 2)                                                              \
	X(DISCARDED, "discarded", COL_BOOL, 2)                                                     \
	X(BUSY_S, "busy_s", COL_NUM_OPT, 2)                                                        \
	X(IMBALANCE_S, "imbalance_s", COL_NUM_OPT, 2)                                              \
	X(TAIL_SPAN_S, "tail_span_s", COL_NUM_OPT, 2)                                              \
	X(DISPATCH_S, "dispatch_s", COL_NUM_OPT, 2)                                                \
	X(WORKER_RUN_S, "worker_run_s", COL_NUM_OPT, 2)                                            \
	X(WORKER_USER_S, "worker_user_s", COL_NUM_OPT, 2)                                          \
	X(WORKER_SYS_S, "worker_sys_s", COL_NUM_OPT, 2)                                            \
	X(WORKER_NVCSW, "worker_nvcsw", COL_NUM_OPT, 2)                                            \
	X(WORKER_NIVCSW, "worker_nivcsw", COL_NUM_OPT, 2)                                          \
	X(MINFLT, "minflt", COL_NUM_OPT, 2)                                                        \
	X(MAJFLT, "majflt", COL_NUM_OPT, 2)                                                        \
	X(MIGRATIONS, "migrations", COL_NUM_OPT, 2)                                                \
	X(INSTRUCTIONS, "instructions", COL_NUM_OPT, 2)                                            \
	X(CYCLES, "cycles", COL_NUM_OPT, 2)                                                        \
	X(CACHE_MISSES, "cache_misses", COL_NUM_OPT, 2)                                            \
	X(MECH_SRC, "mech_src", COL_STR, 2)                                                        \
	X(WORKER_CPUS, "worker_cpus", COL_STR, 2)                                                  \
	X(CPU_CHANGES, "cpu_changes", COL_NUM_OPT, 2)                                              \
	X(CPU_SPEED_START, "cpu_speed_start", COL_STR, 2)                                          \
	X(CPU_SPEED_END, "cpu_speed_end", COL_STR, 2)                                              \
	X(SYS_CHECKS, "sys_checks", COL_STR, 2)                                                    \
	X(PRECISION_TARGET, "precision_target", COL_NUM_OPT, 2)                                    \
	X(CELL_REPS, "cell_reps", COL_NUM_OPT, 2)                                                  \
	X(PRECISION_REACHED, "precision_reached", COL_NUM_OPT, 2)                                  \
	X(PRECISION_MET, "precision_met", COL_BOOL, 2)                                             \
	X(MIN_REP_TIME_S, "min_rep_time_s", COL_NUM_OPT, 2)                                        \
	X(FOREIGN_SHARE, "foreign_share", COL_NUM_OPT, 2)                                          \
	X(CPU_SLOWDOWN, "cpu_slowdown", COL_NUM_OPT, 2)

enum csv_col {
#define X(id, name, type, since) CSV_COL_##id,
	CB_CSV_COLUMNS(X)
#undef X
	    CSV_NCOLS
};

struct csv_column {
	const char *name;
	enum col_type type;
	int since; /* the schema version that added it */
};

/* Every column, indexed by enum csv_col. */
extern const struct csv_column csv_schema[CSV_NCOLS];

/* "workload" or "bench": the `kind` column. */
#define CSV_KIND_WORKLOAD "workload"
#define CSV_KIND_BENCH "bench"

#endif
