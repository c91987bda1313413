/* db_int.h - what the pieces of the database layer (db.c, db_common.c,
 * db_sqlite.c, db_pg.c) share: the handle and its statement cache. */
#ifndef CONCBENCH_DB_INT_H
#define CONCBENCH_DB_INT_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "db.h"

#define DB_MAX_STMTS 64
#define DB_BUSY_MS_DEFAULT 30000
#define DB_BEGIN_TRIES 4
#define DB_MAX_PARAMS 4096

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

/* The schema: db_migrations[v - 1] takes a database from version v - 1 to
 * v (db_common.c). */
extern const char *const db_migrations[DB_SCHEMA_VERSION];
/* db_open() with the schema migs[0..version) in place of db_migrations and
 * DB_SCHEMA_VERSION (which db_open passes): an older database is upgraded
 * in place (one transaction), a newer one refused. The tests open a store
 * with a later, synthetic version through it, so the upgrade path is
 * exercised while version 1 is the only one shipped. */
int db_open_schema(const char *url, bool readonly, const char *const *migs, int version,
                   struct db **out, char *err, size_t errlen);

/* Format a message into err[errlen] (nothing when err is NULL). */
void db_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Whether url names a PostgreSQL server (postgresql:// or postgres://). */
bool db_is_pg_url(const char *url);

/* The engines (db_sqlite.c, db_pg.c). Each returns 0, or a DB_E* code
 * (db.h) with err set: *_open connects, *_exec runs a script without
 * parameters, *_query runs one cached statement with params (SQLite: or
 * args, for db_query_vals; params is then NULL), calling fn (SQLite: or vfn,
 * for db_query_typed) per row; db_lite_status maps an SQLite code;
 * db_lite_tune sets WAL, the sync level, temp store and page cache;
 * db_pg_drain reads back a pipeline. */
int db_lite_status(struct db *db, int rc, const char *what, char *err, size_t errlen);
int db_lite_exec(struct db *db, const char *sql, char *err, size_t errlen);
int db_lite_open(struct db *db, const char *path, bool readonly, char *err, size_t errlen);
int db_lite_tune(struct db *db, char *err, size_t errlen);
int db_lite_query(struct db *db, struct stmt *s, int np, const char *const *params,
                  const struct db_val *args, db_row_fn fn, db_vals_fn vfn, void *arg, char *err,
                  size_t errlen);
int db_pg_exec(struct db *db, const char *sql, char *err, size_t errlen);
int db_pg_open(struct db *db, const char *url, char *err, size_t errlen);
int db_pg_drain(struct db *db, char *err, size_t errlen);
int db_pg_query(struct db *db, struct stmt *s, int np, const char *const *params, db_row_fn fn,
                void *arg, char *err, size_t errlen);

#endif
