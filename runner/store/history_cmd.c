/* history_cmd.c - `concbench history`: the command line, triage (ack,
 * expect) and --noise, the false-alarm rate on stored A/A pairs. */
#include "history_int.h"
#include "history.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/stats.h"
#include "../base/util.h"
#include "store.h"
#include "../analysis/compare.h"

/* ---- --noise: false alarms on A/A pairs -------------------------------- */

/* The reps of one run of one cell. */
struct aa_run {
	double *x;
	size_t n, cap;
};

/* One (host, cell, binary) group: runs that differ in nothing but time. */
struct aa_group {
	char *host, *workload, *mode, *key, *binary;
	long workers;
	struct aa_run *runs;
	size_t nruns, cap;
	char *last_run;
};

struct aa_set {
	struct aa_group *g;
	size_t n, cap;
	int err;
};

static int aa_row(void *arg, int n, char **v)
{
	struct aa_set *s = arg;
	struct aa_group *g = s->n ? &s->g[s->n - 1] : NULL;
	struct aa_run *r;

	if (n < 8 || !v[7])
		return 0;
	if (!g || strcmp(g->key, v[0]) || strcmp(g->binary, v[5])) {
		if (s->n == s->cap) {
			size_t nc = s->cap ? 2 * s->cap : 64;
			struct aa_group *p = realloc(s->g, nc * sizeof(*p));

			if (!p)
				return s->err = -ENOMEM;
			s->g = p;
			s->cap = nc;
		}
		g = &s->g[s->n++];
		memset(g, 0, sizeof(*g));
		g->key = hist_dup_str(v[0]);
		g->host = hist_dup_str(v[1]);
		g->workload = hist_dup_str(v[2]);
		g->mode = hist_dup_str(v[3]);
		g->workers = atol(v[4]);
		g->binary = hist_dup_str(v[5]);
		if (!g->key || !g->host || !g->workload || !g->mode || !g->binary)
			return s->err = -ENOMEM;
	}
	if (!g->last_run || strcmp(g->last_run, v[6])) {
		if (g->nruns == g->cap) {
			size_t nc = g->cap ? 2 * g->cap : 8;
			struct aa_run *p = realloc(g->runs, nc * sizeof(*p));

			if (!p)
				return s->err = -ENOMEM;
			g->runs = p;
			g->cap = nc;
		}
		memset(&g->runs[g->nruns++], 0, sizeof(*g->runs));
		free(g->last_run);
		if (!(g->last_run = hist_dup_str(v[6])))
			return s->err = -ENOMEM;
	}
	r = &g->runs[g->nruns - 1];
	if (r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 8;
		double *p = realloc(r->x, nc * sizeof(*p));

		if (!p)
			return s->err = -ENOMEM;
		r->x = p;
		r->cap = nc;
	}
	r->x[r->n++] = strtod(v[7], NULL);
	return 0;
}

static void aa_free(struct aa_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct aa_group *g = &s->g[i];

		for (size_t k = 0; k < g->nruns; k++)
			free(g->runs[k].x);
		free(g->runs);
		free(g->key);
		free(g->host);
		free(g->workload);
		free(g->mode);
		free(g->binary);
		free(g->last_run);
	}
	free(s->g);
}

/* Per (host, cell): over consecutive A/A pairs (same binary hash and cell),
 * how often compare's verdict flags a change; over each A/A series, how many
 * change points the detector finds; and the smallest change compare can see
 * at the current rep count: (z(1-alpha/2) + z(0.8)) sqrt(2/n) sigma, sigma
 * the median relative spread of a run's reps (1.4826 MAD / median). */
