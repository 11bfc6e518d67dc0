/*
 * my_charset.c -- collation ids onto character sets, and conversion of
 * character data to UTF-8 (see my_charset.h).
 *
 * The id table follows MySQL 8's and MariaDB 10.x/11.x's collation
 * numbering: ids 1-99 one by one, then the Unicode collation blocks
 * (utf16 101-124, ucs2 128-159, utf32 160-183, utf8mb3 192-223, utf8mb4
 * 224-247 and MySQL 8's 255-323), MariaDB's extra UCA ids (576-738),
 * MariaDB's NO PAD collations (the PAD SPACE id + 1024) and MariaDB's
 * UCA 14.0 blocks (2048-3327).
 */
#include "my_charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Character sets and collation ids                                   */
/* ------------------------------------------------------------------ */

enum {
	CS_BIG5 = 1,
	CS_LATIN2,
	CS_DEC8,
	CS_CP850,
	CS_LATIN1,
	CS_HP8,
	CS_KOI8R,
	CS_SWE7,
	CS_ASCII,
	CS_UJIS,
	CS_SJIS,
	CS_CP1251,
	CS_HEBREW,
	CS_TIS620,
	CS_EUCKR,
	CS_LATIN7,
	CS_KOI8U,
	CS_GB2312,
	CS_GREEK,
	CS_CP1250,
	CS_GBK,
	CS_CP1257,
	CS_LATIN5,
	CS_ARMSCII8,
	CS_UTF8MB3,
	CS_UCS2,
	CS_CP866,
	CS_KEYBCS2,
	CS_MACCE,
	CS_MACROMAN,
	CS_CP852,
	CS_UTF8MB4,
	CS_UTF16,
	CS_UTF16LE,
	CS_CP1256,
	CS_UTF32,
	CS_BINARY,
	CS_GEOSTD8,
	CS_CP932,
	CS_EUCJPMS,
	CS_GB18030,
	CS__COUNT
};

/* iconv names are glibc's; NULL where glibc has no such converter. */
static const struct my_charset charsets[CS__COUNT] = {
	[CS_BIG5] = {"big5", 2, MY_CS_ICONV, "BIG5"},
	[CS_LATIN2] = {"latin2", 1, MY_CS_ICONV, "ISO-8859-2"},
	[CS_DEC8] = {"dec8", 1, MY_CS_ICONV, NULL},
	[CS_CP850] = {"cp850", 1, MY_CS_ICONV, "CP850"},
	[CS_LATIN1] = {"latin1", 1, MY_CS_LATIN1, NULL},
	[CS_HP8] = {"hp8", 1, MY_CS_ICONV, NULL},
	[CS_KOI8R] = {"koi8r", 1, MY_CS_ICONV, "KOI8-R"},
	[CS_SWE7] = {"swe7", 1, MY_CS_ICONV, NULL},
	[CS_ASCII] = {"ascii", 1, MY_CS_ASCII, NULL},
	[CS_UJIS] = {"ujis", 3, MY_CS_ICONV, "EUC-JP"},
	[CS_SJIS] = {"sjis", 2, MY_CS_ICONV, "SHIFT_JIS"},
	[CS_CP1251] = {"cp1251", 1, MY_CS_ICONV, "CP1251"},
	[CS_HEBREW] = {"hebrew", 1, MY_CS_ICONV, "ISO-8859-8"},
	[CS_TIS620] = {"tis620", 1, MY_CS_ICONV, "TIS-620"},
	[CS_EUCKR] = {"euckr", 2, MY_CS_ICONV, "EUC-KR"},
	[CS_LATIN7] = {"latin7", 1, MY_CS_ICONV, "ISO-8859-13"},
	[CS_KOI8U] = {"koi8u", 1, MY_CS_ICONV, "KOI8-U"},
	[CS_GB2312] = {"gb2312", 2, MY_CS_ICONV, "GB2312"},
	[CS_GREEK] = {"greek", 1, MY_CS_ICONV, "ISO-8859-7"},
	[CS_CP1250] = {"cp1250", 1, MY_CS_ICONV, "CP1250"},
	[CS_GBK] = {"gbk", 2, MY_CS_ICONV, "GBK"},
	[CS_CP1257] = {"cp1257", 1, MY_CS_ICONV, "CP1257"},
	[CS_LATIN5] = {"latin5", 1, MY_CS_ICONV, "ISO-8859-9"},
	[CS_ARMSCII8] = {"armscii8", 1, MY_CS_ICONV, "ARMSCII-8"},
	[CS_UTF8MB3] = {"utf8mb3", 3, MY_CS_UTF8, NULL},
	[CS_UCS2] = {"ucs2", 2, MY_CS_ICONV, "UCS-2BE"},
	[CS_CP866] = {"cp866", 1, MY_CS_ICONV, "CP866"},
	[CS_KEYBCS2] = {"keybcs2", 1, MY_CS_ICONV, NULL},
	[CS_MACCE] = {"macce", 1, MY_CS_ICONV, "MAC-CENTRALEUROPE"},
	[CS_MACROMAN] = {"macroman", 1, MY_CS_ICONV, "MACINTOSH"},
	[CS_CP852] = {"cp852", 1, MY_CS_ICONV, "CP852"},
	[CS_UTF8MB4] = {"utf8mb4", 4, MY_CS_UTF8, NULL},
	[CS_UTF16] = {"utf16", 4, MY_CS_ICONV, "UTF-16BE"},
	[CS_UTF16LE] = {"utf16le", 4, MY_CS_ICONV, "UTF-16LE"},
	[CS_CP1256] = {"cp1256", 1, MY_CS_ICONV, "CP1256"},
	[CS_UTF32] = {"utf32", 4, MY_CS_ICONV, "UTF-32BE"},
	[CS_BINARY] = {"binary", 1, MY_CS_BINARY, NULL},
	[CS_GEOSTD8] = {"geostd8", 1, MY_CS_ICONV, "GEORGIAN-PS"},
	[CS_CP932] = {"cp932", 2, MY_CS_ICONV, "CP932"},
	[CS_EUCJPMS] = {"eucjpms", 3, MY_CS_ICONV, "EUC-JP-MS"},
	[CS_GB18030] = {"gb18030", 4, MY_CS_ICONV, "GB18030"},
};

