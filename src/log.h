/*
 * log.h -- levelled logging with a component tag.
 *
 * Every line is "<time> <LEVEL> [<component>] message" on stderr (systemd's
 * journal adds its own timestamps; the format stays greppable). A message is
 * logged once, where the error is handled, never at every level it passes.
 *
 * @locality any thread; lines are written whole with one write(2).
 */
#ifndef RC_LOG_H
#define RC_LOG_H

#include <stdarg.h>

enum rc_log_level {
	RC_LOG_ERROR = 0,
	RC_LOG_WARN = 1,
	RC_LOG_INFO = 2,
	RC_LOG_DEBUG = 3,
};

void rc_log_set_level(enum rc_log_level level);
enum rc_log_level rc_log_get_level(void);

/* Parse "error", "warn", "info", "debug"; returns -1 when unknown. */
int rc_log_level_parse(const char *s);

void rc_log(enum rc_log_level level, const char *component, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

#define rc_error(comp, ...) rc_log(RC_LOG_ERROR, comp, __VA_ARGS__)
#define rc_warn(comp, ...)  rc_log(RC_LOG_WARN, comp, __VA_ARGS__)
#define rc_info(comp, ...)  rc_log(RC_LOG_INFO, comp, __VA_ARGS__)
#define rc_debug(comp, ...)                                                    \
	do {                                                                   \
		if (rc_log_get_level() >= RC_LOG_DEBUG)                        \
			rc_log(RC_LOG_DEBUG, comp, __VA_ARGS__);               \
	} while (0)

#endif
