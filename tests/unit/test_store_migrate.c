/* store_migrate: the results store's schema migrations (runner/store/db_common.c).
 * Version 1 is the only schema shipped, so the upgrade path is exercised
 * with a synthetic version 2 (a new column with a default and a new index)
 * through db_open_schema(), the function db_open() calls with the real
 * schema: a version-1 store with data is upgraded in place with its data
 * intact; a read-only open of it is refused; a migration that fails leaves
 * the store at version 1, untouched; this concbench (version 1) refuses the
 * upgraded store as newer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runner/store/db.h"
#include "../../runner/store/db_int.h"

static char dir[64], path[96];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cb-migrate.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.db", dir);
}

static void teardown(void)
{
	char f[128];

	for (const char *const *sfx = (const char *const[]){"", "-wal", "-shm", NULL}; *sfx;
	     sfx++) {
		snprintf(f, sizeof(f), "%s%s", path, *sfx);
		unlink(f);
	}
	rmdir(dir);
}

static int first(void *arg, int n, char **v)
{
	snprintf(arg, 256, "%s", n > 0 && v[0] ? v[0] : "(null)");
	return 0;
}

/* One value of sql on db, as text. */
static const char *value(struct db *db, const char *sql)
{
	static char out[256];
	char err[512];

	out[0] = '\0';
	cr_assert_eq(db_query(db, sql, 0, NULL, first, out, err, sizeof(err)), 0, "%s: %s", sql,
	             err);
	return out;
}

/* A version-1 store holding one run, one cell, two reps and a median. */
static void make_v1(void)
{
	static const char run[] =
	    "INSERT INTO runs (run_uid, run_id, host, fingerprint, started, git_commit, "
	    "git_branch, commit_time, binary_hash, version, machine, columns, source, stored_at) "
	    "VALUES ('ru1', 'r1', 'h''A', 'fp', '2026-01-01T00:00:00Z', 'c1', 'main', 1767225600, "
	    "'bh', '0.1.0', 'm', 'cols', 'test', '2026-01-01T00:00:00Z')";
	static const char cell[] = "INSERT INTO cells (cell_uid, host, workload, mode, workers, "
	                           "tasks, size, params, config_hash) VALUES ('cu1', 'h''A', "
	                           "'cpu.primes', 'threads', 2, 8, 100, '', 'ch')";
	static const char rep[] =
	    "INSERT INTO reps (run_uid, cell_uid, rep, wall_s, user_s, sys_s, cpu_util, ops_per_s, "
	    "gil_wait_s, verified, status, metrics, raw) VALUES ('ru1', 'cu1', ?, ?, 0, 0, 1, "
	    "NULL, "
	    "NULL, 1, 'ok', '', 'raw')";
	static const char med[] =
	    "INSERT INTO medians (run_uid, cell_uid, metric, n, median, ci_lo, "
	    "ci_hi) VALUES ('ru1', 'cu1', 'wall_s', 2, 1.25, 1.0, 1.5)";
	const char *p0[2] = {"0", "1.0"}, *p1[2] = {"1", "1.5"};
	struct db *db;
	char err[512];

	cr_assert_eq(db_open(path, false, &db, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db_begin(db, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db_query(db, run, 0, NULL, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db_query(db, cell, 0, NULL, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db_query(db, rep, 2, p0, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db_query(db, rep, 2, p1, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db_query(db, med, 0, NULL, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db_commit(db, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(value(db, "SELECT value FROM meta WHERE key = 'schema_version'"), "1");
	db_close(db);
}

/* What make_v1 stored is all there, unchanged. */
static void assert_v1_data(struct db *db)
{
	cr_assert_str_eq(value(db, "SELECT count(*) FROM runs"), "1");
	cr_assert_str_eq(value(db, "SELECT host FROM runs"), "h'A");
	cr_assert_str_eq(value(db, "SELECT count(*) FROM cells"), "1");
	cr_assert_str_eq(value(db, "SELECT count(*) FROM reps"), "2");
	cr_assert_str_eq(value(db, "SELECT sum(wall_s) FROM reps"), "2.5");
	cr_assert_str_eq(value(db, "SELECT median FROM medians"), "1.25");
}

TestSuite(store_migrate, .init = setup, .fini = teardown);

Test(store_migrate, v1_upgrades_in_place_with_data_intact)
{
	const char *v2[2] = {db_migrations[0], "ALTER TABLE runs ADD COLUMN note TEXT NOT NULL "
	                                       "DEFAULT 'none'; CREATE INDEX reps_cell ON reps "
	                                       "(cell_uid);"};
	struct db *db;
	char err[512];

	make_v1();
	/* read-only: not upgraded, refused as input */
	cr_assert_eq(db_open_schema(path, true, v2, 2, &db, err, sizeof(err)), DB_EINPUT);
	cr_assert(strstr(err, "schema needs an upgrade; opened read-only"), "%s", err);
	cr_assert_null(db);

	cr_assert_eq(db_open_schema(path, false, v2, 2, &db, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(value(db, "SELECT value FROM meta WHERE key = 'schema_version'"), "2");
	cr_assert_str_eq(value(db, "SELECT value FROM meta WHERE key = 'application'"),
	                 "concbench");
	assert_v1_data(db);
	cr_assert_str_eq(value(db, "SELECT note FROM runs"), "none");
	cr_assert_str_eq(
	    value(db,
	          "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'reps_cell'"),
	    "1");
	db_close(db);

	/* opening it again at version 2 changes nothing */
	cr_assert_eq(db_open_schema(path, false, v2, 2, &db, err, sizeof(err)), 0, "%s", err);
	assert_v1_data(db);
	db_close(db);

	/* this concbench (version 1) refuses the upgraded store as newer */
	cr_assert_eq(db_open(path, false, &db, err, sizeof(err)), DB_EINPUT);
	cr_assert(strstr(err, "schema version 2 is newer than this concbench's (1); use a newer "
	                      "concbench"),
	          "%s", err);
	cr_assert_eq(db_open(path, true, &db, err, sizeof(err)), DB_EINPUT);
}

Test(store_migrate, a_failed_migration_leaves_the_store_as_it_was)
{
	/* the second statement fails: runs exists */
	const char *v2[2] = {db_migrations[0], "CREATE TABLE extra (x TEXT); CREATE TABLE runs (x "
	                                       "TEXT);"};
	struct db *db;
	char err[512];

	make_v1();
	cr_assert_neq(db_open_schema(path, false, v2, 2, &db, err, sizeof(err)), 0);
	cr_assert(strstr(err, "already exists"), "%s", err);
	cr_assert_null(db);

	cr_assert_eq(db_open(path, false, &db, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(value(db, "SELECT value FROM meta WHERE key = 'schema_version'"), "1");
	cr_assert_str_eq(value(db, "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"), "0");
	assert_v1_data(db);
	db_close(db);
}

Test(store_migrate, a_bad_schema_version_is_refused_as_input)
{
	static const char set[] = "UPDATE meta SET value = 'x1' WHERE key = 'schema_version'";
	struct db *db;
	char err[512];

	make_v1();
	cr_assert_eq(db_open(path, false, &db, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db_query(db, set, 0, NULL, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	db_close(db);
	cr_assert_eq(db_open(path, false, &db, err, sizeof(err)), DB_EINPUT);
	cr_assert(strstr(err, "bad schema_version 'x1'"), "%s", err);
	cr_assert_null(db);
}
