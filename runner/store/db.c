/* db.c - the results store's database layer: SQLite and PostgreSQL behind
 * one small interface (db.h), the schema and its migrations.
 *
 * Both engines run the same SQL text: types both accept (TEXT, BIGINT,
 * DOUBLE PRECISION), `INSERT … ON CONFLICT`, `RETURNING`. What differs is
 * kept here and small: how to connect, how a write transaction takes its
 * lock, how to ask the catalogue whether a table exists, `?` vs `$n`. */
#include "db.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DB_MAX_STMTS 64
#define DB_BUSY_MS_DEFAULT 30000
#define DB_BEGIN_TRIES 4
#define DB_MAX_PARAMS 4096

/* The schema, one migration per version: migrations[v - 1] takes a
 * database from version v - 1 to v. Append, never edit a shipped one. */
static const char *const migrations[DB_SCHEMA_VERSION] = {
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

struct stmt {
	const char *sql; /* the caller's pointer: the cache key */
	sqlite3_stmt *lite;
	char pgname[24];
	bool pending; /* prepared inside a pipeline not yet read back */
};

struct db {
	enum db_kind kind;
	char where[512]; /* redacted URL or file name, for messages */
	sqlite3 *lite;
	PGconn *pg;
	bool in_tx;
	bool want_pipe, pipe; /* db_pipeline() asked; libpq in pipeline mode */
	int queued; /* statements sent in the pipeline, results not read */
	int generation; /* of prepared statement names, after a failed pipeline */
	long changes;
	int busy_ms;
	struct stmt stmts[DB_MAX_STMTS];
	int nstmts;
};

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *db_default_url(const char *url)
{
	const char *env = getenv("CONCBENCH_DB");

	if (url && *url)
		return url;
	if (env && *env)
		return env;
	return "results/concbench.db";
}

static bool is_pg_url(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0 ||
	       strstr(url, "dbname=") || strstr(url, "host=");
}

char *db_redact(const char *url, char *buf, size_t len)
{
	const char *scheme = strstr(url, "://");
	size_t o = 0;

	if (!len)
		return buf;
	for (const char *p = url; *p && o + 1 < len;) {
		/* userinfo password: scheme://user:PASSWORD@host */
		if (scheme && p == scheme + 3) {
			const char *at = strchr(p, '@'), *slash = strchr(p, '/');
			const char *colon = strchr(p, ':');

			if (at && (!slash || at < slash) && colon && colon < at) {
				size_t n = (size_t)(colon - p) + 1;

				if (o + n + 4 >= len)
					break;
				memcpy(buf + o, p, n);
				o += n;
				memcpy(buf + o, "***", 3);
				o += 3;
				p = at;
				continue;
			}
		}
		if (strncmp(p, "password=", 9) == 0 &&
		    (p == url || p[-1] == '?' || p[-1] == '&' || p[-1] == ' ')) {
			if (o + 13 >= len)
				break;
			memcpy(buf + o, "password=***", 12);
			o += 12;
			p += 9;
			while (*p && *p != '&' && *p != ' ')
				p++;
			continue;
		}
		buf[o++] = *p++;
	}
	buf[o] = '\0';
	return buf;
}

/* ---- SQLite ---------------------------------------------------------- */

static int lite_status(struct db *db, int rc, const char *what, char *err, size_t errlen)
{
	const char *msg = db->lite ? sqlite3_errmsg(db->lite) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		errf(err, errlen, "%s: not a SQLite database, or corrupt (%s)", db->where, msg);
		return DB_EINPUT;
	case SQLITE_READONLY:
		errf(err, errlen, "%s: read-only: %s", db->where, msg);
		return DB_EINPUT;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		errf(err, errlen, "%s: can't open: %s", db->where, msg);
		return DB_EINPUT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		errf(err, errlen, "%s: database is locked by another process (waited %d ms): %s",
		     db->where, db->busy_ms, what);
		return DB_ERUNTIME;
	default:
		errf(err, errlen, "%s: %s: %s", db->where, what, msg);
		return DB_ERUNTIME;
	}
}

