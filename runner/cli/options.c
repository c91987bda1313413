/* options.c - parse the `run` command line with getopt_long.
 *
 * The option table is the core options followed by every distinct workload
 * option of the registry, so --help and the parser can't disagree. */
#include "options_int.h"
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "../exec/inject.h"
#include "registry.h"

#include "../base/noise.h"
#include "../base/util.h"

#ifndef CONCBENCH_VERSION
#define CONCBENCH_VERSION "0.0.0"
#endif

enum {
	OPT_WARMUP = 256,
	OPT_SEED,
	OPT_PIN,
	OPT_TIMEOUT,
	OPT_SWITCH_INTERVAL,
	OPT_TRANSPORT,
	OPT_CSV,
	OPT_NO_CSV,
	OPT_TRACE,
	OPT_FORMAT,
	OPT_JSON,
	OPT_FAIL_FAST,
	OPT_INJECT,
	OPT_PRECISION,
	OPT_MAX_TIME,
	OPT_MIN_REP_TIME,
	OPT_DB,
	OPT_MAX_STEAL,
	OPT_MAX_SLOWDOWN,
	OPT_INFLIGHT,
	OPT_BASELINE,
	OPT_COST,
	OPT_WL_BASE = 1000, /* + index into wl_opts[] */
};

struct core_opt {
	struct option o;
	const char *arg;
	const char *help;
};

