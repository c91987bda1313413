/* fuzz_options - libFuzzer target for the `run` option parser: the input,
 * split at NUL bytes, is argv. Any argv either parses or is refused with
 * EXIT_USAGE; never a crash, an overflow or a read past an argument.
 * Seeds: tests/fuzz/corpus/options/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runner/cli/options.h"
#include "../../runner/base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
		/* --help and --version print to stdout; keep the log readable. Usage
	 * errors go to stderr with libFuzzer's own log: run with -close_fd_mask=2
	 * to hide them. */
	if (!freopen("/dev/null", "w", stdout))
		abort();

	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[66];
	struct cb_config cfg;
	int argc = 1, rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "concbench";
	for (size_t i = 0; i < size + 1 && argc < 65;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	options_reset();
	rc = options_parse(argc, argv, &cfg);
	if (rc != 0 && rc != -1 && rc != EXIT_USAGE)
		__builtin_trap();
	if (rc == 0 && (cfg.nworkers == 0 || cfg.nwl == 0 || cfg.runs < 1 || !cfg.modes))
		__builtin_trap();
	for (unsigned i = 0; rc == 0 && i < cfg.nworkers; i++)
		if (cfg.workers[i] < 1 || cfg.workers[i] > CB_MAX_WORKERS)
			__builtin_trap();
	free(buf);
	return 0;
}
