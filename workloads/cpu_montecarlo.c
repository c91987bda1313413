/* cpu.montecarlo - estimate pi from random points in the unit square.
 * The generator is counter-based (sample j's numbers are a hash of the
 * seed and j), so every mode and task split draws the same numbers. */
#include <math.h>

#include "../runner/concbench.h"

/* splitmix64 finaliser as a counter-based generator. */
static inline uint64_t hash64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline double unit(uint64_t x)
{
	return (double)(x >> 11) * 0x1.0p-53;
}

static int mc_run(struct wl_ctx *ctx, unsigned t, struct task_result *res)
{
	uint64_t n = (uint64_t)ctx->size, key = hash64(ctx->seed);
	uint64_t lo = n * t / ctx->ntasks, hi = n * (t + 1) / ctx->ntasks, inside = 0;

	/* gil_check() once per block of 256 samples (~1 us), outside the
	 * inner loop, so the hook costs nothing per sample. */
	for (uint64_t b = lo; b < hi; b += 256) {
		uint64_t end = hi - b > 256 ? b + 256 : hi;

		for (uint64_t j = b; j < end; j++) {
			double x = unit(hash64(key ^ (2 * j))), y = unit(hash64(key ^ (2 * j + 1)));

			inside += x * x + y * y <= 1.0;
		}
		gil_check();
	}
	res->checksum = inside;
	res->ops = (double)(hi - lo);
	return 0;
}

static int mc_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	uint64_t inside = 0;
	double n = (double)ctx->size, pi, sigma;

	for (unsigned i = 0; i < ctx->ntasks; i++)
		inside += res[i].checksum;
	pi = 4.0 * (double)inside / n;
	sigma = 4.0 * sqrt(M_PI / 4 * (1 - M_PI / 4) / n);
	cb_metric(m, "pi", pi);
	if (fabs(pi - M_PI) > 6 * sigma)
		return cb_error(ctx, 1, "pi estimate %.6f is more than 6 sigma from pi", pi);
	return 0;
}

const struct workload cpu_montecarlo = {
    .name = "cpu.montecarlo",
    .summary = "estimate pi from counter-based random points; a task is a range of samples",
    .kind = KIND_WORKLOAD,
    .family_default = true,
    .default_tasks = 32,
    .sizes = {1000000, 30000000, 300000000},
    .size_unit = "samples",
    .ops_unit = "sample",
    .run = mc_run,
    .verify = mc_verify,
};
