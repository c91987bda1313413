/* compare_cmd.c - `concbench compare BASE.csv HEAD.csv`: read both sides,
 * group reps into cells (cell.h), decide each cell (compare.c), print the
 * table; exit 0 pass, 1 regression, 2 error, 3 inconclusive. */
#include "compare.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "csvread.h"
#include "../base/stats.h"
#include "../base/util.h"

/* One cell (cell.h): the reps of both sides with its identity. */
struct cmp_cell {
	const struct cb_rec *key; /* first rep seen: the cell's identity */
	double *v[2]; /* values of verified reps: base, head */
	const char **rid[2]; /* run_id of each value */
	bool *dist[2]; /* each value's rep was disturbed (blocked: most of its run's reps) */
	size_t n[2], cap[2];
	size_t reps[2]; /* verified reps with a value */
	bool blocked; /* v[] holds one median per run (invocation) */
	size_t bad[2]; /* reps not verified */
	size_t noisy[2]; /* verified reps with a value that were disturbed (noisy column) */
	unsigned ambiguous; /* cell.h fields that tell it from a cell with the same
	                       workload, mode and workers */
	struct cmp_stats st;
	enum cmp_verdict verdict;
	char why[160];
	/* its workload's flagged values over its unflagged ones (flag_effect) */
	double flag_lo, flag_hi;
	bool flags_harmless; /* that interval lies within the threshold */
};

/* A workload's matched cells taken together (hl_ratio_pooled): a change
 * they all share, which each cell's few invocations may leave undecided,
 * decides on all of them. It can add a regression (or improvement); it
 * never passes a cell its own values leave undecided. */
struct cmp_group {
	struct cmp_cell **cells; /* the workload's cells with values on both sides */
	size_t k;
	struct cmp_stats st;
	enum cmp_verdict verdict;
	char why[160];
};

/* The cells, found by identity through an open-addressing hash table. */
struct cmp_set {
	struct cmp_cell *cells;
	size_t n, cap;
	size_t *slot; /* index + 1 into cells; 0 = empty */
	size_t nslot;
};

struct cmp_opts {
	double threshold, alpha;
	const char *metric;
	bool markdown;
	bool higher_better;
	bool inconclusive_pass;
};

static int cell_order(const void *a, const void *b)
{
	const struct cmp_cell *x = a, *y = b;

	int c = cell_cmp(x->key, y->key, CELL_WORKLOAD);

	if (!c)
		c = cell_cmp(x->key, y->key, CELL_MODE);
	if (!c)
		c = cell_cmp(x->key, y->key, CELL_WORKERS);
	return c ? c : cell_cmp(x->key, y->key, CELL_ALL);
}

static int set_grow(struct cmp_set *set)
{
	size_t ns = set->nslot ? 2 * set->nslot : 1024;
	size_t *slot = calloc(ns, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++) {
		size_t k = cell_hash(set->cells[i].key, CELL_ALL) & (ns - 1);

		while (slot[k])
			k = (k + 1) & (ns - 1);
		slot[k] = i + 1;
	}
	free(set->slot);
	set->slot = slot;
	set->nslot = ns;
	return 0;
}

static struct cmp_cell *find_cell(struct cmp_set *set, const struct cb_rec *r)
{
	size_t k;

	if (2 * (set->n + 1) > set->nslot && set_grow(set))
		return NULL;
	k = cell_hash(r, CELL_ALL) & (set->nslot - 1);
	for (; set->slot[k]; k = (k + 1) & (set->nslot - 1)) {
		struct cmp_cell *c = &set->cells[set->slot[k] - 1];

		if (cell_cmp(c->key, r, CELL_ALL) == 0)
			return c;
	}
	if (set->n == set->cap) {
		size_t nc = set->cap ? 2 * set->cap : 64;
		struct cmp_cell *p = realloc(set->cells, nc * sizeof(*p));

		if (!p)
			return NULL;
		set->cells = p;
		set->cap = nc;
	}
	memset(&set->cells[set->n], 0, sizeof(set->cells[0]));
	set->cells[set->n].key = r;
	set->slot[k] = ++set->n;
	return &set->cells[set->n - 1];
}

static int add_value(struct cmp_cell *c, int side, double v, const char *rid, bool disturbed)
{
	if (c->n[side] == c->cap[side]) {
		size_t nc = c->cap[side] ? 2 * c->cap[side] : 16;
		double *p = realloc(c->v[side], nc * sizeof(*p));
		const char **r;
		bool *d;

		if (!p)
			return -ENOMEM;
		c->v[side] = p;
		r = realloc(c->rid[side], nc * sizeof(*r));
		if (!r)
			return -ENOMEM;
		c->rid[side] = r;
		d = realloc(c->dist[side], nc * sizeof(*d));
		if (!d)
			return -ENOMEM;
		c->dist[side] = d;
		c->cap[side] = nc;
	}
	c->dist[side][c->n[side]] = disturbed;
	c->rid[side][c->n[side]] = rid;
	c->v[side][c->n[side]++] = v;
	c->reps[side]++;
	return 0;
}

