/* Fuzzes snapshot/store's series reader: the input is a series'
 * index.json, next to two snapshot files. */
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "snapshot/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void _put(const char *name, const void *p, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **paths;
	size_t n, missing;

	if (!dir[0]) {
		strcpy(dir, "/tmp/seep-fuzz-index-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		_put("snap-000001.pb.gz", "x", 1);
		_put("snap-000003.pb.gz", "x", 1);
		fuzz__quiet();
	}
	_put("index.json", data, size);
	if (!store__list_checked(dir, &paths, &n, &missing)) {
		if (n != 2)
			abort();
		store__list_free(paths, n);
	}
	fuzz__drop_errors();
	return 0;
}
