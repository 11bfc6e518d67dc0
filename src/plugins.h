/*
 * plugins.h -- the list of sources and sinks compiled into rowcast.
 *
 * Adding a plugin is one file in sources/ or sinks/ with its descriptor and
 * one line in plugins.c.
 */
#ifndef RC_PLUGINS_H
#define RC_PLUGINS_H

#include "sink.h"
#include "source.h"

/* NULL-terminated lists. */
extern const struct rc_source_ops *const rc_source_plugins[];
extern const struct rc_sink_ops *const rc_sink_plugins[];

const struct rc_source_ops *rc_source_plugin(const char *type);
const struct rc_sink_ops *rc_sink_plugin(const char *type);

#endif
