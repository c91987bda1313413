/* sysinfo.c - host, CPU, cgroup limit, kernel, build: the machine block;
 * and the system checks, in the spirit of `pyperf system show`. */
#include "sysinfo.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "noise.h"
#include "../concbench.h"

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

/* Open /proc or /sys path under $CONCBENCH_SYSROOT when set (tests). */
static FILE *sys_fopen(const char *path)
{
	const char *root = getenv("CONCBENCH_SYSROOT");
	char full[4096];

	if (!root || !*root)
		return fopen(path, "r");
	snprintf(full, sizeof(full), "%s%s", root, path);
	return fopen(full, "r");
}

/* The first line of a /proc or /sys file, without its newline; 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = sys_fopen(path);
	int rc = -1;

	if (!f)
		return -1;
	if (fgets(buf, (int)len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		rc = 0;
	}
	fclose(f);
	return rc;
}

/* This process's cgroup CPU quota in CPUs, or 0 for none (v2 cpu.max of
 * its own cgroup, else v1 cpu.cfs_quota_us / cpu.cfs_period_us). */
static double cgroup_quota(char *where, size_t len)
{
	char line[512], path[1100], buf[64];
	char v2[512] = "", v1[512] = "";
	FILE *f = sys_fopen("/proc/self/cgroup");
	double quota = 0;

	snprintf(where, len, "none");
	while (f && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *grp = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!grp)
			continue;
		grp[strcspn(grp, "\n")] = '\0';
		if (strncmp(ctl, "::", 2) == 0)
			snprintf(v2, sizeof(v2), "%s", grp + 1);
		else if (strstr(ctl, ":cpu,") || strstr(ctl, ",cpu:") ||
		         strncmp(ctl, ":cpu:", 5) == 0)
			snprintf(v1, sizeof(v1), "%s", grp + 1);
	}
	if (f)
		fclose(f);
	for (int k = 0; k < 2; k++) {
		long period;
		char q[32];

		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max", k ? "" : v2);
		if (read_line(path, buf, sizeof(buf)) == 0) {
			if (sscanf(buf, "%31s %ld", q, &period) == 2 && strcmp(q, "max") &&
			    period > 0) {
				quota = strtod(q, NULL) / (double)period;
				snprintf(where, len, "cpu.max %s", buf);
			}
			return quota;
		}
	}
	for (int k = 0; k < 2; k++) {
		char qb[32], pb[32];

		snprintf(path, sizeof(path), "/sys/fs/cgroup/cpu%s/cpu.cfs_quota_us", k ? "" : v1);
		if (read_line(path, qb, sizeof(qb)))
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup/cpu%s/cpu.cfs_period_us", k ? "" : v1);
		if (read_line(path, pb, sizeof(pb)) == 0 && atol(qb) > 0 && atol(pb) > 0) {
			quota = (double)atol(qb) / (double)atol(pb);
			snprintf(where, len, "cfs_quota_us %s / cfs_period_us %s", qb, pb);
		}
		return quota;
	}
	return 0;
}

static void cgroup_cpus(char *out, size_t len)
{
	char where[256];
	double q = cgroup_quota(where, sizeof(where));

	if (q > 0)
		snprintf(out, len, "%.2f", q);
	else
		snprintf(out, len, "max");
}

/* ---- system checks ---------------------------------------------------- */

/* The check called name, or NULL. */
static struct sys_check *check_find(struct machine *m, const char *name)
{
	for (unsigned i = 0; i < m->nchecks; i++)
		if (strcmp(m->checks[i].name, name) == 0)
			return &m->checks[i];
	return NULL;
}

static struct sys_check *check_add(struct machine *m, const char *name)
{
	struct sys_check *c = &m->checks[m->nchecks++];

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->status = CHECK_NA;
	return c;
}

