/* gil.c - the emulated GIL. Not built yet: mode `gil` is refused until
 * the CPython algorithm lands here (see gil.h for the contract). */
#include "gil.h"

#include <string.h>

_Thread_local int gil_here;
const bool gil_available = false;

void gil_check_slow(void)
{
}
void gil_release_slow(void)
{
}
void gil_acquire_slow(void)
{
}
void gil_set_interval(double seconds)
{
	(void)seconds;
}
void gil_reset(void)
{
}
void gil_thread_enter(void)
{
}
void gil_thread_exit(void)
{
}
void gil_stats_get(struct gil_stats *out)
{
	memset(out, 0, sizeof(*out));
}
