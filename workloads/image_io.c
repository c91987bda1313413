/* image_io.c - PNG (libspng) and binary PPM/PGM readers, PNG writer, the
 * generated default image. Every reader checks the declared size against
 * IMAGE_MAX_* before allocating and the data length before reading. */
#include "image_io.h"
#include "../runner/mix.h"
#include "../runner/safeio.h"

#include <errno.h>
#include <fcntl.h>
#include <spng.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static int fail(char *why, size_t whylen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t whylen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return code;
}

size_t image_bytes(const struct image *img)
{
	return (size_t)img->w * img->h * img->ch;
}

void image_free(struct image *img)
{
	free(img->px);
	memset(img, 0, sizeof(*img));
}

/* 0 when w x h is within the limits, else -EINVAL with the reason. */
static int check_size(uint64_t w, uint64_t h, char *why, size_t whylen)
{
	if (w == 0 || h == 0)
		return fail(why, whylen, -EINVAL, "zero size (%llux%llu)", (unsigned long long)w,
		            (unsigned long long)h);
	if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE || w * h > IMAGE_MAX_PIXELS)
		return fail(why, whylen, -EINVAL,
		            "%llux%llu exceeds the limit of %u pixels per side and %u Mpixel",
		            (unsigned long long)w, (unsigned long long)h, IMAGE_MAX_SIDE,
		            IMAGE_MAX_PIXELS >> 20);
	return 0;
}

/* --- PPM / PGM (binary) --- */

struct cursor {
	const uint8_t *p, *end;
};

static void skip_space(struct cursor *c)
{
	while (c->p < c->end) {
		if (*c->p == '#') {
			while (c->p < c->end && *c->p != '\n')
				c->p++;
		} else if (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r' ||
		           *c->p == '\v' || *c->p == '\f') {
			c->p++;
		} else {
			return;
		}
	}
}

/* A header number: decimal, at most 9 digits (so no overflow). */
static int read_number(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	skip_space(c);
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (++n > 9)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*c->p - '0');
		c->p++;
	}
	if (n == 0)
		return c->p == c->end ? -ENODATA : -EINVAL;
	*out = v;
	return 0;
}

static int decode_pnm(const uint8_t *data, size_t len, struct image *out, char *why, size_t whylen)
{
	struct cursor c = {data + 2, data + len};
	const char *kind = data[1] == '6' ? "PPM" : "PGM";
	uint64_t v[3];
	uint32_t ch = data[1] == '6' ? 3 : 1;
	size_t samples, need, bps;
	int rc;

	for (int i = 0; i < 3; i++) {
		rc = read_number(&c, &v[i]);
		if (rc == -ENODATA)
			return fail(why, whylen, -EINVAL, "truncated %s header", kind);
		if (rc)
			return fail(why, whylen, -EINVAL, "bad %s header: %s", kind,
			            rc == -ERANGE ? "number too large" : "expected a number");
	}
	rc = check_size(v[0], v[1], why, whylen);
	if (rc)
		return rc;
	if (v[2] == 0 || v[2] > 65535)
		return fail(why, whylen, -EINVAL, "bad %s maxval %llu (want 1..65535)", kind,
		            (unsigned long long)v[2]);
	/* Exactly one whitespace byte separates the header from the pixels. */
	if (c.p >= c.end)
		return fail(why, whylen, -EINVAL, "truncated %s: no pixel data", kind);
	if (*c.p != ' ' && *c.p != '\t' && *c.p != '\n' && *c.p != '\r')
		return fail(why, whylen, -EINVAL, "bad %s header: no whitespace after maxval",
		            kind);
	c.p++;
	bps = v[2] > 255 ? 2 : 1;
	samples = (size_t)v[0] * v[1] * ch;
	need = samples * bps;
	if ((size_t)(c.end - c.p) < need)
		return fail(why, whylen, -EINVAL, "truncated %s: %zu of %zu bytes of pixel data",
		            kind, (size_t)(c.end - c.p), need);
	out->px = malloc(samples ? samples : 1);
	if (!out->px)
		return fail(why, whylen, -ENOMEM, "%llux%llu: out of memory",
		            (unsigned long long)v[0], (unsigned long long)v[1]);
	out->w = (uint32_t)v[0];
	out->h = (uint32_t)v[1];
	out->ch = ch;
	if (bps == 1 && v[2] == 255) {
		memcpy(out->px, c.p, samples);
		return 0;
	}
	for (size_t i = 0; i < samples; i++) {
		uint64_t s = bps == 2 ? (uint64_t)c.p[2 * i] << 8 | c.p[2 * i + 1] : c.p[i];

		if (s > v[2])
			s = v[2];
		out->px[i] = (uint8_t)((s * 255 + v[2] / 2) / v[2]);
	}
	return 0;
}

