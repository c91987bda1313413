/* report_group.c - `report`: rows into series and cells by the cell
 * identity of analysis/cell.h, and each cell's figures. */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report_model.h"
#include "cell.h"
#include "csvread.h"
#include "../base/safeio.h"
#include "../base/stats.h"
#include "../base/util.h"

static const char *const mode_order[] = {
    "seq", "threads", "procs", "gil", "thread-per-task", "fork-per-task", "async"};

int rp_mode_rank(const char *m)
{
	size_t n = strcspn(m, "/"); /* a variant label: procs/transport=pipe */

	for (size_t i = 0; i < ARRAY_SIZE(mode_order); i++)
		if (strlen(mode_order[i]) == n && strncmp(m, mode_order[i], n) == 0)
			return (int)i;
	return (int)ARRAY_SIZE(mode_order);
}

/* Room for one more rep in the three per-rep arrays of c. 0 or -ENOMEM
 * (c stays consistent: cap grows only when all three did). */
static int cell_reserve(struct rcell *c)
{
	size_t nc = c->cap ? 2 * c->cap : 16;
	double **arr[3] = {&c->wall, &c->gilshare, &c->ops};

	if (c->n < c->cap)
		return 0;
	for (int i = 0; i < 3; i++) {
		double *p = realloc(*arr[i], nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*arr[i] = p;
	}
	c->cap = nc;
	return 0;
}

static bool same_series(const struct group *g, const struct cb_rec *r)
{
	return cell_same_series(g->first, r);
}

static struct group *find_group(struct report *rp, const struct cb_rec *r)
{
	bool bench = r->bench; /* tasks = workers: not a key */

	if (rp->last && same_series(&rp->g[rp->last - 1], r))
		return &rp->g[rp->last - 1];
	for (size_t i = 0; i < rp->ng; i++) {
		if (same_series(&rp->g[i], r)) {
			rp->last = i + 1;
			return &rp->g[i];
		}
	}
	if (rp->ng == rp->capg) {
		size_t nc = rp->capg ? 2 * rp->capg : 32;
		struct group *p = realloc(rp->g, nc * sizeof(*p));

		if (!p)
			return NULL;
		rp->g = p;
		rp->capg = nc;
	}
	struct group *g = &rp->g[rp->ng++];

	memset(g, 0, sizeof(*g));
	g->host = r->host;
	g->workload = r->workload;
	g->size = r->size;
	g->tasks = r->tasks;
	g->cpus = r->cpus;
	g->first = r;
	g->bench = bench;
	rp->last = rp->ng;
	return g;
}

static struct rcell *find_cell(struct group *g, const struct cb_rec *r)
{
	if (g->last && cell_cmp(g->cells[g->last - 1].first, r, CELL_IN_SERIES) == 0)
		return &g->cells[g->last - 1];
	for (size_t i = 0; i < g->ncells; i++) {
		if (cell_cmp(g->cells[i].first, r, CELL_IN_SERIES) == 0) {
			g->last = i + 1;
			return &g->cells[i];
		}
	}
	if (g->ncells == g->cap) {
		size_t nc = g->cap ? 2 * g->cap : 16;
		struct rcell *p = realloc(g->cells, nc * sizeof(*p));

		if (!p)
			return NULL;
		g->cells = p;
		g->cap = nc;
	}
	struct rcell *c = &g->cells[g->ncells++];

	memset(c, 0, sizeof(*c));
	c->first = r;
	c->mode = r->mode;
	c->workers = r->workers;
	c->prec_target = NAN;
	g->last = g->ncells;
	return c;
}

/* Name what tells apart the cells of a series with the same mode and
 * workers (procs/transport=pipe, gil/switch_interval=0.005s), and the series
 * that share host, workload, size and tasks (pin, params, revision).
 * 0 or -ENOMEM. */
int rp_label_variants(struct report *rp)
{
	char d[160];

	for (size_t i = 0; i < rp->ng; i++) {
		struct group *g = &rp->g[i];

		for (size_t k = 0; k < rp->ng; k++) {
			const struct group *o = &rp->g[k];
			unsigned same = cell_series_mask(g->bench) & ~(CELL_PIN | CELL_PARAMS);

			if (k == i || cell_cmp(g->first, o->first, same))
				continue;
			cell_describe(g->first, CELL_PIN | CELL_PARAMS, d, sizeof(d));
			if (snprintf(g->variant, sizeof(g->variant), "%s%srev %s", d,
			             *d ? ", " : "",
			             *g->first->git_rev ? g->first->git_rev : "?") >=
			    (int)sizeof(g->variant))
				strcpy(g->variant + sizeof(g->variant) - 4, "...");
			break;
		}
		for (size_t a = 0; a < g->ncells; a++) {
			struct rcell *c = &g->cells[a];

			for (size_t b = 0; b < g->ncells && !c->label; b++) {
				const struct rcell *o = &g->cells[b];

				if (b == a || cell_cmp(c->first, o->first, CELL_MODE) ||
				    !cell_cmp(c->first, o->first, CELL_TRANSPORT | CELL_SWITCH))
					continue;
				cell_describe(c->first, CELL_TRANSPORT | CELL_SWITCH, d, sizeof(d));
				if (!*d)
					continue;
				c->label = malloc(strlen(c->mode) + strlen(d) + 2);
				if (!c->label)
					return -ENOMEM;
				sprintf(c->label, "%s/%s", c->mode, d);
				c->mode = c->label;
			}
		}
	}
	return 0;
}

int rp_add_rec(struct report *rp, const struct cb_rec *r)
{
	struct group *g = find_group(rp, r);
	struct rcell *c = g ? find_cell(g, r) : NULL;

	if (!c)
		return -ENOMEM;
	if (cell_is_baseline_mode(r->mode) && !isnan(r->loadavg) && r->loadavg > g->load_max)
		g->load_max = r->loadavg;
	c->nall++;
	c->prec_target = r->precision_target;
	if (!r->verified) {
		c->unverified++;
		return 0;
	}
	if (cell_reserve(c))
		return -ENOMEM;
	c->wall[c->n] = r->wall_s;
	c->gilshare[c->n] = isnan(r->gil_wait_s) || r->wall_s <= 0
	                        ? NAN
	                        : r->gil_wait_s / (r->wall_s * (double)r->workers);
	c->ops[c->n] = r->ops_per_s;
	c->cpu_sum += isnan(r->cpu_util) ? 0 : r->cpu_util;
	c->n++;
	if (r->metrics && *r->metrics) {
		size_t l = strcspn(r->metrics, ";");

		snprintf(c->metric, sizeof(c->metric), "%.*s", (int)l, r->metrics);
	}
	return 0;
}

/* Median of the non-NaN values of v[0..n); NaN when none. Reorders v. */
static double median_finite(double *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[k++] = v[i];
	stats_sort(v, k);
	return stats_quantile(v, k, 0.5);
}

static int cell_order(const void *a, const void *b)
{
	const struct rcell *x = a, *y = b;
	int c = rp_mode_rank(x->mode) - rp_mode_rank(y->mode);

	if (!c)
		c = strcmp(x->mode, y->mode);
	if (!c)
		c = (x->workers > y->workers) - (x->workers < y->workers);
	return c;
}

int rp_group_order(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	if (!c)
		c = (int)x->bench - (int)y->bench;
	if (!c)
		c = strcmp(x->workload, y->workload);
	if (!c)
		c = (x->size > y->size) - (x->size < y->size);
	if (!c)
		c = (x->tasks > y->tasks) - (x->tasks < y->tasks);
	if (!c)
		c = cell_cmp(x->first, y->first, CELL_PIN | CELL_PARAMS);
	if (!c)
		c = strcmp(x->first->git_rev, y->first->git_rev);
	return c;
}

/* c's speedup over its series' baseline: the one computation of the
 * explain plan (explain.h), stats_speedup() over the baseline's reps. */
static void cell_speedup(const struct report *rp, struct rcell *c)
{
	const struct explain_cell *x = rp->plan ? explain_cell_of(rp->plan, c->first) : NULL;

	c->speedup = c->sp_lo = c->sp_hi = c->sp_conf = c->eff = NAN;
	if (!x || !c->n || isnan(x->sp.est))
		return;
	c->speedup = x->sp.est;
	c->sp_lo = x->sp.lo;
	c->sp_hi = x->sp.hi;
	c->sp_conf = x->sp.conf;
	c->eff = c->speedup / (double)c->workers;
}

void rp_summarize_group(const struct report *rp, struct group *g)
{
	qsort(g->cells, g->ncells, sizeof(*g->cells), cell_order);
	for (size_t i = 0; i < g->ncells; i++)
		cell_speedup(rp, &g->cells[i]);
	for (size_t i = 0; i < g->ncells; i++) {
		struct rcell *c = &g->cells[i];
		double *tmp = malloc((c->n + 1) * sizeof(*tmp));

		c->gil_med = median_finite(c->gilshare, c->n);
		c->ops_med = median_finite(c->ops, c->n);
		c->cpu_util = c->n ? c->cpu_sum / (double)c->n : NAN;
		if (tmp) {
			memcpy(tmp, c->wall, c->n * sizeof(*tmp));
			stats_summarize(tmp, c->n, &c->s);
			free(tmp);
		} else {
			stats_summarize(c->wall, 0, &c->s);
		}
	}
}
