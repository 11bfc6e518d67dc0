/*
 * my_binlog.h -- the MySQL/MariaDB binlog decoder: events, table maps, rows.
 *
 * Pure functions over bytes: nothing here talks to a server, so every part
 * is tested on the real binlog files in ../shared/fixtures/binlog/ and on
 * hand-built events. Every read goes through the bounds-checked reader
 * (reader.h): a truncated, corrupt or hostile event is an error with a
 * message, never a crash.
 *
 * How the source uses it, for every packet of the dump stream (after the
 * leading OK byte) or every event of a binlog file:
 *
 *   my_event_parse(&fde, buf, len, &ev, err)       header, CRC32, body
 *   switch (ev.type):
 *     FORMAT_DESCRIPTION  my_fde_parse(&ev, &fde)   (then checksums apply)
 *     ROTATE              my_rotate_parse
 *     TABLE_MAP           my_tablemap_parse -> struct my_tablemap
 *     *_ROWS_*            my_rows_parse, then my_rows_next() per row
 *     TRANSACTION_PAYLOAD my_payload_open, then my_payload_next() gives the
 *                         inner events one by one (no CRC, log_pos 0)
 *     MariaDB compressed  my_event_parse already inflates them: ev.type is
 *                         the uncompressed type, ev.body the inflated body
 *     GTID...             my_gtid_parse / my_maria_gtid_parse / ...
 *
 * Names: "my_" for everything; types follow MySQL's log_event.h numbering.
 */
#ifndef RC_MY_BINLOG_H
#define RC_MY_BINLOG_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* ------------------------------------------------------------------ */
/* Event types (MySQL and MariaDB numbering)                          */
/* ------------------------------------------------------------------ */

enum my_event_type {
	MY_QUERY = 2,
	MY_STOP = 3,
	MY_ROTATE = 4,
	MY_FORMAT_DESCRIPTION = 15,
	MY_XID = 16,
	MY_TABLE_MAP = 19,
	MY_WRITE_ROWS_V1 = 23,
	MY_UPDATE_ROWS_V1 = 24,
	MY_DELETE_ROWS_V1 = 25,
	MY_HEARTBEAT = 27,
	MY_ROWS_QUERY = 29,
	MY_WRITE_ROWS_V2 = 30,
	MY_UPDATE_ROWS_V2 = 31,
	MY_DELETE_ROWS_V2 = 32,
	MY_GTID = 33,
	MY_ANONYMOUS_GTID = 34,
	MY_PREVIOUS_GTIDS = 35,
	MY_PARTIAL_UPDATE_ROWS = 39,
	MY_TRANSACTION_PAYLOAD = 40,
	MY_HEARTBEAT_V2 = 41,
	MY_GTID_TAGGED = 42,
	MY_MARIA_ANNOTATE_ROWS = 160,
	MY_MARIA_BINLOG_CHECKPOINT = 161,
	MY_MARIA_GTID = 162,
	MY_MARIA_GTID_LIST = 163,
	MY_MARIA_START_ENCRYPTION = 164,
	MY_MARIA_QUERY_COMPRESSED = 165,
	/* What MariaDB writes with log_bin_compress=ON: v1 row events with
	 * the row data zlib-compressed (MariaDB's *_ROWS_COMPRESSED_EVENT_V1,
	 * checked on a 10.11 server). */
	MY_MARIA_WRITE_ROWS_COMPRESSED = 166,
	MY_MARIA_UPDATE_ROWS_COMPRESSED = 167,
	MY_MARIA_DELETE_ROWS_COMPRESSED = 168,
	/* MariaDB's *_ROWS_COMPRESSED_EVENT (v2 layout, with the extra-data
	 * header). The names below are historical: these are not the v1
	 * events, MariaDB does not write them; they are inflated too. */
	MY_MARIA_WRITE_ROWS_COMPRESSED_V1 = 169,
	MY_MARIA_UPDATE_ROWS_COMPRESSED_V1 = 170,
	MY_MARIA_DELETE_ROWS_COMPRESSED_V1 = 171,
};

/* A name for logs ("TABLE_MAP", "WRITE_ROWS_V1", "unknown"). */
const char *my_event_type_name(int type);

/* ------------------------------------------------------------------ */
/* Framing                                                            */
/* ------------------------------------------------------------------ */

#define MY_HEADER_LEN	  19
#define MY_CHECKSUM_NONE  0
#define MY_CHECKSUM_CRC32 1
/* Before the first FDE (my_fde_init): an event carries a CRC32 when its
 * last 4 bytes are the CRC32 of the rest (the dump stream's artificial
 * ROTATE comes before the FDE). */
#define MY_CHECKSUM_UNDECIDED 255

/*
 * What the FORMAT_DESCRIPTION event says about the events after it. Before
 * the first FDE of a stream, my_fde_init() gives the defaults (v4 header,
 * checksums undecided: the FDE itself says whether it carries one).
 */
