/*
 * encoder.c -- events to Avro binary, and to JSON for people (see encoder.h).
 *
 * Schemas are JSON text that rowcast writes itself (with jansson): Avro C
 * drops logicalType, precision, scale and defaults when it prints a schema
 * (LAB.md section 4), so the text we publish and register is ours, and Avro
 * C parses that same text as a check. Everything a table needs (schema
 * text, canonical forms, fingerprints, the field names) is built on the
 * first event of a table shape and cached on struct rc_table (enc_priv).
 *
 * The hot path (rc_encode_value, rc_encode_key) writes Avro binary itself,
 * straight into the output buffer, and allocates nothing in the steady
 * state (see "Avro binary" below for why not Avro C's value API).
 *
 * Type mapping (the one table in the code, rc_avro_map below):
 *
 *   rowcast type            Avro                       JSON (rc_encode_json)
 *   BOOLEAN                 boolean                    true / false
 *   INT32                   int                        number
 *   INT64                   long                       number
 *   FLOAT, DOUBLE           float, double              number; "NaN",
 *                                                      "Infinity", "-Infinity"
 *   STRING                  string                     string
 *   BYTES                   bytes                      base64 string
 *   DECIMAL(p,s)            bytes, decimal(p,s)        "-123.45" (exact)
 *   DATE                    int, date                  "2024-01-02"
 *   TIME_MICROS             long, time-micros          "03:04:05.123456"
 *   TIMESTAMP_MICROS        long, timestamp-micros     "...T03:04:05.123456Z"
 *   LOCAL_TIMESTAMP_MICROS  long, local-timestamp-micros  (same, without Z)
 *   UUID                    string, uuid               string
 *   JSON                    string, connect.name       string
 *                           io.debezium.data.Json
 *   DURATION_MICROS         long, connect.name         number
 *                           io.debezium.time.MicroDuration
 *   ARRAY of E              array of ["null", E]       JSON array
 *
 * In the Value record every column is ["null", T] (default null); DECIMAL
 * and ARRAY columns are ["null", T, "string"], the string branch carrying
 * RC_V_TEXT (NaN/Infinity of a numeric, a multi-dimensional array), and so
 * is any column flagged RC_COL_TEXT_BRANCH (a MySQL zero date). An
 * unchanged value (PostgreSQL TOAST) is null in `after` and its field name
 * is listed in the envelope's `unchanged` array, so it is never confused
 * with a NULL. Dates and timestamps of +/-infinity (PostgreSQL) are
 * INT32/INT64 MAX/MIN in Avro and "infinity"/"-infinity" in JSON.
 */
#include "encoder.h"
#include "calendar.h"
#include "limits.h"

#include <avro.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Type mapping                                                       */
/* ------------------------------------------------------------------ */

struct rc_avro_map {
	const char *type;    /* Avro type */
	const char *logical; /* logicalType, or NULL */
	const char *connect; /* connect.name, or NULL */
	int text_branch;     /* the union has a "string" branch for RC_V_TEXT */
};

static const struct rc_avro_map rc_avro_map[RC_T__COUNT] = {
	[RC_T_BOOLEAN] = {"boolean", NULL, NULL, 0},
	[RC_T_INT32] = {"int", NULL, NULL, 0},
	[RC_T_INT64] = {"long", NULL, NULL, 0},
	[RC_T_FLOAT] = {"float", NULL, NULL, 0},
	[RC_T_DOUBLE] = {"double", NULL, NULL, 0},
	[RC_T_STRING] = {"string", NULL, NULL, 0},
	[RC_T_BYTES] = {"bytes", NULL, NULL, 0},
	[RC_T_DECIMAL] = {"bytes", "decimal", NULL, 1},
	[RC_T_DATE] = {"int", "date", NULL, 0},
	[RC_T_TIME_MICROS] = {"long", "time-micros", NULL, 0},
	[RC_T_TIMESTAMP_MICROS] = {"long", "timestamp-micros", NULL, 0},
	[RC_T_LOCAL_TIMESTAMP_MICROS] = {"long", "local-timestamp-micros", NULL,
					 0},
	[RC_T_UUID] = {"string", "uuid", NULL, 0},
	[RC_T_JSON] = {"string", NULL, "io.debezium.data.Json", 0},
	[RC_T_DURATION_MICROS] = {"long", NULL,
				  "io.debezium.time.MicroDuration", 0},
	[RC_T_ARRAY] = {"array", NULL, NULL, 1},
};

/* Precision of a decimal whose source did not say (it always should). */
#define RC_DECIMAL_DEFAULT_PRECISION 38

