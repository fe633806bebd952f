/* THREADS threads each first keep a 16-byte block from thread_hello() (the
 * call in which glibc creates the thread's arena: a nested mmap), then keep
 * ALLOCS blocks of SIZE bytes allocated from thread_alloc(), and allocate and
 * free as many from thread_churn(). */
#include <pthread.h>
#include <stdlib.h>

#include "target.h"

#define THREADS 4
#define ALLOCS 1000
#define SIZE 64

__attribute__((noinline)) static void *thread_alloc(void)
{
	return malloc(SIZE);
}

__attribute__((noinline)) static void *thread_hello(void)
{
	return malloc(16);
}

__attribute__((noinline)) static void thread_churn(void)
{
	free(malloc(SIZE * 2));
}

static void *worker(void *arg)
{
	void *hello = thread_hello();                    /* live: one per thread */
	void **keep = malloc(ALLOCS * sizeof(void *));   /* live: one per thread */

	(void)arg;
	target_sink = hello;
	for (int i = 0; i < ALLOCS; i++) {
		keep[i] = thread_alloc();
		thread_churn();
	}
	target_sink = keep;
	return keep;
}

int main(void)
{
	pthread_t t[THREADS];

	target_wait_attached();
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
