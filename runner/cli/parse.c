/* parse.c - the parsers of list and value options: workers, modes,
 * workloads, percentages, and the check that a list has no empty item. */
#include "options_int.h"
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "../exec/inject.h"
#include "registry.h"

#include "../base/util.h"

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

int parse_list_check(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,"))
		return -EINVAL;
	return 0;
}

int parse_workers(const char *s, unsigned *out, unsigned cap, unsigned *n)
{
	char buf[512], *tok, *save = NULL;
	unsigned k = 0;

	if (parse_list_check(s) || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long lo, hi;
		char *dash = strchr(tok, '-');
		int rc;

		if (strcmp(tok, "auto") == 0) {
			lo = hi = cpus_available();
		} else if (dash && dash != tok) {
			*dash = '\0';
			rc = parse_long(tok, 1, CB_MAX_WORKERS, &lo);
			if (!rc)
				rc = parse_long(dash + 1, 1, CB_MAX_WORKERS, &hi);
			if (rc)
				return rc;
			if (hi < lo)
				return -EINVAL;
		} else {
			rc = parse_long(tok, 1, CB_MAX_WORKERS, &lo);
			if (rc)
				return rc;
			hi = lo;
		}
		for (long v = lo; v <= hi; v++) {
			if (k == cap)
				return -ERANGE;
			out[k++] = (unsigned)v;
		}
	}
	if (k == 0)
		return -EINVAL;
	qsort(out, k, sizeof(*out), cmp_unsigned);
	*n = 0;
	for (unsigned i = 0; i < k; i++)
		if (*n == 0 || out[*n - 1] != out[i])
			out[(*n)++] = out[i];
	return 0;
}

int parse_percent(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v) || (*end && strcmp(end, "%") != 0))
		return -EINVAL;
	if (!(v > 0) || v >= 100)
		return -ERANGE;
	*out = v / 100;
	return 0;
}

int parse_modes(const char *s, unsigned *mask)
{
	char buf[256], *tok, *save = NULL;
	unsigned m = 0;

	if (parse_list_check(s) || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = -1;

		if (strcmp(tok, "all") == 0) {
			m |= MODE_BIT(MODE_SEQ) | MODE_BIT(MODE_THREADS) | MODE_BIT(MODE_PROCS);
			if (gil_available)
				m |= MODE_BIT(MODE_GIL);
			continue;
		}
		for (int i = 0; i < MODE__COUNT; i++)
			if (strcmp(tok, mode_names[i]) == 0)
				found = i;
		if (found < 0 || (found == MODE_GIL && !gil_available))
			return -EINVAL;
		m |= MODE_BIT(found);
	}
	if (!m)
		return -EINVAL;
	*mask = m;
	return 0;
}

static bool is_family(const struct workload *w, const char *fam, size_t len)
{
	return strncmp(w->name, fam, len) == 0 && (w->name[len] == '.' || w->name[len] == '\0');
}

int parse_workloads(const char *s, const struct workload **out, unsigned cap, unsigned *n,
                    char *bad, unsigned badlen)
{
	char buf[512], *tok, *save = NULL;
	bool want[256] = {0}, any = false;

	unsigned nreg = 0, k = 0;

	while (registry[nreg])
		nreg++;
	if (parse_list_check(s) || strlen(s) >= sizeof(buf) || nreg > ARRAY_SIZE(want)) {
		snprintf(bad, badlen, "%s", s ? s : "");
		return -EINVAL;
	}
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(tok);
		bool all = len > 2 && strcmp(tok + len - 2, ".*") == 0;
		bool hit = false;

		if (all)
			len -= 2;
		any = true;
		for (unsigned i = 0; i < nreg; i++) {
			const struct workload *w = registry[i];

			if (strcmp(w->name, tok) == 0 ||
			    (is_family(w, tok, len) && !strchr(tok, '.') && w->family_default) ||
			    (all && is_family(w, tok, len))) {
				want[i] = true;
				hit = true;
			}
		}
		if (!hit) {
			snprintf(bad, badlen, "%s", tok);
			return -EINVAL;
		}
	}
	if (!any) {
		snprintf(bad, badlen, "%s", s);
		return -EINVAL;
	}
	for (unsigned i = 0; i < nreg; i++) {
		if (!want[i])
			continue;
		if (k == cap)
			return -ERANGE;
		out[k++] = registry[i];
	}
	*n = k;
	return 0;
}

/* True when an earlier registry entry than w has the same family. */
static bool family_seen(const struct workload *const *w)
{
	size_t fl = strcspn((*w)->name, ".");

	for (const struct workload *const *v = registry; v != w; v++)
		if (strcspn((*v)->name, ".") == fl && strncmp((*v)->name, (*w)->name, fl) == 0)
			return true;
	return false;
}

void opt_print_valid_workloads(FILE *f)
{
	const char *sep = "";

	fputs("valid families (FAMILY or FAMILY.*): ", f);
	for (const struct workload *const *w = registry; *w; w++) {
		if (family_seen(w))
			continue;
		fprintf(f, "%s%.*s", sep, (int)strcspn((*w)->name, "."), (*w)->name);
		sep = ", ";
	}
	fputs("\nvalid names: ", f);
	for (const struct workload *const *w = registry; *w; w++)
		fprintf(f, "%s%s", (*w)->name, w[1] ? ", " : "\n");
}
