/*
 * buf.c -- a growable byte buffer with a hard cap (see buf.h).
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
rc_buf_init(struct rc_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
rc_buf_free(struct rc_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int
rc_buf_reserve(struct rc_buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (n > b->max || b->len > b->max - n)
		return -1;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->data, ncap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
rc_buf_append(struct rc_buf *b, const void *p, size_t n)
{
	if (rc_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int
rc_buf_putc(struct rc_buf *b, char c)
{
	return rc_buf_append(b, &c, 1);
}

int
rc_buf_puts(struct rc_buf *b, const char *s)
{
	return rc_buf_append(b, s, strlen(s));
}

int
rc_buf_printf(struct rc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || rc_buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t
utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && c == 0xe0 && p[1] < 0xa0)
		return 0;
	if (n == 3 && c == 0xed && p[1] >= 0xa0)
		return 0;
	if (n == 4 && c == 0xf0 && p[1] < 0x90)
		return 0;
	if (n == 4 && c == 0xf4 && p[1] >= 0x90)
		return 0;
	return n;
}

int
rc_buf_json_string(struct rc_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	if (rc_buf_putc(b, '"') < 0)
		return -1;
	while (i < n) {
		unsigned char c = p[i];
		size_t l;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			run++;
			i++;
			continue;
		}
		if (run && rc_buf_append(b, p + i - run, run) < 0)
			return -1;
		run = 0;
		if (c >= 0x80) {
			l = utf8_seq_len(p + i, n - i);
			if (l) {
				if (rc_buf_append(b, p + i, l) < 0)
					return -1;
				i += l;
			} else {
				/* not UTF-8: keep the byte visible as U+FFFD */
				if (rc_buf_puts(b, "\\ufffd") < 0)
					return -1;
				i++;
			}
			continue;
		}
		switch (c) {
		case '"':
			if (rc_buf_puts(b, "\\\"") < 0)
				return -1;
			break;
		case '\\':
			if (rc_buf_puts(b, "\\\\") < 0)
				return -1;
			break;
		case '\n':
			if (rc_buf_puts(b, "\\n") < 0)
				return -1;
			break;
		case '\r':
			if (rc_buf_puts(b, "\\r") < 0)
				return -1;
			break;
		case '\t':
			if (rc_buf_puts(b, "\\t") < 0)
				return -1;
			break;
		default:
			if (rc_buf_printf(b, "\\u%04x", c) < 0)
				return -1;
		}
		i++;
	}
	if (run && rc_buf_append(b, p + i - run, run) < 0)
		return -1;
	return rc_buf_putc(b, '"');
}

int
rc_buf_avro_long(struct rc_buf *b, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	unsigned char tmp[10];
	size_t n = 0;

	while (z & ~(uint64_t)0x7f) {
		tmp[n++] = (unsigned char)((z & 0x7f) | 0x80);
		z >>= 7;
	}
	tmp[n++] = (unsigned char)z;
	return rc_buf_append(b, tmp, n);
}

int
rc_buf_avro_bytes(struct rc_buf *b, const void *p, size_t n)
{
	if (rc_buf_avro_long(b, (int64_t)n) < 0)
		return -1;
	return rc_buf_append(b, p, n);
}
