/* report_model.h - what the pieces of `concbench report` share: the
 * series (group) and cell model built from the rows, and the functions one
 * piece calls in another. Internal to runner/analysis/report*.c. */
#ifndef CONCBENCH_REPORT_MODEL_H
#define CONCBENCH_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "csvread.h"
#include "explain.h"
#include "../base/stats.h"

#define GNUPLOT_TIMEOUT_S 120

struct rcell {
	const struct cb_rec *first;
	const char *mode; /* the mode, or mode/variant when the series has two */
	char *label; /* what mode points to when it is not first->mode */
	long workers;
	double *wall, *gilshare, *ops;
	size_t n, cap, nall, unverified;
	double cpu_sum;
	struct summary s;
	double ops_med, gil_med, cpu_util;
	double speedup, sp_lo, sp_hi, sp_conf, eff; /* stats_speedup() over seq */
	double prec_target; /* --precision of the run (precision_target), or NaN */
	char metric[64];
};

struct group {
	const char *host, *workload;
	long size, tasks, cpus;
	const struct cb_rec *first;
	bool bench;
	struct rcell *cells;
	size_t ncells, cap;
	double load_max; /* highest 1-minute load average seen by a seq rep */
	size_t last; /* index + 1 of the cell the last rep went to */
	char variant[160]; /* pin, params, rev when another series shares the rest */
	char plot[512]; /* path relative to DIR, "" when none */
	char reading[1024];
};

struct report {
	struct cb_results res;
	struct csv_table *hf; /* hyperfine tables */
	unsigned nhf;
	struct group *g;
	size_t ng, capg;
	size_t last; /* index + 1 of the group the last rep went to */
	const char *dir;
	const char **files;
	int nfiles;
	bool plots_ok;
	char plot_note[4400];
	struct explain_opts explain; /* the answer, budgets and fits (explain.h) */
	struct explain_plan *plan; /* built from res: speedups, budgets, fits */
};

/* report_group.c */
int rp_mode_rank(const char *m);
int rp_label_variants(struct report *rp);
int rp_add_rec(struct report *rp, const struct cb_rec *r);
int rp_group_order(const void *a, const void *b);
void rp_summarize_group(const struct report *rp, struct group *g);

/* report_reading.c */
void rp_make_reading(struct group *g);
void rp_sanitize(char *dst, size_t len, const char *s);

/* report_plot.c */
int rp_mkdir_p(const char *path);
void rp_make_plots(struct report *rp);
/* Run `gnuplot script` with a deadline; stderr to log. 0, 127 when gnuplot
 * is missing, or another non-zero status. */
int rp_run_gnuplot(const char *script, const char *log);

/* report_write.c */
void rp_html_esc(FILE *f, const char *s);
void rp_md_esc(FILE *f, const char *s);
int rp_write_outputs(struct report *rp);
/* path's bytes in base64 into out (an inline image); nothing if unreadable. */
void rp_base64_file(FILE *out, const char *path);

/* report_io.c: the I/O section (async against the other modes over
 * concurrency); nothing when the rows have no async mode. */
void rp_write_io(FILE *md, FILE *html, const struct report *rp);

/* report_explain.c: the efficiency budget bars and the fitted curves */
void rp_plot_explain(FILE *gp, const struct report *rp, const struct group *g);
bool rp_has_explain_plot(const struct report *rp, const struct group *g);
void rp_explain_plot_path(const struct group *g, char *buf, size_t len); /* relative to DIR */
int rp_write_fits(const struct report *rp);

/* report_hyperfine.c */
void rp_write_hyperfine(FILE *md, FILE *html, const struct report *rp);
bool rp_is_hyperfine(const struct csv_table *t);

#endif
