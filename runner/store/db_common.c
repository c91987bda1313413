/* db_common.c - the engine-neutral part of db.h: queries, transactions, the
 * schema migrations, open and close. */
#include "db_int.h"
#include "db.h"

#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The schema, one migration per version: db_migrations[v - 1] takes a
 * database from version v - 1 to v. Append, never edit a shipped one. */
const char *const db_migrations[DB_SCHEMA_VERSION] = {
    /* 1: runs, cells, raw reps, per-run medians, change points */
    "CREATE TABLE runs ("
    " run_uid TEXT PRIMARY KEY," /* hash of host and run_id */
    " run_id TEXT NOT NULL, host TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " started TEXT NOT NULL, git_commit TEXT NOT NULL, git_branch TEXT NOT NULL,"
    " commit_time BIGINT NOT NULL, binary_hash TEXT NOT NULL, version TEXT NOT NULL,"
    " machine TEXT NOT NULL, columns TEXT NOT NULL, source TEXT NOT NULL,"
    " stored_at TEXT NOT NULL);"
    "CREATE INDEX runs_host_commit ON runs (host, commit_time);"
    "CREATE TABLE cells ("
    " cell_uid TEXT PRIMARY KEY, host TEXT NOT NULL, workload TEXT NOT NULL,"
    " mode TEXT NOT NULL, workers BIGINT NOT NULL, tasks BIGINT NOT NULL,"
    " size BIGINT NOT NULL, params TEXT NOT NULL, config_hash TEXT NOT NULL);"
    "CREATE TABLE reps ("
    " run_uid TEXT NOT NULL REFERENCES runs (run_uid),"
    " cell_uid TEXT NOT NULL REFERENCES cells (cell_uid),"
    " rep BIGINT NOT NULL, wall_s DOUBLE PRECISION, user_s DOUBLE PRECISION,"
    " sys_s DOUBLE PRECISION, cpu_util DOUBLE PRECISION, ops_per_s DOUBLE PRECISION,"
    " gil_wait_s DOUBLE PRECISION, verified BIGINT NOT NULL, status TEXT NOT NULL,"
    " metrics TEXT NOT NULL, raw TEXT NOT NULL,"
    " PRIMARY KEY (run_uid, cell_uid, rep));"
    "CREATE TABLE medians ("
    " run_uid TEXT NOT NULL REFERENCES runs (run_uid),"
    " cell_uid TEXT NOT NULL REFERENCES cells (cell_uid),"
    " metric TEXT NOT NULL, n BIGINT NOT NULL, median DOUBLE PRECISION,"
    " ci_lo DOUBLE PRECISION, ci_hi DOUBLE PRECISION,"
    " PRIMARY KEY (run_uid, cell_uid, metric));"
    "CREATE INDEX medians_cell ON medians (cell_uid, metric);"
    "CREATE TABLE changepoints ("
    " cp_id TEXT PRIMARY KEY, cell_uid TEXT NOT NULL REFERENCES cells (cell_uid),"
    " metric TEXT NOT NULL, commit_before TEXT NOT NULL, commit_after TEXT NOT NULL,"
    " run_after TEXT NOT NULL, rel_change DOUBLE PRECISION, p DOUBLE PRECISION,"
    " state TEXT NOT NULL, first_seen TEXT NOT NULL);",
};

/* ---- common ---------------------------------------------------------- */

enum db_kind db_kind(const struct db *db)
{
	return db->kind;
}

long db_changes(const struct db *db)
{
	return db->changes;
}

/* The cached statement of sql (prepared on first use by the engine), or
 * NULL with err set. */
static struct stmt *stmt_of(struct db *db, const char *sql, int np, char *err, size_t errlen)
{
	struct stmt *s;

	if (np > DB_MAX_PARAMS) {
		db_errf(err, errlen, "%s: too many parameters (%d)", db->where, np);
		return NULL;
	}
	for (int i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql)
			return &db->stmts[i];
	if (db->nstmts == DB_MAX_STMTS) {
		db_errf(err, errlen, "%s: too many distinct statements", db->where);
		return NULL;
	}
	s = &db->stmts[db->nstmts++];
	memset(s, 0, sizeof(*s));
	s->sql = sql;
	return s;
}

int db_query(struct db *db, const char *sql, int np, const char *const *params, db_row_fn fn,
             void *arg, char *err, size_t errlen)
{
	struct stmt *s = stmt_of(db, sql, np, err, errlen);

	if (!s)
		return DB_ERUNTIME;
	if (db->kind == DB_SQLITE)
		return db_lite_query(db, s, np, params, NULL, fn, NULL, arg, err, errlen);
	return db_pg_query(db, s, np, params, fn, arg, err, errlen);
}

