/* explain.h - why each cell scaled as it did, from rows only: the answer
 * first (per workload, the best mode and worker count, how sure, the main
 * reason), each cell's efficiency budget (base/budget.h) and, per workload
 * × mode, the fitted scaling models (scaling.h) or why none was fitted.
 *
 * One plan holds it all: the series and cells of analysis/cell.h, each
 * cell's speedup over its series' baseline (the one computation `report`
 * and the answer print) and budget, and the fits. `report` builds one plan
 * and takes its figures, plots and fits CSV from it; a run's --json takes
 * the fits. */
#ifndef CONCBENCH_EXPLAIN_H
#define CONCBENCH_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "csvread.h"
#include "scaling.h"
#include "../base/budget.h"
#include "../base/stats.h"

struct explain_opts {
	bool beyond_cpus; /* fit worker counts past the CPUs too */
	unsigned boot; /* bootstrap resamples; 0: the default */
	bool fits; /* fit the scaling models (bootstrap: the costly part) */
};

struct explain_plan;

/* What the plan says about one cell. */
struct explain_cell {
	/* stats_speedup over the series' baseline cell (wall times, or ops/s
	 * for benches); the baseline itself is exactly 1 with lo = hi = 1 and
	 * conf NaN; all NaN without a baseline. */
	struct speedup sp;
	struct budget budget; /* valid when has_budget */
	bool has_budget;
};

/* The fit of one workload × mode (one non-baseline mode of a series). */
struct explain_fit {
	const struct cb_rec *base; /* a rep of the series' baseline cell */
	const char *mode;
	bool beyond_cpus; /* worker counts past the CPUs were fitted too */
	struct scaling_fit fit;
};

/* Build the plan of the verified reps of res (res must outlive it). 0 or
 * -ENOMEM (*out NULL). */
int explain_plan_build(const struct cb_results *res, const struct explain_opts *o,
                       struct explain_plan **out);
void explain_plan_free(struct explain_plan *p);

/* The cell r belongs to (by identity, r need not be verified), or NULL
 * when it has no verified reps. */
const struct explain_cell *explain_cell_of(const struct explain_plan *p, const struct cb_rec *r);

/* The fits (opts.fits), in series then first-seen mode order. */
size_t explain_nfits(const struct explain_plan *p);
const struct explain_fit *explain_fit_at(const struct explain_plan *p, size_t i);
/* The fit of r's series and mode, or NULL. */
const struct explain_fit *explain_fit_of(const struct explain_plan *p, const struct cb_rec *r);

/* Write the three sections, in markdown to md and as preformatted text to
 * html (either may be NULL). 0 or -ENOMEM. */
int explain_write(FILE *md, FILE *html, const struct explain_plan *p);

/* Only the answer-first table (what a multi-mode run prints after its
 * results table). 0 or -ENOMEM. */
int explain_answer(FILE *f, const struct cb_results *res);

/* The fits as CSV (results/README.md, *Scaling fits*): a header and one
 * row per estimate. 0 or -EIO. */
int explain_fits_csv(FILE *f, const struct explain_plan *p);

/* The fits as a JSON array (results/README.md, *Scaling fits*), each line
 * after the first prefixed with indent. 0 or -EIO. */
int explain_fits_json(FILE *f, const struct explain_plan *p, const char *indent);

#endif
