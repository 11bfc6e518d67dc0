/*
 * source.h -- the interface every database source implements.
 *
 * A source is an ops table (struct rc_source_ops, one static descriptor at
 * the bottom of the plugin's main file) plus a state struct whose first
 * member is struct rc_source. It produces change events and nothing else:
 * it pushes them through the pipeline (pipeline.h) and never knows which
 * sinks are on the other side.
 */
#ifndef RC_SOURCE_H
#define RC_SOURCE_H

#include <stdarg.h>
#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "limits.h"
#include "position.h"

struct rc_check;
struct rc_pipeline;
struct rc_source;

struct rc_source_ops {
	const char *name;	 /* value of `type` in [source NAME] */
	const char *description; /* one line, for --help */
	const struct rc_conf_key *conf_keys; /* plugin keys, {NULL} ended */

	/*
	 * Create the source from its section (cfg is kept alive for the
	 * source's life). Only checks and allocates: no connection yet.
	 * Returns NULL with err set on a configuration problem.
	 */
	struct rc_source *(*create)(const struct rc_config *cfg,
				    const struct rc_conf_section *sec,
				    char *err, size_t errlen);

	/*
	 * Stream changes into pl until rc_pipeline_stopping(pl), starting
	 * after *start (NULL: the source has never run: start fresh).
	 * Retries what goes away by itself (server restart) with backoff.
	 * Returns 0 on a clean stop, RC_SOURCE_CONFIG for a problem only the
	 * user can fix (wrong wal_level, missing table), -1 on other fatal
	 * errors; the reason is in src->lasterr.
	 * @locality its own thread (the source thread)
	 */
	int (*run)(struct rc_source *src, struct rc_pipeline *pl,
		   const struct rc_pos *start);

	/* Checkpoint body lines ("key = value\n") for pos. */
	int (*format_pos)(const struct rc_pos *pos, struct rc_buf *out);
	/* One checkpoint key/value into pos; 0, or -1 with err set. */
	int (*parse_pos)(const char *key, const char *value, struct rc_pos *pos,
			 char *err, size_t errlen);

	void (*destroy)(struct rc_source *src);

	/*
	 * Optional, for `rowcast check` (check.h): connect, look at the
	 * server's settings, the rights and the tables, and add one finding
	 * per thing to chk (subject already set), each FAIL and WARN with
	 * what to change. start is the checkpoint's position, NULL when
	 * there is none. Reads only: creates nothing on the server. Also
	 * notes the topics it would write (rc_check_topic()).
	 * @locality the main thread, before or instead of run
	 */
	void (*check)(struct rc_source *src, const struct rc_pos *start,
		      struct rc_check *chk);
};

#define RC_SOURCE_CONFIG (-2)

struct rc_source {
	const struct rc_source_ops *ops;
	const char *name; /* section name */
	const struct rc_config *cfg;
	const struct rc_conf_section *sec;
	char lasterr[RC_ERRLEN];
};

/* The source's last error (src->lasterr), formatted. */
static inline void rc_source_set_err(struct rc_source *src, const char *fmt,
				     ...) __attribute__((format(printf, 2, 3)));
static inline void
rc_source_set_err(struct rc_source *src, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(src->lasterr, sizeof(src->lasterr), fmt, ap);
	va_end(ap);
}

#endif
