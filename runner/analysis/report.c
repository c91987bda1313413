/* report.c - `concbench report CSV... [-o DIR]`: DIR/report.md and a
 * self-contained DIR/index.html with gnuplot SVG plots inline.
 *
 * Rows are grouped into series by the cell identity of analysis/cell.h:
 * host, workload, size, tasks, pin, params and the git revision make a
 * series (one table, one plot), then mode, workers, transport and switch
 * interval make its cells; every figure is recomputed from the raw
 * reps, so files of many runs and hosts can be mixed. CSV files written by
 * hyperfine (scripts/hyperfine.sh) are recognised by their header and shown
 * beside the internal figures. */
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

#include "cell.h"
#include "csvread.h"
#include "../base/safeio.h"
#include "../base/stats.h"
#include "../base/util.h"

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
};

static const char *const mode_order[] = {"seq", "threads",         "procs",
                                         "gil", "thread-per-task", "fork-per-task"};

static int mode_rank(const char *m)
{
	size_t n = strcspn(m, "/"); /* a variant label: procs/transport=pipe */

	for (size_t i = 0; i < ARRAY_SIZE(mode_order); i++)
		if (strlen(mode_order[i]) == n && strncmp(m, mode_order[i], n) == 0)
			return (int)i;
	return (int)ARRAY_SIZE(mode_order);
}

/* The baseline mode of a group: seq, or a prefixed one such as py-seq
 * (rows of scripts/python-reference). */
