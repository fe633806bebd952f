/* The leak is inside a shared library. Expected stack: malloc, lib_leak
 * (libseepleak.so), lib_entry (libseepleak.so), use_library, main. */
#include <stdlib.h>

#include "target.h"

int lib_entry(int i, void **out);

static void *kept[100];

__attribute__((noinline)) int use_library(void)
{
	int ok = 0;

	for (int i = 0; i < 100; i++)
		ok += lib_entry(i, &kept[i]);
	return ok;
}

int main(void)
{
	target_wait_attached();
	return use_library() == 100 ? 0 : 1;
}