static int history_noise(struct db *db, const struct hist_filter *f, const struct cp_opts *o,
                         double threshold, double alpha, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT c.cell_uid, c.host, c.workload, c.mode, c.workers, r.binary_hash, r.run_uid, "
	    "p.wall_s FROM reps p JOIN runs r ON r.run_uid = p.run_uid "
	    "JOIN cells c ON c.cell_uid = p.cell_uid WHERE p.verified = 1 "
	    "ORDER BY c.host, c.workload, c.mode, c.workers, c.cell_uid, r.binary_hash, "
	    "r.commit_time, r.started, r.run_uid, p.rep";
	struct aa_set s = {0};
	int rc = db_query(db, sql, 0, NULL, aa_row, &s, err, errlen);
	double z = 2.5758293035489 + 0.8416212335729; /* alpha 0.01 two-sided, power 0.8 */

	if (rc) {
		if (s.err)
			snprintf(err, errlen, "history --noise: %s", strerror(-s.err));
		aa_free(&s);
		return rc;
	}
	printf("%-10s %-18s %-10s %7s %6s %13s %11s %15s\n", "host", "workload", "mode", "workers",
	       "pairs", "compare flags", "cp (series)", "detects >= (n)");
	for (size_t i = 0; i < s.n;) {
		size_t j = i, pairs = 0, flags = 0, series = 0, cps = 0, nsig = 0, nrep = 0;
		double sig[4096];
		struct aa_group *g0 = &s.g[i];

		while (j < s.n && strcmp(s.g[j].key, g0->key) == 0)
			j++;
		if ((f->workload && fnmatch(f->workload, g0->workload, 0)) ||
		    (f->host && strcmp(f->host, g0->host))) {
			i = j;
			continue;
		}
		for (size_t k = i; k < j; k++) {
			struct aa_group *g = &s.g[k];
			double *med = malloc((g->nruns ? g->nruns : 1) * sizeof(double));
			struct cp_point *pts = malloc((g->nruns ? g->nruns : 1) * sizeof(*pts));

			if (!med || !pts) {
				free(med);
				free(pts);
				aa_free(&s);
				snprintf(err, errlen, "history --noise: out of memory");
				return -ENOMEM;
			}
			for (size_t r = 0; r < g->nruns; r++) {
				struct summary sm;
				double *x = g->runs[r].x;
				size_t n = g->runs[r].n;
				struct cmp_stats st;
				char why[256];
				enum cmp_verdict vd;

				if (r + 1 < g->nruns && cmp_compute(x, n, g->runs[r + 1].x,
				                                    g->runs[r + 1].n, &st) == 0) {
					vd = cmp_decide(&st, threshold, alpha, false, why,
					                sizeof(why));
					pairs++;
					flags += vd == CMP_REGRESSION || vd == CMP_IMPROVEMENT;
				}
				stats_summarize(x, n, &sm); /* sorts x: after the pair test */
				med[r] = sm.median;
				if (nsig < ARRAY_SIZE(sig) && sm.median > 0)
					sig[nsig++] = 1.4826 * sm.mad / sm.median;
				nrep += n;
			}
			if (g->nruns >= 2 * o->min_seg) {
				int k2 = cp_detect(med, g->nruns, o, pts, g->nruns);

				series++;
				cps += k2 > 0 ? (size_t)k2 : 0;
			}
			free(med);
			free(pts);
		}
		{
			char fl[32], cp[32], mde[32];
			size_t runs = 0;

			for (size_t k = i; k < j; k++)
				runs += s.g[k].nruns;
			if (pairs)
				snprintf(fl, sizeof(fl), "%zu (%.1f%%)", flags,
				         100.0 * (double)flags / (double)pairs);
			else
				snprintf(fl, sizeof(fl), "-");
			if (series)
				snprintf(cp, sizeof(cp), "%zu (%zu)", cps, series);
			else
				snprintf(cp, sizeof(cp), "- (need %zu)", 2 * o->min_seg);
			if (nsig && runs) {
				double n = (double)nrep / (double)runs;

				stats_sort(sig, nsig);
				snprintf(mde, sizeof(mde), "%.1f%% (%.0f)",
				         100 * z * sqrt(2 / n) * stats_quantile(sig, nsig, 0.5), n);
			} else {
				snprintf(mde, sizeof(mde), "-");
			}
			printf("%-10s %-18s %-10s %7ld %6zu %13s %11s %15s\n", g0->host,
			       g0->workload, g0->mode, g0->workers, pairs, fl, cp, mde);
		}
		i = j;
	}
	printf("\nA/A pairs: consecutive runs of one cell with the same binary hash and "
	       "configuration. compare flags: verdicts regression/improvement at threshold "
	       "%g%%, alpha %g (the observed false-alarm rate). cp: change points found in "
	       "A/A series (every one is false). detects >=: the change compare finds with "
	       "80%% power at alpha 0.01 with n reps per run.\n",
	       100 * threshold, alpha);
	aa_free(&s);
	return 0;
}

