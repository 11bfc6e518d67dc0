/*
 * plugins.c -- the sources and sinks compiled into this build (plugins.h).
 */
#include <string.h>

#include "plugins.h"

#ifdef ENABLE_POSTGRESQL
extern const struct rc_source_ops rc_pg_source_ops;
#endif
#ifdef ENABLE_MYSQL
extern const struct rc_source_ops rc_my_source_ops;
#endif
#ifdef ENABLE_KAFKA
extern const struct rc_sink_ops rc_kafka_sink_ops;
#endif
#ifdef ENABLE_FILE_SINK
extern const struct rc_sink_ops rc_file_sink_ops;
#endif
#ifdef ENABLE_STDOUT_SINK
extern const struct rc_sink_ops rc_stdout_sink_ops;
#endif

const struct rc_source_ops *const rc_source_plugins[] = {
#ifdef ENABLE_POSTGRESQL
	&rc_pg_source_ops,
#endif
#ifdef ENABLE_MYSQL
	&rc_my_source_ops,
#endif
	NULL,
};

const struct rc_sink_ops *const rc_sink_plugins[] = {
#ifdef ENABLE_KAFKA
	&rc_kafka_sink_ops,
#endif
#ifdef ENABLE_FILE_SINK
	&rc_file_sink_ops,
#endif
#ifdef ENABLE_STDOUT_SINK
	&rc_stdout_sink_ops,
#endif
	NULL,
};

const struct rc_source_ops *
rc_source_plugin(const char *type)
{
	for (int i = 0; rc_source_plugins[i]; i++)
		if (strcmp(rc_source_plugins[i]->name, type) == 0)
			return rc_source_plugins[i];
	return NULL;
}

const struct rc_sink_ops *
rc_sink_plugin(const char *type)
{
	for (int i = 0; rc_sink_plugins[i]; i++)
		if (strcmp(rc_sink_plugins[i]->name, type) == 0)
			return rc_sink_plugins[i];
	return NULL;
}
