/* Reachability target: four threads each hold a block only on their own
 * stack (a volatile local), blocked, when the process ends with them still
 * running: `reach_threads exit` (exit() from main), `reach_threads signal`
 * (killed by SIGTERM's default action), `reach_threads exit_group` (a raw
 * exit_group from a thread). main loses one block (the line marked LEAK). */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target.h"

#define THREADS 4

static pthread_barrier_t ready;
static const char *mode = "exit";

static void *__attribute__((noinline)) worker(void *arg)
{
	void *volatile mine = malloc(200 + (size_t)(uintptr_t)arg);

	pthread_barrier_wait(&ready);
	if ((uintptr_t)arg == 0 && !strcmp(mode, "exit_group")) {
		usleep(20000);
		__asm__ volatile("mov $231, %%eax\n\txor %%edi, %%edi\n\tsyscall" : : : "rax", "rdi");
	}
	for (;;)
		pause();
	return (void *)mine;
}

static void __attribute__((noinline)) lose(void)
{
	target_sink = malloc(56); /* LEAK */
	target_sink = NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];

	target_wait_attached();
	if (argc > 1)
		mode = argv[1];
	pthread_barrier_init(&ready, NULL, THREADS + 1);
	for (uintptr_t i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i))
			return 1;
	pthread_barrier_wait(&ready);
	lose();
	if (!strcmp(mode, "signal"))
		raise(SIGTERM);
	if (!strcmp(mode, "exit_group"))
		for (;;)
			pause();
	exit(0);
}