/* ---- the command ----------------------------------------------------- */

static void history_usage(void)
{
	printf("usage: concbench history [--db=URL] [--workload=GLOB] [--host=H] [--branch=B]\n"
	       "                         [--alpha=P] [--min-change=PCT] [--min-runs=N]\n"
	       "                         [--metric=NAME] [--format=table|markdown|csv|json] "
	       "[--fail-on=new-regression]\n"
	       "       concbench history ack|expect|new ID [--db=URL]\n"
	       "\n"
	       "Per cell (host, workload, mode, workers, tasks, size, parameters) the series of\n"
	       "per-run median wall times ordered by commit time, and its change points:\n"
	       "E-divisive means places them, Welch's t-test keeps those with p < alpha whose\n"
	       "means differ by at least --min-change (Apache Otava's method). Per change point:\n"
	       "the commit range, medians before and after, the change with a 95%% interval, p,\n"
	       "and its triage state (new, acknowledged, expected, fixed) kept in the store.\n"
	       "A series shorter than 2 x --min-runs/2 runs is reported as too short to decide.\n"
	       "\n"
	       "  --alpha=P            t-test significance (default %g)\n"
	       "  --min-change=PCT     smallest change kept (default %g%%)\n"
	       "  --min-runs=N         fewest runs on each side of a change (default %d)\n"
	       "  --metric=NAME        the series of NAME instead of the median wall time:\n"
	       "                       fit.amdahl.serial, fit.usl.sigma or fit.usl.kappa, the\n"
	       "                       scaling model fitted to each run's workload x mode at 3+\n"
	       "                       worker counts (cells of workers 0; a rise is a regression)\n"
	       "  --fail-on=new-regression  exit 1 when a regression is in state new\n"
	       "  ack ID               acknowledged: known, being worked on (no longer fails CI)\n"
	       "  expect ID            expected: an intended change (no longer fails CI)\n"
	       "  new ID               back to new\n",
	       CP_DEFAULT_ALPHA, 100 * CP_DEFAULT_MIN_CHANGE, CP_DEFAULT_MIN_SEG);
}

static int set_state(const char *url, const char *id, const char *state)
{
	static const char sql[] = "UPDATE changepoints SET state = ? WHERE cp_id = ?";
	const char *v[2] = {state, id};
	struct db *db = NULL;
	char err[1024];
	int rc = db_open(db_default_url(url), false, &db, err, sizeof(err));

	if (!rc)
		rc = db_begin(db, err, sizeof(err));
	if (!rc) {
		rc = db_query(db, sql, 2, v, NULL, NULL, err, sizeof(err));
		if (!rc && db_changes(db) != 1) {
			snprintf(err, sizeof(err),
			         "'%s': no such change point (see concbench history)", id);
			rc = DB_EINPUT;
		}
		if (!rc)
			rc = db_commit(db, err, sizeof(err));
		else
			db_rollback(db);
	}
	db_close(db);
	if (rc) {
		cb_errorf("history", "%s", err);
		return rc == DB_EINPUT ? EXIT_USAGE : EXIT_CHECK;
	}
	printf("%s: %s\n", id, state);
	return 0;
}

