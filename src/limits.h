/*
 * limits.h -- every hard cap of rowcast, in one place.
 *
 * A growable buffer in rowcast never grows past the cap that names it here;
 * hitting a cap is an error reported to the caller, never a silent
 * truncation. Caps that users may want to change are configuration keys
 * whose defaults come from this file.
 */
#ifndef RC_LIMITS_H
#define RC_LIMITS_H

/* One message from a database server (a pgoutput message, a binlog event). */
#define RC_MAX_SERVER_MESSAGE (1024u * 1024u * 1024u)

/* One event's arena: the decoded values of a row, before and after. */
#define RC_MAX_EVENT_BYTES (1024u * 1024u * 1024u)

/* Freed events kept for reuse, process-wide (each about 0.5 KiB: their
 * inline arena; event.c says why). */
#define RC_EVENT_POOL_MAX 8192

/* Columns in one table (PostgreSQL's own limit is 1600). */
#define RC_MAX_COLUMNS 4096

/* Identifiers: schema, table, column, source and sink names. */
#define RC_MAX_NAME 256

/* Default size of the queue between a source and the sinks. */
#define RC_DEFAULT_QUEUE_BYTES (16u * 1024u * 1024u)

/* Transactions in flight between the source and a durable checkpoint. */
#define RC_ACK_RING_SLOTS 65536u

/* One encoded Avro message. */
#define RC_MAX_ENCODED_BYTES (1024u * 1024u * 1024u)

/* One line of the configuration file. */
#define RC_MAX_CONFIG_LINE 4096

/* Elements of one array value. */
#define RC_MAX_ARRAY_ELEMENTS (64u * 1024u * 1024u)

/* Intervals (MySQL) or domains (MariaDB) in one GTID set. */
#define RC_MAX_GTID_INTERVALS (1u << 20)

/* One answer of the metrics endpoint (the whole /metrics exposition). */
#define RC_MAX_METRICS_TEXT (64u * 1024u * 1024u)

/* Error strings handed between functions. */
#define RC_ERRLEN 512

#endif
