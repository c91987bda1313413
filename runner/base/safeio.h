/* base/safeio.h - the safe writer and bounded reader of runner/safeio.h
 * (part of the workload API, implemented in base/safeio.c), for the parts
 * of the runner whose include rules don't reach the API (analysis/). */
#ifndef CONCBENCH_BASE_SAFEIO_H
#define CONCBENCH_BASE_SAFEIO_H

#include "../safeio.h"

#endif
