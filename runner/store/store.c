/* store.c - runs, cells and rep rows into the results store; `concbench
 * store add`. Reads rows (csvread), writes through db.h only. */
#include "store_int.h"
#include "store.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "adapters.h"
#include "../base/stats.h"
#include "../base/util.h"
#include "../analysis/cell.h"
#include "../analysis/explain.h"

#define REP_COLS 13
#define BATCH 64
#define MAX_COLS 13

char *store_hash_hex(const void *data, size_t len, char out[33])
{
	XXH128_hash_t h = XXH3_128bits(data, len);

	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
	         (unsigned long long)h.low64);
	return out;
}

int store_hash_file(const char *path, char out[33])
{
	XXH3_state_t *st = XXH3_createState();
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || !st) {
		rc = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	XXH3_128bits_reset(st);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		XXH3_128bits_update(st, buf, (size_t)n);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	XXH128_hash_t h = XXH3_128bits_digest(st);

	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
	         (unsigned long long)h.low64);
out:
	if (fd >= 0)
		close(fd);
	XXH3_freeState(st);
	return rc;
}

/* The raw row of rec: the row of in->raw that ends on rec's line. NULL
 * if none (can't happen for rows csvread read from the same bytes). */
static char **raw_row(const struct store_input *in, const struct cb_rec *r)
{
	const struct csv_table *t = &in->raw;
	size_t lo = 0, hi = t->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->line[mid] < r->line)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nrows && t->line[lo] == r->line ? t->rows[lo] : NULL;
}

/* The field `col` of rec's raw row, or "" when the file has no such column. */
static const char *field(const struct store_input *in, const struct cb_rec *r, const char *col)
{
	int c = csv_table_col(&in->raw, col);
	char **row = c < 0 ? NULL : raw_row(in, r);

	return row ? row[c] : "";
}

char *store_cell_key(const struct cb_rec *r, char *buf, size_t len)
{
	/* cell_describe names host, workload, mode, workers, tasks, size,
	 * pin, switch interval, transport and the workload options. */
	return cell_describe(r, CELL_ALL, buf, len);
}

/* Append fields[0..n) to buf as one CSV record (libcsv quoting). */
static int csv_join(char **buf, size_t *cap, char *const *fields, unsigned n)
{
	size_t o = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t need = 2 * strlen(fields[i]) + 4;

		if (o + need >= *cap) {
			size_t nc = (o + need) * 2;
			char *p = realloc(*buf, nc);

			if (!p)
				return -ENOMEM;
			*buf = p;
			*cap = nc;
		}
		if (i)
			(*buf)[o++] = ',';
		o += csv_write(*buf + o, *cap - o, fields[i], strlen(fields[i]));
	}
	if (!*buf && !(*buf = malloc(*cap = 1)))
		return -ENOMEM;
	(*buf)[o] = '\0';
	return 0;
}

static long long parse_stamp(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	return end ? (long long)timegm(&tm) : 0;
}

static char *now_stamp(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* One rec of a run, with its cell key hash. */
struct item {
	size_t i; /* index into res->rec */
	char cell[33];
};

static const struct cb_results *sort_res;

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	const struct cb_rec *p = &sort_res->rec[x->i], *q = &sort_res->rec[y->i];
	int c = strcmp(p->host, q->host);

	if (!c)
		c = strcmp(p->run_id, q->run_id);
	if (!c)
		c = strcmp(x->cell, y->cell);
	if (!c)
		c = (p->rep > q->rep) - (p->rep < q->rep);
	if (!c)
		c = (x->i > y->i) - (x->i < y->i);
	return c;
}

static int returned(void *arg, int n, char **vals)
{
	(void)n;
	(void)vals;
	*(bool *)arg = true;
	return 0;
}

/* Rows waiting to go into one table, BATCH at a time as one multi-row
 * INSERT (a round trip per 64 rows, not per row: what PostgreSQL ingest
 * costs). The text of each row's values lives in its slot until sent. */
struct rows {
	const char *one; /* the single-row INSERT … VALUES (?,…) [suffix] */
	int ncols, n;
	struct db_val p[BATCH * MAX_COLS];
	char num[BATCH][8][48];
	char *str[BATCH]; /* a longer value per row (raw row, params) */
	size_t strcap[BATCH];
};

