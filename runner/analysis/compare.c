/* compare.c - `concbench compare BASE.csv HEAD.csv`: per cell a
 * Mann-Whitney U test, a Hodges-Lehmann interval of the ratio of medians
 * (both in runner/base/stats.c),
 * and a verdict; exit 0 pass, 1 regression, 2 error. */
#include "compare.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "../base/stats.h"
#include "../base/util.h"

const char *const cmp_verdict_names[] = {
    [CMP_PASS] = "pass",
    [CMP_REGRESSION] = "regression",
    [CMP_IMPROVEMENT] = "improvement",
    [CMP_INCONCLUSIVE] = "inconclusive",
    [CMP_UNVERIFIED] = "unverified",
};

int cmp_compute(const double *b, size_t nb, const double *h, size_t nh, struct cmp_stats *s)
{
	double *sb, *sh;
	int rc;

	memset(s, 0, sizeof(*s));
	s->nb = nb;
	s->nh = nh;
	if (!nb || !nh)
		return -EINVAL;
	sb = malloc(nb * sizeof(*sb));
	sh = malloc(nh * sizeof(*sh));
	if (!sb || !sh) {
		free(sb);
		free(sh);
		return -ENOMEM;
	}
	memcpy(sb, b, nb * sizeof(*b));
	memcpy(sh, h, nh * sizeof(*h));
	stats_sort(sb, nb);
	stats_sort(sh, nh);
	s->med_b = stats_quantile(sb, nb, 0.5);
	s->med_h = stats_quantile(sh, nh, 0.5);
	s->ratio = s->med_b != 0 ? s->med_h / s->med_b : NAN;
	s->p = mwu_p(sh, nh, sb, nb, &s->p_min);
	rc = hl_ratio(sb, nb, sh, nh, &s->hl, &s->ci_lo, &s->ci_hi);
	free(sb);
	free(sh);
	return rc;
}

enum cmp_verdict cmp_decide(const struct cmp_stats *s, double threshold, double alpha,
                            bool higher_better, const char **why)
{
	/* Express everything as a slowdown: > 1 is worse. */
	double r = higher_better ? 1 / s->ratio : s->ratio;
	double lo = higher_better ? 1 / s->ci_hi : s->ci_lo;
	double hi = higher_better ? 1 / s->ci_lo : s->ci_hi;
	double up = 1 + threshold, down = 1 / (1 + threshold);
	const char *dummy;

	if (!why)
		why = &dummy;
	if (isnan(s->p) || isnan(r)) {
		*why = "no comparable values";
		return CMP_INCONCLUSIVE;
	}
	if (s->p_min >= alpha) {
		*why = "too few reps to reach alpha";
		return CMP_INCONCLUSIVE;
	}
	if (s->p < alpha) {
		if (r > up) {
			*why = "significant, beyond the threshold";
			return CMP_REGRESSION;
		}
		if (r < down) {
			*why = "significant, beyond the threshold";
			return CMP_IMPROVEMENT;
		}
		*why = "significant but within the threshold";
		return CMP_PASS;
	}
	if (hi > up || lo < down) {
		*why = "too noisy: the interval reaches past the threshold";
		return CMP_INCONCLUSIVE;
	}
	*why = "no significant change";
	return CMP_PASS;
}

int parse_threshold(const char *s, double *out)
{
	char buf[64];
	size_t n = s ? strlen(s) : 0;
	double v;

	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == '%') {
		buf[n - 1] = '\0';
		if (csv_parse_double(buf, &v))
			return -EINVAL;
		v /= 100;
	} else if (csv_parse_double(buf, &v)) {
		return -EINVAL;
	}
	if (!(v > 0) || v > 10)
		return -EINVAL;
	*out = v;
	return 0;
}

struct p_idx {
	double p;
	size_t i;
};

static int p_idx_cmp(const void *a, const void *b)
{
	const struct p_idx *x = a, *y = b;

	return (x->p > y->p) - (x->p < y->p);
}

