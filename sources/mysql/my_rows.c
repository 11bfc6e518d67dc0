/*
 * my_rows.c -- MySQL/MariaDB column types onto rowcast's types, the
 * cells of row images into typed values, and rows events into change
 * events (see my_binlog.h and my_rows.h).
 *
 * Layouts of the cells, by wire type (integers little-endian unless
 * noted; "meta" is the column's TABLE_MAP metadata):
 *   TINY/SHORT/INT24/LONG/LONGLONG  1/2/3/4/8 bytes
 *   FLOAT/DOUBLE   4/8 bytes IEEE
 *   YEAR           1 byte, 0 or year-1900
 *   NEWDECIMAL     MySQL's binary decimal (my_decimal_text below)
 *   DATE/NEWDATE   3 bytes: day(5 bits) month(4) year(rest)
 *   TIMESTAMP      4 bytes epoch seconds (pre-5.6)
 *   DATETIME       8 bytes, the number YYYYMMDDhhmmss (pre-5.6)
 *   TIME           3 bytes signed, the number hhmmss (pre-5.6)
 *   TIMESTAMP2     4 bytes big-endian epoch seconds + fraction
 *   DATETIME2      5 bytes big-endian, 0x8000000000 + (((year*13+month)
 *                  << 5 | day) << 17 | hour << 12 | minute << 6 | second)
 *                  + fraction
 *   TIME2          3 bytes big-endian, 0x800000 + (hour << 12 | minute
 *                  << 6 | second), signed, + fraction; with a fraction
 *                  the whole is one signed big-endian number
 *   (fraction: (fsp+1)/2 big-endian bytes; fsp 1-2 in 1/100 s, 3-4 in
 *   1/10000 s, 5-6 in microseconds)
 *   BIT            (bits+7)/8 bytes big-endian
 *   VARCHAR        length (1 byte when meta < 256, else 2) + bytes
 *   STRING         CHAR: length (1 byte when the max < 256, else 2) +
 *                  bytes; ENUM: 1-2 bytes index; SET: 1-8 bytes bitmap
 *   BLOB/GEOMETRY/JSON  meta bytes of length + bytes
 */
#include "my_rows.h"

#include "calendar.h"
#include "limits.h"
#include "my_charset.h"
#include "my_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ------------------------------------------------------------------ */
/* The type table                                                     */
/* ------------------------------------------------------------------ */

enum my_kind {
	MK_SMALLINT, /* TINYINT, SMALLINT, MEDIUMINT, YEAR... see table */
	MK_INT,
	MK_INT_UNSIGNED,
	MK_BIGINT,
	MK_BIGINT_UNSIGNED,
	MK_DECIMAL,
	MK_FLOAT,
	MK_DOUBLE,
	MK_BIT1,
	MK_BIT,
	MK_YEAR,
	MK_DATE,
	MK_DATETIME,
	MK_TIMESTAMP,
	MK_TIME,
	MK_STRING,
	MK_BINARY,
	MK_VARBINARY,
	MK_ENUM,
	MK_SET,
	MK_JSON,
	MK_GEOMETRY,
	MK__COUNT
};

/*
 * THE type mapping of the MySQL/MariaDB source (the README copies it).
 * One row per kind; my_col_kind() picks the row from the TABLE_MAP.
 */
static const struct my_type_row {
	enum my_kind kind;
	const char *mysql; /* MySQL/MariaDB column types */
	enum rc_type type; /* rowcast type */
	unsigned flags;	   /* extra RC_COL_* flags */
	const char *value; /* what the value holds */
} my_types[MK__COUNT] = {
	{MK_SMALLINT, "TINYINT, SMALLINT, MEDIUMINT (signed or unsigned)",
	 RC_T_INT32, 0, "the number"},
	{MK_INT, "INT", RC_T_INT32, 0, "the number"},
	{MK_INT_UNSIGNED, "INT UNSIGNED", RC_T_INT64, 0, "the number"},
	{MK_BIGINT, "BIGINT", RC_T_INT64, 0, "the number"},
	{MK_BIGINT_UNSIGNED, "BIGINT UNSIGNED", RC_T_DECIMAL, 0,
	 "decimal(20,0), never negative"},
	{MK_DECIMAL, "DECIMAL(p,s) / NUMERIC(p,s)", RC_T_DECIMAL, 0,
	 "decimal(p,s), exact"},
	{MK_FLOAT, "FLOAT", RC_T_FLOAT, 0, "the float"},
	{MK_DOUBLE, "DOUBLE, REAL", RC_T_DOUBLE, 0, "the double"},
	{MK_BIT1, "BIT(1)", RC_T_BOOLEAN, 0, "true/false"},
	{MK_BIT, "BIT(n), n > 1", RC_T_BYTES, 0,
	 "the (n+7)/8 stored bytes, big-endian"},
	{MK_YEAR, "YEAR", RC_T_INT32, 0, "the year (0 for 0000)"},
	{MK_DATE, "DATE", RC_T_DATE, RC_COL_TEXT_BRANCH,
	 "days since 1970-01-01; a zero or partly-zero date as text "
	 "('0000-00-00', '2024-00-13')"},
	{MK_DATETIME, "DATETIME(fsp)", RC_T_LOCAL_TIMESTAMP_MICROS,
	 RC_COL_TEXT_BRANCH,
	 "microseconds of the wall-clock time; zero dates as text"},
	{MK_TIMESTAMP, "TIMESTAMP(fsp)", RC_T_TIMESTAMP_MICROS,
	 RC_COL_TEXT_BRANCH,
	 "microseconds since the epoch (UTC); 0 as text "
	 "'0000-00-00 00:00:00'"},
	{MK_TIME, "TIME(fsp)", RC_T_DURATION_MICROS, 0,
	 "signed microseconds, may exceed 24 h"},
	{MK_STRING, "CHAR, VARCHAR, TINYTEXT..LONGTEXT (MariaDB JSON too)",
	 RC_T_STRING, 0, "UTF-8, converted from the column's charset"},
	{MK_BINARY, "BINARY(n)", RC_T_BYTES, 0,
	 "the n bytes (trailing 0x00 the binlog strips are put back)"},
	{MK_VARBINARY, "VARBINARY, TINYBLOB..LONGBLOB", RC_T_BYTES, 0,
	 "the bytes"},
	{MK_ENUM, "ENUM", RC_T_STRING, 0,
	 "the value's name ('' for index 0); the index as text when the "
	 "binlog has no ENUM_STR_VALUE"},
	{MK_SET, "SET", RC_T_STRING, 0,
	 "member names, comma-separated in definition order; the bitmap "
	 "as a number when the binlog has no SET_STR_VALUE"},
	{MK_JSON, "JSON (MySQL)", RC_T_JSON, 0,
	 "MySQL's JSON text ({\"a\": 1, \"b\": [1, 2]})"},
	{MK_GEOMETRY, "GEOMETRY, POINT, ... (any spatial type)", RC_T_BYTES, 0,
	 "MySQL's internal form: 4-byte little-endian SRID, then WKB"},
};

int
my_col_is_numeric(const struct my_col *c)
{
	switch (c->type) {
	case MYT_TINY:
	case MYT_SHORT:
	case MYT_INT24:
	case MYT_LONG:
	case MYT_LONGLONG:
	case MYT_FLOAT:
	case MYT_DOUBLE:
	case MYT_NEWDECIMAL:
	case MYT_DECIMAL:
		return 1;
	default:
		return 0;
	}
}

int
my_col_is_character(const struct my_col *c)
{
	switch (c->real_type) {
	case MYT_STRING:
	case MYT_VAR_STRING:
	case MYT_VARCHAR:
	case MYT_BLOB:
	case MYT_TINY_BLOB:
	case MYT_MEDIUM_BLOB:
	case MYT_LONG_BLOB:
		return 1;
	default:
		return 0;
	}
}

int
my_col_is_enum_set(const struct my_col *c)
{
	return c->real_type == MYT_ENUM || c->real_type == MYT_SET;
}

