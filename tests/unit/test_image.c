/* image.*: known answers of the filters, the same bytes whatever the band
 * count or mode (pipe transport included), and the PPM/PGM/PNG readers'
 * answers to good and bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runner/exec/pool.h"
#include "../../workloads/image_filters.h"
#include "../../workloads/image_io.h"

extern const struct workload image_chain, image_blur, image_sobel, image_sharpen, image_gray;
static const struct workload *const all_filters[] = {&image_chain, &image_blur, &image_sobel,
                                                     &image_sharpen, &image_gray};

/* --- filters on whole planes --- */

static struct plane whole(uint8_t *px, uint32_t w, uint32_t h, uint32_t ch)
{
	return (struct plane){px, w, h, ch, 0, h};
}

static void fill(uint8_t *px, size_t n, uint8_t v)
{
	memset(px, v, n);
}

Test(image_filters, gray_of_known_pixels)
{
	uint8_t rgb[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 10, 20, 30};
	uint8_t out[6];
	struct plane s = whole(rgb, 6, 1, 3), d = whole(out, 6, 1, 1);

	img_gray(&s, &d);
	/* (77 R + 150 G + 29 B + 128) >> 8 */
	cr_expect_eq(out[0], 77);
	cr_expect_eq(out[1], 149);
	cr_expect_eq(out[2], 29);
	cr_expect_eq(out[3], 255);
	cr_expect_eq(out[4], 0);
	cr_expect_eq(out[5], (77 * 10 + 150 * 20 + 29 * 30 + 128) >> 8);
}

Test(image_filters, blur_kernel_is_symmetric_and_sums_to_one)
{
	uint16_t k[2 * IMG_MAX_RADIUS + 1];

	for (unsigned r = 1; r <= IMG_MAX_RADIUS; r++) {
		unsigned sum = 0;

		img_blur_kernel(r, k);
		for (unsigned i = 0; i <= 2 * r; i++) {
			sum += k[i];
			cr_expect_eq(k[i], k[2 * r - i], "r=%u: weight %u not symmetric", r, i);
		}
		cr_expect_eq(sum, IMG_KERNEL_ONE, "r=%u", r);
		cr_expect_geq(k[r], k[0], "r=%u: centre lighter than the edge", r);
	}
}

Test(image_filters, blur_keeps_a_constant_image)
{
	const uint32_t w = 37, h = 23, ch = 3;
	uint8_t in[37 * 23 * 3], out[37 * 23 * 3];
	uint32_t scratch[(2 * 37 + 2 * IMG_MAX_RADIUS) * 3];
	uint16_t k[2 * IMG_MAX_RADIUS + 1];
	const uint8_t values[] = {0, 1, 128, 254, 255};

	for (unsigned v = 0; v < sizeof(values); v++) {
		for (unsigned r = 1; r <= IMG_MAX_RADIUS; r += 21) {
			struct plane s = whole(in, w, h, ch), d = whole(out, w, h, ch);

			fill(in, sizeof(in), values[v]);
			fill(out, sizeof(out), 7);
			img_blur_kernel(r, k);
			img_blur(&s, &d, k, r, scratch);
			for (size_t i = 0; i < sizeof(out); i++)
				cr_assert_eq(out[i], values[v],
				             "value %u radius %u: byte %zu is %u", values[v], r, i,
				             out[i]);
		}
	}
}

Test(image_filters, blur_spreads_a_dot_symmetrically)
{
	uint8_t in[11 * 11], out[11 * 11];
	uint32_t scratch[2 * 11 + 2 * 2];
	uint16_t k[5];
	struct plane s = whole(in, 11, 11, 1), d = whole(out, 11, 11, 1);

	fill(in, sizeof(in), 0);
	in[5 * 11 + 5] = 255;
	img_blur_kernel(2, k);
	img_blur(&s, &d, k, 2, scratch);
	cr_expect_lt(out[5 * 11 + 5], 255);
	cr_expect_gt(out[5 * 11 + 5], out[5 * 11 + 6]);
	cr_expect_eq(out[5 * 11 + 4], out[5 * 11 + 6]);
	cr_expect_eq(out[4 * 11 + 5], out[6 * 11 + 5]);
	cr_expect_eq(out[0], 0, "a radius-2 blur reaches 2 pixels, not 5");
}

Test(image_filters, sobel_of_a_constant_image_is_zero)
{
	uint8_t in[19 * 7], out[19 * 7];

	for (unsigned v = 0; v < 256; v += 51) {
		struct plane s = whole(in, 19, 7, 1), d = whole(out, 19, 7, 1);

		fill(in, sizeof(in), (uint8_t)v);
		fill(out, sizeof(out), 9);
		img_sobel(&s, &d);
		for (size_t i = 0; i < sizeof(out); i++)
			cr_assert_eq(out[i], 0, "value %u: byte %zu is %u", v, i, out[i]);
	}
}

