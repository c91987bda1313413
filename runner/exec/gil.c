/* gil.c - the emulated GIL, after CPython's Python/ceval_gil.c (3.12+).
 *
 * The GIL is a boolean `locked` under `mutex`, its changes signalled on
 * `cond`. A thread that finds it locked waits on `cond` for one switch
 * interval; if it timed out and the holder is still the same (switch_number
 * unchanged), it sets gil_drop_request. The holder sees the request at its
 * next gil_check(), drops the GIL and - FORCE_SWITCHING - waits on
 * `switch_cond` until another thread has taken it, so the dropping thread
 * cannot grab it right back. A voluntary release (around a blocking call)
 * does not wait - unless a drop request is pending, where it waits for the
 * switch exactly like CPython's drop_gil() does for PyEval_SaveThread():
 * otherwise a thread that releases and re-takes the GIL around frequent
 * short calls, never reaching a gil_check(), could starve the thread that
 * asked for it. The last release of a thread (gil_thread_exit) never waits.
 *
 * Lock order: mutex, then switch_mutex. Fields under mutex: locked,
 * switch_number, interval_s and every counter. last_holder is written
 * under both mutexes and read under either (atomic for the relaxed reads).
 */
#include "../gil.h"
#include "../base/stats.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

/* Give up a switch wait after this long: nothing may hang, and the thread
 * that asked for the GIL can only leave take_gil() by taking it. */
#define SWITCH_WAIT_MAX_S 2.0

/* Wait histogram: log-linear buckets of nanoseconds, HIST_SUB per octave
 * (about 3% resolution), exact below HIST_SUB ns, up to 2^HIST_MAXBIT ns. */
#define HIST_SUBBITS 5
#define HIST_SUB (1u << HIST_SUBBITS)
#define HIST_MAXBIT 42
#define HIST_N ((HIST_MAXBIT - HIST_SUBBITS + 1) * HIST_SUB)

_Thread_local int gil_here;
_Atomic int gil_drop_request;
#ifdef CONCBENCH_NO_GIL_HOOKS
const bool gil_available = false;
#else
const bool gil_available = true;
#endif

static struct {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	pthread_mutex_t switch_mutex;
	pthread_cond_t switch_cond;
	bool locked;
	_Atomic unsigned long last_holder; /* thread id, 0 = none */
	unsigned long switch_number;
	double interval_s;
	/* counters of the rep */
	double wait_s;
	uint64_t switches, forced_drops, drop_requests, acquisitions;
	uint64_t hist[HIST_N];
} gil = {
    .mutex = PTHREAD_MUTEX_INITIALIZER,
    .switch_mutex = PTHREAD_MUTEX_INITIALIZER,
    .interval_s = 5e-3,
};

static pthread_once_t gil_once = PTHREAD_ONCE_INIT;
static _Atomic unsigned long next_thread_id = 1;

/* The calling thread: its id (stable while it lives) and whether it holds. */
static _Thread_local struct gil_thread {
	unsigned long id;
	bool held;
} me;

static void cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

