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
	sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: blocking waits return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int signals_exit_status(void)
{
	return 128 + cb_interrupted;
}
