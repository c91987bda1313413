/* libFuzzer target: the CSV reader of report and compare. Any input must
 * either parse into a table and typed rows or fail with -EINVAL and a
 * `NAME:LINE: why` message; never crash, leak or read out of bounds. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runner/analysis/csvread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cb_results res = {0};
	struct csv_table t;
	char err[512];
	double v;
	int rc;

	rc = csv_table_parse("fuzz.csv", (const char *)data, size, &t, err, sizeof(err));
	if (rc) {
		if (rc == -EINVAL && strncmp(err, "fuzz.csv:", 9) != 0)
			abort(); /* every parse error names the file and line */
		return 0;
	}
	for (size_t i = 0; i < t.nrows; i++)
		for (unsigned k = 0; k < t.ncols; k++)
			if (strlen(t.rows[i][k]) > size)
				abort();
	rc = results_add_table(&res, &t, err, sizeof(err));
	if (rc == -EINVAL && strncmp(err, "fuzz.csv:", 9) != 0)
		abort();
	for (size_t i = 0; i < res.n; i++) {
		(void)results_value(&res, &res.rec[i], "wall_s", &v);
		(void)results_value(&res, &res.rec[i], "primes", &v);
	}
	(void)results_has_metric(&res, "ops_per_s");
	results_free(&res);
	return 0;
}
