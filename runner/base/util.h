/* util.h - small runner-wide helpers: error printing and time. */
#ifndef CONCBENCH_UTIL_H
#define CONCBENCH_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#include "../concbench.h" /* cb_note, cb_verbosity */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes of the command-line contract. */
enum { EXIT_OK = 0, EXIT_CHECK = 1, EXIT_USAGE = 2, EXIT_INCONCLUSIVE = 3 };

/* Print `concbench: <what>: <why>` to stderr. Can't fail. */
void cb_errorf(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cb_verrorf(const char *what, const char *fmt, va_list ap);

/* Seconds as a short human string with unit ("12.3 ms"); returns buf. */
char *fmt_seconds(char *buf, size_t len, double s);

#endif
