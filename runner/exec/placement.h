/* placement.h - which CPU each worker is pinned to (--pin), and where the
 * workers of a rep actually ran. */
#ifndef CONCBENCH_PLACEMENT_H
#define CONCBENCH_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/config.h"
#include "../concbench.h"

/* Order cpus[0..n) for pin mode `pin` into out[0..n), given core[i], an id
 * shared by exactly the SMT siblings of cpus[i] (e.g. its lowest sibling).
 * cpus[] is ascending. PIN_NONE and PIN_MASK keep number order. Can't fail. */
void placement_sort(enum cb_pin pin, const unsigned *cpus, const unsigned *core, unsigned n,
                    unsigned *out);

/* The CPUs of this thread's affinity mask in the order of `pin`, at most
 * cap. Returns how many (at least 1 unless sched_getaffinity fails: then 0).
 * SMT siblings come from /sys/devices/system/cpu/cpuN/topology; a CPU
 * without that file counts as its own core. */
unsigned placement_cpus(enum cb_pin pin, unsigned *out, unsigned cap);

/* True when two CPUs of this thread's affinity mask are SMT siblings. */
bool placement_has_smt(void);

/* Where the workers of one rep ran, from the CPUs each task saw at its
 * start and end (task_result.cpu_start/cpu_end): `w:c` per worker in worker
 * order, several CPUs joined by '+', e.g. "0:0;1:1" or "0:0+1;1:1". *moves
 * is the number of CPU changes seen between consecutive observations of the
 * same worker (a lower bound on its migrations). buf is "" when no task
 * recorded a CPU. Can't fail; truncates to len. */
void placement_describe(const struct task_result *res, unsigned ntasks, unsigned nworkers,
                        char *buf, size_t len, unsigned *moves);

#endif