static void found(struct sys_check *c, enum check_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void found(struct sys_check *c, enum check_status st, const char *fmt, ...)
{
	va_list ap;

	c->status = st;
	va_start(ap, fmt);
	vsnprintf(c->found, sizeof(c->found), fmt, ap);
	va_end(ap);
}

static void advise(struct sys_check *c, const char *text)
{
	snprintf(c->advice, sizeof(c->advice), "%s", text);
}

/* The CPUs of the affinity mask (at most cap). */
static unsigned mask_list(unsigned *cpus, unsigned cap)
{
	cpu_set_t set;
	unsigned n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (unsigned c = 0; c < CPU_SETSIZE && n < cap; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

static void check_governor(struct machine *m, const unsigned *cpus, unsigned n)
{
	struct sys_check *c = check_add(m, "governor");
	char path[128], gov[64], other[64] = "";
	unsigned seen = 0, slow = 0;

	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path),
		         "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor", cpus[i]);
		if (read_line(path, gov, sizeof(gov)))
			continue;
		seen++;
		if (strcmp(gov, "performance") != 0) {
			slow++;
			snprintf(other, sizeof(other), "%s", gov);
		}
	}
	if (!seen) {
		found(c, CHECK_NA, "no cpufreq governor exposed (a VM, or no cpufreq driver)");
	} else if (slow) {
		found(c, CHECK_WARN, "%s on %u of %u CPUs used", other, slow, seen);
		advise(c, "the clock speed follows the load: sudo cpupower frequency-set -g "
		          "performance");
	} else {
		found(c, CHECK_OK, "performance on all %u CPUs used", seen);
	}
}

static void check_boost(struct machine *m)
{
	struct sys_check *c = check_add(m, "boost");
	char v[16];

	if (read_line("/sys/devices/system/cpu/intel_pstate/no_turbo", v, sizeof(v)) == 0) {
		if (atoi(v) == 1) {
			found(c, CHECK_OK, "turbo off (intel_pstate/no_turbo=1)");
		} else {
			found(c, CHECK_WARN, "turbo on (intel_pstate/no_turbo=0)");
			advise(c,
			       "clock speed depends on temperature and how many cores are busy: "
			       "echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo");
		}
	} else if (read_line("/sys/devices/system/cpu/cpufreq/boost", v, sizeof(v)) == 0) {
		if (atoi(v) == 0) {
			found(c, CHECK_OK, "boost off (cpufreq/boost=0)");
		} else {
			found(c, CHECK_WARN, "boost on (cpufreq/boost=1)");
			advise(c, "clock speed depends on temperature and how many cores are busy: "
			          "echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost");
		}
	} else {
		found(c, CHECK_NA, "no boost control exposed (a VM, or no cpufreq driver)");
	}
}

static void check_smt(struct machine *m, const unsigned *cpus, unsigned n)
{
	struct sys_check *c = check_add(m, "smt");
	char path[128], sib[64];
	unsigned shared = 0, known = 0, a = 0, b = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned first;

		snprintf(path, sizeof(path),
		         "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", cpus[i]);
		if (read_line(path, sib, sizeof(sib)) || sscanf(sib, "%u", &first) != 1)
			continue;
		known++;
		for (unsigned j = 0; j < n; j++) {
			if (j == i || cpus[j] == first || first != cpus[i])
				continue;
			/* cpus[i] is its core's first sibling: is another used CPU on it? */
			snprintf(path, sizeof(path),
			         "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list",
			         cpus[j]);
			if (read_line(path, sib, sizeof(sib)) == 0 &&
			    (unsigned)atoi(sib) == first) {
				shared++;
				a = cpus[i];
				b = cpus[j];
			}
		}
	}
	if (!known) {
		found(c, CHECK_NA, "no CPU topology exposed");
	} else if (shared) {
		found(c, CHECK_WARN, "%u pair(s) of CPUs used are SMT siblings, e.g. %u and %u",
		      shared, a, b);
		advise(c,
		       "two workers on one core share it: --pin=spread (or --pin=compact to "
		       "measure that), or echo off | sudo tee /sys/devices/system/cpu/smt/control");
	} else {
		found(c, CHECK_OK, "no two CPUs used share a core");
	}
}

static void check_aslr(struct machine *m)
{
	struct sys_check *c = check_add(m, "aslr");
	char v[16];

	if (read_line("/proc/sys/kernel/randomize_va_space", v, sizeof(v))) {
		found(c, CHECK_NA, "randomize_va_space not readable");
	} else if (atoi(v) == 0) {
		found(c, CHECK_OK, "off (randomize_va_space=0)");
	} else {
		found(c, CHECK_WARN, "on (randomize_va_space=%s): layout changes per invocation",
		      v);
		advise(c, "run-to-run differences from code and stack placement: sudo sysctl "
		          "kernel.randomize_va_space=0, or run under setarch -R");
	}
}

static void check_thp(struct machine *m)
{
	struct sys_check *c = check_add(m, "thp");
	char v[128];

	if (read_line("/sys/kernel/mm/transparent_hugepage/enabled", v, sizeof(v))) {
		found(c, CHECK_NA, "transparent_hugepage not exposed");
	} else if (strstr(v, "[always]")) {
		found(c, CHECK_WARN, "always: khugepaged collapses pages during reps");
		advise(c, "echo madvise | sudo tee /sys/kernel/mm/transparent_hugepage/enabled");
	} else {
		found(c, CHECK_OK, "%s", v);
	}
}

