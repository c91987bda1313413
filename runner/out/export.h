/* export.h - result exports beside the table and the CSV: Google
 * Benchmark JSON (--json, --format=json) and a markdown table
 * (--format=markdown). */
#ifndef CONCBENCH_EXPORT_H
#define CONCBENCH_EXPORT_H

#include <stdio.h>

#include "results.h"

/* Write r as Google Benchmark JSON: a context block (machine, version) and
 * per cell one "iteration" row per measured rep and "aggregate" rows
 * (mean, median, stddev, cv), named `workload/mode:M/workers:N`, times in
 * microseconds; then, when r->fits_json is set, "scaling_fits": the scaling
 * model of each workload x mode (results/README.md, *Scaling fits*).
 * github-action-benchmark (tool: googlecpp) and Google's
 * compare.py read it. 0 or -EIO. */
int export_json(FILE *f, const struct run *r);

/* export_json into path through a temp file and rename(). 0, or
 * EXIT_CHECK after printing `concbench: --json: <path>: <why>`. */
int export_json_file(const char *path, const struct run *r);

/* The per-cell table of output_table() as a GitHub markdown table. Can't
 * fail. */
void export_markdown(FILE *f, const struct run *r);

#endif
