/* cell.c - the identity of a cell (cell.h). */
#include "cell.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../base/config.h"

static int cmp_long(long a, long b)
{
	return (a > b) - (a < b);
}

/* NaN (not applicable) sorts first and equals NaN. */
static int cmp_num(double a, double b)
{
	if (isnan(a) || isnan(b))
		return (int)!isnan(a) - (int)!isnan(b);
	return (a > b) - (a < b);
}

/* Strings of one cb_results are interned: equal pointers, equal strings. */
static int cmp_str(const char *a, const char *b)
{
	return a == b ? 0 : strcmp(a, b);
}

int cell_cmp(const struct cb_rec *a, const struct cb_rec *b, unsigned mask)
{
	int c = 0;

	if (!c && (mask & CELL_HOST))
		c = cmp_str(a->host, b->host);
	if (!c && (mask & CELL_WORKLOAD))
		c = cmp_str(a->workload, b->workload);
	if (!c && (mask & CELL_MODE))
		c = cmp_str(a->mode, b->mode);
	if (!c && (mask & CELL_WORKERS))
		c = cmp_long(a->workers, b->workers);
	if (!c && (mask & CELL_TASKS))
		c = cmp_long(a->tasks, b->tasks);
	if (!c && (mask & CELL_SIZE))
		c = cmp_long(a->size, b->size);
	if (!c && (mask & CELL_PIN))
		c = cmp_long(a->pin, b->pin);
	if (!c && (mask & CELL_SWITCH))
		c = cmp_num(a->switch_interval_s, b->switch_interval_s);
	if (!c && (mask & CELL_TRANSPORT))
		c = cmp_str(a->transport, b->transport);
	if (!c && (mask & CELL_PARAMS))
		c = cmp_str(a->params, b->params);
	return c;
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ULL; /* FNV-1a */
	return h;
}

uint64_t cell_hash(const struct cb_rec *r, unsigned mask)
{
	uint64_t h = 1469598103934665603ULL;
	double si = isnan(r->switch_interval_s) ? NAN : r->switch_interval_s;

	if (mask & CELL_HOST)
		h = mix(h, r->host, strlen(r->host) + 1);
	if (mask & CELL_WORKLOAD)
		h = mix(h, r->workload, strlen(r->workload) + 1);
	if (mask & CELL_MODE)
		h = mix(h, r->mode, strlen(r->mode) + 1);
	if (mask & CELL_WORKERS)
		h = mix(h, &r->workers, sizeof(r->workers));
	if (mask & CELL_TASKS)
		h = mix(h, &r->tasks, sizeof(r->tasks));
	if (mask & CELL_SIZE)
		h = mix(h, &r->size, sizeof(r->size));
	if (mask & CELL_PIN)
		h = mix(h, &r->pin, sizeof(r->pin));
	if ((mask & CELL_SWITCH) && !isnan(si))
		h = mix(h, &si, sizeof(si));
	if (mask & CELL_TRANSPORT)
		h = mix(h, r->transport, strlen(r->transport) + 1);
	if (mask & CELL_PARAMS)
		h = mix(h, r->params, strlen(r->params) + 1);
	return h;
}

unsigned cell_diff(const struct cb_rec *a, const struct cb_rec *b)
{
	unsigned d = 0;

	for (unsigned f = 1; f & CELL_ALL; f <<= 1)
		if (cell_cmp(a, b, f))
			d |= f;
	return d;
}

char *cell_describe(const struct cb_rec *r, unsigned mask, char *buf, size_t len)
{
	size_t o = 0;

#define PUT(...)                                                                                   \
	do {                                                                                       \
		if (o < len) {                                                                     \
			int k = snprintf(buf + o, len - o, "%s", o ? " " : "");                    \
			o += k > 0 ? (size_t)k : 0;                                                \
		}                                                                                  \
		if (o < len) {                                                                     \
			int k = snprintf(buf + o, len - o, __VA_ARGS__);                           \
			o += k > 0 ? (size_t)k : 0;                                                \
		}                                                                                  \
	} while (0)

	if (len)
		buf[0] = '\0';
	if (mask & CELL_HOST)
		PUT("host=%s", r->host);
	if (mask & CELL_WORKLOAD)
		PUT("%s", r->workload);
	if (mask & CELL_MODE)
		PUT("%s", r->mode);
	if (mask & CELL_WORKERS)
		PUT("workers=%ld", r->workers);
	if (mask & CELL_TASKS)
		PUT("tasks=%ld", r->tasks);
	if (mask & CELL_SIZE)
		PUT("size=%ld", r->size);
	if ((mask & CELL_PIN) && r->pin >= PIN_NONE && r->pin <= PIN_SPREAD)
		PUT("pin=%s", pin_names[r->pin]);
	if ((mask & CELL_SWITCH) && !isnan(r->switch_interval_s))
		PUT("switch_interval=%gs", r->switch_interval_s);
	if ((mask & CELL_TRANSPORT) && *r->transport)
		PUT("transport=%s", r->transport);
	if ((mask & CELL_PARAMS) && *r->params)
		PUT("params=%s", r->params);
#undef PUT
	return buf;
}

unsigned cell_series_mask(bool bench)
{
	return (CELL_ALL & ~CELL_IN_SERIES) & ~(bench ? CELL_TASKS : 0u);
}

bool cell_same_series(const struct cb_rec *a, const struct cb_rec *b)
{
	return a->bench == b->bench && cell_cmp(a, b, cell_series_mask(a->bench)) == 0 &&
	       cmp_str(a->git_rev, b->git_rev) == 0;
}

bool cell_same_cell(const struct cb_rec *a, const struct cb_rec *b)
{
	return cell_same_series(a, b) && cell_cmp(a, b, CELL_IN_SERIES) == 0;
}

bool cell_is_baseline_mode(const char *m)
{
	size_t n = strlen(m);

	return strcmp(m, "seq") == 0 || (n > 4 && strcmp(m + n - 4, "-seq") == 0);
}
