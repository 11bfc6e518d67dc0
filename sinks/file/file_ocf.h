/*
 * file_ocf.h -- the bytes of an Avro object container file (the Avro
 * specification's "Object Container Files"), written and checked by
 * rowcast itself.
 *
 * rowcast does not use Avro C's file writer: it drops logicalType,
 * precision, scale and defaults from the header schema (LAB.md section 4),
 * so the header is written here with the encoder's own schema text, and the
 * blocks carry values that encoder.c encoded. The reader side only checks
 * framing (header, block sizes, sync markers): it is what crash recovery
 * needs to find the last complete block of an unfinished file.
 */
#ifndef RC_FILE_OCF_H
#define RC_FILE_OCF_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RC_OCF_SYNC_LEN 16
/* A block prefix is two Avro longs: at most 10 bytes each. */
#define RC_OCF_PREFIX_MAX 20

/*
 * Append a container header to out: the magic, the metadata map with
 * avro.schema = schema_json (as given, byte for byte), avro.codec = null
 * and rowcast.fingerprint = fp in 16 hex digits, then the sync marker.
 * Returns 0, or -1 when out is full.
 */
int rc_ocf_write_header(struct rc_buf *out, const char *schema_json,
			uint64_t fp, const uint8_t sync[RC_OCF_SYNC_LEN]);

/* Encode a block's prefix (object count, byte size) into p, which has room
 * for RC_OCF_PREFIX_MAX bytes. Returns the prefix's length. */
size_t rc_ocf_block_prefix(uint8_t *p, int64_t count, int64_t size);

/* What rc_ocf_scan() found in a file. */
struct rc_ocf_scan {
	int header_ok; /* magic, metadata (with avro.schema) and sync read */
	uint64_t file_size;
	uint64_t header_len;
	uint8_t sync[RC_OCF_SYNC_LEN];
	uint64_t blocks;   /* complete blocks after the header */
	uint64_t records;  /* objects in those blocks */
	uint64_t good_end; /* offset just past the last complete block
			    * (header_len when there is none, 0 when the
			    * header is bad) */
	char why[160];	   /* why the header or the walk stopped */
};

/*
 * Read the header of the file open on fd and walk its blocks while each
 * one's count is positive, its size fits in the file and its sync marker
 * matches the header's. Reads with pread(2) and never loads a block's
 * objects, so a file of any size is checked in constant memory.
 * Returns 0 with the result in *scan, or -1 on a read error (errno set).
 */
int rc_ocf_scan(int fd, struct rc_ocf_scan *scan);

#endif
