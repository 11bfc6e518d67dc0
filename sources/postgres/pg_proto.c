/*
 * pg_proto.c -- the streaming replication CopyData frames and the pgoutput
 * messages of proto_version 1 (see pg_proto.h).
 *
 * Every parser reads through one struct pg_cursor: a bounds-checked reader
 * (reader.h) plus the first error, worded as "<Type> message: <what> at
 * byte N", where N is the offset of the field that could not be read. The
 * first failure wins; later reads fail silently, so a parser reads its
 * fields in order and checks once where a count would drive a loop or an
 * allocation. A message must be consumed exactly: bytes left over after a
 * complete message are an error, because they mean the parser and the
 * server disagree about the format.
 *
 * The byte layout of each message is in the comment above its parser, in
 * the notation of PostgreSQL's protocol documentation (Byte1, Int8, Int16,
 * Int32, Int64 big-endian, String = NUL-terminated).
 */
#include "pg_proto.h"

#include "limits.h"
#include "reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Cursor: reader + first error                                       */
/* ------------------------------------------------------------------ */

struct pg_cursor {
	struct rc_reader r;
	size_t len;	  /* whole message, for byte offsets */
	const char *what; /* "Insert message", "XLogData frame" */
	char *err;
	size_t errlen;
	int failed;
};

static void
cur_init(struct pg_cursor *c, const void *data, size_t len, const char *what,
	 char *err, size_t errlen)
{
	rc_reader_init(&c->r, data, len);
	c->len = len;
	c->what = what;
	c->err = err;
	c->errlen = errlen;
	c->failed = 0;
	if (err && errlen)
		err[0] = 0;
}

/* Offset of the next unread byte (meaningless once failed). */
static size_t
cur_pos(const struct pg_cursor *c)
{
	return c->len - c->r.left;
}

/*
 * Record the first error: "<what>: <message> at byte <at>", and stop the
 * reader so that every later read fails too. Always returns -1.
 */
static int __attribute__((format(printf, 3, 4)))
cur_fail(struct pg_cursor *c, size_t at, const char *fmt, ...)
{
	char msg[RC_ERRLEN];
	va_list ap;

	c->r.err = 1;
	if (c->failed)
		return -1;
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: %s at byte %zu", c->what, msg,
			 at);
	return -1;
}

/* Fail with "<field> truncated: need n bytes, m left" unless n bytes are there.
 */
static int
cur_need(struct pg_cursor *c, size_t n, const char *field)
{
	if (c->failed)
		return -1;
	if (c->r.left < n)
		return cur_fail(c, cur_pos(c),
				"%s truncated (needs %zu bytes, %zu left)",
				field, n, c->r.left);
	return 0;
}

static uint8_t
cur_u8(struct pg_cursor *c, const char *field)
{
	return cur_need(c, 1, field) ? 0 : rc_reader_u8(&c->r);
}

static uint16_t
cur_u16(struct pg_cursor *c, const char *field)
{
	return cur_need(c, 2, field) ? 0 : rc_reader_be16(&c->r);
}

static uint32_t
cur_u32(struct pg_cursor *c, const char *field)
{
	return cur_need(c, 4, field) ? 0 : rc_reader_be32(&c->r);
}

static uint64_t
cur_u64(struct pg_cursor *c, const char *field)
{
	return cur_need(c, 8, field) ? 0 : rc_reader_be64(&c->r);
}

/* A String (NUL-terminated); "" on failure so callers never see NULL. */
static const char *
cur_str(struct pg_cursor *c, const char *field)
{
	size_t at = cur_pos(c);
	const char *s;

	if (c->failed)
		return "";
	s = rc_reader_cstr(&c->r, NULL);
	if (!s) {
		cur_fail(c, at, "%s has no NUL terminator", field);
		return "";
	}
	return s;
}

/* The message must end here. */
static int
cur_end(struct pg_cursor *c)
{
	if (c->failed)
		return -1;
	if (c->r.left)
		return cur_fail(c, cur_pos(c),
				"%zu trailing bytes after a complete message",
				c->r.left);
	return 0;
}