static const struct core_opt core_opts[] = {
    {{"mode", required_argument, NULL, 'm'},
     "LIST",
     "seq,threads,procs,gil,thread-per-task,fork-per-task,async; all = seq,threads,procs,gil "
     "(default all)"},
    {{"inflight", required_argument, NULL, OPT_INFLIGHT},
     "K",
     "async: tasks in flight at once on each loop (default all)"},
    {{"cost", no_argument, NULL, OPT_COST},
     NULL,
     "add memory per task in flight and CPU per op to the metrics (samples VmSize)"},
    {{"baseline", required_argument, NULL, OPT_BASELINE},
     "seq|none|MODE[:WORKERS]",
     "the reference of speedups and checksums (default seq)"},
    {{"workload", required_argument, NULL, 'w'},
     "LIST",
     "family, family.* or family.kernel, e.g. cpu, cpu.matmul (default cpu)"},
    {{"workers", required_argument, NULL, 'j'},
     "LIST",
     "4 | 1,2,4 | 1-8 | auto = CPUs in the affinity mask (default auto)"},
    {{"tasks", required_argument, NULL, 't'}, "N", "tasks per rep (default: the workload's)"},
    {{"size", required_argument, NULL, 's'},
     "SIZE",
     "small | medium | large | a number (default medium)"},
    {{"runs", required_argument, NULL, 'r'}, "N", "measured reps per cell (default 5)"},
    {{"warmup", required_argument, NULL, OPT_WARMUP}, "N", "unmeasured reps per cell (default 1)"},
    {{"seed", required_argument, NULL, OPT_SEED},
     "N",
     "seed of the rep order and of random inputs (default 1)"},
    {{"pin", optional_argument, NULL, OPT_PIN},
     "none|mask|compact|spread",
     "worker placement (default none); --pin alone is mask: worker i on CPU i mod n of the "
     "affinity mask; compact: SMT siblings first; spread: one CPU per core first; seq runs "
     "where worker 0 does"},
    {{"timeout", required_argument, NULL, OPT_TIMEOUT},
     "DURATION",
     "per-rep watchdog, e.g. 30s (default none)"},
    {{"switch-interval", required_argument, NULL, OPT_SWITCH_INTERVAL},
     "DURATION",
     "GIL switch interval (default 5ms)"},
    {{"transport", required_argument, NULL, OPT_TRANSPORT},
     "shm|pipe",
     "how the process pool returns task output (default shm)"},
    {{"csv", required_argument, NULL, OPT_CSV},
     "FILE",
     "raw rows (default results/concbench-<stamp>-<pid>.csv)"},
    {{"no-csv", no_argument, NULL, OPT_NO_CSV}, NULL, "write no CSV file"},
    {{"trace", required_argument, NULL, OPT_TRACE},
     "FILE",
     "CSV of which worker ran which task when (last rep of each cell)"},
    {{"format", required_argument, NULL, OPT_FORMAT},
     "table|csv|markdown|json",
     "what goes to stdout (default table)"},
    {{"json", required_argument, NULL, OPT_JSON},
     "FILE",
     "also write Google Benchmark JSON (github-action-benchmark, compare.py)"},
    {{"db", optional_argument, NULL, OPT_DB},
     NULL,
     "also store the run; --db=URL: a SQLite file or postgresql://… (default "
     "$CONCBENCH_DB, else results/concbench.db)"},
    {{"fail-fast", no_argument, NULL, OPT_FAIL_FAST},
     NULL,
     "stop the run at the first failed or timed-out rep"},
    {{"max-steal", required_argument, NULL, OPT_MAX_STEAL},
     "PCT",
     "re-run (up to 3 times) a rep that lost more than PCT% of the CPUs to steal; "
     "the CSV keeps it, marked discarded"},
    {{"max-slowdown", required_argument, NULL, OPT_MAX_SLOWDOWN},
     "PCT",
     "set aside a rep around which a CPU it ran on ran a short probe more than PCT% slower "
     "than the best CPU of its kind in this run (a busy neighbour on the host), and run it "
     "again (up to 3 times; with --precision, added rounds instead); default 35% with "
     "--precision, else 0: keep every rep; the CSV keeps it, marked discarded"},
    {{"precision", required_argument, NULL, OPT_PRECISION},
     "PCT",
     "after --runs rounds, add interleaved rounds of the cells whose median interval "
     "half-width is above PCT of the median (e.g. 3%), until --max-time"},
    {{"max-time", required_argument, NULL, OPT_MAX_TIME},
     "DURATION",
     "time budget of a --precision run (default 10m), the --runs rounds after the first "
     "measured one included; cells still imprecise are named"},
    {{"min-rep-time", required_argument, NULL, OPT_MIN_REP_TIME},
     "DURATION",
     "scale each CPU workload's and bench's size until its seq rep lasts this long "
     "(default 100ms unless --size is given; 0: off; I/O workloads run as given)"},
    {{"inject", required_argument, NULL, OPT_INJECT},
     "KIND@TASK|slow=PCT|slowcpu[-all|-before]=PCT",
     "testing only: make TASK fail (kill, segv, hang, fail), e.g. kill@3; slow=25% makes "
     "every task 25% slower; slowcpu=100% makes the CPU probe after every other rep read "
     "100% slower (-all: after every rep; -before: the probe before every rep)"},
    {{"quiet", no_argument, NULL, 'q'}, NULL, "no notes or progress on stderr"},
    {{"verbose", no_argument, NULL, 'v'}, NULL, "one line per rep on stderr"},
    {{"help", no_argument, NULL, 'h'}, NULL, "this help"},
    {{"version", no_argument, NULL, 'V'}, NULL, "print the version"},
};

const struct command *cb_commands;

/* Distinct workload options and their values, in registry order. */

#define MAX_WL_OPTS 128
static const struct wl_option *wl_opts[MAX_WL_OPTS];
static const char *wl_vals[MAX_WL_OPTS];
static bool wl_set[MAX_WL_OPTS];
static unsigned n_wl_opts;
/* Every occurrence of a workload option, in command-line order (repeatable options). */
#define MAX_WL_OCC 1024
static struct {
	unsigned opt;
	const char *val;
} wl_occ[MAX_WL_OCC];
static unsigned n_wl_occ;

static void collect_wl_opts(void)
{
	if (n_wl_opts)
		return;
	for (const struct workload *const *w = registry; *w; w++) {
		for (const struct wl_option *o = (*w)->options; o && o->name; o++) {
			unsigned i;

			for (i = 0; i < n_wl_opts; i++)
				if (strcmp(wl_opts[i]->name, o->name) == 0)
					break;
			if (i == n_wl_opts && n_wl_opts < MAX_WL_OPTS)
				wl_opts[n_wl_opts++] = o;
		}
	}
}

void options_reset(void)
{
	memset(wl_vals, 0, sizeof(wl_vals));
	memset(wl_set, 0, sizeof(wl_set));
	n_wl_occ = 0;
}

