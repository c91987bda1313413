/* options.h - the `run` command line: parsing and the resulting config. */
#ifndef CONCBENCH_OPTIONS_H
#define CONCBENCH_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/config.h"
#include "commands.h"
#include "../concbench.h"

/* Parse the `run` arguments (argv[0] is the command name) into cfg.
 * Returns 0, or EXIT_USAGE after printing `concbench: <option>: <why>`,
 * or -1 when --help/--version was printed (exit 0). */
int options_parse(int argc, char **argv, struct cb_config *cfg);

/* The subcommands --help lists (set by main; NULL in tests). */
extern const struct command *cb_commands;

/* Print --help: subcommands, core options, then every workload option,
 * from the registry. */
void options_usage(void);

/* A comma-separated list option's value has no empty item: -EINVAL for
 * "", ",1", "1,", "1,,2"; else 0. Every list parser below checks it. */
int parse_list_check(const char *s);
/* "4" | "1,2,4" | "1-8" | "auto" (CPUs in the affinity mask); sorted, unique. */
int parse_workers(const char *s, unsigned *out, unsigned cap, unsigned *n);
/* "3%", "0.5%" or "3" (percent) → fraction in (0, 1); -EINVAL / -ERANGE. */
int parse_percent(const char *s, double *out);
/* "seq,threads" | "all" → MODE_BIT mask; unknown name: -EINVAL. */
int parse_modes(const char *s, unsigned *mask);
/* "cpu" (family default), "cpu.*", "cpu.matmul", lists; -EINVAL with the
 * bad name copied to bad[]. */
int parse_workloads(const char *s, const struct workload **out, unsigned cap, unsigned *n,
                    char *bad, unsigned badlen);

/* Reset workload option values (for tests that parse twice). */
void options_reset(void);

#endif