struct my_fde {
	uint16_t binlog_version;
	char server_version[51];      /* NUL-terminated */
	int mariadb;		      /* server_version says MariaDB */
	uint8_t header_len;	      /* 19 */
	uint8_t checksum_alg;	      /* MY_CHECKSUM_NONE/CRC32/UNDECIDED */
	int have_fde;		      /* an FDE has been parsed */
	uint8_t post_header_len[256]; /* by event type; 0 = unknown */
};

void my_fde_init(struct my_fde *fde);

/*
 * One event. body/body_len is the part after the common header and before
 * the CRC32; it points into the caller's buffer, or, for a MariaDB
 * compressed event, into `inflated` (owned by the event: my_event_clear()).
 */
struct my_event {
	uint32_t timestamp; /* seconds since 1970 */
	uint8_t type;	    /* enum my_event_type (the uncompressed type for
			     * MariaDB compressed events) */
	uint8_t wire_type;  /* the type as it was on the wire */
	uint32_t server_id;
	uint32_t event_len; /* whole event, header and CRC included */
	uint32_t log_pos;   /* end of this event in its binlog file; 0 for
			     * artificial events and events in a payload */
	uint16_t flags;	    /* 0x20 = LOG_EVENT_ARTIFICIAL_F */
	const uint8_t *body;
	size_t body_len;
	uint8_t *inflated;
};

#define MY_EVENT_F_ARTIFICIAL 0x0020

/*
 * Parse one whole event from buf[0..len) (exactly one event). Checks the
 * header's length against len, verifies the CRC32 when fde says events
 * carry one (the FDE's own CRC is computed with LOG_EVENT_BINLOG_IN_USE_F
 * cleared), and inflates MariaDB compressed events. An FDE is recognised
 * on its own: its checksum algorithm is read from its body.
 * Returns 0, or -1 with err set (the event type and what is wrong).
 */
int my_event_parse(const struct my_fde *fde, const void *buf, size_t len,
		   struct my_event *ev, char *err, size_t errlen);
void my_event_clear(struct my_event *ev);

/* FORMAT_DESCRIPTION: fills fde (binlog version, server version, header
 * length, post-header lengths, checksum algorithm). 0 or -1. */
int my_fde_parse(const struct my_event *ev, struct my_fde *fde, char *err,
		 size_t errlen);

