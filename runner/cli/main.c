/* main.c - subcommand dispatch. Every message a user sees about bad input
 * is printed at this boundary or by the parsers it calls. */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "../exec/engine.h"
#include "../out/export.h"
#include "../out/output.h"
#include "registry.h"
#include "../exec/signals.h"
#include "../exec/inject.h"
#include "../base/sysinfo.h"
#include "../out/trace.h"
#include "../base/util.h"
#include "../store/store.h"
#include "../analysis/csvread.h"
#include "../analysis/explain.h"

static unsigned modes_asked(unsigned modes)
{
	unsigned n = 0;

	for (int m = MODE_SEQ + 1; m < MODE__COUNT; m++)
		n += !!(modes & MODE_BIT(m));
	return n;
}

/* The run's rows through the CSV writer and reader into res, for
 * analysis/explain, which reads rows only. 0 or -1. */
static int run_rows(const struct run *r, struct cb_results *res, char **buf)
{
	struct csv_table t = {0};
	char err[256];
	size_t len = 0;
	FILE *m = open_memstream(buf, &len);

	if (!m)
		return -1;
	if (output_csv(m, r) | fclose(m))
		return -1;
	return csv_table_parse("run", *buf, len, &t, err, sizeof(err)) == 0 &&
	               results_add_table(res, &t, err, sizeof(err)) == 0
	           ? 0
	           : -1;
}

/* The answer first, after a multi-mode run's table. Nothing is printed
 * when that fails. */
static void print_answer(const struct run *r)
{
	struct cb_results res = {0};
	char *buf = NULL;

	if (run_rows(r, &res, &buf) == 0)
		explain_answer(stdout, &res);
	results_free(&res);
	free(buf);
}

/* The scaling fits of the run's rows for its JSON (r->fits_json). 0, or
 * EXIT_CHECK after saying why. */
static int fit_for_json(struct run *r)
{
	struct cb_results res = {0};
	struct explain_plan *p = NULL;
	char *buf = NULL, *json = NULL;
	size_t len = 0;
	FILE *m = NULL;
	int rc = run_rows(r, &res, &buf) ||
	         explain_plan_build(&res, &(struct explain_opts){.fits = true}, &p) ||
	         !(m = open_memstream(&json, &len)) || explain_fits_json(m, p, "  ");

	if (m && fclose(m))
		rc = -1;
	explain_plan_free(p);
	results_free(&res);
	free(buf);
	if (rc) {
		free(json);
		cb_errorf("--json", "the scaling fits: out of memory");
		return EXIT_CHECK;
	}
	r->fits_json = json;
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct run r;
	char path[4096];
	const char *csv;
	int rc, vrc;

	memset(&r, 0, sizeof(r));
	rc = options_parse(argc, argv, &r.cfg);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (r.cfg.switch_interval_given && !(r.cfg.modes & MODE_BIT(MODE_GIL)))
		cb_note("--switch-interval has no effect without mode gil");
	csv = r.cfg.csv_path;
	if (r.cfg.db && r.cfg.no_csv) {
		cb_errorf("--db",
		          "needs the CSV file (it stores the rows written there); drop --no-csv");
		return EXIT_USAGE;
	}
	if (!r.cfg.no_csv) {
		if (!csv) {
			output_default_path(path, sizeof(path));
			csv = path;
		}
		rc = output_path_check("--csv", csv, !r.cfg.csv_path);
		if (rc)
			return rc;
	}
	if (r.cfg.json_path && (rc = output_path_check("--json", r.cfg.json_path, 0)))
		return rc;
	if (r.cfg.trace_path && (rc = output_path_check("--trace", r.cfg.trace_path, 0)))
		return rc;
	rc = engine_plan(&r);
	if (rc) {
		engine_free(&r);
		return rc;
	}
	machine_collect(&r.machine);
	snprintf(r.run_id, sizeof(r.run_id), "%ld-%d", (long)time(NULL), (int)getpid());
	vrc = engine_run(&r);
	machine_collect_end(&r.machine);
	if (vrc == ENGINE_INTERRUPTED || cb_interrupted) {
		/* Workers are stopped and reaped; no CSV, not even part of one. */
		trace_finish(&r, false);
		engine_free(&r);
		cb_errorf("run", "interrupted by signal %d; no results written",
		          (int)cb_interrupted);
		return signals_exit_status();
	}
	if (vrc == EXIT_USAGE || vrc < 0) {
		trace_finish(&r, false);
		engine_free(&r);
		return vrc < 0 ? EXIT_CHECK : vrc;
	}

	if ((r.cfg.format == FORMAT_JSON || r.cfg.json_path) && fit_for_json(&r)) {
		trace_finish(&r, false);
		engine_free(&r);
		return EXIT_CHECK;
	}
	if (r.cfg.format == FORMAT_CSV)
		output_csv(stdout, &r);
	else if (r.cfg.format == FORMAT_MARKDOWN)
		export_markdown(stdout, &r);
	else if (r.cfg.format == FORMAT_JSON)
		export_json(stdout, &r);
	else
		output_table(stdout, &r);
	if (r.cfg.format == FORMAT_TABLE && cb_verbosity >= 0 && modes_asked(r.cfg.modes) > 1)
		print_answer(&r);
	fflush(stdout);
	rc = 0;
	if (!r.cfg.no_csv) {
		rc = output_csv_file(csv, &r);
		if (!rc)
			cb_note("raw rows: %s", csv);
	}
	if (!rc && r.cfg.json_path)
		rc = export_json_file(r.cfg.json_path, &r);
	if (trace_finish(&r, !rc) && !rc)
		rc = EXIT_CHECK;
	if (!rc && r.cfg.db)
		rc = store_csv_file(r.cfg.db_url, csv);
	free(r.fits_json);
	engine_free(&r);
	return rc ? rc : vrc;
}