/* Collation ids 0..99 (0 = none). */
static const uint8_t low_ids[100] = {
	0,	    CS_BIG5,	CS_LATIN2,   CS_DEC8,	  CS_CP850,
	CS_LATIN1,  CS_HP8,	CS_KOI8R,    CS_LATIN1,	  CS_LATIN2,
	CS_SWE7,    CS_ASCII,	CS_UJIS,     CS_SJIS,	  CS_CP1251,
	CS_LATIN1,  CS_HEBREW,	0,	     CS_TIS620,	  CS_EUCKR,
	CS_LATIN7,  CS_LATIN2,	CS_KOI8U,    CS_CP1251,	  CS_GB2312,
	CS_GREEK,   CS_CP1250,	CS_LATIN2,   CS_GBK,	  CS_CP1257,
	CS_LATIN5,  CS_LATIN1,	CS_ARMSCII8, CS_UTF8MB3,  CS_CP1250,
	CS_UCS2,    CS_CP866,	CS_KEYBCS2,  CS_MACCE,	  CS_MACROMAN,
	CS_CP852,   CS_LATIN7,	CS_LATIN7,   CS_MACCE,	  CS_CP1250,
	CS_UTF8MB4, CS_UTF8MB4, CS_LATIN1,   CS_LATIN1,	  CS_LATIN1,
	CS_CP1251,  CS_CP1251,	CS_CP1251,   CS_MACROMAN, CS_UTF16,
	CS_UTF16,   CS_UTF16LE, CS_CP1256,   CS_CP1257,	  CS_CP1257,
	CS_UTF32,   CS_UTF32,	CS_UTF16LE,  CS_BINARY,	  CS_ARMSCII8,
	CS_ASCII,   CS_CP1250,	CS_CP1256,   CS_CP866,	  CS_DEC8,
	CS_GREEK,   CS_HEBREW,	CS_HP8,	     CS_KEYBCS2,  CS_KOI8R,
	CS_KOI8U,   CS_UTF8MB3, CS_LATIN2,   CS_LATIN5,	  CS_LATIN7,
	CS_CP850,   CS_CP852,	CS_SWE7,     CS_UTF8MB3,  CS_BIG5,
	CS_EUCKR,   CS_GB2312,	CS_GBK,	     CS_SJIS,	  CS_TIS620,
	CS_UCS2,    CS_UJIS,	CS_GEOSTD8,  CS_GEOSTD8,  CS_LATIN1,
	CS_CP932,   CS_CP932,	CS_EUCJPMS,  CS_EUCJPMS,  CS_CP1250,
};

static const struct {
	uint16_t lo, hi;
	uint8_t cs;
} id_ranges[] = {
	{101, 124, CS_UTF16},
	{128, 159, CS_UCS2},
	{160, 183, CS_UTF32},
	{192, 223, CS_UTF8MB3},
	{224, 247, CS_UTF8MB4},
	{248, 250, CS_GB18030},
	{255, 323, CS_UTF8MB4},
	{576, 578, CS_UTF8MB3},
	{608, 610, CS_UTF8MB4},
	{640, 642, CS_UCS2},
	{672, 674, CS_UTF16},
	{736, 738, CS_UTF32},
	/* MariaDB 10.10+ UCA 14.0 collations */
	{2048, 2303, CS_UTF8MB3},
	{2304, 2559, CS_UTF8MB4},
	{2560, 2815, CS_UCS2},
	{2816, 3071, CS_UTF16},
	{3072, 3327, CS_UTF32},
};

