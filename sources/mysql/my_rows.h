/*
 * my_rows.h -- internal to sources/mysql: MySQL's column types, the
 * packed integers every binlog structure uses, and the single-cell
 * decoder (my_rows.c) that the row images and the unit tests share.
 */
#ifndef RC_MY_ROWS_H
#define RC_MY_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "my_binlog.h"
#include "reader.h"

/* MySQL's enum_field_types, as they appear in TABLE_MAP. */
enum my_field_type {
	MYT_DECIMAL = 0,
	MYT_TINY = 1,
	MYT_SHORT = 2,
	MYT_LONG = 3,
	MYT_FLOAT = 4,
	MYT_DOUBLE = 5,
	MYT_NULL = 6,
	MYT_TIMESTAMP = 7,
	MYT_LONGLONG = 8,
	MYT_INT24 = 9,
	MYT_DATE = 10,
	MYT_TIME = 11,
	MYT_DATETIME = 12,
	MYT_YEAR = 13,
	MYT_NEWDATE = 14,
	MYT_VARCHAR = 15,
	MYT_BIT = 16,
	MYT_TIMESTAMP2 = 17,
	MYT_DATETIME2 = 18,
	MYT_TIME2 = 19,
	MYT_JSON = 245,
	MYT_NEWDECIMAL = 246,
	MYT_ENUM = 247,
	MYT_SET = 248,
	MYT_TINY_BLOB = 249,
	MYT_MEDIUM_BLOB = 250,
	MYT_LONG_BLOB = 251,
	MYT_BLOB = 252,
	MYT_VAR_STRING = 253,
	MYT_STRING = 254,
	MYT_GEOMETRY = 255,
};

/*
 * A packed (length-encoded) integer: < 0xfb one byte, 0xfc + 2 bytes,
 * 0xfd + 3, 0xfe + 8 (little-endian). 0xfb (SQL NULL) and 0xff are
 * errors: the reader's error flag is set and 0 returned.
 */
uint64_t my_read_packed(struct rc_reader *r);

/* DECIMAL(precision, scale) binary size, 0 when the type is invalid. */
size_t my_decimal_bin_size(int precision, int scale);

/* Longest text my_decimal_text writes ("-" + 65 digits + "." + NUL). */
#define MY_DECIMAL_TEXT_MAX 72

/*
 * MySQL's binary DECIMAL p[0..n) (n must be at least the binary size) as
 * text ("-123.450", scale digits after the point). Returns the text's
 * length, or -1 when the bytes are not a valid decimal.
 */
int my_decimal_text(const uint8_t *p, size_t n, int precision, int scale,
		    char *out, size_t outsz);

/* The byte length of a column's value in STRING metadata: CHAR(n)'s
 * maximum in bytes, ENUM/SET's storage size. */
unsigned my_col_maxlen(const struct my_col *c);

/*
 * Decode one cell of column c (a non-NULL value) from p[0..n) into value
 * number col of row (a row of ev, whose table column col was described
 * from c by my_table_describe). *used gets the bytes the cell takes.
 * row < 0 only measures the cell. 0, or -1 with err set.
 */
int my_cell_decode(struct rc_event *ev, int64_t row, int col,
		   const struct my_col *c, const uint8_t *p, size_t n,
		   size_t *used, char *err, size_t errlen);

/*
 * The text of a value as the server returns it (text protocol, with
 * character_set_results = binary and time_zone = '+00:00'), made straight
 * into the value my_cell_decode makes of the same data, for the common
 * types: my_text_plan(c) says which way column c takes, MY_TEXT_NONE for
 * the others (BIGINT UNSIGNED, DECIMAL of more than 18 digits, TIME, YEAR,
 * BIT, BINARY(n), ENUM, SET, JSON, GEOMETRY, non-UTF-8 character sets).
 * my_text_decode returns 1 when it made the value, 0 when this value must
 * go through the cell layout (zero dates, a date that does not exist,
 * text that is not UTF-8, any other form), -1 with err when the event
 * cannot hold it.
 */
enum my_text_plan {
	MY_TEXT_NONE = 0,
	MY_TEXT_INT,	   /* TINYINT..INT, BIGINT signed */
	MY_TEXT_FLOAT,	   /* the float of the text's double */
	MY_TEXT_DOUBLE,	   /* the text */
	MY_TEXT_DECIMAL,   /* DECIMAL(p <= 18): scale digits after "." */
	MY_TEXT_DATE,	   /* YYYY-MM-DD */
	MY_TEXT_DATETIME,  /* YYYY-MM-DD HH:MM:SS[.fsp digits] */
	MY_TEXT_TIMESTAMP, /* the same, in UTC */
	MY_TEXT_UTF8,	   /* utf8/utf8mb4 characters, validated */
	MY_TEXT_BYTES,	   /* VARBINARY, BLOB */
};
int my_text_plan(const struct my_col *c);
/* For MY_TEXT_UTF8 and MY_TEXT_BYTES: are the bytes the value as they
 * are (valid UTF-8, a length the column can hold)? */
int my_text_is_value(const struct my_col *c, int plan, const char *t,
		     size_t len);
int my_text_decode(struct rc_event *ev, int64_t row, int col,
		   const struct my_col *c, int plan, const char *t, size_t len,
		   char *err, size_t errlen);

/* Is column c numeric for SIGNEDNESS, character for the charset lists,
 * ENUM/SET for the ENUM_AND_SET lists? */
int my_col_is_numeric(const struct my_col *c);
int my_col_is_character(const struct my_col *c);
int my_col_is_enum_set(const struct my_col *c);

#endif
