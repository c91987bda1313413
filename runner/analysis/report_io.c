/* report_io.c - `report`: the I/O section (issue 17). For each series of
 * rows that includes the event-loop mode (`async`): makespan and memory per
 * task in flight against concurrency, one line per mode (seq, threads,
 * procs, gil, async and CPython's py-* rows), a table, a plot, and the
 * crossover points between every two modes as measured.
 *
 * Concurrency is the number of tasks of a cell (--tasks: a sweep is one
 * CSV per level, or one CSV with several runs); the tasks in flight at once
 * are min(tasks, workers) in the pooled modes, 1 in seq, and every task in
 * async (the default --inflight: rows don't record another). Of several
 * cells of one mode at one level the one with the most tasks in flight is
 * taken, then the one with the fewest workers. Memory per task in flight
 * is the rss_per_task_kb metric of --cost rows.
 *
 * Mode names are matched against a fixed list and only those literals reach
 * gnuplot; workload and host names are sanitized (rp_sanitize), so a crafted
 * CSV can't put text into the script. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report_model.h"
#include "cell.h"
#include "csvread.h"
#include "../base/safeio.h"
#include "../base/stats.h"
#include "../base/util.h"

#define IO_MAX_LEVELS 12
#define IO_MAX_SERIES 32

static const char *const io_modes[] = {"seq",   "threads",    "procs",    "gil",
                                       "async", "py-threads", "py-procs", "py-async"};
#define IO_NMODES ((int)ARRAY_SIZE(io_modes))
static const char *const io_colors[IO_NMODES] = {"#333333", "#1f77b4", "#d62728", "#9467bd",
                                                 "#2ca02c", "#17becf", "#e377c2", "#bcbd22"};

struct io_pt {
	size_t n; /* verified reps of the chosen cell */
	size_t failed; /* reps of the mode at this level that did not finish ok */
	const char *fail_status;
	long workers, inflight;
	double wall, rss; /* medians; rss NaN without --cost */
};

struct io_series {
	const struct cb_rec *first; /* host, workload, size, params */
	long levels[IO_MAX_LEVELS];
	int nlev;
	bool dropped_levels; /* more than IO_MAX_LEVELS task counts */
	struct io_pt pt[IO_NMODES][IO_MAX_LEVELS];
	char plot[512]; /* relative to DIR, "" when none */
};

static int io_mode(const char *m)
{
	for (int i = 0; i < IO_NMODES; i++)
		if (strcmp(m, io_modes[i]) == 0)
			return i;
	return -1;
}

static bool same_series(const struct cb_rec *a, const struct cb_rec *b)
{
	return strcmp(a->host, b->host) == 0 && strcmp(a->workload, b->workload) == 0 &&
	       a->size == b->size && a->bench == b->bench &&
	       strcmp(a->params ? a->params : "", b->params ? b->params : "") == 0;
}

static long in_flight(const struct cb_rec *r)
{
	if (cell_is_baseline_mode(r->mode))
		return 1;
	if (strstr(r->mode, "async"))
		return r->tasks;
	return r->workers < r->tasks ? r->workers : r->tasks;
}

static double median_of(double *v, size_t n)
{
	if (!n)
		return NAN;
	stats_sort(v, n);
	return stats_quantile(v, n, 0.5);
}

