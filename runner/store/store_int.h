/* store_int.h - what store.c (ingest) and store_cmd.c (the subcommand) share. */
#ifndef CONCBENCH_STORE_INT_H
#define CONCBENCH_STORE_INT_H

#include "store.h"

/* The exit status of a store error: 2 for bad input (DB_EINPUT, -EINVAL),
 * else 1. */
int st_exit_of(int rc);
/* The commit, branch and commit time of m from CONCBENCH_COMMIT,
 * CONCBENCH_BRANCH and CONCBENCH_COMMIT_TIME (unset: NULL, -1). */
void st_meta_from_env(struct store_meta *m);

#endif
