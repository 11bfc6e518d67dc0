/*
 * my_snapshot.c -- tables described from information_schema as a
 * TABLE_MAP would describe them, chunks read consistently with the
 * binlog, and SELECT values turned into the binlog decoder's values
 * (see my_snapshot.h).
 */
#include "my_snapshot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendar.h"
#include "limits.h"
#include "my_charset.h"
#include "my_conn.h"
#include "my_rows.h"

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
/* SQL text                                                           */
/* ------------------------------------------------------------------ */

int
my_snap_quote_ident(struct rc_buf *b, const char *name)
{
	if (rc_buf_putc(b, '`') < 0)
		return -1;
	for (const char *p = name; *p; p++)
		if ((*p == '`' && rc_buf_putc(b, '`') < 0) ||
		    rc_buf_putc(b, *p) < 0)
			return -1;
	return rc_buf_putc(b, '`');
}

/* A string literal any byte can be in: _utf8mb4 X'...' (or _cs X'...'
 * for a character column of charset cs, X'...' for binary). */
static int
put_hex_literal(struct rc_buf *b, const char *charset, const char *p, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";

	if (charset && rc_buf_printf(b, "_%s ", charset) < 0)
		return -1;
	if (rc_buf_puts(b, "X'") < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (rc_buf_putc(b, hx[(unsigned char)p[i] >> 4]) < 0 ||
		    rc_buf_putc(b, hx[(unsigned char)p[i] & 15]) < 0)
			return -1;
	return rc_buf_putc(b, '\'');
}

static int
put_name_literal(struct rc_buf *b, const char *s)
{
	return put_hex_literal(b, "utf8mb4", s, strlen(s));
}

/* Key columns are carried as hex when they are character or binary. */
static int
cursor_is_hex(const struct my_col *c)
{
	return my_col_is_character(c);
}

int
my_snap_pos_cmp(const char *a, uint64_t pa, const char *b, uint64_t pb)
{
	const char *da = strrchr(a, '.'), *db = strrchr(b, '.');
	uint64_t sa = da ? strtoull(da + 1, NULL, 10) : 0;
	uint64_t sb = db ? strtoull(db + 1, NULL, 10) : 0;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	return pa < pb ? -1 : pa > pb;
}

/* ------------------------------------------------------------------ */
/* Session and describing a table                                     */
/* ------------------------------------------------------------------ */

static int
exec(struct my_conn *c, const char *sql, char *err, size_t errlen)
{
	struct my_result *r = my_conn_query(c, sql, err, errlen);

	if (!r)
		return -1;
	my_result_free(r);
	return 0;
}

int
my_snap_session(struct my_conn *c, char *err, size_t errlen)
{
	static const char *const sqls[] = {
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
		"SET time_zone = '+00:00'",
		"SET NAMES utf8mb4",
		"SET character_set_results = binary",
	};

	for (size_t i = 0; i < sizeof(sqls) / sizeof(*sqls); i++)
		if (exec(c, sqls[i], err, errlen) < 0)
			return -1;
	return 0;
}

void
my_snap_desc_clear(struct my_snap_desc *d)
{
	if (d->charset && d->tm)
		for (int i = 0; i < d->tm->ncols; i++)
			free(d->charset[i]);
	free(d->charset);
	my_tablemap_free(d->tm);
	free(d->pkcol);
	free(d->curcol);
	free(d->plan);
	memset(d, 0, sizeof(*d));
}

static char *
dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* "enum('a','b''c')" -> values, unquoted. */
static int
parse_values(struct my_col *c, const char *ct)
{
	const char *p = strchr(ct, '(');
	int cap = 0;

	if (!p)
		return -1;
	p++;
	while (*p == '\'') {
		struct rc_buf v;
		char **nv;

		rc_buf_init(&v, RC_MAX_EVENT_BYTES);
		p++;
		for (;;) {
			if (!*p) {
				rc_buf_free(&v);
				return -1;
			}
			if (*p == '\'' && p[1] == '\'') {
				p += 2;
				if (rc_buf_putc(&v, '\'') < 0)
					goto oom;
				continue;
			}
			if (*p == '\'') {
				p++;
				break;
			}
			if (*p == '\\' && p[1]) { /* not written by the server,
						   * but harmless */
				p++;
			}
			if (rc_buf_putc(&v, *p++) < 0)
				goto oom;
		}
		if (c->nvalues == cap) {
			cap = cap ? 2 * cap : 8;
			nv = realloc(c->values, sizeof(char *) * (size_t)cap);
			if (!nv)
				goto oom;
			c->values = nv;
		}
		c->values[c->nvalues] = v.data ? v.data : dupn("", 0);
		if (!c->values[c->nvalues])
			goto oom;
		c->nvalues++;
		if (*p == ',')
			p++;
		continue;
	oom:
		rc_buf_free(&v);
		return -1;
	}
	if (!c->values && !(c->values = calloc(1, sizeof(char *))))
		return -1;
	return 0;
}

static const char *const geometry_types[] = {
	"geometry",   "point",		 "linestring",	 "polygon",
	"multipoint", "multilinestring", "multipolygon", "geometrycollection"};

/*
 * One column of information_schema.COLUMNS into c, as read_col_meta and
 * the optional metadata of a TABLE_MAP would fill it. 0, or -1 for a type
 * rowcast does not know.
 */
static int
col_from_schema(struct my_col *c, const char *dtype, const char *ctype,
		int64_t octets, int64_t prec, int64_t scale, int64_t fsp,
		int64_t coll)
{
	int is_char = coll > 0;

	c->is_unsigned = strstr(ctype, "unsigned") != NULL;
	c->collation = is_char ? (uint32_t)coll : 0;
	c->geometry_type = -1;
	c->visible = 1;
	c->meta = 0;
#define IS(x) (strcasecmp(dtype, (x)) == 0)
	if (IS("tinyint") || IS("bool") || IS("boolean"))
		c->type = MYT_TINY;
	else if (IS("smallint"))
		c->type = MYT_SHORT;
	else if (IS("mediumint"))
		c->type = MYT_INT24;
	else if (IS("int") || IS("integer"))
		c->type = MYT_LONG;
	else if (IS("bigint"))
		c->type = MYT_LONGLONG;
	else if (IS("decimal") || IS("numeric")) {
		c->type = MYT_NEWDECIMAL;
		c->meta = (uint16_t)(prec << 8 | scale);
	} else if (IS("float")) {
		c->type = MYT_FLOAT;
		c->meta = 4;
	} else if (IS("double") || IS("real") || IS("double precision")) {
		c->type = MYT_DOUBLE;
		c->meta = 8;
	} else if (IS("bit")) {
		c->type = MYT_BIT;
		c->meta = (uint16_t)((prec / 8) << 8 | (prec % 8));
	} else if (IS("year"))
		c->type = MYT_YEAR;
	else if (IS("date"))
		c->type = MYT_DATE;
	else if (IS("datetime")) {
		c->type = MYT_DATETIME2;
		c->meta = (uint16_t)(fsp > 0 ? fsp : 0);
	} else if (IS("timestamp")) {
		c->type = MYT_TIMESTAMP2;
		c->meta = (uint16_t)(fsp > 0 ? fsp : 0);
	} else if (IS("time")) {
		c->type = MYT_TIME2;
		c->meta = (uint16_t)(fsp > 0 ? fsp : 0);
	} else if (IS("char") || IS("binary")) {
		unsigned len = (unsigned)octets;

		c->type = MYT_STRING;
		c->meta =
			(uint16_t)(((MYT_STRING ^ ((len & 0x300) >> 4)) << 8) |
				   (len & 0xff));
		if (IS("binary"))
			c->collation = MY_COLLATION_BINARY;
	} else if (IS("varchar") || IS("varbinary")) {
		c->type = MYT_VARCHAR;
		c->meta = (uint16_t)octets;
		if (IS("varbinary"))
			c->collation = MY_COLLATION_BINARY;
	} else if (IS("tinytext") || IS("tinyblob") || IS("text") ||
		   IS("blob") || IS("mediumtext") || IS("mediumblob") ||
		   IS("longtext") || IS("longblob")) {
		c->type = MYT_BLOB;
		c->meta = strncasecmp(dtype, "tiny", 4) == 0	 ? 1
			  : strncasecmp(dtype, "medium", 6) == 0 ? 3
			  : strncasecmp(dtype, "long", 4) == 0	 ? 4
								 : 2;
		if (strstr(dtype, "blob") || strstr(dtype, "BLOB"))
			c->collation = MY_COLLATION_BINARY;
	} else if (IS("enum") || IS("set")) {
		int e = IS("enum");

		c->type = MYT_STRING;
		c->real_type = e ? MYT_ENUM : MYT_SET;
		if (parse_values(c, ctype) < 0)
			return -1;
		{
			unsigned n = (unsigned)c->nvalues, bytes;

			bytes = e ? (n > 255 ? 2 : 1) : (n + 7) / 8;
			if (!e && bytes > 4)
				bytes = 8;
			c->meta = (uint16_t)(c->real_type << 8 | bytes);
		}
		return 0;
	} else if (IS("json")) {
		c->type = MYT_JSON;
		c->meta = 4;
		c->collation = 0;
	} else {
		for (int g = 0; g < 8; g++)
			if (IS(geometry_types[g])) {
				c->type = MYT_GEOMETRY;
				c->meta = 4;
				c->geometry_type = g;
				c->collation = 0;
				c->real_type = c->type;
				return 0;
			}
		return -1;
	}
#undef IS
	c->real_type = c->type;
	return 0;
}

static int64_t
num(const char *s)
{
	return s ? strtoll(s, NULL, 10) : -1;
}

int
my_snap_describe(struct my_conn *c, const char *db, const char *table,
		 struct my_snap_desc *d, char *err, size_t errlen)
{
	struct rc_buf sql;
	struct my_result *r = NULL;
	struct my_tablemap *tm = NULL;
	char **row;
	unsigned long *lens;
	int rc = -1, cap = 0;

	memset(d, 0, sizeof(*d));
	rc_buf_init(&sql, 1u << 16);
	if (!(tm = calloc(1, sizeof(*tm))) || !(tm->db = strdup(db)) ||
	    !(tm->table = strdup(table)))
		goto oom;
	tm->has_names = tm->has_pk = 1;
	if (rc_buf_puts(&sql,
			"SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, "
			"c.IS_NULLABLE, c.CHARACTER_OCTET_LENGTH, "
			"c.NUMERIC_PRECISION, c.NUMERIC_SCALE, "
			"c.DATETIME_PRECISION, c.CHARACTER_SET_NAME, co.ID "
			"FROM information_schema.COLUMNS c LEFT JOIN "
			"information_schema.COLLATIONS co ON "
			"co.COLLATION_NAME = c.COLLATION_NAME "
			"WHERE c.TABLE_SCHEMA = ") < 0 ||
	    put_name_literal(&sql, db) < 0 ||
	    rc_buf_puts(&sql, " AND c.TABLE_NAME = ") < 0 ||
	    put_name_literal(&sql, table) < 0 ||
	    rc_buf_puts(&sql, " ORDER BY c.ORDINAL_POSITION") < 0 ||
	    rc_buf_putc(&sql, 0) < 0)
		goto oom;
	if (!(r = my_conn_query(c, sql.data, err, errlen)))
		goto out;
	while (my_result_next(r, &row, &lens) == 1) {
		struct my_col *col;

		if (my_result_ncols(r) < 10 || !row[0] || !row[1] || !row[2]) {
			fail(err, errlen, "unexpected information_schema row");
			goto out;
		}
		if (tm->ncols == cap) {
			int nc = cap ? 2 * cap : 16;
			struct my_col *g =
				realloc(tm->cols, sizeof(*g) * (size_t)nc);
			char **cs;

			if (!g)
				goto oom;
			tm->cols = g;
			memset(g + cap, 0, sizeof(*g) * (size_t)(nc - cap));
			cs = realloc(d->charset, sizeof(*cs) * (size_t)nc);
			if (!cs)
				goto oom;
			d->charset = cs;
			memset(cs + cap, 0, sizeof(*cs) * (size_t)(nc - cap));
			cap = nc;
		}
		col = &tm->cols[tm->ncols++];
		if (!(col->name = dupn(row[0], lens[0])))
			goto oom;
		col->nullable = row[3] && !strcmp(row[3], "YES");
		if (col_from_schema(col, row[1], row[2], num(row[4]),
				    num(row[5]), num(row[6]), num(row[7]),
				    row[9] ? num(row[9]) : 0) < 0) {
			fail(err, errlen,
			     "table %s.%s: column %s has type %s, which "
			     "rowcast cannot snapshot",
			     db, table, col->name, row[2]);
			goto out;
		}
		if (row[8] && my_col_is_character(col) &&
		    col->collation != MY_COLLATION_BINARY &&
		    !(d->charset[tm->ncols - 1] = dupn(row[8], lens[8])))
			goto oom;
		if (col->type == MYT_JSON)
			tm->njson++;
	}
	my_result_free(r);
	r = NULL;
	if (tm->ncols == 0) {
		fail(err, errlen, "table %s.%s does not exist", db, table);
		rc = 1;
		goto out;
	}
	/* the primary key, in its order */
	rc_buf_reset(&sql);
	if (rc_buf_puts(&sql, "SELECT COLUMN_NAME, SEQ_IN_INDEX FROM "
			      "information_schema.STATISTICS WHERE "
			      "TABLE_SCHEMA = ") < 0 ||
	    put_name_literal(&sql, db) < 0 ||
	    rc_buf_puts(&sql, " AND TABLE_NAME = ") < 0 ||
	    put_name_literal(&sql, table) < 0 ||
	    rc_buf_puts(&sql, " AND INDEX_NAME = 'PRIMARY' ORDER BY "
			      "SEQ_IN_INDEX") < 0 ||
	    rc_buf_putc(&sql, 0) < 0)
		goto oom;
	if (!(r = my_conn_query(c, sql.data, err, errlen)))
		goto out;
	if (!(d->pkcol = calloc((size_t)tm->ncols, sizeof(int))))
		goto oom;
	while (my_result_next(r, &row, &lens) == 1) {
		int found = 0;

		for (int i = 0; row[0] && i < tm->ncols; i++)
			if (strlen(tm->cols[i].name) == lens[0] &&
			    !memcmp(tm->cols[i].name, row[0], lens[0]) &&
			    !tm->cols[i].pk && d->npk < tm->ncols) {
				d->pkcol[d->npk++] = i;
				tm->cols[i].pk = d->npk;
				found = 1;
				break;
			}
		if (!found) {
			fail(err, errlen,
			     "table %s.%s: primary key column %.*s not found",
			     db, table, (int)lens[0], row[0] ? row[0] : "");
			goto out;
		}
	}
	if (d->npk == 0) {
		fail(err, errlen,
		     "table %s.%s has no primary key: a snapshot reads a "
		     "table in primary-key order",
		     db, table);
		rc = 1;
		goto out;
	}
	/* a key's cursor is its value column when the value is its text
	 * (integers, DECIMAL, dates...), else one more column after them */
	if (!(d->curcol = malloc(sizeof(int) * (size_t)d->npk)))
		goto oom;
	d->nextra = 0;
	for (int k = 0; k < d->npk; k++) {
		const struct my_col *c = &tm->cols[d->pkcol[k]];

		d->curcol[k] = cursor_is_hex(c) || c->real_type == MYT_FLOAT ||
					       c->real_type == MYT_ENUM ||
					       c->real_type == MYT_SET
				       ? tm->ncols + d->nextra++
				       : d->pkcol[k];
	}
	if (!(d->plan = malloc((size_t)tm->ncols)))
		goto oom;
	for (int i = 0; i < tm->ncols; i++)
		d->plan[i] = (uint8_t)my_text_plan(&tm->cols[i]);
	d->tm = tm;
	tm = NULL;
	rc = 0;
	goto out;
oom:
	fail(err, errlen, "out of memory");
out:
	my_result_free(r);
	rc_buf_free(&sql);
	if (rc != 0) {
		if (d->charset && tm)
			for (int i = 0; i < tm->ncols; i++)
				free(d->charset[i]);
		free(d->charset);
		free(d->pkcol);
		free(d->curcol);
		free(d->plan);
		d->charset = NULL;
		d->pkcol = NULL;
		d->curcol = NULL;
		d->plan = NULL;
		d->npk = 0;
	}
	my_tablemap_free(tm);
	return rc;
}

int64_t
my_snap_estimate(struct my_conn *c, const char *db, const char *table)
{
	struct rc_buf sql;
	struct my_result *r = NULL;
	char **row, err[RC_ERRLEN];
	unsigned long *lens;
	int64_t n = -1;

	rc_buf_init(&sql, 1u << 16);
	if (rc_buf_puts(&sql, "SELECT TABLE_ROWS FROM information_schema."
			      "TABLES WHERE TABLE_SCHEMA = ") == 0 &&
	    put_name_literal(&sql, db) == 0 &&
	    rc_buf_puts(&sql, " AND TABLE_NAME = ") == 0 &&
	    put_name_literal(&sql, table) == 0 && rc_buf_putc(&sql, 0) == 0 &&
	    (r = my_conn_query(c, sql.data, err, sizeof(err))) &&
	    my_result_next(r, &row, &lens) == 1 && row[0])
		n = strtoll(row[0], NULL, 10);
	my_result_free(r);
	rc_buf_free(&sql);
	return n;
}

/* ------------------------------------------------------------------ */
/* The SELECT                                                         */
/* ------------------------------------------------------------------ */

static int
put_value_expr(struct rc_buf *b, const struct my_col *c)
{
	switch (c->real_type) {
	case MYT_FLOAT:
		return rc_buf_puts(b, "CAST(") < 0 ||
				       my_snap_quote_ident(b, c->name) < 0 ||
				       rc_buf_puts(b, " AS DOUBLE)") < 0
			       ? -1
			       : 0;
	case MYT_ENUM:
	case MYT_SET:
		return my_snap_quote_ident(b, c->name) < 0 ||
				       rc_buf_puts(b, "+0") < 0
			       ? -1
			       : 0;
	default:
		return my_snap_quote_ident(b, c->name);
	}
}

static int
put_cursor_expr(struct rc_buf *b, const struct my_col *c)
{
	if (!cursor_is_hex(c))
		return my_snap_quote_ident(b, c->name);
	return rc_buf_puts(b, "HEX(") < 0 ||
			       my_snap_quote_ident(b, c->name) < 0 ||
			       rc_buf_putc(b, ')') < 0
		       ? -1
		       : 0;
}

/* The literal of cursor value v of key column k. */
static int
put_cursor_literal(struct rc_buf *b, const struct my_snap_desc *d, int k,
		   const char *v)
{
	const struct my_col *c = &d->tm->cols[d->pkcol[k]];

	if (cursor_is_hex(c)) {
		/* already hex: X'v', with the column's charset */
		for (const char *p = v; *p; p++)
			if (!strchr("0123456789ABCDEFabcdef", *p))
				return -1;
		if (d->charset[d->pkcol[k]] &&
		    rc_buf_printf(b, "_%s ", d->charset[d->pkcol[k]]) < 0)
			return -1;
		return rc_buf_printf(b, "X'%s'", v);
	}
	return put_hex_literal(b, "utf8mb4", v, strlen(v));
}

/* (k0 > v0) OR (k0 = v0 AND ((k1 > v1) OR ...)): a form every server's
 * range optimizer takes, unlike row comparisons on older MariaDB. */
static int
put_after(struct rc_buf *b, const struct my_snap_desc *d, char *const *cur,
	  int k)
{
	const char *name = d->tm->cols[d->pkcol[k]].name;

	if (rc_buf_putc(b, '(') < 0 || my_snap_quote_ident(b, name) < 0 ||
	    rc_buf_puts(b, " > ") < 0 ||
	    put_cursor_literal(b, d, k, cur[k]) < 0)
		return -1;
	if (k + 1 < d->npk) {
		if (rc_buf_puts(b, " OR (") < 0 ||
		    my_snap_quote_ident(b, name) < 0 ||
		    rc_buf_puts(b, " = ") < 0 ||
		    put_cursor_literal(b, d, k, cur[k]) < 0 ||
		    rc_buf_puts(b, " AND ") < 0 ||
		    put_after(b, d, cur, k + 1) < 0 || rc_buf_putc(b, ')') < 0)
			return -1;
	}
	return rc_buf_putc(b, ')');
}

int
my_snap_select_sql(const struct my_snap_desc *d, char *const *cursor,
		   int ncursor, int64_t limit, struct rc_buf *sql)
{
	const struct my_tablemap *tm = d->tm;

	if (rc_buf_puts(sql, "SELECT ") < 0)
		return -1;
	for (int i = 0; i < tm->ncols; i++)
		if ((i && rc_buf_puts(sql, ", ") < 0) ||
		    put_value_expr(sql, &tm->cols[i]) < 0)
			return -1;
	for (int k = 0; k < d->npk; k++)
		if (d->curcol[k] >= tm->ncols &&
		    (rc_buf_puts(sql, ", ") < 0 ||
		     put_cursor_expr(sql, &tm->cols[d->pkcol[k]]) < 0))
			return -1;
	if (rc_buf_puts(sql, " FROM ") < 0 ||
	    my_snap_quote_ident(sql, tm->db) < 0 || rc_buf_putc(sql, '.') < 0 ||
	    my_snap_quote_ident(sql, tm->table) < 0)
		return -1;
	if (ncursor > 0) {
		if (ncursor != d->npk)
			return -1;
		if (rc_buf_puts(sql, " WHERE ") < 0 ||
		    put_after(sql, d, cursor, 0) < 0)
			return -1;
	}
	if (rc_buf_puts(sql, " ORDER BY ") < 0)
		return -1;
	for (int k = 0; k < d->npk; k++)
		if ((k && rc_buf_puts(sql, ", ") < 0) ||
		    my_snap_quote_ident(sql, tm->cols[d->pkcol[k]].name) < 0)
			return -1;
	if (rc_buf_printf(sql, " LIMIT %" PRId64, limit) < 0 ||
	    rc_buf_putc(sql, 0) < 0)
		return -1;
	return 0;
}

int
my_snap_cursor(const struct my_snap_desc *d, char **vals,
	       const unsigned long *lens, char ***key)
{
	char **k = calloc((size_t)d->npk, sizeof(char *));

	if (!k)
		return -1;
	for (int i = 0; i < d->npk; i++) {
		int j = d->curcol[i];

		k[i] = dupn(vals[j] ? vals[j] : "", vals[j] ? lens[j] : 0);
		if (!k[i]) {
			for (int z = 0; z < i; z++)
				free(k[z]);
			free(k);
			return -1;
		}
	}
	*key = k;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Values: the text into the binlog's cell, then my_cell_decode        */
/* ------------------------------------------------------------------ */

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static const int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

/*
 * Decimal text ("-123.450") into MySQL's binary DECIMAL(p,s) (the layout
 * my_decimal_text reads): groups of 9 digits in 4 bytes big-endian, the
 * leading/trailing partial groups in dig2bytes[] bytes, the first bit set
 * for a positive number, every byte inverted for a negative one.
 * Returns the size, or 0 when the text does not fit.
 */
static size_t
decimal_bin(const char *t, int prec, int scale, uint8_t *out, size_t outsz)
{
	char digits[160];
	const char *dot, *ip;
	size_t il, fl, size = my_decimal_bin_size(prec, scale), k = 0, o = 0;
	int neg = 0, intg = prec - scale;

	if (!size || size > outsz)
		return 0;
	if (*t == '-' || *t == '+')
		neg = *t++ == '-';
	ip = t;
	dot = strchr(t, '.');
	il = dot ? (size_t)(dot - t) : strlen(t);
	fl = dot ? strlen(dot + 1) : 0;
	while (il > 0 && *ip == '0') {
		ip++;
		il--;
	}
	if (il > (size_t)intg || fl > (size_t)scale)
		return 0;
	/* intg digits (zero-padded), then scale digits */
	memset(digits, '0', (size_t)(intg + scale));
	memcpy(digits + (intg - (int)il), ip, il);
	if (fl)
		memcpy(digits + intg, dot + 1, fl);
	for (int i = 0; i < intg + scale; i++)
		if (digits[i] < '0' || digits[i] > '9')
			return 0;
	{
		const int parts[4][2] = {{intg % 9, 1},
					 {9, intg / 9},
					 {9, scale / 9},
					 {scale % 9, 1}};

		for (int q = 0; q < 4; q++) {
			int nd = parts[q][0];

			if (!nd)
				continue;
			for (int g = 0; g < parts[q][1]; g++) {
				uint32_t v = 0;

				for (int z = 0; z < nd; z++)
					v = v * 10 +
					    (uint32_t)(digits[k++] - '0');
				put_be(out + o, v, dig2bytes[nd]);
				o += (size_t)dig2bytes[nd];
			}
		}
	}
	if (o != size)
		return 0;
	if (neg)
		for (size_t i = 0; i < size; i++)
			out[i] = (uint8_t)~out[i];
	out[0] ^= 0x80;
	return size;
}

/* "[-]h:m:s[.ffffff]" or "Y-M-D[ h:m:s[.ffffff]]" parts. */
struct tparts {
	int neg;
	int64_t y, mo, d, h, mi, s;
	uint32_t us;
};

static int
parse_frac(const char **pp, uint32_t *us)
{
	const char *p = *pp;
	uint32_t v = 0;
	int n = 0;

	*us = 0;
	if (*p != '.')
		return 0;
	p++;
	while (*p >= '0' && *p <= '9') {
		if (n < 6) {
			v = v * 10 + (uint32_t)(*p - '0');
			n++;
		}
		p++;
	}
	while (n < 6) {
		v *= 10;
		n++;
	}
	*us = v;
	*pp = p;
	return 0;
}

/*
 * A decimal integer at *pp ([+-]digits), *pp moved past it. Up to 18
 * digits by hand (strtoll was a tenth of a snapshot's source thread);
 * longer ones through strtoll for its range check. 0, or -1.
 */
static int
parse_num(const char **pp, int64_t *v)
{
	const char *p = *pp;
	int neg = 0, nd = 0;
	int64_t x = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	while (*p >= '0' && *p <= '9' && nd < 18) {
		x = x * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0)
		return -1;
	if (*p >= '0' && *p <= '9') { /* a 19th digit: strtoll's range */
		char *end;

		errno = 0;
		x = strtoll(*pp, &end, 10);
		if (end == *pp || errno)
			return -1;
		*pp = end;
		*v = x;
		return 0;
	}
	*v = neg ? -x : x;
	*pp = p;
	return 0;
}

static int
parse_datetime(const char *t, struct tparts *tp, int date_only)
{
	const char *p = t;

	memset(tp, 0, sizeof(*tp));
	if (parse_num(&p, &tp->y) < 0 || *p++ != '-' ||
	    parse_num(&p, &tp->mo) < 0 || *p++ != '-' ||
	    parse_num(&p, &tp->d) < 0)
		return -1;
	if (date_only)
		return *p ? -1 : 0;
	if (!*p)
		return 0;
	if (*p++ != ' ' || parse_num(&p, &tp->h) < 0 || *p++ != ':' ||
	    parse_num(&p, &tp->mi) < 0 || *p++ != ':' ||
	    parse_num(&p, &tp->s) < 0 || parse_frac(&p, &tp->us) < 0)
		return -1;
	return *p ? -1 : 0;
}

static int
parse_time(const char *t, struct tparts *tp)
{
	const char *p = t;

	memset(tp, 0, sizeof(*tp));
	if (*p == '-') {
		tp->neg = 1;
		p++;
	}
	if (parse_num(&p, &tp->h) < 0 || *p++ != ':' ||
	    parse_num(&p, &tp->mi) < 0 || *p++ != ':' ||
	    parse_num(&p, &tp->s) < 0 || parse_frac(&p, &tp->us) < 0)
		return -1;
	return *p || tp->h < 0 ? -1 : 0;
}

/* The fraction of a TIME2/DATETIME2/TIMESTAMP2 in its stored unit. */
static uint32_t
frac_raw(uint32_t us, unsigned fsp)
{
	return fsp <= 2 ? us / 10000 : fsp <= 4 ? us / 100 : us;
}

int
my_snap_cell(struct rc_event *ev, int64_t row, int col, const struct my_col *c,
	     const char *text, size_t len, char *err, size_t errlen)
{
	uint8_t small[64], *cell = small;
	char t[128];
	size_t n = 0, used = 0;
	unsigned fsp = c->meta, fb = (c->meta + 1) / 2;
	struct tparts tp;
	int rc;

	/* the short text forms, NUL-terminated */
	switch (c->real_type) {
	case MYT_VARCHAR:
	case MYT_VAR_STRING:
	case MYT_STRING:
	case MYT_BLOB:
	case MYT_TINY_BLOB:
	case MYT_MEDIUM_BLOB:
	case MYT_LONG_BLOB:
	case MYT_GEOMETRY:
	case MYT_JSON:
	case MYT_BIT:
		break;
	default:
		if (len >= sizeof(t))
			return fail(err, errlen, "column %s: value too long",
				    c->name);
		memcpy(t, text, len);
		t[len] = 0;
	}

	switch (c->real_type) {
	case MYT_TINY:
	case MYT_SHORT:
	case MYT_INT24:
	case MYT_LONG:
	case MYT_LONGLONG: {
		static const int sizes[] = {[MYT_TINY] = 1,
					    [MYT_SHORT] = 2,
					    [MYT_INT24] = 3,
					    [MYT_LONG] = 4,
					    [MYT_LONGLONG] = 8};
		char *end;
		const char *q = t;
		uint64_t v;
		int64_t sv;

		if ((t[0] != '-' || !c->is_unsigned) && t[0] != '+' &&
		    parse_num(&q, &sv) == 0 && !*q) {
			v = (uint64_t)sv; /* up to 18 digits: in range */
		} else {
			errno = 0;
			v = c->is_unsigned ? strtoull(t, &end, 10)
					   : (uint64_t)strtoll(t, &end, 10);
			if (end == t || *end || errno)
				goto bad;
		}
		n = (size_t)sizes[c->real_type];
		put_le(cell, v, (int)n);
		break;
	}
	case MYT_FLOAT:
	case MYT_DOUBLE: {
		char *end;
		double d = strtod(t, &end);

		if (end == t || *end)
			goto bad;
		if (c->real_type == MYT_FLOAT) {
			float f = (float)d;
			uint32_t u;

			memcpy(&u, &f, 4);
			put_le(cell, u, 4);
			n = 4;
		} else {
			uint64_t u;

			memcpy(&u, &d, 8);
			put_le(cell, u, 8);
			n = 8;
		}
		break;
	}
	case MYT_NEWDECIMAL:
		n = decimal_bin(t, c->meta >> 8, c->meta & 0xff, cell,
				sizeof(small));
		if (!n)
			goto bad;
		break;
	case MYT_BIT: {
		size_t need = ((c->meta >> 8) * 8u + (c->meta & 0xffu) + 7) / 8;

		if (len > need || need > 8)
			goto bad;
		memset(cell, 0, need);
		memcpy(cell + need - len, text, len);
		n = need;
		break;
	}
	case MYT_YEAR: {
		int64_t y;
		const char *p = t;

		if (parse_num(&p, &y) < 0 || *p || y < 0 || y > 2155)
			goto bad;
		cell[0] = (uint8_t)(y ? y - 1900 : 0);
		n = 1;
		break;
	}
	case MYT_DATE:
	case MYT_NEWDATE:
		if (parse_datetime(t, &tp, 1) < 0)
			goto bad;
		put_le(cell, (uint64_t)(tp.d | tp.mo << 5 | tp.y << 9), 3);
		n = 3;
		break;
	case MYT_DATETIME2: {
		uint64_t ip;

		if (parse_datetime(t, &tp, 0) < 0 || fsp > 6)
			goto bad;
		ip = ((uint64_t)((tp.y * 13 + tp.mo) << 5 | tp.d) << 17) |
		     (uint64_t)(tp.h << 12 | tp.mi << 6 | tp.s);
		put_be(cell, ip + 0x8000000000ULL, 5);
		put_be(cell + 5, frac_raw(tp.us, fsp), (int)fb);
		n = 5 + fb;
		break;
	}
	case MYT_TIMESTAMP2: {
		int64_t secs = 0;

		if (parse_datetime(t, &tp, 0) < 0 || fsp > 6)
			goto bad;
		if (tp.y || tp.mo || tp.d)
			secs = rc_days_from_civil(tp.y, (int)tp.mo, (int)tp.d) *
				       86400 +
			       tp.h * 3600 + tp.mi * 60 + tp.s;
		if (secs < 0 || secs > 0xffffffffLL)
			goto bad;
		put_be(cell, (uint64_t)secs, 4);
		put_be(cell + 4, frac_raw(tp.us, fsp), (int)fb);
		n = 4 + fb;
		break;
	}
	case MYT_TIME2: {
		uint64_t a;
		int64_t s;

		if (parse_time(t, &tp) < 0 || fsp > 6 || tp.h > 1023)
			goto bad;
		a = (uint64_t)(tp.h << 12 | tp.mi << 6 | tp.s) << (8 * fb) |
		    frac_raw(tp.us, fsp);
		s = tp.neg ? -(int64_t)a : (int64_t)a;
		put_be(cell, (uint64_t)((int64_t)(0x800000ULL << (8 * fb)) + s),
		       (int)(3 + fb));
		n = 3 + fb;
		break;
	}
	case MYT_ENUM:
	case MYT_SET: {
		char *end;
		uint64_t v;

		errno = 0;
		v = strtoull(t, &end, 10);
		if (end == t || *end || errno)
			goto bad;
		n = c->meta & 0xff;
		if (n < 1 || n > 8)
			goto bad;
		put_le(cell, v, (int)n);
		break;
	}
	case MYT_JSON:
		/* MySQL: the server's JSON text is what my_json_to_text
		 * prints from the binary form */
		if (row >= 0 &&
		    rc_event_set_bytes(ev, row, col, RC_V_SET, text, len) < 0)
			return fail(err, errlen,
				    "event larger than %u bytes or out of "
				    "memory",
				    RC_MAX_EVENT_BYTES);
		return 0;
	case MYT_VARCHAR:
	case MYT_VAR_STRING:
	case MYT_STRING:
	case MYT_BLOB:
	case MYT_TINY_BLOB:
	case MYT_MEDIUM_BLOB:
	case MYT_LONG_BLOB:
	case MYT_GEOMETRY: {
		unsigned nb;

		if (c->real_type == MYT_STRING)
			nb = my_col_maxlen(c) < 256 ? 1 : 2;
		else if (c->real_type == MYT_VARCHAR ||
			 c->real_type == MYT_VAR_STRING)
			nb = c->meta < 256 ? 1 : 2;
		else
			nb = c->meta;
		if (nb < 1 || nb > 4 || (nb < 4 && len >> (8 * nb)))
			goto bad;
		if (len > RC_MAX_EVENT_BYTES)
			return fail(err, errlen,
				    "column %s: value of %zu bytes is larger "
				    "than an event may be",
				    c->name, len);
		if (nb + len > sizeof(small) && !(cell = malloc(nb + len)))
			return fail(err, errlen, "out of memory");
		put_le(cell, len, (int)nb);
		memcpy(cell + nb, text, len);
		n = nb + len;
		break;
	}
	default:
		return fail(err, errlen, "column %s: type %u cannot be read",
			    c->name, c->type);
	}
	rc = my_cell_decode(ev, row, col, c, cell, n, &used, err, errlen);
	if (cell != small)
		free(cell);
	return rc;
bad:
	if (cell != small)
		free(cell);
	return fail(err, errlen,
		    "column %s: unexpected value '%.*s' from the "
		    "server",
		    c->name, (int)(len > 64 ? 64 : len), text);
}

/* ------------------------------------------------------------------ */
/* The values made in the pipeline thread                             */
/* ------------------------------------------------------------------ */

static int
snap_finish(const struct rc_finisher *base, struct rc_event *ev, char *err,
	    size_t errlen)
{
	const struct my_snap_fin *f = (const struct my_snap_fin *)base;
	int64_t row = ev->after;

	for (int j = 0; row >= 0 && j < f->ncols; j++) {
		struct rc_value *v = rc_event_row(ev, row) + j;
		const struct my_col *c;
		char small[128], *t;
		size_t len = v->u.s.len;
		int plan, r;

		if (v->kind != RC_V_RAW)
			continue;
		if (f->tmcol[j] < 0)
			return fail(err, errlen,
				    "snapshot of %s.%s: a value for column %d "
				    "that the table does not have",
				    f->d.tm->db, f->d.tm->table, j);
		c = &f->d.tm->cols[f->tmcol[j]];
		plan = f->d.plan ? f->d.plan[f->tmcol[j]] : MY_TEXT_NONE;
		if (my_text_is_value(c, plan, rc_value_bytes(ev, v), len)) {
			v->kind = RC_V_SET; /* the bytes are the value */
			continue;
		}
		/* out of the arena first: making the value may move it */
		t = len < sizeof(small) ? small : malloc(len + 1);
		if (!t)
			return fail(err, errlen, "out of memory");
		memcpy(t, rc_value_bytes(ev, v), len);
		t[len] = 0;
		v->kind = RC_V_NULL;
		r = my_text_decode(ev, row, j, c, plan, t, len, err, errlen);
		if (r == 0)
			r = my_snap_cell(ev, row, j, c, t, len, err, errlen);
		if (t != small)
			free(t);
		if (r < 0) {
			char e[RC_ERRLEN];

			snprintf(e, sizeof(e), "%s", err);
			return fail(err, errlen, "snapshot of %s.%s: %s",
				    f->d.tm->db, f->d.tm->table, e);
		}
	}
	return 0;
}

struct my_snap_fin *
my_snap_fin_new(struct my_snap_desc *d, const int *colmap, int ncols)
{
	struct my_snap_fin *f = calloc(1, sizeof(*f));

	if (!f || !(f->tmcol = malloc(sizeof(int) * (size_t)(ncols + 1)))) {
		free(f);
		return NULL;
	}
	for (int j = 0; j < ncols; j++)
		f->tmcol[j] = -1;
	for (int i = 0; i < d->tm->ncols; i++) {
		int j = colmap ? colmap[i] : i;

		if (j >= 0 && j < ncols)
			f->tmcol[j] = i;
	}
	f->base.finish = snap_finish;
	f->ncols = ncols;
	f->d = *d;
	memset(d, 0, sizeof(*d));
	return f;
}

void
my_snap_fin_free(struct my_snap_fin *f)
{
	if (!f)
		return;
	my_snap_desc_clear(&f->d);
	free(f->tmcol);
	free(f);
}

int
my_snap_row_raw(struct rc_event *ev, const struct my_snap_fin *f,
		const int *colmap, char **vals, const unsigned long *lens,
		char *err, size_t errlen)
{
	const struct my_tablemap *tm = f->d.tm;

	if (rc_event_alloc_row(ev, &ev->after) < 0)
		return fail(err, errlen, "out of memory");
	for (int i = 0; i < tm->ncols; i++) {
		int j = colmap ? colmap[i] : i;

		if (j < 0 || !vals[i])
			continue; /* excluded, or NULL */
		if (rc_event_set_bytes(ev, ev->after, j, RC_V_RAW, vals[i],
				       lens[i]) < 0)
			return fail(err, errlen,
				    "column %s: event larger than %u bytes or "
				    "out of memory",
				    tm->cols[i].name, RC_MAX_EVENT_BYTES);
	}
	ev->fin = &f->base;
	return 0;
}

/* ------------------------------------------------------------------ */
/* A chunk, consistent with the binlog                                */
/* ------------------------------------------------------------------ */

int
my_snap_chunk_open(struct my_conn *c, int mariadb, const char *db,
		   const char *table, char *file, size_t filelen, uint64_t *pos,
		   char *err, size_t errlen)
{
	struct my_result *r;
	char **row;
	unsigned long *lens;
	int have_file = 0, have_pos = 0;

	if (!mariadb) {
		/*
		 * MySQL 8: no binlog_snapshot_* status. LOCK TABLES t READ
		 * waits until the transactions writing t have committed and
		 * holds new writers of t until UNLOCK TABLES: the head of the
		 * binlog is then a position t's content is consistent with.
		 */
		struct rc_buf sql;
		int rc = -1;

		rc_buf_init(&sql, 1u << 16);
		if (rc_buf_puts(&sql, "LOCK TABLES ") < 0 ||
		    my_snap_quote_ident(&sql, db) < 0 ||
		    rc_buf_putc(&sql, '.') < 0 ||
		    my_snap_quote_ident(&sql, table) < 0 ||
		    rc_buf_puts(&sql, " READ") < 0 || rc_buf_putc(&sql, 0) < 0)
			fail(err, errlen, "out of memory");
		else if (exec(c, sql.data, err, errlen) == 0) {
			rc = my_conn_binlog_head(c, file, filelen, pos, err,
						 errlen);
			if (rc < 0)
				exec(c, "UNLOCK TABLES", NULL, 0);
		}
		rc_buf_free(&sql);
		return rc;
	}
	if (exec(c, "START TRANSACTION WITH CONSISTENT SNAPSHOT", err, errlen) <
	    0)
		return -1;
	if (!(r = my_conn_query(c, "SHOW STATUS LIKE 'binlog_snapshot_%'", err,
				errlen)))
		goto fail;
	while (my_result_next(r, &row, &lens) == 1) {
		if (!row[0] || !row[1] || my_result_ncols(r) < 2)
			continue;
		if (!strcasecmp(row[0], "Binlog_snapshot_file") &&
		    lens[1] < filelen && lens[1] > 0) {
			memcpy(file, row[1], lens[1]);
			file[lens[1]] = 0;
			have_file = 1;
		} else if (!strcasecmp(row[0], "Binlog_snapshot_position")) {
			*pos = strtoull(row[1], NULL, 10);
			have_pos = 1;
		}
	}
	my_result_free(r);
	if (have_file && have_pos)
		return 0;
	fail(err, errlen,
	     "the server has no Binlog_snapshot_file/position status "
	     "(binary logging off?)");
fail:
	exec(c, "ROLLBACK", NULL, 0);
	return -1;
}

int
my_snap_chunk_close(struct my_conn *c, int mariadb, char *err, size_t errlen)
{
	return exec(c, mariadb ? "COMMIT" : "UNLOCK TABLES", err, errlen);
}