struct rid_val {
	const char *rid;
	double v;
	bool d;
};

static int rid_val_cmp(const void *a, const void *b)
{
	const struct rid_val *x = a, *y = b;
	int c = strcmp(x->rid, y->rid);

	return c ? c : (x->v > y->v) - (x->v < y->v);
}

/* Sort side's values by run; return the number of runs, or -ENOMEM. */
static long sort_by_run(struct cmp_cell *c, int side, struct rid_val **out)
{
	struct rid_val *p = malloc((c->n[side] + 1) * sizeof(*p));
	long runs = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < c->n[side]; i++)
		p[i] = (struct rid_val){c->rid[side][i], c->v[side][i], c->dist[side][i]};
	qsort(p, c->n[side], sizeof(*p), rid_val_cmp);
	for (size_t i = 0; i < c->n[side]; i++)
		runs += i == 0 || strcmp(p[i].rid, p[i - 1].rid) != 0;
	*out = p;
	return runs;
}

/* Reps of one invocation share its machine state (load, frequency, memory
 * layout) and are not independent; a rank test over them overstates its
 * confidence. When both sides hold at least CMP_MIN_RUNS invocations (as
 * scripts/ci-regress interleaves them), each invocation's median becomes
 * one observation. 0 or -ENOMEM. */
#define CMP_MIN_RUNS 5
static int block_by_run(struct cmp_cell *c)
{
	struct rid_val *p[2] = {NULL, NULL};
	long runs[2];
	int rc = 0;

	for (int side = 0; side < 2; side++) {
		runs[side] = sort_by_run(c, side, &p[side]);
		if (runs[side] < 0) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (runs[0] < CMP_MIN_RUNS || runs[1] < CMP_MIN_RUNS)
		goto out;
	for (int side = 0; side < 2; side++) {
		size_t k = 0, n = c->n[side];

		for (size_t i = 0; i < n;) {
			size_t j = i, nd = 0;

			while (j < n && strcmp(p[side][j].rid, p[side][i].rid) == 0)
				nd += p[side][j++].d;
			/* the run's observation is disturbed when most of its reps were */
			c->dist[side][k] = 2 * nd > j - i;
			/* values of the run are sorted: its median */
			if ((j - i) % 2)
				c->v[side][k++] = p[side][i + (j - i) / 2].v;
			else
				c->v[side][k++] =
				    (p[side][i + (j - i) / 2 - 1].v + p[side][i + (j - i) / 2].v) /
				    2;
			i = j;
		}
		c->n[side] = k;
	}
	c->blocked = true;
out:
	free(p[0]);
	free(p[1]);
	return rc;
}

static int collect(const struct cb_results *res, int side, const char *metric, struct cmp_set *set)
{
	size_t last = 0; /* index + 1 of the previous rep's cell: reps come in runs */

	for (size_t i = 0; i < res->n; i++) {
		const struct cb_rec *r = &res->rec[i];
		struct cmp_cell *c = last && cell_cmp(set->cells[last - 1].key, r, CELL_ALL) == 0
		                         ? &set->cells[last - 1]
		                         : find_cell(set, r);
		double v;
		int rc;

		if (!c)
			return -ENOMEM;
		last = (size_t)(c - set->cells) + 1;
		if (!r->verified) {
			c->bad[side]++;
			continue;
		}
		rc = results_value(res, r, metric, &v);
		if (rc == -ENOENT)
			continue;
		if (rc) {
			cb_errorf("compare", "%s:%u: %s: not a number", r->file, r->line, metric);
			return -EINVAL;
		}
		if (add_value(c, side, v, r->run_id, r->mech.noisy))
			return -ENOMEM;
		c->noisy[side] += r->mech.noisy;
	}
	return 0;
}

static void fmt_value(char *buf, size_t len, const char *metric, double v)
{
	size_t ml = strlen(metric);

	if (isnan(v))
		snprintf(buf, len, "-");
	else if (ml > 2 && strcmp(metric + ml - 2, "_s") == 0)
		fmt_seconds(buf, len, v);
	else
		snprintf(buf, len, "%.4g", v);
}

static bool both_sides(const struct cmp_cell *c)
{
	return c->n[0] + c->bad[0] && c->n[1] + c->bad[1];
}

/* Unmatched cells that differ from one on the other side in their size
 * only: say so, once per workload and pair of sizes, and why when
 * --min-rep-time chose a size (a slower head calibrates a smaller size, so
 * its cells never meet the base's). */
static void print_size_mismatches(const struct cmp_cell *cells, size_t n, bool md)
{
	bool *told = calloc(n + 1, sizeof(*told));

	for (size_t i = 0; told && i < n; i++) {
		const struct cmp_cell *b = &cells[i];
		bool said = false;

		if (both_sides(b) || !(b->n[0] + b->bad[0]))
			continue;
		for (size_t k = 0; k < i && !said; k++)
			said = told[k] && strcmp(cells[k].key->workload, b->key->workload) == 0 &&
			       cells[k].key->size == b->key->size;
		if (said)
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct cmp_cell *h = &cells[j];
			bool cal;

			if (both_sides(h) || !(h->n[1] + h->bad[1]) ||
			    cell_diff(b->key, h->key) != CELL_SIZE)
				continue;
			cal = !isnan(b->key->min_rep_time_s) || !isnan(h->key->min_rep_time_s);
			told[i] = true;
			printf(
			    "%snote: %s ran size %ld in base and %ld in head%s: give both sides "
			    "the same --size (e.g. -s %ld) to compare them\n",
			    md ? "\n- " : "", b->key->workload, b->key->size, h->key->size,
			    cal ? " (--min-rep-time calibrated each run's size to its own speed; "
			          "a slower build picks a smaller size)"
			        : "",
			    b->key->size);
			break;
		}
	}
	free(told);
}