/*
 * Make *arr hold at least need elements of size bytes, growing by doubling
 * (at least 16). The array is parser scratch: it keeps its size between
 * messages, so the steady state allocates nothing. need is checked against
 * the message and the caps by the caller.
 */
static int
grow(struct pg_cursor *c, void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * size);
	if (!p)
		return cur_fail(c, cur_pos(c), "out of memory for %zu entries",
				need);
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ------------------------------------------------------------------ */
/* CopyData frames                                                    */
/* ------------------------------------------------------------------ */

/*
 * XLogData:
 *   Byte1('w')
 *   Int64  dataStart: WAL position of the start of the data
 *          (0/0 for the Relation and Type messages of pgoutput)
 *   Int64  walEnd: the server's current end of WAL
 *   Int64  sendTime: microseconds since 2000-01-01
 *   Byten  the pgoutput message (the rest of the frame)
 *
 * Primary keepalive:
 *   Byte1('k')
 *   Int64  walEnd
 *   Int64  sendTime
 *   Byte1  1 = the client must reply at once, 0 otherwise
 *
 * The pgoutput message of a 'w' frame is returned in place (out->data
 * points into buf), never copied.
 */
int
pg_parse_copy(const void *buf, size_t len, struct pg_copy *out, char *err,
	      size_t errlen)
{
	struct pg_cursor c;
	uint8_t kind;

	memset(out, 0, sizeof(*out));
	cur_init(&c, buf, len, "CopyData frame", err, errlen);
	kind = cur_u8(&c, "frame kind");
	if (c.failed)
		return -1;
	out->kind = (char)kind;
	if (kind == 'w') {
		c.what = "XLogData frame";
		out->wal_start = cur_u64(&c, "dataStart");
		out->wal_end = cur_u64(&c, "walEnd");
		out->send_time = (int64_t)cur_u64(&c, "sendTime");
		if (c.failed)
			return -1;
		out->len = rc_reader_left(&c.r);
		out->data = rc_reader_bytes(&c.r, out->len);
		return 0;
	}
	if (kind == 'k') {
		c.what = "keepalive frame";
		out->wal_end = cur_u64(&c, "walEnd");
		out->send_time = (int64_t)cur_u64(&c, "sendTime");
		out->reply_requested = cur_u8(&c, "replyRequested");
		if (!c.failed && out->reply_requested > 1)
			return cur_fail(&c, 17,
					"replyRequested is %d, not 0 or 1",
					out->reply_requested);
		return cur_end(&c);
	}
	return cur_fail(&c, 0, "unknown frame kind 0x%02x", kind);
}

static void
put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/*
 * Standby status update (34 bytes):
 *   Byte1('r')
 *   Int64  last WAL byte + 1 received and written to disk
 *   Int64  last WAL byte + 1 flushed to disk (moves the slot)
 *   Int64  last WAL byte + 1 applied
 *   Int64  the client's clock, microseconds since 2000-01-01
 *   Byte1  1 = ask the server to reply at once
 */
void
pg_build_status_update(unsigned char out[PG_STATUS_UPDATE_LEN],
		       uint64_t written, uint64_t flushed, uint64_t applied,
		       int64_t now_pg_us, int reply_requested)
{
	out[0] = 'r';
	put_be64(out + 1, written);
	put_be64(out + 9, flushed);
	put_be64(out + 17, applied);
	put_be64(out + 25, (uint64_t)now_pg_us);
	out[33] = reply_requested ? 1 : 0;
}

int64_t
pg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 -
	       PG_EPOCH_OFFSET_US;
}

/* ------------------------------------------------------------------ */
/* pgoutput: parser scratch                                           */
/* ------------------------------------------------------------------ */

void
pg_parser_init(struct pg_parser *ps)
{
	memset(ps, 0, sizeof(*ps));
}

