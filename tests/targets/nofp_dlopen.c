/* Opens a shared library while traced and allocates from it at once: the
 * library was not among the modules seep read when it attached.
 * usage: nofp_dlopen LIBRARY N S -- dlopen LIBRARY (libseepleak.so), leak
 * N blocks through its lib_entry() right away, sleep S seconds. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "target.h"

typedef int (*entry_fn)(int i, void **out);

int main(int argc, char **argv)
{
	entry_fn entry;
	void *lib, *p;
	int n;

	if (argc < 4) {
		fprintf(stderr, "usage: nofp_dlopen LIBRARY N S\n");
		return 2;
	}
	target_wait_attached();
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "nofp_dlopen: %s\n", dlerror());
		return 1;
	}
	entry = (entry_fn)dlsym(lib, "lib_entry");
	if (!entry) {
		fprintf(stderr, "nofp_dlopen: %s\n", dlerror());
		return 1;
	}
	n = atoi(argv[2]);
	for (int i = 0; i < n; i++) {
		if (!entry(i, &p))
			return 1;
		target_sink = p;   /* never freed */
	}
	usleep((useconds_t)(atof(argv[3]) * 1e6));
	return 0;
}
