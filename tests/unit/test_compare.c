/* compare: the rank test, the interval of the ratio and the verdict a CI
 * gate acts on; csvread: the reader report and compare trust. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../runner/analysis/cell.h"
#include "../../runner/analysis/compare.h"
#include "../../runner/analysis/csvread.h"

Test(compare, mwu_complete_separation_is_exact)
{
	double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10}, pmin;

	/* exact: 2 of C(10,5) = 252 orderings are this extreme */
	cr_assert_float_eq(mwu_p(a, 5, b, 5, &pmin), 2.0 / 252, 1e-12);
	cr_assert_float_eq(pmin, 2.0 / 252, 1e-12);
	cr_assert_float_eq(mwu_p(b, 5, a, 5, NULL), 2.0 / 252, 1e-12);
}

Test(compare, mwu_identical_samples_are_not_significant)
{
	double a[] = {1, 2, 3, 4, 5, 6}, b[] = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5};

	cr_assert_gt(mwu_p(a, 6, b, 6, NULL), 0.5);
}

Test(compare, mwu_known_value)
{
	/* a = {1, 3, 5}, b = {2, 4}: U(a > b) = 3 of 6; P(U <= 3) = P(U >= 3) = 6/10
	 * over the 10 orderings, so p = min(1, 2 * 0.6); the extreme U = 0 has
	 * probability 1/10, so no p below 0.2 is reachable. */
	double a[] = {1, 3, 5}, b[] = {2, 4}, pmin;

	cr_assert_float_eq(mwu_p(a, 3, b, 2, &pmin), 1.0, 1e-12);
	cr_assert_float_eq(pmin, 0.2, 1e-12);
}

Test(compare, mwu_ties_use_the_normal_approximation)
{
	double a[] = {1, 1, 1, 1, 1, 1, 1, 1}, b[] = {2, 2, 2, 2, 2, 2, 2, 2};
	double p = mwu_p(a, 8, b, 8, NULL);

	cr_assert(p > 0 && p < 0.001, "p = %g", p);
	cr_assert(isnan(mwu_p(a, 0, b, 8, NULL)));
}

static void scaled(double *out, const double *in, size_t n, double k)
{
	for (size_t i = 0; i < n; i++)
		out[i] = in[i] * k;
}

static const double base10[] = {1.00, 1.01, 0.99, 1.02, 0.98, 1.00, 1.01, 0.99, 1.00, 1.02};

Test(compare, verdict_regression_improvement_pass)
{
	double h[10];
	struct cmp_stats s;
	char why[160];

	scaled(h, base10, 10, 1.25);
	cr_assert_eq(cmp_compute(base10, 10, h, 10, &s), 0);
	cr_assert_float_eq(s.ratio, 1.25, 1e-9);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, why, sizeof(why)), CMP_REGRESSION, "%s",
	             why);
	/* the same numbers as throughput: more is better */
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, true, why, sizeof(why)), CMP_IMPROVEMENT, "%s",
	             why);

	scaled(h, base10, 10, 0.75);
	cr_assert_eq(cmp_compute(base10, 10, h, 10, &s), 0);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, why, sizeof(why)), CMP_IMPROVEMENT, "%s",
	             why);

	/* 5% slower: inside a 10% threshold */
	scaled(h, base10, 10, 1.05);
	cr_assert_eq(cmp_compute(base10, 10, h, 10, &s), 0);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, why, sizeof(why)), CMP_PASS, "%s", why);
	/* ... and a regression with a 2% threshold */
	cr_assert_eq(cmp_decide(&s, 0.02, 0.01, false, why, sizeof(why)), CMP_REGRESSION, "%s",
	             why);
}

Test(compare, verdict_same_sample_passes)
{
	double h[10];
	struct cmp_stats s;

	for (int i = 0; i < 10; i++)
		h[i] = base10[(i + 5) % 10];
	cr_assert_eq(cmp_compute(base10, 10, h, 10, &s), 0);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, NULL, 0), CMP_PASS);
}

Test(compare, verdict_too_few_reps_is_inconclusive)
{
	double b[] = {1, 1.01, 0.99}, h[] = {2, 2.01, 1.99};
	struct cmp_stats s;
	char why[160];

	/* 3 vs 3 reps: no 95% interval exists (P(U = 0) = 1/20 per tail) */
	cr_assert_eq(cmp_compute(b, 3, h, 3, &s), 0);
	cr_assert_lt(s.conf, 0.95);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, why, sizeof(why)), CMP_INCONCLUSIVE);
	cr_assert(strstr(why, "4 reps per side would decide"), "%s", why);
}

