/*
 * pg_types.h -- PostgreSQL types onto rowcast's types (event.h), and the
 * text or binary output of pgoutput (proto_version 1) into typed values.
 *
 * One table in pg_types.c lists every built-in type: its OID, name,
 * rowcast type and converter. The README's type table is the same list.
 *
 * The walsender session is started with these settings (pg_source.c), and
 * the converters rely on them:
 *   DateStyle=ISO, TimeZone=UTC, IntervalStyle=iso_8601,
 *   extra_float_digits=3, bytea_output=hex, lc_monetary=C,
 *   client_encoding=UTF8
 * The binary converters make the same values as the text converters would
 * from the text the server prints under these settings (for the types
 * whose value is that text: interval, timetz, "char", numeric without
 * typmod, multi-dimensional arrays).
 */
#ifndef RC_PG_TYPES_H
#define RC_PG_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

enum pg_conv {
	PG_CONV_TEXT = 0, /* string, the text form as is */
	PG_CONV_BOOL,
	PG_CONV_INT32, /* int2, int4 */
	PG_CONV_INT64, /* int8, oid, xid8 ... */
	PG_CONV_FLOAT4,
	PG_CONV_FLOAT8,
	PG_CONV_NUMERIC, /* numeric(p,s) -> decimal; NaN/Infinity -> text */
	PG_CONV_NUMERIC_TEXT, /* numeric without scale -> string */
	PG_CONV_MONEY,	      /* money -> decimal(19,2) */
	PG_CONV_BYTEA,	      /* \x hex -> bytes */
	PG_CONV_DATE,	      /* date; +/-infinity -> INT32 max/min */
	PG_CONV_TIME,	      /* time -> time-micros */
	PG_CONV_TIMESTAMP,    /* -> local-timestamp-micros; infinity -> INT64
				 max/min */
	PG_CONV_TIMESTAMPTZ,  /* -> timestamp-micros; infinity -> INT64 max/min
			       */
	PG_CONV_UUID,
	PG_CONV_JSON,  /* json, jsonb */
	PG_CONV_ARRAY, /* one-dimensional array of elem conv; else text */
	PG_CONV__COUNT
};

/*
 * The binary (send) format of a type, as pgoutput sends a column of kind
 * 'b' when the session asked for binary 'true': which decoder reads it.
 * PG_BIN_NONE: no decoder, the session must stream text.
 */
enum pg_bin {
	PG_BIN_NONE = 0,
	PG_BIN_TEXT, /* the send format is the text form: text,
		      * varchar, bpchar, name, xml, json, enums,
		      * citext and other types sent by textsend */
	PG_BIN_CHAR, /* "char": one raw byte */
	PG_BIN_BOOL, /* 1 byte */
	PG_BIN_INT2, /* big-endian signed */
	PG_BIN_INT4,
	PG_BIN_INT8,
	PG_BIN_UINT32, /* oid, xid, cid */
	PG_BIN_UINT64, /* xid8 */
	PG_BIN_FLOAT4, /* IEEE 754, big-endian */
	PG_BIN_FLOAT8,
	PG_BIN_NUMERIC,	    /* ndigits, weight, sign, dscale, base 10000 */
	PG_BIN_MONEY,	    /* int64 cents */
	PG_BIN_BYTEA,	    /* the bytes */
	PG_BIN_DATE,	    /* int32 days since 2000-01-01 */
	PG_BIN_TIME,	    /* int64 microseconds since midnight */
	PG_BIN_TIMETZ,	    /* time, then int32 zone (seconds west) */
	PG_BIN_TIMESTAMP,   /* int64 microseconds since 2000-01-01 */
	PG_BIN_TIMESTAMPTZ, /* the same, UTC */
	PG_BIN_INTERVAL,    /* int64 microseconds, int32 days, int32 months */
	PG_BIN_UUID,	    /* 16 bytes */
	PG_BIN_JSONB,	    /* version byte 1, then the text */
	PG_BIN_JSONPATH,    /* version byte 1, then the text */
	PG_BIN_PG_LSN,	    /* uint64 */
	PG_BIN_MACADDR,	    /* 6 bytes */
	PG_BIN_MACADDR8,    /* 8 bytes */
	PG_BIN_INET,	    /* family, bits, is_cidr, nb, address */
	PG_BIN_CIDR,
	PG_BIN_BIT,   /* int32 bit length, then the bits */
	PG_BIN_ARRAY, /* array_send() of elements of elem_bin */
	PG_BIN__COUNT
};

/* What the source learns from the catalog about a type that is not built
 * in (enum, domain, array of such, composite, range, extension type). */
