/*
 * test_mygtid.c -- GTID sets: text round trips and normalisation, adding,
 * tags, MariaDB domains, MySQL's binary form (round trips, and the
 * PREVIOUS_GTIDS bodies of two real MySQL binlog files), and bad input of
 * every kind rejected without a crash.
 *
 * The binlog files are read from $RC_BINLOG_FIXTURES, else from
 * $top_srcdir/tests/fixtures/binlog (a copy of ../shared/fixtures/binlog).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "limits.h"
#include "my_gtid.h"

static char err[RC_ERRLEN];

/* Parse text and format it again; returns a static string or "ERR: ...". */
static const char *
norm(const char *text)
{
	static char out[4096];
	struct my_gtid_set *set = my_gtid_set_parse(text, err, sizeof(err));
	struct rc_buf b;

	if (!set) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	rc_buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(my_gtid_set_format(set, &b), 0);
	snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	rc_buf_free(&b);
	my_gtid_set_free(set);
	return out;
}

#define U1 "3e11fa47-71ca-11e1-9e33-c80aa9429562"
#define U2 "76f3e7be-6720-11ed-9cad-0242ac110002"
#define U3 "55778904-0299-11f1-b1b8-4ef0c4956feb"

static void
test_text_round_trip(void)
{
	CU_ASSERT_STRING_EQUAL(norm(""), "");
	CU_ASSERT_STRING_EQUAL(norm(U1 ":1-10"), U1 ":1-10");
	CU_ASSERT_STRING_EQUAL(norm(U1 ":1-10:12-15," U2 ":1-3"),
			       U1 ":1-10:12-15," U2 ":1-3");
	CU_ASSERT_STRING_EQUAL(norm(U1 ":5"), U1 ":5");
	CU_ASSERT_STRING_EQUAL(norm(U1 ":5-5"), U1 ":5");
	CU_ASSERT_STRING_EQUAL(norm("0-1-7"), "0-1-7");
	CU_ASSERT_STRING_EQUAL(norm("0-1-7,1-2-30"), "0-1-7,1-2-30");
	/* MySQL's @@gtid_executed puts ",\n" between UUIDs */
	CU_ASSERT_STRING_EQUAL(norm(U2 ":1-3,\n" U1 ":1-2"),
			       U1 ":1-2," U2 ":1-3");
	/* upper case and undashed UUIDs are read, written canonical */
	CU_ASSERT_STRING_EQUAL(norm("3E11FA47-71CA-11E1-9E33-C80AA9429562:1"),
			       U1 ":1");
	CU_ASSERT_STRING_EQUAL(norm("3e11fa4771ca11e19e33c80aa9429562:1"),
			       U1 ":1");
	CU_ASSERT_STRING_EQUAL(norm(" , " U1 " : 1 - 3 ,, "), U1 ":1-3");
}

static void
test_normalise(void)
{
	CU_ASSERT_STRING_EQUAL(norm(U1 ":1-3:4-6"), U1 ":1-6");
	CU_ASSERT_STRING_EQUAL(norm(U1 ":4-6:1-3"), U1 ":1-6");
	CU_ASSERT_STRING_EQUAL(norm(U1 ":1-3:5-6"), U1 ":1-3:5-6");
	CU_ASSERT_STRING_EQUAL(norm(U1 ":8:1-3:2-9:20"), U1 ":1-9:20");
	CU_ASSERT_STRING_EQUAL(norm(U1 ":1:3:5:7:2:4:6"), U1 ":1-7");
	CU_ASSERT_STRING_EQUAL(norm(U1 ":10-20:1-100"), U1 ":1-100");
	CU_ASSERT_STRING_EQUAL(norm(U2 ":1-3," U1 ":7," U2 ":4-5," U1 ":1"),
			       U1 ":1:7," U2 ":1-5");
	CU_ASSERT_STRING_EQUAL(norm("1-2-30,0-1-7"), "0-1-7,1-2-30");
	CU_ASSERT_STRING_EQUAL(norm("10-1-1,2-1-1,0-5-9"),
			       "0-5-9,2-1-1,10-1-1");
}

