/* output.h - the table on stdout and the raw CSV rows. */
#ifndef CONCBENCH_OUTPUT_H
#define CONCBENCH_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "results.h"
#include "../base/budget.h"
#include "schema.h"

/* One cell of the results table as text, shared by the table on stdout
 * and --format=markdown. `unicode`: × and – instead of x and -. */
struct cell_text {
	char median[24], spread[16], speedup[48], eff[16], cpu[16], notes[160];
	const char *verdict; /* yes, NO, FAILED, TIMEOUT, - */
};

void output_cell_text(const struct cell *c, bool unicode, struct cell_text *t);

/* "yes" when every rep verified, else NO / FAILED / TIMEOUT; "-" without reps. */
const char *output_verdict(const struct cell *c);

/* "; disturbed 3/5 reps (run-queue, slow-cpu)": how many of c's reps show
 * someone else's load (noisy column, base/noise.h), each reason once; ""
 * when none does. Truncates to len. */
void output_disturbed(const struct cell *c, char *buf, size_t len);

/* The efficiency budget of cell c on `cpus` CPUs (base/budget.h) from its
 * rows and its seq baseline's. 0, or -EINVAL (b NaN) when a figure is
 * missing. */
int output_cell_budget(const struct cell *c, long cpus, struct budget *b);

/* The line under the table: what ±spread and the speedup interval are and
 * the confidence they achieve over r's cells (one figure, or a range when
 * the cells' rep counts differ); "" when r has no interval. Can't fail. */
void output_interval_note(const struct run *r, bool unicode, char *buf, size_t len);

/* Print the aligned per-cell table (with -v, each cell's efficiency budget
 * under it) and the interval note. Can't fail. */
void output_table(FILE *f, const struct run *r);

/* Lines after the table: unequal or drifting CPU speeds, unpinned with SMT,
 * system checks that WARN. Can't fail. */
void output_machine_notes(FILE *f, const struct run *r);

/* Write the header and every measured rep of r to f with libcsv quoting.
 * 0 or a negative errno. */
int output_csv(FILE *f, const struct run *r);

/* Check now, before any work, that `path` can be written (safeio.h's
 * safe_out_check(): "-", a FIFO, a character device, or a regular file in
 * a writable directory; results/ is created when path is the default).
 * 0, or EXIT_USAGE after printing `concbench: <what>: <path>: <why>`. */
int output_path_check(const char *what, const char *path, int made_default);

/* Write path with write(f, r) through safeio.h's safe_write_file(): a
 * regular file is replaced atomically (a killed run or a full disk never
 * leaves half a file), a FIFO, device or "-" is streamed into. 0 or
 * EXIT_CHECK after printing `concbench: <what>: <path>: <why>`. */
int output_file(const char *path, const char *what, int (*write)(FILE *, const struct run *),
                const struct run *r);

/* output_file() of the CSV. */
int output_csv_file(const char *path, const struct run *r);

/* The default path: results/concbench-<UTC stamp>.csv, in buf. */
void output_default_path(char *buf, size_t len);

#endif
