/* csvstream.c - the streaming core of the CSV reader: libcsv, line numbers,
 * the input limits and signal checks (csvstream.h). */
#include "csvstream.h"
#include "csvread.h"

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

static void set_err(struct parse_state *st, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(struct parse_state *st, int rc, const char *fmt, ...)
{
	va_list ap;
	int o;

	if (st->rc)
		return;
	st->rc = rc;
	o = snprintf(st->err, st->errlen, "%s:%u: ", st->name, st->line);
	if (o < 0 || (size_t)o >= st->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(st->err + o, st->errlen - (size_t)o, fmt, ap);
	va_end(ap);
}

static void on_field(void *s, size_t len, void *data)
{
	struct parse_state *st = data;

	if (st->rc)
		return;
	if (st->ncur == CSVREAD_MAX_COLS) {
		set_err(st, -EINVAL, "more than %d fields", CSVREAD_MAX_COLS);
		return;
	}
	if (st->ncur == st->capcur) {
		unsigned cap = st->capcur ? 2 * st->capcur : 64;
		size_t *o = realloc(st->off, cap * sizeof(*o));
		char **p;

		if (o)
			st->off = o;
		p = o ? realloc(st->ptr, cap * sizeof(*p)) : NULL;
		if (!p) {
			set_err(st, -ENOMEM, "out of memory");
			return;
		}
		st->ptr = p;
		st->capcur = cap;
	}
	if (st->tlen + len + 1 > st->tcap) {
		size_t cap = st->tcap ? st->tcap : 4096;
		char *t;

		while (cap < st->tlen + len + 1)
			cap *= 2;
		t = realloc(st->text, cap);
		if (!t) {
			set_err(st, -ENOMEM, "out of memory");
			return;
		}
		st->text = t;
		st->tcap = cap;
	}
	if (len)
		memcpy(st->text + st->tlen, s, len);
	st->text[st->tlen + len] = '\0';
	st->off[st->ncur++] = st->tlen;
	st->tlen += len + 1;
}

static void on_record(int c, void *data)
{
	struct parse_state *st = data;

	(void)c;
	st->last_end = st->line;
	if (!st->rc) {
		for (unsigned i = 0; i < st->ncur; i++)
			st->ptr[i] = st->text + st->off[i];
		st->rc = st->row(st->ctx, st->ptr, st->ncur, st->line, st->err, st->errlen);
	}
	st->ncur = 0;
	st->tlen = 0;
}

int csv_stream_begin(struct parse_state *st, const char *name,
                     int (*row)(void *, char **, unsigned, unsigned, char *, size_t), void *ctx,
                     char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	st->name = name;
	st->line = 1;
	st->row = row;
	st->ctx = ctx;
	st->err = err;
	st->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (csv_init(&st->p, CSV_STRICT | CSV_STRICT_FINI))
		return -ENOMEM;
	return 0;
}

/* Feed buf[0..len), the next bytes of the input, one line at a time so
 * that callbacks know the line. */
void csv_stream_feed(struct parse_state *st, const char *buf, size_t len)
{
	size_t off = 0;

	if (!st->started && len) {
		st->started = true;
		if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
			set_err(st, -EINVAL,
			        "starts with a UTF-8 byte-order mark; write the file without one");
			return;
		}
	}
	while (off < len && !st->rc) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) + 1 : len - off;

		if (memchr(buf + off, '\0', n)) {
			set_err(st, -EINVAL, "not CSV: binary data (a NUL byte)");
			break;
		}
		if (csv_parse(&st->p, buf + off, n, on_field, on_record, st) != n && !st->rc)
			set_err(st, -EINVAL, "not CSV: %s", csv_strerror(csv_error(&st->p)));
		off += n;
		if (nl && !st->rc)
			st->line++;
	}
}

/* Finish: the last record, the empty-file check; frees the state. */
int csv_stream_end(struct parse_state *st, bool any_record)
{
	if (!st->rc && csv_fini(&st->p, on_field, on_record, st) && !st->rc) {
		st->line = st->last_end + 1; /* where the unfinished record began */
		set_err(st, -EINVAL, "not CSV: %s (an unterminated quote?)",
		        csv_strerror(csv_error(&st->p)));
	}
	if (!st->rc && !any_record && !st->last_end) {
		st->line = 1;
		set_err(st, -EINVAL, "empty file: no CSV header");
	}
	csv_free(&st->p);
	free(st->text);
	free(st->off);
	free(st->ptr);
	return st->rc;
}

/* Stream path ("-": stdin) through st in chunks. */
int csv_stream_file(struct parse_state *st, const char *path)
{
	int fd = safe_open_input(path, CSVREAD_MAX_BYTES, &cb_interrupted);
	FILE *f = fd == STDIN_FILENO ? stdin : fd >= 0 ? fdopen(fd, "rb") : NULL;
	char *buf;

	if (!f) {
		st->rc = fd < 0 ? fd : -errno;
		if (fd > STDIN_FILENO)
			close(fd);
		if (st->rc == -EFBIG)
			snprintf(st->err, st->errlen, "%s: larger than the limit of %ld MiB", path,
			         (long)(CSVREAD_MAX_BYTES >> 20));
		else
			snprintf(st->err, st->errlen, "%s: %s", path, safe_strerror(st->rc));
		return st->rc;
	}
	buf = malloc(1 << 20);
	if (!buf) {
		st->rc = -ENOMEM;
		snprintf(st->err, st->errlen, "%s: out of memory", path);
	}
	while (buf && !st->rc) {
		size_t got = fread(buf, 1, 1 << 20, f);

		if (cb_interrupted) { /* also a read blocked on a pipe: EINTR */
			st->rc = -EINTR;
			snprintf(st->err, st->errlen, "%s: interrupted", path);
			break;
		}
		if (got == 0)
			break;
		st->bytes += got;
		if (st->bytes > (size_t)CSVREAD_MAX_BYTES) {
			st->rc = -EFBIG;
			snprintf(st->err, st->errlen, "%s: larger than the limit of %ld MiB", path,
			         (long)(CSVREAD_MAX_BYTES >> 20));
			break;
		}
		csv_stream_feed(st, buf, got);
	}
	if (!st->rc && ferror(f)) {
		st->rc = -EIO;
		snprintf(st->err, st->errlen, "%s: read error", path);
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	return st->rc;
}

/* One allocation: n pointers followed by the fields' text. */
char **csv_copy_fields(char **f, unsigned n)
{
	size_t text = 0;
	char **row, *p;

	for (unsigned i = 0; i < n; i++)
		text += strlen(f[i]) + 1;
	row = malloc(n * sizeof(*row) + text + 1);
	if (!row)
		return NULL;
	p = (char *)(row + n);
	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(f[i]) + 1;

		memcpy(p, f[i], l);
		row[i] = p;
		p += l;
	}
	return row;
}
