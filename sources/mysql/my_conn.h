/*
 * my_conn.h -- a replication connection to MySQL or MariaDB.
 *
 * Built on MariaDB Connector/C's client API (connect, TLS, authentication
 * plugins such as caching_sha2_password, queries), with the replication
 * commands sent by hand (LAB.md section 2: Connector/C's mariadb_rpl
 * helpers misparse ROTATE and rows): COM_REGISTER_SLAVE, then
 * COM_BINLOG_DUMP (MariaDB, with @slave_connect_state for a GTID start) or
 * COM_BINLOG_DUMP_GTID (MySQL). Events come back raw: my_binlog.h parses.
 *
 * Also the start-up checks (binlog_format, binlog_row_image,
 * binlog_row_metadata, privileges, GTID mode) with findings that say what
 * to change, shared with `rowcast check`.
 */
#ifndef RC_MY_CONN_H
#define RC_MY_CONN_H

#include <stddef.h>
#include <stdint.h>

struct my_conn;
struct my_gtid_set;

struct my_conn_opts {
	const char *host; /* NULL or "localhost" with socket: Unix socket */
	unsigned port;
	const char *socket;
	const char *user;
	const char *password;
	const char *ssl_mode; /* disabled|preferred|required|verify_ca|
			       * verify_identity; NULL = preferred */
	const char *ssl_ca;
	const char *ssl_cert;
	const char *ssl_key;
	uint32_t server_id;    /* rowcast's replica id, unique per reader */
	int connect_timeout_s; /* 0 = 10 */
	int heartbeat_ms;      /* server heartbeat period; 0 = 1000 */
};

/*
 * Connect (no replication yet) and read the server's flavor and version.
 * NULL with err set; *transient is set to 1 when trying again later may
 * help (server down, too many connections), 0 when only the user can fix
 * it (access denied, unknown host, TLS required but refused).
 */
struct my_conn *my_conn_open(const struct my_conn_opts *opts, int *transient,
			     char *err, size_t errlen);
void my_conn_close(struct my_conn *c);

int my_conn_is_mariadb(const struct my_conn *c);
const char *my_conn_server_version(const struct my_conn *c);

/*
 * Would trying again later help with this error code? For the
 * *server_errno of my_conn_read_event (0 = lost connection: yes; 1236 =
 * binlog purged or GTID unknown: no; 1053 = server shutting down: yes)
 * and for mysql_errno values in general.
 */
int my_conn_error_is_transient(unsigned server_errno);

/* ------------------------------------------------------------------ */
/* Checks and server state                                            */
/* ------------------------------------------------------------------ */

/* One finding of the start-up checks. */
struct my_finding {
	const char *area; /* "binlog", "gtid", "grants" or "retention" */
	int fatal;	  /* rowcast cannot run until it is fixed */
	int advice;	  /* about operating it, not streaming: only
			   * `rowcast check` reports it */
	char what[256];	  /* "binlog_format is STATEMENT" */
	char fix[512];	  /* "set binlog_format=ROW in [mysqld] and ..." */
};

/*
 * Check the server for streaming: log_bin on, binlog_format=ROW,
 * binlog_row_image=FULL, binlog_row_metadata=FULL, binlog_row_value_options
 * without PARTIAL_JSON, binlog retention (advice: never purged, or purged
 * within a day), the user's REPLICATION
 * SLAVE and REPLICATION CLIENT/BINLOG MONITOR and SELECT grants, and, when
 * want_gtid, GTID mode (MySQL gtid_mode=ON). Findings go to out (up to
 * max), *n gets how many. Returns 0 when no finding is fatal, 1 when one
 * is, -1 when the checks themselves failed (err set).
 */
int my_conn_check(struct my_conn *c, int want_gtid, struct my_finding *out,
		  size_t max, size_t *n, char *err, size_t errlen);

/* Table exists (information_schema.TABLES, which lists only tables the
 * user has some privilege on)? 1 exists, 0 does not, -1 error. */
int my_conn_table_exists(struct my_conn *c, const char *db, const char *table,
			 char *err, size_t errlen);

/* Does the table have a primary key? 1 yes, 0 no, -1 error. */
int my_conn_table_has_pk(struct my_conn *c, const char *db, const char *table,
			 char *err, size_t errlen);

/* The server's current binlog file and position (SHOW MASTER STATUS, or
 * SHOW BINARY LOG STATUS on MySQL 8.4+). 0 or -1. */
