/* inject.h - testing-only fault injection (--inject=KIND@TASK,…,slow=PCT).
 *
 * Makes task TASK of every rep misbehave, so tests can check that faults
 * are detected and reported and that nothing hangs or is left behind:
 *   kill  the worker raises SIGKILL       segv  the worker raises SIGSEGV
 *   hang  the task never returns          fail  the task returns -EIO
  *   slow=PCT  every task (bench: worker body), in every mode seq included,
 *             spins after it ran: PCT% of its own CPU time more on the CPU
 *             and PCT% of its off-CPU (blocked) time more on the wall
 *             clock: a head PCT% slower in the same cells, for A/B tests of
 *             `compare` (not written to the CSV: not part of a cell).
 *   slowcpu=PCT  the CPU probe after every other rep (warmups included,
 *             the first one first) reads PCT% slower: a rep on a CPU a
 *             neighbour slowed, for tests of cpu_slowdown and
 *             --max-slowdown. slowcpu-all=PCT: after every rep;
 *             slowcpu-before=PCT: the probe before every rep instead.
 * Faults are injected in every mode but seq, so the baseline stays sound.
 * In threads, gil and thread-per-task modes kill and segv take the whole
 * process down: threads share one address space — that is the point.

 */
#ifndef CONCBENCH_INJECT_H
#define CONCBENCH_INJECT_H

/* Parse "kill@3,hang@7", "slow=25%", "slowcpu=100%", "slowcpu-all=100%"
 * or "slowcpu-before=100%" (0 < PCT <= 1000), comma-separated. 0 or
 * -EINVAL. */
int inject_parse(const char *spec);

/* Called by the pool before running task i; returns 0 or the injected
 * error (fail). kill/segv/hang don't return. */
int inject_before_task(unsigned i);

/* Where a task started (wall and this thread's CPU clock); zero and cheap
 * without slow=PCT. */
struct inject_mark {
	double wall, cpu;
};

/* Called once per rep by the CPU probe: what its times are multiplied by
 * (1, or 1 + PCT with slowcpu=PCT on every other call, slowcpu-all=PCT
 * on every call). */
double inject_probe_scale(void);

/* Called once per rep by the CPU probe before it: 1, or 1 + PCT with
 * slowcpu-before=PCT. */
double inject_probe_before_scale(void);

/* Called by the pool before a task runs. Can't fail. */
void inject_mark(struct inject_mark *m);

/* Called by the pool after the task that m marked ran: with slow=PCT,
 * busy-waits as inject.h's top comment says. Can't fail. */
void inject_after_task(const struct inject_mark *m);

#endif
