/* output.c - the raw CSV rows (one column per schema.h entry, libcsv quoting)
 * and writing them (and --json) to a path through the safe writer. */
#include "output.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/safeio.h"
#include "../base/util.h"

/* Each put_* writes one field's value; output_csv() writes the separators. */
static void put_str(FILE *f, const char *s)
{
	csv_fwrite(f, s, strlen(s));
}

/* A count that may be absent (-1): empty, never a made-up 0. */
static void put_count(FILE *f, int64_t v)
{
	if (v >= 0)
		fprintf(f, "%lld", (long long)v);
}

static void put_num(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.9g", v);
}

static void put_long(FILE *f, long v)
{
	fprintf(f, "%ld", v);
}

/* A GIL counter: empty outside mode gil, where there is no GIL to count. */
static void put_gil_count(FILE *f, bool gil, uint64_t v)
{
	if (gil)
		put_long(f, (long)v);
}

static void put_metrics(FILE *f, const struct cb_metrics *m)
{
	char buf[1024];
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < m->n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s=%.9g", i ? ";" : "",
		                      m->name[i], m->value[i]);
	put_str(f, buf);
}

/* The workload options given on the command line for w, `name=value;…` in
 * its declaration order (a flag: its name; a repeatable option: each value;
 * another given twice: the last, the one that ran).
 * Part of the cell identity (runner/analysis/cell.h); defaults are left out,
 * so a new option or default does not unmatch the cells of older runs. */
static void put_params(FILE *f, const struct workload *w)
{
	char buf[4096];
	size_t o = 0;

	buf[0] = '\0';
	for (const struct wl_option *opt = w->options; opt && opt->name; opt++) {
		const char *v;

		if (!cb_opt_flag(opt->name))
			continue;
		if (!opt->arg) {
			o += (size_t)snprintf(buf + o, o < sizeof(buf) ? sizeof(buf) - o : 0,
			                      "%s%s", o ? ";" : "", opt->name);
			continue;
		}
		for (unsigned k = 0;; k++) {
			if (opt->repeatable)
				v = cb_opt_nth(opt->name, k);
			else
				v = k ? NULL : cb_opt_str(opt->name);
			if (!v)
				break;
			o += (size_t)snprintf(buf + o, o < sizeof(buf) ? sizeof(buf) - o : 0,
			                      "%s%s=%s", o ? ";" : "", opt->name, v);
		}
		if (o >= sizeof(buf))
			break;
	}
	put_str(f, buf);
}

