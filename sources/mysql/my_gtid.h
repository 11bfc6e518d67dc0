/*
 * my_gtid.h -- GTID sets in MySQL's and MariaDB's forms.
 *
 * MySQL: "uuid:1-10:12,uuid2:tag:1-3" (intervals per UUID, tags from 8.4);
 * what a transaction adds is one gno. MariaDB: "0-1-7,1-2-30" (domain-
 * server-seq, the last transaction seen per domain). One set holds one form;
 * text and MySQL's binary form (PREVIOUS_GTIDS body, COM_BINLOG_DUMP_GTID
 * data) are both read and written here.
 */
#ifndef RC_MY_GTID_H
#define RC_MY_GTID_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct my_gtid_set;

enum my_gtid_flavor { MY_GTID_MYSQL = 1, MY_GTID_MARIADB = 2 };

/* An empty set. NULL on out of memory. */
struct my_gtid_set *my_gtid_set_new(enum my_gtid_flavor flavor);
void my_gtid_set_free(struct my_gtid_set *set);
enum my_gtid_flavor my_gtid_set_flavor(const struct my_gtid_set *set);
int my_gtid_set_empty(const struct my_gtid_set *set);

/* Parse the text form (either flavor, told by its shape; "" is empty).
 * NULL with err set naming what is wrong. */
struct my_gtid_set *my_gtid_set_parse(const char *text, char *err,
				      size_t errlen);
/* The text form, normalised (sorted, intervals merged), into out. 0/-1. */
int my_gtid_set_format(const struct my_gtid_set *set, struct rc_buf *out);

/* MySQL: add uuid[:tag]:gno. 0, or -1 on out of memory. */
int my_gtid_set_add_mysql(struct my_gtid_set *set, const uint8_t uuid[16],
			  const char *tag, int64_t gno);
/* MariaDB: domain-server-seq becomes the domain's position. */
int my_gtid_set_add_maria(struct my_gtid_set *set, uint32_t domain,
			  uint32_t server_id, uint64_t seq);

/* MySQL's binary form (PREVIOUS_GTIDS body, tagged or not). */
struct my_gtid_set *my_gtid_set_decode(const void *p, size_t len, char *err,
				       size_t errlen);
/* MySQL's binary form for COM_BINLOG_DUMP_GTID (tagged format only when the
 * set has tags). 0/-1. */
int my_gtid_set_encode(const struct my_gtid_set *set, struct rc_buf *out);

/* One GTID as text ("uuid:gno", "uuid:tag:gno", "0-1-7") into buf. */
void my_gtid_format_one_mysql(const uint8_t uuid[16], const char *tag,
			      int64_t gno, char *buf, size_t len);

#endif
