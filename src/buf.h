/*
 * buf.h -- a growable byte buffer with a hard cap.
 *
 * Every growth is checked against the cap given at init (see limits.h);
 * appending past it fails with -1 and leaves the buffer unchanged. The
 * buffer is always NUL-terminated one byte past len, so text can be used
 * as a C string. rc_buf_free() accepts a zeroed or already freed buffer.
 */
#ifndef RC_BUF_H
#define RC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct rc_buf {
	char *data;
	size_t len;
	size_t cap; /* allocated bytes */
	size_t max; /* hard cap on len */
};

void rc_buf_init(struct rc_buf *b, size_t max);
void rc_buf_free(struct rc_buf *b);
static inline void
rc_buf_reset(struct rc_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

/* Make room for n more bytes; returns 0, or -1 past the cap or out of memory.
 */
int rc_buf_reserve(struct rc_buf *b, size_t n);
int rc_buf_append(struct rc_buf *b, const void *p, size_t n);
int rc_buf_putc(struct rc_buf *b, char c);
int rc_buf_puts(struct rc_buf *b, const char *s);
int rc_buf_printf(struct rc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append s as a JSON string literal, quotes included (UTF-8 passes through,
 * control characters and invalid UTF-8 bytes are escaped). */
int rc_buf_json_string(struct rc_buf *b, const char *s, size_t n);

/* Avro binary primitives: zig-zag varint long, and length-prefixed bytes. */
int rc_buf_avro_long(struct rc_buf *b, int64_t v);
int rc_buf_avro_bytes(struct rc_buf *b, const void *p, size_t n);

#endif
