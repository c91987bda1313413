/* history.h - per-cell series of per-run medians from the results store,
 * their change points and triage states. Used by `history` and
 * `dashboard`. Reads the store through db.h only. */
#ifndef CONCBENCH_HISTORY_H
#define CONCBENCH_HISTORY_H

#include <stdbool.h>
#include <stdio.h>

#include "db.h"
#include "../analysis/changepoint.h"

/* A change point of one cell's series, with what a person needs to judge it. */
struct hist_cp {
	char id[13]; /* 12 hex digits: hash of cell, commit before and after */
	size_t at; /* index of the first run after the change */
	double before, after; /* medians of the segments on either side */
	double rel, lo, hi; /* after/before - 1 (Hodges-Lehmann) and its 95% interval */
	double p; /* Welch t-test p */
	bool regression; /* slower (wall time up) */
	char state[16]; /* new, acknowledged, expected, fixed */
};

/* One cell: identity, the series ordered by commit time, change points. */
struct hist_cell {
	char *uid, *host, *workload, *mode, *params;
	long workers, tasks, size;
	size_t n, cap;
	double *v, *lo, *hi; /* per-run median of wall_s and its 95% interval */
	char **commit, **run; /* the run's (struct history's runs own them) */
	size_t *ri; /* the run: index into struct history's runs */
	long long *time; /* commit time */
	struct hist_cp *cp;
	int ncp;
	bool too_short; /* fewer than 2 * min_seg runs: nothing decided */
};

/* A stored run that some series point to (commit and run of hist_cell). */
struct hist_run {
	char *uid, *commit;
	long long time; /* commit time */
};

struct history {
	const char *metric; /* wall_s, or a fitted parameter of the series cells */
	bool absolute; /* a fitted parameter: changes are shifts, min_change absolute */
	struct hist_cell *cells;
	size_t n;
	struct hist_run *runs; /* owns the strings of every cell's commit and run */
	size_t nruns;
};

/* Selection: NULL fields select everything. workload is a glob (fnmatch). */
struct hist_filter {
	const char *workload, *host, *branch;
	const char *metric; /* the stored metric of the series (store_fit_metric); NULL: wall_s */
};

/* Load every cell's series from db. 0, or DB_EINPUT / DB_ERUNTIME / -ENOMEM
 * with the reason in err. The caller frees h with history_free(). */
int history_load(struct db *db, const struct hist_filter *f, struct history *h, char *err,
                 size_t errlen);

/* Change points of every cell (cp_detect; o->absolute is taken from h), their medians, relative
 * change with interval, and ids. 0 or -ENOMEM. */
int history_detect(struct history *h, const struct cp_opts *o);

/* Record new change points as `new` (one transaction), mark a regression
 * that a later change undid as `fixed`, and read every state back into h.
 * 0 or a DB error with err. */
int history_triage(struct db *db, struct history *h, double min_change, char *err, size_t errlen);

/* Free everything of h. Can't fail. */
void history_free(struct history *h);

/* `concbench history …` and `concbench dashboard …` */
int cmd_history(int argc, char **argv);
int cmd_dashboard(int argc, char **argv);

#endif
