/*
 * my_charset.h -- MySQL/MariaDB collation ids onto character sets, and
 * character data converted to UTF-8.
 *
 * The binlog carries a collation id per character column (TABLE_MAP
 * optional metadata); the row images carry the column's bytes in that
 * collation's character set. rowcast's strings are UTF-8, so every value
 * is converted here: utf8mb3/utf8mb4/ascii are validated and pass
 * through, latin1 (MySQL's latin1 is Windows-1252) is converted by a
 * table, every other character set through iconv(3). Bytes that are not
 * valid in their character set are an error, never a silent '?'.
 */
#ifndef RC_MY_CHARSET_H
#define RC_MY_CHARSET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define MY_COLLATION_BINARY 63

enum my_cs_kind {
	MY_CS_UTF8,   /* utf8mb3/utf8mb4: validate, pass through */
	MY_CS_ASCII,  /* 7-bit: validate, pass through */
	MY_CS_LATIN1, /* MySQL latin1 = cp1252: built-in table */
	MY_CS_ICONV,  /* any other: iconv from iconv_name */
	MY_CS_BINARY, /* collation 63: bytes, not characters */
};

struct my_charset {
	const char *name; /* MySQL's name: "utf8mb4", "latin1" */
	int mbmaxlen;	  /* bytes per character at most */
	enum my_cs_kind kind;
	const char *iconv_name; /* MY_CS_ICONV: iconv's name for it */
};

/* The character set of a collation id, or NULL when the id is unknown. */
const struct my_charset *my_charset_by_collation(uint32_t collation);

/*
 * Append s[0..n) converted from cs to UTF-8 to out. cs NULL (the column's
 * character set is not known: no charset metadata) is treated as UTF-8
 * and validated. Returns 0, or -1 with err set (invalid bytes for the
 * character set, a character set iconv does not know, out past its cap).
 */
int my_to_utf8(const struct my_charset *cs, const uint8_t *s, size_t n,
	       struct rc_buf *out, char *err, size_t errlen);

/* Whether s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
int my_utf8_valid(const uint8_t *s, size_t n);

#endif
