/* trace.c - the --trace CSV: one row per task of each cell's last rep. */
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../base/safeio.h"
#include "../base/util.h"

/* The file being written for the run `started_run`, through safeio.h: the
 * rows collect in a temp file that trace_finish() renames over FILE (or a
 * FIFO/device/stdout is streamed into). A later run in the same process
 * (unit tests) starts afresh. */
static struct safe_out out;
static char started_run[48];
static const char *started_path;

static int trace_fail(const char *path, int err)
{
	cb_errorf("--trace", "%s: %s", path, safe_strerror(err));
	return -1;
}

static int trace_start(const struct run *r)
{
	const char *path = r->cfg.trace_path;
	int rc;

	safe_out_abort(&out);
	started_path = NULL;
	rc = safe_out_open(&out, path);
	if (rc)
		return trace_fail(path, rc);
	snprintf(started_run, sizeof(started_run), "%s", r->run_id);
	started_path = path;
	fputs("workload,mode,workers,rep,task,worker,t_start_s,t_end_s\n", out.f);
	return 0;
}

static bool trace_started(const struct run *r)
{
	return out.f && started_path == r->cfg.trace_path && strcmp(started_run, r->run_id) == 0;
}

int trace_rep(const struct run *r, const struct cell *c, const struct task_result *res)
{

	if (!r->cfg.trace_path)
		return 0;
	if (!trace_started(r) && trace_start(r))
		return -1;
	if (c->nrows == (unsigned)r->cfg.runs)
		for (unsigned i = 0; i < c->ntasks; i++)
			fprintf(out.f, "%s,%s,%u,%u,%u,%u,%.9f,%.9f\n", c->wl->name,
			        mode_names[c->mode], c->workers, c->nrows - 1, i, res[i].worker,
			        res[i].t_start, res[i].t_end);
	if (ferror(out.f)) {
		int e = errno ? errno : EIO;

		safe_out_abort(&out);
		started_path = NULL;
		return trace_fail(r->cfg.trace_path, e);
	}
	return 0;
}

int trace_finish(const struct run *r, bool keep)
{
	int rc;

	if (!r->cfg.trace_path) {
		safe_out_abort(&out);
		return 0;
	}
	if (!keep) {
		safe_out_abort(&out);
		started_path = NULL;
		return 0;
	}
	if (!trace_started(r) && trace_start(r))
		return -1;
	started_path = NULL;
	rc = safe_out_commit(&out);
	return rc ? trace_fail(r->cfg.trace_path, rc) : 0;
}
