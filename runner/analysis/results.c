/* results.c - the typed, validated rows of concbench result files
 * (csvread.h: struct cb_results): the schema's types and version checks,
 * interned strings, metric look-ups. Read through the streaming core. */
#include "csvread.h"
#include "csvstream.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../out/schema.h"
#include "../base/config.h"
#include "../base/safeio.h"
#include "../base/util.h"

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
	C_PIN,
	C_SWITCH,
	C_TRANSPORT,
	C_PARAMS,
	C_DISCARDED,
	C_RUNQ,
	C_STEAL,
	C_NOISY,
	C_BUSY,
	C_IMBALANCE,
	C_DISPATCH,
	C_WUSER,
	C_WSYS,
	C_PREC_TARGET,
	C_MIN_REP,
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
    [C_PIN] = {CSV_COL_PIN, false},
    [C_SWITCH] = {CSV_COL_SWITCH_INTERVAL_S, false},
    [C_TRANSPORT] = {CSV_COL_TRANSPORT, false},
    [C_PARAMS] = {CSV_COL_PARAMS, false},
    [C_DISCARDED] = {CSV_COL_DISCARDED, false},
    [C_RUNQ] = {CSV_COL_RUNQ_S, false},
    [C_STEAL] = {CSV_COL_STEAL_S, false},
    [C_NOISY] = {CSV_COL_NOISY, false},
    [C_BUSY] = {CSV_COL_BUSY_S, false},
    [C_IMBALANCE] = {CSV_COL_IMBALANCE_S, false},
    [C_DISPATCH] = {CSV_COL_DISPATCH_S, false},
    [C_WUSER] = {CSV_COL_WORKER_USER_S, false},
    [C_WSYS] = {CSV_COL_WORKER_SYS_S, false},
    [C_PREC_TARGET] = {CSV_COL_PRECISION_TARGET, false},
    [C_MIN_REP] = {CSV_COL_MIN_REP_TIME_S, false},
};

#define SPEC_NAME(c) (csv_schema[specs[c].col].name)
#define SPEC_TYPE(c) (csv_schema[specs[c].col].type)

/* ---- interned strings: one copy of each distinct value ---- */

struct cb_strpool {
	const char **slot; /* open addressing, power-of-two size */
	size_t nslot, used;
	char *chunk; /* current arena chunk; the first word links the previous one */
	char *next; /* free space in chunk */
	size_t left;
};

static uint64_t str_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static const char *pool_intern(struct cb_strpool *p, const char *s)
{
	size_t n = strlen(s), i;
	char *copy;

	if (p->used * 2 >= p->nslot) {
		size_t ns = p->nslot ? 2 * p->nslot : 1024;
		const char **slot = calloc(ns, sizeof(*slot));

		if (!slot)
			return NULL;
		for (size_t k = 0; k < p->nslot; k++) {
			if (!p->slot[k])
				continue;
			i = str_hash(p->slot[k], strlen(p->slot[k])) & (ns - 1);
			while (slot[i])
				i = (i + 1) & (ns - 1);
			slot[i] = p->slot[k];
		}
		free(p->slot);
		p->slot = slot;
		p->nslot = ns;
	}
	i = str_hash(s, n) & (p->nslot - 1);
	for (; p->slot[i]; i = (i + 1) & (p->nslot - 1))
		if (strcmp(p->slot[i], s) == 0)
			return p->slot[i];
	if (n + 1 > p->left) {
		size_t sz = n + 1 + sizeof(char *) > 65536 ? n + 1 + sizeof(char *) : 65536;
		char *c = malloc(sz);

		if (!c)
			return NULL;
		memcpy(c, &p->chunk, sizeof(char *));
		p->chunk = c;
		p->next = c + sizeof(char *);
		p->left = sz - sizeof(char *);
	}
	copy = p->next;
	memcpy(copy, s, n + 1);
	p->next += n + 1;
	p->left -= n + 1;
	p->slot[i] = copy;
	p->used++;
	return copy;
}

static void pool_free(struct cb_strpool *p)
{
	if (!p)
		return;
	while (p->chunk) {
		char *prev;

		memcpy(&prev, p->chunk, sizeof(char *));
		free(p->chunk);
		p->chunk = prev;
	}
	free(p->slot);
	free(p);
}

/* ---- typed rows ---- */

