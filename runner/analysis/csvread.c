/* csvread.c - CSV input for report and compare. Parsing is libcsv's; this
 * file adds line numbers, shape checks and the concbench schema. */
#include "csvread.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../out/schema.h"

struct parse_state {
	struct csv_table *t;
	char **cur; /* fields of the record being read */
	unsigned ncur, capcur;
	size_t caprows;
	unsigned line;
	unsigned last_end; /* line where the last complete record ended */
	int rc; /* first error of a callback */
	char *err;
	size_t errlen;
};

static void set_err(struct parse_state *st, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(struct parse_state *st, int rc, const char *fmt, ...)
{
	va_list ap;
	int o;

	if (st->rc)
		return;
	st->rc = rc;
	o = snprintf(st->err, st->errlen, "%s:%u: ", st->t->name, st->line);
	if (o < 0 || (size_t)o >= st->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(st->err + o, st->errlen - (size_t)o, fmt, ap);
	va_end(ap);
}

static void free_fields(char **f, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(f[i]);
}

static void on_field(void *s, size_t len, void *data)
{
	struct parse_state *st = data;
	char *copy;

	if (st->rc)
		return;
	if (st->ncur == CSVREAD_MAX_COLS) {
		set_err(st, -EINVAL, "more than %d fields", CSVREAD_MAX_COLS);
		return;
	}
	if (st->ncur == st->capcur) {
		unsigned cap = st->capcur ? 2 * st->capcur : 64;
		char **n = realloc(st->cur, cap * sizeof(*n));

		if (!n) {
			set_err(st, -ENOMEM, "out of memory");
			return;
		}
		st->cur = n;
		st->capcur = cap;
	}
	copy = malloc(len + 1);
	if (!copy) {
		set_err(st, -ENOMEM, "out of memory");
		return;
	}
	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
	st->cur[st->ncur++] = copy;
}

static int push_row(struct parse_state *st)
{
	struct csv_table *t = st->t;
	char **row;

	if (t->nrows == st->caprows) {
		size_t cap = st->caprows ? 2 * st->caprows : 256;
		char ***rows = realloc(t->rows, cap * sizeof(*rows));
		unsigned *line;

		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		line = realloc(t->line, cap * sizeof(*line));
		if (!line)
			return -ENOMEM;
		t->line = line;
		st->caprows = cap;
	}
	row = malloc(t->ncols * sizeof(*row));
	if (!row)
		return -ENOMEM;
	memcpy(row, st->cur, t->ncols * sizeof(*row));
	t->rows[t->nrows] = row;
	t->line[t->nrows] = st->line;
	t->nrows++;
	return 0;
}

static void on_record(int c, void *data)
{
	struct parse_state *st = data;
	struct csv_table *t = st->t;

	(void)c;
	st->last_end = st->line;
	if (st->rc)
		goto drop;
	if (!t->cols) {
		t->cols = st->cur;
		t->ncols = st->ncur;
		st->cur = NULL;
		st->ncur = st->capcur = 0;
		return;
	}
	if (st->ncur != t->ncols) {
		set_err(st, -EINVAL, "%u fields, but the header has %u (ragged row)", st->ncur,
		        t->ncols);
		goto drop;
	}
	if (push_row(st)) {
		set_err(st, -ENOMEM, "out of memory");
		goto drop;
	}
	st->ncur = 0;
	return;
drop:
	free_fields(st->cur, st->ncur);
	st->ncur = 0;
}

int csv_table_parse(const char *name, const char *buf, size_t len, struct csv_table *t, char *err,
                    size_t errlen)
{
	struct parse_state st = {.t = t, .line = 1, .err = err, .errlen = errlen};
	struct csv_parser p;
	const char *nul;
	size_t off = 0;

	memset(t, 0, sizeof(*t));
	if (err && errlen)
		err[0] = '\0';
	t->name = strdup(name);
	if (!t->name)
		return -ENOMEM;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI)) {
		free(t->name);
		t->name = NULL;
		return -ENOMEM;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		set_err(&st, -EINVAL,
		        "starts with a UTF-8 byte-order mark; write the file without one");
		goto out;
	}
	nul = memchr(buf, '\0', len);
	/* Feed the parser one line at a time so callbacks know the line. */
	while (off < len && !st.rc) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) + 1 : len - off;

		if (nul && nul < buf + off + n) {
			set_err(&st, -EINVAL, "not CSV: binary data (a NUL byte)");
			break;
		}
		if (csv_parse(&p, buf + off, n, on_field, on_record, &st) != n && !st.rc)
			set_err(&st, -EINVAL, "not CSV: %s", csv_strerror(csv_error(&p)));
		off += n;
		if (nl && !st.rc)
			st.line++;
	}
	if (!st.rc && csv_fini(&p, on_field, on_record, &st) && !st.rc) {
		st.line = st.last_end + 1; /* where the unfinished record began */
		set_err(&st, -EINVAL, "not CSV: %s (an unterminated quote?)",
		        csv_strerror(csv_error(&p)));
	}
	if (!st.rc && !t->cols) {
		st.line = 1;
		set_err(&st, -EINVAL, "empty file: no CSV header");
	}
