/* sysinfo.h - the machine block recorded with every result, and the
 * system checks (`concbench sysinfo --check`) that say what to tune. */
#ifndef CONCBENCH_SYSINFO_H
#define CONCBENCH_SYSINFO_H

#include <stdio.h>

#include "cpucal.h"

enum check_status { CHECK_OK, CHECK_WARN, CHECK_NA };

/* One system check: what was found and, for a WARN, what to change. */
struct sys_check {
	const char *name; /* governor, boost, smt, aslr, thp, load, steal, cgroup, isolated,
	                     perf, vm, cpu_speed, cpu_steady */
	enum check_status status;
	char found[160];
	char advice[200]; /* the change and its command; "" unless WARN */
};

#define SYS_CHECKS_MAX 16

struct machine {
	char host[128];
	char cpu_model[128];
	unsigned cpus_online;
	unsigned cpus_affinity; /* CPUs in this process's affinity mask */
	char cgroup_cpus[32]; /* cgroup CPU quota as CPUs ("1.50"), or "max" */
	char kernel[200];
	char compiler[96];
	char cflags[160];
	char version[32];
	char git_rev[48];
	double load_start; /* 1-minute load average when collected */
	struct cpucal cal_start, cal_end; /* per-CPU speed at the start, end of the run */
	struct sys_check checks[SYS_CHECKS_MAX];
	unsigned nchecks;
};

/* Fill m from /proc, /sys, uname and the build; run the system checks
 * (sampling /proc/stat for 100 ms) and the start calibration. Can't fail:
 * unknown fields read "unknown", a check that can't look is n/a.
 * CONCBENCH_SYSROOT, when set, is prefixed to every /proc and /sys path the
 * checks read (testing only). */
void machine_collect(struct machine *m);

/* sysinfo --check: every calibrated CPU's floating-point probe (base/cpucal.h)
 * every 25 ms for `seconds`; the cpu_steady check gets how many samples ran
 * more than NOISE_SLOW_CPU slower than the best of their class, WARN at 5%
 * or more (a run leaves it n/a: each rep carries its own probe). scale, when
 * not NULL, multiplies each round's times (testing: --inject=slowcpu).
 * Stops early on SIGINT/SIGTERM. Can't fail. */
void machine_check_steady(struct machine *m, double seconds, double (*scale)(void));

/* The end-of-run calibration (m->cal_end). Can't fail. */
void machine_collect_end(struct machine *m);

/* 1-minute load average now, or NaN. */
double machine_loadavg(void);

/* Print `key: value` lines (the `sysinfo` subcommand). */
void machine_print(FILE *f, const struct machine *m);

/* Print one line per check: `OK    name  found`, and for a WARN an indented
 * `-> advice` line. */
void machine_checks_print(FILE *f, const struct machine *m);

/* The status of the check called `name`; CHECK_NA when there is none. */
enum check_status machine_check_status(const struct machine *m, const char *name);

/* Number of checks that are WARN. */
unsigned machine_warnings(const struct machine *m);

/* "governor=n/a;boost=n/a;smt=ok;aslr=WARN;…" in buf (the CSV sys_checks
 * column). Truncates to len. */
void machine_checks_summary(const struct machine *m, char *buf, size_t len);

/* When the CPUs' calibrated speeds differ, or drifted during the run, by
 * more than CPUCAL_SPREAD_WARN: a one-line warning in buf and 1; else 0
 * and "". */
int machine_cpu_warning(const struct machine *m, char *buf, size_t len);

#endif
