/* output.c - table and CSV output. CSV quoting is libcsv's. */
#include "output.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/util.h"

const char *const csv_columns[] = {
    /* the schema of DESIGN.md, in its order */
    "schema_version", "run_id", "timestamp", "host", "cpus", "workload", "mode", "workers", "tasks",
    "size", "rep", "wall_s", "user_s", "sys_s", "cpu_util", "nvcsw", "nivcsw", "max_rss_kb",
    "startup_s", "ops", "ops_per_s", "task_p50_s", "task_p99_s", "gil_wait_s", "gil_switches",
    "checksum", "verified", "version", "git_rev",
    /* added columns (results/README.md) */
    "status", "error", "ops_unit", "metrics", "gil_forced_drops", "gil_drop_requests",
    "gil_wait_p50_s", "gil_wait_p99_s", "baseline", "seed", "pin", "switch_interval_s", "transport",
    "cold_s", "cpu_model", "cpus_online", "cgroup_cpus", "kernel", "compiler", "cflags", "loadavg",
    "loadavg_start", "loadavg_end", "worker_cpus", "migrations", "cpu_speed_start", "cpu_speed_end",
    "sys_checks", "precision_target", "cell_reps", "precision_reached", "precision_met",
    "min_rep_time_s", NULL};

static void put_str(FILE *f, const char *s, bool last)
{
	csv_fwrite(f, s, strlen(s));
	fputc(last ? '\n' : ',', f);
}

static void put_num(FILE *f, double v)
{
	if (isnan(v))
		fputs(",", f);
	else
		fprintf(f, "%.9g,", v);
}

static void put_long(FILE *f, long v)
{
	fprintf(f, "%ld,", v);
}

/* A GIL counter: empty outside mode gil, where there is no GIL to count. */
static void put_gil_count(FILE *f, bool gil, uint64_t v)
{
	if (gil)
		put_long(f, (long)v);
	else
		fputs(",", f);
}

static void put_metrics(FILE *f, const struct cb_metrics *m)
{
	char buf[1024];
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < m->n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s=%.9g", i ? ";" : "",
		                      m->name[i], m->value[i]);
	put_str(f, buf, false);
}

int output_csv(FILE *f, const struct run *r)
{
	const struct machine *m = &r->machine;
	char cal0[512], cal1[512], checks[512];

	cpucal_format(&m->cal_start, cal0, sizeof(cal0));
	cpucal_format(&m->cal_end, cal1, sizeof(cal1));
	machine_checks_summary(m, checks, sizeof(checks));
	for (const char *const *c = csv_columns; *c; c++)
		fprintf(f, "%s%c", *c, c[1] ? ',' : '\n');
	for (unsigned i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		const struct workload *w = c->inst->wl;

		for (unsigned k = 0; k < c->nrows; k++) {
			const struct rep_row *row = &c->rows[k];
			char sum[24];

			snprintf(sum, sizeof(sum), "%016llx", (unsigned long long)row->checksum);
			fprintf(f, "%d,", CSV_SCHEMA_VERSION);
			put_str(f, r->run_id, false);
			put_str(f, row->timestamp, false);
			put_str(f, m->host, false);
			put_long(f, m->cpus_affinity);
			put_str(f, w->name, false);
			put_str(f, mode_names[c->mode], false);
			put_long(f, c->workers);
			put_long(f, c->ntasks);
			put_long(f, c->inst->ctx.size);
			put_long(f, row->rep);
			put_num(f, row->wall_s);
			put_num(f, row->user_s);
			put_num(f, row->sys_s);
			put_num(f, row->cpu_util);
			put_long(f, row->nvcsw);
			put_long(f, row->nivcsw);
			put_long(f, row->max_rss_kb);
			put_num(f, row->startup_s);
			put_num(f, row->ops);
			put_num(f, row->ops_per_s);
			put_num(f, row->task_p50_s);
			put_num(f, row->task_p99_s);
			put_num(f, c->mode == MODE_GIL ? row->gil.wait_s : NAN);
			put_gil_count(f, c->mode == MODE_GIL, row->gil.switches);
			put_str(f, sum, false);
			put_long(f, row->status == REP_OK);
			put_str(f, m->version, false);
			put_str(f, m->git_rev, false);
			put_str(f, rep_status_names[row->status], false);
			put_str(f, row->error, false);
			put_str(f, w->ops_unit ? w->ops_unit : "", false);
			put_metrics(f, &row->metrics);
			put_gil_count(f, c->mode == MODE_GIL, row->gil.forced_drops);
			put_gil_count(f, c->mode == MODE_GIL, row->gil.drop_requests);
			put_num(f, c->mode == MODE_GIL ? row->gil.wait_p50_s : NAN);
			put_num(f, c->mode == MODE_GIL ? row->gil.wait_p99_s : NAN);
			put_long(f, c->implicit);
			fprintf(f, "%llu,", (unsigned long long)r->cfg.seed);
			put_str(f, pin_names[r->cfg.pin], false);
			put_num(f, c->mode == MODE_GIL ? r->cfg.switch_interval_s : NAN);
			put_str(f, c->mode == MODE_PROCS ? r->cfg.transport : "", false);
			put_num(f, row->cold_s);
			put_str(f, m->cpu_model, false);
			put_long(f, m->cpus_online);
			put_str(f, m->cgroup_cpus, false);
			put_str(f, m->kernel, false);
			put_str(f, m->compiler, false);
			put_str(f, m->cflags, false);
			put_num(f, row->loadavg);
			put_num(f, m->load_start);
			fprintf(f, "%.2f,", r->load_end);
			put_str(f, row->worker_cpus, false);
			put_long(f, row->migrations);
			put_str(f, cal0, false);
			put_str(f, cal1, false);
			put_str(f, checks, false);
			put_num(f, r->cfg.precision > 0 ? r->cfg.precision : NAN);
			put_long(f, c->nrows);
			put_num(f, c->halfwidth);
			if (c->prec == PREC_MET || c->prec == PREC_BUDGET)
				fprintf(f, "%d,", c->prec == PREC_MET);
			else
				fputs(",", f);
			if (engine_scales_sizes(&r->cfg))
				fprintf(f, "%.9g\n", r->cfg.min_rep_time_s);
			else
				fputs("\n", f);
		}
	}
	return ferror(f) ? -EIO : 0;
}

