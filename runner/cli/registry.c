/* registry.c - the one list: workloads/list.def then bench/list.def.
 * `list`, --help and family selection are generated from it. */
#include "registry.h"

#include <string.h>

#define WORKLOAD(sym) extern const struct workload sym;
#include "../../workloads/list.def"
#include "../../bench/list.def"
#undef WORKLOAD

const struct workload *const registry[] = {
#define WORKLOAD(sym) &sym,
#include "../../workloads/list.def"
#include "../../bench/list.def"
#undef WORKLOAD
    NULL,
};

const struct workload *registry_find(const char *name)
{
	for (const struct workload *const *w = registry; *w; w++)
		if (strcmp((*w)->name, name) == 0)
			return *w;
	return NULL;
}
