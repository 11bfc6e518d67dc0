/*
 * checkpoint.h -- the checkpoint store: one small text file per source.
 *
 *   <state_dir>/<source>.checkpoint
 *
 *   # rowcast checkpoint: the position up to which every change is durable
 *   format = 1
 *   source = shop
 *   type = postgresql
 *   updated = 2026-11-27T05:00:00Z
 *   lsn = 0/16B3748
 *
 * The file is replaced atomically: written to .<file>.tmp, fsynced, renamed
 * over the old one, and the directory fsynced. Its absence means the source
 * never ran; a file that cannot be read or parsed is an error (the agent
 * stops), never a silent fresh start.
 */
#ifndef RC_CHECKPOINT_H
#define RC_CHECKPOINT_H

#include <stddef.h>

#include "position.h"
#include "source.h"

/*
 * Load the checkpoint of source src (parsing position keys with
 * src->ops->parse_pos). Returns 1 and fills *pos when found, 0 when there is
 * none, -1 with err set ("PATH:LINE: ...") when it is unreadable or corrupt
 * or belongs to a source of another type.
 */
int rc_checkpoint_load(const char *state_dir, const struct rc_source *src,
		       struct rc_pos *pos, char *err, size_t errlen);

/* Write the checkpoint of src at pos atomically. 0, or -1 with err set. */
int rc_checkpoint_save(const char *state_dir, const struct rc_source *src,
		       const struct rc_pos *pos, char *err, size_t errlen);

/* Path of the checkpoint file into buf. */
void rc_checkpoint_path(const char *state_dir, const char *source, char *buf,
			size_t len);

#endif
