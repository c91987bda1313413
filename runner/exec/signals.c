/* signals.c - a flag, polled; nothing else happens in the handler. */
#include "signals.h"

#include <string.h>

volatile sig_atomic_t cb_interrupted;

static void on_signal(int sig)
{
	if (!cb_interrupted)
		cb_interrupted = sig;
}

void signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* No SA_RESTART: blocking waits return EINTR. No SA_RESETHAND: the
	 * same signal often arrives twice (timeout(1) signals the child and
	 * then its process group), and cleanup is bounded anyway. */
	sa.sa_flags = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int signals_exit_status(void)
{
	return 128 + cb_interrupted;
}