int db_query_vals(struct db *db, const char *sql, int np, const struct db_val *vals, db_row_fn fn,
                  void *arg, char *err, size_t errlen)
{
	struct stmt *s = stmt_of(db, sql, np, err, errlen);
	const char **p;
	char(*num)[32];
	int rc;

	if (!s)
		return DB_ERUNTIME;
	if (db->kind == DB_SQLITE)
		return db_lite_query(db, s, np, NULL, vals, fn, NULL, arg, err, errlen);
	/* libpq copies the parameters into its buffer before returning */
	p = malloc((np ? np : 1) * sizeof(*p));
	num = malloc((np ? np : 1) * sizeof(*num));
	if (!p || !num) {
		free(p);
		free(num);
		db_errf(err, errlen, "%s: out of memory", db->where);
		return DB_ERUNTIME;
	}
	for (int i = 0; i < np; i++) {
		p[i] = vals[i].s;
		if (vals[i].num) {
			p[i] = isfinite(vals[i].d) ? num[i] : NULL;
			snprintf(num[i], sizeof(num[i]), "%.17g", vals[i].d);
		}
	}
	rc = db_pg_query(db, s, np, p, fn, arg, err, errlen);
	free(p);
	free(num);
	return rc;
}

/* PostgreSQL's text rows as db_val rows. */
struct typed_ctx {
	db_vals_fn fn;
	void *arg;
};

static int typed_row(void *arg, int n, char **vals)
{
	struct typed_ctx *c = arg;
	struct db_val v[64];

	for (int i = 0; i < n && i < 64; i++)
		v[i] = (struct db_val){vals[i], 0, false};
	return c->fn(c->arg, n, v);
}

int db_query_typed(struct db *db, const char *sql, int np, const char *const *params, db_vals_fn fn,
                   void *arg, char *err, size_t errlen)
{
	struct stmt *s = stmt_of(db, sql, np, err, errlen);
	struct typed_ctx c = {fn, arg};

	if (!s)
		return DB_ERUNTIME;
	if (db->kind == DB_SQLITE)
		return db_lite_query(db, s, np, params, NULL, NULL, fn, arg, err, errlen);
	return db_pg_query(db, s, np, params, typed_row, &c, err, errlen);
}

double db_val_num(const struct db_val *v)
{
	return v->num ? v->d : v->s ? strtod(v->s, NULL) : NAN;
}

static int exec_script(struct db *db, const char *sql, char *err, size_t errlen)
{
	return db->kind == DB_SQLITE ? db_lite_exec(db, sql, err, errlen)
	                             : db_pg_exec(db, sql, err, errlen);
}

int db_begin(struct db *db, char *err, size_t errlen)
{
	int rc = 0;

	if (db->kind == DB_POSTGRES) {
		rc = db_pg_exec(db, "BEGIN", err, errlen);
	} else {
		/* IMMEDIATE takes the write lock now, waiting up to the busy
		 * timeout, so a transaction never fails half-way on a lock. */
		for (int i = 0; i < DB_BEGIN_TRIES; i++) {
			int r = sqlite3_exec(db->lite, "BEGIN IMMEDIATE", NULL, NULL, NULL);

			if (r == SQLITE_OK) {
				rc = 0;
				break;
			}
			rc = db_lite_status(db, r, "BEGIN IMMEDIATE", err, errlen);
			if ((r & 0xff) != SQLITE_BUSY)
				break;
		}
	}
	db->in_tx = rc == 0;
	return rc;
}

int db_commit(struct db *db, char *err, size_t errlen)
{
	int rc;

	if (db->kind == DB_POSTGRES) {
		rc = db_pg_drain(db, err, errlen);
		if (!rc)
			rc = db_pg_exec(db, "COMMIT", err, errlen);
	} else {
		for (int i = 0; i < DB_BEGIN_TRIES; i++) {
			int r = sqlite3_exec(db->lite, "COMMIT", NULL, NULL, NULL);

			rc = r == SQLITE_OK ? 0 : db_lite_status(db, r, "COMMIT", err, errlen);
			if ((r & 0xff) != SQLITE_BUSY)
				break;
		}
	}
	if (rc)
		db_rollback(db);
	db->in_tx = false;
	db->want_pipe = false;
	return rc;
}

void db_pipeline(struct db *db)
{
	db->want_pipe = db->in_tx && db->kind == DB_POSTGRES;
}

void db_rollback(struct db *db)
{
	if (!db->in_tx && db->kind == DB_SQLITE && sqlite3_get_autocommit(db->lite))
		return;
	if (db->kind == DB_POSTGRES) {
		char ignored[16];
		PGresult *res;

		db_pg_drain(db, ignored, sizeof(ignored));
		res = PQexec(db->pg, "ROLLBACK");
		PQclear(res);
	} else {
		sqlite3_exec(db->lite, "ROLLBACK", NULL, NULL, NULL);
	}
	db->in_tx = false;
	db->want_pipe = false;
}

static int first_value(void *arg, int n, char **vals)
{
	char *out = arg;

	snprintf(out, 64, "%s", n > 0 && vals[0] ? vals[0] : "");
	return 0;
}

static int has_table(struct db *db, const char *name, bool *yes, char *err, size_t errlen)
{
	static const char lite_sql[] = "SELECT name FROM sqlite_master WHERE type = 'table' AND "
	                               "name = ?";
	static const char pg_sql[] = "SELECT table_name FROM information_schema.tables WHERE "
	                             "table_schema = current_schema() AND table_name = ?";
	char v[64] = "";
	int rc = db_query(db, db->kind == DB_SQLITE ? lite_sql : pg_sql, 1, &name, first_value, v,
	                  err, errlen);

	*yes = v[0] != '\0';
	return rc;
}

