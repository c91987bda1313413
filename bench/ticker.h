/* ticker.h - a way out of plain blocking calls for the ipc and ctxswitch
 * benches.
 *
 * perf bench sched pipe blocks in read(); guarding each read with poll()
 * would add a syscall per message (measured: +30% on a pipe round trip).
 * Instead each bench body arms a per-thread timer that sends it a signal
 * with a no-op handler every TICKER_PERIOD_S: a blocked read()/write()
 * returns EINTR, the body looks at cb_should_stop() and blocks again. One
 * signal per 100 ms costs nothing measurable, and nothing waits for ever.
 */
#ifndef CONCBENCH_BENCH_TICKER_H
#define CONCBENCH_BENCH_TICKER_H

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TICKER_PERIOD_S 0.1
#define TICKER_SIGNAL (SIGRTMIN + 7)

static void ticker_handler(int sig)
{
	(void)sig;
}

/* Install the no-op handler, without SA_RESTART so blocking calls return
 * EINTR. Process-wide and idempotent; forked workers inherit it. 0 or a
 * negative errno. */
static inline int ticker_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ticker_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(TICKER_SIGNAL, &sa, NULL) ? -errno : 0;
}

/* Arm a timer that interrupts the calling thread every TICKER_PERIOD_S.
 * 0 or a negative errno. Disarm with ticker_stop(). */
static inline int ticker_start(timer_t *t)
{
	struct sigevent sev;
	struct itimerspec its = {{0, (long)(TICKER_PERIOD_S * 1e9)},
	                         {0, (long)(TICKER_PERIOD_S * 1e9)}};

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = TICKER_SIGNAL;
	sev._sigev_un._tid = gettid(); /* sigev_notify_thread_id */
	if (timer_create(CLOCK_MONOTONIC, &sev, t))
		return -errno;
	if (timer_settime(*t, 0, &its, NULL)) {
		int e = errno;

		timer_delete(*t);
		return -e;
	}
	return 0;
}

/* Disarm and free the timer. A signal already queued still finds the
 * no-op handler. Can't fail. */
static inline void ticker_stop(timer_t t)
{
	timer_delete(t);
}

#endif