/* `one` with its VALUES tuple repeated BATCH times; built once per `one`. */
static const char *many_sql(const char *one)
{
	static struct {
		const char *one;
		char *many;
	} cache[4];
	const char *v = strstr(one, "VALUES ("), *close;
	size_t i, o, tl;
	char *m;

	for (i = 0; i < ARRAY_SIZE(cache) && cache[i].one; i++)
		if (cache[i].one == one)
			return cache[i].many;
	if (i == ARRAY_SIZE(cache) || !v || !(close = strchr(v, ')')))
		return NULL;
	v += 7;
	tl = (size_t)(close - v) + 1;
	m = malloc(strlen(one) + BATCH * (tl + 1) + 1);
	if (!m)
		return NULL;
	o = (size_t)(v - one);
	memcpy(m, one, o);
	for (int r = 0; r < BATCH; r++) {
		if (r)
			m[o++] = ',';
		memcpy(m + o, v, tl);
		o += tl;
	}
	strcpy(m + o, close + 1);
	cache[i].one = one;
	cache[i].many = m;
	return m;
}

static int rows_flush(struct db *db, struct rows *b, char *err, size_t errlen)
{
	const char *many = b->n == BATCH ? many_sql(b->one) : NULL;
	int rc = 0;

	if (many)
		rc = db_query_vals(db, many, BATCH * b->ncols, b->p, NULL, NULL, err, errlen);
	else
		for (int r = 0; r < b->n && !rc; r++)
			rc = db_query_vals(db, b->one, b->ncols, b->p + r * b->ncols, NULL, NULL,
			                   err, errlen);
	b->n = 0;
	return rc;
}

/* The row just filled in slot b->n is complete; send a full batch. */
static int rows_push(struct db *db, struct rows *b, char *err, size_t errlen)
{
	return ++b->n == BATCH ? rows_flush(db, b, err, errlen) : 0;
}

static void rows_free(struct rows *b)
{
	for (int k = 0; k < BATCH; k++)
		free(b->str[k]);
	free(b);
}

static const char rep_sql[] =
    "INSERT INTO reps (run_uid, cell_uid, rep, wall_s, user_s, sys_s, cpu_util, ops_per_s, "
    "gil_wait_s, verified, status, metrics, raw) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char cell_sql[] =
    "INSERT INTO cells (cell_uid, host, workload, mode, workers, tasks, size, params, "
    "config_hash) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (cell_uid) DO NOTHING";
static const char median_sql[] = "INSERT INTO medians (run_uid, cell_uid, metric, n, median, "
                                 "ci_lo, ci_hi) VALUES (?,?,?,?,?,?,?)";

/* A text value, a number (not finite: NULL) */
static struct db_val txt(const char *s)
{
	return (struct db_val){s, 0, false};
}

static struct db_val num(double d)
{
	return (struct db_val){NULL, d, true};
}

static int add_rep(struct db *db, struct rows *b, const struct store_input *in,
                   const struct item *it, const char *run_uid, char *err, size_t errlen)
{
	const struct cb_rec *r = &in->res.rec[it->i];
	const struct csv_table *t = &in->raw;
	char **row = raw_row(in, r);
	struct db_val *p = b->p + b->n * REP_COLS;
	char(*rep)[48] = b->num[b->n];

	if (!row) {
		snprintf(err, errlen, "%s:%u: row not found", r->file, r->line);
		return DB_ERUNTIME;
	}
	if (csv_join(&b->str[b->n], &b->strcap[b->n], row, t->ncols)) {
		snprintf(err, errlen, "store: out of memory");
		return DB_ERUNTIME;
	}
	snprintf(rep[0], 48, "%ld", r->rep);
	p[0] = txt(run_uid);
	p[1] = txt(it->cell);
	p[2] = txt(rep[0]);
	p[3] = num(r->wall_s);
	p[4] = num(r->user_s);
	p[5] = num(r->sys_s);
	p[6] = num(r->cpu_util);
	p[7] = num(r->ops_per_s);
	p[8] = num(r->gil_wait_s);
	p[9] = txt(r->verified ? "1" : "0");
	p[10] = txt(r->status ? r->status : "");
	p[11] = txt(r->metrics ? r->metrics : "");
	p[12] = txt(b->str[b->n]);
	return rows_push(db, b, err, errlen);
}

