/* commands.h - subcommands: `concbench NAME ARGS…`. */
#ifndef CONCBENCH_COMMANDS_H
#define CONCBENCH_COMMANDS_H

struct command {
	const char *name;
	const char *summary;
	/* argv[0] is the subcommand name. Returns the exit status. */
	int (*fn)(int argc, char **argv);
};

extern const struct command commands[];

/* Extra subcommands, declared in commands.def with COMMAND(name, summary, fn). */
#define COMMAND(name, summary, fn) int fn(int argc, char **argv);
#include "commands.def"
#undef COMMAND

#endif
