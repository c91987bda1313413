/* cpu.matmul - cache-blocked double GEMM, C = A x B; a task is a band of rows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../runner/concbench.h"

#define BS 64

struct matmul {
	long n;
	double *a, *b; /* inputs, built before fork */
	double *c; /* output, shared */
};

static int matmul_prepare(struct wl_ctx *ctx)
{
	struct matmul *m = calloc(1, sizeof(*m));
	long n = ctx->size;
	size_t bytes = (size_t)n * (size_t)n * sizeof(double);

	if (!m)
		return cb_error(ctx, -ENOMEM, "out of memory");
	if (n > 8192) {
		free(m);
		return cb_error(ctx, -EINVAL, "--size: %ld: at most 8192 (matrix side)", n);
	}
	m->n = n;
	m->a = malloc(bytes);
	m->b = malloc(bytes);
	m->c = cb_shm_alloc(bytes);
	ctx->state = m;
	if (!m->a || !m->b || !m->c)
		return cb_error(ctx, -ENOMEM, "%ld x %ld matrices: out of memory", n, n);
	/* Small exact values: every mode must produce the same bits. */
	for (long i = 0; i < n * n; i++) {
		m->a[i] = (double)((i * 7 + ctx->seed) % 17) - 8.0;
		m->b[i] = (double)((i * 13 + 3) % 19) * 0.25 - 2.0;
	}
	return 0;
}

static int matmul_run(struct wl_ctx *ctx, unsigned t, struct task_result *res)
{
	const struct matmul *m = ctx->state;
	long n = m->n;
	long r0 = n * (long)t / (long)ctx->ntasks, r1 = n * ((long)t + 1) / (long)ctx->ntasks;
	double *c = m->c;

	memset(c + r0 * n, 0, (size_t)(r1 - r0) * (size_t)n * sizeof(double));
	for (long kk = 0; kk < n; kk += BS) {
		long kmax = kk + BS < n ? kk + BS : n;

		for (long jj = 0; jj < n; jj += BS) {
			long jmax = jj + BS < n ? jj + BS : n;

			for (long i = r0; i < r1; i++) {
				double *ci = c + i * n;

				gil_check();
				for (long k = kk; k < kmax; k++) {
					double aik = m->a[i * n + k];
					const double *bk = m->b + k * n;

					for (long j = jj; j < jmax; j++)
						ci[j] += aik * bk[j];
				}
			}
		}
	}
	res->checksum = XXH3_64bits(c + r0 * n, (size_t)(r1 - r0) * (size_t)n * sizeof(double));
	res->ops = 2.0 * (double)(r1 - r0) * (double)n * (double)n;
	return 0;
}

static void matmul_cleanup(struct wl_ctx *ctx)
{
	struct matmul *m = ctx->state;

	if (!m)
		return;
	free(m->a);
	free(m->b);
	cb_shm_free(m->c, (size_t)m->n * (size_t)m->n * sizeof(double));
	free(m);
}

const struct workload cpu_matmul = {
    .name = "cpu.matmul",
    .summary = "cache-blocked double matrix multiply; a task is a band of rows",
    .kind = KIND_WORKLOAD,
    .family_default = true,
    .default_tasks = 32,
    .sizes = {128, 512, 1024},
    .size_unit = "matrix side",
    .ops_unit = "flop",
    .prepare = matmul_prepare,
    .run = matmul_run,
    .compute_only = true,
    .cleanup = matmul_cleanup,
};
