/* cpu.montecarlo - estimate pi from random points in the unit square.
 * The generator is counter-based (sample j's numbers are a hash of the
 * seed and j), so every mode and task split draws the same numbers. */
#include <math.h>

#include "../runner/concbench.h"
#include "../runner/mix.h"

static inline double unit(uint64_t x)
{
	return (double)(x >> 11) * 0x1.0p-53;
}

static int mc_run(struct wl_ctx *ctx, unsigned t, struct task_result *res)
{
	uint64_t n = (uint64_t)ctx->size, key = cb_mix64(ctx->seed + CB_GOLDEN64);
	uint64_t lo = n * t / ctx->ntasks, hi = n * (t + 1) / ctx->ntasks, inside = 0;

	/* gil_check() once per block of 256 samples (~1 us), outside the
	 * inner loop, so the hook costs nothing per sample. */
	for (uint64_t b = lo; b < hi; b += 256) {
		uint64_t end = hi - b > 256 ? b + 256 : hi;

		for (uint64_t j = b; j < end; j++) {
			double x = unit(cb_mix64((key ^ (2 * j)) + CB_GOLDEN64)),
			       y = unit(cb_mix64((key ^ (2 * j + 1)) + CB_GOLDEN64));

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
    .compute_only = true,
    .verify = mc_verify,
};