struct pg_type_desc {
	char typtype; /* 'b' base, 'e' enum, 'd' domain, 'c', 'r', 'm', 'p' */
	uint32_t basetype;  /* domain: base type OID */
	int32_t basetypmod; /* domain: base typmod */
	uint32_t elem;	    /* array: element type OID (0 when not an array) */
	char delim;	    /* array element delimiter (',' except box ';') */
	char name[64];	    /* format_type() of the type */
	/* pg_proc.prosrc of typsend and typoutput when they are internal
	 * functions (prolang 12), else "": a base type sent by textsend and
	 * printed by textout (citext) reads its binary form as text. Left
	 * "" the type is simply not read in binary. */
	char send_src[32];
	char out_src[32];
};

/* Returns 0 and fills *desc, or -1 when the type cannot be looked up
 * (the column is then carried as its text form). */
typedef int (*pg_type_lookup_fn)(void *ctx, uint32_t oid,
				 struct pg_type_desc *desc);

struct pg_mapped {
	enum rc_type type;
	enum rc_type elem_type; /* RC_T_ARRAY */
	int precision, scale;	/* RC_T_DECIMAL */
	enum pg_conv conv;
	enum pg_conv elem_conv; /* PG_CONV_ARRAY */
	char delim;		/* PG_CONV_ARRAY */
	char db_type[96];	/* e.g. "numeric(12,2)", "integer[]" */
	enum pg_bin bin;	/* binary decoder (of the base type) */
	enum pg_bin elem_bin;	/* PG_BIN_ARRAY: the element's */
};

/*
 * Map a column of type oid with typmod. Built-in types come from the
 * table; others through lookup (may be NULL): domains map as their base
 * type, enums as strings, arrays of known element types as arrays,
 * anything else as its text form. Never fails: unknown is text.
 */
void pg_map_type(uint32_t oid, int32_t typmod, pg_type_lookup_fn lookup,
		 void *ctx, struct pg_mapped *out);

/*
 * Convert one text value of pgoutput into value col of row in ev.
 * Returns 0, or -1 with err set ("bad date '...'") when the text cannot be
 * parsed: the caller treats that as a fatal, logged error.
 *
 * text (len bytes, no NUL needed) must not point into ev's arena: the
 * arena may move while the value is stored. Payloads (strings, bytes,
 * decimals, array elements) are copied into the arena; the value is
 * found again through row and col, never through a kept pointer.
 */
int pg_convert_text(struct rc_event *ev, int64_t row, int col,
		    const struct pg_mapped *m, const char *text, size_t len,
		    char *err, size_t errlen);

/* Does pg_convert_binary() handle this column's binary (send) format? */
int pg_binary_ok(const struct pg_mapped *m);

/*
 * Convert one binary value of pgoutput (column kind 'b': the type's send
 * format) into value col of row in ev: the same value pg_convert_text()
 * makes from the text form of the same datum. Returns 0, or -1 with err
 * set ("bad date (binary, 3 bytes): ...") when the bytes are not a value
 * of the type (a wrong length is an error, never a read past data+len),
 * or when the column has no binary decoder (pg_binary_ok() is 0).
 *
 * data (len bytes) must not point into ev's arena; payloads are copied
 * into the arena as with pg_convert_text().
 */
int pg_convert_binary(struct rc_event *ev, int64_t row, int col,
		      const struct pg_mapped *m, const char *data, size_t len,
		      char *err, size_t errlen);

/* The rows of the type table, for docs and tests. */
struct pg_builtin_type {
	uint32_t oid;
	const char *name; /* as format_type() prints it: "integer" */
	enum rc_type type;
	enum pg_conv conv;
	uint32_t elem;	     /* for array types: element OID, else 0 */
	const char *note;    /* the README's note on the mapping */
	const char *typname; /* pg_type.typname, e.g. "int4", "_int4" */
};
extern const struct pg_builtin_type pg_builtin_types[]; /* sorted by oid */
extern const size_t pg_builtin_types_count;

/* The row of a built-in type, or NULL. */
const struct pg_builtin_type *pg_builtin_type(uint32_t oid);

/*
 * Key columns whose binary send value pg_key_binary_text() turns into the
 * same text as ::text gives (int2, int4, int8, text, varchar): the
 * snapshot's COPY need not select them again as text for its cursor.
 */
int pg_key_binary_ok(uint32_t oid);
/* The text of such a value p[0..len) into out[outlen]; -1 when malformed
 * or too long. */
int pg_key_binary_text(uint32_t oid, const unsigned char *p, int len, char *out,
		       size_t outlen);

#endif