/* The workloads pooled (decide_groups), after the cells' table; counts
 * their verdicts into count[]. */
static void print_groups(const struct cmp_group *g, size_t ng, const struct cmp_opts *o,
                         unsigned *count)
{
	bool md = o->markdown;

	if (!ng)
		return;
	if (md) {
		printf("\nPooled by workload: every pair of invocations within each of its cells, "
		       "one interval; a change all its cells share decides on all of them. It can "
		       "find a regression the cells can't; it never passes a cell.\n\n");
		printf("| workload | cells | values base/head | ratio | 95%% CI | verdict |\n");
		printf("|---|--:|--:|--:|---|---|\n");
	} else {
		printf("pooled by workload (the pairs of invocations within each of its cells, "
		       "one interval: a change all its cells share; it never passes a cell):\n");
		printf("%-20s %5s %13s %7s %17s  %s\n", "workload", "cells", "values b/h", "ratio",
		       "95% CI", "verdict");
	}
	for (size_t i = 0; i < ng; i++) {
		const struct cmp_group *x = &g[i];
		char reps[48], ratio[16] = "-", ci[40] = "-";
		bool bold = x->verdict == CMP_REGRESSION;

		count[x->verdict]++;
		snprintf(reps, sizeof(reps), "%zu/%zu", x->st.nb, x->st.nh);
		if (!isnan(x->st.ratio)) {
			snprintf(ratio, sizeof(ratio), "%.3f", x->st.ratio);
			snprintf(ci, sizeof(ci), "[%.3f, %.3f]", x->st.ci_lo, x->st.ci_hi);
		}
		if (md)
			printf("| %s | %zu | %s | %s | %s | %s%s%s (%s) |\n",
			       x->cells[0]->key->workload, x->k, reps, ratio, ci, bold ? "**" : "",
			       cmp_verdict_names[x->verdict], bold ? "**" : "", x->why);
		else
			printf("%-20s %5zu %13s %7s %17s  %s (%s)\n", x->cells[0]->key->workload,
			       x->k, reps, ratio, ci, cmp_verdict_names[x->verdict], x->why);
	}
}

