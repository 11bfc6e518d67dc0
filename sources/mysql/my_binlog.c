/*
 * my_binlog.c -- binlog framing, control events, TRANSACTION_PAYLOAD and
 * TABLE_MAP (see my_binlog.h). Row images are in my_rows.c.
 *
 * Every event starts with the v4 common header (all little-endian):
 *
 *   timestamp(4) type(1) server_id(4) event_len(4) log_pos(4) flags(2)
 *
 * then a post-header whose length the FORMAT_DESCRIPTION event gives per
 * type, the body, and, when the FDE says CRC32, a 4-byte CRC32 of
 * everything before it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "my_binlog.h"

#include "limits.h"
#include "my_charset.h"
#include "my_rows.h"
#include "reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define LOG_EVENT_BINLOG_IN_USE_F 0x0001

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *
my_event_type_name(int type)
{
	switch (type) {
	case MY_QUERY:
		return "QUERY";
	case MY_STOP:
		return "STOP";
	case MY_ROTATE:
		return "ROTATE";
	case MY_FORMAT_DESCRIPTION:
		return "FORMAT_DESCRIPTION";
	case MY_XID:
		return "XID";
	case MY_TABLE_MAP:
		return "TABLE_MAP";
	case MY_WRITE_ROWS_V1:
		return "WRITE_ROWS_V1";
	case MY_UPDATE_ROWS_V1:
		return "UPDATE_ROWS_V1";
	case MY_DELETE_ROWS_V1:
		return "DELETE_ROWS_V1";
	case MY_HEARTBEAT:
		return "HEARTBEAT";
	case MY_ROWS_QUERY:
		return "ROWS_QUERY";
	case MY_WRITE_ROWS_V2:
		return "WRITE_ROWS_V2";
	case MY_UPDATE_ROWS_V2:
		return "UPDATE_ROWS_V2";
	case MY_DELETE_ROWS_V2:
		return "DELETE_ROWS_V2";
	case MY_GTID:
		return "GTID";
	case MY_ANONYMOUS_GTID:
		return "ANONYMOUS_GTID";
	case MY_PREVIOUS_GTIDS:
		return "PREVIOUS_GTIDS";
	case MY_PARTIAL_UPDATE_ROWS:
		return "PARTIAL_UPDATE_ROWS";
	case MY_TRANSACTION_PAYLOAD:
		return "TRANSACTION_PAYLOAD";
	case MY_HEARTBEAT_V2:
		return "HEARTBEAT_V2";
	case MY_GTID_TAGGED:
		return "GTID_TAGGED";
	case MY_MARIA_ANNOTATE_ROWS:
		return "ANNOTATE_ROWS";
	case MY_MARIA_BINLOG_CHECKPOINT:
		return "BINLOG_CHECKPOINT";
	case MY_MARIA_GTID:
		return "MARIA_GTID";
	case MY_MARIA_GTID_LIST:
		return "MARIA_GTID_LIST";
	case MY_MARIA_START_ENCRYPTION:
		return "START_ENCRYPTION";
	case MY_MARIA_QUERY_COMPRESSED:
		return "QUERY_COMPRESSED";
	case MY_MARIA_WRITE_ROWS_COMPRESSED:
		return "WRITE_ROWS_COMPRESSED_V1";
	case MY_MARIA_UPDATE_ROWS_COMPRESSED:
		return "UPDATE_ROWS_COMPRESSED_V1";
	case MY_MARIA_DELETE_ROWS_COMPRESSED:
		return "DELETE_ROWS_COMPRESSED_V1";
	case MY_MARIA_WRITE_ROWS_COMPRESSED_V1:
		return "WRITE_ROWS_COMPRESSED";
	case MY_MARIA_UPDATE_ROWS_COMPRESSED_V1:
		return "UPDATE_ROWS_COMPRESSED";
	case MY_MARIA_DELETE_ROWS_COMPRESSED_V1:
		return "DELETE_ROWS_COMPRESSED";
	default:
		return "unknown";
	}
}

/* ------------------------------------------------------------------ */
/* Packed integers                                                    */
/* ------------------------------------------------------------------ */