out:
	csv_free(&p);
	free_fields(st.cur, st.ncur);
	free(st.cur);
	if (st.rc)
		csv_table_free(t);
	return st.rc;
}

int csv_table_read(const char *path, struct csv_table *t, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			char *n;

			cap = cap ? 2 * cap : 65536;
			n = cap > (size_t)CSVREAD_MAX_BYTES ? NULL : realloc(buf, cap);
			if (!n) {
				rc = cap > (size_t)CSVREAD_MAX_BYTES ? -EFBIG : -ENOMEM;
				snprintf(err, errlen, "%s: %s", path, strerror(-rc));
				goto out;
			}
			buf = n;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	rc = csv_table_parse(path, buf ? buf : "", len, t, err, errlen);
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

void csv_table_free(struct csv_table *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		free_fields(t->rows[i], t->ncols);
		free(t->rows[i]);
	}
	if (t->cols)
		free_fields(t->cols, t->ncols);
	free(t->cols);
	free(t->rows);
	free(t->line);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

int csv_table_col(const struct csv_table *t, const char *name)
{
	for (unsigned i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], name) == 0)
			return (int)i;
	return -1;
}

int csv_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

int csv_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno == ERANGE)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Columns report and compare need: which schema column (out/schema.h
 * gives its name and type) and whether a file must have it. */
struct col_spec {
	enum csv_col col;
	bool required;
};

enum {
	C_SCHEMA,
	C_RUN_ID,
	C_HOST,
	C_CPUS,
	C_WORKLOAD,
	C_MODE,
	C_WORKERS,
	C_TASKS,
	C_SIZE,
	C_REP,
	C_WALL,
	C_USER,
	C_SYS,
	C_CPU_UTIL,
	C_VERIFIED,
	C_GIL_WAIT,
	C_OPS_PER_S,
	C_STATUS,
	C_METRICS,
	C_OPS_UNIT,
	C_BASELINE,
	C_CPU_MODEL,
	C_GIT_REV,
	C_LOADAVG,
	C_KIND,
	C__COUNT
};

static const struct col_spec specs[C__COUNT] = {
    [C_SCHEMA] = {CSV_COL_SCHEMA_VERSION, true},
    [C_RUN_ID] = {CSV_COL_RUN_ID, true},
    [C_HOST] = {CSV_COL_HOST, true},
    [C_CPUS] = {CSV_COL_CPUS, true},
    [C_WORKLOAD] = {CSV_COL_WORKLOAD, true},
    [C_MODE] = {CSV_COL_MODE, true},
    [C_WORKERS] = {CSV_COL_WORKERS, true},
    [C_TASKS] = {CSV_COL_TASKS, true},
    [C_SIZE] = {CSV_COL_SIZE, true},
    [C_REP] = {CSV_COL_REP, true},
    [C_WALL] = {CSV_COL_WALL_S, true},
    [C_USER] = {CSV_COL_USER_S, true},
    [C_SYS] = {CSV_COL_SYS_S, true},
    [C_CPU_UTIL] = {CSV_COL_CPU_UTIL, true},
    [C_VERIFIED] = {CSV_COL_VERIFIED, true},
    [C_GIL_WAIT] = {CSV_COL_GIL_WAIT_S, false},
    [C_OPS_PER_S] = {CSV_COL_OPS_PER_S, false},
    [C_STATUS] = {CSV_COL_STATUS, false},
    [C_METRICS] = {CSV_COL_METRICS, false},
    [C_OPS_UNIT] = {CSV_COL_OPS_UNIT, false},
    [C_BASELINE] = {CSV_COL_BASELINE, false},
    [C_CPU_MODEL] = {CSV_COL_CPU_MODEL, false},
    [C_GIT_REV] = {CSV_COL_GIT_REV, false},
    [C_LOADAVG] = {CSV_COL_LOADAVG, false},
    [C_KIND] = {CSV_COL_KIND, false},
};

