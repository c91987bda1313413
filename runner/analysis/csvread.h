/* csvread.h - read CSV files back: a generic table parsed by libcsv, and
 * the typed, validated rows of a concbench result file (results/README.md).
 * Used by `report` and `compare`. */
#ifndef CONCBENCH_CSVREAD_H
#define CONCBENCH_CSVREAD_H

#include <stdbool.h>
#include <stddef.h>

#define CSVREAD_MAX_COLS 1024
/* The largest CSV read (1 GiB, documented in results/README.md); checked
 * while reading, a regular file by its size before reading. */
#define CSVREAD_MAX_BYTES (1L << 30)

/* A parsed CSV file: the header and every row, each field NUL-terminated. */
struct csv_table {
	char *name; /* the file name, for messages */
	unsigned ncols;
	char **cols; /* header fields */
	size_t nrows;
	char ***rows; /* rows[i][0..ncols) */
	unsigned *line; /* 1-based line where row i ends */
};

/* Parse buf[0..len) with libcsv (strict quoting), streaming: no copy of
 * the input is kept, each row is one allocation. The first record is the
 * header; every other record must have as many fields. Returns 0, or
 * -EINVAL with `NAME:LINE: why` in err (empty input, a byte-order mark,
 * NUL bytes, malformed quoting, ragged rows) and t left empty, or -ENOMEM.
 * The caller frees t with csv_table_free() on success. */
int csv_table_parse(const char *name, const char *buf, size_t len, struct csv_table *t, char *err,
                    size_t errlen);

/* Read and parse a file ("-" is stdin) in chunks. Like csv_table_parse; a
 * file that can't be read gives -errno with `NAME: why` in err, one larger
 * than CSVREAD_MAX_BYTES -EFBIG. */
int csv_table_read(const char *path, struct csv_table *t, char *err, size_t errlen);

/* Free what csv_table_parse/read built; t may be zeroed. Can't fail. */
void csv_table_free(struct csv_table *t);

/* Index of the column called name, or -1. */
int csv_table_col(const struct csv_table *t, const char *name);

/* One measured rep of a concbench CSV, typed. Strings point into the table. */
struct cb_rec {
	const char *file;
	unsigned line;
	const char *host, *run_id, *workload, *mode, *status, *metrics, *ops_unit, *cpu_model;
	const char *git_rev;
	const char *transport; /* procs: shm or pipe; "" elsewhere or absent */
	const char *params; /* workload options in effect, "" when absent */
	long cpus, workers, tasks, size, rep;
	long pin; /* 0/1, -1 when the column is absent */
	bool verified, baseline;
	bool bench; /* kind = bench: workers run a body for --size ops; tasks = workers */
	double switch_interval_s; /* gil mode, else NaN */
	double wall_s, user_s, sys_s, cpu_util, gil_wait_s, ops_per_s;
	double loadavg; /* 1-minute load average when the rep started, or NaN */
	double precision_target; /* --precision of the run (0.03), or NaN */
	double min_rep_time_s; /* --min-rep-time when it chose the size, else NaN */
	double want; /* the value of cb_results.want in this rep, NaN when empty */
	struct { /* the mechanism columns, NaN where absent (older files) */
		double runq_s, steal_s, busy_s, imbalance_s, dispatch_s;
		double worker_user_s, worker_sys_s;
		bool noisy; /* the rep was flagged disturbed */
	} mech;
	unsigned table; /* index into cb_results.tables */
};

struct cb_strpool;

/* The header of one file read into a cb_results. */
struct cb_source {
	char *name;
	char **cols;
	unsigned ncols;
	int want_col; /* column of cb_results.want, or -1 */
};

/* The reps of one or more concbench CSV files. Only the typed columns are
 * kept (strings interned, one copy of each distinct value), plus the
 * column named by `want`, so large files cost little memory. */
struct cb_results {
	const char *want; /* set before loading: a column results_value must keep */
	struct cb_source *tables;
	unsigned ntables;
	struct cb_rec *rec;
	size_t n, cap;
	struct cb_strpool *pool;
};

/* Validate t as a concbench CSV of schema_version 1 (required columns
 * present, integers and numbers well-formed, verified 0/1) and append its
 * rows to res (but those discarded by --max-steal), taking ownership of t
 * (zeroed on return, also on error). Returns 0, or -EINVAL with `FILE:LINE: why` in err, or
 * -ENOMEM. */
int results_add_table(struct cb_results *res, struct csv_table *t, char *err, size_t errlen);

/* Stream a file ("-" is stdin) straight into res, with the checks and
 * messages of csv_table_read + results_add_table, without building a table;
 * but a file whose header has no schema_version column gives -ENOMSG (with
 * the message), so a caller can read it as another format. */
int results_load(struct cb_results *res, const char *path, char *err, size_t errlen);

/* Free everything of res. Can't fail. */
void results_free(struct cb_results *res);

/* The value of `metric` in rec: a typed numeric column (wall_s, ops_per_s,
 * cpu_util, …), the column named by res->want when loaded (task_p99_s, …),
 * or a name of its `metrics` column. Returns 0,
 * -ENOENT when neither exists or the field is empty (does not apply to this
 * rep), -EINVAL when it is not a number. */
int results_value(const struct cb_results *res, const struct cb_rec *rec, const char *metric,
                  double *out);

/* Whether metric is known in res: a column of every table or a metrics
 * name of at least one rep. */
bool results_has_metric(const struct cb_results *res, const char *metric);

/* Strict number parsers: the whole string, finite. 0 or -EINVAL. */
int csv_parse_double(const char *s, double *out);
int csv_parse_long(const char *s, long *out);

#endif
