/* util.c - error printing, notes, time. */
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

#include "../concbench.h"

int cb_verbosity;

void cb_verrorf(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "concbench: %s: ", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cb_errorf(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_verrorf(what, fmt, ap);
	va_end(ap);
}

void cb_note(const char *fmt, ...)
{
	va_list ap;

	if (cb_verbosity < 0)
		return;
	fputs("concbench: note: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

double cb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *fmt_seconds(char *buf, size_t len, double s)
{
	if (s != s)
		snprintf(buf, len, "-");
	else if (s >= 1.0)
		snprintf(buf, len, "%.3g s", s);
	else if (s >= 1e-3)
		snprintf(buf, len, "%.3g ms", s * 1e3);
	else if (s >= 1e-6)
		snprintf(buf, len, "%.3g us", s * 1e6);
	else
		snprintf(buf, len, "%.3g ns", s * 1e9);
	return buf;
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == '<')
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.9g", v);
}
