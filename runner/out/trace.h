/* trace.h - --trace=FILE: which worker ran which task, and when.
 *
 * After the run the file holds, for the last measured rep of every cell,
 * one CSV row per task (per worker body for benches):
 *   workload,mode,workers,rep,task,worker,t_start_s,t_end_s
 * Times are seconds on the rep's clock (0 = when the pool was released).
 * scripts/trace-timeline.sh draws one cell as a timeline (SVG).
 */
#ifndef CONCBENCH_TRACE_H
#define CONCBENCH_TRACE_H

#include "results.h"

/* Called by the engine after every measured rep of cell `c` (its row is
 * c->rows[c->nrows - 1]). The first call of a run starts the file (a temp
 * file beside FILE, see safeio.h) with its header; the call for a cell's
 * last measured rep adds that rep's tasks, read from res[0..c->ntasks). Does
 * nothing when --trace is unset. 0, or -1 after printing
 * `concbench: --trace: FILE: why`. */
int trace_rep(const struct run *r, const struct cell *c, const struct task_result *res);

/* After the run: keep (rename the temp file over FILE; a run without
 * measured reps gets the header only) or drop it (an interrupted or failed
 * run: FILE stays as it was). 0, or -1 after printing
 * `concbench: --trace: FILE: why` (the temp file is gone). */
int trace_finish(const struct run *r, bool keep);

#endif