/* Create the schema migs[0..version) or migrate up to it, inside the
 * caller's transaction. */
static int migrate(struct db *db, bool readonly, const char *const *migs, int version, char *err,
                   size_t errlen)
{
	static const char get_sql[] = "SELECT value FROM meta WHERE key = ?";
	static const char set_sql[] = "INSERT INTO meta (key, value) VALUES (?, ?) "
	                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	const char *k;
	char v[64] = "", num[16];
	bool meta;
	long ver = 0;
	int rc = has_table(db, "meta", &meta, err, errlen);

	if (rc)
		return rc;
	if (meta) {
		k = "application";
		rc = db_query(db, get_sql, 1, &k, first_value, v, err, errlen);
		if (rc)
			return rc;
		if (strcmp(v, "concbench")) {
			db_errf(err, errlen, "%s: not a concbench results database", db->where);
			return DB_EINPUT;
		}
		k = "schema_version";
		rc = db_query(db, get_sql, 1, &k, first_value, v, err, errlen);
		if (rc)
			return rc;
		ver = strtol(v, NULL, 10);
		if (ver > version) {
			db_errf(err, errlen,
			        "%s: schema version %ld is newer than this concbench's (%d); use a "
			        "newer concbench",
			        db->where, ver, version);
			return DB_EINPUT;
		}
		if (ver < 1) {
			db_errf(err, errlen, "%s: bad schema_version '%s'", db->where, v);
			return DB_EINPUT;
		}
	} else if (db->kind == DB_SQLITE) {
		char any[64] = "";

		rc = db_query(db, "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1", 0,
		              NULL, first_value, any, err, errlen);
		if (rc)
			return rc;
		if (any[0]) {
			db_errf(err, errlen,
			        "%s: not a concbench results database (it has other tables)",
			        db->where);
			return DB_EINPUT;
		}
	}
	if (ver == version)
		return 0;
	if (readonly) {
		db_errf(err, errlen, "%s: %s; opened read-only", db->where,
		        meta ? "schema needs an upgrade" : "no concbench results stored here");
		return DB_EINPUT;
	}
	if (!meta) {
		rc =
		    exec_script(db, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
		                err, errlen);
		if (rc)
			return rc;
		const char *p[2] = {"application", "concbench"};

		rc = db_query(db, set_sql, 2, p, NULL, NULL, err, errlen);
		if (rc)
			return rc;
	}
	for (long v2 = ver + 1; v2 <= version; v2++) {
		rc = exec_script(db, migs[v2 - 1], err, errlen);
		if (rc)
			return rc;
	}
	snprintf(num, sizeof(num), "%d", version);
	const char *p[2] = {"schema_version", num};

	return db_query(db, set_sql, 2, p, NULL, NULL, err, errlen);
}

int db_open(const char *url, bool readonly, struct db **out, char *err, size_t errlen)
{
	return db_open_schema(url, readonly, db_migrations, DB_SCHEMA_VERSION, out, err, errlen);
}

int db_open_schema(const char *url, bool readonly, const char *const *migs, int version,
                   struct db **out, char *err, size_t errlen)
{
	struct db *db = calloc(1, sizeof(*db));
	int rc;

	*out = NULL;
	if (!db) {
		db_errf(err, errlen, "%s: out of memory", "--db");
		return DB_ERUNTIME;
	}
	if (db_is_pg_url(url)) {
		db->kind = DB_POSTGRES;
		rc = db_pg_open(db, url, err, errlen);
	} else {
		db->kind = DB_SQLITE;
		if (strcmp(url, "results/concbench.db") == 0)
			(void)mkdir("results", 0777); /* the default's folder */
		rc = db_lite_open(db, url, readonly, err, errlen);
	}
	if (rc)
		goto fail;
	if (readonly) {
		rc = migrate(db, true, migs, version, err, errlen);
	} else {
		rc = db_begin(db, err, errlen);
		/* Two first writers of one PostgreSQL database must not both
		 * create the schema: an advisory lock serialises migrations. */
		if (!rc && db->kind == DB_POSTGRES)
			rc =
			    db_pg_exec(db, "SELECT pg_advisory_xact_lock(7079436391)", err, errlen);
		if (!rc)
			rc = migrate(db, false, migs, version, err, errlen);
		if (!rc)
			rc = db_commit(db, err, errlen);
		else
			db_rollback(db);
		if (!rc && db->kind == DB_SQLITE)
			rc = db_lite_tune(db, err, errlen);
	}
	if (rc)
		goto fail;
	*out = db;
	return 0;
fail:
	db_close(db);
	return rc;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->in_tx)
		db_rollback(db);
	for (int i = 0; i < db->nstmts; i++)
		if (db->stmts[i].lite)
			sqlite3_finalize(db->stmts[i].lite);
	if (db->lite)
		sqlite3_close(db->lite);
	if (db->pg)
		PQfinish(db->pg);
	free(db);
}