/* Run sql; a BUSY that SQLite returns without calling the busy handler
 * (a journal-mode switch, WAL recovery by another process) is retried
 * until the busy timeout has passed. */
static int lite_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	int rc;

	for (int waited = 0;; waited += 20) {
		rc = sqlite3_exec(db->lite, sql, NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= db->busy_ms)
			break;
		usleep(20000);
	}
	return rc == SQLITE_OK ? 0 : lite_status(db, rc, sql, err, errlen);
}

static int lite_open(struct db *db, const char *path, bool readonly, char *err, size_t errlen)
{
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	const char *env = getenv("CONCBENCH_DB_BUSY_MS");
	int rc;

	if (strncmp(path, "sqlite:", 7) == 0)
		path += 7;
	if (!*path) {
		errf(err, errlen, "--db: empty database file name");
		return DB_EINPUT;
	}
	snprintf(db->where, sizeof(db->where), "%s", path);
	rc = sqlite3_open_v2(path, &db->lite, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return lite_status(db, rc, "open", err, errlen);
	db->busy_ms = env && atoi(env) > 0 ? atoi(env) : DB_BUSY_MS_DEFAULT;
	sqlite3_busy_timeout(db->lite, db->busy_ms);
	sqlite3_extended_result_codes(db->lite, 0);
	if (!readonly && sqlite3_db_readonly(db->lite, "main") == 1) {
		errf(err, errlen, "%s: read-only: can't store results in it", db->where);
		return DB_EINPUT;
	}
	/* Reading the catalogue finds a file that is not SQLite (NOTADB). */
	rc = lite_exec(db, "SELECT count(*) FROM sqlite_master", err, errlen);
	if (rc)
		return rc;
	return readonly ? 0 : lite_exec(db, "PRAGMA foreign_keys=ON", err, errlen);
}

/* After the schema is known to be ours: WAL, so readers never block the
 * writer and writers queue on the lock (busy timeout) instead of failing;
 * NORMAL sync is safe in WAL. */
static int lite_tune(struct db *db, char *err, size_t errlen)
{
	int rc = lite_exec(db, "PRAGMA journal_mode=WAL", err, errlen);

	return rc ? rc : lite_exec(db, "PRAGMA synchronous=NORMAL", err, errlen);
}

static int lite_query(struct db *db, struct stmt *s, int np, const char *const *params,
                      db_row_fn fn, void *arg, char *err, size_t errlen)
{
	char *vals[64];
	int rc, ret = 0;

	if (!s->lite) {
		rc = sqlite3_prepare_v2(db->lite, s->sql, -1, &s->lite, NULL);
		if (rc != SQLITE_OK)
			return lite_status(db, rc, "prepare", err, errlen);
	}
	sqlite3_reset(s->lite);
	sqlite3_clear_bindings(s->lite);
	for (int i = 0; i < np; i++) {
		rc = params[i] ? sqlite3_bind_text(s->lite, i + 1, params[i], -1, SQLITE_STATIC)
		               : sqlite3_bind_null(s->lite, i + 1);
		if (rc != SQLITE_OK)
			return lite_status(db, rc, "bind", err, errlen);
	}
	while ((rc = sqlite3_step(s->lite)) == SQLITE_ROW) {
		int n = sqlite3_column_count(s->lite);

		if (n > 64)
			n = 64;
		for (int i = 0; i < n; i++)
			vals[i] = (char *)sqlite3_column_text(s->lite, i);
		if (fn && (ret = fn(arg, n, vals)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		ret = lite_status(db, rc, "query", err, errlen);
		sqlite3_reset(s->lite);
		return ret;
	}
	db->changes = sqlite3_changes(db->lite);
	sqlite3_reset(s->lite);
	return ret;
}

/* ---- PostgreSQL ------------------------------------------------------ */

/* libpq's message, one line, without the trailing newline. */
static const char *pg_msg(PGconn *c, char *buf, size_t len)
{
	char *nl;

	snprintf(buf, len, "%s", PQerrorMessage(c));
	while ((nl = strchr(buf, '\n')) != NULL && nl[1])
		*nl = ' ';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	return buf;
}

static int pg_status(struct db *db, PGresult *res, const char *what, char *err, size_t errlen)
{
	const char *sev = res ? PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED) : NULL;
	char m[512];

	/* FATAL: the server ended this session (shut down, killed) */
	if (PQstatus(db->pg) != CONNECTION_OK || (sev && strcmp(sev, "FATAL") == 0))
		what = "connection lost";
	errf(err, errlen, "%s: %s: %s", db->where, what,
	     res ? PQresultErrorMessage(res) : pg_msg(db->pg, m, sizeof(m)));
	if (err && errlen && (what = strchr(err, '\n')) != NULL)
		err[what - err] = '\0';
	return DB_ERUNTIME;
}

static int pg_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	PGresult *res = PQexec(db->pg, sql);
	int st = PQresultStatus(res), rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_status(db, res, "exec", err, errlen);
	PQclear(res);
	return rc;
}

static void pg_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* "relation already exists, skipping" and the like */
}

