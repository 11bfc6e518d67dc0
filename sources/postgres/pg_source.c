/*
 * pg_source.c -- the PostgreSQL source: slot, publication, pgoutput stream.
 * (skeleton: the descriptor and keys; implementation in progress)
 */
#include "config.h"

#include "source.h"

static const struct rc_conf_key pg_keys[] = {
	{"conninfo", RC_CONF_STRING, NULL, RC_CONF_REQUIRED,
	 "libpq connection string of the database (a password here is allowed, but see password)", NULL, 0, 0},
	{"password", RC_CONF_STRING, NULL, RC_CONF_SECRET,
	 "password for conninfo's user; better as password_file or password_env", NULL, 0, 0},
	{"slot", RC_CONF_STRING, NULL, 0,
	 "replication slot name (default rowcast_<source name>)", NULL, 0, 0},
	{"publication", RC_CONF_STRING, NULL, 0,
	 "publication name (default rowcast_<source name>)", NULL, 0, 0},
	{"status_interval", RC_CONF_DURATION, "10s", 0,
	 "interval of standby status updates to the server", NULL, 100, 3600000},
	{"reconnect_max_backoff", RC_CONF_DURATION, "30s", 0,
	 "longest wait between two reconnection attempts", NULL, 100, 3600000},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

const struct rc_source_ops rc_pg_source_ops = {
	.name = "postgresql",
	.description = "PostgreSQL logical replication (pgoutput) over libpq",
	.conf_keys = pg_keys,
};
