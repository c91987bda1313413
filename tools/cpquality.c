/* cpquality.c - detection quality of the change-point detector (make
 * bench-store) on synthetic series with known steps.
 *
 * Generator: x_i = 1 + sigma * z_i for i < 20 and 1 + k sigma + sigma z_i
 * for 20 <= i < 40, z_i standard normal (Box-Muller over splitmix64, seed
 * fixed), sigma = 2% of the level, k in {1, 2, 3, 5}; 2,000 series per k.
 * Recall: a change point found within +-1 run of index 20. False change
 * points: those found in 2,000 step-free series of 40 runs (k = 0), and in
 * the step series those farther than 1 run from the step. Default
 * options of `concbench history` (alpha, minimum change, runs per side). */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "../runner/analysis/changepoint.h"
#include "../runner/mix.h"

#define N 40
#define STEP_AT 20
#define SERIES 2000
#define SIGMA 0.02

static double gauss(uint64_t *s)
{
	double u = ((double)(cb_mix64(*s += CB_GOLDEN64) >> 11) + 0.5) / 9007199254740992.0;
	double v = ((double)(cb_mix64(*s += CB_GOLDEN64) >> 11) + 0.5) / 9007199254740992.0;

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

int main(int argc, char **argv)
{
	static const double ks[] = {0, 1, 2, 3, 5};
	struct cp_opts o = {CP_DEFAULT_ALPHA, CP_DEFAULT_MIN_CHANGE, CP_DEFAULT_MIN_SEG};
	uint64_t seed = 20260101;

	if (argc > 1) /* cpquality [ALPHA [MIN_RUNS [MIN_CHANGE]]]: other options */
		o.alpha = atof(argv[1]);
	if (argc > 2)
		o.min_seg = (size_t)atoi(argv[2]);
	if (argc > 3)
		o.min_change = atof(argv[3]);

	printf("| step (x noise sd) | series | recall (found within +-1 run) | exact index | "
	       "false change points per 100 series |\n|---|---:|---:|---:|---:|\n");
	for (size_t j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
		size_t found = 0, exact = 0, false_cp = 0;

		for (int s = 0; s < SERIES; s++) {
			double x[N];
			struct cp_point p[N];
			int k, hit = 0;

			for (int i = 0; i < N; i++)
				x[i] =
				    1 + (i >= STEP_AT ? ks[j] * SIGMA : 0) + SIGMA * gauss(&seed);
			k = cp_detect(x, N, &o, p, N);
			for (int c = 0; c < k; c++) {
				long d = (long)p[c].at - STEP_AT;

				if (ks[j] > 0 && labs(d) <= 1 && !hit) {
					hit = 1;
					exact += d == 0;
				} else {
					false_cp++;
				}
			}
			found += hit;
		}
		if (ks[j] > 0)
			printf("| %g | %d | %.3f | %.3f | %.2f |\n", ks[j], SERIES,
			       (double)found / SERIES, (double)exact / SERIES,
			       100.0 * (double)false_cp / SERIES);
		else
			printf("| none | %d | - | - | %.2f |\n", SERIES,
			       100.0 * (double)false_cp / SERIES);
	}
	printf("\nalpha %g, minimum change %g%%, at least %d runs per side; noise sd %g%% of the "
	       "level; 20 runs on each side of the step.\n",
	       o.alpha, 100 * o.min_change, (int)o.min_seg, 100 * SIGMA);
	return 0;
}
