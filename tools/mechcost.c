/* mechcost - what collecting the mechanism figures costs a worker per rep:
 * one mech_begin + mech_end pair (the only reads a worker makes, both
 * outside its task loop), timed over many pairs on this thread. Prints the
 * mean in microseconds. Used by scripts/bench-explain.sh. */
#include <stdio.h>
#include <stdlib.h>

#include "../runner/concbench.h"
#include "../runner/exec/mech.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	struct mech_worker w = {.open = false};
	struct mech_counts d;
	double t0, t1;

	mech_open(&w);
	t0 = cb_now();
	for (long i = 0; i < n; i++) {
		mech_begin(&w);
		mech_end(&w, &d);
	}
	t1 = cb_now();
	mech_close(&w);
	printf("%.2f\n", (t1 - t0) / (double)n * 1e6);
	return 0;
}