int cmp_holm(double *p, size_t n)
{
	struct p_idx *s = malloc((n + 1) * sizeof(*s));
	size_t m = 0;
	double run = 0;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!isnan(p[i]))
			s[m++] = (struct p_idx){p[i], i};
	qsort(s, m, sizeof(*s), p_idx_cmp);
	for (size_t k = 0; k < m; k++) {
		double adj = fmin(1, (double)(m - k) * s[k].p);

		run = fmax(run, adj); /* adjusted p-values are monotone */
		p[s[k].i] = run;
	}
	free(s);
	return 0;
}

/* ---- the subcommand ---- */

struct cmp_cell {
	const char *workload, *mode;
	long workers;
	double *v[2]; /* values of verified reps: base, head */
	const char **rid[2]; /* run_id of each value */
	size_t n[2], cap[2];
	size_t reps[2]; /* verified reps with a value */
	bool blocked; /* v[] holds one median per run (invocation) */
	size_t bad[2]; /* reps not verified */
	long size[2];
	struct cmp_stats st;
	enum cmp_verdict verdict;
	const char *why;
};

struct cmp_opts {
	double threshold, alpha;
	const char *metric;
	bool markdown;
	bool higher_better;
};

static int cell_cmp(const void *a, const void *b)
{
	const struct cmp_cell *x = a, *y = b;
	int c = strcmp(x->workload, y->workload);

	if (!c)
		c = strcmp(x->mode, y->mode);
	if (!c)
		c = (x->workers > y->workers) - (x->workers < y->workers);
	return c;
}

static struct cmp_cell *find_cell(struct cmp_cell **cells, size_t *n, size_t *cap,
                                  const struct cb_rec *r)
{
	for (size_t i = 0; i < *n; i++) {
		struct cmp_cell *c = &(*cells)[i];

		if (c->workers == r->workers && strcmp(c->workload, r->workload) == 0 &&
		    strcmp(c->mode, r->mode) == 0)
			return c;
	}
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		struct cmp_cell *p = realloc(*cells, nc * sizeof(*p));

		if (!p)
			return NULL;
		*cells = p;
		*cap = nc;
	}
	memset(&(*cells)[*n], 0, sizeof(**cells));
	(*cells)[*n].workload = r->workload;
	(*cells)[*n].mode = r->mode;
	(*cells)[*n].workers = r->workers;
	(*cells)[*n].size[0] = (*cells)[*n].size[1] = -1;
	return &(*cells)[(*n)++];
}

static int add_value(struct cmp_cell *c, int side, double v, const char *rid)
{
	if (c->n[side] == c->cap[side]) {
		size_t nc = c->cap[side] ? 2 * c->cap[side] : 16;
		double *p = realloc(c->v[side], nc * sizeof(*p));
		const char **r;

		if (!p)
			return -ENOMEM;
		c->v[side] = p;
		r = realloc(c->rid[side], nc * sizeof(*r));
		if (!r)
			return -ENOMEM;
		c->rid[side] = r;
		c->cap[side] = nc;
	}
	c->rid[side][c->n[side]] = rid;
	c->v[side][c->n[side]++] = v;
	c->reps[side]++;
	return 0;
}

struct rid_val {
	const char *rid;
	double v;
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
		p[i] = (struct rid_val){c->rid[side][i], c->v[side][i]};
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
			size_t j = i;

