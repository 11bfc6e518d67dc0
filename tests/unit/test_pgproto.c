/*
 * test_pgproto.c -- CopyData frames and pgoutput messages
 * (sources/postgres/pg_proto.c).
 *
 * The fixtures are real bytes: the CopyData frames a PostgreSQL 15.18
 * walsender sent to a libpq client for
 *   START_REPLICATION SLOT s1 LOGICAL 0/0 (proto_version '1',
 *     publication_names 'pub', messages 'true')
 * after this session (t1 has the default replica identity, tfull FULL, and
 * t1.big is STORAGE EXTERNAL so that 3000 bytes are TOASTed):
 *
 *   CREATE TYPE mood AS ENUM ('sad','ok','happy');
 *   CREATE TABLE t1 (id int PRIMARY KEY, name text, amount numeric(12,2),
 *                    m mood, big text);
 *   CREATE TABLE tfull (id int PRIMARY KEY, v text, ts timestamptz);
 *   INSERT INTO t1 VALUES (1,'alice',12.50,'happy',NULL);
 *   UPDATE t1 SET name='bob' WHERE id=1;
 *   UPDATE t1 SET id=2 WHERE id=1;
 *   INSERT INTO t1 VALUES (3,'toast',-0.05,'ok',repeat('x',3000));
 *   UPDATE t1 SET name='t2' WHERE id=3;
 *   DELETE FROM t1 WHERE id=2;
 *   INSERT INTO tfull VALUES (10,'v1','2024-01-02 03:04:05.123456+00');
 *   UPDATE tfull SET v='v2' WHERE id=10;
 *   DELETE FROM tfull WHERE id=10;
 *   TRUNCATE t1, tfull RESTART IDENTITY CASCADE;
 *   BEGIN; SELECT pg_logical_emit_message(true,'myprefix','tx-msg');
 *          INSERT INTO tfull VALUES (11, NULL, NULL); COMMIT;
 *   SELECT pg_logical_emit_message(false,'p2','non-tx');
 *   SELECT pg_replication_origin_session_setup('myorigin');  -- (created)
 *   BEGIN; SELECT pg_replication_origin_xact_setup('0/12345678',
 *                                        '2024-01-02 03:04:05+00');
 *          INSERT INTO tfull VALUES (12,'o',NULL); COMMIT;
 *
 * plus one Insert decoded with binary 'true' (pg_logical_slot_peek_binary_
 * changes). Field values asserted below were read from the same bytes by
 * an independent decoder (Python struct).
 *
 * Every message is also cut at every length, given trailing bytes, lying
 * counts and lengths, and unknown types; each cut copy lives in a buffer
 * of exactly its size, so an overread shows under AddressSanitizer.
 */
#include "pg_proto.h"

#include "limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"

/* ------------------------------------------------------------------ */
/* Fixtures                                                           */
/* ------------------------------------------------------------------ */

struct frame {
	int no; /* position in the captured stream */
	const char *hex;
};

