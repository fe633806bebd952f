/* Unit tests: the remote_write spool (fleet/spool.h). Records come back
 * oldest first, also after a reopen; files are 0600 in a 0700 directory;
 * a torn record (cut short, or a flipped payload byte) is detected,
 * skipped and counted with its samples, and the records after it still
 * come back; a leftover .tmp is removed and counted; past the byte bound
 * the oldest records go first, counted; a record that can never fit is
 * refused. Invariant after every step: bytes == the files' sizes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet/spool.h"
#include "scratch.h"

static char dir[64], sdir[128];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "spool"), 0);
	snprintf(sdir, sizeof(sdir), "%s/sp", dir);
}

static void teardown(void)
{
	scratch__rmrf(dir);
}

/* The sum of the record files' sizes, and every file is 0600. */
static uint64_t disk_bytes(void)
{
	DIR *d = opendir(sdir);
	struct dirent *e;
	uint64_t n = 0;

	cr_assert(d);
	while ((e = readdir(d))) {
		char p[512];
		struct stat s;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", sdir, e->d_name);
		cr_assert_eq(stat(p, &s), 0);
		cr_expect_eq(s.st_mode & 0777, 0600, "%s is %o", p, s.st_mode & 0777);
		n += (uint64_t)s.st_size;
	}
	closedir(d);
	return n;
}

static void check(struct spool *sp)
{
	struct spool_stats st;

	spool__stats(sp, &st);
	cr_assert_eq(st.bytes, disk_bytes());
}

static void put(struct spool *sp, int i)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "record %d", i);
	cr_assert_eq(spool__append(sp, buf, strlen(buf) + 1, (uint32_t)i), 0);
	check(sp);
}

/* The next record must be "record I" with I samples. */
static void take(struct spool *sp, int i)
{
	char want[64];
	void *buf;
	size_t len;
	uint32_t ns;

	snprintf(want, sizeof(want), "record %d", i);
	cr_assert_eq(spool__peek(sp, &buf, &len, &ns), 0, "record %d missing", i);
	cr_expect_str_eq(buf, want);
	cr_expect_eq(ns, (uint32_t)i);
	free(buf);
	cr_assert_eq(spool__pop(sp), 0);
	check(sp);
}

static char *record_path(int nth)
{
	static char p[512];
	struct dirent **names;
	int n = scandir(sdir, &names, NULL, alphasort), k = 0;

	p[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && k++ == nth)
			snprintf(p, sizeof(p), "%s/%s", sdir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return p;
}

TestSuite(spool, .init = setup, .fini = teardown);

Test(spool, oldest_first_and_across_a_reopen)
{
	struct spool *sp;
	char err[256];
	struct stat s;

	cr_assert_eq(spool__open(sdir, 1 << 20, &sp, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(sdir, &s), 0);
	cr_expect_eq(s.st_mode & 0777, 0700);
	for (int i = 1; i <= 5; i++)
		put(sp, i);
	take(sp, 1);
	take(sp, 2);
	spool__free(sp);
	cr_assert_eq(spool__open(sdir, 1 << 20, &sp, err, sizeof(err)), 0, "%s", err);
	put(sp, 6);
	for (int i = 3; i <= 6; i++)
		take(sp, i);
	{
		void *b;
		size_t l;
		uint32_t n;

		cr_expect_eq(spool__peek(sp, &b, &l, &n), -ENOENT);
	}
	spool__free(sp);
}

Test(spool, torn_records_are_skipped_and_counted)
{
	struct spool *sp;
	struct spool_stats st;
	char err[256];
	FILE *f;

	cr_assert_eq(spool__open(sdir, 1 << 20, &sp, err, sizeof(err)), 0, "%s", err);
	for (int i = 1; i <= 4; i++)
		put(sp, i);
	spool__free(sp);
	/* record 2 cut short, record 3 with a flipped byte, a leftover .tmp */
	cr_assert_eq(truncate(record_path(1), 20), 0);
	f = fopen(record_path(2), "r+");
	cr_assert(f);
	fseek(f, 17, SEEK_SET);
	fputc('X', f);
	fclose(f);
	{
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s/00000000000000ff.tmp", sdir);
		f = fopen(tmp, "w");
		fputs("half", f);
		fclose(f);
	}
	cr_assert_eq(spool__open(sdir, 1 << 20, &sp, err, sizeof(err)), 0, "%s", err);
	spool__stats(sp, &st);
	cr_expect_eq(st.torn, 1, "the leftover .tmp");
	take(sp, 1);
	take(sp, 4);
	spool__stats(sp, &st);
	cr_expect_eq(st.torn, 3);
	cr_expect_eq(st.dropped_records, 2);
	cr_expect_eq(st.dropped_samples, 2 + 3, "the torn records' samples");
	cr_expect_eq(st.records, 0);
	spool__free(sp);
}

Test(spool, bounded_the_oldest_go_first)
{
	struct spool *sp;
	struct spool_stats st;
	char err[256], big[600];

	/* each record: 16 + 9 bytes; room for 4 */
	cr_assert_eq(spool__open(sdir, 4 * 25 + 10, &sp, err, sizeof(err)), 0, "%s", err);
	for (int i = 1; i <= 7; i++)
		put(sp, i);
	spool__stats(sp, &st);
	cr_expect_eq(st.records, 4);
	cr_expect_leq(st.bytes, 110);
	cr_expect_eq(st.dropped_records, 3);
	cr_expect_eq(st.dropped_samples, 1 + 2 + 3);
	memset(big, 'x', sizeof(big));
	cr_expect_eq(spool__append(sp, big, sizeof(big), 9), -ENOSPC, "it can never fit");
	spool__stats(sp, &st);
	cr_expect_eq(st.dropped_samples, 1 + 2 + 3 + 9);
	for (int i = 4; i <= 7; i++)
		take(sp, i);
	spool__free(sp);
}

Test(spool, an_unusable_directory_is_an_error)
{
	struct spool *sp;
	char err[256] = "";

	cr_expect_neq(spool__open("/proc/seep-no/such", 1 << 20, &sp, err, sizeof(err)), 0);
	cr_expect(strstr(err, "cannot create spool '/proc/seep-no/such'"), "%s", err);
	cr_expect_null(sp);
}
