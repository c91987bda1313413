/* report_plot.c - `report`: gnuplot scripts and SVG plots, one per series. */
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
	int r = rp_mode_rank(mode);

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

int rp_mkdir_p(const char *path)
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
int rp_run_gnuplot(const char *script, const char *log)
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

void rp_make_plots(struct report *rp)
{
	char path[4200], log[4200], dir[4200], host[128], wl[128];
	struct safe_out gp;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/plots/plots.gp", rp->dir);
	snprintf(log, sizeof(log), "%s/plots/gnuplot.log", rp->dir);
	snprintf(dir, sizeof(dir), "%s/plots", rp->dir);
	if (rp_mkdir_p(dir)) {
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

		rp_sanitize(host, sizeof(host), g->host);
		rp_sanitize(wl, sizeof(wl), g->workload);
		snprintf(dir, sizeof(dir), "%s/plots/%s", rp->dir, host);
		if (rp_mkdir_p(dir))
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
		rp_plot_explain(f, rp, g);
	}
	if (safe_out_commit(&gp)) {
		snprintf(rp->plot_note, sizeof(rp->plot_note), "cannot write %s", path);
		return;
	}
	rc = rp_run_gnuplot(path, log);
	if (rc == 127)
		snprintf(rp->plot_note, sizeof(rp->plot_note),
		         "gnuplot not found: plots skipped (install gnuplot-nox)");
	else if (rc)
		snprintf(rp->plot_note, sizeof(rp->plot_note), "gnuplot failed (status %d): see %s",
		         rc, log);
	else
		rp->plots_ok = true;
}