static void print_cells(const struct cmp_cell *cells, size_t n, const struct cmp_group *g,
                        size_t ng, const struct cmp_opts *o, const char *base, const char *head)
{
	unsigned count[5] = {0}, pooled[5] = {0}, unmatched = 0;
	bool md = o->markdown;
	char desc[512];

	if (md) {
		printf("### concbench compare: `%s` vs `%s`\n\n", base, head);
		printf(
		    "Metric `%s` (%s is better), threshold %.3g%%, alpha %g. Ratio = the "
		    "Hodges-Lehmann estimate of head/base, with its distribution-free interval "
		    "(at least 95%%). A cell regresses when the interval lies beyond the "
		    "threshold, or when its change is significant (Mann-Whitney U, Holm-adjusted "
		    "over the cells whose estimate is beyond the threshold) and the estimate is "
		    "beyond it. When both sides hold %d or more runs (invocations), each run's "
		    "median is one observation.\n\n",
		    o->metric, o->higher_better ? "higher" : "lower", 100 * o->threshold, o->alpha,
		    CMP_MIN_RUNS);
		printf("| workload | mode | workers | reps base/head | base median | head median | "
		       "ratio | 95%% CI | p | verdict |\n");
		printf("|---|---|--:|--:|--:|--:|--:|---|--:|---|\n");
	} else {
		printf("compare %s (base) vs %s (head): %s, %s is better; threshold %.3g%%, alpha "
		       "%g; ratio and interval: Hodges-Lehmann; p Holm-adjusted over the cells "
		       "beyond the threshold\n",
		       base, head, o->metric, o->higher_better ? "higher" : "lower",
		       100 * o->threshold, o->alpha);
		printf("%-20s %-15s %7s %22s %11s %11s %7s %17s %8s  %s\n", "workload", "mode",
		       "workers", "reps b/h", "base", "head", "ratio", "95% CI", "p", "verdict");
	}
	for (size_t i = 0; i < n; i++) {
		const struct cmp_cell *c = &cells[i];
		char b[24], h[24], reps[64], ci[40] = "-", ratio[16] = "-", p[16] = "-", wl[256];
		const char *v = cmp_verdict_names[c->verdict];
		bool bold = c->verdict == CMP_REGRESSION || c->verdict == CMP_UNVERIFIED;

		if (!both_sides(c))
			continue;
		count[c->verdict]++;
		fmt_value(b, sizeof(b), o->metric, c->st.med_b);
		fmt_value(h, sizeof(h), o->metric, c->st.med_h);
		if (c->blocked)
			snprintf(reps, sizeof(reps), "%zu/%zu in %zu/%zu runs", c->reps[0],
			         c->reps[1], c->n[0], c->n[1]);
		else
			snprintf(reps, sizeof(reps), "%zu/%zu", c->n[0], c->n[1]);
		if (!isnan(c->st.ratio))
			snprintf(ratio, sizeof(ratio), "%.3f", c->st.ratio);
		if (!isnan(c->st.ci_lo) && c->n[0] && c->n[1])
			snprintf(ci, sizeof(ci), "[%.3f, %.3f]", c->st.ci_lo, c->st.ci_hi);
		if (!isnan(c->st.p) && c->n[0] && c->n[1])
			snprintf(p, sizeof(p), "%.2g", c->st.p);
		if (c->ambiguous)
			snprintf(wl, sizeof(wl), "%s (%s)", c->key->workload,
			         cell_describe(c->key, c->ambiguous, desc, sizeof(desc)));
		else
			snprintf(wl, sizeof(wl), "%s", c->key->workload);
		if (md)
			printf("| %s | %s | %ld | %s | %s | %s | %s | %s | %s | %s%s%s (%s) |\n",
			       wl, c->key->mode, c->key->workers, reps, b, h, ratio, ci, p,
			       bold ? "**" : "", v, bold ? "**" : "", c->why);
		else
			printf("%-20s %-15s %7ld %22s %11s %11s %7s %17s %8s  %s (%s)\n", wl,
			       c->key->mode, c->key->workers, reps, b, h, ratio, ci, p, v, c->why);
	}
	print_groups(g, ng, o, pooled);
	for (int side = 0; side < 2; side++) {
		for (size_t i = 0; i < n; i++) {
			const struct cmp_cell *c = &cells[i];
			size_t here = c->n[side] + c->bad[side];

			if (!here || both_sides(c))
				continue;
			unmatched++;
			printf("%sonly in %s (%s): %s (%zu reps)\n", md ? "\n- " : "",
			       side ? "head" : "base", side ? head : base,
			       cell_describe(c->key, CELL_ALL & ~CELL_HOST, desc, sizeof(desc)),
			       here);
		}
	}
	print_size_mismatches(cells, n, md);
	if (!count[CMP_PASS] && !count[CMP_REGRESSION] && !count[CMP_IMPROVEMENT] &&
	    !count[CMP_INCONCLUSIVE] && !count[CMP_UNVERIFIED])
		printf("%sno cell in common: nothing was compared (inconclusive)\n",
		       md ? "\n- " : "");
	if (unmatched)
		printf(
		    "%snote: %u unmatched cells are not compared: a cell is every parameter that "
		    "changes the work (host, workload, mode, workers, tasks, size, pin, switch "
		    "interval, transport, params)\n",
		    md ? "\n- " : "", unmatched);
	printf("%ssummary%s %u pass, %u regression, %u improvement, %u inconclusive, %u "
	       "unverified\n",
	       md ? "\n**" : "", md ? ":**" : ":", count[CMP_PASS], count[CMP_REGRESSION],
	       count[CMP_IMPROVEMENT], count[CMP_INCONCLUSIVE], count[CMP_UNVERIFIED]);
	if (ng)
		printf("%spooled by workload%s %u regression, %u improvement, %u pass, %u "
		       "inconclusive\n",
		       md ? "\n**" : "", md ? ":**" : ":", pooled[CMP_REGRESSION],
		       pooled[CMP_IMPROVEMENT], pooled[CMP_PASS], pooled[CMP_INCONCLUSIVE]);
	if (md)
		printf("\n");
}

