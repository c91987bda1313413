/* config.c - mode names, the shared parsers and the CPU count. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *const mode_names[MODE__COUNT] = {
    [MODE_SEQ] = "seq",
    [MODE_THREADS] = "threads",
    [MODE_PROCS] = "procs",
    [MODE_GIL] = "gil",
    [MODE_THREAD_PER_TASK] = "thread-per-task",
    [MODE_FORK_PER_TASK] = "fork-per-task",
    [MODE_ASYNC] = "async",
};

const char *const mode_summaries[MODE__COUNT] = {
    [MODE_SEQ] = "one thread runs every task in a loop: the baseline of every speedup",
    [MODE_THREADS] = "a pthread pool started before the clock; tasks taken from a shared counter",
    [MODE_PROCS] = "a pre-forked process pool; tasks and results in MAP_SHARED memory",
    [MODE_GIL] = "the thread pool under an emulated CPython GIL (--switch-interval)",
    [MODE_THREAD_PER_TASK] = "a new thread per task, at most --workers alive, created in the clock",
    [MODE_FORK_PER_TASK] = "a new process per task, at most --workers alive, forked in the clock",
    [MODE_ASYNC] = "an event loop per worker thread, up to --inflight tasks on each at once",
};

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

unsigned cpus_available(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	return 1;
}

int parse_duration(const char *s, double *out_s)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = {{"", 1}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"m", 60}};
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			v *= units[i].scale;
			if (!(v > 0) || !isfinite(v))
				return -ERANGE;
			*out_s = v;
			return 0;
		}
	}
	return -EINVAL;
}

int resolve_size(const struct workload *w, const char *size, long *out)
{
	static const char *const names[] = {"small", "medium", "large"};

	if (!size) {
		*out = w->sizes[1];
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		if (strcmp(size, names[i]) == 0) {
			*out = w->sizes[i];
			return 0;
		}
	}
	return parse_long(size, 1, w->sizes[2] * 64 > 0 ? w->sizes[2] * 64 : 1, out);
}

const char *const pin_names[] = {
    [PIN_NONE] = "none",
    [PIN_MASK] = "mask",
    [PIN_COMPACT] = "compact",
    [PIN_SPREAD] = "spread",
};

int pin_parse(const char *s)
{
	if (strcmp(s, "0") == 0)
		return PIN_NONE;
	if (strcmp(s, "1") == 0)
		return PIN_MASK;
	for (int p = PIN_NONE; p <= PIN_SPREAD; p++)
		if (strcmp(s, pin_names[p]) == 0)
			return p;
	return -1;
}

bool config_scales_sizes(const struct cb_config *cfg)
{
	return cfg->min_rep_time_s > 0 && (!cfg->size || cfg->min_rep_time_given);
}
