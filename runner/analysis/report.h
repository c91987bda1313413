/* report.h - `concbench report`: markdown and self-contained HTML with
 * gnuplot plots, from result CSVs (and hyperfine exports). */
#ifndef CONCBENCH_REPORT_H
#define CONCBENCH_REPORT_H

/* `concbench report` (argv[0] is "report"): the exit status. */
int cmd_report(int argc, char **argv);

#endif
