/*
 * pg_types.c -- PostgreSQL types onto rowcast's types, and the text or
 * binary output of pgoutput into typed values (see pg_types.h).
 *
 * The file has six parts: the type table (every built-in type a user can
 * put in a table, sorted by OID), the mapping of a column's type and
 * typmod onto a struct pg_mapped, the scalar parsers (hand-written: this
 * runs for every column of every row), the array literal parser, the
 * binary (send format) decoders, and the text output functions the binary
 * decoders need where the value rowcast keeps is PostgreSQL's text.
 *
 * The text forms parsed here are PostgreSQL's output functions under the
 * session settings of pg_types.h (DateStyle=ISO, TimeZone=UTC,
 * IntervalStyle=iso_8601, bytea_output=hex, lc_monetary=C). Offsets other
 * than +00 are still applied correctly, so a session that missed TimeZone
 * cannot shift a timestamp.
 */
#include "pg_types.h"

#include "calendar.h"
#include "limits.h"
#include "reader.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* The type table                                                     */
/* ------------------------------------------------------------------ */

#define S(oid, typname, name, type, conv, note)                                \
	{                                                                      \
		oid, name, RC_T_##type, PG_CONV_##conv, 0, note, typname       \
	}
#define TXT(oid, typname, name)                                                \
	S(oid, typname, name, STRING, TEXT, "text form as sent")
#define ARRAY_NOTE                                                             \
	"array of the element's mapping; multi-dimensional or with bounds: "   \
	"text"
#define ARR(oid, typname, name, elem)                                          \
	{                                                                      \
		oid, name, RC_T_ARRAY, PG_CONV_ARRAY, elem, ARRAY_NOTE,        \
			typname                                                \
	}

const struct pg_builtin_type pg_builtin_types[] = {
	S(16, "bool", "boolean", BOOLEAN, BOOL, "boolean"),
	S(17, "bytea", "bytea", BYTES, BYTEA, "bytes (hex output decoded)"),
	TXT(18, "char", "\"char\""),
	TXT(19, "name", "name"),
	S(20, "int8", "bigint", INT64, INT64, "long"),
	S(21, "int2", "smallint", INT32, INT32, "int"),
	TXT(22, "int2vector", "int2vector"),
	S(23, "int4", "integer", INT32, INT32, "int"),
	TXT(24, "regproc", "regproc"),
	TXT(25, "text", "text"),
	S(26, "oid", "oid", INT64, INT64, "long (unsigned 32-bit)"),
	TXT(27, "tid", "tid"),
	S(28, "xid", "xid", INT64, INT64, "long (unsigned 32-bit)"),
	S(29, "cid", "cid", INT64, INT64, "long (unsigned 32-bit)"),
	TXT(30, "oidvector", "oidvector"),
	S(114, "json", "json", JSON, JSON, "string holding JSON, as sent"),
	TXT(142, "xml", "xml"),
	ARR(143, "_xml", "xml[]", 142),
	ARR(199, "_json", "json[]", 114),
	ARR(271, "_xid8", "xid8[]", 5069),
	TXT(600, "point", "point"),
	TXT(601, "lseg", "lseg"),
	TXT(602, "path", "path"),
	TXT(603, "box", "box"),
	TXT(604, "polygon", "polygon"),
	TXT(628, "line", "line"),
	ARR(629, "_line", "line[]", 628),
	TXT(650, "cidr", "cidr"),
	ARR(651, "_cidr", "cidr[]", 650),
	S(700, "float4", "real", FLOAT, FLOAT4, "float; NaN, +/-Infinity kept"),
	S(701, "float8", "double precision", DOUBLE, FLOAT8,
	  "double; NaN, +/-Infinity kept"),
	TXT(718, "circle", "circle"),
	ARR(719, "_circle", "circle[]", 718),
	TXT(774, "macaddr8", "macaddr8"),
	ARR(775, "_macaddr8", "macaddr8[]", 774),
	S(790, "money", "money", DECIMAL, MONEY,
	  "decimal(19,2) (lc_monetary=C output)"),
	ARR(791, "_money", "money[]", 790),
	TXT(829, "macaddr", "macaddr"),
	TXT(869, "inet", "inet"),
	ARR(1000, "_bool", "boolean[]", 16),
	ARR(1001, "_bytea", "bytea[]", 17),
	ARR(1002, "_char", "\"char\"[]", 18),
	ARR(1003, "_name", "name[]", 19),
	ARR(1005, "_int2", "smallint[]", 21),
	ARR(1006, "_int2vector", "int2vector[]", 22),
	ARR(1007, "_int4", "integer[]", 23),
	ARR(1008, "_regproc", "regproc[]", 24),
	ARR(1009, "_text", "text[]", 25),
	ARR(1010, "_tid", "tid[]", 27),
	ARR(1011, "_xid", "xid[]", 28),
	ARR(1012, "_cid", "cid[]", 29),
	ARR(1013, "_oidvector", "oidvector[]", 30),
	ARR(1014, "_bpchar", "character[]", 1042),
	ARR(1015, "_varchar", "character varying[]", 1043),
	ARR(1016, "_int8", "bigint[]", 20),
	ARR(1017, "_point", "point[]", 600),
	ARR(1018, "_lseg", "lseg[]", 601),
	ARR(1019, "_path", "path[]", 602),
	ARR(1020, "_box", "box[]", 603),
	ARR(1021, "_float4", "real[]", 700),
	ARR(1022, "_float8", "double precision[]", 701),
	ARR(1027, "_polygon", "polygon[]", 604),
	ARR(1028, "_oid", "oid[]", 26),
	TXT(1033, "aclitem", "aclitem"),
	ARR(1034, "_aclitem", "aclitem[]", 1033),
	ARR(1040, "_macaddr", "macaddr[]", 829),
	ARR(1041, "_inet", "inet[]", 869),
	S(1042, "bpchar", "character", STRING, TEXT,
	  "text form as sent (blank-padded)"),
	TXT(1043, "varchar", "character varying"),
	S(1082, "date", "date", DATE, DATE,
	  "date; infinity/-infinity as int max/min"),
	S(1083, "time", "time without time zone", TIME_MICROS, TIME,
	  "time-micros (24:00:00 is 86400000000)"),
	S(1114, "timestamp", "timestamp without time zone",
	  LOCAL_TIMESTAMP_MICROS, TIMESTAMP,
	  "local-timestamp-micros; infinity/-infinity as long max/min"),
	ARR(1115, "_timestamp", "timestamp without time zone[]", 1114),
	ARR(1182, "_date", "date[]", 1082),
	ARR(1183, "_time", "time without time zone[]", 1083),
	S(1184, "timestamptz", "timestamp with time zone", TIMESTAMP_MICROS,
	  TIMESTAMPTZ,
	  "timestamp-micros (UTC); infinity/-infinity as long max/min"),
	ARR(1185, "_timestamptz", "timestamp with time zone[]", 1184),
	S(1186, "interval", "interval", STRING, TEXT,
	  "text form as sent (ISO 8601, e.g. P1Y2M3DT4H5M6S)"),
	ARR(1187, "_interval", "interval[]", 1186),
	ARR(1231, "_numeric", "numeric[]", 1700),
	TXT(1266, "timetz", "time with time zone"),
	ARR(1270, "_timetz", "time with time zone[]", 1266),
	TXT(1560, "bit", "bit"),
	ARR(1561, "_bit", "bit[]", 1560),
	TXT(1562, "varbit", "bit varying"),
	ARR(1563, "_varbit", "bit varying[]", 1562),
	S(1700, "numeric", "numeric", DECIMAL, NUMERIC,
	  "numeric(p,s): decimal(p,s), NaN/+-Infinity as text; "
	  "numeric: string, exact"),
	TXT(1790, "refcursor", "refcursor"),
	ARR(2201, "_refcursor", "refcursor[]", 1790),
	TXT(2202, "regprocedure", "regprocedure"),
	TXT(2203, "regoper", "regoper"),
	TXT(2204, "regoperator", "regoperator"),
	TXT(2205, "regclass", "regclass"),
	TXT(2206, "regtype", "regtype"),
	ARR(2207, "_regprocedure", "regprocedure[]", 2202),
	ARR(2208, "_regoper", "regoper[]", 2203),
	ARR(2209, "_regoperator", "regoperator[]", 2204),
	ARR(2210, "_regclass", "regclass[]", 2205),
	ARR(2211, "_regtype", "regtype[]", 2206),
	ARR(2949, "_txid_snapshot", "txid_snapshot[]", 2970),
	S(2950, "uuid", "uuid", UUID, UUID, "uuid"),
	ARR(2951, "_uuid", "uuid[]", 2950),
	TXT(2970, "txid_snapshot", "txid_snapshot"),
	TXT(3220, "pg_lsn", "pg_lsn"),
	ARR(3221, "_pg_lsn", "pg_lsn[]", 3220),
	TXT(3614, "tsvector", "tsvector"),
	TXT(3615, "tsquery", "tsquery"),
	ARR(3643, "_tsvector", "tsvector[]", 3614),
	ARR(3645, "_tsquery", "tsquery[]", 3615),
	TXT(3734, "regconfig", "regconfig"),
	ARR(3735, "_regconfig", "regconfig[]", 3734),
	TXT(3769, "regdictionary", "regdictionary"),
	ARR(3770, "_regdictionary", "regdictionary[]", 3769),
	S(3802, "jsonb", "jsonb", JSON, JSON, "string holding JSON, as sent"),
	ARR(3807, "_jsonb", "jsonb[]", 3802),
	TXT(3904, "int4range", "int4range"),
	ARR(3905, "_int4range", "int4range[]", 3904),
	TXT(3906, "numrange", "numrange"),
	ARR(3907, "_numrange", "numrange[]", 3906),
	TXT(3908, "tsrange", "tsrange"),
	ARR(3909, "_tsrange", "tsrange[]", 3908),
	TXT(3910, "tstzrange", "tstzrange"),
	ARR(3911, "_tstzrange", "tstzrange[]", 3910),
	TXT(3912, "daterange", "daterange"),
	ARR(3913, "_daterange", "daterange[]", 3912),
	TXT(3926, "int8range", "int8range"),
	ARR(3927, "_int8range", "int8range[]", 3926),
	TXT(4072, "jsonpath", "jsonpath"),
	ARR(4073, "_jsonpath", "jsonpath[]", 4072),
	TXT(4089, "regnamespace", "regnamespace"),
	ARR(4090, "_regnamespace", "regnamespace[]", 4089),
	TXT(4096, "regrole", "regrole"),
	ARR(4097, "_regrole", "regrole[]", 4096),
	TXT(4191, "regcollation", "regcollation"),
	ARR(4192, "_regcollation", "regcollation[]", 4191),
	TXT(4451, "int4multirange", "int4multirange"),
	TXT(4532, "nummultirange", "nummultirange"),
	TXT(4533, "tsmultirange", "tsmultirange"),
	TXT(4534, "tstzmultirange", "tstzmultirange"),
	TXT(4535, "datemultirange", "datemultirange"),
	TXT(4536, "int8multirange", "int8multirange"),
	TXT(5038, "pg_snapshot", "pg_snapshot"),
	ARR(5039, "_pg_snapshot", "pg_snapshot[]", 5038),
	S(5069, "xid8", "xid8", INT64, INT64, "long"),
	ARR(6150, "_int4multirange", "int4multirange[]", 4451),
	ARR(6151, "_nummultirange", "nummultirange[]", 4532),
	ARR(6152, "_tsmultirange", "tsmultirange[]", 4533),
	ARR(6153, "_tstzmultirange", "tstzmultirange[]", 4534),
	ARR(6155, "_datemultirange", "datemultirange[]", 4535),
	ARR(6157, "_int8multirange", "int8multirange[]", 4536),
};

const size_t pg_builtin_types_count =
	sizeof(pg_builtin_types) / sizeof(pg_builtin_types[0]);

#undef S
#undef TXT
#undef ARR
#undef ARRAY_NOTE

