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

#include "report_model.h"
#include "cell.h"
#include "csvread.h"
#include "../base/safeio.h"
#include "../base/stats.h"
#include "../base/util.h"

static void report_usage(void)
{
	printf("usage: concbench report [-o DIR] [--no-plots] CSV...\n"
	       "Write DIR/report.md and a self-contained DIR/index.html (default DIR:\n"
	       "results/report): per host and workload a mode x workers table and gnuplot\n"
	       "plots (speedups with the fitted Amdahl and USL curves, the efficiency\n"
	       "budget of each cell as a stacked bar), and DIR/fits.csv: the scaling fits\n"
	       "of every workload x mode (results/README.md, Scaling fits). CSV files\n"
	       "of hyperfine (--export-csv) are shown beside the internal figures. A CSV\n"
	       "(a regular file, a pipe or - for stdin) may hold at most 1 GiB; a larger\n"
	       "one, a device or a directory is refused (exit 2).\n\n"
	       "  -o, --output=DIR  where to write (created when missing)\n"
	       "      --no-plots    skip gnuplot\n"
	       "      --fit-beyond-cpus  fit the scaling models to every worker count, not\n"
	       "                    only those up to the CPUs available\n"
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
	explain_plan_free(rp->plan);
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
		if (!rc && rp_is_hyperfine(&t)) {
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
	    {"fit-beyond-cpus", no_argument, NULL, 'F'},
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
		case 'F':
			rp.explain.beyond_cpus = true;
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
	rp.explain.fits = true;
	if (explain_plan_build(&rp.res, &rp.explain, &rp.plan)) {
		cb_errorf("report", "out of memory");
		rc = EXIT_CHECK;
		goto out;
	}
	for (size_t i = 0; i < rp.res.n && !cb_interrupted; i++)
		if (rp_add_rec(&rp, &rp.res.rec[i])) {
			cb_errorf("report", "out of memory");
			rc = EXIT_CHECK;
			goto out;
		}
	if (rp_label_variants(&rp)) {
		cb_errorf("report", "out of memory");
		rc = EXIT_CHECK;
		goto out;
	}
	qsort(rp.g, rp.ng, sizeof(*rp.g), rp_group_order);
	for (size_t i = 0; i < rp.ng && !cb_interrupted; i++) {
		rp_summarize_group(&rp, &rp.g[i]);
		rp_make_reading(&rp.g[i]);
	}
	if (cb_interrupted) { /* polled between groups: stop before writing */
		rc = 128 + cb_interrupted;
		goto out;
	}
	rc = rp_mkdir_p(rp.dir);
	if (rc) {
		cb_errorf("report", "-o: %s: %s", rp.dir, strerror(-rc));
		rc = EXIT_USAGE;
		goto out;
	}
	if (plots)
		rp_make_plots(&rp);
	if (cb_interrupted) {
		rc = 128 + cb_interrupted;
		goto out;
	}
	if (!plots)
		snprintf(rp.plot_note, sizeof(rp.plot_note), "skipped (--no-plots)");
	rc = rp_write_outputs(&rp);
	if (!rc)
		rc = rp_write_fits(&rp);
	if (!rc) {
		if (rp.plot_note[0] && plots)
			cb_errorf("report", "plots: %s", rp.plot_note);
		cb_note("report: %s/report.md, %s/index.html and %s/fits.csv", rp.dir, rp.dir,
		        rp.dir);
	}
out:
	report_free(&rp);
	return rc;
}