/* The value of column `col` for one rep (no separator). */
static void put_column(FILE *f, enum csv_col col, const struct run *r, const struct cell *c,
                       const struct rep_row *row)
{
	const struct machine *m = &r->machine;
	const struct workload *w = c->wl;
	bool gil = c->mode == MODE_GIL;
	char sum[24], buf[512];

	switch (col) {
	case CSV_COL_SCHEMA_VERSION:
		fprintf(f, "%d", CSV_SCHEMA_VERSION);
		break;
	case CSV_COL_RUN_ID:
		put_str(f, r->run_id);
		break;
	case CSV_COL_TIMESTAMP:
		put_str(f, row->timestamp);
		break;
	case CSV_COL_HOST:
		put_str(f, m->host);
		break;
	case CSV_COL_CPUS:
		put_long(f, m->cpus_affinity);
		break;
	case CSV_COL_WORKLOAD:
		put_str(f, w->name);
		break;
	case CSV_COL_MODE:
		put_str(f, mode_names[c->mode]);
		break;
	case CSV_COL_WORKERS:
		put_long(f, c->workers);
		break;
	case CSV_COL_TASKS:
		put_long(f, c->ntasks);
		break;
	case CSV_COL_SIZE:
		put_long(f, c->size);
		break;
	case CSV_COL_REP:
		put_long(f, row->rep);
		break;
	case CSV_COL_WALL_S:
		put_num(f, row->wall_s);
		break;
	case CSV_COL_USER_S:
		put_num(f, row->user_s);
		break;
	case CSV_COL_SYS_S:
		put_num(f, row->sys_s);
		break;
	case CSV_COL_CPU_UTIL:
		put_num(f, row->cpu_util);
		break;
	case CSV_COL_NVCSW:
		put_long(f, row->nvcsw);
		break;
	case CSV_COL_NIVCSW:
		put_long(f, row->nivcsw);
		break;
	case CSV_COL_MAX_RSS_KB:
		put_long(f, row->max_rss_kb);
		break;
	case CSV_COL_STARTUP_S:
		put_num(f, row->startup_s);
		break;
	case CSV_COL_OPS:
		put_num(f, row->ops);
		break;
	case CSV_COL_OPS_PER_S:
		put_num(f, row->ops_per_s);
		break;
	case CSV_COL_TASK_P50_S:
		put_num(f, row->task_p50_s);
		break;
	case CSV_COL_TASK_P99_S:
		put_num(f, row->task_p99_s);
		break;
	case CSV_COL_GIL_WAIT_S:
		put_num(f, gil ? row->gil.wait_s : NAN);
		break;
	case CSV_COL_GIL_SWITCHES:
		put_gil_count(f, gil, row->gil.switches);
		break;
	case CSV_COL_CHECKSUM:
		snprintf(sum, sizeof(sum), "%016llx", (unsigned long long)row->checksum);
		put_str(f, sum);
		break;
	case CSV_COL_VERIFIED:
		put_long(f, row->status == REP_OK);
		break;
	case CSV_COL_VERSION:
		put_str(f, m->version);
		break;
	case CSV_COL_GIT_REV:
		put_str(f, m->git_rev);
		break;
	case CSV_COL_STATUS:
		put_str(f, rep_status_names[row->status]);
		break;
	case CSV_COL_ERROR:
		put_str(f, row->error);
		break;
	case CSV_COL_OPS_UNIT:
		put_str(f, w->ops_unit ? w->ops_unit : "");
		break;
	case CSV_COL_METRICS:
		put_metrics(f, &row->metrics);
		break;
	case CSV_COL_GIL_FORCED_DROPS:
		put_gil_count(f, gil, row->gil.forced_drops);
		break;
	case CSV_COL_GIL_DROP_REQUESTS:
		put_gil_count(f, gil, row->gil.drop_requests);
		break;
	case CSV_COL_GIL_WAIT_P50_S:
		put_num(f, gil ? row->gil.wait_p50_s : NAN);
		break;
	case CSV_COL_GIL_WAIT_P99_S:
		put_num(f, gil ? row->gil.wait_p99_s : NAN);
		break;
	case CSV_COL_BASELINE:
		put_long(f, c->implicit);
		break;
	case CSV_COL_SEED:
		fprintf(f, "%llu", (unsigned long long)r->cfg.seed);
		break;
	case CSV_COL_PIN:
		put_str(f, pin_names[r->cfg.pin]);
		break;
	case CSV_COL_SWITCH_INTERVAL_S:
		put_num(f, gil ? r->cfg.switch_interval_s : NAN);
		break;
	case CSV_COL_TRANSPORT:
		put_str(f, c->mode == MODE_PROCS ? r->cfg.transport : "");
		break;
	case CSV_COL_RUNQ_S:
		put_num(f, row->mech.runq_s);
		break;
	case CSV_COL_RUNQ_SHARE:
		put_num(f, row->mech.runq_share);
		break;
	case CSV_COL_STEAL_S:
		put_num(f, row->mech.steal_s);
		break;
	case CSV_COL_STEAL_SHARE:
		put_num(f, row->mech.steal_share);
		break;
	case CSV_COL_FOREIGN_SHARE:
		put_num(f, row->mech.foreign_share);
		break;
	case CSV_COL_CPU_SLOWDOWN:
		put_num(f, row->mech.cpu_slowdown);
		break;
	case CSV_COL_NOISY:
		put_str(f, row->mech.noisy ? row->mech.noisy : "");
		break;
	case CSV_COL_DISCARDED:
		put_long(f, row->mech.discarded);
		break;
	case CSV_COL_BUSY_S:
		put_num(f, row->mech.busy_s);
		break;
	case CSV_COL_IMBALANCE_S:
		put_num(f, row->mech.imbalance_s);
		break;
	case CSV_COL_TAIL_SPAN_S:
		put_num(f, row->mech.tail_span_s);
		break;
	case CSV_COL_DISPATCH_S:
		put_num(f, row->mech.dispatch_s);
		break;
	case CSV_COL_WORKER_RUN_S:
		put_num(f, row->mech.run_s);
		break;
	case CSV_COL_WORKER_USER_S:
		put_num(f, row->mech.user_s);
		break;
	case CSV_COL_WORKER_SYS_S:
		put_num(f, row->mech.sys_s);
		break;
	case CSV_COL_WORKER_NVCSW:
		put_count(f, row->mech.nvcsw);
		break;
	case CSV_COL_WORKER_NIVCSW:
		put_count(f, row->mech.nivcsw);
		break;
	case CSV_COL_MINFLT:
		put_count(f, row->mech.minflt);
		break;
	case CSV_COL_MAJFLT:
		put_count(f, row->mech.majflt);
		break;
	case CSV_COL_MIGRATIONS:
		put_count(f, row->mech.migrations);
		break;
	case CSV_COL_INSTRUCTIONS:
		put_count(f, row->mech.instructions);
		break;
	case CSV_COL_CYCLES:
		put_count(f, row->mech.cycles);
		break;
	case CSV_COL_CACHE_MISSES:
		put_count(f, row->mech.cache_misses);
		break;
	case CSV_COL_MECH_SRC:
		put_str(f, row->mech.src ? row->mech.src : "");
		break;
	case CSV_COL_CPU_MODEL:
		put_str(f, m->cpu_model);
		break;
	case CSV_COL_CPUS_ONLINE:
		put_long(f, m->cpus_online);
		break;
	case CSV_COL_CGROUP_CPUS:
		put_str(f, m->cgroup_cpus);
		break;
	case CSV_COL_KERNEL:
		put_str(f, m->kernel);
		break;
	case CSV_COL_COMPILER:
		put_str(f, m->compiler);
		break;
	case CSV_COL_CFLAGS:
		put_str(f, m->cflags);
		break;
	case CSV_COL_LOADAVG:
		put_num(f, row->loadavg);
		break;
	case CSV_COL_LOADAVG_START:
		put_num(f, m->load_start);
		break;
	case CSV_COL_LOADAVG_END:
		fprintf(f, "%.2f", r->load_end);
		break;
	case CSV_COL_KIND:
		put_str(f, w->kind == KIND_BENCH ? CSV_KIND_BENCH : CSV_KIND_WORKLOAD);
		break;
	case CSV_COL_COLD_S:
		put_num(f, row->cold_s);
		break;
	case CSV_COL_WORKER_CPUS:
		put_str(f, row->worker_cpus);
		break;
	case CSV_COL_CPU_CHANGES:
		put_long(f, row->cpu_changes);
		break;
	case CSV_COL_CPU_SPEED_START:
	case CSV_COL_CPU_SPEED_END:
		cpucal_format(col == CSV_COL_CPU_SPEED_START ? &m->cal_start : &m->cal_end, buf,
		              sizeof(buf));
		put_str(f, buf);
		break;
	case CSV_COL_SYS_CHECKS:
		machine_checks_summary(m, buf, sizeof(buf));
		put_str(f, buf);
		break;
	case CSV_COL_PRECISION_TARGET:
		put_num(f, r->cfg.precision > 0 ? r->cfg.precision : NAN);
		break;
	case CSV_COL_CELL_REPS:
		put_long(f, (long)c->wall.n); /* the reps in its figures */
		break;
	case CSV_COL_PRECISION_REACHED:
		put_num(f, c->halfwidth);
		break;
	case CSV_COL_PRECISION_MET:
		if (c->prec == PREC_MET || c->prec == PREC_BUDGET)
			put_long(f, c->prec == PREC_MET);
		break;
	case CSV_COL_MIN_REP_TIME_S:
		put_num(f, c->calibrated ? r->cfg.min_rep_time_s : NAN);
		break;
	case CSV_COL_PARAMS:
		put_params(f, w);
		break;
	case CSV_NCOLS:
		break;
	}
}

