/* export.c - Google Benchmark JSON and markdown exports of a run. */
#include "export.h"

#include "output.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/util.h"

static void bench_name(char *buf, size_t len, const struct cell *c)
{
	snprintf(buf, len, "%s/mode:%s/workers:%u", c->wl->name, mode_names[c->mode], c->workers);
}

/* Fields every row of a cell shares. */
static void row_head(FILE *f, const struct cell *c, const char *name, const char *run_name,
                     unsigned family, unsigned instance)
{
	fprintf(f, "    {\n      \"name\": ");
	json_str(f, name);
	fprintf(f,
	        ",\n      \"family_index\": %u,\n      \"per_family_instance_index\": %u,\n"
	        "      \"run_name\": ",
	        family, instance);
	json_str(f, run_name);
	/* the reps written: those set aside (--max-steal, --max-slowdown) are not */
	fprintf(f, ",\n      \"repetitions\": %u,\n      \"threads\": %u,\n",
	        c->nrows - c->ndiscarded, c->workers);
}

static void stat4(const double *x, size_t n, double out[4])
{
	double *s = malloc((n + 1) * sizeof(*s));
	struct summary sum;

	out[0] = out[1] = out[2] = out[3] = NAN;
	if (!s)
		return;
	memcpy(s, x, n * sizeof(*s));
	stats_summarize(s, n, &sum);
	out[0] = sum.mean;
	out[1] = sum.median;
	out[2] = sum.stddev;
	out[3] = sum.cv;
	free(s);
}

/* The cell's efficiency budget (base/budget.h) as counters of its median
 * aggregate: budget_eff and budget_<part> shares; nothing when the rows
 * have no mechanism figures. */
static void write_budget(FILE *f, const struct cell *c, long cpus)
{
	struct budget b;

	if (output_cell_budget(c, cpus, &b))
		return;
	fprintf(f, ",\n      \"budget_eff\": ");
	json_num(f, b.eff);
	for (int i = 0; i < BUDGET_NPARTS; i++) {
		fprintf(f, ",\n      \"budget_%s\": ", budget_part_keys[i]);
		json_num(f, b.part[i]);
	}
}

/* Beside the median aggregate: the median's interval and the speedup with
 * its interval, each with its achieved confidence (stats.h). */
static void median_extras(FILE *f, const struct cell *c)
{
	static const char *const names[] = {
	    "real_time_ci_low", "real_time_ci_high", "real_time_ci_confidence", "speedup",
	    "speedup_ci_low",   "speedup_ci_high",   "speedup_ci_confidence"};
	double v[] = {c->wall.ci_lo * 1e6, c->wall.ci_hi * 1e6, c->wall.ci_conf, c->speedup,
	              c->speedup_lo,       c->speedup_hi,       c->speedup_conf};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		fprintf(f, ",\n      \"%s\": ", names[i]);
		json_num(f, v[i]);
	}
	fprintf(f, ",\n      \"speedup_of\": \"%s\"",
	        c->wl->kind == KIND_BENCH ? "items_per_second" : "real_time");
}

static void write_aggregates(FILE *f, const struct cell *c, long cpus, const char *name,
                             unsigned family, unsigned instance, bool *first)
{
	static const char *const agg[4] = {"mean", "median", "stddev", "cv"};
	double *w = calloc(c->nrows + 1, sizeof(*w)), *cpu = calloc(c->nrows + 1, sizeof(*cpu));
	double sw[4], sc[4];
	size_t n = 0;
	char aname[300];

	if (!w || !cpu)
		goto out;
	for (unsigned k = 0; k < c->nrows; k++) {
		if (c->rows[k].status != REP_OK || c->rows[k].mech.discarded)
			continue;
		w[n] = c->rows[k].wall_s * 1e6;
		cpu[n++] = (c->rows[k].user_s + c->rows[k].sys_s) * 1e6;
	}
	if (!n)
		goto out;
	stat4(w, n, sw);
	stat4(cpu, n, sc);
	for (int a = 0; a < 4; a++) {
		snprintf(aname, sizeof(aname), "%s_%s", name, agg[a]);
		fputs(*first ? "" : ",\n", f);
		*first = false;
		row_head(f, c, aname, name, family, instance);
		fprintf(f,
		        "      \"run_type\": \"aggregate\",\n      \"aggregate_name\": \"%s\",\n"
		        "      \"aggregate_unit\": \"%s\",\n      \"iterations\": %zu,\n"
		        "      \"real_time\": ",
		        agg[a], a == 3 ? "percentage" : "time", n);
		json_num(f, sw[a]);
		fprintf(f, ",\n      \"cpu_time\": ");
		json_num(f, sc[a]);
		fprintf(f, ",\n      \"time_unit\": \"us\"");
		if (a == 1) {
			median_extras(f, c);
			write_budget(f, c, cpus);
		}
		fprintf(f, "\n    }");
	}
out:
	free(w);
	free(cpu);
}