int my_conn_binlog_head(struct my_conn *c, char *file, size_t filelen,
			uint64_t *pos, char *err, size_t errlen);
/* Is binlog file `file` still on the server (SHOW BINARY LOGS)?
 * 1 yes, 0 purged, -1 error. */
int my_conn_binlog_exists(struct my_conn *c, const char *file, char *err,
			  size_t errlen);
/*
 * Binlog bytes the server has written after file:pos (the rest of file
 * and every later file, as SHOW BINARY LOGS sizes them). >= 0, -2 when
 * file is not listed (purged, or another server), -1 with err on error.
 */
int64_t my_conn_binlog_behind(struct my_conn *c, const char *file, uint64_t pos,
			      char *err, size_t errlen);
/* The server's executed GTID set (MySQL @@gtid_executed, MariaDB
 * @@gtid_binlog_pos), NULL with err on error. */
struct my_gtid_set *my_conn_gtid_executed(struct my_conn *c, char *err,
					  size_t errlen);

/* ------------------------------------------------------------------ */
/* Queries (snapshots)                                                */
/* ------------------------------------------------------------------ */

/*
 * The rows of one statement, read whole into memory (a snapshot chunk is
 * bounded by snapshot_chunk_size). Values are the server's text protocol
 * bytes: NULL for SQL NULL, else lens[i] bytes (not NUL-terminated when
 * the value is binary).
 */
struct my_result;

/*
 * Run sql on a query connection (not one that streams). A statement
 * without rows gives an empty result. NULL with err set; my_conn_errno()
 * then tells whether trying again may help (my_conn_error_is_transient).
 */
struct my_result *my_conn_query(struct my_conn *c, const char *sql, char *err,
				size_t errlen);
/*
 * The same, with the rows read from the server as they are fetched
 * (mysql_use_result) instead of all at once: the server produces rows
 * while the caller converts the earlier ones. Nothing else may be sent on
 * c until the result is freed (which reads what is left).
 */
struct my_result *my_conn_query_stream(struct my_conn *c, const char *sql,
				       char *err, size_t errlen);
/* The next row: 1 (row[i]/lens[i] valid until the next call), 0 at the
 * end, -1 when reading a streamed result failed (err set). */
int my_result_next(struct my_result *r, char ***row, unsigned long **lens);
unsigned my_result_ncols(const struct my_result *r);
/* A hash of the result's columns (name, type, length, scale, sign,
 * character set): it changes when the table's columns do. */
uint64_t my_result_shape(const struct my_result *r);
const char *my_result_error(const struct my_result *r);
void my_result_free(struct my_result *r);
/* The last error of the connection (mysql_errno), 0 for none. */
unsigned my_conn_errno(struct my_conn *c);

/* ------------------------------------------------------------------ */
/* Streaming                                                          */
/* ------------------------------------------------------------------ */

/*
 * Register as a replica and ask for the binlog: from file/pos, or, when
 * gtids is not NULL, from the GTID set (the server sends what is not in
 * it). Sets the session variables the stream needs (checksums, MariaDB
 * GTID capability, the heartbeat period). 0, or -1 with err (and
 * *transient as for my_conn_open).
 */
int my_conn_start_dump(struct my_conn *c, const char *file, uint64_t pos,
		       const struct my_gtid_set *gtids, int *transient,
		       char *err, size_t errlen);

/*
 * The next event of the stream: *ev and *len point at the event (after the
 * packet's OK byte), valid until the next call. Returns 1 for an event,
 * 0 when the server ended the stream (EOF packet: MariaDB sends one when
 * it shuts down cleanly, so reconnect), -1 on error with err
 * set and *server_errno the server's error code (1236 =
 * ER_MASTER_FATAL_ERROR_READING_BINLOG: e.g. the binlog was purged), 0 for
 * a lost connection. Blocks at most about a heartbeat period plus the read
 * timeout when the server is silent.
 */
int my_conn_read_event(struct my_conn *c, const uint8_t **ev, size_t *len,
		       unsigned *server_errno, char *err, size_t errlen);

/* Is data from the server waiting on the stream's socket (1), or not (0)?
 * Never blocks; 1 when it cannot tell. Lets a snapshot read chunks while
 * the stream is quiet, and go back to the stream as soon as it is not. */
int my_conn_stream_pending(struct my_conn *c);

#endif
