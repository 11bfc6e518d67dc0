/*
 * encoder.h -- events to Avro (and to JSON for people).
 *
 * Schemas are written by rowcast itself as JSON text (Avro C drops
 * logicalType, precision, scale and defaults when it prints a schema), one
 * set per table shape, cached on the struct rc_table. Values are encoded
 * with Avro C from that same schema text. The Avro fingerprint is the
 * CRC-64-AVRO (Rabin) of the Parsing Canonical Form of the schema.
 *
 * Schemas per table (DESIGN.md section 2): a Key record of the key columns,
 * a Value record of all columns, and the Debezium Envelope record
 * (before, after, source, op, ts_ms, transaction) with rowcast's own
 * optional `unchanged` field listing columns whose value was not sent
 * because it did not change (PostgreSQL TOAST).
 *
 * @locality one encoder per thread (the pipeline thread).
 */
#ifndef RC_ENCODER_H
#define RC_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"

struct rc_encoder;

struct rc_schemas {
	const char *key_json;	   /* NULL when the table has no key */
	const char *value_json;	   /* the Envelope record */
	const char *key_canonical; /* Parsing Canonical Form */
	const char *value_canonical;
	uint64_t key_fp; /* CRC-64-AVRO fingerprints */
	uint64_t value_fp;
};

struct rc_encoder *rc_encoder_new(void);
void rc_encoder_free(struct rc_encoder *enc);

/* Schemas of tbl; built on first use and kept with tbl. NULL on error. */
const struct rc_schemas *rc_encoder_schemas(struct rc_encoder *enc,
					    struct rc_table *tbl, char *err,
					    size_t errlen);

/* Append the Avro binary encoding of ev's Envelope to out. 0 or -1. */
int rc_encode_value(struct rc_encoder *enc, const struct rc_event *ev,
		    struct rc_buf *out, char *err, size_t errlen);

/* Append the Avro binary encoding of ev's Key record (from after, or from
 * before for deletes) to out. Returns 0, 1 when the table has no key (or
 * the event is a truncate: nothing appended), -1 on error. */
int rc_encode_key(struct rc_encoder *enc, const struct rc_event *ev,
		  struct rc_buf *out, char *err, size_t errlen);

/* Append ev as one JSON object (no newline), the same envelope. */
int rc_encode_json(const struct rc_event *ev, struct rc_buf *out);

/* CRC-64-AVRO fingerprint of buf[0..len). */
uint64_t rc_avro_fingerprint(const void *buf, size_t len);

/* Parsing Canonical Form of the schema JSON text json[0..len), as a
 * malloc'd string the caller frees; NULL with err set when the text is
 * not a schema. */
char *rc_avro_canonical(const char *json, size_t len, char *err, size_t errlen);

/* Sanitise a name for Avro ([A-Za-z_][A-Za-z0-9_]*) into out. */
void rc_avro_name(const char *in, char *out, size_t outlen);

#endif
