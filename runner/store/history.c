/* history.c - `concbench history`: per cell the series of per-run medians
 * ordered by commit, change points (changepoint.c) with their commit range,
 * medians before and after, relative change with a 95% interval and p,
 * and a triage state kept in the store (`history ack|expect ID`). */
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

static char *dup_str(const char *s)
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
		cell->uid = dup_str(v[0]);
		cell->host = dup_str(v[1]);
		cell->workload = dup_str(v[2]);
		cell->mode = dup_str(v[3]);
		cell->workers = atol(v[4]);
		cell->tasks = atol(v[5]);
		cell->size = atol(v[6]);
		cell->params = dup_str(v[7]);
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
	cell->commit[cell->n] = dup_str(v[8]);
	cell->run[cell->n] = dup_str(v[9]);
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

/* ---- output ---------------------------------------------------------- */

/* compare's default verdict settings (compare --help). */
#define NOISE_THRESHOLD 0.10
#define NOISE_ALPHA 0.01

enum hfmt { H_TABLE, H_MARKDOWN, H_CSV, H_JSON };

static void fmt_pct(char *buf, size_t len, double x)
{
	if (isfinite(x))
		snprintf(buf, len, "%+.1f%%", 100 * x);
	else
		snprintf(buf, len, "?");
}

static void short_commit(char *buf, size_t len, const char *c)
{
	snprintf(buf, len, "%.10s", c);
}

static void print_table(const struct history *h, const struct cp_opts *o, bool md)
{
	const char *hdr = md ? "| id | state | host | workload | mode | workers | runs | commits | "
	                       "before | after | change [95% CI] | p |\n"
	                       "|---|---|---|---|---|---:|---:|---|---:|---:|---|---:|\n"
	                     : NULL;
	size_t ncp = 0, nshort = 0, nquiet = 0;

	if (md)
		fputs(hdr, stdout);
	else
		printf("%-12s %-12s %-10s %-18s %-10s %7s %5s %-23s %10s %10s %-26s %8s\n", "id",
		       "state", "host", "workload", "mode", "workers", "runs", "commits", "before",
		       "after", "change [95% CI]", "p");
	for (size_t i = 0; i < h->n; i++) {
		const struct hist_cell *c = &h->cells[i];

		if (c->too_short || !c->ncp) {
			char why[64];

			if (c->too_short) {
				snprintf(why, sizeof(why), "too short to decide (need %zu runs)",
				         2 * o->min_seg);
				nshort++;
			} else {
				snprintf(why, sizeof(why), "no change point");
				nquiet++;
			}
			if (md)
				printf("| - | - | %s | %s | %s | %ld | %zu | %s | | | | |\n",
				       c->host, c->workload, c->mode, c->workers, c->n, why);
			else
				printf("%-12s %-12s %-10s %-18s %-10s %7ld %5zu %s\n", "-", "-",
				       c->host, c->workload, c->mode, c->workers, c->n, why);
			continue;
		}
		for (int j = 0; j < c->ncp; j++) {
			const struct hist_cp *cp = &c->cp[j];
			char b[24], a[24], r[16], lo[16], hi[16], ch[64], cb[16], ca[16], cm[40];

			fmt_seconds(b, sizeof(b), cp->before);
			fmt_seconds(a, sizeof(a), cp->after);
			fmt_pct(r, sizeof(r), cp->rel);
			fmt_pct(lo, sizeof(lo), cp->lo);
			fmt_pct(hi, sizeof(hi), cp->hi);
			snprintf(ch, sizeof(ch), "%s [%s, %s]", r, lo, hi);
			short_commit(cb, sizeof(cb), c->commit[cp->at - 1]);
			short_commit(ca, sizeof(ca), c->commit[cp->at]);
			snprintf(cm, sizeof(cm), "%s..%s", cb, ca);
			ncp++;
			if (md)
				printf("| %s | %s | %s | %s | %s | %ld | %zu | %s | %s | %s | %s | "
				       "%.2g |\n",
				       cp->id, cp->state, c->host, c->workload, c->mode, c->workers,
				       c->n, cm, b, a, ch, cp->p);
			else
				printf(
				    "%-12s %-12s %-10s %-18s %-10s %7ld %5zu %-23s %10s %10s %-26s "
				    "%8.2g\n",
				    cp->id, cp->state, c->host, c->workload, c->mode, c->workers,
				    c->n, cm, b, a, ch, cp->p);
		}
	}
	printf("%s%zu cells: %zu change points; %zu cells without one; %zu too short to decide "
	       "(fewer than %zu runs). E-divisive means + Welch t-test, alpha %g, minimum "
	       "change %g%%; change = median after / before - 1 with a Hodges-Lehmann 95%% "
	       "interval.\n",
	       "\n", h->n, ncp, nquiet, nshort, 2 * o->min_seg, o->alpha, 100 * o->min_change);
}

