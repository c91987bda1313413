/* engine_int.h - what the pieces of the engine share: engine.c (the plan),
 * rep.c (one rep), schedule.c (the cells loop), summary.c (statistics). */
#ifndef CONCBENCH_ENGINE_INT_H
#define CONCBENCH_ENGINE_INT_H

#include <stdbool.h>

#include "engine.h"

/* A cell's pool and what it cost, kept by the engine for the cell's life. */
struct cell_pool {
	struct pool *pool; /* alive from the cell's first rep to its last */
	double startup_s; /* pool_start(); NAN before */
	double cold_s; /* makespan of the pool's first rep; NAN before */
	long rss_base_kb, vm_base_kb; /* VmRSS, VmSize before the pool started */
};

/* The stop flag of a context no watchdog can stop (engine.c): never set. */
extern _Atomic int eng_no_stop;

/* Prepare in once (engine.c). 0 or the workload's error. */
int eng_prepare_instance(struct instance *in);
/* rep.c: stop one cell's pool / every pool; run one rep of c on its pool
 * (row NULL: a warmup); run_rep_steal sets aside a rep --max-steal or
 * --max-slowdown discards, and runs it again (at most MAX_STEAL_RERUNS
 * times; under --precision never: added rounds make up for it). */
void eng_stop_pool(struct cell *c, struct cell_pool *cp);
void eng_stop_all_pools(struct run *r, struct cell_pool *cps);
int eng_run_rep(struct run *r, struct cell *c, struct cell_pool *cp, struct rep_row *row);
int eng_run_rep_steal(struct run *r, struct cell *c, struct cell_pool *cp, struct rep_row *row,
                      bool measured);

#endif
