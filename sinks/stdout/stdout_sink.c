/*
 * stdout_sink.c -- one JSON object per line on standard output.
 * (skeleton: the descriptor; implementation in progress)
 */
#include "config.h"

#include "sink.h"

static const struct rc_conf_key stdout_keys[] = {
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

const struct rc_sink_ops rc_stdout_sink_ops = {
	.name = "stdout",
	.description = "one JSON object per line on standard output, for people and pipes",
	.conf_keys = stdout_keys,
};