static void gil_init(void)
{
	cond_init_monotonic(&gil.cond);
	cond_init_monotonic(&gil.switch_cond);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct timespec deadline_after(double s)
{
	double t = now_s() + s;
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static unsigned hist_index(uint64_t ns)
{
	unsigned bit;

	if (ns < HIST_SUB)
		return (unsigned)ns;
	if (ns >> HIST_MAXBIT)
		return HIST_N - 1;
	bit = 63u - (unsigned)__builtin_clzll(ns);
	return (bit - HIST_SUBBITS + 1) * HIST_SUB +
	       (unsigned)((ns >> (bit - HIST_SUBBITS)) & (HIST_SUB - 1));
}

/* Middle of bucket `i`, in seconds. */
static double hist_value(unsigned i)
{
	unsigned oct = i / HIST_SUB, sub = i % HIST_SUB;
	double lo, width;

	if (oct == 0)
		return (double)i * 1e-9;
	width = ldexp(1.0, (int)oct - 1);
	lo = (double)(HIST_SUB + sub) * width;
	return (lo + width / 2) * 1e-9;
}

/* The wait at 0-based rank r of the sorted waits: its bucket's middle. */
static double hist_rank_value(uint64_t r)
{
	uint64_t seen = 0;

	for (unsigned i = 0; i < HIST_N; i++) {
		seen += gil.hist[i];
		if (seen > r)
			return hist_value(i);
	}
	return hist_value(HIST_N - 1);
}

/* stats_quantile()'s definition over the histogram: each wait stands at
 * its bucket's middle. 0 when nothing was acquired. */
static double hist_percentile(double p)
{
	size_t i;
	double frac, lo;

	if (gil.acquisitions == 0)
		return 0;
	stats_quantile_pos((size_t)gil.acquisitions, p, &i, &frac);
	lo = hist_rank_value(i);
	return frac == 0 ? lo : lo + frac * (hist_rank_value(i + 1) - lo);
}

/* take_gil(): block until the calling thread holds the GIL. */
static void take_gil(void)
{
	double t0 = now_s(), waited;

	pthread_mutex_lock(&gil.mutex);
	while (gil.locked) {
		unsigned long saved = gil.switch_number;
		struct timespec ts = deadline_after(gil.interval_s);
		int rc = pthread_cond_timedwait(&gil.cond, &gil.mutex, &ts);

		/* Timed out and nobody switched in the meantime: ask the
		 * holder to drop it. */
		if (rc == ETIMEDOUT && gil.locked && gil.switch_number == saved &&
		    !atomic_exchange_explicit(&gil_drop_request, 1, memory_order_relaxed))
			gil.drop_requests++;
	}
	/* switch_mutex guards last_holder against drop_gil()'s switch wait. */
	pthread_mutex_lock(&gil.switch_mutex);
	gil.locked = true;
	if (atomic_load_explicit(&gil.last_holder, memory_order_relaxed) != me.id) {
		atomic_store_explicit(&gil.last_holder, me.id, memory_order_relaxed);
		gil.switch_number++;
		gil.switches++;
	}
	pthread_cond_signal(&gil.switch_cond);
	pthread_mutex_unlock(&gil.switch_mutex);
	atomic_store_explicit(&gil_drop_request, 0, memory_order_relaxed);
	waited = now_s() - t0;
	gil.wait_s += waited;
	gil.acquisitions++;
	gil.hist[hist_index((uint64_t)(waited * 1e9))]++;
	pthread_mutex_unlock(&gil.mutex);
	me.held = true;
}

enum drop_kind {
	DROP_FORCED, /* at gil_check(), because of a drop request */
	DROP_VOLUNTARY, /* around a blocking call */
	DROP_FINAL, /* the thread stops being a GIL thread */
};

/* drop_gil(): release; unless final, wait until another thread took it
 * when a drop request is pending (FORCE_SWITCHING). */
static void drop_gil(enum drop_kind kind)
{
	bool forced = kind == DROP_FORCED;

	me.held = false;
	pthread_mutex_lock(&gil.mutex);
	gil.locked = false;
	if (forced)
		gil.forced_drops++;
	pthread_cond_signal(&gil.cond);
	pthread_mutex_unlock(&gil.mutex);
	if (kind == DROP_FINAL || !atomic_load_explicit(&gil_drop_request, memory_order_relaxed))
		return;
	pthread_mutex_lock(&gil.switch_mutex);
	if (atomic_load_explicit(&gil.last_holder, memory_order_relaxed) == me.id) {
		struct timespec ts = deadline_after(SWITCH_WAIT_MAX_S);

		atomic_store_explicit(&gil_drop_request, 0, memory_order_relaxed);
		/* Not switched yet: wait (bounded) until someone takes it. */
		while (atomic_load_explicit(&gil.last_holder, memory_order_relaxed) == me.id)
			if (pthread_cond_timedwait(&gil.switch_cond, &gil.switch_mutex, &ts) ==
			    ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&gil.switch_mutex);
}

void gil_check_slow(void)
{
	int err = errno;

	if (!me.held || !atomic_load_explicit(&gil_drop_request, memory_order_relaxed))
		return;
	drop_gil(DROP_FORCED);
	take_gil();
	errno = err;
}

void gil_release_slow(void)
{
	int err = errno;

	if (me.held)
		drop_gil(DROP_VOLUNTARY);
	errno = err;
}

void gil_acquire_slow(void)
{
	int err = errno;

	if (!me.held)
		take_gil();
	errno = err;
}

void gil_set_interval(double seconds)
{
	pthread_mutex_lock(&gil.mutex);
	gil.interval_s = seconds > 1e-6 ? seconds : 1e-6;
	pthread_mutex_unlock(&gil.mutex);
}

void gil_reset(void)
{
	pthread_once(&gil_once, gil_init);
	pthread_mutex_lock(&gil.mutex);
	gil.locked = false;
	atomic_store(&gil.last_holder, 0);
	atomic_store(&gil_drop_request, 0);
	gil.switch_number = 0;
	gil.wait_s = 0;
	gil.switches = gil.forced_drops = gil.drop_requests = gil.acquisitions = 0;
	memset(gil.hist, 0, sizeof(gil.hist));
	pthread_mutex_unlock(&gil.mutex);
}

void gil_thread_enter(void)
{
	pthread_once(&gil_once, gil_init);
	if (!me.id)
		me.id = atomic_fetch_add(&next_thread_id, 1);
	gil_here = 1;
	if (!me.held)
		take_gil();
}

void gil_thread_exit(void)
{
	if (me.held)
		drop_gil(DROP_FINAL);
	gil_here = 0;
}

bool gil_held(void)
{
	return me.held;
}

void gil_stats_get(struct gil_stats *out)
{
	pthread_mutex_lock(&gil.mutex);
	out->wait_s = gil.wait_s;
	out->switches = gil.switches;
	out->forced_drops = gil.forced_drops;
	out->drop_requests = gil.drop_requests;
	out->acquisitions = gil.acquisitions;
	out->wait_p50_s = hist_percentile(0.50);
	out->wait_p99_s = hist_percentile(0.99);
	pthread_mutex_unlock(&gil.mutex);
}
