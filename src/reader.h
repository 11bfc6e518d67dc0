/*
 * reader.h -- a bounds-checked reader for bytes that come off the network.
 *
 * Every read checks what is left; a read past the end sets the reader's
 * error flag, returns zero/NULL, and every later read fails too, so a parser
 * can read a whole message and check rc_reader_ok() once at the end. No
 * read ever touches memory outside [data, data+len).
 */
#ifndef RC_READER_H
#define RC_READER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rc_reader {
	const unsigned char *p;
	size_t left;
	int err;
};

static inline void
rc_reader_init(struct rc_reader *r, const void *data, size_t len)
{
	r->p = (const unsigned char *)data;
	r->left = len;
	r->err = 0;
}

static inline int
rc_reader_ok(const struct rc_reader *r)
{
	return !r->err;
}
static inline size_t
rc_reader_left(const struct rc_reader *r)
{
	return r->err ? 0 : r->left;
}

/* Take n bytes; returns a pointer into the message or NULL (error set). */
static inline const unsigned char *
rc_reader_bytes(struct rc_reader *r, size_t n)
{
	const unsigned char *p;

	if (r->err || n > r->left) {
		r->err = 1;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static inline uint8_t
rc_reader_u8(struct rc_reader *r)
{
	const unsigned char *p = rc_reader_bytes(r, 1);
	return p ? p[0] : 0;
}

static inline uint16_t
rc_reader_be16(struct rc_reader *r)
{
	const unsigned char *p = rc_reader_bytes(r, 2);
	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

static inline uint32_t
rc_reader_be32(struct rc_reader *r)
{
	const unsigned char *p = rc_reader_bytes(r, 4);
	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
			       ((uint32_t)p[2] << 8) | p[3]
		 : 0;
}

static inline uint64_t
rc_reader_be64(struct rc_reader *r)
{
	uint64_t hi = rc_reader_be32(r);
	uint64_t lo = rc_reader_be32(r);
	return (hi << 32) | lo;
}

static inline uint16_t
rc_reader_le16(struct rc_reader *r)
{
	const unsigned char *p = rc_reader_bytes(r, 2);
	return p ? (uint16_t)(p[0] | (p[1] << 8)) : 0;
}

static inline uint32_t
rc_reader_le32(struct rc_reader *r)
{
	const unsigned char *p = rc_reader_bytes(r, 4);
	return p ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
			       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24)
		 : 0;
}

static inline uint64_t
rc_reader_le64(struct rc_reader *r)
{
	uint64_t lo = rc_reader_le32(r);
	uint64_t hi = rc_reader_le32(r);
	return (hi << 32) | lo;
}

/*
 * A NUL-terminated string inside the message. Returns it (pointing into the
 * message) and its length in *len, or NULL with the error set when no NUL is
 * found before the end.
 */
static inline const char *
rc_reader_cstr(struct rc_reader *r, size_t *len)
{
	const unsigned char *nul;
	const char *s;

	if (r->err) {
		if (len)
			*len = 0;
		return NULL;
	}
	nul = memchr(r->p, 0, r->left);
	if (!nul) {
		r->err = 1;
		if (len)
			*len = 0;
		return NULL;
	}
	s = (const char *)r->p;
	if (len)
		*len = (size_t)(nul - r->p);
	r->left -= (size_t)(nul - r->p) + 1;
	r->p = nul + 1;
	return s;
}

#endif