static int pg_open(struct db *db, const char *url, char *err, size_t errlen)
{
	char m[512], red[512];

	db_redact(url, red, sizeof(red));
	snprintf(db->where, sizeof(db->where), "%s", red);
	db->pg = PQconnectdb(url);
	if (!db->pg) {
		errf(err, errlen, "%s: out of memory", db->where);
		return DB_ERUNTIME;
	}
	if (PQstatus(db->pg) != CONNECTION_OK) {
		/* libpq's messages name host, port and user, never the password. */
		errf(err, errlen, "%s: can't connect: %s", db->where, pg_msg(db->pg, m, sizeof(m)));
		return DB_EINPUT;
	}
	PQsetNoticeProcessor(db->pg, pg_notice, NULL);
	return pg_exec(db, "SET client_min_messages = warning", err, errlen);
}

/* `?` → `$n`, outside quoted literals. NULL on ENOMEM. */
static char *pg_placeholders(const char *sql)
{
	size_t len = strlen(sql), o = 0;
	char *out = malloc(len * 6 + 1);
	bool quoted = false;
	int n = 0;

	if (!out)
		return NULL;
	for (const char *p = sql; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (*p == '?' && !quoted)
			o += (size_t)sprintf(out + o, "$%d", ++n);
		else
			out[o++] = *p;
	}
	out[o] = '\0';
	return out;
}

/* Read back every result of the pipeline and leave pipeline mode. The
 * first error is returned (with err); statements prepared in a failed
 * pipeline are forgotten. */
static int pg_drain(struct db *db, char *err, size_t errlen)
{
	int rc = 0;

	if (!db->pipe)
		return 0;
	if (PQpipelineSync(db->pg) != 1)
		rc = pg_status(db, NULL, "pipeline", err, errlen);
	while (!rc || PQstatus(db->pg) == CONNECTION_OK) {
		PGresult *res = PQgetResult(db->pg);
		int st;

		if (!res) {
			if (PQstatus(db->pg) != CONNECTION_OK) {
				if (!rc)
					rc = pg_status(db, NULL, "pipeline", err, errlen);
				break;
			}
			continue; /* the end of one statement's results */
		}
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (st == PGRES_FATAL_ERROR && !rc)
			rc = pg_status(db, res, "query", err, errlen);
		PQclear(res);
	}
	if (PQstatus(db->pg) == CONNECTION_OK)
		PQexitPipelineMode(db->pg);
	for (int i = 0; i < db->nstmts; i++) {
		if (rc && db->stmts[i].pending)
			db->stmts[i].pgname[0] = '\0';
		db->stmts[i].pending = false;
	}
	if (rc)
		db->generation++;
	db->pipe = false;
	db->queued = 0;
	return rc;
}

