/* cpu.primes - count primes below N by trial division; a task is a range.
 * Later ranges cost more (longer trial divisions). */
#include <errno.h>

#include "../runner/concbench.h"

static bool is_prime(uint64_t n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (uint64_t d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/* Known answers: pi(x) for the sizes a test can afford. */
static const struct {
	long n;
	uint64_t count;
} known[] = {{10, 4}, {1000, 168}, {100000, 9592}, {1000000, 78498}, {10000000, 664579}};

static int primes_prepare(struct wl_ctx *ctx)
{
	if (ctx->size > (1L << 40))
		return cb_error(ctx, -EINVAL, "--size: %ld: too large", ctx->size);
	return 0;
}

static int primes_run(struct wl_ctx *ctx, unsigned t, struct task_result *res)
{
	uint64_t n = (uint64_t)ctx->size;
	uint64_t lo = n * t / ctx->ntasks, hi = n * (t + 1) / ctx->ntasks, count = 0;

	for (uint64_t x = lo; x < hi; x++) {
		count += is_prime(x);
		gil_check();
	}
	res->checksum = count;
	res->ops = (double)(hi - lo);
	return 0;
}

static int primes_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < ctx->ntasks; i++)
		total += res[i].checksum;
	cb_metric(m, "primes", (double)total);
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].n == ctx->size && known[i].count != total)
			return cb_error(ctx, 1, "counted %llu primes below %ld, expected %llu",
			                (unsigned long long)total, ctx->size,
			                (unsigned long long)known[i].count);
	return 0;
}

const struct workload cpu_primes = {
    .name = "cpu.primes",
    .summary = "count primes below N by trial division; a task is a range",
    .kind = KIND_WORKLOAD,
    .family_default = true,
    .default_tasks = 64,
    .sizes = {100000, 1000000, 10000000},
    .size_unit = "N (primes below N)",
    .ops_unit = "candidate",
    .prepare = primes_prepare,
    .run = primes_run,
    .compute_only = true,
    .verify = primes_verify,
};