int output_csv(FILE *f, const struct run *r)
{
	for (int k = 0; k < CSV_NCOLS; k++)
		fprintf(f, "%s%c", csv_schema[k].name, k + 1 < CSV_NCOLS ? ',' : '\n');
	for (unsigned i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];

		for (unsigned k = 0; k < c->nrows; k++)
			for (int col = 0; col < CSV_NCOLS; col++) {
				put_column(f, (enum csv_col)col, r, c, &c->rows[k]);
				fputc(col + 1 < CSV_NCOLS ? ',' : '\n', f);
			}
	}
	return ferror(f) ? -EIO : 0;
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

int output_path_check(const char *what, const char *path, int made_default)
{
	char dir[4096];
	int rc;

	if (made_default && mkdir("results", 0777) && errno != EEXIST) {
		cb_errorf(what, "results: cannot create directory: %s", strerror(errno));
		return EXIT_USAGE;
	}
	rc = safe_out_check(path, dir, sizeof(dir));
	if (rc == -ENOENT || rc == -ENOTDIR)
		cb_errorf(what, "%s: directory %s does not exist", path, dir);
	else if (rc == -EACCES || rc == -EROFS || rc == -EPERM)
		cb_errorf(what, "%s: directory %s is not writable: %s", path, dir, strerror(-rc));
	else if (rc == -EISDIR)
		cb_errorf(what, "%s: is a directory", path);
	else if (rc)
		cb_errorf(what, "%s: %s", path, safe_strerror(rc));
	return rc ? EXIT_USAGE : 0;
}

struct run_writer {
	int (*write)(FILE *, const struct run *);
	const struct run *r;
};

static int write_run(FILE *f, void *arg)
{
	const struct run_writer *w = arg;

	return w->write(f, w->r);
}

int output_file(const char *path, const char *what, int (*write)(FILE *, const struct run *),
                const struct run *r)
{
	struct run_writer w = {write, r};
	int rc = safe_write_file(path, write_run, &w);

	if (!rc)
		return 0;
	cb_errorf(what, "%s: %s", path, safe_strerror(rc));
	return EXIT_CHECK;
}

int output_csv_file(const char *path, const struct run *r)
{
	return output_file(path, "--csv", output_csv, r);
}
