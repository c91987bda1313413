/* image.* - blur, sobel, sharpen, grayscale and the default chain
 * (gray -> blur -> sobel) over one image cut into row bands, or over a
 * directory of images, one whole image per task.
 *
 * Input: --input=FILE|DIR (PNG, binary PPM/PGM), else a generated
 * --size x --size RGB image. A band is computed from the input rows it needs
 * (its halo), so the output is the same bytes whatever the band count or
 * mode. Outputs live in shared memory, or, with --transport=pipe in procs
 * mode, in private memory that the pipe transport brings to the parent.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "../runner/concbench.h"
#include "image_filters.h"
#include "image_io.h"

#define MAX_IMAGES 4096

enum img_filter { F_GRAY, F_BLUR, F_SOBEL, F_SHARPEN, F_CHAIN };

struct img_job {
	char name[128]; /* input base name without extension, for --save */
	struct image in;
	uint32_t och; /* output channels */
	size_t out_len;
	uint8_t *out_shm; /* cb_shm_alloc: threads, procs with shm */
	uint8_t *out_priv; /* private mapping: procs with --transport=pipe */
	uint8_t *out; /* the one this rep writes */
};

struct img_state {
	enum img_filter f;
	unsigned radius;
	uint16_t k[2 * IMG_MAX_RADIUS + 1];
	bool dir; /* a task is whole images, not a band */
	unsigned njobs;
	struct img_job *jobs;
	const char *save; /* --save directory or NULL */
	bool saved;
	double pixels; /* output pixels per rep */
};

static const struct wl_option img_options[] = {
    {"input", "FILE|DIR", NULL,
     "image.*: PNG, binary PPM or PGM file, or a directory of them (default: generated)", false},
    {"radius", "N", "5", "image.blur and the image chain: gaussian radius, 1..64 (sigma = N/2)",
     false},
    {"save", "DIR", NULL, "image.*: write each output image as PNG into DIR", false},
    {NULL, NULL, NULL, NULL, false},
};

static uint32_t out_channels(enum img_filter f, uint32_t in_ch)
{
	return f == F_BLUR || f == F_SHARPEN ? in_ch : 1;
}

/* "dir/photo.png" -> "photo" */
static void base_name(char *dst, size_t len, const char *path)
{
	const char *b = strrchr(path, '/');
	char *dot;

	snprintf(dst, len, "%s", b ? b + 1 : path);
	dot = strrchr(dst, '.');
	if (dot && dot != dst)
		*dot = '\0';
}

static int add_job(struct wl_ctx *ctx, struct img_state *st, const char *path)
{
	struct img_job *j = &st->jobs[st->njobs];
	char why[200];
	int rc = image_load(path, &j->in, why, sizeof(why));

	if (rc)
		return cb_error(ctx, rc == -ENOMEM ? rc : -EINVAL, "%s: %s", path, why);
	base_name(j->name, sizeof(j->name), path);
	st->njobs++;
	return 0;
}