static bool same_family(const char *a, const char *b)
{
	size_t la = strcspn(a, "."), lb = strcspn(b, ".");

	return la == lb && strncmp(a, b, la) == 0;
}

/* Whether an option of this name was already listed for w's family. */
static bool option_listed(const struct workload *const *w, const char *name)
{
	for (const struct workload *const *p = registry; p != w; p++)
		if ((*p)->kind == (*w)->kind && same_family((*p)->name, (*w)->name))
			for (const struct wl_option *o = (*p)->options; o && o->name; o++)
				if (strcmp(o->name, name) == 0)
					return true;
	return false;
}

/* Whether an earlier entry of the registry is of w's family and kind. */
static bool family_listed(const struct workload *const *w)
{
	for (const struct workload *const *p = registry; p != w; p++)
		if ((*p)->kind == (*w)->kind && same_family((*p)->name, (*w)->name))
			return true;
	return false;
}

/* Each family's members together, then the family's options, each once. */
static void list_kind(enum cb_kind kind)
{
	for (const struct workload *const *f = registry; *f; f++) {
		int namelen = (int)strcspn((*f)->name, ".");
		bool any = false;

		if ((*f)->kind != kind || family_listed(f))
			continue;
		for (const struct workload *const *w = f; *w; w++) {
			const struct workload *x = *w;

			if (x->kind != kind || !same_family(x->name, (*f)->name))
				continue;
			printf("  %-20s %s\n", x->name, x->summary);
			printf("  %-20s size: %ld | %ld | %ld %s; tasks: %u%s\n", "", x->sizes[0],
			       x->sizes[1], x->sizes[2], x->size_unit ? x->size_unit : "",
			       x->default_tasks,
			       x->family_default ? "; in the family default" : "");
		}
		for (const struct workload *const *w = f; *w; w++) {
			if ((*w)->kind != kind || !same_family((*w)->name, (*f)->name))
				continue;
			for (const struct wl_option *o = (*w)->options; o && o->name; o++) {
				if (option_listed(w, o->name))
					continue;
				if (!any)
					printf("  %-20s options of %.*s:\n", "", namelen,
					       (*f)->name);
				any = true;
				printf("  %-20s --%s%s%s  %s\n", "", o->name, o->arg ? "=" : "",
				       o->arg ? o->arg : "", o->help);
			}
		}
	}
}

