/* inject.h - testing-only fault injection (--inject=KIND@TASK,…).
 *
 * Makes task TASK of every rep misbehave, so tests can check that faults
 * are detected and reported and that nothing hangs or is left behind:
 *   kill  the worker raises SIGKILL       segv  the worker raises SIGSEGV
 *   hang  the task never returns          fail  the task returns -EIO
  * Faults are injected in every mode but seq, so the baseline stays sound.
 * In threads, gil and thread-per-task modes kill and segv take the whole
 * process down: threads share one address space — that is the point.

 */
#ifndef CONCBENCH_INJECT_H
#define CONCBENCH_INJECT_H

/* Parse "kill@3,hang@7". 0 or -EINVAL. */
int inject_parse(const char *spec);

/* Called by the pool before running task i; returns 0 or the injected
 * error (fail). kill/segv/hang don't return. */
int inject_before_task(unsigned i);

#endif
