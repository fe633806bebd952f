/* Allocates A blocks of 1000 bytes in phase_one(), sleeps S seconds,
 * allocates B blocks of 1000 bytes in phase_two(), then waits to be killed.
 * usage: phases A S B */
#include <stdlib.h>
#include <unistd.h>

#include "target.h"

__attribute__((noinline)) static void phase_one(int n)
{
	for (int i = 0; i < n; i++)
		target_sink = malloc(1000);
}

__attribute__((noinline)) static void phase_two(int n)
{
	for (int i = 0; i < n; i++)
		target_sink = malloc(1000);
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	target_wait_attached();
	phase_one(atoi(argv[1]));
	usleep((useconds_t)(atof(argv[2]) * 1e6));
	phase_two(atoi(argv[3]));
	for (;;)
		pause();
}
