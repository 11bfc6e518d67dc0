/*
 * pg_proto.h -- the PostgreSQL streaming replication and pgoutput protocol
 * (proto_version 1): parsing CopyData frames and pgoutput messages, and
 * building standby status updates.
 *
 * Parsing never allocates per message: struct pg_parser owns scratch arrays
 * that grow (with caps from limits.h) and are reused. Strings and column
 * data in a parsed struct pg_msg point into the message bytes, so they are
 * valid until the next pg_parse() on the same parser and while the message
 * buffer lives. Every read is bounds-checked (reader.h): a short, long or
 * lying message is an error with a message in err, never an overread.
 */
#ifndef RC_PG_PROTO_H
#define RC_PG_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* CopyData frames of START_REPLICATION                               */
/* ------------------------------------------------------------------ */

struct pg_copy {
	char kind;	     /* 'w' XLogData or 'k' primary keepalive */
	uint64_t wal_start;  /* 'w': dataStart (0/0 for R and Y messages) */
	uint64_t wal_end;    /* 'w' and 'k': server's WAL end */
	int64_t send_time;   /* microseconds since 2000-01-01 */
	int reply_requested; /* 'k' */
	const unsigned char *data; /* 'w': the pgoutput message */
	size_t len;
};

/* 0, or -1 with err set (unknown frame kind, short frame). */
int pg_parse_copy(const void *buf, size_t len, struct pg_copy *out, char *err,
		  size_t errlen);

/* Standby status update 'r' (34 bytes) into out. */
#define PG_STATUS_UPDATE_LEN 34
void pg_build_status_update(unsigned char out[PG_STATUS_UPDATE_LEN],
			    uint64_t written, uint64_t flushed,
			    uint64_t applied, int64_t now_pg_us,
			    int reply_requested);

/* Microseconds since 2000-01-01 (PostgreSQL epoch) now / to Unix micros. */
int64_t pg_now_us(void);
#define PG_EPOCH_OFFSET_US INT64_C(946684800000000)

/* ------------------------------------------------------------------ */
/* pgoutput messages                                                  */
/* ------------------------------------------------------------------ */

struct pg_column_desc {
	uint8_t flags;	  /* 1 = part of the replica identity key */
	const char *name; /* NUL-terminated, points into the message */
	uint32_t type_oid;
	int32_t typmod;
};

struct pg_tuple_col {
	char kind;    /* 'n' null, 'u' unchanged TOAST, 't' text, 'b' binary */
	uint32_t len; /* 't'/'b' */
	const char *data; /* 't'/'b', NOT NUL-terminated */
};

struct pg_tuple {
	uint16_t ncols;
	struct pg_tuple_col *cols; /* parser scratch */
};

struct pg_msg {
	char type; /* 'B','C','O','R','Y','I','U','D','T','M' */
	union {
		struct {
			uint64_t final_lsn;
			int64_t commit_time; /* PG epoch micros */
			uint32_t xid;
		} begin;
		struct {
			uint8_t flags;
			uint64_t commit_lsn;
			uint64_t end_lsn;
			int64_t commit_time;
		} commit;
		struct {
			uint64_t commit_lsn;
			const char *name;
		} origin;
		struct {
			uint32_t relid;
			const char *nspname; /* "" means pg_catalog */
			const char *relname;
			char replident; /* 'd','n','f','i' */
			uint16_t ncols;
			struct pg_column_desc *cols; /* parser scratch */
		} rel;
		struct {
			uint32_t oid;
			const char *nspname;
			const char *typname;
		} type;
		struct {
			uint32_t relid;
			struct pg_tuple newtup;
		} insert;
		struct {
			uint32_t relid;
			char oldkind; /* 0 none, 'K' key, 'O' old row */
			struct pg_tuple oldtup;
			struct pg_tuple newtup;
		} update;
		struct {
			uint32_t relid;
			char oldkind; /* 'K' or 'O' */
			struct pg_tuple oldtup;
		} del;
		struct {
			uint32_t nrels;
			uint8_t options;  /* 1 CASCADE, 2 RESTART IDENTITY */
			uint32_t *relids; /* parser scratch */
		} truncate;
		struct {
			uint8_t flags; /* 1 = transactional */
			uint64_t lsn;
			const char *prefix;
			uint32_t len;
			const char *content; /* not NUL-terminated */
		} message;
	} u;
};

struct pg_parser {
	/* scratch, reused between messages */
	struct pg_column_desc *cols;
	size_t cols_cap;
	struct pg_tuple_col *tup[2];
	size_t tup_cap[2];
	uint32_t *relids;
	size_t relids_cap;
};

void pg_parser_init(struct pg_parser *ps);
void pg_parser_free(struct pg_parser *ps);

/*
 * Parse one pgoutput message (proto_version 1) of len bytes.
 * Returns 0, or -1 with err set: "<Type> message: <what is wrong> at byte N".
 * Unknown message types are an error (the caller logs and stops).
 */
int pg_parse(struct pg_parser *ps, const void *data, size_t len,
	     struct pg_msg *msg, char *err, size_t errlen);

/* "Begin", "Insert", ... for a message type byte; NULL when unknown. */
const char *pg_msg_type_name(char type);

#endif