int export_json(FILE *f, const struct run *r)
{
	const struct machine *m = &r->machine;
	char date[40], name[256];
	struct tm tm;
	time_t now = time(NULL);
	bool first = true;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	fprintf(f, "{\n  \"context\": {\n    \"date\": \"%s\",\n    \"host_name\": ", date);
	json_str(f, m->host);
	fprintf(f,
	        ",\n    \"executable\": \"concbench\",\n    \"num_cpus\": %u,\n"
	        "    \"mhz_per_cpu\": 0,\n    \"cpu_scaling_enabled\": false,\n"
	        "    \"caches\": [],\n    \"load_avg\": [",
	        m->cpus_affinity);
	json_num(f, m->load_start);
	fprintf(f, "],\n    \"library_build_type\": \"release\",\n    \"concbench_version\": ");
	json_str(f, m->version);
	fprintf(f, ",\n    \"git_rev\": ");
	json_str(f, m->git_rev);
	fprintf(f, ",\n    \"run_id\": ");
	json_str(f, r->run_id);
	fprintf(f, ",\n    \"cpu_model\": ");
	json_str(f, m->cpu_model);
	fprintf(f, ",\n    \"cpus_online\": %u,\n    \"cgroup_cpus\": ", m->cpus_online);
	json_str(f, m->cgroup_cpus);
	fprintf(f, ",\n    \"kernel\": ");
	json_str(f, m->kernel);
	fprintf(f, ",\n    \"compiler\": ");
	json_str(f, m->compiler);
	fprintf(f, ",\n    \"cflags\": ");
	json_str(f, m->cflags);
	fprintf(f, "\n  },\n  \"benchmarks\": [\n");
	for (unsigned i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		unsigned family = c->inst_index, instance = 0;

		for (unsigned k = 0; k < i; k++)
			instance += r->cells[k].inst_index == c->inst_index;
		bench_name(name, sizeof(name), c);
		for (unsigned k = 0; k < c->nrows; k++) {
			const struct rep_row *row = &c->rows[k];

			if (row->mech.discarded)
				continue;
			fputs(first ? "" : ",\n", f);
			first = false;
			row_head(f, c, name, name, family, instance);
			fprintf(f,
			        "      \"run_type\": \"iteration\",\n"
			        "      \"repetition_index\": %u,\n      \"iterations\": 1,\n"
			        "      \"real_time\": ",
			        row->rep);
			json_num(f, row->wall_s * 1e6);
			fprintf(f, ",\n      \"cpu_time\": ");
			json_num(f, (row->user_s + row->sys_s) * 1e6);
			fprintf(f, ",\n      \"time_unit\": \"us\",\n      \"items_per_second\": ");
			json_num(f, row->ops_per_s);
			fprintf(f, ",\n      \"verified\": %d", row->status == REP_OK);
			for (unsigned q = 0; q < row->metrics.n; q++) {
				fprintf(f, ",\n      ");
				json_str(f, row->metrics.name[q]);
				fprintf(f, ": ");
				json_num(f, row->metrics.value[q]);
			}
			if (row->status != REP_OK) {
				fprintf(f, ",\n      \"error_occurred\": true,\n      "
				           "\"error_message\": ");
				json_str(f, row->error[0] ? row->error
				                          : rep_status_names[row->status]);
			}
			fprintf(f, "\n    }");
		}
		write_aggregates(f, c, r->machine.cpus_affinity, name, family, instance, &first);
	}
	fprintf(f, "\n  ]");
	if (r->fits_json)
		fprintf(f, ",\n  \"scaling_fits\": %s", r->fits_json);
	fprintf(f, "\n}\n");
	return ferror(f) ? -EIO : 0;
}

int export_json_file(const char *path, const struct run *r)
{
	return output_file(path, "--json", export_json, r);
}

void export_markdown(FILE *f, const struct run *r)
{
	char note[512];

	fprintf(f, "| workload | mode | workers | tasks | median | ±spread | speedup [CI] | eff "
	           "| cpu%% | verified | notes |\n"
	           "|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|\n");
	for (unsigned i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		struct cell_text t;

		output_cell_text(c, true, &t);
		fprintf(f, "| %s | %s | %u | %u | %s | %s | %s | %s | %s | %s | %s |\n",
		        c->wl->name, mode_names[c->mode], c->workers, c->ntasks, t.median, t.spread,
		        t.speedup, t.eff, t.cpu, t.verdict, t.notes);
	}
	output_interval_note(r, true, note, sizeof(note));
	if (*note)
		fprintf(f, "\nIntervals: %s\n", note);
}