uint64_t
my_read_packed(struct rc_reader *r)
{
	uint8_t b = rc_reader_u8(r);
	const unsigned char *p;

	if (b < 0xfb)
		return b;
	switch (b) {
	case 0xfc:
		return rc_reader_le16(r);
	case 0xfd:
		p = rc_reader_bytes(r, 3);
		return p ? (uint64_t)p[0] | (uint64_t)p[1] << 8 |
				       (uint64_t)p[2] << 16
			 : 0;
	case 0xfe:
		return rc_reader_le64(r);
	default:
		r->err = 1;
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* FORMAT_DESCRIPTION and framing                                     */
/* ------------------------------------------------------------------ */

/* Post-header lengths when no FDE has said otherwise (MySQL 5.6+). */
static uint8_t
post_header_len(const struct my_fde *fde, int type)
{
	if (fde && fde->have_fde && fde->post_header_len[type])
		return fde->post_header_len[type];
	switch (type) {
	case MY_QUERY:
	case MY_MARIA_QUERY_COMPRESSED:
		return 13;
	case MY_ROTATE:
		return 8;
	case MY_TABLE_MAP:
		return 8;
	case MY_WRITE_ROWS_V1:
	case MY_UPDATE_ROWS_V1:
	case MY_DELETE_ROWS_V1:
	case MY_MARIA_WRITE_ROWS_COMPRESSED:
	case MY_MARIA_UPDATE_ROWS_COMPRESSED:
	case MY_MARIA_DELETE_ROWS_COMPRESSED:
		return 8;
	case MY_WRITE_ROWS_V2:
	case MY_UPDATE_ROWS_V2:
	case MY_DELETE_ROWS_V2:
	case MY_PARTIAL_UPDATE_ROWS:
	case MY_MARIA_WRITE_ROWS_COMPRESSED_V1:
	case MY_MARIA_UPDATE_ROWS_COMPRESSED_V1:
	case MY_MARIA_DELETE_ROWS_COMPRESSED_V1:
		return 10;
	default:
		return 0;
	}
}

void
my_fde_init(struct my_fde *fde)
{
	memset(fde, 0, sizeof(*fde));
	fde->binlog_version = 4;
	fde->header_len = MY_HEADER_LEN;
	fde->checksum_alg = MY_CHECKSUM_UNDECIDED;
}

/* Does a server of this version end its FDE with a checksum algorithm
 * byte? MySQL from 5.6.1, MariaDB from 5.3. */
static int
version_has_checksum(const char *v, size_t n)
{
	unsigned part[3] = {0, 0, 0};
	size_t i = 0;
	int k = 0;

	while (k < 3 && i < n) {
		if (v[i] < '0' || v[i] > '9')
			break;
		while (i < n && v[i] >= '0' && v[i] <= '9') {
			if (part[k] < 100000)
				part[k] = part[k] * 10 + (unsigned)(v[i] - '0');
			i++;
		}
		k++;
		if (i < n && v[i] == '.')
			i++;
		else
			break;
	}
	if (memmem(v, n, "MariaDB", 7))
		return part[0] > 5 || (part[0] == 5 && part[1] >= 3);
	return part[0] > 5 || (part[0] == 5 &&
			       (part[1] > 6 || (part[1] == 6 && part[2] >= 1)));
}

/* The FDE's fixed part: version(2) server_version(50) created(4) hlen(1) */
#define FDE_FIXED 57

static uint32_t
le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* CRC32 of an event without its last 4 bytes; an FDE's is computed with
 * LOG_EVENT_BINLOG_IN_USE_F cleared. */
static uint32_t
event_crc(const uint8_t *b, size_t len, int is_fde)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	if (is_fde && (b[17] & LOG_EVENT_BINLOG_IN_USE_F)) {
		uint8_t h[MY_HEADER_LEN];

		memcpy(h, b, MY_HEADER_LEN);
		h[17] &= (uint8_t)~LOG_EVENT_BINLOG_IN_USE_F;
		crc = crc32(crc, h, MY_HEADER_LEN);
		crc = crc32(crc, b + MY_HEADER_LEN,
			    (uInt)(len - 4 - MY_HEADER_LEN));
	} else {
		crc = crc32(crc, b, (uInt)(len - 4));
	}
	return (uint32_t)crc;
}

/*
 * MariaDB compressed data: header byte 0x80|k (k = 1..4 bytes of
 * big-endian uncompressed length follow), then a zlib stream.
 */
static int
maria_inflate(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen,
	      char *err, size_t errlen)
{
	unsigned k;
	uint64_t ulen = 0;
	uLongf dlen;
	uint8_t *buf;
	int zr;

	if (n < 1 || (p[0] & 0xe0) != 0x80)
		return fail(err, errlen, "compressed data: bad header byte");
	k = p[0] & 0x07;
	if (k < 1 || k > 4 || n < 1 + (size_t)k)
		return fail(err, errlen, "compressed data: bad length size");
	for (unsigned i = 1; i <= k; i++)
		ulen = ulen << 8 | p[i];
	if (ulen > RC_MAX_SERVER_MESSAGE)
		return fail(err, errlen,
			    "compressed data: %llu bytes uncompressed is over "
			    "the limit",
			    (unsigned long long)ulen);
	buf = malloc(ulen ? ulen : 1);
	if (!buf)
		return fail(err, errlen, "out of memory");
	dlen = (uLongf)ulen;
	zr = uncompress(buf, &dlen, p + 1 + k, (uLong)(n - 1 - k));
	if (zr != Z_OK || dlen != ulen) {
		free(buf);
		return fail(err, errlen,
			    "compressed data: zlib error %d (%lu of %llu "
			    "bytes)",
			    zr, (unsigned long)dlen, (unsigned long long)ulen);
	}
	*out = buf;
	*outlen = (size_t)ulen;
	return 0;
}

/*
 * Replace ev->body with prefix + inflated(rest): the uncompressed event's
 * body. The prefix is the part MariaDB leaves uncompressed.
 */
static int
inflate_body(struct my_event *ev, size_t prefix, char *err, size_t errlen)
{
	uint8_t *raw = NULL, *body;
	size_t rawlen = 0;

	if (prefix > ev->body_len)
		return fail(err, errlen, "%s: truncated",
			    my_event_type_name(ev->wire_type));
	if (maria_inflate(ev->body + prefix, ev->body_len - prefix, &raw,
			  &rawlen, err, errlen) < 0)
		return -1;
	body = malloc(prefix + rawlen + 1);
	if (!body) {
		free(raw);
		return fail(err, errlen, "out of memory");
	}
	memcpy(body, ev->body, prefix);
	memcpy(body + prefix, raw, rawlen);
	free(raw);
	ev->inflated = body;
	ev->body = body;
	ev->body_len = prefix + rawlen;
	return 0;
}

/* Bytes of a compressed rows event left uncompressed: the post-header
 * (+ v2 extra data), the column count and the columns-present bitmaps. */
static int
rows_prefix(const struct my_fde *fde, const struct my_event *ev, int v2,
	    int update, size_t *prefix)
{
	struct rc_reader r;
	size_t ph = post_header_len(fde, ev->wire_type);
	uint64_t ncols;

	rc_reader_init(&r, ev->body, ev->body_len);
	if (v2) {
		uint16_t extra;

		if (ph < 10)
			return -1;
		rc_reader_bytes(&r, ph - 2);
		extra = rc_reader_le16(&r);
		if (extra < 2)
			return -1;
		rc_reader_bytes(&r, extra - 2u);
	} else {
		rc_reader_bytes(&r, ph);
	}
	ncols = my_read_packed(&r);
	if (ncols > RC_MAX_COLUMNS)
		return -1;
	rc_reader_bytes(&r, (size_t)((ncols + 7) / 8) * (update ? 2 : 1));
	if (!rc_reader_ok(&r))
		return -1;
	*prefix = ev->body_len - rc_reader_left(&r);
	return 0;
}

static int
maria_uncompress(const struct my_fde *fde, struct my_event *ev, char *err,
		 size_t errlen)
{
	size_t prefix;
	int v2 = 0, update = 0;

	switch (ev->wire_type) {
	case MY_MARIA_QUERY_COMPRESSED: {
		struct rc_reader r;
		size_t ph = post_header_len(fde, ev->wire_type);
		uint8_t dblen;
		uint16_t stlen;

		if (ph < 13 || ev->body_len < ph)
			return fail(err, errlen, "QUERY_COMPRESSED: truncated");
		dblen = ev->body[8];
		stlen = (uint16_t)(ev->body[11] | ev->body[12] << 8);
		rc_reader_init(&r, ev->body + ph, ev->body_len - ph);
		rc_reader_bytes(&r, stlen);
		rc_reader_bytes(&r, (size_t)dblen + 1);
		if (!rc_reader_ok(&r))
			return fail(err, errlen, "QUERY_COMPRESSED: truncated");
		prefix = ev->body_len - rc_reader_left(&r);
		ev->type = MY_QUERY;
		return inflate_body(ev, prefix, err, errlen);
	}
	case MY_MARIA_WRITE_ROWS_COMPRESSED:
		ev->type = MY_WRITE_ROWS_V1;
		break;
	case MY_MARIA_UPDATE_ROWS_COMPRESSED:
		ev->type = MY_UPDATE_ROWS_V1;
		update = 1;
		break;
	case MY_MARIA_DELETE_ROWS_COMPRESSED:
		ev->type = MY_DELETE_ROWS_V1;
		break;
	case MY_MARIA_WRITE_ROWS_COMPRESSED_V1:
		ev->type = MY_WRITE_ROWS_V2;
		v2 = 1;
		break;
	case MY_MARIA_UPDATE_ROWS_COMPRESSED_V1:
		ev->type = MY_UPDATE_ROWS_V2;
		v2 = update = 1;
		break;
	case MY_MARIA_DELETE_ROWS_COMPRESSED_V1:
		ev->type = MY_DELETE_ROWS_V2;
		v2 = 1;
		break;
	default:
		return 0;
	}
	if (rows_prefix(fde, ev, v2, update, &prefix) < 0)
		return fail(err, errlen, "%s: truncated header",
			    my_event_type_name(ev->wire_type));
	return inflate_body(ev, prefix, err, errlen);
}

int
my_event_parse(const struct my_fde *fde, const void *buf, size_t len,
	       struct my_event *ev, char *err, size_t errlen)
{
	const uint8_t *b = buf;
	int is_fde, crc = 0;

	memset(ev, 0, sizeof(*ev));
	if (len < MY_HEADER_LEN)
		return fail(err, errlen,
			    "event of %zu bytes: shorter than "
			    "its header",
			    len);
	ev->timestamp = le32_at(b);
	ev->type = ev->wire_type = b[4];
	ev->server_id = le32_at(b + 5);
	ev->event_len = le32_at(b + 9);
	ev->log_pos = le32_at(b + 13);
	ev->flags = (uint16_t)(b[17] | b[18] << 8);
	if (ev->event_len != len)
		return fail(err, errlen, "%s: header says %u bytes, got %zu",
			    my_event_type_name(ev->type), ev->event_len, len);
	is_fde = ev->type == MY_FORMAT_DESCRIPTION;
	if (is_fde) {
		if (len < MY_HEADER_LEN + FDE_FIXED)
			return fail(err, errlen,
				    "FORMAT_DESCRIPTION: truncated");
		if (version_has_checksum(
			    (const char *)b + MY_HEADER_LEN + 2,
			    strnlen((const char *)b + MY_HEADER_LEN + 2, 50))) {
			if (len < MY_HEADER_LEN + FDE_FIXED + 5)
				return fail(err, errlen,
					    "FORMAT_DESCRIPTION: truncated");
			/* the algorithm byte stays in the body */
			crc = b[len - 5] == MY_CHECKSUM_CRC32 ? 1 : 2;
		}
	} else if (fde->checksum_alg == MY_CHECKSUM_CRC32) {
		crc = 1;
	} else if (fde->checksum_alg == MY_CHECKSUM_UNDECIDED) {
		if (len >= MY_HEADER_LEN + 4 &&
		    event_crc(b, len, 0) == le32_at(b + len - 4))
			crc = 1;
	}
	if (crc == 1) {
		uint32_t want, got;

		if (len < MY_HEADER_LEN + 4)
			return fail(err, errlen, "%s: no room for its CRC32",
				    my_event_type_name(ev->type));
		want = le32_at(b + len - 4);
		got = event_crc(b, len, is_fde);
		if (want != got)
			return fail(err, errlen,
				    "%s: CRC32 mismatch (event says %08x, "
				    "bytes give %08x)",
				    my_event_type_name(ev->type), want, got);
	}
	ev->body = b + MY_HEADER_LEN;
	ev->body_len = len - MY_HEADER_LEN - (crc ? 4 : 0);
	if (ev->type >= MY_MARIA_QUERY_COMPRESSED &&
	    ev->type <= MY_MARIA_DELETE_ROWS_COMPRESSED_V1) {
		if (maria_uncompress(fde, ev, err, errlen) < 0) {
			my_event_clear(ev);
			return -1;
		}
	}
	return 0;
}

void
my_event_clear(struct my_event *ev)
{
	if (!ev)
		return;
	free(ev->inflated);
	ev->inflated = NULL;
}

/*
 * FORMAT_DESCRIPTION body:
 *   binlog_version(2) server_version(50) create_timestamp(4)
 *   header_length(1) post_header_length[one per type from 1]
 *   [checksum_alg(1)]  (servers that write checksums; then the CRC)
 */
int
my_fde_parse(const struct my_event *ev, struct my_fde *fde, char *err,
	     size_t errlen)
{
	const uint8_t *b = ev->body;
	size_t n = ev->body_len, nlen, vlen;
	int aware;

	if (ev->type != MY_FORMAT_DESCRIPTION)
		return fail(err, errlen, "not a FORMAT_DESCRIPTION event");
	if (n < FDE_FIXED)
		return fail(err, errlen, "FORMAT_DESCRIPTION: truncated");
	vlen = strnlen((const char *)b + 2, 50);
	aware = version_has_checksum((const char *)b + 2, vlen);
	if (aware && n < FDE_FIXED + 1)
		return fail(err, errlen, "FORMAT_DESCRIPTION: truncated");
	if (b[56] != MY_HEADER_LEN)
		return fail(err, errlen,
			    "FORMAT_DESCRIPTION: header length %u is not "
			    "supported",
			    b[56]);
	memset(fde, 0, sizeof(*fde));
	fde->binlog_version = (uint16_t)(b[0] | b[1] << 8);
	if (fde->binlog_version != 4)
		return fail(err, errlen,
			    "FORMAT_DESCRIPTION: binlog version %u is not "
			    "supported",
			    fde->binlog_version);
	memcpy(fde->server_version, b + 2, vlen);
	fde->server_version[vlen] = 0;
	fde->mariadb = strstr(fde->server_version, "MariaDB") != NULL;
	fde->header_len = b[56];
	nlen = n - FDE_FIXED - (aware ? 1 : 0);
	if (nlen > 255)
		nlen = 255;
	for (size_t i = 0; i < nlen; i++)
		fde->post_header_len[i + 1] = b[FDE_FIXED + i];
	fde->checksum_alg = aware ? b[n - 1] : MY_CHECKSUM_NONE;
	if (fde->checksum_alg != MY_CHECKSUM_NONE &&
	    fde->checksum_alg != MY_CHECKSUM_CRC32)
		return fail(err, errlen,
			    "FORMAT_DESCRIPTION: checksum algorithm %u is not "
			    "supported",
			    fde->checksum_alg);
	fde->have_fde = 1;
	return 0;
}

/* ROTATE: position(8) next_file_name(rest) */
int
my_rotate_parse(const struct my_event *ev, uint64_t *pos, char *name,
		size_t namelen, char *err, size_t errlen)
{
	size_t n;

	if (ev->type != MY_ROTATE || ev->body_len < 8)
		return fail(err, errlen, "ROTATE: truncated");
	*pos = (uint64_t)le32_at(ev->body) | (uint64_t)le32_at(ev->body + 4)
						     << 32;
	n = ev->body_len - 8;
	if (n == 0 || n >= namelen || memchr(ev->body + 8, 0, n))
		return fail(err, errlen, "ROTATE: bad file name (%zu bytes)",
			    n);
	memcpy(name, ev->body + 8, n);
	name[n] = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* GTIDs, XID, QUERY, ROWS_QUERY                                      */
/* ------------------------------------------------------------------ */

/*
 * MySQL's serialization library integer (tagged GTID events): the number
 * of trailing 1 bits of the first byte is the number of bytes that
 * follow; the value is the little-endian whole shifted right by that
 * count + 1 (nine bytes when the first is 0xff: the value is the last 8).
 */
static uint64_t
ser_uint(struct rc_reader *r)
{
	uint8_t b0 = rc_reader_u8(r);
	int extra = 0;
	uint64_t v;

	while (extra < 8 && (b0 >> extra) & 1)
		extra++;
	if (extra == 8)
		return rc_reader_le64(r);
	v = b0;
	for (int i = 1; i <= extra; i++)
		v |= (uint64_t)rc_reader_u8(r) << (8 * i);
	return v >> (extra + 1);
}

static int64_t
ser_int(struct rc_reader *r)
{
	uint64_t u = ser_uint(r);

	return (u & 1) ? -(int64_t)(u >> 1) - 1 : (int64_t)(u >> 1);
}

/*
 * GTID_TAGGED: version(1) then a serialized message:
 *   payload_size last_non_ignorable_field_id { field_id value }*
 * fields 0 flags, 1 uuid (16 integers), 2 gno (signed), 3 tag (length +
 * bytes), 4 last_committed, 5 sequence_number (signed), 6 immediate and
 * 7 original commit timestamp, 8 transaction length, 9/10 server
 * versions, 11 commit group ticket.
 */
static int
gtid_tagged_parse(const struct my_event *ev, struct my_gtid *g, char *err,
		  size_t errlen)
{
	struct rc_reader r, f;
	uint64_t size, lnif, imm = 0, orig = 0;
	int have_sid = 0, have_gno = 0, have_tag = 0, have_orig = 0;
	size_t used;

	rc_reader_init(&r, ev->body, ev->body_len);
	rc_reader_u8(&r); /* serialization format version */
	size = ser_uint(&r);
	lnif = ser_uint(&r);
	used = ev->body_len - rc_reader_left(&r);
	if (!rc_reader_ok(&r) || size < used || size > ev->body_len)
		return fail(err, errlen, "GTID_TAGGED: bad message size");
	rc_reader_init(&f, ev->body + used, (size_t)size - used);
	while (rc_reader_ok(&f) && rc_reader_left(&f) > 0) {
		uint64_t id = ser_uint(&f), v;

		switch (id) {
		case 0:
			ser_uint(&f);
			break;
		case 1:
			for (int i = 0; i < 16; i++) {
				v = ser_uint(&f);
				if (v > 255)
					return fail(err, errlen,
						    "GTID_TAGGED: bad uuid");
				g->uuid[i] = (uint8_t)v;
			}
			have_sid = 1;
			break;
		case 2:
			g->gno = ser_int(&f);
			have_gno = 1;
			break;
		case 3: {
			const unsigned char *t;

			v = ser_uint(&f);
			if (v >= sizeof(g->tag))
				return fail(err, errlen,
					    "GTID_TAGGED: tag too long");
			t = rc_reader_bytes(&f, (size_t)v);
			if (!t)
				break;
			memcpy(g->tag, t, (size_t)v);
			g->tag[v] = 0;
			have_tag = 1;
			break;
		}
		case 4:
		case 5:
			ser_int(&f);
			break;
		case 6:
			imm = ser_uint(&f);
			break;
		case 7:
			orig = ser_uint(&f);
			have_orig = 1;
			break;
		case 8:
		case 9:
		case 10:
		case 11:
			ser_uint(&f);
			break;
		default:
			if (id <= lnif)
				return fail(err, errlen,
					    "GTID_TAGGED: unknown field %llu "
					    "that may not be ignored",
					    (unsigned long long)id);
			goto done; /* ignorable fields of a newer server */
		}
	}
done:
	if (!rc_reader_ok(&f) || !have_sid || !have_gno || !have_tag ||
	    g->gno < 1)
		return fail(err, errlen,
			    "GTID_TAGGED: truncated or missing "
			    "uuid, gno or tag");
	g->commit_ts_us = (int64_t)(have_orig ? orig : imm);
	return 0;
}

/*
 * GTID / ANONYMOUS_GTID:
 *   flags(1) uuid(16) gno(8)
 *   [lt_type(1)=2 last_committed(8) sequence_number(8)
 *    [immediate_commit_ts(7) (bit 55: original_commit_ts(7) follows)
 *     ...transaction length, server versions]]
 */
int
my_gtid_parse(const struct my_event *ev, struct my_gtid *g, char *err,
	      size_t errlen)
{
	struct rc_reader r;
	const unsigned char *p;

	memset(g, 0, sizeof(*g));
	if (ev->type == MY_GTID_TAGGED)
		return gtid_tagged_parse(ev, g, err, errlen);
	if (ev->type != MY_GTID && ev->type != MY_ANONYMOUS_GTID)
		return fail(err, errlen, "%s is not a GTID event",
			    my_event_type_name(ev->type));
	rc_reader_init(&r, ev->body, ev->body_len);
	rc_reader_u8(&r);
	p = rc_reader_bytes(&r, 16);
	if (p)
		memcpy(g->uuid, p, 16);
	g->gno = (int64_t)rc_reader_le64(&r);
	if (!rc_reader_ok(&r))
		return fail(err, errlen, "%s: truncated",
			    my_event_type_name(ev->type));
	g->anonymous = ev->type == MY_ANONYMOUS_GTID;
	if (rc_reader_left(&r) >= 17 && r.p[0] == 2) {
		rc_reader_bytes(&r, 17);
		if (rc_reader_left(&r) >= 7) {
			uint64_t imm = 0, orig;

			p = rc_reader_bytes(&r, 7);
			for (int i = 6; i >= 0; i--)
				imm = imm << 8 | p[i];
			orig = imm;
			if (imm & (1ULL << 55)) {
				imm &= ~(1ULL << 55);
				p = rc_reader_bytes(&r, 7);
				if (!p)
					return fail(err, errlen,
						    "GTID: truncated");
				orig = 0;
				for (int i = 6; i >= 0; i--)
					orig = orig << 8 | p[i];
			}
			g->commit_ts_us = (int64_t)orig;
		}
	}
	if (!g->anonymous && g->gno < 1)
		return fail(err, errlen, "GTID: gno %lld out of range",
			    (long long)g->gno);
	return 0;
}

/* MariaDB GTID: seq_no(8) domain_id(4) flags(1) [commit_id(8) | XA...] */
int
my_maria_gtid_parse(const struct my_event *ev, struct my_maria_gtid *g,
		    char *err, size_t errlen)
{
	struct rc_reader r;

	memset(g, 0, sizeof(*g));
	if (ev->type != MY_MARIA_GTID)
		return fail(err, errlen, "not a MariaDB GTID event");
	rc_reader_init(&r, ev->body, ev->body_len);
	g->seq = rc_reader_le64(&r);
	g->domain = rc_reader_le32(&r);
	g->flags = rc_reader_u8(&r);
	g->server_id = ev->server_id;
	if (!rc_reader_ok(&r))
		return fail(err, errlen, "MARIA_GTID: truncated");
	return 0;
}

/* MariaDB GTID_LIST: count(4; low 28 bits) { domain(4) server(4) seq(8) } */
int
my_maria_gtid_list_parse(const struct my_event *ev, struct my_maria_gtid *list,
			 size_t max, size_t *n, char *err, size_t errlen)
{
	struct rc_reader r;
	uint32_t count;

	*n = 0;
	if (ev->type != MY_MARIA_GTID_LIST)
		return fail(err, errlen, "not a MariaDB GTID_LIST event");
	rc_reader_init(&r, ev->body, ev->body_len);
	count = rc_reader_le32(&r) & 0x0fffffffu;
	if (!rc_reader_ok(&r) || count > rc_reader_left(&r) / 16)
		return fail(err, errlen, "MARIA_GTID_LIST: truncated");
	if (count > max)
		return fail(err, errlen,
			    "MARIA_GTID_LIST: %u entries, room for %zu", count,
			    max);
	for (uint32_t i = 0; i < count; i++) {
		list[i].domain = rc_reader_le32(&r);
		list[i].server_id = rc_reader_le32(&r);
		list[i].seq = rc_reader_le64(&r);
		list[i].flags = 0;
	}
	*n = count;
	return 0;
}

int
my_xid_parse(const struct my_event *ev, uint64_t *xid, char *err, size_t errlen)
{
	if (ev->type != MY_XID || ev->body_len < 8)
		return fail(err, errlen, "XID: truncated");
	*xid = (uint64_t)le32_at(ev->body) | (uint64_t)le32_at(ev->body + 4)
						     << 32;
	return 0;
}

/*
 * QUERY post-header: thread_id(4) exec_time(4) db_len(1) error_code(2)
 * status_vars_len(2); body: status_vars db NUL sql(rest).
 */
int
my_query_parse(const struct my_fde *fde, const struct my_event *ev,
	       struct my_query *q, char *err, size_t errlen)
{
	struct rc_reader r;
	size_t ph = post_header_len(fde, MY_QUERY);
	uint8_t dblen;
	uint16_t stlen;
	const unsigned char *db;

	memset(q, 0, sizeof(*q));
	if (ev->type != MY_QUERY)
		return fail(err, errlen, "not a QUERY event");
	if (ph < 13)
		return fail(err, errlen, "QUERY: post-header of %zu bytes", ph);
	rc_reader_init(&r, ev->body, ev->body_len);
	q->thread_id = rc_reader_le32(&r);
	rc_reader_le32(&r);
	dblen = rc_reader_u8(&r);
	q->error_code = rc_reader_le16(&r);
	stlen = rc_reader_le16(&r);
	rc_reader_bytes(&r, ph - 13);
	rc_reader_bytes(&r, stlen);
	db = rc_reader_bytes(&r, (size_t)dblen + 1);
	if (!rc_reader_ok(&r) || db[dblen] != 0)
		return fail(err, errlen, "QUERY: truncated");
	q->db = (const char *)db;
	q->db_len = dblen;
	q->sql_len = rc_reader_left(&r);
	q->sql = (const char *)rc_reader_bytes(&r, q->sql_len);
	return 0;
}

/* ROWS_QUERY: length(1, may be wrong past 255) text(rest);
 * ANNOTATE_ROWS: text(all) */
int
my_rows_query_parse(const struct my_event *ev, const char **sql, size_t *len,
		    char *err, size_t errlen)
{
	if (ev->type == MY_MARIA_ANNOTATE_ROWS) {
		*sql = (const char *)ev->body;
		*len = ev->body_len;
		return 0;
	}
	if (ev->type != MY_ROWS_QUERY || ev->body_len < 1)
		return fail(err, errlen, "ROWS_QUERY: truncated");
	*sql = (const char *)ev->body + 1;
	*len = ev->body_len - 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* TRANSACTION_PAYLOAD                                                */
/* ------------------------------------------------------------------ */

#define PAYLOAD_SIZE		  1
#define PAYLOAD_COMPRESSION	  2
#define PAYLOAD_UNCOMPRESSED_SIZE 3
#define PAYLOAD_ZSTD		  0
#define PAYLOAD_NONE		  255

/*
 * Body: { field_type(packed) length(packed) value(length bytes, itself a
 * packed integer) }* 0, then payload_size bytes of data (a zstd frame,
 * or the events as they are for compression NONE).
 */
int
my_payload_open(const struct my_event *ev, struct my_payload *pl, char *err,
		size_t errlen)
{
	struct rc_reader r;
	uint64_t psize = 0, ctype = PAYLOAD_NONE, usize = 0;
	int have_psize = 0, have_usize = 0;
	const unsigned char *data;

	memset(pl, 0, sizeof(*pl));
	if (ev->type != MY_TRANSACTION_PAYLOAD)
		return fail(err, errlen, "not a TRANSACTION_PAYLOAD event");
	rc_reader_init(&r, ev->body, ev->body_len);
	for (;;) {
		uint64_t type = my_read_packed(&r), flen, v;
		struct rc_reader f;
		const unsigned char *fp;

		if (!rc_reader_ok(&r))
			return fail(err, errlen,
				    "TRANSACTION_PAYLOAD: truncated header");
		if (type == 0)
			break;
		flen = my_read_packed(&r);
		fp = flen <= rc_reader_left(&r)
			     ? rc_reader_bytes(&r, (size_t)flen)
			     : NULL;
		if (!fp)
			return fail(err, errlen,
				    "TRANSACTION_PAYLOAD: truncated header");
		rc_reader_init(&f, fp, (size_t)flen);
		v = my_read_packed(&f);
		if (type <= PAYLOAD_UNCOMPRESSED_SIZE && !rc_reader_ok(&f))
			return fail(
				err, errlen,
				"TRANSACTION_PAYLOAD: bad header field %llu",
				(unsigned long long)type);
		if (type == PAYLOAD_SIZE) {
			psize = v;
			have_psize = 1;
		} else if (type == PAYLOAD_COMPRESSION) {
			ctype = v;
		} else if (type == PAYLOAD_UNCOMPRESSED_SIZE) {
			usize = v;
			have_usize = 1;
		}
	}
	if (!have_psize || psize != rc_reader_left(&r))
		return fail(err, errlen,
			    "TRANSACTION_PAYLOAD: payload size %llu, %zu bytes "
			    "follow",
			    (unsigned long long)psize, rc_reader_left(&r));
	data = rc_reader_bytes(&r, (size_t)psize);
	if (ctype == PAYLOAD_NONE) {
		pl->data = malloc(psize ? psize : 1);
		if (!pl->data)
			return fail(err, errlen, "out of memory");
		memcpy(pl->data, data, psize);
		pl->len = (size_t)psize;
		return 0;
	}
	if (ctype != PAYLOAD_ZSTD)
		return fail(err, errlen,
			    "TRANSACTION_PAYLOAD: compression type %llu is not "
			    "supported",
			    (unsigned long long)ctype);
	if (!have_usize) {
		unsigned long long fs =
			ZSTD_getFrameContentSize(data, (size_t)psize);

		if (fs == ZSTD_CONTENTSIZE_ERROR ||
		    fs == ZSTD_CONTENTSIZE_UNKNOWN)
			return fail(err, errlen,
				    "TRANSACTION_PAYLOAD: uncompressed size "
				    "unknown");
		usize = fs;
	}
	if (usize > RC_MAX_SERVER_MESSAGE)
		return fail(err, errlen,
			    "TRANSACTION_PAYLOAD: %llu bytes uncompressed is "
			    "over the limit",
			    (unsigned long long)usize);
	pl->data = malloc(usize ? usize : 1);
	if (!pl->data)
		return fail(err, errlen, "out of memory");
	{
		size_t got = ZSTD_decompress(pl->data, (size_t)usize, data,
					     (size_t)psize);

		if (ZSTD_isError(got) || got != usize) {
			free(pl->data);
			pl->data = NULL;
			return fail(err, errlen,
				    "TRANSACTION_PAYLOAD: zstd: %s",
				    ZSTD_isError(got)
					    ? ZSTD_getErrorName(got)
					    : "size differs from the header");
		}
	}
	pl->len = (size_t)usize;
	return 0;
}

int
my_payload_next(struct my_payload *pl, const struct my_fde *fde,
		struct my_event *ev, char *err, size_t errlen)
{
	const uint8_t *b;
	size_t left;
	uint32_t len;

	(void)fde;
	memset(ev, 0, sizeof(*ev));
	if (!pl->data || pl->off >= pl->len)
		return 0;
	b = pl->data + pl->off;
	left = pl->len - pl->off;
	if (left < MY_HEADER_LEN)
		return fail(err, errlen,
			    "TRANSACTION_PAYLOAD: %zu stray bytes at the end",
			    left);
	len = le32_at(b + 9);
	if (len < MY_HEADER_LEN || len > left)
		return fail(err, errlen,
			    "TRANSACTION_PAYLOAD: inner event of %u bytes, %zu "
			    "left",
			    len, left);
	ev->timestamp = le32_at(b);
	ev->type = ev->wire_type = b[4];
	ev->server_id = le32_at(b + 5);
	ev->event_len = len;
	ev->log_pos = le32_at(b + 13);
	ev->flags = (uint16_t)(b[17] | b[18] << 8);
	ev->body = b + MY_HEADER_LEN;
	ev->body_len = len - MY_HEADER_LEN;
	pl->off += len;
	return 1;
}

void
my_payload_close(struct my_payload *pl)
{
	if (!pl)
		return;
	free(pl->data);
	pl->data = NULL;
	pl->len = pl->off = 0;
}

/* ------------------------------------------------------------------ */
/* TABLE_MAP                                                          */
/* ------------------------------------------------------------------ */

enum {
	OPT_SIGNEDNESS = 1,
	OPT_DEFAULT_CHARSET,
	OPT_COLUMN_CHARSET,
	OPT_COLUMN_NAME,
	OPT_SET_STR_VALUE,
	OPT_ENUM_STR_VALUE,
	OPT_GEOMETRY_TYPE,
	OPT_SIMPLE_PRIMARY_KEY,
	OPT_PRIMARY_KEY_WITH_PREFIX,
	OPT_ENUM_AND_SET_DEFAULT_CHARSET,
	OPT_ENUM_AND_SET_COLUMN_CHARSET,
	OPT_COLUMN_VISIBILITY,
};

void
my_tablemap_free(struct my_tablemap *tm)
{
	if (!tm)
		return;
	for (int i = 0; i < tm->ncols && tm->cols; i++) {
		struct my_col *c = &tm->cols[i];

		free(c->name);
		for (int k = 0; k < c->nvalues; k++)
			free(c->values[k]);
		free(c->values);
	}
	free(tm->cols);
	free(tm->db);
	free(tm->table);
	free(tm);
}

static char *
dupn(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

/* Column metadata, as MySQL packs it into a uint16, and real_type. */
static int
read_col_meta(struct rc_reader *r, struct my_col *c)
{
	const unsigned char *p;

	c->real_type = c->type;
	switch (c->type) {
	case MYT_FLOAT:
	case MYT_DOUBLE:
	case MYT_BLOB:
	case MYT_TINY_BLOB:
	case MYT_MEDIUM_BLOB:
	case MYT_LONG_BLOB:
	case MYT_GEOMETRY:
	case MYT_JSON:
	case MYT_TIMESTAMP2:
	case MYT_DATETIME2:
	case MYT_TIME2:
		c->meta = rc_reader_u8(r);
		break;
	case MYT_VARCHAR:
	case MYT_VAR_STRING:
		c->meta = rc_reader_le16(r);
		break;
	case MYT_BIT: /* bits % 8, then bytes */
		p = rc_reader_bytes(r, 2);
		if (p)
			c->meta = (uint16_t)(p[0] | p[1] << 8);
		break;
	case MYT_NEWDECIMAL: /* precision, scale */
	case MYT_STRING:     /* real type, length */
	case MYT_ENUM:
	case MYT_SET:
		p = rc_reader_bytes(r, 2);
		if (p)
			c->meta = (uint16_t)(p[0] << 8 | p[1]);
		if (c->type == MYT_STRING) {
			uint8_t rt = (uint8_t)(c->meta >> 8);

			if (rt == MYT_ENUM || rt == MYT_SET)
				c->real_type = rt;
		}
		break;
	case MYT_DECIMAL:
	case MYT_TINY:
	case MYT_SHORT:
	case MYT_LONG:
	case MYT_NULL:
	case MYT_TIMESTAMP:
	case MYT_LONGLONG:
	case MYT_INT24:
	case MYT_DATE:
	case MYT_TIME:
	case MYT_DATETIME:
	case MYT_YEAR:
	case MYT_NEWDATE:
		c->meta = 0;
		break;
	default:
		return -1;
	}
	return 0;
}

/* The next bit of an MSB-first bitmap in r; *bits holds the current byte. */
struct bitreader {
	const unsigned char *p;
	size_t n, i;
};

static int
next_bit(struct bitreader *br, int *bit)
{
	if (br->i / 8 >= br->n)
		return -1;
	*bit = (br->p[br->i / 8] >> (7 - br->i % 8)) & 1;
	br->i++;
	return 0;
}

/* String values of ENUM/SET columns: per column, count then strings. */
static int
read_str_values(struct rc_reader *f, struct my_tablemap *tm, uint8_t want)
{
	for (int i = 0; i < tm->ncols; i++) {
		struct my_col *c = &tm->cols[i];
		uint64_t count;

		if (c->real_type != want)
			continue;
		count = my_read_packed(f);
		if (!rc_reader_ok(f) || count > 65536 ||
		    count > rc_reader_left(f))
			return -1;
		if (c->values) /* a repeated field: keep the first */
			return -1;
		c->values = calloc(count ? count : 1, sizeof(char *));
		if (!c->values)
			return -1;
		c->nvalues = (int)count;
		for (uint64_t k = 0; k < count; k++) {
			uint64_t len = my_read_packed(f);
			const unsigned char *s;

			if (!rc_reader_ok(f) || len > rc_reader_left(f))
				return -1;
			s = rc_reader_bytes(f, (size_t)len);
			c->values[k] = dupn(s, (size_t)len);
			if (!c->values[k])
				return -1;
		}
	}
	return 0;
}

/* DEFAULT_CHARSET-style: default, then (index among the selected
 * columns, collation) pairs; COLUMN_CHARSET-style: one per column. */
/* MariaDB lists GEOMETRY columns among the character columns of the
 * charset fields (with collation 63); MySQL does not. */
static int
is_character_maria(const struct my_col *c)
{
	return my_col_is_character(c) || c->type == MYT_GEOMETRY;
}

static int
read_charsets(struct rc_reader *f, struct my_tablemap *tm, int enumset,
	      int per_column, int mariadb)
{
	int (*sel)(const struct my_col *) = enumset   ? my_col_is_enum_set
					    : mariadb ? is_character_maria
						      : my_col_is_character;

	if (per_column) {
		for (int i = 0; i < tm->ncols; i++) {
			if (!sel(&tm->cols[i]))
				continue;
			tm->cols[i].collation = (uint32_t)my_read_packed(f);
		}
		return rc_reader_ok(f) ? 0 : -1;
	}
	{
		uint64_t def = my_read_packed(f);

		for (int i = 0; i < tm->ncols; i++)
			if (sel(&tm->cols[i]))
				tm->cols[i].collation = (uint32_t)def;
		while (rc_reader_ok(f) && rc_reader_left(f) > 0) {
			uint64_t idx = my_read_packed(f);
			uint64_t coll = my_read_packed(f);
			uint64_t k = 0;
			int found = 0;

			for (int i = 0; i < tm->ncols && rc_reader_ok(f); i++) {
				if (!sel(&tm->cols[i]))
					continue;
				if (k++ == idx) {
					tm->cols[i].collation = (uint32_t)coll;
					found = 1;
					break;
				}
			}
			if (!found)
				return -1;
		}
	}
	return rc_reader_ok(f) ? 0 : -1;
}

static int
read_optional(struct rc_reader *r, struct my_tablemap *tm, int mariadb,
	      char *err, size_t errlen)
{
	while (rc_reader_left(r) > 0) {
		uint8_t type = rc_reader_u8(r);
		uint64_t len = my_read_packed(r);
		const unsigned char *v;
		struct rc_reader f;
		struct bitreader br;
		int bit;

		if (!rc_reader_ok(r) || len > rc_reader_left(r))
			return fail(err, errlen,
				    "TABLE_MAP: optional metadata truncated");
		v = rc_reader_bytes(r, (size_t)len);
		rc_reader_init(&f, v, (size_t)len);
		br.p = v;
		br.n = (size_t)len;
		br.i = 0;
		switch (type) {
		case OPT_SIGNEDNESS:
			for (int i = 0; i < tm->ncols; i++) {
				if (!my_col_is_numeric(&tm->cols[i]))
					continue;
				if (next_bit(&br, &bit) < 0)
					goto bad;
				tm->cols[i].is_unsigned = bit;
			}
			break;
		case OPT_DEFAULT_CHARSET:
		case OPT_COLUMN_CHARSET:
		case OPT_ENUM_AND_SET_DEFAULT_CHARSET:
		case OPT_ENUM_AND_SET_COLUMN_CHARSET:
			if (read_charsets(
				    &f, tm,
				    type == OPT_ENUM_AND_SET_DEFAULT_CHARSET ||
					    type == OPT_ENUM_AND_SET_COLUMN_CHARSET,
				    type == OPT_COLUMN_CHARSET ||
					    type == OPT_ENUM_AND_SET_COLUMN_CHARSET,
				    mariadb) < 0)
				goto bad;
			break;
		case OPT_COLUMN_NAME:
			for (int i = 0; i < tm->ncols; i++) {
				uint64_t n = my_read_packed(&f);
				const unsigned char *s;

				if (!rc_reader_ok(&f) || n > rc_reader_left(&f))
					goto bad;
				s = rc_reader_bytes(&f, (size_t)n);
				free(tm->cols[i].name);
				tm->cols[i].name = dupn(s, (size_t)n);
				if (!tm->cols[i].name)
					goto oom;
			}
			tm->has_names = 1;
			break;
		case OPT_SET_STR_VALUE:
			if (read_str_values(&f, tm, MYT_SET) < 0)
				goto bad;
			break;
		case OPT_ENUM_STR_VALUE:
			if (read_str_values(&f, tm, MYT_ENUM) < 0)
				goto bad;
			break;
		case OPT_GEOMETRY_TYPE:
			for (int i = 0; i < tm->ncols; i++) {
				if (tm->cols[i].type != MYT_GEOMETRY)
					continue;
				tm->cols[i].geometry_type =
					(int)(my_read_packed(&f) & 0xff);
			}
			if (!rc_reader_ok(&f))
				goto bad;
			break;
		case OPT_SIMPLE_PRIMARY_KEY:
		case OPT_PRIMARY_KEY_WITH_PREFIX: {
			int pos = 1;

			while (rc_reader_left(&f) > 0) {
				uint64_t ix = my_read_packed(&f);

				if (type == OPT_PRIMARY_KEY_WITH_PREFIX)
					my_read_packed(&f);
				if (!rc_reader_ok(&f) ||
				    ix >= (uint64_t)tm->ncols)
					goto bad;
				tm->cols[ix].pk = pos++;
			}
			tm->has_pk = 1;
			break;
		}
		case OPT_COLUMN_VISIBILITY:
			for (int i = 0; i < tm->ncols; i++) {
				if (next_bit(&br, &bit) < 0)
					goto bad;
				tm->cols[i].visible = bit;
			}
			break;
		default: /* newer servers' fields: skipped by length */
			break;
		}
		continue;
	bad:
		return fail(err, errlen,
			    "TABLE_MAP: bad optional metadata field %u", type);
	oom:
		return fail(err, errlen, "out of memory");
	}
	return 0;
}

/* ENUM/SET value strings into UTF-8, once the charsets are known. */
static int
values_to_utf8(struct my_tablemap *tm, char *err, size_t errlen)
{
	for (int i = 0; i < tm->ncols; i++) {
		struct my_col *c = &tm->cols[i];
		const struct my_charset *cs =
			my_charset_by_collation(c->collation);

		if (!c->nvalues || !cs || cs->kind == MY_CS_UTF8 ||
		    cs->kind == MY_CS_BINARY)
			continue;
		for (int k = 0; k < c->nvalues; k++) {
			struct rc_buf b;

			rc_buf_init(&b, RC_MAX_SERVER_MESSAGE);
			if (my_to_utf8(cs, (const uint8_t *)c->values[k],
				       strlen(c->values[k]), &b, err,
				       errlen) < 0) {
				rc_buf_free(&b);
				return -1;
			}
			free(c->values[k]);
			c->values[k] = b.data ? b.data : dupn("", 0);
			if (!c->values[k])
				return fail(err, errlen, "out of memory");
		}
	}
	return 0;
}

/*
 * TABLE_MAP post-header: table_id(6, or 4 when the post-header is 6)
 * flags(2). Body: db_len(1) db NUL table_len(1) table NUL
 * ncols(packed) types[ncols] meta_len(packed) meta[meta_len]
 * null_bitmap[(ncols+7)/8] optional metadata { type(1) len(packed) v }*
 */
static struct my_tablemap *
tablemap_parse(const void *body, size_t len, size_t ph, int mariadb, char *err,
	       size_t errlen)
{
	struct rc_reader r, m;
	struct my_tablemap *tm;
	const unsigned char *types, *meta, *nulls, *s;
	uint64_t ncols, mlen;
	uint8_t n;

	if (ph != 6 && ph < 8) {
		fail(err, errlen, "TABLE_MAP: post-header of %zu bytes", ph);
		return NULL;
	}
	tm = calloc(1, sizeof(*tm));
	if (!tm) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	rc_reader_init(&r, body, len);
	if (ph == 6) {
		tm->table_id = rc_reader_le32(&r);
	} else {
		s = rc_reader_bytes(&r, 6);
		for (int i = 5; s && i >= 0; i--)
			tm->table_id = tm->table_id << 8 | s[i];
	}
	tm->flags = rc_reader_le16(&r);
	if (ph > 8)
		rc_reader_bytes(&r, ph - 8);
	n = rc_reader_u8(&r);
	s = rc_reader_bytes(&r, (size_t)n + 1);
	if (s && s[n] == 0)
		tm->db = dupn(s, n);
	n = rc_reader_u8(&r);
	s = rc_reader_bytes(&r, (size_t)n + 1);
	if (s && s[n] == 0)
		tm->table = dupn(s, n);
	if (!rc_reader_ok(&r) || !tm->db || !tm->table) {
		fail(err, errlen, "TABLE_MAP: truncated names");
		goto out;
	}
	ncols = my_read_packed(&r);
	if (!rc_reader_ok(&r) || ncols == 0 || ncols > RC_MAX_COLUMNS) {
		fail(err, errlen, "TABLE_MAP %s.%s: %llu columns", tm->db,
		     tm->table, (unsigned long long)ncols);
		goto out;
	}
	types = rc_reader_bytes(&r, (size_t)ncols);
	mlen = my_read_packed(&r);
	meta = mlen <= rc_reader_left(&r) ? rc_reader_bytes(&r, (size_t)mlen)
					  : NULL;
	nulls = rc_reader_bytes(&r, (size_t)(ncols + 7) / 8);
	if (!rc_reader_ok(&r) || !meta || !types) {
		fail(err, errlen, "TABLE_MAP %s.%s: truncated", tm->db,
		     tm->table);
		goto out;
	}
	tm->cols = calloc((size_t)ncols, sizeof(*tm->cols));
	if (!tm->cols) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	tm->ncols = (int)ncols;
	rc_reader_init(&m, meta, (size_t)mlen);
	for (int i = 0; i < tm->ncols; i++) {
		struct my_col *c = &tm->cols[i];
		char nm[16];

		c->type = types[i];
		c->visible = 1;
		c->geometry_type = -1;
		c->nullable = (nulls[i / 8] >> (i % 8)) & 1;
		snprintf(nm, sizeof(nm), "@%d", i + 1);
		c->name = dupn(nm, strlen(nm));
		if (!c->name) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		if (read_col_meta(&m, c) < 0) {
			fail(err, errlen,
			     "TABLE_MAP %s.%s: column %d has type %u, which "
			     "rowcast does not know",
			     tm->db, tm->table, i + 1, c->type);
			goto out;
		}
		if (c->type == MYT_JSON)
			tm->njson++;
	}
	if (!rc_reader_ok(&m)) {
		fail(err, errlen, "TABLE_MAP %s.%s: column metadata truncated",
		     tm->db, tm->table);
		goto out;
	}
	if (read_optional(&r, tm, mariadb, err, errlen) < 0 ||
	    values_to_utf8(tm, err, errlen) < 0)
		goto out;
	return tm;
out:
	my_tablemap_free(tm);
	return NULL;
}

struct my_tablemap *
my_tablemap_parse(const struct my_fde *fde, const struct my_event *ev,
		  char *err, size_t errlen)
{
	if (ev->type != MY_TABLE_MAP) {
		fail(err, errlen, "not a TABLE_MAP event");
		return NULL;
	}
	return tablemap_parse(ev->body, ev->body_len,
			      post_header_len(fde, MY_TABLE_MAP),
			      fde && fde->mariadb, err, errlen);
}

struct my_tablemap *
my_tablemap_parse_body(const void *body, size_t len, size_t table_id_len,
		       char *err, size_t errlen)
{
	return my_tablemap_parse_body_ex(body, len, table_id_len, 0, err,
					 errlen);
}

struct my_tablemap *
my_tablemap_parse_body_ex(const void *body, size_t len, size_t table_id_len,
			  int mariadb, char *err, size_t errlen)
{
	if (table_id_len != 4 && table_id_len != 6) {
		fail(err, errlen, "table id of %zu bytes", table_id_len);
		return NULL;
	}
	return tablemap_parse(body, len, table_id_len + 2, mariadb, err,
			      errlen);
}

/* ------------------------------------------------------------------ */
/* Rows events                                                        */
/* ------------------------------------------------------------------ */

/*
 * Post-header: table_id(6) flags(2) [v2: extra_len(2), then extra_len-2
 * bytes of extra data]. Body: ncols(packed) present[(ncols+7)/8]
 * [updates: present_after[(ncols+7)/8]] rows.
 */
int
my_rows_parse(const struct my_fde *fde, const struct my_event *ev,
	      struct my_rows *rows, char *err, size_t errlen)
{
	struct rc_reader r;
	size_t ph, bm;
	int v2 = 0;
	const unsigned char *s;
	uint64_t ncols;

	memset(rows, 0, sizeof(*rows));
	rows->type = ev->type;
	switch (ev->type) {
	case MY_WRITE_ROWS_V2:
		v2 = 1;
		/* fall through */
	case MY_WRITE_ROWS_V1:
		rows->op = 'c';
		break;
	case MY_PARTIAL_UPDATE_ROWS:
		rows->partial = 1;
		/* fall through */
	case MY_UPDATE_ROWS_V2:
		v2 = 1;
		/* fall through */
	case MY_UPDATE_ROWS_V1:
		rows->op = 'u';
		break;
	case MY_DELETE_ROWS_V2:
		v2 = 1;
		/* fall through */
	case MY_DELETE_ROWS_V1:
		rows->op = 'd';
		break;
	default:
		return fail(err, errlen, "%s is not a rows event",
			    my_event_type_name(ev->type));
	}
	/* an inflated compressed event keeps its wire type's post-header */
	ph = post_header_len(fde, ev->wire_type);
	if (ph != 6 && ph < (v2 ? 10u : 8u))
		return fail(err, errlen, "%s: post-header of %zu bytes",
			    my_event_type_name(ev->type), ph);
	rc_reader_init(&r, ev->body, ev->body_len);
	if (ph == 6) {
		rows->table_id = rc_reader_le32(&r);
	} else {
		s = rc_reader_bytes(&r, 6);
		for (int i = 5; s && i >= 0; i--)
			rows->table_id = rows->table_id << 8 | s[i];
	}
	rows->flags = rc_reader_le16(&r);
	if (v2) {
		uint16_t extra = rc_reader_le16(&r);

		if (ph > 10)
			rc_reader_bytes(&r, ph - 10);
		if (extra < 2)
			return fail(err, errlen, "%s: bad extra data length",
				    my_event_type_name(ev->type));
		rc_reader_bytes(&r, extra - 2u);
	} else if (ph > 8) {
		rc_reader_bytes(&r, ph - 8);
	}
	ncols = my_read_packed(&r);
	if (!rc_reader_ok(&r) || ncols == 0 || ncols > RC_MAX_COLUMNS)
		return fail(err, errlen, "%s: bad column count",
			    my_event_type_name(ev->type));
	rows->ncols = (int)ncols;
	bm = (size_t)(ncols + 7) / 8;
	rows->present = rc_reader_bytes(&r, bm);
	rows->present_after = rows->op == 'u' ? rc_reader_bytes(&r, bm) : NULL;
	if (!rc_reader_ok(&r))
		return fail(err, errlen, "%s: truncated",
			    my_event_type_name(ev->type));
	rows->len = rc_reader_left(&r);
	rows->data = rc_reader_bytes(&r, rows->len);
	rows->off = 0;
	return 0;
}