static int wl_opt_index(const char *name)
{
	collect_wl_opts();
	for (unsigned i = 0; i < n_wl_opts; i++)
		if (strcmp(wl_opts[i]->name, name) == 0)
			return (int)i;
	return -1;
}

const char *cb_opt_str(const char *name)
{
	int i = wl_opt_index(name);

	if (i < 0)
		return NULL;
	return wl_set[i] ? wl_vals[i] : wl_opts[i]->def;
}

const char *cb_opt_nth(const char *name, unsigned n)
{
	int i = wl_opt_index(name);

	for (unsigned k = 0; i >= 0 && k < n_wl_occ; k++)
		if (wl_occ[k].opt == (unsigned)i && n-- == 0)
			return wl_occ[k].val;
	return NULL;
}

bool cb_opt_flag(const char *name)
{
	int i = wl_opt_index(name);

	return i >= 0 && wl_set[i];
}

int cb_opt_long(struct wl_ctx *ctx, const char *name, long min, long max, long *out)
{
	const char *s = cb_opt_str(name);
	int rc;

	if (!s)
		return cb_error(ctx, -EINVAL, "--%s: not set", name);
	rc = parse_long(s, min, max, out);
	if (rc)
		return cb_error(ctx, -EINVAL, "--%s: '%s' is not a whole number in %ld..%ld", name,
		                s, min, max);
	return 0;
}

int cb_opt_duration(struct wl_ctx *ctx, const char *name, double min_s, double max_s, double *out_s)
{
	const char *s = cb_opt_str(name);

	if (!s)
		return cb_error(ctx, -EINVAL, "--%s: not set", name);
	if (parse_duration(s, out_s))
		return cb_error(ctx, -EINVAL, "--%s: '%s' is not a duration such as 10ms", name, s);
	if (*out_s < min_s || *out_s > max_s)
		return cb_error(ctx, -EINVAL, "--%s: '%s' is outside %g s..%g s", name, s, min_s,
		                max_s);
	return 0;
}