static int add_cell(struct db *db, struct rows *b, const struct cb_results *res,
                    const struct item *it, char *err, size_t errlen)
{
	const struct cb_rec *r = &res->rec[it->i];
	struct db_val *p = b->p + b->n * 9;
	char(*buf)[48] = b->num[b->n];
	char key[2048];

	/* The configuration hash: the identity without the host, so one
	 * configuration on two hosts (or twice on one) compares. */
	cell_describe(r, CELL_ALL & ~CELL_HOST, key, sizeof(key));
	store_hash_hex(key, strlen(key), buf[0]);
	snprintf(buf[1], 48, "%ld", r->workers);
	snprintf(buf[2], 48, "%ld", r->tasks);
	snprintf(buf[3], 48, "%ld", r->size);
	if (b->strcap[b->n] < sizeof(key)) {
		char *q = realloc(b->str[b->n], sizeof(key));

		if (!q) {
			snprintf(err, errlen, "store: out of memory");
			return DB_ERUNTIME;
		}
		b->str[b->n] = q;
		b->strcap[b->n] = sizeof(key);
	}
	/* params: what the identity holds beyond the columns of cells */
	cell_describe(r, CELL_PIN | CELL_SWITCH | CELL_TRANSPORT | CELL_PARAMS, b->str[b->n],
	              sizeof(key));
	p[0] = txt(it->cell);
	p[1] = txt(r->host);
	p[2] = txt(r->workload);
	p[3] = txt(r->mode);
	p[4] = txt(buf[1]);
	p[5] = txt(buf[2]);
	p[6] = txt(buf[3]);
	p[7] = txt(b->str[b->n]);
	p[8] = txt(buf[0]);
	return rows_push(db, b, err, errlen);
}

/* The median of wall_s over the verified reps of one cell of one run. */
static int add_median(struct db *db, struct rows *b, const struct cb_results *res,
                      const struct item *its, size_t n, const char *run_uid, double *x, char *err,
                      size_t errlen)
{
	struct db_val *p = b->p + b->n * 7;
	char(*cnt)[48] = b->num[b->n];
	struct summary s;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct cb_rec *r = &res->rec[its[i].i];

		if (r->verified && isfinite(r->wall_s))
			x[k++] = r->wall_s;
	}
	stats_summarize(x, k, &s);
	snprintf(cnt[0], 48, "%zu", k);
	p[0] = txt(run_uid);
	p[1] = txt(its[0].cell);
	p[2] = txt("wall_s");
	p[3] = txt(cnt[0]);
	p[4] = num(s.median);
	p[5] = num(s.ci_lo);
	p[6] = num(s.ci_hi);
	return rows_push(db, b, err, errlen);
}

/* Bootstrap resamples of a stored fit: its interval is what history's
 * change-point test reads, not a published figure (report uses 1000). */
#define STORE_FIT_BOOT 200

/* The parameters of a fit stored as medians of its series cell. */
static const struct {
	const char *metric;
	size_t off;
} fit_params[] = {
    {"fit.amdahl.serial", offsetof(struct scaling_fit, amdahl_s)},
    {"fit.usl.sigma", offsetof(struct scaling_fit, sigma)},
    {"fit.usl.kappa", offsetof(struct scaling_fit, kappa)},
};

bool store_fit_metric(const char *name)
{
	if (strcmp(name, "wall_s") == 0)
		return true;
	for (size_t k = 0; k < ARRAY_SIZE(fit_params); k++)
		if (strcmp(name, fit_params[k].metric) == 0)
			return true;
	return false;
}

/* The scaling models fitted to the run its[0..n) (analysis/explain.h: each
 * workload x mode measured at 3 or more worker counts within the CPUs),
 * each stored as a series cell - the cell's identity with workers 0, for
 * every worker count - whose medians are the fitted parameters
 * (fit_params; ci_lo and ci_hi: the 95% bootstrap interval; n: the reps
 * fitted). `history --metric=fit.usl.sigma` then finds a change in σ
 * across commits as it finds one in wall time. */
