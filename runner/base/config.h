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
/* --min-rep-time default: shorter reps on the shared 2-vCPU VM are mostly
 * scheduler noise (docs/measurements/issue-16.md). */
#define CB_MIN_REP_TIME_S 0.1

enum cb_format { FORMAT_TABLE, FORMAT_CSV, FORMAT_MARKDOWN, FORMAT_JSON };

/* --pin: PIN_NONE leaves placement to the scheduler; PIN_MASK (plain --pin)
 * puts worker i on the (i mod n)-th CPU of the affinity mask in number order;
 * PIN_COMPACT fills the SMT siblings of one core before the next core;
 * PIN_SPREAD takes one CPU of every core before any second sibling. */
enum cb_pin { PIN_NONE, PIN_MASK, PIN_COMPACT, PIN_SPREAD };

/* "none", "mask", "compact", "spread": the CSV `pin` column. */
extern const char *const pin_names[];

/* A pin name, or 0 / 1 (the `pin` column before schema 4: none / mask), as
 * enum cb_pin; -1 for anything else. */
int pin_parse(const char *s);

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
	enum cb_pin pin; /* --pin[=none|mask|compact|spread]; plain --pin is mask */
	double timeout_s; /* 0: none */
	double switch_interval_s;
	bool switch_interval_given;
	const char *transport; /* "shm" or "pipe" */
	const char *csv_path; /* NULL: results/concbench-<stamp>.csv */
	bool no_csv;
	const char *trace_path; /* --trace: per-task CSV of every cell's last rep */
	bool fail_fast; /* stop at the first failed rep */
	double max_steal; /* --max-steal as a fraction; 0: keep every rep */
	/* --max-slowdown as a fraction (0: keep every rep); by default
	 * NOISE_SLOW_CPU with --precision, else 0 */
	double max_slowdown;
	bool max_slowdown_given;

	/* --precision, --max-time, --min-rep-time (issue 16) */
	double precision; /* target median-interval half-width / median; 0: fixed --runs */
	double max_time_s; /* time budget of the whole run with --precision */
	bool max_time_given;
	double min_rep_time_s; /* scale sizes until a seq rep lasts this long; 0: off */
	bool min_rep_time_given;
	long inflight; /* async: tasks in flight per loop; 0: all */
	bool cost_metrics; /* --cost: memory per task in flight, CPU per op */
	/* --baseline: the reference cell of speedups and checksums */
	bool baseline_none; /* none: no reference, checksums across measured cells */
	enum cb_mode baseline_mode; /* default MODE_SEQ */
	unsigned baseline_workers; /* 0: 1 for seq, else the cell's --workers (first) */

	enum cb_format format;
	const char *json_path; /* --json=FILE: Google Benchmark JSON, or NULL */
	bool db; /* --db[=URL]: also store the run */
	const char *db_url; /* NULL: $CONCBENCH_DB or results/concbench.db */
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

/* Whether --min-rep-time chooses the sizes of this run: it is set (> 0),
 * and the size was not given explicitly without it. */
bool config_scales_sizes(const struct cb_config *cfg);

/* Resolve --size for one workload: small|medium|large|number. */
int resolve_size(const struct workload *w, const char *size, long *out);

#endif