unsigned
my_col_maxlen(const struct my_col *c)
{
	unsigned rt = c->meta >> 8, len = c->meta & 0xff;

	if (c->type != MYT_STRING)
		return c->meta;
	/* CHAR over 255 bytes: bits 4-5 of the real type, inverted, are
	 * bits 8-9 of the length */
	if ((rt & 0x30) != 0x30)
		len |= ((rt & 0x30) ^ 0x30) << 4;
	return len;
}

static int
is_binary(const struct my_col *c)
{
	return c->collation == MY_COLLATION_BINARY;
}

static enum my_kind
my_col_kind(const struct my_col *c, int *ok)
{
	*ok = 1;
	switch (c->real_type) {
	case MYT_TINY:
	case MYT_SHORT:
	case MYT_INT24:
		return MK_SMALLINT;
	case MYT_LONG:
		return c->is_unsigned ? MK_INT_UNSIGNED : MK_INT;
	case MYT_LONGLONG:
		return c->is_unsigned ? MK_BIGINT_UNSIGNED : MK_BIGINT;
	case MYT_NEWDECIMAL:
		return MK_DECIMAL;
	case MYT_FLOAT:
		return MK_FLOAT;
	case MYT_DOUBLE:
		return MK_DOUBLE;
	case MYT_BIT:
		return ((c->meta >> 8) * 8 + (c->meta & 0xff)) == 1 ? MK_BIT1
								    : MK_BIT;
	case MYT_YEAR:
		return MK_YEAR;
	case MYT_DATE:
	case MYT_NEWDATE:
		return MK_DATE;
	case MYT_DATETIME:
	case MYT_DATETIME2:
		return MK_DATETIME;
	case MYT_TIMESTAMP:
	case MYT_TIMESTAMP2:
		return MK_TIMESTAMP;
	case MYT_TIME:
	case MYT_TIME2:
		return MK_TIME;
	case MYT_STRING:
		return is_binary(c) ? MK_BINARY : MK_STRING;
	case MYT_VARCHAR:
	case MYT_VAR_STRING:
		return is_binary(c) ? MK_VARBINARY : MK_STRING;
	case MYT_BLOB:
	case MYT_TINY_BLOB:
	case MYT_MEDIUM_BLOB:
	case MYT_LONG_BLOB:
		/* without charset metadata a BLOB may be TEXT or not:
		 * bytes keep it exact either way */
		return is_binary(c) || c->collation == 0 ? MK_VARBINARY
							 : MK_STRING;
	case MYT_ENUM:
		return MK_ENUM;
	case MYT_SET:
		return MK_SET;
	case MYT_JSON:
		return MK_JSON;
	case MYT_GEOMETRY:
		return MK_GEOMETRY;
	default:
		*ok = 0;
		return MK_STRING;
	}
}

/* ------------------------------------------------------------------ */
/* db_type: the type as SHOW CREATE TABLE prints it                   */
/* ------------------------------------------------------------------ */

static const char *const geometry_names[] = {
	"geometry",   "point",		 "linestring",	 "polygon",
	"multipoint", "multilinestring", "multipolygon", "geometrycollection"};

static int
put_values(struct rc_buf *b, const struct my_col *c)
{
	if (rc_buf_putc(b, '(') < 0)
		return -1;
	for (int k = 0; k < c->nvalues; k++) {
		if (k && rc_buf_putc(b, ',') < 0)
			return -1;
		if (rc_buf_putc(b, '\'') < 0)
			return -1;
		for (const char *s = c->values[k]; *s; s++)
			if ((*s == '\'' && rc_buf_putc(b, '\'') < 0) ||
			    rc_buf_putc(b, *s) < 0)
				return -1;
		if (rc_buf_putc(b, '\'') < 0)
			return -1;
	}
	return rc_buf_putc(b, ')');
}

/* Characters from bytes when the charset is known, else bytes. */
static unsigned
chars(const struct my_col *c, unsigned bytes)
{
	const struct my_charset *cs = my_charset_by_collation(c->collation);

	return cs && cs->mbmaxlen > 0 ? bytes / (unsigned)cs->mbmaxlen : bytes;
}

static int
db_type(const struct my_col *c, struct rc_buf *b)
{
	static const char *const blobs[] = {"tinyblob", "blob", "mediumblob",
					    "longblob"};
	static const char *const texts[] = {"tinytext", "text", "mediumtext",
					    "longtext"};
	const char *uns = c->is_unsigned ? " unsigned" : "";
	unsigned fsp = c->meta;

	switch (c->real_type) {
	case MYT_TINY:
		return rc_buf_printf(b, "tinyint%s", uns);
	case MYT_SHORT:
		return rc_buf_printf(b, "smallint%s", uns);
	case MYT_INT24:
		return rc_buf_printf(b, "mediumint%s", uns);
	case MYT_LONG:
		return rc_buf_printf(b, "int%s", uns);
	case MYT_LONGLONG:
		return rc_buf_printf(b, "bigint%s", uns);
	case MYT_NEWDECIMAL:
		return rc_buf_printf(b, "decimal(%u,%u)%s", c->meta >> 8,
				     c->meta & 0xff, uns);
	case MYT_FLOAT:
		return rc_buf_printf(b, "float%s", uns);
	case MYT_DOUBLE:
		return rc_buf_printf(b, "double%s", uns);
	case MYT_BIT:
		return rc_buf_printf(b, "bit(%u)",
				     (c->meta >> 8) * 8 + (c->meta & 0xff));
	case MYT_YEAR:
		return rc_buf_puts(b, "year");
	case MYT_DATE:
	case MYT_NEWDATE:
		return rc_buf_puts(b, "date");
	case MYT_DATETIME:
		return rc_buf_puts(b, "datetime");
	case MYT_TIMESTAMP:
		return rc_buf_puts(b, "timestamp");
	case MYT_TIME:
		return rc_buf_puts(b, "time");
	case MYT_DATETIME2:
		return fsp ? rc_buf_printf(b, "datetime(%u)", fsp)
			   : rc_buf_puts(b, "datetime");
	case MYT_TIMESTAMP2:
		return fsp ? rc_buf_printf(b, "timestamp(%u)", fsp)
			   : rc_buf_puts(b, "timestamp");
	case MYT_TIME2:
		return fsp ? rc_buf_printf(b, "time(%u)", fsp)
			   : rc_buf_puts(b, "time");
	case MYT_STRING:
		return is_binary(c) ? rc_buf_printf(b, "binary(%u)",
						    my_col_maxlen(c))
				    : rc_buf_printf(b, "char(%u)",
						    chars(c, my_col_maxlen(c)));
	case MYT_VARCHAR:
	case MYT_VAR_STRING:
		return is_binary(c) ? rc_buf_printf(b, "varbinary(%u)", c->meta)
				    : rc_buf_printf(b, "varchar(%u)",
						    chars(c, c->meta));
	case MYT_BLOB:
	case MYT_TINY_BLOB:
	case MYT_MEDIUM_BLOB:
	case MYT_LONG_BLOB:
		if (c->meta < 1 || c->meta > 4)
			return rc_buf_puts(b, "blob");
		return rc_buf_puts(b, is_binary(c) || c->collation == 0
					      ? blobs[c->meta - 1]
					      : texts[c->meta - 1]);
	case MYT_ENUM:
	case MYT_SET:
		if (rc_buf_puts(b, c->real_type == MYT_ENUM ? "enum" : "set") <
		    0)
			return -1;
		if (!c->values)
			return rc_buf_puts(b, c->real_type == MYT_ENUM
						      ? " (index)"
						      : " (bitmap)");
		return put_values(b, c);
	case MYT_JSON:
		return rc_buf_puts(b, "json");
	case MYT_GEOMETRY:
		return rc_buf_puts(b,
				   c->geometry_type >= 0 && c->geometry_type < 8
					   ? geometry_names[c->geometry_type]
					   : "geometry");
	default:
		return rc_buf_printf(b, "type %u", c->type);
	}
}

/* ------------------------------------------------------------------ */
/* Describing a table                                                 */
/* ------------------------------------------------------------------ */