static bool is_seq_mode(const char *m)
{
	size_t n = strlen(m);

	return strcmp(m, "seq") == 0 || (n > 4 && strcmp(m + n - 4, "-seq") == 0);
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

/* A series: every parameter of the cell identity (cell.h) but those that
 * tell its cells apart, and the revision. Benches have tasks = workers. */
#define SERIES_MASK (CELL_HOST | CELL_WORKLOAD | CELL_SIZE | CELL_TASKS | CELL_PIN | CELL_PARAMS)
#define CELL_MASK (CELL_MODE | CELL_WORKERS | CELL_TRANSPORT | CELL_SWITCH)

static unsigned series_mask(bool bench)
{
	return bench ? SERIES_MASK & ~CELL_TASKS : SERIES_MASK;
}

static bool same_series(const struct group *g, const struct cb_rec *r)
{
	return cell_cmp(g->first, r, series_mask(g->bench)) == 0 &&
	       strcmp(g->first->git_rev, r->git_rev) == 0;
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
	if (g->last && cell_cmp(g->cells[g->last - 1].first, r, CELL_MASK) == 0)
		return &g->cells[g->last - 1];
	for (size_t i = 0; i < g->ncells; i++) {
		if (cell_cmp(g->cells[i].first, r, CELL_MASK) == 0) {
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
	g->last = g->ncells;
	c->prec_target = NAN;
	return c;
}

/* Name what tells apart the cells of a series with the same mode and
 * workers (procs/transport=pipe, gil/switch_interval=0.005s), and the series
 * that share host, workload, size and tasks (pin, params, revision).
 * 0 or -ENOMEM. */
static int label_variants(struct report *rp)
{
	char d[160];

	for (size_t i = 0; i < rp->ng; i++) {
		struct group *g = &rp->g[i];

		for (size_t k = 0; k < rp->ng; k++) {
			const struct group *o = &rp->g[k];
			unsigned same = series_mask(g->bench) & ~(CELL_PIN | CELL_PARAMS);

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

static int add_rec(struct report *rp, const struct cb_rec *r)
{
	struct group *g = find_group(rp, r);
	struct rcell *c = g ? find_cell(g, r) : NULL;

	if (!c)
		return -ENOMEM;
	if (is_seq_mode(r->mode) && !isnan(r->loadavg) && r->loadavg > g->load_max)
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
	int c = mode_rank(x->mode) - mode_rank(y->mode);

	if (!c)
		c = strcmp(x->mode, y->mode);
	if (!c)
		c = (x->workers > y->workers) - (x->workers < y->workers);
	return c;
}

static int group_order(const void *a, const void *b)
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

/* c's speedup over seq by stats_speedup(): the throughput ratio for benches
 * (their work grows with the workers), else the wall-time ratio; seq itself
 * is 1 with no interval. */
static void cell_speedup(const struct group *g, const struct rcell *seq, struct rcell *c)
{
	struct speedup sp;

	c->speedup = c->sp_lo = c->sp_hi = c->sp_conf = c->eff = NAN;
	if (!seq || !c->n)
		return;
	if (c == seq) {
		c->speedup = 1;
		c->eff = 1 / (double)c->workers;
		return;
	}
	if (stats_speedup(g->bench ? seq->ops : seq->wall, seq->n, g->bench ? c->ops : c->wall,
	                  c->n, g->bench, &sp))
		return;
	c->speedup = sp.est;
	c->sp_lo = sp.lo;
	c->sp_hi = sp.hi;
	c->sp_conf = sp.conf;
	c->eff = c->speedup / (double)c->workers;
}

static void summarize_group(struct group *g)
{
	struct rcell *seq = NULL;

	qsort(g->cells, g->ncells, sizeof(*g->cells), cell_order);
	for (size_t i = 0; i < g->ncells && !seq; i++)
		if (is_seq_mode(g->cells[i].mode) && g->cells[i].n)
			seq = &g->cells[i];
	/* speedups first: median_finite() below reorders the per-rep arrays */
	for (size_t i = 0; i < g->ncells; i++)
		cell_speedup(g, seq, &g->cells[i]);
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

/* The lowest confidence an interval must reach before the reading draws a
 * conclusion from it: 3 reps a side (90%) do; 2 (67%) do not. */
#define READING_MIN_CONF 0.895

/* What a speedup interval supports, for cell c of g (seq: the baseline
 * cell): each claim needs the whole interval on its side of the line, else
 * the reading says it is inconclusive. A speedup above the CPU count is a
 * baseline artefact unless seq mostly waited (waits can overlap). */
static const char *speedup_claim(const struct group *g, const struct rcell *seq,
                                 const struct rcell *c)
{
	double par = (double)(c->workers < g->cpus ? c->workers : g->cpus);
	double lo = c->sp_lo, hi = c->sp_hi;
	bool waits = seq && !isnan(seq->cpu_util) && seq->cpu_util <= 0.5;

	if (isnan(lo) || isnan(hi) || !(c->sp_conf >= READING_MIN_CONF))
		return "inconclusive: too few reps for an interval";
	if (strcmp(c->mode, "gil") == 0 || strcmp(c->mode, "py-threads") == 0) {
		if (hi <= 1.2)
			return "serialised by the GIL";
		if (lo > 1.2)
			return "overlaps waiting despite the GIL";
		return "inconclusive: too noisy";
	}
	if (g->cpus > 0 && c->speedup > 1.05 * (double)g->cpus && !waits)
		return "above the CPU count: a baseline artefact (seq slowed, e.g. by a busy "
		       "host), not scaling";
	if (g->cpus > 0 && lo > (double)g->cpus && c->workers > g->cpus)
		return "beyond the CPU count: waits overlap";
	if (par > 1 && lo >= 0.75 * par)
		return "scales";
	if (lo > 1)
		return "scales partly";
	if (hi < 1)
		return "slower than seq: overhead dominates";
	if (lo >= 0.9 && hi <= 1.1)
		return "no speedup";
	return "inconclusive: too noisy";
}

/* Append the reading of cell c to b[0..len): "threads 1.95× at 2 workers —
 * scales (96.8% interval 1.80–2.10)". Returns the length written. */
static size_t reading_of(const struct group *g, const struct rcell *seq, const struct rcell *c,
                         char *b, size_t len, bool more)
{
	int n =
	    snprintf(b, len, "%s%s %.2f× at %ld worker%s — %s", more ? "; " : "", c->mode,
	             c->speedup, c->workers, c->workers == 1 ? "" : "s", speedup_claim(g, seq, c));

	if (n >= 0 && (size_t)n < len && !isnan(c->sp_lo) && c->sp_conf > 0)
		n += snprintf(b + n, len - (size_t)n, " (%.1f%% interval %.2f–%.2f)",
		              100 * c->sp_conf, c->sp_lo, c->sp_hi);
	return n < 0 ? 0 : (size_t)n > len ? len : (size_t)n;
}

/* The one-line reading of a group: per mode its best speedup and what it
 * means, then what seq's CPU use says about the work. */
static void make_reading(struct group *g)
{
	size_t o = 0, len = sizeof(g->reading);
	const struct rcell *seq = NULL;
	char *b = g->reading;

	b[0] = '\0';
	for (size_t i = 0; i < g->ncells; i++)
		if (is_seq_mode(g->cells[i].mode) && g->cells[i].n)
			seq = &g->cells[i];
	/* cells are sorted by mode: each run of one mode is read once */
	for (size_t i = 0; i < g->ncells; i++) {
		const char *mode = g->cells[i].mode;
		const struct rcell *best = NULL;

		if (is_seq_mode(mode) || (i && strcmp(mode, g->cells[i - 1].mode) == 0))
			continue;
		for (size_t k = i; k < g->ncells && strcmp(g->cells[k].mode, mode) == 0; k++) {
			const struct rcell *c = &g->cells[k];

			/* a speedup at 1 worker is noise: prefer parallel cells */
			if (!isnan(c->speedup) &&
			    (!best || (c->workers > 1 && best->workers == 1) ||
			     ((c->workers > 1) == (best->workers > 1) &&
			      c->speedup > best->speedup)))
				best = c;
		}
		if (!best || o >= len)
			continue;
		o += reading_of(g, seq, best, b + o, len - o, o > 0);
	}
	if (seq && !isnan(seq->cpu_util) && g->load_max <= (double)g->cpus && o < len) {
		const char *kind = seq->cpu_util >= 0.8   ? "CPU-bound"
		                   : seq->cpu_util <= 0.5 ? "mostly waiting (I/O, sleep or locks)"
		                                          : "part CPU, part waiting";

		o += (size_t)snprintf(b + o, len - o, "%sseq uses %.0f%% of a CPU: %s",
		                      o ? ". " : "", 100 * seq->cpu_util, kind);
	}
	if (g->load_max > (double)g->cpus && o < len)
		o += (size_t)snprintf(
		    b + o, len - o,
		    "%sThe host was busy (load average up to %.1f on %ld CPUs while seq "
		    "ran; seq got %.0f%% of a CPU): speedups and CPU shares understate",
		    o ? ". " : "", g->load_max, g->cpus, seq ? 100 * seq->cpu_util : NAN);
	if (g->bench && o < len)
		o += (size_t)snprintf(b + o, len - o,
		                      "%sSpeedups are throughput ratios (ops/s vs seq)",
		                      o ? ". " : "");
	if (!o)
		snprintf(b, len, "no verified reps to read");
	else if (o < len)
		snprintf(b + o, len - o, ".");
}

static void sanitize(char *dst, size_t len, const char *s)
{
	size_t i = 0;

	for (; *s && i + 1 < len; s++)
		dst[i++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		                   (*s >= '0' && *s <= '9') || *s == '.' || *s == '-'
		               ? *s
		               : '_';
	dst[i] = '\0';
}

/* ---- plots ---- */

/* Text from the CSVs (workload, mode, host names) as a gnuplot string.
 * Single quotes: gnuplot runs `backquoted` commands inside double-quoted
 * strings, never inside single-quoted ones, so a crafted CSV can't make
 * `report` run a command. ' is doubled; enhanced-text specials get one
 * backslash (literal inside single quotes); control characters become
 * spaces. */
static void gp_string(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if (*s == '_' || *s == '^' || *s == '@' || *s == '&' || *s == '{' || *s == '}' ||
		    *s == '\\' || *s == '~')
			fputc('\\', f);
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
	}
	fputc('\'', f);
}

static double nz(double v)
{
	return isnan(v) ? NAN : v;
}

static void gp_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs(" NaN", f);
	else
		fprintf(f, " %.9g", v);
}

static const char *mode_color(const char *mode)
{
	static const char *const colors[] = {"#333333", "#1f77b4", "#d62728",
	                                     "#2ca02c", "#9467bd", "#ff7f0e"};
	int r = mode_rank(mode);

	return r < (int)ARRAY_SIZE(colors) ? colors[r] : "#8c564b";
}

/* Write the datablocks of g (one per mode) and a 2x2 multiplot. */
static void gp_group(FILE *f, const struct report *rp, const struct group *g)
{
	const char *modes[16];
	int nm = 0;
	long maxw = 1;
	bool have_gil = false;
	char title[512];

	for (size_t i = 0; i < g->ncells && nm < 16; i++) {
		const struct rcell *c = &g->cells[i];

		if (c->workers > maxw)
			maxw = c->workers;
		if (!c->n)
			continue;
		if (!nm || strcmp(modes[nm - 1], c->mode) != 0)
			modes[nm++] = c->mode;
		if (!isnan(c->gil_med))
			have_gil = true;
	}
	for (int m = 0; m < nm; m++) {
		fprintf(f, "$d%d << EOD\n", m);
		for (size_t i = 0; i < g->ncells; i++) {
			const struct rcell *c = &g->cells[i];

			if (!c->n || strcmp(c->mode, modes[m]) != 0)
				continue;
			fprintf(f, "%ld", c->workers);
			gp_num(f, c->s.median);
			gp_num(f, c->s.ci_lo);
			gp_num(f, c->s.ci_hi);
			gp_num(f, nz(c->speedup));
			gp_num(f, isnan(c->sp_lo) ? c->speedup : c->sp_lo);
			gp_num(f, isnan(c->sp_hi) ? c->speedup : c->sp_hi);
			gp_num(f, 100 * c->cpu_util);
			gp_num(f, 100 * c->gil_med);
			fputc('\n', f);
		}
		fprintf(f, "EOD\n");
	}
	fprintf(f, "set output '%s/%s'\n", rp->dir, g->plot);
	if (g->bench)
		snprintf(title, sizeof(title), "%s (size %ld) on %s", g->workload, g->size,
		         g->host);
	else
		snprintf(title, sizeof(title), "%s (size %ld, %ld tasks) on %s", g->workload,
		         g->size, g->tasks, g->host);
	fprintf(f, "set multiplot layout 2,2 title ");
	gp_string(f, title);
	fprintf(f, " font ',12'\n");
	fprintf(f, "set xrange [0.8:%g]\n", (double)maxw * 1.1);
	fprintf(f, "%s\n", maxw >= 8 ? "set logscale x 2" : "unset logscale x");
	fprintf(f, "set xtics 1\n");
	if (maxw >= 8)
		fprintf(f, "set xtics 2\n");
	/* 1: speedup with the ideal line */
	fprintf(f, "set title '%s'\nset ylabel 'speedup (x seq)'\nset yrange [0:*]\n",
	        g->bench ? "throughput vs seq" : "speedup vs workers");
	fprintf(f, "plot x with lines dt 2 lc rgb '#888888' title 'ideal'");
	for (int m = 0; m < nm; m++) {
		fprintf(f, ", $d%d using 1:5:6:7 with yerrorlines lw 2 pt 7 lc rgb '%s' title ", m,
		        mode_color(modes[m]));
		gp_string(f, modes[m]);
	}
	fputc('\n', f);
	/* 2: wall time with error bars (the median's distribution-free interval) */
	fprintf(f, "set title 'wall time (median and its interval)'\nset ylabel 'seconds'\n"
	           "set yrange [0:*]\n");
	for (int m = 0; m < nm; m++) {
		fprintf(f, "%s $d%d using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb '%s' title ",
		        m ? "," : "plot", m, mode_color(modes[m]));
		gp_string(f, modes[m]);
	}
	fputc('\n', f);
	/* 3: CPU utilisation */
	fprintf(f, "set title 'CPU utilisation'\nset ylabel '%% of one CPU'\nset yrange [0:*]\n"
	           "set key bottom right\n");
	for (int m = 0; m < nm; m++) {
		fprintf(f, "%s $d%d using 1:8 with linespoints lw 2 pt 7 lc rgb '%s' title ",
		        m ? "," : "plot", m, mode_color(modes[m]));
		gp_string(f, modes[m]);
	}
	fputc('\n', f);
	/* 4: GIL wait share */
	fprintf(f,
	        "set title 'GIL wait share'\nset ylabel '%% of thread time'\nset yrange [0:100]\n"
	        "set key top left\n");
	if (have_gil) {
		bool first = true;

		for (int m = 0; m < nm; m++) {
			const struct rcell *any = NULL;

			for (size_t i = 0; i < g->ncells; i++)
				if (strcmp(g->cells[i].mode, modes[m]) == 0 &&
				    !isnan(g->cells[i].gil_med))
					any = &g->cells[i];
			if (!any)
				continue;
			fprintf(f,
			        "%s $d%d using 1:9 with linespoints lw 2 pt 7 lc rgb '%s' title ",
			        first ? "plot" : ",", m, mode_color(modes[m]));
			gp_string(f, modes[m]);
			first = false;
		}
		fputc('\n', f);
	} else {
		fprintf(f, "set label 1 'no gil mode in these rows' at graph 0.5,0.5 center\n"
		           "unset key\nplot 200 notitle\nunset label 1\nset key\n");
	}
	fprintf(f, "unset multiplot\nset output\n");
}

static int mkdir_p(const char *path)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0777) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Remove the .svg files of dir: the report owns DIR/plots. */
static void remove_svgs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4400];

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n > 4 && strcmp(e->d_name + n - 4, ".svg") == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/* Run `gnuplot script` with a deadline; stderr to log. 0, 127 when
 * gnuplot is missing, or another non-zero status. */
static int run_gnuplot(const char *script, const char *log)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		FILE *l = freopen(log, "w", stderr);

		(void)l;
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < GNUPLOT_TIMEOUT_S * 20; i++) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		if (w < 0)
			return -errno;
		if (cb_interrupted) /* no gnuplot outlives the report */
			break;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 124;
}

static void make_plots(struct report *rp)
{
	char path[4200], log[4200], dir[4200], host[128], wl[128];
	struct safe_out gp;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/plots/plots.gp", rp->dir);
	snprintf(log, sizeof(log), "%s/plots/gnuplot.log", rp->dir);
	snprintf(dir, sizeof(dir), "%s/plots", rp->dir);
	if (mkdir_p(dir)) {
		snprintf(rp->plot_note, sizeof(rp->plot_note), "cannot create %s", dir);
		return;
	}
	if (safe_out_open(&gp, path)) {
		snprintf(rp->plot_note, sizeof(rp->plot_note), "cannot write %s", path);
		return;
	}
	f = gp.f;
	fprintf(f,
	        "# concbench report plots; rerun with: gnuplot %s\n"
	        "set terminal svg size 960,680 dynamic enhanced font 'sans,10' "
	        "background rgb 'white'\n"
	        "set grid\nset key top left box opaque\nset xlabel 'workers'\n"
	        "set pointsize 0.8\n",
	        path);
	for (size_t i = 0; i < rp->ng; i++) {
		struct group *g = &rp->g[i];

		sanitize(host, sizeof(host), g->host);
		sanitize(wl, sizeof(wl), g->workload);
		snprintf(dir, sizeof(dir), "%s/plots/%s", rp->dir, host);
		if (mkdir_p(dir))
			continue;
		if (i == 0 || strcmp(g->host, rp->g[i - 1].host) != 0)
			remove_svgs(dir); /* plots of an earlier report into this DIR */
		if (g->bench)
			snprintf(g->plot, sizeof(g->plot), "plots/%s/%s-%ld.svg", host, wl,
			         g->size);
		else
			snprintf(g->plot, sizeof(g->plot), "plots/%s/%s-%ld-%ld.svg", host, wl,
			         g->size, g->tasks);
		if (*g->variant) /* series that differ in pin, params or revision */
			snprintf(g->plot + strlen(g->plot) - 4,
			         sizeof(g->plot) - strlen(g->plot) + 4, "-%zu.svg", i);
		gp_group(f, rp, g);
	}
	if (safe_out_commit(&gp)) {
		snprintf(rp->plot_note, sizeof(rp->plot_note), "cannot write %s", path);
		return;
	}
	rc = run_gnuplot(path, log);
	if (rc == 127)
		snprintf(rp->plot_note, sizeof(rp->plot_note),
		         "gnuplot not found: plots skipped (install gnuplot-nox)");
	else if (rc)
		snprintf(rp->plot_note, sizeof(rp->plot_note), "gnuplot failed (status %d): see %s",
		         rc, log);
	else
		rp->plots_ok = true;
}

/* ---- text output ---- */

static void fmt_cell_fields(const struct group *g, const struct rcell *c, char f[][64])
{
	size_t o;

	(void)g;
	snprintf(f[0], 64, "%s", c->mode);
	snprintf(f[1], 64, "%ld", c->workers);
	snprintf(f[2], 64, "%zu", c->n);
	fmt_seconds(f[3], 64, c->s.median);
	if (c->n) {
		char lo[24], hi[24];

		fmt_seconds(lo, sizeof(lo), c->s.ci_lo);
		fmt_seconds(hi, sizeof(hi), c->s.ci_hi);
		if (c->n > 1)
			snprintf(f[4], 64, "%s – %s (%.1f%%)", lo, hi, 100 * c->s.ci_conf);
		else
			snprintf(f[4], 64, "-");
	} else {
		snprintf(f[4], 64, "-");
	}
	if (isnan(c->speedup))
		snprintf(f[5], 64, "-");
	else if (isnan(c->sp_lo) || !(c->sp_conf > 0))
		snprintf(f[5], 64, "%.2f×", c->speedup);
	else
		snprintf(f[5], 64, "%.2f× [%.2f–%.2f] (%.1f%%)", c->speedup, c->sp_lo, c->sp_hi,
		         100 * c->sp_conf);
	snprintf(f[6], 64, isnan(c->eff) ? "-" : "%.2f", c->eff);
	snprintf(f[7], 64, isnan(c->cpu_util) ? "-" : "%.0f", 100 * c->cpu_util);
	snprintf(f[8], 64, isnan(c->gil_med) ? "-" : "%.0f%%", 100 * c->gil_med);
	if (isnan(c->ops_med))
		snprintf(f[9], 64, "-");
	else
		snprintf(f[9], 64, "%.4g", c->ops_med);
	snprintf(f[10], 64, "%s", c->unverified ? "NO" : c->n ? "yes" : "-");
	o = 0;
	f[11][0] = '\0';
	if (c->unverified)
		o += (size_t)snprintf(f[11] + o, 64 - o, "%zu/%zu unverified ", c->unverified,
		                      c->nall);
	if (is_noisy(&c->s) && o < 64)
		o += (size_t)snprintf(f[11] + o, 64 - o, "noisy(cv=%.0f%%) ", 100 * c->s.cv);
	if (c->s.outliers && o < 64)
		o += (size_t)snprintf(f[11] + o, 64 - o, "outliers=%zu ", c->s.outliers);
	if (c->n && c->n < 3 && o < 64)
		o += (size_t)snprintf(f[11] + o, 64 - o, "few-reps ");
	/* --precision: the half-width reached, by the table's definition */
	if (!isnan(c->prec_target) && o < 64)
		snprintf(f[11] + o, 64 - o, "%s±%.1f%% (target %g%%)",
		         stats_is_precise(&c->s, c->prec_target) ? "precise " : "IMPRECISE ",
		         100 * stats_rel_halfwidth(&c->s), 100 * c->prec_target);
	snprintf(f[12], 64, "%s", c->metric[0] ? c->metric : "");
}

#define NFIELDS 13
static const char *const headers[NFIELDS] = {
    "mode",       "workers", "reps",     "median", "interval (conf.)", "speedup [interval] (conf.)",
    "efficiency", "CPU %",   "GIL wait", "ops/s",  "verified",         "flags",
    "metric"};

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void md_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
	}
}