static int fail(char *err, size_t errlen, const struct csv_table *t, unsigned line, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, const struct csv_table *t, unsigned line, const char *fmt,
                ...)
{
	va_list ap;
	int o = snprintf(err, errlen, "%s:%u: ", t->name, line);

	if (o >= 0 && (size_t)o < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + o, errlen - (size_t)o, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Check field v of column spec s; fill the typed value. */
static int check_field(enum col_type type, const char *v, long *l, double *d)
{
	*d = NAN;
	*l = 0;
	switch (type) {
	case COL_STR:
		return 0;
	case COL_INT:
		return csv_parse_long(v, l);
	case COL_BOOL:
		if (!*v)
			return 0; /* not applicable */
		if (csv_parse_long(v, l) || (*l != 0 && *l != 1))
			return -EINVAL;
		return 0;
	case COL_NUM_OPT:
		if (!*v)
			return 0;
		/* fall through */
	case COL_NUM:
		return csv_parse_double(v, d);
	}
	return -EINVAL;
}

static const char *type_name(enum col_type t)
{
	switch (t) {
	case COL_INT:
		return "a whole number";
	case COL_BOOL:
		return "0 or 1";
	case COL_NUM:
	case COL_NUM_OPT:
		return "a number";
	default:
		return "text";
	}
}

static int fill_rec(struct cb_rec *r, const struct csv_table *t, size_t i, const int *idx,
                    char *err, size_t errlen)
{
	char **row = t->rows[i];
	long l[C__COUNT];
	double d[C__COUNT];
	const char *s[C__COUNT];

	for (int c = 0; c < C__COUNT; c++) {
		s[c] = idx[c] >= 0 ? row[idx[c]] : "";
		l[c] = 0;
		d[c] = NAN;
		if (idx[c] < 0)
			continue;
		if (check_field(csv_schema[specs[c].col].type, s[c], &l[c], &d[c]))
			return fail(err, errlen, t, t->line[i], "column %s: '%.40s' is not %s",
			            csv_schema[specs[c].col].name, s[c],
			            type_name(csv_schema[specs[c].col].type));
	}
	if (l[C_SCHEMA] < 1 || l[C_SCHEMA] > CSV_SCHEMA_VERSION)
		return fail(err, errlen, t, t->line[i],
		            "schema_version %ld; this concbench reads schema_version 1 to %d",
		            l[C_SCHEMA], CSV_SCHEMA_VERSION);
	if (idx[C_KIND] >= 0 && strcmp(s[C_KIND], CSV_KIND_BENCH) != 0 &&
	    strcmp(s[C_KIND], CSV_KIND_WORKLOAD) != 0)
		return fail(err, errlen, t, t->line[i], "column kind: '%.40s' is not %s or %s",
		            s[C_KIND], CSV_KIND_WORKLOAD, CSV_KIND_BENCH);
	if (l[C_WORKERS] < 1)
		return fail(err, errlen, t, t->line[i],
		            "column workers: %ld is not a positive count", l[C_WORKERS]);
	if (!*s[C_WORKLOAD] || !*s[C_MODE])
		return fail(err, errlen, t, t->line[i], "empty workload or mode");
	if (d[C_WALL] < 0)
		return fail(err, errlen, t, t->line[i], "column wall_s: negative time");
	*r = (struct cb_rec){
	    .file = t->name,
	    .line = t->line[i],
	    .host = s[C_HOST],
	    .run_id = s[C_RUN_ID],
	    .workload = s[C_WORKLOAD],
	    .mode = s[C_MODE],
	    .status = s[C_STATUS],
	    .metrics = s[C_METRICS],
	    .ops_unit = s[C_OPS_UNIT],
	    .cpu_model = s[C_CPU_MODEL],
	    .git_rev = s[C_GIT_REV],
	    .cpus = l[C_CPUS],
	    .workers = l[C_WORKERS],
	    .tasks = l[C_TASKS],
	    .size = l[C_SIZE],
	    .rep = l[C_REP],
	    .verified = l[C_VERIFIED] == 1,
	    .baseline = l[C_BASELINE] == 1,
	    .bench = idx[C_KIND] >= 0 && strcmp(s[C_KIND], CSV_KIND_BENCH) == 0,
	    .wall_s = d[C_WALL],
	    .user_s = d[C_USER],
	    .sys_s = d[C_SYS],
	    .cpu_util = d[C_CPU_UTIL],
	    .gil_wait_s = d[C_GIL_WAIT],
	    .ops_per_s = d[C_OPS_PER_S],
	    .loadavg = d[C_LOADAVG],
	    .row = i,
	};
	return 0;
}

/* Schema 1 had no `kind` column: a bench runs one body per worker, so every
 * row of a bench has tasks = workers; a workload with one row where they
 * differ is a workload. */
static void infer_kind(struct cb_rec *rec, size_t n)
{
	enum { MAX_NAMES = 256 };
	const char *name[MAX_NAMES];
	bool bench[MAX_NAMES];
	size_t nn = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < nn && strcmp(name[k], rec[i].workload) != 0)
			k++;
		if (k == nn) {
			if (nn == MAX_NAMES)
				continue; /* more names than any real file: stays a workload */
			name[nn] = rec[i].workload;
			bench[nn++] = true;
		}
		bench[k] = bench[k] && rec[i].tasks == rec[i].workers;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < nn; k++)
			if (strcmp(name[k], rec[i].workload) == 0)
				rec[i].bench = bench[k];
}

