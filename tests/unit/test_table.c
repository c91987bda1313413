/* The notes column of the results table (output_cell_text): what a user
 * reads about a cell's noise. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../../runner/out/output.h"

static void notes_of(const double *x, size_t n, struct cell_text *t)
{
	double v[16];
	struct cell c;

	memset(&c, 0, sizeof(c));
	memcpy(v, x, n * sizeof(*x));
	stats_summarize(v, n, &c.wall);
	c.speedup = c.efficiency = c.cpu_util = NAN;
	output_cell_text(&c, false, t);
}

Test(table, a_cell_noisy_for_an_outlier_counts_it)
{
	/* six reps within 0.2% and one 3x: flagged for the outlier, said so */
	double x[] = {1.000, 1.001, 1.002, 1.001, 1.000, 1.002, 3.0};
	struct cell_text t;

	notes_of(x, 7, &t);
	cr_assert(strstr(t.notes, "noisy(cv=") && strstr(t.notes, ", 1 outlier) "), "%s", t.notes);
}

Test(table, a_cell_noisy_for_its_spread_alone_names_no_outlier)
{
	double x[] = {1, 2, 3, 4, 5, 6};
	struct cell_text t;

	notes_of(x, 6, &t);
	cr_assert(strstr(t.notes, "noisy(cv="), "%s", t.notes);
	cr_assert_null(strstr(t.notes, "outlier"), "%s", t.notes);
}

Test(table, disturbed_names_each_reason_once)
{
	struct rep_row rows[4];
	struct cell c;
	char buf[128];

	memset(&c, 0, sizeof(c));
	memset(rows, 0, sizeof(rows));
	rows[0].mech.noisy = "slow-cpu";
	rows[1].mech.noisy = "other-load";
	rows[2].mech.noisy = "slow-cpu";
	rows[3].mech.noisy = "";
	c.rows = rows;
	c.nrows = 4;
	output_disturbed(&c, buf, sizeof(buf));
	cr_assert_str_eq(buf, "; disturbed 3/4 reps (slow-cpu, other-load)");
	rows[1].mech.noisy = "";
	output_disturbed(&c, buf, sizeof(buf));
	cr_assert_str_eq(buf, "; disturbed 2/4 reps (slow-cpu)");
	rows[0].mech.noisy = rows[2].mech.noisy = NULL;
	output_disturbed(&c, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
}
