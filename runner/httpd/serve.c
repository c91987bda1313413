/* serve.c - `concbench serve`: the embedded HTTP server in the foreground,
 * for benchmarking it with other clients and for pointing --url at it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "../base/config.h"
#include "../base/util.h"

static void serve_usage(void)
{
	printf("usage: concbench serve [--port=N] [--net-latency=DURATION] [--net-bytes=N] "
	       "[--seed=N]\n\n"
	       "Serve the net.fetch body on 127.0.0.1 until killed. Prints `port N` once\n"
	       "listening. Paths: /status/NNN answers NNN, /silent never answers, any other\n"
	       "path answers 200 with --net-bytes deterministic bytes after --net-latency.\n");
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"net-latency", required_argument, NULL, 'l'},
	    {"net-bytes", required_argument, NULL, 'b'},
	    {"seed", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct httpd_config cfg = {.latency_s = 0, .body_bytes = 1024, .seed = 1};
	char err[256];
	long v;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_long(optarg, 0, 65535, &v)) {
				cb_errorf("serve", "--port: '%s': want 0..65535", optarg);
				return EXIT_USAGE;
			}
			cfg.port = (int)v;
			break;
		case 'l':
			if (strcmp(optarg, "0") &&
			    (parse_duration(optarg, &cfg.latency_s) || cfg.latency_s > 3600)) {
				cb_errorf("serve", "--net-latency: '%s': want a duration up to 1h",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			if (parse_long(optarg, 0, 1L << 30, &v)) {
				cb_errorf("serve", "--net-bytes: '%s': want 0..%ld", optarg,
				          1L << 30);
				return EXIT_USAGE;
			}
			cfg.body_bytes = (size_t)v;
			break;
		case 's':
			if (parse_u64(optarg, &cfg.seed)) {
				cb_errorf("serve", "--seed: '%s': not an unsigned 64-bit number",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			serve_usage();
			return EXIT_OK;
		default:
			cb_errorf("serve", "'%s': unknown option or missing value; see --help",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cb_errorf("serve", "'%s': unexpected argument", argv[optind]);
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	rc = httpd_serve(&cfg, STDOUT_FILENO, err, sizeof(err));
	cb_errorf("serve", "%s", err);
	return rc == -EADDRINUSE || rc == -EACCES ? EXIT_USAGE : EXIT_CHECK;
}