static const struct frame frames[] = {
	/* 1: keepalive, start */
	{1, "6b000000000192a2b00003043a621dfa7300"},
	/* 2: B xid 731 */
	{2, "77000000000192a2e8000000000192a2e80003043a621dfbc442000000000192"
	    "a3d80003043a61b0a5a7000002db"},
	/* 3: Y mood */
	{3, "77000000000000000000000000000000000003043a621dfc2259000040027075"
	    "626c6963006d6f6f6400"},
	/* 4: R t1 (replident d) */
	{4, "77000000000000000000000000000000000003043a621dfc9352000040097075"
	    "626c6963007431006400050169640000000017ffffffff006e616d6500000000"
	    "19ffffffff00616d6f756e7400000006a4000c0006006d0000004002ffffffff"
	    "006269670000000019ffffffff"},
	/* 5: I t1 (1,alice,12.50,happy,NULL) */
	{5, "77000000000192a2e8000000000192a2e80003043a621dfce849000040094e00"
	    "057400000001317400000005616c696365740000000531322e35307400000005"
	    "68617070796e"},
	/* 6: C xid 731 */
	{6, "77000000000192a408000000000192a4080003043a621dfcf843000000000001"
	    "92a3d8000000000192a4080003043a61b0a5a7"},
	/* 7: B xid 732 */
	{7, "77000000000192a408000000000192a4080003043a621dfd3842000000000192"
	    "a4600003043a61b0a84b000002dc"},
	/* 8: U t1 N: name=bob */
	{8, "77000000000192a408000000000192a4080003043a621dfd4955000040094e00"
	    "057400000001317400000003626f62740000000531322e353074000000056861"
	    "7070796e"},
	/* 9: C */
	{9, "77000000000192a490000000000192a4900003043a621dfd5043000000000001"
	    "92a460000000000192a4900003043a61b0a84b"},
	/* 10: B xid 733 */
	{10, "77000000000192a490000000000192a4900003043a621dfd6742000000000192"
	     "a5300003043a61b0a91d000002dd"},
	/* 11: U t1 K N: id 1 -> 2 */
	{11, "77000000000192a490000000000192a4900003043a621dfd7455000040094b00"
	     "057400000001316e6e6e6e4e00057400000001327400000003626f6274000000"
	     "0531322e3530740000000568617070796e"},
	/* 12: C */
	{12, "77000000000192a560000000000192a5600003043a621dfd7e43000000000001"
	     "92a530000000000192a5600003043a61b0a91d"},
	/* 13: B xid 734 */
	{13, "77000000000192b280000000000192b2800003043a621dfdbc42000000000192"
	     "b3200003043a61b0ab1e000002de"},
	/* frame 14, I t1 with a 3000-byte value, left out */
	/* 15: C */
	{15, "77000000000192b350000000000192b3500003043a621dfdef43000000000001"
	     "92b320000000000192b3500003043a61b0ab1e"},
	/* 16: B xid 735 */
	{16, "77000000000192b388000000000192b3880003043a621dfe0442000000000192"
	     "b3f00003043a61b0abca000002df"},
	/* 17: U t1 N with unchanged TOAST 'u' */
	{17,
	 "77000000000192b388000000000192b3880003043a621dfe0d55000040094e00"
	 "057400000001337400000002743274000000052d302e303574000000026f6b75"},
	/* 18: C */
	{18, "77000000000192b420000000000192b4200003043a621dfe1543000000000001"
	     "92b3f0000000000192b4200003043a61b0abca"},
	/* 19: B xid 736 */
	{19, "77000000000192b420000000000192b4200003043a621dfe2242000000000192"
	     "b4600003043a61b0ac51000002e0"},
	/* 20: D t1 K */
	{20, "77000000000192b420000000000192b4200003043a621dfe2a44000040094b00"
	     "057400000001326e6e6e6e"},
	/* 21: C */
	{21, "77000000000192b490000000000192b4900003043a621dfe3243000000000001"
	     "92b460000000000192b4900003043a61b0ac51"},
	/* 22: B xid 737 */
	{22, "77000000000192b490000000000192b4900003043a621dfe6242000000000192"
	     "b5780003043a61b0adcb000002e1"},
	/* 23: R tfull (replident f) */
	{23, "77000000000000000000000000000000000003043a621dfe6c52000040107075"
	     "626c6963007466756c6c006600030169640000000017ffffffff017600000000"
	     "19ffffffff01747300000004a0ffffffff"},
	/* 24: I tfull */
	{24, "77000000000192b490000000000192b4900003043a621dfe7d49000040104e00"
	     "037400000002313074000000027631740000001d323032342d30312d30322030"
	     "333a30343a30352e3132333435362b3030"},
	/* 25: C */
	{25, "77000000000192b5a8000000000192b5a80003043a621dfe8543000000000001"
	     "92b578000000000192b5a80003043a61b0adcb"},
	/* 26: B xid 738 */
	{26, "77000000000192b5a8000000000192b5a80003043a621dfe9542000000000192"
	     "b6100003043a61b0ae98000002e2"},
	/* 27: U tfull O N */
	{27, "77000000000192b5a8000000000192b5a80003043a621dfe9e55000040104f00"
	     "037400000002313074000000027631740000001d323032342d30312d30322030"
	     "333a30343a30352e3132333435362b30304e0003740000000231307400000002"
	     "7632740000001d323032342d30312d30322030333a30343a30352e3132333435"
	     "362b3030"},
	/* 28: C */
	{28, "77000000000192b640000000000192b6400003043a621dfea543000000000001"
	     "92b610000000000192b6400003043a61b0ae98"},
	/* 29: B xid 739 */
	{29, "77000000000192b640000000000192b6400003043a621dfeb542000000000192"
	     "b6900003043a61b0af23000002e3"},
	/* 30: D tfull O */
	{30, "77000000000192b640000000000192b6400003043a621dfeca44000040104f00"
	     "037400000002313074000000027632740000001d323032342d30312d30322030"
	     "333a30343a30352e3132333435362b3030"},
	/* 31: C */
	{31, "77000000000192b6c0000000000192b6c00003043a621dfed143000000000001"
	     "92b690000000000192b6c00003043a61b0af23"},
	/* 32: B xid 740 */
	{32, "77000000000192cd80000000000192cd800003043a621dff6242000000000192"
	     "cdb00003043a61b0b73b000002e4"},
	/* 33: Y mood (re-sent) */
	{33, "77000000000000000000000000000000000003043a621dff7359000040027075"
	     "626c6963006d6f6f6400"},
	/* 34: R t1 */
	{34, "77000000000000000000000000000000000003043a621dff8f52000040097075"
	     "626c6963007431006400050169640000000017ffffffff006e616d6500000000"
	     "19ffffffff00616d6f756e7400000006a4000c0006006d0000004002ffffffff"
	     "006269670000000019ffffffff"},
	/* 35: R tfull */
	{35, "77000000000000000000000000000000000003043a621dffa352000040107075"
	     "626c6963007466756c6c006600030169640000000017ffffffff017600000000"
	     "19ffffffff01747300000004a0ffffffff"},
	/* 36: T t1, tfull CASCADE RESTART IDENTITY */
	{36, "77000000000192cd80000000000192cd800003043a621dffaa54000000020300"
	     "00400900004010"},
	/* 37: C */
	{37, "77000000000192d050000000000192d0500003043a621dffb143000000000001"
	     "92cdb0000000000192d0500003043a61b0b73b"},
	/* 38: B xid 741 */
	{38, "77000000000192d098000000000192d0980003043a621dffd042000000000192"
	     "d1780003043a61b0bbc4000002e5"},
	/* 39: M transactional */
	{39, "77000000000192d098000000000192d0980003043a621dffdc4d010000000001"
	     "92d0986d79707265666978000000000674782d6d7367"},
	/* 40: R tfull */
	{40, "77000000000000000000000000000000000003043a621dfffb52000040107075"
	     "626c6963007466756c6c006600030169640000000017ffffffff017600000000"
	     "19ffffffff01747300000004a0ffffffff"},
	/* 41: I tfull (11,NULL,NULL) */
	{41, "77000000000192d098000000000192d0980003043a621e000849000040104e00"
	     "03740000000231316e6e"},
	/* 42: C */
	{42, "77000000000192d1a8000000000192d1a80003043a621e001243000000000001"
	     "92d178000000000192d1a80003043a61b0bbc4"},
	/* 43: M non-transactional */
	{43, "77000000000192d1e8000000000192d1e80003043a621e001e4d000000000001"
	     "92d1e8703200000000066e6f6e2d7478"},
	/* 44: B xid 743 (origin; dataStart 0/0) */
	{44, "77000000000000000000000000000000000003043a621e006342000000000192"
	     "d4d00002b0ec8515f340000002e7"},
	/* 45: O myorigin */
	{45, "77000000000192d450000000000192d4500003043a621e00734f000000001234"
	     "56786d796f726967696e00"},
	/* 46: I tfull (12,o,NULL) */
	{46, "77000000000192d450000000000192d4500003043a621e007e49000040104e00"
	     "037400000002313274000000016f6e"},
	/* 47: C xid 743 */
	{47, "77000000000192d518000000000192d5180003043a621e008543000000000001"
	     "92d4d0000000000192d5180002b0ec8515f340"},
	/* 48: keepalive, end */
	{48, "6b000000000192d5500003043a621e021900"},
};

#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

/* Insert into tfull (13,'bin','2024-01-02 03:04:05.123456+00'), binary. */
static const char *binary_insert_hex =
	"49000040104e000362000000040000000d620000000362696e62000000080002"
	"b0ec8517d580";

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Hex to a malloc'd buffer of exactly the decoded size (at least 1). */
static unsigned char *
unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	unsigned char *p = malloc(n ? n : 1);

	CU_ASSERT_FATAL(p != NULL);
	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &p[i]);
	*len = n;
	return p;
}

/* The decoded frames, and the pgoutput messages of the 'w' ones. */
static unsigned char *fbuf[NFRAMES];
static size_t flen[NFRAMES];

