/* db_pg.c - the PostgreSQL side of the results store (db.h), through libpq. */
#include "db_int.h"
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
	db_errf(err, errlen, "%s: %s: %s", db->where, what,
	        res ? PQresultErrorMessage(res) : pg_msg(db->pg, m, sizeof(m)));
	if (err && errlen && (what = strchr(err, '\n')) != NULL)
		err[what - err] = '\0';
	return DB_ERUNTIME;
}

int db_pg_exec(struct db *db, const char *sql, char *err, size_t errlen)
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

int db_pg_open(struct db *db, const char *url, char *err, size_t errlen)
{
	char m[512], red[512];

	db_redact(url, red, sizeof(red));
	snprintf(db->where, sizeof(db->where), "%s", red);
	db->pg = PQconnectdb(url);
	if (!db->pg) {
		db_errf(err, errlen, "%s: out of memory", db->where);
		return DB_ERUNTIME;
	}
	if (PQstatus(db->pg) != CONNECTION_OK) {
		/* libpq's messages name host, port and user, never the password. */
		db_errf(err, errlen, "%s: can't connect: %s", db->where,
		        pg_msg(db->pg, m, sizeof(m)));
		return DB_EINPUT;
	}
	PQsetNoticeProcessor(db->pg, pg_notice, NULL);
	return db_pg_exec(db, "SET client_min_messages = warning", err, errlen);
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
int db_pg_drain(struct db *db, char *err, size_t errlen)
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
			db_errf(err, errlen, "%s: out of memory", db->where);
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
		return db_pg_drain(db, err, errlen);
	return 0;
}

int db_pg_query(struct db *db, struct stmt *s, int np, const char *const *params, db_row_fn fn,
                void *arg, char *err, size_t errlen)
{
	PGresult *res;
	int st, ret = 0;
	char *vals[64];

	if (!fn && db->want_pipe && db->in_tx)
		return pg_send(db, s, np, params, err, errlen);
	if ((ret = db_pg_drain(db, err, errlen)) != 0)
		return ret;
	if (!s->pgname[0]) {
		char *sql = pg_placeholders(s->sql);

		if (!sql) {
			db_errf(err, errlen, "%s: out of memory", db->where);
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
