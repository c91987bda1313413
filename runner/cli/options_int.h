/* options_int.h - what options.c (the option tables, --help, the run command
 * line) and parse.c (the value parsers) share. */
#ifndef CONCBENCH_OPTIONS_INT_H
#define CONCBENCH_OPTIONS_INT_H

#include <stdio.h>

/* parse.c: list the valid workload names (families and kernels) on f. */
void opt_print_valid_workloads(FILE *f);

#endif
