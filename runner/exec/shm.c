/* shm.c - shared memory and process-shared primitives for workloads. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>

#include "../concbench.h"

void *cb_shm_alloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void cb_shm_free(void *p, size_t size)
{
	if (p)
		munmap(p, size ? size : 1);
}

int cb_mutex_init(pthread_mutex_t *m, int type, bool pshared)
{
	pthread_mutexattr_t a;
	int rc;

	rc = pthread_mutexattr_init(&a);
	if (rc)
		return rc;
	rc = pthread_mutexattr_settype(&a, type);
	if (!rc && pshared)
		rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return rc;
}

int cb_cond_init(pthread_cond_t *c, bool pshared)
{
	pthread_condattr_t a;
	int rc;

	rc = pthread_condattr_init(&a);
	if (rc)
		return rc;
	rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!rc && pshared)
		rc = pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return rc;
}

void cb_cond_destroy(pthread_cond_t *c, bool pshared)
{
	/* glibc keeps no resource outside the object for a condition variable
	 * (futex words only): not destroying a shared one leaks nothing */
	if (!pshared)
		pthread_cond_destroy(c);
}

int cb_error(struct wl_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	return code;
}

void cb_metric(struct cb_metrics *m, const char *name, double value)
{
	if (m->n >= CB_MAX_METRICS)
		return;
	m->name[m->n] = name;
	m->value[m->n] = value;
	m->n++;
}
