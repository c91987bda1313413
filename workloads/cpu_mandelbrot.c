/* cpu.mandelbrot - escape-time Mandelbrot set; a task is a band of rows.
 * Rows through the set cost far more than rows outside: uneven tasks. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <xxhash.h>

#include "../runner/concbench.h"

#define MAX_ITER 512

struct mandel {
	long side;
	uint16_t *out; /* shared: iterations per pixel */
};

static int mandel_prepare(struct wl_ctx *ctx)
{
	struct mandel *m = calloc(1, sizeof(*m));

	if (!m)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = m;
	if (ctx->size > 32768)
		return cb_error(ctx, -EINVAL, "--size: %ld: at most 32768 (image side)", ctx->size);
	m->side = ctx->size;
	m->out = cb_shm_alloc((size_t)m->side * (size_t)m->side * sizeof(*m->out));
	if (!m->out)
		return cb_error(ctx, -ENOMEM, "%ld x %ld image: out of memory", m->side, m->side);
	return 0;
}

static unsigned escape(double cr, double ci)
{
	double zr = 0, zi = 0;
	unsigned it = 0;

	while (it < MAX_ITER && zr * zr + zi * zi <= 4.0) {
		double t = zr * zr - zi * zi + cr;

		zi = 2 * zr * zi + ci;
		zr = t;
		it++;
	}
	return it;
}

static int mandel_run(struct wl_ctx *ctx, unsigned t, struct task_result *res)
{
	const struct mandel *m = ctx->state;
	long s = m->side;
	long y0 = s * (long)t / (long)ctx->ntasks, y1 = s * ((long)t + 1) / (long)ctx->ntasks;
	double iters = 0;

	for (long y = y0; y < y1; y++) {
		double ci = -1.25 + 2.5 * (double)y / (double)s;

		for (long x = 0; x < s; x++) {
			unsigned it = escape(-2.0 + 2.5 * (double)x / (double)s, ci);

			m->out[y * s + x] = (uint16_t)it;
			iters += it;
			gil_check();
		}
	}
	res->checksum =
	    XXH3_64bits(m->out + y0 * s, (size_t)(y1 - y0) * (size_t)s * sizeof(*m->out));
	res->ops = iters;
	return 0;
}

static void mandel_cleanup(struct wl_ctx *ctx)
{
	struct mandel *m = ctx->state;

	if (!m)
		return;
	cb_shm_free(m->out, (size_t)m->side * (size_t)m->side * sizeof(*m->out));
	free(m);
}

const struct workload cpu_mandelbrot = {
    .name = "cpu.mandelbrot",
    .summary = "Mandelbrot escape times; a task is a band of rows of uneven cost",
    .kind = KIND_WORKLOAD,
    .family_default = true,
    .default_tasks = 64,
    .sizes = {256, 640, 2048},
    .size_unit = "image side (pixels)",
    .ops_unit = "iteration",
    .prepare = mandel_prepare,
    .run = mandel_run,
    .compute_only = true,
    .cleanup = mandel_cleanup,
};
