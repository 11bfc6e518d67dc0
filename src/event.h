/*
 * event.h -- the change-event model shared by every source and sink.
 *
 * A source turns one row change into one struct rc_event: an operation, the
 * table it belongs to (struct rc_table, one per shape of the table), the
 * before and after images as arrays of typed values (struct rc_value), and
 * where it came from (struct rc_source_info). Values are already in
 * rowcast's own type system (enum rc_type): a source maps its database's
 * types onto it, and the encoder maps it onto Avro, so neither knows the
 * other.
 *
 * Memory: an event owns one arena (a single malloc'd block) that holds the
 * value arrays and every string/bytes payload; values refer to payloads by
 * offset into the arena, so the arena can grow with realloc while the event
 * is being built. The event's size in memory is therefore known exactly,
 * which is what the bounded queue counts.
 */
#ifndef RC_EVENT_H
#define RC_EVENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Types                                                              */
/* ------------------------------------------------------------------ */

/*
 * rowcast's column types. Each maps to exactly one Avro type (see the
 * table in encoder.c and the README). Names say the Avro shape.
 */
enum rc_type {
	RC_T_BOOLEAN = 0, /* boolean */
	RC_T_INT32,	  /* int */
	RC_T_INT64,	  /* long */
	RC_T_FLOAT,	  /* float (NaN, +/-Infinity allowed) */
	RC_T_DOUBLE,	  /* double (NaN, +/-Infinity allowed) */
	RC_T_STRING,	  /* string (UTF-8) */
	RC_T_BYTES,	  /* bytes */
	RC_T_DECIMAL,	  /* bytes, logicalType decimal(precision, scale);
			   * a value the decimal cannot hold (NaN,
			   * Infinity) is carried as RC_V_TEXT: the
			   * column's union has a string branch for it */
	RC_T_DATE,	  /* int, logicalType date (days since 1970-01-01) */
	RC_T_TIME_MICROS, /* long, logicalType time-micros */
	RC_T_TIMESTAMP_MICROS, /* long, logicalType timestamp-micros (UTC) */
	RC_T_LOCAL_TIMESTAMP_MICROS, /* long, logicalType local-timestamp-micros
				      */
	RC_T_UUID,		     /* string, logicalType uuid */
	RC_T_JSON,		     /* string holding a JSON document */
	RC_T_DURATION_MICROS, /* long, microseconds of a signed duration that
			       * may exceed a day (MySQL TIME) */
	RC_T_ARRAY,	      /* array of nullable elements of elem_type; a
			       * value that is not a one-dimensional array
			       * is carried as RC_V_TEXT in a string branch */
	RC_T__COUNT
};

const char *rc_type_name(enum rc_type t);

/* ------------------------------------------------------------------ */
/* Tables                                                             */
/* ------------------------------------------------------------------ */

#define RC_COL_KEY	0x01 /* part of the event key */
#define RC_COL_NOT_NULL 0x02 /* declared NOT NULL in the database */
/* The column's union gets a "string" branch for RC_V_TEXT values, e.g. a
 * MySQL zero date ("0000-00-00") that no Avro date can hold. */
#define RC_COL_TEXT_BRANCH 0x04

struct rc_column {
	char *name; /* as in the database */
	enum rc_type type;
	enum rc_type elem_type; /* RC_T_ARRAY only */
	int precision;		/* RC_T_DECIMAL: total digits (0 = unknown) */
	int scale;		/* RC_T_DECIMAL: digits after the point */
	unsigned flags;		/* RC_COL_* */
	char *db_type; /* the database's type name, e.g. "numeric(12,2)" */
};

/*
 * One shape of one table. A change of columns (DDL) makes a new struct
 * rc_table with version+1; events hold a reference to the shape they were
 * decoded with, so events already queued keep their own schema.
 *
 * Reference counted: rc_table_ref()/rc_table_unref() from any thread.
 * Fields are immutable once an event refers to the table, except
 * enc_priv/enc_free, which belong to the encoder (pipeline thread only).
 */
