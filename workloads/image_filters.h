/* image_filters.h - the kernels of the image.* workloads, on row bands.
 *
 * A plane is a window of rows [y0, y1) of an image `h` rows high. A filter
 * computes the rows of `dst` from the rows of `src` it needs; rows above 0 or
 * below h-1 are the edge rows repeated (clamp), so a band computed with its
 * halo equals the same rows of the whole image computed at once, byte for
 * byte, whatever the band boundaries. img_need() says which src rows a band
 * needs; the caller makes sure src holds them.
 *
 * All arithmetic is integer (or exactly representable in float), so results
 * never depend on the band count, the mode or the thread.
 */
#ifndef CONCBENCH_IMAGE_FILTERS_H
#define CONCBENCH_IMAGE_FILTERS_H

#include <stddef.h>
#include <stdint.h>

#define IMG_MAX_RADIUS 64
#define IMG_KERNEL_ONE 4096 /* the blur weights sum to this */

struct plane {
	uint8_t *px; /* row y starts at px + (y - y0) * w * ch */
	uint32_t w, h; /* h: height of the whole image */
	uint32_t ch; /* 1 or 3 */
	uint32_t y0, y1;
};

/* Pointer to row y of p (y0 <= y < y1). */
static inline uint8_t *plane_row(const struct plane *p, uint32_t y)
{
	return p->px + (size_t)(y - p->y0) * p->w * p->ch;
}

/* The src rows [*a, *b) that dst rows [y0, y1) need with a halo of `halo`
 * rows, clamped to [0, h). Can't fail. */
void img_need(uint32_t y0, uint32_t y1, uint32_t halo, uint32_t h, uint32_t *a, uint32_t *b);

/* Gaussian kernel of 2r+1 integer weights summing to IMG_KERNEL_ONE, sigma
 * = r/2. r in 1..IMG_MAX_RADIUS (clamped into it). Can't fail. */
void img_blur_kernel(unsigned r, uint16_t *k);

/* Luma (BT.601, 8-bit fixed point) of an RGB src; a copy of a gray one.
 * dst has 1 channel; no halo. */
void img_gray(const struct plane *src, struct plane *dst);

/* Separable gaussian blur, same channels as src; halo r. `scratch` holds
 * (w + 2r) * ch uint32 values. */
void img_blur(const struct plane *src, struct plane *dst, const uint16_t *k, unsigned r,
              uint32_t *scratch);

/* Sobel edge magnitude min(255, sqrt(gx^2 + gy^2)) of a 1-channel src;
 * dst 1 channel; halo 1. */
void img_sobel(const struct plane *src, struct plane *dst);

/* 3x3 sharpen (5 at the centre, -1 at the four neighbours), per channel,
 * clamped to 0..255; halo 1. */
void img_sharpen(const struct plane *src, struct plane *dst);

#endif
