/* inject.c - the faults of --inject. */
#include "inject.h"

#include "../gil.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum fault { FAULT_NONE, FAULT_KILL, FAULT_SEGV, FAULT_HANG, FAULT_FAIL };

#define MAX_FAULTS 16
static struct {
	enum fault kind;
	unsigned task;
} faults[MAX_FAULTS];
static unsigned nfaults;
static double slow_frac; /* slow=PCT: extra time per task, as a fraction of its own */
static double slowcpu_frac; /* slowcpu=PCT: the probe after every other rep, slower */
static bool slowcpu_all; /* slowcpu-all=PCT: after every rep */
static double before_frac; /* slowcpu-before=PCT: the probe before every rep, slower */
static unsigned long probes; /* inject_probe_scale calls */

int inject_parse(const char *spec)
{
	static const char *const names[] = {"", "kill", "segv", "hang", "fail"};
	char buf[256], *tok, *save = NULL;

	nfaults = 0;
	slow_frac = slowcpu_frac = before_frac = 0;
	slowcpu_all = false;
	probes = 0;
	if (!spec || !*spec || strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *at = strchr(tok, '@'), *end;
		unsigned long task;
		int kind = 0;

		if (strncmp(tok, "slow=", 5) == 0 || strncmp(tok, "slowcpu=", 8) == 0 ||
		    strncmp(tok, "slowcpu-all=", 12) == 0 ||
		    strncmp(tok, "slowcpu-before=", 15) == 0) {
			bool cpu = tok[4] == 'c', all = strncmp(tok, "slowcpu-all=", 12) == 0,
			     before = strncmp(tok, "slowcpu-before=", 15) == 0;
			const char *num = strchr(tok, '=') + 1;
			double v;

			errno = 0;
			v = strtod(num, &end);
			if (end == num || errno || *end != '%' || end[1] || !(v > 0) || v > 1000)
				return -EINVAL;
			*(before ? &before_frac : cpu ? &slowcpu_frac : &slow_frac) = v / 100;
			slowcpu_all |= all;
			continue;
		}
		if (!at || nfaults == MAX_FAULTS)
			return -EINVAL;
		*at = '\0';
		for (int k = 1; k <= FAULT_FAIL; k++)
			if (strcmp(tok, names[k]) == 0)
				kind = k;
		task = strtoul(at + 1, &end, 10);
		if (!kind || !at[1] || *end || task > 100000000UL)
			return -EINVAL;
		faults[nfaults].kind = (enum fault)kind;
		faults[nfaults].task = (unsigned)task;
		nfaults++;
	}
	return 0;
}

int inject_before_task(unsigned i)
{
	for (unsigned k = 0; k < nfaults; k++) {
		if (faults[k].task != i)
			continue;
		switch (faults[k].kind) {
		case FAULT_KILL:
			raise(SIGKILL);
			break;
		case FAULT_SEGV:
			raise(SIGSEGV);
			break;
		case FAULT_HANG:
			for (;;)
				pause();
		case FAULT_FAIL:
			return -EIO;
		case FAULT_NONE:
			break;
		}
	}
	return 0;
}

static double clock_s(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double inject_probe_scale(void)
{
	return slowcpu_frac > 0 && (slowcpu_all || probes++ % 2 == 0) ? 1 + slowcpu_frac : 1;
}

double inject_probe_before_scale(void)
{
	return 1 + before_frac;
}

void inject_mark(struct inject_mark *m)
{
	m->wall = m->cpu = 0;
	if (slow_frac > 0) {
		m->wall = clock_s(CLOCK_MONOTONIC);
		m->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID);
	}
}

void inject_after_task(const struct inject_mark *m)
{
	double wall, cpu, cpu_until, wall_until;

	if (!(slow_frac > 0))
		return;
	wall = clock_s(CLOCK_MONOTONIC);
	cpu = clock_s(CLOCK_THREAD_CPUTIME_ID);
	/* the task's CPU work PCT% again, and PCT% of its time off the CPU
	 * (blocked, sleeping) as more wall time: a spin that only watched the
	 * wall clock would overshoot by a scheduler time slice whenever the
	 * machine is busy */
	cpu_until = cpu + slow_frac * (cpu - m->cpu);
	wall_until = wall + slow_frac * fmax(0, (wall - m->wall) - (cpu - m->cpu));
	while (cpu < cpu_until || wall < wall_until) {
		gil_check(); /* like the task's own loops: gil mode can switch */
		cpu = clock_s(CLOCK_THREAD_CPUTIME_ID);
		wall = clock_s(CLOCK_MONOTONIC);
	}
}