struct cpu_times {
	unsigned long long busy, steal, total;
};

static int stat_sample(struct cpu_times *t)
{
	unsigned long long v[10] = {0};
	char line[512];
	int k;

	if (read_line("/proc/stat", line, sizeof(line)) || strncmp(line, "cpu ", 4))
		return -1;
	k = sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	           &v[4], &v[5], &v[6], &v[7]);
	if (k < 4)
		return -1;
	/* user nice system idle iowait irq softirq steal */
	t->total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	t->busy = v[0] + v[1] + v[2] + v[5] + v[6];
	t->steal = v[7];
	return 0;
}

/* Load from /proc/stat over 100 ms (this process sleeps meanwhile), and
 * the steal time the hypervisor took in that window. */
static void check_load_steal(struct machine *m)
{
	struct sys_check *load = check_add(m, "load"), *steal = check_add(m, "steal");
	struct cpu_times a, b;
	struct timespec ts = {0, 100 * 1000 * 1000};
	double tot, busy, st;

	if (stat_sample(&a) || (nanosleep(&ts, NULL), stat_sample(&b)) || b.total <= a.total) {
		found(load, CHECK_NA, "/proc/stat not readable; loadavg %.2f", m->load_start);
		found(steal, CHECK_NA, "/proc/stat not readable");
		return;
	}
	tot = (double)(b.total - a.total);
	busy = (double)(b.busy - a.busy) / tot;
	st = (double)(b.steal - a.steal) / tot;
	if (busy > 0.10) {
		found(load, CHECK_WARN, "other work keeps %.0f%% of the CPUs busy; loadavg %.2f",
		      100 * busy, m->load_start);
		advise(load, "other processes share the CPUs: stop them (see top), or expect wide "
		             "intervals (--precision adds reps)");
	} else {
		found(load, CHECK_OK, "%.0f%% busy; loadavg %.2f", 100 * busy, m->load_start);
	}
	if (st > 0.01) {
		found(steal, CHECK_WARN, "the hypervisor took %.1f%% of CPU time", 100 * st);
		advise(steal, "the host is oversubscribed: a dedicated or larger instance, or a "
		              "quieter time");
	} else {
		found(steal, CHECK_OK, "%.1f%% of CPU time", 100 * st);
	}
}

static void check_cgroup(struct machine *m)
{
	struct sys_check *c = check_add(m, "cgroup");
	char where[300];
	double q = cgroup_quota(where, sizeof(where));

	if (q <= 0) {
		found(c, CHECK_OK, "no CPU quota");
	} else if (q < (double)m->cpus_affinity) {
		found(c, CHECK_WARN, "quota %.2f CPUs < %u CPUs usable (%s)", q, m->cpus_affinity,
		      where);
		advise(c, "the quota throttles parallel modes: raise it (docker --cpus, systemd "
		          "CPUQuota=) or keep --workers within it");
	} else {
		found(c, CHECK_OK, "quota %.2f CPUs (%s)", q, where);
	}
}

/* "1-3,5" → bitmap; 0 or -1. */
static int parse_cpu_list(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	while (*s) {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;

		if (end == s)
			return -1;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long c = lo; c <= hi && c < CPU_SETSIZE; c++)
			CPU_SET(c, set);
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

static void check_isolated(struct machine *m, const unsigned *cpus, unsigned n)
{
	struct sys_check *c = check_add(m, "isolated");
	char v[256];
	cpu_set_t iso;
	unsigned in = 0;

	if (read_line("/sys/devices/system/cpu/isolated", v, sizeof(v))) {
		found(c, CHECK_NA, "isolated CPUs not exposed");
		return;
	}
	if (!*v || parse_cpu_list(v, &iso)) {
		found(c, CHECK_WARN, "none: the scheduler puts other work on every CPU");
		advise(c, "boot with isolcpus=1-N nohz_full=1-N rcu_nocbs=1-N, then run under "
		          "taskset -c 1-N");
		return;
	}
	for (unsigned i = 0; i < n; i++)
		in += CPU_ISSET(cpus[i], &iso) != 0;
	if (in == n) {
		found(c, CHECK_OK, "every CPU used is isolated (%s)", v);
	} else {
		found(c, CHECK_WARN, "isolated %s, but %u of the %u CPUs used are not", v, n - in,
		      n);
		advise(c, "run on the isolated CPUs only: taskset -c LIST concbench …");
	}
}

static void check_perf(struct machine *m)
{
	struct sys_check *c = check_add(m, "perf");
	struct perf_event_attr a;
	char par[16] = "?";
	long fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	read_line("/proc/sys/kernel/perf_event_paranoid", par, sizeof(par));
	fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd >= 0) {
		close((int)fd);
		found(c, CHECK_OK, "hardware counters readable (perf_event_paranoid=%s)", par);
	} else if (errno == EACCES || errno == EPERM) {
		found(c, CHECK_WARN, "not permitted (perf_event_paranoid=%s)", par);
		advise(
		    c,
		    "perf stat can't explain a result: sudo sysctl kernel.perf_event_paranoid=1");
	} else {
		found(c, CHECK_WARN, "no hardware counters: %s (a VM without a virtual PMU?)",
		      strerror(errno));
		advise(c, "perf stat can count only software events here; enable the vPMU of the "
		          "VM if you need counters");
	}
}

