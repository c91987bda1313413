/* mix.h - the splitmix64 finaliser, the one hash behind every generated
 * input, counter-based random stream and seeded shuffle of concbench. */
#ifndef CONCBENCH_MIX_H
#define CONCBENCH_MIX_H

#include <stdint.h>

/* The golden-ratio increment of splitmix64's state. */
#define CB_GOLDEN64 0x9e3779b97f4a7c15ULL

/* A well-mixed 64-bit hash of z (splitmix64's output function). Can't fail. */
static inline uint64_t cb_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
