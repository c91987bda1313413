/* trace.c - the --trace CSV: one row per task of each cell's last rep. */
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../base/util.h"

/* The run and file the header was written for: a later run in the same
 * process (unit tests) starts its file afresh. */
static char started_run[48];
static const char *started_path;

static int trace_fail(const char *path, int err)
{
	cb_errorf("--trace", "%s: %s", path, strerror(err));
	return -1;
}

int trace_rep(const struct run *r, const struct cell *c, const struct task_result *res)
{
	const char *path = r->cfg.trace_path;
	bool first = !started_path || started_path != path || strcmp(started_run, r->run_id) != 0;
	FILE *f;
	int err;

	if (!path)
		return 0;
	if (!first && c->nrows != (unsigned)r->cfg.runs)
		return 0;
	f = fopen(path, first ? "w" : "a");
	if (!f)
		return trace_fail(path, errno);
	if (first) {
		snprintf(started_run, sizeof(started_run), "%s", r->run_id);
		started_path = path;
		fputs("workload,mode,workers,rep,task,worker,t_start_s,t_end_s\n", f);
	}
	if (c->nrows == (unsigned)r->cfg.runs)
		for (unsigned i = 0; i < c->ntasks; i++)
			fprintf(f, "%s,%s,%u,%u,%u,%u,%.9f,%.9f\n", c->wl->name,
			        mode_names[c->mode], c->workers, c->nrows - 1, i, res[i].worker,
			        res[i].t_start, res[i].t_end);
	err = ferror(f) ? EIO : 0;
	if (fclose(f) && !err)
		err = errno;
	return err ? trace_fail(path, err) : 0;
}
