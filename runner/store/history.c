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

#include "../base/stats.h"
#include "../base/util.h"
#include "store.h"
#include "../analysis/compare.h"

void json_write_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == '<') /* '<': safe inside <script> */
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

struct load_ctx {
	struct history *h;
	const struct hist_filter *f;
	size_t cap;
	int err;
};

char *hist_dup_str(const char *s)
{
	return strdup(s ? s : "");
}

static int load_row(void *arg, int n, char **v)
{
	struct load_ctx *c = arg;
	struct history *h = c->h;
	struct hist_cell *cell;

	if (n < 14)
		return c->err = -EINVAL;
	if (c->f->workload && fnmatch(c->f->workload, v[2], 0))
		return 0;
	if (c->f->host && strcmp(c->f->host, v[1]))
		return 0;
	if (c->f->branch && strcmp(c->f->branch, v[11] ? v[11] : ""))
		return 0;
	cell = h->n ? &h->cells[h->n - 1] : NULL;
	if (!cell || strcmp(cell->uid, v[0])) {
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
	}
	if (cell->n == cell->cap) {
		size_t nc = cell->cap ? 2 * cell->cap : 16;
		double *pv = realloc(cell->v, nc * sizeof(double));
		double *pl = pv ? realloc(cell->lo, nc * sizeof(double)) : NULL;
		double *ph = pl ? realloc(cell->hi, nc * sizeof(double)) : NULL;
		char **pc = ph ? realloc(cell->commit, nc * sizeof(char *)) : NULL;
		char **pr = pc ? realloc(cell->run, nc * sizeof(char *)) : NULL;
		long long *pt = pr ? realloc(cell->time, nc * sizeof(long long)) : NULL;

		if (pv)
			cell->v = pv;
		if (pl)
			cell->lo = pl;
		if (ph)
			cell->hi = ph;
		if (pc)
			cell->commit = pc;
		if (pr)
			cell->run = pr;
		if (pt)
			cell->time = pt;
		if (!pt)
			return c->err = -ENOMEM;
		cell->cap = nc;
	}
	cell->v[cell->n] = strtod(v[10], NULL);
	cell->lo[cell->n] = v[12] ? strtod(v[12], NULL) : NAN;
	cell->hi[cell->n] = v[13] ? strtod(v[13], NULL) : NAN;
	cell->commit[cell->n] = hist_dup_str(v[8]);
	cell->run[cell->n] = hist_dup_str(v[9]);
	cell->time[cell->n] = n > 14 && v[14] ? atoll(v[14]) : 0;
	if (!cell->commit[cell->n] || !cell->run[cell->n])
		return c->err = -ENOMEM;
	cell->n++;
	return 0;
}

int history_load(struct db *db, const struct hist_filter *f, struct history *h, char *err,
                 size_t errlen)
{
	static const char sql[] =
	    "SELECT c.cell_uid, c.host, c.workload, c.mode, c.workers, c.tasks, c.size, c.params, "
	    "r.git_commit, r.run_uid, m.median, r.git_branch, m.ci_lo, m.ci_hi, r.commit_time "
	    "FROM medians m JOIN runs r ON r.run_uid = m.run_uid "
	    "JOIN cells c ON c.cell_uid = m.cell_uid "
	    "WHERE m.metric = ? AND m.median IS NOT NULL "
	    "ORDER BY c.host, c.workload, c.mode, c.workers, c.cell_uid, r.commit_time, "
	    "r.started, r.run_uid";
	const char *metric = "wall_s";
	struct load_ctx c = {h, f, 0, 0};
	int rc;

	memset(h, 0, sizeof(*h));
	rc = db_query(db, sql, 1, &metric, load_row, &c, err, errlen);
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

int history_detect(struct history *h, const struct cp_opts *o)
{
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
			if (hl_ratio(c->v + a, t - a, c->v + t, b - t, &est, &lo, &hi)) {
				est = cp->after / cp->before;
				lo = hi = NAN;
			}
			cp->rel = est - 1;
			cp->lo = lo - 1;
			cp->hi = hi - 1;
			cp->regression = cp->after > cp->before;
			len = snprintf(key, sizeof(key), "%s\x1fwall_s\x1f%s\x1f%s", c->uid,
			               c->commit[t - 1], c->commit[t]);
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
			v[2] = "wall_s";
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
				if (c->cp[k].after <= cp->before * (1 + min_change))
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
	for (size_t i = 0; i < h->n; i++) {
		struct hist_cell *c = &h->cells[i];

		for (size_t k = 0; k < c->n; k++) {
			free(c->commit[k]);
			free(c->run[k]);
		}
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
		free(c->cp);
	}
	free(h->cells);
	memset(h, 0, sizeof(*h));
}