static void check_vm(struct machine *m)
{
	struct sys_check *c = check_add(m, "vm");
	FILE *f = sys_fopen("/proc/cpuinfo");
	char line[4096], vendor[128] = "";
	bool hv = false;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0 && strstr(line, " hypervisor")) {
			hv = true;
			break;
		}
	if (f)
		fclose(f);
	read_line("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	if (hv) {
		found(c, CHECK_WARN, "a virtual machine%s%s", *vendor ? ": " : "", vendor);
		advise(c, "vCPU speed depends on the host and its other guests: watch steal and "
		          "cpu_speed, pin (--pin), or use bare metal");
	} else {
		found(c, CHECK_OK, "no hypervisor flag%s%s", *vendor ? "; " : "", vendor);
	}
}

static void check_cpu_speed(struct machine *m)
{
	struct sys_check *c = check_add(m, "cpu_speed");
	double sp = cpucal_spread(&m->cal_start);
	char list[256];

	cpucal_format(&m->cal_start, list, sizeof(list));
	if (isnan(sp)) {
		found(c, CHECK_NA, "one CPU: nothing to compare (%s)", list);
	} else if (sp > CPUCAL_SPREAD_WARN) {
		found(c, CHECK_WARN, "CPUs differ by %.0f%%: %s", 100 * sp, list);
		advise(c, "a worker's speed depends on its CPU: pin (--pin) so seq and worker 0 "
		          "share one, and rerun when the CPUs agree");
	} else {
		found(c, CHECK_OK, "within %.0f%%: %s", 100 * sp, list);
	}
}

static void machine_check(struct machine *m)
{
	unsigned cpus[CPUCAL_MAX];
	unsigned n = mask_list(cpus, CPUCAL_MAX);

	m->nchecks = 0;
	check_governor(m, cpus, n);
	check_boost(m);
	check_smt(m, cpus, n);
	check_aslr(m);
	check_thp(m);
	check_load_steal(m);
	check_cgroup(m);
	check_isolated(m, cpus, n);
	check_perf(m);
	check_vm(m);
	check_cpu_speed(m);
	found(check_add(m, "cpu_steady"), CHECK_NA,
	      "sampled by sysinfo --check; a run flags each rep whose CPU ran slowed (noisy "
	      "column: slow-cpu)");
}

static const char *const status_names[] = {
    [CHECK_OK] = "OK",
    [CHECK_WARN] = "WARN",
    [CHECK_NA] = "n/a",
};

void machine_checks_print(FILE *f, const struct machine *m)
{
	for (unsigned i = 0; i < m->nchecks; i++) {
		const struct sys_check *c = &m->checks[i];

		fprintf(f, "%-5s %-10s %s\n", status_names[c->status], c->name, c->found);
		if (c->status == CHECK_WARN && *c->advice)
			fprintf(f, "      %-10s -> %s\n", "", c->advice);
	}
}

/* Samples of machine_check_steady(): a round of probes every 25 ms. */
#define STEADY_EVERY_S 0.025

