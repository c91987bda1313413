/* db.h - the results store's database layer: one interface, two engines.
 * SQLite (libsqlite3) is the default, a file; PostgreSQL (libpq) serves a
 * fleet. Callers write each SQL statement once, with `?` placeholders, and
 * pass every value as a bound text parameter (never spliced into SQL); the
 * PostgreSQL side rewrites `?` to `$n`. The schema and its migrations live
 * in db.c, in one place, written in the SQL both engines accept. */
#ifndef CONCBENCH_DB_H
#define CONCBENCH_DB_H

#include <stdbool.h>
#include <stddef.h>

/* The schema version this binary writes; an older database is migrated up
 * to it, a newer one is refused. */
#define DB_SCHEMA_VERSION 1

/* Errors: DB_EINPUT is the user's input (a bad URL, a file that is not a
 * concbench database, a newer schema, a read-only file, a wrong password,
 * an unreachable server): exit 2. DB_ERUNTIME is a failure while working
 * (the server went away, the lock stayed busy): exit 1. */
enum { DB_OK = 0, DB_EINPUT = -22, DB_ERUNTIME = -5 };

enum db_kind { DB_SQLITE, DB_POSTGRES };

struct db;

/* A row of a result: ncols text values, NULL for SQL NULL. Return 0 to go
 * on, anything else to stop (db_query then returns that value). */
typedef int (*db_row_fn)(void *arg, int ncols, char **vals);

/* The database a command uses: url if given, else $CONCBENCH_DB, else
 * results/concbench.db. Never NULL. */
const char *db_default_url(const char *url);

/* Copy url to buf with any password replaced by "***" (userinfo of a
 * postgresql:// URL, `password=` in a query string or conninfo). Returns
 * buf. Passwords go into messages only through this. */
char *db_redact(const char *url, char *buf, size_t len);

/* Open the database at url: a `postgresql://` or `postgres://` URL (libpq),
 * else a SQLite file path (`sqlite:` prefix optional). Creates the schema
 * or migrates an older one. A SQLite file that holds other tables but no
 * concbench schema, or is not SQLite, or is corrupt, is refused. With
 * readonly, nothing is created or migrated and writes fail. Returns 0 and
 * *out, or DB_EINPUT / DB_ERUNTIME with `WHAT: why` in err (the URL
 * redacted). */
int db_open(const char *url, bool readonly, struct db **out, char *err, size_t errlen);

/* Close and free; NULL is fine. An open transaction is rolled back. */
void db_close(struct db *db);

enum db_kind db_kind(const struct db *db);

/* Run sql with nparams text parameters (NULL = SQL NULL), calling fn for
 * every result row (fn may be NULL). A statement is prepared once per
 * distinct sql pointer and reused, so pass string constants or strings
 * that live as long as db. Returns 0, fn's non-zero value, or DB_EINPUT /
 * DB_ERUNTIME with the engine's message in err. */
int db_query(struct db *db, const char *sql, int nparams, const char *const *params, db_row_fn fn,
             void *arg, char *err, size_t errlen);

/* A parameter of db_query_vals(): the text s (NULL: SQL NULL) or, when num
 * is set, the number d (not finite: SQL NULL). */
struct db_val {
	const char *s;
	double d;
	bool num;
};

/* db_query() with parameters that may be numbers: SQLite binds them as
 * REAL (no text to format and parse back), PostgreSQL gets their text
 * (%.17g, which reads back as the same double). */
int db_query_vals(struct db *db, const char *sql, int nparams, const struct db_val *vals,
                  db_row_fn fn, void *arg, char *err, size_t errlen);

/* A row of db_query_typed(): ncols values; SQLite gives numbers as numbers
 * (num set), PostgreSQL gives text; SQL NULL is s NULL without num. */
typedef int (*db_vals_fn)(void *arg, int ncols, const struct db_val *vals);

/* db_query() whose rows come as db_val: no number is turned into text and
 * parsed back (what reading 200,000 medians costs). */
int db_query_typed(struct db *db, const char *sql, int nparams, const char *const *params,
                   db_vals_fn fn, void *arg, char *err, size_t errlen);

/* The number in v: d, or its text parsed; NaN for NULL. */
double db_val_num(const struct db_val *v);

/* Start a write transaction (SQLite: BEGIN IMMEDIATE, waiting for the lock
 * up to the busy timeout, retried), commit it, or roll it back. db_rollback
 * can't fail visibly. */
int db_begin(struct db *db, char *err, size_t errlen);
int db_commit(struct db *db, char *err, size_t errlen);
void db_rollback(struct db *db);

/* Until the open transaction ends, statements run without a row callback
 * are sent without waiting for their results (PostgreSQL's pipeline mode:
 * one round trip instead of one per statement; SQLite: nothing changes).
 * Their errors are returned by the next call that waits: db_query with a
 * callback, or db_commit. db_changes() is not set by them. Can't fail. */
void db_pipeline(struct db *db);

/* Rows changed by the last INSERT/UPDATE/DELETE run with db_query. */
long db_changes(const struct db *db);

#endif