void
pg_parser_free(struct pg_parser *ps)
{
	if (!ps)
		return;
	free(ps->cols);
	free(ps->tup[0]);
	free(ps->tup[1]);
	free(ps->relids);
	memset(ps, 0, sizeof(*ps));
}

/*
 * The message types of proto_version 1, named for errors ("Insert
 * message: ..."); the name alone is the prefix before the space.
 */
static const char *
msg_what(char type)
{
	switch (type) {
	case 'B':
		return "Begin message";
	case 'C':
		return "Commit message";
	case 'O':
		return "Origin message";
	case 'R':
		return "Relation message";
	case 'Y':
		return "Type message";
	case 'I':
		return "Insert message";
	case 'U':
		return "Update message";
	case 'D':
		return "Delete message";
	case 'T':
		return "Truncate message";
	case 'M':
		return "Message message";
	default:
		return NULL;
	}
}

const char *
pg_msg_type_name(char type)
{
	static const char *const names[] = {
		"Begin",  "Commit", "Origin", "Relation", "Type",
		"Insert", "Update", "Delete", "Truncate", "Message"};
	static const char types[] = "BCORYIUDTM";
	const char *p = type ? strchr(types, type) : NULL;

	return p ? names[p - types] : NULL;
}

/* ------------------------------------------------------------------ */
/* pgoutput: messages                                                 */
/* ------------------------------------------------------------------ */

/*
 * TupleData:
 *   Int16  number of columns
 *   then for each column one of
 *     Byte1('n')                        NULL
 *     Byte1('u')                        unchanged TOAST value (not sent)
 *     Byte1('t') Int32 len, Byte(len)   text format
 *     Byte1('b') Int32 len, Byte(len)   binary format
 *
 * Fills tup with columns in parser scratch slot (0 old/key, 1 new). Every
 * column takes at least one byte, so a count beyond the bytes left is a
 * lie and is refused before anything is allocated.
 */
static int
parse_tuple(struct pg_cursor *c, struct pg_parser *ps, int slot,
	    struct pg_tuple *tup, const char *which)
{
	size_t at = cur_pos(c);
	uint16_t n = cur_u16(c, "tuple column count");
	struct pg_tuple_col *cols;

	if (c->failed)
		return -1;
	if ((int16_t)n < 0)
		return cur_fail(c, at, "%s has a negative column count %d",
				which, (int16_t)n);
	if (n > RC_MAX_COLUMNS)
		return cur_fail(c, at, "%s has %u columns, more than %d", which,
				n, RC_MAX_COLUMNS);
	if (n > c->r.left)
		return cur_fail(
			c, at, "%s claims %u columns but only %zu bytes follow",
			which, n, c->r.left);
	if (grow(c, (void **)&ps->tup[slot], &ps->tup_cap[slot], n ? n : 1,
		 sizeof(*cols)))
		return -1;
	cols = ps->tup[slot];
	for (unsigned i = 0; i < n; i++) {
		struct pg_tuple_col *col = &cols[i];
		size_t kat = cur_pos(c);
		uint8_t kind = cur_u8(c, "column kind");
		uint32_t len;

		if (c->failed)
			return -1;
		col->kind = (char)kind;
		col->len = 0;
		col->data = NULL;
		switch (kind) {
		case 'n':
		case 'u':
			break;
		case 't':
		case 'b':
			at = cur_pos(c);
			len = cur_u32(c, "column length");
			if (c->failed)
				return -1;
			if ((int32_t)len < 0)
				return cur_fail(c, at,
						"%s column %u has a negative "
						"length %d",
						which, i + 1, (int32_t)len);
			if (len > c->r.left)
				return cur_fail(
					c, at,
					"%s column %u length %u exceeds "
					"the %zu bytes left",
					which, i + 1, len, c->r.left);
			col->len = len;
			col->data = (const char *)rc_reader_bytes(&c->r, len);
			break;
		default:
			return cur_fail(c, kat,
					"%s column %u has unknown kind 0x%02x",
					which, i + 1, kind);
		}
	}
	tup->ncols = n;
	tup->cols = cols;
	return 0;
}