struct rc_table {
	char *source;	     /* source name (connector name) */
	char *db;	     /* database name */
	char *schema;	     /* PostgreSQL schema, MySQL database */
	char *name;	     /* table name */
	char *topic;	     /* <prefix>.<schema>.<table>, or configured */
	char *event_name;    /* business name of the table's events
			      * ("customer" -> customer.created), or NULL
			      * for the table's own name */
	int on_error;	     /* enum rc_on_error: the [table] on_error */
	char *record_prefix; /* Avro namespace: <prefix>.<schema>.<table>,
			      * sanitised for Avro names */
	uint32_t version;    /* 1, 2, ... per table, for logs */
	uint32_t relid;	     /* source's id of the table (PostgreSQL OID) */
	int ncols;
	struct rc_column *cols;
	int nkeys;
	int *keys; /* indexes into cols, in key order */

	/* Owned by the encoder (pipeline thread). */
	void *enc_priv;
	void (*enc_free)(void *);

	/* On a cache line of its own: the source thread bumps it for every
	 * event it makes, the pipeline thread reads the fields above for
	 * every event; sharing a line made each bump a cache miss. */
	char pad_refs[64];
	atomic_int refs;
	char pad_end[60];
};

/* What a sink does with a message it can never deliver ([table]
 * on_error); UNSET leaves it to the sink's own default. */
enum rc_on_error {
	RC_ON_ERROR_UNSET = 0,
	RC_ON_ERROR_STOP, /* "stop": the pipeline stops, nothing skipped */
	RC_ON_ERROR_DEAD_LETTER, /* "dead_letter": to a dead-letter topic */
};

/* The enum of a checked on_error value ("stop", "dead_letter", NULL). */
static inline int
rc_on_error_parse(const char *s)
{
	if (!s)
		return RC_ON_ERROR_UNSET;
	return s[0] == 'd' ? RC_ON_ERROR_DEAD_LETTER : RC_ON_ERROR_STOP;
}

/* A new table with refs = 1 and ncols zeroed columns; names are copied. */
struct rc_table *rc_table_new(const char *source, const char *db,
			      const char *schema, const char *name, int ncols);
/* Copies name/db_type. Returns 0, -1 on out of memory. */
int rc_table_set_column(struct rc_table *tbl, int i, const char *name,
			enum rc_type type, const char *db_type);
/* Recompute keys[] from the RC_COL_KEY flags. Returns 0 or -1. */
int rc_table_finish(struct rc_table *tbl);
struct rc_table *rc_table_ref(struct rc_table *tbl);
void rc_table_unref(struct rc_table *tbl);
/* Same columns, types, keys? (decides whether a Relation is a new shape) */
int rc_table_same_shape(const struct rc_table *a, const struct rc_table *b);

/* ------------------------------------------------------------------ */
/* Values                                                             */
/* ------------------------------------------------------------------ */

enum rc_value_kind {
	RC_V_NULL = 0,	/* SQL NULL, or not sent (see event notes) */
	RC_V_UNCHANGED, /* PostgreSQL unchanged TOAST: value not sent,
			 * it is the same as before the change */
	RC_V_SET,	/* a value of the column's type */
	RC_V_TEXT,	/* the database's text form, for a value the
			 * column's Avro type cannot hold exactly
			 * (numeric NaN, multi-dimensional array) */
	RC_V_RAW,	/* bytes as the database sent them (u.s), made
			 * into the value by the event's finisher in the
			 * pipeline thread before any sink sees it */
};

/*
 * One value. Which member of u is used follows the column's rc_type:
 *   BOOLEAN, INT32, INT64, DATE, TIME_MICROS, *TIMESTAMP_MICROS: u.i
 *   FLOAT: u.f, DOUBLE: u.d
 *   STRING, BYTES, UUID, JSON, and any RC_V_TEXT: u.s (arena offset+len)
 *   DECIMAL: u.s holds the unscaled value as big-endian two's complement
 *            bytes (minimal length), the scale is the column's
 *   ARRAY: u.a (arena offset of an rc_value[] and its count)
 */
struct rc_value {
	uint8_t kind; /* enum rc_value_kind */
	union {
		int64_t i;
		double d;
		float f;
		struct {
			uint32_t off;
			uint32_t len;
		} s;
		struct {
			uint32_t off;
			uint32_t n;
		} a;
	} u;
};

/* ------------------------------------------------------------------ */
/* Events                                                             */
/* ------------------------------------------------------------------ */

/* Where an event came from: Debezium's `source` block. */
struct rc_source_info {
	const char *connector; /* "postgresql" or "mysql" (static) */
	int64_t commit_ts_us;  /* commit time, microseconds since 1970 */
	uint8_t snapshot;      /* 0 = "false", 1 = "true", 2 = "last" */
	/* PostgreSQL */
	int64_t txid; /* -1 when unknown */
	uint64_t lsn; /* commit LSN of the transaction */
	/* MySQL (filled by the MySQL source) */
	uint32_t server_id;
	uint32_t row;
	uint64_t pos;
	const char *file; /* borrowed from the source; may be NULL */
	const char *gtid; /* borrowed from the source; may be NULL */
};

