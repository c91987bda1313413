/* image_io.h - 8-bit images for the image.* workloads: PNG (libspng) and
 * binary PPM/PGM in, PNG out, a generated default image.
 *
 * An image is 1 (gray) or 3 (RGB) interleaved 8-bit channels, rows packed
 * (stride = w * ch). Readers reject a declared size above IMAGE_MAX_SIDE per
 * side or IMAGE_MAX_PIXELS in all *before* allocating pixel memory, so a
 * hostile header cannot make them allocate gigabytes.
 */
#ifndef CONCBENCH_IMAGE_IO_H
#define CONCBENCH_IMAGE_IO_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAX_SIDE 16384u /* pixels per side */
#define IMAGE_MAX_PIXELS (64u << 20) /* 64 Mpixel = 8192 x 8192 */
#define IMAGE_MAX_FILE (1u << 30) /* bytes read from one file */

struct image {
	uint32_t w, h;
	uint32_t ch; /* 1 or 3 */
	uint8_t *px; /* w * h * ch bytes, malloc'd; NULL in an empty image */
};

/* Bytes of pixel data of `img`. Can't fail. */
size_t image_bytes(const struct image *img);

/* Decode a PNG or binary PPM (P6) / PGM (P5) held in memory. PNG gray
 * (bit depth <= 8) stays 1 channel, every other PNG becomes RGB (alpha
 * dropped); 16-bit PPM/PGM samples are scaled to 8 bits. Returns 0 with
 * `out` filled (caller frees with image_free), or -EINVAL with a reason in
 * `why` ("truncated PPM: ...", "4096000x1 exceeds ...") or -ENOMEM. */
int image_decode(const uint8_t *data, size_t len, struct image *out, char *why, size_t whylen);

/* Read and decode the file `path`. Errors as image_decode, plus -EINVAL
 * with strerror text in `why` when the file can't be read. */
int image_load(const char *path, struct image *out, char *why, size_t whylen);

/* Write `img` as an 8-bit PNG to `path` (created, or replaced atomically,
 * through safeio.h; a FIFO or device is streamed into). 0, or a
 * negative errno with a reason in `why`. */
int image_save_png(const char *path, const struct image *img, char *why, size_t whylen);

/* Fill a w x h x ch image with a deterministic pattern (gradients, discs,
 * hard edges and seeded noise) so every filter has work to show. 0 or
 * -ENOMEM / -EINVAL (size out of limits). */
int image_generate(struct image *out, uint32_t w, uint32_t h, uint32_t ch, uint64_t seed);

/* Free the pixels; the image becomes empty. Safe on an empty image. */
void image_free(struct image *img);

#endif
