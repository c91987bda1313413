/* inject.c - the faults of --inject. */
#include "inject.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum fault { FAULT_NONE, FAULT_KILL, FAULT_SEGV, FAULT_HANG, FAULT_FAIL };

#define MAX_FAULTS 16
static struct {
	enum fault kind;
	unsigned task;
} faults[MAX_FAULTS];
static unsigned nfaults;

int inject_parse(const char *spec)
{
	static const char *const names[] = {"", "kill", "segv", "hang", "fail"};
	char buf[256], *tok, *save = NULL;

	nfaults = 0;
	if (!spec || !*spec || strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *at = strchr(tok, '@'), *end;
		unsigned long task;
		int kind = 0;

		if (!at || nfaults == MAX_FAULTS)
			return -EINVAL;
		*at = '\0';
		for (int k = 1; k <= FAULT_FAIL; k++)
			if (strcmp(tok, names[k]) == 0)
				kind = k;
		task = strtoul(at + 1, &end, 10);
		if (!kind || !at[1] || *end || task > 100000000UL)
			return -EINVAL;
		faults[nfaults].kind = (enum fault)kind;
		faults[nfaults].task = (unsigned)task;
		nfaults++;
	}
	return 0;
}

int inject_before_task(unsigned i)
{
	for (unsigned k = 0; k < nfaults; k++) {
		if (faults[k].task != i)
			continue;
		switch (faults[k].kind) {
		case FAULT_KILL:
			raise(SIGKILL);
			break;
		case FAULT_SEGV:
			raise(SIGSEGV);
			break;
		case FAULT_HANG:
			for (;;)
				pause();
		case FAULT_FAIL:
			return -EIO;
		case FAULT_NONE:
			break;
		}
	}
	return 0;
}
