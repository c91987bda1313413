/* cell.h - the identity of a cell: which reps of concbench CSVs measured
 * the same work. The one definition used by compare (cells matched across
 * two runs) and report (one series per cell).
 *
 * A cell is every parameter that changes the work or the conditions it ran
 * under: host, workload, mode, workers, tasks, size, pin, the GIL switch
 * interval, the procs transport and the workload options (`params`). Two
 * reps that differ in any of these are different cells. Not part of it: what
 * compare compares (git_rev, version, compiler, cflags), the seed (it picks
 * the shuffle order and random inputs, not the amount of work), timestamps,
 * run ids, load, and testing knobs such as --inject=slow. */
#ifndef CONCBENCH_CELL_H
#define CONCBENCH_CELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csvread.h"

/* The parameters of the identity, as a mask for the functions below. */
enum cell_field {
	CELL_HOST = 1u << 0,
	CELL_WORKLOAD = 1u << 1,
	CELL_MODE = 1u << 2,
	CELL_WORKERS = 1u << 3,
	CELL_TASKS = 1u << 4,
	CELL_SIZE = 1u << 5,
	CELL_PIN = 1u << 6,
	CELL_SWITCH = 1u << 7,
	CELL_TRANSPORT = 1u << 8,
	CELL_PARAMS = 1u << 9,
	CELL_ALL = (1u << 10) - 1,
};

/* A series: what its cells share, i.e. every field of the identity but
 * those that tell its cells apart (CELL_IN_SERIES). Benches have
 * tasks = workers, so tasks is no key of theirs. One series is one table and
 * one plot of `report`, one group of explain (its baseline is its seq cell),
 * and it is also split by git revision (cell_same_series). */
#define CELL_IN_SERIES (CELL_MODE | CELL_WORKERS | CELL_TRANSPORT | CELL_SWITCH)
unsigned cell_series_mask(bool bench);

/* Whether a and b belong to the same series: the same kind, the fields of
 * cell_series_mask and the same git revision. */
bool cell_same_series(const struct cb_rec *a, const struct cb_rec *b);

/* Whether a and b are the same cell of the same series. */
bool cell_same_cell(const struct cb_rec *a, const struct cb_rec *b);

/* The baseline mode of a series: seq, or a prefixed one such as py-seq
 * (rows of scripts/python-reference). */
bool cell_is_baseline_mode(const char *mode);

/* Compare the fields of a and b named in mask: 0 when they are the same
 * cell (as far as mask goes), else a total order (host, workload, mode,
 * workers, tasks, size, pin, switch interval, transport, params). */
int cell_cmp(const struct cb_rec *a, const struct cb_rec *b, unsigned mask);

/* A hash of the fields in mask, equal for reps cell_cmp calls equal. */
uint64_t cell_hash(const struct cb_rec *r, unsigned mask);

/* Write the fields in mask as `name=value` words ("workers=2 size=1000"),
 * leaving out absent ones (empty transport/params, no pin column, NaN
 * switch interval); "" when none. Returns buf. */
char *cell_describe(const struct cb_rec *r, unsigned mask, char *buf, size_t len);

/* The fields in which a and b differ (a mask). */
unsigned cell_diff(const struct cb_rec *a, const struct cb_rec *b);

#endif
