/* adapters.h - other tools' formats in and out of the results store:
 * Google Benchmark JSON and hyperfine JSON are imported as rep rows of
 * their own cells; a stored run is exported as Bencher's BMF or
 * github-action-benchmark's customSmallerIsBetter JSON. JSON is parsed
 * with jansson. */
#ifndef CONCBENCH_ADAPTERS_H
#define CONCBENCH_ADAPTERS_H

#include <stdio.h>

#include "../analysis/csvread.h"
#include "db.h"
#include "store.h"

/* Whether the file at path starts (after blanks) with '{': a JSON import. */
int adapter_is_json(const char *path);

/* Read a Google Benchmark JSON (context + benchmarks; aggregates skipped;
 * cell gbench.NAME, mode "external", workers = threads) or a hyperfine JSON
 * (results[].times; cell hyperfine.COMMAND, mode "external", workers 1,
 * host this machine) into in (zeroed) as the rows of one run whose id is a
 * hash of the file's content, so importing it twice stores it once.
 * Returns 0, or -EINVAL with `FILE: why` in err, or -errno / -ENOMEM. */
int adapter_load_json(const char *path, struct store_input *in, char *err, size_t errlen);

enum adapter_fmt { ADAPT_BMF, ADAPT_GAB };

/* Write the per-cell medians of the stored run run_uid as Bencher Metric
 * Format (`{"NAME": {"latency": {"value", "lower_value", "upper_value"}}}`,
 * ns) or github-action-benchmark customSmallerIsBetter (`[{"name", "unit":
 * "s", "value", "range", "extra"}]`). 0 or a DB error with err. */
int adapter_export(struct db *db, const char *run_uid, enum adapter_fmt fmt, FILE *f, char *err,
                   size_t errlen);

#endif