static void csv_field(const char *s, bool last)
{
	fputc('"', stdout);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', stdout);
		fputc(*s, stdout);
	}
	fputc('"', stdout);
	fputc(last ? '\n' : ',', stdout);
}

static void print_csv(const struct history *h)
{
	printf("id,state,host,workload,mode,workers,tasks,size,params,runs,commit_before,"
	       "commit_after,before_s,after_s,change,change_lo,change_hi,p,status\n");
	for (size_t i = 0; i < h->n; i++) {
		const struct hist_cell *c = &h->cells[i];
		int k = c->ncp ? c->ncp : 1;

		for (int j = 0; j < k; j++) {
			const struct hist_cp *cp = c->ncp ? &c->cp[j] : NULL;

			csv_field(cp ? cp->id : "", false);
			csv_field(cp ? cp->state : "", false);
			csv_field(c->host, false);
			csv_field(c->workload, false);
			csv_field(c->mode, false);
			printf("%ld,%ld,%ld,", c->workers, c->tasks, c->size);
			csv_field(c->params, false);
			printf("%zu,", c->n);
			if (cp) {
				csv_field(c->commit[cp->at - 1], false);
				csv_field(c->commit[cp->at], false);
				printf("%.9g,%.9g,%.6g,%.6g,%.6g,%.3g,", cp->before, cp->after,
				       cp->rel, cp->lo, cp->hi, cp->p);
				csv_field(cp->regression ? "regression" : "improvement", true);
			} else {
				printf(",,,,,,,,");
				csv_field(c->too_short ? "too-short" : "no-change", true);
			}
		}
	}
}

static void json_num(double x)
{
	if (isfinite(x))
		printf("%.6g", x);
	else
		printf("null");
}

static void print_json(const struct history *h, const struct cp_opts *o)
{
	printf("{\n  \"method\": \"e-divisive means + welch t-test\", \"alpha\": %g, "
	       "\"min_change\": %g, \"min_runs\": %zu,\n  \"cells\": [",
	       o->alpha, o->min_change, 2 * o->min_seg);
	for (size_t i = 0; i < h->n; i++) {
		const struct hist_cell *c = &h->cells[i];

		printf("%s\n    {\"host\": ", i ? "," : "");
		json_write_str(stdout, c->host);
		printf(", \"workload\": ");
		json_write_str(stdout, c->workload);
		printf(", \"mode\": ");
		json_write_str(stdout, c->mode);
		printf(", \"workers\": %ld, \"tasks\": %ld, \"size\": %ld, \"params\": ",
		       c->workers, c->tasks, c->size);
		json_write_str(stdout, c->params);
		printf(", \"runs\": %zu, \"status\": \"%s\", \"change_points\": [", c->n,
		       c->too_short ? "too-short"
		       : c->ncp     ? "changed"
		                    : "no-change");
		for (int j = 0; j < c->ncp; j++) {
			const struct hist_cp *cp = &c->cp[j];

			printf("%s{\"id\": \"%s\", \"state\": \"%s\", \"commit_before\": ",
			       j ? ", " : "", cp->id, cp->state);
			json_write_str(stdout, c->commit[cp->at - 1]);
			printf(", \"commit_after\": ");
			json_write_str(stdout, c->commit[cp->at]);
			printf(", \"index\": %zu, \"before_s\": %.9g, \"after_s\": %.9g, "
			       "\"change\": %.6g, "
			       "\"change_lo\": ",
			       cp->at, cp->before, cp->after, cp->rel);
			json_num(cp->lo);
			printf(", \"change_hi\": ");
			json_num(cp->hi);
			printf(", \"p\": %.3g, \"regression\": %s}", cp->p,
			       cp->regression ? "true" : "false");
		}
		printf("]}");
	}
	printf("\n  ]\n}\n");
}

