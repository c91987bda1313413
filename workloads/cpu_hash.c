/* cpu.hash - xxHash (XXH3) over buffers with the GIL released around each
 * hash call, as CPython's hashlib and zlib do for large buffers: the
 * compute runs outside the GIL, so this kernel scales even in `gil` mode.
 * A task hashes its share of --size MiB in 256 KiB calls over a 1 MiB
 * cache-resident buffer and folds the digests into its checksum.
 * Not in the family default: `--workload=cpu` stays the four core kernels. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../runner/concbench.h"

#define HASH_BUF (1u << 20)
#define HASH_CHUNK (256u << 10)
#define CHUNKS_PER_MIB ((1u << 20) / HASH_CHUNK)

static int hash_prepare(struct wl_ctx *ctx)
{
	uint64_t x = ctx->seed * 0x9e3779b97f4a7c15ULL + 1;
	uint64_t *buf;

	if (ctx->size < 1 || ctx->size > (1L << 24))
		return cb_error(ctx, -EINVAL, "--size: %ld: want 1..%ld MiB", ctx->size, 1L << 24);
	buf = malloc(HASH_BUF);
	if (!buf)
		return cb_error(ctx, -ENOMEM, "out of memory");
	for (size_t i = 0; i < HASH_BUF / sizeof(*buf); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x;
	}
	ctx->state = buf;
	return 0;
}

static int hash_run(struct wl_ctx *ctx, unsigned t, struct task_result *res)
{
	const unsigned char *buf = ctx->state;
	uint64_t total = (uint64_t)ctx->size * CHUNKS_PER_MIB;
	uint64_t lo = total * t / ctx->ntasks, hi = total * (t + 1) / ctx->ntasks;
	uint64_t acc = 0x27d4eb2f165667c5ULL;

	for (uint64_t j = lo; j < hi; j++) {
		const unsigned char *p = buf + (j % (HASH_BUF / HASH_CHUNK)) * HASH_CHUNK;
		/* like hashlib's update(): the hash itself runs without the GIL */
		XXH64_hash_t h = GIL_BLOCKING(XXH3_64bits_withSeed(p, HASH_CHUNK, j));

		acc = (acc ^ h) * 0x100000001b3ULL;
		gil_check();
	}
	res->checksum = acc;
	res->ops = (double)(hi - lo) * HASH_CHUNK;
	return 0;
}

static void hash_cleanup(struct wl_ctx *ctx)
{
	free(ctx->state);
	ctx->state = NULL;
}

const struct workload cpu_hash = {
    .name = "cpu.hash",
    .summary = "XXH3 over buffers with the GIL released around each call (like "
               "hashlib)",
    .kind = KIND_WORKLOAD,
    .family_default = false,
    .default_tasks = 32,
    .sizes = {64, 1024, 8192},
    .size_unit = "MiB hashed per rep",
    .ops_unit = "B",
    .prepare = hash_prepare,
    .run = hash_run,
    .compute_only = true,
    .cleanup = hash_cleanup,
};