static int
cs_of(uint32_t id)
{
	if (id < 100)
		return low_ids[id];
	for (size_t i = 0; i < sizeof(id_ranges) / sizeof(id_ranges[0]); i++)
		if (id >= id_ranges[i].lo && id <= id_ranges[i].hi)
			return id_ranges[i].cs;
	return 0;
}

const struct my_charset *
my_charset_by_collation(uint32_t collation)
{
	int cs = cs_of(collation);

	/* MariaDB's NO PAD collations: the PAD SPACE id + 1024 */
	if (!cs && collation >= 1024 && collation < 2048)
		cs = cs_of(collation - 1024);
	return cs ? &charsets[cs] : NULL;
}

/* ------------------------------------------------------------------ */
/* Conversion                                                         */
/* ------------------------------------------------------------------ */

int
my_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t len;

		if (c < 0x80) {
			uint64_t w;

			/* ASCII, 8 bytes at a time */
			while (n - i >= 8 && (memcpy(&w, s + i, 8),
					      !(w & 0x8080808080808080ULL)))
				i += 8;
			if (i < n && s[i] < 0x80)
				i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* MySQL's latin1 is cp1252 with the five holes mapped to C1 controls. */
static const uint16_t cp1252_80[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static int
latin1_to_utf8(const uint8_t *s, size_t n, struct rc_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = s[i];
		char u[3];

		if (cp < 0x80) {
			if (rc_buf_putc(out, (char)cp) < 0)
				return -1;
			continue;
		}
		if (cp < 0xa0)
			cp = cp1252_80[cp - 0x80];
		if (cp < 0x800) {
			u[0] = (char)(0xc0 | (cp >> 6));
			u[1] = (char)(0x80 | (cp & 0x3f));
			if (rc_buf_append(out, u, 2) < 0)
				return -1;
		} else {
			u[0] = (char)(0xe0 | (cp >> 12));
			u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			u[2] = (char)(0x80 | (cp & 0x3f));
			if (rc_buf_append(out, u, 3) < 0)
				return -1;
		}
	}
	return 0;
}

static int
iconv_to_utf8(const struct my_charset *cs, const uint8_t *s, size_t n,
	      struct rc_buf *out, char *err, size_t errlen)
{
	iconv_t cd;
	char *in = (char *)s;
	size_t inleft = n;
	int rc = 0;

	if (!cs->iconv_name) {
		snprintf(err, errlen, "character set %s is not supported",
			 cs->name);
		return -1;
	}
	cd = iconv_open("UTF-8", cs->iconv_name);
	if (cd == (iconv_t)-1) {
		snprintf(err, errlen, "character set %s: iconv has no %s",
			 cs->name, cs->iconv_name);
		return -1;
	}
	while (inleft > 0) {
		char *o;
		size_t oleft, want = inleft * 4 + 16, r;

		if (rc_buf_reserve(out, want) < 0) {
			snprintf(err, errlen, "value too large");
			rc = -1;
			break;
		}
		o = out->data + out->len;
		oleft = want;
		r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->data);
		out->data[out->len] = 0;
		if (r == (size_t)-1 && errno != E2BIG) {
			snprintf(err, errlen,
				 "invalid %s bytes at offset %zu of %zu",
				 cs->name, n - inleft, n);
			rc = -1;
			break;
		}
	}
	iconv_close(cd);
	return rc;
}

int
my_to_utf8(const struct my_charset *cs, const uint8_t *s, size_t n,
	   struct rc_buf *out, char *err, size_t errlen)
{
	if (!cs || cs->kind == MY_CS_UTF8 || cs->kind == MY_CS_ASCII) {
		if (!my_utf8_valid(s, n)) {
			snprintf(err, errlen, "invalid %s bytes",
				 cs ? cs->name : "UTF-8 (charset unknown)");
			return -1;
		}
		if (rc_buf_append(out, s, n) < 0) {
			snprintf(err, errlen, "value too large");
			return -1;
		}
		return 0;
	}
	if (cs->kind == MY_CS_LATIN1) {
		if (latin1_to_utf8(s, n, out) < 0) {
			snprintf(err, errlen, "value too large");
			return -1;
		}
		return 0;
	}
	if (cs->kind == MY_CS_BINARY) {
		snprintf(err, errlen, "binary data is not text");
		return -1;
	}
	return iconv_to_utf8(cs, s, n, out, err, errlen);
}