static int fail(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int o = snprintf(err, errlen, "%s:%u: ", name, line);

	if (o >= 0 && (size_t)o < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + o, errlen - (size_t)o, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Check field v of a column of this type; fill the typed value. */
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

/* Loading one file into a cb_results: its header, then row by row. */
struct results_build {
	struct cb_results *res;
	const char *name;
	int idx[C__COUNT];
	bool header;
	unsigned ncols;
	size_t n0; /* res->n before this file */
	const char *last[11]; /* the interned strings of the previous row */
	int want_spec; /* the typed column that is also `want`, or -1 */
};

static int add_header(struct results_build *b, char **f, unsigned n, char *err, size_t errlen)
{
	struct cb_results *res = b->res;
	struct cb_source *src, *tables;
	int want = -1;

	b->header = true;
	b->ncols = n;
	for (int c = 0; c < C__COUNT; c++)
		b->idx[c] = -1;
	for (unsigned i = 0; i < n; i++) {
		for (int c = 0; c < C__COUNT; c++)
			if (b->idx[c] < 0 && strcmp(f[i], SPEC_NAME(c)) == 0)
				b->idx[c] = (int)i;
		if (want < 0 && res->want && strcmp(f[i], res->want) == 0)
			want = (int)i;
	}
	if (b->idx[C_SCHEMA] < 0) {
		fail(err, errlen, b->name, 1,
		     "not a concbench CSV: the header has no schema_version column");
		return -ENOMSG; /* results_add_table says -EINVAL */
	}
	for (int c = 0; c < C__COUNT; c++)
		if (b->idx[c] < 0 && specs[c].required)
			return fail(err, errlen, b->name, 1, "missing column '%s'", SPEC_NAME(c));
	if (!res->pool && !(res->pool = calloc(1, sizeof(*res->pool))))
		goto nomem;
	tables = realloc(res->tables, (res->ntables + 1) * sizeof(*tables));
	if (!tables)
		goto nomem;
	res->tables = tables;
	src = &res->tables[res->ntables];
	memset(src, 0, sizeof(*src));
	src->name = strdup(b->name);
	src->cols = csv_copy_fields(f, n);
	if (!src->name || !src->cols) {
		free(src->name);
		free(src->cols);
		goto nomem;
	}
	src->ncols = n;
	src->want_col = want;
	b->want_spec = -1;
	for (int c = 0; c < C__COUNT; c++)
		if (want >= 0 && b->idx[c] == want &&
		    (SPEC_TYPE(c) == COL_NUM || SPEC_TYPE(c) == COL_NUM_OPT))
			b->want_spec = c; /* parsed once, as that column */
	b->name = src->name;
	res->ntables++;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", b->name);
	return -ENOMEM;
}

static int add_row(void *ctx, char **f, unsigned n, unsigned line, char *err, size_t errlen)
{
	struct results_build *b = ctx;
	struct cb_results *res = b->res;
	const struct cb_source *src;
	const char *s[C__COUNT];
	long l[C__COUNT];
	double d[C__COUNT], want = NAN;
	struct cb_rec *r;

	if (!b->header)
		return add_header(b, f, n, err, errlen);
	src = &res->tables[res->ntables - 1];
	if (n != b->ncols)
		return fail(err, errlen, b->name, line,
		            "%u fields, but the header has %u (ragged row)", n, b->ncols);
	for (int c = 0; c < C__COUNT; c++) {
		s[c] = b->idx[c] >= 0 ? f[b->idx[c]] : "";
		l[c] = 0;
		d[c] = NAN;
		if (b->idx[c] < 0)
			continue;
		if (check_field(SPEC_TYPE(c), s[c], &l[c], &d[c]))
			return fail(err, errlen, b->name, line, "column %s: '%.40s' is not %s",
			            SPEC_NAME(c), s[c], type_name(SPEC_TYPE(c)));
	}
	if (l[C_SCHEMA] < 1 || l[C_SCHEMA] > CSV_SCHEMA_VERSION)
		return fail(err, errlen, b->name, line,
		            "schema_version %ld; this concbench reads schema_version 1 to %d",
		            l[C_SCHEMA], CSV_SCHEMA_VERSION);
	if (b->idx[C_KIND] >= 0 && strcmp(s[C_KIND], CSV_KIND_BENCH) != 0 &&
	    strcmp(s[C_KIND], CSV_KIND_WORKLOAD) != 0)
		return fail(err, errlen, b->name, line, "column kind: '%.40s' is not %s or %s",
		            s[C_KIND], CSV_KIND_WORKLOAD, CSV_KIND_BENCH);
	if (l[C_WORKERS] < 1)
		return fail(err, errlen, b->name, line,
		            "column workers: %ld is not a positive count", l[C_WORKERS]);
	if (!*s[C_WORKLOAD] || !*s[C_MODE])
		return fail(err, errlen, b->name, line, "empty workload or mode");
	if (d[C_WALL] < 0)
		return fail(err, errlen, b->name, line, "column wall_s: negative time");
	if (b->want_spec >= 0)
		want = d[b->want_spec];
	else if (src->want_col >= 0 && *f[src->want_col] &&
	         csv_parse_double(f[src->want_col], &want))
		return fail(err, errlen, b->name, line, "column %s: '%.40s' is not a number",
		            res->want, f[src->want_col]);
	if (res->n == res->cap) {
		size_t cap = res->cap ? 2 * res->cap : 1024;
		struct cb_rec *p = realloc(res->rec, cap * sizeof(*p));

		if (!p)
			goto nomem;
		res->rec = p;
		res->cap = cap;
	}
	r = &res->rec[res->n];
	*r = (struct cb_rec){
	    .file = b->name,
	    .line = line,
	    .cpus = l[C_CPUS],
	    .workers = l[C_WORKERS],
	    .tasks = l[C_TASKS],
	    .size = l[C_SIZE],
	    .rep = l[C_REP],
	    .pin = b->idx[C_PIN] >= 0 && *s[C_PIN] ? pin_parse(s[C_PIN]) : -1,
	    .verified = l[C_VERIFIED] == 1,
	    .baseline = l[C_BASELINE] == 1,
	    .bench = b->idx[C_KIND] >= 0 && strcmp(s[C_KIND], CSV_KIND_BENCH) == 0,
	    .switch_interval_s = d[C_SWITCH],
	    .wall_s = d[C_WALL],
	    .user_s = d[C_USER],
	    .sys_s = d[C_SYS],
	    .cpu_util = d[C_CPU_UTIL],
	    .gil_wait_s = d[C_GIL_WAIT],
	    .ops_per_s = d[C_OPS_PER_S],
	    .loadavg = d[C_LOADAVG],
	    .precision_target = d[C_PREC_TARGET],
	    .min_rep_time_s = d[C_MIN_REP],
	    .want = want,
	    .table = res->ntables - 1,
	    .mech = {.runq_s = d[C_RUNQ],
	             .steal_s = d[C_STEAL],
	             .busy_s = d[C_BUSY],
	             .imbalance_s = d[C_IMBALANCE],
	             .dispatch_s = d[C_DISPATCH],
	             .worker_user_s = d[C_WUSER],
	             .worker_sys_s = d[C_WSYS],
	             .noisy = *s[C_NOISY] != '\0'},
	};
	/* a rep --max-steal discarded is in the file, not in any figure */
	if (b->idx[C_DISCARDED] >= 0 && l[C_DISCARDED] == 1)
		return 0;
	const char **str[] = {&r->host,    &r->run_id,    &r->workload, &r->mode,
	                      &r->status,  &r->metrics,   &r->ops_unit, &r->cpu_model,
	                      &r->git_rev, &r->transport, &r->params};
	const int col[] = {C_HOST,     C_RUN_ID,    C_WORKLOAD, C_MODE,      C_STATUS, C_METRICS,
	                   C_OPS_UNIT, C_CPU_MODEL, C_GIT_REV,  C_TRANSPORT, C_PARAMS};

	for (size_t i = 0; i < sizeof(col) / sizeof(col[0]); i++) {
		/* rows of a cell repeat most strings: skip the hash then */
		if (b->last[i] && strcmp(b->last[i], s[col[i]]) == 0)
			*str[i] = b->last[i];
		else if (!(*str[i] = b->last[i] = pool_intern(res->pool, s[col[i]])))
			goto nomem;
	}
	res->n++;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", b->name);
	return -ENOMEM;
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
	struct results_build b = {.res = res, .name = t->name, .n0 = res->n};
	unsigned nt0 = res->ntables;
	int rc = add_row(&b, t->cols, t->ncols, 1, err, errlen);

	for (size_t i = 0; !rc && i < t->nrows; i++)
		rc = add_row(&b, t->rows[i], t->ncols, t->line[i], err, errlen);
	if (rc == -ENOMSG)
		rc = -EINVAL;
	if (!rc && b.idx[C_KIND] < 0)
		infer_kind(res->rec + b.n0, res->n - b.n0);
	if (rc) {
		res->n = b.n0;
		while (res->ntables > nt0) {
			res->ntables--;
			free(res->tables[res->ntables].name);
			free(res->tables[res->ntables].cols);
		}
	}
	csv_table_free(t);
	return rc;
}

int results_load(struct cb_results *res, const char *path, char *err, size_t errlen)
{
	struct results_build b = {.res = res, .name = path, .n0 = res->n};
	unsigned nt0 = res->ntables;
	struct parse_state st;
	int rc;

	if (csv_stream_begin(&st, path, add_row, &b, err, errlen)) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	csv_stream_file(&st, path);
	rc = csv_stream_end(&st, b.header);
	if (!rc && b.header && b.idx[C_KIND] < 0)
		infer_kind(res->rec + b.n0, res->n - b.n0);
	if (rc) {
		res->n = b.n0;
		while (res->ntables > nt0) {
			res->ntables--;
			free(res->tables[res->ntables].name);
			free(res->tables[res->ntables].cols);
		}
	}
	return rc;
}

void results_free(struct cb_results *res)
{
	for (unsigned i = 0; i < res->ntables; i++) {
		free(res->tables[i].name);
		free(res->tables[i].cols);
	}
	free(res->tables);
	free(res->rec);
	pool_free(res->pool);
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

/* The typed numeric columns results_value answers from a cb_rec. */
static bool typed_value(const struct cb_rec *r, const char *metric, double *out)
{
	static const struct {
		const char *name;
		size_t off;
	} cols[] = {
	    {"wall_s", offsetof(struct cb_rec, wall_s)},
	    {"user_s", offsetof(struct cb_rec, user_s)},
	    {"sys_s", offsetof(struct cb_rec, sys_s)},
	    {"cpu_util", offsetof(struct cb_rec, cpu_util)},
	    {"gil_wait_s", offsetof(struct cb_rec, gil_wait_s)},
	    {"ops_per_s", offsetof(struct cb_rec, ops_per_s)},
	    {"loadavg", offsetof(struct cb_rec, loadavg)},
	};

	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		if (strcmp(metric, cols[i].name) == 0) {
			memcpy(out, (const char *)r + cols[i].off, sizeof(*out));
			return true;
		}
	}
	return false;
}

static bool source_has_col(const struct cb_source *src, const char *name)
{
	for (unsigned i = 0; i < src->ncols; i++)
		if (strcmp(src->cols[i], name) == 0)
			return true;
	return false;
}

int results_value(const struct cb_results *res, const struct cb_rec *rec, const char *metric,
                  double *out)
{
	const struct cb_source *src = &res->tables[rec->table];
	double v;

	if (res->want && src->want_col >= 0 &&
	    (metric == res->want || strcmp(metric, res->want) == 0)) {
		if (isnan(rec->want))
			return -ENOENT; /* empty: does not apply */
		*out = rec->want;
		return 0;
	}
	if (source_has_col(src, metric)) {
		if (res->want && strcmp(metric, res->want) == 0 && src->want_col >= 0)
			v = rec->want;
		else if (!typed_value(rec, metric, &v))
			return -EINVAL; /* a column not kept: load with want = metric */
		if (isnan(v))
			return -ENOENT; /* empty: does not apply */
		*out = v;
		return 0;
	}
	return metrics_lookup(rec->metrics, metric, out);
}

bool results_has_metric(const struct cb_results *res, const char *metric)
{
	double v;
	bool all = res->ntables > 0;

	for (unsigned i = 0; i < res->ntables; i++)
		if (!source_has_col(&res->tables[i], metric))
			all = false;
	if (all)
		return true;
	for (size_t i = 0; i < res->n; i++)
		if (metrics_lookup(res->rec[i].metrics, metric, &v) != -ENOENT)
			return true;
	return false;
}