const char *output_verdict(const struct cell *c)
{
	if (c->nrows == 0)
		return c->failed ? "FAILED" : "-";
	for (unsigned k = 0; k < c->nrows; k++) {
		if (c->rows[k].status == REP_TIMEOUT)
			return "TIMEOUT";
		if (c->rows[k].status == REP_FAILED)
			return "FAILED";
		if (c->rows[k].status != REP_OK)
			return "NO";
	}
	return c->failed ? "FAILED" : "yes";
}

void output_cell_text(const struct cell *c, bool unicode, struct cell_text *t)
{
	const struct summary *s = &c->wall;
	size_t o = 0;

	memset(t, 0, sizeof(*t));
	fmt_seconds(t->median, sizeof(t->median), s->median);
	strcpy(t->spread, "-");
	strcpy(t->speedup, "-");
	strcpy(t->eff, "-");
	strcpy(t->cpu, "-");
	if (!isnan(stats_rel_halfwidth(s)))
		snprintf(t->spread, sizeof(t->spread), "%.1f%%", 100 * stats_rel_halfwidth(s));
	if (!isnan(c->speedup))
		snprintf(t->speedup, sizeof(t->speedup),
		         unicode ? "%.2f× [%.2f–%.2f]" : "%.2fx [%.2f-%.2f]", c->speedup,
		         c->speedup_lo, c->speedup_hi);
	if (!isnan(c->efficiency))
		snprintf(t->eff, sizeof(t->eff), "%.2f", c->efficiency);
	if (!isnan(c->cpu_util))
		snprintf(t->cpu, sizeof(t->cpu), "%.0f", 100 * c->cpu_util);
	if (c->implicit)
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o, "baseline ");
	if (c->prec == PREC_MET)
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o, "precise(%u reps) ",
		                      c->nrows);
	else if (c->prec == PREC_BUDGET)
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o,
		                      "IMPRECISE(out of budget, %u reps) ", c->nrows);
	if (is_noisy(s))
		o += (size_t)snprintf(t->notes + o, sizeof(t->notes) - o, "noisy(cv=%.0f%%) ",
		                      100 * s->cv);
	if (c->nrows && c->rows[c->nrows - 1].metrics.n && o < sizeof(t->notes)) {
		const struct cb_metrics *m = &c->rows[c->nrows - 1].metrics;

		snprintf(t->notes + o, sizeof(t->notes) - o, "%s=%.6g", m->name[0], m->value[0]);
	}
	t->verdict = output_verdict(c);
}

void output_table(FILE *f, const struct run *r)
{
	fprintf(f, "%-18s %-15s %7s %7s %10s %8s %18s %5s %5s %-8s %s\n", "workload", "mode",
	        "workers", "tasks", "median", "±spread", "speedup [95% CI]", "eff", "cpu%",
	        "verified", "notes");
	for (unsigned i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		struct cell_text t;

		output_cell_text(c, false, &t);
		fprintf(f, "%-18s %-15s %7u %7u %10s %8s %18s %5s %5s %-8s %s\n", c->inst->wl->name,
		        mode_names[c->mode], c->workers, c->ntasks, t.median, t.spread, t.speedup,
		        t.eff, t.cpu, t.verdict, t.notes);
	}
	output_machine_notes(f, r);
}