static void base64_file(FILE *out, const char *path)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	FILE *f = fopen(path, "rb");
	unsigned char in[3];
	size_t n;

	if (!f)
		return;
	while ((n = fread(in, 1, 3, f)) > 0) {
		unsigned v = (unsigned)in[0] << 16 | (n > 1 ? (unsigned)in[1] << 8 : 0) |
		             (n > 2 ? in[2] : 0);

		fputc(tab[v >> 18 & 63], out);
		fputc(tab[v >> 12 & 63], out);
		fputc(n > 1 ? tab[v >> 6 & 63] : '=', out);
		fputc(n > 2 ? tab[v & 63] : '=', out);
	}
	fclose(f);
}

static bool plot_exists(const struct report *rp, const struct group *g)
{
	char path[4200];
	struct stat st;

	if (!rp->plots_ok || !g->plot[0])
		return false;
	snprintf(path, sizeof(path), "%s/%s", rp->dir, g->plot);
	return stat(path, &st) == 0 && st.st_size > 0;
}

/* Hyperfine rows: command, median, and the matching internal cell. */
struct hf_row {
	const char *command;
	double median, stddev;
	double internal; /* sum of the medians of the cells that command runs */
};

static const char *arg_value(const char *cmd, const char *longname, char shortname, char *buf,
                             size_t len)
{
	char key[64];
	const char *p;
	size_t n;

	snprintf(key, sizeof(key), " --%s=", longname);
	p = strstr(cmd, key);
	if (p)
		p += strlen(key);
	else {
		snprintf(key, sizeof(key), " -%c ", shortname);
		p = strstr(cmd, key);
		if (!p)
			return NULL;
		p += strlen(key);
	}
	n = strcspn(p, " '\"");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static double internal_for(const struct report *rp, const char *cmd)
{
	char wl[128], mode[64], workers[32];
	double sum = 0;
	long w = -1;
	bool found = false;

	if (!arg_value(cmd, "workload", 'w', wl, sizeof(wl)) ||
	    !arg_value(cmd, "mode", 'm', mode, sizeof(mode)))
		return NAN;
	if (arg_value(cmd, "workers", 'j', workers, sizeof(workers)) && csv_parse_long(workers, &w))
		return NAN;
	if (strcmp(mode, "seq") == 0)
		w = 1; /* seq runs one worker whatever --workers says */
	for (size_t i = 0; i < rp->ng; i++) {
		const struct group *g = &rp->g[i];

		if (strcmp(g->workload, wl) != 0)
			continue;
		for (size_t k = 0; k < g->ncells; k++) {
			const struct rcell *c = &g->cells[k];
			bool same = strcmp(c->mode, mode) == 0 && (w < 0 || c->workers == w);
			bool base = strcmp(c->mode, "seq") == 0 && strcmp(mode, "seq") != 0;

			if ((same || base) && c->n) {
				sum += c->s.median;
				found = found || same;
			}
		}
		break;
	}
	return found ? sum : NAN;
}

static void write_hyperfine(FILE *md, FILE *html, const struct report *rp)
{
	if (!rp->nhf)
		return;
	fprintf(md, "\n## hyperfine cross-check\n\nWhole-process time measured by hyperfine "
	            "beside concbench's internal makespan (the cell plus its seq baseline). The "
	            "difference is process start-up, preparation and warm-up.\n\n"
	            "| command | hyperfine median | ± stddev | internal | difference |\n"
	            "|---|--:|--:|--:|--:|\n");
	fprintf(html, "<h2>hyperfine cross-check</h2>\n<p>Whole-process time measured by hyperfine "
	              "beside concbench's internal makespan (the cell plus its seq baseline). The "
	              "difference is process start-up, preparation and warm-up.</p>\n<table>"
	              "<tr><th>command</th><th>hyperfine median</th><th>± stddev</th>"
	              "<th>internal</th><th>difference</th></tr>\n");
	for (unsigned t = 0; t < rp->nhf; t++) {
		const struct csv_table *tb = &rp->hf[t];
		int cc = csv_table_col(tb, "command"), cm = csv_table_col(tb, "median"),
		    cs = csv_table_col(tb, "stddev");

		for (size_t i = 0; i < tb->nrows; i++) {
			struct hf_row r = {.command = tb->rows[i][cc]};
			char a[24], b[24], c[24], d[24];

			if (csv_parse_double(tb->rows[i][cm], &r.median))
				r.median = NAN;
			if (cs < 0 || csv_parse_double(tb->rows[i][cs], &r.stddev))
				r.stddev = NAN;
			r.internal = internal_for(rp, r.command);
			fmt_seconds(a, sizeof(a), r.median);
			fmt_seconds(b, sizeof(b), r.stddev);
			fmt_seconds(c, sizeof(c), r.internal);
			fmt_seconds(d + 1, sizeof(d) - 1, fabs(r.median - r.internal));
			d[0] = r.median < r.internal ? '-' : '+';
			if (isnan(r.internal))
				memmove(d, d + 1, strlen(d));
			fprintf(md, "| `");
			md_esc(md, r.command);
			fprintf(md, "` | %s | %s | %s | %s |\n", a, b, c, d);
			fprintf(html, "<tr><td><code>");
			html_esc(html, r.command);
			fprintf(html,
			        "</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			        a, b, c, d);
		}
	}
	fprintf(html, "</table>\n");
}

static const char css[] =
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
    "color:#222}table{border-collapse:collapse;margin:.5em 0 1em;font-size:.85em}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}th{background:#f0f0f0}"
    ".bad{color:#b00;font-weight:bold}.reading{background:#f6f8fa;padding:.4em .8em;"
    "border-left:4px solid #4a7}img{max-width:100%}code{font-size:.9em}"
    "h2{border-bottom:1px solid #ddd;margin-top:2em}";

static void write_header(FILE *md, FILE *html, const struct report *rp)
{
	static const char legend[] =
	    "Per workload: median wall time of the verified reps with its distribution-free "
	    "interval (order statistics) and the confidence it achieves (below 95% with fewer "
	    "than 6 reps: 93.8% at 5, 75% at 3); speedup = the Hodges-Lehmann estimate of "
	    "seq / cell wall time (the median of every pairwise ratio), or of cell / seq ops/s "
	    "for benches, with its distribution-free interval and confidence; efficiency = speedup "
	    "/ workers, CPU "
	    "% = (user + sys) / wall, GIL wait = the median share of thread time spent waiting "
	    "for the GIL. A reading claims only what its interval supports. Flags: noisy = CV "
	    "above 10% or an outlier by hyperfine's rule (|x - median| > 14.826 MAD).";

	time_t now = time(NULL);
	struct tm tm;
	char stamp[40];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(md, "# concbench report\n\nGenerated %s from %zu reps in:", stamp, rp->res.n);
	fprintf(html,
	        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	        "<title>concbench report</title><style>%s</style></head><body>\n"
	        "<h1>concbench report</h1>\n<p>Generated %s from %zu reps in:",
	        css, stamp, rp->res.n);
	for (int i = 0; i < rp->nfiles; i++) {
		fprintf(md, " `%s`", rp->files[i]);
		fprintf(html, " <code>");
		html_esc(html, rp->files[i]);
		fprintf(html, "</code>");
	}
	fprintf(md, ".\n\n%s\n", legend);
	fprintf(html, ".</p>\n<p>%s</p>\n", legend);
	if (rp->plot_note[0]) {
		fprintf(md, "\nPlots: %s.\n", rp->plot_note);
		fprintf(html, "<p class=\"bad\">Plots: ");
		html_esc(html, rp->plot_note);
		fprintf(html, ".</p>\n");
	}
}

static void write_host(FILE *md, FILE *html, const struct group *g)
{
	const struct cb_rec *r = g->first;

	fprintf(md, "\n## host %s\n\n%s; %ld CPUs in the affinity mask; concbench %s.\n", g->host,
	        r->cpu_model && *r->cpu_model ? r->cpu_model : "CPU unknown", r->cpus,
	        r->git_rev && *r->git_rev ? r->git_rev : "?");
	fprintf(html, "<h2>host ");
	html_esc(html, g->host);
	fprintf(html, "</h2>\n<p>");
	html_esc(html, r->cpu_model && *r->cpu_model ? r->cpu_model : "CPU unknown");
	fprintf(html, "; %ld CPUs in the affinity mask; concbench ", r->cpus);
	html_esc(html, r->git_rev && *r->git_rev ? r->git_rev : "?");
	fprintf(html, ".</p>\n");
}

static void write_group(FILE *md, FILE *html, const struct report *rp, const struct group *g)
{
	char f[NFIELDS][64];
	bool plot = plot_exists(rp, g);
	char sub[256];

	if (g->bench)
		snprintf(sub, sizeof(sub), "size %ld%s%s", g->size, *g->variant ? ", " : "",
		         g->variant);
	else
		snprintf(sub, sizeof(sub), "size %ld, %ld tasks%s%s", g->size, g->tasks,
		         *g->variant ? ", " : "", g->variant);
	fprintf(md, "\n### %s — %s\n\n%s\n\n", g->workload, sub, g->reading);
	fprintf(html, "<h3>");
	html_esc(html, g->workload);
	fprintf(html, " — ");
	html_esc(html, sub);
	fprintf(html, "</h3>\n<p class=\"reading\">");
	html_esc(html, g->reading);
	fprintf(html, "</p>\n<table><tr>");
	for (int i = 0; i < NFIELDS; i++) {
		fprintf(md, "| %s ", headers[i]);
		fprintf(html, "<th>%s</th>", headers[i]);
	}
	fprintf(md, "|\n|---|");
	for (int i = 1; i < NFIELDS; i++)
		fprintf(md, "%s", i >= 10 ? "---|" : "--:|");
	fprintf(md, "\n");
	fprintf(html, "</tr>\n");
	for (size_t i = 0; i < g->ncells; i++) {
		fmt_cell_fields(g, &g->cells[i], f);
		fprintf(html, "<tr>");
		for (int k = 0; k < NFIELDS; k++) {
			fprintf(md, "| ");
			md_esc(md, f[k]);
			fprintf(md, " ");
			fprintf(html, "<td%s>",
			        k == 10 && g->cells[i].unverified ? " class=\"bad\"" : "");
			html_esc(html, f[k]);
			fprintf(html, "</td>");
		}
		fprintf(md, "|\n");
		fprintf(html, "</tr>\n");
	}
	fprintf(html, "</table>\n");
	if (plot) {
		char path[4200];

		fprintf(md, "\n![%s](%s)\n", g->workload, g->plot);
		snprintf(path, sizeof(path), "%s/%s", rp->dir, g->plot);
		fprintf(html, "<p><img alt=\"");
		html_esc(html, g->workload);
		fprintf(html, " plots\" src=\"data:image/svg+xml;base64,");
		base64_file(html, path);
		fprintf(html, "\"></p>\n");
	}
}

static int write_outputs(struct report *rp)
{
	char pmd[4200], phtml[4200];
	struct safe_out md = {0}, html = {0};
	const char *failed = pmd;
	int rc;

	snprintf(pmd, sizeof(pmd), "%s/report.md", rp->dir);
	snprintf(phtml, sizeof(phtml), "%s/index.html", rp->dir);
	rc = safe_out_open(&md, pmd);
	if (!rc) {
		failed = phtml;
		rc = safe_out_open(&html, phtml);
	}
	if (rc)
		goto fail;
	write_header(md.f, html.f, rp);
	for (size_t i = 0; i < rp->ng; i++) {
		if (i == 0 || strcmp(rp->g[i].host, rp->g[i - 1].host) != 0)
			write_host(md.f, html.f, &rp->g[i]);
		write_group(md.f, html.f, rp, &rp->g[i]);
	}
	write_hyperfine(md.f, html.f, rp);
	fprintf(html.f, "</body></html>\n");
	/* both or neither: index.html is committed only after report.md was */
	failed = pmd;
	rc = safe_out_commit(&md);
	if (!rc) {
		failed = phtml;
		rc = safe_out_commit(&html);
	}
	if (!rc)
		return 0;
fail:
	safe_out_abort(&md);
	safe_out_abort(&html);
	if (rc == -EINTR && cb_interrupted)
		return 128 + cb_interrupted;
	cb_errorf("report", "%s: %s", failed, safe_strerror(rc));
	return EXIT_CHECK;
}

static bool is_hyperfine(const struct csv_table *t)
{
	return csv_table_col(t, "schema_version") < 0 && csv_table_col(t, "command") >= 0 &&
	       csv_table_col(t, "median") >= 0 && csv_table_col(t, "mean") >= 0;
}

static void report_usage(void)
{
	printf("usage: concbench report [-o DIR] [--no-plots] CSV...\n"
	       "Write DIR/report.md and a self-contained DIR/index.html (default DIR:\n"
	       "results/report): per host and workload a mode x workers table and gnuplot\n"
	       "plots. CSV files of hyperfine (--export-csv) are shown beside the internal\n"
	       "figures. A CSV (a regular file, a pipe or - for stdin) may hold at most\n"
	       "1 GiB; a larger one, a device or a directory is refused (exit 2).\n\n"
	       "  -o, --output=DIR  where to write (created when missing)\n"
	       "      --no-plots    skip gnuplot\n"
	       "  -h, --help        this help\n");
}

static void report_free(struct report *rp)
{
	for (size_t i = 0; i < rp->ng; i++) {
		for (size_t k = 0; k < rp->g[i].ncells; k++) {
			free(rp->g[i].cells[k].wall);
			free(rp->g[i].cells[k].gilshare);
			free(rp->g[i].cells[k].ops);
			free(rp->g[i].cells[k].label);
		}
		free(rp->g[i].cells);
	}
	free(rp->g);
	for (unsigned i = 0; i < rp->nhf; i++)
		csv_table_free(&rp->hf[i]);
	free(rp->hf);
	results_free(&rp->res);
}

static int load_inputs(struct report *rp)
{
	char err[512];

	for (int i = 0; i < rp->nfiles; i++) {
		struct csv_table t;
		bool in = strcmp(rp->files[i], "-") == 0; /* can't be read twice */
		int rc = in ? -ENOMSG : results_load(&rp->res, rp->files[i], err, sizeof(err));

		if (rc != -ENOMSG) { /* a concbench CSV, streamed (or its error) */
			if (rc) {
				cb_errorf("report", "%s", err);
				return EXIT_USAGE;
			}
			continue;
		}
		rc = csv_table_read(rp->files[i], &t, err, sizeof(err));
		if (!rc && is_hyperfine(&t)) {
			struct csv_table *p = realloc(rp->hf, (rp->nhf + 1) * sizeof(*p));

			if (!p) {
				csv_table_free(&t);
				cb_errorf("report", "out of memory");
				return EXIT_USAGE;
			}
			rp->hf = p;
			rp->hf[rp->nhf++] = t;
			continue;
		}
		if (!rc)
			rc = results_add_table(&rp->res, &t, err, sizeof(err));
		if (rc) {
			cb_errorf("report", "%s", err);
			return EXIT_USAGE;
		}
	}
	if (!rp->res.n) {
		cb_errorf("report", "%s: no concbench rows to report", rp->files[0]);
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"no-plots", no_argument, NULL, 'P'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct report rp = {.dir = "results/report"};
	bool plots = true;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			rp.dir = optarg;
			break;
		case 'P':
			plots = false;
			break;
		case 'q':
			cb_verbosity = -1;
			break;
		case 'h':
			report_usage();
			return EXIT_OK;
		default:
			cb_errorf("report",
			          "'%s': unknown option or missing argument (see concbench "
			          "report --help)",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cb_errorf("report", "no CSV files given");
		return EXIT_USAGE;
	}
	rp.files = (const char **)argv + optind;
	rp.nfiles = argc - optind;
	rc = load_inputs(&rp);
	if (rc)
		goto out;
	for (size_t i = 0; i < rp.res.n && !cb_interrupted; i++)
		if (add_rec(&rp, &rp.res.rec[i])) {
			cb_errorf("report", "out of memory");
			rc = EXIT_CHECK;
			goto out;
		}
	if (label_variants(&rp)) {
		cb_errorf("report", "out of memory");
		rc = EXIT_CHECK;
		goto out;
	}
	qsort(rp.g, rp.ng, sizeof(*rp.g), group_order);
	for (size_t i = 0; i < rp.ng && !cb_interrupted; i++) {
		summarize_group(&rp.g[i]);
		make_reading(&rp.g[i]);
	}
	if (cb_interrupted) { /* polled between groups: stop before writing */
		rc = 128 + cb_interrupted;
		goto out;
	}
	rc = mkdir_p(rp.dir);
	if (rc) {
		cb_errorf("report", "-o: %s: %s", rp.dir, strerror(-rc));
		rc = EXIT_USAGE;
		goto out;
	}
	if (plots)
		make_plots(&rp);
	if (cb_interrupted) {
		rc = 128 + cb_interrupted;
		goto out;
	}
	if (!plots)
		snprintf(rp.plot_note, sizeof(rp.plot_note), "skipped (--no-plots)");
	rc = write_outputs(&rp);
	if (!rc) {
		if (rp.plot_note[0] && plots)
			cb_errorf("report", "plots: %s", rp.plot_note);
		cb_note("report: %s/report.md and %s/index.html", rp.dir, rp.dir);
	}
out:
	report_free(&rp);
	return rc;
}