static int add_fits(struct db *db, const struct cb_results *res, const struct item *its, size_t n,
                    const char *run_uid, char *err, size_t errlen)
{
	static const char fit_cell_sql[] =
	    "INSERT INTO cells (cell_uid, host, workload, mode, workers, tasks, size, params, "
	    "config_hash) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (cell_uid) DO NOTHING";
	struct explain_opts o = {.fits = true, .boot = STORE_FIT_BOOT};
	struct cb_results sub = {0};
	struct explain_plan *plan = NULL;
	long counts[SCALING_MIN_COUNTS];
	size_t ncounts = 0;
	int rc = 0;

	/* most runs measure one or two worker counts: nothing to fit */
	for (size_t i = 0; i < n && ncounts < SCALING_MIN_COUNTS; i++) {
		long w = res->rec[its[i].i].workers;
		size_t k = 0;

		while (k < ncounts && counts[k] != w)
			k++;
		if (k == ncounts)
			counts[ncounts++] = w;
	}
	if (ncounts < SCALING_MIN_COUNTS)
		return 0;
	sub.rec = malloc(n * sizeof(*sub.rec));
	if (!sub.rec)
		goto oom;
	sub.n = n;
	for (size_t i = 0; i < n; i++)
		sub.rec[i] = res->rec[its[i].i];
	if (explain_plan_build(&sub, &o, &plan))
		goto oom;
	for (size_t i = 0; i < explain_nfits(plan) && !rc; i++) {
		const struct explain_fit *x = explain_fit_at(plan, i);
		struct cb_rec r = *x->base;
		char key[2048], params[2048], uid[33], hash[33], nbuf[3][48];
		struct db_val v[9];
		int len;

		if (x->fit.status != SCALING_OK && x->fit.status != SCALING_TOO_WIDE)
			continue;
		r.mode = x->mode;
		r.workers = 0;
		len = snprintf(key, sizeof(key), "fit\x1f");
		cell_describe(&r, CELL_ALL, key + len, sizeof(key) - (size_t)len);
		store_hash_hex(key, strlen(key), uid);
		cell_describe(&r, CELL_ALL & ~CELL_HOST, key + len, sizeof(key) - (size_t)len);
		store_hash_hex(key, strlen(key), hash);
		cell_describe(&r, CELL_PIN | CELL_SWITCH | CELL_TRANSPORT | CELL_PARAMS, params,
		              sizeof(params));
		snprintf(nbuf[0], 48, "%ld", r.tasks);
		snprintf(nbuf[1], 48, "%ld", r.size);
		snprintf(nbuf[2], 48, "%zu", x->fit.npoints);
		v[0] = txt(uid);
		v[1] = txt(r.host);
		v[2] = txt(r.workload);
		v[3] = txt(r.mode);
		v[4] = txt("0");
		v[5] = txt(nbuf[0]);
		v[6] = txt(nbuf[1]);
		v[7] = txt(params);
		v[8] = txt(hash);
		rc = db_query_vals(db, fit_cell_sql, 9, v, NULL, NULL, err, errlen);
		for (size_t k = 0; k < ARRAY_SIZE(fit_params) && !rc; k++) {
			const struct scaling_est *e =
			    (const void *)((const char *)&x->fit + fit_params[k].off);

			if (!isfinite(e->est))
				continue;
			v[0] = txt(run_uid);
			v[1] = txt(uid);
			v[2] = txt(fit_params[k].metric);
			v[3] = txt(nbuf[2]);
			v[4] = num(e->est);
			v[5] = num(e->lo);
			v[6] = num(e->hi);
			rc = db_query_vals(db, median_sql, 7, v, NULL, NULL, err, errlen);
		}
	}
	explain_plan_free(plan);
	free(sub.rec);
	return rc;
oom:
	free(sub.rec);
	snprintf(err, errlen, "store: out of memory");
	return DB_ERUNTIME;
}