Test(compare, verdict_noisy_is_inconclusive_and_says_how_many_reps)
{
	double b[] = {1.0, 1.6, 0.7, 1.3, 0.8, 1.9, 1.0, 0.6, 1.4, 1.1}, h[10];
	struct cmp_stats s;
	char why[160];
	long need;

	for (int i = 0; i < 10; i++)
		h[i] = b[(i + 3) % 10] * 1.04; /* 4% slower, noise +-50% */
	cr_assert_eq(cmp_compute(b, 10, h, 10, &s), 0);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, why, sizeof(why)), CMP_INCONCLUSIVE);
	need = cmp_reps_needed(&s, 0.10, false);
	cr_assert(need > 10 && need < 100000, "%ld", need);
	char want[64];
	snprintf(want, sizeof(want), "about %ld reps per side would decide", need);
	cr_assert(strstr(why, want), "%s", why);
}

/* Five reps a side, 30% slower with 1% noise: the smallest Mann-Whitney p
 * is 2/252, which Holm over three cells pushes past alpha = 0.01; the
 * Hodges-Lehmann interval lies wholly above +10%, so each is a regression
 * (the interval method asv falls back to). */
Test(compare, small_n_interval_beyond_threshold_is_a_regression)
{
	const double b[5] = {1.00, 1.01, 0.99, 1.02, 0.98};
	struct cmp_stats s[3];
	double h[5];
	char why[160];

	for (int c = 0; c < 3; c++) {
		for (int i = 0; i < 5; i++)
			h[i] = 1.30 * b[(i + c) % 5] * (1 + 0.001 * c);
		cr_assert_eq(cmp_compute(b, 5, h, 5, &s[c]), 0);
		cr_assert_gt(s[c].ci_lo, 1.10);
	}
	cr_assert_eq(cmp_adjust(s, 3, 0.10, false), 0);
	for (int c = 0; c < 3; c++) {
		cr_assert_geq(s[c].p, 0.01, "Holm-adjusted p %g", s[c].p);
		cr_assert_eq(cmp_decide(&s[c], 0.10, 0.01, false, why, sizeof(why)), CMP_REGRESSION,
		             "cell %d: %s", c, why);
	}
}

/* A 100-cell suite, 5 reps a side, one cell 25% slower: that cell is a
 * regression, every other passes. */
Test(compare, large_suite_with_one_real_regression_fails)
{
	const double b[5] = {1.000, 1.004, 0.996, 1.008, 0.992};
	struct cmp_stats s[100];
	double h[5];
	int reg = 0, pass = 0;

	for (int c = 0; c < 100; c++) {
		for (int i = 0; i < 5; i++)
			h[i] = b[(i + c) % 5] * (1 + 0.002 * ((c * 7 + i) % 5 - 2)) *
			       (c == 42 ? 1.25 : 1);
		cr_assert_eq(cmp_compute(b, 5, h, 5, &s[c]), 0);
	}
	cr_assert_eq(cmp_adjust(s, 100, 0.10, false), 0);
	for (int c = 0; c < 100; c++) {
		enum cmp_verdict v = cmp_decide(&s[c], 0.10, 0.01, false, NULL, 0);

		if (c == 42)
			cr_assert_eq(v, CMP_REGRESSION);
		reg += v == CMP_REGRESSION;
		pass += v == CMP_PASS;
	}
	cr_assert_eq(reg, 1);
	cr_assert_eq(pass, 99);
}

/* Twelve reps a side, 22% slower with wide noise: the interval reaches
 * below +10%, so only the significance route can flag it (p = 0.0023).
 * Holm over all 100 cells would need p < 1e-4; over the cells beyond the
 * threshold (this one) p < alpha suffices. */