static void compare_usage(void)
{
	printf("usage: concbench compare [OPTIONS] BASE.csv HEAD.csv\n"
	       "Per cell (every parameter that changes the work: host, workload, mode,\n"
	       "workers, tasks, size, pin, switch interval, transport, params; cells that\n"
	       "differ in one are listed as unmatched): the Hodges-Lehmann estimate of\n"
	       "head/base with its distribution-free interval (at least 95%%), a\n"
	       "Mann-Whitney U p-value, and a verdict. A regression: the interval lies\n"
	       "beyond the threshold, or the change is significant (Holm-adjusted over the\n"
	       "cells whose estimate is beyond the threshold) with the estimate beyond it;\n"
	       "when the slower side's reps were flagged disturbed (the noisy column:\n"
	       "steal, slow-cpu, run-queue, other-load) in a fifth or more of them, only\n"
	       "if the undisturbed reps decide it too; else inconclusive (unless the\n"
	       "workload's flagged reps ran within the threshold of its others).\n"
	       "A workload with two or more matched cells of 5+ invocations a side is\n"
	       "also pooled: one interval over the pairs of invocations within each of\n"
	       "its cells (a stratified Hodges-Lehmann ratio). A pooled regression fails\n"
	       "the gate (the same disturbed-reps rule; an undecided pool is decided on\n"
	       "its undisturbed values when 2+ cells have some); a pooled pass never\n"
	       "passes a cell.\n"
	       "Exit 0: no regression; 1: a regression of a cell or of a workload pooled\n"
	       "(or an unverified head rep); 2: error; 3: inconclusive (a cell the reps\n"
	       "can't decide, or no cell in common), unless --inconclusive=pass.\n\n"
	       "  --threshold=PCT   smallest change that counts, e.g. 10%% or 0.1 (default 10%%)\n"
	       "  --alpha=P         family-wise significance level (default 0.01)\n"
	       "  --metric=NAME     a numeric CSV column or a metrics name (default wall_s);\n"
	       "                    names ending in _per_s are higher-is-better\n"
	       "  --inconclusive=fail|pass  exit 3 (default) or 0 when a cell is undecided\n"
	       "  --format=plain|markdown   output (default plain)\n"
	       "  -h, --help        this help\n");
}

static bool is_higher_better(const char *metric)
{
	size_t n = strlen(metric);

	return n > 6 && strcmp(metric + n - 6, "_per_s") == 0;
}

/* Mark cells that share workload, mode and workers with another (cells are
 * sorted by those first), so the table names what tells them apart. */
static void mark_ambiguous(struct cmp_cell *cells, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (!cell_cmp(cells[i].key, cells[i - 1].key,
		              CELL_WORKLOAD | CELL_MODE | CELL_WORKERS)) {
			unsigned d = cell_diff(cells[i].key, cells[i - 1].key);

			cells[i].ambiguous |= d;
			cells[i - 1].ambiguous |= d;
		}
	}
}

/* The interval of cells c[0..k) (of their undisturbed values only when
 * clean) into st, for cmp_decide with the interval alone: one cell by
 * cmp_compute, several pooled. 0; 1 when a side has no value or a value is
 * not positive (nothing to decide); -ENOMEM. */
static int interval_of(struct cmp_cell *const *c, size_t k, bool clean, struct cmp_stats *st)
{
	struct hl_stratum *s = calloc(k + 1, sizeof(*s));
	double **q = calloc(2 * k + 1, sizeof(*q));
	size_t m[2] = {0, 0};
	int rc = -ENOMEM;

	if (!s || !q)
		goto out;
	for (size_t i = 0; i < k; i++) {
		for (int side = 0; side < 2; side++) {
			size_t *len = side ? &s[i].nh : &s[i].nb;
			double *v = malloc((c[i]->n[side] + 1) * sizeof(*v));

			if (!v)
				goto out;
			q[2 * i + (size_t)side] = v;
			for (size_t j = 0; j < c[i]->n[side]; j++)
				if (!clean || !c[i]->dist[side][j])
					v[(*len)++] = c[i]->v[side][j];
			m[side] += *len;
		}
		s[i].b = q[2 * i];
		s[i].h = q[2 * i + 1];
	}
	rc = 1;
	if (!m[0] || !m[1])
		goto out;
	if (k == 1) {
		rc = cmp_compute(s[0].b, s[0].nb, s[0].h, s[0].nh, st);
	} else {
		memset(st, 0, sizeof(*st));
		st->nb = m[0];
		st->nh = m[1];
		st->med_b = st->med_h = NAN;
		rc = hl_ratio_pooled(s, k, &st->ratio, &st->ci_lo, &st->ci_hi, &st->conf);
		rc = rc == -EINVAL ? 1 : rc;
	}
	/* the interval alone: p-values are a single cell's, over all its reps */
	st->p = 1;
	st->candidate = false;
out:
	for (size_t i = 0; q && i < 2 * k; i++)
		free(q[i]);
	free(q);
	free(s);
	return rc;
}

/* How much the disturbance the noisy column flags moved the values of the
 * workload of cells[0..n): the ratio of flagged to unflagged values within
 * each cell and side that has both (so a change between the sides and the
 * cells' levels cancel), pooled (hl_ratio_pooled). A neighbour that slows
 * floating-point work by half may not slow an integer kernel at all; there
 * the flags can neither fake nor hide a change, and setting flagged reps
 * aside only loses decisions. Each cell gets the interval, and
 * flags_harmless when it lies within the threshold both ways at 95%.
 * 0 or -ENOMEM. */
