/* budget.h - where a cell's efficiency went, from its rows only.
 *
 * A rep of N workers that took `wall` seconds had W = N × wall
 * worker-seconds; seq needed T (the median seq wall time), so the
 * efficiency is e = T / W and 1 - e of W was lost. By the task clock and
 * the workers' own counters (runner/exec/mech.h), W splits exactly into
 *
 *   busy        in tasks
 *   imbalance   idle after its last task while other workers still ran
 *   dispatch    before the first task, between tasks, after the last task
 *               until the rep's clock stopped (wake-up, hand-off, spawn)
 *
 * and busy into on-CPU time (user + sys), run-queue wait, GIL wait, steal
 * and the rest: blocked (I/O, locks, sleep). On-CPU time beyond seq's is
 * split into kernel (sys beyond seq's: faults, syscalls) and user time
 * beyond seq's, which no counter here attributes (caches, memory
 * bandwidth, SMT siblings, slower CPUs): that is *unexplained*. The
 * reference itself may have waited (seq's wall time beyond its CPU time,
 * on a loaded machine): that share, baseline, is ≤ 0 and makes the cell
 * look better than its own mechanisms say. So per rep, as shares of W:
 *
 *   1 = e + run-queue + steal + GIL + imbalance + dispatch + kernel + blocked
 *         + baseline + unexplained
 *
 * where unexplained is what is left, never estimated. Steal is the stolen
 * time of the CPUs in the affinity mask during the rep, times min(N, cpus)
 * / cpus (the share of them the workers could occupy); it is taken out of
 * blocked, which holds it when the kernel keeps steal out of task run time
 * (CONFIG_PARAVIRT_TIME_ACCOUNTING). A cell's budget is the mean of its
 * reps' budgets, so it still adds up to 1.
 */
#ifndef CONCBENCH_BUDGET_H
#define CONCBENCH_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

enum budget_part {
	BUDGET_RUNQ,
	BUDGET_STEAL,
	BUDGET_GIL,
	BUDGET_IMBALANCE,
	BUDGET_DISPATCH,
	BUDGET_KERNEL,
	BUDGET_BLOCKED,
	BUDGET_BASELINE,
	BUDGET_UNEXPLAINED,
	BUDGET_NPARTS
};

/* "run-queue", "steal", "GIL", "imbalance", "dispatch", "kernel",
 * "blocked", "baseline", "unexplained" */
extern const char *const budget_part_names[];
/* The same, as CSV/JSON keys: "runq", "steal", "gil", … */
extern const char *const budget_part_keys[];

/* One rep, from its row's columns (results/README.md). */
struct budget_rep {
	double workers, cpus, wall_s;
	double busy_s, imbalance_s, dispatch_s; /* task clock, summed over workers */
	double worker_user_s, worker_sys_s; /* the workers' own CPU time */
	double runq_s; /* run-queue wait, summed over workers */
	double gil_wait_s; /* NaN outside gil mode: 0 */
	double steal_s; /* steal of the CPUs in the mask during the rep */
};

/* The seq baseline: medians of its reps' wall time and of its worker's
 * own user and sys time. */
struct budget_ref {
	double wall_s, user_s, sys_s;
};

struct budget {
	double eff;
	double part[BUDGET_NPARTS]; /* shares of W; unexplained may be < 0 (over-counted) */
	size_t nreps; /* reps averaged */
};

/* The budget of one rep. 0, or -EINVAL (budget filled with NaN) when a
 * figure it needs is missing (NaN) or wall/workers/ref are not > 0. */
int budget_of_rep(const struct budget_rep *r, const struct budget_ref *ref, struct budget *b);

/* The mean budget of reps r[0..n) (reps that can't be budgeted are left
 * out). 0, or -EINVAL when none could (b filled with NaN, nreps 0). */
int budget_of_cell(const struct budget_rep *r, size_t n, const struct budget_ref *ref,
                   struct budget *b);

/* Share of the lost efficiency (1 - eff) that named mechanisms account
 * for: (1 - eff - unexplained) / (1 - eff). NaN when nothing was lost. */
double budget_explained(const struct budget *b);

/* The largest part (unexplained included, baseline not: it is no cost of
 * the cell). */
enum budget_part budget_main_cause(const struct budget *b);

/* "eff 0.62: run-queue 21%, steal 0%, GIL 0%, imbalance 6%, dispatch 1%,
 * kernel 3%, blocked 0%, baseline -2%, unexplained 8%" into buf. Can't
 * fail. */
void budget_format(const struct budget *b, char *buf, size_t len);

#endif
