/*
 * file_sink.c -- Avro object container files, one stream of files per table.
 * (skeleton: the descriptor and keys; implementation in progress)
 */
#include "config.h"

#include "sink.h"

static const struct rc_conf_key file_keys[] = {
	{"path", RC_CONF_STRING, NULL, RC_CONF_REQUIRED,
	 "directory that receives one subdirectory of .avro files per table", NULL, 0, 0},
	{"rotate_bytes", RC_CONF_SIZE, "64M", 0,
	 "close a file and start the next one past this size", NULL, 4096, 0},
	{"rotate_interval", RC_CONF_DURATION, "1h", 0,
	 "close a file and start the next one when it is this old", NULL, 1000, 0},
	{"block_bytes", RC_CONF_SIZE, "1M", 0,
	 "write and fsync a block once it holds this many bytes", NULL, 1024, 0},
	{"flush_interval", RC_CONF_DURATION, "200ms", 0,
	 "longest time an event waits before its block is written and fsynced", NULL, 1, 0},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

const struct rc_sink_ops rc_file_sink_ops = {
	.name = "file",
	.description = "Avro object container files per table, rotated by size and age",
	.conf_keys = file_keys,
};