int results_add_table(struct cb_results *res, struct csv_table *t, char *err, size_t errlen)
{
	int idx[C__COUNT];
	struct csv_table *tables;
	struct cb_rec *rec;
	size_t n0 = res->n;
	int rc = -EINVAL;

	if (csv_table_col(t, "schema_version") < 0) {
		fail(err, errlen, t, 1,
		     "not a concbench CSV: the header has no schema_version column");
		goto drop;
	}
	for (int c = 0; c < C__COUNT; c++) {
		idx[c] = csv_table_col(t, csv_schema[specs[c].col].name);
		if (idx[c] < 0 && specs[c].required) {
			fail(err, errlen, t, 1, "missing column '%s'",
			     csv_schema[specs[c].col].name);
			goto drop;
		}
	}
	rc = -ENOMEM;
	tables = realloc(res->tables, (res->ntables + 1) * sizeof(*tables));
	if (!tables)
		goto drop;
	res->tables = tables;
	rec = realloc(res->rec, (res->n + t->nrows + 1) * sizeof(*rec));
	if (!rec)
		goto drop;
	res->rec = rec;
	for (size_t i = 0; i < t->nrows; i++) {
		rc = fill_rec(&res->rec[res->n + i], t, i, idx, err, errlen);
		if (rc)
			goto drop;
		res->rec[res->n + i].table = res->ntables;
	}
	if (idx[C_KIND] < 0)
		infer_kind(res->rec + res->n, t->nrows);
	res->n += t->nrows;
	res->tables[res->ntables++] = *t;
	memset(t, 0, sizeof(*t));
	return 0;
drop:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", t->name);
	res->n = n0;
	csv_table_free(t);
	return rc;
}

int results_load(struct cb_results *res, const char *path, char *err, size_t errlen)
{
	struct csv_table t;
	int rc = csv_table_read(path, &t, err, errlen);

	if (rc)
		return rc;
	return results_add_table(res, &t, err, errlen);
}

void results_free(struct cb_results *res)
{
	for (unsigned i = 0; i < res->ntables; i++)
		csv_table_free(&res->tables[i]);
	free(res->tables);
	free(res->rec);
	memset(res, 0, sizeof(*res));
}

/* Find `name=` in a `name=value;name=value` list; parse the value. */
static int metrics_lookup(const char *list, const char *name, double *out)
{
	size_t nl = strlen(name);
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			char buf[64];
			size_t vl = len - nl - 1;

			if (vl >= sizeof(buf))
				return -EINVAL;
			memcpy(buf, p + nl + 1, vl);
			buf[vl] = '\0';
			return csv_parse_double(buf, out);
		}
		p = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

int results_value(const struct cb_results *res, const struct cb_rec *rec, const char *metric,
                  double *out)
{
	const struct csv_table *t = &res->tables[rec->table];
	int c = csv_table_col(t, metric);

	if (c >= 0)
		return *t->rows[rec->row][c] ? csv_parse_double(t->rows[rec->row][c], out)
		                             : -ENOENT; /* empty: does not apply */
	return metrics_lookup(rec->metrics, metric, out);
}

bool results_has_metric(const struct cb_results *res, const char *metric)
{
	double v;
	bool all = res->ntables > 0;

	for (unsigned i = 0; i < res->ntables; i++)
		if (csv_table_col(&res->tables[i], metric) < 0)
			all = false;
	if (all)
		return true;
	for (size_t i = 0; i < res->n; i++)
		if (metrics_lookup(res->rec[i].metrics, metric, &v) != -ENOENT)
			return true;
	return false;
}
