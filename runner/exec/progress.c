/* progress.c - the status line of progress.h. Single-threaded: only the
 * parent's engine loop calls it. */
#include "progress.h"

#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "../concbench.h"
#include "../base/util.h"

static struct {
	bool on, drawn;
	double t0, last;
	unsigned total, done, round, in_round;
} pg;

void progress_begin(unsigned total)
{
	pg.on = cb_verbosity == 0 && isatty(STDERR_FILENO);
	pg.drawn = false;
	pg.t0 = cb_now();
	pg.last = 0;
	pg.total = total;
	pg.done = 0;
	pg.round = 0;
	pg.in_round = 0;
}

void progress_tick(unsigned round, unsigned rounds)
{
	double now, el;
	char left[32] = "?";

	if (!pg.on)
		return;
	if (round != pg.round) {
		pg.round = round;
		pg.in_round = 0;
	}
	pg.in_round++;
	pg.done++;
	if (pg.done > pg.total)
		pg.total = pg.done; /* --precision added a round */
	now = cb_now();
	if (pg.drawn && now - pg.last < 0.2)
		return;
	pg.last = now;
	el = now - pg.t0;
	if (pg.done > 1)
		fmt_seconds(left, sizeof(left),
		            el / (double)(pg.done - 1) * (double)(pg.total - pg.done + 1));
	fprintf(stderr,
	        "\rconcbench: round %u/%u, cell %u of %u, rep %u/%u, %.1f s elapsed, "
	        "~%s left\033[K",
	        round + 1, rounds, pg.in_round, rounds ? pg.total / rounds : pg.total, pg.done,
	        pg.total, el, left);
	fflush(stderr);
	pg.drawn = true;
}

void progress_end(void)
{
	if (pg.on && pg.drawn)
		fputs("\r\033[K", stderr);
	pg.on = pg.drawn = false;
}