/* ---- --noise: false alarms on A/A pairs -------------------------------- */

/* The reps of one run of one cell. */
struct aa_run {
	double *x;
	size_t n, cap;
};

/* One (host, cell, binary) group: runs that differ in nothing but time. */
struct aa_group {
	char *host, *workload, *mode, *key, *binary;
	long workers;
	struct aa_run *runs;
	size_t nruns, cap;
	char *last_run;
};

struct aa_set {
	struct aa_group *g;
	size_t n, cap;
	int err;
};

static int aa_row(void *arg, int n, char **v)
{
	struct aa_set *s = arg;
	struct aa_group *g = s->n ? &s->g[s->n - 1] : NULL;
	struct aa_run *r;

	if (n < 8 || !v[7])
		return 0;
	if (!g || strcmp(g->key, v[0]) || strcmp(g->binary, v[5])) {
		if (s->n == s->cap) {
			size_t nc = s->cap ? 2 * s->cap : 64;
			struct aa_group *p = realloc(s->g, nc * sizeof(*p));

			if (!p)
				return s->err = -ENOMEM;
			s->g = p;
			s->cap = nc;
		}
		g = &s->g[s->n++];
		memset(g, 0, sizeof(*g));
		g->key = dup_str(v[0]);
		g->host = dup_str(v[1]);
		g->workload = dup_str(v[2]);
		g->mode = dup_str(v[3]);
		g->workers = atol(v[4]);
		g->binary = dup_str(v[5]);
		if (!g->key || !g->host || !g->workload || !g->mode || !g->binary)
			return s->err = -ENOMEM;
	}
	if (!g->last_run || strcmp(g->last_run, v[6])) {
		if (g->nruns == g->cap) {
			size_t nc = g->cap ? 2 * g->cap : 8;
			struct aa_run *p = realloc(g->runs, nc * sizeof(*p));

			if (!p)
				return s->err = -ENOMEM;
			g->runs = p;
			g->cap = nc;
		}
		memset(&g->runs[g->nruns++], 0, sizeof(*g->runs));
		free(g->last_run);
		if (!(g->last_run = dup_str(v[6])))
			return s->err = -ENOMEM;
	}
	r = &g->runs[g->nruns - 1];
	if (r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 8;
		double *p = realloc(r->x, nc * sizeof(*p));

		if (!p)
			return s->err = -ENOMEM;
		r->x = p;
		r->cap = nc;
	}
	r->x[r->n++] = strtod(v[7], NULL);
	return 0;
}

static void aa_free(struct aa_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct aa_group *g = &s->g[i];

		for (size_t k = 0; k < g->nruns; k++)
			free(g->runs[k].x);
		free(g->runs);
		free(g->key);
		free(g->host);
		free(g->workload);
		free(g->mode);
		free(g->binary);
		free(g->last_run);
	}
	free(s->g);
}

/* Per (host, cell): over consecutive A/A pairs (same binary hash and cell),
 * how often compare's verdict flags a change; over each A/A series, how many
 * change points the detector finds; and the smallest change compare can see
 * at the current rep count: (z(1-alpha/2) + z(0.8)) sqrt(2/n) sigma, sigma
 * the median relative spread of a run's reps (1.4826 MAD / median). */
