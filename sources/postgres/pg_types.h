/*
 * pg_types.h -- PostgreSQL types onto rowcast's types (event.h), and the
 * text output of pgoutput (proto_version 1) into typed values.
 *
 * One table in pg_types.c lists every built-in type: its OID, name,
 * rowcast type and converter. The README's type table is the same list.
 *
 * The walsender session is started with these settings (pg_source.c), and
 * the converters rely on them:
 *   DateStyle=ISO, TimeZone=UTC, IntervalStyle=iso_8601,
 *   extra_float_digits=3, bytea_output=hex, lc_monetary=C
 */
#ifndef RC_PG_TYPES_H
#define RC_PG_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

enum pg_conv {
	PG_CONV_TEXT = 0,	/* string, the text form as is */
	PG_CONV_BOOL,
	PG_CONV_INT32,		/* int2, int4 */
	PG_CONV_INT64,		/* int8, oid, xid8 ... */
	PG_CONV_FLOAT4,
	PG_CONV_FLOAT8,
	PG_CONV_NUMERIC,	/* numeric(p,s) -> decimal; NaN/Infinity -> text */
	PG_CONV_NUMERIC_TEXT,	/* numeric without scale -> string */
	PG_CONV_MONEY,		/* money -> decimal(19,2) */
	PG_CONV_BYTEA,		/* \x hex -> bytes */
	PG_CONV_DATE,		/* date; +/-infinity -> INT32 max/min */
	PG_CONV_TIME,		/* time -> time-micros */
	PG_CONV_TIMESTAMP,	/* -> local-timestamp-micros; infinity -> INT64 max/min */
	PG_CONV_TIMESTAMPTZ,	/* -> timestamp-micros; infinity -> INT64 max/min */
	PG_CONV_UUID,
	PG_CONV_JSON,		/* json, jsonb */
	PG_CONV_ARRAY,		/* one-dimensional array of elem conv; else text */
	PG_CONV__COUNT
};

/* What the source learns from the catalog about a type that is not built
 * in (enum, domain, array of such, composite, range, extension type). */
struct pg_type_desc {
	char typtype;		/* 'b' base, 'e' enum, 'd' domain, 'c', 'r', 'm', 'p' */
	uint32_t basetype;	/* domain: base type OID */
	int32_t basetypmod;	/* domain: base typmod */
	uint32_t elem;		/* array: element type OID (0 when not an array) */
	char delim;		/* array element delimiter (',' except box ';') */
	char name[64];		/* format_type() of the type */
};

/* Returns 0 and fills *desc, or -1 when the type cannot be looked up
 * (the column is then carried as its text form). */
typedef int (*pg_type_lookup_fn)(void *ctx, uint32_t oid,
				 struct pg_type_desc *desc);

struct pg_mapped {
	enum rc_type type;
	enum rc_type elem_type;		/* RC_T_ARRAY */
	int precision, scale;		/* RC_T_DECIMAL */
	enum pg_conv conv;
	enum pg_conv elem_conv;		/* PG_CONV_ARRAY */
	char delim;			/* PG_CONV_ARRAY */
	char db_type[96];		/* e.g. "numeric(12,2)", "integer[]" */
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

/* The rows of the type table, for docs and tests. */
struct pg_builtin_type {
	uint32_t oid;
	const char *name;	/* as format_type() prints it: "integer" */
	enum rc_type type;
	enum pg_conv conv;
	uint32_t elem;		/* for array types: element OID, else 0 */
	const char *note;	/* the README's note on the mapping */
	const char *typname;	/* pg_type.typname, e.g. "int4", "_int4" */
};
extern const struct pg_builtin_type pg_builtin_types[];	/* sorted by oid */
extern const size_t pg_builtin_types_count;

/* The row of a built-in type, or NULL. */
const struct pg_builtin_type *pg_builtin_type(uint32_t oid);

#endif