static int usage_error(const char *opt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(const char *opt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_verrorf(opt, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

static const char *range_why(int rc)
{
	return rc == -ERANGE ? "out of range" : "not a whole number";
}

void options_usage(void)
{
	collect_wl_opts();
	printf("usage: concbench [run] [OPTIONS]\n");
	for (const struct command *c = cb_commands; c && c->name; c++)
		printf("       concbench %-9s %s\n", c->name, c->summary);
	printf("\n"
	       "Runs the same work sequentially, on a thread pool, on a process pool, one\n"
	       "worker per task and under an emulated GIL; checks every mode computed the same\n"
	       "answer; prints a table and writes raw rows to CSV.\n\n"
	       "Options:\n");
	for (size_t i = 0; i < ARRAY_SIZE(core_opts); i++) {
		const struct core_opt *c = &core_opts[i];
		char lhs[64], sh[8] = "    ";

		if (c->o.val < 256)
			snprintf(sh, sizeof(sh), "-%c, ", c->o.val);
		snprintf(lhs, sizeof(lhs), "%s--%s%s%s", sh, c->o.name, c->arg ? "=" : "",
		         c->arg ? c->arg : "");
		printf("  %-30s %s\n", lhs, c->help);
	}
	printf("\nWorkload and bench options (see `concbench list`):\n");
	for (unsigned i = 0; i < n_wl_opts; i++) {
		const struct wl_option *o = wl_opts[i];
		char lhs[64];

		snprintf(lhs, sizeof(lhs), "    --%s%s%s", o->name, o->arg ? "=" : "",
		         o->arg ? o->arg : "");
		printf("  %-30s %s%s%s%s\n", lhs, o->help, o->def ? " (default " : "",
		       o->def ? o->def : "", o->def ? ")" : "");
	}
	printf("\nDurations take a unit: ns, us, ms, s, m (bare numbers are seconds).\n"
	       "Output FILEs (--csv, --json, --trace): a regular file is replaced atomically,\n"
	       "a symlink written through, a FIFO, device or - (stdout) written into;\n"
	       "a directory is refused. Lists (1,2,4) have no empty items.\n"
	       "Exit status: 0 success; 1 a check failed (verification, a task or worker failed,\n"
	       "a cell timed out); 2 usage or input error; 3 (compare) a cell is inconclusive;\n"
	       "130 / 143 after SIGINT / SIGTERM.\n");
}

/* --baseline=seq|none|MODE[:WORKERS]. 0 or EXIT_USAGE (message printed). */
static int parse_baseline(const char *arg, struct cb_config *cfg)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	long w = 0;

	if (strcmp(arg, "none") == 0) {
		cfg->baseline_none = true;
		return 0;
	}
	for (int m = 0; m < MODE__COUNT; m++) {
		if (strlen(mode_names[m]) != n || strncmp(arg, mode_names[m], n) != 0)
			continue;
		if ((m == MODE_GIL && !gil_available) ||
		    (colon && parse_long(colon + 1, 1, CB_MAX_WORKERS, &w)) ||
		    (m == MODE_SEQ && colon && w != 1))
			break;
		cfg->baseline_none = false;
		cfg->baseline_mode = (enum cb_mode)m;
		cfg->baseline_workers = (unsigned)w;
		return 0;
	}
	return usage_error("--baseline",
	                   "'%s': want seq, none or a mode with an optional worker count, "
	                   "e.g. threads:8 (workers 1..%ld)",
	                   arg, CB_MAX_WORKERS);
}

/* Apply one core option. Returns 0 or EXIT_USAGE (message printed). */
static int apply_core(int c, const char *arg, struct cb_config *cfg)
{
	char bad[128];
	long v;
	int rc;

	if ((c == 'm' || c == 'w' || c == 'j' || c == OPT_INJECT) && parse_list_check(arg))
		return usage_error(c == 'm'   ? "--mode"
		                   : c == 'w' ? "--workload"
		                   : c == 'j' ? "--workers"
		                              : "--inject",
		                   "'%s': %san empty item in the list (a leading, trailing or "
		                   "doubled comma)",
		                   arg, c == 'w' ? "unknown workload: " : "");
	switch (c) {
	case 'm':
		if (parse_modes(arg, &cfg->modes))
			return usage_error("--mode",
			                   "'%s': unknown mode; valid: seq, threads, procs,%s "
			                   "thread-per-task, fork-per-task, async, all",
			                   arg, gil_available ? " gil," : "");
		cfg->modes_given = true;
		return 0;
	case 'w':
		if (parse_workloads(arg, cfg->wl, CB_MAX_SELECTED, &cfg->nwl, bad, sizeof(bad))) {
			cb_errorf("--workload", "'%s': unknown workload", bad);
			opt_print_valid_workloads(stderr);
			return EXIT_USAGE;
		}
		return 0;
	case 'j':
		rc = parse_workers(arg, cfg->workers, CB_MAX_SELECTED, &cfg->nworkers);
		if (rc)
			return usage_error(
			    "--workers",
			    "'%s': want counts 1..%ld, a list (1,2,4), a range (1-8) "
			    "or auto; at most %d values",
			    arg, CB_MAX_WORKERS, CB_MAX_SELECTED);
		return 0;
	case 't':
		rc = parse_long(arg, 1, CB_MAX_TASKS, &cfg->tasks);
		if (rc)
			return usage_error("--tasks", "'%s': %s; want 1..%ld", arg, range_why(rc),
			                   CB_MAX_TASKS);
		return 0;
	case 's':
		if (strcmp(arg, "small") && strcmp(arg, "medium") && strcmp(arg, "large") &&
		    parse_long(arg, 1, 1L << 40, &v))
			return usage_error("--size", "'%s': want small, medium, large or a number",
			                   arg);
		cfg->size = arg;
		return 0;
	case 'r':
		rc = parse_long(arg, 1, CB_MAX_RUNS, &cfg->runs);
		if (rc)
			return usage_error("--runs", "'%s': %s; want 1..%ld", arg, range_why(rc),
			                   CB_MAX_RUNS);
		return 0;
	case OPT_WARMUP:
		rc = parse_long(arg, 0, CB_MAX_RUNS, &cfg->warmup);
		if (rc)
			return usage_error("--warmup", "'%s': %s; want 0..%ld", arg, range_why(rc),
			                   CB_MAX_RUNS);
		return 0;
	case OPT_SEED:
		if (parse_u64(arg, &cfg->seed))
			return usage_error("--seed", "'%s': not an unsigned 64-bit number", arg);
		return 0;
	case OPT_PIN:
		if (!arg) {
			cfg->pin = PIN_MASK;
			return 0;
		}
		/* names only: 0 and 1 are the CSV's old spelling, not an option value */
		if (isdigit((unsigned char)*arg) || pin_parse(arg) < 0)
			return usage_error("--pin", "'%s': want none, mask, compact or spread",
			                   arg);
		cfg->pin = (enum cb_pin)pin_parse(arg);
		return 0;
	case OPT_TIMEOUT:
		if (parse_duration(arg, &cfg->timeout_s) || cfg->timeout_s > 86400)
			return usage_error("--timeout", "'%s': want a duration up to 24h, e.g. 30s",
			                   arg);
		return 0;
	case OPT_SWITCH_INTERVAL:
		if (parse_duration(arg, &cfg->switch_interval_s) || cfg->switch_interval_s < 1e-6 ||
		    cfg->switch_interval_s > 10)
			return usage_error("--switch-interval",
			                   "'%s': want a duration from 1us to 10s, e.g. 5ms", arg);
		cfg->switch_interval_given = true;
		return 0;
	case OPT_TRANSPORT:
		if (strcmp(arg, "shm") && strcmp(arg, "pipe"))
			return usage_error("--transport", "'%s': want shm or pipe", arg);
		cfg->transport = arg;
		return 0;
	case OPT_CSV:
		if (!*arg)
			return usage_error("--csv", "empty file name");
		cfg->csv_path = arg;
		return 0;
	case OPT_NO_CSV:
		cfg->no_csv = true;
		return 0;
	case OPT_TRACE:
		if (!*arg)
			return usage_error("--trace", "empty file name");
		cfg->trace_path = arg;
		return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "table") == 0)
			cfg->format = FORMAT_TABLE;
		else if (strcmp(arg, "csv") == 0)
			cfg->format = FORMAT_CSV;
		else if (strcmp(arg, "markdown") == 0 || strcmp(arg, "md") == 0)
			cfg->format = FORMAT_MARKDOWN;
		else if (strcmp(arg, "json") == 0)
			cfg->format = FORMAT_JSON;
		else
			return usage_error("--format", "'%s': want table, csv, markdown or json",
			                   arg);
		return 0;
	case OPT_JSON:
		cfg->json_path = arg;
		return 0;
	case OPT_FAIL_FAST:
		cfg->fail_fast = true;
		return 0;
	case OPT_PRECISION:
		if (parse_percent(arg, &cfg->precision))
			return usage_error("--precision",
			                   "'%s': want a percentage above 0 and below "
			                   "100, e.g. 3%%",
			                   arg);
		return 0;
	case OPT_MAX_TIME:
		if (parse_duration(arg, &cfg->max_time_s) || cfg->max_time_s > 7 * 86400)
			return usage_error("--max-time",
			                   "'%s': want a duration up to 7 days, e.g. 120s", arg);
		cfg->max_time_given = true;
		return 0;
	case OPT_MIN_REP_TIME:
		if (strcmp(arg, "0") == 0) {
			cfg->min_rep_time_s = 0;
		} else if (parse_duration(arg, &cfg->min_rep_time_s) ||
		           cfg->min_rep_time_s > 3600) {
			return usage_error("--min-rep-time",
			                   "'%s': want 0 (off) or a duration up to 1h, e.g. 100ms",
			                   arg);
		}
		cfg->min_rep_time_given = true;
		return 0;
	case OPT_DB:
		if (arg && !*arg)
			return usage_error("--db", "empty URL");
		cfg->db = true;
		cfg->db_url = arg;
		return 0;
	case OPT_MAX_STEAL: {
		char *end;
		double v = strtod(arg, &end);

		if (end == arg || (*end && strcmp(end, "%")) || !(v > 0 && v <= 100))
			return usage_error("--max-steal",
			                   "'%s': want a percentage in (0, 100], e.g. 5%%", arg);
		cfg->max_steal = v / 100;
		return 0;
	}
	case OPT_MAX_SLOWDOWN: {
		char *end;
		double v = strtod(arg, &end);

		if (end == arg || isspace((unsigned char)*arg) || (*end && strcmp(end, "%")) ||
		    !(v >= 0 && v <= 1000))
			return usage_error(
			    "--max-slowdown",
			    "'%s': want a percentage in [0, 1000], e.g. 25%%; 0: off", arg);
		cfg->max_slowdown = v / 100;
		cfg->max_slowdown_given = true;
		return 0;
	}
	case OPT_INFLIGHT:
		rc = parse_long(arg, 1, CB_MAX_TASKS, &cfg->inflight);
		if (rc)
			return usage_error("--inflight", "'%s': %s; want 1..%ld tasks per loop",
			                   arg, range_why(rc), CB_MAX_TASKS);
		return 0;
	case OPT_BASELINE:
		return parse_baseline(arg, cfg);
	case OPT_COST:
		cfg->cost_metrics = true;
		return 0;
	case OPT_INJECT:
		if (inject_parse(arg))
			return usage_error("--inject",
			                   "'%s': want KIND@TASK[,…] with KIND kill, segv, hang "
			                   "or fail, or slow=PCT%%",
			                   arg);
		return 0;
	case 'q':
		cb_verbosity = -1;
		return 0;
	case 'v':
		cb_verbosity = 1;
		return 0;
	}
	return EXIT_USAGE;
}

