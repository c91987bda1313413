/* sysinfo.c - host, CPU, cgroup limit, kernel, build: the machine block. */
#include "sysinfo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "config.h"

#ifndef CONCBENCH_VERSION
#define CONCBENCH_VERSION "0.0.0"
#endif
#ifndef CONCBENCH_GIT_REV
#define CONCBENCH_GIT_REV "unknown"
#endif
#ifndef CONCBENCH_CFLAGS
#define CONCBENCH_CFLAGS "unknown"
#endif

static void cpu_model(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || !colon)
			continue;
		colon += 1 + (colon[1] == ' ');
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, len, "%s", colon);
		break;
	}
	fclose(f);
}

static void cgroup_cpus(char *out, size_t len)
{
	FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
	char quota[32];
	long period;

	snprintf(out, len, "max");
	if (!f)
		return;
	if (fscanf(f, "%31s %ld", quota, &period) == 2 && strcmp(quota, "max") != 0 && period > 0)
		snprintf(out, len, "%.2f", strtod(quota, NULL) / (double)period);
	fclose(f);
}

double machine_loadavg(void)
{
	double l[1];

	return getloadavg(l, 1) == 1 ? l[0] : NAN;
}

void machine_collect(struct machine *m)
{
	struct utsname u;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	memset(m, 0, sizeof(*m));
	if (gethostname(m->host, sizeof(m->host) - 1))
		snprintf(m->host, sizeof(m->host), "unknown");
	cpu_model(m->cpu_model, sizeof(m->cpu_model));
	m->cpus_online = online > 0 ? (unsigned)online : 1;
	m->cpus_affinity = cpus_available();
	cgroup_cpus(m->cgroup_cpus, sizeof(m->cgroup_cpus));
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	else
		snprintf(m->kernel, sizeof(m->kernel), "unknown");
#ifdef __clang__
	snprintf(m->compiler, sizeof(m->compiler), "clang %s", __clang_version__);
#else
	snprintf(m->compiler, sizeof(m->compiler), "gcc %s", __VERSION__);
#endif
	snprintf(m->cflags, sizeof(m->cflags), "%s", CONCBENCH_CFLAGS);
	snprintf(m->version, sizeof(m->version), "%s", CONCBENCH_VERSION);
	snprintf(m->git_rev, sizeof(m->git_rev), "%s", CONCBENCH_GIT_REV);
	m->load_start = machine_loadavg();
}

void machine_print(FILE *f, const struct machine *m)
{
	fprintf(f,
	        "host: %s\ncpu_model: %s\ncpus_online: %u\ncpus_affinity: %u\ncgroup_cpus: %s\n"
	        "kernel: %s\ncompiler: %s\ncflags: %s\nversion: %s\ngit_rev: %s\nloadavg: %.2f\n",
	        m->host, m->cpu_model, m->cpus_online, m->cpus_affinity, m->cgroup_cpus, m->kernel,
	        m->compiler, m->cflags, m->version, m->git_rev, m->load_start);
}