Test(image_filters, sobel_finds_a_vertical_edge)
{
	uint8_t in[8 * 4], out[8 * 4];
	struct plane s = whole(in, 8, 4, 1), d = whole(out, 8, 4, 1);

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (i % 8) < 4 ? 0 : 100;
	img_sobel(&s, &d);
	for (unsigned y = 0; y < 4; y++) {
		cr_expect_eq(out[y * 8 + 1], 0);
		cr_expect_eq(out[y * 8 + 3], 255, "4 * 100 = 400, clamped");
		cr_expect_eq(out[y * 8 + 4], 255);
		cr_expect_eq(out[y * 8 + 6], 0);
	}
}

Test(image_filters, sharpen_keeps_a_constant_image_and_clamps)
{
	uint8_t in[9 * 5 * 3], out[9 * 5 * 3];
	struct plane s = whole(in, 9, 5, 3), d = whole(out, 9, 5, 3);

	fill(in, sizeof(in), 200);
	img_sharpen(&s, &d);
	for (size_t i = 0; i < sizeof(out); i++)
		cr_assert_eq(out[i], 200);
	in[2 * 27 + 4 * 3] = 255; /* a bright dot: 5*255 - 4*200 = 475 -> 255 */
	img_sharpen(&s, &d);
	cr_expect_eq(out[2 * 27 + 4 * 3], 255);
	cr_expect_eq(out[2 * 27 + 3 * 3], 200 - 55, "its neighbour darkens by the difference");
}

/* --- the workloads: band counts and modes --- */

struct wl_run {
	struct wl_ctx ctx;
	struct task_result res[256];
	_Atomic int no_stop;
};

static void wl_setup(struct wl_run *r, const struct workload *w, long size, unsigned ntasks)
{
	memset(r, 0, sizeof(*r));
	r->ctx.wl = w;
	r->ctx.size = size;
	r->ctx.seed = 42;
	r->ctx.ntasks = ntasks;
	r->ctx.nworkers = 1;
	r->ctx.stop = &r->no_stop;
	cr_assert_eq(w->prepare(&r->ctx), 0, "%s: prepare: %s", w->name, r->ctx.err);
}

/* The whole output image, task by task, as this process sees it. */
static uint8_t *collect(struct wl_run *r, size_t *len)
{
	uint8_t *all = NULL;
	size_t n = 0;

	for (unsigned t = 0; t < r->ctx.ntasks; t++) {
		void *buf;
		size_t l;

		cr_assert_eq(r->ctx.wl->output(&r->ctx, t, 0, &buf, &l), 1);
		all = realloc(all, n + l + 1);
		memcpy(all + n, buf, l);
		n += l;
	}
	*len = n;
	return all;
}

static uint8_t *run_seq(const struct workload *w, long size, unsigned ntasks, size_t *len)
{
	struct wl_run r;
	uint8_t *out;

	wl_setup(&r, w, size, ntasks);
	cr_assert_eq(w->reset(&r.ctx), 0);
	for (unsigned t = 0; t < ntasks; t++)
		cr_assert_eq(w->run(&r.ctx, t, &r.res[t]), 0, "%s task %u: %s", w->name, t,
		             r.ctx.err);
	out = collect(&r, len);
	w->cleanup(&r.ctx);
	return out;
}

Test(image_workloads, same_bytes_whatever_the_band_count)
{
	const unsigned bands[] = {2, 3, 7, 16, 61, 100}; /* 100 > 61 rows: empty bands */

	for (unsigned i = 0; i < sizeof(all_filters) / sizeof(all_filters[0]); i++) {
		const struct workload *w = all_filters[i];
		size_t len1, len;
		uint8_t *one = run_seq(w, 61, 1, &len1);

		cr_assert_gt(len1, 0);
		for (unsigned b = 0; b < sizeof(bands) / sizeof(bands[0]); b++) {
			uint8_t *many = run_seq(w, 61, bands[b], &len);

			cr_assert_eq(len, len1, "%s: %u bands", w->name, bands[b]);
			cr_assert(memcmp(one, many, len) == 0, "%s: %u bands differ from 1 band",
			          w->name, bands[b]);
			free(many);
		}
		free(one);
	}
}

