/* fuzz_image - libFuzzer target for the image readers (PNG via libspng,
 * binary PPM/PGM): any input either decodes to a consistent image or is
 * refused with a reason and nothing allocated; never a crash, a leak or an
 * allocation beyond IMAGE_MAX_PIXELS. Seeds: tests/fuzz/corpus/image/. */
#include <stddef.h>
#include <stdint.h>

#include "../../workloads/image_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image img;
	char why[256];
	unsigned sum = 0;

	why[0] = '\0';
	if (image_decode(data, size, &img, why, sizeof(why)) != 0) {
		if (img.px || !why[0])
			__builtin_trap(); /* refused: nothing allocated, a reason given */
		return 0;
	}
	if (!img.px || !img.w || !img.h || img.w > IMAGE_MAX_SIDE || img.h > IMAGE_MAX_SIDE ||
	    (uint64_t)img.w * img.h > IMAGE_MAX_PIXELS || (img.ch != 1 && img.ch != 3))
		__builtin_trap();
	/* Touch every byte: ASan/MSan see any short buffer. */
	for (size_t i = 0; i < image_bytes(&img); i++)
		sum += img.px[i];
	image_free(&img);
	return (int)(sum & 0);
}
