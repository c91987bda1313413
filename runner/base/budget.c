/* budget.c - the efficiency budget; the arithmetic is in budget.h. */
#include "budget.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

const char *const budget_part_names[] = {
    [BUDGET_RUNQ] = "run-queue",
    [BUDGET_STEAL] = "steal",
    [BUDGET_GIL] = "GIL",
    [BUDGET_IMBALANCE] = "imbalance",
    [BUDGET_DISPATCH] = "dispatch",
    [BUDGET_KERNEL] = "kernel",
    [BUDGET_BLOCKED] = "blocked",
    [BUDGET_BASELINE] = "baseline",
    [BUDGET_UNEXPLAINED] = "unexplained",
};

const char *const budget_part_keys[] = {
    [BUDGET_RUNQ] = "runq",
    [BUDGET_STEAL] = "steal",
    [BUDGET_GIL] = "gil",
    [BUDGET_IMBALANCE] = "imbalance",
    [BUDGET_DISPATCH] = "dispatch",
    [BUDGET_KERNEL] = "kernel",
    [BUDGET_BLOCKED] = "blocked",
    [BUDGET_BASELINE] = "baseline",
    [BUDGET_UNEXPLAINED] = "unexplained",
};

static void fill_nan(struct budget *b)
{
	b->eff = NAN;
	for (int i = 0; i < BUDGET_NPARTS; i++)
		b->part[i] = NAN;
	b->nreps = 0;
}

int budget_of_rep(const struct budget_rep *r, const struct budget_ref *ref, struct budget *b)
{
	double w = r->workers * r->wall_s, gil = isnan(r->gil_wait_s) ? 0 : r->gil_wait_s;
	double steal, cpu, sum = 0;
	double need[] = {r->busy_s,        r->imbalance_s,  r->dispatch_s,
	                 r->worker_user_s, r->worker_sys_s, r->runq_s,
	                 r->steal_s,       ref->user_s,     ref->sys_s};

	fill_nan(b);
	if (!(r->workers > 0) || !(r->wall_s > 0) || !(r->cpus > 0) || !(ref->wall_s > 0))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (isnan(need[i]))
			return -EINVAL;
	steal = r->steal_s * fmin(r->workers, r->cpus) / r->cpus;
	cpu = r->worker_user_s + r->worker_sys_s;
	b->eff = ref->wall_s / w;
	b->part[BUDGET_RUNQ] = r->runq_s / w;
	b->part[BUDGET_STEAL] = steal / w;
	b->part[BUDGET_GIL] = gil / w;
	b->part[BUDGET_IMBALANCE] = r->imbalance_s / w;
	b->part[BUDGET_DISPATCH] = r->dispatch_s / w;
	b->part[BUDGET_KERNEL] = (r->worker_sys_s - ref->sys_s) / w;
	b->part[BUDGET_BLOCKED] = (r->busy_s - cpu - r->runq_s - gil - steal) / w;
	b->part[BUDGET_BASELINE] = (ref->user_s + ref->sys_s - ref->wall_s) / w;
	for (int i = 0; i < BUDGET_UNEXPLAINED; i++)
		sum += b->part[i];
	b->part[BUDGET_UNEXPLAINED] = 1 - b->eff - sum;
	b->nreps = 1;
	return 0;
}

int budget_of_cell(const struct budget_rep *r, size_t n, const struct budget_ref *ref,
                   struct budget *b)
{
	struct budget one, acc = {0};

	for (size_t k = 0; k < n; k++) {
		if (budget_of_rep(&r[k], ref, &one))
			continue;
		acc.eff += one.eff;
		for (int i = 0; i < BUDGET_NPARTS; i++)
			acc.part[i] += one.part[i];
		acc.nreps++;
	}
	if (!acc.nreps) {
		fill_nan(b);
		return -EINVAL;
	}
	b->eff = acc.eff / (double)acc.nreps;
	for (int i = 0; i < BUDGET_NPARTS; i++)
		b->part[i] = acc.part[i] / (double)acc.nreps;
	b->nreps = acc.nreps;
	return 0;
}

double budget_explained(const struct budget *b)
{
	double lost = 1 - b->eff;

	if (!(lost > 0))
		return NAN;
	return (lost - b->part[BUDGET_UNEXPLAINED]) / lost;
}

enum budget_part budget_main_cause(const struct budget *b)
{
	enum budget_part best = BUDGET_UNEXPLAINED;

	for (int i = 0; i < BUDGET_NPARTS; i++)
		if (i != BUDGET_BASELINE && b->part[i] > b->part[best])
			best = (enum budget_part)i;
	return best;
}

void budget_format(const struct budget *b, char *buf, size_t len)
{
	size_t o;

	if (isnan(b->eff)) {
		snprintf(buf, len, "no budget (mechanism figures missing)");
		return;
	}
	o = (size_t)snprintf(buf, len, "eff %.2f:", b->eff);
	for (int i = 0; i < BUDGET_NPARTS && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s %s %.0f%%", i ? "," : "",
		                      budget_part_names[i], b->part[i] * 100);
}