static int history_noise(struct db *db, const struct hist_filter *f, const struct cp_opts *o,
                         double threshold, double alpha, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT c.cell_uid, c.host, c.workload, c.mode, c.workers, r.binary_hash, r.run_uid, "
	    "p.wall_s FROM reps p JOIN runs r ON r.run_uid = p.run_uid "
	    "JOIN cells c ON c.cell_uid = p.cell_uid WHERE p.verified = 1 "
	    "ORDER BY c.host, c.workload, c.mode, c.workers, c.cell_uid, r.binary_hash, "
	    "r.commit_time, r.started, r.run_uid, p.rep";
	struct aa_set s = {0};
	int rc = db_query(db, sql, 0, NULL, aa_row, &s, err, errlen);
	double z = 2.5758293035489 + 0.8416212335729; /* alpha 0.01 two-sided, power 0.8 */

	if (rc) {
		if (s.err)
			snprintf(err, errlen, "history --noise: %s", strerror(-s.err));
		aa_free(&s);
		return rc;
	}
	printf("%-10s %-18s %-10s %7s %6s %13s %11s %15s\n", "host", "workload", "mode", "workers",
	       "pairs", "compare flags", "cp (series)", "detects >= (n)");
	for (size_t i = 0; i < s.n;) {
		size_t j = i, pairs = 0, flags = 0, series = 0, cps = 0, nsig = 0, nrep = 0;
		double sig[4096];
		struct aa_group *g0 = &s.g[i];

		while (j < s.n && strcmp(s.g[j].key, g0->key) == 0)
			j++;
		if ((f->workload && fnmatch(f->workload, g0->workload, 0)) ||
		    (f->host && strcmp(f->host, g0->host))) {
			i = j;
			continue;
		}
		for (size_t k = i; k < j; k++) {
			struct aa_group *g = &s.g[k];
			double *med = malloc((g->nruns ? g->nruns : 1) * sizeof(double));
			struct cp_point *pts = malloc((g->nruns ? g->nruns : 1) * sizeof(*pts));

			if (!med || !pts) {
				free(med);
				free(pts);
				aa_free(&s);
				snprintf(err, errlen, "history --noise: out of memory");
				return -ENOMEM;
			}
			for (size_t r = 0; r < g->nruns; r++) {
				struct summary sm;
				double *x = g->runs[r].x;
				size_t n = g->runs[r].n;
				struct cmp_stats st;
				char why[256];
				enum cmp_verdict vd;

				if (r + 1 < g->nruns && cmp_compute(x, n, g->runs[r + 1].x,
				                                    g->runs[r + 1].n, &st) == 0) {
					vd = cmp_decide(&st, threshold, alpha, false, why,
					                sizeof(why));
					pairs++;
					flags += vd == CMP_REGRESSION || vd == CMP_IMPROVEMENT;
				}
				stats_summarize(x, n, &sm); /* sorts x: after the pair test */
				med[r] = sm.median;
				if (nsig < ARRAY_SIZE(sig) && sm.median > 0)
					sig[nsig++] = 1.4826 * sm.mad / sm.median;
				nrep += n;
			}
			if (g->nruns >= 2 * o->min_seg) {
				int k2 = cp_detect(med, g->nruns, o, pts, g->nruns);

				series++;
				cps += k2 > 0 ? (size_t)k2 : 0;
			}
			free(med);
			free(pts);
		}
		{
			char fl[32], cp[32], mde[32];
			size_t runs = 0;

			for (size_t k = i; k < j; k++)
				runs += s.g[k].nruns;
			if (pairs)
				snprintf(fl, sizeof(fl), "%zu (%.1f%%)", flags,
				         100.0 * (double)flags / (double)pairs);
			else
				snprintf(fl, sizeof(fl), "-");
			if (series)
				snprintf(cp, sizeof(cp), "%zu (%zu)", cps, series);
			else
				snprintf(cp, sizeof(cp), "- (need %zu)", 2 * o->min_seg);
			if (nsig && runs) {
				double n = (double)nrep / (double)runs;

				stats_sort(sig, nsig);
				snprintf(mde, sizeof(mde), "%.1f%% (%.0f)",
				         100 * z * sqrt(2 / n) * stats_quantile(sig, nsig, 0.5), n);
			} else {
				snprintf(mde, sizeof(mde), "-");
			}
			printf("%-10s %-18s %-10s %7ld %6zu %13s %11s %15s\n", g0->host,
			       g0->workload, g0->mode, g0->workers, pairs, fl, cp, mde);
		}
		i = j;
	}
	printf("\nA/A pairs: consecutive runs of one cell with the same binary hash and "
	       "configuration. compare flags: verdicts regression/improvement at threshold "
	       "%g%%, alpha %g (the observed false-alarm rate). cp: change points found in "
	       "A/A series (every one is false). detects >=: the change compare finds with "
	       "80%% power at alpha 0.01 with n reps per run.\n",
	       100 * threshold, alpha);
	aa_free(&s);
	return 0;
}

