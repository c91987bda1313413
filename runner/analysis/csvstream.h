/* csvstream.h - the streaming core of the CSV reader (analysis/ only):
 * libcsv calls back per field and record; the fields of the record being
 * read are packed in one growing buffer and handed to a row callback. */
#ifndef CONCBENCH_CSVSTREAM_H
#define CONCBENCH_CSVSTREAM_H

#include <csv.h>
#include <stdbool.h>
#include <stddef.h>

/* The streaming core: libcsv calls on_field/on_record; the fields of the
 * record being read are packed in one growing buffer (no allocation per
 * field) and handed to a row callback, valid only during the call. */
struct parse_state {
	const char *name;
	char *text; /* fields of the current record, NUL-separated */
	size_t tlen, tcap;
	size_t *off; /* where each field starts in text */
	char **ptr;
	unsigned ncur, capcur;
	unsigned line;
	unsigned last_end; /* line where the last complete record ended */
	size_t bytes;
	bool started;
	int (*row)(void *ctx, char **f, unsigned n, unsigned line, char *err, size_t errlen);
	void *ctx;
	int rc; /* first error of a callback */
	char *err;
	size_t errlen;
	struct csv_parser p;
};

/* The row callback: fields f[0..n) of the record that ended on `line`,
 * valid only during the call. 0 to go on, or a negative errno with err set
 * to stop the parse. */
typedef int (*csv_row_fn)(void *ctx, char **f, unsigned n, unsigned line, char *err, size_t errlen);

/* Start a parse of `name` (for messages) calling row() per record. 0 or
 * -ENOMEM. */
int csv_stream_begin(struct parse_state *st, const char *name, csv_row_fn row, void *ctx, char *err,
                     size_t errlen);

/* Feed buf[0..len); errors are kept in st and returned by csv_stream_end. */
void csv_stream_feed(struct parse_state *st, const char *buf, size_t len);

/* Finish: 0, or the first error (callback, quoting, empty input when
 * !any_record) with err set. Frees what csv_stream_begin built. */
int csv_stream_end(struct parse_state *st, bool any_record);

/* Stream path ("-": stdin) through st in chunks, within CSVREAD_MAX_BYTES,
 * stopping at SIGINT/SIGTERM. Errors are kept in st. */
int csv_stream_file(struct parse_state *st, const char *path);

/* One malloc'd block holding a copy of the n fields f[] and their text
 * (free it with free()), or NULL. */
char **csv_copy_fields(char **f, unsigned n);

#endif