static int flag_effect(struct cmp_cell *cells, size_t n, const struct cmp_opts *o)
{
	struct hl_stratum *s = calloc(2 * n + 1, sizeof(*s));
	double *buf, est = NAN, lo = NAN, hi = NAN, conf = 0, up = 1 + o->threshold;
	size_t total = 0, ns = 0, at = 0;
	bool harmless;

	for (size_t i = 0; i < n; i++)
		total += cells[i].n[0] + cells[i].n[1];
	buf = malloc((total + 1) * sizeof(*buf));
	if (!s || !buf) {
		free(s);
		free(buf);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		for (int side = 0; side < 2; side++) {
			struct cmp_cell *c = &cells[i];
			size_t start = at, nf = 0;

			/* unflagged values, then flagged: the stratum's b and h */
			for (size_t j = 0; j < c->n[side]; j++)
				if (!c->dist[side][j])
					buf[at++] = c->v[side][j];
			for (size_t j = 0; j < c->n[side]; j++)
				if (c->dist[side][j]) {
					buf[at++] = c->v[side][j];
					nf++;
				}
			if (!nf || nf == at - start) {
				at = start;
				continue;
			}
			s[ns++] = (struct hl_stratum){buf + start, buf + start + (at - start - nf),
			                              at - start - nf, nf};
		}
	if (ns && hl_ratio_pooled(s, ns, &est, &lo, &hi, &conf) == -ENOMEM) {
		free(s);
		free(buf);
		return -ENOMEM;
	}
	harmless = ns && conf >= 0.95 - 1e-12 && lo >= 1 / up && hi <= up;
	for (size_t i = 0; i < n; i++) {
		cells[i].flag_lo = ns ? lo : NAN;
		cells[i].flag_hi = ns ? hi : NAN;
		cells[i].flags_harmless = harmless;
	}
	free(s);
	free(buf);
	return 0;
}

/* A regression (improvement) of cells c[0..k) - one cell, or a workload's
 * cells pooled - whose head (base) reps, the side that looks worse, were
 * disturbed by other work on the machine (the noisy column: steal, a
 * slowed CPU, run-queue wait beyond the rep's own, other processes' CPU
 * time) in at least a fifth of its reps, and more often than the other
 * side's, may be that disturbance. The disturbed reps of both sides are
 * set aside and the interval of the rest decides again: a verdict that
 * stands without them stands (said in why); otherwise it becomes
 * inconclusive, and a quiet rerun decides it. 0 or -ENOMEM. */
static int disturbed(struct cmp_cell *const *c, size_t k, const struct cmp_opts *o,
                     enum cmp_verdict *verdict, char *why, size_t whylen)
{
	int w = *verdict == CMP_REGRESSION ? 1 : 0, rc;
	size_t noisy[2] = {0, 0}, reps[2] = {0, 0}, i;
	enum cmp_verdict again = CMP_INCONCLUSIVE;
	bool harmless;
	struct cmp_stats st;
	double fw, fo;

	if (*verdict != CMP_REGRESSION && *verdict != CMP_IMPROVEMENT)
		return 0;
	for (i = 0; i < k; i++)
		for (int side = 0; side < 2; side++) {
			noisy[side] += c[i]->noisy[side];
			reps[side] += c[i]->reps[side];
		}
	fw = (double)noisy[w] / (double)reps[w];
	fo = (double)noisy[!w] / (double)reps[!w];
	if (!(fw >= 0.2 && fw > fo))
		return 0;
	for (harmless = true, i = 0; i < k; i++)
		harmless = harmless && c[i]->flags_harmless;
	if (harmless) {
		size_t len = strlen(why);

		snprintf(why + len, whylen - len,
		         "; this workload's flagged reps ran within the threshold of the rest: "
		         "[%.3f, %.3f]",
		         c[0]->flag_lo, c[0]->flag_hi);
		return 0;
	}
	rc = interval_of(c, k, true, &st);
	if (rc < 0)
		return rc;
	if (!rc)
		again = cmp_decide(&st, o->threshold, o->alpha, o->higher_better, NULL, 0);
	if (again == *verdict) {
		size_t len = strlen(why);

		snprintf(why + len, whylen - len,
		         "; so on the %zu undisturbed %s reps too: [%.3f, %.3f]", w ? st.nh : st.nb,
		         w ? "head" : "base", st.ci_lo, st.ci_hi);
		return 0;
	}
	*verdict = CMP_INCONCLUSIVE;
	snprintf(why, whylen,
	         "%zu of %zu %s reps were disturbed by other work on the machine (noisy column), "
	         "and the rest can't decide: rerun when it is quiet",
	         noisy[w], reps[w], w ? "head" : "base");
	return 0;
}

/* An undecided pool whose undisturbed values decide: disturbed reps (the
 * noisy column) on the base side can hide a change the rest show, as
 * they can fake one on the head side (disturbed()). With a workload's
 * cells pooled there are enough undisturbed values that a probe's miss
 * can't carry the interval (a single cell's few can: not done for cells).
 * At least two cells with undisturbed values on both sides. 0 or -ENOMEM. */
static int quiet_pool(struct cmp_group *x, const struct cmp_opts *o)
{
	struct cmp_stats st;
	enum cmp_verdict v;
	size_t usable = 0;
	int rc;

	for (size_t i = 0; i < x->k; i++) {
		size_t m[2] = {0, 0};

		for (int side = 0; side < 2; side++)
			for (size_t j = 0; j < x->cells[i]->n[side]; j++)
				m[side] += !x->cells[i]->dist[side][j];
		usable += m[0] && m[1];
	}
	if (usable < 2 || x->cells[0]->flags_harmless)
		return 0;
	rc = interval_of(x->cells, x->k, true, &st);
	if (rc)
		return rc < 0 ? rc : 0;
	v = cmp_decide(&st, o->threshold, o->alpha, o->higher_better, NULL, 0);
	if (v != CMP_REGRESSION && v != CMP_IMPROVEMENT)
		return 0;
	x->verdict = v;
	snprintf(x->why, sizeof(x->why),
	         "the pooled interval of the %zu base and %zu head values whose reps were not "
	         "disturbed lies beyond %c%.3g%%: [%.3f, %.3f]",
	         st.nb, st.nh, v == CMP_REGRESSION ? '+' : '-', 100 * o->threshold, st.ci_lo,
	         st.ci_hi);
	return 0;
}

/* Each workload with two or more matched cells whose values are
 * invocations' medians (blocked: the cells of one invocation share its
 * machine state, so only across invocations are values independent enough
 * to pool), cells sorted by workload first, pooled into *out (*ng of
 * them); the cells' verdicts decided. Returns whether one is a
 * regression, or -ENOMEM. */
static int decide_groups(struct cmp_cell *cells, size_t n, const struct cmp_opts *o,
                         struct cmp_group **out, size_t *ng)
{
	struct cmp_group *g = calloc(n + 1, sizeof(*g));
	bool failed = false;

	*out = g;
	*ng = 0;
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < n;) {
		struct cmp_group *x = &g[*ng];
		size_t j = i;
		int rc;

		while (j < n && !cell_cmp(cells[i].key, cells[j].key, CELL_WORKLOAD))
			j++;
		x->cells = calloc(j - i + 1, sizeof(*x->cells));
		if (!x->cells)
			return -ENOMEM;
		for (size_t a = i; a < j; a++)
			if (both_sides(&cells[a]) && cells[a].n[0] && cells[a].n[1] &&
			    cells[a].blocked)
				x->cells[x->k++] = &cells[a];
		i = j;
		if (x->k < 2) {
			free(x->cells);
			x->cells = NULL;
			x->k = 0;
			continue;
		}
		(*ng)++;
		rc = interval_of(x->cells, x->k, false, &x->st);
		if (rc < 0)
			return rc;
		if (rc) {
			x->verdict = CMP_INCONCLUSIVE;
			snprintf(x->why, sizeof(x->why),
			         "a value is not positive: no pooled ratio");
			x->st.ratio = x->st.ci_lo = x->st.ci_hi = NAN;
			continue;
		}
		x->verdict = cmp_decide(&x->st, o->threshold, o->alpha, o->higher_better, NULL, 0);
		if (x->verdict == CMP_REGRESSION || x->verdict == CMP_IMPROVEMENT)
			snprintf(x->why, sizeof(x->why), "the pooled interval lies beyond %c%.3g%%",
			         x->verdict == CMP_REGRESSION ? '+' : '-', 100 * o->threshold);
		else if (x->verdict == CMP_PASS)
			snprintf(x->why, sizeof(x->why),
			         "within the threshold; each cell decides itself");
		else
			snprintf(x->why, sizeof(x->why), "the pooled interval reaches past +%.3g%%",
			         100 * o->threshold);
		if (disturbed(x->cells, x->k, o, &x->verdict, x->why, sizeof(x->why)))
			return -ENOMEM;
		if (x->verdict == CMP_INCONCLUSIVE && quiet_pool(x, o) < 0)
			return -ENOMEM;
		failed = failed || x->verdict == CMP_REGRESSION;
	}
	return failed;
}

