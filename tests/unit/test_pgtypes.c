/*
 * test_pgtypes.c -- the PostgreSQL type table, type mapping, and the text
 * and binary converters (sources/postgres/pg_types.c).
 *
 * Expected values that are not obvious were computed by a PostgreSQL 15
 * server under the walsender's session settings (DateStyle=ISO,
 * TimeZone=UTC, lc_monetary=C): texts are what the server printed, and
 * epoch values come from `extract(epoch ...)` and date subtraction.
 *
 * The binary converters are checked against the text converters on the
 * same values as a real server's pgoutput sent them both ways
 * (pgbinary_vectors.inc, made by gen_pgbinary_vectors.py).
 */
#include "pg_types.h"

#include "limits.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* One conversion: a fresh one-column event, the column's mapping, err. */
static struct rc_event *cv_ev;
static int64_t cv_row;
static struct pg_mapped cv_m;
static char cv_err[RC_ERRLEN];

static void
cv_reset(void)
{
	struct rc_table *tbl;

	rc_event_free(cv_ev);
	tbl = rc_table_new("src", "db", "public", "t", 1);
	CU_ASSERT_FATAL(tbl != NULL);
	cv_ev = rc_event_new('c', tbl);
	rc_table_unref(tbl);
	CU_ASSERT_FATAL(cv_ev != NULL);
	CU_ASSERT_FATAL(rc_event_alloc_row(cv_ev, &cv_row) == 0);
	cv_err[0] = 0;
}

/* Map (oid, typmod) and convert text; returns pg_convert_text's result. */
static int
cv(uint32_t oid, int32_t typmod, const char *text)
{
	cv_reset();
	pg_map_type(oid, typmod, NULL, NULL, &cv_m);
	return pg_convert_text(cv_ev, cv_row, 0, &cv_m, text, strlen(text),
			       cv_err, sizeof(cv_err));
}

static struct rc_value *
cv_val(void)
{
	return rc_event_row(cv_ev, cv_row);
}

/* Element k of the array value v. */
static struct rc_value *
cv_elem(const struct rc_value *v, uint32_t k)
{
	return (struct rc_value *)rc_event_ptr(cv_ev, v->u.a.off) + k;
}

static int
bytes_eq(const struct rc_value *v, const void *p, size_t n)
{
	return v->u.s.len == n && memcmp(rc_value_bytes(cv_ev, v), p, n) == 0;
}

static int
str_eq(const struct rc_value *v, const char *s)
{
	return bytes_eq(v, s, strlen(s));
}

/* Convert and expect a value of kind RC_V_SET with u.i == want. */
static void
expect_int(uint32_t oid, int32_t typmod, const char *text, int64_t want)
{
	int rc = cv(oid, typmod, text);

	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "\n    unexpected error: %s\n", cv_err);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
	CU_ASSERT_EQUAL(cv_val()->u.i, want);
	if (!rc && cv_val()->u.i != want)
		fprintf(stderr, "\n    %s: got %lld want %lld\n", text,
			(long long)cv_val()->u.i, (long long)want);
}

/* Convert and expect an error whose text names the value. */
static void
expect_bad(uint32_t oid, int32_t typmod, const char *text)
{
	int rc = cv(oid, typmod, text);

	CU_ASSERT_EQUAL(rc, -1);
	if (rc != -1)
		fprintf(stderr, "\n    '%s' was accepted\n", text);
	CU_ASSERT(strncmp(cv_err, "bad ", 4) == 0);
	/* the message quotes the value (an array's: the bad element) */
	CU_ASSERT(strlen(text) > 80 || strstr(cv_err, text) != NULL ||
		  cv_m.conv == PG_CONV_ARRAY);
}

/* Convert and expect decimal bytes (hex string, e.g. "00e2"). */
static void
expect_dec(uint32_t oid, int32_t typmod, const char *text, const char *hex)
{
	unsigned char want[64];
	size_t n = strlen(hex) / 2;
	int rc;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &want[i]);
	rc = cv(oid, typmod, text);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "\n    unexpected error: %s\n", cv_err);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
	CU_ASSERT(bytes_eq(cv_val(), want, n));
	if (!rc && !bytes_eq(cv_val(), want, n)) {
		fprintf(stderr, "\n    %s: got ", text);
		for (uint32_t i = 0; i < cv_val()->u.s.len; i++)
			fprintf(stderr, "%02x",
				(unsigned char)rc_value_bytes(cv_ev,
							      cv_val())[i]);
		fprintf(stderr, " want %s\n", hex);
	}
}

static int32_t
numeric_typmod(int p, int s)
{
	return ((p << 16) | (s & 0x7ff)) + 4;
}

enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_CHAR = 18,
	OID_NAME = 19,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_OID = 26,
	OID_XID = 28,
	OID_CID = 29,
	OID_JSON = 114,
	OID_BOX = 603,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_MONEY = 790,
	OID_INT4_ARRAY = 1007,
	OID_TEXT_ARRAY = 1009,
	OID_BYTEA_ARRAY = 1001,
	OID_BOX_ARRAY = 1020,
	OID_BPCHAR = 1042,
	OID_VARCHAR = 1043,
	OID_DATE = 1082,
	OID_TIME = 1083,
	OID_TIMESTAMP = 1114,
	OID_TIMESTAMPTZ = 1184,
	OID_TIMESTAMPTZ_ARRAY = 1185,
	OID_INTERVAL = 1186,
	OID_NUMERIC_ARRAY = 1231,
	OID_TIMETZ = 1266,
	OID_NUMERIC = 1700,
	OID_UUID = 2950,
	OID_UUID_ARRAY = 2951,
	OID_JSONB = 3802,
	OID_JSONB_ARRAY = 3807,
	OID_INT4RANGE = 3904,
	OID_XID8 = 5069,
	OID_DATE_ARRAY = 1182,
	OID_FLOAT8_ARRAY = 1022,
	OID_MONEY_ARRAY = 791,
};

/* ------------------------------------------------------------------ */
/* The type table                                                     */
/* ------------------------------------------------------------------ */

static void
test_table(void)
{
	/* 150 rows, checked against pg_type of PostgreSQL 15.18 (oid,
	 * typname, format_type(oid, NULL), typelem of true arrays). */
	CU_ASSERT_EQUAL(pg_builtin_types_count, 150);
	for (size_t i = 0; i < pg_builtin_types_count; i++) {
		const struct pg_builtin_type *bt = &pg_builtin_types[i];

		if (i)
			CU_ASSERT(pg_builtin_types[i - 1].oid < bt->oid);
		CU_ASSERT(pg_builtin_type(bt->oid) == bt);
		CU_ASSERT(bt->name && bt->typname && bt->note);
		if (bt->elem) {
			const struct pg_builtin_type *el =
				pg_builtin_type(bt->elem);

			CU_ASSERT(bt->type == RC_T_ARRAY);
			CU_ASSERT(bt->conv == PG_CONV_ARRAY);
			CU_ASSERT_FATAL(el != NULL);
			CU_ASSERT_EQUAL(el->elem, 0);
			CU_ASSERT(bt->typname[0] == '_' &&
				  strcmp(bt->typname + 1, el->typname) == 0);
		} else {
			CU_ASSERT(bt->type != RC_T_ARRAY);
		}
	}
	CU_ASSERT(pg_builtin_type(0) == NULL);
	CU_ASSERT(pg_builtin_type(99999) == NULL);
	CU_ASSERT(pg_builtin_type(194) ==
		  NULL); /* pg_node_tree: not storable */
	/* spot checks of OIDs */
	CU_ASSERT_STRING_EQUAL(pg_builtin_type(3802)->typname, "jsonb");
	CU_ASSERT_STRING_EQUAL(pg_builtin_type(1184)->typname, "timestamptz");
	CU_ASSERT_STRING_EQUAL(pg_builtin_type(5038)->typname, "pg_snapshot");
	CU_ASSERT_STRING_EQUAL(pg_builtin_type(2970)->typname, "txid_snapshot");
	CU_ASSERT_STRING_EQUAL(pg_builtin_type(4536)->typname,
			       "int8multirange");
	CU_ASSERT_EQUAL(pg_builtin_type(6157)->elem, 4536);
	CU_ASSERT_EQUAL(pg_builtin_type(271)->elem, 5069);
	CU_ASSERT_EQUAL(pg_builtin_type(19)->elem, 0);	/* name: not an array */
	CU_ASSERT_EQUAL(pg_builtin_type(600)->elem, 0); /* point */
}

/* Every row maps onto its own type with typmod -1 and its own name. */
static void
test_map_every_builtin(void)
{
	for (size_t i = 0; i < pg_builtin_types_count; i++) {
		const struct pg_builtin_type *bt = &pg_builtin_types[i];
		struct pg_mapped m;

		pg_map_type(bt->oid, -1, NULL, NULL, &m);
		if (bt->oid == OID_NUMERIC) {
			CU_ASSERT_EQUAL(m.type, RC_T_STRING);
			CU_ASSERT_EQUAL(m.conv, PG_CONV_NUMERIC_TEXT);
		} else {
			CU_ASSERT_EQUAL(m.type, bt->type);
			CU_ASSERT_EQUAL(m.conv, bt->conv);
		}
		/* format_type(oid, -1) prints bpchar for character */
		if (bt->oid == OID_BPCHAR) {
			CU_ASSERT_STRING_EQUAL(m.db_type, "bpchar");
		} else if (bt->oid == 1014) {
			CU_ASSERT_STRING_EQUAL(m.db_type, "bpchar[]");
		} else {
			CU_ASSERT_STRING_EQUAL(m.db_type, bt->name);
		}
		if (bt->elem) {
			const struct pg_builtin_type *el =
				pg_builtin_type(bt->elem);

			CU_ASSERT_EQUAL(m.elem_conv,
					el->oid == OID_NUMERIC
						? PG_CONV_NUMERIC_TEXT
						: el->conv);
			CU_ASSERT_EQUAL(m.delim,
					bt->oid == OID_BOX_ARRAY ? ';' : ',');
		}
	}
}

static void
check_map(uint32_t oid, int32_t typmod, enum rc_type type, enum pg_conv conv,
	  int precision, int scale, const char *db_type)
{
	struct pg_mapped m;

	pg_map_type(oid, typmod, NULL, NULL, &m);
	CU_ASSERT_EQUAL(m.type, type);
	CU_ASSERT_EQUAL(m.conv, conv);
	if (type == RC_T_DECIMAL ||
	    (type == RC_T_ARRAY && m.elem_type == RC_T_DECIMAL)) {
		CU_ASSERT_EQUAL(m.precision, precision);
		CU_ASSERT_EQUAL(m.scale, scale);
	}
	CU_ASSERT_STRING_EQUAL(m.db_type, db_type);
}

/* typmods as PostgreSQL 15 stored them (pg_attribute.atttypmod) and
 * format_type() of each. */