Test(image_workloads, output_channels_and_size)
{
	size_t len;
	uint8_t *out;

	out = run_seq(&image_blur, 20, 3, &len);
	cr_expect_eq(len, 20 * 20 * 3, "blur keeps RGB");
	free(out);
	out = run_seq(&image_chain, 20, 3, &len);
	cr_expect_eq(len, 20 * 20, "the chain ends in a 1-channel edge map");
	free(out);
}

/* Run every task of w on a pool in `mode`, optionally with the pipe
 * transport, and return the output the parent sees. */
static uint8_t *run_pool(const struct workload *w, enum cb_mode mode, bool pipe, unsigned ntasks,
                         size_t *len)
{
	struct wl_run *r = calloc(1, sizeof(*r));
	struct task_result *res = cb_shm_alloc(ntasks * sizeof(*res));
	struct cb_metrics m = {0};
	struct pool *p;
	uint8_t *out;

	wl_setup(r, w, 61, ntasks);
	r->ctx.mode = mode;
	r->ctx.nworkers = 2;
	r->ctx.transport_pipe = pipe;
	cr_assert_eq(w->reset(&r->ctx), 0);
	struct pool_params pp = {.mode = mode,
	                         .nworkers = 2,
	                         .ntasks = ntasks,
	                         .timeout_s = 30,
	                         .ctx = &r->ctx,
	                         .res = res};

	cr_assert_eq(pool_start(&p, &pp), 0, "%s", r->ctx.err);
	cr_assert_eq(pool_run(p), 0, "%s", r->ctx.err);
	cr_assert_eq(pool_stop(p), 0);
	cr_assert_eq(w->verify(&r->ctx, res, &m), 0, "%s", r->ctx.err);
	out = collect(r, len);
	w->cleanup(&r->ctx);
	cb_shm_free(res, ntasks * sizeof(*res));
	free(r);
	return out;
}

Test(image_workloads, procs_shm_and_pipe_and_threads_equal_seq)
{
	size_t ls, l;
	uint8_t *seq = run_seq(&image_chain, 61, 1, &ls);
	struct {
		enum cb_mode mode;
		bool pipe;
	} cases[] = {{MODE_THREADS, false}, {MODE_PROCS, false}, {MODE_PROCS, true}};

	for (unsigned i = 0; i < 3; i++) {
		uint8_t *out = run_pool(&image_chain, cases[i].mode, cases[i].pipe, 9, &l);

		cr_assert_eq(l, ls);
		cr_assert(memcmp(seq, out, l) == 0, "case %u (mode %d pipe %d) differs from seq", i,
		          cases[i].mode, cases[i].pipe);
		free(out);
	}
	free(seq);
}

Test(image_workloads, pipe_output_is_private_memory_of_each_process)
{
	/* With the pipe transport the output is not shared memory: what the
	 * parent finds there after a procs rep can only have come by pipe. */
	struct wl_run r;
	void *shm, *priv;
	size_t len;

	wl_setup(&r, &image_gray, 16, 2);
	cr_assert_eq(image_gray.reset(&r.ctx), 0);
	cr_assert_eq(image_gray.output(&r.ctx, 0, 0, &shm, &len), 1);
	r.ctx.transport_pipe = true;
	cr_assert_eq(image_gray.reset(&r.ctx), 0);
	cr_assert_eq(image_gray.output(&r.ctx, 0, 0, &priv, &len), 1);
	cr_expect_neq(shm, priv);
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(((uint8_t *)priv)[i], 0, "fresh zero pages before the rep");
	image_gray.cleanup(&r.ctx);
}

/* --- readers --- */

static int decode(const char *data, size_t len, struct image *img, char *why)
{
	return image_decode((const uint8_t *)data, len, img, why, 200);
}

Test(image_io, reads_binary_ppm_with_comments)
{
	const char ppm[] = "P6\n# a comment\n2 1\n255\n\x01\x02\x03\xff\xfe\xfd";
	struct image img;
	char why[200];

	cr_assert_eq(decode(ppm, sizeof(ppm) - 1, &img, why), 0, "%s", why);
	cr_expect_eq(img.w, 2);
	cr_expect_eq(img.h, 1);
	cr_expect_eq(img.ch, 3);
	cr_expect_eq(img.px[0], 1);
	cr_expect_eq(img.px[5], 0xfd);
	image_free(&img);
}

