/* signals.h - SIGINT/SIGTERM: stop the run cleanly, exit 130 / 143. */
#ifndef CONCBENCH_SIGNALS_H
#define CONCBENCH_SIGNALS_H

#include <signal.h>

/* The number of the first SIGINT/SIGTERM received, or 0. Set by the
 * handler; the pool's waits and the engine's loops poll it. */
extern volatile sig_atomic_t cb_interrupted;

/* Install the handlers and ignore SIGPIPE. Forked workers inherit them, so
 * a terminal's Ctrl-C (sent to the whole process group) does not kill a
 * worker before the parent stops and reaps it. Every wait of the runner
 * has a deadline, so the run ends within about a second; SIGKILL remains
 * for the impatient. Can't fail. */

void signals_install(void);

/* The exit status for the signal received: 128 + signal number. */
int signals_exit_status(void);

#endif
