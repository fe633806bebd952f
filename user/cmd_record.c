#include "commands.h"
int cmd_record(int argc, char **argv) { (void)argc; (void)argv; return EXIT_FAIL; }
