/* db_sqlite.c - the SQLite side of the results store (db.h). */
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

/* ---- SQLite ---------------------------------------------------------- */

int db_lite_status(struct db *db, int rc, const char *what, char *err, size_t errlen)
{
	const char *msg = db->lite ? sqlite3_errmsg(db->lite) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		db_errf(err, errlen, "%s: not a SQLite database, or corrupt (%s)", db->where, msg);
		return DB_EINPUT;
	case SQLITE_READONLY:
		db_errf(err, errlen, "%s: read-only: %s", db->where, msg);
		return DB_EINPUT;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		db_errf(err, errlen, "%s: can't open: %s", db->where, msg);
		return DB_EINPUT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		db_errf(err, errlen, "%s: database is locked by another process (waited %d ms): %s",
		        db->where, db->busy_ms, what);
		return DB_ERUNTIME;
	default:
		db_errf(err, errlen, "%s: %s: %s", db->where, what, msg);
		return DB_ERUNTIME;
	}
}

/* Run sql; a BUSY that SQLite returns without calling the busy handler
 * (a journal-mode switch, WAL recovery by another process) is retried
 * until the busy timeout has passed. */
int db_lite_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	int rc;

	for (int waited = 0;; waited += 20) {
		rc = sqlite3_exec(db->lite, sql, NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= db->busy_ms)
			break;
		usleep(20000);
	}
	return rc == SQLITE_OK ? 0 : db_lite_status(db, rc, sql, err, errlen);
}

int db_lite_open(struct db *db, const char *path, bool readonly, char *err, size_t errlen)
{
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	const char *env = getenv("CONCBENCH_DB_BUSY_MS");
	int rc;

	if (strncmp(path, "sqlite:", 7) == 0)
		path += 7;
	if (!*path) {
		db_errf(err, errlen, "--db: empty database file name");
		return DB_EINPUT;
	}
	snprintf(db->where, sizeof(db->where), "%s", path);
	rc = sqlite3_open_v2(path, &db->lite, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return db_lite_status(db, rc, "open", err, errlen);
	db->busy_ms = env && atoi(env) > 0 ? atoi(env) : DB_BUSY_MS_DEFAULT;
	sqlite3_busy_timeout(db->lite, db->busy_ms);
	sqlite3_extended_result_codes(db->lite, 0);
	if (!readonly && sqlite3_db_readonly(db->lite, "main") == 1) {
		db_errf(err, errlen, "%s: read-only: can't store results in it", db->where);
		return DB_EINPUT;
	}
	/* Reading the catalogue finds a file that is not SQLite (NOTADB). */
	rc = db_lite_exec(db, "SELECT count(*) FROM sqlite_master", err, errlen);
	if (rc)
		return rc;
	return readonly ? 0 : db_lite_exec(db, "PRAGMA foreign_keys=ON", err, errlen);
}

/* After the schema is known to be ours: WAL, so readers never block the
 * writer and writers queue on the lock (busy timeout) instead of failing;
 * NORMAL sync in WAL mode never corrupts the file (a power loss can undo
 * the last commits, not tear one). Statement journals and sorts stay in
 * memory (temp_store: the journal of each multi-row INSERT went to a temp
 * file), and a page cache of 32 MiB holds the pages a batch of runs touches
 * (store.c's LITE_TX_ROWS), so they are not spilled before the commit. */
int db_lite_tune(struct db *db, char *err, size_t errlen)
{
	int rc = db_lite_exec(db, "PRAGMA journal_mode=WAL", err, errlen);

	if (!rc)
		rc = db_lite_exec(db, "PRAGMA synchronous=NORMAL", err, errlen);
	if (!rc)
		rc = db_lite_exec(db, "PRAGMA temp_store=MEMORY", err, errlen);
	return rc ? rc : db_lite_exec(db, "PRAGMA cache_size=-32768", err, errlen);
}

int db_lite_query(struct db *db, struct stmt *s, int np, const char *const *params,
                  const struct db_val *args, db_row_fn fn, db_vals_fn vfn, void *arg, char *err,
                  size_t errlen)
{
	char *vals[64];
	struct db_val tv[64];
	int rc, ret = 0;

	if (!s->lite) {
		rc = sqlite3_prepare_v2(db->lite, s->sql, -1, &s->lite, NULL);
		if (rc != SQLITE_OK)
			return db_lite_status(db, rc, "prepare", err, errlen);
	}
	sqlite3_reset(s->lite);
	sqlite3_clear_bindings(s->lite);
	for (int i = 0; i < np; i++) {
		const char *t = args ? args[i].s : params[i];

		if (args && args[i].num)
			rc = isfinite(args[i].d) ? sqlite3_bind_double(s->lite, i + 1, args[i].d)
			                         : sqlite3_bind_null(s->lite, i + 1);
		else
			rc = t ? sqlite3_bind_text(s->lite, i + 1, t, -1, SQLITE_STATIC)
			       : sqlite3_bind_null(s->lite, i + 1);
		if (rc != SQLITE_OK)
			return db_lite_status(db, rc, "bind", err, errlen);
	}
	while ((rc = sqlite3_step(s->lite)) == SQLITE_ROW) {
		int n = sqlite3_column_count(s->lite);

		if (n > 64)
			n = 64;
		if (vfn) {
			for (int i = 0; i < n; i++) {
				int t = sqlite3_column_type(s->lite, i);

				tv[i].num = t == SQLITE_INTEGER || t == SQLITE_FLOAT;
				tv[i].d = tv[i].num ? sqlite3_column_double(s->lite, i) : 0;
				tv[i].s = tv[i].num || t == SQLITE_NULL
				              ? NULL
				              : (const char *)sqlite3_column_text(s->lite, i);
			}
			if ((ret = vfn(arg, n, tv)) != 0)
				break;
			continue;
		}
		for (int i = 0; i < n; i++)
			vals[i] = (char *)sqlite3_column_text(s->lite, i);
		if (fn && (ret = fn(arg, n, vals)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		ret = db_lite_status(db, rc, "query", err, errlen);
		sqlite3_reset(s->lite);
		return ret;
	}
	db->changes = sqlite3_changes(db->lite);
	sqlite3_reset(s->lite);
	return ret;
}