Test(compare, holm_only_over_cells_beyond_the_threshold)
{
	const double b[12] = {0.80, 0.84, 0.88, 0.92, 0.96, 1.00,
	                      1.02, 1.06, 1.10, 1.14, 1.18, 1.22};
	struct cmp_stats s[100];
	double h[12], raw;

	for (int c = 0; c < 100; c++) {
		for (int i = 0; i < 12; i++)
			h[i] = b[(i + 5 + c) % 12] * (c == 7 ? 1.22 : 1);
		cr_assert_eq(cmp_compute(b, 12, h, 12, &s[c]), 0);
	}
	raw = s[7].p;
	cr_assert_lt(s[7].ci_lo, 1.10, "the interval alone must not decide");
	cr_assert_lt(raw, 0.01);
	cr_assert_gt(raw * 100, 0.01, "plain Holm over 100 cells would not reach alpha");
	cr_assert_eq(cmp_adjust(s, 100, 0.10, false), 0);
	cr_assert(s[7].candidate);
	cr_assert_float_eq(s[7].p, raw, 1e-15);
	cr_assert_eq(cmp_decide(&s[7], 0.10, 0.01, false, NULL, 0), CMP_REGRESSION);
	for (int c = 0; c < 100; c++)
		cr_assert(c == 7 || !s[c].candidate);
}

/* The verdict, the ratio shown and the interval come from one estimator:
 * here median(h)/median(b) = 1.12 but the Hodges-Lehmann estimate, the
 * centre of the interval, is 1.244. */
Test(compare, ratio_is_the_hodges_lehmann_estimate)
{
	double b[] = {0.80, 0.90, 1.00, 1.00, 1.00, 1.10, 1.20};
	double h[] = {1.00, 1.05, 1.10, 1.12, 1.40, 1.50, 1.60};
	double est, lo, hi;
	struct cmp_stats s;

	cr_assert_eq(cmp_compute(b, 7, h, 7, &s), 0);
	cr_assert_eq(hl_ratio(b, 7, h, 7, &est, &lo, &hi), 0);
	cr_assert_float_eq(s.ratio, est, 1e-12);
	cr_assert_float_eq(s.ratio, 1.244, 1e-3);
	cr_assert_float_eq(s.ci_lo, lo, 1e-12);
	cr_assert_float_eq(s.ci_hi, hi, 1e-12);
}

static struct cb_rec rec(const char *mode, long workers, long size)
{
	return (struct cb_rec){.host = "vm",
	                       .workload = "cpu.primes",
	                       .mode = mode,
	                       .workers = workers,
	                       .tasks = 64,
	                       .size = size,
	                       .pin = 0,
	                       .switch_interval_s = NAN,
	                       .transport = "",
	                       .params = "",
	                       .git_rev = "abc",
	                       .run_id = "1"};
}

Test(cell, identity_is_every_parameter_that_changes_the_work)
{
	struct cb_rec a = rec("procs", 2, 1000), b = a;

	b.git_rev = "def"; /* what compare compares */
	b.run_id = "2";
	cr_assert_eq(cell_cmp(&a, &b, CELL_ALL), 0);
	cr_assert_eq(cell_hash(&a, CELL_ALL), cell_hash(&b, CELL_ALL));
	struct cb_rec v[8];
	unsigned f[8] = {CELL_SIZE,      CELL_TASKS,  CELL_PIN,  CELL_SWITCH,
	                 CELL_TRANSPORT, CELL_PARAMS, CELL_HOST, CELL_WORKERS};
	for (int i = 0; i < 8; i++)
		v[i] = a;
	v[0].size = 1250;
	v[1].tasks = 32;
	v[2].pin = 1;
	v[3].switch_interval_s = 0.005;
	v[4].transport = "pipe";
	v[5].params = "sleep=2ms";
	v[6].host = "other";
	v[7].workers = 4;
	for (int i = 0; i < 8; i++) {
		cr_assert_neq(cell_cmp(&a, &v[i], CELL_ALL), 0, "field %d", i);
		cr_assert_eq(cell_diff(&a, &v[i]), f[i], "field %d", i);
		cr_assert_eq(cell_cmp(&a, &v[i], CELL_ALL & ~f[i]), 0, "field %d", i);
	}
	char d[256];
	cr_assert_str_eq(cell_describe(&v[4],
	                               CELL_WORKERS | CELL_SIZE | CELL_TRANSPORT | CELL_SWITCH, d,
	                               sizeof(d)),
	                 "workers=2 size=1000 transport=pipe");
}

Test(compare, threshold_parsing)
{
	double t;

	cr_assert_eq(parse_threshold("10%", &t), 0);
	cr_assert_float_eq(t, 0.10, 1e-12);
	cr_assert_eq(parse_threshold("0.05", &t), 0);
	cr_assert_float_eq(t, 0.05, 1e-12);
	cr_assert_eq(parse_threshold("-5%", &t), -EINVAL);
	cr_assert_eq(parse_threshold("ten", &t), -EINVAL);
	cr_assert_eq(parse_threshold("", &t), -EINVAL);
	cr_assert_eq(parse_threshold("0", &t), -EINVAL);
}

