/*
 * fsutil.h -- small files that must survive a crash whole.
 */
#ifndef RC_FSUTIL_H
#define RC_FSUTIL_H

#include <stddef.h>

/*
 * Replace dir/name with data atomically: write dir/.name.tmp, fsync it,
 * rename it over dir/name, fsync dir. After a crash the file is either the
 * old one or the new one, never a mix. dir is created (one level) when
 * missing. 0, or -1 with err set to "<step> <path>: <reason>".
 */
int rc_write_file_atomic(const char *dir, const char *name, const void *data,
			 size_t len, char *err, size_t errlen);

#endif