static void
test_add(void)
{
	static const uint8_t u[16] = {0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca,
				      0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a,
				      0xa9, 0x42, 0x95, 0x62};
	struct my_gtid_set *set = my_gtid_set_new(MY_GTID_MYSQL);
	struct rc_buf b;
	char one[128];

	CU_ASSERT_TRUE(my_gtid_set_empty(set));
	for (int g = 1; g <= 5; g++)
		CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, NULL, g), 0);
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, NULL, 9), 0);
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, "", 7), 0);
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, "Tag_1", 2), 0);
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, NULL, 3), 0); /* dup */
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, NULL, 8), 0); /* joins */
	CU_ASSERT_FALSE(my_gtid_set_empty(set));
	/* refused: gno 0, bad tags, the other flavor on a non-empty set */
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, NULL, 0), -1);
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, NULL, INT64_MAX), -1);
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, "1abc", 1), -1);
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, "a-b", 1), -1);
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(
				set, u, "a23456789012345678901234567890123", 1),
			-1);
	CU_ASSERT_EQUAL(my_gtid_set_add_maria(set, 0, 1, 5), -1);
	rc_buf_init(&b, 4096);
	CU_ASSERT_EQUAL(my_gtid_set_format(set, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, U1 ":1-5:7-9:tag_1:2");
	rc_buf_free(&b);
	my_gtid_set_free(set);

	my_gtid_format_one_mysql(u, NULL, 42, one, sizeof(one));
	CU_ASSERT_STRING_EQUAL(one, U1 ":42");
	my_gtid_format_one_mysql(u, "mytag", 3, one, sizeof(one));
	CU_ASSERT_STRING_EQUAL(one, U1 ":mytag:3");
	my_gtid_format_one_mysql(u, NULL, 42, one, 5);
	CU_ASSERT_STRING_EQUAL(one, "3e11");

	/* MariaDB: the domain's position moves; an empty set takes the
	 * flavor of its first GTID */
	set = my_gtid_set_new(MY_GTID_MYSQL);
	CU_ASSERT_EQUAL(my_gtid_set_add_maria(set, 1, 2, 30), 0);
	CU_ASSERT_EQUAL(my_gtid_set_flavor(set), MY_GTID_MARIADB);
	CU_ASSERT_EQUAL(my_gtid_set_add_maria(set, 0, 1, 7), 0);
	CU_ASSERT_EQUAL(my_gtid_set_add_maria(set, 0, 3, 8), 0);
	CU_ASSERT_EQUAL(my_gtid_set_add_mysql(set, u, NULL, 1), -1);
	rc_buf_init(&b, 4096);
	CU_ASSERT_EQUAL(my_gtid_set_format(set, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "0-3-8,1-2-30");
	rc_buf_free(&b);
	/* MariaDB sets have no binary form */
	rc_buf_init(&b, 4096);
	CU_ASSERT_EQUAL(my_gtid_set_encode(set, &b), -1);
	rc_buf_free(&b);
	my_gtid_set_free(set);
}

static void
test_tagged_text(void)
{
	CU_ASSERT_STRING_EQUAL(norm(U3 ":1-13:mytag:1-2"),
			       U3 ":1-13:mytag:1-2");
	/* tags sort after the untagged intervals, and by name; lower case */
	CU_ASSERT_STRING_EQUAL(norm(U3 ":zz:1:MyTag:1-2:5," U3 ":3"),
			       U3 ":3:mytag:1-2:5:zz:1");
	CU_ASSERT_STRING_EQUAL(norm(U3 ":t:1-3," U3 ":t:4"), U3 ":t:1-4");
	CU_ASSERT_STRING_EQUAL(norm(U3 ":_a1:7"), U3 ":_a1:7");
}

static void
test_maria_multi_domain(void)
{
	struct my_gtid_set *set = my_gtid_set_parse(
		"0-1-7, 1-2-30 ,4294967295-4294967295-18446744073709551615",
		err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(my_gtid_set_flavor(set), MY_GTID_MARIADB);
	my_gtid_set_free(set);
	CU_ASSERT_STRING_EQUAL(
		norm("4294967295-4294967295-18446744073709551615"),
		"4294967295-4294967295-18446744073709551615");
}

/* Each bad text is refused, and the message quotes the part in fault. */
static void
test_bad_text(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{U1, "needs at least one interval"},
		{U1 ":", "neither an interval nor a tag"},
		{U1 ":0", "out of range"},
		{U1 ":5-3", "5-3 ends before it starts"},
		{U1 ":1-", "bad interval end"},
		{U1 ":1-x", "bad interval end"},
		{U1 ":99999999999999999999", "out of range"},
		{U1 ":9223372036854775807", "out of range"},
		{U1 ":1x", "unexpected 'x'"},
		{U1 ":tag", "tag 'tag' has no interval"},
		{U1 ":1:tag", "tag 'tag' has no interval"},
		{U1 ":a:b:1", "tag 'a' has no interval"},
		{U1 ":1ab:1", "unexpected 'a'"},
		{U1 ":a-b:1", "neither an interval nor a tag"},
		{U1 ":a23456789012345678901234567890123:1", "neither"},
		{"3e11fa47-71ca-11e1-9e33-c80aa942956:1", "does not start"},
		{"3e11fa47-71ca-11e1-9e33-c80aa942956g:1", "does not start"},
		{U1 ":1,garbage:1", "'garbage:1' does not start with a UUID"},
		{"0-1", "'0-1' is not a MariaDB GTID"},
		{"0-1-7,", NULL},
		{"0-1-7-8", "is not a MariaDB GTID"},
		{"0-1-x", "is not a MariaDB GTID"},
		{"4294967296-1-1", "is not a MariaDB GTID"},
		{"0-1-18446744073709551616", "is not a MariaDB GTID"},
		{"0-1-7,0-2-9", "domain 0 appears twice"},
		{"0-1-7," U1 ":1", "is not a MariaDB GTID"},
		{"abc", "not a MariaDB GTID"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct my_gtid_set *set;

		err[0] = 0;
		set = my_gtid_set_parse(bad[i].text, err, sizeof(err));
		if (!bad[i].want) {
			CU_ASSERT_PTR_NOT_NULL(set);
			my_gtid_set_free(set);
			continue;
		}
		CU_ASSERT_PTR_NULL(set);
		if (!strstr(err, bad[i].want))
			printf("\n  '%s': got '%s', want '%s'\n", bad[i].text,
			       err, bad[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].want));
		my_gtid_set_free(set);
	}
}

/* ------------------------------------------------------------------ */
/* Binary form                                                        */
/* ------------------------------------------------------------------ */

static struct rc_buf
encode_text(const char *text)
{
	struct my_gtid_set *set = my_gtid_set_parse(text, err, sizeof(err));
	struct rc_buf b;

	rc_buf_init(&b, 1 << 20);
	CU_ASSERT_PTR_NOT_NULL(set);
	if (set)
		CU_ASSERT_EQUAL(my_gtid_set_encode(set, &b), 0);
	my_gtid_set_free(set);
	return b;
}

static const char *
decode_fmt(const void *p, size_t n)
{
	static char out[4096];
	struct my_gtid_set *set = my_gtid_set_decode(p, n, err, sizeof(err));
	struct rc_buf b;

	if (!set) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	rc_buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(my_gtid_set_format(set, &b), 0);
	snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	rc_buf_free(&b);
	my_gtid_set_free(set);
	return out;
}

static void
test_binary_round_trip(void)
{
	static const char *texts[] = {
		"",
		U1 ":1-10:12-15," U2 ":1-3",
		U1 ":7",
		U3 ":1-13:mytag:1-2",
		U1 ":1:a:2:b:3," U3 ":c:9-10",
	};
	struct rc_buf b;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		b = encode_text(texts[i]);
		CU_ASSERT_STRING_EQUAL(decode_fmt(b.data, b.len), texts[i]);
		rc_buf_free(&b);
	}

	/* the exact untagged bytes: 1 sid, 1 interval [1, 11) */
	b = encode_text(U2 ":1-10");
	CU_ASSERT_EQUAL(b.len, 8 + 16 + 8 + 16);
	CU_ASSERT_EQUAL((unsigned char)b.data[0], 1);
	CU_ASSERT_EQUAL((unsigned char)b.data[7], 0);
	CU_ASSERT_EQUAL((unsigned char)b.data[8], 0x76);
	CU_ASSERT_EQUAL((unsigned char)b.data[24], 1);
	CU_ASSERT_EQUAL((unsigned char)b.data[32], 1);
	CU_ASSERT_EQUAL((unsigned char)b.data[40], 11);
	rc_buf_free(&b);

	/* tagged header: format 1 in bytes 0 and 7, 2 TSIDs in between */
	b = encode_text(U3 ":1-13:mytag:1-2");
	CU_ASSERT_EQUAL((unsigned char)b.data[0], 1);
	CU_ASSERT_EQUAL((unsigned char)b.data[1], 2);
	CU_ASSERT_EQUAL((unsigned char)b.data[7], 1);
	CU_ASSERT_EQUAL((unsigned char)b.data[24], 0); /* empty tag */
	rc_buf_free(&b);

	/* empty set: 8 zero bytes */
	b = encode_text("");
	CU_ASSERT_EQUAL(b.len, 8);
	rc_buf_free(&b);
}