/*
 * Begin:
 *   Byte1('B')
 *   Int64  final LSN of the transaction
 *   Int64  commit timestamp, microseconds since 2000-01-01
 *   Int32  xid
 */
static int
parse_begin(struct pg_cursor *c, struct pg_msg *msg)
{
	msg->u.begin.final_lsn = cur_u64(c, "final LSN");
	msg->u.begin.commit_time = (int64_t)cur_u64(c, "commit timestamp");
	msg->u.begin.xid = cur_u32(c, "xid");
	return cur_end(c);
}

/*
 * Commit:
 *   Byte1('C')
 *   Int8   flags (unused, 0)
 *   Int64  commit LSN
 *   Int64  end LSN of the transaction
 *   Int64  commit timestamp, microseconds since 2000-01-01
 */
static int
parse_commit(struct pg_cursor *c, struct pg_msg *msg)
{
	msg->u.commit.flags = cur_u8(c, "flags");
	msg->u.commit.commit_lsn = cur_u64(c, "commit LSN");
	msg->u.commit.end_lsn = cur_u64(c, "end LSN");
	msg->u.commit.commit_time = (int64_t)cur_u64(c, "commit timestamp");
	return cur_end(c);
}

/*
 * Origin:
 *   Byte1('O')
 *   Int64  commit LSN on the origin server
 *   String origin name
 */
static int
parse_origin(struct pg_cursor *c, struct pg_msg *msg)
{
	msg->u.origin.commit_lsn = cur_u64(c, "origin LSN");
	msg->u.origin.name = cur_str(c, "origin name");
	return cur_end(c);
}

/*
 * Relation:
 *   Byte1('R')
 *   Int32  relation OID
 *   String namespace ("" for pg_catalog)
 *   String relation name
 *   Int8   replica identity ('d' default, 'n' nothing, 'f' full, 'i' index)
 *   Int16  number of columns (generated columns are not sent)
 *   then for each column:
 *     Int8   flags (1 = part of the replica identity key)
 *     String column name
 *     Int32  type OID
 *     Int32  type modifier (atttypmod, -1 for none)
 */
static int
parse_relation(struct pg_cursor *c, struct pg_parser *ps, struct pg_msg *msg)
{
	size_t at;
	uint16_t n;
	uint8_t ri;

	msg->u.rel.relid = cur_u32(c, "relation OID");
	msg->u.rel.nspname = cur_str(c, "namespace");
	msg->u.rel.relname = cur_str(c, "relation name");
	at = cur_pos(c);
	ri = cur_u8(c, "replica identity");
	if (!c->failed && ri != 'd' && ri != 'n' && ri != 'f' && ri != 'i')
		return cur_fail(c, at, "unknown replica identity 0x%02x", ri);
	msg->u.rel.replident = (char)ri;
	at = cur_pos(c);
	n = cur_u16(c, "column count");
	if (c->failed)
		return -1;
	/* smallest column: flags, "" name, type, typmod = 10 bytes */
	if ((int16_t)n < 0)
		return cur_fail(c, at, "negative column count %d", (int16_t)n);
	if (n > RC_MAX_COLUMNS)
		return cur_fail(c, at, "%u columns, more than %d", n,
				RC_MAX_COLUMNS);
	if (n > c->r.left / 10)
		return cur_fail(c, at,
				"%u columns claimed but only %zu bytes follow",
				n, c->r.left);
	if (grow(c, (void **)&ps->cols, &ps->cols_cap, n ? n : 1,
		 sizeof(*ps->cols)))
		return -1;
	for (unsigned i = 0; i < n && !c->failed; i++) {
		struct pg_column_desc *col = &ps->cols[i];

		col->flags = cur_u8(c, "column flags");
		col->name = cur_str(c, "column name");
		col->type_oid = cur_u32(c, "column type OID");
		col->typmod = (int32_t)cur_u32(c, "column type modifier");
	}
	msg->u.rel.ncols = n;
	msg->u.rel.cols = ps->cols;
	return cur_end(c);
}

