/* store_cmd.c - `concbench store add|export`: the subcommand around the
 * ingest of store.c. */
#include "store_int.h"
#include "store.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "adapters.h"
#include "../base/stats.h"
#include "../base/util.h"
#include "../analysis/cell.h"

static void store_usage(void)
{
	printf(
	    "usage: concbench store add [--db=URL] [--commit=SHA] [--branch=NAME]\n"
	    "                           [--commit-time=UNIX] FILE.csv...\n"
	    "       concbench store export [--db=URL] [--host=H] [--branch=B] [--last=N]\n"
	    "                              [--format=csv|bmf|github-action-benchmark] [-o FILE]\n"
	    "\n"
	    "Import concbench CSV files into the results store: every rep row, the machine\n"
	    "block and the git commit. A run already stored is skipped, so importing twice\n"
	    "stores once. A run is never half-stored: it is committed whole (SQLite\n"
	    "gathers whole runs, up to 50,000 rep rows, per transaction), and a file with\n"
	    "a bad run stores nothing.\n"
	    "\n"
	    "  --db=URL           a SQLite file or postgresql://… (default $CONCBENCH_DB,\n"
	    "                     else results/concbench.db)\n"
	    "  --commit=SHA       the commit measured (default: the CSV's git_rev, or\n"
	    "                     $CONCBENCH_COMMIT)\n"
	    "  --branch=NAME      its branch (default $CONCBENCH_BRANCH, else empty)\n"
	    "  --commit-time=UNIX when it was committed, for ordering (default\n"
	    "                     $CONCBENCH_COMMIT_TIME, else the run's start)\n"
	    "\n"
	    "add also reads Google Benchmark JSON (cells gbench.NAME) and hyperfine JSON\n"
	    "(cells hyperfine.COMMAND), mode external.\n"
	    "\n"
	    "export: the stored rep rows of the newest N runs (by commit time) of a host\n"
	    "and branch, as one concbench CSV: a trailing baseline for compare. With\n"
	    "--format=bmf (Bencher Metric Format, latency in ns) or\n"
	    "--format=github-action-benchmark (customSmallerIsBetter, seconds): the\n"
	    "per-cell medians of the newest matching run.\n");
}

static int store_cmd_add(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},     {"commit", required_argument, NULL, 'c'},
	    {"branch", required_argument, NULL, 'b'}, {"commit-time", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct store_meta m = {0};
	struct store_count cnt = {0};
	struct store_input *res = NULL;
	struct db *db = NULL;
	const char *url = NULL;
	char err[1024];
	int c, rc = 0, nf;
	long t;

	st_meta_from_env(&m);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			url = optarg;
			break;
		case 'c':
			m.commit = optarg;
			break;
		case 'b':
			m.branch = optarg;
			break;
		case 't':
			if (csv_parse_long(optarg, &t) || t < 0) {
				cb_errorf("--commit-time", "'%s': want unix seconds", optarg);
				return EXIT_USAGE;
			}
			m.commit_time = t;
			break;
		case 'h':
			store_usage();
			return 0;
		default:
			cb_errorf("store add", "'%s': unknown option or missing value",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	nf = argc - optind;
	if (nf < 1) {
		cb_errorf("store add", "no CSV file given (see concbench store add --help)");
		return EXIT_USAGE;
	}
	/* Read and validate every file before storing any. */
	res = calloc((size_t)nf, sizeof(*res));
	if (!res) {
		cb_errorf("store add", "out of memory");
		return EXIT_CHECK;
	}
	for (int i = 0; i < nf && !rc; i++)
		if ((rc = store_input_load(&res[i], argv[optind + i], err, sizeof(err))) != 0) {
			cb_errorf("store add", "%s", err);
			rc = EXIT_USAGE;
		}
	if (!rc) {
		url = db_default_url(url);
		rc = db_open(url, false, &db, err, sizeof(err));
		for (int i = 0; i < nf && !rc; i++) {
			m.source = argv[optind + i];
			rc = store_add(db, &res[i], &m, &cnt, err, sizeof(err));
		}
		if (rc) {
			cb_errorf("store add", "%s", err);
			rc = st_exit_of(rc);
		} else {
			printf("stored %zu runs (%zu rep rows); %zu already stored; in %s\n",
			       cnt.runs_added, cnt.reps, cnt.runs_skipped,
			       db_redact(url, err, sizeof(err)));
		}
		db_close(db);
	}
	for (int i = 0; i < nf; i++)
		store_input_free(&res[i]);
	free(res);
	return rc;
}

/* ---- store export ------------------------------------------------------ */

struct run_list {
	char **uid, **cols;
	size_t n, cap;
	int err;
};

static int list_run(void *arg, int n, char **v)
{
	struct run_list *l = arg;

	if (n < 2)
		return 0;
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 16;
		char **u = realloc(l->uid, nc * sizeof(char *));
		char **c = u ? realloc(l->cols, nc * sizeof(char *)) : NULL;

		if (u)
			l->uid = u;
		if (!c)
			return l->err = -ENOMEM;
		l->cols = c;
		l->cap = nc;
	}
	l->uid[l->n] = strdup(v[0] ? v[0] : "");
	l->cols[l->n] = strdup(v[1] ? v[1] : "");
	if (!l->uid[l->n] || !l->cols[l->n])
		return l->err = -ENOMEM;
	l->n++;
	return 0;
}

