/* db.c - the results store's database layer: SQLite and PostgreSQL behind
 * one small interface (db.h), the schema and its migrations.
 *
 * Both engines run the same SQL text: types both accept (TEXT, BIGINT,
 * DOUBLE PRECISION), `INSERT … ON CONFLICT`, `RETURNING`. What differs is
 * kept here and small: how to connect, how a write transaction takes its
 * lock, how to ask the catalogue whether a table exists, `?` vs `$n`. */
#include "db_int.h"
#include "db.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void db_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *db_default_url(const char *url)
{
	const char *env = getenv("CONCBENCH_DB");

	if (url && *url)
		return url;
	if (env && *env)
		return env;
	return "results/concbench.db";
}

bool db_is_pg_url(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0 ||
	       strstr(url, "dbname=") || strstr(url, "host=");
}

char *db_redact(const char *url, char *buf, size_t len)
{
	const char *scheme = strstr(url, "://");
	size_t o = 0;

	if (!len)
		return buf;
	for (const char *p = url; *p && o + 1 < len;) {
		/* userinfo password: scheme://user:PASSWORD@host */
		if (scheme && p == scheme + 3) {
			const char *at = strchr(p, '@'), *slash = strchr(p, '/');
			const char *colon = strchr(p, ':');

			if (at && (!slash || at < slash) && colon && colon < at) {
				size_t n = (size_t)(colon - p) + 1;

				if (o + n + 4 >= len)
					break;
				memcpy(buf + o, p, n);
				o += n;
				memcpy(buf + o, "***", 3);
				o += 3;
				p = at;
				continue;
			}
		}
		if (strncmp(p, "password=", 9) == 0 &&
		    (p == url || p[-1] == '?' || p[-1] == '&' || p[-1] == ' ')) {
			if (o + 13 >= len)
				break;
			memcpy(buf + o, "password=***", 12);
			o += 12;
			p += 9;
			while (*p && *p != '&' && *p != ' ')
				p++;
			continue;
		}
		buf[o++] = *p++;
	}
	buf[o] = '\0';
	return buf;
}
