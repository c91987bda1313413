/* plainloop - the harness-cost reference: call a workload's run() for
 * every task in a plain loop, no pool, no result bookkeeping, and print
 * the median wall time of N reps. `make bench-core` compares it with the
 * median of `concbench --mode=seq` on the same workload.
 *
 * usage: plainloop WORKLOAD SIZE REPS */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runner/cli/options.h"
#include "../runner/cli/registry.h"
#include "../runner/base/stats.h"

int main(int argc, char **argv)
{
	const struct workload *w;
	struct task_result *res;
	_Atomic int no_stop = 0;
	struct wl_ctx ctx = {0};
	long size, reps;
	double *t;

	if (argc != 4 || !(w = registry_find(argv[1])) || resolve_size(w, argv[2], &size) ||
	    parse_long(argv[3], 1, 100000, &reps)) {
		fprintf(stderr, "usage: plainloop WORKLOAD SIZE REPS\n");
		return 2;
	}
	ctx.wl = w;
	ctx.size = size;
	ctx.ntasks = w->default_tasks;
	ctx.nworkers = 1;
	ctx.seed = 1;
	ctx.stop = &no_stop;
	res = calloc(ctx.ntasks, sizeof(*res));
	t = calloc((size_t)reps, sizeof(*t));
	if (!res || !t || (w->prepare && w->prepare(&ctx))) {
		fprintf(stderr, "plainloop: %s: %s\n", w->name, ctx.err);
		return 1;
	}
	for (long r = -1; r < reps; r++) { /* r = -1: warmup */
		double t0 = cb_now();

		for (unsigned i = 0; i < ctx.ntasks; i++)
			w->run(&ctx, i, &res[i]);
		if (r >= 0)
			t[r] = cb_now() - t0;
	}
	struct summary s;

	stats_summarize(t, (size_t)reps, &s);
	printf("%.9f\n", s.median);
	if (w->cleanup)
		w->cleanup(&ctx);
	free(res);
	free(t);
	return 0;
}
