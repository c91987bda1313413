/* registry.h - every workload and bench, in one list. */
#ifndef CONCBENCH_REGISTRY_H
#define CONCBENCH_REGISTRY_H

#include "../concbench.h"

/* All descriptors, workloads first, in list order; NULL-terminated. */
extern const struct workload *const registry[];

/* The descriptor named exactly `name`, or NULL. */
const struct workload *registry_find(const char *name);

#endif