/* --min-rep-time: the size each workload ran at, and what it was scaled from. */
static void size_notes(FILE *f, const struct run *r)
{
	const char *sep = "";
	char t[24];

	if (!engine_scales_sizes(&r->cfg))
		return;
	fprintf(f, "sizes for a seq rep of at least %s (--min-rep-time):",
	        fmt_seconds(t, sizeof(t), r->cfg.min_rep_time_s));
	for (unsigned i = 0; i < r->ninst; i++) {
		const struct instance *in = &r->inst[i];
		bool seen = false;

		for (unsigned j = 0; j < i; j++)
			seen |= r->inst[j].wl == in->wl;
		if (seen)
			continue;
		if (in->size_from != in->ctx.size)
			fprintf(f, "%s %s %ld (from %ld)", sep, in->wl->name, in->ctx.size,
			        in->size_from);
		else
			fprintf(f, "%s %s %ld", sep, in->wl->name, in->ctx.size);
		sep = ",";
	}
	fputs("\n", f);
}

/* --precision: how many cells reached the target, and which did not. */
static void precision_notes(FILE *f, const struct run *r)
{
	unsigned met = 0, missed = 0;

	if (!(r->cfg.precision > 0))
		return;
	for (unsigned i = 0; i < r->ncells; i++) {
		met += r->cells[i].prec == PREC_MET;
		missed += r->cells[i].prec == PREC_BUDGET;
	}
	fprintf(f,
	        "precision %g%%: %u of %u cells within it after %u rounds in %.1f s (budget %g s)",
	        100 * r->cfg.precision, met, met + missed, r->rounds - (unsigned)r->cfg.warmup,
	        r->elapsed_s, r->cfg.max_time_s);
	fputs(missed ? "; not within it:" : "\n", f);
	for (unsigned i = 0, k = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];

		if (c->prec != PREC_BUDGET)
			continue;
		fprintf(f, "%s %s %s/%u ±%.1f%% (%u reps)", k++ ? "," : "", c->inst->wl->name,
		        mode_names[c->mode], c->workers, 100 * c->halfwidth, c->nrows);
	}
	if (missed)
		fputs("\n", f);
}

void output_machine_notes(FILE *f, const struct run *r)
{
	char msg[1024];
	unsigned warn = machine_warnings(&r->machine);

	precision_notes(f, r);
	size_notes(f, r);
	if (machine_cpu_warning(&r->machine, msg, sizeof(msg)))
		fprintf(f, "warning: %s\n", msg);
	if (r->cfg.pin == PIN_NONE && placement_has_smt())
		fprintf(f, "note: unpinned on a machine with SMT: two workers may share a core "
		           "(--pin=spread or --pin=compact decides)\n");
	if (warn) {
		machine_checks_summary(&r->machine, msg, sizeof(msg));
		fprintf(f, "note: %u system check(s) WARN (%s): see concbench sysinfo --check\n",
		        warn, msg);
	}
}

void output_default_path(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf, len, "results/concbench-%s-%d.csv", stamp, (int)getpid());
}

static void dir_of(const char *path, char *buf, size_t len)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(buf, len, "%s", dirname(tmp));
}

int output_path_check(const char *what, const char *path, int made_default)
{
	char dir[4096];
	struct stat st;

	dir_of(path, dir, sizeof(dir));
	if (made_default && mkdir(dir, 0777) && errno != EEXIST) {
		cb_errorf(what, "%s: cannot create directory: %s", dir, strerror(errno));
		return EXIT_USAGE;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		cb_errorf(what, "%s: directory %s does not exist", path, dir);
		return EXIT_USAGE;
	}
	if (access(dir, W_OK)) {
		cb_errorf(what, "%s: directory %s is not writable: %s", path, dir, strerror(errno));
		return EXIT_USAGE;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		cb_errorf(what, "%s: is a directory", path);
		return EXIT_USAGE;
	}
	return 0;
}

int output_file(const char *path, const char *what, int (*write)(FILE *, const struct run *),
                const struct run *r)
{
	char tmp[4200];
	FILE *f;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		cb_errorf(what, "%s: %s", path, strerror(errno));
		return EXIT_CHECK;
	}
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	rc = write(f, r);
	if ((fflush(f) || fsync(fileno(f))) && !rc)
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (!rc)
		return 0;
fail:
	unlink(tmp);
	cb_errorf(what, "%s: %s", path, strerror(-rc));
	return EXIT_CHECK;
}

int output_csv_file(const char *path, const struct run *r)
{
	return output_file(path, "--csv", output_csv, r);
}
