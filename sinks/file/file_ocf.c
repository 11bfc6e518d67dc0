/*
 * file_ocf.c -- Avro object container files: the writer of the header and
 * block prefixes, and the framing reader used by crash recovery
 * (file_ocf.h).
 *
 * The layout, from the Avro specification ("Object Container Files"). An
 * Avro long is a zig-zag varint (1 to 10 bytes); bytes and string are a
 * long length followed by that many bytes.
 *
 *   header:
 *     magic   4 bytes   'O' 'b' 'j' 0x01
 *     meta    map<bytes>, as blocks of entries:
 *               long count; when negative, -count entries follow a long
 *                           byte size of them
 *               count x (string key, bytes value)
 *             ended by a block whose count is 0
 *     sync    16 bytes  random, the file's marker
 *
 *   then any number of data blocks:
 *     count   long      objects in the block (> 0)
 *     size    long      bytes of the objects (after the codec; ours: null)
 *     objects size bytes, each the Avro binary encoding of one datum
 *     sync    16 bytes  the header's marker again
 *
 * rowcast writes the metadata as one block of three entries: avro.schema
 * (the encoder's schema text, logical types included), avro.codec = "null"
 * and rowcast.fingerprint (CRC-64-AVRO of the schema's canonical form, 16
 * lowercase hex digits).
 */
#include "file_ocf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t ocf_magic[4] = {'O', 'b', 'j', 1};

/* Longest metadata key we accept when reading; ours are under 32 bytes. */
#define OCF_MAX_KEY 1024

/* ------------------------------------------------------------------ */
/* Writer                                                             */
/* ------------------------------------------------------------------ */

/* Append one metadata entry: string key, bytes value. */
static int
ocf_meta(struct rc_buf *out, const char *key, const void *val, size_t n)
{
	if (rc_buf_avro_bytes(out, key, strlen(key)) < 0)
		return -1;
	return rc_buf_avro_bytes(out, val, n);
}

int
rc_ocf_write_header(struct rc_buf *out, const char *schema_json, uint64_t fp,
		    const uint8_t sync[RC_OCF_SYNC_LEN])
{
	char hex[17];

	snprintf(hex, sizeof(hex), "%016" PRIx64, fp);
	if (rc_buf_append(out, ocf_magic, sizeof(ocf_magic)) < 0 ||
	    rc_buf_avro_long(out, 3) < 0 ||
	    ocf_meta(out, "avro.schema", schema_json, strlen(schema_json)) <
		    0 ||
	    ocf_meta(out, "avro.codec", "null", 4) < 0 ||
	    ocf_meta(out, "rowcast.fingerprint", hex, 16) < 0 ||
	    rc_buf_avro_long(out, 0) < 0 ||
	    rc_buf_append(out, sync, RC_OCF_SYNC_LEN) < 0)
		return -1;
	return 0;
}

/* Zig-zag varint of v into p; returns its length (1..10). */
static size_t
ocf_put_long(uint8_t *p, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	size_t n = 0;

	while (z & ~(uint64_t)0x7f) {
		p[n++] = (uint8_t)((z & 0x7f) | 0x80);
		z >>= 7;
	}
	p[n++] = (uint8_t)z;
	return n;
}

size_t
rc_ocf_block_prefix(uint8_t *p, int64_t count, int64_t size)
{
	size_t n = ocf_put_long(p, count);

	return n + ocf_put_long(p + n, size);
}

/* ------------------------------------------------------------------ */
/* Reader                                                             */
/* ------------------------------------------------------------------ */

/*
 * A bounded reader over a file: every read checks that it stays inside
 * file_size first, so a short or lying file ends the walk cleanly.
 * Read calls return 0 on success, 1 when the file is too short (or the
 * bytes are not a valid long), -1 on an I/O error.
 */
struct ocf_reader {
	int fd;
	uint64_t off;
	uint64_t size;
};

