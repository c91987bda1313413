/* adapters.c - Google Benchmark and hyperfine JSON in, Bencher BMF and
 * github-action-benchmark JSON out. An import becomes a concbench CSV in
 * memory, read by csvread like any other, so the store has one way in. */
#include "adapters.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "../base/util.h"
#include "store.h"

#define ADAPT_HEADER                                                                               \
	"schema_version,run_id,timestamp,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,"   \
	"user_s,sys_s,cpu_util,verified,git_rev,status,metrics\n"

int adapter_is_json(const char *path)
{
	FILE *f = fopen(path, "r");
	int c = EOF;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF && isspace(c))
		;
	fclose(f);
	return c == '{';
}

static void put_q(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputs("\",", f);
}

static double unit_scale(const char *u)
{
	if (!u || strcmp(u, "ns") == 0)
		return 1e-9;
	if (strcmp(u, "us") == 0)
		return 1e-6;
	if (strcmp(u, "ms") == 0)
		return 1e-3;
	if (strcmp(u, "s") == 0)
		return 1;
	return NAN;
}

/* One rep row of the in-memory CSV. */
static void put_row(FILE *out, const char *run_id, const char *stamp, const char *host,
                    const char *workload, long workers, long rep, double wall, double cpu)
{
	fprintf(out, "1,");
	put_q(out, run_id);
	put_q(out, stamp);
	put_q(out, host);
	fprintf(out, "1,");
	put_q(out, workload);
	fprintf(out, "\"external\",%ld,1,0,%ld,%.9g,", workers, rep, wall);
	if (isfinite(cpu))
		fprintf(out, "%.9g,0,%.6g,", cpu, wall > 0 ? cpu / wall : 0);
	else
		fprintf(out, ",,,");
	fprintf(out, "1,\"\",\"ok\",\"\"\n");
}

static int gbench_rows(json_t *root, FILE *out, const char *run_id, const char *stamp, char *err,
                       size_t errlen, const char *path)
{
	json_t *ctx = json_object_get(root, "context"), *bm = json_object_get(root, "benchmarks");
	const char *host = json_string_value(json_object_get(ctx, "host_name"));
	const char *date = json_string_value(json_object_get(ctx, "date"));
	size_t i, n = 0;
	json_t *b;

	if (!json_is_array(bm)) {
		snprintf(err, errlen, "%s: Google Benchmark JSON without a benchmarks array", path);
		return -EINVAL;
	}
	json_array_foreach(bm, i, b)
	{
		const char *name = json_string_value(json_object_get(b, "run_name"));
		const char *type = json_string_value(json_object_get(b, "run_type"));
		json_t *rt = json_object_get(b, "real_time"), *ct = json_object_get(b, "cpu_time");
		json_t *th = json_object_get(b, "threads"),
		       *ri = json_object_get(b, "repetition_index");
		double sc = unit_scale(json_string_value(json_object_get(b, "time_unit")));
		char wl[1024];

		if (!name)
			name = json_string_value(json_object_get(b, "name"));
		if (type && strcmp(type, "iteration"))
			continue; /* aggregates: mean, median, stddev are not reps */
		if (!name || !json_is_number(rt) || isnan(sc)) {
			snprintf(err, errlen,
			         "%s: benchmark %zu: want a name, real_time and a time_unit", path,
			         i);
			return -EINVAL;
		}
		snprintf(wl, sizeof(wl), "gbench.%s", name);
		put_row(out, run_id, date ? date : stamp, host ? host : "unknown", wl,
		        json_is_integer(th) ? (long)json_integer_value(th) : 1,
		        json_is_integer(ri) ? (long)json_integer_value(ri) : (long)i,
		        json_number_value(rt) * sc,
		        json_is_number(ct) ? json_number_value(ct) * sc : NAN);
		n++;
	}
	if (!n) {
		snprintf(err, errlen, "%s: no iteration results in this Google Benchmark JSON",
		         path);
		return -EINVAL;
	}
	return 0;
}

static int hyperfine_rows(json_t *root, FILE *out, const char *run_id, const char *stamp, char *err,
                          size_t errlen, const char *path)
{
	json_t *res = json_object_get(root, "results"), *r;
	char host[256] = "unknown";
	size_t i, n = 0;

	gethostname(host, sizeof(host) - 1);
	json_array_foreach(res, i, r)
	{
		const char *cmd = json_string_value(json_object_get(r, "command"));
		json_t *times = json_object_get(r, "times"), *t;
		double user = json_number_value(json_object_get(r, "user"));
		double sys = json_number_value(json_object_get(r, "system"));
		char wl[1024];
		size_t k;

		if (!cmd || !json_is_array(times)) {
			snprintf(err, errlen, "%s: result %zu: want a command and times", path, i);
			return -EINVAL;
		}
		snprintf(wl, sizeof(wl), "hyperfine.%s", cmd);
		json_array_foreach(times, k, t)
		{
			if (!json_is_number(t)) {
				snprintf(err, errlen, "%s: result %zu: time %zu is not a number",
				         path, i, k);
				return -EINVAL;
			}
			/* hyperfine keeps user/system as means only */
			put_row(out, run_id, stamp, host, wl, 1, (long)k, json_number_value(t),
			        user + sys);
			n++;
		}
	}
	if (!n) {
		snprintf(err, errlen, "%s: no timings in this hyperfine JSON", path);
		return -EINVAL;
	}
	return 0;
}

