/* sysinfo.h - the machine block recorded with every result. */
#ifndef CONCBENCH_SYSINFO_H
#define CONCBENCH_SYSINFO_H

#include <stdio.h>

struct machine {
	char host[128];
	char cpu_model[128];
	unsigned cpus_online;
	unsigned cpus_affinity; /* CPUs in this process's affinity mask */
	char cgroup_cpus[32]; /* cgroup v2 cpu.max as CPUs ("1.5"), or "max" */
	char kernel[200];
	char compiler[96];
	char cflags[160];
	char version[32];
	char git_rev[48];
	double load_start; /* 1-minute load average when collected */
};

/* Fill m from /proc, /sys, uname and the build. Can't fail: unknown
 * fields read "unknown". */
void machine_collect(struct machine *m);

/* 1-minute load average now, or NaN. */
double machine_loadavg(void);

/* Print `key: value` lines (the `sysinfo` subcommand). */
void machine_print(FILE *f, const struct machine *m);

#endif