static void
test_map_typmod(void)
{
	struct pg_mapped m;

	check_map(OID_BOOL, -1, RC_T_BOOLEAN, PG_CONV_BOOL, 0, 0, "boolean");
	check_map(OID_INT2, -1, RC_T_INT32, PG_CONV_INT32, 0, 0, "smallint");
	check_map(OID_INT4, -1, RC_T_INT32, PG_CONV_INT32, 0, 0, "integer");
	check_map(OID_INT8, -1, RC_T_INT64, PG_CONV_INT64, 0, 0, "bigint");
	check_map(OID_OID, -1, RC_T_INT64, PG_CONV_INT64, 0, 0, "oid");
	check_map(OID_XID, -1, RC_T_INT64, PG_CONV_INT64, 0, 0, "xid");
	check_map(OID_XID8, -1, RC_T_INT64, PG_CONV_INT64, 0, 0, "xid8");
	check_map(OID_CID, -1, RC_T_INT64, PG_CONV_INT64, 0, 0, "cid");
	check_map(OID_FLOAT4, -1, RC_T_FLOAT, PG_CONV_FLOAT4, 0, 0, "real");
	check_map(OID_FLOAT8, -1, RC_T_DOUBLE, PG_CONV_FLOAT8, 0, 0,
		  "double precision");
	check_map(OID_NUMERIC, 786438, RC_T_DECIMAL, PG_CONV_NUMERIC, 12, 2,
		  "numeric(12,2)");
	check_map(OID_NUMERIC, 655364, RC_T_DECIMAL, PG_CONV_NUMERIC, 10, 0,
		  "numeric(10,0)");
	/* negative scale: integers with -s zeros, so p - s digits, scale 0 */
	check_map(OID_NUMERIC, 329730, RC_T_DECIMAL, PG_CONV_NUMERIC, 7, 0,
		  "numeric(5,-2)");
	/* scale above precision: Avro needs s <= p */
	check_map(OID_NUMERIC, 196617, RC_T_DECIMAL, PG_CONV_NUMERIC, 5, 5,
		  "numeric(3,5)");
	check_map(OID_NUMERIC, 65536504, RC_T_DECIMAL, PG_CONV_NUMERIC, 1000,
		  500, "numeric(1000,500)");
	CU_ASSERT_EQUAL(numeric_typmod(1000, 500), 65536504);
	CU_ASSERT_EQUAL(numeric_typmod(5, -2), 329730);
	check_map(OID_NUMERIC, -1, RC_T_STRING, PG_CONV_NUMERIC_TEXT, 0, 0,
		  "numeric");
	/* a typmod PostgreSQL could not have written: text, exact */
	pg_map_type(OID_NUMERIC, numeric_typmod(1001, 2), NULL, NULL, &m);
	CU_ASSERT_EQUAL(m.conv, PG_CONV_NUMERIC_TEXT);
	check_map(OID_MONEY, -1, RC_T_DECIMAL, PG_CONV_MONEY, 19, 2, "money");
	check_map(OID_BYTEA, -1, RC_T_BYTES, PG_CONV_BYTEA, 0, 0, "bytea");
	check_map(OID_CHAR, -1, RC_T_STRING, PG_CONV_TEXT, 0, 0, "\"char\"");
	check_map(OID_NAME, -1, RC_T_STRING, PG_CONV_TEXT, 0, 0, "name");
	check_map(OID_BPCHAR, 7, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "character(3)");
	check_map(OID_BPCHAR, -1, RC_T_STRING, PG_CONV_TEXT, 0, 0, "bpchar");
	check_map(OID_VARCHAR, 24, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "character varying(20)");
	check_map(OID_VARCHAR, -1, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "character varying");
	check_map(1560, 8, RC_T_STRING, PG_CONV_TEXT, 0, 0, "bit(8)");
	check_map(1560, 1, RC_T_STRING, PG_CONV_TEXT, 0, 0, "bit(1)");
	check_map(1562, 5, RC_T_STRING, PG_CONV_TEXT, 0, 0, "bit varying(5)");
	check_map(OID_DATE, -1, RC_T_DATE, PG_CONV_DATE, 0, 0, "date");
	check_map(OID_TIME, 3, RC_T_TIME_MICROS, PG_CONV_TIME, 0, 0,
		  "time(3) without time zone");
	check_map(OID_TIMETZ, 0, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "time(0) with time zone");
	check_map(OID_TIMESTAMP, 6, RC_T_LOCAL_TIMESTAMP_MICROS,
		  PG_CONV_TIMESTAMP, 0, 0, "timestamp(6) without time zone");
	check_map(OID_TIMESTAMPTZ, 2, RC_T_TIMESTAMP_MICROS,
		  PG_CONV_TIMESTAMPTZ, 0, 0, "timestamp(2) with time zone");
	check_map(OID_TIMESTAMPTZ, -1, RC_T_TIMESTAMP_MICROS,
		  PG_CONV_TIMESTAMPTZ, 0, 0, "timestamp with time zone");
	check_map(OID_INTERVAL, 458751, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "interval year to month");
	check_map(OID_INTERVAL, 470286339, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "interval day to second(3)");
	check_map(OID_INTERVAL, 2147418114, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "interval(2)");
	check_map(OID_INTERVAL, -1, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "interval");
	check_map(OID_INTERVAL, 134283263, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "interval minute");
	check_map(OID_INTERVAL, 201392127, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "interval hour to minute");
	check_map(OID_INTERVAL, 268435456, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "interval second(0)");
	check_map(OID_UUID, -1, RC_T_UUID, PG_CONV_UUID, 0, 0, "uuid");
	check_map(OID_JSON, -1, RC_T_JSON, PG_CONV_JSON, 0, 0, "json");
	check_map(OID_JSONB, -1, RC_T_JSON, PG_CONV_JSON, 0, 0, "jsonb");
	check_map(OID_INT4RANGE, -1, RC_T_STRING, PG_CONV_TEXT, 0, 0,
		  "int4range");
	check_map(3220, -1, RC_T_STRING, PG_CONV_TEXT, 0, 0, "pg_lsn");
	check_map(2205, -1, RC_T_STRING, PG_CONV_TEXT, 0, 0, "regclass");
	/* arrays: the typmod is the element's */
	check_map(OID_NUMERIC_ARRAY, 655366, RC_T_ARRAY, PG_CONV_ARRAY, 10, 2,
		  "numeric(10,2)[]");
	pg_map_type(OID_NUMERIC_ARRAY, 655366, NULL, NULL, &m);
	CU_ASSERT_EQUAL(m.elem_type, RC_T_DECIMAL);
	CU_ASSERT_EQUAL(m.elem_conv, PG_CONV_NUMERIC);
	pg_map_type(OID_NUMERIC_ARRAY, -1, NULL, NULL, &m);
	CU_ASSERT_EQUAL(m.elem_type, RC_T_STRING);
	CU_ASSERT_EQUAL(m.elem_conv, PG_CONV_NUMERIC_TEXT);
	CU_ASSERT_STRING_EQUAL(m.db_type, "numeric[]");
	check_map(1015, 9, RC_T_ARRAY, PG_CONV_ARRAY, 0, 0,
		  "character varying(5)[]");
	check_map(1014, 5, RC_T_ARRAY, PG_CONV_ARRAY, 0, 0, "character(1)[]");
	check_map(OID_TIMESTAMPTZ_ARRAY, 3, RC_T_ARRAY, PG_CONV_ARRAY, 0, 0,
		  "timestamp(3) with time zone[]");
	pg_map_type(OID_TIMESTAMPTZ_ARRAY, 3, NULL, NULL, &m);
	CU_ASSERT_EQUAL(m.elem_type, RC_T_TIMESTAMP_MICROS);
	pg_map_type(OID_BOX_ARRAY, -1, NULL, NULL, &m);
	CU_ASSERT_EQUAL(m.delim, ';');
	CU_ASSERT_EQUAL(m.elem_type, RC_T_STRING);
	pg_map_type(OID_MONEY_ARRAY, -1, NULL, NULL, &m);
	CU_ASSERT_EQUAL(m.elem_type, RC_T_DECIMAL);
	CU_ASSERT_EQUAL(m.precision, 19);
	CU_ASSERT_EQUAL(m.scale, 2);
	/* unknown OID, no lookup: text */
	check_map(16385, -1, RC_T_STRING, PG_CONV_TEXT, 0, 0, "type 16385");
}

/* A fake catalog for the lookup callback. */
static int lookups;

static int
fake_lookup(void *ctx, uint32_t oid, struct pg_type_desc *desc)
{
	CU_ASSERT_PTR_EQUAL(ctx, &lookups);
	lookups++;
	memset(desc, 0, sizeof(*desc));
	switch (oid) {
	case 50000: /* CREATE DOMAIN price AS numeric(10,2) */
		desc->typtype = 'd';
		desc->basetype = OID_NUMERIC;
		desc->basetypmod = numeric_typmod(10, 2);
		strcpy(desc->name, "price");
		return 0;
	case 50001: /* CREATE TYPE mood AS ENUM (...) */
		desc->typtype = 'e';
		strcpy(desc->name, "mood");
		return 0;
	case 50002: /* mood[] */
		desc->typtype = 'b';
		desc->elem = 50001;
		desc->delim = ',';
		strcpy(desc->name, "mood[]");
		return 0;
	case 50003: /* CREATE DOMAIN d2 AS d1; d1 AS integer */
		desc->typtype = 'd';
		desc->basetype = 50007;
		desc->basetypmod = -1;
		strcpy(desc->name, "d2");
		return 0;
	case 50007:
		desc->typtype = 'd';
		desc->basetype = OID_INT4;
		desc->basetypmod = -1;
		strcpy(desc->name, "d1");
		return 0;
	case 50004: /* CREATE DOMAIN ints AS integer[] */
		desc->typtype = 'd';
		desc->basetype = OID_INT4_ARRAY;
		desc->basetypmod = -1;
		strcpy(desc->name, "ints");
		return 0;
	case 50005: /* a lying catalog: a domain over itself */
		desc->typtype = 'd';
		desc->basetype = 50005;
		desc->basetypmod = -1;
		strcpy(desc->name, "loop");
		return 0;
	case 50006: /* a composite type */
		desc->typtype = 'c';
		strcpy(desc->name, "address");
		return 0;
	case 50008: /* price[] */
		desc->typtype = 'b';
		desc->elem = 50000;
		desc->delim = ',';
		strcpy(desc->name, "price[]");
		return 0;
	case 50009: /* an extension type (e.g. hstore) */
		desc->typtype = 'b';
		strcpy(desc->name, "hstore");
		return 0;
	case 50010: /* CREATE DOMAIN ts AS timestamptz */
		desc->typtype = 'd';
		desc->basetype = OID_TIMESTAMPTZ;
		desc->basetypmod = 3;
		strcpy(desc->name, "ts");
		return 0;
	}
	return -1;
}

static void
check_lookup(uint32_t oid, enum rc_type type, enum pg_conv conv,
	     const char *db_type, struct pg_mapped *m)
{
	pg_map_type(oid, -1, fake_lookup, &lookups, m);
	CU_ASSERT_EQUAL(m->type, type);
	CU_ASSERT_EQUAL(m->conv, conv);
	CU_ASSERT_STRING_EQUAL(m->db_type, db_type);
}