/* Insert the run row; *added tells whether it was new. */
static int add_run_row(struct db *db, const struct store_input *in, const struct item *its,
                       size_t n, const struct store_meta *m, const char *run_uid, bool *added,
                       char *err, size_t errlen)
{
	static const char sql[] =
	    "INSERT INTO runs (run_uid, run_id, host, fingerprint, started, git_commit, "
	    "git_branch, commit_time, binary_hash, version, machine, columns, source, stored_at) "
	    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (run_uid) DO NOTHING "
	    "RETURNING run_uid";
	const struct cb_results *res = &in->res;
	const struct cb_rec *r0 = &res->rec[its[0].i];
	const struct csv_table *t = &in->raw;
	const char *started = field(in, r0, "timestamp");
	char machine[2048], fp[33], bh[33], ctime[24], now[32], *cols = NULL;
	size_t cap = 0;
	const char *p[14];
	int rc;

	int tcol = csv_table_col(t, "timestamp");

	for (size_t i = 1; i < n && tcol >= 0; i++) {
		char **row = raw_row(in, &res->rec[its[i].i]);

		if (row && strcmp(row[tcol], started) < 0)
			started = row[tcol];
	}
	snprintf(machine, sizeof(machine),
	         "cpu_model=%s;cpus=%ld;cpus_online=%s;cgroup_cpus=%s;kernel=%s;compiler=%s;"
	         "cflags=%s",
	         field(in, r0, "cpu_model"), r0->cpus, field(in, r0, "cpus_online"),
	         field(in, r0, "cgroup_cpus"), field(in, r0, "kernel"), field(in, r0, "compiler"),
	         field(in, r0, "cflags"));
	{
		char f[1024];
		int len = snprintf(f, sizeof(f), "%s\x1f%s\x1f%s\x1f%s\x1f%s", r0->host,
		                   field(in, r0, "cpu_model"), field(in, r0, "cpus_online"),
		                   field(in, r0, "cgroup_cpus"), field(in, r0, "kernel"));

		store_hash_hex(f, (size_t)len < sizeof(f) ? (size_t)len : sizeof(f) - 1, fp);
	}
	if (m->binary_hash) {
		snprintf(bh, sizeof(bh), "%.32s", m->binary_hash);
	} else {
		char b[1024];
		int len = snprintf(b, sizeof(b), "%s\x1f%s\x1f%s\x1f%s", field(in, r0, "version"),
		                   r0->git_rev ? r0->git_rev : "", field(in, r0, "compiler"),
		                   field(in, r0, "cflags"));

		store_hash_hex(b, (size_t)len < sizeof(b) ? (size_t)len : sizeof(b) - 1, bh);
	}
	snprintf(ctime, sizeof(ctime), "%lld",
	         m->commit_time >= 0 ? m->commit_time : parse_stamp(started));
	if (csv_join(&cols, &cap, t->cols, t->ncols)) {
		snprintf(err, errlen, "store: out of memory");
		return DB_ERUNTIME;
	}
	p[0] = run_uid;
	p[1] = r0->run_id;
	p[2] = r0->host;
	p[3] = fp;
	p[4] = started;
	p[5] = m->commit ? m->commit : r0->git_rev ? r0->git_rev : "";
	p[6] = m->branch ? m->branch : "";
	p[7] = ctime;
	p[8] = bh;
	p[9] = field(in, r0, "version");
	p[10] = machine;
	p[11] = cols;
	p[12] = m->source ? m->source : "";
	p[13] = now_stamp(now, sizeof(now));
	*added = false;
	rc = db_query(db, sql, 14, p, returned, added, err, errlen);
	free(cols);
	return rc;
}

/* How many rep rows a SQLite transaction gathers before it commits. Each
 * commit writes every page it touched to the WAL again (a run touches a
 * leaf of the medians index per cell), so committing per run costs more
 * than the inserts; SQLite takes the whole file's write lock, so a batch
 * of whole runs is as safe for concurrent writers as one run. PostgreSQL
 * locks rows: a run per transaction keeps the lock order of concurrent
 * writers of one host (runs, then cells, each sorted) free of deadlocks. */
#define LITE_TX_ROWS 50000

/* The open transaction of store_add: what it holds, not yet committed. */
struct tx {
	bool open;
	size_t runs, reps;
};

