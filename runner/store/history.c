/* history.c - `concbench history`: per cell the series of per-run medians
 * ordered by commit, change points (changepoint.c) with their commit range,
 * medians before and after, relative change with a 95% interval and p,
 * and a triage state kept in the store (`history ack|expect ID`). */
#include "history_int.h"
#include "history.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../base/stats.h"
#include "../base/util.h"
#include "store.h"
#include "../analysis/compare.h"

char *hist_dup_str(const char *s)
{
	return strdup(s ? s : "");
}

/* Ids (32 hex digits) to indices: open addressing, for the runs and cells
 * that the medians point to. */
struct idmap {
	const char **key;
	size_t *val, cap; /* cap: a power of 2, at least twice the entries */
};

static int idmap_init(struct idmap *m, size_t n)
{
	m->cap = 16;
	while (m->cap < 2 * n)
		m->cap *= 2;
	m->key = calloc(m->cap, sizeof(*m->key));
	m->val = calloc(m->cap, sizeof(*m->val));
	return m->key && m->val ? 0 : -ENOMEM;
}

static void idmap_free(struct idmap *m)
{
	free(m->key);
	free(m->val);
}

/* The slot of key: where it is, or the empty one where it would go. */
static size_t idmap_slot(const struct idmap *m, const char *key)
{
	size_t i = (size_t)XXH3_64bits(key, strlen(key)) & (m->cap - 1);

	while (m->key[i] && strcmp(m->key[i], key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void idmap_put(struct idmap *m, const char *key, size_t val)
{
	size_t i = idmap_slot(m, key);

	m->key[i] = key;
	m->val[i] = val;
}

static bool idmap_get(const struct idmap *m, const char *key, size_t *val)
{
	size_t i = idmap_slot(m, key);

	if (!m->key[i])
		return false;
	*val = m->val[i];
	return true;
}

/* A point of a cell's series while loading: run index, median, interval. */
struct pt {
	size_t run;
	double v, lo, hi;
};

/* Per cell, its points while loading. */
struct pts {
	struct pt *p;
	size_t n, cap;
};

struct load_ctx {
	struct history *h;
	const struct hist_filter *f;
	size_t cap;
	struct idmap runs, cells;
	struct pts *pts;
	int err;
};

/* Runs in series order: commit time, start, id. */
static int load_run(void *arg, int n, char **v)
{
	struct load_ctx *c = arg;
	struct history *h = c->h;
	struct hist_run *r;

	if (n < 4)
		return c->err = -EINVAL;
	if (c->f->branch && strcmp(c->f->branch, v[2] ? v[2] : ""))
		return 0;
	if (h->nruns == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		struct hist_run *p = realloc(h->runs, nc * sizeof(*p));

		if (!p)
			return c->err = -ENOMEM;
		h->runs = p;
		c->cap = nc;
	}
	r = &h->runs[h->nruns];
	r->uid = hist_dup_str(v[0]);
	r->commit = hist_dup_str(v[1]);
	r->time = v[3] ? atoll(v[3]) : 0;
	if (!r->uid || !r->commit) {
		free(r->uid);
		free(r->commit);
		return c->err = -ENOMEM;
	}
	h->nruns++;
	return 0;
}

/* Cells in the order of the output: host, workload, mode, workers, id. */
static int load_cell(void *arg, int n, char **v)
{
	struct load_ctx *c = arg;
	struct history *h = c->h;
	struct hist_cell *cell;

	if (n < 8)
		return c->err = -EINVAL;
	if (c->f->workload && fnmatch(c->f->workload, v[2], 0))
		return 0;
	if (c->f->host && strcmp(c->f->host, v[1]))
		return 0;
	if (h->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		struct hist_cell *p = realloc(h->cells, nc * sizeof(*p));

		if (!p)
			return c->err = -ENOMEM;
		h->cells = p;
		c->cap = nc;
	}
	cell = &h->cells[h->n++];
	memset(cell, 0, sizeof(*cell));
	cell->uid = hist_dup_str(v[0]);
	cell->host = hist_dup_str(v[1]);
	cell->workload = hist_dup_str(v[2]);
	cell->mode = hist_dup_str(v[3]);
	cell->workers = atol(v[4]);
	cell->tasks = atol(v[5]);
	cell->size = atol(v[6]);
	cell->params = hist_dup_str(v[7]);
	if (!cell->uid || !cell->host || !cell->workload || !cell->mode || !cell->params)
		return c->err = -ENOMEM;
	return 0;
}

/* A median: to its cell's points, if its cell and run are selected. */
static int load_median(void *arg, int n, const struct db_val *v)
{
	struct load_ctx *c = arg;
	size_t ci, ri;
	struct pts *ps;

	if (n < 5 || !v[0].s || !v[1].s)
		return c->err = -EINVAL;
	if (!idmap_get(&c->cells, v[0].s, &ci) || !idmap_get(&c->runs, v[1].s, &ri))
		return 0;
	ps = &c->pts[ci];
	if (ps->n == ps->cap) {
		size_t nc = ps->cap ? 2 * ps->cap : 16;
		struct pt *p = realloc(ps->p, nc * sizeof(*p));

		if (!p)
			return c->err = -ENOMEM;
		ps->p = p;
		ps->cap = nc;
	}
	ps->p[ps->n++] = (struct pt){ri, db_val_num(&v[2]), db_val_num(&v[3]), db_val_num(&v[4])};
	return 0;
}

static int pt_cmp(const void *a, const void *b)
{
	const struct pt *x = a, *y = b;

	return (x->run > y->run) - (x->run < y->run);
}

static void cell_free(struct hist_cell *c)
{
	free(c->uid);
	free(c->host);
	free(c->workload);
	free(c->mode);
	free(c->params);
	free(c->v);
	free(c->lo);
	free(c->hi);
	free(c->commit);
	free(c->run);
	free(c->time);
	free(c->ri);
	free(c->cp);
}

/* Each cell's points in run order into its series; cells without any are
 * dropped. */
static int build_series(struct load_ctx *c)
{
	struct history *h = c->h;
	size_t k = 0;

	for (size_t i = 0; i < h->n; i++) {
		struct hist_cell *cell = &h->cells[i];
		struct pts *ps = &c->pts[i];
		size_t n = ps->n;

		if (!n) {
			cell_free(cell);
			continue;
		}
		qsort(ps->p, n, sizeof(*ps->p), pt_cmp);
		cell->v = malloc(n * sizeof(double));
		cell->lo = malloc(n * sizeof(double));
		cell->hi = malloc(n * sizeof(double));
		cell->commit = malloc(n * sizeof(char *));
		cell->run = malloc(n * sizeof(char *));
		cell->time = malloc(n * sizeof(long long));
		cell->ri = malloc(n * sizeof(size_t));
		cell->n = cell->cap = n;
		h->cells[k++] = *cell;
		if (!cell->v || !cell->lo || !cell->hi || !cell->commit || !cell->run ||
		    !cell->time || !cell->ri) {
			h->n = k; /* cells past k are freed by the caller's history_free */
			for (size_t j = i + 1; j < c->h->n; j++)
				cell_free(&h->cells[j]);
			return -ENOMEM;
		}
		for (size_t j = 0; j < n; j++) {
			const struct hist_run *r = &h->runs[ps->p[j].run];

			cell->v[j] = ps->p[j].v;
			cell->lo[j] = ps->p[j].lo;
			cell->hi[j] = ps->p[j].hi;
			cell->commit[j] = r->commit;
			cell->run[j] = r->uid;
			cell->time[j] = r->time;
			cell->ri[j] = ps->p[j].run;
		}
	}
	h->n = k;
	return 0;
}

int history_load(struct db *db, const struct hist_filter *f, struct history *h, char *err,
                 size_t errlen)
{
	/* Three reads instead of one joined and sorted one: the runs (a
	 * thousand) and cells (hundreds) sorted by the database, the medians
	 * (runs x cells) unsorted, put in order here by the runs' order. */
	static const char runs_sql[] = "SELECT run_uid, git_commit, git_branch, commit_time FROM "
	                               "runs ORDER BY commit_time, started, run_uid";
	static const char cells_sql[] = "SELECT cell_uid, host, workload, mode, workers, tasks, "
	                                "size, params FROM cells ORDER BY host, workload, mode, "
	                                "workers, cell_uid";
	static const char med_sql[] = "SELECT cell_uid, run_uid, median, ci_lo, ci_hi FROM medians "
	                              "WHERE metric = ? AND median IS NOT NULL";
	const char *metric = f->metric ? f->metric : "wall_s";
	struct load_ctx c = {.h = h, .f = f};
	size_t ncells;
	int rc;

	memset(h, 0, sizeof(*h));
	h->metric = metric;
	h->absolute = strcmp(metric, "wall_s") != 0;
	rc = db_query(db, runs_sql, 0, NULL, load_run, &c, err, errlen);
	c.cap = 0;
	if (!rc)
		rc = db_query(db, cells_sql, 0, NULL, load_cell, &c, err, errlen);
	if (!rc && (idmap_init(&c.runs, h->nruns) || idmap_init(&c.cells, h->n) ||
	            !(c.pts = calloc(h->n ? h->n : 1, sizeof(*c.pts)))))
		rc = c.err = -ENOMEM;
	if (!rc) {
		for (size_t i = 0; i < h->nruns; i++)
			idmap_put(&c.runs, h->runs[i].uid, i);
		for (size_t i = 0; i < h->n; i++)
			idmap_put(&c.cells, h->cells[i].uid, i);
		rc = db_query_typed(db, med_sql, 1, &metric, load_median, &c, err, errlen);
	}
	ncells = h->n; /* build_series drops the cells without points */
	if (!rc)
		rc = c.err = build_series(&c);
	for (size_t i = 0; c.pts && i < ncells; i++)
		free(c.pts[i].p);
	free(c.pts);
	idmap_free(&c.runs);
	idmap_free(&c.cells);
	if (rc && c.err) {
		snprintf(err, errlen, "history: %s", strerror(-c.err));
		return c.err;
	}
	return rc;
}

static double median_of(const double *x, size_t n, double *tmp)
{
	memcpy(tmp, x, n * sizeof(*x));
	stats_sort(tmp, n);
	return stats_quantile(tmp, n, 0.5);
}

int history_detect(struct history *h, const struct cp_opts *opts)
{
	struct cp_opts oo = *opts, *o = &oo;

	oo.absolute = h->absolute;
	for (size_t i = 0; i < h->n; i++) {
		struct hist_cell *c = &h->cells[i];
		struct cp_point *pts;
		double *tmp;
		int k;

		c->too_short = c->n < 2 * o->min_seg;
		if (c->too_short)
			continue;
		pts = malloc(c->n * sizeof(*pts));
		tmp = malloc(c->n * sizeof(*tmp));
		c->cp = calloc(c->n, sizeof(*c->cp));
		if (!pts || !tmp || !c->cp) {
			free(pts);
			free(tmp);
			return -ENOMEM;
		}
		k = cp_detect(c->v, c->n, o, pts, c->n);
		for (int j = 0; j < k; j++) {
			struct hist_cp *cp = &c->cp[j];
			size_t a = j ? pts[j - 1].at : 0, t = pts[j].at,
			       b = j + 1 < k ? pts[j + 1].at : c->n;
			double est, lo, hi;
			char key[1024], hex[33];
			int len;

			cp->at = t;
			cp->p = pts[j].p;
			cp->before = median_of(c->v + a, t - a, tmp);
			cp->after = median_of(c->v + t, b - t, tmp);
			if (o->absolute) { /* a fitted parameter: the shift, not a ratio */
				if (hl_shift(c->v + a, t - a, c->v + t, b - t, &est, &lo, &hi)) {
					est = cp->after - cp->before;
					lo = hi = NAN;
				}
				cp->rel = est;
				cp->lo = lo;
				cp->hi = hi;
			} else {
				if (hl_ratio(c->v + a, t - a, c->v + t, b - t, &est, &lo, &hi)) {
					est = cp->after / cp->before;
					lo = hi = NAN;
				}
				cp->rel = est - 1;
				cp->lo = lo - 1;
				cp->hi = hi - 1;
			}
			cp->regression = cp->after > cp->before;
			len = snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%s", c->uid,
			               h->metric ? h->metric : "wall_s", c->commit[t - 1],
			               c->commit[t]);
			store_hash_hex(
			    key, (size_t)len < sizeof(key) ? (size_t)len : sizeof(key) - 1, hex);
			snprintf(cp->id, sizeof(cp->id), "%.12s", hex);
			strcpy(cp->state, "new");
		}
		c->ncp = k < 0 ? 0 : k;
		free(pts);
		free(tmp);
	}
	return 0;
}

struct state_ctx {
	struct hist_cp *cp;
};

static int read_state(void *arg, int n, char **v)
{
	struct state_ctx *s = arg;

	if (n > 0 && v[0])
		snprintf(s->cp->state, sizeof(s->cp->state), "%s", v[0]);
	return 0;
}

int history_triage(struct db *db, struct history *h, double min_change, char *err, size_t errlen)
{
	static const char ins[] =
	    "INSERT INTO changepoints (cp_id, cell_uid, metric, commit_before, commit_after, "
	    "run_after, rel_change, p, state, first_seen) VALUES (?,?,?,?,?,?,?,?,?,?) "
	    "ON CONFLICT (cp_id) DO UPDATE SET rel_change = excluded.rel_change, p = excluded.p";
	static const char fix[] = "UPDATE changepoints SET state = 'fixed' WHERE cp_id = ? AND "
	                          "state IN ('new', 'acknowledged')";
	static const char get[] = "SELECT state FROM changepoints WHERE cp_id = ?";
	int rc = db_begin(db, err, errlen);

	for (size_t i = 0; i < h->n && !rc; i++) {
		struct hist_cell *c = &h->cells[i];

		for (int j = 0; j < c->ncp && !rc; j++) {
			struct hist_cp *cp = &c->cp[j];
			char rel[32], p[32], now[32];
			const char *v[10];
			struct state_ctx s = {cp};

			snprintf(rel, sizeof(rel), "%.17g", cp->rel);
			snprintf(p, sizeof(p), "%.17g", cp->p);
			snprintf(now, sizeof(now), "%lld", c->time[cp->at]);
			v[0] = cp->id;
			v[1] = c->uid;
			v[2] = h->metric ? h->metric : "wall_s";
			v[3] = c->commit[cp->at - 1];
			v[4] = c->commit[cp->at];
			v[5] = c->run[cp->at];
			v[6] = rel;
			v[7] = p;
			v[8] = "new";
			v[9] = now;
			rc = db_query(db, ins, 10, v, NULL, NULL, err, errlen);
			/* A regression that a later change brought back within
			 * min_change of where it started is fixed. */
			for (int k = j + 1; !rc && cp->regression && k < c->ncp; k++)
				if (h->absolute ? c->cp[k].after <= cp->before + min_change
				                : c->cp[k].after <= cp->before * (1 + min_change))
					rc = db_query(db, fix, 1, v, NULL, NULL, err, errlen);
			if (!rc)
				rc = db_query(db, get, 1, v, read_state, &s, err, errlen);
		}
	}
	if (!rc)
		return db_commit(db, err, errlen);
	db_rollback(db);
	return rc;
}

void history_free(struct history *h)
{
	for (size_t i = 0; i < h->n; i++)
		cell_free(&h->cells[i]);
	for (size_t i = 0; i < h->nruns; i++) {
		free(h->runs[i].uid);
		free(h->runs[i].commit);
	}
	free(h->cells);
	free(h->runs);
	memset(h, 0, sizeof(*h));
}