static void
test_map_lookup(void)
{
	struct pg_mapped m;

	check_lookup(50000, RC_T_DECIMAL, PG_CONV_NUMERIC, "price", &m);
	CU_ASSERT_EQUAL(m.precision, 10);
	CU_ASSERT_EQUAL(m.scale, 2);
	check_lookup(50001, RC_T_STRING, PG_CONV_TEXT, "mood", &m);
	check_lookup(50002, RC_T_ARRAY, PG_CONV_ARRAY, "mood[]", &m);
	CU_ASSERT_EQUAL(m.elem_type, RC_T_STRING);
	CU_ASSERT_EQUAL(m.elem_conv, PG_CONV_TEXT);
	CU_ASSERT_EQUAL(m.delim, ',');
	check_lookup(50003, RC_T_INT32, PG_CONV_INT32, "d2", &m);
	check_lookup(50004, RC_T_ARRAY, PG_CONV_ARRAY, "ints", &m);
	CU_ASSERT_EQUAL(m.elem_type, RC_T_INT32);
	lookups = 0;
	check_lookup(50005, RC_T_STRING, PG_CONV_TEXT, "loop", &m);
	CU_ASSERT(lookups > 1 && lookups < 40); /* bounded recursion */
	check_lookup(50006, RC_T_STRING, PG_CONV_TEXT, "address", &m);
	check_lookup(50008, RC_T_ARRAY, PG_CONV_ARRAY, "price[]", &m);
	CU_ASSERT_EQUAL(m.elem_type, RC_T_DECIMAL);
	CU_ASSERT_EQUAL(m.elem_conv, PG_CONV_NUMERIC);
	CU_ASSERT_EQUAL(m.precision, 10);
	CU_ASSERT_EQUAL(m.scale, 2);
	check_lookup(50009, RC_T_STRING, PG_CONV_TEXT, "hstore", &m);
	check_lookup(50010, RC_T_TIMESTAMP_MICROS, PG_CONV_TIMESTAMPTZ, "ts",
		     &m);
	/* lookup fails: text */
	check_lookup(60000, RC_T_STRING, PG_CONV_TEXT, "type 60000", &m);
	/* built-ins never ask the catalog */
	lookups = 0;
	check_lookup(OID_INT4, RC_T_INT32, PG_CONV_INT32, "integer", &m);
	CU_ASSERT_EQUAL(lookups, 0);
}

/* ------------------------------------------------------------------ */
/* Scalars                                                            */
/* ------------------------------------------------------------------ */

static void
test_conv_int(void)
{
	expect_int(OID_INT4, -1, "0", 0);
	expect_int(OID_INT4, -1, "-1", -1);
	expect_int(OID_INT4, -1, "2147483647", INT32_MAX);
	expect_int(OID_INT4, -1, "-2147483648", INT32_MIN);
	expect_int(OID_INT2, -1, "32767", 32767);
	expect_int(OID_INT2, -1, "-32768", -32768);
	expect_bad(OID_INT4, -1, "2147483648");
	expect_bad(OID_INT4, -1, "-2147483649");
	expect_bad(OID_INT4, -1, "");
	expect_bad(OID_INT4, -1, "-");
	expect_bad(OID_INT4, -1, "1a");
	expect_bad(OID_INT4, -1, " 1");
	expect_bad(OID_INT4, -1, "+1");
	expect_bad(OID_INT4, -1, "1.0");
	expect_int(OID_INT8, -1, "9223372036854775807", INT64_MAX);
	expect_int(OID_INT8, -1, "-9223372036854775808", INT64_MIN);
	expect_int(OID_INT8, -1, "-9223372036854775807", INT64_MIN + 1);
	expect_bad(OID_INT8, -1, "9223372036854775808");
	expect_bad(OID_INT8, -1, "-9223372036854775809");
	expect_bad(OID_INT8, -1, "99999999999999999999");
	expect_int(OID_OID, -1, "4294967295", 4294967295LL);
	expect_int(OID_XID, -1, "731", 731);
	expect_int(OID_CID, -1, "0", 0);
	expect_int(OID_XID8, -1, "3140189", 3140189);
	/* xid8 above INT64_MAX cannot be a long: an error, never a wrap */
	expect_bad(OID_XID8, -1, "18446744073709551615");
}

static void
test_conv_bool(void)
{
	expect_int(OID_BOOL, -1, "t", 1);
	expect_int(OID_BOOL, -1, "f", 0);
	expect_int(OID_BOOL, -1, "true", 1);
	expect_bad(OID_BOOL, -1, "x");
	expect_bad(OID_BOOL, -1, "");
	expect_bad(OID_BOOL, -1, "tt");
}

static void
test_conv_float(void)
{
	CU_ASSERT_EQUAL(cv(OID_FLOAT8, -1, "NaN"), 0);
	CU_ASSERT(isnan(cv_val()->u.d));
	CU_ASSERT_EQUAL(cv(OID_FLOAT8, -1, "Infinity"), 0);
	CU_ASSERT(isinf(cv_val()->u.d) && cv_val()->u.d > 0);
	CU_ASSERT_EQUAL(cv(OID_FLOAT8, -1, "-Infinity"), 0);
	CU_ASSERT(isinf(cv_val()->u.d) && cv_val()->u.d < 0);
	CU_ASSERT_EQUAL(cv(OID_FLOAT8, -1, "1e-310"), 0); /* subnormal */
	CU_ASSERT(cv_val()->u.d == 1e-310);
	CU_ASSERT_EQUAL(cv(OID_FLOAT8, -1, "1.7976931348623157e+308"), 0);
	CU_ASSERT(cv_val()->u.d == DBL_MAX);
	CU_ASSERT_EQUAL(cv(OID_FLOAT8, -1, "-0"), 0);
	CU_ASSERT(cv_val()->u.d == 0 && signbit(cv_val()->u.d));
	CU_ASSERT_EQUAL(cv(OID_FLOAT8, -1, "0.1"), 0);
	CU_ASSERT(cv_val()->u.d == 0.1);
	CU_ASSERT_EQUAL(cv(OID_FLOAT8, -1, "1e+100"), 0);
	CU_ASSERT(cv_val()->u.d == 1e100);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
	CU_ASSERT_EQUAL(cv(OID_FLOAT4, -1, "0.1"), 0);
	CU_ASSERT(cv_val()->u.f == 0.1f);
	CU_ASSERT_EQUAL(cv(OID_FLOAT4, -1, "3.4028235e+38"), 0);
	CU_ASSERT(cv_val()->u.f == FLT_MAX);
	CU_ASSERT_EQUAL(cv(OID_FLOAT4, -1, "-Infinity"), 0);
	CU_ASSERT(isinf(cv_val()->u.f) && cv_val()->u.f < 0);
	CU_ASSERT_EQUAL(cv(OID_FLOAT4, -1, "NaN"), 0);
	CU_ASSERT(isnan(cv_val()->u.f));
	/* 16777217 is not a float: strtof rounds once (strtod+cast could
	 * round twice) */
	CU_ASSERT_EQUAL(cv(OID_FLOAT4, -1, "16777217"), 0);
	CU_ASSERT(cv_val()->u.f == 16777216.0f);
	expect_bad(OID_FLOAT8, -1, "");
	expect_bad(OID_FLOAT8, -1, "1.0x");
	expect_bad(OID_FLOAT8, -1, " 1");
	expect_bad(OID_FLOAT8, -1, "abc");
	expect_bad(OID_FLOAT4, -1, "1,5");
}

