#include <stdio.h>
#include "commands.h"

int cmd_trace(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "seep: trace: not built yet\n");
	return EXIT_FAIL;
}
