/* Option parsing: the forms the command-line contract promises. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../runner/cli/options.h"
#include "../../runner/cli/registry.h"

Test(options, workers_counts_lists_ranges_auto)
{
	unsigned w[64], n;

	cr_assert_eq(parse_workers("4", w, 64, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(w[0], 4);
	cr_assert_eq(parse_workers("4,1,2,2", w, 64, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert(w[0] == 1 && w[1] == 2 && w[2] == 4);
	cr_assert_eq(parse_workers("1-8", w, 64, &n), 0);
	cr_assert_eq(n, 8);
	cr_assert_eq(w[7], 8);
	cr_assert_eq(parse_workers("auto", w, 64, &n), 0);
	cr_assert_eq(w[0], cpus_available());
}

Test(options, workers_rejects_zero_negative_absurd_and_junk)
{
	unsigned w[64], n;

	cr_assert_neq(parse_workers("0", w, 64, &n), 0);
	cr_assert_neq(parse_workers("-1", w, 64, &n), 0);
	cr_assert_neq(parse_workers("100000", w, 64, &n), 0);
	cr_assert_neq(parse_workers("two", w, 64, &n), 0);
	cr_assert_neq(parse_workers("8-1", w, 64, &n), 0);
	cr_assert_neq(parse_workers("", w, 64, &n), 0);
	cr_assert_neq(parse_workers("1-100", w, 64, &n), 0); /* more values than fit */
}

Test(options, an_empty_list_item_is_an_error_in_every_list)
{
	static const char *const bad[] = {"1,,2", ",1", "1,", ",", "1,2,,", ",,"};
	const struct workload *wl[64];
	unsigned w[64], n, mask;
	char why[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse_list_check(bad[i]), -EINVAL, "%s", bad[i]);
		cr_assert_neq(parse_workers(bad[i], w, 64, &n), 0, "%s", bad[i]);
	}
	cr_assert_neq(parse_modes("seq,,threads", &mask), 0);
	cr_assert_neq(parse_modes("seq,", &mask), 0);
	cr_assert_neq(parse_workloads("cpu.primes,,cpu.matmul", wl, 64, &n, why, sizeof(why)), 0);
	cr_assert_neq(parse_workloads(",cpu.primes", wl, 64, &n, why, sizeof(why)), 0);
	/* the well-formed lists still parse */
	cr_assert_eq(parse_list_check("1,2"), 0);
	cr_assert_eq(parse_workers("1,2", w, 64, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(parse_modes("seq,threads", &mask), 0);
	cr_assert_eq(parse_workloads("cpu.primes,cpu.matmul", wl, 64, &n, why, sizeof(why)), 0);
	cr_assert_eq(n, 2);
}

Test(options, long_is_strict)
{
	long v;

	cr_assert_eq(parse_long("12", 1, 100, &v), 0);
	cr_assert_eq(v, 12);
	cr_assert_eq(parse_long("1e99", 1, 100, &v), -EINVAL);
	cr_assert_eq(parse_long("12x", 1, 100, &v), -EINVAL);
	cr_assert_eq(parse_long(" 12", 1, 100, &v), -EINVAL);
	cr_assert_eq(parse_long("0", 1, 100, &v), -ERANGE);
	cr_assert_eq(parse_long("99999999999999999999", 1, 100, &v), -ERANGE);
}

Test(options, durations_take_units)
{
	double s;

	cr_assert_eq(parse_duration("5ms", &s), 0);
	cr_assert_float_eq(s, 5e-3, 1e-15);
	cr_assert_eq(parse_duration("100us", &s), 0);
	cr_assert_float_eq(s, 1e-4, 1e-15);
	cr_assert_eq(parse_duration("2s", &s), 0);
	cr_assert_float_eq(s, 2, 1e-15);
	cr_assert_eq(parse_duration("0.5", &s), 0);
	cr_assert_float_eq(s, 0.5, 1e-15);
	cr_assert_neq(parse_duration("0ms", &s), 0);
	cr_assert_neq(parse_duration("-5ms", &s), 0);
	cr_assert_neq(parse_duration("5 ms", &s), 0);
	cr_assert_neq(parse_duration("5xs", &s), 0);
	cr_assert_neq(parse_duration("ms", &s), 0);
}

Test(options, modes_lists_and_all)
{
	unsigned m;

	cr_assert_eq(parse_modes("threads", &m), 0);
	cr_assert_eq(m, MODE_BIT(MODE_THREADS));
	cr_assert_eq(parse_modes("seq,fork-per-task", &m), 0);
	cr_assert_eq(m, MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_FORK_PER_TASK));
	cr_assert_eq(parse_modes("all", &m), 0);
	cr_assert(m & MODE_BIT(MODE_SEQ) && m & MODE_BIT(MODE_THREADS) && m & MODE_BIT(MODE_PROCS));
	cr_assert_eq(parse_modes("thread", &m), -EINVAL);
}

Test(options, workload_family_default_star_and_exact)
{
	const struct workload *w[64];
	unsigned n, all = 0;
	char bad[64];

	for (const struct workload *const *r = registry; *r; r++)
		all += strncmp((*r)->name, "cpu.", 4) == 0;
	cr_assert_eq(parse_workloads("cpu.matmul", w, 64, &n, bad, sizeof(bad)), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(w[0]->name, "cpu.matmul");
	cr_assert_eq(parse_workloads("cpu.*", w, 64, &n, bad, sizeof(bad)), 0);
	cr_assert_eq(n, all);
	cr_assert_eq(parse_workloads("cpu", w, 64, &n, bad, sizeof(bad)), 0);
	for (unsigned i = 0; i < n; i++)
		cr_assert(w[i]->family_default);
	cr_assert_eq(parse_workloads("cpu,gpu", w, 64, &n, bad, sizeof(bad)), -EINVAL);
	cr_assert_str_eq(bad, "gpu");
}

Test(options, run_command_line_parses_into_config)
{
	char *argv[] = {"concbench", "--mode=threads", "-w",        "cpu.primes", "-j",       "1,2",
	                "--runs=3",  "--warmup=0",     "--tasks=7", "--pin",      "--no-csv", NULL};
	struct cb_config cfg;

	cr_assert_eq(options_parse(11, argv, &cfg), 0);
	cr_assert_eq(cfg.modes, MODE_BIT(MODE_THREADS));
	cr_assert_eq(cfg.nwl, 1);
	cr_assert_eq(cfg.nworkers, 2);
	cr_assert_eq(cfg.runs, 3);
	cr_assert_eq(cfg.warmup, 0);
	cr_assert_eq(cfg.tasks, 7);
	cr_assert(cfg.pin == PIN_MASK && cfg.no_csv);
}