/* Field positions in the records rowcast writes (schema order). */
enum {
	ENV_BEFORE = 0,
	ENV_AFTER,
	ENV_SOURCE,
	ENV_OP,
	ENV_TS_MS,
	ENV_TRANSACTION,
	ENV_UNCHANGED,
};
enum {
	SRC_VERSION = 0,
	SRC_CONNECTOR,
	SRC_NAME,
	SRC_TS_MS,
	SRC_TS_US,
	SRC_SNAPSHOT,
	SRC_DB,
	SRC_SCHEMA,
	SRC_TABLE,
	SRC_TXID,
	SRC_LSN,
	SRC_FILE,
	SRC_POS,
	SRC_ROW,
	SRC_GTID,
	SRC_SERVER_ID,
};
enum {
	TXN_ID = 0,
	TXN_TOTAL_ORDER,
	TXN_DATA_COLLECTION_ORDER,
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
is_mysql(const struct rc_event *ev)
{
	return ev->src.connector && strcmp(ev->src.connector, "mysql") == 0;
}

/* ------------------------------------------------------------------ */
/* Names                                                              */
/* ------------------------------------------------------------------ */

static int
name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/*
 * Sanitise a name for Avro: every character outside [A-Za-z0-9_] becomes
 * one '_' (a multi-byte UTF-8 character is one character), a leading digit
 * gets a '_' in front, and an empty name becomes "_". The result is
 * truncated to outlen-1 bytes.
 */
void
rc_avro_name(const char *in, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t n = 0;

	if (!out || !outlen)
		return;
	if (*p >= '0' && *p <= '9' && n + 1 < outlen)
		out[n++] = '_';
	for (; *p && n + 1 < outlen; p++) {
		if (name_char(*p))
			out[n++] = (char)*p;
		else if ((*p & 0xc0) != 0x80) /* not a UTF-8 continuation */
			out[n++] = '_';
	}
	if (n == 0 && outlen > 1)
		out[n++] = '_';
	out[n] = 0;
}

/* Append "." and the sanitised part to prefix (skipping empty parts). */
static void
prefix_add(char *prefix, size_t len, const char *part)
{
	char name[RC_MAX_NAME];
	size_t n = strlen(prefix);

	if (!part || !*part)
		return;
	rc_avro_name(part, name, sizeof(name));
	snprintf(prefix + n, len - n, "%s%s", n ? "." : "", name);
}

/* ------------------------------------------------------------------ */
/* CRC-64-AVRO fingerprint                                            */
/* ------------------------------------------------------------------ */

#define RC_AVRO_FP_EMPTY 0xc15d213aa4d7a795ULL

/*
 * The Rabin fingerprint of the Avro specification ("Schema Fingerprints"):
 * a table built from the polynomial EMPTY, then one table step per byte.
 * The table is built on the stack per call (2 kB of work): fingerprints
 * are computed once per schema, and no shared state means no locking.
 */
uint64_t
rc_avro_fingerprint(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t table[256];
	uint64_t fp = RC_AVRO_FP_EMPTY;

	for (int i = 0; i < 256; i++) {
		uint64_t f = (uint64_t)i;

		for (int j = 0; j < 8; j++)
			f = (f >> 1) ^ (RC_AVRO_FP_EMPTY & (0 - (f & 1)));
		table[i] = f;
	}
	for (size_t i = 0; p && i < len; i++)
		fp = (fp >> 8) ^ table[(fp ^ p[i]) & 0xff];
	return fp;
}

/* ------------------------------------------------------------------ */
/* Parsing Canonical Form                                             */
/* ------------------------------------------------------------------ */

struct canon {
	struct rc_buf out;
	char **defined; /* fullnames of named types seen so far */
	size_t ndefined;
	size_t capdefined;
	char *err;
	size_t errlen;
};

static const char *const rc_avro_primitives[] = {
	"null",	  "boolean", "int",    "long", "float",
	"double", "bytes",   "string", NULL,
};

static int
is_primitive(const char *s)
{
	for (int i = 0; rc_avro_primitives[i]; i++)
		if (strcmp(s, rc_avro_primitives[i]) == 0)
			return 1;
	return 0;
}

/* Fullname of name in namespace ns (malloc'd), or NULL. */
static char *
fullname(const char *name, const char *ns)
{
	size_t nl = strlen(name), sl = ns ? strlen(ns) : 0;
	char *s;

	if (strchr(name, '.') || !sl)
		return strdup(name);
	s = malloc(sl + 1 + nl + 1);
	if (!s)
		return NULL;
	memcpy(s, ns, sl);
	s[sl] = '.';
	memcpy(s + sl + 1, name, nl + 1);
	return s;
}

static int
canon_defined(struct canon *cx, const char *full)
{
	for (size_t i = 0; i < cx->ndefined; i++)
		if (strcmp(cx->defined[i], full) == 0)
			return 1;
	return 0;
}

static int
canon_define(struct canon *cx, char *full)
{
	if (cx->ndefined == cx->capdefined) {
		size_t cap = cx->capdefined ? cx->capdefined * 2 : 8;
		char **d = realloc(cx->defined, cap * sizeof(*d));

		if (!d)
			return -1;
		cx->defined = d;
		cx->capdefined = cap;
	}
	cx->defined[cx->ndefined++] = full;
	return 0;
}

static int
canon_str(struct canon *cx, const char *s)
{
	return rc_buf_json_string(&cx->out, s, strlen(s));
}

static int canon_schema(struct canon *cx, json_t *s, const char *ns);

/*
 * A named type (record, error, enum, fixed): FULLNAMES, STRIP and ORDER.
 * Its own name sets the namespace of what it contains. A type already
 * defined earlier in the schema is written as its fullname only.
 */
static int
canon_named(struct canon *cx, json_t *s, const char *type, const char *ns)
{
	json_t *jname = json_object_get(s, "name");
	json_t *jns = json_object_get(s, "namespace");
	const char *name, *dot;
	char *full, *inner = NULL;
	int rc = -1;

	if (!json_is_string(jname)) {
		set_err(cx->err, cx->errlen, "%s without a name", type);
		return -1;
	}
	name = json_string_value(jname);
	if (json_is_string(jns) && !strchr(name, '.'))
		ns = json_string_value(jns);
	full = fullname(name, ns);
	if (!full)
		return -1;
	if (canon_defined(cx, full)) {
		rc = canon_str(cx, full);
		free(full);
		return rc;
	}
	if (canon_define(cx, full) < 0) {
		free(full);
		return -1;
	}
	/* the namespace of what this type contains */
	dot = strrchr(full, '.');
	if (dot) {
		inner = strndup(full, (size_t)(dot - full));
		if (!inner)
			return -1;
	}
	if (rc_buf_puts(&cx->out, "{\"name\":") < 0 ||
	    canon_str(cx, full) < 0 ||
	    rc_buf_puts(&cx->out, ",\"type\":") < 0 || canon_str(cx, type) < 0)
		goto out;
	if (!strcmp(type, "record") || !strcmp(type, "error")) {
		json_t *fields = json_object_get(s, "fields");
		size_t i;
		json_t *f;

		if (!json_is_array(fields)) {
			set_err(cx->err, cx->errlen, "record %s without fields",
				full);
			goto out;
		}
		if (rc_buf_puts(&cx->out, ",\"fields\":[") < 0)
			goto out;
		json_array_foreach (fields, i, f) {
			json_t *fname = json_object_get(f, "name");

			if (!json_is_string(fname) ||
			    !json_object_get(f, "type")) {
				set_err(cx->err, cx->errlen,
					"record %s: field %zu without name or "
					"type",
					full, i);
				goto out;
			}
			if ((i && rc_buf_putc(&cx->out, ',') < 0) ||
			    rc_buf_puts(&cx->out, "{\"name\":") < 0 ||
			    canon_str(cx, json_string_value(fname)) < 0 ||
			    rc_buf_puts(&cx->out, ",\"type\":") < 0 ||
			    canon_schema(cx, json_object_get(f, "type"),
					 inner) < 0 ||
			    rc_buf_putc(&cx->out, '}') < 0)
				goto out;
		}
		if (rc_buf_putc(&cx->out, ']') < 0)
			goto out;
	} else if (!strcmp(type, "enum")) {
		json_t *syms = json_object_get(s, "symbols"), *sym;
		size_t i;

		if (!json_is_array(syms)) {
			set_err(cx->err, cx->errlen, "enum %s without symbols",
				full);
			goto out;
		}
		if (rc_buf_puts(&cx->out, ",\"symbols\":[") < 0)
			goto out;
		json_array_foreach (syms, i, sym) {
			if (!json_is_string(sym)) {
				set_err(cx->err, cx->errlen,
					"enum %s: bad symbol", full);
				goto out;
			}
			if ((i && rc_buf_putc(&cx->out, ',') < 0) ||
			    canon_str(cx, json_string_value(sym)) < 0)
				goto out;
		}
		if (rc_buf_putc(&cx->out, ']') < 0)
			goto out;
	} else { /* fixed */
		json_t *size = json_object_get(s, "size");

		if (!json_is_integer(size)) {
			set_err(cx->err, cx->errlen, "fixed %s without size",
				full);
			goto out;
		}
		if (rc_buf_printf(&cx->out, ",\"size\":%lld",
				  (long long)json_integer_value(size)) < 0)
			goto out;
	}
	rc = rc_buf_putc(&cx->out, '}');
out:
	free(inner);
	return rc;
}

/* One schema (any JSON value) in canonical form, in namespace ns. */
static int
canon_schema(struct canon *cx, json_t *s, const char *ns)
{
	const char *type;

	if (json_is_string(s)) {
		const char *name = json_string_value(s);
		char *full;
		int rc;

		if (is_primitive(name))
			return canon_str(cx, name);
		full = fullname(name, ns); /* a reference */
		if (!full)
			return -1;
		rc = canon_str(cx, full);
		free(full);
		return rc;
	}
	if (json_is_array(s)) { /* a union */
		size_t i;
		json_t *b;

		if (rc_buf_putc(&cx->out, '[') < 0)
			return -1;
		json_array_foreach (s, i, b) {
			if ((i && rc_buf_putc(&cx->out, ',') < 0) ||
			    canon_schema(cx, b, ns) < 0)
				return -1;
		}
		return rc_buf_putc(&cx->out, ']');
	}
	if (!json_is_object(s)) {
		set_err(cx->err, cx->errlen,
			"a schema must be a string, an "
			"array or an object");
		return -1;
	}
	if (!json_is_string(json_object_get(s, "type"))) {
		if (json_object_get(s, "type")) /* {"type": {...}} */
			return canon_schema(cx, json_object_get(s, "type"), ns);
		set_err(cx->err, cx->errlen, "schema object without a type");
		return -1;
	}
	type = json_string_value(json_object_get(s, "type"));
	if (is_primitive(type)) /* PRIMITIVES */
		return canon_str(cx, type);
	if (!strcmp(type, "record") || !strcmp(type, "error") ||
	    !strcmp(type, "enum") || !strcmp(type, "fixed"))
		return canon_named(cx, s, type, ns);
	if (!strcmp(type, "array") || !strcmp(type, "map")) {
		const char *key = type[0] == 'a' ? "items" : "values";
		json_t *child = json_object_get(s, key);

		if (!child) {
			set_err(cx->err, cx->errlen, "%s without %s", type,
				key);
			return -1;
		}
		if (rc_buf_printf(&cx->out, "{\"type\":\"%s\",\"%s\":", type,
				  key) < 0 ||
		    canon_schema(cx, child, ns) < 0)
			return -1;
		return rc_buf_putc(&cx->out, '}');
	}
	return canon_schema(cx, json_object_get(s, "type"),
			    ns); /* {"type":"x.Y"} */
}

/*
 * The Parsing Canonical Form of a schema given as JSON text (Avro
 * specification, "Parsing Canonical Form for Schemas"): PRIMITIVES,
 * FULLNAMES, STRIP (only type, name, fields, symbols, items, values,
 * size), ORDER, STRINGS (escapes replaced by UTF-8), INTEGERS (no leading
 * zeros) and WHITESPACE. Returns a malloc'd string the caller frees, or
 * NULL with err set.
 */
char *
rc_avro_canonical(const char *json, size_t len, char *err, size_t errlen)
{
	struct canon cx;
	json_error_t jerr;
	json_t *root;
	char *res = NULL;

	if (!json) {
		set_err(err, errlen, "no schema");
		return NULL;
	}
	root = json_loadb(json, len, JSON_DECODE_ANY, &jerr);
	if (!root) {
		set_err(err, errlen, "schema is not JSON: %s (line %d)",
			jerr.text, jerr.line);
		return NULL;
	}
	memset(&cx, 0, sizeof(cx));
	rc_buf_init(&cx.out, RC_MAX_ENCODED_BYTES);
	cx.err = err;
	cx.errlen = errlen;
	if (err && errlen)
		err[0] = 0;
	if (canon_schema(&cx, root, NULL) == 0 && cx.out.data) {
		res = cx.out.data;
		cx.out.data = NULL;
	} else if (err && errlen && !err[0]) {
		set_err(err, errlen, "out of memory");
	}
	rc_buf_free(&cx.out);
	for (size_t i = 0; i < cx.ndefined; i++)
		free(cx.defined[i]);
	free(cx.defined);
	json_decref(root);
	return res;
}

/* ------------------------------------------------------------------ */
/* Schemas of a table                                                 */
/* ------------------------------------------------------------------ */

/* What the encoder keeps per column. */
struct rc_enc_col {
	enum rc_type type;
	enum rc_type elem_type;
	int scale;
	int text;   /* the column's union has a "string" branch */
	char *name; /* unique Avro field name */
	size_t name_len;
};

/* What the encoder keeps per table shape, on tbl->enc_priv. */
struct rc_enc_table {
	struct rc_schemas sch;
	char *key_json;
	char *value_json;
	char *key_canonical;
	char *value_canonical;
	int ncols;
	struct rc_enc_col *cols;
	size_t source_len, db_len, schema_len, table_len;
	const char *src_connector; /* constant source fields set for it */
	int src_set;

