/* config.h - what a `run` invocation asked for (the parsed command line),
 * the mode names, and the small parsers and limits every part shares.
 * Part of the base: exec/, out/, analysis/ and cli/ may all include it. */
#ifndef CONCBENCH_CONFIG_H
#define CONCBENCH_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "../concbench.h"

#define CB_MAX_TASKS 10000000L
#define CB_MAX_RUNS 100000L
#define CB_MAX_SELECTED 64

enum cb_format { FORMAT_TABLE, FORMAT_CSV, FORMAT_MARKDOWN, FORMAT_JSON };

struct cb_config {
	unsigned modes; /* MODE_BIT mask */
	bool modes_given; /* --mode on the command line */
	const struct workload *wl[CB_MAX_SELECTED]; /* selection, registry order */
	unsigned nwl;
	unsigned workers[CB_MAX_SELECTED]; /* sorted, unique */
	unsigned nworkers;
	long tasks; /* 0: the workload's default */
	const char *size; /* NULL: the workload's default */
	long runs;
	long warmup;
	uint64_t seed;
	bool pin;
	double timeout_s; /* 0: none */
	double switch_interval_s;
	bool switch_interval_given;
	const char *transport; /* "shm" or "pipe" */
	const char *csv_path; /* NULL: results/concbench-<stamp>.csv */
	bool no_csv;
	const char *trace_path; /* --trace: per-task CSV of every cell's last rep */
	bool fail_fast; /* stop at the first failed rep */
	long inflight; /* async: tasks in flight per loop; 0: all */
	bool cost_metrics; /* --cost: memory per task in flight, CPU per op */
	/* --baseline: the reference cell of speedups and checksums */
	bool baseline_none; /* none: no reference, checksums across measured cells */
	enum cb_mode baseline_mode; /* default MODE_SEQ */
	unsigned baseline_workers; /* 0: 1 for seq, else the cell's --workers (first) */

	enum cb_format format;
	const char *json_path; /* --json=FILE: Google Benchmark JSON, or NULL */
};

/* Mode names in enum order, and one-line summaries. */
extern const char *const mode_names[MODE__COUNT];
extern const char *const mode_summaries[MODE__COUNT];

/* Parsers. Each returns 0, or -EINVAL / -ERANGE. */
int parse_long(const char *s, long min, long max, long *out);
int parse_u64(const char *s, uint64_t *out);
/* "5ms", "100us", "2s", "0.5" (seconds); > 0 and finite. */
int parse_duration(const char *s, double *out_s);
/* CPUs this process may run on (sched_getaffinity). At least 1. */
unsigned cpus_available(void);

/* Resolve --size for one workload: small|medium|large|number. */
int resolve_size(const struct workload *w, const char *size, long *out);

#endif