/*
 * Work a source leaves to the pipeline thread: finish() turns the event's
 * RC_V_RAW values into values (0), or says why it cannot (-1, err). It
 * runs before any sink sees the event; a failure stops the pipeline. The
 * finisher must stay valid while events that point at it are queued (a
 * source frees it at the earliest once the pipeline drained them).
 */
struct rc_event;
struct rc_finisher {
	int (*finish)(const struct rc_finisher *f, struct rc_event *ev,
		      char *err, size_t errlen);
};

struct rc_event {
	char op;	      /* 'c','u','d','r','t' */
	struct rc_table *tbl; /* one reference held by the event */
	struct rc_source_info src;
	uint64_t txn_seq;     /* ack tracker's id of the transaction */
	uint64_t txn_order;   /* 1-based order in its transaction */
	uint64_t table_order; /* 1-based order among the events of
			       * its table in its transaction */
	int64_t ts_ms;	      /* when rowcast processed it */
	char txn_id[96];      /* transaction id as text: PostgreSQL "txid:lsn",
			       * MySQL the GTID (uuid[:tag]:gno, domain-server-seq)
			       * or "fileseq:pos" */

	/* value arrays of tbl->ncols values, as arena offsets; -1 = absent */
	int64_t before;
	int64_t after;

	char *arena;
	size_t arena_len;
	size_t arena_cap;

	const struct rc_finisher *fin; /* RC_V_RAW values to finish, or NULL */
};

/* A new event for tbl (takes a new reference on tbl). NULL on out of memory. */
struct rc_event *rc_event_new(char op, struct rc_table *tbl);
void rc_event_free(struct rc_event *ev);

/*
 * On a thread that frees many events (the pipeline thread), the reference
 * each event holds on its table is dropped in batches: one atomic
 * decrement per run of events of one table, instead of one per event on a
 * cache line the source thread increments for every event it makes.
 * rc_event_defer_unrefs() turns this on for the calling thread;
 * rc_event_flush_unrefs() drops what is deferred (call it after each batch
 * and before the thread exits; a deferred reference only keeps a table
 * alive a little longer).
 */
void rc_event_defer_unrefs(void);
void rc_event_flush_unrefs(void);

/*
 * On a thread that makes many events (a source thread), the references
 * they take on their table come from a credit taken in one step per 1,024
 * events. rc_event_credit_refs() turns this on for the calling thread;
 * rc_event_flush_credits() gives back the unused credit (at thread exit it
 * is given back by itself). The credit only keeps one table alive a
 * little longer.
 */
void rc_event_credit_refs(void);
void rc_event_flush_credits(void);

/* Bytes the event occupies in memory (what the bounded queue counts). */
size_t rc_event_size(const struct rc_event *ev);

/*
 * Reserve n bytes in the arena (8-byte aligned) and return their offset,
 * or -1 past RC_MAX_EVENT_BYTES / out of memory. Any pointer obtained with
 * rc_event_ptr() before the call may move.
 */
int64_t rc_event_alloc(struct rc_event *ev, size_t n);
static inline void *
rc_event_ptr(const struct rc_event *ev, int64_t off)
{
	return ev->arena + off;
}

/* Allocate the before or after image: tbl->ncols values, all RC_V_NULL. */
int rc_event_alloc_row(struct rc_event *ev, int64_t *row);
static inline struct rc_value *
rc_event_row(const struct rc_event *ev, int64_t row)
{
	return row < 0 ? NULL : (struct rc_value *)(ev->arena + row);
}

/*
 * Store bytes as the payload of value number col of row (a string, bytes,
 * decimal or text value): copies p[0..n) into the arena and sets kind.
 */
int rc_event_set_bytes(struct rc_event *ev, int64_t row, int col,
		       enum rc_value_kind kind, const void *p, size_t n);
/* Copy n bytes into the arena; returns their offset or -1. */
int64_t rc_event_copy(struct rc_event *ev, const void *p, size_t n);
static inline const char *
rc_value_bytes(const struct rc_event *ev, const struct rc_value *v)
{
	return ev->arena + v->u.s.off;
}

#endif