static int
ocf_read(struct ocf_reader *r, void *p, size_t n)
{
	size_t got = 0;

	if (n > r->size - r->off)
		return 1;
	while (got < n) {
		ssize_t k = pread(r->fd, (char *)p + got, n - got,
				  (off_t)(r->off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			return 1; /* shrank under us */
		got += (size_t)k;
	}
	r->off += n;
	return 0;
}

/* Read a zig-zag varint; a long of more than 10 bytes is invalid. */
static int
ocf_read_long(struct ocf_reader *r, int64_t *v)
{
	uint8_t b[10];
	uint64_t avail = r->size - r->off, z = 0;
	size_t n = avail < sizeof(b) ? (size_t)avail : sizeof(b);
	int rc;

	if (n == 0)
		return 1;
	rc = ocf_read(r, b, n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		z |= (uint64_t)(b[i] & 0x7f) << (7 * i);
		if (!(b[i] & 0x80)) {
			if (i == 9 && b[i] > 1)
				return 1;      /* overflows 64 bits */
			r->off -= n - (i + 1); /* give back the rest */
			*v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
			return 0;
		}
	}
	return 1;
}

/* Skip n bytes; 1 when they are not all in the file. */
static int
ocf_skip(struct ocf_reader *r, int64_t n)
{
	if (n < 0 || (uint64_t)n > r->size - r->off)
		return 1;
	r->off += (uint64_t)n;
	return 0;
}

/*
 * Read the metadata map (layout at the top of this file). Sets *has_schema
 * when an avro.schema entry is present. Returns 0, 1 when malformed (with
 * why set), -1 on an I/O error.
 */
static int
ocf_read_meta(struct ocf_reader *r, int *has_schema, char *why, size_t whylen)
{
	char key[OCF_MAX_KEY];
	int64_t count, len, bsize;
	int rc;

	for (;;) {
		if ((rc = ocf_read_long(r, &count)) != 0) {
			snprintf(why, whylen,
				 "metadata cut short at byte %" PRIu64, r->off);
			return rc;
		}
		if (count == 0)
			return 0;
		if (count < 0) {
			if (count == INT64_MIN) {
				snprintf(why, whylen, "bad metadata count");
				return 1;
			}
			count = -count;
			if ((rc = ocf_read_long(r, &bsize)) != 0) {
				snprintf(why, whylen,
					 "metadata cut short at byte %" PRIu64,
					 r->off);
				return rc;
			}
		}
		if ((uint64_t)count > r->size - r->off) {
			snprintf(why, whylen,
				 "metadata count %" PRId64 " exceeds the file",
				 count);
			return 1;
		}
		while (count-- > 0) {
			/* key */
			if ((rc = ocf_read_long(r, &len)) != 0)
				goto short_read;
			if (len < 0 || len >= OCF_MAX_KEY) {
				snprintf(why, whylen,
					 "bad metadata key length %" PRId64,
					 len);
				return 1;
			}
			if ((rc = ocf_read(r, key, (size_t)len)) != 0)
				goto short_read;
			key[len] = 0;
			if (strcmp(key, "avro.schema") == 0)
				*has_schema = 1;
			/* value */
			if ((rc = ocf_read_long(r, &len)) != 0 ||
			    (rc = ocf_skip(r, len)) != 0)
				goto short_read;
		}
	}
short_read:
	snprintf(why, whylen, "metadata cut short at byte %" PRIu64, r->off);
	return rc;
}

int
rc_ocf_scan(int fd, struct rc_ocf_scan *scan)
{
	struct ocf_reader r = {.fd = fd};
	struct stat stbuf;
	uint8_t magic[4], sync[RC_OCF_SYNC_LEN];
	int has_schema = 0, rc;

	memset(scan, 0, sizeof(*scan));
	if (fstat(fd, &stbuf) < 0)
		return -1;
	r.size = scan->file_size = (uint64_t)stbuf.st_size;

	/* header */
	rc = ocf_read(&r, magic, sizeof(magic));
	if (rc < 0)
		return -1;
	if (rc || memcmp(magic, ocf_magic, sizeof(magic)) != 0) {
		snprintf(scan->why, sizeof(scan->why),
			 "not an Avro container (bad magic)");
		return 0;
	}
	rc = ocf_read_meta(&r, &has_schema, scan->why, sizeof(scan->why));
	if (rc < 0)
		return -1;
	if (rc)
		return 0;
	if (!has_schema) {
		snprintf(scan->why, sizeof(scan->why),
			 "no avro.schema in the header");
		return 0;
	}
	rc = ocf_read(&r, scan->sync, RC_OCF_SYNC_LEN);
	if (rc < 0)
		return -1;
	if (rc) {
		snprintf(scan->why, sizeof(scan->why),
			 "header cut short in the sync marker");
		return 0;
	}
	scan->header_ok = 1;
	scan->header_len = scan->good_end = r.off;

	/* blocks */
	while (r.off < r.size) {
		int64_t count, size;

		rc = ocf_read_long(&r, &count);
		if (rc == 0)
			rc = ocf_read_long(&r, &size);
		if (rc < 0)
			return -1;
		if (rc) {
			snprintf(scan->why, sizeof(scan->why),
				 "block %" PRIu64 ": prefix cut short",
				 scan->blocks + 1);
			break;
		}
		if (count <= 0 || size < 0) {
			snprintf(scan->why, sizeof(scan->why),
				 "block %" PRIu64 ": bad count %" PRId64
				 " or size %" PRId64,
				 scan->blocks + 1, count, size);
			break;
		}
		if (ocf_skip(&r, size)) {
			snprintf(scan->why, sizeof(scan->why),
				 "block %" PRIu64 ": %" PRId64
				 " bytes announced, %" PRIu64 " left",
				 scan->blocks + 1, size, r.size - r.off);
			break;
		}
		rc = ocf_read(&r, sync, RC_OCF_SYNC_LEN);
		if (rc < 0)
			return -1;
		if (rc || memcmp(sync, scan->sync, RC_OCF_SYNC_LEN) != 0) {
			snprintf(scan->why, sizeof(scan->why),
				 "block %" PRIu64 ": sync marker %s",
				 scan->blocks + 1,
				 rc ? "cut short" : "does not match");
			break;
		}
		scan->blocks++;
		scan->records += (uint64_t)count;
		scan->good_end = r.off;
	}
	return 0;
}