/* ROTATE: the next file and the position in it. name is NUL-terminated. */
int my_rotate_parse(const struct my_event *ev, uint64_t *pos, char *name,
		    size_t namelen, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Transaction boundaries and GTIDs                                   */
/* ------------------------------------------------------------------ */

/* MySQL GTID / ANONYMOUS_GTID / GTID_TAGGED. */
struct my_gtid {
	uint8_t uuid[16];
	char tag[33];	      /* "" when untagged */
	int64_t gno;	      /* 0 for anonymous */
	int64_t commit_ts_us; /* original commit timestamp (us), 0 if absent */
	int anonymous;
};
int my_gtid_parse(const struct my_event *ev, struct my_gtid *g, char *err,
		  size_t errlen);

/* MariaDB GTID: domain-server-seq; flags say whether a transaction
 * follows (no FL_STANDALONE: ends with XID or COMMIT) or one statement. */
struct my_maria_gtid {
	uint32_t domain;
	uint32_t server_id; /* the event header's server_id */
	uint64_t seq;
	uint8_t flags; /* FL_STANDALONE 1, FL_GROUP_COMMIT_ID 2, ... */
};
#define MY_MARIA_FL_STANDALONE 0x01
int my_maria_gtid_parse(const struct my_event *ev, struct my_maria_gtid *g,
			char *err, size_t errlen);

/* MariaDB GTID_LIST: up to max entries into list; *n gets the count. */
int my_maria_gtid_list_parse(const struct my_event *ev,
			     struct my_maria_gtid *list, size_t max, size_t *n,
			     char *err, size_t errlen);

/* XID: the transaction's xid. */
int my_xid_parse(const struct my_event *ev, uint64_t *xid, char *err,
		 size_t errlen);

/*
 * QUERY: the default database and the statement text (not NUL-terminated;
 * pointers into the event). "BEGIN", "COMMIT", "XA ...", or DDL.
 */
struct my_query {
	uint32_t thread_id;
	uint16_t error_code;
	const char *db;
	size_t db_len;
	const char *sql;
	size_t sql_len;
};
int my_query_parse(const struct my_fde *fde, const struct my_event *ev,
		   struct my_query *q, char *err, size_t errlen);

/* ROWS_QUERY (MySQL) and ANNOTATE_ROWS (MariaDB): the statement text. */
int my_rows_query_parse(const struct my_event *ev, const char **sql,
			size_t *len, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* TRANSACTION_PAYLOAD (MySQL binlog_transaction_compression)         */
/* ------------------------------------------------------------------ */

/*
 * The inner events of a payload, inflated with libzstd (or stored as is
 * for compression NONE). The uncompressed size is checked against the
 * header and capped (limits.h RC_MAX_SERVER_MESSAGE).
 */
struct my_payload {
	uint8_t *data; /* inflated inner events */
	size_t len;
	size_t off; /* next inner event */
};
int my_payload_open(const struct my_event *ev, struct my_payload *pl, char *err,
		    size_t errlen);
/* The next inner event into *ev (no CRC, log_pos 0): 1, 0 at the end,
 * -1 on error. ev points into pl's buffer: valid until my_payload_close. */
int my_payload_next(struct my_payload *pl, const struct my_fde *fde,
		    struct my_event *ev, char *err, size_t errlen);
void my_payload_close(struct my_payload *pl);

/* ------------------------------------------------------------------ */
/* TABLE_MAP                                                          */
/* ------------------------------------------------------------------ */

/* One column as the table map describes it. */
struct my_col {
	char *name;	   /* COLUMN_NAME metadata, or "@N" (1-based) */
	uint8_t type;	   /* wire type (MYSQL_TYPE_*) */
	uint8_t real_type; /* ENUM/SET hidden in STRING's metadata, else type */
	uint16_t meta;	   /* the per-column metadata, as MySQL packs it */
	int is_unsigned;   /* SIGNEDNESS metadata (numeric columns) */
	int nullable;
	int pk;		    /* position in the primary key + 1, 0 if not */
	int visible;	    /* COLUMN_VISIBILITY (1 when absent) */
	uint32_t collation; /* character columns: collation id, 0 unknown;
			     * 63 = binary */
	int geometry_type;  /* GEOMETRY_TYPE metadata, -1 when absent */
	int nvalues;	    /* ENUM/SET: the value strings */
	char **values;
};

struct my_tablemap {
	uint64_t table_id;
	uint16_t flags;
	char *db;
	char *table;
	int ncols;
	struct my_col *cols;
	int has_names; /* COLUMN_NAME metadata present */
	int has_pk;    /* SIMPLE_PRIMARY_KEY/PRIMARY_KEY_WITH_PREFIX present */
	int njson;     /* JSON columns (PARTIAL_UPDATE_ROWS bitmap) */
};

/* Parse a TABLE_MAP event, optional metadata included. NULL with err. */
struct my_tablemap *my_tablemap_parse(const struct my_fde *fde,
				      const struct my_event *ev, char *err,
				      size_t errlen);
/* Same, from the post-header+body bytes (cases/tablemap_bodies.tsv),
 * read as a MySQL server writes it. */
struct my_tablemap *my_tablemap_parse_body(const void *body, size_t len,
					   size_t table_id_len, char *err,
					   size_t errlen);
/* ..., or as MariaDB writes it (mariadb != 0): MariaDB counts GEOMETRY
 * columns among the character columns of DEFAULT_CHARSET and
 * COLUMN_CHARSET, MySQL does not. my_tablemap_parse takes this from the
 * FDE's server version. */
struct my_tablemap *my_tablemap_parse_body_ex(const void *body, size_t len,
					      size_t table_id_len, int mariadb,
					      char *err, size_t errlen);
void my_tablemap_free(struct my_tablemap *tm);

/*
 * Describe the table map's columns into tbl, which the caller made with
 * rc_table_new(..., nkept): column colmap[i] of tbl gets tm column i, and
 * tm columns with colmap[i] < 0 are left out (colmap NULL: all, in order).
 * Sets names, rowcast types (README type table), db_type ("int unsigned",
 * "decimal(10,2)", "enum('a','b')", "datetime(6)"...), RC_COL_KEY from the
 * primary key metadata, RC_COL_NOT_NULL, RC_COL_TEXT_BRANCH for columns
 * that can hold zero dates; then calls rc_table_finish(). 0 or -1.
 */
int my_table_describe(const struct my_tablemap *tm, const int *colmap,
		      struct rc_table *tbl, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Rows events                                                        */
/* ------------------------------------------------------------------ */

struct my_rows {
	uint8_t type; /* the rows event's type */
	char op;      /* 'c', 'u' or 'd' */
	uint64_t table_id;
	uint16_t flags; /* 0x0001 = STMT_END_F */
	int ncols;
	const uint8_t *present;	      /* columns-present bitmap */
	const uint8_t *present_after; /* updates: the after image's */
	const uint8_t *data;	      /* the row images */
	size_t len;
	size_t off;   /* next row */
	int partial;  /* PARTIAL_UPDATE_ROWS */
	uint32_t row; /* rows returned so far */
};
#define MY_ROWS_F_STMT_END 0x0001

int my_rows_parse(const struct my_fde *fde, const struct my_event *ev,
		  struct my_rows *rows, char *err, size_t errlen);

/*
 * Decode the next row of rows into ev, whose table was described from tm
 * with the same colmap (my_table_describe): the before image for 'u'/'d',
 * the after image for 'c'/'u', allocated in ev and filled with typed
 * values (strings converted to UTF-8; JSON as text; a PARTIAL_UPDATE_ROWS
 * JSON diff applied to the before image so the after image carries the
 * whole document). A column the image does not carry (MINIMAL row image)
 * is RC_V_NULL in the before image and RC_V_UNCHANGED in the after image.
 * Returns 1 for a row, 0 when there are no more rows, -1 with err set.
 */
int my_rows_next(struct my_rows *rows, const struct my_tablemap *tm,
		 const int *colmap, struct rc_event *ev, char *err,
		 size_t errlen);

#endif