static void
load_frames(void)
{
	for (size_t i = 0; i < NFRAMES; i++)
		if (!fbuf[i])
			fbuf[i] = unhex(frames[i].hex, &flen[i]);
}

static const struct frame *
frame_by_no(int no, size_t *idx)
{
	for (size_t i = 0; i < NFRAMES; i++)
		if (frames[i].no == no) {
			*idx = i;
			return &frames[i];
		}
	CU_FAIL_FATAL("no such frame");
	return NULL;
}

/* The pgoutput message of frame no (a 'w' frame), in place. */
static const unsigned char *
msg_of(int no, size_t *len)
{
	struct pg_copy cp;
	char err[RC_ERRLEN];
	size_t i = 0;

	load_frames();
	frame_by_no(no, &i);
	CU_ASSERT_FATAL(
		pg_parse_copy(fbuf[i], flen[i], &cp, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(cp.kind == 'w');
	*len = cp.len;
	return cp.data;
}

static struct pg_parser ps;
static struct pg_msg msg;
static char err[RC_ERRLEN];

/* Parse frame no's message into msg; asserts success. */
static void
parse_frame(int no)
{
	size_t len;
	const unsigned char *m = msg_of(no, &len);
	int rc = pg_parse(&ps, m, len, &msg, err, sizeof(err));

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(err, "");
}

static int
col_is(const struct pg_tuple *t, int i, char kind, const char *text)
{
	const struct pg_tuple_col *c = &t->cols[i];

	if (c->kind != kind)
		return 0;
	if (kind != 't' && kind != 'b')
		return c->len == 0 && c->data == NULL;
	return c->len == strlen(text) && memcmp(c->data, text, c->len) == 0;
}

/* Parse a copy of buf[0..len) in a buffer of exactly len bytes. */
static int
parse_exact(const unsigned char *buf, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);
	int rc;

	CU_ASSERT_FATAL(p != NULL);
	memcpy(p, buf, len);
	rc = pg_parse(&ps, p, len, &msg, err, sizeof(err));
	free(p);
	return rc;
}

/* A small message builder for hand-made messages. */
struct wb {
	unsigned char b[65536];
	size_t n;
};

static struct wb wb;

static void
w8(unsigned v)
{
	wb.b[wb.n++] = (unsigned char)v;
}

static void
w16(unsigned v)
{
	w8(v >> 8);
	w8(v);
}

static void
w32(uint32_t v)
{
	w16(v >> 16);
	w16(v & 0xffff);
}

static void
w64(uint64_t v)
{
	w32((uint32_t)(v >> 32));
	w32((uint32_t)v);
}

static void
wstr(const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(wb.b + wb.n, s, n);
	wb.n += n;
}

/* Parse wb in place (the parsed strings stay valid until wb changes). */
static int
parse_wb(void)
{
	return pg_parse(&ps, wb.b, wb.n, &msg, err, sizeof(err));
}

/* Expect wb to fail with an error starting with prefix and holding sub. */
static void
expect_fail(const char *prefix, const char *sub)
{
	int rc = parse_exact(wb.b, wb.n);

	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT(strncmp(err, prefix, strlen(prefix)) == 0);
	CU_ASSERT(sub == NULL || strstr(err, sub) != NULL);
	if (rc != -1 || strncmp(err, prefix, strlen(prefix)) ||
	    (sub && !strstr(err, sub)))
		fprintf(stderr, "\n    got rc=%d err='%s', want '%s...%s'\n",
			rc, err, prefix, sub ? sub : "");
}

/* ------------------------------------------------------------------ */
/* CopyData frames                                                    */
/* ------------------------------------------------------------------ */

static void
test_copy_frames(void)
{
	struct pg_copy cp;
	size_t i = 0;
	static const unsigned char k1[] = {'k', 0, 0, 0, 0, 0, 0, 0, 1,
					   0,	0, 0, 0, 0, 0, 0, 2, 1};

	load_frames();
	for (i = 0; i < NFRAMES; i++) {
		CU_ASSERT_EQUAL(
			pg_parse_copy(fbuf[i], flen[i], &cp, err, sizeof(err)),
			0);
		CU_ASSERT(
			cp.kind ==
			(frames[i].no == 1 || frames[i].no == 48 ? 'k' : 'w'));
	}
	/* the keepalive before the first change */
	frame_by_no(1, &i);
	CU_ASSERT_EQUAL_FATAL(
		pg_parse_copy(fbuf[i], flen[i], &cp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cp.kind, 'k');
	CU_ASSERT_EQUAL(cp.wal_end, 26387120u);
	CU_ASSERT_EQUAL(cp.send_time, 849073730878067);
	CU_ASSERT_EQUAL(cp.reply_requested, 0);
	CU_ASSERT_PTR_NULL(cp.data);
	/* XLogData carrying Begin */
	frame_by_no(2, &i);
	CU_ASSERT_EQUAL_FATAL(
		pg_parse_copy(fbuf[i], flen[i], &cp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cp.kind, 'w');
	CU_ASSERT_EQUAL(cp.wal_start, 0x192a2e8u);
	CU_ASSERT_EQUAL(cp.wal_end, 0x192a2e8u);
	CU_ASSERT_EQUAL(cp.send_time, 0x3043a621dfbc4);
	CU_ASSERT_EQUAL(cp.len, 21);
	CU_ASSERT_PTR_EQUAL(cp.data, fbuf[i] + 25);
	/* Relation and Type arrive with dataStart 0/0 (LAB.md), and so did
	 * the Begin of the transaction that had an origin */
	frame_by_no(4, &i);
	pg_parse_copy(fbuf[i], flen[i], &cp, err, sizeof(err));
	CU_ASSERT_EQUAL(cp.wal_start, 0);
	CU_ASSERT_EQUAL(cp.data[0], 'R');
	frame_by_no(44, &i);
	pg_parse_copy(fbuf[i], flen[i], &cp, err, sizeof(err));
	CU_ASSERT_EQUAL(cp.wal_start, 0);
	CU_ASSERT_EQUAL(cp.data[0], 'B');

	/* a keepalive that asks for a reply */
	CU_ASSERT_EQUAL(pg_parse_copy(k1, sizeof(k1), &cp, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(cp.wal_end, 1);
	CU_ASSERT_EQUAL(cp.send_time, 2);
	CU_ASSERT_EQUAL(cp.reply_requested, 1);
}

static void
test_copy_bad_frames(void)
{
	unsigned char buf[64];
	struct pg_copy cp;
	size_t i = 0;

	load_frames();
	/* every cut of a keepalive, every cut of an XLogData header */
	frame_by_no(48, &i);
	for (size_t n = 0; n < flen[i]; n++) {
		unsigned char *p = malloc(n ? n : 1);

		memcpy(p, fbuf[i], n);
		CU_ASSERT_EQUAL(pg_parse_copy(p, n, &cp, err, sizeof(err)), -1);
		CU_ASSERT(err[0] != 0);
		free(p);
	}
	frame_by_no(2, &i);
	for (size_t n = 0; n < 25; n++) {
		unsigned char *p = malloc(n ? n : 1);

		memcpy(p, fbuf[i], n);
		CU_ASSERT_EQUAL(pg_parse_copy(p, n, &cp, err, sizeof(err)), -1);
		free(p);
	}
	CU_ASSERT_EQUAL(pg_parse_copy(fbuf[i], 10, &cp, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "XLogData frame: walEnd truncated (needs "
				    "8 bytes, 1 left) at byte 9");
	CU_ASSERT_EQUAL(pg_parse_copy(fbuf[i], 0, &cp, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "CopyData frame: frame kind truncated "
				    "(needs 1 bytes, 0 left) at byte 0");
	/* a 'w' frame whose message is empty parses; pg_parse refuses it */
	CU_ASSERT_EQUAL(pg_parse_copy(fbuf[i], 25, &cp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cp.len, 0);
	CU_ASSERT_EQUAL(pg_parse(&ps, cp.data, cp.len, &msg, err, sizeof(err)),
			-1);
	CU_ASSERT_STRING_EQUAL(err,
			       "pgoutput message: empty message at byte 0");
	/* keepalive with a trailing byte, with replyRequested 2 */
	frame_by_no(48, &i);
	memcpy(buf, fbuf[i], flen[i]);
	buf[flen[i]] = 0;
	CU_ASSERT_EQUAL(pg_parse_copy(buf, flen[i] + 1, &cp, err, sizeof(err)),
			-1);
	CU_ASSERT_STRING_EQUAL(err, "keepalive frame: 1 trailing bytes after a "
				    "complete message at byte 18");
	buf[17] = 2;
	CU_ASSERT_EQUAL(pg_parse_copy(buf, flen[i], &cp, err, sizeof(err)), -1);
	CU_ASSERT(strstr(err, "replyRequested is 2") != NULL);
	/* unknown frame kinds: 'r' is ours to send, never to receive */
	buf[0] = 'r';
	CU_ASSERT_EQUAL(pg_parse_copy(buf, flen[i], &cp, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "CopyData frame: unknown frame kind 0x72 "
				    "at byte 0");
}

static void
test_status_update(void)
{
	unsigned char out[PG_STATUS_UPDATE_LEN];
	static const unsigned char want[PG_STATUS_UPDATE_LEN] = {
		'r',  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x00, 0x00, 0x00, 0x00, 0x01, 0x92, 0xa4, 0x08, /* flushed */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* applied */
		0x00, 0x03, 0x04, 0x3a, 0x62, 0x1d, 0xfb, 0xc4, /* now */
		0x01};
	int64_t now;

	CU_ASSERT_EQUAL(PG_STATUS_UPDATE_LEN, 34);
	memset(out, 0xaa, sizeof(out));
	pg_build_status_update(out, 0x0102030405060708u, 0x192a408u, UINT64_MAX,
			       0x3043a621dfbc4, 1);
	CU_ASSERT(memcmp(out, want, sizeof(want)) == 0);
	pg_build_status_update(out, 0, 0, 0, -1, 0);
	CU_ASSERT_EQUAL(out[0], 'r');
	CU_ASSERT_EQUAL(out[33], 0);
	for (int i = 25; i < 33; i++)
		CU_ASSERT_EQUAL(out[i], 0xff);
	/* now, in PostgreSQL's epoch: after 2024-01-01, before 2100 */
	now = pg_now_us();
	CU_ASSERT(now > (INT64_C(1704067200) - 946684800) * 1000000);
	CU_ASSERT(now < (INT64_C(4102444800) - 946684800) * 1000000);
	CU_ASSERT_EQUAL(PG_EPOCH_OFFSET_US, INT64_C(946684800) * 1000000);
}

/* ------------------------------------------------------------------ */
/* pgoutput messages: every field of the captured stream               */
/* ------------------------------------------------------------------ */

static void
test_stream_sequence(void)
{
	static const char want[] = "BYRIC"
				   "BUC"
				   "BUC"
				   "BC"
				   "BUC"
				   "BDC"
				   "BRIC"
				   "BUC"
				   "BDC"
				   "BYRRTC"
				   "BMRIC"
				   "M"
				   "BOIC";
	char got[sizeof(want) + 8];
	size_t k = 0;

	load_frames();
	for (size_t i = 0; i < NFRAMES && k + 1 < sizeof(got); i++) {
		if (frames[i].no == 1 || frames[i].no == 48)
			continue;
		parse_frame(frames[i].no);
		got[k++] = msg.type;
	}
	got[k] = 0;
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void
test_begin_commit(void)
{
	parse_frame(2);
	CU_ASSERT_EQUAL(msg.type, 'B');
	CU_ASSERT_EQUAL(msg.u.begin.final_lsn, 0x192a3d8u);
	CU_ASSERT_EQUAL(msg.u.begin.commit_time, 849073723712935);
	CU_ASSERT_EQUAL(msg.u.begin.xid, 731);
	parse_frame(6);
	CU_ASSERT_EQUAL(msg.type, 'C');
	CU_ASSERT_EQUAL(msg.u.commit.flags, 0);
	CU_ASSERT_EQUAL(msg.u.commit.commit_lsn, 0x192a3d8u);
	CU_ASSERT_EQUAL(msg.u.commit.end_lsn, 0x192a408u);
	CU_ASSERT_EQUAL(msg.u.commit.commit_time, 849073723712935);
	/* the origin's commit time: 2024-01-02 03:04:05 UTC */
	parse_frame(44);
	CU_ASSERT_EQUAL(msg.u.begin.final_lsn, 0x192d4d0u);
	CU_ASSERT_EQUAL(msg.u.begin.commit_time,
			(INT64_C(1704164645) * 1000000) - PG_EPOCH_OFFSET_US);
	CU_ASSERT_EQUAL(msg.u.begin.xid, 743);
	parse_frame(47);
	CU_ASSERT_EQUAL(msg.u.commit.commit_lsn, 0x192d4d0u);
	CU_ASSERT_EQUAL(msg.u.commit.end_lsn, 0x192d518u);
}

static void
test_relation_type(void)
{
	static const struct {
		uint8_t flags;
		const char *name;
		uint32_t oid;
		int32_t typmod;
	} t1[] = {{1, "id", 23, -1},
		  {0, "name", 25, -1},
		  {0, "amount", 1700, 786438},
		  {0, "m", 16386, -1},
		  {0, "big", 25, -1}};

	parse_frame(3);
	CU_ASSERT_EQUAL(msg.type, 'Y');
	CU_ASSERT_EQUAL(msg.u.type.oid, 16386);
	CU_ASSERT_STRING_EQUAL(msg.u.type.nspname, "public");
	CU_ASSERT_STRING_EQUAL(msg.u.type.typname, "mood");

	parse_frame(4);
	CU_ASSERT_EQUAL(msg.type, 'R');
	CU_ASSERT_EQUAL(msg.u.rel.relid, 16393);
	CU_ASSERT_STRING_EQUAL(msg.u.rel.nspname, "public");
	CU_ASSERT_STRING_EQUAL(msg.u.rel.relname, "t1");
	CU_ASSERT_EQUAL(msg.u.rel.replident, 'd');
	CU_ASSERT_EQUAL_FATAL(msg.u.rel.ncols, 5);
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(msg.u.rel.cols[i].flags, t1[i].flags);
		CU_ASSERT_STRING_EQUAL(msg.u.rel.cols[i].name, t1[i].name);
		CU_ASSERT_EQUAL(msg.u.rel.cols[i].type_oid, t1[i].oid);
		CU_ASSERT_EQUAL(msg.u.rel.cols[i].typmod, t1[i].typmod);
	}

	parse_frame(23);
	CU_ASSERT_EQUAL(msg.u.rel.relid, 16400);
	CU_ASSERT_STRING_EQUAL(msg.u.rel.relname, "tfull");
	CU_ASSERT_EQUAL(msg.u.rel.replident, 'f');
	CU_ASSERT_EQUAL_FATAL(msg.u.rel.ncols, 3);
	CU_ASSERT_STRING_EQUAL(msg.u.rel.cols[2].name, "ts");
	CU_ASSERT_EQUAL(msg.u.rel.cols[2].type_oid, 1184);
	CU_ASSERT_EQUAL(msg.u.rel.cols[2].typmod, -1);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(msg.u.rel.cols[i].flags, 1);
}

static void
test_insert(void)
{
	const struct pg_tuple *t;
	unsigned char *b;
	size_t len;

	parse_frame(5);
	CU_ASSERT_EQUAL(msg.type, 'I');
	CU_ASSERT_EQUAL(msg.u.insert.relid, 16393);
	t = &msg.u.insert.newtup;
	CU_ASSERT_EQUAL_FATAL(t->ncols, 5);
	CU_ASSERT(col_is(t, 0, 't', "1"));
	CU_ASSERT(col_is(t, 1, 't', "alice"));
	CU_ASSERT(col_is(t, 2, 't', "12.50"));
	CU_ASSERT(col_is(t, 3, 't', "happy"));
	CU_ASSERT(col_is(t, 4, 'n', NULL));

	parse_frame(24);
	t = &msg.u.insert.newtup;
	CU_ASSERT_EQUAL(msg.u.insert.relid, 16400);
	CU_ASSERT_EQUAL_FATAL(t->ncols, 3);
	CU_ASSERT(col_is(t, 0, 't', "10"));
	CU_ASSERT(col_is(t, 1, 't', "v1"));
	CU_ASSERT(col_is(t, 2, 't', "2024-01-02 03:04:05.123456+00"));

	parse_frame(41);
	t = &msg.u.insert.newtup;
	CU_ASSERT_EQUAL_FATAL(t->ncols, 3);
	CU_ASSERT(col_is(t, 0, 't', "11"));
	CU_ASSERT(col_is(t, 1, 'n', NULL));
	CU_ASSERT(col_is(t, 2, 'n', NULL));

	/* binary 'true': int4 4 bytes, text, timestamptz 8 bytes */
	b = unhex(binary_insert_hex, &len);
	CU_ASSERT_EQUAL_FATAL(pg_parse(&ps, b, len, &msg, err, sizeof(err)), 0);
	t = &msg.u.insert.newtup;
	CU_ASSERT_EQUAL_FATAL(t->ncols, 3);
	CU_ASSERT(col_is(t, 0, 'b', "\x00\x00\x00\x0d") == 0); /* has NULs */
	CU_ASSERT_EQUAL(t->cols[0].kind, 'b');
	CU_ASSERT_EQUAL(t->cols[0].len, 4);
	CU_ASSERT(memcmp(t->cols[0].data, "\x00\x00\x00\x0d", 4) == 0);
	CU_ASSERT(col_is(t, 1, 'b', "bin"));
	CU_ASSERT_EQUAL(t->cols[2].len, 8);
	/* 2024-01-02 03:04:05.123456 UTC in PostgreSQL's epoch */
	CU_ASSERT(memcmp(t->cols[2].data, "\x00\x02\xb0\xec\x85\x17\xd5\x80",
			 8) == 0);
	CU_ASSERT_PTR_EQUAL(t->cols[2].data, (const char *)b + len - 8);
	free(b);
}

static void
test_update(void)
{
	const struct pg_tuple *o, *n;

	/* non-key column: no old tuple at all */
	parse_frame(8);
	CU_ASSERT_EQUAL(msg.type, 'U');
	CU_ASSERT_EQUAL(msg.u.update.relid, 16393);
	CU_ASSERT_EQUAL(msg.u.update.oldkind, 0);
	CU_ASSERT_EQUAL(msg.u.update.oldtup.ncols, 0);
	n = &msg.u.update.newtup;
	CU_ASSERT_EQUAL_FATAL(n->ncols, 5);
	CU_ASSERT(col_is(n, 0, 't', "1"));
	CU_ASSERT(col_is(n, 1, 't', "bob"));
	CU_ASSERT(col_is(n, 4, 'n', NULL));

	/* key change: K with the old key, other columns 'n' */
	parse_frame(11);
	CU_ASSERT_EQUAL(msg.u.update.oldkind, 'K');
	o = &msg.u.update.oldtup;
	n = &msg.u.update.newtup;
	CU_ASSERT_EQUAL_FATAL(o->ncols, 5);
	CU_ASSERT(col_is(o, 0, 't', "1"));
	for (int i = 1; i < 5; i++)
		CU_ASSERT(col_is(o, i, 'n', NULL));
	CU_ASSERT_EQUAL_FATAL(n->ncols, 5);
	CU_ASSERT(col_is(n, 0, 't', "2"));
	CU_ASSERT(col_is(n, 1, 't', "bob"));
	CU_ASSERT(col_is(n, 2, 't', "12.50"));
	CU_ASSERT(col_is(n, 3, 't', "happy"));
	CU_ASSERT(col_is(n, 4, 'n', NULL));
	CU_ASSERT(o->cols != n->cols); /* separate scratch */

	/* unchanged TOAST */
	parse_frame(17);
	n = &msg.u.update.newtup;
	CU_ASSERT_EQUAL(msg.u.update.oldkind, 0);
	CU_ASSERT_EQUAL_FATAL(n->ncols, 5);
	CU_ASSERT(col_is(n, 0, 't', "3"));
	CU_ASSERT(col_is(n, 1, 't', "t2"));
	CU_ASSERT(col_is(n, 2, 't', "-0.05"));
	CU_ASSERT(col_is(n, 3, 't', "ok"));
	CU_ASSERT(col_is(n, 4, 'u', NULL));

	/* REPLICA IDENTITY FULL: O with the whole old row */
	parse_frame(27);
	CU_ASSERT_EQUAL(msg.u.update.relid, 16400);
	CU_ASSERT_EQUAL(msg.u.update.oldkind, 'O');
	o = &msg.u.update.oldtup;
	n = &msg.u.update.newtup;
	CU_ASSERT_EQUAL_FATAL(o->ncols, 3);
	CU_ASSERT_EQUAL_FATAL(n->ncols, 3);
	CU_ASSERT(col_is(o, 0, 't', "10"));
	CU_ASSERT(col_is(o, 1, 't', "v1"));
	CU_ASSERT(col_is(o, 2, 't', "2024-01-02 03:04:05.123456+00"));
	CU_ASSERT(col_is(n, 0, 't', "10"));
	CU_ASSERT(col_is(n, 1, 't', "v2"));
	CU_ASSERT(col_is(n, 2, 't', "2024-01-02 03:04:05.123456+00"));
}

static void
test_delete(void)
{
	const struct pg_tuple *o;

	parse_frame(20);
	CU_ASSERT_EQUAL(msg.type, 'D');
	CU_ASSERT_EQUAL(msg.u.del.relid, 16393);
	CU_ASSERT_EQUAL(msg.u.del.oldkind, 'K');
	o = &msg.u.del.oldtup;
	CU_ASSERT_EQUAL_FATAL(o->ncols, 5);
	CU_ASSERT(col_is(o, 0, 't', "2"));
	for (int i = 1; i < 5; i++)
		CU_ASSERT(col_is(o, i, 'n', NULL));

	parse_frame(30);
	CU_ASSERT_EQUAL(msg.u.del.relid, 16400);
	CU_ASSERT_EQUAL(msg.u.del.oldkind, 'O');
	o = &msg.u.del.oldtup;
	CU_ASSERT_EQUAL_FATAL(o->ncols, 3);
	CU_ASSERT(col_is(o, 0, 't', "10"));
	CU_ASSERT(col_is(o, 1, 't', "v2"));
	CU_ASSERT(col_is(o, 2, 't', "2024-01-02 03:04:05.123456+00"));
}

static void
test_truncate_message_origin(void)
{
	parse_frame(36);
	CU_ASSERT_EQUAL(msg.type, 'T');
	CU_ASSERT_EQUAL_FATAL(msg.u.truncate.nrels, 2);
	CU_ASSERT_EQUAL(msg.u.truncate.options, 3); /* CASCADE | RESTART */
	CU_ASSERT_EQUAL(msg.u.truncate.relids[0], 16393);
	CU_ASSERT_EQUAL(msg.u.truncate.relids[1], 16400);

	parse_frame(39);
	CU_ASSERT_EQUAL(msg.type, 'M');
	CU_ASSERT_EQUAL(msg.u.message.flags, 1);
	CU_ASSERT_EQUAL(msg.u.message.lsn, 0x192d098u);
	CU_ASSERT_STRING_EQUAL(msg.u.message.prefix, "myprefix");
	CU_ASSERT_EQUAL_FATAL(msg.u.message.len, 6);
	CU_ASSERT(memcmp(msg.u.message.content, "tx-msg", 6) == 0);

	parse_frame(43);
	CU_ASSERT_EQUAL(msg.u.message.flags, 0);
	CU_ASSERT_EQUAL(msg.u.message.lsn, 0x192d1e8u);
	CU_ASSERT_STRING_EQUAL(msg.u.message.prefix, "p2");
	CU_ASSERT_EQUAL_FATAL(msg.u.message.len, 6);
	CU_ASSERT(memcmp(msg.u.message.content, "non-tx", 6) == 0);

	parse_frame(45);
	CU_ASSERT_EQUAL(msg.type, 'O');
	CU_ASSERT_EQUAL(msg.u.origin.commit_lsn, 0x12345678u);
	CU_ASSERT_STRING_EQUAL(msg.u.origin.name, "myorigin");

	CU_ASSERT_STRING_EQUAL(pg_msg_type_name('I'), "Insert");
	CU_ASSERT_STRING_EQUAL(pg_msg_type_name('Y'), "Type");
	CU_ASSERT_PTR_NULL(pg_msg_type_name('S'));
}

/* ------------------------------------------------------------------ */
/* Short, long and lying messages                                     */
/* ------------------------------------------------------------------ */

/* Every message: each cut fails cleanly, one more byte fails too. */
static void
test_truncated_everywhere(void)
{
	unsigned char *extra;
	size_t len, cuts = 0;

	load_frames();
	for (size_t i = 0; i < NFRAMES; i++) {
		const unsigned char *m;
		const char *name;
		char prefix[32];

		if (frames[i].no == 1 || frames[i].no == 48)
			continue;
		m = msg_of(frames[i].no, &len);
		name = pg_msg_type_name((char)m[0]);
		CU_ASSERT_FATAL(name != NULL);
		snprintf(prefix, sizeof(prefix), "%s message: ", name);
		for (size_t n = 0; n < len; n++) {
			int rc = parse_exact(m, n);

			CU_ASSERT_EQUAL(rc, -1);
			if (n == 0) {
				CU_ASSERT_STRING_EQUAL(
					err,
					"pgoutput message: empty message at "
					"byte 0");
			} else {
				CU_ASSERT(strncmp(err, prefix,
						  strlen(prefix)) == 0);
			}
			if (rc != -1)
				fprintf(stderr,
					"\n    frame %d cut at %zu "
					"parsed\n",
					frames[i].no, n);
			cuts++;
		}
		/* trailing garbage */
		extra = malloc(len + 1);
		memcpy(extra, m, len);
		extra[len] = 0;
		CU_ASSERT_EQUAL(parse_exact(extra, len + 1), -1);
		CU_ASSERT(strncmp(err, prefix, strlen(prefix)) == 0);
		CU_ASSERT(strstr(err, "1 trailing bytes after a complete "
				      "message") != NULL);
		free(extra);
		/* and the whole message still parses */
		CU_ASSERT_EQUAL(parse_exact(m, len), 0);
	}
	CU_ASSERT(cuts > 1000);
}

static void
test_error_messages(void)
{
	size_t len;
	const unsigned char *m = msg_of(5, &len); /* I t1 */

	/* the cut lands inside column 2's data */
	CU_ASSERT_EQUAL(parse_exact(m, 20), -1);
	CU_ASSERT_STRING_EQUAL(err, "Insert message: new tuple column 2 length "
				    "5 exceeds the 1 bytes left at byte 15");
	CU_ASSERT_EQUAL(parse_exact(m, 16), -1);
	CU_ASSERT_STRING_EQUAL(err, "Insert message: column length truncated "
				    "(needs 4 bytes, 1 left) at byte 15");
	m = msg_of(4, &len); /* R t1: cut inside "public" */
	CU_ASSERT_EQUAL(parse_exact(m, 8), -1);
	CU_ASSERT_STRING_EQUAL(err, "Relation message: namespace has no NUL "
				    "terminator at byte 5");
	m = msg_of(2, &len); /* B */
	CU_ASSERT_EQUAL(parse_exact(m, 20), -1);
	CU_ASSERT_STRING_EQUAL(err, "Begin message: xid truncated (needs 4 "
				    "bytes, 3 left) at byte 17");
}

static void
test_unknown_types(void)
{
	unsigned char b[32];

	memset(b, 0, sizeof(b));
	for (int t = 0; t < 256; t++) {
		b[0] = (unsigned char)t;
		if (pg_msg_type_name((char)t))
			continue;
		CU_ASSERT_EQUAL(parse_exact(b, sizeof(b)), -1);
		CU_ASSERT(strncmp(err,
				  "pgoutput message: unknown message type ",
				  39) == 0);
	}
	/* protocol 2+ messages are not proto_version 1 */
	b[0] = 'S';
	CU_ASSERT_EQUAL(parse_exact(b, 5), -1);
	CU_ASSERT_STRING_EQUAL(err, "pgoutput message: unknown message type "
				    "'S' at byte 0");
	b[0] = 0xff;
	CU_ASSERT_EQUAL(parse_exact(b, 5), -1);
	CU_ASSERT_STRING_EQUAL(err, "pgoutput message: unknown message type "
				    "0xff at byte 0");
}

/* Copy message no into wb for editing. */
static void
wb_from_frame(int no)
{
	size_t len;
	const unsigned char *m = msg_of(no, &len);

	memcpy(wb.b, m, len);
	wb.n = len;
}

static void
put32(size_t at, uint32_t v)
{
	wb.b[at] = (unsigned char)(v >> 24);
	wb.b[at + 1] = (unsigned char)(v >> 16);
	wb.b[at + 2] = (unsigned char)(v >> 8);
	wb.b[at + 3] = (unsigned char)v;
}

static void
put16(size_t at, unsigned v)
{
	wb.b[at] = (unsigned char)(v >> 8);
	wb.b[at + 1] = (unsigned char)v;
}

static void
test_lying_counts(void)
{
	/* I t1: 'I' relid 'N' ncols@6 kind@8 len@9 "1" kind@14 len@15 ... */
	wb_from_frame(5);
	put32(15, 0x7fffffff);
	expect_fail("Insert message: ", "new tuple column 2 length 2147483647 "
					"exceeds the 26 bytes left at byte 15");
	put32(15, 0xffffffff);
	expect_fail("Insert message: ",
		    "new tuple column 2 has a negative length -1 at byte 15");
	put32(15, 0x80000000);
	expect_fail("Insert message: ", "negative length -2147483648");
	put32(15, 6); /* one more than "alice": eats the next kind byte */
	expect_fail("Insert message: ", "unknown kind 0x00");
	put32(15, 5);
	CU_ASSERT_EQUAL(parse_exact(wb.b, wb.n), 0);

	put16(6, 6); /* one column more than the message holds */
	expect_fail("Insert message: ", "column kind truncated");
	put16(6, 4); /* one fewer: the last column is garbage at the end */
	expect_fail("Insert message: ", "1 trailing bytes");
	put16(6, 0xffff);
	expect_fail("Insert message: ", "negative column count -1 at byte 6");
	put16(6, 0x1000 + 1); /* RC_MAX_COLUMNS + 1 */
	expect_fail("Insert message: ", "4097 columns, more than 4096");
	put16(6, 1000);
	expect_fail("Insert message: ",
		    "claims 1000 columns but only 37 bytes follow at byte 6");
	put16(6, 5);

	wb.b[8] = 'x'; /* unknown tuple column kind */
	expect_fail("Insert message: ",
		    "new tuple column 1 has unknown kind 0x78 at byte 8");
	wb.b[8] = 't';
	wb.b[5] = 'K'; /* Insert carries only N */
	expect_fail("Insert message: ", "expected 'N' (new tuple), got 0x4b");
	wb.b[5] = 'N';
	CU_ASSERT_EQUAL(parse_exact(wb.b, wb.n), 0);

	/* U t1 K N: a bad first submessage, a bad second */
	wb_from_frame(11);
	wb.b[5] = 'X';
	expect_fail("Update message: ", "expected 'K', 'O' or 'N' tuple, got "
					"0x58 at byte 5");
	wb.b[5] = 'K';
	wb.b[18] = 'O'; /* where 'N' follows the key tuple */
	expect_fail("Update message: ", "expected 'N' (new tuple), got 0x4f at "
					"byte 18");
	/* D: only K or O */
	wb_from_frame(20);
	wb.b[5] = 'N';
	expect_fail("Delete message: ", "expected 'K' or 'O' tuple");

	/* R t1: 'R' relid "public" "t1" replident@15 ncols@16 */
	wb_from_frame(4);
	wb.b[15] = 'z';
	expect_fail("Relation message: ", "unknown replica identity 0x7a at "
					  "byte 15");
	wb.b[15] = 'd';
	put16(16, 0x7fff);
	expect_fail("Relation message: ", "32767 columns, more than 4096");
	put16(16, 8);
	expect_fail("Relation message: ", "8 columns claimed but only 66 bytes "
					  "follow at byte 16");
	put16(16, 0x8000);
	expect_fail("Relation message: ", "negative column count -32768");
	put16(16, 6);
	expect_fail("Relation message: ", "truncated");
	put16(16, 4);
	expect_fail("Relation message: ", "trailing bytes");
	put16(16, 5);
	CU_ASSERT_EQUAL(parse_exact(wb.b, wb.n), 0);

	/* T: nrels@1 */
	wb_from_frame(36);
	put32(1, 0x7fffffff);
	expect_fail("Truncate message: ", "2147483647 relations claimed but "
					  "only 8 bytes follow at byte 1");
	put32(1, 0xffffffff);
	expect_fail("Truncate message: ", "negative relation count -1");
	put32(1, 3);
	expect_fail("Truncate message: ", "relations claimed");
	put32(1, 1);
	expect_fail("Truncate message: ", "4 trailing bytes");

	/* M: flags@1 lsn@2 "myprefix\0"@10 len@19 */
	wb_from_frame(39);
	put32(19, 0x7fffffff);
	expect_fail("Message message: ", "content length 2147483647 exceeds "
					 "the 6 bytes left at byte 19");
	put32(19, 0xfffffffe);
	expect_fail("Message message: ", "negative content length -2");
	put32(19, 5);
	expect_fail("Message message: ", "1 trailing bytes");
	/* a prefix without its NUL runs into the content: no NUL at all */
	wb_from_frame(39);
	wb.b[18] = 'x';
	wb.b[19] = 1; /* len's high byte, so no NUL remains after the prefix */
	expect_fail("Message message: ", NULL);

	/* O without the name's NUL */
	wb_from_frame(45);
	wb.b[wb.n - 1] = 'x';
	expect_fail("Origin message: ", "origin name has no NUL terminator at "
					"byte 9");
}

/* Hand-made messages at the edges: zero columns, zero relations, the
 * largest tuples, and scratch that is reused rather than reallocated. */
static void
test_edges_and_scratch(void)
{
	struct pg_column_desc *cols;
	struct pg_tuple_col *tup;
	size_t cap;

	/* a table with no columns */
	wb.n = 0;
	w8('R');
	w32(5);
	wstr("");
	wstr("empty");
	w8('n');
	w16(0);
	CU_ASSERT_EQUAL_FATAL(parse_wb(), 0);
	CU_ASSERT_STRING_EQUAL(msg.u.rel.nspname, "");
	CU_ASSERT_EQUAL(msg.u.rel.replident, 'n');
	CU_ASSERT_EQUAL(msg.u.rel.ncols, 0);
	wb.n = 0;
	w8('I');
	w32(5);
	w8('N');
	w16(0);
	CU_ASSERT_EQUAL_FATAL(parse_wb(), 0);
	CU_ASSERT_EQUAL(msg.u.insert.newtup.ncols, 0);
	wb.n = 0;
	w8('T');
	w32(0);
	w8(0);
	CU_ASSERT_EQUAL_FATAL(parse_wb(), 0);
	CU_ASSERT_EQUAL(msg.u.truncate.nrels, 0);
	/* an empty message content and prefix */
	wb.n = 0;
	w8('M');
	w8(0);
	w64(UINT64_MAX);
	wstr("");
	w32(0);
	CU_ASSERT_EQUAL_FATAL(parse_wb(), 0);
	CU_ASSERT_EQUAL(msg.u.message.lsn, UINT64_MAX);
	CU_ASSERT_EQUAL(msg.u.message.len, 0);

	/* the widest tuple rowcast takes, all NULL; then one column more */
	wb.n = 0;
	w8('I');
	w32(7);
	w8('N');
	w16(RC_MAX_COLUMNS);
	for (int i = 0; i < RC_MAX_COLUMNS; i++)
		w8('n');
	CU_ASSERT_EQUAL_FATAL(parse_wb(), 0);
	CU_ASSERT_EQUAL(msg.u.insert.newtup.ncols, RC_MAX_COLUMNS);
	tup = ps.tup[1];
	cap = ps.tup_cap[1];
	CU_ASSERT(cap >= RC_MAX_COLUMNS);
	put16(6, RC_MAX_COLUMNS + 1);
	w8('n');
	CU_ASSERT_EQUAL(parse_wb(), -1);

	/* 1600 columns (PostgreSQL's limit) of a relation */
	wb.n = 0;
	w8('R');
	w32(9);
	wstr("public");
	wstr("wide");
	w8('f');
	w16(1600);
	for (int i = 0; i < 1600; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i);
		w8(i == 0);
		wstr(name);
		w32(23);
		w32((uint32_t)-1);
	}
	CU_ASSERT_EQUAL_FATAL(parse_wb(), 0);
	CU_ASSERT_EQUAL(msg.u.rel.ncols, 1600);
	CU_ASSERT_STRING_EQUAL(msg.u.rel.cols[1599].name, "c1599");
	cols = ps.cols;

	/* steady state: the whole captured stream, twice, allocates
	 * nothing new (same scratch arrays, same capacities) */
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < NFRAMES; i++)
			if (frames[i].no != 1 && frames[i].no != 48)
				parse_frame(frames[i].no);
	CU_ASSERT_PTR_EQUAL(ps.cols, cols);
	CU_ASSERT_PTR_EQUAL(ps.tup[1], tup);
	CU_ASSERT_EQUAL(ps.tup_cap[1], cap);
}

static void
test_cleanup(void)
{
	pg_parser_free(&ps);
	pg_parser_free(&ps); /* twice is fine */
	pg_parser_init(&ps);
	for (size_t i = 0; i < NFRAMES; i++) {
		free(fbuf[i]);
		fbuf[i] = NULL;
	}
}

static const struct cu_test tests[] = {
	{"copy_frames", test_copy_frames},
	{"copy_bad_frames", test_copy_bad_frames},
	{"status_update", test_status_update},
	{"stream_sequence", test_stream_sequence},
	{"begin_commit", test_begin_commit},
	{"relation_type", test_relation_type},
	{"insert", test_insert},
	{"update", test_update},
	{"delete", test_delete},
	{"truncate_message_origin", test_truncate_message_origin},
	{"truncated_everywhere", test_truncated_everywhere},
	{"error_messages", test_error_messages},
	{"unknown_types", test_unknown_types},
	{"lying_counts", test_lying_counts},
	{"edges_and_scratch", test_edges_and_scratch},
	{"cleanup", test_cleanup},
	{NULL, NULL},
};

CU_MAIN("pgproto", tests)