int
my_table_describe(const struct my_tablemap *tm, const int *colmap,
		  struct rc_table *tbl, char *err, size_t errlen)
{
	struct rc_buf b;
	int *pkpos = NULL, rc = -1;

	rc_buf_init(&b, 1u << 20);
	pkpos = calloc((size_t)(tbl->ncols ? tbl->ncols : 1), sizeof(int));
	if (!pkpos)
		return fail(err, errlen, "out of memory");
	for (int i = 0; i < tm->ncols; i++) {
		const struct my_col *c = &tm->cols[i];
		int j = colmap ? colmap[i] : i, ok;
		enum my_kind k;
		struct rc_column *col;

		if (j < 0)
			continue;
		if (j >= tbl->ncols) {
			fail(err, errlen, "%s.%s: column %d maps to %d of %d",
			     tm->db, tm->table, i + 1, j, tbl->ncols);
			goto out;
		}
		k = my_col_kind(c, &ok);
		if (!ok ||
		    (c->type == MYT_NEWDECIMAL &&
		     !my_decimal_bin_size(c->meta >> 8, c->meta & 0xff))) {
			fail(err, errlen,
			     "%s.%s: column %s has a type rowcast cannot "
			     "decode (type %u, metadata %u)",
			     tm->db, tm->table, c->name, c->type, c->meta);
			goto out;
		}
		rc_buf_reset(&b);
		if (db_type(c, &b) < 0) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		if (rc_table_set_column(tbl, j, c->name, my_types[k].type,
					b.data) < 0) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		col = &tbl->cols[j];
		col->flags = my_types[k].flags;
		if (!c->nullable)
			col->flags |= RC_COL_NOT_NULL;
		if (c->pk) {
			col->flags |= RC_COL_KEY;
			pkpos[j] = c->pk;
		}
		if (k == MK_DECIMAL) {
			col->precision = c->meta >> 8;
			col->scale = c->meta & 0xff;
		} else if (k == MK_BIGINT_UNSIGNED) {
			col->precision = 20;
			col->scale = 0;
		}
	}
	if (rc_table_finish(tbl) < 0) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	/* keys in primary key order, not column order */
	for (int a = 1; a < tbl->nkeys; a++)
		for (int z = a;
		     z > 0 && pkpos[tbl->keys[z - 1]] > pkpos[tbl->keys[z]];
		     z--) {
			int t = tbl->keys[z];

			tbl->keys[z] = tbl->keys[z - 1];
			tbl->keys[z - 1] = t;
		}
	rc = 0;
out:
	free(pkpos);
	rc_buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* DECIMAL                                                            */
/* ------------------------------------------------------------------ */

static const int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

size_t
my_decimal_bin_size(int precision, int scale)
{
	int intg = precision - scale;

	if (precision < 1 || precision > 65 || scale < 0 || scale > 30 ||
	    scale > precision)
		return 0;
	return (size_t)((intg / 9) * 4 + dig2bytes[intg % 9] + (scale / 9) * 4 +
			dig2bytes[scale % 9]);
}

static uint32_t
be_n(const uint8_t *p, int n)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * The unscaled value of a DECIMAL(p,s) with p <= 18 straight from its
 * binary form (see my_decimal_text below for the layout), without going
 * through text: the common case of money-like columns. 0, or -1 when p
 * is too large for an int64 or a group holds more digits than it may.
 */
static int
decimal_unscaled64(const uint8_t *p, size_t n, int precision, int scale,
		   int64_t *out)
{
	static const uint32_t pow10[10] = {
		1,	10,	 100,	   1000,      10000,
		100000, 1000000, 10000000, 100000000, 1000000000};
	size_t size = my_decimal_bin_size(precision, scale);
	int intg = precision - scale, neg, k = 0;
	uint8_t t[16];
	int64_t v = 0;

	if (precision > 18 || !size || n < size || size > sizeof(t))
		return -1;
	memcpy(t, p, size);
	neg = !(t[0] & 0x80);
	t[0] ^= 0x80;
	if (neg)
		for (size_t i = 0; i < size; i++)
			t[i] = (uint8_t)~t[i];
	/* leading integer digits, integer groups, fraction groups, trailing
	 * fraction digits: each appended in base 10 */
	{
		const int parts[4][2] = {{intg % 9, 1},
					 {9, intg / 9},
					 {9, scale / 9},
					 {scale % 9, 1}};

		for (int q = 0; q < 4; q++) {
			int digits = parts[q][0];

			if (!digits)
				continue;
			for (int g = 0; g < parts[q][1]; g++) {
				int nb = dig2bytes[digits];
				uint32_t gv = be_n(t + k, nb);

				if (gv >= pow10[digits])
					return -1;
				v = v * (int64_t)pow10[digits] + gv;
				k += nb;
			}
		}
	}
	*out = neg ? -v : v;
	return 0;
}

/* v as minimal big-endian two's complement bytes; returns the length. */
static size_t
int64_twos(int64_t v, uint8_t out[8])
{
	size_t n = 8;

	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
	/* drop leading bytes that only repeat the sign */
	while (n > 1 && ((out[8 - n] == 0x00 && !(out[9 - n] & 0x80)) ||
			 (out[8 - n] == 0xff && (out[9 - n] & 0x80))))
		n--;
	memmove(out, out + 8 - n, n);
	return n;
}

/*
 * The binary form: the integer part's leading digits (intg % 9 of them)
 * in dig2bytes[] bytes, then groups of 9 digits in 4 bytes, then the
 * fraction's groups of 9 and its trailing digits; all big-endian. The
 * sign is the first bit inverted (1 = positive); a negative number has
 * every byte inverted.
 */
int
my_decimal_text(const uint8_t *p, size_t n, int precision, int scale, char *out,
		size_t outsz)
{
	static const uint32_t pow10[10] = {
		1,	10,	 100,	   1000,      10000,
		100000, 1000000, 10000000, 100000000, 1000000000};
	size_t size = my_decimal_bin_size(precision, scale), o = 0, st;
	uint8_t t[40];
	int intg = precision - scale, neg, k = 0, nz = 0;
	char ip[80], fp[40];
	size_t il = 0, fl = 0;

	if (!size || n < size || size > sizeof(t) ||
	    outsz < MY_DECIMAL_TEXT_MAX)
		return -1;
	memcpy(t, p, size);
	neg = !(t[0] & 0x80);
	t[0] ^= 0x80;
	if (neg)
		for (size_t i = 0; i < size; i++)
			t[i] = (uint8_t)~t[i];
	/* integer part */
	if (intg % 9) {
		int nb = dig2bytes[intg % 9];
		uint32_t v = be_n(t + k, nb);

		if (v >= pow10[intg % 9])
			return -1;
		il += (size_t)snprintf(ip + il, sizeof(ip) - il, "%u", v);
		k += nb;
	}
	for (int g = 0; g < intg / 9; g++) {
		uint32_t v = be_n(t + k, 4);

		if (v > 999999999)
			return -1;
		il += (size_t)snprintf(ip + il, sizeof(ip) - il, "%09u", v);
		k += 4;
	}
	for (int g = 0; g < scale / 9; g++) {
		uint32_t v = be_n(t + k, 4);

		if (v > 999999999)
			return -1;
		fl += (size_t)snprintf(fp + fl, sizeof(fp) - fl, "%09u", v);
		k += 4;
	}
	if (scale % 9) {
		int nb = dig2bytes[scale % 9];
		uint32_t v = be_n(t + k, nb);

		if (v >= pow10[scale % 9])
			return -1;
		fl += (size_t)snprintf(fp + fl, sizeof(fp) - fl, "%0*u",
				       scale % 9, v);
	}
	for (st = 0; st + 1 < il && ip[st] == '0'; st++)
		;
	for (size_t i = st; i < il; i++)
		nz |= ip[i] != '0';
	for (size_t i = 0; i < fl; i++)
		nz |= fp[i] != '0';
	if (neg && nz)
		out[o++] = '-';
	if (il == 0) {
		out[o++] = '0';
	} else {
		memcpy(out + o, ip + st, il - st);
		o += il - st;
	}
	if (scale) {
		out[o++] = '.';
		memcpy(out + o, fp, fl);
		o += fl;
	}
	out[o] = 0;
	return (int)o;
}

/*
 * Decimal digits (an optional '-', digits and at most one '.') as the
 * unscaled value in big-endian two's complement, minimal length.
 */
static size_t
digits_twos(const char *s, uint8_t *out, size_t outsz)
{
	uint32_t limb[12] = {0};
	int nl = 1, neg = 0;
	uint8_t be[48];
	size_t len = 0, skip = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; *s; s++) {
		uint64_t carry;

		if (*s == '.')
			continue;
		carry = (uint64_t)(*s - '0');
		for (int i = 0; i < nl; i++) {
			uint64_t v = (uint64_t)limb[i] * 10 + carry;

			limb[i] = (uint32_t)v;
			carry = v >> 32;
		}
		if (carry && nl < 12)
			limb[nl++] = (uint32_t)carry;
	}
	for (int i = nl - 1; i >= 0; i--) {
		be[len++] = (uint8_t)(limb[i] >> 24);
		be[len++] = (uint8_t)(limb[i] >> 16);
		be[len++] = (uint8_t)(limb[i] >> 8);
		be[len++] = (uint8_t)limb[i];
	}
	while (skip + 1 < len && be[skip] == 0)
		skip++;
	{
		uint8_t *q = be + skip;
		size_t ql = len - skip;
		uint8_t tmp[49];
		size_t tl = 0;

		if (neg && !(ql == 1 && q[0] == 0)) {
			unsigned carry = 1;

			for (size_t i = ql; i-- > 0;) {
				unsigned v = (unsigned)(uint8_t)~q[i] + carry;

				q[i] = (uint8_t)v;
				carry = v >> 8;
			}
			if (!(q[0] & 0x80))
				tmp[tl++] = 0xff;
			else
				while (ql > 1 && q[0] == 0xff &&
				       (q[1] & 0x80)) {
					q++;
					ql--;
				}
		} else if (q[0] & 0x80) {
			tmp[tl++] = 0x00;
		}
		memcpy(tmp + tl, q, ql);
		tl += ql;
		if (tl > outsz)
			return 0;
		memcpy(out, tmp, tl);
		return tl;
	}
}

