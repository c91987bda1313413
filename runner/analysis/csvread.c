/* csvread.c - CSV input for report and compare: csv_table (every field
 * kept) and the strict number parsers. Parsing is libcsv's (csvstream.c);
 * the typed concbench rows are results.c. */
#include "csvread.h"
#include "csvstream.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../out/schema.h"
#include "../base/safeio.h"
#include "../base/util.h"

/* ---- csv_table: every field kept ---- */

struct table_build {
	struct csv_table *t;
	size_t caprows;
};

static int table_row(void *ctx, char **f, unsigned n, unsigned line, char *err, size_t errlen)
{
	struct table_build *b = ctx;
	struct csv_table *t = b->t;
	char **row;

	if (!t->cols) {
		t->cols = csv_copy_fields(f, n);
		t->ncols = n;
		return t->cols ? 0 : -ENOMEM;
	}
	if (n != t->ncols) {
		snprintf(err, errlen, "%s:%u: %u fields, but the header has %u (ragged row)",
		         t->name, line, n, t->ncols);
		return -EINVAL;
	}
	if (t->nrows == b->caprows) {
		size_t cap = b->caprows ? 2 * b->caprows : 256;
		char ***rows = realloc(t->rows, cap * sizeof(*rows));
		unsigned *l;

		if (!rows)
			goto nomem;
		t->rows = rows;
		l = realloc(t->line, cap * sizeof(*l));
		if (!l)
			goto nomem;
		t->line = l;
		b->caprows = cap;
	}
	row = csv_copy_fields(f, n);
	if (!row)
		goto nomem;
	t->rows[t->nrows] = row;
	t->line[t->nrows] = line;
	t->nrows++;
	return 0;
nomem:
	snprintf(err, errlen, "%s:%u: out of memory", t->name, line);
	return -ENOMEM;
}

int csv_table_parse(const char *name, const char *buf, size_t len, struct csv_table *t, char *err,
                    size_t errlen)
{
	struct table_build b = {.t = t};
	struct parse_state st;
	int rc;

	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	if (!t->name || csv_stream_begin(&st, t->name, table_row, &b, err, errlen)) {
		free(t->name);
		t->name = NULL;
		return -ENOMEM;
	}
	csv_stream_feed(&st, buf, len);
	rc = csv_stream_end(&st, t->cols != NULL);
	if (rc)
		csv_table_free(t);
	return rc;
}

int csv_table_read(const char *path, struct csv_table *t, char *err, size_t errlen)
{
	struct table_build b = {.t = t};
	struct parse_state st;
	int rc;

	memset(t, 0, sizeof(*t));
	t->name = strdup(path);
	if (!t->name || csv_stream_begin(&st, t->name, table_row, &b, err, errlen)) {
		free(t->name);
		t->name = NULL;
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	csv_stream_file(&st, path);
	rc = csv_stream_end(&st, t->cols != NULL);
	if (rc)
		csv_table_free(t);
	return rc;
}

void csv_table_free(struct csv_table *t)
{
	for (size_t i = 0; i < t->nrows; i++)
		free(t->rows[i]);
	free(t->cols);
	free(t->rows);
	free(t->line);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

int csv_table_col(const struct csv_table *t, const char *name)
{
	for (unsigned i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], name) == 0)
			return (int)i;
	return -1;
}

int csv_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

int csv_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno == ERANGE)
		return -EINVAL;
	*out = v;
	return 0;
}