static int cmd_list(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		cb_errorf("list", "'%s': unexpected argument", argv[1]);
		return EXIT_USAGE;
	}
	printf("workloads (tasks; measure: makespan):\n");
	list_kind(KIND_WORKLOAD);
	printf("\nbenches (one body per worker; measure: throughput, latency, correctness):\n");
	list_kind(KIND_BENCH);
	printf("\nmodes:\n");
	for (int m = 0; m < MODE__COUNT; m++)
		if (m != MODE_GIL || gil_available)
			printf("  %-20s %s\n", mode_names[m], mode_summaries[m]);
	printf("  %-20s seq,threads,procs%s\n", "all", gil_available ? ",gil" : "");
	return 0;
}

/* How long sysinfo --check samples the CPUs' probe (cpu_steady). */
#define SYSINFO_STEADY_S 1.0

/* sysinfo [--check [--strict]]: the machine block, or the system checks
 * (exit 1 with --strict when one is WARN). --inject=slowcpu=PCT (testing
 * only) slows every other round of cpu_steady's samples. */
static int cmd_sysinfo(int argc, char **argv)
{
	struct machine m;
	bool check = false, strict = false, inject = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0) {
			check = true;
		} else if (strcmp(argv[i], "--strict") == 0) {
			strict = true;
		} else if (strncmp(argv[i], "--inject=slowcpu=", 17) == 0) {
			if (inject_parse(argv[i] + 9)) {
				cb_errorf("sysinfo", "'%s': want --inject=slowcpu=PCT", argv[i]);
				return EXIT_USAGE;
			}
			inject = true;
		} else {
			cb_errorf("sysinfo", "'%s': unexpected argument; want --check [--strict]",
			          argv[i]);
			return EXIT_USAGE;
		}
	}
	if ((strict || inject) && !check) {
		cb_errorf("sysinfo", "%s: only with --check", strict ? "--strict" : "--inject");
		return EXIT_USAGE;
	}
	machine_collect(&m);
	if (!check) {
		machine_print(stdout, &m);
		return 0;
	}
	machine_check_steady(&m, SYSINFO_STEADY_S, inject ? inject_probe_scale : NULL);
	if (cb_interrupted)
		return EXIT_FAILURE; /* finish() says so, with 128 + the signal */
	machine_checks_print(stdout, &m);
	printf("%u of %u checks WARN%s\n", machine_warnings(&m), m.nchecks,
	       machine_warnings(&m) ? ": each says what to change" : "");
	return strict && machine_warnings(&m) ? EXIT_CHECK : 0;
}

const struct command commands[] = {
    {"run", "run benchmarks (the default subcommand; options below)", cmd_run},
    {"list", "workloads, benches and modes, with one-line summaries", cmd_list},
    {"sysinfo", "the machine block recorded with every result; --check [--strict]: what to tune",
     cmd_sysinfo},
#define COMMAND(name, summary, fn) {name, summary, fn},
#include "commands.def"
#undef COMMAND
    {NULL, NULL, NULL},
};

/* A subcommand interrupted by SIGINT/SIGTERM outside the run's reps (its
 * readers poll cb_interrupted and give up with -EINTR, having removed
 * their temp files and children) ends with the run's status: 128 + signal. */
static int finish(const char *cmd, int rc)
{
	if (!cb_interrupted)
		return rc;
	if (strcmp(cmd, "run") == 0 && rc == signals_exit_status())
		return rc; /* cmd_run said so already */
	cb_errorf(cmd, "interrupted by signal %d; no results written", (int)cb_interrupted);
	return signals_exit_status();
}

int main(int argc, char **argv)
{
	cb_commands = commands;
	if (argc > 1) {
		for (const struct command *c = commands; c->name; c++) {
			if (strcmp(argv[1], c->name) != 0)
				continue;
			if (strcmp(c->name, "serve") != 0) /* serve sets its own */
				signals_install();
			return finish(c->name, c->fn(argc - 1, argv + 1));
		}
	}
	signals_install();
	return finish("run", cmd_run(argc, argv));
}