/* ---- the command ----------------------------------------------------- */

static void history_usage(void)
{
	printf("usage: concbench history [--db=URL] [--workload=GLOB] [--host=H] [--branch=B]\n"
	       "                         [--alpha=P] [--min-change=PCT] [--min-runs=N]\n"
	       "                         [--format=table|markdown|csv|json] "
	       "[--fail-on=new-regression]\n"
	       "       concbench history ack|expect|new ID [--db=URL]\n"
	       "\n"
	       "Per cell (host, workload, mode, workers, tasks, size, parameters) the series of\n"
	       "per-run median wall times ordered by commit time, and its change points:\n"
	       "E-divisive means places them, Welch's t-test keeps those with p < alpha whose\n"
	       "means differ by at least --min-change (Apache Otava's method). Per change point:\n"
	       "the commit range, medians before and after, the change with a 95%% interval, p,\n"
	       "and its triage state (new, acknowledged, expected, fixed) kept in the store.\n"
	       "A series shorter than 2 x --min-runs/2 runs is reported as too short to decide.\n"
	       "\n"
	       "  --alpha=P            t-test significance (default %g)\n"
	       "  --min-change=PCT     smallest change kept (default %g%%)\n"
	       "  --min-runs=N         fewest runs on each side of a change (default %d)\n"
	       "  --fail-on=new-regression  exit 1 when a regression is in state new\n"
	       "  ack ID               acknowledged: known, being worked on (no longer fails CI)\n"
	       "  expect ID            expected: an intended change (no longer fails CI)\n"
	       "  new ID               back to new\n",
	       CP_DEFAULT_ALPHA, 100 * CP_DEFAULT_MIN_CHANGE, CP_DEFAULT_MIN_SEG);
}

static int set_state(const char *url, const char *id, const char *state)
{
	static const char sql[] = "UPDATE changepoints SET state = ? WHERE cp_id = ?";
	const char *v[2] = {state, id};
	struct db *db = NULL;
	char err[1024];
	int rc = db_open(db_default_url(url), false, &db, err, sizeof(err));

	if (!rc)
		rc = db_begin(db, err, sizeof(err));
	if (!rc) {
		rc = db_query(db, sql, 2, v, NULL, NULL, err, sizeof(err));
		if (!rc && db_changes(db) != 1) {
			snprintf(err, sizeof(err),
			         "'%s': no such change point (see concbench history)", id);
			rc = DB_EINPUT;
		}
		if (!rc)
			rc = db_commit(db, err, sizeof(err));
		else
			db_rollback(db);
	}
	db_close(db);
	if (rc) {
		cb_errorf("history", "%s", err);
		return rc == DB_EINPUT ? EXIT_USAGE : EXIT_CHECK;
	}
	printf("%s: %s\n", id, state);
	return 0;
}

