/*
 * my_json.h -- MySQL's binary JSON (the JSON column type in the binlog)
 * into JSON text, and the partial updates of PARTIAL_UPDATE_ROWS.
 *
 * The text is MySQL's own form, what `SELECT json_col` prints: a space
 * after ':' and ',' ({"a": 1, "b": [1, 2]}), object members in stored
 * order (MySQL sorts keys by length, then bytes), integers exact (int64
 * and uint64), doubles in their shortest round-trip form, and opaque
 * values as MySQL prints them: DATE, TIME, DATETIME, TIMESTAMP and
 * DECIMAL as strings, any other type as "base64:typeNN:<base64>".
 *
 * A document is parsed into a small tree (struct my_jdoc) so that diffs
 * can be applied; the tree is bounded by the document's size (shared
 * offsets in a hostile document cannot blow it up) and by MySQL's depth
 * limit of 100.
 */
#ifndef RC_MY_JSON_H
#define RC_MY_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define MY_JSON_MAX_DEPTH 100

struct my_jdoc;

/* Parse a binary document (without the row's length prefix); an empty
 * document is JSON null, as MySQL reads it. NULL with err set. */
struct my_jdoc *my_json_parse(const uint8_t *doc, size_t n, char *err,
			      size_t errlen);
void my_json_free(struct my_jdoc *jd);

/* Append the document's text to out. 0, or -1 when out hits its cap. */
int my_json_write(const struct my_jdoc *jd, struct rc_buf *out);

/* Binary document straight to text (parse + write). 0 or -1 with err. */
int my_json_to_text(const uint8_t *doc, size_t n, struct rc_buf *out, char *err,
		    size_t errlen);

/* The operations of a PARTIAL_UPDATE_ROWS JSON diff. */
enum my_json_op {
	MY_JSON_REPLACE = 0,
	MY_JSON_INSERT = 1,
	MY_JSON_REMOVE = 2,
};

/*
 * Apply one diff to jd: path is MySQL's JSON path text ("$.age",
 * "$.a[2]", "$.\"x y\""), val/vallen a binary JSON value (ignored for
 * REMOVE). REPLACE needs the path to exist; INSERT adds an object member
 * (in MySQL's key order) or inserts into an array at the index (appends
 * past the end); REMOVE deletes. 0, or -1 with err set (jd unchanged).
 */
int my_json_apply(struct my_jdoc *jd, enum my_json_op op, const char *path,
		  size_t pathlen, const uint8_t *val, size_t vallen, char *err,
		  size_t errlen);

#endif
