/* stats_check - concbench's statistics on vectors from stdin, for
 * tests/stats/crosscheck.py, which compares them with scipy/numpy.
 *
 * One request per line, numbers separated by blanks, samples by " | ":
 *   summary X...            median mean stddev min max ci_lo ci_hi ci_conf mad outliers
 *   quantile P X...         the P-quantile of X (stats_quantile)
 *   mwu A... | B...         p p_min (mwu_p)
 *   hl B... | H...          est lo hi conf (hl_ratio, hl_conf)
 *   speedup R B... | C...   est lo hi conf (stats_speedup; R = 1: rates)
 *   hlpool B1... | H1... | B2... | H2...
 *                           est lo hi conf (hl_ratio_pooled, one stratum a pair)
 * One output line per request, %.17g; "error" when a function failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runner/base/stats.h"

#define MAXV 4096

/* Parse the numbers of s up to "|" or the end into v; *rest gets what
 * follows the "|" (NULL at the end). Returns the count. */
static size_t parse(char *s, double *v, char **rest)
{
	char *bar = strchr(s, '|'), *end;
	size_t n = 0;

	*rest = NULL;
	if (bar) {
		*bar = '\0';
		*rest = bar + 1;
	}
	for (;;) {
		double x = strtod(s, &end);

		if (end == s || n == MAXV)
			break;
		v[n++] = x;
		s = end;
	}
	return n;
}

static void print(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s%.17g", i ? " " : "", v[i]);
	printf("\n");
}

int main(void)
{
	static double a[MAXV], b[MAXV];
	char line[1 << 17], *rest, *args;

	while (fgets(line, sizeof(line), stdin)) {
		size_t na, nb;

		args = line + strcspn(line, " \n");
		if (strncmp(line, "summary ", 8) == 0) {
			struct summary s;

			na = parse(args, a, &rest);
			stats_summarize(a, na, &s);
			print((double[]){s.median, s.mean, s.stddev, s.min, s.max, s.ci_lo, s.ci_hi,
			                 s.ci_conf, s.mad, (double)s.outliers},
			      10);
		} else if (strncmp(line, "quantile ", 9) == 0) {
			double p = strtod(args, &args);

			na = parse(args, a, &rest);
			stats_sort(a, na);
			print((double[]){stats_quantile(a, na, p)}, 1);
		} else if (strncmp(line, "mwu ", 4) == 0) {
			double p, pmin;

			na = parse(args, a, &rest);
			nb = rest ? parse(rest, b, &rest) : 0;
			p = mwu_p(a, na, b, nb, &pmin);
			print((double[]){p, pmin}, 2);
		} else if (strncmp(line, "hl ", 3) == 0) {
			double est, lo, hi;

			na = parse(args, a, &rest);
			nb = rest ? parse(rest, b, &rest) : 0;
			if (hl_ratio(a, na, b, nb, &est, &lo, &hi))
				printf("error\n");
			else
				print((double[]){est, lo, hi, hl_conf(na, nb)}, 4);
		} else if (strncmp(line, "hlpool ", 7) == 0) {
			static double v[MAXV];
			struct hl_stratum st[64];
			size_t ns = 0, used = 0;
			double est, lo, hi, conf;

			for (rest = args; rest && ns < 64;) {
				size_t nb_ = parse(rest, v + used, &rest), nh_;

				st[ns].b = v + used;
				st[ns].nb = nb_;
				used += nb_;
				nh_ = rest ? parse(rest, v + used, &rest) : 0;
				st[ns].h = v + used;
				st[ns++].nh = nh_;
				used += nh_;
			}
			if (hl_ratio_pooled(st, ns, &est, &lo, &hi, &conf))
				printf("error\n");
			else
				print((double[]){est, lo, hi, conf}, 4);
		} else if (strncmp(line, "speedup ", 8) == 0) {
			int rates = (int)strtol(args, &args, 10);
			struct speedup sp;

			na = parse(args, a, &rest);
			nb = rest ? parse(rest, b, &rest) : 0;
			if (stats_speedup(a, na, b, nb, rates, &sp))
				printf("error\n");
			else
				print((double[]){sp.est, sp.lo, sp.hi, sp.conf}, 4);
		} else {
			fprintf(stderr, "stats_check: unknown request: %s", line);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