static int tx_commit(struct db *db, struct tx *tx, struct store_count *cnt, char *err,
                     size_t errlen)
{
	int rc;

	if (!tx->open)
		return 0;
	tx->open = false;
	rc = db_commit(db, err, errlen);
	if (!rc) {
		cnt->runs_added += tx->runs;
		cnt->reps += tx->reps;
	}
	tx->runs = tx->reps = 0;
	return rc;
}

/* Store the run its[0..n) (sorted by cell, rep) inside the transaction tx
 * (begun here if none is open): the run, its cells, its reps, the per-cell
 * medians, in that order (foreign keys), each table in batches. On a
 * failure the caller rolls back. */
static int store_run(struct db *db, const struct store_input *in, const struct item *its, size_t n,
                     const struct store_meta *m, struct store_count *cnt, struct tx *tx,
                     struct rows *b[3], double *x, char *err, size_t errlen)
{
	const struct cb_results *res = &in->res;
	const struct cb_rec *r0 = &res->rec[its[0].i];
	char key[1024], run_uid[33];
	bool added;
	int rc = 0, len = snprintf(key, sizeof(key), "%s\x1f%s", r0->host, r0->run_id);

	store_hash_hex(key, (size_t)len < sizeof(key) ? (size_t)len : sizeof(key) - 1, run_uid);
	if (!tx->open) {
		rc = db_begin(db, err, errlen);
		if (rc)
			return rc;
		tx->open = true;
	}
	rc = add_run_row(db, in, its, n, m, run_uid, &added, err, errlen);
	if (rc)
		return rc;
	if (!added) {
		cnt->runs_skipped++;
		return 0;
	}
	db_pipeline(db);
	for (size_t i = 0; i < n && !rc; i++)
		if (i == 0 || strcmp(its[i].cell, its[i - 1].cell))
			rc = add_cell(db, b[0], res, &its[i], err, errlen);
	if (!rc)
		rc = rows_flush(db, b[0], err, errlen);
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_rep(db, b[1], in, &its[i], run_uid, err, errlen);
	if (!rc)
		rc = rows_flush(db, b[1], err, errlen);
	for (size_t i = 0; i < n && !rc;) {
		size_t j = i;

		while (j < n && strcmp(its[j].cell, its[i].cell) == 0)
			j++;
		rc = add_median(db, b[2], res, &its[i], j - i, run_uid, x, err, errlen);
		i = j;
	}
	if (!rc)
		rc = rows_flush(db, b[2], err, errlen);
	if (!rc)
		rc = add_fits(db, res, its, n, run_uid, err, errlen);
	for (int k = 0; k < 3; k++)
		b[k]->n = 0;
	if (rc)
		return rc;
	tx->runs++;
	tx->reps += n;
	if (db_kind(db) == DB_POSTGRES || tx->reps >= LITE_TX_ROWS)
		rc = tx_commit(db, tx, cnt, err, errlen);
	return rc;
}

/* The end of the run that starts at its[i]. */
static size_t run_end(const struct cb_results *res, const struct item *its, size_t n, size_t i)
{
	const struct cb_rec *r = &res->rec[its[i].i];
	size_t j = i;

	while (j < n && strcmp(res->rec[its[j].i].host, r->host) == 0 &&
	       strcmp(res->rec[its[j].i].run_id, r->run_id) == 0)
		j++;
	return j;
}

/* Bad input is found before anything is written: a rep of a cell that
 * appears twice in one run. its is sorted by run, cell, rep. */
static int check_runs(const struct cb_results *res, const struct item *its, size_t n, char *err,
                      size_t errlen)
{
	for (size_t i = 1; i < n; i++) {
		const struct cb_rec *p = &res->rec[its[i - 1].i], *r = &res->rec[its[i].i];

		if (r->rep == p->rep && strcmp(its[i].cell, its[i - 1].cell) == 0 &&
		    strcmp(r->run_id, p->run_id) == 0 && strcmp(r->host, p->host) == 0) {
			snprintf(err, errlen, "%s:%u: rep %ld of this cell appears twice in run %s",
			         r->file, r->line, r->rep, r->run_id);
			return DB_EINPUT;
		}
	}
	return 0;
}