int adapter_load_json(const char *path, struct store_input *in, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	char *buf = NULL, run_id[48], hex[33], stamp[32];
	size_t len = 0;
	struct stat st;
	struct tm tm;
	FILE *out;
	int rc;

	if (!root) {
		snprintf(err, errlen, "%s:%d: not JSON: %s", path, je.line, je.text);
		return -EINVAL;
	}
	/* The run id: the file's content, so a second import is the same run. */
	{
		char *dump = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);

		store_hash_hex(dump ? dump : "", dump ? strlen(dump) : 0, hex);
		free(dump);
	}
	if (stat(path, &st))
		st.st_mtime = time(NULL);
	gmtime_r(&st.st_mtime, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	out = open_memstream(&buf, &len);
	if (!out) {
		json_decref(root);
		return -ENOMEM;
	}
	fputs(ADAPT_HEADER, out);
	if (json_is_array(json_object_get(root, "benchmarks"))) {
		snprintf(run_id, sizeof(run_id), "gbench-%.16s", hex);
		rc = gbench_rows(root, out, run_id, stamp, err, errlen, path);
	} else if (json_is_array(json_object_get(root, "results"))) {
		snprintf(run_id, sizeof(run_id), "hyperfine-%.16s", hex);
		rc = hyperfine_rows(root, out, run_id, stamp, err, errlen, path);
	} else {
		snprintf(err, errlen,
		         "%s: JSON, but neither Google Benchmark (benchmarks) nor hyperfine "
		         "(results)",
		         path);
		rc = -EINVAL;
	}
	json_decref(root);
	if (fclose(out) && !rc)
		rc = -ENOMEM;
	if (!rc) {
		struct csv_table t;

		/* twice: the typed reps, and the raw rows the store keeps */
		rc = csv_table_parse(path, buf, len, &t, err, errlen);
		if (!rc)
			rc = results_add_table(&in->res, &t, err, errlen);
		if (!rc)
			rc = csv_table_parse(path, buf, len, &in->raw, err, errlen);
	}
	free(buf);
	return rc;
}

/* ---- export ------------------------------------------------------------- */

struct exp_ctx {
	FILE *f;
	enum adapter_fmt fmt;
	size_t n;
};

static void bench_name(char *buf, size_t len, char **v)
{
	/* workload/mode:M/workers:N, as concbench's Google Benchmark names */
	snprintf(buf, len, "%s/mode:%s/workers:%s", v[0], v[1], v[2]);
}

static int exp_row(void *arg, int n, char **v)
{
	struct exp_ctx *c = arg;
	char name[1024];
	double med, lo, hi;

	if (n < 7 || !v[4])
		return 0;
	bench_name(name, sizeof(name), v);
	med = strtod(v[4], NULL);
	lo = v[5] ? strtod(v[5], NULL) : med;
	hi = v[6] ? strtod(v[6], NULL) : med;
	fputs(c->n++ ? ",\n  " : "\n  ", c->f);
	if (c->fmt == ADAPT_BMF) {
		json_str(c->f, name);
		fprintf(
		    c->f,
		    ": {\"latency\": {\"value\": %.10g, \"lower_value\": %.10g, \"upper_value\": "
		    "%.10g}}",
		    med * 1e9, lo * 1e9, hi * 1e9);
	} else {
		char extra[512];

		snprintf(extra, sizeof(extra),
		         "median of %s reps; 95%% interval %.6g..%.6g s; host %s", v[3], lo, hi,
		         v[7] ? v[7] : "");
		fputs("{\"name\": ", c->f);
		json_str(c->f, name);
		fprintf(
		    c->f,
		    ", \"unit\": \"s\", \"value\": %.6g, \"range\": \"\u00b1%.3g\", \"extra\": ",
		    med, (hi - lo) / 2);
		json_str(c->f, extra);
		fputs("}", c->f);
	}
	return 0;
}

int adapter_export(struct db *db, const char *run_uid, enum adapter_fmt fmt, FILE *f, char *err,
                   size_t errlen)
{
	static const char sql[] =
	    "SELECT c.workload, c.mode, c.workers, m.n, m.median, m.ci_lo, m.ci_hi, c.host "
	    "FROM medians m JOIN cells c ON c.cell_uid = m.cell_uid "
	    "WHERE m.run_uid = ? AND m.metric = 'wall_s' ORDER BY c.workload, c.mode, c.workers";
	struct exp_ctx c = {f, fmt, 0};
	int rc;

	fputs(fmt == ADAPT_BMF ? "{" : "[", f);
	rc = db_query(db, sql, 1, &run_uid, exp_row, &c, err, errlen);
	fputs(fmt == ADAPT_BMF ? "\n}\n" : "\n]\n", f);
	return rc;
}