/* ------------------------------------------------------------------ */
/* Cells                                                              */
/* ------------------------------------------------------------------ */

/* Fraction digits of fsp, from microseconds. */
static void
put_frac(char *s, size_t sz, unsigned fsp, uint32_t us)
{
	static const uint32_t div[7] = {1000000, 100000, 10000, 1000,
					100,	 10,	 1};

	if (fsp == 0 || fsp > 6) {
		s[0] = 0;
		return;
	}
	snprintf(s, sz, ".%0*u", (int)fsp, us / div[fsp]);
}

struct cellctx {
	struct rc_event *ev;
	int64_t row;
	int col;
	char *err;
	size_t errlen;
};

static int
set_int(struct cellctx *cx, int64_t v)
{
	struct rc_value *val;

	if (cx->row < 0)
		return 0;
	val = rc_event_row(cx->ev, cx->row) + cx->col;
	val->kind = RC_V_SET;
	val->u.i = v;
	return 0;
}

static int
set_bytes(struct cellctx *cx, enum rc_value_kind kind, const void *p, size_t n)
{
	if (cx->row < 0)
		return 0;
	if (rc_event_set_bytes(cx->ev, cx->row, cx->col, kind, p, n) < 0)
		return fail(cx->err, cx->errlen,
			    "event larger than %u bytes or out of memory",
			    RC_MAX_EVENT_BYTES);
	return 0;
}

static int
set_text(struct cellctx *cx, const char *s)
{
	return set_bytes(cx, RC_V_TEXT, s, strlen(s));
}

/* A date/datetime from its parts: the value, or its text when a part is
 * zero or the day does not exist (lossless, never a different date). */
static int
set_datetime(struct cellctx *cx, const struct my_col *c, int64_t y, int m,
	     int d, int hh, int mi, int ss, uint32_t us, unsigned fsp,
	     int date_only)
{
	char text[64], fr[16];

	if (m > 12 || d > 31 || hh > 23 || mi > 59 || ss > 59 || us > 999999 ||
	    y > 9999)
		return fail(cx->err, cx->errlen,
			    "column %s: date/time out of range", c->name);
	if (y < 0 || m == 0 || d == 0 || d > rc_month_days(y, m)) {
		put_frac(fr, sizeof(fr), fsp, us);
		if (date_only)
			snprintf(text, sizeof(text), "%04d-%02d-%02d", (int)y,
				 m, d);
		else
			snprintf(text, sizeof(text),
				 "%04d-%02d-%02d %02d:%02d:%02d%s", (int)y, m,
				 d, hh, mi, ss, fr);
		return set_text(cx, text);
	}
	if (date_only)
		return set_int(cx, rc_days_from_civil(y, m, d));
	return set_int(cx, (rc_days_from_civil(y, m, d) * 86400 +
			    (int64_t)hh * 3600 + mi * 60 + ss) *
					   1000000 +
				   us);
}

/* The fraction of TIME2/DATETIME2/TIMESTAMP2: bytes and unit. */
static unsigned
frac_bytes(unsigned fsp)
{
	return (fsp + 1) / 2;
}

static uint32_t
frac_us(uint32_t raw, unsigned fsp)
{
	return fsp <= 2 ? raw * 10000 : fsp <= 4 ? raw * 100 : raw;
}

static int
frac_ok(uint32_t raw, unsigned fsp)
{
	return raw < (fsp == 0	 ? 1u
		      : fsp <= 2 ? 100u
		      : fsp <= 4 ? 10000u
				 : 1000000u);
}