int cmd_history(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"workload", required_argument, NULL, 'w'},
	    {"host", required_argument, NULL, 'H'},
	    {"branch", required_argument, NULL, 'b'},
	    {"alpha", required_argument, NULL, 'a'},
	    {"min-change", required_argument, NULL, 'c'},
	    {"min-runs", required_argument, NULL, 'm'},
	    {"format", required_argument, NULL, 'f'},
	    {"fail-on", required_argument, NULL, 'F'},
	    {"noise", no_argument, NULL, 'n'},
	    {"metric", required_argument, NULL, 'M'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cp_opts o = {CP_DEFAULT_ALPHA, CP_DEFAULT_MIN_CHANGE, CP_DEFAULT_MIN_SEG, false};
	struct hist_filter f = {0};
	struct history h = {0};
	struct db *db = NULL;
	enum hfmt fmt = H_TABLE;
	const char *url = NULL, *verb = NULL;
	bool fail_new = false, noise = false;
	char err[1024];
	int c, rc;
	long l;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hw:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			url = optarg;
			break;
		case 'w':
			f.workload = optarg;
			break;
		case 'H':
			f.host = optarg;
			break;
		case 'b':
			f.branch = optarg;
			break;
		case 'a':
			if (csv_parse_double(optarg, &o.alpha) || !(o.alpha > 0 && o.alpha < 1)) {
				cb_errorf("--alpha", "'%s': want a probability in (0, 1)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			if (parse_threshold(optarg, &o.min_change)) {
				cb_errorf("--min-change", "'%s': want a percentage, e.g. 2%%",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			if (csv_parse_long(optarg, &l) || l < 2 || l > 1000) {
				cb_errorf("--min-runs", "'%s': want 2 to 1000", optarg);
				return EXIT_USAGE;
			}
			o.min_seg = (size_t)l;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				fmt = H_TABLE;
			else if (strcmp(optarg, "markdown") == 0 || strcmp(optarg, "md") == 0)
				fmt = H_MARKDOWN;
			else if (strcmp(optarg, "csv") == 0)
				fmt = H_CSV;
			else if (strcmp(optarg, "json") == 0)
				fmt = H_JSON;
			else {
				cb_errorf("--format", "'%s': want table, markdown, csv or json",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		case 'F':
			if (strcmp(optarg, "new-regression")) {
				cb_errorf("--fail-on", "'%s': want new-regression", optarg);
				return EXIT_USAGE;
			}
			fail_new = true;
			break;
		case 'n':
			noise = true;
			break;
		case 'M':
			if (!store_fit_metric(optarg)) {
				cb_errorf("--metric",
				          "'%s': want wall_s, fit.amdahl.serial, fit.usl.sigma or "
				          "fit.usl.kappa",
				          optarg);
				return EXIT_USAGE;
			}
			f.metric = optarg;
			break;
		case 'h':
			history_usage();
			return 0;
		default:
			cb_errorf("history", "'%s': unknown option or missing value",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		static const char *const verbs[][2] = {
		    {"ack", "acknowledged"}, {"expect", "expected"}, {"new", "new"}};

		for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
			if (strcmp(argv[optind], verbs[i][0]) == 0)
				verb = verbs[i][1];
		if (!verb || argc - optind != 2) {
			cb_errorf("history", "'%s': want ack ID, expect ID or new ID",
			          argv[optind]);
			return EXIT_USAGE;
		}
		return set_state(url, argv[optind + 1], verb);
	}
	if (noise) {
		rc = db_open(db_default_url(url), true, &db, err, sizeof(err));
		if (!rc)
			rc = history_noise(db, &f, &o, NOISE_THRESHOLD, NOISE_ALPHA, err,
			                   sizeof(err));
		db_close(db);
		if (rc)
			cb_errorf("history", "%s", err);
		return rc == 0 ? 0 : rc == DB_EINPUT ? EXIT_USAGE : EXIT_CHECK;
	}
	rc = db_open(db_default_url(url), false, &db, err, sizeof(err));
	if (!rc)
		rc = history_load(db, &f, &h, err, sizeof(err));
	if (!rc && (rc = history_detect(&h, &o)) != 0)
		snprintf(err, sizeof(err), "history: out of memory");
	if (!rc)
		rc = history_triage(db, &h, o.min_change, err, sizeof(err));
	db_close(db);
	if (rc) {
		history_free(&h);
		cb_errorf("history", "%s", err);
		return rc == DB_EINPUT ? EXIT_USAGE : EXIT_CHECK;
	}
	if (fmt == H_TABLE || fmt == H_MARKDOWN)
		hist_print_table(&h, &o, fmt == H_MARKDOWN);
	else if (fmt == H_CSV)
		hist_print_csv(&h);
	else
		hist_print_json(&h, &o);
	rc = 0;
	for (size_t i = 0; i < h.n; i++)
		for (int j = 0; j < h.cells[i].ncp; j++)
			if (fail_new && h.cells[i].cp[j].regression &&
			    strcmp(h.cells[i].cp[j].state, "new") == 0)
				rc = EXIT_CHECK;
	history_free(&h);
	return rc;
}
