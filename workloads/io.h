/* io.h - helpers shared by the I/O workloads (file.read, net.fetch). */
#ifndef CONCBENCH_WORKLOADS_IO_H
#define CONCBENCH_WORKLOADS_IO_H

#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "../runner/concbench.h"

/* Read option `name` as a byte count: a whole number with an optional
 * K, M, G or T suffix (powers of 1024; "KiB" spelling too). 0 with *out set,
 * or -EINVAL with ctx->err naming the option. */
static inline int io_opt_bytes(struct wl_ctx *ctx, const char *name, unsigned long long min,
                               unsigned long long max, unsigned long long *out)
{
	const char *s = cb_opt_str(name);
	unsigned long long v, mul = 1;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	case 't':
	case 'T':
		mul = 1ULL << 40;
		end++;
		break;
	}
	if (mul > 1 && (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0))
		end += strlen(end);
	if (*end || (v && mul > ~0ULL / v) || v * mul < min || v * mul > max)
		goto bad;
	*out = v * mul;
	return 0;
bad:
	return cb_error(ctx, -EINVAL,
	                "--%s: '%s' is not a byte count in %llu..%llu (suffixes K, M, G, T)", name,
	                s ? s : "", min, max);
}

#endif