int store_add(struct db *db, const struct store_input *in, const struct store_meta *m,
              struct store_count *cnt, char *err, size_t errlen)
{
	const struct cb_results *res = &in->res;
	static const char *const sql[3] = {cell_sql, rep_sql, median_sql};
	static const int ncols[3] = {9, REP_COLS, 7};
	struct item *its = malloc((res->n ? res->n : 1) * sizeof(*its));
	double *x = malloc((res->n ? res->n : 1) * sizeof(*x));
	struct rows *b[3] = {NULL, NULL, NULL};
	struct tx tx = {0};
	char key[2048];
	int rc = 0;

	for (int k = 0; k < 3; k++)
		if ((b[k] = calloc(1, sizeof(*b[k]))) != NULL) {
			b[k]->one = sql[k];
			b[k]->ncols = ncols[k];
		}
	if (!its || !x || !b[0] || !b[1] || !b[2]) {
		snprintf(err, errlen, "store: out of memory");
		rc = DB_ERUNTIME;
		goto out;
	}
	for (size_t i = 0; i < res->n; i++) {
		store_cell_key(&res->rec[i], key, sizeof(key));
		its[i].i = i;
		store_hash_hex(key, strlen(key), its[i].cell);
	}
	sort_res = res;
	qsort(its, res->n, sizeof(*its), item_cmp);
	rc = check_runs(res, its, res->n, err, errlen);
	for (size_t i = 0; i < res->n && !rc;) {
		size_t j = run_end(res, its, res->n, i);

		rc = store_run(db, in, its + i, j - i, m, cnt, &tx, b, x, err, errlen);
		i = j;
	}
	if (!rc)
		rc = tx_commit(db, &tx, cnt, err, errlen);
	if (rc && tx.open)
		db_rollback(db);
out:
	for (int k = 0; k < 3; k++)
		if (b[k])
			rows_free(b[k]);
	free(x);
	free(its);
	return rc;
}

int st_exit_of(int rc)
{
	return rc == DB_EINPUT || rc == -EINVAL ? EXIT_USAGE : EXIT_CHECK;
}

void st_meta_from_env(struct store_meta *m)
{
	const char *t = getenv("CONCBENCH_COMMIT_TIME");

	m->commit = getenv("CONCBENCH_COMMIT");
	m->branch = getenv("CONCBENCH_BRANCH");
	m->commit_time = t && *t ? atoll(t) : -1;
}

int store_input_load(struct store_input *in, const char *path, char *err, size_t errlen)
{
	int rc;

	memset(in, 0, sizeof(*in));
	if (adapter_is_json(path))
		return adapter_load_json(path, in, err, errlen);
	/* Twice: typed and validated by csvread, raw for what it drops. */
	rc = results_load(&in->res, path, err, errlen);
	if (!rc)
		rc = csv_table_read(path, &in->raw, err, errlen);
	if (!rc && in->raw.nrows != in->res.n) {
		snprintf(err, errlen, "%s: changed while being read", path);
		rc = -EINVAL;
	}
	if (rc)
		store_input_free(in);
	return rc;
}

void store_input_free(struct store_input *in)
{
	results_free(&in->res);
	csv_table_free(&in->raw);
	memset(in, 0, sizeof(*in));
}

int store_csv_file(const char *url, const char *csv_path)
{
	struct store_input in;
	struct store_meta m = {0};
	struct store_count cnt = {0};
	struct db *db = NULL;
	char err[1024], exe[33];
	int rc;

	url = db_default_url(url);
	st_meta_from_env(&m);
	m.source = "run";
	if (store_hash_file("/proc/self/exe", exe) == 0)
		m.binary_hash = exe;
	rc = store_input_load(&in, csv_path, err, sizeof(err));
	if (rc) {
		cb_errorf("--db", "%s", err);
		return EXIT_CHECK;
	}
	rc = db_open(url, false, &db, err, sizeof(err));
	if (!rc)
		rc = store_add(db, &in, &m, &cnt, err, sizeof(err));
	db_close(db);
	store_input_free(&in);
	if (rc) {
		cb_errorf("--db", "%s (the CSV is written: %s)", err, csv_path);
		return st_exit_of(rc);
	}
	cb_note("stored %zu rep rows in %s", cnt.reps, db_redact(url, err, sizeof(err)));
	return 0;
}
