/*
 * sink.h -- the interface every destination implements.
 *
 * A sink is an ops table (one static descriptor at the bottom of the
 * plugin's main file) plus a state struct whose first member is struct
 * rc_sink. It takes events one by one, encodes them as it needs (encoder.h)
 * and reports back, possibly later, which of them are durable by calling
 * rc_sink_durable() with the event's txn_seq. The pipeline advances the
 * checkpoint only from those reports.
 *
 * @locality every callback runs on the pipeline thread, and
 *           rc_sink_durable() must be called from it too (from inside
 *           write/poll/flush). A sink that fails for good returns -1 with
 *           lasterr set; the pipeline then stops.
 */
#ifndef RC_SINK_H
#define RC_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "limits.h"

struct rc_check;
struct rc_encoder;
struct rc_pipeline;
struct rc_sink;

struct rc_sink_ops {
	const char *name; /* value of `type` in [sink NAME] */
	const char *description;
	const struct rc_conf_key *conf_keys;

	/* Open the destination; NULL with err set on failure. */
	struct rc_sink *(*open)(const struct rc_config *cfg,
				const struct rc_conf_section *sec, char *err,
				size_t errlen);

	/*
	 * Accept one event. The event is only borrowed for the call: copy or
	 * encode what must outlive it. Returns 0, or -1 with lasterr set
	 * (the pipeline stops; nothing is acknowledged for this event).
	 */
	int (*write)(struct rc_sink *snk, const struct rc_event *ev,
		     struct rc_encoder *enc);

	/* Housekeeping at least every 100 ms: age-based flushes, delivery
	 * reports. Returns 0 or -1 with lasterr set. */
	int (*poll)(struct rc_sink *snk);

	/* Make everything written so far durable and report it. */
	int (*flush)(struct rc_sink *snk);

	void (*close)(struct rc_sink *snk);

	/*
	 * Optional, for `rowcast check` (check.h): can the destination of
	 * section sec take events? Works from the section, without open
	 * (which may recover files or hold locks); topics are the topics of
	 * the sources that send to this sink (NULL-terminated). Adds its
	 * findings to chk (subject already set); creates nothing that stays.
	 */
	void (*check)(const struct rc_config *cfg,
		      const struct rc_conf_section *sec,
		      const char *const *topics, struct rc_check *chk);
};

/* Counters a sink keeps (pipeline thread writes; logs and metrics read). */
struct rc_sink_stats {
	uint64_t dead_letters; /* messages delivered to a dead-letter topic
				* instead of their own ([table] on_error; a
				* delete's tombstone counts apart) */
};

struct rc_sink {
	const struct rc_sink_ops *ops;
	const char *name;
	struct rc_pipeline *pl; /* set by the pipeline before write */
	char lasterr[RC_ERRLEN];
	struct rc_sink_stats stats;
};

/* n events of transaction txn_seq, written to snk, are durable now. */
void rc_sink_durable(struct rc_sink *snk, uint64_t txn_seq, uint32_t n);

#endif
