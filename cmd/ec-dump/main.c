/* ec-dump: not built yet; see the README's status table. */
#include <stdio.h>
#include <string.h>

#include "util.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-h] [--version]\n"
		"%s is not implemented yet: it does nothing else.\n",
		argv0, argv0);
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	if (argc == 2 && !strcmp(argv[1], "--version"))
		ec_version();
	usage();
	return argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : 2;
}