static int write_raw(void *arg, int n, char **v)
{
	if (n > 0 && v[0])
		fprintf(arg, "%s\n", v[0]);
	return 0;
}

/* The rep rows of the newest `last` runs matching host and branch (NULL:
 * any), as one CSV (the stored raw rows under the newest run's header;
 * runs with another header are left out with a note). */
static int store_export(struct db *db, const char *host, const char *branch, long last,
                        const char *fmt, FILE *f, size_t *nruns, char *err, size_t errlen)
{
	static const char runs_sql[] =
	    "SELECT run_uid, columns FROM runs WHERE host = COALESCE(?, host) AND "
	    "git_branch = COALESCE(?, git_branch) ORDER BY commit_time DESC, started DESC, run_uid";
	static const char reps_sql[] =
	    "SELECT raw FROM reps WHERE run_uid = ? ORDER BY cell_uid, rep";
	const char *p[2] = {host, branch};
	struct run_list l = {0};
	int rc = db_query(db, runs_sql, 2, p, list_run, &l, err, errlen);

	*nruns = 0;
	if (rc && l.err)
		snprintf(err, errlen, "store export: %s", strerror(-l.err));
	if (!rc && l.n && strcmp(fmt, "csv")) {
		/* BMF and github-action-benchmark: the newest run's medians */
		rc = adapter_export(db, l.uid[0], strcmp(fmt, "bmf") ? ADAPT_GAB : ADAPT_BMF, f,
		                    err, errlen);
		*nruns = 1;
		last = 0;
	}
	for (size_t i = 0; !rc && i < l.n && (long)*nruns < last; i++) {
		if (i == 0)
			fprintf(f, "%s\n", l.cols[0]);
		else if (strcmp(l.cols[i], l.cols[0])) {
			cb_note("store export: run %s has other columns; left out", l.uid[i]);
			continue;
		}
		rc = db_query(db, reps_sql, 1, (const char *const *)&l.uid[i], write_raw, f, err,
		              errlen);
		(*nruns)++;
	}
	for (size_t i = 0; i < l.n; i++) {
		free(l.uid[i]);
		free(l.cols[i]);
	}
	free(l.uid);
	free(l.cols);
	return rc;
}

static int store_cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},     {"host", required_argument, NULL, 'H'},
	    {"branch", required_argument, NULL, 'b'}, {"last", required_argument, NULL, 'n'},
	    {"output", required_argument, NULL, 'o'}, {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *url = NULL, *host = NULL, *branch = NULL, *out = NULL, *fmt = "csv";
	char err[1024], tmp[4200];
	struct db *db = NULL;
	long last = 1000000000L;
	size_t n = 0;
	FILE *f = stdout;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			url = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'b':
			branch = optarg;
			break;
		case 'n':
			if (csv_parse_long(optarg, &last) || last < 1) {
				cb_errorf("--last", "'%s': want a number of runs >= 1", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "csv") && strcmp(optarg, "bmf") &&
			    strcmp(optarg, "github-action-benchmark")) {
				cb_errorf("--format",
				          "'%s': want csv, bmf or github-action-benchmark", optarg);
				return EXIT_USAGE;
			}
			fmt = optarg;
			break;
		case 'h':
			store_usage();
			return 0;
		default:
			cb_errorf("store export", "'%s': unknown option or missing value",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cb_errorf("store export", "'%s': unexpected argument", argv[optind]);
		return EXIT_USAGE;
	}
	rc = db_open(db_default_url(url), true, &db, err, sizeof(err));
	if (rc) {
		cb_errorf("store export", "%s", err);
		return st_exit_of(rc);
	}
	if (out) {
		snprintf(tmp, sizeof(tmp), "%s.tmp.%d", out, (int)getpid());
		if (!(f = fopen(tmp, "w"))) {
			cb_errorf("store export", "%s: %s", tmp, strerror(errno));
			db_close(db);
			return EXIT_USAGE;
		}
	}
	rc = store_export(db, host, branch, last, fmt, f, &n, err, sizeof(err));
	db_close(db);
	if (out) {
		if (fclose(f) && !rc) {
			snprintf(err, sizeof(err), "%s: %s", out, strerror(errno));
			rc = DB_ERUNTIME;
		}
		if (!rc && n == 0) {
			snprintf(err, sizeof(err), "no stored run matches");
			rc = DB_EINPUT;
		}
		if (!rc && rename(tmp, out)) {
			snprintf(err, sizeof(err), "%s: %s", out, strerror(errno));
			rc = DB_ERUNTIME;
		}
		if (rc)
			unlink(tmp);
	} else if (!rc && n == 0) {
		snprintf(err, sizeof(err), "no stored run matches");
		rc = DB_EINPUT;
	}
	if (rc) {
		cb_errorf("store export", "%s", err);
		return st_exit_of(rc);
	}
	cb_note("store export: %zu runs", n);
	return 0;
}

int cmd_store(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		store_usage();
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "add") == 0)
		return store_cmd_add(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return store_cmd_export(argc - 1, argv + 1);
	cb_errorf("store", "'%s': unknown subcommand (want add or export)", argv[1]);
	return EXIT_USAGE;
}