/* Every truncation of a valid encoding, and every lie, is an error. */
static void
test_binary_bad(void)
{
	struct rc_buf b = encode_text(U1 ":1-10:12-15," U3 ":1-13:mytag:1-2");
	unsigned char *p;

	for (size_t n = 0; n < b.len; n++) {
		struct my_gtid_set *set =
			my_gtid_set_decode(b.data, n, err, sizeof(err));
		CU_ASSERT_PTR_NULL(set);
		my_gtid_set_free(set);
	}
	p = malloc(b.len + 1);
	memcpy(p, b.data, b.len);
	p[b.len] = 0;
	CU_ASSERT_STRING_EQUAL(decode_fmt(p, b.len + 1) + 0,
			       "ERR: binary GTID set: 1 bytes left after the "
			       "last UUID (pass the event body without its "
			       "CRC32)");
	free(p);
	rc_buf_free(&b);

	b = encode_text(U1 ":1-10:12-15");
	p = (unsigned char *)b.data;
	/* a count of sids that lies */
	p[0] = 0xff;
	p[3] = 0x7f;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "header says"));
	p[0] = 2;
	p[3] = 0;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "truncated"));
	p[0] = 1;
	/* a count of intervals that lies */
	p[24] = 3;
	CU_ASSERT_PTR_NOT_NULL(
		strstr(decode_fmt(p, b.len), "says 3 intervals"));
	p[24] = 2;
	p[25] = 0xff;
	p[31] = 0x7f;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "intervals but"));
	p[25] = 0;
	p[31] = 0;
	CU_ASSERT_STRING_EQUAL(decode_fmt(p, b.len), U1 ":1-10:12-15");
	/* start >= end */
	p[32] = 11;
	CU_ASSERT_PTR_NOT_NULL(
		strstr(decode_fmt(p, b.len), "[11, 11) is empty or out"));
	/* start 0 */
	p[32] = 0;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "[0, 11)"));
	p[32] = 1;
	/* overlapping / out of order second interval [5, 16) */
	p[48] = 5;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "[5, 16)"));
	/* touching [11, 16) is not MySQL's form either */
	p[48] = 11;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "[11, 16)"));
	p[48] = 12;
	/* negative end */
	p[63] = 0x80;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "out of order"));
	p[63] = 0;
	/* unknown format byte */
	p[7] = 2;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "unknown format"));
	p[7] = 1; /* tagged marker at the top but not in byte 0 */
	p[0] = 2;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "unknown format"));
	rc_buf_free(&b);

	/* tagged: a tag too long, a bad tag character */
	b = encode_text(U3 ":ab:1");
	p = (unsigned char *)b.data;
	CU_ASSERT_EQUAL(p[24], 4);
	p[24] = 33 << 1;
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "tag longer"));
	p[24] = 1; /* a two-byte varint length */
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "tag longer"));
	p[24] = 4;
	p[25] = '-';
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(p, b.len), "invalid tag"));
	p[25] = 'a';
	CU_ASSERT_STRING_EQUAL(decode_fmt(p, b.len), U3 ":ab:1");
	rc_buf_free(&b);

	CU_ASSERT_PTR_NULL(my_gtid_set_decode(NULL, 0, err, sizeof(err)));
}