/*
 * Type (sent before the first Relation that uses a non-built-in type):
 *   Byte1('Y')
 *   Int32  type OID
 *   String namespace ("" for pg_catalog)
 *   String type name
 */
static int
parse_type(struct pg_cursor *c, struct pg_msg *msg)
{
	msg->u.type.oid = cur_u32(c, "type OID");
	msg->u.type.nspname = cur_str(c, "namespace");
	msg->u.type.typname = cur_str(c, "type name");
	return cur_end(c);
}

/* Expect the submessage byte `want` ('N') at the cursor. */
static int
expect_kind(struct pg_cursor *c, char want, const char *field)
{
	size_t at = cur_pos(c);
	uint8_t k = cur_u8(c, field);

	if (c->failed)
		return -1;
	if (k != (uint8_t)want)
		return cur_fail(c, at, "expected '%c' (%s), got 0x%02x", want,
				field, k);
	return 0;
}

/*
 * Insert:
 *   Byte1('I')
 *   Int32  relation OID
 *   Byte1('N')
 *   TupleData  the new row
 */
static int
parse_insert(struct pg_cursor *c, struct pg_parser *ps, struct pg_msg *msg)
{
	msg->u.insert.relid = cur_u32(c, "relation OID");
	if (expect_kind(c, 'N', "new tuple") ||
	    parse_tuple(c, ps, 1, &msg->u.insert.newtup, "new tuple"))
		return -1;
	return cur_end(c);
}

/*
 * Update:
 *   Byte1('U')
 *   Int32  relation OID
 *   optional, when the key changed or REPLICA IDENTITY FULL:
 *     Byte1('K') TupleData  the old key (other columns 'n'), or
 *     Byte1('O') TupleData  the whole old row
 *   Byte1('N')
 *   TupleData  the new row (unchanged TOAST values as 'u')
 */
static int
parse_update(struct pg_cursor *c, struct pg_parser *ps, struct pg_msg *msg)
{
	size_t at;
	uint8_t k;

	msg->u.update.relid = cur_u32(c, "relation OID");
	msg->u.update.oldkind = 0;
	memset(&msg->u.update.oldtup, 0, sizeof(msg->u.update.oldtup));
	at = cur_pos(c);
	k = cur_u8(c, "tuple kind");
	if (c->failed)
		return -1;
	if (k == 'K' || k == 'O') {
		msg->u.update.oldkind = (char)k;
		if (parse_tuple(c, ps, 0, &msg->u.update.oldtup,
				k == 'K' ? "key tuple" : "old tuple") ||
		    expect_kind(c, 'N', "new tuple"))
			return -1;
	} else if (k != 'N') {
		return cur_fail(
			c, at, "expected 'K', 'O' or 'N' tuple, got 0x%02x", k);
	}
	if (parse_tuple(c, ps, 1, &msg->u.update.newtup, "new tuple"))
		return -1;
	return cur_end(c);
}

/*
 * Delete:
 *   Byte1('D')
 *   Int32  relation OID
 *   Byte1('K') TupleData  the old key (other columns 'n'), or
 *   Byte1('O') TupleData  the whole old row (REPLICA IDENTITY FULL)
 */
static int
parse_delete(struct pg_cursor *c, struct pg_parser *ps, struct pg_msg *msg)
{
	size_t at;
	uint8_t k;

	msg->u.del.relid = cur_u32(c, "relation OID");
	at = cur_pos(c);
	k = cur_u8(c, "tuple kind");
	if (c->failed)
		return -1;
	if (k != 'K' && k != 'O')
		return cur_fail(c, at, "expected 'K' or 'O' tuple, got 0x%02x",
				k);
	msg->u.del.oldkind = (char)k;
	if (parse_tuple(c, ps, 0, &msg->u.del.oldtup,
			k == 'K' ? "key tuple" : "old tuple"))
		return -1;
	return cur_end(c);
}

