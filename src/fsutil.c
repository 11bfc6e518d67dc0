/*
 * fsutil.c -- small files that must survive a crash whole (fsutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

int
rc_write_file_atomic(const char *dir, const char *name, const void *data,
		     size_t len, char *err, size_t errlen)
{
	char tmp[4096], path[4096];
	const char *what = "mkdir", *p = data;
	int fd = -1, dfd = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		    sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >=
		    sizeof(tmp)) {
		snprintf(err, errlen, "path too long: %s/%s", dir, name);
		return -1;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto error;
	what = "open";
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		goto error;
	what = "write";
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto error;
		p += w;
		len -= (size_t)w;
	}
	what = "fsync";
	if (fsync(fd) < 0)
		goto error;
	what = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto error;
	}
	fd = -1;
	what = "rename";
	if (rename(tmp, path) < 0)
		goto error;
	what = "fsync";
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		goto error;
	close(dfd);
	return 0;
error:
	snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	return -1;
}
