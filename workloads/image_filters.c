/* image_filters.c - gray, separable gaussian blur, sobel, sharpen on row
 * bands (see image_filters.h for the band and halo contract).
 *
 * Inner loops run over a whole row of w * ch samples with the weights in the
 * outer loop, so the compiler vectorises them; gil_check() once per row. */
#include "image_filters.h"

/* -O2 only vectorises loops that need no runtime alias check; these row
 * loops do. Same results: integer math, and sqrtf of values >= 0. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "no-math-errno")
#endif

#include <math.h>
#include <string.h>

#include "../runner/gil.h"

static uint32_t clamp_row(int64_t y, uint32_t h)
{
	return y < 0 ? 0 : y >= (int64_t)h ? h - 1 : (uint32_t)y;
}

void img_need(uint32_t y0, uint32_t y1, uint32_t halo, uint32_t h, uint32_t *a, uint32_t *b)
{
	*a = y0 > halo ? y0 - halo : 0;
	*b = (uint64_t)y1 + halo < h ? y1 + halo : h;
	if (y0 >= y1)
		*a = *b = y0;
}

void img_blur_kernel(unsigned r, uint16_t *k)
{
	double sigma, w[2 * IMG_MAX_RADIUS + 1] = {0}, sum = 0;
	int total = 0;

	r = r < 1 ? 1 : r > IMG_MAX_RADIUS ? IMG_MAX_RADIUS : r;
	sigma = r / 2.0;

	for (int i = -(int)r; i <= (int)r; i++) {
		w[i + (int)r] = exp(-(double)(i * i) / (2 * sigma * sigma));
		sum += w[i + (int)r];
	}
	for (unsigned i = 0; i < 2 * r + 1; i++) {
		k[i] = (uint16_t)lround(w[i] / sum * IMG_KERNEL_ONE);
		total += k[i];
	}
	/* Rounding leaves the sum a few units off: the centre takes it up, so
	 * a constant image stays exactly constant. */
	k[r] = (uint16_t)(k[r] + IMG_KERNEL_ONE - total);
}

void img_gray(const struct plane *src, struct plane *dst)
{
	size_t w = src->w;

	for (uint32_t y = dst->y0; y < dst->y1; y++) {
		const uint8_t *s = plane_row(src, y);
		uint8_t *d = plane_row(dst, y);

		gil_check();
		if (src->ch == 1) {
			memcpy(d, s, w);
			continue;
		}
		for (size_t x = 0; x < w; x++)
			d[x] = (uint8_t)((77u * s[3 * x] + 150u * s[3 * x + 1] +
			                  29u * s[3 * x + 2] + 128u) >>
			                 8);
	}
}

void img_blur(const struct plane *src, struct plane *dst, const uint16_t *k, unsigned r,
              uint32_t *scratch)
{
	size_t ch = src->ch, n = (size_t)src->w * ch, pad = r * ch;
	uint32_t *line = scratch; /* (w + 2r) * ch: the vertical sums, edge-padded */
	uint32_t *acc = scratch + n + 2 * pad; /* w * ch: the horizontal sums */

	for (uint32_t y = dst->y0; y < dst->y1; y++) {
		uint32_t *mid = line + pad;
		uint8_t *d = plane_row(dst, y);

		gil_check();
		/* Vertical pass: sums of 8-bit samples, at most 255 * 4096. */
		memset(mid, 0, n * sizeof(*mid));
		for (unsigned j = 0; j <= 2 * r; j++) {
			const uint8_t *s = plane_row(src, clamp_row((int64_t)y + j - r, src->h));
			uint32_t kj = k[j];

			for (size_t i = 0; i < n; i++)
				mid[i] += kj * s[i];
		}
		for (size_t i = 0; i < pad; i++) {
			line[i] = mid[i % ch];
			mid[n + i] = mid[n - ch + i % ch];
		}
		/* Horizontal pass: at most 255 * 4096 * 4096 < 2^32. */
		memset(acc, 0, n * sizeof(*acc));
		for (unsigned j = 0; j <= 2 * r; j++) {
			const uint32_t *s = line + j * ch;
			uint32_t kj = k[j];

			for (size_t i = 0; i < n; i++)
				acc[i] += kj * s[i];
		}
		for (size_t i = 0; i < n; i++)
			d[i] = (uint8_t)((acc[i] + (1u << 23)) >> 24);
	}
}

static uint8_t sobel_at(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, size_t l, size_t x,
                        size_t rt)
{
	int gx = (r0[rt] + 2 * r1[rt] + r2[rt]) - (r0[l] + 2 * r1[l] + r2[l]);
	int gy = (r2[l] + 2 * r2[x] + r2[rt]) - (r0[l] + 2 * r0[x] + r0[rt]);
	/* gx^2 + gy^2 < 2^24: exact in float, and sqrtf is correctly rounded. */
	float m = sqrtf((float)(gx * gx + gy * gy));

	return m >= 255.0f ? 255 : (uint8_t)m;
}

void img_sobel(const struct plane *src, struct plane *dst)
{
	size_t w = src->w;

	for (uint32_t y = dst->y0; y < dst->y1; y++) {
		const uint8_t *r0 = plane_row(src, clamp_row((int64_t)y - 1, src->h));
		const uint8_t *r1 = plane_row(src, y);
		const uint8_t *r2 = plane_row(src, clamp_row((int64_t)y + 1, src->h));
		uint8_t *d = plane_row(dst, y);

		gil_check();
		d[0] = sobel_at(r0, r1, r2, 0, 0, w > 1 ? 1 : 0);
		for (size_t x = 1; x + 1 < w; x++)
			d[x] = sobel_at(r0, r1, r2, x - 1, x, x + 1);
		if (w > 1)
			d[w - 1] = sobel_at(r0, r1, r2, w - 2, w - 1, w - 1);
	}
}

static uint8_t sharpen_at(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, size_t l,
                          size_t i, size_t rt)
{
	int v = 5 * r1[i] - r1[l] - r1[rt] - r0[i] - r2[i];

	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void img_sharpen(const struct plane *src, struct plane *dst)
{
	size_t ch = src->ch, n = (size_t)src->w * ch;

	for (uint32_t y = dst->y0; y < dst->y1; y++) {
		const uint8_t *r0 = plane_row(src, clamp_row((int64_t)y - 1, src->h));
		const uint8_t *r1 = plane_row(src, y);
		const uint8_t *r2 = plane_row(src, clamp_row((int64_t)y + 1, src->h));
		uint8_t *d = plane_row(dst, y);

		gil_check();
		/* First and last pixel: their missing neighbour is themselves. */
		for (size_t c = 0; c < ch; c++) {
			d[c] = sharpen_at(r0, r1, r2, c, c, n > ch ? c + ch : c);
			d[n - ch + c] = sharpen_at(r0, r1, r2, n > ch ? n - 2 * ch + c : c,
			                           n - ch + c, n - ch + c);
		}
		for (size_t i = ch; i + ch < n; i++)
			d[i] = sharpen_at(r0, r1, r2, i - ch, i, i + ch);
	}
}
