#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys/procmaps.h"

static const char sample[] =
	"55d0c0a00000-55d0c0a01000 r--p 00000000 fe:01 1234                       /srv/app\n"
	"55d0c0a01000-55d0c0a02000 r-xp 00001000 fe:01 1234                       /srv/app\n"
	"55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0000001000 r-xp 00000000 00:00 0 \n"
	"7f1000000000-7f1000028000 r-xp 00028000 fe:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f2000000000-7f2000001000 r-xp 00000000 08:02 77 /tmp/old binary (deleted)\n";

static void parse(struct procmaps *m)
{
	FILE *f = fmemopen((void *)sample, sizeof(sample) - 1, "r");

	cr_assert_eq(procmaps__parse(f, m), 0);
	fclose(f);
}

Test(procmaps, parses_fields)
{
	struct procmaps m;

	parse(&m);
	cr_assert_eq(m.n, 6);
	cr_assert_eq(m.v[1].start, 0x55d0c0a01000ULL);
	cr_assert_eq(m.v[1].offset, 0x1000);
	cr_assert_str_eq(m.v[1].perms, "r-xp");
	cr_assert_eq(m.v[1].dev_major, 0xfe);
	cr_assert_eq(m.v[1].inode, 1234);
	cr_assert(procmap__is_file(&m.v[1]));
	cr_assert_str_eq(m.v[2].path, "[heap]");
	cr_assert(!procmap__is_file(&m.v[2]));
	cr_assert_null(m.v[3].path, "anonymous");
	cr_assert_str_eq(m.v[4].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	cr_assert_str_eq(m.v[5].path, "/tmp/old binary", "spaces kept, suffix removed");
	cr_assert(m.v[5].deleted);
	procmaps__release(&m);
	procmaps__release(NULL);
}

Test(procmaps, find_by_address)
{
	struct procmaps m;

	parse(&m);
	cr_assert_eq(procmaps__find(&m, 0x55d0c0a01234ULL), &m.v[1]);
	cr_assert_eq(procmaps__find(&m, 0x55d0c0a00000ULL), &m.v[0], "start is inside");
	cr_assert_null(procmaps__find(&m, 0x55d0c0a02000ULL), "end is outside");
	cr_assert_null(procmaps__find(&m, 0x10));
	cr_assert_eq(procmaps__find(&m, 0x7f2000000fffULL), &m.v[5]);
	procmaps__release(&m);
}

Test(procmaps, open_paths)
{
	struct procmaps m;
	char buf[128];

	parse(&m);
	cr_assert_eq(procmaps__open_path(77, &m.v[4], buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/proc/77/root/usr/lib/x86_64-linux-gnu/libc.so.6");
	cr_assert_eq(procmaps__open_path(77, &m.v[5], buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/proc/77/map_files/7f2000000000-7f2000001000");
	cr_assert_eq(procmaps__open_path(77, &m.v[4], buf, 10), -ENAMETOOLONG);
	procmaps__release(&m);
}

Test(procmaps, malformed_and_missing)
{
	static const char bad[] = "not a maps line\n";
	struct procmaps m;
	FILE *f = fmemopen((void *)bad, sizeof(bad) - 1, "r");

	cr_assert_eq(procmaps__parse(f, &m), -EINVAL);
	cr_assert_eq(m.n, 0);
	fclose(f);
	cr_assert_eq(procmaps__read(4194000, &m), -ENOENT);
}

Test(procmaps, reads_self)
{
	struct procmaps m;
	const struct procmap *self;

	cr_assert_eq(procmaps__read(getpid(), &m), 0);
	self = procmaps__find(&m, (uint64_t)(uintptr_t)&procmaps__find);
	cr_assert_not_null(self);
	cr_assert_eq(self->perms[2], 'x');
	cr_assert(procmap__is_file(self));
	procmaps__release(&m);
}