/* Send s without waiting (pipeline mode); prepare it first if needed. */
static int pg_send(struct db *db, struct stmt *s, int np, const char *const *params, char *err,
                   size_t errlen)
{
	if (!db->pipe) {
		if (PQenterPipelineMode(db->pg) != 1)
			return pg_status(db, NULL, "pipeline", err, errlen);
		db->pipe = true;
	}
	if (!s->pgname[0]) {
		char *sql = pg_placeholders(s->sql);
		int ok;

		if (!sql) {
			errf(err, errlen, "%s: out of memory", db->where);
			return DB_ERUNTIME;
		}
		snprintf(s->pgname, sizeof(s->pgname), "cb%d_%d", (int)(s - db->stmts),
		         db->generation);
		ok = PQsendPrepare(db->pg, s->pgname, sql, 0, NULL);
		free(sql);
		if (ok != 1) {
			s->pgname[0] = '\0';
			return pg_status(db, NULL, "prepare", err, errlen);
		}
		s->pending = true;
		db->queued++;
	}
	if (PQsendQueryPrepared(db->pg, s->pgname, np, params, NULL, NULL, 0) != 1)
		return pg_status(db, NULL, "query", err, errlen);
	/* Read back now and then: results the server can't send would block it. */
	if (++db->queued >= 256)
		return pg_drain(db, err, errlen);
	return 0;
}

static int pg_query(struct db *db, struct stmt *s, int np, const char *const *params, db_row_fn fn,
                    void *arg, char *err, size_t errlen)
{
	PGresult *res;
	int st, ret = 0;
	char *vals[64];

	if (!fn && db->want_pipe && db->in_tx)
		return pg_send(db, s, np, params, err, errlen);
	if ((ret = pg_drain(db, err, errlen)) != 0)
		return ret;
	if (!s->pgname[0]) {
		char *sql = pg_placeholders(s->sql);

		if (!sql) {
			errf(err, errlen, "%s: out of memory", db->where);
			return DB_ERUNTIME;
		}
		snprintf(s->pgname, sizeof(s->pgname), "cb%d_%d", (int)(s - db->stmts),
		         db->generation);
		res = PQprepare(db->pg, s->pgname, sql, 0, NULL);
		free(sql);
		st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK) {
			ret = pg_status(db, res, "prepare", err, errlen);
			PQclear(res);
			s->pgname[0] = '\0';
			return ret;
		}
		PQclear(res);
	}
	res = PQexecPrepared(db->pg, s->pgname, np, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		ret = pg_status(db, res, "query", err, errlen);
		PQclear(res);
		return ret;
	}
	db->changes = atol(PQcmdTuples(res));
	if (fn) {
		int rows = PQntuples(res), n = PQnfields(res);

		if (n > 64)
			n = 64;
		for (int r = 0; r < rows && !ret; r++) {
			for (int i = 0; i < n; i++)
				vals[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
			ret = fn(arg, n, vals);
		}
	}
	PQclear(res);
	return ret;
}

/* ---- common ---------------------------------------------------------- */

enum db_kind db_kind(const struct db *db)
{
	return db->kind;
}

long db_changes(const struct db *db)
{
	return db->changes;
}

int db_query(struct db *db, const char *sql, int np, const char *const *params, db_row_fn fn,
             void *arg, char *err, size_t errlen)
{
	struct stmt *s = NULL;

	if (np > DB_MAX_PARAMS) {
		errf(err, errlen, "%s: too many parameters (%d)", db->where, np);
		return DB_ERUNTIME;
	}
	for (int i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql) {
			s = &db->stmts[i];
			break;
		}
	if (!s) {
		if (db->nstmts == DB_MAX_STMTS) {
			errf(err, errlen, "%s: too many distinct statements", db->where);
			return DB_ERUNTIME;
		}
		s = &db->stmts[db->nstmts++];
		memset(s, 0, sizeof(*s));
		s->sql = sql;
	}
	if (db->kind == DB_SQLITE)
		return lite_query(db, s, np, params, fn, arg, err, errlen);
	return pg_query(db, s, np, params, fn, arg, err, errlen);
}

static int exec_script(struct db *db, const char *sql, char *err, size_t errlen)
{
	return db->kind == DB_SQLITE ? lite_exec(db, sql, err, errlen)
	                             : pg_exec(db, sql, err, errlen);
}