static uint64_t
le_n(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
be_n64(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Character data into UTF-8 (or bytes for binary columns). */
static int
set_chars(struct cellctx *cx, const struct my_col *c, const uint8_t *p,
	  size_t n)
{
	const struct my_charset *cs;
	struct rc_buf b;
	char e[RC_ERRLEN];
	int rc;

	if (cx->row < 0)
		return 0;
	cs = my_charset_by_collation(c->collation);
	if (cs && cs->kind == MY_CS_UTF8)
		cs = NULL; /* validate only */
	if (!cs && my_utf8_valid(p, n))
		return set_bytes(cx, RC_V_SET, p, n);
	rc_buf_init(&b, RC_MAX_EVENT_BYTES);
	rc = my_to_utf8(cs, p, n, &b, e, sizeof(e));
	if (rc == 0)
		rc = set_bytes(cx, RC_V_SET, b.data ? b.data : "", b.len);
	else
		fail(cx->err, cx->errlen, "column %s: %s", c->name, e);
	rc_buf_free(&b);
	return rc;
}

static int
decode_enum(struct cellctx *cx, const struct my_col *c, uint64_t v)
{
	char num[24];

	if (!c->values) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
		return set_bytes(cx, RC_V_SET, num, strlen(num));
	}
	if (v == 0)
		return set_bytes(cx, RC_V_SET, "", 0);
	if (v > (uint64_t)c->nvalues)
		return fail(cx->err, cx->errlen,
			    "column %s: ENUM index %llu of %d values", c->name,
			    (unsigned long long)v, c->nvalues);
	return set_bytes(cx, RC_V_SET, c->values[v - 1],
			 strlen(c->values[v - 1]));
}

static int
decode_set(struct cellctx *cx, const struct my_col *c, uint64_t v)
{
	struct rc_buf b;
	int rc = 0;

	if (!c->values) {
		char num[24];

		snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
		return set_bytes(cx, RC_V_SET, num, strlen(num));
	}
	if (c->nvalues < 64 && (v >> c->nvalues))
		return fail(cx->err, cx->errlen,
			    "column %s: SET bits 0x%llx beyond its %d members",
			    c->name, (unsigned long long)v, c->nvalues);
	if (cx->row < 0)
		return 0;
	rc_buf_init(&b, RC_MAX_EVENT_BYTES);
	for (int k = 0; k < c->nvalues && k < 64 && rc == 0; k++) {
		if (!((v >> k) & 1))
			continue;
		if (b.len)
			rc = rc_buf_putc(&b, ',');
		if (rc == 0)
			rc = rc_buf_puts(&b, c->values[k]);
	}
	if (rc == 0)
		rc = set_bytes(cx, RC_V_SET, b.data ? b.data : "", b.len);
	else
		fail(cx->err, cx->errlen, "out of memory");
	rc_buf_free(&b);
	return rc;
}

static int
decode_json(struct cellctx *cx, const struct my_col *c, const uint8_t *p,
	    size_t n)
{
	struct rc_buf b;
	char e[RC_ERRLEN];
	int rc;

	if (cx->row < 0)
		return 0;
	rc_buf_init(&b, RC_MAX_EVENT_BYTES);
	rc = my_json_to_text(p, n, &b, e, sizeof(e));
	if (rc == 0)
		rc = set_bytes(cx, RC_V_SET, b.data ? b.data : "", b.len);
	else
		fail(cx->err, cx->errlen, "column %s: %s", c->name, e);
	rc_buf_free(&b);
	return rc;
}

/* Length prefix of nb bytes (little-endian), checked against n. */
static int
prefixed(const struct my_col *c, const uint8_t *p, size_t n, unsigned nb,
	 size_t *len, char *err, size_t errlen)
{
	uint64_t l;

	if (nb < 1 || nb > 4)
		return fail(err, errlen, "column %s: length of %u bytes",
			    c->name, nb);
	if (n < nb)
		return fail(err, errlen, "column %s: truncated", c->name);
	l = le_n(p, (int)nb);
	if (l > n - nb)
		return fail(err, errlen,
			    "column %s: value of %llu bytes, %zu left", c->name,
			    (unsigned long long)l, n - nb);
	*len = (size_t)l;
	return 0;
}

int
my_cell_decode(struct rc_event *ev, int64_t row, int col,
	       const struct my_col *c, const uint8_t *p, size_t n, size_t *used,
	       char *err, size_t errlen)
{
	struct cellctx cx = {ev, row, col, err, errlen};
	unsigned fsp = c->meta;
	size_t need = 0, len;
	int ok;
	enum my_kind k = my_col_kind(c, &ok);

	if (!ok)
		return fail(err, errlen, "column %s: type %u is not supported",
			    c->name, c->type);
	/* the fixed sizes first */
	switch (c->real_type) {
	case MYT_TINY:
		need = 1;
		break;
	case MYT_SHORT:
		need = 2;
		break;
	case MYT_INT24:
		need = 3;
		break;
	case MYT_LONG:
		need = 4;
		break;
	case MYT_LONGLONG:
		need = 8;
		break;
	case MYT_FLOAT:
		need = 4;
		break;
	case MYT_DOUBLE:
		need = 8;
		break;
	case MYT_YEAR:
		need = 1;
		break;
	case MYT_DATE:
	case MYT_NEWDATE:
	case MYT_TIME:
		need = 3;
		break;
	case MYT_DATETIME:
		need = 8;
		break;
	case MYT_TIMESTAMP:
		need = 4;
		break;
	case MYT_TIMESTAMP2:
	case MYT_DATETIME2:
	case MYT_TIME2:
		if (fsp > 6)
			return fail(err, errlen, "column %s: fsp %u", c->name,
				    fsp);
		need = (c->real_type == MYT_TIMESTAMP2	? 4
			: c->real_type == MYT_DATETIME2 ? 5
							: 3) +
		       frac_bytes(fsp);
		break;
	case MYT_NEWDECIMAL:
		need = my_decimal_bin_size(c->meta >> 8, c->meta & 0xff);
		if (!need)
			return fail(err, errlen,
				    "column %s: bad DECIMAL(%u,%u)", c->name,
				    c->meta >> 8, c->meta & 0xff);
		break;
	case MYT_BIT:
		need = ((c->meta >> 8) * 8u + (c->meta & 0xffu) + 7) / 8;
		if (need == 0 || need > 8)
			return fail(err, errlen, "column %s: BIT of %zu bytes",
				    c->name, need);
		break;
	case MYT_ENUM:
	case MYT_SET:
		need = c->meta & 0xff;
		if (need < 1 || need > 8 ||
		    (c->real_type == MYT_ENUM && need > 2))
			return fail(err, errlen, "column %s: %s of %zu bytes",
				    c->name,
				    c->real_type == MYT_ENUM ? "ENUM" : "SET",
				    need);
		break;
	default:
		break;
	}
	if (need) {
		if (n < need)
			return fail(err, errlen,
				    "column %s: %zu bytes, %zu needed", c->name,
				    n, need);
		*used = need;
	}

	switch (c->real_type) {
	case MYT_TINY:
		return set_int(&cx, c->is_unsigned ? (int64_t)p[0]
						   : (int64_t)(int8_t)p[0]);
	case MYT_SHORT: {
		uint16_t v = (uint16_t)le_n(p, 2);

		return set_int(&cx, c->is_unsigned ? (int64_t)v
						   : (int64_t)(int16_t)v);
	}
	case MYT_INT24: {
		uint32_t v = (uint32_t)le_n(p, 3);

		if (!c->is_unsigned && (v & 0x800000))
			return set_int(&cx, (int64_t)v - 0x1000000);
		return set_int(&cx, v);
	}
	case MYT_LONG: {
		uint32_t v = (uint32_t)le_n(p, 4);

		return set_int(&cx, c->is_unsigned ? (int64_t)v
						   : (int64_t)(int32_t)v);
	}
	case MYT_LONGLONG: {
		uint64_t v = le_n(p, 8);

		if (k == MK_BIGINT_UNSIGNED) {
			uint8_t be[9];
			size_t o = 0;
			int i = 7;

			while (i > 0 && ((v >> (8 * i)) & 0xff) == 0)
				i--;
			if ((v >> (8 * i)) & 0x80)
				be[o++] = 0;
			for (; i >= 0; i--)
				be[o++] = (uint8_t)(v >> (8 * i));
			return set_bytes(&cx, RC_V_SET, be, o);
		}
		return set_int(&cx, (int64_t)v);
	}
	case MYT_FLOAT: {
		uint32_t u = (uint32_t)le_n(p, 4);
		float f;

		memcpy(&f, &u, 4);
		if (row >= 0) {
			struct rc_value *val = rc_event_row(ev, row) + col;

			val->kind = RC_V_SET;
			val->u.f = f;
		}
		return 0;
	}
	case MYT_DOUBLE: {
		uint64_t u = le_n(p, 8);
		double d;

		memcpy(&d, &u, 8);
		if (row >= 0) {
			struct rc_value *val = rc_event_row(ev, row) + col;

			val->kind = RC_V_SET;
			val->u.d = d;
		}
		return 0;
	}
	case MYT_YEAR:
		return set_int(&cx, p[0] ? 1900 + p[0] : 0);
	case MYT_NEWDECIMAL: {
		char t[MY_DECIMAL_TEXT_MAX];
		uint8_t tw[40];
		size_t tl;
		int64_t u64;

		if (decimal_unscaled64(p, n, c->meta >> 8, c->meta & 0xff,
				       &u64) == 0) {
			tl = int64_twos(u64, tw);
			return set_bytes(&cx, RC_V_SET, tw, tl);
		}
		if (my_decimal_text(p, n, c->meta >> 8, c->meta & 0xff, t,
				    sizeof(t)) < 0)
			return fail(err, errlen, "column %s: bad DECIMAL bytes",
				    c->name);
		tl = digits_twos(t, tw, sizeof(tw));
		if (!tl)
			return fail(err, errlen, "column %s: DECIMAL too wide",
				    c->name);
		return set_bytes(&cx, RC_V_SET, tw, tl);
	}
	case MYT_BIT:
		if (k == MK_BIT1)
			return set_int(&cx, p[0] & 1);
		return set_bytes(&cx, RC_V_SET, p, need);
	case MYT_DATE:
	case MYT_NEWDATE: {
		uint32_t v = (uint32_t)le_n(p, 3);

		return set_datetime(&cx, c, v >> 9, (v >> 5) & 15, v & 31, 0, 0,
				    0, 0, 0, 1);
	}
	case MYT_DATETIME: {
		uint64_t v = le_n(p, 8), d = v / 1000000, t = v % 1000000;

		return set_datetime(&cx, c, (int64_t)(d / 10000),
				    (int)(d / 100 % 100), (int)(d % 100),
				    (int)(t / 10000), (int)(t / 100 % 100),
				    (int)(t % 100), 0, 0, 0);
	}
	case MYT_TIMESTAMP:
	case MYT_TIMESTAMP2: {
		uint64_t secs;
		uint32_t raw = 0;
		unsigned f = c->real_type == MYT_TIMESTAMP ? 0 : fsp;

		if (c->real_type == MYT_TIMESTAMP) {
			secs = le_n(p, 4);
		} else {
			secs = be_n64(p, 4);
			raw = (uint32_t)be_n64(p + 4, (int)frac_bytes(f));
			if (!frac_ok(raw, f))
				return fail(err, errlen,
					    "column %s: bad fraction", c->name);
		}
		if (secs == 0 && raw == 0) {
			char text[40], fr[16];

			put_frac(fr, sizeof(fr), f, 0);
			snprintf(text, sizeof(text), "0000-00-00 00:00:00%s",
				 fr);
			return set_text(&cx, text);
		}
		return set_int(&cx, (int64_t)secs * 1000000 +
					    (int64_t)frac_us(raw, f));
	}
	case MYT_DATETIME2: {
		uint64_t v = be_n64(p, 5);
		int64_t ip = (int64_t)v - (int64_t)0x8000000000LL;
		uint32_t raw = (uint32_t)be_n64(p + 5, (int)frac_bytes(fsp));
		uint64_t ymd, ym, hms;

		if (ip < 0 || !frac_ok(raw, fsp))
			return fail(err, errlen,
				    "column %s: negative or bad DATETIME",
				    c->name);
		ymd = (uint64_t)ip >> 17;
		ym = ymd >> 5;
		hms = (uint64_t)ip & 0x1ffff;
		return set_datetime(&cx, c, (int64_t)(ym / 13), (int)(ym % 13),
				    (int)(ymd & 31), (int)(hms >> 12),
				    (int)((hms >> 6) & 63), (int)(hms & 63),
				    frac_us(raw, fsp), fsp, 0);
	}
	case MYT_TIME: {
		uint32_t u = (uint32_t)le_n(p, 3);
		int64_t v = (u & 0x800000) ? (int64_t)u - 0x1000000 : u;
		int neg = v < 0;
		uint64_t a = (uint64_t)(neg ? -v : v);
		int64_t us;

		if (a % 100 > 59 || a / 100 % 100 > 59)
			return fail(err, errlen, "column %s: bad TIME",
				    c->name);
		us = ((int64_t)(a / 10000) * 3600 +
		      (int64_t)(a / 100 % 100) * 60 + (int64_t)(a % 100)) *
		     1000000;
		return set_int(&cx, neg ? -us : us);
	}
	case MYT_TIME2: {
		/* one signed big-endian number: int part << frac bits | frac */
		unsigned fb = frac_bytes(fsp);
		uint64_t v = be_n64(p, 3 + (int)fb);
		int64_t s = (int64_t)v - (int64_t)(0x800000ULL << (8 * fb));
		int neg = s < 0;
		uint64_t a = (uint64_t)(neg ? -s : s), ip = a >> (8 * fb);
		uint32_t raw = (uint32_t)(a & ((1ULL << (8 * fb)) - 1));
		uint64_t h = (ip >> 12) & 0x3ff, mi = (ip >> 6) & 63,
			 se = ip & 63;
		int64_t us;

		if (mi > 59 || se > 59 || !frac_ok(raw, fsp))
			return fail(err, errlen, "column %s: bad TIME",
				    c->name);
		us = (int64_t)(h * 3600 + mi * 60 + se) * 1000000 +
		     (int64_t)frac_us(raw, fsp);
		return set_int(&cx, neg ? -us : us);
	}
	case MYT_ENUM:
		return decode_enum(&cx, c, le_n(p, (int)need));
	case MYT_SET:
		return decode_set(&cx, c, le_n(p, (int)need));
	case MYT_VARCHAR:
	case MYT_VAR_STRING:
	case MYT_STRING: {
		unsigned max =
			c->real_type == MYT_STRING ? my_col_maxlen(c) : c->meta;
		unsigned nb = max < 256 ? 1 : 2;

		if (prefixed(c, p, n, nb, &len, err, errlen) < 0)
			return -1;
		*used = nb + len;
		if (k == MK_BINARY) {
			uint8_t *pad;
			int rc;

			if (len >= max || row < 0)
				return set_bytes(&cx, RC_V_SET, p + nb, len);
			pad = calloc(1, max);
			if (!pad)
				return fail(err, errlen, "out of memory");
			memcpy(pad, p + nb, len);
			rc = set_bytes(&cx, RC_V_SET, pad, max);
			free(pad);
			return rc;
		}
		if (k == MK_VARBINARY)
			return set_bytes(&cx, RC_V_SET, p + nb, len);
		return set_chars(&cx, c, p + nb, len);
	}
	case MYT_BLOB:
	case MYT_TINY_BLOB:
	case MYT_MEDIUM_BLOB:
	case MYT_LONG_BLOB:
	case MYT_GEOMETRY:
	case MYT_JSON:
		if (prefixed(c, p, n, c->meta, &len, err, errlen) < 0)
			return -1;
		*used = c->meta + len;
		if (k == MK_JSON)
			return decode_json(&cx, c, p + c->meta, len);
		if (k == MK_STRING)
			return set_chars(&cx, c, p + c->meta, len);
		return set_bytes(&cx, RC_V_SET, p + c->meta, len);
	default:
		return fail(err, errlen, "column %s: type %u is not supported",
			    c->name, c->type);
	}
}

/* ------------------------------------------------------------------ */
/* The text of a value (snapshots), straight into the value           */
/* ------------------------------------------------------------------ */

int
my_text_plan(const struct my_col *c)
{
	const struct my_charset *cs;
	int ok;
	enum my_kind k = my_col_kind(c, &ok);

	if (!ok)
		return MY_TEXT_NONE;
	switch (c->real_type) {
	case MYT_TINY:
	case MYT_SHORT:
	case MYT_INT24:
	case MYT_LONG:
		return MY_TEXT_INT;
	case MYT_LONGLONG:
		return c->is_unsigned ? MY_TEXT_NONE : MY_TEXT_INT;
	case MYT_FLOAT:
		return MY_TEXT_FLOAT;
	case MYT_DOUBLE:
		return MY_TEXT_DOUBLE;
	case MYT_NEWDECIMAL:
		return (c->meta >> 8) <= 18 &&
				       (c->meta & 0xff) <= (c->meta >> 8)
			       ? MY_TEXT_DECIMAL
			       : MY_TEXT_NONE;
	case MYT_DATE:
	case MYT_NEWDATE:
		return MY_TEXT_DATE;
	case MYT_DATETIME2:
		return c->meta <= 6 ? MY_TEXT_DATETIME : MY_TEXT_NONE;
	case MYT_TIMESTAMP2:
		return c->meta <= 6 ? MY_TEXT_TIMESTAMP : MY_TEXT_NONE;
	case MYT_VARCHAR:
	case MYT_VAR_STRING:
	case MYT_STRING:
	case MYT_BLOB:
	case MYT_TINY_BLOB:
	case MYT_MEDIUM_BLOB:
	case MYT_LONG_BLOB:
		if (k == MK_VARBINARY)
			return MY_TEXT_BYTES;
		if (k != MK_STRING)
			return MY_TEXT_NONE; /* BINARY(n): padded */
		cs = my_charset_by_collation(c->collation);
		return !cs || cs->kind == MY_CS_UTF8 ? MY_TEXT_UTF8
						     : MY_TEXT_NONE;
	default:
		return MY_TEXT_NONE;
	}
}

/* n decimal digits at t (n <= 18), or -1. */
static int64_t
text_digits(const char *t, size_t n)
{
	int64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	return v;
}

/* "[-]digits" of at most 19 digits within the int64 range. 0 or -1. */
static int
text_int(const char *t, size_t n, int64_t *out)
{
	int neg = n > 0 && t[0] == '-';
	uint64_t v = 0,
		 lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	t += neg;
	n -= (size_t)neg;
	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(t[i] - '0');
	}
	if (v > lim) /* 19 digits cannot wrap a uint64_t */
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/*
 * "YYYY-MM-DD[ HH:MM:SS[.f{fsp}]]" (exactly as the server prints a column
 * of fraction precision fsp) with a date that exists: the microseconds
 * since 1970 (the days for a date alone). 0, or -1 for anything else
 * (zero dates, other forms).
 */
static int
text_datetime(const char *t, size_t n, unsigned fsp, int date_only,
	      int64_t *out)
{
	int64_t y, mo, d, h, mi, s, us = 0;

	if (n != (date_only ? 10 : 19 + (fsp ? fsp + 1 : 0)) || t[4] != '-' ||
	    t[7] != '-')
		return -1;
	y = text_digits(t, 4);
	mo = text_digits(t + 5, 2);
	d = text_digits(t + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 ||
	    d > rc_month_days(y, (int)mo))
		return -1;
	if (date_only) {
		*out = rc_days_from_civil(y, (int)mo, (int)d);
		return 0;
	}
	if (t[10] != ' ' || t[13] != ':' || t[16] != ':' ||
	    (fsp && t[19] != '.'))
		return -1;
	h = text_digits(t + 11, 2);
	mi = text_digits(t + 14, 2);
	s = text_digits(t + 17, 2);
	if (fsp) {
		static const int64_t scale[7] = {1,   100000, 10000, 1000,
						 100, 10,     1};

		if ((us = text_digits(t + 20, fsp)) < 0)
			return -1;
		us *= scale[fsp];
	}
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return -1;
	*out = (rc_days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 +
		mi * 60 + s) *
		       1000000 +
	       us;
	return 0;
}

/* DECIMAL(p <= 18, sc): "[-]int[.frac]" with exactly sc fraction digits,
 * as its unscaled integer. 0 or -1. */
static int
text_decimal(const char *t, size_t n, int p, int sc, int64_t *out)
{
	static const int64_t pow10[19] = {1,
					  10,
					  100,
					  1000,
					  10000,
					  100000,
					  1000000,
					  10000000,
					  100000000,
					  1000000000,
					  10000000000,
					  100000000000,
					  1000000000000,
					  10000000000000,
					  100000000000000,
					  1000000000000000,
					  10000000000000000,
					  100000000000000000,
					  1000000000000000000};
	int neg = n > 0 && t[0] == '-';
	size_t ni;
	int64_t ip, fp = 0;

	t += neg;
	n -= (size_t)neg;
	ni = sc ? n - (size_t)sc - 1 : n;
	if (n < (size_t)(sc ? sc + 2 : 1) || ni > (size_t)(p - sc) ||
	    (ni == 0 && p > sc) || (sc && t[ni] != '.'))
		return -1;
	if ((ip = text_digits(t, ni)) < 0 ||
	    (sc && (fp = text_digits(t + ni + 1, (size_t)sc)) < 0))
		return -1;
	ip = ip * pow10[sc] + fp;
	*out = neg ? -ip : ip;
	return 0;
}

int
my_text_decode(struct rc_event *ev, int64_t row, int col,
	       const struct my_col *c, int plan, const char *t, size_t len,
	       char *err, size_t errlen)
{
	struct cellctx cx = {ev, row, col, err, errlen};
	struct rc_value *val;
	int64_t v;

	switch (plan) {
	case MY_TEXT_INT: {
		static const int64_t lo[2][MYT_INT24 + 1] = {
			[0] = {[MYT_TINY] = -128,
			       [MYT_SHORT] = -32768,
			       [MYT_INT24] = -8388608,
			       [MYT_LONG] = INT32_MIN,
			       [MYT_LONGLONG] = INT64_MIN}};
		static const int64_t hi[2][MYT_INT24 + 1] = {
			[0] = {[MYT_TINY] = 127,
			       [MYT_SHORT] = 32767,
			       [MYT_INT24] = 8388607,
			       [MYT_LONG] = INT32_MAX,
			       [MYT_LONGLONG] = INT64_MAX},
			[1] = {[MYT_TINY] = 255,
			       [MYT_SHORT] = 65535,
			       [MYT_INT24] = 16777215,
			       [MYT_LONG] = UINT32_MAX}};
		int u = c->is_unsigned != 0;

		if (c->real_type > MYT_INT24 || text_int(t, len, &v) < 0 ||
		    v < lo[u][c->real_type] || v > hi[u][c->real_type])
			return 0;
		return set_int(&cx, v) < 0 ? -1 : 1;
	}
	case MY_TEXT_FLOAT:
	case MY_TEXT_DOUBLE: {
		char b[64], *end;
		double d;

		if (len == 0 || len >= sizeof(b))
			return 0;
		memcpy(b, t, len);
		b[len] = 0;
		d = strtod(b, &end);
		if (*end)
			return 0;
		if (row >= 0) {
			val = rc_event_row(ev, row) + col;
			val->kind = RC_V_SET;
			if (plan == MY_TEXT_FLOAT)
				val->u.f = (float)d;
			else
				val->u.d = d;
		}
		return 1;
	}
	case MY_TEXT_DECIMAL: {
		uint8_t tw[8];

		if (text_decimal(t, len, c->meta >> 8, c->meta & 0xff, &v) < 0)
			return 0;
		return set_bytes(&cx, RC_V_SET, tw, int64_twos(v, tw)) < 0 ? -1
									   : 1;
	}
	case MY_TEXT_DATE:
	case MY_TEXT_DATETIME:
		if (text_datetime(t, len, c->meta, plan == MY_TEXT_DATE, &v) <
		    0)
			return 0;
		return set_int(&cx, v) < 0 ? -1 : 1;
	case MY_TEXT_TIMESTAMP:
		/* in UTC (the session's time zone); from 1970-01-01
		 * 00:00:01 to 2106 as the binlog's 4 bytes hold it */
		if (text_datetime(t, len, c->meta, 0, &v) < 0 || v < 1000000 ||
		    v / 1000000 > 0xffffffffLL)
			return 0;
		return set_int(&cx, v) < 0 ? -1 : 1;
	case MY_TEXT_UTF8:
	case MY_TEXT_BYTES:
		if (!my_text_is_value(c, plan, t, len))
			return 0;
		return set_bytes(&cx, RC_V_SET, t, len) < 0 ? -1 : 1;
	default:
		return 0;
	}
}

int
my_text_is_value(const struct my_col *c, int plan, const char *t, size_t len)
{
	unsigned nb;

	if (plan != MY_TEXT_UTF8 && plan != MY_TEXT_BYTES)
		return 0;
	/* the length the binlog's cell could carry (else the cell layout
	 * says what is wrong) */
	if (c->real_type == MYT_STRING)
		nb = my_col_maxlen(c) < 256 ? 1 : 2;
	else if (c->real_type == MYT_VARCHAR || c->real_type == MYT_VAR_STRING)
		nb = c->meta < 256 ? 1 : 2;
	else
		nb = c->meta;
	if (nb < 1 || nb > 4 || (nb < 4 && (uint64_t)len >> (8 * nb)) ||
	    len > RC_MAX_EVENT_BYTES)
		return 0;
	return plan == MY_TEXT_BYTES || my_utf8_valid((const uint8_t *)t, len);
}

/* ------------------------------------------------------------------ */
/* Row images                                                         */
/* ------------------------------------------------------------------ */

static int
bit_at(const uint8_t *bm, int i)
{
	return (bm[i / 8] >> (i % 8)) & 1;
}

/* A JSON column's before document, kept for a partial update. */
struct jbefore {
	const uint8_t *p;
	size_t n;
	int have;
};

/*
 * A partial JSON cell: length(4) then diffs until the length is used:
 *   operation(1) path_len(packed) path [value_len(packed) value]
 * (no value for REMOVE). Applied to the before document.
 */
static int
apply_partial(struct cellctx *cx, const struct my_col *c,
	      const struct jbefore *jb, const uint8_t *p, size_t n,
	      size_t *used)
{
	struct rc_reader r;
	struct my_jdoc *jd = NULL;
	struct rc_buf b;
	char e[RC_ERRLEN];
	size_t len;
	int rc = -1;

	if (prefixed(c, p, n, c->meta, &len, cx->err, cx->errlen) < 0)
		return -1;
	*used = c->meta + len;
	if (!jb->have)
		return fail(cx->err, cx->errlen,
			    "column %s: a partial JSON update needs the "
			    "document from the before image, which the "
			    "binlog does not carry (binlog_row_image=MINIMAL "
			    "with binlog_row_value_options=PARTIAL_JSON); "
			    "set binlog_row_image=FULL",
			    c->name);
	rc_buf_init(&b, RC_MAX_EVENT_BYTES);
	jd = my_json_parse(jb->p, jb->n, e, sizeof(e));
	if (!jd) {
		fail(cx->err, cx->errlen, "column %s: %s", c->name, e);
		goto out;
	}
	rc_reader_init(&r, p + c->meta, len);
	while (rc_reader_left(&r) > 0) {
		uint8_t op = rc_reader_u8(&r);
		uint64_t plen = my_read_packed(&r), vlen = 0;
		const unsigned char *path = NULL, *val = NULL;

		if (rc_reader_ok(&r) && plen <= rc_reader_left(&r))
			path = rc_reader_bytes(&r, (size_t)plen);
		if (path && op != MY_JSON_REMOVE) {
			vlen = my_read_packed(&r);
			if (rc_reader_ok(&r) && vlen <= rc_reader_left(&r))
				val = rc_reader_bytes(&r, (size_t)vlen);
		}
		if (!path || (op != MY_JSON_REMOVE && !val) || op > 2) {
			fail(cx->err, cx->errlen, "column %s: bad JSON diff",
			     c->name);
			goto out;
		}
		if (my_json_apply(jd, (enum my_json_op)op, (const char *)path,
				  (size_t)plen, val, (size_t)vlen, e,
				  sizeof(e)) < 0) {
			fail(cx->err, cx->errlen, "column %s: %s", c->name, e);
			goto out;
		}
	}
	if (cx->row >= 0) {
		if (my_json_write(jd, &b) < 0) {
			fail(cx->err, cx->errlen, "column %s: JSON too large",
			     c->name);
			goto out;
		}
		if (set_bytes(cx, RC_V_SET, b.data ? b.data : "", b.len) < 0)
			goto out;
	}
	rc = 0;
out:
	my_json_free(jd);
	rc_buf_free(&b);
	return rc;
}

/*
 * One image at rows->data + rows->off:
 *   [partial after image: value_options(packed) [partial_bits]]
 *   null_bitmap[(present columns + 7)/8] values of the present,
 *   non-NULL columns
 */
static int
decode_image(struct my_rows *rows, const struct my_tablemap *tm,
	     const int *colmap, struct rc_event *ev, int64_t row,
	     const uint8_t *present, int after, struct jbefore *jb, char *err,
	     size_t errlen)
{
	const uint8_t *p = rows->data + rows->off;
	size_t n = rows->len - rows->off, o = 0, nb;
	const uint8_t *nulls, *pbits = NULL;
	int npresent = 0, k = 0, ji = 0;
	struct rc_value *vals;

	if (rows->partial && after) {
		struct rc_reader r;
		uint64_t opts;

		rc_reader_init(&r, p, n);
		opts = my_read_packed(&r);
		if (opts & 1)
			pbits = rc_reader_bytes(&r,
						((size_t)tm->njson + 7) / 8);
		if (!rc_reader_ok(&r))
			return fail(err, errlen, "%s.%s: row %u truncated",
				    tm->db, tm->table, rows->row + 1);
		o = n - rc_reader_left(&r);
	}
	for (int i = 0; i < tm->ncols; i++)
		npresent += bit_at(present, i);
	nb = ((size_t)npresent + 7) / 8;
	if (n - o < nb)
		return fail(err, errlen, "%s.%s: row %u truncated", tm->db,
			    tm->table, rows->row + 1);
	nulls = p + o;
	o += nb;
	for (int i = 0; i < tm->ncols; i++) {
		const struct my_col *c = &tm->cols[i];
		int j = colmap ? colmap[i] : i;
		int64_t target = j >= 0 ? row : -1;
		int is_json = c->type == MYT_JSON, partial = 0;
		size_t used = 0;

		if (j >= ev->tbl->ncols)
			return fail(err, errlen, "column map out of range");
		if (is_json && pbits)
			partial = (pbits[ji / 8] >> (ji % 8)) & 1;
		if (is_json)
			ji++;
		if (!bit_at(present, i)) {
			if (after && j >= 0) {
				vals = rc_event_row(ev, row);
				vals[j].kind = RC_V_UNCHANGED;
			}
			continue;
		}
		if ((nulls[k / 8] >> (k % 8)) & 1) {
			k++;
			continue; /* RC_V_NULL from rc_event_alloc_row */
		}
		k++;
		if (partial) {
			struct cellctx cx = {ev, target, j, err, errlen};

			if (apply_partial(&cx, c, &jb[i], p + o, n - o, &used) <
			    0)
				return -1;
		} else {
			if (my_cell_decode(ev, target, j, c, p + o, n - o,
					   &used, err, errlen) < 0)
				return -1;
			if (is_json && !after && used >= c->meta) {
				jb[i].p = p + o + c->meta;
				jb[i].n = used - c->meta;
				jb[i].have = 1;
			}
		}
		o += used;
	}
	rows->off += o;
	return 0;
}

int
my_rows_next(struct my_rows *rows, const struct my_tablemap *tm,
	     const int *colmap, struct rc_event *ev, char *err, size_t errlen)
{
	struct jbefore *jb = NULL;
	size_t start;
	int rc = -1;

	if (rows->off >= rows->len)
		return 0;
	if (rows->ncols != tm->ncols)
		return fail(err, errlen,
			    "%s.%s: rows event has %d columns, table map %d",
			    tm->db, tm->table, rows->ncols, tm->ncols);
	if (tm->table_id != rows->table_id)
		return fail(err, errlen,
			    "%s.%s: rows event for table id %llu, table map "
			    "%llu",
			    tm->db, tm->table,
			    (unsigned long long)rows->table_id,
			    (unsigned long long)tm->table_id);
	jb = calloc((size_t)tm->ncols, sizeof(*jb));
	if (!jb)
		return fail(err, errlen, "out of memory");
	start = rows->off;
	if (rows->op == 'u' || rows->op == 'd') {
		if (rc_event_alloc_row(ev, &ev->before) < 0) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		if (decode_image(rows, tm, colmap, ev, ev->before,
				 rows->present, 0, jb, err, errlen) < 0)
			goto out;
	}
	if (rows->op == 'u' || rows->op == 'c') {
		if (rc_event_alloc_row(ev, &ev->after) < 0) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		if (decode_image(rows, tm, colmap, ev, ev->after,
				 rows->op == 'u' ? rows->present_after
						 : rows->present,
				 1, jb, err, errlen) < 0)
			goto out;
	}
	if (rows->off == start) {
		/* no column present: nothing would ever move us forward */
		fail(err, errlen, "%s.%s: row %u carries no column", tm->db,
		     tm->table, rows->row + 1);
		goto out;
	}
	rows->row++;
	rc = 1;
out:
	free(jb);
	return rc;
}