static const char header[] =
    "schema_version,run_id,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,user_s,sys_s,"
    "cpu_util,verified,metrics\n";

static int load(const char *text, struct cb_results *res, char *err, size_t len)
{
	struct csv_table t;
	int rc = csv_table_parse("t.csv", text, strlen(text), &t, err, len);

	if (rc)
		return rc;
	return results_add_table(res, &t, err, len);
}

Test(csvread, reads_typed_rows_and_metrics)
{
	char text[1024], err[256];
	struct cb_results res = {0};
	double v;

	snprintf(text, sizeof(text),
	         "%s1,\"r1\",\"vm\",2,\"cpu.primes\",\"seq\",1,64,100000,0,0.0025,0.0024,0,0.96,1,"
	         "\"primes=9592;x=1.5\"\n"
	         "1,\"r1\",\"vm\",2,\"cpu.primes\",\"threads\",2,64,100000,0,0.0013,0.0024,0,1.9,0,"
	         "\"\"\n",
	         header);
	cr_assert_eq(load(text, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.n, 2);
	cr_assert_str_eq(res.rec[0].workload, "cpu.primes");
	cr_assert_eq(res.rec[1].workers, 2);
	cr_assert(res.rec[0].verified && !res.rec[1].verified);
	cr_assert_float_eq(res.rec[0].wall_s, 0.0025, 1e-15);
	cr_assert_eq(res.rec[1].line, 3);
	cr_assert_eq(results_value(&res, &res.rec[0], "primes", &v), 0);
	cr_assert_float_eq(v, 9592, 1e-9);
	cr_assert_eq(results_value(&res, &res.rec[0], "x", &v), 0);
	cr_assert_float_eq(v, 1.5, 1e-12);
	cr_assert_eq(results_value(&res, &res.rec[0], "cpu_util", &v), 0);
	cr_assert_eq(results_value(&res, &res.rec[0], "nope", &v), -ENOENT);
	cr_assert(results_has_metric(&res, "wall_s") && results_has_metric(&res, "primes"));
	cr_assert(!results_has_metric(&res, "nope"));
	results_free(&res);
}

struct bad_case {
	const char *text;
	const char *want; /* substring of the message, with FILE:LINE */
};

Test(csvread, bad_input_names_file_and_line)
{
	static const char row[] = "1,\"r\",\"h\",2,\"w.x\",\"seq\",1,4,10,0,0.5,0.1,0,1,1,\"\"\n";
	char text[2048], err[256];
	const struct bad_case cases[] = {
	    {"", "t.csv:1: empty file"},
	    {"\xef\xbb\xbfschema_version\n1\n", "t.csv:1: starts with a UTF-8 byte-order mark"},
	    {"a,b\n1,2\n\"unterminated\n", "t.csv:3: not CSV"},
	    {"a,b\n1,2\n3\0,4\n", "t.csv:3: not CSV: binary data"},
	    {"{\"json\": true}\n", "t.csv:1: not CSV"},
	    {"host,wall_s\n\"h\",1\n", "t.csv:1: not a concbench CSV"},
	    {"schema_version,host\n1,\"h\"\n", "t.csv:1: missing column 'run_id'"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cb_results res = {0};
		struct csv_table t;
		size_t len = i == 3 ? 13 : strlen(cases[i].text);
		int rc = csv_table_parse("t.csv", cases[i].text, len, &t, err, sizeof(err));

		if (!rc)
			rc = results_add_table(&res, &t, err, sizeof(err));
		cr_assert_eq(rc, -EINVAL, "case %zu", i);
		cr_assert(strstr(err, cases[i].want), "case %zu: %s", i, err);
		results_free(&res);
	}
	/* typed checks on line 3 (after the header and a good row) */
	const char *bad_rows[][2] = {
	    {"1,\"r\",\"h\",2,\"w.x\",\"seq\",1,4,10,0,fast,0.1,0,1,1,\"\"\n",
	     "t.csv:3: column wall_s: 'fast' is not a number"},
	    {"1,\"r\",\"h\",2,\"w.x\",\"seq\",two,4,10,0,0.5,0.1,0,1,1,\"\"\n",
	     "t.csv:3: column workers: 'two' is not a whole number"},
	    {"1,\"r\",\"h\",2,\"w.x\",\"seq\",1,4,10,0,0.5,0.1,0,1,7,\"\"\n",
	     "t.csv:3: column verified: '7' is not 0 or 1"},
	    {"4,\"r\",\"h\",2,\"w.x\",\"seq\",1,4,10,0,0.5,0.1,0,1,1,\"\"\n",
	     "t.csv:3: schema_version 4; this concbench reads schema_version 1 to 3"},
	    {"0,\"r\",\"h\",2,\"w.x\",\"seq\",1,4,10,0,0.5,0.1,0,1,1,\"\"\n",
	     "t.csv:3: schema_version 0"},
	    {"1,\"r\",\"h\",2,\"w.x\",\"seq\",1,4\n", "t.csv:3: 8 fields, but the header has 16"},
	};
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		struct cb_results res = {0};

		snprintf(text, sizeof(text), "%s%s%s", header, row, bad_rows[i][0]);
		cr_assert_eq(load(text, &res, err, sizeof(err)), -EINVAL, "row %zu", i);
		cr_assert(strstr(err, bad_rows[i][1]), "row %zu: %s", i, err);
		cr_assert_eq(res.n, 0);
		results_free(&res);
	}
}

Test(csvread, quoted_fields_with_commas_and_newlines)
{
	char err[256];
	struct csv_table t;
	const char text[] = "a,b\n\"x,1\",\"two\nlines\"\n\"q\"\"uote\",3\n";

	cr_assert_eq(csv_table_parse("q.csv", text, sizeof(text) - 1, &t, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(t.nrows, 2);
	cr_assert_str_eq(t.rows[0][0], "x,1");
	cr_assert_str_eq(t.rows[0][1], "two\nlines");
	cr_assert_str_eq(t.rows[1][0], "q\"uote");
	cr_assert_eq(t.line[1], 4);
	csv_table_free(&t);
}

Test(compare, holm_adjusts_for_the_number_of_cells)
{
	/* sorted 0.01, 0.03, 0.04 over m = 3 tests: 3 x 0.01, max(0.03, 2 x
	 * 0.03), max(0.06, 1 x 0.04); NaN is not a test */
	double p[] = {0.01, 0.04, 0.03, NAN};

	cr_assert_eq(cmp_holm(p, 4), 0);
	cr_assert_float_eq(p[0], 0.03, 1e-12);
	cr_assert_float_eq(p[1], 0.06, 1e-12);
	cr_assert_float_eq(p[2], 0.06, 1e-12);
	cr_assert(isnan(p[3]));
}

/* The kind column (schema 2) says bench or workload; a schema-1 file has
 * none, and a workload whose tasks differ from its workers is no bench. */
Test(csvread, kind_column_and_schema1_inference)
{
	char text[1024], err[256];
	struct cb_results res = {0};

	snprintf(text, sizeof(text),
	         "schema_version,run_id,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,"
	         "user_s,sys_s,cpu_util,verified,kind\n"
	         "2,r,vm,2,lock.mutex,threads,2,2,100,0,0.5,0.1,0,1,1,bench\n"
	         "2,r,vm,2,cpu.primes,threads,2,2,100,0,0.5,0.1,0,1,1,workload\n");
	cr_assert_eq(load(text, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert(res.rec[0].bench && !res.rec[1].bench);
	results_free(&res);

	memset(&res, 0, sizeof(res));
	snprintf(text, sizeof(text),
	         "%s1,r,vm,2,lock.mutex,seq,1,1,100,0,0.5,0.1,0,1,1,\n"
	         "1,r,vm,2,lock.mutex,threads,2,2,100,0,0.5,0.1,0,1,1,\n"
	         "1,r,vm,2,cpu.primes,seq,1,2,100,0,0.5,0.1,0,1,1,\n"
	         "1,r,vm,2,cpu.primes,threads,2,2,100,0,0.5,0.1,0,1,1,\n",
	         header);
	cr_assert_eq(load(text, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert(res.rec[0].bench && res.rec[1].bench);
	cr_assert(!res.rec[2].bench && !res.rec[3].bench);
	results_free(&res);

	memset(&res, 0, sizeof(res));
	snprintf(text, sizeof(text),
	         "schema_version,run_id,host,cpus,workload,mode,workers,tasks,size,rep,wall_s,"
	         "user_s,sys_s,cpu_util,verified,kind\n"
	         "2,r,vm,2,lock.mutex,threads,2,2,100,0,0.5,0.1,0,1,1,thing\n");
	cr_assert_eq(load(text, &res, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "t.csv:2: column kind: 'thing' is not workload or bench"), "%s", err);
	results_free(&res);
}
