/*
 * check.h -- `rowcast check`: findings of a preflight, and the run.
 *
 * A preflight connects to every source and sink of a configuration and
 * says, one finding per line, what is right, what is risky and what must
 * change before rowcast can run:
 *
 *   OK    source shop: connected to host=db user=rc password=*** ...
 *   WARN  source shop: table public.notes: ... (fix: ...)
 *   FAIL  source shop: wal_level is replica (fix: set wal_level = ...)
 *
 * Sources and sinks add their findings through the optional `check`
 * callbacks of their ops (source.h, sink.h). A check only reads: it never
 * creates a slot, a publication, a topic or a file that stays, so it is
 * safe next to a running rowcast.
 */
#ifndef RC_CHECK_H
#define RC_CHECK_H

#include <stdio.h>

#include "config.h"

enum rc_check_level {
	RC_CHECK_OK = 0,   /* as rowcast needs it */
	RC_CHECK_WARN = 1, /* rowcast runs, but something may go wrong */
	RC_CHECK_FAIL = 2, /* rowcast cannot run until it is fixed */
};

struct rc_finding {
	enum rc_check_level level;
	char *subject; /* "source shop", "sink main", "state_dir" */
	char *what;    /* what was found (redacted) */
	char *fix;     /* what to change, or NULL (redacted) */
};

/* Topics a source writes, so that the sinks it sends to can look them up. */
struct rc_check_topic {
	char *source;
	char *topic;
};

struct rc_check {
	struct rc_finding *items;
	int n, cap;
	const char *subject; /* subject of the findings added next */
	struct rc_check_topic *topics;
	int ntopics;
	int oom; /* a finding was lost: the run counts as failed */
};

void rc_check_init(struct rc_check *chk);
void rc_check_free(struct rc_check *chk);

/*
 * Add a finding under chk->subject: what from fmt, fix (NULL: none). Both
 * are redacted (redact.h) as they are copied.
 */
void rc_check_add(struct rc_check *chk, enum rc_check_level level,
		  const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define rc_check_ok(chk, ...) rc_check_add(chk, RC_CHECK_OK, NULL, __VA_ARGS__)

/* Note that source writes topic (the sinks' checks look it up). */
void rc_check_topic(struct rc_check *chk, const char *source,
		    const char *topic);

/* The worst level found (RC_CHECK_FAIL also when out of memory). */
enum rc_check_level rc_check_worst(const struct rc_check *chk);

/* One line per finding ("FAIL  subject: what (fix: fix)"), then a summary
 * line. */
void rc_check_print(const struct rc_check *chk, FILE *out);

/*
 * The whole preflight of cfg: the state directory, then every source
 * (create, checkpoint, its check callback), then every sink (its check
 * callback with the topics of the sources that send to it). Findings go to
 * chk.
 */
void rc_check_run(const struct rc_config *cfg, struct rc_check *chk);

/*
 * Can rowcast write in directory dir? Creates and removes a probe file;
 * when dir does not exist, says whether it can be created (its nearest
 * existing parent is writable) without creating it. 1 writable, 2 missing
 * but can be created (why says so), 0 no with the reason in why.
 */
int rc_check_dir_writable(const char *dir, char *why, size_t whylen);

#endif
