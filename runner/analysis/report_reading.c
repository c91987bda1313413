/* report_reading.c - `report`: the one-line reading of each series,
 * claiming only what its intervals support. */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report_model.h"
#include "cell.h"
#include "csvread.h"
#include "../base/safeio.h"
#include "../base/stats.h"
#include "../base/util.h"

/* The lowest confidence an interval must reach before the reading draws a
 * conclusion from it: 3 reps a side (90%) do; 2 (67%) do not. */
#define READING_MIN_CONF 0.895

/* What a speedup interval supports, for cell c of g (seq: the baseline
 * cell): each claim needs the whole interval on its side of the line, else
 * the reading says it is inconclusive. A speedup above the CPU count is a
 * baseline artefact unless seq mostly waited (waits can overlap). */
static const char *speedup_claim(const struct group *g, const struct rcell *seq,
                                 const struct rcell *c)
{
	double par = (double)(c->workers < g->cpus ? c->workers : g->cpus);
	double lo = c->sp_lo, hi = c->sp_hi;
	bool waits = seq && !isnan(seq->cpu_util) && seq->cpu_util <= 0.5;

	if (isnan(lo) || isnan(hi) || !(c->sp_conf >= READING_MIN_CONF))
		return "inconclusive: too few reps for an interval";
	if (strcmp(c->mode, "gil") == 0 || strcmp(c->mode, "py-threads") == 0) {
		if (hi <= 1.2)
			return "serialised by the GIL";
		if (lo > 1.2)
			return "overlaps waiting despite the GIL";
		return "inconclusive: too noisy";
	}
	if (g->cpus > 0 && c->speedup > 1.05 * (double)g->cpus && !waits)
		return "above the CPU count: a baseline artefact (seq slowed, e.g. by a busy "
		       "host), not scaling";
	if (g->cpus > 0 && lo > (double)g->cpus && c->workers > g->cpus)
		return "beyond the CPU count: waits overlap";
	if (par > 1 && lo >= 0.75 * par)
		return "scales";
	if (lo > 1)
		return "scales partly";
	if (hi < 1)
		return "slower than seq: overhead dominates";
	if (lo >= 0.9 && hi <= 1.1)
		return "no speedup";
	return "inconclusive: too noisy";
}

/* Append the reading of cell c to b[0..len): "threads 1.95× at 2 workers —
 * scales (96.8% interval 1.80–2.10)". Returns the length written. */
static size_t reading_of(const struct group *g, const struct rcell *seq, const struct rcell *c,
                         char *b, size_t len, bool more)
{
	int n =
	    snprintf(b, len, "%s%s %.2f× at %ld worker%s — %s", more ? "; " : "", c->mode,
	             c->speedup, c->workers, c->workers == 1 ? "" : "s", speedup_claim(g, seq, c));

	if (n >= 0 && (size_t)n < len && !isnan(c->sp_lo) && c->sp_conf > 0)
		n += snprintf(b + n, len - (size_t)n, " (%.1f%% interval %.2f–%.2f)",
		              100 * c->sp_conf, c->sp_lo, c->sp_hi);
	return n < 0 ? 0 : (size_t)n > len ? len : (size_t)n;
}

/* The one-line reading of a group: per mode its best speedup and what it
 * means, then what seq's CPU use says about the work. */
void rp_make_reading(struct group *g)
{
	size_t o = 0, len = sizeof(g->reading);
	const struct rcell *seq = NULL;
	char *b = g->reading;

	b[0] = '\0';
	for (size_t i = 0; i < g->ncells; i++)
		if (cell_is_baseline_mode(g->cells[i].mode) && g->cells[i].n)
			seq = &g->cells[i];
	/* cells are sorted by mode: each run of one mode is read once */
	for (size_t i = 0; i < g->ncells; i++) {
		const char *mode = g->cells[i].mode;
		const struct rcell *best = NULL;

		if (cell_is_baseline_mode(mode) || (i && strcmp(mode, g->cells[i - 1].mode) == 0))
			continue;
		for (size_t k = i; k < g->ncells && strcmp(g->cells[k].mode, mode) == 0; k++) {
			const struct rcell *c = &g->cells[k];

			/* a speedup at 1 worker is noise: prefer parallel cells */
			if (!isnan(c->speedup) &&
			    (!best || (c->workers > 1 && best->workers == 1) ||
			     ((c->workers > 1) == (best->workers > 1) &&
			      c->speedup > best->speedup)))
				best = c;
		}
		if (!best || o >= len)
			continue;
		o += reading_of(g, seq, best, b + o, len - o, o > 0);
	}
	if (seq && !isnan(seq->cpu_util) && g->load_max <= (double)g->cpus && o < len) {
		const char *kind = seq->cpu_util >= 0.8   ? "CPU-bound"
		                   : seq->cpu_util <= 0.5 ? "mostly waiting (I/O, sleep or locks)"
		                                          : "part CPU, part waiting";

		o += (size_t)snprintf(b + o, len - o, "%sseq uses %.0f%% of a CPU: %s",
		                      o ? ". " : "", 100 * seq->cpu_util, kind);
	}
	if (g->load_max > (double)g->cpus && o < len)
		o += (size_t)snprintf(
		    b + o, len - o,
		    "%sThe host was busy (load average up to %.1f on %ld CPUs while seq "
		    "ran; seq got %.0f%% of a CPU): speedups and CPU shares understate",
		    o ? ". " : "", g->load_max, g->cpus, seq ? 100 * seq->cpu_util : NAN);
	if (g->bench && o < len)
		o += (size_t)snprintf(b + o, len - o,
		                      "%sSpeedups are throughput ratios (ops/s vs seq)",
		                      o ? ". " : "");
	if (!o)
		snprintf(b, len, "no verified reps to read");
	else if (o < len)
		snprintf(b + o, len - o, ".");
}

void rp_sanitize(char *dst, size_t len, const char *s)
{
	size_t i = 0;

	for (; *s && i + 1 < len; s++)
		dst[i++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		                   (*s >= '0' && *s <= '9') || *s == '.' || *s == '-'
		               ? *s
		               : '_';
	dst[i] = '\0';
}
