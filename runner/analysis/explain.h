/* explain.h - why each cell scaled as it did, from rows only: the answer
 * first (per workload, the best mode and worker count, how sure, the main
 * reason), each cell's efficiency budget (base/budget.h) and, per workload
 * × mode, the fitted scaling models (scaling.h) or why none was fitted. */
#ifndef CONCBENCH_EXPLAIN_H
#define CONCBENCH_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "csvread.h"

struct explain_opts {
	bool beyond_cpus; /* fit worker counts past the CPUs too */
	unsigned boot; /* bootstrap resamples; 0: the default */
};

/* Write the three sections, in markdown to md and as preformatted text to
 * html (either may be NULL), for the verified reps of res. 0 or -ENOMEM. */
int explain_write(FILE *md, FILE *html, const struct cb_results *res, const struct explain_opts *o);

/* Only the answer-first table (what a multi-mode run prints after its
 * results table). 0 or -ENOMEM. */
int explain_answer(FILE *f, const struct cb_results *res);

#endif
