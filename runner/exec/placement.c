/* placement.c - pin orders from the SMT topology, and the CPUs a rep's
 * workers were seen on. */
#include "placement.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"

struct slotkey {
	unsigned cpu, core, rank; /* rank: index among the siblings of its core in the mask */
};

static int by_core(const void *a, const void *b)
{
	const struct slotkey *x = a, *y = b;

	if (x->core != y->core)
		return (x->core > y->core) - (x->core < y->core);
	return (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

static int by_rank(const void *a, const void *b)
{
	const struct slotkey *x = a, *y = b;

	if (x->rank != y->rank)
		return (x->rank > y->rank) - (x->rank < y->rank);
	return by_core(a, b);
}

void placement_sort(enum cb_pin pin, const unsigned *cpus, const unsigned *core, unsigned n,
                    unsigned *out)
{
	struct slotkey *k = calloc(n ? n : 1, sizeof(*k));

	if (!k || pin == PIN_NONE || pin == PIN_MASK) {
		memcpy(out, cpus, n * sizeof(*out));
		free(k);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		k[i] = (struct slotkey){cpus[i], core[i], 0};
		for (unsigned j = 0; j < i; j++)
			k[i].rank += core[j] == core[i];
	}
	qsort(k, n, sizeof(*k), pin == PIN_COMPACT ? by_core : by_rank);
	for (unsigned i = 0; i < n; i++)
		out[i] = k[i].cpu;
	free(k);
}

/* The lowest SMT sibling of cpu: the first number of thread_siblings_list
 * ("0-1", "0,4"). The CPU itself when the file is missing. */
static unsigned core_of(unsigned cpu)
{
	char path[96];
	unsigned first;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list",
	         cpu);
	f = fopen(path, "r");
	if (!f)
		return cpu;
	if (fscanf(f, "%u", &first) != 1)
		first = cpu;
	fclose(f);
	return first;
}

static unsigned mask_cpus(unsigned *cpus, unsigned *core, unsigned cap)
{
	cpu_set_t set;
	unsigned n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (unsigned c = 0; c < CPU_SETSIZE && n < cap; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		cpus[n] = c;
		core[n++] = core_of(c);
	}
	return n;
}

unsigned placement_cpus(enum cb_pin pin, unsigned *out, unsigned cap)
{
	unsigned *cpus = calloc(CPU_SETSIZE, sizeof(*cpus)),
	         *core = calloc(CPU_SETSIZE, sizeof(*core)),
	         *order = calloc(CPU_SETSIZE, sizeof(*order));
	unsigned n = 0;

	if (cpus && core && order) {
		n = mask_cpus(cpus, core, CPU_SETSIZE);
		placement_sort(pin, cpus, core, n, order);
		if (n > cap)
			n = cap;
		memcpy(out, order, n * sizeof(*out));
	}
	free(cpus);
	free(core);
	free(order);
	return n;
}

bool placement_has_smt(void)
{
	unsigned cpus[CPU_SETSIZE], core[CPU_SETSIZE];
	unsigned n = mask_cpus(cpus, core, CPU_SETSIZE);

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < i; j++)
			if (core[i] == core[j])
				return true;
	return false;
}

static bool has_cpu(const unsigned *set, unsigned n, unsigned cpu)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == cpu)
			return true;
	return false;
}

static int by_worker_start(const void *a, const void *b, void *arg)
{
	const struct task_result *res = arg;
	const struct task_result *x = &res[*(const unsigned *)a], *y = &res[*(const unsigned *)b];

	if (x->worker != y->worker)
		return (x->worker > y->worker) - (x->worker < y->worker);
	if (x->t_start != y->t_start)
		return (x->t_start > y->t_start) - (x->t_start < y->t_start);
	return (*(const unsigned *)a > *(const unsigned *)b) -
	       (*(const unsigned *)a < *(const unsigned *)b);
}

/* A task that ran and recorded its CPUs (an unrun task stays zeroed). */
static bool has_cpus(const struct task_result *t)
{
	return t->t_end > 0 && t->cpu_start != CB_NO_CPU && t->cpu_end != CB_NO_CPU;
}

void placement_describe(const struct task_result *res, unsigned ntasks, unsigned nworkers,
                        char *buf, size_t len, unsigned *moves)
{
	unsigned *idx = calloc(ntasks ? ntasks : 1, sizeof(*idx));
	unsigned seen[8], nseen = 0, last = CB_NO_CPU, w = 0, n = 0;
	size_t o = 0;

	*moves = 0;
	if (len)
		buf[0] = '\0';
	if (!idx)
		return;
	for (unsigned i = 0; i < ntasks; i++)
		if (has_cpus(&res[i]) && res[i].worker < nworkers)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), by_worker_start, (void *)res);
	for (unsigned k = 0; k <= n; k++) {
		const struct task_result *t = k < n ? &res[idx[k]] : NULL;

		if (!t || t->worker != w) {
			/* flush worker w */
			if (nseen && o < len)
				o += (size_t)snprintf(buf + o, len - o, "%s%u:", o ? ";" : "", w);
			for (unsigned i = 0; i < nseen && o < len; i++)
				o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? "+" : "",
				                      seen[i]);
			if (!t)
				break;
			w = t->worker;
			nseen = 0;
			last = CB_NO_CPU;
		}
		for (int e = 0; e < 2; e++) {
			unsigned cpu = e ? t->cpu_end : t->cpu_start;

			if (last != CB_NO_CPU && cpu != last)
				(*moves)++;
			last = cpu;
			if (!has_cpu(seen, nseen, cpu) && nseen < ARRAY_SIZE(seen))
				seen[nseen++] = cpu;
		}
	}
	free(idx);
}
