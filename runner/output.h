/* output.h - the table on stdout and the raw CSV rows. */
#ifndef CONCBENCH_OUTPUT_H
#define CONCBENCH_OUTPUT_H

#include <stdio.h>

#include "engine.h"

#define CSV_SCHEMA_VERSION 1

/* The CSV header, in column order (NULL-terminated). */
extern const char *const csv_columns[];

/* Print the aligned per-cell table. Can't fail. */
void output_table(FILE *f, const struct run *r);

/* Write the header and every measured rep of r to f with libcsv quoting.
 * 0 or a negative errno. */
int output_csv(FILE *f, const struct run *r);

/* Check now that `path` can be written (its directory exists and is
 * writable; results/ is created when path is the default). 0, or
 * EXIT_USAGE after printing `concbench: --csv: <path>: <why>`. */
int output_csv_check(const char *path, int made_default);

/* Write the CSV to path through a temp file in the same directory and
 * rename(), so a killed run never leaves half a file. 0 or EXIT_CHECK
 * after printing the error; the temp file is removed on failure. */
int output_csv_file(const char *path, const struct run *r);

/* The default path: results/concbench-<UTC stamp>.csv, in buf. */
void output_default_path(char *buf, size_t len);

#endif