void machine_check_steady(struct machine *m, double seconds, double (*scale)(void))
{
	const struct cpucal *cal = &m->cal_start;
	struct sys_check *c;
	double best[CPUCAL_MAX], t[CPUCAL_MAX];
	unsigned rounds = (unsigned)fmax(1, seconds / STEADY_EVERY_S), total = 0, slowed = 0;
	unsigned per_cpu[CPUCAL_MAX] = {0}, worst = 0, done;
	double *samples;

	c = check_find(m, "cpu_steady");
	if (!c || !cal->n)
		return;
	samples = malloc((size_t)rounds * cal->n * sizeof(*samples));
	if (!samples) {
		found(c, CHECK_NA, "no memory to sample");
		return;
	}
	for (unsigned k = 0; k < cal->n; k++)
		best[k] = cal->fp_s[k];
	for (done = 0; done < rounds && !cb_interrupted; done++) {
		struct timespec ts = {0, (long)(STEADY_EVERY_S * 1e9)};
		double f = scale ? scale() : 1;

		cpucal_probe(cal->cpu, cal->n, t);
		for (unsigned k = 0; k < cal->n; k++) {
			samples[(size_t)done * cal->n + k] = t[k] * f;
			best[k] = fmin(best[k], t[k] * f);
		}
		nanosleep(&ts, NULL);
	}
	for (unsigned r = 0; r < done; r++)
		for (unsigned k = 0; k < cal->n; k++) {
			double v = samples[(size_t)r * cal->n + k],
			       b = cpucal_class_best(cal, best, k);

			if (isnan(v) || !(b > 0))
				continue;
			total++;
			if (v / b - 1 > NOISE_SLOW_CPU) {
				slowed++;
				if (++per_cpu[k] > per_cpu[worst])
					worst = k;
			}
		}
	free(samples);
	if (!total) {
		found(c, CHECK_NA, "no CPU could be probed");
	} else if (slowed * 20 >= total) {
		found(
		    c, CHECK_WARN,
		    "a CPU ran the probe over %.0f%% slower than the best in %u of %u samples over "
		    "%.1f s (CPU %u: %u of %u)",
		    100 * NOISE_SLOW_CPU, slowed, total, done * STEADY_EVERY_S, cal->cpu[worst],
		    per_cpu[worst], done);
		advise(c, "another guest or an SMT sibling slows these CPUs for seconds at a time: "
		          "reps get flagged slow-cpu and compare often can't decide (exit 3); gate "
		          "on a runner without it, or use --precision");
	} else {
		found(c, CHECK_OK,
		      "%u of %u samples over %.1f s ran over %.0f%% slower than the best", slowed,
		      total, done * STEADY_EVERY_S, 100 * NOISE_SLOW_CPU);
	}
}

enum check_status machine_check_status(const struct machine *m, const char *name)
{
	const struct sys_check *c = check_find((struct machine *)m, name);

	return c ? c->status : CHECK_NA;
}

unsigned machine_warnings(const struct machine *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->nchecks; i++)
		n += m->checks[i].status == CHECK_WARN;
	return n;
}

void machine_checks_summary(const struct machine *m, char *buf, size_t len)
{
	size_t o = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < m->nchecks && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s=%s", i ? ";" : "", m->checks[i].name,
		                      m->checks[i].status == CHECK_OK     ? "ok"
		                      : m->checks[i].status == CHECK_WARN ? "WARN"
		                                                          : "n/a");
}

int machine_cpu_warning(const struct machine *m, char *buf, size_t len)
{
	double sp = cpucal_spread(&m->cal_start), sp_end = cpucal_spread(&m->cal_end);
	double drift = cpucal_drift(&m->cal_start, &m->cal_end);
	char a[256], b[256];

	if (len)
		buf[0] = '\0';
	if (!(sp > CPUCAL_SPREAD_WARN) && !(sp_end > CPUCAL_SPREAD_WARN) &&
	    !(drift > CPUCAL_SPREAD_WARN))
		return 0;
	cpucal_format(&m->cal_start, a, sizeof(a));
	cpucal_format(&m->cal_end, b, sizeof(b));
	snprintf(buf, len,
	         "CPU speeds differ or drifted (calibration kernel, start %s; end %s): speedups "
	         "compare CPUs as well as modes; pin (--pin) so seq runs where worker 0 does",
	         a, *b ? b : "-");
	return 1;
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
	cpucal_measure(&m->cal_start);
	machine_check(m);
}

void machine_collect_end(struct machine *m)
{
	cpucal_measure(&m->cal_end);
}

void machine_print(FILE *f, const struct machine *m)
{
	char speeds[512];

	cpucal_format(&m->cal_start, speeds, sizeof(speeds));
	fprintf(f,
	        "host: %s\ncpu_model: %s\ncpus_online: %u\ncpus_affinity: %u\ncgroup_cpus: %s\n"
	        "kernel: %s\ncompiler: %s\ncflags: %s\nversion: %s\ngit_rev: %s\nloadavg: %.2f\n"
	        "cpu_speed: %s\n",
	        m->host, m->cpu_model, m->cpus_online, m->cpus_affinity, m->cgroup_cpus, m->kernel,
	        m->compiler, m->cflags, m->version, m->git_rev, m->load_start, speeds);
}