int options_parse(int argc, char **argv, struct cb_config *cfg)
{
	struct option longopts[ARRAY_SIZE(core_opts) + MAX_WL_OPTS + 1];
	char bad[64];
	size_t k = 0;
	int c, rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->runs = 5;
	cfg->warmup = 1;
	cfg->seed = 1;
	cfg->switch_interval_s = 5e-3;
	cfg->transport = "shm";
	cfg->max_time_s = 600;
	cfg->min_rep_time_s = CB_MIN_REP_TIME_S;
	cfg->modes = MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS) |
	             (gil_available ? MODE_BIT(MODE_GIL) : 0);
	cfg->workers[0] = cpus_available();
	cfg->nworkers = 1;
	parse_workloads("cpu", cfg->wl, CB_MAX_SELECTED, &cfg->nwl, bad, sizeof(bad));

	collect_wl_opts();
	for (size_t i = 0; i < ARRAY_SIZE(core_opts); i++)
		longopts[k++] = core_opts[i].o;
	for (unsigned i = 0; i < n_wl_opts; i++)
		longopts[k++] = (struct option){wl_opts[i]->name,
		                                wl_opts[i]->arg ? required_argument : no_argument,
		                                NULL, OPT_WL_BASE + (int)i};
	longopts[k] = (struct option){0};

	opterr = 0;
	optind = 0; /* glibc: full re-initialisation, so parsing twice works */
	while ((c = getopt_long(argc, argv, ":m:w:j:t:s:r:qvhV", longopts, NULL)) != -1) {
		const char *opt = argv[optind - 1];

		if (c == 'h') {
			options_usage();
			return -1;
		}
		if (c == 'V') {
			printf("concbench %s\n", CONCBENCH_VERSION);
			return -1;
		}
		if (c == '?') {
			if (optopt)
				return usage_error("option", "'-%c': unknown option; see --help",
				                   optopt);
			return usage_error("option", "'%s': unknown option; see --help", opt);
		}
		if (c == ':')
			return usage_error("option", "'%s': needs a value", opt);
		if (c >= OPT_WL_BASE) {
			unsigned i = (unsigned)(c - OPT_WL_BASE);

			wl_vals[i] = optarg;
			wl_set[i] = true;
			if (n_wl_occ == MAX_WL_OCC) {
				char name[80];

				snprintf(name, sizeof(name), "--%s", wl_opts[i]->name);
				return usage_error(
				    name, "workload options given more than %d times", MAX_WL_OCC);
			}
			wl_occ[n_wl_occ++] = (typeof(wl_occ[0])){i, optarg};
			continue;
		}
		rc = apply_core(c, optarg, cfg);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return usage_error("argument", "'%s': unexpected; see --help", argv[optind]);
	if (!cfg->max_slowdown_given)
		cfg->max_slowdown = cfg->precision > 0 ? NOISE_SLOW_CPU : 0;
	return 0;
}
