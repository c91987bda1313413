/* report_hyperfine.c - `report`: CSV files written by hyperfine, recognised
 * by their header and shown beside the internal figures of the same command. */
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

void rp_write_hyperfine(FILE *md, FILE *html, const struct report *rp)
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
			rp_md_esc(md, r.command);
			fprintf(md, "` | %s | %s | %s | %s |\n", a, b, c, d);
			fprintf(html, "<tr><td><code>");
			rp_html_esc(html, r.command);
			fprintf(html,
			        "</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			        a, b, c, d);
		}
	}
	fprintf(html, "</table>\n");
}

bool rp_is_hyperfine(const struct csv_table *t)
{
	return csv_table_col(t, "schema_version") < 0 && csv_table_col(t, "command") >= 0 &&
	       csv_table_col(t, "median") >= 0 && csv_table_col(t, "mean") >= 0;
}
