/*
 * test_checkpoint.c -- the checkpoint store: round trip, absence, and every
 * kind of corrupt file is an error that names the file and line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cu_main.h"

/* A fake source type whose position is "lsn" and "offset". */
static int
fake_format(const struct rc_pos *pos, struct rc_buf *out)
{
	char lsn[32];

	rc_lsn_format(pos->lsn, lsn, sizeof(lsn));
	return rc_buf_printf(out, "lsn = %s\noffset = %" PRIu64 "\n", lsn,
			     pos->offset);
}

static int
fake_parse(const char *k, const char *v, struct rc_pos *pos, char *err,
	   size_t errlen)
{
	if (strcmp(k, "lsn") == 0) {
		if (rc_lsn_parse(v, &pos->lsn) == 0)
			return 0;
		snprintf(err, errlen, "bad lsn '%s'", v);
		return -1;
	}
	if (strcmp(k, "offset") == 0) {
		pos->offset = strtoull(v, NULL, 10);
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s'", k);
	return -1;
}

static const struct rc_source_ops fake_ops = {
	.name = "fake",
	.format_pos = fake_format,
	.parse_pos = fake_parse,
};

static char dir[256];

static struct rc_source
fake_source(const char *name)
{
	struct rc_source s;

	memset(&s, 0, sizeof(s));
	s.ops = &fake_ops;
	s.name = name;
	return s;
}

static void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.checkpoint", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void
test_roundtrip(void)
{
	struct rc_source s = fake_source("shop");
	struct rc_pos in = {.lsn = 0x16B3748ULL | (3ULL << 32), .offset = 9};
	struct rc_pos out = {0};
	char err[512], path[512];
	struct stat st;

	CU_ASSERT_EQUAL(rc_checkpoint_load(dir, &s, &out, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rc_checkpoint_save(dir, &s, &in, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rc_checkpoint_load(dir, &s, &out, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(out.lsn, in.lsn);
	CU_ASSERT_EQUAL(out.offset, 9);
	/* no temporary file left behind; file is human-readable */
	snprintf(path, sizeof(path), "%s/.shop.checkpoint.tmp", dir);
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	{
		char buf[1024] = {0};
		FILE *f;
		snprintf(path, sizeof(path), "%s/shop.checkpoint", dir);
		f = fopen(path, "r");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT(fread(buf, 1, sizeof(buf) - 1, f) > 0);
		fclose(f);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, "lsn = 3/16B3748"));
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, "source = shop"));
	}
	/* replacing keeps only the newest */
	in.lsn = 42;
	CU_ASSERT_EQUAL(rc_checkpoint_save(dir, &s, &in, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rc_checkpoint_load(dir, &s, &out, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(out.lsn, 42);
}

/* Each corrupt file: load fails with "PATH:LINE" or the missing key. */
static void
expect_corrupt(const char *text, const char *needle)
{
	struct rc_source s = fake_source("bad");
	struct rc_pos out = {0};
	char err[512];

	write_file("bad", text);
	err[0] = 0;
	CU_ASSERT_EQUAL(rc_checkpoint_load(dir, &s, &out, err, sizeof(err)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.checkpoint"));
	if (!strstr(err, needle))
		fprintf(stderr, "error '%s' lacks '%s'\n", err, needle);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
}

static void
test_corrupt(void)
{
	expect_corrupt("format = 1\nsource = bad\ntype = fake\nlsn = zz\n",
		       ":4: bad lsn 'zz'");
	expect_corrupt("format = 1\nsource = bad\ntype = fake\n",
		       "missing the position");
	expect_corrupt("garbage\n", ":1: corrupt checkpoint");
	expect_corrupt("format = 1\nsource = other\ntype = fake\nlsn = 0/1\n",
		       ":2: checkpoint belongs to source 'other'");
	expect_corrupt("format = 1\nsource = bad\ntype = mysql\nlsn = 0/1\n",
		       ":3: checkpoint is of a mysql source");
	expect_corrupt("format = 7\nsource = bad\ntype = fake\nlsn = 0/1\n",
		       ":1: checkpoint format '7'");
	expect_corrupt(
		"format = 1\nsource = bad\ntype = fake\nlsn = 0/1\nwho = x\n",
		":5: unknown key 'who'");
	expect_corrupt("", "missing 'format'");
}

static void
test_unreadable(void)
{
	struct rc_source s = fake_source("x");
	struct rc_pos p = {.lsn = 1};
	char err[512];

	/* state_dir that does not exist: save fails with a message */
	CU_ASSERT_EQUAL(rc_checkpoint_save("/nonexistent/rowcast", &s, &p, err,
					   sizeof(err)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/rowcast"));
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rowcast-test-ckpt-XXXXXX");
	if (!mkdtemp(dir))
		abort();
}

static void
teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static const struct cu_test tests[] = {
	{"round trip", test_roundtrip},
	{"corrupt files are errors", test_corrupt},
	{"unwritable state_dir", test_unreadable},
	{NULL, NULL},
};

int
main(void)
{
	int rc;

	setup();
	rc = cu_run("checkpoint", tests);
	teardown();
	return rc;
}