static void
test_conv_numeric(void)
{
	int32_t t12_2 = numeric_typmod(12, 2), t10_0 = numeric_typmod(10, 0);

	expect_dec(OID_NUMERIC, t12_2, "12.50", "04e2");
	expect_dec(OID_NUMERIC, t12_2, "-0.05", "fb");
	expect_dec(OID_NUMERIC, t12_2, "1.28", "0080");
	expect_dec(OID_NUMERIC, t12_2, "-1.28", "80");
	expect_dec(OID_NUMERIC, t12_2, "0.00", "00");
	expect_dec(OID_NUMERIC, t12_2, "-0.00", "00");
	expect_dec(OID_NUMERIC, t12_2, "0", "00");
	expect_dec(OID_NUMERIC, t12_2, "1.5", "0096"); /* padded: 150 */
	expect_dec(OID_NUMERIC, t12_2, "7", "02bc");   /* 700 */
	expect_dec(OID_NUMERIC, t12_2, "9999999999.99", "00e8d4a50fff");
	expect_dec(OID_NUMERIC, t12_2, "-9999999999.99", "ff172b5af001");
	expect_dec(OID_NUMERIC, t12_2, "0001.00", "64");
	/* minimal two's complement at every byte boundary */
	expect_dec(OID_NUMERIC, t10_0, "127", "7f");
	expect_dec(OID_NUMERIC, t10_0, "128", "0080");
	expect_dec(OID_NUMERIC, t10_0, "-128", "80");
	expect_dec(OID_NUMERIC, t10_0, "-129", "ff7f");
	expect_dec(OID_NUMERIC, t10_0, "255", "00ff");
	expect_dec(OID_NUMERIC, t10_0, "256", "0100");
	expect_dec(OID_NUMERIC, t10_0, "-256", "ff00");
	expect_dec(OID_NUMERIC, t10_0, "-255", "ff01");
	expect_dec(OID_NUMERIC, t10_0, "-32768", "8000");
	expect_dec(OID_NUMERIC, t10_0, "-32769", "ff7fff");
	expect_dec(OID_NUMERIC, t10_0, "32768", "008000");
	expect_dec(OID_NUMERIC, t10_0, "-1", "ff");
	expect_dec(OID_NUMERIC, t10_0, "-65536", "ff0000");
	expect_dec(OID_NUMERIC, t10_0, "4294967296", "0100000000");
	/* 10^30, checked with Python's int.to_bytes */
	expect_dec(OID_NUMERIC, numeric_typmod(31, 0),
		   "1000000000000000000000000000000",
		   "0c9f2c9cd04674edea40000000");
	/* negative scale, scale above precision (values from PG 15) */
	expect_dec(OID_NUMERIC, numeric_typmod(5, -2), "12300", "300c");
	expect_dec(OID_NUMERIC, numeric_typmod(5, -2), "9999900", "0098961c");
	expect_bad(OID_NUMERIC, numeric_typmod(5, -2), "12300.5");
	expect_dec(OID_NUMERIC, numeric_typmod(3, 5), "0.00123", "7b");
	expect_dec(OID_NUMERIC, numeric_typmod(3, 5), "-0.00999", "fc19");
	/* NaN and infinities: text */
	CU_ASSERT_EQUAL(cv(OID_NUMERIC, t12_2, "NaN"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_TEXT);
	CU_ASSERT(str_eq(cv_val(), "NaN"));
	CU_ASSERT_EQUAL(cv(OID_NUMERIC, t12_2, "Infinity"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_TEXT);
	CU_ASSERT(str_eq(cv_val(), "Infinity"));
	CU_ASSERT_EQUAL(cv(OID_NUMERIC, t12_2, "-Infinity"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_TEXT);
	CU_ASSERT(str_eq(cv_val(), "-Infinity"));
	/* no rounding, no overflow */
	expect_bad(OID_NUMERIC, t12_2, "1.234");
	expect_bad(OID_NUMERIC, t12_2, "12345678901.00");
	expect_bad(OID_NUMERIC, t12_2, "");
	expect_bad(OID_NUMERIC, t12_2, "-");
	expect_bad(OID_NUMERIC, t12_2, "1.");
	expect_bad(OID_NUMERIC, t12_2, ".5");
	expect_bad(OID_NUMERIC, t12_2, "1e5");
	expect_bad(OID_NUMERIC, t12_2, "+1");
	expect_bad(OID_NUMERIC, t12_2, "nan");
	/* numeric without typmod: the exact text */
	CU_ASSERT_EQUAL(cv(OID_NUMERIC, -1, "123.4500000000000000000001"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
	CU_ASSERT(str_eq(cv_val(), "123.4500000000000000000001"));
	CU_ASSERT_EQUAL(cv(OID_NUMERIC, -1, "NaN"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
	CU_ASSERT(str_eq(cv_val(), "NaN"));
}

/*
 * Decode two's complement bytes back to decimal digits by repeated
 * division by 10 (a different algorithm from the converter's
 * multiply-and-add), into buf; returns buf.
 */
static char *
twos_to_decimal(const unsigned char *p, size_t n, char *buf, size_t buflen)
{
	unsigned char *mag = malloc(n);
	int neg = n && (p[0] & 0x80);
	size_t len = 0, start = 0;
	char *digits = malloc(n * 3 + 2);

	memcpy(mag, p, n);
	if (neg) { /* negate: invert and add one */
		unsigned carry = 1;

		for (size_t i = n; i-- > 0;) {
			unsigned v = (unsigned char)~mag[i] + carry;

			mag[i] = (unsigned char)v;
			carry = v >> 8;
		}
	}
	for (;;) {
		unsigned rem = 0;
		int nonzero = 0;

		for (size_t i = start; i < n; i++) {
			unsigned cur = rem * 256 + mag[i];

			mag[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
			nonzero |= mag[i] != 0;
		}
		digits[len++] = (char)('0' + rem);
		while (start < n && mag[start] == 0)
			start++;
		if (!nonzero)
			break;
	}
	snprintf(buf, buflen, "%s", neg ? "-" : "");
	for (size_t i = 0; i < len && strlen(buf) + 1 < buflen; i++) {
		size_t l = strlen(buf);

		buf[l] = digits[len - 1 - i];
		buf[l + 1] = 0;
	}
	free(mag);
	free(digits);
	return buf;
}

/* numeric(1000,500) values: exact for any number of digits. */
static void
test_conv_numeric_huge(void)
{
	int32_t tm = numeric_typmod(1000, 500);
	static char text[2100], want[2100], got[2100];
	unsigned seed = 12345;
	const struct rc_value *v;
	const unsigned char *b;

	/* 10^1000 - 1: all nines */
	memset(text, '9', 500);
	text[500] = '.';
	memset(text + 501, '9', 500);
	text[1001] = 0;
	CU_ASSERT_EQUAL_FATAL(cv(OID_NUMERIC, tm, text), 0);
	v = cv_val();
	CU_ASSERT_EQUAL(v->u.s.len, 416); /* Python: 416 bytes */
	b = (const unsigned char *)rc_value_bytes(cv_ev, v);
	CU_ASSERT(b[0] != 0 && !(b[0] & 0x80)); /* minimal, positive */
	memset(want, '9', 1000);
	want[1000] = 0;
	CU_ASSERT_STRING_EQUAL(twos_to_decimal(b, v->u.s.len, got, sizeof(got)),
			       want);
	/* pseudo-random digits, both signs, with a short fraction padded */
	for (int round = 0; round < 20; round++) {
		int neg = round & 1, nint = 1 + round * 25, nfrac = round * 7;
		size_t k = 0, w = 0;

		if (neg)
			text[k++] = '-';
		if (neg)
			want[w++] = '-';
		for (int i = 0; i < nint; i++) {
			seed = seed * 1103515245 + 12345;
			char d = (char)('0' + (i == 0 ? 1 + (seed >> 16) % 9
						      : (seed >> 16) % 10));
			text[k++] = d;
			want[w++] = d;
		}
		text[k++] = '.';
		for (int i = 0; i < nfrac; i++) {
			seed = seed * 1103515245 + 12345;
			text[k++] = want[w++] = (char)('0' + (seed >> 16) % 10);
		}
		if (nfrac == 0)
			k--; /* no '.' */
		for (int i = nfrac; i < 500; i++)
			want[w++] = '0';
		text[k] = 0;
		want[w] = 0;
		CU_ASSERT_EQUAL_FATAL(cv(OID_NUMERIC, tm, text), 0);
		v = cv_val();
		CU_ASSERT_STRING_EQUAL(
			twos_to_decimal(
				(const unsigned char *)rc_value_bytes(cv_ev, v),
				v->u.s.len, got, sizeof(got)),
			want);
	}
	/* 501 integer digits + 500 fraction digits > precision 1000 */
	memset(text, '9', 501);
	text[501] = '.';
	memset(text + 502, '0', 500);
	text[1002] = 0;
	expect_bad(OID_NUMERIC, tm, text);
	/* numeric(1000,-1000): 2000-digit integers, the largest there is */
	memset(text, '9', 1000);
	memset(text + 1000, '0', 1000);
	text[2000] = 0;
	CU_ASSERT_EQUAL_FATAL(
		cv(OID_NUMERIC, numeric_typmod(1000, -1000), text), 0);
	CU_ASSERT_EQUAL(cv_m.precision, 2000);
	CU_ASSERT_STRING_EQUAL(
		twos_to_decimal(
			(const unsigned char *)rc_value_bytes(cv_ev, cv_val()),
			cv_val()->u.s.len, got, sizeof(got)),
		text);
}

static void
test_conv_money(void)
{
	expect_dec(OID_MONEY, -1, "$1,234.56", "01e240");
	expect_dec(OID_MONEY, -1, "-$1,234.56", "fe1dc0");
	expect_dec(OID_MONEY, -1, "$0.00", "00");
	expect_dec(OID_MONEY, -1, "$0.01", "01");
	expect_dec(OID_MONEY, -1, "-$0.50", "ce");
	expect_dec(OID_MONEY, -1, "$1.28", "0080");
	expect_dec(OID_MONEY, -1, "-$1.28", "80");
	expect_dec(OID_MONEY, -1, "$92,233,720,368,547,758.07",
		   "7fffffffffffffff");
	expect_dec(OID_MONEY, -1, "-$92,233,720,368,547,758.08",
		   "8000000000000000");
	expect_dec(OID_MONEY, -1, "1234.5", "01e23a");
	expect_bad(OID_MONEY, -1, "$92,233,720,368,547,758.08");
	expect_bad(OID_MONEY, -1, "$1.234");
	expect_bad(OID_MONEY, -1, "abc");
	expect_bad(OID_MONEY, -1, "$");
	expect_bad(OID_MONEY, -1, "$1.");
	expect_bad(OID_MONEY, -1, "$,1.00");
	expect_bad(OID_MONEY, -1, "€1.00");
}

static void
test_conv_bytea(void)
{
	CU_ASSERT_EQUAL(cv(OID_BYTEA, -1, "\\x"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
	CU_ASSERT_EQUAL(cv_val()->u.s.len, 0);
	CU_ASSERT_EQUAL(cv(OID_BYTEA, -1, "\\x00ff10"), 0);
	CU_ASSERT(bytes_eq(cv_val(), "\x00\xff\x10", 3));
	CU_ASSERT_EQUAL(cv(OID_BYTEA, -1, "\\xABcd"), 0);
	CU_ASSERT(bytes_eq(cv_val(), "\xab\xcd", 2));
	expect_bad(OID_BYTEA, -1, "\\x0");
	expect_bad(OID_BYTEA, -1, "\\x0g");
	expect_bad(OID_BYTEA, -1, "\\xzz");
	expect_bad(OID_BYTEA, -1, "abc");   /* escape format: refused */
	expect_bad(OID_BYTEA, -1, "\\001"); /* escape format: refused */
	expect_bad(OID_BYTEA, -1, "");
}

static void
test_conv_date(void)
{
	expect_int(OID_DATE, -1, "1970-01-01", 0);
	expect_int(OID_DATE, -1, "2024-01-02", 19724);
	expect_int(OID_DATE, -1, "1969-12-31", -1);
	expect_int(OID_DATE, -1, "2000-02-29", 11016);
	expect_int(OID_DATE, -1, "0044-03-15 BC", -735160);
	expect_int(OID_DATE, -1, "0001-01-01", -719162);
	expect_int(OID_DATE, -1, "0001-12-31 BC", -719163);
	expect_int(OID_DATE, -1, "1600-03-01 BC", -1303491);
	expect_int(OID_DATE, -1, "4713-01-01 BC", -2440550);
	expect_int(OID_DATE, -1, "5874897-12-31", 2145042905);
	expect_int(OID_DATE, -1, "infinity", INT32_MAX);
	expect_int(OID_DATE, -1, "-infinity", INT32_MIN);
	expect_int(OID_DATE, -1, "2024-02-29", 19782);
	expect_bad(OID_DATE, -1, "2023-02-29");
	expect_bad(OID_DATE, -1, "2024-02-30");
	expect_bad(OID_DATE, -1, "2024-13-01");
	expect_bad(OID_DATE, -1, "2024-00-01");
	expect_bad(OID_DATE, -1, "2024-01-00");
	expect_bad(OID_DATE, -1, "24-01-01");
	expect_bad(OID_DATE, -1, "2024-1-01");
	expect_bad(OID_DATE, -1, "2024-01-01x");
	expect_bad(OID_DATE, -1, "2024-01-01 AD");
	expect_bad(OID_DATE, -1, "0000-01-01");
	expect_bad(OID_DATE, -1, "99999999-01-01");
	expect_bad(OID_DATE, -1, "9999999-01-01"); /* beyond int32 days */
	expect_bad(OID_DATE, -1, "Infinity");
	expect_bad(OID_DATE, -1, "");
}

static void
test_conv_time(void)
{
	expect_int(OID_TIME, -1, "00:00:00", 0);
	expect_int(OID_TIME, -1, "12:34:56.5", 45296500000LL);
	expect_int(OID_TIME, -1, "23:59:59.999999", 86399999999LL);
	expect_int(OID_TIME, -1, "01:02:03.000004", 3723000004LL);
	expect_int(OID_TIME, -1, "24:00:00", 86400000000LL);
	expect_bad(OID_TIME, -1, "24:00:01");
	expect_bad(OID_TIME, -1, "25:00:00");
	expect_bad(OID_TIME, -1, "12:60:00");
	expect_bad(OID_TIME, -1, "12:00:60");
	expect_bad(OID_TIME, -1, "12:00:00.1234567");
	expect_bad(OID_TIME, -1, "12:00:00.");
	expect_bad(OID_TIME, -1, "12:00");
	expect_bad(OID_TIME, -1, "12:00:00+00");
}

static void
test_conv_timestamp(void)
{
	expect_int(OID_TIMESTAMP, -1, "1970-01-01 00:00:00", 0);
	expect_int(OID_TIMESTAMP, -1, "2024-01-02 03:04:05.123456",
		   1704164645123456LL);
	expect_int(OID_TIMESTAMP, -1, "1900-01-01 00:00:00",
		   -2208988800000000LL);
	expect_int(OID_TIMESTAMP, -1, "1969-12-31 23:59:59.999999", -1);
	expect_int(OID_TIMESTAMP, -1, "0044-03-15 12:00:00 BC",
		   -63517780800000000LL);
	expect_int(OID_TIMESTAMP, -1, "infinity", INT64_MAX);
	expect_int(OID_TIMESTAMP, -1, "-infinity", INT64_MIN);
	/* fraction digits 1..6 */
	expect_int(OID_TIMESTAMP, -1, "1970-01-01 00:00:00.1", 100000);
	expect_int(OID_TIMESTAMP, -1, "1970-01-01 00:00:00.12", 120000);
	expect_int(OID_TIMESTAMP, -1, "1970-01-01 00:00:00.123", 123000);
	expect_int(OID_TIMESTAMP, -1, "1970-01-01 00:00:00.1234", 123400);
	expect_int(OID_TIMESTAMP, -1, "1970-01-01 00:00:00.12345", 123450);
	expect_int(OID_TIMESTAMP, -1, "1970-01-01 00:00:00.000001", 1);
	expect_bad(OID_TIMESTAMP, -1, "2024-01-02 03:04:05+00");
	expect_bad(OID_TIMESTAMP, -1, "2024-01-02T03:04:05");
	expect_bad(OID_TIMESTAMP, -1, "2024-01-02 24:00:00");
	expect_bad(OID_TIMESTAMP, -1, "2024-01-02");
	expect_bad(OID_TIMESTAMP, -1, "2024-01-02 03:04:05.1234567");
}

static void
test_conv_timestamptz(void)
{
	const int64_t t = 1704164645123456LL; /* 2024-01-02 03:04:05.123456Z */

	expect_int(OID_TIMESTAMPTZ, -1, "2024-01-02 03:04:05.123456+00", t);
	expect_int(OID_TIMESTAMPTZ, -1, "2024-01-02 03:04:05.123456+00:00", t);
	/* the same instant as PostgreSQL prints it in other zones */
	expect_int(OID_TIMESTAMPTZ, -1, "2024-01-02 08:34:05.123456+05:30", t);
	expect_int(OID_TIMESTAMPTZ, -1, "2024-01-01 19:04:05.123456-08", t);
	expect_int(OID_TIMESTAMPTZ, -1, "2024-01-01 19:04:05.123456-0800", t);
	expect_int(OID_TIMESTAMPTZ, -1, "1900-01-01 00:19:32+00:19:32",
		   -2208988800000000LL);
	expect_int(OID_TIMESTAMPTZ, -1, "1970-01-01 00:00:00+00", 0);
	expect_int(OID_TIMESTAMPTZ, -1, "1970-01-01 00:00:00.5+00", 500000);
	expect_int(OID_TIMESTAMPTZ, -1, "0044-03-15 06:30:00+00 BC",
		   -63517800600000000LL);
	expect_int(OID_TIMESTAMPTZ, -1, "4713-01-01 00:00:00+00 BC",
		   -210863520000000000LL);
	expect_int(OID_TIMESTAMPTZ, -1, "infinity", INT64_MAX);
	expect_int(OID_TIMESTAMPTZ, -1, "-infinity", INT64_MIN);
	/* the last microsecond a long holds */
	expect_int(OID_TIMESTAMPTZ, -1, "294247-01-10 04:00:54.775806+00",
		   INT64_MAX - 1);
	/* PostgreSQL goes to 294276 AD: beyond a long of micros since 1970 */
	expect_bad(OID_TIMESTAMPTZ, -1, "294276-12-31 23:59:59.999999+00");
	expect_bad(OID_TIMESTAMPTZ, -1, "2024-01-02 03:04:05");
	expect_bad(OID_TIMESTAMPTZ, -1, "2024-01-02 03:04:05+5");
	expect_bad(OID_TIMESTAMPTZ, -1, "2024-01-02 03:04:05+05:3");
	expect_bad(OID_TIMESTAMPTZ, -1, "2024-01-02 03:04:05+24");
	expect_bad(OID_TIMESTAMPTZ, -1, "2024-01-02 03:04:05 UTC");
	expect_bad(OID_TIMESTAMPTZ, -1, "2024-01-02 03:04:05+00 AD");
}

static void
test_conv_text_types(void)
{
	static const struct {
		uint32_t oid;
		const char *text;
	} cases[] = {
		{OID_TEXT, "héllo, wörld"},
		{OID_TEXT, ""},
		{OID_VARCHAR, "x"},
		{OID_BPCHAR, "ab   "},
		{OID_CHAR, "\\001"},
		{OID_NAME, "pg_catalog"},
		{OID_INTERVAL, "P1Y2M3DT4H5M6.5S"},
		{OID_TIMETZ, "12:00:00+05:30"},
		{OID_JSON, "{\"a\": [1, 2]}"},
		{OID_JSONB, "{\"a\": [1, 2]}"},
		{OID_INT4RANGE, "[1,5)"},
		{869, "192.168.0.1/24"},
		{3220, "0/192A2E8"},
		{1560, "10101"},
		{OID_UUID, "6f1c2b1e-8a7d-4d3e-9c2a-1b2c3d4e5f60"},
		{16385, "(1,\"x y\")"}, /* unknown: text */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(cv(cases[i].oid, -1, cases[i].text), 0);
		CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
		CU_ASSERT(str_eq(cv_val(), cases[i].text));
	}
	expect_bad(OID_UUID, -1, "6f1c2b1e-8a7d-4d3e-9c2a-1b2c3d4e5f6");
	expect_bad(OID_UUID, -1, "6f1c2b1e8a7d-4d3e-9c2a-1b2c3d4e5f600");
	expect_bad(OID_UUID, -1, "6f1c2b1e-8a7d-4d3e-9c2a-1b2c3d4e5f6g");
}

/* ------------------------------------------------------------------ */
/* Arrays                                                             */
/* ------------------------------------------------------------------ */

static void
test_array_basic(void)
{
	struct rc_value *v;

	CU_ASSERT_EQUAL_FATAL(cv(OID_INT4_ARRAY, -1, "{1,2,NULL}"), 0);
	v = cv_val();
	CU_ASSERT_EQUAL(v->kind, RC_V_SET);
	CU_ASSERT_EQUAL_FATAL(v->u.a.n, 3);
	CU_ASSERT_EQUAL(cv_elem(v, 0)->kind, RC_V_SET);
	CU_ASSERT_EQUAL(cv_elem(v, 0)->u.i, 1);
	CU_ASSERT_EQUAL(cv_elem(v, 1)->u.i, 2);
	CU_ASSERT_EQUAL(cv_elem(v, 2)->kind, RC_V_NULL);

	CU_ASSERT_EQUAL_FATAL(cv(OID_INT4_ARRAY, -1, "{}"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
	CU_ASSERT_EQUAL(cv_val()->u.a.n, 0);

	CU_ASSERT_EQUAL_FATAL(cv(OID_INT4_ARRAY, -1, "{-2147483648}"), 0);
	CU_ASSERT_EQUAL(cv_elem(cv_val(), 0)->u.i, INT32_MIN);

	/* multi-dimensional, explicit bounds: the whole text */
	CU_ASSERT_EQUAL(cv(OID_INT4_ARRAY, -1, "{{1,2},{3,4}}"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_TEXT);
	CU_ASSERT(str_eq(cv_val(), "{{1,2},{3,4}}"));
	CU_ASSERT_EQUAL(cv(OID_INT4_ARRAY, -1, "[2:3]={1,2}"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_TEXT);
	CU_ASSERT(str_eq(cv_val(), "[2:3]={1,2}"));
	CU_ASSERT_EQUAL(cv(OID_TEXT_ARRAY, -1, "{{\"a b\",c},{d,e}}"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_TEXT);

	/* malformed */
	expect_bad(OID_INT4_ARRAY, -1, "{1,,2}");
	expect_bad(OID_INT4_ARRAY, -1, "{1,2");
	expect_bad(OID_INT4_ARRAY, -1, "{1,}");
	expect_bad(OID_INT4_ARRAY, -1, "{,1}");
	expect_bad(OID_INT4_ARRAY, -1, "1,2");
	expect_bad(OID_INT4_ARRAY, -1, "");
	expect_bad(OID_INT4_ARRAY, -1, "{");
	expect_bad(OID_INT4_ARRAY, -1, "{1,x}");
	expect_bad(OID_INT4_ARRAY, -1, "{1,2147483648}");
	expect_bad(OID_TEXT_ARRAY, -1, "{\"a}");
	expect_bad(OID_TEXT_ARRAY, -1, "{\"a\"b}");
	expect_bad(OID_TEXT_ARRAY, -1, "{\"a\\\"}");
	expect_bad(OID_TEXT_ARRAY, -1, "{a\"b}");
	expect_bad(OID_TEXT_ARRAY, -1, "{a{b}");
}

/* The literal PostgreSQL 15 printed for
 * ARRAY['a b','c"d',NULL,'NULL','','x\y','{}']::text[] */
static void
test_array_text_quoting(void)
{
	static const char *lit =
		"{\"a b\",\"c\\\"d\",NULL,\"NULL\",\"\",\"x\\\\y\",\"{}\"}";
	static const char *want[] = {"a b", "c\"d", NULL, "NULL",
				     "",    "x\\y", "{}"};
	struct rc_value *v;

	CU_ASSERT_EQUAL_FATAL(cv(OID_TEXT_ARRAY, -1, lit), 0);
	v = cv_val();
	CU_ASSERT_EQUAL(v->kind, RC_V_SET);
	CU_ASSERT_EQUAL_FATAL(v->u.a.n, 7);
	for (uint32_t k = 0; k < 7; k++) {
		if (!want[k]) {
			CU_ASSERT_EQUAL(cv_elem(v, k)->kind, RC_V_NULL);
			continue;
		}
		CU_ASSERT_EQUAL(cv_elem(v, k)->kind, RC_V_SET);
		CU_ASSERT(str_eq(cv_elem(v, k), want[k]));
	}
	/* unquoted null is case-insensitive in array_in */
	CU_ASSERT_EQUAL_FATAL(cv(OID_TEXT_ARRAY, -1, "{null,Null,NULLX}"), 0);
	v = cv_val();
	CU_ASSERT_EQUAL(cv_elem(v, 0)->kind, RC_V_NULL);
	CU_ASSERT_EQUAL(cv_elem(v, 1)->kind, RC_V_NULL);
	CU_ASSERT(str_eq(cv_elem(v, 2), "NULLX"));
	/* jsonb[] elements are quoted with escapes */
	CU_ASSERT_EQUAL_FATAL(
		cv(OID_JSONB_ARRAY, -1, "{\"{\\\"a\\\": 1}\",\"[]\"}"), 0);
	v = cv_val();
	CU_ASSERT_EQUAL_FATAL(v->u.a.n, 2);
	CU_ASSERT(str_eq(cv_elem(v, 0), "{\"a\": 1}"));
	CU_ASSERT(str_eq(cv_elem(v, 1), "[]"));
}

static void
test_array_typed(void)
{
	struct rc_value *v;

	/* box[] uses ';' (PostgreSQL's output) */
	CU_ASSERT_EQUAL_FATAL(
		cv(OID_BOX_ARRAY, -1, "{(1,1),(0,0);(2,2),(1,1)}"), 0);
	v = cv_val();
	CU_ASSERT_EQUAL_FATAL(v->u.a.n, 2);
	CU_ASSERT(str_eq(cv_elem(v, 0), "(1,1),(0,0)"));
	CU_ASSERT(str_eq(cv_elem(v, 1), "(2,2),(1,1)"));

	/* bytea[]: "\\x0102" decoded */
	CU_ASSERT_EQUAL_FATAL(
		cv(OID_BYTEA_ARRAY, -1, "{\"\\\\x0102\",NULL,\"\\\\x\"}"), 0);
	v = cv_val();
	CU_ASSERT_EQUAL_FATAL(v->u.a.n, 3);
	CU_ASSERT_EQUAL(cv_elem(v, 0)->kind, RC_V_SET);
	CU_ASSERT(bytes_eq(cv_elem(v, 0), "\x01\x02", 2));
	CU_ASSERT_EQUAL(cv_elem(v, 1)->kind, RC_V_NULL);
	CU_ASSERT_EQUAL(cv_elem(v, 2)->u.s.len, 0);
	expect_bad(OID_BYTEA_ARRAY, -1, "{\"\\\\x010\"}");

	/* numeric(10,2)[] with NaN and infinities */
	CU_ASSERT_EQUAL_FATAL(cv(OID_NUMERIC_ARRAY, numeric_typmod(10, 2),
				 "{NaN,1.5,-Infinity,-0.05}"),
			      0);
	v = cv_val();
	CU_ASSERT_EQUAL_FATAL(v->u.a.n, 4);
	CU_ASSERT_EQUAL(cv_elem(v, 0)->kind, RC_V_TEXT);
	CU_ASSERT(str_eq(cv_elem(v, 0), "NaN"));
	CU_ASSERT_EQUAL(cv_elem(v, 1)->kind, RC_V_SET);
	CU_ASSERT(bytes_eq(cv_elem(v, 1), "\x00\x96", 2));
	CU_ASSERT_EQUAL(cv_elem(v, 2)->kind, RC_V_TEXT);
	CU_ASSERT(str_eq(cv_elem(v, 2), "-Infinity"));
	CU_ASSERT(bytes_eq(cv_elem(v, 3), "\xfb", 1));

	/* timestamptz[] elements are quoted (they hold a space) */
	CU_ASSERT_EQUAL_FATAL(cv(OID_TIMESTAMPTZ_ARRAY, -1,
				 "{\"2024-01-02 03:04:05+00\",NULL,infinity}"),
			      0);
	v = cv_val();
	CU_ASSERT_EQUAL_FATAL(v->u.a.n, 3);
	CU_ASSERT_EQUAL(cv_elem(v, 0)->u.i, 1704164645000000LL);
	CU_ASSERT_EQUAL(cv_elem(v, 1)->kind, RC_V_NULL);
	CU_ASSERT_EQUAL(cv_elem(v, 2)->u.i, INT64_MAX);

	CU_ASSERT_EQUAL_FATAL(cv(OID_DATE_ARRAY, -1,
				 "{2024-01-02,\"0044-03-15 "
				 "BC\"}"),
			      0);
	v = cv_val();
	CU_ASSERT_EQUAL(cv_elem(v, 0)->u.i, 19724);
	CU_ASSERT_EQUAL(cv_elem(v, 1)->u.i, -735160);

	CU_ASSERT_EQUAL_FATAL(cv(OID_FLOAT8_ARRAY, -1, "{NaN,-Infinity,1.5}"),
			      0);
	v = cv_val();
	CU_ASSERT(isnan(cv_elem(v, 0)->u.d));
	CU_ASSERT(cv_elem(v, 2)->u.d == 1.5);

	CU_ASSERT_EQUAL_FATAL(cv(OID_UUID_ARRAY, -1,
				 "{6f1c2b1e-8a7d-4d3e-9c2a-1b2c3d4e5f60,NULL}"),
			      0);
	CU_ASSERT(str_eq(cv_elem(cv_val(), 0),
			 "6f1c2b1e-8a7d-4d3e-9c2a-1b2c3d4e5f60"));
	expect_bad(OID_UUID_ARRAY, -1, "{6f1c2b1e}");

	CU_ASSERT_EQUAL_FATAL(cv(OID_MONEY_ARRAY, -1, "{\"$1,234.56\",-$0.50}"),
			      0);
	v = cv_val();
	CU_ASSERT(bytes_eq(cv_elem(v, 0), "\x01\xe2\x40", 3));
	CU_ASSERT(bytes_eq(cv_elem(v, 1), "\xce", 1));
}

/*
 * Many values into one event: every allocation may move the arena, so
 * every value must still read right at the end (offsets, not pointers).
 */
static void
test_array_arena_growth(void)
{
	enum { N = 5000 };
	static char lit[N * 24];
	struct rc_table *tbl = rc_table_new("s", "d", "public", "t", 3);
	struct rc_event *ev;
	struct pg_mapped mt, mi, mb;
	struct rc_value *v;
	char err[RC_ERRLEN], want[32];
	size_t k = 0;
	int64_t row;

	CU_ASSERT_FATAL(tbl != NULL);
	ev = rc_event_new('c', tbl);
	rc_table_unref(tbl);
	CU_ASSERT_FATAL(rc_event_alloc_row(ev, &row) == 0);
	/* text[] with quoted, escaped elements */
	lit[k++] = '{';
	for (int i = 0; i < N; i++)
		k += (size_t)snprintf(lit + k, sizeof(lit) - k, "%s\"e\\\\%d\"",
				      i ? "," : "", i);
	lit[k++] = '}';
	pg_map_type(OID_TEXT_ARRAY, -1, NULL, NULL, &mt);
	CU_ASSERT_EQUAL_FATAL(
		pg_convert_text(ev, row, 0, &mt, lit, k, err, sizeof(err)), 0);
	/* int8[] */
	k = 0;
	lit[k++] = '{';
	for (int i = 0; i < N; i++)
		k += (size_t)snprintf(lit + k, sizeof(lit) - k, "%s%d",
				      i ? "," : "", i * 7);
	lit[k++] = '}';
	pg_map_type(1016, -1, NULL, NULL, &mi);
	CU_ASSERT_EQUAL_FATAL(
		pg_convert_text(ev, row, 1, &mi, lit, k, err, sizeof(err)), 0);
	/* bytea */
	pg_map_type(OID_BYTEA, -1, NULL, NULL, &mb);
	CU_ASSERT_EQUAL_FATAL(pg_convert_text(ev, row, 2, &mb, "\\xcafe", 6,
					      err, sizeof(err)),
			      0);

	v = rc_event_row(ev, row);
	CU_ASSERT_EQUAL_FATAL(v[0].u.a.n, N);
	CU_ASSERT_EQUAL_FATAL(v[1].u.a.n, N);
	for (int i = 0; i < N; i++) {
		const struct rc_value *e =
			(struct rc_value *)rc_event_ptr(ev, v[0].u.a.off) + i;
		const struct rc_value *x =
			(struct rc_value *)rc_event_ptr(ev, v[1].u.a.off) + i;
		int n = snprintf(want, sizeof(want), "e\\%d", i);

		CU_ASSERT(e->u.s.len == (uint32_t)n &&
			  memcmp(rc_value_bytes(ev, e), want, (size_t)n) == 0);
		CU_ASSERT_EQUAL(x->u.i, (int64_t)i * 7);
	}
	CU_ASSERT(v[2].u.s.len == 2 &&
		  memcmp(rc_value_bytes(ev, &v[2]), "\xca\xfe", 2) == 0);
	rc_event_free(ev);
}

static void
test_error_messages(void)
{
	CU_ASSERT_EQUAL(cv(OID_DATE, -1, "2024-13-01"), -1);
	CU_ASSERT_STRING_EQUAL(cv_err, "bad date '2024-13-01': month out of "
				       "range");
	CU_ASSERT_EQUAL(cv(OID_NUMERIC, numeric_typmod(12, 2), "1.234"), -1);
	CU_ASSERT_STRING_EQUAL(cv_err, "bad numeric '1.234': more fraction "
				       "digits than the column's scale");
	/* long values are cut in the message */
	{
		char big[300];

		memset(big, '7', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		CU_ASSERT_EQUAL(cv(OID_INT4, -1, big), -1);
		CU_ASSERT(strlen(cv_err) < 200);
		CU_ASSERT(strstr(cv_err, "...") != NULL);
	}
}

/* ------------------------------------------------------------------ */
/* Binary values                                                      */
/* ------------------------------------------------------------------ */

/* A catalog row of a type that is not built in, as the server had it. */
struct bin_desc {
	uint32_t oid;
	char typtype;
	uint32_t basetype;
	int32_t basetypmod;
	uint32_t elem;
	char delim;
	const char *name, *send_src, *out_src;
};

/* One value: the column's type and typmod, its text form and its binary
 * form (hex) as pgoutput sent them. */
struct bin_vec {
	uint32_t oid;
	int32_t typmod;
	const char *text;
	size_t tlen;
	const char *hex;
};

#define BV(oid, typmod, text, hex)                                             \
	{                                                                      \
		oid, typmod, text, sizeof(text) - 1, hex                       \
	}
#include "pgbinary_vectors.inc"
#undef BV

static int
vec_lookup(void *ctx, uint32_t oid, struct pg_type_desc *desc)
{
	for (const struct bin_desc *d = bin_descs; d->oid; d++) {
		if (d->oid != oid)
			continue;
		memset(desc, 0, sizeof(*desc));
		desc->typtype = d->typtype;
		desc->basetype = d->basetype;
		desc->basetypmod = d->basetypmod;
		desc->elem = d->elem;
		desc->delim = d->delim;
		snprintf(desc->name, sizeof(desc->name), "%s", d->name);
		snprintf(desc->send_src, sizeof(desc->send_src), "%s",
			 d->send_src);
		snprintf(desc->out_src, sizeof(desc->out_src), "%s",
			 d->out_src);
		return 0;
	}
	return fake_lookup(ctx, oid, desc);
}

/* hex into a malloc'd buffer of exactly the bytes (so ASan sees any read
 * past them). */
static unsigned char *
unhex(const char *hex, size_t *n)
{
	size_t len = strlen(hex) / 2;
	unsigned char *p = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		sscanf(hex + 2 * i, "%2hhx", &p[i]);
	*n = len;
	return p;
}

static struct rc_event *
one_col_event(int64_t *row)
{
	struct rc_table *tbl = rc_table_new("src", "db", "public", "t", 1);
	struct rc_event *ev;

	CU_ASSERT_FATAL(tbl != NULL);
	ev = rc_event_new('c', tbl);
	rc_table_unref(tbl);
	CU_ASSERT_FATAL(ev != NULL);
	CU_ASSERT_FATAL(rc_event_alloc_row(ev, row) == 0);
	return ev;
}

/* Same value? Same kind, same payload; floats bit for bit. */
static int
val_eq(const struct rc_event *a, const struct rc_value *va,
       const struct rc_event *b, const struct rc_value *vb, enum rc_type type,
       enum rc_type elem)
{
	if (va->kind != vb->kind)
		return 0;
	if (va->kind == RC_V_NULL || va->kind == RC_V_UNCHANGED)
		return 1;
	if (va->kind == RC_V_TEXT)
		type = RC_T_STRING;
	switch (type) {
	case RC_T_BOOLEAN:
	case RC_T_INT32:
	case RC_T_INT64:
	case RC_T_DATE:
	case RC_T_TIME_MICROS:
	case RC_T_TIMESTAMP_MICROS:
	case RC_T_LOCAL_TIMESTAMP_MICROS:
		return va->u.i == vb->u.i;
	case RC_T_FLOAT:
		return memcmp(&va->u.f, &vb->u.f, sizeof(float)) == 0;
	case RC_T_DOUBLE:
		return memcmp(&va->u.d, &vb->u.d, sizeof(double)) == 0;
	case RC_T_ARRAY:
		if (va->u.a.n != vb->u.a.n)
			return 0;
		for (uint32_t k = 0; k < va->u.a.n; k++)
			if (!val_eq(a,
				    (struct rc_value *)rc_event_ptr(
					    a, va->u.a.off) +
					    k,
				    b,
				    (struct rc_value *)rc_event_ptr(
					    b, vb->u.a.off) +
					    k,
				    elem, elem))
				return 0;
		return 1;
	default:
		return va->u.s.len == vb->u.s.len &&
		       memcmp(rc_value_bytes(a, va), rc_value_bytes(b, vb),
			      va->u.s.len) == 0;
	}
}

/*
 * Every captured value: the binary converter makes exactly what the text
 * converter makes (both fail on the same values: a long cannot hold
 * them).
 */
static void
test_binary_vectors(void)
{
	size_t nvec = sizeof(bin_vecs) / sizeof(bin_vecs[0]);
	int both_failed = 0, texts = 0, arrays = 0;

	CU_ASSERT(nvec > 300);
	for (size_t i = 0; i < nvec; i++) {
		const struct bin_vec *bv = &bin_vecs[i];
		char terr[RC_ERRLEN] = "", berr[RC_ERRLEN] = "";
		struct rc_event *et, *eb;
		int64_t rt, rb;
		struct pg_mapped m;
		unsigned char *bin;
		size_t blen;
		int rct, rcb, same;

		pg_map_type(bv->oid, bv->typmod, vec_lookup, &lookups, &m);
		CU_ASSERT(pg_binary_ok(&m));
		bin = unhex(bv->hex, &blen);
		et = one_col_event(&rt);
		eb = one_col_event(&rb);
		rct = pg_convert_text(et, rt, 0, &m, bv->text, bv->tlen, terr,
				      sizeof(terr));
		rcb = pg_convert_binary(eb, rb, 0, &m, (const char *)bin, blen,
					berr, sizeof(berr));
		CU_ASSERT_EQUAL(rct, rcb);
		same = rct == rcb &&
		       (rct != 0 ||
			val_eq(et, rc_event_row(et, rt), eb,
			       rc_event_row(eb, rb), m.type, m.elem_type));
		CU_ASSERT(same);
		if (!same)
			fprintf(stderr,
				"\n    %s (oid %u typmod %d) '%.*s': text %d "
				"%s / binary %d %s\n",
				m.db_type, bv->oid, bv->typmod,
				(int)(bv->tlen > 100 ? 100 : bv->tlen),
				bv->text, rct, terr, rcb, berr);
		if (rct && rcb) {
			both_failed++;
			CU_ASSERT(strncmp(berr, "bad ", 4) == 0);
		}
		if (!rct && rc_event_row(et, rt)->kind == RC_V_TEXT)
			texts++;
		if (!rct && m.type == RC_T_ARRAY &&
		    rc_event_row(et, rt)->kind == RC_V_SET)
			arrays++;
		rc_event_free(et);
		rc_event_free(eb);
		free(bin);
	}
	/* xid8 above INT64_MAX (2), timestamp 294276 AD, timestamptz at
	 * INT64_MAX micros since 1970 */
	CU_ASSERT_EQUAL(both_failed, 4);
	CU_ASSERT(texts > 40); /* NaN decimals, multi-dimensional arrays */
	CU_ASSERT(arrays > 20);
}

/* Decoders whose every shorter or longer input is an error (the others
 * -- text, bytea, json -- take any bytes). */
static int
structured(const struct pg_mapped *m)
{
	return m->bin != PG_BIN_TEXT && m->bin != PG_BIN_BYTEA &&
	       m->bin != PG_BIN_JSONB && m->bin != PG_BIN_JSONPATH;
}

/*
 * Each captured value cut short and grown by a byte: a clean error (or,
 * for free-form bytes, a value), never a read past the end; the buffers
 * are malloc'd to the byte so a sanitizer build catches any overread.
 */
static void
test_binary_truncated(void)
{
	size_t nvec = sizeof(bin_vecs) / sizeof(bin_vecs[0]);
	char err[RC_ERRLEN];

	for (size_t i = 0; i < nvec; i++) {
		const struct bin_vec *bv = &bin_vecs[i];
		struct pg_mapped m;
		unsigned char *bin, *buf;
		size_t blen;

		pg_map_type(bv->oid, bv->typmod, vec_lookup, &lookups, &m);
		bin = unhex(bv->hex, &blen);
		for (size_t n = 0; n <= blen; n++) {
			struct rc_event *ev;
			int64_t row;
			int rc;

			/* big values: the first and last few lengths (a
			 * 2-dimensional float array takes a while to print) */
			size_t edge = blen > 4096 ? 4 : 40;

			if (n > edge && n + edge < blen)
				n = blen - edge;
			buf = malloc(n + 1);
			memcpy(buf, bin, n < blen ? n : blen);
			if (n == blen) /* one byte too many */
				buf[n] = 0;
			ev = one_col_event(&row);
			rc = pg_convert_binary(
				ev, row, 0, &m, (const char *)buf,
				n == blen ? n + 1 : n, err, sizeof(err));
			if (structured(&m)) {
				CU_ASSERT_EQUAL(rc, -1);
				if (rc != -1)
					fprintf(stderr,
						"\n    %s '%.*s': %zu of %zu "
						"bytes accepted\n",
						m.db_type, (int)bv->tlen,
						bv->text, n, blen);
			}
			if (rc)
				CU_ASSERT(strncmp(err, "bad ", 4) == 0);
			rc_event_free(ev);
			free(buf);
		}
		free(bin);
	}
}

/* Convert hand-made binary bytes (hex) for (oid, typmod). */
static int
cvb(uint32_t oid, int32_t typmod, const char *hex)
{
	unsigned char *bin;
	size_t n;
	int rc;

	cv_reset();
	pg_map_type(oid, typmod, vec_lookup, &lookups, &cv_m);
	bin = unhex(hex, &n);
	rc = pg_convert_binary(cv_ev, cv_row, 0, &cv_m, (const char *)bin, n,
			       cv_err, sizeof(cv_err));
	free(bin);
	return rc;
}

/* Bytes no server sends: refused with a message, nothing read past the
 * end. */
static void
test_binary_bad(void)
{
	static const struct {
		uint32_t oid;
		const char *hex;
	} cases[] = {
		{OID_BOOL, "02"},
		{OID_BOOL, ""},
		{OID_INT4, "000000"},
		{OID_INT8, "00000000000000000000"},
		{OID_XID8, "8000000000000000"},
		/* numeric: bad sign, digit 10000, dscale bits, counts */
		{OID_NUMERIC, "0000000012340000"},
		{OID_NUMERIC, "0001000000000000"
			      "2710"},
		{OID_NUMERIC, "000000000000c000"},
		{OID_NUMERIC, "0002000000000000"
			      "0001"},
		{OID_NUMERIC, "8000000000000000"},
		{OID_NUMERIC, "00000000000000"},
		{OID_DATE, "7ffffffe"}, /* beyond int32 days since 1970 */
		{OID_TIME, "ffffffffffffffff"},
		{OID_TIME, "000000141dd76001"}, /* 24:00:00.000001 */
		{OID_TIMESTAMPTZ, "7fffffffffffff00"},
		{OID_UUID, "00112233445566778899aabbccddee"},
		{OID_JSONB, "027b7d"},
		{OID_JSONB, ""},
		{869, "04200004c0a80001"}, /* family 4 */
		{869, "02210004c0a80001"}, /* 33 bits */
		{869, "0220000400"},	   /* short address */
		{1560, "00000009ff"},	   /* 9 bits in 1 byte */
		{1560, "ffffffff"},	   /* negative count */
		{OID_INTERVAL, "00"},
		{1266, "0000000000000000"
		       "0001ffff"}, /* zone 37 h */
		{1266, "0000000000000000"
		       "0000e100"}, /* zone 16 h */
		{OID_CHAR, "6162"},
		/* arrays: 7 dimensions, flags 2, negative size, element
		 * length -2, 2^32 elements, upper bound overflow, an
		 * element past the end, trailing bytes */
		{OID_INT4_ARRAY, "00000007000000000000001700000001"},
		{OID_INT4_ARRAY, "000000010000000200000017"
				 "0000000100000001"
				 "0000000400000001"},
		{OID_INT4_ARRAY, "000000010000000000000017"
				 "ffffffff00000001"},
		{OID_INT4_ARRAY, "000000010000000000000017"
				 "0000000100000001"
				 "fffffffe"},
		{OID_INT4_ARRAY, "000000020000000000000017"
				 "0001000000000001"
				 "0001000000000001"},
		{OID_INT4_ARRAY, "000000010000000000000017"
				 "000000027fffffff"
				 "0000000400000001"
				 "0000000400000002"},
		{OID_INT4_ARRAY, "000000010000000000000017"
				 "0000000100000001"
				 "00000008000000ff"},
		{OID_INT4_ARRAY, "000000010000000000000017"
				 "0000000100000001"
				 "0000000400000001"
				 "00"},
		{OID_INT4_ARRAY, "000000010000000000000017"
				 "0000000100000001"
				 "0000000200ff"},
		{OID_INT4_ARRAY, "0000000000000000"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = cvb(cases[i].oid, -1, cases[i].hex);

		CU_ASSERT_EQUAL(rc, -1);
		if (rc != -1)
			fprintf(stderr, "\n    %u %s was accepted\n",
				cases[i].oid, cases[i].hex);
		CU_ASSERT(strncmp(cv_err, "bad ", 4) == 0);
	}
	/* a numeric too long for numeric(12,2) */
	CU_ASSERT_EQUAL(cvb(OID_NUMERIC, numeric_typmod(12, 2),
			    "0001"
			    "0400"
			    "0000"
			    "0000"
			    "0001"),
			-1);
	CU_ASSERT_STRING_EQUAL(cv_err, "bad numeric (binary, 10 bytes): more "
				       "digits than the column's precision");
	CU_ASSERT_EQUAL(cvb(OID_NUMERIC, numeric_typmod(12, 2),
			    "0001"
			    "0000"
			    "0000"
			    "0003"
			    "0001"),
			-1);
	CU_ASSERT_STRING_EQUAL(cv_err, "bad numeric (binary, 10 bytes): more "
				       "fraction digits than the column's "
				       "scale");
	CU_ASSERT_EQUAL(cvb(OID_NUMERIC, numeric_typmod(3, 0),
			    "0001"
			    "0000"
			    "0000"
			    "0000"
			    "2710" /* bad */),
			-1);
	CU_ASSERT_EQUAL(cvb(OID_NUMERIC, numeric_typmod(3, 0),
			    "0001"
			    "0000"
			    "0000"
			    "0000"
			    "03e8"),
			-1);
	CU_ASSERT_STRING_EQUAL(cv_err, "bad numeric '1000': more digits than "
				       "the column's precision");
	/* an empty 0-dimensional array, and one with a zero dimension */
	CU_ASSERT_EQUAL(cvb(OID_INT4_ARRAY, -1, "000000000000000000000017"), 0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
	CU_ASSERT_EQUAL(cv_val()->u.a.n, 0);
	CU_ASSERT_EQUAL(cvb(OID_INT4_ARRAY, -1,
			    "000000020000000000000017"
			    "0000000000000001"
			    "0000000300000005"),
			0);
	CU_ASSERT_EQUAL(cv_val()->kind, RC_V_SET);
	CU_ASSERT_EQUAL(cv_val()->u.a.n, 0);
	/* float NaNs of any payload are the NaN strtod reads */
	CU_ASSERT_EQUAL(cvb(OID_FLOAT8, -1, "fff8000000000001"), 0);
	CU_ASSERT(isnan(cv_val()->u.d) && !signbit(cv_val()->u.d));
	CU_ASSERT_EQUAL(cvb(OID_FLOAT4, -1, "ffc00001"), 0);
	CU_ASSERT(isnan(cv_val()->u.f) && !signbit(cv_val()->u.f));
	/* timetz at the zone limit: 15:59:59 west */
	CU_ASSERT_EQUAL(cvb(1266, -1,
			    "0000000000000000"
			    "0000e0ff"),
			0);
	CU_ASSERT(str_eq(cv_val(), "00:00:00-15:59:59"));
	/* the largest numeric: 32768 base-10000 digits before the point
	 * (ndigits above 0x7fff), 131072 decimal digits */
	{
		static char hex[16 + 4 * 32769 + 1];
		const struct rc_value *v;
		const char *t;

		memcpy(hex,
		       "8000"
		       "7fff"
		       "0000"
		       "0000",
		       16);
		for (int k = 0; k < 32768; k++)
			memcpy(hex + 16 + 4 * k, "270f", 4);
		hex[16 + 4 * 32768] = 0;
		CU_ASSERT_EQUAL_FATAL(cvb(OID_NUMERIC, -1, hex), 0);
		v = cv_val();
		t = rc_value_bytes(cv_ev, v);
		CU_ASSERT_EQUAL(v->u.s.len, 131072);
		CU_ASSERT(t[0] == '9' && t[131071] == '9' &&
			  memchr(t, '.', v->u.s.len) == NULL);
	}
	/* PostgreSQL 17's infinite intervals */
	CU_ASSERT_EQUAL(
		cvb(OID_INTERVAL, -1, "7fffffffffffffff7fffffff7fffffff"), 0);
	CU_ASSERT(str_eq(cv_val(), "infinity"));
	CU_ASSERT_EQUAL(
		cvb(OID_INTERVAL, -1, "80000000000000008000000080000000"), 0);
	CU_ASSERT(str_eq(cv_val(), "-infinity"));
}

/* Which columns can be read in binary. */
static void
test_binary_ok(void)
{
	static const uint32_t no[] = {
		22,   24,   27,	  30,	600,  601,  602,  603,	604,   628,
		718,  1033, 2202, 2205, 2206, 2970, 3614, 3615, 3734,  3904,
		3906, 4451, 5038, 1017, 1020, 1006, 2210, 3905, 16385,
	};
	static const uint32_t yes[] = {
		16,   17,   18,	  19,	20,   21,   23,	  25,	26,   28,
		29,   114,  142,  650,	700,  701,  774,  790,	829,  869,
		1042, 1043, 1082, 1083, 1114, 1184, 1186, 1266, 1560, 1562,
		1700, 1790, 2950, 3220, 3802, 4072, 5069, 1000, 1007, 1009,
		1231, 1185, 3807, 1187, 199,  271,  651,  791,	1002, 1041,
	};
	struct pg_mapped m;
	char err[RC_ERRLEN];
	int64_t row;
	struct rc_event *ev;

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		pg_map_type(no[i], -1, NULL, NULL, &m);
		CU_ASSERT(!pg_binary_ok(&m));
		if (pg_binary_ok(&m))
			fprintf(stderr, "\n    %u is binary ok\n", no[i]);
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		pg_map_type(yes[i], -1, NULL, NULL, &m);
		CU_ASSERT(pg_binary_ok(&m));
		if (!pg_binary_ok(&m))
			fprintf(stderr, "\n    %u is not binary ok\n", yes[i]);
	}
	/* through the catalog: enum, domain, enum[], domain over domain,
	 * domain over an array, price[], ts: yes; composite, an extension
	 * type, a lying catalog, no catalog: no */
	for (uint32_t oid = 50000; oid <= 50010; oid++) {
		int want = oid != 50005 && oid != 50006 && oid != 50009;

		pg_map_type(oid, -1, fake_lookup, &lookups, &m);
		CU_ASSERT_EQUAL(pg_binary_ok(&m), want);
	}
	pg_map_type(60000, -1, fake_lookup, &lookups, &m);
	CU_ASSERT(!pg_binary_ok(&m));
	/* the text send function is not enough: the output must be text's
	 * too */
	for (const struct bin_desc *d = bin_descs; d->oid; d++) {
		pg_map_type(d->oid, -1, vec_lookup, &lookups, &m);
		CU_ASSERT(pg_binary_ok(&m));
	}
	pg_map_type(OID_INT4RANGE, -1, NULL, NULL, &m);
	ev = one_col_event(&row);
	CU_ASSERT_EQUAL(
		pg_convert_binary(ev, row, 0, &m, "\x01", 1, err, sizeof(err)),
		-1);
	CU_ASSERT_STRING_EQUAL(err, "bad value (binary, 1 bytes): no binary "
				    "decoder for this type");
	rc_event_free(ev);
}

static void
test_cleanup(void)
{
	rc_event_free(cv_ev);
	cv_ev = NULL;
}

/* The snapshot's cursor from binary key values equals what ::text gives. */
static void
test_key_binary_text(void)
{
	static const unsigned char i2[] = {0xff, 0xfe},
				   i4[] = {0x7f, 0xff, 0xff, 0xff},
				   i8[] = {0x80, 0, 0, 0, 0, 0, 0, 0},
				   i8b[] = {0, 0, 0, 0, 0, 0x0f, 0x42, 0x40},
				   txt[] = "k\xc3\xa9y", nul[] = {'a', 0, 'b'};
	char out[24];

	CU_ASSERT(pg_key_binary_ok(20) && pg_key_binary_ok(21) &&
		  pg_key_binary_ok(23));
	CU_ASSERT(pg_key_binary_ok(25) && pg_key_binary_ok(1043));
	CU_ASSERT(!pg_key_binary_ok(2950) && !pg_key_binary_ok(1042) &&
		  !pg_key_binary_ok(1700));
	CU_ASSERT_EQUAL(pg_key_binary_text(21, i2, 2, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "-2");
	CU_ASSERT_EQUAL(pg_key_binary_text(23, i4, 4, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "2147483647");
	CU_ASSERT_EQUAL(pg_key_binary_text(20, i8, 8, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "-9223372036854775808");
	CU_ASSERT_EQUAL(pg_key_binary_text(20, i8b, 8, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "1000000");
	CU_ASSERT_EQUAL(pg_key_binary_text(25, txt, 4, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "k\xc3\xa9y");
	/* wrong lengths, embedded NUL, too long, other types */
	CU_ASSERT_EQUAL(pg_key_binary_text(23, i8, 8, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(pg_key_binary_text(20, i4, 4, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(pg_key_binary_text(1043, nul, 3, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(pg_key_binary_text(25, txt, 4, out, 4), -1);
	CU_ASSERT_EQUAL(pg_key_binary_text(2950, i8, 8, out, sizeof(out)), -1);
}

static const struct cu_test tests[] = {
	{"table", test_table},
	{"map_every_builtin", test_map_every_builtin},
	{"map_typmod", test_map_typmod},
	{"map_lookup", test_map_lookup},
	{"conv_int", test_conv_int},
	{"conv_bool", test_conv_bool},
	{"conv_float", test_conv_float},
	{"conv_numeric", test_conv_numeric},
	{"conv_numeric_huge", test_conv_numeric_huge},
	{"conv_money", test_conv_money},
	{"conv_bytea", test_conv_bytea},
	{"conv_date", test_conv_date},
	{"conv_time", test_conv_time},
	{"conv_timestamp", test_conv_timestamp},
	{"conv_timestamptz", test_conv_timestamptz},
	{"conv_text_types", test_conv_text_types},
	{"array_basic", test_array_basic},
	{"array_text_quoting", test_array_text_quoting},
	{"array_typed", test_array_typed},
	{"array_arena_growth", test_array_arena_growth},
	{"error_messages", test_error_messages},
	{"binary_vectors", test_binary_vectors},
	{"binary_truncated", test_binary_truncated},
	{"binary_bad", test_binary_bad},
	{"binary_ok", test_binary_ok},
	{"key_binary_text", test_key_binary_text},
	{"cleanup", test_cleanup},
	{NULL, NULL},
};

CU_MAIN("pgtypes", tests)