	/* The last Source record written for this table and what it was
	 * written from: the events of a transaction or a snapshot chunk
	 * mostly carry the same one (a third of an event's encoding). */
	struct rc_src_cache {
		int valid;
		struct rc_source_info src; /* file/gtid: point into fg */
		char fg[160];		   /* file NUL gtid NUL */
		size_t len;
		unsigned char bytes[320];
	} srcc;

	/* Avro C's view of the same schemas: the check that they are valid */
	avro_schema_t vschema;
	avro_value_iface_t *viface;
	avro_schema_t kschema; /* when the table has a key */
	avro_value_iface_t *kiface;
};

/* Frees a table cache; accepts NULL. Avro C references are dropped in
 * the order LAB.md section 4 gives: value, class, schema. */
static void
enc_table_free(void *p)
{
	struct rc_enc_table *et = p;

	if (!et)
		return;
	if (et->viface)
		avro_value_iface_decref(et->viface);
	if (et->vschema)
		avro_schema_decref(et->vschema);
	if (et->kiface)
		avro_value_iface_decref(et->kiface);
	if (et->kschema)
		avro_schema_decref(et->kschema);
	for (int i = 0; et->cols && i < et->ncols; i++)
		free(et->cols[i].name);
	free(et->cols);
	free(et->key_json);
	free(et->value_json);
	free(et->key_canonical);
	free(et->value_canonical);
	free(et);
}

/*
 * Give every column a unique Avro field name: rc_avro_name() of its name,
 * then _2, _3, ... when an earlier column already took that name.
 */
static int
enc_names(struct rc_enc_table *et, const struct rc_table *tbl)
{
	char base[RC_MAX_NAME], name[RC_MAX_NAME + 16];

	for (int i = 0; i < tbl->ncols; i++) {
		int k = 1, clash;

		rc_avro_name(tbl->cols[i].name, base, sizeof(base));
		snprintf(name, sizeof(name), "%s", base);
		do {
			clash = 0;
			for (int j = 0; j < i && !clash; j++)
				clash = strcmp(et->cols[j].name, name) == 0;
			if (clash)
				snprintf(name, sizeof(name), "%s_%d", base,
					 ++k);
		} while (clash);
		et->cols[i].name = strdup(name);
		if (!et->cols[i].name)
			return -1;
		et->cols[i].name_len = strlen(name);
	}
	return 0;
}

/* The Avro type of a column (or of an array's elements), a new reference. */
static json_t *
type_json(const struct rc_column *col, enum rc_type t, int in_array, char *err,
	  size_t errlen)
{
	const struct rc_avro_map *m;

	if ((unsigned)t >= RC_T__COUNT) {
		set_err(err, errlen, "column %s: unknown type %d", col->name,
			(int)t);
		return NULL;
	}
	m = &rc_avro_map[t];
	if (t == RC_T_DECIMAL) {
		int p = col->precision ? col->precision
				       : RC_DECIMAL_DEFAULT_PRECISION;

		if (p < 1 || col->scale < 0 || col->scale > p) {
			set_err(err, errlen,
				"column %s: decimal(%d,%d) is not a "
				"valid Avro decimal (needs 0 <= scale <= "
				"precision)",
				col->name, p, col->scale);
			return NULL;
		}
		return json_pack("{s:s, s:s, s:i, s:i}", "type", m->type,
				 "logicalType", m->logical, "precision", p,
				 "scale", col->scale);
	}
	if (t == RC_T_ARRAY) {
		json_t *items;

		if (in_array) {
			set_err(err, errlen,
				"column %s: arrays of arrays are "
				"carried as text, not as an element type",
				col->name);
			return NULL;
		}
		items = type_json(col, col->elem_type, 1, err, errlen);
		if (!items)
			return NULL;
		return json_pack("{s:s, s:[s, o]}", "type", "array", "items",
				 "null", items);
	}
	if (m->logical)
		return json_pack("{s:s, s:s}", "type", m->type, "logicalType",
				 m->logical);
	if (m->connect)
		return json_pack("{s:s, s:s}", "type", m->type, "connect.name",
				 m->connect);
	return json_string(m->type);
}

/* A field {"name": name, "type": type[, "default": null]}; steals type. */
static json_t *
field_json(const char *name, json_t *type, int default_null)
{
	if (!type)
		return NULL;
	if (default_null)
		return json_pack("{s:s, s:o, s:n}", "name", name, "type", type,
				 "default");
	return json_pack("{s:s, s:o}", "name", name, "type", type);
}

/* ["null", T] or ["null", T, "string"]; steals t. */
static json_t *
nullable(json_t *t, int text_branch)
{
	if (!t)
		return NULL;
	if (text_branch)
		return json_pack("[s, o, s]", "null", t, "string");
	return json_pack("[s, o]", "null", t);
}

/* Append a field to a record's fields array; steals f. */
static int
add_field(json_t *fields, json_t *f)
{
	return f ? json_array_append_new(fields, f) : -1;
}

/* The rowcast.Source record: Debezium's source block, in SRC_* order. */
static const struct {
	const char *name;
	const char *type; /* Avro type of the value */
	int nullable;	  /* ["null", type] with default null */
	const char *def;  /* a string default, or NULL */
} rc_source_fields[] = {
	[SRC_VERSION] = {"version", "string", 0, NULL},
	[SRC_CONNECTOR] = {"connector", "string", 0, NULL},
	[SRC_NAME] = {"name", "string", 0, NULL},
	[SRC_TS_MS] = {"ts_ms", "long", 0, NULL},
	[SRC_TS_US] = {"ts_us", "long", 0, NULL},
	[SRC_SNAPSHOT] = {"snapshot", "string", 0, "false"},
	[SRC_DB] = {"db", "string", 0, NULL},
	[SRC_SCHEMA] = {"schema", "string", 1, NULL},
	[SRC_TABLE] = {"table", "string", 0, NULL},
	[SRC_TXID] = {"txId", "long", 1, NULL},
	[SRC_LSN] = {"lsn", "long", 1, NULL},
	[SRC_FILE] = {"file", "string", 1, NULL},
	[SRC_POS] = {"pos", "long", 1, NULL},
	[SRC_ROW] = {"row", "int", 1, NULL},
	[SRC_GTID] = {"gtid", "string", 1, NULL},
	[SRC_SERVER_ID] = {"server_id", "long", 1, NULL},
};

static json_t *
source_json(void)
{
	json_t *fields = json_array(), *f;

	if (!fields)
		return NULL;
	for (size_t i = 0;
	     i < sizeof(rc_source_fields) / sizeof(rc_source_fields[0]); i++) {
		const char *name = rc_source_fields[i].name;
		const char *type = rc_source_fields[i].type;

		if (rc_source_fields[i].nullable)
			f = field_json(name, nullable(json_string(type), 0), 1);
		else if (rc_source_fields[i].def)
			f = json_pack("{s:s, s:s, s:s}", "name", name, "type",
				      type, "default", rc_source_fields[i].def);
		else
			f = field_json(name, json_string(type), 0);
		if (add_field(fields, f)) {
			json_decref(fields);
			return NULL;
		}
	}
	return json_pack("{s:s, s:s, s:o}", "type", "record", "name",
			 "rowcast.Source", "fields", fields);
}

/* The rowcast.Transaction record. */
static json_t *
transaction_json(void)
{
	return json_pack("{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}",
			 "type", "record", "name", "rowcast.Transaction",
			 "fields", "name", "id", "type", "string", "name",
			 "total_order", "type", "long", "name",
			 "data_collection_order", "type", "long");
}

/* Parse schema text with Avro C and build its class: a schema that Avro C
 * rejects is an error before any event is written with it. */
static int
avro_prepare(const char *json, avro_schema_t *schema,
	     avro_value_iface_t **iface, const char *what, char *err,
	     size_t errlen)
{
	if (avro_schema_from_json_length(json, strlen(json), schema)) {
		*schema = NULL;
		set_err(err, errlen, "Avro C rejects the %s schema: %s", what,
			avro_strerror());
		return -1;
	}
	*iface = avro_generic_class_from_schema(*schema);
	if (!*iface) {
		set_err(err, errlen, "Avro C cannot build the %s class: %s",
			what, avro_strerror());
		return -1;
	}
	return 0;
}

/* Canonical form and fingerprint of one schema text. */
static int
enc_canonical(const char *json, char **canon, uint64_t *fp, char *err,
	      size_t errlen)
{
	*canon = rc_avro_canonical(json, strlen(json), err, errlen);
	if (!*canon)
		return -1;
	*fp = rc_avro_fingerprint(*canon, strlen(*canon));
	return 0;
}

/*
 * Build everything the encoder needs for one table shape: the Key, Value
 * and Envelope schema text, their canonical forms and fingerprints, and
 * the Avro C values. Returns a new cache, or NULL with err set.
 */
static struct rc_enc_table *
enc_table_new(const struct rc_table *tbl, char *err, size_t errlen)
{
	struct rc_enc_table *et = calloc(1, sizeof(*et));
	char prefix[4 * RC_MAX_NAME], full[4 * RC_MAX_NAME + 16];
	json_t *vfields = NULL, *value = NULL, *env = NULL, *key = NULL;
	json_t *kfields = NULL, *efields = NULL, *t;

	if (!et)
		goto oom;
	et->ncols = tbl->ncols;
	et->cols = calloc((size_t)(tbl->ncols ? tbl->ncols : 1),
			  sizeof(*et->cols));
	if (!et->cols || enc_names(et, tbl) < 0)
		goto oom;
	for (int i = 0; i < tbl->ncols; i++) {
		et->cols[i].type = tbl->cols[i].type;
		et->cols[i].elem_type = tbl->cols[i].elem_type;
		et->cols[i].scale = tbl->cols[i].scale;
		et->cols[i].text = rc_avro_map[tbl->cols[i].type].text_branch ||
				   (tbl->cols[i].flags & RC_COL_TEXT_BRANCH);
	}
	et->source_len = strlen(tbl->source);
	et->db_len = strlen(tbl->db);
	et->schema_len = strlen(tbl->schema);
	et->table_len = strlen(tbl->name);

	prefix[0] = 0;
	if (tbl->record_prefix && *tbl->record_prefix) {
		snprintf(prefix, sizeof(prefix), "%s", tbl->record_prefix);
	} else {
		prefix_add(prefix, sizeof(prefix), tbl->source);
		prefix_add(prefix, sizeof(prefix), tbl->schema);
		prefix_add(prefix, sizeof(prefix), tbl->name);
	}

	/* Value: every column nullable */
	vfields = json_array();
	if (!vfields)
		goto oom;
	for (int i = 0; i < tbl->ncols; i++) {
		const struct rc_column *col = &tbl->cols[i];
		int text;

		t = type_json(col, col->type, 0, err, errlen);
		if (!t)
			goto fail;
		text = rc_avro_map[col->type].text_branch ||
		       (col->flags & RC_COL_TEXT_BRANCH);
		if (add_field(vfields, field_json(et->cols[i].name,
						  nullable(t, text), 1)))
			goto oom;
	}
	snprintf(full, sizeof(full), "%s%sValue", prefix, *prefix ? "." : "");
	value = json_pack("{s:s, s:s, s:o}", "type", "record", "name", full,
			  "fields", vfields);
	vfields = NULL;
	if (!value)
		goto oom;

	/* Key: the key columns, not null */
	if (tbl->nkeys > 0) {
		kfields = json_array();
		if (!kfields)
			goto oom;
		for (int k = 0; k < tbl->nkeys; k++) {
			int i = tbl->keys[k];
			const struct rc_column *col;

			if (i < 0 || i >= tbl->ncols) {
				set_err(err, errlen,
					"key column %d out of range", i);
				goto fail;
			}
			col = &tbl->cols[i];
			t = type_json(col, col->type, 0, err, errlen);
			if (!t)
				goto fail;
			if (rc_avro_map[col->type].text_branch ||
			    (col->flags & RC_COL_TEXT_BRANCH))
				t = json_pack("[o, s]", t, "string");
			if (add_field(kfields,
				      field_json(et->cols[i].name, t, 0)))
				goto oom;
		}
		snprintf(full, sizeof(full), "%s%sKey", prefix,
			 *prefix ? "." : "");
		key = json_pack("{s:s, s:s, s:o}", "type", "record", "name",
				full, "fields", kfields);
		kfields = NULL;
		if (!key)
			goto oom;
		et->key_json = json_dumps(key, JSON_COMPACT);
		if (!et->key_json)
			goto oom;
	}

	/* Envelope: before is the Value record, after refers to it by name */
	efields = json_array();
	if (!efields)
		goto oom;
	snprintf(full, sizeof(full), "%s%sValue", prefix, *prefix ? "." : "");
	{
		json_t *before = json_pack("[s, o]", "null", value);
		json_t *after = json_pack("[s, s]", "null", full);
		json_t *ts = json_pack("[s, s]", "null", "long");
		json_t *txn = nullable(transaction_json(), 0);
		json_t *unch = json_pack("[s, {s:s, s:s}]", "null", "type",
					 "array", "items", "string");
		json_t *ef[] = {
			field_json("before", before, 1),
			field_json("after", after, 1),
			field_json("source", source_json(), 0),
			field_json("op", json_string("string"), 0),
			field_json("ts_ms", ts, 1),
			field_json("transaction", txn, 1),
			field_json("unchanged", unch, 1),
		};
		int bad = 0;

		value = NULL; /* json_pack took it, even on error */
		for (size_t i = 0; i < sizeof(ef) / sizeof(ef[0]); i++)
			bad |= add_field(efields, ef[i]) != 0;
		if (bad)
			goto oom;
	}
	snprintf(full, sizeof(full), "%s%sEnvelope", prefix,
		 *prefix ? "." : "");
	env = json_pack("{s:s, s:s, s:o}", "type", "record", "name", full,
			"fields", efields);
	efields = NULL;
	if (!env)
		goto oom;
	et->value_json = json_dumps(env, JSON_COMPACT);
	if (!et->value_json)
		goto oom;
	json_decref(env);
	json_decref(key);
	env = key = NULL;

	/* Canonical forms, fingerprints */
	if (enc_canonical(et->value_json, &et->value_canonical,
			  &et->sch.value_fp, err, errlen) < 0)
		goto fail;
	if (et->key_json && enc_canonical(et->key_json, &et->key_canonical,
					  &et->sch.key_fp, err, errlen) < 0)
		goto fail;
	et->sch.key_json = et->key_json;
	et->sch.value_json = et->value_json;
	et->sch.key_canonical = et->key_canonical;
	et->sch.value_canonical = et->value_canonical;

	/* Avro C, from the same text */
	if (avro_prepare(et->value_json, &et->vschema, &et->viface, "value",
			 err, errlen) < 0)
		goto fail;
	if (et->key_json && avro_prepare(et->key_json, &et->kschema,
					 &et->kiface, "key", err, errlen) < 0)
		goto fail;
	return et;
oom:
	set_err(err, errlen, "out of memory building the schemas");
fail:
	json_decref(vfields);
	json_decref(kfields);
	json_decref(efields);
	json_decref(value);
	json_decref(key);
	json_decref(env);
	enc_table_free(et);
	return NULL;
}

/* The table's cache, built on first use. NULL with err set on failure. */
static struct rc_enc_table *
enc_table(struct rc_table *tbl, char *err, size_t errlen)
{
	struct rc_enc_table *et;

	if (tbl->enc_priv) {
		if (tbl->enc_free != enc_table_free) {
			set_err(err, errlen,
				"table %s.%s: enc_priv is not "
				"the encoder's",
				tbl->schema, tbl->name);
			return NULL;
		}
		return tbl->enc_priv;
	}
	et = enc_table_new(tbl, err, errlen);
	if (!et)
		return NULL;
	tbl->enc_priv = et;
	tbl->enc_free = enc_table_free;
	return et;
}

/* ------------------------------------------------------------------ */
/* Encoder                                                            */
/* ------------------------------------------------------------------ */

struct rc_encoder {
	int unused; /* per-table state lives on struct rc_table */
};

struct rc_encoder *
rc_encoder_new(void)
{
	struct rc_encoder *enc = calloc(1, sizeof(*enc));

	if (!enc)
		return NULL;
	return enc;
}

void
rc_encoder_free(struct rc_encoder *enc)
{
	if (!enc)
		return;
	free(enc);
}

const struct rc_schemas *
rc_encoder_schemas(struct rc_encoder *enc, struct rc_table *tbl, char *err,
		   size_t errlen)
{
	struct rc_enc_table *et;

	if (!enc || !tbl) {
		set_err(err, errlen, "no encoder or no table");
		return NULL;
	}
	et = enc_table(tbl, err, errlen);
	return et ? &et->sch : NULL;
}

/* ------------------------------------------------------------------ */
/* Reading the event                                                  */
/* ------------------------------------------------------------------ */

/* Payload of a string/bytes value, or NULL when it lies outside the arena. */
static inline const char *
payload(const struct rc_event *ev, const struct rc_value *v)
{
	if ((uint64_t)v->u.s.off + v->u.s.len > ev->arena_len)
		return NULL;
	return ev->arena + v->u.s.off;
}

/* The value array of an array value, or NULL when it is not in the arena. */
static inline const struct rc_value *
array_elems(const struct rc_event *ev, const struct rc_value *v)
{
	if (v->u.a.n > RC_MAX_ARRAY_ELEMENTS ||
	    v->u.a.off % _Alignof(struct rc_value) != 0 ||
	    (uint64_t)v->u.a.off +
			    (uint64_t)v->u.a.n * sizeof(struct rc_value) >
		    ev->arena_len)
		return NULL;
	return (const struct rc_value *)(ev->arena + v->u.a.off);
}

/* The before or after image, or NULL when it is absent or not in the arena. */
static inline const struct rc_value *
row_values(const struct rc_event *ev, int64_t row)
{
	if (row < 0 || (uint64_t)row % _Alignof(struct rc_value) != 0 ||
	    (uint64_t)row + (uint64_t)ev->tbl->ncols * sizeof(struct rc_value) >
		    ev->arena_len)
		return NULL;
	return (const struct rc_value *)(ev->arena + row);
}

/* ------------------------------------------------------------------ */
/* Avro binary                                                        */
/* ------------------------------------------------------------------ */

/*
 * The values are written in Avro's binary encoding directly (zig-zag
 * varints, length-prefixed bytes, little-endian IEEE floats, union branch
 * indexes, blocked arrays), following the schema this file wrote for the
 * table. Avro C's generic value API did the same walk through a tree of
 * generic values and cost about half of the pipeline thread's time per
 * event; Avro C still parses every schema rowcast writes (avro_prepare),
 * and the tests decode what is written here with Avro C's reader and with
 * python-avro.
 *
 * A writer remembers its first failure (cap, memory) and does nothing
 * after it; the caller rolls the buffer back to where it started.
 */
struct aw {
	struct rc_buf *b;
	int bad;
};

static int
aw_room(struct aw *w, size_t n)
{
	if (w->bad)
		return 0;
	if (w->b->cap > w->b->len && w->b->cap - w->b->len > n)
		return 1;
	if (rc_buf_reserve(w->b, n) < 0) {
		w->bad = 1;
		return 0;
	}
	return 1;
}

static inline void
aw_raw(struct aw *w, const void *src, size_t n)
{
	if (!aw_room(w, n))
		return;
	memcpy(w->b->data + w->b->len, src, n);
	w->b->len += n;
}

static inline void
aw_long(struct aw *w, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	unsigned char t[10], *p = t, *s;

	/* straight into the buffer when the longest varint fits (most
	 * writes: a varint per field of every event) */
	if (!w->bad && w->b->cap > w->b->len && w->b->cap - w->b->len > 10)
		p = (unsigned char *)w->b->data + w->b->len;
	s = p;
	while (z & ~(uint64_t)0x7f) {
		*p++ = (unsigned char)((z & 0x7f) | 0x80);
		z >>= 7;
	}
	*p++ = (unsigned char)z;
	if (s == t)
		aw_raw(w, t, (size_t)(p - t));
	else
		w->b->len += (size_t)(p - s);
}

static inline void
aw_bytes(struct aw *w, const void *src, size_t n)
{
	aw_long(w, (int64_t)n);
	aw_raw(w, src, n);
}

static inline void
aw_str(struct aw *w, const char *s)
{
	aw_bytes(w, s, strlen(s));
}

/* IEEE 754 bits, least significant byte first. */
static inline void
aw_fixed_le(struct aw *w, uint64_t bits, int n)
{
	unsigned char t[8];

	for (int i = 0; i < n; i++)
		t[i] = (unsigned char)(bits >> (8 * i));
	aw_raw(w, t, (size_t)n);
}

static inline void
aw_float(struct aw *w, float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	aw_fixed_le(w, u, 4);
}

static inline void
aw_double(struct aw *w, double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	aw_fixed_le(w, u, 8);
}

/* A value of the column's type (kind RC_V_SET). 0, or -1 with err set. */
static int
w_typed(struct aw *w, const struct rc_enc_col *c, enum rc_type t,
	const struct rc_event *ev, const struct rc_value *val, char *err,
	size_t errlen)
{
	const char *p;

	switch (t) {
	case RC_T_BOOLEAN: {
		unsigned char b = val->u.i != 0;

		aw_raw(w, &b, 1);
		return 0;
	}
	case RC_T_INT32:
	case RC_T_DATE:
		aw_long(w, (int32_t)val->u.i);
		return 0;
	case RC_T_INT64:
	case RC_T_TIME_MICROS:
	case RC_T_DURATION_MICROS:
	case RC_T_TIMESTAMP_MICROS:
	case RC_T_LOCAL_TIMESTAMP_MICROS:
		aw_long(w, val->u.i);
		return 0;
	case RC_T_FLOAT:
		aw_float(w, val->u.f);
		return 0;
	case RC_T_DOUBLE:
		aw_double(w, val->u.d);
		return 0;
	case RC_T_STRING:
	case RC_T_UUID:
	case RC_T_JSON:
	case RC_T_BYTES:
	case RC_T_DECIMAL:
		p = payload(ev, val);
		if (!p) {
			set_err(err, errlen,
				"column %s: value outside the event", c->name);
			return -1;
		}
		aw_bytes(w, p, val->u.s.len);
		return 0;
	case RC_T_ARRAY: {
		const struct rc_value *el = array_elems(ev, val);

		if (!el) {
			set_err(err, errlen,
				"column %s: array outside the event", c->name);
			return -1;
		}
		/* one block of n items, then the empty block */
		if (val->u.a.n)
			aw_long(w, (int64_t)val->u.a.n);
		for (uint32_t i = 0; i < val->u.a.n; i++) {
			if (el[i].kind == RC_V_NULL) {
				aw_long(w, 0);
			} else if (el[i].kind == RC_V_SET &&
				   c->elem_type != RC_T_ARRAY) {
				aw_long(w, 1);
				if (w_typed(w, c, c->elem_type, ev, &el[i], err,
					    errlen) < 0)
					return -1;
			} else {
				set_err(err, errlen,
					"column %s: array element %u "
					"is neither NULL nor a value",
					c->name, i);
				return -1;
			}
		}
		aw_long(w, 0);
		return 0;
	}
	default:
		set_err(err, errlen, "column %s: unknown type %d", c->name,
			(int)t);
		return -1;
	}
}

/* A Value record field: ["null", T] or ["null", T, "string"]. */
static int
w_nullable(struct aw *w, const struct rc_enc_col *c, const struct rc_event *ev,
	   const struct rc_value *val, char *err, size_t errlen)
{
	const char *p;

	switch (val->kind) {
	case RC_V_NULL:
	case RC_V_UNCHANGED:
		aw_long(w, 0);
		return 0;
	case RC_V_SET:
		aw_long(w, 1);
		return w_typed(w, c, c->type, ev, val, err, errlen);
	case RC_V_TEXT:
		if (!c->text) {
			set_err(err, errlen,
				"column %s: a %s column cannot carry "
				"a text value",
				c->name, rc_type_name(c->type));
			return -1;
		}
		p = payload(ev, val);
		if (!p) {
			set_err(err, errlen,
				"column %s: value outside the event", c->name);
			return -1;
		}
		aw_long(w, 2);
		aw_bytes(w, p, val->u.s.len);
		return 0;
	default:
		set_err(err, errlen, "column %s: bad value kind %d", c->name,
			val->kind);
		return -1;
	}
}

/* The before or after field of the envelope: ["null", Value]. */
static int
w_row(struct aw *w, const struct rc_enc_table *et, const struct rc_event *ev,
      int64_t row, const char *what, char *err, size_t errlen)
{
	const struct rc_value *vals;

	if (row < 0) {
		aw_long(w, 0);
		return 0;
	}
	vals = row_values(ev, row);
	if (!vals) {
		set_err(err, errlen, "%s image outside the event", what);
		return -1;
	}
	aw_long(w, 1);
	for (int i = 0; i < et->ncols; i++)
		if (w_nullable(w, &et->cols[i], ev, &vals[i], err, errlen) < 0)
			return -1;
	return 0;
}

static inline void
w_opt_long(struct aw *w, int present, int64_t v)
{
	aw_long(w, present ? 1 : 0);
	if (present)
		aw_long(w, v);
}

static inline void
w_opt_str(struct aw *w, const char *s)
{
	aw_long(w, s ? 1 : 0);
	if (s)
		aw_str(w, s);
}

static const char *const rc_snapshot_names[] = {"false", "true", "last"};

/* Is src what the cache's record was written from? */
static int
src_cached(const struct rc_src_cache *c, const struct rc_source_info *src)
{
	const struct rc_source_info *k = &c->src;

	return c->valid && k->commit_ts_us == src->commit_ts_us &&
	       k->pos == src->pos && k->row == src->row &&
	       k->snapshot == src->snapshot && k->txid == src->txid &&
	       k->lsn == src->lsn && k->server_id == src->server_id &&
	       k->connector == src->connector && !k->file == !src->file &&
	       !k->gtid == !src->gtid &&
	       (!src->file || !strcmp(k->file, src->file)) &&
	       (!src->gtid || !strcmp(k->gtid, src->gtid));
}

/* Keep the record just written at start (unless it or its strings are
 * too long for the cache). */
static void
src_keep(struct rc_src_cache *c, const struct aw *w, size_t start,
	 const struct rc_source_info *src)
{
	size_t lf = src->file ? strlen(src->file) + 1 : 0;
	size_t lg = src->gtid ? strlen(src->gtid) + 1 : 0;
	size_t n = w->b->len - start;

	c->valid = 0;
	if (w->bad || n > sizeof(c->bytes) || lf + lg > sizeof(c->fg))
		return;
	c->src = *src;
	if (lf) {
		memcpy(c->fg, src->file, lf);
		c->src.file = c->fg;
	}
	if (lg) {
		memcpy(c->fg + lf, src->gtid, lg);
		c->src.gtid = c->fg + lf;
	}
	memcpy(c->bytes, w->b->data + start, n);
	c->len = n;
	c->valid = 1;
}

/* The rowcast.Source record, fields in rc_source_fields order. */
static int w_source_fields(struct aw *w, const struct rc_enc_table *et,
			   const struct rc_event *ev, char *err, size_t errlen);

static int
w_source(struct aw *w, struct rc_enc_table *et, const struct rc_event *ev,
	 char *err, size_t errlen)
{
	size_t start = w->b->len;

	if (src_cached(&et->srcc, &ev->src)) {
		aw_raw(w, et->srcc.bytes, et->srcc.len);
		return 0;
	}
	if (w_source_fields(w, et, ev, err, errlen) < 0)
		return -1;
	src_keep(&et->srcc, w, start, &ev->src);
	return 0;
}

static int
w_source_fields(struct aw *w, const struct rc_enc_table *et,
		const struct rc_event *ev, char *err, size_t errlen)
{
	const struct rc_table *tbl = ev->tbl;
	int my = is_mysql(ev);

	if (ev->src.snapshot > 2) {
		set_err(err, errlen, "bad snapshot flag %u", ev->src.snapshot);
		return -1;
	}
	aw_bytes(w, PACKAGE_VERSION, sizeof(PACKAGE_VERSION) - 1);
	aw_str(w, ev->src.connector ? ev->src.connector : "");
	aw_bytes(w, tbl->source, et->source_len);
	aw_long(w, ev->src.commit_ts_us / 1000);
	aw_long(w, ev->src.commit_ts_us);
	aw_str(w, rc_snapshot_names[ev->src.snapshot]);
	aw_bytes(w, tbl->db, et->db_len);
	if (my) {
		aw_long(w, 0);
	} else {
		aw_long(w, 1);
		aw_bytes(w, tbl->schema, et->schema_len);
	}
	aw_bytes(w, tbl->name, et->table_len);
	w_opt_long(w, ev->src.txid >= 0, ev->src.txid);
	w_opt_long(w, !my && ev->src.lsn != 0, (int64_t)ev->src.lsn);
	w_opt_str(w, my ? ev->src.file : NULL);
	w_opt_long(w, my, (int64_t)ev->src.pos);
	w_opt_long(w, my, (int32_t)ev->src.row);
	w_opt_str(w, my ? ev->src.gtid : NULL);
	w_opt_long(w, my, ev->src.server_id);
	return 0;
}

static const char rc_op_chars[] = "cudrt";

/* The Envelope record. */
static int
w_envelope(struct aw *w, struct rc_enc_table *et, const struct rc_event *ev,
	   char *err, size_t errlen)
{
	const struct rc_value *after = NULL;
	const char *opc;
	int nunch = 0;

	if (!ev->op || !(opc = strchr(rc_op_chars, ev->op))) {
		set_err(err, errlen, "bad operation '%c'",
			ev->op ? ev->op : '?');
		return -1;
	}
	if (w_row(w, et, ev, ev->before, "before", err, errlen) < 0 ||
	    w_row(w, et, ev, ev->after, "after", err, errlen) < 0 ||
	    w_source(w, et, ev, err, errlen) < 0)
		return -1;
	aw_bytes(w, opc, 1);
	w_opt_long(w, 1, ev->ts_ms);
	if (ev->txn_seq == 0 && ev->txn_order == 0) {
		aw_long(w, 0);
	} else {
		aw_long(w, 1);
		aw_bytes(w, ev->txn_id,
			 strnlen(ev->txn_id, sizeof(ev->txn_id)));
		aw_long(w, (int64_t)ev->txn_order);
		aw_long(w, (int64_t)ev->table_order);
	}
	/* unchanged: names of the after image's RC_V_UNCHANGED columns */
	if (ev->after >= 0 && (after = row_values(ev, ev->after)) != NULL)
		for (int i = 0; i < et->ncols; i++)
			nunch += after[i].kind == RC_V_UNCHANGED;
	if (!nunch) {
		aw_long(w, 0);
		return 0;
	}
	aw_long(w, 1);
	aw_long(w, nunch);
	for (int i = 0; i < et->ncols; i++)
		if (after[i].kind == RC_V_UNCHANGED)
			aw_bytes(w, et->cols[i].name, et->cols[i].name_len);
	aw_long(w, 0);
	return 0;
}

/* Finish a write: the buffer is rolled back on any failure. */
static int
aw_done(struct aw *w, size_t start, int rc, char *err, size_t errlen)
{
	if (rc == 0 && w->bad)
		set_err(err, errlen,
			"encoded event is over the %zu-byte cap, or out of "
			"memory",
			w->b->max);
	if (rc != 0 || w->bad) {
		w->b->len = start;
		if (w->b->data)
			w->b->data[start] = 0;
		return -1;
	}
	w->b->data[w->b->len] = 0;
	return 0;
}

int
rc_encode_value(struct rc_encoder *enc, const struct rc_event *ev,
		struct rc_buf *out, char *err, size_t errlen)
{
	struct rc_enc_table *et;
	struct aw w = {out, 0};
	size_t start;

