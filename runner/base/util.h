/* util.h - small runner-wide helpers: error printing and time. */
#ifndef CONCBENCH_UTIL_H
#define CONCBENCH_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "../concbench.h" /* cb_note, cb_verbosity */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes of the command-line contract. */
enum { EXIT_OK = 0, EXIT_CHECK = 1, EXIT_USAGE = 2, EXIT_INCONCLUSIVE = 3 };

/* Print `concbench: <what>: <why>` to stderr. Can't fail. */
void cb_errorf(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cb_verrorf(const char *what, const char *fmt, va_list ap);

/* Seconds as a short human string with unit ("12.3 ms"); returns buf. */
char *fmt_seconds(char *buf, size_t len, double s);

/* s as a JSON string, quoted and escaped (control characters and '<' as
 * \uXXXX: safe inside an HTML <script> too); NULL is "". Can't fail. */
void json_str(FILE *f, const char *s);
/* v as a JSON number, null for NaN and infinities. Can't fail. */
void json_num(FILE *f, double v);

#endif
