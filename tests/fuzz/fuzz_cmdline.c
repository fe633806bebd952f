/* Fuzzes lib/cmdline: splitting a -c command line (no globbing: that reads
 * the file system). */
#include "fuzz.h"
#include "lib/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *_lookup(const char *name, void *ctx)
{
	(void)ctx;
	if (!strcmp(name, "HOME"))
		return "/home/user";
	if (!strcmp(name, "SPLIT"))
		return " a  b\tc\n";
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmdline c = { 0 };
	char err[128], *s = fuzz__cstr(data, size);

	if (!cmdline__split(s, _lookup, NULL, &c, err, sizeof(err))) {
		/* at least one word, NULL-terminated; env NULL-terminated when
		 * there are assignments (NULL without any) */
		if (!c.argc || c.argv[c.argc] || (c.nenv && c.env[c.nenv]))
			abort();
		for (size_t i = 0; i < c.nenv; i++)
			if (!cmdline__is_assignment(c.env[i]))
				abort();
	}
	cmdline__release(&c);
	free(s);
	return 0;
}