	if (!enc || !ev || !ev->tbl || !out) {
		set_err(err, errlen, "no encoder, event or output");
		return -1;
	}
	et = enc_table(ev->tbl, err, errlen);
	if (!et)
		return -1;
	if (err && errlen)
		err[0] = 0;
	if (out->len > out->max) {
		set_err(err, errlen, "output buffer is over its cap");
		return -1;
	}
	start = out->len;
	return aw_done(&w, start, w_envelope(&w, et, ev, err, errlen), err,
		       errlen);
}

/* One field of the Key record: T, or [T, "string"] for a column with a
 * string branch. */
static int
w_key_field(struct aw *w, const struct rc_enc_col *c, const struct rc_event *ev,
	    const struct rc_value *v, char *err, size_t errlen)
{
	const char *p;

	if (!c->text) {
		if (v->kind != RC_V_SET) {
			set_err(err, errlen,
				"key column %s: a %s column cannot "
				"carry a text value",
				c->name, rc_type_name(c->type));
			return -1;
		}
		return w_typed(w, c, c->type, ev, v, err, errlen);
	}
	if (v->kind == RC_V_SET) {
		aw_long(w, 0);
		return w_typed(w, c, c->type, ev, v, err, errlen);
	}
	if (v->kind != RC_V_TEXT) {
		set_err(err, errlen, "key column %s: bad value kind %d",
			c->name, v->kind);
		return -1;
	}
	p = payload(ev, v);
	if (!p) {
		set_err(err, errlen, "key column %s: value outside the event",
			c->name);
		return -1;
	}
	aw_long(w, 1);
	aw_bytes(w, p, v->u.s.len);
	return 0;
}

int
rc_encode_key(struct rc_encoder *enc, const struct rc_event *ev,
	      struct rc_buf *out, char *err, size_t errlen)
{
	struct rc_enc_table *et;
	const struct rc_value *vals;
	const struct rc_table *tbl;
	struct aw w = {out, 0};
	size_t start;
	int64_t row;

