/* compare: the rank test, the interval of the ratio and the verdict a CI
 * gate acts on; csvread: the reader report and compare trust. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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
	const char *why;

	scaled(h, base10, 10, 1.25);
	cr_assert_eq(cmp_compute(base10, 10, h, 10, &s), 0);
	cr_assert_float_eq(s.ratio, 1.25, 1e-9);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, &why), CMP_REGRESSION, "%s", why);
	/* the same numbers as throughput: more is better */
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, true, &why), CMP_IMPROVEMENT, "%s", why);

	scaled(h, base10, 10, 0.75);
	cr_assert_eq(cmp_compute(base10, 10, h, 10, &s), 0);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, &why), CMP_IMPROVEMENT, "%s", why);

	/* 5% slower: significant but inside a 10% threshold */
	scaled(h, base10, 10, 1.05);
	cr_assert_eq(cmp_compute(base10, 10, h, 10, &s), 0);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, &why), CMP_PASS, "%s", why);
	/* ... and a regression with a 2% threshold */
	cr_assert_eq(cmp_decide(&s, 0.02, 0.01, false, &why), CMP_REGRESSION, "%s", why);
}

Test(compare, verdict_same_sample_passes)
{
	double h[10];
	struct cmp_stats s;

	for (int i = 0; i < 10; i++)
		h[i] = base10[(i + 5) % 10];
	cr_assert_eq(cmp_compute(base10, 10, h, 10, &s), 0);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, NULL), CMP_PASS);
}

Test(compare, verdict_too_few_reps_is_inconclusive)
{
	double b[] = {1, 1.01, 0.99}, h[] = {2, 2.01, 1.99};
	struct cmp_stats s;
	const char *why;

	/* 3 vs 3 reps: the smallest reachable p is 0.1 > alpha */
	cr_assert_eq(cmp_compute(b, 3, h, 3, &s), 0);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, &why), CMP_INCONCLUSIVE);
	cr_assert(strstr(why, "few"));
}

Test(compare, verdict_noisy_is_inconclusive)
{
	double b[] = {1.0, 1.6, 0.7, 1.3, 0.8, 1.9, 1.0, 0.6, 1.4, 1.1};
	double h[] = {1.2, 0.7, 1.8, 1.0, 1.5, 0.9, 2.1, 1.1, 0.8, 1.3};
	struct cmp_stats s;
	const char *why;

	cr_assert_eq(cmp_compute(b, 10, h, 10, &s), 0);
	cr_assert_eq(cmp_decide(&s, 0.10, 0.01, false, &why), CMP_INCONCLUSIVE);
	cr_assert(strstr(why, "noisy"));
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
	    {"5,\"r\",\"h\",2,\"w.x\",\"seq\",1,4,10,0,0.5,0.1,0,1,1,\"\"\n",
	     "t.csv:3: schema_version 5; this concbench reads schema_version 1 to 4"},
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