Test(image_io, scales_pgm_samples_to_8_bits)
{
	const char pgm15[] = "P5 2 1 15 \x00\x0f";
	const char pgm16[] = "P5 1 1 65535 \xff\xff";
	struct image img;
	char why[200];

	cr_assert_eq(decode(pgm15, sizeof(pgm15) - 1, &img, why), 0, "%s", why);
	cr_expect_eq(img.ch, 1);
	cr_expect_eq(img.px[0], 0);
	cr_expect_eq(img.px[1], 255);
	image_free(&img);
	cr_assert_eq(decode(pgm16, sizeof(pgm16) - 1, &img, why), 0, "%s", why);
	cr_expect_eq(img.px[0], 255);
	image_free(&img);
}

static void expect_bad(const char *data, size_t len, const char *want)
{
	struct image img;
	char why[200] = "";

	cr_assert_eq(decode(data, len, &img, why), -EINVAL, "accepted: want '%s'", want);
	cr_expect(strstr(why, want) != NULL, "why is '%s', want '%s'", why, want);
	cr_expect_null(img.px);
}

Test(image_io, rejects_bad_ppm)
{
	expect_bad("", 0, "empty");
	expect_bad("hello world", 11, "not an image");
	expect_bad("P3 1 1 255 1 2 3", 16, "not supported");
	expect_bad("P6 2 2 255\n\x01\x02\x03", 14, "truncated PPM");
	expect_bad("P6 2 2", 6, "truncated PPM header");
	expect_bad("P6 0 5 255\n", 11, "zero size");
	expect_bad("P5 100000 100000 255\n", 21, "exceeds the limit");
	expect_bad("P5 9000 9000 255\n", 17, "exceeds the limit"); /* 81 Mpixel */
	expect_bad("P5 99999999999 1 255\n", 21, "number too large");
	expect_bad("P5 1 1 0\n\x01", 10, "maxval");
	expect_bad("P5 1 1 70000\n\x01", 14, "maxval");
}

/* Write a PNG with libspng through image_save_png and read it back. */
static uint8_t *png_bytes(const struct image *img, size_t *len)
{
	char path[] = "/tmp/cb-test-image-XXXXXX", why[300];
	int fd = mkstemp(path);
	uint8_t *buf;
	FILE *f;

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(image_save_png(path, img, why, sizeof(why)), 0, "%s", why);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	unlink(path);
	return buf;
}

Test(image_io, png_round_trip_rgb_and_gray)
{
	for (uint32_t ch = 1; ch <= 3; ch += 2) {
		struct image img, back;
		char why[200];
		size_t len;
		uint8_t *png;

		cr_assert_eq(image_generate(&img, 33, 17, ch, 7), 0);
		png = png_bytes(&img, &len);
		cr_assert_eq(image_decode(png, len, &back, why, sizeof(why)), 0, "%s", why);
		cr_expect_eq(back.w, 33);
		cr_expect_eq(back.h, 17);
		cr_expect_eq(back.ch, ch);
		cr_expect(memcmp(img.px, back.px, image_bytes(&img)) == 0);
		image_free(&back);
		/* Cut anywhere: an error, never a crash or a partial image. */
		for (size_t cut = 1; cut < len; cut += len / 13 + 1) {
			int rc = image_decode(png, cut, &back, why, sizeof(why));

			cr_expect_eq(rc, -EINVAL, "cut at %zu of %zu accepted", cut, len);
			cr_expect_null(back.px);
		}
		free(png);
		image_free(&img);
	}
}

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

Test(image_io, rejects_huge_png_before_decoding)
{
	/* A valid signature and IHDR (correct CRC) declaring 100000 x 100000. */
	uint8_t png[8 + 25] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	struct image img;
	char why[200] = "";

	put32(png + 8, 13);
	memcpy(png + 12, "IHDR", 4);
	put32(png + 16, 100000);
	put32(png + 20, 100000);
	png[24] = 8; /* bit depth */
	png[25] = 2; /* truecolor */
	put32(png + 29, crc32_png(png + 12, 17));
	cr_assert_eq(image_decode(png, sizeof(png), &img, why, sizeof(why)), -EINVAL);
	cr_expect(strstr(why, "exceeds the limit") != NULL, "why: %s", why);
	put32(png + 16, 0);
	put32(png + 29, crc32_png(png + 12, 17));
	cr_assert_eq(image_decode(png, sizeof(png), &img, why, sizeof(why)), -EINVAL);
}

Test(image_io, load_reports_unreadable_files)
{
	struct image img;
	char why[200] = "";

	cr_expect_eq(image_load("/nonexistent/x.png", &img, why, sizeof(why)), -EINVAL);
	cr_expect(strstr(why, "No such file") != NULL, "why: %s", why);
	cr_expect_eq(image_load("/tmp", &img, why, sizeof(why)), -EINVAL);
	cr_expect(strstr(why, "not a regular file") != NULL, "why: %s", why);
}