/* --- PNG (libspng) --- */

static int decode_png(const uint8_t *data, size_t len, struct image *out, char *why, size_t whylen)
{
	spng_ctx *ctx = spng_ctx_new(0);
	struct spng_ihdr ihdr;
	size_t size;
	int fmt, e, rc = -EINVAL;

	if (!ctx)
		return fail(why, whylen, -ENOMEM, "PNG: out of memory");
	/* Limits first: spng then refuses a bigger IHDR before allocating. */
	e = spng_set_image_limits(ctx, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
	if (!e)
		e = spng_set_chunk_limits(ctx, 1u << 24, 1u << 26);
	if (!e)
		e = spng_set_png_buffer(ctx, data, len);
	if (!e)
		e = spng_get_ihdr(ctx, &ihdr);
	if (e == SPNG_EWIDTH || e == SPNG_EHEIGHT || e == SPNG_EUSER_WIDTH ||
	    e == SPNG_EUSER_HEIGHT) {
		/* Report the declared size: IHDR's width and height are bytes 16..23. */
		uint32_t w = 0, h = 0;

		if (len >= 24) {
			w = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 |
			    (uint32_t)data[18] << 8 | data[19];
			h = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 |
			    (uint32_t)data[22] << 8 | data[23];
		}
		rc = check_size(w, h, why, whylen);
		if (!rc)
			rc = fail(why, whylen, -EINVAL, "PNG: %s", spng_strerror(e));
		goto out;
	}
	if (e) {
		rc = fail(why, whylen, -EINVAL, "%sPNG: %s",
		          e == SPNG_IO_EOF || e == SPNG_EOF ? "truncated " : "", spng_strerror(e));
		goto out;
	}
	rc = check_size(ihdr.width, ihdr.height, why, whylen);
	if (rc)
		goto out;
	bool gray = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE && ihdr.bit_depth <= 8;

	fmt = gray ? SPNG_FMT_G8 : SPNG_FMT_RGB8;
	e = spng_decoded_image_size(ctx, fmt, &size);
	if (e) {
		rc = fail(why, whylen, -EINVAL, "PNG: %s", spng_strerror(e));
		goto out;
	}
	out->px = malloc(size ? size : 1);
	if (!out->px) {
		rc = fail(why, whylen, -ENOMEM, "PNG: %ux%u: out of memory", ihdr.width,
		          ihdr.height);
		goto out;
	}
	e = spng_decode_image(ctx, out->px, size, fmt, 0);
	if (e) {
		image_free(out);
		rc = fail(why, whylen, -EINVAL, "%sPNG: %s",
		          e == SPNG_IO_EOF || e == SPNG_EOF ? "truncated " : "", spng_strerror(e));
		goto out;
	}
	out->w = ihdr.width;
	out->h = ihdr.height;
	out->ch = gray ? 1 : 3;
	rc = 0;
out:
	spng_ctx_free(ctx);
	return rc;
}

int image_decode(const uint8_t *data, size_t len, struct image *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return fail(why, whylen, -EINVAL, "empty file");
	if (len >= sizeof(png_sig) && memcmp(data, png_sig, sizeof(png_sig)) == 0)
		return decode_png(data, len, out, why, whylen);
	if (len >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6'))
		return decode_pnm(data, len, out, why, whylen);
	if (len >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '4')
		return fail(
		    why, whylen, -EINVAL,
		    "plain (ASCII) or bitmap PNM P%c is not supported: want binary P5 or P6",
		    data[1]);
	if (len < sizeof(png_sig) && memcmp(data, png_sig, len) == 0)
		return fail(why, whylen, -EINVAL, "truncated PNG signature");
	return fail(why, whylen, -EINVAL, "not an image (want PNG, binary PPM or PGM)");
}

int image_load(const char *path, struct image *out, char *why, size_t whylen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	/* O_NONBLOCK: a FIFO is refused below instead of waiting for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail(why, whylen, -EINVAL, "%s", strerror(errno));
	if (fstat(fd, &st)) {
		rc = fail(why, whylen, -EINVAL, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fail(why, whylen, -EINVAL, "not a regular file");
		goto out;
	}
	if ((uint64_t)st.st_size > IMAGE_MAX_FILE) {
		rc = fail(why, whylen, -EINVAL, "file of %lld bytes exceeds the limit of %u MiB",
		          (long long)st.st_size, IMAGE_MAX_FILE >> 20);
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		rc = fail(why, whylen, -ENOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail(why, whylen, -EINVAL, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	rc = image_decode(buf, got, out, why, whylen);
out:
	free(buf);
	close(fd);
	return rc;
}

int image_save_png(const char *path, const struct image *img, char *why, size_t whylen)
{
	struct spng_ihdr ihdr = {
	    .width = img->w,
	    .height = img->h,
	    .bit_depth = 8,
	    .color_type = img->ch == 1 ? SPNG_COLOR_TYPE_GRAYSCALE : SPNG_COLOR_TYPE_TRUECOLOR,
	};
	struct safe_out out;
	spng_ctx *ctx;
	int e, rc;

	rc = safe_out_open(&out, path);
	if (rc)
		return fail(why, whylen, rc, "%s: %s", path, safe_strerror(rc));
	ctx = spng_ctx_new(SPNG_CTX_ENCODER);
	if (!ctx) {
		safe_out_abort(&out);
		return fail(why, whylen, -ENOMEM, "%s: out of memory", path);
	}
	e = spng_set_png_file(ctx, out.f);
	if (!e)
		e = spng_set_ihdr(ctx, &ihdr);
	if (!e)
		e = spng_encode_image(ctx, img->px, image_bytes(img), SPNG_FMT_PNG,
		                      SPNG_ENCODE_FINALIZE);
	spng_ctx_free(ctx);
	if (e) {
		safe_out_abort(&out);
		return fail(why, whylen, -EIO, "%s: PNG: %s", path, spng_strerror(e));
	}
	rc = safe_out_commit(&out);
	if (rc)
		return fail(why, whylen, rc, "%s: %s", path, safe_strerror(rc));
	return 0;
}

/* splitmix64 of (seed, i): position-keyed noise, the same in every mode. */
static uint64_t noise(uint64_t seed, uint64_t i)
{
	return cb_mix64(seed + i * CB_GOLDEN64);
}

int image_generate(struct image *out, uint32_t w, uint32_t h, uint32_t ch, uint64_t seed)
{
	char why[128];
	int rc;

	memset(out, 0, sizeof(*out));
	if (ch != 1 && ch != 3)
		return -EINVAL;
	rc = check_size(w, h, why, sizeof(why));
	if (rc)
		return rc;
	out->px = malloc((size_t)w * h * ch);
	if (!out->px)
		return -ENOMEM;
	out->w = w;
	out->h = h;
	out->ch = ch;
	for (uint32_t y = 0; y < h; y++) {
		uint8_t *row = out->px + (size_t)y * w * ch;

		for (uint32_t x = 0; x < w; x++) {
			/* Diagonal gradients, a checkerboard of 64 px cells, a grid of
			 * discs and +-16 of noise: smooth areas and sharp edges. */
			int64_t dx = (int64_t)(x % 256) - 128, dy = (int64_t)(y % 256) - 128;
			bool disc = dx * dx + dy * dy < 80 * 80;
			bool cell = ((x / 64) ^ (y / 64)) & 1;
			uint64_t n = noise(seed, (uint64_t)y * w + x);
			int base[3] = {
			    (int)((uint64_t)x * 255 / w),
			    (int)((uint64_t)y * 255 / h),
			    (int)(((uint64_t)x + y) * 255 / ((uint64_t)w + h)),
			};

			for (uint32_t c = 0; c < ch; c++) {
				int v = base[c] / 2 + (cell ? 40 : 0) + (disc ? 60 : 0) +
				        (int)((n >> (8 * c)) & 31) - 16;

				row[(size_t)x * ch + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	}
	return 0;
}
