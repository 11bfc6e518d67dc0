/*
 * position.h -- a source position: how far a source has got in its stream.
 *
 * PostgreSQL uses lsn (the end LSN of a transaction: confirming it moves
 * the slot past the transaction). MySQL/MariaDB use file_seq + offset and a
 * GTID set (and the file's name). The struct is copied by value; gtid and
 * file are owned by whoever holds the struct and freed with rc_pos_clear().
 */
#ifndef RC_POSITION_H
#define RC_POSITION_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rc_pos {
	uint64_t lsn;	 /* PostgreSQL end LSN; MySQL binlog file number */
	uint64_t offset; /* MySQL offset in the binlog file */
	char *gtid;	 /* MySQL GTID set after the transaction, or NULL */
	char *file;	 /* MySQL binlog file name, or NULL */
	char *snap;	 /* snapshot state as checkpoint lines (snapshot.h),
			  * or NULL: unchanged since the previous position */
};

/* The strings now belong to someone else (the struct was copied by value
 * into their hands): forget them without freeing. */
static inline void
rc_pos_disown(struct rc_pos *pos)
{
	pos->gtid = NULL;
	pos->file = NULL;
	pos->snap = NULL;
}

static inline void
rc_pos_clear(struct rc_pos *pos)
{
	free(pos->gtid);
	free(pos->file);
	free(pos->snap);
	memset(pos, 0, sizeof(*pos));
}

/* dst = copy of src (dst is cleared first). Returns 0 or -1. */
static inline int
rc_pos_copy(struct rc_pos *dst, const struct rc_pos *src)
{
	rc_pos_clear(dst);
	dst->lsn = src->lsn;
	dst->offset = src->offset;
	if (src->gtid && !(dst->gtid = strdup(src->gtid)))
		return -1;
	if (src->file && !(dst->file = strdup(src->file)))
		return -1;
	if (src->snap && !(dst->snap = strdup(src->snap)))
		return -1;
	return 0;
}

/* "X/Y" form of a PostgreSQL LSN into buf (at least 20 bytes). */
void rc_lsn_format(uint64_t lsn, char *buf, size_t len);
/* Parse "X/Y"; returns 0 or -1. */
int rc_lsn_parse(const char *s, uint64_t *lsn);

#endif