const struct pg_builtin_type *
pg_builtin_type(uint32_t oid)
{
	size_t lo = 0, hi = pg_builtin_types_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pg_builtin_types[mid].oid == oid)
			return &pg_builtin_types[mid];
		if (pg_builtin_types[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Mapping a column's type                                            */
/* ------------------------------------------------------------------ */

#define PG_OID_BOX	   603
#define PG_OID_NUMERIC	   1700
#define PG_OID_MONEY	   790
#define PG_OID_BPCHAR	   1042
#define PG_OID_VARCHAR	   1043
#define PG_OID_TIME	   1083
#define PG_OID_TIMESTAMP   1114
#define PG_OID_TIMESTAMPTZ 1184
#define PG_OID_INTERVAL	   1186
#define PG_OID_TIMETZ	   1266
#define PG_OID_BIT	   1560
#define PG_OID_VARBIT	   1562

/* numeric(p,s): PostgreSQL allows 1 <= p <= 1000 and -1000 <= s <= 1000. */
#define PG_NUMERIC_MAX_PRECISION 1000
/* Digits of the largest unscaled value: numeric(1000,-1000). */
#define PG_DECIMAL_MAX_DIGITS 2000
/* Domain over domain over ...: deeper than this is carried as text. */
#define PG_MAP_MAX_DEPTH 16

/* interval typmod: range bits (datetime.h) and "full precision". */
#define ITV_MONTH	   (1 << 1)
#define ITV_YEAR	   (1 << 2)
#define ITV_DAY		   (1 << 3)
#define ITV_HOUR	   (1 << 10)
#define ITV_MINUTE	   (1 << 11)
#define ITV_SECOND	   (1 << 12)
#define ITV_FULL_RANGE	   0x7FFF
#define ITV_FULL_PRECISION 0xFFFF

static const struct {
	int mask;
	const char *text;
} interval_fields[] = {
	{ITV_YEAR, " year"},
	{ITV_MONTH, " month"},
	{ITV_DAY, " day"},
	{ITV_HOUR, " hour"},
	{ITV_MINUTE, " minute"},
	{ITV_SECOND, " second"},
	{ITV_YEAR | ITV_MONTH, " year to month"},
	{ITV_DAY | ITV_HOUR, " day to hour"},
	{ITV_DAY | ITV_HOUR | ITV_MINUTE, " day to minute"},
	{ITV_DAY | ITV_HOUR | ITV_MINUTE | ITV_SECOND, " day to second"},
	{ITV_HOUR | ITV_MINUTE, " hour to minute"},
	{ITV_HOUR | ITV_MINUTE | ITV_SECOND, " hour to second"},
	{ITV_MINUTE | ITV_SECOND, " minute to second"},
	{ITV_FULL_RANGE, ""},
};

/*
 * The scale of a numeric typmod. PostgreSQL 15 stores it in 11 bits,
 * signed (numeric(5,-2)); before 15 it was 0..precision, which reads the
 * same.
 */
static int
numeric_typmod_scale(int32_t typmod)
{
	return (int)((((uint32_t)typmod - 4) & 0x7ff) ^ 1024) - 1024;
}

static int
numeric_typmod_precision(int32_t typmod)
{
	return (int)((((uint32_t)typmod - 4) >> 16) & 0xffff);
}

/*
 * The name of a built-in type with its typmod, as format_type() prints it:
 * "numeric(12,2)", "character varying(20)", "time(3) without time zone",
 * "interval day to second(3)". A typmod the type does not use is ignored.
 */
static void
format_builtin(const struct pg_builtin_type *bt, int32_t typmod, char *out,
	       size_t outlen)
{
	const char *sp;

	switch (bt->oid) {
	case PG_OID_NUMERIC:
		if (typmod >= 4) {
			snprintf(out, outlen, "numeric(%d,%d)",
				 numeric_typmod_precision(typmod),
				 numeric_typmod_scale(typmod));
			return;
		}
		break;
	case PG_OID_BPCHAR:
		if (typmod >= 4)
			snprintf(out, outlen, "character(%d)", typmod - 4);
		else
			snprintf(out, outlen, "bpchar");
		return;
	case PG_OID_VARCHAR:
		if (typmod >= 4) {
			snprintf(out, outlen, "character varying(%d)",
				 typmod - 4);
			return;
		}
		break;
	case PG_OID_BIT:
	case PG_OID_VARBIT:
		if (typmod >= 0) {
			snprintf(out, outlen, "%s(%d)", bt->name, typmod);
			return;
		}
		break;
	case PG_OID_TIME:
	case PG_OID_TIMETZ:
	case PG_OID_TIMESTAMP:
	case PG_OID_TIMESTAMPTZ:
		sp = strchr(bt->name, ' ');
		if (typmod >= 0 && sp) {
			snprintf(out, outlen, "%.*s(%d)%s",
				 (int)(sp - bt->name), bt->name, typmod, sp);
			return;
		}
		break;
	case PG_OID_INTERVAL:
		if (typmod >= 0) {
			int range = (typmod >> 16) & 0x7FFF;
			int prec = typmod & 0xFFFF;
			const char *fields = "";
			char p[16] = "";

			for (size_t i = 0;
			     i < sizeof(interval_fields) /
					 sizeof(interval_fields[0]);
			     i++)
				if (interval_fields[i].mask == range)
					fields = interval_fields[i].text;
			if (prec != ITV_FULL_PRECISION)
				snprintf(p, sizeof(p), "(%d)", prec);
			snprintf(out, outlen, "interval%s%s", fields, p);
			return;
		}
		break;
	}
	snprintf(out, outlen, "%s", bt->name);
}

static void
map_text(struct pg_mapped *out)
{
	out->type = RC_T_STRING;
	out->conv = PG_CONV_TEXT;
	out->elem_type = RC_T_STRING;
	out->elem_conv = PG_CONV_TEXT;
	out->precision = 0;
	out->scale = 0;
	out->delim = ',';
	out->bin = PG_BIN_NONE;
	out->elem_bin = PG_BIN_NONE;
}

static enum pg_bin builtin_bin(uint32_t oid);
static int sends_text(const struct pg_type_desc *desc);

/*
 * A built-in scalar type with its typmod. numeric with a usable typmod is
 * a decimal: a negative scale becomes scale 0 with the precision widened
 * by the zeros it implies (numeric(5,-2) holds 7-digit integers), a scale
 * above the precision widens the precision (Avro requires s <= p).
 * numeric without typmod, or with one PostgreSQL could not have written,
 * is the exact text.
 */
static void
map_builtin_scalar(const struct pg_builtin_type *bt, int32_t typmod,
		   struct pg_mapped *out)
{
	map_text(out);
	out->type = bt->type;
	out->conv = bt->conv;
	out->bin = builtin_bin(bt->oid);
	if (bt->conv == PG_CONV_NUMERIC) {
		int p = numeric_typmod_precision(typmod);
		int s = numeric_typmod_scale(typmod);

		if (typmod < 4 || p < 1 || p > PG_NUMERIC_MAX_PRECISION ||
		    s < -PG_NUMERIC_MAX_PRECISION ||
		    s > PG_NUMERIC_MAX_PRECISION) {
			out->type = RC_T_STRING;
			out->conv = PG_CONV_NUMERIC_TEXT;
		} else if (s < 0) {
			out->precision = p - s;
			out->scale = 0;
		} else {
			out->precision = p > s ? p : s;
			out->scale = s;
		}
	} else if (bt->conv == PG_CONV_MONEY) {
		out->precision = 19;
		out->scale = 2;
	}
	format_builtin(bt, typmod, out->db_type, sizeof(out->db_type));
}

static void map_depth(uint32_t oid, int32_t typmod, pg_type_lookup_fn lookup,
		      void *ctx, struct pg_mapped *out, int depth);

/*
 * An array whose element is elem (typmod applies to the element, as in
 * pg_attribute). The element's mapping becomes elem_type/elem_conv; an
 * element that is itself an array (cannot happen in PostgreSQL) makes the
 * whole column text.
 */
static void
map_array(uint32_t elem, int32_t typmod, char delim, pg_type_lookup_fn lookup,
	  void *ctx, struct pg_mapped *out, int depth)
{
	struct pg_mapped em;

	map_depth(elem, typmod, lookup, ctx, &em, depth + 1);
	map_text(out);
	if (em.conv == PG_CONV_ARRAY) {
		snprintf(out->db_type, sizeof(out->db_type), "%s", em.db_type);
		return;
	}
	out->type = RC_T_ARRAY;
	out->conv = PG_CONV_ARRAY;
	out->elem_type = em.type;
	out->elem_conv = em.conv;
	out->precision = em.precision;
	out->scale = em.scale;
	out->delim = delim;
	if (em.bin != PG_BIN_NONE && em.bin != PG_BIN_ARRAY) {
		out->bin = PG_BIN_ARRAY;
		out->elem_bin = em.bin;
	}
	snprintf(out->db_type, sizeof(out->db_type), "%.*s[]",
		 (int)sizeof(out->db_type) - 3, em.db_type);
}

static void
map_depth(uint32_t oid, int32_t typmod, pg_type_lookup_fn lookup, void *ctx,
	  struct pg_mapped *out, int depth)
{
	const struct pg_builtin_type *bt = pg_builtin_type(oid);
	struct pg_type_desc desc;

	memset(out, 0, sizeof(*out));
	map_text(out);
	if (depth > PG_MAP_MAX_DEPTH) {
		snprintf(out->db_type, sizeof(out->db_type), "type %u", oid);
		return;
	}
	if (bt) {
		if (bt->elem)
			map_array(bt->elem, typmod,
				  bt->elem == PG_OID_BOX ? ';' : ',', lookup,
				  ctx, out, depth);
		else
			map_builtin_scalar(bt, typmod, out);
		return;
	}
	memset(&desc, 0, sizeof(desc));
	if (!lookup || lookup(ctx, oid, &desc) != 0) {
		snprintf(out->db_type, sizeof(out->db_type), "type %u", oid);
		return;
	}
	desc.name[sizeof(desc.name) - 1] = 0;
	desc.send_src[sizeof(desc.send_src) - 1] = 0;
	desc.out_src[sizeof(desc.out_src) - 1] = 0;
	if (desc.typtype == 'd')
		map_depth(desc.basetype, desc.basetypmod, lookup, ctx, out,
			  depth + 1);
	else if (desc.elem)
		map_array(desc.elem, typmod, desc.delim ? desc.delim : ',',
			  lookup, ctx, out, depth);
	else if (desc.typtype == 'e' || sends_text(&desc))
		out->bin = PG_BIN_TEXT; /* enum_send sends the label */
	/* enum, composite, range, multirange, extension base type: text */
	if (desc.name[0])
		snprintf(out->db_type, sizeof(out->db_type), "%s", desc.name);
	else if (!out->db_type[0])
		snprintf(out->db_type, sizeof(out->db_type), "type %u", oid);
}

void
pg_map_type(uint32_t oid, int32_t typmod, pg_type_lookup_fn lookup, void *ctx,
	    struct pg_mapped *out)
{
	map_depth(oid, typmod, lookup, ctx, out, 0);
}

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

static const char *const conv_names[PG_CONV__COUNT] = {
	[PG_CONV_TEXT] = "text",
	[PG_CONV_BOOL] = "boolean",
	[PG_CONV_INT32] = "integer",
	[PG_CONV_INT64] = "bigint",
	[PG_CONV_FLOAT4] = "real",
	[PG_CONV_FLOAT8] = "double precision",
	[PG_CONV_NUMERIC] = "numeric",
	[PG_CONV_NUMERIC_TEXT] = "numeric",
	[PG_CONV_MONEY] = "money",
	[PG_CONV_BYTEA] = "bytea",
	[PG_CONV_DATE] = "date",
	[PG_CONV_TIME] = "time",
	[PG_CONV_TIMESTAMP] = "timestamp",
	[PG_CONV_TIMESTAMPTZ] = "timestamptz",
	[PG_CONV_UUID] = "uuid",
	[PG_CONV_JSON] = "json",
	[PG_CONV_ARRAY] = "array",
};

/*
 * "bad <type> '<text>': <why>", with the text cut at 80 bytes so a huge
 * value does not flood the log. Always returns -1.
 */
static int
bad(char *err, size_t errlen, enum pg_conv conv, const char *s, size_t n,
    const char *why)
{
	const char *name = (unsigned)conv < PG_CONV__COUNT && conv_names[conv]
				   ? conv_names[conv]
				   : "value";

	if (err && errlen)
		snprintf(err, errlen, "bad %s '%.*s'%s: %s", name,
			 (int)(n > 80 ? 80 : n), s, n > 80 ? "..." : "", why);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Scalar parsers                                                     */
/* ------------------------------------------------------------------ */

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A decimal integer, optionally negative, the whole of s[0..n): exact over
 * the int64 range, -9223372036854775808 included. Returns 0 or -1.
 */
static int
parse_i64(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, lim = INT64_MAX;
	size_t i = 0;
	int neg = 0;

	if (n && s[0] == '-') {
		neg = 1;
		lim = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	if (i == n)
		return -1;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (int64_t)v;
	else if (v == (uint64_t)INT64_MAX + 1)
		*out = INT64_MIN;
	else
		*out = -(int64_t)v;
	return 0;
}

/* Exactly `digits` decimal digits at s[*pos]; advances *pos. */
static int
take_digits(const char *s, size_t n, size_t *pos, int digits, int *out)
{
	int v = 0;

	if (n - *pos < (size_t)digits)
		return -1;
	for (int i = 0; i < digits; i++) {
		char c = s[*pos + i];

		if (!is_digit(c))
			return -1;
		v = v * 10 + (c - '0');
	}
	*pos += (size_t)digits;
	*out = v;
	return 0;
}

/* A trailing " BC": strips it from *n and says so. */
static int
strip_bc(const char *s, size_t *n)
{
	if (*n >= 3 && memcmp(s + *n - 3, " BC", 3) == 0) {
		*n -= 3;
		return 1;
	}
	return 0;
}

/*
 * The date part "Y...Y-MM-DD" at s[*pos] (at least 4 year digits, as
 * PostgreSQL pads them, at most 7: the last date is 5874897-12-31), the
 * year taken as BC when bc is set. Days since 1970-01-01 into *days.
 */
static const char *
parse_ymd(const char *s, size_t n, size_t *pos, int bc, int64_t *days)
{
	int64_t y = 0;
	int m, d, ny = 0;

	while (*pos < n && is_digit(s[*pos]) && ny < 8) {
		y = y * 10 + (s[*pos] - '0');
		(*pos)++;
		ny++;
	}
	if (ny < 4 || ny > 7)
		return "year must have 4 to 7 digits";
	if (*pos >= n || s[*pos] != '-')
		return "expected '-' after the year";
	(*pos)++;
	if (take_digits(s, n, pos, 2, &m) || *pos >= n || s[*pos] != '-')
		return "expected a 2-digit month and '-'";
	(*pos)++;
	if (take_digits(s, n, pos, 2, &d))
		return "expected a 2-digit day";
	if (bc) {
		if (y == 0)
			return "year 0 BC does not exist";
		y = 1 - y;
	} else if (y == 0) {
		return "year 0 does not exist";
	}
	if (m < 1 || m > 12)
		return "month out of range";
	if (d < 1 || d > rc_month_days(y, m))
		return "day out of range";
	*days = rc_days_from_civil(y, m, d);
	return NULL;
}

/*
 * "HH:MM:SS[.f]" at s[*pos], 0 to 6 fraction digits, into microseconds
 * since midnight. 24:00:00 is accepted only when allow24 (type time).
 */
static const char *
parse_hms(const char *s, size_t n, size_t *pos, int allow24, int64_t *us)
{
	int h, mi, se, frac = 0, nf = 0;

	if (take_digits(s, n, pos, 2, &h) || *pos >= n || s[*pos] != ':')
		return "expected HH:";
	(*pos)++;
	if (take_digits(s, n, pos, 2, &mi) || *pos >= n || s[*pos] != ':')
		return "expected MM:";
	(*pos)++;
	if (take_digits(s, n, pos, 2, &se))
		return "expected SS";
	if (*pos < n && s[*pos] == '.') {
		(*pos)++;
		while (*pos < n && is_digit(s[*pos])) {
			if (++nf > 6)
				return "more than 6 fraction digits";
			frac = frac * 10 + (s[*pos] - '0');
			(*pos)++;
		}
		if (nf == 0)
			return "no digits after '.'";
		for (int i = nf; i < 6; i++)
			frac *= 10;
	}
	if (mi > 59 || se > 59)
		return "minute or second out of range";
	if (h > 24 || (h == 24 && (!allow24 || mi || se || frac)))
		return "hour out of range";
	*us = ((int64_t)h * 3600 + mi * 60 + se) * 1000000 + frac;
	return NULL;
}

/*
 * A UTC offset "+HH", "+HH:MM", "+HH:MM:SS" (or "+HHMM") at s[*pos], in
 * seconds east of Greenwich (India's "+05:30" is 19800).
 */
static const char *
parse_offset(const char *s, size_t n, size_t *pos, int64_t *secs)
{
	int sign, h, mi = 0, se = 0;

	if (*pos >= n || (s[*pos] != '+' && s[*pos] != '-'))
		return "expected a UTC offset";
	sign = s[*pos] == '-' ? -1 : 1;
	(*pos)++;
	if (take_digits(s, n, pos, 2, &h))
		return "expected an offset hour";
	if (*pos < n && s[*pos] == ':') {
		(*pos)++;
		if (take_digits(s, n, pos, 2, &mi))
			return "expected offset minutes";
		if (*pos < n && s[*pos] == ':') {
			(*pos)++;
			if (take_digits(s, n, pos, 2, &se))
				return "expected offset seconds";
		}
	} else if (*pos < n && is_digit(s[*pos])) {
		if (take_digits(s, n, pos, 2, &mi))
			return "expected offset minutes";
	}
	if (h > 23 || mi > 59 || se > 59)
		return "offset out of range";
	*secs = sign * ((int64_t)h * 3600 + mi * 60 + se);
	return NULL;
}

static int
is_word(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);

	return n == wl && memcmp(s, w, n) == 0;
}

/* date: days since 1970-01-01; +/-infinity as INT32 max/min. */
static const char *
parse_date(const char *s, size_t n, int64_t *out)
{
	size_t pos = 0;
	int bc;
	const char *why;

	if (is_word(s, n, "infinity")) {
		*out = INT32_MAX;
		return NULL;
	}
	if (is_word(s, n, "-infinity")) {
		*out = INT32_MIN;
		return NULL;
	}
	bc = strip_bc(s, &n);
	why = parse_ymd(s, n, &pos, bc, out);
	if (why)
		return why;
	if (pos != n)
		return "trailing characters";
	if (*out <= INT32_MIN || *out >= INT32_MAX)
		return "out of range";
	return NULL;
}

/*
 * timestamp / timestamptz: "Y-MM-DD HH:MM:SS[.f][offset][ BC]" into
 * microseconds since 1970-01-01 (UTC for timestamptz); +/-infinity as
 * INT64 max/min. An offset is required with tz and refused without.
 */
static const char *
parse_timestamp(const char *s, size_t n, int tz, int64_t *out)
{
	int64_t days, tod, off = 0, v;
	size_t pos = 0;
	const char *why;
	int bc;

	if (is_word(s, n, "infinity")) {
		*out = INT64_MAX;
		return NULL;
	}
	if (is_word(s, n, "-infinity")) {
		*out = INT64_MIN;
		return NULL;
	}
	bc = strip_bc(s, &n);
	if ((why = parse_ymd(s, n, &pos, bc, &days)))
		return why;
	if (pos >= n || s[pos] != ' ')
		return "expected ' ' after the date";
	pos++;
	if ((why = parse_hms(s, n, &pos, 0, &tod)))
		return why;
	if (tz && (why = parse_offset(s, n, &pos, &off)))
		return why;
	if (pos != n)
		return "trailing characters";
	if (__builtin_mul_overflow(days, INT64_C(86400000000), &v) ||
	    __builtin_add_overflow(v, tod, &v) ||
	    __builtin_sub_overflow(v, off * 1000000, &v) || v == INT64_MAX ||
	    v == INT64_MIN)
		return "out of range for microseconds since 1970";
	*out = v;
	return NULL;
}

static const char *
parse_time(const char *s, size_t n, int64_t *out)
{
	size_t pos = 0;
	const char *why = parse_hms(s, n, &pos, 1, out);

	if (!why && pos != n)
		why = "trailing characters";
	return why;
}

/*
 * float4/float8 with strtof/strtod on a NUL-terminated copy (PostgreSQL
 * writes at most 25 characters); NaN, Infinity, -Infinity and exponents
 * are accepted, and the whole text must be consumed. rowcast runs in the
 * C locale, so the decimal point is '.'.
 */
static const char *
parse_float(const char *s, size_t n, int single, double *d, float *f)
{
	char buf[64];
	char *end;

	if (n == 0 || n >= sizeof(buf))
		return "length out of range";
	if (!is_digit(s[0]) && s[0] != '-' && s[0] != '.' && s[0] != 'N' &&
	    s[0] != 'I')
		return "not a number";
	memcpy(buf, s, n);
	buf[n] = 0;
	if (single)
		*f = strtof(buf, &end);
	else
		*d = strtod(buf, &end);
	if (end != buf + n)
		return "not a number";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Decimals: text to unscaled two's complement                        */
/* ------------------------------------------------------------------ */

/* 32-bit limbs of the largest unscaled value: 2000 digits < 6644 bits. */
#define DEC_LIMBS 210
#define DEC_BYTES (DEC_LIMBS * 4 + 1)

struct bigdec {
	uint32_t limb[DEC_LIMBS]; /* little-endian */
	int n;
	uint32_t chunk; /* pending decimal digits */
	int clen;
};

static const uint32_t pow10_u32[10] = {1,	  10,	     100,     1000,
				       10000,	  100000,    1000000, 10000000,
				       100000000, 1000000000};

static void
big_muladd(struct bigdec *b, uint32_t mul, uint32_t add)
{
	uint64_t carry = add;

	for (int i = 0; i < b->n; i++) {
		uint64_t t = (uint64_t)b->limb[i] * mul + carry;

		b->limb[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry)
		b->limb[b->n++] = (uint32_t)carry;
}

/* Feed one decimal digit; nine at a time go into the limbs. */
static void
big_digit(struct bigdec *b, unsigned d)
{
	b->chunk = b->chunk * 10 + d;
	if (++b->clen == 9) {
		big_muladd(b, 1000000000u, b->chunk);
		b->chunk = 0;
		b->clen = 0;
	}
}

/*
 * Write the value as big-endian two's complement in the fewest bytes that
 * keep its sign: 0 -> 00, 127 -> 7f, 128 -> 00 80, -128 -> 80,
 * -129 -> ff 7f. Returns the length.
 */
static size_t
big_twos(struct bigdec *b, int neg, unsigned char *out)
{
	unsigned char *p = out + 1; /* out[0] is room for a sign byte */
	size_t len = 0, skip = 0;

	if (b->clen)
		big_muladd(b, pow10_u32[b->clen], b->chunk);
	b->clen = 0;
	for (int i = b->n - 1; i >= 0; i--) {
		p[len++] = (unsigned char)(b->limb[i] >> 24);
		p[len++] = (unsigned char)(b->limb[i] >> 16);
		p[len++] = (unsigned char)(b->limb[i] >> 8);
		p[len++] = (unsigned char)b->limb[i];
	}
	while (skip < len && p[skip] == 0)
		skip++;
	p += skip;
	len -= skip;
	if (len == 0) { /* zero, and -0 */
		out[0] = 0;
		return 1;
	}
	if (neg) {
		unsigned carry = 1;

		for (size_t i = len; i-- > 0;) {
			unsigned v = (unsigned)(unsigned char)~p[i] + carry;

			p[i] = (unsigned char)v;
			carry = v >> 8;
		}
		if (!(p[0] & 0x80)) {
			*--p = 0xff;
			len++;
		}
	} else if (p[0] & 0x80) {
		*--p = 0x00;
		len++;
	}
	memmove(out, p, len);
	return len;
}

/*
 * numeric text "-123.45" to the unscaled value at `scale` fraction digits,
 * exactly: fewer digits are padded with zeros, more are an error (the
 * column's scale is what PostgreSQL rounded to), and more significant
 * digits than `precision` are an error. out holds DEC_BYTES.
 */
static const char *
numeric_to_twos(const char *s, size_t n, int precision, int scale,
		unsigned char *out, size_t *outlen)
{
	struct bigdec b;
	size_t i = 0, ip, ie, fp = 0, fe = 0;
	long sig = 0;
	int neg = 0;

	if (scale < 0 || precision < 1 || precision > PG_DECIMAL_MAX_DIGITS)
		return "column precision/scale out of range";
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	ip = i;
	while (i < n && is_digit(s[i]))
		i++;
	ie = i;
	if (ie == ip)
		return "expected digits";
	if (i < n && s[i] == '.') {
		fp = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		fe = i;
		if (fe == fp)
			return "expected digits after '.'";
	}
	if (i != n)
		return "trailing characters";
	if (fe - fp > (size_t)scale)
		return "more fraction digits than the column's scale";
	while (ip < ie && s[ip] == '0')
		ip++;
	/* significant digits of the unscaled integer */
	if (ip < ie) {
		sig = (long)(ie - ip) + scale;
	} else {
		size_t z = fp;

		while (z < fe && s[z] == '0')
			z++;
		sig = z < fe ? (long)(fe - z) + (scale - (long)(fe - fp)) : 0;
	}
	if (sig > precision)
		return "more digits than the column's precision";
	b.n = 0;
	b.chunk = 0;
	b.clen = 0;
	for (i = ip; i < ie; i++)
		big_digit(&b, (unsigned)(s[i] - '0'));
	for (i = fp; i < fe; i++)
		big_digit(&b, (unsigned)(s[i] - '0'));
	for (long z = (long)(fe - fp); z < scale; z++)
		big_digit(&b, 0);
	*outlen = big_twos(&b, neg, out);
	return NULL;
}

/* int64 as minimal big-endian two's complement (money's cents). */
static size_t
i64_twos(int64_t v, unsigned char *out)
{
	uint64_t u = (uint64_t)v;
	unsigned char b[8];
	size_t k = 0;

	for (int i = 7; i >= 0; i--) {
		b[i] = (unsigned char)(u & 0xff);
		u >>= 8;
	}
	while (k < 7 && ((b[k] == 0x00 && !(b[k + 1] & 0x80)) ||
			 (b[k] == 0xff && (b[k + 1] & 0x80))))
		k++;
	memcpy(out, b + k, 8 - k);
	return 8 - k;
}

/*
 * money in the C locale: "$1,234.56", "-$1,234.56" (also accepted without
 * '$' or separators), exactly two fraction digits, into cents.
 */
static const char *
parse_money(const char *s, size_t n, int64_t *cents)
{
	uint64_t v = 0, lim = INT64_MAX;
	size_t i = 0;
	int neg = 0, nd = 0, nf = 0;

	if (i < n && s[i] == '-') {
		neg = 1;
		lim = (uint64_t)INT64_MAX + 1;
		i++;
	}
	if (i < n && s[i] == '$')
		i++;
	for (; i < n && s[i] != '.'; i++) {
		unsigned d;

		if (s[i] == ',' && nd && i + 1 < n && is_digit(s[i + 1]))
			continue;
		d = (unsigned char)s[i] - '0';
		if (d > 9)
			return "unexpected character";
		if (v > (lim - d) / 10)
			return "out of range";
		v = v * 10 + d;
		nd++;
	}
	if (!nd)
		return "expected digits";
	if (i < n) {
		for (i++; i < n; i++) {
			unsigned d = (unsigned char)s[i] - '0';

			if (d > 9)
				return "unexpected character";
			if (++nf > 2)
				return "more than 2 fraction digits";
			if (v > (lim - d) / 10)
				return "out of range";
			v = v * 10 + d;
		}
		if (!nf)
			return "expected digits after '.'";
	}
	for (; nf < 2; nf++) {
		if (v > lim / 10)
			return "out of range";
		v *= 10;
	}
	if (!neg)
		*cents = (int64_t)v;
	else if (v == (uint64_t)INT64_MAX + 1)
		*cents = INT64_MIN;
	else
		*cents = -(int64_t)v;
	return NULL;
}

/* uuid: 8-4-4-4-12 hex digits. */
static int
valid_uuid(const char *s, size_t n)
{
	if (n != 36)
		return 0;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (hexval((unsigned char)s[i]) < 0) {
			return 0;
		}
	}
	return 1;
}

/*
 * bytea hex output "\x0a0b..." decoded into dst (room for (n-2)/2 bytes).
 * dst may be the same memory as s: each output byte is written behind the
 * two digits it came from.
 */
static const char *
decode_bytea(const char *s, size_t n, unsigned char *dst, size_t *outlen)
{
	size_t k = 0;

	if (n < 2 || s[0] != '\\' || s[1] != 'x')
		return "expected hex format \\x...";
	if ((n - 2) % 2)
		return "odd number of hex digits";
	for (size_t i = 2; i < n; i += 2) {
		int hi = hexval((unsigned char)s[i]);
		int lo = hexval((unsigned char)s[i + 1]);

		if (hi < 0 || lo < 0)
			return "bad hex digit";
		dst[k++] = (unsigned char)(hi << 4 | lo);
	}
	*outlen = k;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Storing one scalar                                                 */
/* ------------------------------------------------------------------ */

/* Value i of the rc_value array at arena offset base (a row or an array). */
static struct rc_value *
slot(struct rc_event *ev, int64_t base, int i)
{
	return rc_event_row(ev, base) + i;
}

static int
set_int(struct rc_event *ev, int64_t base, int i, int64_t v)
{
	struct rc_value *val = slot(ev, base, i);

	val->kind = RC_V_SET;
	val->u.i = v;
	return 0;
}

static int
oom(char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen,
			 "event larger than %u bytes or out of "
			 "memory",
			 RC_MAX_EVENT_BYTES);
	return -1;
}

static int
set_bytes(struct rc_event *ev, int64_t base, int i, enum rc_value_kind kind,
	  const void *p, size_t n, char *err, size_t errlen)
{
	if (rc_event_set_bytes(ev, base, i, kind, p, n) < 0)
		return oom(err, errlen);
	return 0;
}

/*
 * Convert s[0..n) with conv into value i at base. s must not point into
 * the arena (every allocation may move it). precision/scale are the
 * decimal's.
 */
static int
conv_scalar(struct rc_event *ev, int64_t base, int i, enum pg_conv conv,
	    int precision, int scale, const char *s, size_t n, char *err,
	    size_t errlen)
{
	unsigned char dec[DEC_BYTES];
	const char *why = NULL;
	size_t dlen;
	int64_t v, off;
	double d;
	float f;

	switch (conv) {
	case PG_CONV_TEXT:
	case PG_CONV_NUMERIC_TEXT:
	case PG_CONV_JSON:
		return set_bytes(ev, base, i, RC_V_SET, s, n, err, errlen);
	case PG_CONV_UUID:
		if (!valid_uuid(s, n))
			return bad(err, errlen, conv, s, n,
				   "not 8-4-4-4-12 hex");
		return set_bytes(ev, base, i, RC_V_SET, s, n, err, errlen);
	case PG_CONV_BOOL:
		if (is_word(s, n, "t") || is_word(s, n, "true"))
			return set_int(ev, base, i, 1);
		if (is_word(s, n, "f") || is_word(s, n, "false"))
			return set_int(ev, base, i, 0);
		return bad(err, errlen, conv, s, n, "expected t or f");
	case PG_CONV_INT32:
		if (parse_i64(s, n, &v) || v < INT32_MIN || v > INT32_MAX)
			return bad(err, errlen, conv, s, n,
				   "not a 32-bit integer");
		return set_int(ev, base, i, v);
	case PG_CONV_INT64:
		if (parse_i64(s, n, &v))
			return bad(err, errlen, conv, s, n,
				   "not a 64-bit integer");
		return set_int(ev, base, i, v);
	case PG_CONV_FLOAT4:
		if ((why = parse_float(s, n, 1, &d, &f)))
			return bad(err, errlen, conv, s, n, why);
		slot(ev, base, i)->kind = RC_V_SET;
		slot(ev, base, i)->u.f = f;
		return 0;
	case PG_CONV_FLOAT8:
		if ((why = parse_float(s, n, 0, &d, &f)))
			return bad(err, errlen, conv, s, n, why);
		slot(ev, base, i)->kind = RC_V_SET;
		slot(ev, base, i)->u.d = d;
		return 0;
	case PG_CONV_NUMERIC:
		if (is_word(s, n, "NaN") || is_word(s, n, "Infinity") ||
		    is_word(s, n, "-Infinity"))
			return set_bytes(ev, base, i, RC_V_TEXT, s, n, err,
					 errlen);
		if ((why = numeric_to_twos(s, n, precision, scale, dec, &dlen)))
			return bad(err, errlen, conv, s, n, why);
		return set_bytes(ev, base, i, RC_V_SET, dec, dlen, err, errlen);
	case PG_CONV_MONEY:
		if ((why = parse_money(s, n, &v)))
			return bad(err, errlen, conv, s, n, why);
		dlen = i64_twos(v, dec);
		return set_bytes(ev, base, i, RC_V_SET, dec, dlen, err, errlen);
	case PG_CONV_BYTEA:
		if (n < 2 || (n - 2) % 2 || s[0] != '\\' || s[1] != 'x')
			return bad(err, errlen, conv, s, n,
				   "expected \\x and an even number of hex "
				   "digits");
		off = rc_event_alloc(ev, (n - 2) / 2 ? (n - 2) / 2 : 1);
		if (off < 0 || off > UINT32_MAX)
			return oom(err, errlen);
		if ((why = decode_bytea(s, n,
					(unsigned char *)rc_event_ptr(ev, off),
					&dlen)))
			return bad(err, errlen, conv, s, n, why);
		slot(ev, base, i)->kind = RC_V_SET;
		slot(ev, base, i)->u.s.off = (uint32_t)off;
		slot(ev, base, i)->u.s.len = (uint32_t)dlen;
		return 0;
	case PG_CONV_DATE:
		if ((why = parse_date(s, n, &v)))
			return bad(err, errlen, conv, s, n, why);
		return set_int(ev, base, i, v);
	case PG_CONV_TIME:
		if ((why = parse_time(s, n, &v)))
			return bad(err, errlen, conv, s, n, why);
		return set_int(ev, base, i, v);
	case PG_CONV_TIMESTAMP:
	case PG_CONV_TIMESTAMPTZ:
		if ((why = parse_timestamp(s, n, conv == PG_CONV_TIMESTAMPTZ,
					   &v)))
			return bad(err, errlen, conv, s, n, why);
		return set_int(ev, base, i, v);
	case PG_CONV_ARRAY:
	case PG_CONV__COUNT:
		break;
	}
	return bad(err, errlen, conv, s, n, "no converter for this type");
}

/* ------------------------------------------------------------------ */
/* Arrays                                                             */
/* ------------------------------------------------------------------ */

/*
 * One element of an array literal: its text between the delimiters (the
 * quotes excluded), whether it was quoted and how many backslash escapes
 * it holds.
 */
struct pg_elem {
	size_t start, len;
	int quoted;
	size_t escapes;
};

/*
 * Read the element at s[*pos] of the literal whose closing brace is at
 * `end`, and step over the delimiter that follows. Output of array_out():
 * an element is quoted when it is empty, "NULL", or holds the delimiter,
 * braces, quotes, backslashes or white space; inside quotes, '\' escapes
 * the next byte.
 */
static const char *
array_next(const char *s, size_t end, char delim, size_t *pos,
	   struct pg_elem *el)
{
	size_t p = *pos;

	el->quoted = 0;
	el->escapes = 0;
	if (s[p] == '"') {
		el->quoted = 1;
		el->start = ++p;
		while (p < end && s[p] != '"') {
			if (s[p] == '\\') {
				el->escapes++;
				p++;
				if (p >= end)
					break;
			}
			p++;
		}
		if (p >= end)
			return "unterminated quoted element";
		el->len = p - el->start;
		p++;
	} else {
		el->start = p;
		while (p < end && s[p] != delim) {
			if (s[p] == '"' || s[p] == '{' || s[p] == '}' ||
			    s[p] == '\\')
				return "unexpected character in an element";
			p++;
		}
		el->len = p - el->start;
		if (el->len == 0)
			return "empty unquoted element";
	}
	if (p < end) {
		if (s[p] != delim)
			return "expected a delimiter after an element";
		p++;
		if (p == end)
			return "delimiter before '}'";
	}
	*pos = p;
	return NULL;
}

/* Copy the quoted element without its backslashes into dst. */
static size_t
unescape(const char *s, const struct pg_elem *el, char *dst)
{
	size_t k = 0;

	for (size_t i = el->start; i < el->start + el->len; i++) {
		if (s[i] == '\\')
			i++;
		dst[k++] = s[i];
	}
	return k;
}

/*
 * An element with backslash escapes. Text-like elements are unescaped
 * straight into the arena and the value points at them; bytea is
 * unescaped into the arena and decoded in place. Other types never need
 * escapes in PostgreSQL's output; a short one is unescaped on the stack.
 */
static int
conv_escaped(struct rc_event *ev, int64_t base, int i,
	     const struct pg_mapped *m, const char *s, const struct pg_elem *el,
	     char *err, size_t errlen)
{
	enum pg_conv conv = m->elem_conv;
	size_t ulen = el->len - el->escapes;
	char tmp[256];
	const char *why;
	struct rc_value *v;
	size_t dlen;
	int64_t off;
	char *dst;

	if (conv == PG_CONV_TEXT || conv == PG_CONV_NUMERIC_TEXT ||
	    conv == PG_CONV_JSON || conv == PG_CONV_BYTEA) {
		off = rc_event_alloc(ev, ulen ? ulen : 1);
		if (off < 0 || off > UINT32_MAX)
			return oom(err, errlen);
		dst = rc_event_ptr(ev, off);
		unescape(s, el, dst);
		if (conv == PG_CONV_BYTEA) {
			why = decode_bytea(dst, ulen, (unsigned char *)dst,
					   &dlen);
			if (why)
				return bad(err, errlen, conv, s + el->start,
					   el->len, why);
		} else {
			dlen = ulen;
		}
		v = slot(ev, base, i);
		v->kind = RC_V_SET;
		v->u.s.off = (uint32_t)off;
		v->u.s.len = (uint32_t)dlen;
		return 0;
	}
	if (ulen > sizeof(tmp))
		return bad(err, errlen, conv, s + el->start, el->len,
			   "escaped array element too long");
	unescape(s, el, tmp);
	return conv_scalar(ev, base, i, conv, m->precision, m->scale, tmp, ulen,
			   err, errlen);
}

/*
 * A one-dimensional array literal "{a,b,NULL}" into value i at base: an
 * rc_value[] of the elements in the arena, each converted with the
 * element's converter; an unquoted NULL is SQL NULL, a quoted "NULL" the
 * string. A multi-dimensional array or one with explicit bounds
 * ("[2:3]={1,2}") is kept whole as RC_V_TEXT.
 */
static int
conv_array(struct rc_event *ev, int64_t base, int i, const struct pg_mapped *m,
	   const char *s, size_t n, char *err, size_t errlen)
{
	char delim = m->delim ? m->delim : ',';
	size_t count = 0, pos, end;
	struct pg_elem el;
	struct rc_value *v;
	const char *why;
	int64_t off;

	if (n >= 1 && s[0] == '[')
		return set_bytes(ev, base, i, RC_V_TEXT, s, n, err, errlen);
	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return bad(err, errlen, PG_CONV_ARRAY, s, n, "expected {...}");
	if (s[1] == '{' || m->elem_conv == PG_CONV_ARRAY)
		return set_bytes(ev, base, i, RC_V_TEXT, s, n, err, errlen);
	end = n - 1;
	for (pos = 1; pos < end; count++) {
		if (count >= RC_MAX_ARRAY_ELEMENTS)
			return bad(err, errlen, PG_CONV_ARRAY, s, n,
				   "too many elements");
		if ((why = array_next(s, end, delim, &pos, &el)))
			return bad(err, errlen, PG_CONV_ARRAY, s, n, why);
	}
	off = rc_event_alloc(ev, (count ? count : 1) * sizeof(struct rc_value));
	if (off < 0 || off > UINT32_MAX)
		return oom(err, errlen);
	memset(rc_event_ptr(ev, off), 0,
	       (count ? count : 1) * sizeof(struct rc_value));
	v = slot(ev, base, i);
	v->kind = RC_V_SET;
	v->u.a.off = (uint32_t)off;
	v->u.a.n = (uint32_t)count;
	pos = 1;
	for (size_t k = 0; k < count; k++) {
		int rc;

		array_next(s, end, delim, &pos, &el);
		if (!el.quoted && el.len == 4 &&
		    strncasecmp(s + el.start, "NULL", 4) == 0)
			continue;
		if (el.escapes)
			rc = conv_escaped(ev, off, (int)k, m, s, &el, err,
					  errlen);
		else
			rc = conv_scalar(ev, off, (int)k, m->elem_conv,
					 m->precision, m->scale, s + el.start,
					 el.len, err, errlen);
		if (rc)
			return -1;
	}
	return 0;
}

int
pg_convert_text(struct rc_event *ev, int64_t row, int col,
		const struct pg_mapped *m, const char *text, size_t len,
		char *err, size_t errlen)
{
	if (m->conv == PG_CONV_ARRAY)
		return conv_array(ev, row, col, m, text, len, err, errlen);
	return conv_scalar(ev, row, col, m->conv, m->precision, m->scale, text,
			   len, err, errlen);
}

/* ------------------------------------------------------------------ */
/* Binary values: which decoder reads which type                      */
/* ------------------------------------------------------------------ */

/*
 * The built-in types pgoutput can send in binary that rowcast decodes,
 * by OID. A type missing here has no decoder (PG_BIN_NONE): reg* types
 * send an OID where the text is a name, geometric types, ranges,
 * tsvector... are left to text mode.
 */
static const struct {
	uint32_t oid;
	enum pg_bin bin;
} bin_types[] = {
	{16, PG_BIN_BOOL},	  {17, PG_BIN_BYTEA},
	{18, PG_BIN_CHAR},	  {19, PG_BIN_TEXT},
	{20, PG_BIN_INT8},	  {21, PG_BIN_INT2},
	{23, PG_BIN_INT4},	  {25, PG_BIN_TEXT},
	{26, PG_BIN_UINT32},	  {28, PG_BIN_UINT32},
	{29, PG_BIN_UINT32},	  {114, PG_BIN_TEXT},
	{142, PG_BIN_TEXT},	  {650, PG_BIN_CIDR},
	{700, PG_BIN_FLOAT4},	  {701, PG_BIN_FLOAT8},
	{774, PG_BIN_MACADDR8},	  {790, PG_BIN_MONEY},
	{829, PG_BIN_MACADDR},	  {869, PG_BIN_INET},
	{1042, PG_BIN_TEXT},	  {1043, PG_BIN_TEXT},
	{1082, PG_BIN_DATE},	  {1083, PG_BIN_TIME},
	{1114, PG_BIN_TIMESTAMP}, {1184, PG_BIN_TIMESTAMPTZ},
	{1186, PG_BIN_INTERVAL},  {1266, PG_BIN_TIMETZ},
	{1560, PG_BIN_BIT},	  {1562, PG_BIN_BIT},
	{1700, PG_BIN_NUMERIC},	  {1790, PG_BIN_TEXT},
	{2950, PG_BIN_UUID},	  {3220, PG_BIN_PG_LSN},
	{3802, PG_BIN_JSONB},	  {4072, PG_BIN_JSONPATH},
	{5069, PG_BIN_UINT64},
};

static enum pg_bin
builtin_bin(uint32_t oid)
{
	for (size_t i = 0; i < sizeof(bin_types) / sizeof(bin_types[0]); i++)
		if (bin_types[i].oid == oid)
			return bin_types[i].bin;
	return PG_BIN_NONE;
}

/*
 * A base type of an extension whose send and output functions are the
 * text ones (citext: CREATE FUNCTION citextsend ... AS 'textsend'
 * LANGUAGE internal): its binary form is its text.
 */
static int
sends_text(const struct pg_type_desc *desc)
{
	static const char *const sends[] = {"textsend", "varcharsend",
					    "bpcharsend"};
	static const char *const outs[] = {"textout", "varcharout",
					   "bpcharout"};
	int s = 0, o = 0;

	if (desc->typtype != 'b')
		return 0;
	for (size_t i = 0; i < sizeof(sends) / sizeof(sends[0]); i++) {
		s |= strcmp(desc->send_src, sends[i]) == 0;
		o |= strcmp(desc->out_src, outs[i]) == 0;
	}
	return s && o;
}

int
pg_binary_ok(const struct pg_mapped *m)
{
	if (m->bin == PG_BIN_ARRAY)
		return m->conv == PG_CONV_ARRAY && m->elem_bin != PG_BIN_NONE &&
		       m->elem_bin != PG_BIN_ARRAY;
	return m->bin != PG_BIN_NONE && m->bin < PG_BIN__COUNT;
}

static const char *const bin_names[PG_BIN__COUNT] = {
	[PG_BIN_NONE] = "value",
	[PG_BIN_TEXT] = "text",
	[PG_BIN_CHAR] = "\"char\"",
	[PG_BIN_BOOL] = "boolean",
	[PG_BIN_INT2] = "smallint",
	[PG_BIN_INT4] = "integer",
	[PG_BIN_INT8] = "bigint",
	[PG_BIN_UINT32] = "oid",
	[PG_BIN_UINT64] = "xid8",
	[PG_BIN_FLOAT4] = "real",
	[PG_BIN_FLOAT8] = "double precision",
	[PG_BIN_NUMERIC] = "numeric",
	[PG_BIN_MONEY] = "money",
	[PG_BIN_BYTEA] = "bytea",
	[PG_BIN_DATE] = "date",
	[PG_BIN_TIME] = "time",
	[PG_BIN_TIMETZ] = "timetz",
	[PG_BIN_TIMESTAMP] = "timestamp",
	[PG_BIN_TIMESTAMPTZ] = "timestamptz",
	[PG_BIN_INTERVAL] = "interval",
	[PG_BIN_UUID] = "uuid",
	[PG_BIN_JSONB] = "jsonb",
	[PG_BIN_JSONPATH] = "jsonpath",
	[PG_BIN_PG_LSN] = "pg_lsn",
	[PG_BIN_MACADDR] = "macaddr",
	[PG_BIN_MACADDR8] = "macaddr8",
	[PG_BIN_INET] = "inet",
	[PG_BIN_CIDR] = "cidr",
	[PG_BIN_BIT] = "bit",
	[PG_BIN_ARRAY] = "array",
};

/* "bad <type> (binary, <n> bytes): <why>". Always returns -1. */
static int
bad_bin(char *err, size_t errlen, enum pg_bin bin, size_t n, const char *why)
{
	const char *name = (unsigned)bin < PG_BIN__COUNT && bin_names[bin]
				   ? bin_names[bin]
				   : "value";

	if (err && errlen)
		snprintf(err, errlen, "bad %s (binary, %zu bytes): %s", name, n,
			 why);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Text output: where the text of a value is produced                 */
/* ------------------------------------------------------------------ */

/*
 * The output functions below write through a struct tout, in one of four
 * modes, so that one function serves every use: count the bytes (to size
 * an arena allocation), write them into a buffer of known room, scan them
 * as an array element (does it need quotes, how many bytes need a
 * backslash), or write them escaped as a quoted array element. A write
 * past the room sets `over` and writes nothing more.
 */
enum tout_mode { TOUT_COUNT, TOUT_WRITE, TOUT_SCAN, TOUT_QUOTED };

struct tout {
	enum tout_mode mode;
	char *buf; /* TOUT_WRITE, TOUT_QUOTED: cap bytes of room */
	size_t cap;
	size_t len; /* bytes counted, written or scanned */
	int over;   /* a write did not fit */
	/* TOUT_SCAN */
	char delim;
	int quote;    /* holds a byte that array_out() quotes for */
	size_t esc;   /* bytes that take a backslash ('"', '\\') */
	char head[4]; /* the first bytes, for the "NULL" test */
};

static void
tout_init(struct tout *o, enum tout_mode mode, char *buf, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->mode = mode;
	o->buf = buf;
	o->cap = cap;
}

static void
tout_raw(struct tout *o, const char *s, size_t n)
{
	if (o->over || n > o->cap - o->len) {
		o->over = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
tout_put(struct tout *o, const char *s, size_t n)
{
	switch (o->mode) {
	case TOUT_COUNT:
		o->len += n;
		return;
	case TOUT_WRITE:
		tout_raw(o, s, n);
		return;
	case TOUT_SCAN:
		for (size_t k = 0; k < n; k++) {
			char c = s[k];

			if (o->len < sizeof(o->head))
				o->head[o->len] = c;
			o->len++;
			if (c == '"' || c == '\\') {
				o->esc++;
				o->quote = 1;
			} else if (c == '{' || c == '}' || c == o->delim ||
				   c == ' ' || c == '\t' || c == '\n' ||
				   c == '\r' || c == '\v' || c == '\f') {
				o->quote = 1;
			}
		}
		return;
	case TOUT_QUOTED:
		for (size_t k = 0; k < n; k++) {
			if (s[k] == '"' || s[k] == '\\')
				tout_raw(o, "\\", 1);
			tout_raw(o, s + k, 1);
		}
		return;
	}
}

static void
tout_str(struct tout *o, const char *s)
{
	tout_put(o, s, strlen(s));
}

static void
tout_u64(struct tout *o, uint64_t v)
{
	char b[24];
	int k = sizeof(b);

	do {
		b[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	tout_put(o, b + k, sizeof(b) - (size_t)k);
}

static void
tout_i64(struct tout *o, int64_t v)
{
	if (v < 0) {
		tout_put(o, "-", 1);
		tout_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		tout_u64(o, (uint64_t)v);
	}
}

/* v in at least `width` digits, zero-padded (pg_ultostr_zeropad). */
static void
tout_zpad(struct tout *o, uint64_t v, int width)
{
	char b[24];
	int k = sizeof(b);

	do {
		b[--k] = (char)('0' + v % 10);
		v /= 10;
		width--;
	} while (v || width > 0);
	tout_put(o, b + k, sizeof(b) - (size_t)k);
}

static void
tout_hex(struct tout *o, const unsigned char *p, size_t n, char sep)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char b[3] = {hx[p[i] >> 4], hx[p[i] & 15], sep};

		tout_put(o, b, sep && i + 1 < n ? 3 : 2);
	}
}

/* Big-endian integers from a buffer whose length was checked. */
static uint32_t
be32_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64_at(const unsigned char *p)
{
	return (uint64_t)be32_at(p) << 32 | be32_at(p + 4);
}

/* ------------------------------------------------------------------ */
/* Text output: numeric                                               */
/* ------------------------------------------------------------------ */

#define NUM_POS		0x0000
#define NUM_NEG		0x4000
#define NUM_NAN		0xC000
#define NUM_PINF	0xD000
#define NUM_NINF	0xF000
#define NUM_DSCALE_MASK 0x3FFF
#define NUM_NBASE	10000

/*
 * numeric_send():
 *   uint16 ndigits, int16 weight, uint16 sign, uint16 dscale,
 *   ndigits x int16 base-10000 digits, most significant first;
 * the value is sum(digit[k] * 10000^(weight - k)), printed with dscale
 * digits after the point. NaN and the infinities are a sign of their own
 * with no digits.
 */
struct pg_num {
	int ndigits, weight, dscale;
	unsigned sign;
	const unsigned char *digits;
};

static const char *
read_numeric(const unsigned char *p, size_t n, struct pg_num *num)
{
	struct rc_reader r;

	rc_reader_init(&r, p, n);
	num->ndigits = rc_reader_be16(&r);
	num->weight = (int16_t)rc_reader_be16(&r);
	num->sign = rc_reader_be16(&r);
	num->dscale = rc_reader_be16(&r);
	if (!rc_reader_ok(&r))
		return "shorter than the 8-byte header";
	num->digits = rc_reader_bytes(&r, (size_t)num->ndigits * 2);
	if (!num->digits || rc_reader_left(&r))
		return "length does not match the digit count";
	if (num->sign != NUM_POS && num->sign != NUM_NEG &&
	    num->sign != NUM_NAN && num->sign != NUM_PINF &&
	    num->sign != NUM_NINF)
		return "bad sign";
	if (num->dscale & ~NUM_DSCALE_MASK)
		return "bad display scale";
	for (int d = 0; d < num->ndigits; d++)
		if (((unsigned)num->digits[2 * d] << 8 |
		     num->digits[2 * d + 1]) >= NUM_NBASE)
			return "digit out of range";
	return NULL;
}

static unsigned
num_digit(const struct pg_num *num, int d)
{
	if (d < 0 || d >= num->ndigits)
		return 0;
	return (unsigned)num->digits[2 * d] << 8 | num->digits[2 * d + 1];
}

/* numeric_out(): get_str_from_var() digit for digit. */
static void
numeric_text(const struct pg_num *num, struct tout *o)
{
	char g[4];
	int d;

	if (num->sign == NUM_NAN) {
		tout_str(o, "NaN");
		return;
	}
	if (num->sign == NUM_PINF || num->sign == NUM_NINF) {
		tout_str(o, num->sign == NUM_PINF ? "Infinity" : "-Infinity");
		return;
	}
	if (num->sign == NUM_NEG)
		tout_put(o, "-", 1);
	if (num->weight < 0) {
		tout_put(o, "0", 1);
		d = num->weight + 1;
	} else {
		for (d = 0; d <= num->weight; d++) {
			unsigned dig = num_digit(num, d);
			int skip = 0;

			g[0] = (char)('0' + dig / 1000);
			g[1] = (char)('0' + dig / 100 % 10);
			g[2] = (char)('0' + dig / 10 % 10);
			g[3] = (char)('0' + dig % 10);
			/* the first group without its leading zeros */
			while (d == 0 && skip < 3 && g[skip] == '0')
				skip++;
			tout_put(o, g + skip, 4 - (size_t)skip);
		}
	}
	if (num->dscale > 0) {
		tout_put(o, ".", 1);
		for (int left = num->dscale; left > 0; left -= 4, d++) {
			unsigned dig = num_digit(num, d);

			g[0] = (char)('0' + dig / 1000);
			g[1] = (char)('0' + dig / 100 % 10);
			g[2] = (char)('0' + dig / 10 % 10);
			g[3] = (char)('0' + dig % 10);
			tout_put(o, g, left < 4 ? (size_t)left : 4);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Text output: float4 and float8                                     */
/* ------------------------------------------------------------------ */

/*
 * Does the decimal s read back as x? strtod/strtof round to nearest,
 * ties to even: the same interval Ryu accepts.
 */
static int
reads_back(const char *s, double x, int single)
{
	if (single)
		return strtof(s, NULL) == (float)x;
	return strtod(s, NULL) == x;
}

/*
 * The shortest decimal digits that read back as x (finite, > 0), the one
 * closest to x among them, as Ryu finds them (PostgreSQL's float output
 * with extra_float_digits > 0): digits into dig (no point), their count
 * returned, the exponent of the first digit in *e10.
 *
 * printf("%.*e") rounds x correctly to p digits, the closest p-digit
 * decimal; when it does not read back, only the next one up can (x a
 * power of two: the interval is twice as wide above x as below).
 */
static int
shortest_digits(double x, int single, char *dig, int *e10)
{
	char buf[48];
	int p, nd = 0;

	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		if (reads_back(buf, x, single))
			break;
		if (strtod(buf, NULL) < x) {
			/* buf: d.ddde[+-]XX; add one unit in the last digit
			 * (all nines: 10^k, tried already with fewer digits) */
			char *q = strchr(buf, 'e') - 1;

			while (q >= buf && (*q == '9' || *q == '.')) {
				if (*q == '9')
					*q = '0';
				q--;
			}
			if (q >= buf) {
				++*q;
				if (reads_back(buf, x, single))
					break;
			}
		}
	}
	for (const char *q = buf; *q != 'e'; q++)
		if (*q != '.')
			dig[nd++] = *q;
	*e10 = atoi(strchr(buf, 'e') + 1);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	return nd;
}

/* float4out()/float8out() with extra_float_digits > 0 (d2s.c, f2s.c). */
static void
float_text(double x, int single, struct tout *o)
{
	char dig[24], b[64];
	int nd, e, k = 0;

	if (isnan(x)) {
		tout_str(o, "NaN");
		return;
	}
	if (signbit(x)) {
		tout_put(o, "-", 1);
		x = -x;
	}
	if (isinf(x)) {
		tout_str(o, "Infinity");
		return;
	}
	if (x == 0) {
		tout_put(o, "0", 1);
		return;
	}
	nd = shortest_digits(x, single, dig, &e);
	if (e >= -4 && e < (single ? 6 : 15)) {
		if (e < 0) {
			b[k++] = '0';
			b[k++] = '.';
			for (int z = -1; z > e; z--)
				b[k++] = '0';
			for (int i = 0; i < nd; i++)
				b[k++] = dig[i];
		} else {
			for (int i = 0; i < nd || i <= e; i++) {
				if (i == e + 1)
					b[k++] = '.';
				b[k++] = i < nd ? dig[i] : '0';
			}
		}
	} else {
		b[k++] = dig[0];
		if (nd > 1) {
			b[k++] = '.';
			for (int i = 1; i < nd; i++)
				b[k++] = dig[i];
		}
		k += snprintf(b + k, sizeof(b) - (size_t)k, "e%c%02d",
			      e < 0 ? '-' : '+', e < 0 ? -e : e);
	}
	tout_put(o, b, (size_t)k);
}

/* ------------------------------------------------------------------ */
/* Text output: dates and times                                       */
/* ------------------------------------------------------------------ */

#define USECS_PER_DAY INT64_C(86400000000)
/* 2000-01-01, PostgreSQL's epoch, in days and microseconds from 1970 */
#define PG_EPOCH_DAYS  10957
#define PG_EPOCH_USECS (INT64_C(10957) * USECS_PER_DAY)

/* "YYYY-MM-DD" of days since 1970 (ISO; the year of a BC date is 1 - y);
 * returns whether the date is BC, for the caller's " BC". */
static int
ymd_text(int64_t days, struct tout *o)
{
	int64_t y;
	int m, d;

	rc_civil_from_days(days, &y, &m, &d);
	tout_zpad(o, (uint64_t)(y > 0 ? y : 1 - y), 4);
	tout_put(o, "-", 1);
	tout_zpad(o, (uint64_t)m, 2);
	tout_put(o, "-", 1);
	tout_zpad(o, (uint64_t)d, 2);
	return y <= 0;
}

/* AppendSeconds(): ".ffffff" without its trailing zeros, none when 0. */
static void
fsec_text(int64_t fsec, struct tout *o)
{
	char b[8];
	int n = 6;

	if (fsec == 0)
		return;
	b[0] = '.';
	for (int i = 6; i >= 1; i--) {
		b[i] = (char)('0' + fsec % 10);
		fsec /= 10;
	}
	while (b[n] == '0')
		n--;
	tout_put(o, b, (size_t)n + 1);
}

/* "HH:MM:SS[.ffffff]" of microseconds since midnight (0 .. 24:00:00). */
static void
hms_text(int64_t us, struct tout *o)
{
	int64_t s = us / 1000000;

	tout_zpad(o, (uint64_t)(s / 3600), 2);
	tout_put(o, ":", 1);
	tout_zpad(o, (uint64_t)(s / 60 % 60), 2);
	tout_put(o, ":", 1);
	tout_zpad(o, (uint64_t)(s % 60), 2);
	fsec_text(us % 1000000, o);
}

/* EncodeTimezone() of a zone in seconds west of Greenwich: "+05:30". */
static void
zone_text(int32_t tz, struct tout *o)
{
	int64_t sec = tz < 0 ? -(int64_t)tz : tz;
	int64_t min = sec / 60, hour;

	sec -= min * 60;
	hour = min / 60;
	min -= hour * 60;
	tout_put(o, tz <= 0 ? "+" : "-", 1);
	tout_zpad(o, (uint64_t)hour, 2);
	if (sec != 0 || min != 0) {
		tout_put(o, ":", 1);
		tout_zpad(o, (uint64_t)min, 2);
	}
	if (sec != 0) {
		tout_put(o, ":", 1);
		tout_zpad(o, (uint64_t)sec, 2);
	}
}

/* timestamp_out()/timestamptz_out() (TimeZone=UTC) of microseconds since
 * 2000-01-01. */
static void
timestamp_text(int64_t t, int tz, struct tout *o)
{
	int64_t days, tod;
	int bc;

	if (t == INT64_MIN || t == INT64_MAX) {
		tout_str(o, t == INT64_MIN ? "-infinity" : "infinity");
		return;
	}
	days = t / USECS_PER_DAY;
	tod = t % USECS_PER_DAY;
	if (tod < 0) {
		tod += USECS_PER_DAY;
		days--;
	}
	bc = ymd_text(days + PG_EPOCH_DAYS, o);
	tout_put(o, " ", 1);
	hms_text(tod, o);
	if (tz)
		tout_put(o, "+00", 3);
	if (bc)
		tout_put(o, " BC", 3);
}

/* date_out() of days since 2000-01-01. */
static void
date_text(int32_t d, struct tout *o)
{
	if (d == INT32_MIN || d == INT32_MAX) {
		tout_str(o, d == INT32_MIN ? "-infinity" : "infinity");
		return;
	}
	if (ymd_text((int64_t)d + PG_EPOCH_DAYS, o))
		tout_put(o, " BC", 3);
}

/* AddISO8601IntPart(): "<v><unit>" unless v is 0. */
static void
iso_part(int64_t v, char unit, struct tout *o)
{
	if (v == 0)
		return;
	tout_i64(o, v);
	tout_put(o, &unit, 1);
}

/*
 * interval_out() with IntervalStyle=iso_8601 (EncodeInterval()): each
 * part with its own sign, "PT0S" for zero. The parts come from
 * interval2itm(): years and months from the months, hours to
 * microseconds from the time, all truncated toward zero. The all-max and
 * all-min intervals are PostgreSQL 17's infinities.
 */
static void
interval_text(int64_t time, int32_t day, int32_t month, struct tout *o)
{
	int64_t hour, min, sec, fsec;

	if (month == INT32_MAX && day == INT32_MAX && time == INT64_MAX) {
		tout_str(o, "infinity");
		return;
	}
	if (month == INT32_MIN && day == INT32_MIN && time == INT64_MIN) {
		tout_str(o, "-infinity");
		return;
	}
	hour = time / INT64_C(3600000000);
	time -= hour * INT64_C(3600000000);
	min = time / 60000000;
	time -= min * 60000000;
	sec = time / 1000000;
	fsec = time - sec * 1000000;
	if (month == 0 && day == 0 && hour == 0 && min == 0 && sec == 0 &&
	    fsec == 0) {
		tout_str(o, "PT0S");
		return;
	}
	tout_put(o, "P", 1);
	iso_part(month / 12, 'Y', o);
	iso_part(month % 12, 'M', o);
	iso_part(day, 'D', o);
	if (hour != 0 || min != 0 || sec != 0 || fsec != 0)
		tout_put(o, "T", 1);
	iso_part(hour, 'H', o);
	iso_part(min, 'M', o);
	if (sec != 0 || fsec != 0) {
		if (sec < 0 || fsec < 0)
			tout_put(o, "-", 1);
		tout_u64(o, (uint64_t)(sec < 0 ? -sec : sec));
		fsec_text(fsec < 0 ? -fsec : fsec, o);
		tout_put(o, "S", 1);
	}
}

/* ------------------------------------------------------------------ */
/* Text output: the other types                                       */
/* ------------------------------------------------------------------ */

/* cash_out() in the C locale: "$1,234.56", "-$0.50". */
static void
money_text(int64_t v, struct tout *o)
{
	char b[40];
	int k = sizeof(b), pos = 2;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		if (pos == 0)
			b[--k] = '.';
		else if (pos < 0 && pos % 3 == 0)
			b[--k] = ',';
		b[--k] = (char)('0' + u % 10);
		u /= 10;
		pos--;
	} while (u || pos >= 0);
	if (v < 0)
		tout_put(o, "-$", 2);
	else
		tout_put(o, "$", 1);
	tout_put(o, b + k, sizeof(b) - (size_t)k);
}

/* charout() (PostgreSQL 15): the byte, "" for 0, "\ooo" above 0x7f. */
static void
char_text(unsigned char c, struct tout *o)
{
	char b[4] = {'\\', (char)('0' + (c >> 6)), (char)('0' + (c >> 3 & 7)),
		     (char)('0' + (c & 7))};

	if (c & 0x80)
		tout_put(o, b, 4);
	else if (c)
		tout_put(o, (const char *)&c, 1);
}

/*
 * inet_out()/cidr_out(): pg_inet_net_ntop() (BIND's), all four IPv4
 * octets, IPv6 with the longest run (two or more) of zero words as "::"
 * and an embedded IPv4 for ::a.b.c.d and ::ffff:a.b.c.d; "/bits" unless
 * the mask is full, always for cidr.
 */
static void
inet_text(int v6, int bits, const unsigned char *a, int cidr, struct tout *o)
{
	char b[64];
	int k = 0;

	if (!v6) {
		k = snprintf(b, sizeof(b), "%u.%u.%u.%u", a[0], a[1], a[2],
			     a[3]);
	} else {
		unsigned w[8];
		int best = -1, blen = 0, cur = -1, clen = 0;

		for (int i = 0; i < 8; i++)
			w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		for (int i = 0; i < 8; i++) {
			if (w[i] == 0) {
				if (cur == -1) {
					cur = i;
					clen = 1;
				} else {
					clen++;
				}
			} else if (cur != -1) {
				if (best == -1 || clen > blen) {
					best = cur;
					blen = clen;
				}
				cur = -1;
			}
		}
		if (cur != -1 && (best == -1 || clen > blen)) {
			best = cur;
			blen = clen;
		}
		if (best != -1 && blen < 2)
			best = -1;
		for (int i = 0; i < 8; i++) {
			if (best != -1 && i >= best && i < best + blen) {
				if (i == best)
					b[k++] = ':';
				continue;
			}
			if (i != 0)
				b[k++] = ':';
			if (i == 6 && best == 0 &&
			    (blen == 6 || (blen == 7 && w[7] != 0x0001) ||
			     (blen == 5 && w[5] == 0xffff))) {
				k += snprintf(b + k, sizeof(b) - (size_t)k,
					      "%u.%u.%u.%u", a[12], a[13],
					      a[14], a[15]);
				break;
			}
			k += snprintf(b + k, sizeof(b) - (size_t)k, "%x", w[i]);
		}
		if (best != -1 && best + blen == 8)
			b[k++] = ':';
	}
	if (cidr || bits != (v6 ? 128 : 32))
		k += snprintf(b + k, sizeof(b) - (size_t)k, "/%d", bits);
	tout_put(o, b, (size_t)k);
}

/* ------------------------------------------------------------------ */
/* Binary values into text                                            */
/* ------------------------------------------------------------------ */

/*
 * Write the text output of the binary value p[0..n) of type bin: what the
 * type's output function prints under the session settings. Returns NULL,
 * or why the bytes are not a value of the type. Not for arrays.
 */
static const char *
bin_text(enum pg_bin bin, const unsigned char *p, size_t n, struct tout *o)
{
	static const size_t fixed[PG_BIN__COUNT] = {
		[PG_BIN_CHAR] = 1,	  [PG_BIN_BOOL] = 1,
		[PG_BIN_INT2] = 2,	  [PG_BIN_INT4] = 4,
		[PG_BIN_INT8] = 8,	  [PG_BIN_UINT32] = 4,
		[PG_BIN_UINT64] = 8,	  [PG_BIN_FLOAT4] = 4,
		[PG_BIN_FLOAT8] = 8,	  [PG_BIN_MONEY] = 8,
		[PG_BIN_DATE] = 4,	  [PG_BIN_TIME] = 8,
		[PG_BIN_TIMETZ] = 12,	  [PG_BIN_TIMESTAMP] = 8,
		[PG_BIN_TIMESTAMPTZ] = 8, [PG_BIN_INTERVAL] = 16,
		[PG_BIN_UUID] = 16,	  [PG_BIN_PG_LSN] = 8,
		[PG_BIN_MACADDR] = 6,	  [PG_BIN_MACADDR8] = 8,
	};
	struct pg_num num;
	const char *why;
	uint32_t u32;
	int64_t t;

	if ((unsigned)bin >= PG_BIN__COUNT)
		return "no decoder for this type";
	if (fixed[bin] && n != fixed[bin])
		return "wrong length";
	switch (bin) {
	case PG_BIN_TEXT:
		tout_put(o, (const char *)p, n);
		return NULL;
	case PG_BIN_JSONB:
	case PG_BIN_JSONPATH:
		if (n < 1 || p[0] != 1)
			return "unknown format version";
		tout_put(o, (const char *)p + 1, n - 1);
		return NULL;
	case PG_BIN_BYTEA:
		tout_put(o, "\\x", 2);
		tout_hex(o, p, n, 0);
		return NULL;
	case PG_BIN_CHAR:
		char_text(p[0], o);
		return NULL;
	case PG_BIN_BOOL:
		if (p[0] > 1)
			return "not 0 or 1";
		tout_put(o, p[0] ? "t" : "f", 1);
		return NULL;
	case PG_BIN_INT2:
		tout_i64(o, (int16_t)(p[0] << 8 | p[1]));
		return NULL;
	case PG_BIN_INT4:
		tout_i64(o, (int32_t)be32_at(p));
		return NULL;
	case PG_BIN_INT8:
		tout_i64(o, (int64_t)be64_at(p));
		return NULL;
	case PG_BIN_UINT32:
		tout_u64(o, be32_at(p));
		return NULL;
	case PG_BIN_UINT64:
		tout_u64(o, be64_at(p));
		return NULL;
	case PG_BIN_FLOAT4: {
		float f;

		u32 = be32_at(p);
		memcpy(&f, &u32, 4);
		float_text(f, 1, o);
		return NULL;
	}
	case PG_BIN_FLOAT8: {
		uint64_t u = be64_at(p);
		double d;

		memcpy(&d, &u, 8);
		float_text(d, 0, o);
		return NULL;
	}
	case PG_BIN_NUMERIC:
		if ((why = read_numeric(p, n, &num)))
			return why;
		numeric_text(&num, o);
		return NULL;
	case PG_BIN_MONEY:
		money_text((int64_t)be64_at(p), o);
		return NULL;
	case PG_BIN_DATE:
		date_text((int32_t)be32_at(p), o);
		return NULL;
	case PG_BIN_TIME:
	case PG_BIN_TIMETZ:
		t = (int64_t)be64_at(p);
		if (t < 0 || t > USECS_PER_DAY)
			return "time out of range";
		hms_text(t, o);
		if (bin == PG_BIN_TIMETZ) {
			int32_t tz = (int32_t)be32_at(p + 8);

			/* TZDISP_LIMIT: under 16 hours either way */
			if (tz <= -16 * 3600 || tz >= 16 * 3600)
				return "time zone out of range";
			zone_text(tz, o);
		}
		return NULL;
	case PG_BIN_TIMESTAMP:
	case PG_BIN_TIMESTAMPTZ:
		timestamp_text((int64_t)be64_at(p), bin == PG_BIN_TIMESTAMPTZ,
			       o);
		return NULL;
	case PG_BIN_INTERVAL:
		interval_text((int64_t)be64_at(p), (int32_t)be32_at(p + 8),
			      (int32_t)be32_at(p + 12), o);
		return NULL;
	case PG_BIN_UUID:
		tout_hex(o, p, 4, 0);
		for (int i = 4; i < 10; i += 2) {
			tout_put(o, "-", 1);
			tout_hex(o, p + i, 2, 0);
		}
		tout_put(o, "-", 1);
		tout_hex(o, p + 10, 6, 0);
		return NULL;
	case PG_BIN_PG_LSN: {
		char b[24];
		int k = snprintf(b, sizeof(b), "%X/%X", be32_at(p),
				 be32_at(p + 4));

		tout_put(o, b, (size_t)k);
		return NULL;
	}
	case PG_BIN_MACADDR:
	case PG_BIN_MACADDR8:
		tout_hex(o, p, n, ':');
		return NULL;
	case PG_BIN_INET:
	case PG_BIN_CIDR:
		/* inet_send(): family (2 IPv4, 3 IPv6), bits, is_cidr,
		 * address length, address */
		if (n < 4 || (p[0] != 2 && p[0] != 3) || p[2] > 1 ||
		    p[3] != (p[0] == 2 ? 4 : 16) || n != 4u + p[3] ||
		    p[1] > p[3] * 8)
			return "not an IPv4 or IPv6 address";
		inet_text(p[0] == 3, p[1], p + 4, bin == PG_BIN_CIDR, o);
		return NULL;
	case PG_BIN_BIT: {
		/* bit_send(): int32 bit count, the bits, first in the high
		 * bit of the first byte */
		int64_t bits;

		if (n < 4)
			return "shorter than the bit count";
		bits = (int32_t)be32_at(p);
		if (bits < 0 || (uint64_t)(bits + 7) / 8 != n - 4)
			return "length does not match the bit count";
		for (int64_t i = 0; i < bits; i++)
			tout_put(o,
				 p[4 + i / 8] & (0x80 >> (i % 8)) ? "1" : "0",
				 1);
		return NULL;
	}
	case PG_BIN_NONE:
	case PG_BIN_ARRAY:
	case PG_BIN__COUNT:
		break;
	}
	return "no decoder for this type";
}

/*
 * The text of a binary value into value i at base, as `kind`: formatted
 * on the stack when short, else counted and written in the arena.
 */
static int
bin_text_value(struct rc_event *ev, int64_t base, int i,
	       enum rc_value_kind kind, enum pg_bin bin, const unsigned char *p,
	       size_t n, char *err, size_t errlen)
{
	char buf[256];
	struct tout o;
	struct rc_value *v;
	const char *why;
	int64_t off;

	tout_init(&o, TOUT_WRITE, buf, sizeof(buf));
	if ((why = bin_text(bin, p, n, &o)))
		return bad_bin(err, errlen, bin, n, why);
	if (!o.over)
		return set_bytes(ev, base, i, kind, buf, o.len, err, errlen);
	tout_init(&o, TOUT_COUNT, NULL, 0);
	bin_text(bin, p, n, &o);
	if (o.len > UINT32_MAX)
		return oom(err, errlen);
	off = rc_event_alloc(ev, o.len);
	if (off < 0 || off > UINT32_MAX)
		return oom(err, errlen);
	tout_init(&o, TOUT_WRITE, rc_event_ptr(ev, off), o.len);
	bin_text(bin, p, n, &o);
	v = slot(ev, base, i);
	v->kind = (uint8_t)kind;
	v->u.s.off = (uint32_t)off;
	v->u.s.len = (uint32_t)o.len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Binary values: scalars                                             */
/* ------------------------------------------------------------------ */

/*
 * A numeric's binary value into a decimal column: NaN and the infinities
 * as their text (RC_V_TEXT, as from the text form); a number printed as
 * numeric_out() prints it and converted by the text path's own
 * numeric_to_twos(), so both paths accept and refuse the same values
 * with the same digits.
 */
static int
bin_decimal(struct rc_event *ev, int64_t base, int i, int precision, int scale,
	    const unsigned char *p, size_t n, char *err, size_t errlen)
{
	/* sign, 2000 digits, point, 1000 digits, and the last group */
	char buf[PG_DECIMAL_MAX_DIGITS + PG_NUMERIC_MAX_PRECISION + 16];
	unsigned char dec[DEC_BYTES];
	struct pg_num num;
	struct tout o;
	const char *why;
	size_t dlen;

	if ((why = read_numeric(p, n, &num)))
		return bad_bin(err, errlen, PG_BIN_NUMERIC, n, why);
	if (num.sign != NUM_POS && num.sign != NUM_NEG)
		return bin_text_value(ev, base, i, RC_V_TEXT, PG_BIN_NUMERIC, p,
				      n, err, errlen);
	if (num.dscale > scale)
		return bad_bin(err, errlen, PG_BIN_NUMERIC, n,
			       "more fraction digits than the column's "
			       "scale");
	tout_init(&o, TOUT_WRITE, buf, sizeof(buf));
	numeric_text(&num, &o);
	if (o.over)
		return bad_bin(err, errlen, PG_BIN_NUMERIC, n,
			       "more digits than the column's precision");
	if ((why = numeric_to_twos(buf, o.len, precision, scale, dec, &dlen)))
		return bad(err, errlen, PG_CONV_NUMERIC, buf, o.len, why);
	return set_bytes(ev, base, i, RC_V_SET, dec, dlen, err, errlen);
}

/* 16 bytes as "6f1c2b1e-8a7d-4d3e-9c2a-1b2c3d4e5f60". */
static void
uuid_format(const unsigned char *p, char *out)
{
	static const char hx[] = "0123456789abcdef";
	int k = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hx[p[i] >> 4];
		out[k++] = hx[p[i] & 15];
	}
}

/*
 * Convert the binary value p[0..n) of type bin into value i at base, as
 * the column's conv wants it (the value pg_convert_text() makes of the
 * same datum's text). p must not point into the arena.
 */
static int
bin_scalar(struct rc_event *ev, int64_t base, int i, enum pg_bin bin,
	   enum pg_conv conv, int precision, int scale, const unsigned char *p,
	   size_t n, char *err, size_t errlen)
{
	unsigned char dec[16];
	struct rc_value *v;
	char uuid[36];
	uint64_t u;
	int64_t t;
	uint32_t u32;
	float f;
	double d;

	switch (bin) {
	case PG_BIN_TEXT:
	case PG_BIN_BYTEA:
		return set_bytes(ev, base, i, RC_V_SET, p, n, err, errlen);
	case PG_BIN_JSONB:
		if (n < 1 || p[0] != 1)
			return bad_bin(err, errlen, bin, n,
				       "unknown format version");
		return set_bytes(ev, base, i, RC_V_SET, p + 1, n - 1, err,
				 errlen);
	case PG_BIN_BOOL:
		if (n != 1 || p[0] > 1)
			return bad_bin(err, errlen, bin, n,
				       "expected one byte, 0 or 1");
		return set_int(ev, base, i, p[0]);
	case PG_BIN_INT2:
		if (n != 2)
			return bad_bin(err, errlen, bin, n, "expected 2 bytes");
		return set_int(ev, base, i, (int16_t)(p[0] << 8 | p[1]));
	case PG_BIN_INT4:
		if (n != 4)
			return bad_bin(err, errlen, bin, n, "expected 4 bytes");
		return set_int(ev, base, i, (int32_t)be32_at(p));
	case PG_BIN_UINT32:
		if (n != 4)
			return bad_bin(err, errlen, bin, n, "expected 4 bytes");
		return set_int(ev, base, i, be32_at(p));
	case PG_BIN_INT8:
	case PG_BIN_UINT64:
		if (n != 8)
			return bad_bin(err, errlen, bin, n, "expected 8 bytes");
		u = be64_at(p);
		if (bin == PG_BIN_UINT64 && u > INT64_MAX)
			return bad_bin(err, errlen, bin, n,
				       "above the range of a long");
		return set_int(ev, base, i, (int64_t)u);
	case PG_BIN_FLOAT4:
		if (n != 4)
			return bad_bin(err, errlen, bin, n, "expected 4 bytes");
		u32 = be32_at(p);
		memcpy(&f, &u32, 4);
		v = slot(ev, base, i);
		v->kind = RC_V_SET;
		v->u.f = isnan(f) ? NAN : f; /* strtof("NaN") */
		return 0;
	case PG_BIN_FLOAT8:
		if (n != 8)
			return bad_bin(err, errlen, bin, n, "expected 8 bytes");
		u = be64_at(p);
		memcpy(&d, &u, 8);
		v = slot(ev, base, i);
		v->kind = RC_V_SET;
		v->u.d = isnan(d) ? (double)NAN : d; /* strtod("NaN") */
		return 0;
	case PG_BIN_NUMERIC:
		if (conv == PG_CONV_NUMERIC)
			return bin_decimal(ev, base, i, precision, scale, p, n,
					   err, errlen);
		return bin_text_value(ev, base, i, RC_V_SET, bin, p, n, err,
				      errlen);
	case PG_BIN_MONEY:
		if (n != 8)
			return bad_bin(err, errlen, bin, n, "expected 8 bytes");
		u = i64_twos((int64_t)be64_at(p), dec);
		return set_bytes(ev, base, i, RC_V_SET, dec, u, err, errlen);
	case PG_BIN_DATE:
		if (n != 4)
			return bad_bin(err, errlen, bin, n, "expected 4 bytes");
		t = (int32_t)be32_at(p);
		if (t != INT32_MIN && t != INT32_MAX) {
			t += PG_EPOCH_DAYS;
			if (t <= INT32_MIN || t >= INT32_MAX)
				return bad_bin(err, errlen, bin, n,
					       "out of range");
		}
		return set_int(ev, base, i, t);
	case PG_BIN_TIME:
		if (n != 8)
			return bad_bin(err, errlen, bin, n, "expected 8 bytes");
		t = (int64_t)be64_at(p);
		if (t < 0 || t > USECS_PER_DAY)
			return bad_bin(err, errlen, bin, n, "out of range");
		return set_int(ev, base, i, t);
	case PG_BIN_TIMESTAMP:
	case PG_BIN_TIMESTAMPTZ:
		if (n != 8)
			return bad_bin(err, errlen, bin, n, "expected 8 bytes");
		t = (int64_t)be64_at(p);
		if (t != INT64_MIN && t != INT64_MAX &&
		    (__builtin_add_overflow(t, PG_EPOCH_USECS, &t) ||
		     t == INT64_MIN || t == INT64_MAX))
			return bad_bin(err, errlen, bin, n,
				       "out of range for microseconds since "
				       "1970");
		return set_int(ev, base, i, t);
	case PG_BIN_UUID:
		if (n != 16)
			return bad_bin(err, errlen, bin, n,
				       "expected 16 bytes");
		uuid_format(p, uuid);
		return set_bytes(ev, base, i, RC_V_SET, uuid, sizeof(uuid), err,
				 errlen);
	case PG_BIN_CHAR:
	case PG_BIN_TIMETZ:
	case PG_BIN_INTERVAL:
	case PG_BIN_JSONPATH:
	case PG_BIN_PG_LSN:
	case PG_BIN_MACADDR:
	case PG_BIN_MACADDR8:
	case PG_BIN_INET:
	case PG_BIN_CIDR:
	case PG_BIN_BIT:
		return bin_text_value(ev, base, i, RC_V_SET, bin, p, n, err,
				      errlen);
	case PG_BIN_NONE:
	case PG_BIN_ARRAY:
	case PG_BIN__COUNT:
		break;
	}
	return bad_bin(err, errlen, bin, n, "no binary decoder for this type");
}

/* ------------------------------------------------------------------ */
/* Binary values: arrays                                              */
/* ------------------------------------------------------------------ */

#define PG_MAXDIM 6

/*
 * array_send():
 *   int32 ndim, int32 has-nulls flag, uint32 element type OID,
 *   ndim x (int32 size, int32 lower bound),
 *   per element in row-major order: int32 length (-1: NULL), the
 *   element's own send format.
 * An empty array has ndim 0.
 */
struct pg_arr {
	int ndim;
	int32_t dims[PG_MAXDIM], lbs[PG_MAXDIM];
	size_t nitems;
	const unsigned char *elems; /* the element part */
	size_t elen;
};

static const char *
read_array(const unsigned char *p, size_t n, struct pg_arr *a)
{
	struct rc_reader r;
	uint32_t flags;
	int32_t ndim;

	rc_reader_init(&r, p, n);
	ndim = (int32_t)rc_reader_be32(&r);
	flags = rc_reader_be32(&r);
	rc_reader_be32(&r); /* element type: the mapping knows it */
	if (!rc_reader_ok(&r))
		return "shorter than the 12-byte header";
	if (ndim < 0 || ndim > PG_MAXDIM)
		return "bad number of dimensions";
	if (flags > 1)
		return "bad flags";
	a->ndim = ndim;
	a->nitems = ndim ? 1 : 0;
	for (int i = 0; i < ndim; i++) {
		a->dims[i] = (int32_t)rc_reader_be32(&r);
		a->lbs[i] = (int32_t)rc_reader_be32(&r);
		if (!rc_reader_ok(&r))
			return "shorter than its dimensions";
		if (a->dims[i] < 0)
			return "negative dimension";
		if ((int64_t)a->lbs[i] + a->dims[i] - 1 > INT32_MAX)
			return "upper bound out of range";
		a->nitems *= (size_t)a->dims[i];
		if (a->nitems > RC_MAX_ARRAY_ELEMENTS)
			return "too many elements";
	}
	/* every element takes at least its 4-byte length */
	if (a->nitems > rc_reader_left(&r) / 4)
		return "shorter than its elements";
	a->elems = r.p;
	a->elen = rc_reader_left(&r);
	return NULL;
}

/* The next element: NULL data for SQL NULL. */
static const char *
array_elem(struct rc_reader *r, const unsigned char **data, size_t *len)
{
	int32_t n = (int32_t)rc_reader_be32(r);

	if (!rc_reader_ok(r))
		return "element length missing";
	if (n == -1) {
		*data = NULL;
		*len = 0;
		return NULL;
	}
	if (n < 0)
		return "negative element length";
	*data = rc_reader_bytes(r, (size_t)n);
	*len = (size_t)n;
	return *data ? NULL : "element longer than the array";
}

/*
 * One element of an array literal as array_out() writes it: quoted when
 * empty, "NULL" (any case), or holding the delimiter, a brace, a quote,
 * a backslash or white space; inside quotes '"' and '\' are escaped.
 */
static const char *
literal_elem(enum pg_bin bin, const unsigned char *p, size_t n, char delim,
	     struct tout *o)
{
	struct tout scan;
	const char *why;
	enum tout_mode mode;

	tout_init(&scan, TOUT_SCAN, NULL, 0);
	scan.delim = delim;
	if ((why = bin_text(bin, p, n, &scan)))
		return why;
	if (!(scan.len == 0 || scan.quote ||
	      (scan.len == 4 && strncasecmp(scan.head, "NULL", 4) == 0)))
		return bin_text(bin, p, n, o);
	tout_put(o, "\"", 1);
	mode = o->mode;
	if (mode == TOUT_COUNT) {
		o->len += scan.len + scan.esc;
	} else {
		o->mode = TOUT_QUOTED;
		bin_text(bin, p, n, o);
		o->mode = mode;
	}
	tout_put(o, "\"", 1);
	return NULL;
}

/*
 * array_out() of a binary array: "[2:3]={1,2}" when a lower bound is not
 * 1, nested braces per dimension, NULL unquoted. The value the text path
 * keeps (RC_V_TEXT) of an array that is not one-dimensional from 1.
 */
static const char *
array_literal(const struct pg_arr *a, enum pg_bin bin, char delim,
	      struct tout *o)
{
	int32_t indx[PG_MAXDIM] = {0};
	struct rc_reader r;
	const char *why;
	int i, j = 0;

	for (i = 0; i < a->ndim; i++)
		if (a->lbs[i] != 1)
			break;
	if (i < a->ndim) {
		for (i = 0; i < a->ndim; i++) {
			char b[32];
			int k = snprintf(b, sizeof(b), "[%lld:%lld]",
					 (long long)a->lbs[i],
					 (long long)a->lbs[i] + a->dims[i] - 1);

			tout_put(o, b, (size_t)k);
		}
		tout_put(o, "=", 1);
	}
	tout_put(o, "{", 1);
	rc_reader_init(&r, a->elems, a->elen);
	do {
		const unsigned char *p;
		size_t n;

		for (i = j; i < a->ndim - 1; i++)
			tout_put(o, "{", 1);
		if ((why = array_elem(&r, &p, &n)))
			return why;
		if (!p)
			tout_put(o, "NULL", 4);
		else if ((why = literal_elem(bin, p, n, delim, o)))
			return why;
		for (i = a->ndim - 1; i >= 0; i--) {
			if (++indx[i] < a->dims[i]) {
				tout_put(o, &delim, 1);
				break;
			}
			indx[i] = 0;
			tout_put(o, "}", 1);
		}
		j = i;
	} while (j != -1);
	if (rc_reader_left(&r))
		return "trailing bytes after the last element";
	return NULL;
}

/*
 * A binary array into value i at base, as conv_array() makes it from the
 * text: a one-dimensional array from 1 (or an empty one) as an rc_value[]
 * of its elements, anything else as its text literal (RC_V_TEXT).
 */
static int
bin_array(struct rc_event *ev, int64_t base, int i, const struct pg_mapped *m,
	  const unsigned char *p, size_t n, char *err, size_t errlen)
{
	char delim = m->delim ? m->delim : ',';
	struct rc_reader r;
	struct pg_arr a;
	struct tout o;
	struct rc_value *v;
	const char *why;
	int64_t off;

	if ((why = read_array(p, n, &a)))
		return bad_bin(err, errlen, PG_BIN_ARRAY, n, why);
	if (a.nitems && (a.ndim != 1 || a.lbs[0] != 1)) {
		tout_init(&o, TOUT_COUNT, NULL, 0);
		if ((why = array_literal(&a, m->elem_bin, delim, &o)))
			return bad_bin(err, errlen, PG_BIN_ARRAY, n, why);
		if (o.len > UINT32_MAX)
			return oom(err, errlen);
		off = rc_event_alloc(ev, o.len);
		if (off < 0 || off > UINT32_MAX)
			return oom(err, errlen);
		tout_init(&o, TOUT_WRITE, rc_event_ptr(ev, off), o.len);
		if (array_literal(&a, m->elem_bin, delim, &o) || o.over)
			return bad_bin(err, errlen, PG_BIN_ARRAY, n,
				       "literal changed size");
		v = slot(ev, base, i);
		v->kind = RC_V_TEXT;
		v->u.s.off = (uint32_t)off;
		v->u.s.len = (uint32_t)o.len;
		return 0;
	}
	off = rc_event_alloc(ev, (a.nitems ? a.nitems : 1) *
					 sizeof(struct rc_value));
	if (off < 0 || off > UINT32_MAX)
		return oom(err, errlen);
	memset(rc_event_ptr(ev, off), 0,
	       (a.nitems ? a.nitems : 1) * sizeof(struct rc_value));
	v = slot(ev, base, i);
	v->kind = RC_V_SET;
	v->u.a.off = (uint32_t)off;
	v->u.a.n = (uint32_t)a.nitems;
	rc_reader_init(&r, a.elems, a.elen);
	for (size_t k = 0; k < a.nitems; k++) {
		const unsigned char *ep;
		size_t en;

		if ((why = array_elem(&r, &ep, &en)))
			return bad_bin(err, errlen, PG_BIN_ARRAY, n, why);
		if (ep &&
		    bin_scalar(ev, off, (int)k, m->elem_bin, m->elem_conv,
			       m->precision, m->scale, ep, en, err, errlen))
			return -1;
	}
	if (rc_reader_left(&r))
		return bad_bin(err, errlen, PG_BIN_ARRAY, n,
			       "trailing bytes after the last element");
	return 0;
}

int
pg_convert_binary(struct rc_event *ev, int64_t row, int col,
		  const struct pg_mapped *m, const char *data, size_t len,
		  char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)data;

	if (!pg_binary_ok(m))
		return bad_bin(err, errlen, m->bin, len,
			       "no binary decoder for this type");
	if (m->bin == PG_BIN_ARRAY)
		return bin_array(ev, row, col, m, p, len, err, errlen);
	return bin_scalar(ev, row, col, m->bin, m->conv, m->precision, m->scale,
			  p, len, err, errlen);
}

/* ------------------------------------------------------------------ */
/* Snapshot cursors                                                   */
/* ------------------------------------------------------------------ */

/* type OIDs (pg_type.dat) */
enum {
	PG_INT8OID = 20,
	PG_INT2OID = 21,
	PG_INT4OID = 23,
	PG_TEXTOID = 25,
	PG_VARCHAROID = 1043,
};

int
pg_key_binary_ok(uint32_t oid)
{
	return oid == PG_INT2OID || oid == PG_INT4OID || oid == PG_INT8OID ||
	       oid == PG_TEXTOID || oid == PG_VARCHAROID;
}

int
pg_key_binary_text(uint32_t oid, const unsigned char *p, int len, char *out,
		   size_t outlen)
{
	uint64_t u = 0;
	int64_t v;

	if (oid == PG_TEXTOID || oid == PG_VARCHAROID) {
		if (len < 0 || (size_t)len >= outlen ||
		    memchr(p, 0, (size_t)len))
			return -1;
		memcpy(out, p, (size_t)len);
		out[len] = '\0';
		return 0;
	}
	if (!pg_key_binary_ok(oid) || len != (oid == PG_INT2OID	  ? 2
					      : oid == PG_INT4OID ? 4
								  : 8))
		return -1;
	for (int i = 0; i < len; i++)
		u = u << 8 | p[i];
	if (len == 2)
		v = (int16_t)(uint16_t)u;
	else if (len == 4)
		v = (int32_t)(uint32_t)u;
	else
		v = (int64_t)u;
	return snprintf(out, outlen, "%" PRId64, v) < (int)outlen ? 0 : -1;
}