/*
 * Truncate:
 *   Byte1('T')
 *   Int32  number of relations
 *   Int8   options: 1 CASCADE, 2 RESTART IDENTITY (bits)
 *   Int32  relation OID, once per relation
 */
static int
parse_truncate(struct pg_cursor *c, struct pg_parser *ps, struct pg_msg *msg)
{
	size_t at = cur_pos(c);
	uint32_t n = cur_u32(c, "relation count");

	msg->u.truncate.options = cur_u8(c, "options");
	if (c->failed)
		return -1;
	if ((int32_t)n < 0)
		return cur_fail(c, at, "negative relation count %d",
				(int32_t)n);
	if (n > c->r.left / 4)
		return cur_fail(
			c, at, "%u relations claimed but only %zu bytes follow",
			n, c->r.left);
	if (grow(c, (void **)&ps->relids, &ps->relids_cap, n ? n : 1,
		 sizeof(*ps->relids)))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		ps->relids[i] = cur_u32(c, "relation OID");
	msg->u.truncate.nrels = n;
	msg->u.truncate.relids = ps->relids;
	return cur_end(c);
}

/*
 * Message (pg_logical_emit_message, needs the `messages` option):
 *   Byte1('M')
 *   Int8   flags: 1 = transactional (inside Begin/Commit), 0 = not
 *   Int64  LSN of the message
 *   String prefix
 *   Int32  content length
 *   Byten  content (not NUL-terminated)
 */
static int
parse_message(struct pg_cursor *c, struct pg_msg *msg)
{
	size_t at;
	uint32_t len;

	msg->u.message.flags = cur_u8(c, "flags");
	msg->u.message.lsn = cur_u64(c, "LSN");
	msg->u.message.prefix = cur_str(c, "prefix");
	at = cur_pos(c);
	len = cur_u32(c, "content length");
	if (c->failed)
		return -1;
	if ((int32_t)len < 0)
		return cur_fail(c, at, "negative content length %d",
				(int32_t)len);
	if (len > c->r.left)
		return cur_fail(c, at,
				"content length %u exceeds the %zu bytes left",
				len, c->r.left);
	msg->u.message.len = len;
	msg->u.message.content = (const char *)rc_reader_bytes(&c->r, len);
	return cur_end(c);
}

/*
 * Dispatch on the first byte. The message struct is zeroed first, so a
 * caller that ignores the return value still never sees stale pointers.
 */
int
pg_parse(struct pg_parser *ps, const void *data, size_t len, struct pg_msg *msg,
	 char *err, size_t errlen)
{
	struct pg_cursor c;
	const char *what;
	uint8_t type;

	memset(msg, 0, sizeof(*msg));
	cur_init(&c, data, len, "pgoutput message", err, errlen);
	if (len == 0)
		return cur_fail(&c, 0, "empty message");
	type = ((const unsigned char *)data)[0];
	what = msg_what((char)type);
	if (!what) {
		if (type >= 0x20 && type < 0x7f)
			return cur_fail(&c, 0, "unknown message type '%c'",
					type);
		return cur_fail(&c, 0, "unknown message type 0x%02x", type);
	}
	c.what = what;
	if (len > RC_MAX_SERVER_MESSAGE)
		return cur_fail(&c, 0, "%zu bytes, more than the limit %u", len,
				RC_MAX_SERVER_MESSAGE);
	rc_reader_u8(&c.r);
	msg->type = (char)type;
	switch (type) {
	case 'B':
		return parse_begin(&c, msg);
	case 'C':
		return parse_commit(&c, msg);
	case 'O':
		return parse_origin(&c, msg);
	case 'R':
		return parse_relation(&c, ps, msg);
	case 'Y':
		return parse_type(&c, msg);
	case 'I':
		return parse_insert(&c, ps, msg);
	case 'U':
		return parse_update(&c, ps, msg);
	case 'D':
		return parse_delete(&c, ps, msg);
	case 'T':
		return parse_truncate(&c, ps, msg);
	case 'M':
		return parse_message(&c, msg);
	}
	return -1; /* not reached: msg_what() knows the same set */
}
