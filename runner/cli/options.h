/* options.h - the `run` command line: parsing and the resulting config. */
#ifndef CONCBENCH_OPTIONS_H
#define CONCBENCH_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "commands.h"
#include "../concbench.h"
#include "../exec/placement.h"

#define CB_MAX_WORKERS 4096L
#define CB_MAX_TASKS 10000000L
#define CB_MAX_RUNS 100000L
#define CB_MAX_SELECTED 64
/* --min-rep-time default: below it, a rep on the shared 2-vCPU VM is mostly
 * scheduler noise (docs/measurements/issue-16.md). */
#define CB_MIN_REP_TIME_S 0.1

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
	enum cb_pin pin; /* --pin[=none|mask|compact|spread]; plain --pin is mask */
	double timeout_s; /* 0: none */
	double switch_interval_s;
	bool switch_interval_given;
	const char *transport; /* "shm" or "pipe" */
	const char *csv_path; /* NULL: results/concbench-<stamp>.csv */
	bool no_csv;
	const char *trace_path; /* --trace: per-task CSV of every cell's last rep */
	bool fail_fast; /* stop at the first failed rep */

	/* --precision, --max-time, --min-rep-time (issue 16) */
	double precision; /* target median-interval half-width / median; 0: fixed --runs */
	double max_time_s; /* time budget of the whole run with --precision */
	bool max_time_given;
	double min_rep_time_s; /* scale sizes until a seq rep lasts this long; 0: off */
	bool min_rep_time_given;

	enum cb_format format;
	const char *json_path; /* --json=FILE: Google Benchmark JSON, or NULL */
};

/* Mode names in enum order, and one-line summaries. */
extern const char *const mode_names[MODE__COUNT];
extern const char *const mode_summaries[MODE__COUNT];

/* Parse the `run` arguments (argv[0] is the command name) into cfg.
 * Returns 0, or EXIT_USAGE after printing `concbench: <option>: <why>`,
 * or -1 when --help/--version was printed (exit 0). */
int options_parse(int argc, char **argv, struct cb_config *cfg);

/* The subcommands --help lists (set by main; NULL in tests). */
extern const struct command *cb_commands;

/* Print --help: subcommands, core options, then every workload option,
 * from the registry. */
void options_usage(void);

/* Parsers, exported for tests. Each returns 0, or -EINVAL / -ERANGE. */
int parse_long(const char *s, long min, long max, long *out);
int parse_u64(const char *s, uint64_t *out);
/* "4" | "1,2,4" | "1-8" | "auto" (CPUs in the affinity mask); sorted, unique. */
int parse_workers(const char *s, unsigned *out, unsigned cap, unsigned *n);
/* "5ms", "100us", "2s", "0.5" (seconds); > 0 and finite. */
int parse_duration(const char *s, double *out_s);
/* "3%", "0.5%" or "3" (percent) → fraction in (0, 1); -EINVAL / -ERANGE. */
int parse_percent(const char *s, double *out);
/* "seq,threads" | "all" → MODE_BIT mask; unknown name: -EINVAL. */
int parse_modes(const char *s, unsigned *mask);
/* "cpu" (family default), "cpu.*", "cpu.matmul", lists; -EINVAL with the
 * bad name copied to bad[]. */
int parse_workloads(const char *s, const struct workload **out, unsigned cap, unsigned *n,
                    char *bad, unsigned badlen);
/* Resolve --size for one workload: small|medium|large|number. */
int resolve_size(const struct workload *w, const char *size, long *out);

/* CPUs this process may run on (sched_getaffinity). At least 1. */
unsigned cpus_available(void);

/* Reset workload option values (for tests that parse twice). */
void options_reset(void);

#endif