	if (!enc || !ev || !ev->tbl || !out) {
		set_err(err, errlen, "no encoder, event or output");
		return -1;
	}
	tbl = ev->tbl;
	et = enc_table(ev->tbl, err, errlen);
	if (!et)
		return -1;
	if (!et->key_json || ev->op == 't')
		return 1;
	row = ev->op == 'd' ? ev->before : ev->after;
	if (row < 0) {
		set_err(err, errlen,
			"%s.%s: %s event without its %s image, no "
			"key",
			tbl->schema, tbl->name,
			ev->op == 'd' ? "delete" : "change",
			ev->op == 'd' ? "before" : "after");
		return -1;
	}
	vals = row_values(ev, row);
	if (!vals) {
		set_err(err, errlen, "row image outside the event");
		return -1;
	}
	if (err && errlen)
		err[0] = 0;
	if (out->len > out->max) {
		set_err(err, errlen, "output buffer is over its cap");
		return -1;
	}
	start = out->len;
	for (int k = 0; k < tbl->nkeys; k++) {
		const int i = tbl->keys[k];
		const struct rc_value *v = &vals[i];

		if (v->kind == RC_V_NULL || v->kind == RC_V_UNCHANGED) {
			set_err(err, errlen, "%s.%s: key column %s is %s",
				tbl->schema, tbl->name, tbl->cols[i].name,
				v->kind == RC_V_NULL ? "NULL"
						     : "not sent (unchanged)");
			return aw_done(&w, start, -1, err, errlen);
		}
		if (w_key_field(&w, &et->cols[i], ev, v, err, errlen) < 0)
			return aw_done(&w, start, -1, err, errlen);
	}
	return aw_done(&w, start, 0, err, errlen);
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */
/* ------------------------------------------------------------------ */

/* A JSON writer that remembers the first failure and then does nothing. */
struct jw {
	struct rc_buf *b;
	int bad;
};

static void
jraw(struct jw *w, const char *s, size_t n)
{
	if (!w->bad && rc_buf_append(w->b, s, n) < 0)
		w->bad = 1;
}

static void
jputs(struct jw *w, const char *s)
{
	jraw(w, s, strlen(s));
}

static void
jstr(struct jw *w, const char *s, size_t n)
{
	if (!w->bad && rc_buf_json_string(w->b, s, n) < 0)
		w->bad = 1;
}

static void
jint(struct jw *w, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	jraw(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* The shortest %g text that reads back as the same double (or float). */
static void
jdouble(struct jw *w, double d, int is_float)
{
	char tmp[40];

	if (isnan(d)) {
		jputs(w, "\"NaN\"");
		return;
	}
	if (isinf(d)) {
		jputs(w, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	for (int prec = is_float ? 6 : 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (is_float ? strtof(tmp, NULL) == (float)d
			     : strtod(tmp, NULL) == d)
			break;
	}
	jputs(w, tmp);
}

/* Two-digit field, for dates and times. */
static char *
put2(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/*
 * "YYYY-MM-DD" into p (no quotes). Years 0..9999 have four digits; other
 * years are ISO 8601 expanded: "-0044-03-15", "+12345-01-01".
 */
static size_t
fmt_date(char *p, int64_t days)
{
	char *s = p;
	int64_t y;
	int m, d;

	rc_civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999) {
		p = put2(p, (unsigned)(y / 100));
		p = put2(p, (unsigned)(y % 100));
	} else {
		p += sprintf(p, "%s%04lld", y < 0 ? "-" : "+",
			     (long long)(y < 0 ? -y : y));
	}
	*p++ = '-';
	p = put2(p, (unsigned)m);
	*p++ = '-';
	p = put2(p, (unsigned)d);
	return (size_t)(p - s);
}

/* "HH:MM:SS.ffffff" of microseconds into p; hours may pass 23. */
static size_t
fmt_time(char *p, uint64_t us)
{
	char *s = p;
	uint64_t h = us / 3600000000ULL, rest = us % 3600000000ULL;
	unsigned frac = (unsigned)(rest % 1000000);

	if (h < 100)
		p = put2(p, (unsigned)h);
	else
		p += sprintf(p, "%llu", (unsigned long long)h);
	*p++ = ':';
	p = put2(p, (unsigned)(rest / 60000000));
	*p++ = ':';
	p = put2(p, (unsigned)(rest / 1000000 % 60));
	*p++ = '.';
	for (int i = 5; i >= 0; i--) {
		p[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	return (size_t)(p + 6 - s);
}

static void
jtimestamp(struct jw *w, int64_t us, int utc)
{
	char tmp[64];
	const int64_t day = 86400000000LL;
	int64_t days = us / day, rem = us % day;
	size_t n;

	if (us == INT64_MAX || us == INT64_MIN) {
		jputs(w, us > 0 ? "\"infinity\"" : "\"-infinity\"");
		return;
	}
	if (rem < 0) {
		rem += day;
		days--;
	}
	tmp[0] = '"';
	n = 1 + fmt_date(tmp + 1, days);
	tmp[n++] = 'T';
	n += fmt_time(tmp + n, (uint64_t)rem);
	if (utc)
		tmp[n++] = 'Z';
	tmp[n++] = '"';
	jraw(w, tmp, n);
}

static void
jdate(struct jw *w, int64_t days)
{
	char tmp[48];
	size_t n;

	if (days == INT32_MAX || days == INT32_MIN) {
		jputs(w, days > 0 ? "\"infinity\"" : "\"-infinity\"");
		return;
	}
	tmp[0] = '"';
	n = 1 + fmt_date(tmp + 1, days);
	tmp[n++] = '"';
	jraw(w, tmp, n);
}

static void
jtime(struct jw *w, int64_t us)
{
	char tmp[48];
	size_t n = 1;

	tmp[0] = '"';
	if (us < 0)
		tmp[n++] = '-';
	n += fmt_time(tmp + n, us < 0 ? 0 - (uint64_t)us : (uint64_t)us);
	tmp[n++] = '"';
	jraw(w, tmp, n);
}

static void
jbase64(struct jw *w, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
				  "stuvwxyz0123456789+/";
	char tmp[256];
	size_t k = 0;

	jraw(w, "\"", 1);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		tmp[k++] = tab[v >> 18 & 63];
		tmp[k++] = tab[v >> 12 & 63];
		tmp[k++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		tmp[k++] = i + 2 < n ? tab[v & 63] : '=';
		if (k > sizeof(tmp) - 4) {
			jraw(w, tmp, k);
			k = 0;
		}
	}
	jraw(w, tmp, k);
	jraw(w, "\"", 1);
}

/*
 * A decimal as exact text, from its unscaled value (big-endian two's
 * complement, any length) and its scale: the magnitude goes into 32-bit
 * limbs, which are divided by 10^9 until zero to give the digits.
 */
static void
jdecimal(struct jw *w, const unsigned char *p, size_t n, int scale)
{
	uint32_t slimbs[16], *limbs = slimbs;
	char sdig[16 * 10 + 8], *dig = sdig;
	size_t nl = (n + 3) / 4, nd = 0, lead;
	int neg = n && (p[0] & 0x80);
	char *text = NULL;

	if (nl > 16) {
		limbs = malloc(nl * sizeof(*limbs));
		dig = malloc(nl * 10 + 8);
		if (!limbs || !dig) {
			w->bad = 1;
			goto out;
		}
	}
	/* sign-extend into limbs, most significant first */
	lead = nl * 4 - n;
	for (size_t i = 0; i < nl; i++) {
		uint32_t v = 0;

		for (size_t j = 0; j < 4; j++) {
			size_t bi = i * 4 + j;
			unsigned char byte =
				bi < lead ? (neg ? 0xff : 0) : p[bi - lead];

			v = v << 8 | byte;
		}
		limbs[i] = v;
	}
	if (neg) { /* magnitude = ~x + 1 */
		uint64_t carry = 1;

		for (size_t i = nl; i-- > 0;) {
			uint64_t v = (uint64_t)(uint32_t)~limbs[i] + carry;

			limbs[i] = (uint32_t)v;
			carry = v >> 32;
		}
	}
	/* digits, least significant first */
	for (;;) {
		uint64_t rem = 0;
		int zero = 1;

		for (size_t i = 0; i < nl; i++) {
			uint64_t cur = rem << 32 | limbs[i];

			limbs[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
			zero &= limbs[i] == 0;
		}
		for (int k = 0; k < 9; k++) {
			dig[nd++] = (char)('0' + rem % 10);
			rem /= 10;
		}
		if (zero)
			break;
	}
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	/* text: sign, integer part, point, fraction */
	{
		size_t fl = scale > 0 ? (size_t)scale : 0;
		size_t il = nd > fl ? nd - fl : 1;
		size_t zeros = scale < 0 && !(nd == 1 && dig[0] == '0')
				       ? (size_t)-scale
				       : 0;
		size_t tl = 1 + il + zeros + (fl ? 1 + fl : 0);
		size_t k = 0;

		text = malloc(tl + 1);
		if (!text) {
			w->bad = 1;
			goto out;
		}
		if (neg)
			text[k++] = '-';
		for (size_t i = 0; i < il; i++) {
			size_t di = fl + il - 1 - i; /* index in dig[] */

			text[k++] = di < nd ? dig[di] : '0';
		}
		for (size_t i = 0; i < zeros; i++)
			text[k++] = '0';
		if (fl) {
			text[k++] = '.';
			for (size_t i = 0; i < fl; i++) {
				size_t di = fl - 1 - i;

				text[k++] = di < nd ? dig[di] : '0';
			}
		}
		jstr(w, text, k);
	}
out:
	free(text);
	if (limbs != slimbs)
		free(limbs);
	if (dig != sdig)
		free(dig);
}

static void jvalue(struct jw *w, const struct rc_event *ev,
		   const struct rc_column *col, enum rc_type t,
		   const struct rc_value *v);

/* A value of kind RC_V_SET of type t. */
static void
jtyped(struct jw *w, const struct rc_event *ev, const struct rc_column *col,
       enum rc_type t, const struct rc_value *v)
{
	const char *p;

	switch (t) {
	case RC_T_BOOLEAN:
		jputs(w, v->u.i ? "true" : "false");
		return;
	case RC_T_INT32:
	case RC_T_INT64:
	case RC_T_DURATION_MICROS:
		jint(w, v->u.i);
		return;
	case RC_T_FLOAT:
		jdouble(w, v->u.f, 1);
		return;
	case RC_T_DOUBLE:
		jdouble(w, v->u.d, 0);
		return;
	case RC_T_DATE:
		jdate(w, v->u.i);
		return;
	case RC_T_TIME_MICROS:
		jtime(w, v->u.i);
		return;
	case RC_T_TIMESTAMP_MICROS:
	case RC_T_LOCAL_TIMESTAMP_MICROS:
		jtimestamp(w, v->u.i, t == RC_T_TIMESTAMP_MICROS);
		return;
	case RC_T_STRING:
	case RC_T_UUID:
	case RC_T_JSON:
	case RC_T_BYTES:
	case RC_T_DECIMAL:
		p = payload(ev, v);
		if (!p) {
			w->bad = 1;
			return;
		}
		if (t == RC_T_BYTES)
			jbase64(w, (const unsigned char *)p, v->u.s.len);
		else if (t == RC_T_DECIMAL)
			jdecimal(w, (const unsigned char *)p, v->u.s.len,
				 col->scale);
		else
			jstr(w, p, v->u.s.len);
		return;
	case RC_T_ARRAY: {
		const struct rc_value *el = array_elems(ev, v);

		if (!el || col->elem_type == RC_T_ARRAY) {
			w->bad = 1;
			return;
		}
		jraw(w, "[", 1);
		for (uint32_t i = 0; i < v->u.a.n; i++) {
			if (i)
				jraw(w, ",", 1);
			jvalue(w, ev, col, col->elem_type, &el[i]);
		}
		jraw(w, "]", 1);
		return;
	}
	default:
		w->bad = 1;
	}
}

/* Any value: null, the typed value, or the text of an RC_V_TEXT. */
static void
jvalue(struct jw *w, const struct rc_event *ev, const struct rc_column *col,
       enum rc_type t, const struct rc_value *v)
{
	const char *p;

	switch (v->kind) {
	case RC_V_SET:
		jtyped(w, ev, col, t, v);
		return;
	case RC_V_TEXT:
		p = payload(ev, v);
		if (!p)
			w->bad = 1;
		else
			jstr(w, p, v->u.s.len);
		return;
	default: /* NULL, UNCHANGED */
		jputs(w, "null");
	}
}

static void
jopt_str(struct jw *w, const char *s)
{
	if (s)
		jstr(w, s, strlen(s));
	else
		jputs(w, "null");
}

/* A row image as an object keyed by the database's column names. */
static void
jrow(struct jw *w, const struct rc_event *ev, int64_t row)
{
	const struct rc_table *tbl = ev->tbl;
	const struct rc_value *vals;

	if (row < 0) {
		jputs(w, "null");
		return;
	}
	vals = row_values(ev, row);
	if (!vals) {
		w->bad = 1;
		return;
	}
	jraw(w, "{", 1);
	for (int i = 0; i < tbl->ncols; i++) {
		const struct rc_column *col = &tbl->cols[i];

		if (i)
			jraw(w, ",", 1);
		jopt_str(w, col->name ? col->name : "");
		jraw(w, ":", 1);
		jvalue(w, ev, col, col->type, &vals[i]);
	}
	jraw(w, "}", 1);
}

/* The source block, with the same fields and nulls as rowcast.Source. */
static void
jsource(struct jw *w, const struct rc_event *ev)
{
	const struct rc_table *tbl = ev->tbl;
	int my = is_mysql(ev);

	jputs(w, "{\"version\":");
	jputs(w, "\"" PACKAGE_VERSION "\"");
	jputs(w, ",\"connector\":");
	jopt_str(w, ev->src.connector ? ev->src.connector : "");
	jputs(w, ",\"name\":");
	jopt_str(w, tbl->source);
	jputs(w, ",\"ts_ms\":");
	jint(w, ev->src.commit_ts_us / 1000);
	jputs(w, ",\"ts_us\":");
	jint(w, ev->src.commit_ts_us);
	jputs(w, ",\"snapshot\":");
	jopt_str(w, ev->src.snapshot <= 2 ? rc_snapshot_names[ev->src.snapshot]
					  : "false");
	jputs(w, ",\"db\":");
	jopt_str(w, tbl->db);
	jputs(w, ",\"schema\":");
	jopt_str(w, my ? NULL : tbl->schema);
	jputs(w, ",\"table\":");
	jopt_str(w, tbl->name);
	jputs(w, ",\"txId\":");
	if (ev->src.txid >= 0)
		jint(w, ev->src.txid);
	else
		jputs(w, "null");
	jputs(w, ",\"lsn\":");
	if (!my && ev->src.lsn)
		jint(w, (int64_t)ev->src.lsn);
	else
		jputs(w, "null");
	jputs(w, ",\"file\":");
	jopt_str(w, my ? ev->src.file : NULL);
	jputs(w, ",\"pos\":");
	if (my)
		jint(w, (int64_t)ev->src.pos);
	else
		jputs(w, "null");
	jputs(w, ",\"row\":");
	if (my)
		jint(w, ev->src.row);
	else
		jputs(w, "null");
	jputs(w, ",\"gtid\":");
	jopt_str(w, my ? ev->src.gtid : NULL);
	jputs(w, ",\"server_id\":");
	if (my)
		jint(w, ev->src.server_id);
	else
		jputs(w, "null");
	jraw(w, "}", 1);
}

/*
 * ev as one JSON object (no newline), in the envelope's field order; the
 * row objects use the database's column names. "unchanged" is present
 * only when the after image has unchanged values. On failure out is left
 * as it was.
 */
int
rc_encode_json(const struct rc_event *ev, struct rc_buf *out)
{
	struct jw w = {out, 0};
	const struct rc_value *after = NULL;
	size_t start;
	int first = 1;
	char op[2];

	if (!ev || !ev->tbl || !out)
		return -1;
	start = out->len;
	op[0] = ev->op;
	op[1] = 0;
	jputs(&w, "{\"before\":");
	jrow(&w, ev, ev->before);
	jputs(&w, ",\"after\":");
	jrow(&w, ev, ev->after);
	jputs(&w, ",\"source\":");
	jsource(&w, ev);
	jputs(&w, ",\"op\":");
	jstr(&w, op, ev->op ? 1 : 0);
	jputs(&w, ",\"ts_ms\":");
	jint(&w, ev->ts_ms);
	jputs(&w, ",\"transaction\":");
	if (ev->txn_seq == 0 && ev->txn_order == 0) {
		jputs(&w, "null");
	} else {
		jputs(&w, "{\"id\":");
		jstr(&w, ev->txn_id, strnlen(ev->txn_id, sizeof(ev->txn_id)));
		jputs(&w, ",\"total_order\":");
		jint(&w, (int64_t)ev->txn_order);
		jputs(&w, ",\"data_collection_order\":");
		jint(&w, (int64_t)ev->table_order);
		jraw(&w, "}", 1);
	}
	if (ev->after >= 0)
		after = row_values(ev, ev->after);
	for (int i = 0; after && i < ev->tbl->ncols; i++) {
		const char *name =
			ev->tbl->cols[i].name ? ev->tbl->cols[i].name : "";

		if (after[i].kind != RC_V_UNCHANGED)
			continue;
		jputs(&w, first ? ",\"unchanged\":[" : ",");
		jstr(&w, name, strlen(name));
		first = 0;
	}
	if (!first)
		jraw(&w, "]", 1);
	jraw(&w, "}", 1);
	if (w.bad) {
		out->len = start;
		if (out->data)
			out->data[start] = 0;
		return -1;
	}
	return 0;
}