static int is_listed(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int load_dir(struct wl_ctx *ctx, struct img_state *st, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, is_listed, alphasort), rc = 0;

	if (n < 0)
		return cb_error(ctx, -EINVAL, "%s: %s", dir, strerror(errno));
	if (n > MAX_IMAGES)
		rc = cb_error(ctx, -EINVAL, "%s: %d files: at most %d images", dir, n, MAX_IMAGES);
	else if (!(st->jobs = calloc(n ? (size_t)n : 1, sizeof(*st->jobs))))
		rc = cb_error(ctx, -ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		/* Subdirectories and other non-files are not images: skip them. */
		if (!rc && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			rc = add_job(ctx, st, path);
		free(names[i]);
	}
	free(names);
	if (!rc && st->njobs == 0)
		rc = cb_error(ctx, -EINVAL, "%s: no image files in the directory", dir);
	return rc;
}

static int load_input(struct wl_ctx *ctx, struct img_state *st)
{
	const char *in = cb_opt_str("input");
	struct stat sb;
	int rc;

	if (!in) {
		if (ctx->size > 8192)
			return cb_error(ctx, -EINVAL, "--size: %ld: at most 8192 (image side)",
			                ctx->size);
		st->jobs = calloc(1, sizeof(*st->jobs));
		if (!st->jobs)
			return cb_error(ctx, -ENOMEM, "out of memory");
		rc = image_generate(&st->jobs[0].in, (uint32_t)ctx->size, (uint32_t)ctx->size, 3,
		                    ctx->seed);
		if (rc)
			return cb_error(ctx, rc, "generating a %ldx%ld image: %s", ctx->size,
			                ctx->size, strerror(-rc));
		snprintf(st->jobs[0].name, sizeof(st->jobs[0].name), "default");
		st->njobs = 1;
		return 0;
	}
	if (stat(in, &sb))
		return cb_error(ctx, -EINVAL, "%s: %s", in, strerror(errno));
	if (S_ISDIR(sb.st_mode)) {
		st->dir = true;
		return load_dir(ctx, st, in);
	}
	st->jobs = calloc(1, sizeof(*st->jobs));
	if (!st->jobs)
		return cb_error(ctx, -ENOMEM, "out of memory");
	return add_job(ctx, st, in);
}

static int check_save_dir(struct wl_ctx *ctx, const char *dir)
{
	struct stat sb;

	if (stat(dir, &sb))
		return cb_error(ctx, -EINVAL, "--save: %s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return cb_error(ctx, -EINVAL, "--save: %s: not a directory", dir);
	if (access(dir, W_OK))
		return cb_error(ctx, -EINVAL, "--save: %s: %s", dir, strerror(errno));
	return 0;
}

static int img_setup(struct wl_ctx *ctx, enum img_filter f)
{
	struct img_state *st = calloc(1, sizeof(*st));
	long r;
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	ctx->state = st;
	st->f = f;
	rc = cb_opt_long(ctx, "radius", 1, IMG_MAX_RADIUS, &r);
	if (rc)
		return rc;
	st->radius = (unsigned)r;
	img_blur_kernel(st->radius, st->k);
	st->save = cb_opt_str("save");
	if (st->save && (rc = check_save_dir(ctx, st->save)))
		return rc;
	rc = load_input(ctx, st);
	if (rc)
		return rc;
	for (unsigned i = 0; i < st->njobs; i++) {
		struct img_job *j = &st->jobs[i];

		j->och = out_channels(f, j->in.ch);
		j->out_len = (size_t)j->in.w * j->in.h * j->och;
		j->out_shm = cb_shm_alloc(j->out_len);
		if (!j->out_shm)
			return cb_error(ctx, -ENOMEM, "%s: output image: %s", j->name,
			                strerror(errno));
		j->out = j->out_shm;
		st->pixels += (double)j->in.w * j->in.h;
	}
	return 0;
}

static void img_cleanup(struct wl_ctx *ctx);

static void priv_free(struct img_job *j)
{
	if (j->out_priv)
		munmap(j->out_priv, j->out_len ? j->out_len : 1);
	j->out_priv = NULL;
}

/* The engine calls cleanup() only after a successful prepare(): a failed
 * one frees what it built itself. */
static int img_prepare(struct wl_ctx *ctx, enum img_filter f)
{
	int rc = img_setup(ctx, f);

	if (rc)
		img_cleanup(ctx);
	return rc;
}

static int img_reset(struct wl_ctx *ctx)
{
	struct img_state *st = ctx->state;

	for (unsigned i = 0; i < st->njobs; i++) {
		struct img_job *j = &st->jobs[i];

		if (!ctx->transport_pipe) {
			j->out = j->out_shm;
			continue;
		}
		/* Fresh zero pages every rep, untouched before the fork: each
		 * worker fills its own private copy, the parent's stays zero
		 * until the pipe brings the bytes (verify() checks they came),
		 * and no page is shared copy-on-write - like a result unpickled
		 * into new memory. */
		priv_free(j);
		j->out_priv = mmap(NULL, j->out_len ? j->out_len : 1, PROT_READ | PROT_WRITE,
		                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (j->out_priv == MAP_FAILED) {
			j->out_priv = NULL;
			return cb_error(ctx, -ENOMEM, "%s: output image: %s", j->name,
			                strerror(errno));
		}
		j->out = j->out_priv;
	}
	return 0;
}

/* Rows [y0, y1) of job j's output. 0 or -ENOMEM. */
static int filter_rows(const struct img_state *st, struct img_job *j, uint32_t y0, uint32_t y1)
{
	const struct image *in = &j->in;
	struct plane src = {in->px, in->w, in->h, in->ch, 0, in->h};
	struct plane dst = {j->out + (size_t)y0 * in->w * j->och, in->w, in->h, j->och, y0, y1};
	struct plane g = src, b;
	uint8_t *gbuf = NULL, *bbuf = NULL;
	uint32_t *scratch = NULL;
	size_t w = in->w;
	int rc = -ENOMEM;

	if (y0 >= y1)
		return 0;
	if (st->f == F_BLUR || st->f == F_CHAIN) {
		scratch = malloc((2 * w + 2 * st->radius) * in->ch * sizeof(*scratch));
		if (!scratch)
			goto out;
	}
	/* The stages that need luma of an RGB input get it for their halo rows. */
	if (in->ch == 3 && (st->f == F_SOBEL || st->f == F_CHAIN)) {
		uint32_t ba, bb;

		img_need(y0, y1, 1, in->h, &ba, &bb);
		if (st->f == F_CHAIN)
			img_need(ba, bb, st->radius, in->h, &g.y0, &g.y1);
		else
			g.y0 = ba, g.y1 = bb;
		g.ch = 1;
		g.px = gbuf = malloc((size_t)(g.y1 - g.y0) * w);
		if (!gbuf)
			goto out;
		img_gray(&src, &g);
	}
	switch (st->f) {
	case F_GRAY:
		img_gray(&src, &dst);
		break;
	case F_BLUR:
		img_blur(&src, &dst, st->k, st->radius, scratch);
		break;
	case F_SHARPEN:
		img_sharpen(&src, &dst);
		break;
	case F_SOBEL:
		img_sobel(&g, &dst);
		break;
	case F_CHAIN:
		b = (struct plane){NULL, in->w, in->h, 1, 0, 0};
		img_need(y0, y1, 1, in->h, &b.y0, &b.y1);
		b.px = bbuf = malloc((size_t)(b.y1 - b.y0) * w);
		if (!bbuf)
			goto out;
		img_blur(&g, &b, st->k, st->radius, scratch);
		img_sobel(&b, &dst);
		break;
	}
	rc = 0;
out:
	free(scratch);
	free(gbuf);
	free(bbuf);
	return rc;
}

/* Part `part` of task t's output: its band, or its part-th whole image. */
static int img_output(struct wl_ctx *ctx, unsigned t, unsigned part, void **buf, size_t *len)
{
	const struct img_state *st = ctx->state;

	if (st->dir) {
		size_t i = (size_t)t + (size_t)part * ctx->ntasks;

		if (i >= st->njobs)
			return 0;
		*buf = st->jobs[i].out;
		*len = st->jobs[i].out_len;
		return 1;
	}
	if (part > 0)
		return 0;

	const struct img_job *j = &st->jobs[0];
	size_t row = (size_t)j->in.w * j->och;
	uint64_t y0 = (uint64_t)j->in.h * t / ctx->ntasks;
	uint64_t y1 = (uint64_t)j->in.h * (t + 1) / ctx->ntasks;

	*buf = j->out + y0 * row;
	*len = (size_t)(y1 - y0) * row;
	return 1;
}

/* Part `part` of the input: the part-th input image. */
static int img_input(struct wl_ctx *ctx, unsigned part, void **buf, size_t *len)
{
	const struct img_state *st = ctx->state;

	if (part >= st->njobs)
		return 0;
	*buf = st->jobs[part].in.px;
	*len = image_bytes(&st->jobs[part].in);
	return 1;
}

/* XXH3 of every part of task t's output, as it is in this process now. */
static uint64_t task_digest(struct wl_ctx *ctx, unsigned t)
{
	XXH3_state_t st;
	void *buf;
	size_t len;

	XXH3_64bits_reset(&st);
	for (unsigned part = 0; img_output(ctx, t, part, &buf, &len) == 1; part++)
		XXH3_64bits_update(&st, buf, len);
	return XXH3_64bits_digest(&st);
}

static int img_run(struct wl_ctx *ctx, unsigned t, struct task_result *res)
{
	struct img_state *st = ctx->state;
	double px = 0;
	int rc = 0;

	if (st->dir) {
		for (size_t i = t; i < st->njobs && !rc; i += ctx->ntasks) {
			struct img_job *j = &st->jobs[i];

			rc = filter_rows(st, j, 0, j->in.h);
			px += (double)j->in.w * j->in.h;
		}
	} else {
		struct img_job *j = &st->jobs[0];
		uint32_t y0 = (uint32_t)((uint64_t)j->in.h * t / ctx->ntasks);
		uint32_t y1 = (uint32_t)((uint64_t)j->in.h * (t + 1) / ctx->ntasks);

		rc = filter_rows(st, j, y0, y1);
		px = (double)j->in.w * (y1 - y0);
	}
	if (rc)
		return cb_error(ctx, rc, "task %u: out of memory", t);
	res->checksum = task_digest(ctx, t);
	res->ops = px;
	return 0;
}

static int save_outputs(struct wl_ctx *ctx, struct img_state *st)
{
	for (unsigned i = 0; i < st->njobs; i++) {
		struct img_job *j = &st->jobs[i];
		struct image out = {j->in.w, j->in.h, j->och, j->out};
		char path[4096], why[4300];
		int rc;

		snprintf(path, sizeof(path), "%s/%s-%s.png", st->save, ctx->wl->name, j->name);
		rc = image_save_png(path, &out, why, sizeof(why));
		if (rc)
			return cb_error(ctx, rc, "--save: %s", why);
	}
	st->saved = true;
	return 0;
}

/* The parent's copy of every output must hash to what the workers computed:
 * with the pipe transport this proves the bytes arrived. */
static int img_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct img_state *st = ctx->state;
	double t0 = 0, t1 = 0;

	for (unsigned t = 0; t < ctx->ntasks; t++) {
		if (task_digest(ctx, t) != res[t].checksum) {
			cb_error(ctx, -EPROTO,
			         "task %u: the parent's copy of the output differs from what the "
			         "worker computed",
			         t);
			return 1;
		}
		if (t == 0 || res[t].t_start < t0)
			t0 = res[t].t_start;
		if (res[t].t_end > t1)
			t1 = res[t].t_end;
	}
	cb_metric(m, "mpixel_per_s", t1 > t0 ? st->pixels / (t1 - t0) / 1e6 : 0);
	cb_metric(m, "mpixel", st->pixels / 1e6);
	if (st->save && !st->saved && save_outputs(ctx, st))
		return 1;
	return 0;
}

static void img_cleanup(struct wl_ctx *ctx)
{
	struct img_state *st = ctx->state;

	if (!st)
		return;
	for (unsigned i = 0; i < st->njobs; i++) {
		image_free(&st->jobs[i].in);
		cb_shm_free(st->jobs[i].out_shm, st->jobs[i].out_len);
		priv_free(&st->jobs[i]);
	}
	free(st->jobs);
	free(st);
	ctx->state = NULL;
}

static int gray_prepare(struct wl_ctx *ctx)
{
	return img_prepare(ctx, F_GRAY);
}

static int blur_prepare(struct wl_ctx *ctx)
{
	return img_prepare(ctx, F_BLUR);
}

static int sobel_prepare(struct wl_ctx *ctx)
{
	return img_prepare(ctx, F_SOBEL);
}

static int sharpen_prepare(struct wl_ctx *ctx)
{
	return img_prepare(ctx, F_SHARPEN);
}

static int chain_prepare(struct wl_ctx *ctx)
{
	return img_prepare(ctx, F_CHAIN);
}

#define IMAGE_WORKLOAD(sym, wname, dflt, prep, text)                                               \
	const struct workload sym = {                                                              \
	    .name = wname,                                                                         \
	    .summary = text,                                                                       \
	    .kind = KIND_WORKLOAD,                                                                 \
	    .family_default = dflt,                                                                \
	    .default_tasks = 16,                                                                   \
	    .sizes = {512, 4096, 8192},                                                            \
	    .size_unit = "side of the generated image",                                            \
	    .ops_unit = "px",                                                                      \
	    .options = img_options,                                                                \
	    .prepare = prep,                                                                       \
	    .reset = img_reset,                                                                    \
	    .run = img_run,                                                                        \
	    .compute_only = true,                                                                  \
	    .verify = img_verify,                                                                  \
	    .cleanup = img_cleanup,                                                                \
	    .output = img_output,                                                                  \
	    .input = img_input,                                                                    \
	}

IMAGE_WORKLOAD(image_chain, "image.chain", true, chain_prepare,
               "gray, gaussian blur (--radius), sobel: edge map of an image in row bands");
IMAGE_WORKLOAD(image_blur, "image.blur", false, blur_prepare,
               "separable gaussian blur (--radius) of an image in row bands");
IMAGE_WORKLOAD(image_sobel, "image.sobel", false, sobel_prepare,
               "sobel edge magnitude of an image in row bands");
IMAGE_WORKLOAD(image_sharpen, "image.sharpen", false, sharpen_prepare,
               "3x3 sharpen of an image in row bands");
IMAGE_WORKLOAD(image_gray, "image.gray", false, gray_prepare,
               "grayscale (BT.601 luma) of an image in row bands");
