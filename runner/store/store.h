/* store.h - the results store: runs, cells and rep rows in a database
 * (db.h). It reads rows (analysis/csvread.h), never engine structs, so a
 * run stores what it wrote by reading its CSV back, and old CSVs import
 * the same way.
 *
 * A run is (host, run_id); storing a run that is already there is a no-op,
 * so `store add` is idempotent. Each run is stored within one transaction:
 * all of its rows or none (SQLite gathers whole runs into a transaction of
 * up to LITE_TX_ROWS rep rows, store.c; PostgreSQL commits each run). */
#ifndef CONCBENCH_STORE_H
#define CONCBENCH_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "../analysis/csvread.h"
#include "db.h"

/* One file to import: its typed reps (csvread) and its raw table, read
 * alongside for what csvread does not keep (the raw rows, timestamps,
 * the machine block). */
struct store_input {
	struct cb_results res;
	struct csv_table raw;
};

/* Read a concbench CSV, or a Google Benchmark or hyperfine JSON
 * (adapters.h), into in (zeroed first). 0, or -errno with `FILE: why` in
 * err. Free with store_input_free(). */
int store_input_load(struct store_input *in, const char *path, char *err, size_t errlen);

/* Free what store_input_load built. Can't fail. */
void store_input_free(struct store_input *in);

/* What a CSV does not say about a run. NULL / negative: the default. */
struct store_meta {
	const char *commit; /* default: the CSV's git_rev */
	const char *branch; /* default: "" */
	long long commit_time; /* unix seconds; default (< 0): the run's first timestamp */
	const char *binary_hash; /* default: a hash of version, git_rev, compiler and cflags */
	const char *source; /* file name, or "run" */
};

struct store_count {
	size_t runs_added, runs_skipped, reps;
};

/* Store every run of in. Bad input (a rep twice in one run) is found before
 * anything is written. A failure while writing rolls back the open
 * transaction (the run being stored, and on SQLite the runs gathered with
 * it) and returns; runs committed before it stay. Returns 0,
 * or DB_EINPUT / DB_ERUNTIME with `what: why` in err. */
int store_add(struct db *db, const struct store_input *in, const struct store_meta *m,
              struct store_count *cnt, char *err, size_t errlen);

/* The cell identity of r (analysis/cell.h, every field) as text into buf;
 * its hash is the cell's id in the store. Returns buf. */
char *store_cell_key(const struct cb_rec *r, char *buf, size_t len);

/* 32 hex digits of XXH3-128 of data[0..len) into out[33]. Returns out. */
char *store_hash_hex(const void *data, size_t len, char out[33]);

/* XXH3-128 of the file at path (the binary's hash). 0 or -errno. */
int store_hash_file(const char *path, char out[33]);

/* Whether name is a metric the store keeps per run and cell: wall_s (the
 * medians of every cell), or a fitted scaling parameter of a series cell
 * (workers 0): fit.amdahl.serial, fit.usl.sigma, fit.usl.kappa. */
bool store_fit_metric(const char *name);

/* `concbench store …` */
int cmd_store(int argc, char **argv);

/* Store the CSV file a run has just written into url (NULL: the default
 * store). Prints `concbench: …` on failure; returns 0, 1 or 2. */
int store_csv_file(const char *url, const char *csv_path);

#endif