			while (j < n && strcmp(p[side][j].rid, p[side][i].rid) == 0)
				j++;
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

static int collect(const struct cb_results *res, int side, const char *metric,
                   struct cmp_cell **cells, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct cb_rec *r = &res->rec[i];
		struct cmp_cell *c = find_cell(cells, n, cap, r);
		double v;
		int rc;

		if (!c)
			return -ENOMEM;
		c->size[side] = r->size;
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
		if (add_value(c, side, v, r->run_id))
			return -ENOMEM;
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

static void print_cells(const struct cmp_cell *cells, size_t n, const struct cmp_opts *o,
                        const char *base, const char *head)
{
	unsigned count[5] = {0};
	bool md = o->markdown;

	if (md) {
		printf("### concbench compare: `%s` vs `%s`\n\n", base, head);
		printf(
		    "Metric `%s` (%s is better), threshold %.3g%%, alpha %g. Ratio = "
		    "median(head) / median(base); 95%% interval by Hodges-Lehmann; p from the "
		    "Mann-Whitney U test, Holm-adjusted over the cells compared. When both sides "
		    "hold %d or more runs (invocations), each run's median is one observation."
		    "\n\n",
		    o->metric, o->higher_better ? "higher" : "lower", 100 * o->threshold, o->alpha,
		    CMP_MIN_RUNS);
		printf("| workload | mode | workers | reps base/head | base median | head median | "
		       "ratio | 95%% CI | p (Holm) | verdict |\n");
		printf("|---|---|--:|--:|--:|--:|--:|---|--:|---|\n");
	} else {
		printf("compare %s (base) vs %s (head): %s, %s is better; threshold %.3g%%, alpha "
		       "%g, p Holm-adjusted\n",
		       base, head, o->metric, o->higher_better ? "higher" : "lower",
		       100 * o->threshold, o->alpha);
		printf("%-20s %-15s %7s %22s %11s %11s %7s %17s %8s  %s\n", "workload", "mode",
		       "workers", "reps b/h", "base", "head", "ratio", "95% CI", "p", "verdict");
	}
	for (size_t i = 0; i < n; i++) {
		const struct cmp_cell *c = &cells[i];
		char b[24], h[24], reps[64], ci[40] = "-", ratio[16] = "-", p[16] = "-";
		const char *v = cmp_verdict_names[c->verdict];

		if (!c->n[0] && !c->bad[0])
			continue;
		if (!c->n[1] && !c->bad[1])
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
		if (md)
			printf("| %s | %s | %ld | %s | %s | %s | %s | %s | %s | %s%s%s (%s) |\n",
			       c->workload, c->mode, c->workers, reps, b, h, ratio, ci, p,
			       c->verdict == CMP_REGRESSION || c->verdict == CMP_UNVERIFIED ? "**"
			                                                                    : "",
			       v,
			       c->verdict == CMP_REGRESSION || c->verdict == CMP_UNVERIFIED ? "**"
			                                                                    : "",
			       c->why);
		else
			printf("%-20s %-15s %7ld %22s %11s %11s %7s %17s %8s  %s (%s)\n",
			       c->workload, c->mode, c->workers, reps, b, h, ratio, ci, p, v,
			       c->why);
	}
	for (int side = 0; side < 2; side++) {
		for (size_t i = 0; i < n; i++) {
			const struct cmp_cell *c = &cells[i];
			size_t here = c->n[side] + c->bad[side];
			size_t there = c->n[!side] + c->bad[!side];

			if (!here || there)
				continue;
			printf("%sonly in %s (%s): %s %s workers=%ld (%zu reps)\n",
			       md ? "\n- " : "", side ? "head" : "base", side ? head : base,
			       c->workload, c->mode, c->workers, here);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct cmp_cell *c = &cells[i];

		if (c->n[0] + c->bad[0] && c->n[1] + c->bad[1] && c->size[0] != c->size[1])
			printf("%snote: %s %s workers=%ld: size differs (base %ld, head %ld)\n",
			       md ? "\n- " : "", c->workload, c->mode, c->workers, c->size[0],
			       c->size[1]);
	}
	printf("%ssummary%s %u pass, %u regression, %u improvement, %u inconclusive, %u "
	       "unverified\n",
	       md ? "\n**" : "", md ? ":**" : ":", count[CMP_PASS], count[CMP_REGRESSION],
	       count[CMP_IMPROVEMENT], count[CMP_INCONCLUSIVE], count[CMP_UNVERIFIED]);
	if (md)
		printf("\n");
}

/* Holm-adjust the p-values of the cells compared on both sides, so that
 * alpha bounds the chance of any false verdict in the whole comparison, not
 * per cell; p_min is scaled the same way (Bonferroni, the first Holm step).
 * 0 or -ENOMEM. */
static int holm_cells(struct cmp_cell *cells, size_t n)
{
	double *p = malloc((n + 1) * sizeof(*p));
	size_t m = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		p[i] = cells[i].n[0] && cells[i].n[1] ? cells[i].st.p : NAN;
	for (size_t i = 0; i < n; i++)
		m += !isnan(p[i]);
	if (cmp_holm(p, n)) {
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (isnan(p[i]))
			continue;
		cells[i].st.p = p[i];
		cells[i].st.p_min = fmin(1, cells[i].st.p_min * (double)m);
	}
	free(p);
	return 0;
}

static void compare_usage(void)
{
	printf("usage: concbench compare [OPTIONS] BASE.csv HEAD.csv\n"
	       "Per cell (workload, mode, workers): median(head)/median(base) with a 95%%\n"
	       "Hodges-Lehmann interval, a Mann-Whitney U p-value (Holm-adjusted over the\n"
	       "cells, so alpha holds for the whole comparison) and a verdict.\n"
	       "Exit 0: no regression; 1: a regression (or an unverified head rep); 2: error.\n\n"
	       "  --threshold=PCT   smallest change that counts, e.g. 10%% or 0.1 (default 10%%)\n"
	       "  --alpha=P         family-wise significance level (default 0.01)\n"
	       "  --metric=NAME     a numeric CSV column or a metrics name (default wall_s);\n"
	       "                    names ending in _per_s are higher-is-better\n"
	       "  --format=plain|markdown   output (default plain)\n"
	       "  -h, --help        this help\n");
}

static bool is_higher_better(const char *metric)
{
	size_t n = strlen(metric);

	return n > 6 && strcmp(metric + n - 6, "_per_s") == 0;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"threshold", required_argument, NULL, 't'},
	    {"alpha", required_argument, NULL, 'a'},
	    {"metric", required_argument, NULL, 'm'},
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cmp_opts o = {.threshold = 0.10, .alpha = 0.01, .metric = "wall_s"};
	struct cb_results res[2] = {{0}};
	struct cmp_cell *cells = NULL;
	size_t ncells = 0, cap = 0;
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
		int r = collect(&res[side], side, o.metric, &cells, &ncells, &cap);

		if (r) {
			if (r == -ENOMEM)
				cb_errorf("compare", "out of memory");
			goto out;
		}
	}
	qsort(cells, ncells, sizeof(*cells), cell_cmp);
	rc = EXIT_OK;
	for (size_t i = 0; i < ncells; i++) {
		struct cmp_cell *x = &cells[i];

		if (x->n[0] && x->n[1] && block_by_run(x)) {
			cb_errorf("compare", "out of memory");
			rc = EXIT_USAGE;
			goto out;
		}
		if (x->n[0] && x->n[1] && cmp_compute(x->v[0], x->n[0], x->v[1], x->n[1], &x->st)) {
			cb_errorf("compare", "out of memory");
			rc = EXIT_USAGE;
			goto out;
		}
		if (!x->n[0] || !x->n[1]) {
			x->st.ratio = x->st.ci_lo = x->st.p = NAN;
			x->st.med_b = x->st.med_h = NAN;
		}
	}
	if (holm_cells(cells, ncells)) {
		cb_errorf("compare", "out of memory");
		rc = EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < ncells; i++) {
		struct cmp_cell *x = &cells[i];

		if (x->bad[1]) {
			x->verdict = CMP_UNVERIFIED;
			x->why = "a head rep failed or did not verify";
		} else if (!x->n[0] || !x->n[1]) {
			x->verdict = CMP_INCONCLUSIVE;
			x->why = "no verified reps on one side";
		} else {
			x->verdict =
			    cmp_decide(&x->st, o.threshold, o.alpha, o.higher_better, &x->why);
		}
		if ((x->n[0] + x->bad[0]) && (x->n[1] + x->bad[1]) &&
		    (x->verdict == CMP_REGRESSION || x->verdict == CMP_UNVERIFIED))
			rc = EXIT_CHECK;
	}
	print_cells(cells, ncells, &o, argv[optind], argv[optind + 1]);
	fflush(stdout);
out:
	for (size_t i = 0; i < ncells; i++) {
		free(cells[i].v[0]);
		free(cells[i].v[1]);
		free(cells[i].rid[0]);
		free(cells[i].rid[1]);
	}
	free(cells);
	results_free(&res[0]);
	results_free(&res[1]);
	return rc;
}