/* Statistics, the family-wise correction and the verdicts of the cells and
 * of the workloads pooled (*g, *ng); the exit code, or -ENOMEM. */
static int decide_cells(struct cmp_cell *cells, size_t n, const struct cmp_opts *o,
                        struct cmp_group **g, size_t *ng)
{
	int grc;
	struct cmp_stats *st = malloc((n + 1) * sizeof(*st));
	size_t matched = 0;
	bool inconclusive = false, failed = false;

	if (!st)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct cmp_cell *x = &cells[i];

		if (x->n[0] && x->n[1] &&
		    (block_by_run(x) || cmp_compute(x->v[0], x->n[0], x->v[1], x->n[1], &x->st))) {
			free(st);
			return -ENOMEM;
		}
		if (!x->n[0] || !x->n[1]) {
			memset(&x->st, 0, sizeof(x->st));
			x->st.ratio = x->st.ci_lo = x->st.ci_hi = x->st.p = NAN;
			x->st.med_b = x->st.med_h = NAN;
		}
		st[i] = x->st;
	}
	if (cmp_adjust(st, n, o->threshold, o->higher_better)) {
		free(st);
		return -ENOMEM;
	}
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && !cell_cmp(cells[i].key, cells[j].key, CELL_WORKLOAD); j++)
			;
		if (flag_effect(cells + i, j - i, o)) {
			free(st);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct cmp_cell *x = &cells[i];

		x->st = st[i];
		if (!both_sides(x))
			continue;
		matched++;
		if (x->bad[1]) {
			x->verdict = CMP_UNVERIFIED;
			snprintf(x->why, sizeof(x->why), "a head rep failed or did not verify");
		} else if (!x->n[0] || !x->n[1]) {
			x->verdict = CMP_INCONCLUSIVE;
			snprintf(x->why, sizeof(x->why), "no verified reps on one side");
		} else {
			x->verdict = cmp_decide(&x->st, o->threshold, o->alpha, o->higher_better,
			                        x->why, sizeof(x->why));
			if (disturbed(&x, 1, o, &x->verdict, x->why, sizeof(x->why))) {
				free(st);
				return -ENOMEM;
			}
		}
		failed = failed || x->verdict == CMP_REGRESSION || x->verdict == CMP_UNVERIFIED;
		inconclusive = inconclusive || x->verdict == CMP_INCONCLUSIVE;
	}
	free(st);
	grc = decide_groups(cells, n, o, g, ng);
	if (grc < 0)
		return grc;
	if (failed || grc)
		return EXIT_CHECK;
	if (!matched)
		inconclusive = true;
	return inconclusive && !o->inconclusive_pass ? EXIT_INCONCLUSIVE : EXIT_OK;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"threshold", required_argument, NULL, 't'},
	    {"alpha", required_argument, NULL, 'a'},
	    {"metric", required_argument, NULL, 'm'},
	    {"format", required_argument, NULL, 'f'},
	    {"inconclusive", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cmp_opts o = {
	    .threshold = CMP_DEFAULT_THRESHOLD, .alpha = CMP_DEFAULT_ALPHA, .metric = "wall_s"};
	struct cb_results res[2] = {{0}};
	struct cmp_set set = {0};
	struct cmp_group *groups = NULL;
	size_t ngroups = 0;
	char err[512];
	int c, rc = EXIT_USAGE;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_threshold(optarg, &o.threshold)) {
				cb_errorf("compare",
				          "--threshold: '%s': want a percentage such as 10%%",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		case 'a':
			if (csv_parse_double(optarg, &o.alpha) || !(o.alpha > 0 && o.alpha < 0.5)) {
				cb_errorf("compare",
				          "--alpha: '%s': want a probability in (0, 0.5)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			o.metric = optarg;
			break;
		case 'i':
			if (strcmp(optarg, "pass") == 0)
				o.inconclusive_pass = true;
			else if (strcmp(optarg, "fail") == 0)
				o.inconclusive_pass = false;
			else {
				cb_errorf("compare", "--inconclusive: '%s': want fail or pass",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if (strcmp(optarg, "markdown") == 0 || strcmp(optarg, "md") == 0)
				o.markdown = true;
			else if (strcmp(optarg, "plain") == 0)
				o.markdown = false;
			else {
				cb_errorf("compare", "--format: '%s': want plain or markdown",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			compare_usage();
			return EXIT_OK;
		default:
			cb_errorf("compare", "'%s': unknown option (see concbench compare --help)",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		cb_errorf("compare", "want two files, BASE.csv and HEAD.csv (got %d)",
		          argc - optind);
		return EXIT_USAGE;
	}
	o.higher_better = is_higher_better(o.metric);
	for (int side = 0; side < 2; side++) {
		res[side].want = o.metric;
		if (results_load(&res[side], argv[optind + side], err, sizeof(err))) {
			cb_errorf("compare", "%s", err);
			goto out;
		}
		if (!res[side].n) {
			cb_errorf("compare", "%s: no rows", argv[optind + side]);
			goto out;
		}
		if (!results_has_metric(&res[side], o.metric)) {
			cb_errorf("compare", "--metric: '%s': no such column or metric in %s",
			          o.metric, argv[optind + side]);
			goto out;
		}
	}
	for (int side = 0; side < 2; side++) {
		int r = collect(&res[side], side, o.metric, &set);

		if (r) {
			if (r == -ENOMEM)
				cb_errorf("compare", "out of memory");
			goto out;
		}
	}
	qsort(set.cells, set.n, sizeof(*set.cells), cell_order);
	mark_ambiguous(set.cells, set.n);
	rc = decide_cells(set.cells, set.n, &o, &groups, &ngroups);
	if (rc < 0) {
		cb_errorf("compare", "out of memory");
		rc = EXIT_USAGE;
		goto out;
	}
	print_cells(set.cells, set.n, groups, ngroups, &o, argv[optind], argv[optind + 1]);
	fflush(stdout);
out:
	for (size_t i = 0; i < set.n; i++) {
		free(set.cells[i].v[0]);
		free(set.cells[i].v[1]);
		free(set.cells[i].rid[0]);
		free(set.cells[i].rid[1]);
		free(set.cells[i].dist[0]);
		free(set.cells[i].dist[1]);
	}
	for (size_t i = 0; groups && i < ngroups; i++)
		free(groups[i].cells);
	free(groups);
	free(set.cells);
	free(set.slot);
	results_free(&res[0]);
	results_free(&res[1]);
	return rc;
}