/* The point of mode m at level lv of series s. */
static void fill_point(const struct cb_results *res, struct io_series *s, int m, int lv,
                       double *wall, double *rss)
{
	struct io_pt *p = &s->pt[m][lv];
	size_t nw = 0, nr = 0;

	p->workers = -1;
	p->inflight = -1;
	p->wall = p->rss = NAN;
	for (size_t i = 0; i < res->n; i++) {
		const struct cb_rec *r = &res->rec[i];
		long k;

		if (r->tasks != s->levels[lv] || strcmp(r->mode, io_modes[m]) != 0 ||
		    !same_series(r, s->first))
			continue;
		if (strcmp(r->status, "ok") != 0 || !r->verified) {
			p->failed++;
			p->fail_status = r->status;
			continue;
		}
		k = in_flight(r);
		if (k > p->inflight || (k == p->inflight && r->workers < p->workers)) {
			p->inflight = k;
			p->workers = r->workers;
		}
	}
	for (size_t i = 0; p->workers >= 0 && i < res->n; i++) {
		const struct cb_rec *r = &res->rec[i];
		double v;

		if (r->tasks != s->levels[lv] || strcmp(r->mode, io_modes[m]) != 0 ||
		    r->workers != p->workers || strcmp(r->status, "ok") != 0 || !r->verified ||
		    !same_series(r, s->first))
			continue;
		wall[nw++] = r->wall_s;
		if (results_value(res, r, "rss_per_task_kb", &v) == 0 && isfinite(v))
			rss[nr++] = v;
	}
	p->n = nw;
	p->wall = median_of(wall, nw);
	p->rss = median_of(rss, nr);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Series of res that have async rows (the first IO_MAX_SERIES; *more when
 * there are others); their count, or -ENOMEM. */
static int find_series(const struct cb_results *res, struct io_series **out, bool *more)
{
	struct io_series *s = calloc(IO_MAX_SERIES, sizeof(*s));
	double *wall, *rss;
	int ns = 0;

	*out = s;
	if (!s)
		return -ENOMEM;
	*more = false;
	for (size_t i = 0; i < res->n; i++) {
		const struct cb_rec *r = &res->rec[i];
		int k;

		if (strcmp(r->mode, "async") != 0 || r->bench)
			continue;
		for (k = 0; k < ns && !same_series(r, s[k].first); k++)
			;
		if (k < ns)
			continue;
		if (ns == IO_MAX_SERIES)
			*more = true;
		else
			s[ns++].first = r;
	}
	wall = malloc((res->n ? res->n : 1) * sizeof(*wall));
	rss = malloc((res->n ? res->n : 1) * sizeof(*rss));
	if (!wall || !rss) {
		free(wall);
		free(rss);
		return -ENOMEM;
	}
	for (int k = 0; k < ns; k++) {
		struct io_series *sk = &s[k];

		for (size_t i = 0; i < res->n; i++) {
			const struct cb_rec *r = &res->rec[i];
			int l;

			if (io_mode(r->mode) < 0 || !same_series(r, sk->first))
				continue;
			for (l = 0; l < sk->nlev && sk->levels[l] != r->tasks; l++)
				;
			if (l < sk->nlev)
				continue;
			if (sk->nlev == IO_MAX_LEVELS)
				sk->dropped_levels = true;
			else
				sk->levels[sk->nlev++] = r->tasks;
		}
		qsort(sk->levels, (size_t)sk->nlev, sizeof(long), cmp_long);
		for (int m = 0; m < IO_NMODES; m++)
			for (int l = 0; l < sk->nlev; l++)
				fill_point(res, sk, m, l, wall, rss);
	}
	free(wall);
	free(rss);
	return ns;
}

/* Levels of mode m with a measured value of `what` (0 makespan, 1 memory). */
static int nlevels_with(const struct io_series *s, int m, int what)
{
	int n = 0;

	for (int l = 0; l < s->nlev; l++)
		n += !isnan(what ? s->pt[m][l].rss : s->pt[m][l].wall);
	return n;
}

/* Enough to compare: two modes, each measured at two or more levels. */
static bool series_usable(const struct io_series *s)
{
	int modes = 0;

	for (int m = 0; m < IO_NMODES; m++)
		modes += nlevels_with(s, m, 0) >= 2;
	return modes >= 2 && nlevels_with(s, io_mode("async"), 0) >= 2;
}

static double val(const struct io_pt *p, int what)
{
	return what ? p->rss : p->wall;
}

static void fmt_level(char *buf, size_t len, double v)
{
	if (v >= 1000)
		snprintf(buf, len, "%.0f,%03.0f", floor(v / 1000), fmod(v, 1000));
	else
		snprintf(buf, len, "%.0f", v);
}

/* A flip of the log-ratio from f0 to f1 is clear when both ends differ by
 * 10% or more. */
static const char *noise(double f0, double f1)
{
	bool n0 = fabs(f0) < log(1.1), n1 = fabs(f1) < log(1.1);

	if (n0 && n1)
		return " (within 10% at both levels: not a clear crossover)";
	if (n0 || n1)
		return " (within 10% at one level: may be noise)";
	return "";
}

/* Crossovers of `what` between every two modes measured at two or more
 * common levels: where the order of their medians flips, the level
 * interpolated on log-log scales. One line each into md and html. */
static void write_crossovers(FILE *md, FILE *html, const struct io_series *s, int what)
{
	const char *name = what ? "memory per task in flight" : "makespan";
	bool any = false;

	for (int a = 0; a < IO_NMODES; a++) {
		for (int b = a + 1; b < IO_NMODES; b++) {
			int common[IO_MAX_LEVELS], nc = 0, flips = 0;
			char line[768];
			size_t o = 0;

			for (int l = 0; l < s->nlev; l++)
				if (!isnan(val(&s->pt[a][l], what)) &&
				    !isnan(val(&s->pt[b][l], what)))
					common[nc++] = l;
			if (nc < 2)
				continue;
			for (int i = 0; i + 1 < nc; i++) {
				const struct io_pt *a0 = &s->pt[a][common[i]],
				                   *b0 = &s->pt[b][common[i]];
				const struct io_pt *a1 = &s->pt[a][common[i + 1]],
				                   *b1 = &s->pt[b][common[i + 1]];
				double f0 = log(val(a0, what) / val(b0, what));
				double f1 = log(val(a1, what) / val(b1, what));
				double x0 = log((double)s->levels[common[i]]);
				double x1 = log((double)s->levels[common[i + 1]]);
				char l0[32], l1[32], lx[32];

				if (!((f0 < 0 && f1 > 0) || (f0 > 0 && f1 < 0)) ||
				    o >= sizeof(line))
					continue;
				fmt_level(l0, sizeof(l0), (double)s->levels[common[i]]);
				fmt_level(l1, sizeof(l1), (double)s->levels[common[i + 1]]);
				fmt_level(lx, sizeof(lx),
				          exp(x0 + (0 - f0) * (x1 - x0) / (f1 - f0)));
				{
					int lo = f1 < 0 ? a : b, hi = f1 < 0 ? b : a;
					const struct io_pt *lo0 = lo == a ? a0 : b0,
					                   *hi0 = lo == a ? b0 : a0;
					const struct io_pt *lo1 = lo == a ? a1 : b1,
					                   *hi1 = lo == a ? b1 : a1;

					o += (size_t)snprintf(
					    line + o, sizeof(line) - o,
					    "%s%s's %s falls below %s's between %s and %s tasks (≈ "
					    "%s, interpolated on log scales): %s %.3g vs %s %.3g "
					    "%s at %s, "
					    "%.3g vs %.3g at %s%s",
					    flips ? "; then " : "", io_modes[lo], name,
					    io_modes[hi], l0, l1, lx, io_modes[lo], val(lo0, what),
					    io_modes[hi], val(hi0, what), what ? "KiB" : "s", l0,
					    val(lo1, what), val(hi1, what), l1, noise(f0, f1));
				}
				flips++;
			}
			if (!flips) {
				const struct io_pt *p0 = &s->pt[a][common[0]],
				                   *q0 = &s->pt[b][common[0]];
				bool a_low = val(p0, what) < val(q0, what);
				char l0[32], l1[32];

				fmt_level(l0, sizeof(l0), (double)s->levels[common[0]]);
				fmt_level(l1, sizeof(l1), (double)s->levels[common[nc - 1]]);
				snprintf(
				    line, sizeof(line),
				    "no crossover: %s's %s is below %s's at every level measured "
				    "in common (%s to %s tasks)",
				    a_low ? io_modes[a] : io_modes[b], name,
				    a_low ? io_modes[b] : io_modes[a], l0, l1);
			}
			fprintf(md, "- %s vs %s: ", io_modes[a], io_modes[b]);
			rp_md_esc(md, line);
			fprintf(md, ".\n");
			fprintf(html, "<li>%s vs %s: ", io_modes[a], io_modes[b]);
			rp_html_esc(html, line);
			fprintf(html, ".</li>\n");
			any = true;
		}
	}
	if (!any) {
		fprintf(md, "- %s: no two modes measured at two common levels.\n", name);
		fprintf(html, "<li>%s: no two modes measured at two common levels.</li>\n", name);
	}
}

static void write_table(FILE *md, FILE *html, const struct io_series *s)
{
	bool has[IO_NMODES];

	for (int m = 0; m < IO_NMODES; m++) {
		has[m] = false;
		for (int l = 0; l < s->nlev; l++)
			has[m] |= s->pt[m][l].n || s->pt[m][l].failed;
	}
	fprintf(md, "\n| tasks |");
	fprintf(html, "<table><tr><th>tasks</th>");
	for (int m = 0; m < IO_NMODES; m++)
		if (has[m]) {
			fprintf(md, " %s: makespan, KiB per task in flight (workers) |",
			        io_modes[m]);
			fprintf(html, "<th>%s: makespan, KiB per task in flight (workers)</th>",
			        io_modes[m]);
		}
	fprintf(md, "\n|--:|");
	for (int m = 0; m < IO_NMODES; m++)
		if (has[m])
			fprintf(md, "--:|");
	fprintf(md, "\n");
	fprintf(html, "</tr>\n");
	for (int l = 0; l < s->nlev; l++) {
		char lv[32];

		fmt_level(lv, sizeof(lv), (double)s->levels[l]);
		fprintf(md, "| %s |", lv);
		fprintf(html, "<tr><td>%s</td>", lv);
		for (int m = 0; m < IO_NMODES; m++) {
			const struct io_pt *p = &s->pt[m][l];
			char cell[160], w[24], kb[32];

			if (!has[m])
				continue;
			if (p->n) {
				fmt_seconds(w, sizeof(w), p->wall);
				if (isnan(p->rss))
					snprintf(kb, sizeof(kb), "-");
				else
					snprintf(kb, sizeof(kb), p->rss < 1000 ? "%.3g" : "%.0f",
					         p->rss);
				snprintf(cell, sizeof(cell), "%s, %s (%ld)", w, kb, p->workers);
			} else if (p->failed) {
				snprintf(cell, sizeof(cell), "did not finish (%s)", p->fail_status);
			} else {
				snprintf(cell, sizeof(cell), "-");
			}
			fprintf(md, " ");
			rp_md_esc(md, cell);
			fprintf(md, " |");
			fprintf(html, "<td>");
			rp_html_esc(html, cell);
			fprintf(html, "</td>");
		}
		fprintf(md, "\n");
		fprintf(html, "</tr>\n");
	}
	fprintf(html, "</table>\n");
}

/* One gnuplot script for every usable series; false when nothing was
 * plotted. */
static bool make_plots(const struct report *rp, struct io_series *s, int ns)
{
	char path[4200], log[4200], host[128], wl[128];
	struct safe_out gp;
	bool any = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/plots/io.gp", rp->dir);
	snprintf(log, sizeof(log), "%s/plots/gnuplot-io.log", rp->dir);
	if (safe_out_open(&gp, path))
		return false;
	f = gp.f;
	fprintf(f,
	        "# concbench report: the I/O section's plots; rerun with: gnuplot %s\n"
	        "set terminal svg size 960,400 dynamic font 'sans,10' background rgb 'white'\n"
	        "set grid\nset key top left box opaque noenhanced\nset pointsize 0.8\n"
	        "set logscale xy 10\nset xlabel 'tasks (concurrency; in flight at once: all, or "
	        "the workers when fewer)'\n",
	        path);
	for (int k = 0; k < ns; k++) {
		struct io_series *sk = &s[k];
		char dir[4200];

		if (!series_usable(sk))
			continue;
		rp_sanitize(host, sizeof(host), sk->first->host);
		rp_sanitize(wl, sizeof(wl), sk->first->workload);
		snprintf(dir, sizeof(dir), "%s/plots/%s", rp->dir, host);
		if (rp_mkdir_p(dir))
			continue;
		snprintf(sk->plot, sizeof(sk->plot), "plots/%s/io-%s-%ld-%d.svg", host, wl,
		         sk->first->size, k);
		for (int m = 0; m < IO_NMODES; m++) {
			fprintf(f, "$io%d_%d << EOD\n", k, m);
			for (int l = 0; l < sk->nlev; l++) {
				const struct io_pt *p = &sk->pt[m][l];

				if (!p->n)
					continue;
				fprintf(f, "%ld %.9g", sk->levels[l], p->wall);
				if (isnan(p->rss) || p->rss <= 0)
					fprintf(f, " NaN\n");
				else
					fprintf(f, " %.9g\n", p->rss);
			}
			fprintf(f, "EOD\n");
		}
		fprintf(f,
		        "set output '%s/%s'\nset multiplot layout 1,2 title '%s (size %ld) on %s, "
		        "I/O: against concurrency' noenhanced\n",
		        rp->dir, sk->plot, wl, sk->first->size, host);
		for (int what = 0; what < 2; what++) {
			bool first = true;

			fprintf(f, "set title '%s' noenhanced\nset ylabel '%s'\n",
			        what ? "memory per task in flight (RSS, --cost)" : "makespan",
			        what ? "KiB" : "seconds");
			for (int m = 0; m < IO_NMODES; m++) {
				if (nlevels_with(sk, m, what) < 1)
					continue;
				fprintf(
				    f,
				    "%s $io%d_%d using 1:%d with linespoints lw 2 pt 7 lc rgb '%s' "
				    "title '%s'",
				    first ? "plot" : ",", k, m, what ? 3 : 2, io_colors[m],
				    io_modes[m]);
				first = false;
			}
			if (first) /* no --cost rows: an empty panel that says so */
				fprintf(
				    f,
				    "set label 1 'no rss_per_task_kb (run with --cost)' at graph "
				    "0.5,0.5 center\nunset key\nplot [1:10] 1 notitle\nunset label "
				    "1\nset key");
			fputc('\n', f);
		}
		fprintf(f, "unset multiplot\nset output\n");
		any = true;
	}
	if (safe_out_commit(&gp) || !any)
		return false;
	return rp_run_gnuplot(path, log) == 0;
}

static void embed_plot(FILE *md, FILE *html, const struct report *rp, const struct io_series *s)
{
	char path[4200];
	struct stat st;

	if (!s->plot[0])
		return;
	snprintf(path, sizeof(path), "%s/%s", rp->dir, s->plot);
	if (stat(path, &st) || st.st_size == 0)
		return;
	fprintf(md, "\n![I/O against concurrency](%s)\n", s->plot);
	fprintf(html, "<p><img alt=\"I/O against concurrency\" src=\"data:image/svg+xml;base64,");
	rp_base64_file(html, path);
	fprintf(html, "\"></p>\n");
}

static const char io_how[] =
    "Measure it with one CSV per level, e.g. for N in 10 100 1000 10000: `concbench -w sleep "
    "--sleep=1s --tasks=N --baseline=none --cost -m async,threads,procs -j N` (async runs one "
    "loop per worker: add `-m async -j 1` for asyncio's shape), then `concbench report` over "
    "all of them.";

void rp_write_io(FILE *md, FILE *html, const struct report *rp)
{
	struct io_series *s;
	bool plotted = false, more;
	int ns = find_series(&rp->res, &s, &more), usable = 0;

	if (ns <= 0) { /* no async rows: nothing to say here */
		free(s);
		return;
	}
	for (int k = 0; k < ns; k++)
		usable += series_usable(&s[k]);
	fprintf(md, "\n## I/O: makespan and memory per task in flight against concurrency\n\n");
	fprintf(html, "<h2>I/O: makespan and memory per task in flight against concurrency</h2>\n");
	if (!usable) {
		fprintf(
		    md,
		    "Not drawn: these rows have the event-loop mode (async), but no series has "
		    "async and another mode each at two or more concurrency levels (task counts). "
		    "%s\n",
		    io_how);
		fprintf(html, "<p>Not drawn: these rows have the event-loop mode (async), but no "
		              "series has async and another mode each at two or more concurrency "
		              "levels (task counts). ");
		rp_html_esc(html, io_how);
		fprintf(html, "</p>\n");
		free(s);
		return;
	}
	if (rp->plots_ok)
		plotted = make_plots(rp, s, ns);
	fprintf(md,
	        "Tasks in flight = the cell's tasks (async: every task in flight, the default "
	        "--inflight), min(tasks, workers) in the pooled modes. Per mode and level: the "
	        "median makespan of the verified reps and the median memory per task in "
	        "flight (rss_per_task_kb, --cost rows; procs: one worker's peak RSS), with the "
	        "workers of the cell. Crossovers compare medians.%s\n",
	        plotted ? "" : " No plots (see the note on plots above).");
	fprintf(html,
	        "<p>Tasks in flight = the cell's tasks (async: every task in flight, the "
	        "default --inflight), min(tasks, workers) in the pooled modes. Per mode and "
	        "level: the median makespan of the verified reps and the median memory per "
	        "task in flight (rss_per_task_kb, --cost rows; procs: one worker's peak "
	        "RSS), with the workers of the cell. Crossovers compare medians.%s</p>\n",
	        plotted ? "" : " No plots (see the note on plots above).");
	if (more) {
		fprintf(md, "Only the first %d series with async rows are shown.\n", IO_MAX_SERIES);
		fprintf(html, "<p>Only the first %d series with async rows are shown.</p>\n",
		        IO_MAX_SERIES);
	}
	for (int k = 0; k < ns; k++) {
		const struct io_series *sk = &s[k];
		const struct cb_rec *r = sk->first;
		char sub[512];

		snprintf(sub, sizeof(sub), "%s on %s, size %ld%s%s", r->workload, r->host, r->size,
		         r->params && *r->params ? ", " : "", r->params ? r->params : "");
		fprintf(md, "\n### I/O — ");
		rp_md_esc(md, sub);
		fprintf(md, "\n");
		fprintf(html, "<h3>I/O — ");
		rp_html_esc(html, sub);
		fprintf(html, "</h3>\n");
		if (!series_usable(sk)) {
			fprintf(md,
			        "\nNot drawn: fewer than two modes (async among them) measured at "
			        "two or more task counts.\n");
			fprintf(html,
			        "<p>Not drawn: fewer than two modes (async among them) measured at "
			        "two or more task counts.</p>\n");
			continue;
		}
		write_table(md, html, sk);
		if (sk->dropped_levels) {
			fprintf(md, "\nOnly the first %d task counts are shown.\n", IO_MAX_LEVELS);
			fprintf(html, "<p>Only the first %d task counts are shown.</p>\n",
			        IO_MAX_LEVELS);
		}
		if (plotted)
			embed_plot(md, html, rp, sk);
		fprintf(md, "\nCrossovers, makespan:\n\n");
		fprintf(html, "<p>Crossovers, makespan:</p><ul>\n");
		write_crossovers(md, html, sk, 0);
		fprintf(html, "</ul>\n<p>Crossovers, memory per task in flight:</p><ul>\n");
		fprintf(md, "\nCrossovers, memory per task in flight:\n\n");
		write_crossovers(md, html, sk, 1);
		fprintf(html, "</ul>\n");
	}
	free(s);
}
