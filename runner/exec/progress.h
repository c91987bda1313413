/* progress.h - one self-overwriting status line on stderr during long
 * runs: round, cell, elapsed and estimated time left. Shown only when
 * stderr is a terminal and neither -q nor -v is given. */
#ifndef CONCBENCH_PROGRESS_H
#define CONCBENCH_PROGRESS_H

/* Start the clock for `total` reps (warmups included). Can't fail. */
void progress_begin(unsigned total);

/* A rep of round `round` (0-based) of `rounds` is about to run. Redraws
 * the line at most every 0.2 s. Can't fail. */
void progress_tick(unsigned round, unsigned rounds);

/* Erase the line. Safe to call without progress_begin. */
void progress_end(void);

#endif