/* ------------------------------------------------------------------ */
/* The PREVIOUS_GTIDS events of real MySQL binlog files               */
/* ------------------------------------------------------------------ */

static unsigned char *
read_fixture(const char *name, size_t *len)
{
	char path[1024];
	const char *dir = getenv("RC_BINLOG_FIXTURES");
	const char *top = getenv("top_srcdir");
	unsigned char *data = NULL;
	FILE *f;
	long n;

	if (dir)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s/tests/fixtures/binlog/%s",
			 top ? top : ".", name);
	f = fopen(path, "rb");
	if (!f) {
		printf("\n  cannot open %s (set RC_BINLOG_FIXTURES)\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n);
		if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
			free(data);
			data = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return data;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * A test-only walk over v4 event headers: magic, then events of
 * timestamp(4) type(1) server_id(4) event_len(4) log_pos(4) flags(2). The
 * FDE's body ends with the checksum algorithm byte and its own CRC32, so
 * with CRC32 every body loses its last 4 bytes. Returns the first type-35
 * body (pointing into data) or NULL.
 */
static const unsigned char *
previous_gtids(const unsigned char *data, size_t len, size_t *body_len)
{
	size_t off = 4;
	int crc = 0;

	if (len < 4 || memcmp(data,
			      "\xfe"
			      "bin",
			      4) != 0)
		return NULL;
	while (off + 19 <= len) {
		unsigned type = data[off + 4];
		uint32_t evlen = le32(data + off + 9);

		if (evlen < 19 || evlen > len - off)
			return NULL;
		if (type == 15) /* FDE: alg byte before the 4-byte CRC */
			crc = evlen >= 19 + 5 && data[off + evlen - 5] == 1;
		if (type == 35) {
			*body_len = evlen - 19 - (crc ? 4 : 0);
			return data + off + 19;
		}
		off += evlen;
	}
	return NULL;
}

static void
check_fixture(const char *name, const char *want, int tagged)
{
	size_t len = 0, blen = 0;
	unsigned char *data = read_fixture(name, &len);
	const unsigned char *body;
	struct rc_buf b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	body = previous_gtids(data, len, &blen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	CU_ASSERT_EQUAL(body[7], tagged ? 1 : 0);
	CU_ASSERT_STRING_EQUAL(decode_fmt(body, blen), want);
	/* and our encoding of it is byte for byte the server's */
	b = encode_text(want);
	CU_ASSERT_EQUAL(b.len, blen);
	CU_ASSERT(b.len == blen && memcmp(b.data, body, blen) == 0);
	rc_buf_free(&b);
	/* with the CRC32 left on, the 4 extra bytes are named */
	CU_ASSERT_PTR_NOT_NULL(strstr(decode_fmt(body, blen + 4), "CRC32"));
	free(data);
}

static void
test_fixture_untagged(void)
{
	check_fixture("mysql-8.0.31_trx-payload-gtid-rowsquery.000057",
		      U2 ":1-10", 0);
}

static void
test_fixture_tagged(void)
{
	check_fixture("mysql-9.6.0_gtid-tagged.000001", U3 ":1-13:mytag:1-2",
		      1);
}

/* Many single adds in random order end as one interval; a large set
 * formats and encodes without trouble. */
static void
test_many(void)
{
	static const uint8_t u[16] = {1, 2, 3};
	struct my_gtid_set *set = my_gtid_set_new(MY_GTID_MYSQL);
	struct rc_buf b;
	unsigned x = 12345;
	int64_t g;

	for (int i = 0; i < 20000; i++) {
		x = x * 1103515245u + 12345u;
		CU_ASSERT_EQUAL_FATAL(
			my_gtid_set_add_mysql(set, u, NULL,
					      1 + (x >> 8) % 5000),
			0);
	}
	for (g = 1; g <= 5000; g++)
		CU_ASSERT_EQUAL_FATAL(my_gtid_set_add_mysql(set, u, NULL, g),
				      0);
	rc_buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(my_gtid_set_format(set, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data,
			       "01020300-0000-0000-0000-000000000000:1-5000");
	rc_buf_free(&b);
	for (g = 10000; g < 30000; g += 2)
		CU_ASSERT_EQUAL_FATAL(my_gtid_set_add_mysql(set, u, NULL, g),
				      0);
	rc_buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(my_gtid_set_encode(set, &b), 0);
	CU_ASSERT_EQUAL(b.len, 8 + 16 + 8 + 16 * 10001);
	rc_buf_free(&b);
	my_gtid_set_free(set);
}

static const struct cu_test tests[] = {
	{"text round trip", test_text_round_trip},
	{"normalise", test_normalise},
	{"add", test_add},
	{"tagged text", test_tagged_text},
	{"MariaDB multi-domain", test_maria_multi_domain},
	{"bad text", test_bad_text},
	{"binary round trip", test_binary_round_trip},
	{"binary bad", test_binary_bad},
	{"fixture PREVIOUS_GTIDS untagged", test_fixture_untagged},
	{"fixture PREVIOUS_GTIDS tagged", test_fixture_tagged},
	{"many", test_many},
	{NULL, NULL},
};

CU_MAIN("mygtid", tests)