int db_begin(struct db *db, char *err, size_t errlen)
{
	int rc = 0;

	if (db->kind == DB_POSTGRES) {
		rc = pg_exec(db, "BEGIN", err, errlen);
	} else {
		/* IMMEDIATE takes the write lock now, waiting up to the busy
		 * timeout, so a transaction never fails half-way on a lock. */
		for (int i = 0; i < DB_BEGIN_TRIES; i++) {
			int r = sqlite3_exec(db->lite, "BEGIN IMMEDIATE", NULL, NULL, NULL);

			if (r == SQLITE_OK) {
				rc = 0;
				break;
			}
			rc = lite_status(db, r, "BEGIN IMMEDIATE", err, errlen);
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
		rc = pg_drain(db, err, errlen);
		if (!rc)
			rc = pg_exec(db, "COMMIT", err, errlen);
	} else {
		for (int i = 0; i < DB_BEGIN_TRIES; i++) {
			int r = sqlite3_exec(db->lite, "COMMIT", NULL, NULL, NULL);

			rc = r == SQLITE_OK ? 0 : lite_status(db, r, "COMMIT", err, errlen);
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

		pg_drain(db, ignored, sizeof(ignored));
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

/* Create the schema or migrate it, inside the caller's transaction. */
static int migrate(struct db *db, bool readonly, char *err, size_t errlen)
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
			errf(err, errlen, "%s: not a concbench results database", db->where);
			return DB_EINPUT;
		}
		k = "schema_version";
		rc = db_query(db, get_sql, 1, &k, first_value, v, err, errlen);
		if (rc)
			return rc;
		ver = strtol(v, NULL, 10);
		if (ver > DB_SCHEMA_VERSION) {
			errf(err, errlen,
			     "%s: schema version %ld is newer than this concbench's (%d); use a "
			     "newer concbench",
			     db->where, ver, DB_SCHEMA_VERSION);
			return DB_EINPUT;
		}
		if (ver < 1) {
			errf(err, errlen, "%s: bad schema_version '%s'", db->where, v);
			return DB_EINPUT;
		}
	} else if (db->kind == DB_SQLITE) {
		char any[64] = "";

		rc = db_query(db, "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1", 0,
		              NULL, first_value, any, err, errlen);
		if (rc)
			return rc;
		if (any[0]) {
			errf(err, errlen,
			     "%s: not a concbench results database (it has other tables)",
			     db->where);
			return DB_EINPUT;
		}
	}
	if (ver == DB_SCHEMA_VERSION)
		return 0;
	if (readonly) {
		errf(err, errlen, "%s: %s; opened read-only", db->where,
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
	for (long v2 = ver + 1; v2 <= DB_SCHEMA_VERSION; v2++) {
		rc = exec_script(db, migrations[v2 - 1], err, errlen);
		if (rc)
			return rc;
	}
	snprintf(num, sizeof(num), "%d", DB_SCHEMA_VERSION);
	const char *p[2] = {"schema_version", num};

	return db_query(db, set_sql, 2, p, NULL, NULL, err, errlen);
}

int db_open(const char *url, bool readonly, struct db **out, char *err, size_t errlen)
{
	struct db *db = calloc(1, sizeof(*db));
	int rc;

	*out = NULL;
	if (!db) {
		errf(err, errlen, "%s: out of memory", "--db");
		return DB_ERUNTIME;
	}
	if (is_pg_url(url)) {
		db->kind = DB_POSTGRES;
		rc = pg_open(db, url, err, errlen);
	} else {
		db->kind = DB_SQLITE;
		if (strcmp(url, "results/concbench.db") == 0)
			(void)mkdir("results", 0777); /* the default's folder */
		rc = lite_open(db, url, readonly, err, errlen);
	}
	if (rc)
		goto fail;
	if (readonly) {
		rc = migrate(db, true, err, errlen);
	} else {
		rc = db_begin(db, err, errlen);
		/* Two first writers of one PostgreSQL database must not both
		 * create the schema: an advisory lock serialises migrations. */
		if (!rc && db->kind == DB_POSTGRES)
			rc = pg_exec(db, "SELECT pg_advisory_xact_lock(7079436391)", err, errlen);
		if (!rc)
			rc = migrate(db, false, err, errlen);
		if (!rc)
			rc = db_commit(db, err, errlen);
		else
			db_rollback(db);
		if (!rc && db->kind == DB_SQLITE)
			rc = lite_tune(db, err, errlen);
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
