/* history_int.h - what history.c (load, detect, triage), history_out.c (output)
 * and history_cmd.c (the subcommand, --noise) share. */
#ifndef CONCBENCH_HISTORY_INT_H
#define CONCBENCH_HISTORY_INT_H

#include <stdbool.h>

#include "history.h"
#include "../analysis/compare.h"

/* --noise judges A/A pairs with compare's default verdict settings. */
#define NOISE_THRESHOLD CMP_DEFAULT_THRESHOLD
#define NOISE_ALPHA CMP_DEFAULT_ALPHA

enum hfmt { H_TABLE, H_MARKDOWN, H_CSV, H_JSON };

/* strdup that gives "" for NULL; NULL only when out of memory. */
char *hist_dup_str(const char *s);
/* Print h as a table (markdown when md), CSV or JSON on stdout. */
void hist_print_table(const struct history *h, const struct cp_opts *o, bool md);
void hist_print_csv(const struct history *h);
void hist_print_json(const struct history *h, const struct cp_opts *o);

#endif