int cmd_history(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"workload", required_argument, NULL, 'w'},
	    {"host", required_argument, NULL, 'H'},
	    {"branch", required_argument, NULL, 'b'},
	    {"alpha", required_argument, NULL, 'a'},
	    {"min-change", required_argument, NULL, 'c'},
	    {"min-runs", required_argument, NULL, 'm'},
	    {"format", required_argument, NULL, 'f'},
	    {"fail-on", required_argument, NULL, 'F'},
	    {"noise", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cp_opts o = {CP_DEFAULT_ALPHA, CP_DEFAULT_MIN_CHANGE, CP_DEFAULT_MIN_SEG};
	struct hist_filter f = {0};
	struct history h = {0};
	struct db *db = NULL;
	enum hfmt fmt = H_TABLE;
	const char *url = NULL, *verb = NULL;
	bool fail_new = false, noise = false;
	char err[1024];
	int c, rc;
	long l;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hw:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			url = optarg;
			break;
		case 'w':
			f.workload = optarg;
			break;
		case 'H':
			f.host = optarg;
			break;
		case 'b':
			f.branch = optarg;
			break;
		case 'a':
			if (csv_parse_double(optarg, &o.alpha) || !(o.alpha > 0 && o.alpha < 1)) {
				cb_errorf("--alpha", "'%s': want a probability in (0, 1)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			if (parse_threshold(optarg, &o.min_change)) {
				cb_errorf("--min-change", "'%s': want a percentage, e.g. 2%%",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			if (csv_parse_long(optarg, &l) || l < 2 || l > 1000) {
				cb_errorf("--min-runs", "'%s': want 2 to 1000", optarg);
				return EXIT_USAGE;
			}
			o.min_seg = (size_t)l;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				fmt = H_TABLE;
			else if (strcmp(optarg, "markdown") == 0 || strcmp(optarg, "md") == 0)
				fmt = H_MARKDOWN;
			else if (strcmp(optarg, "csv") == 0)
				fmt = H_CSV;
			else if (strcmp(optarg, "json") == 0)
				fmt = H_JSON;
			else {
				cb_errorf("--format", "'%s': want table, markdown, csv or json",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		case 'F':
			if (strcmp(optarg, "new-regression")) {
				cb_errorf("--fail-on", "'%s': want new-regression", optarg);
				return EXIT_USAGE;
			}
			fail_new = true;
			break;
		case 'n':
			noise = true;
			break;
		case 'h':
			history_usage();
			return 0;
		default:
			cb_errorf("history", "'%s': unknown option or missing value",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		static const char *const verbs[][2] = {
		    {"ack", "acknowledged"}, {"expect", "expected"}, {"new", "new"}};

		for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
			if (strcmp(argv[optind], verbs[i][0]) == 0)
				verb = verbs[i][1];
		if (!verb || argc - optind != 2) {
			cb_errorf("history", "'%s': want ack ID, expect ID or new ID",
			          argv[optind]);
			return EXIT_USAGE;
		}
		return set_state(url, argv[optind + 1], verb);
	}
	if (noise) {
		rc = db_open(db_default_url(url), true, &db, err, sizeof(err));
		if (!rc)
			rc = history_noise(db, &f, &o, NOISE_THRESHOLD, NOISE_ALPHA, err,
			                   sizeof(err));
		db_close(db);
		if (rc)
			cb_errorf("history", "%s", err);
		return rc == 0 ? 0 : rc == DB_EINPUT ? EXIT_USAGE : EXIT_CHECK;
	}
	rc = db_open(db_default_url(url), false, &db, err, sizeof(err));
	if (!rc)
		rc = history_load(db, &f, &h, err, sizeof(err));
	if (!rc && (rc = history_detect(&h, &o)) != 0)
		snprintf(err, sizeof(err), "history: out of memory");
	if (!rc)
		rc = history_triage(db, &h, o.min_change, err, sizeof(err));
	db_close(db);
	if (rc) {
		history_free(&h);
		cb_errorf("history", "%s", err);
		return rc == DB_EINPUT ? EXIT_USAGE : EXIT_CHECK;
	}
	if (fmt == H_TABLE || fmt == H_MARKDOWN)
		print_table(&h, &o, fmt == H_MARKDOWN);
	else if (fmt == H_CSV)
		print_csv(&h);
	else
		print_json(&h, &o);
	rc = 0;
	for (size_t i = 0; i < h.n; i++)
		for (int j = 0; j < h.cells[i].ncp; j++)
			if (fail_new && h.cells[i].cp[j].regression &&
			    strcmp(h.cells[i].cp[j].state, "new") == 0)
				rc = EXIT_CHECK;
	history_free(&h);
	return rc;
}
