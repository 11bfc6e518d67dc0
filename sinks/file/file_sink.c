/*
 * file_sink.c -- Avro object container files, one stream of files per table.
 *
 * Layout on disk (DESIGN.md section 3), the time in UTC:
 *
 *   <path>/.rowcast.lock                          flock(2)ed while in use
 *   <path>/<topic>/<topic>-<yyyymmddTHHMMSSZ>-<seq>.avro       closed
 *   <path>/<topic>/<topic>-<yyyymmddTHHMMSSZ>-<seq>.avro.part  being written
 *
 * seq (6 digits, zero-padded) grows by one per file of a topic and
 * continues after the highest one already in the directory, so names sort
 * in write order even within one second. A topic is used as a directory and
 * file name after every byte outside [A-Za-z0-9._-] became '_'.
 *
 * Durability. Events are encoded into the stream's pending block (one per
 * open stream, at most block_bytes plus one event). The block is written
 * with one writev(2) when it reaches block_bytes. Once 8 MiB of written
 * blocks wait, the file's fdatasync(2) is handed to the sink's syncer
 * thread and the pipeline thread goes on encoding; when the sync has
 * returned successfully, the pipeline thread reports the events of those
 * blocks with rc_sink_durable(), per run of one transaction, at its next
 * poll or flush (or when it must wait for that sync anyway). A stream has
 * at most one sync in flight: reaching 8 MiB again first waits for it.
 * When the oldest waiting event has waited flush_interval (poll), on flush
 * and before a file is closed, the pipeline thread waits for the stream's
 * sync in flight and then fdatasyncs the rest itself, so flush() returns
 * with everything written synced and reported. A new file is fdatasync'ed
 * with its header and its directory fsync'ed before any of its blocks, so
 * a reported event is always in a file that survives a crash. A closed
 * file is fsync'ed, renamed to its final name and the directory fsync'ed.
 *
 * A file is closed (at a block boundary) when it is past rotate_bytes or
 * older than rotate_interval, and when its table's value schema changes: a
 * container file has one schema. The schema text is compared, not only the
 * fingerprint: the Parsing Canonical Form drops logical types, so a
 * numeric(10,2) that becomes numeric(12,4) keeps its fingerprint but needs
 * a new header.
 *
 * Crash recovery (at open): every <path>/<topic>/<name>.avro.part is walked
 * block by block (file_ocf.c); it is cut after its last complete block and
 * renamed to <name>.avro. One with a good header and no complete block holds
 * no reported event and is removed, as is an empty one; one whose header
 * cannot be read is renamed to <name>.avro.corrupt with a warning, never
 * removed.
 *
 * Errors. A failed write or sync leaves the stream broken: the events of
 * its pending block are never reported, and every later call fails with
 * the first error, so the pipeline stops and replays from its checkpoint;
 * the .part file is left for the next start's recovery. A failed sync of
 * the syncer is reported the same way, from the pipeline thread, when it
 * takes the sync back: none of its events, nor any later one of the
 * stream, is reported.
 *
 * @locality pipeline thread only, except syncer_main() (the syncer thread)
 *           and the fields marked fs->mu, which both threads use under
 *           that mutex.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "encoder.h"
#include "file_ocf.h"
#include "limits.h"
#include "log.h"
#include "clock.h"
#include "sink.h"

#define FILE_BUCKETS   256
#define FILE_LOCK_NAME ".rowcast.lock"
/* Longest topic: its files' names, "<topic>-yyyymmddTHHMMSSZ-nnnnnn.avro.part"
 * and the recovery's ".corrupt", stay under 255 bytes. */
#define FILE_TOPIC_MAX 200
/* Buffers for names and paths (messages are cut, never overrun). */
#define FILE_NAME_BUF 512
#define FILE_PATH_BUF 4096

extern const struct rc_sink_ops rc_file_sink_ops;

/* One run of consecutive events of one transaction in a block. */
struct file_run {
	uint64_t txn_seq;
	uint32_t n;
};

/*
 * One fdatasync handed to the syncer: the stream's fd and the runs of the
 * blocks written before it. Each stream has one, so at most one sync of a
 * stream is in flight. While st->syncing, the job belongs to the syncer
 * (through fs->todo and fs->done) and the pipeline thread neither touches
 * it nor closes its fd; it gets it back in sync_drain().
 */
struct file_sync_job {
	struct file_sync_job *next; /* in fs->todo or fs->done (fs->mu) */
	struct file_stream *st;
	int fd;
	int err; /* errno of a failed fdatasync, else 0 (the syncer sets it) */
	struct file_run *runs; /* reported once the sync returned 0 */
	size_t nruns, caprun;
};

/* The files of one topic: at most one open, with its pending block. */
struct file_stream {
	struct file_stream *next; /* hash chain */
	char *topic;		  /* sanitised; directory and name prefix */
	uint32_t seq;		  /* seq of the newest file named */

	/* the open file; fd == -1 when none */
	int fd;
	int broken;	      /* a write or sync failed */
	char *part;	      /* "<name>.avro.part" */
	char *schema;	      /* the header's schema text */
	struct rc_table *tbl; /* a table known to have that schema (a ref) */
	uint8_t sync[RC_OCF_SYNC_LEN];
	uint64_t file_bytes; /* header + complete blocks */
	uint64_t blocks;     /* complete blocks in the file */
	int64_t opened_ms;   /* monotonic */

	/* the pending block */
	struct rc_buf block; /* encoded envelopes */
	int64_t count;	     /* events in it */
	int64_t since_ms;    /* monotonic arrival of the oldest */
	/* events of written blocks and of the pending one, by transaction:
	 * reported durable at the next fdatasync */
	struct file_run *runs;
	size_t nruns, caprun;
	uint64_t unsynced;	/* bytes written since the last fdatasync */
	int64_t unsynced_since; /* arrival of the oldest event in them */

	/* the sync of earlier blocks handed to the syncer, if syncing */
	struct file_sync_job job;
	int syncing; /* job is the syncer's: don't touch it or close fd */
};

/* Written blocks are fdatasync'ed together, by the syncer, once this many
 * bytes wait (or by the pipeline thread once flush_interval passed, or on
 * flush): one sync per block made a drain spend a third of its time in
 * fdatasync, and a sync on the pipeline thread stalls its encoding. */
#define FILE_SYNC_BYTES (8u * 1024u * 1024u)

struct file_sink {
	struct rc_sink base; /* first member */
	char *path;
	int rootfd;		/* <path>, O_DIRECTORY */
	struct path_lock *lock; /* shared by the sinks of this process */
	uint64_t rotate_bytes, block_bytes;
	int64_t rotate_ms, flush_ms;
	int closing; /* in close(): report nothing */
	struct file_stream *buckets[FILE_BUCKETS];
	struct file_stream *last;  /* most recently used */
	struct rc_table *last_tbl; /* ...by this table (a reference) */

	/* the syncer thread (file_open to file_close) and its two queues */
	pthread_t syncer;
	int syncer_started;
	pthread_mutex_t mu;
	pthread_cond_t todo_cv; /* signalled: a job in todo, or stop */
	pthread_cond_t done_cv; /* broadcast: a job in done */
	struct file_sync_job *todo, **todo_tail; /* fs->mu: to sync, FIFO */
	struct file_sync_job *done, **done_tail; /* fs->mu: synced, FIFO */
	int stop;				 /* fs->mu: syncer, return */
};

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Set the sink's lasterr unless an earlier error is already there: the
 * first error is the one worth reading. */
static void file_fail(struct file_sink *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
file_fail(struct file_sink *fs, const char *fmt, ...)
{
	va_list ap;

	if (fs->base.lasterr[0])
		return;
	va_start(ap, fmt);
	vsnprintf(fs->base.lasterr, sizeof(fs->base.lasterr), fmt, ap);
	va_end(ap);
}

/* Write every byte of iov[0..n), retrying short writes and EINTR.
 * Returns 0, or -1 with errno set. iov is consumed. */
static int
write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w;

		if (iov->iov_len == 0) {
			iov++;
			n--;
			continue;
		}
		w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int
fsync_dir(int dirfd)
{
	while (fsync(dirfd) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* 16 random bytes for a sync marker: getrandom(2), else /dev/urandom. */
static int
random_sync(uint8_t *p)
{
	size_t got = 0;
	int fd;

	while (got < RC_OCF_SYNC_LEN) {
		ssize_t k = getrandom(p + got, RC_OCF_SYNC_LEN - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		got += (size_t)k;
	}
	if (got == RC_OCF_SYNC_LEN)
		return 0;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = 0;
	while (got < RC_OCF_SYNC_LEN) {
		ssize_t k = read(fd, p + got, RC_OCF_SYNC_LEN - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	return got == RC_OCF_SYNC_LEN ? 0 : -1;
}

/* mkdir -p: create path and its missing parents (mode 0755). */
static int
mkdir_p(const char *path)
{
	char *p = strdup(path), *s;
	int rc = 0;

	if (!p)
		return -1;
	for (s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != 0)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = c;
		if (c == 0)
			break;
	}
	free(p);
	return rc;
}

/*
 * The stream name of a table into out (FILE_TOPIC_MAX + 1 bytes): its
 * topic, else <source>.<schema>.<name>, with every byte outside
 * [A-Za-z0-9._-] replaced by '_' so that it is one safe path component
 * ("." and ".." get a leading '_'). Returns 0, or -1 when it is longer than
 * FILE_TOPIC_MAX (a file name has at most 255 bytes).
 */
static int
topic_of(const struct rc_table *tbl, char *out)
{
	int n;

	if (tbl->topic && tbl->topic[0])
		n = snprintf(out, FILE_TOPIC_MAX + 1, "%s", tbl->topic);
	else
		n = snprintf(out, FILE_TOPIC_MAX + 1, "%s.%s.%s", tbl->source,
			     tbl->schema, tbl->name);
	if (n < 0 || n > FILE_TOPIC_MAX)
		return -1;
	for (char *c = out; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
		      *c == '-'))
			*c = '_';
	if (!out[0] || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		if (n == FILE_TOPIC_MAX)
			return -1;
		memmove(out + 1, out, (size_t)n + 1);
		out[0] = '_';
	}
	return 0;
}

/*
 * The seq of a file name "<topic>-<stamp>-<seq>.avro..." of this topic,
 * or 0 when the name is not one of ours.
 */
static uint32_t
name_seq(const char *topic, const char *name)
{
	size_t tl = strlen(topic);
	const char *p;
	uint64_t seq = 0;

	if (strncmp(name, topic, tl) != 0 || name[tl] != '-')
		return 0;
	p = name + tl + 1;
	if (strlen(p) < 17 || p[8] != 'T' || p[15] != 'Z' || p[16] != '-')
		return 0;
	p += 17;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9' && seq <= UINT32_MAX)
		seq = seq * 10 + (uint64_t)(*p++ - '0');
	if (seq > UINT32_MAX || strncmp(p, ".avro", 5) != 0)
		return 0;
	return (uint32_t)seq;
}

/* ------------------------------------------------------------------ */
/* Crash recovery                                                     */
/* ------------------------------------------------------------------ */

/* Does name exist in dirfd? */
static int
exists_at(int dirfd, const char *name)
{
	struct stat stbuf;

	return fstatat(dirfd, name, &stbuf, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * Recover one unfinished file, dir/name ("<base>.part"), following the rule
 * at the top of this file. Returns 0, or -1 with err set when the file
 * could not be dealt with (rowcast must not start writing next to it).
 */
static int
recover_part(int dirfd, const char *dir, const char *name, char *err,
	     size_t errlen)
{
	struct rc_ocf_scan sc;
	struct stat stbuf;
	size_t bl = strlen(name) - strlen(".part");
	char base[FILE_NAME_BUF], other[FILE_NAME_BUF + 16];
	const char *what = "";
	int fd;

	snprintf(base, sizeof(base), "%.*s", (int)bl, name);
	fd = openat(dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &stbuf) < 0) {
		what = "open";
		goto io_error;
	}
	if (stbuf.st_size == 0) {
		close(fd);
		if (unlinkat(dirfd, name, 0) < 0 || fsync_dir(dirfd) < 0) {
			fd = -1;
			what = "unlink";
			goto io_error;
		}
		rc_info("file", "removed empty %s/%s", dir, name);
		return 0;
	}
	if (rc_ocf_scan(fd, &sc) < 0) {
		what = "read";
		goto io_error;
	}
	if (!sc.header_ok) {
		close(fd);
		fd = -1;
		snprintf(other, sizeof(other), "%s.corrupt", base);
		what = "rename";
		if (exists_at(dirfd, other)) {
			errno = EEXIST;
			goto io_error;
		}
		if (renameat(dirfd, name, dirfd, other) < 0 ||
		    fsync_dir(dirfd) < 0)
			goto io_error;
		rc_warn("file",
			"%s/%s: unreadable header (%s, %" PRIu64
			" bytes); renamed to %s, left for you to inspect",
			dir, name, sc.why, sc.file_size, other);
		return 0;
	}
	if (sc.blocks == 0) {
		close(fd);
		fd = -1;
		if (unlinkat(dirfd, name, 0) < 0 || fsync_dir(dirfd) < 0) {
			what = "unlink";
			goto io_error;
		}
		rc_info("file",
			"removed %s/%s: no complete block (%" PRIu64
			" bytes of an unfinished one, never reported durable)",
			dir, name, sc.file_size - sc.header_len);
		return 0;
	}
	if (sc.good_end < sc.file_size &&
	    ftruncate(fd, (off_t)sc.good_end) < 0) {
		what = "truncate";
		goto io_error;
	}
	if (fsync(fd) < 0) {
		what = "fsync";
		goto io_error;
	}
	close(fd);
	fd = -1;
	if (exists_at(dirfd, base)) {
		snprintf(err, errlen,
			 "file: recover %s/%s: %s already exists; "
			 "move one of them away",
			 dir, name, base);
		return -1;
	}
	if (renameat(dirfd, name, dirfd, base) < 0 || fsync_dir(dirfd) < 0) {
		what = "rename";
		goto io_error;
	}
	if (sc.good_end < sc.file_size)
		rc_info("file",
			"recovered %s/%s: %" PRIu64 " records in %" PRIu64
			" blocks; cut %" PRIu64
			" bytes of an unfinished block (%s)",
			dir, base, sc.records, sc.blocks,
			sc.file_size - sc.good_end, sc.why);
	else
		rc_info("file",
			"recovered %s/%s: %" PRIu64 " records in %" PRIu64
			" blocks",
			dir, base, sc.records, sc.blocks);
	return 0;

io_error:
	snprintf(err, errlen, "file: recover %s %s/%s: %s", what, dir, name,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Recover every *.avro.part in one topic directory. The names are
 * collected first: renaming entries while readdir(3) walks a directory may
 * show them twice.
 */
static int
recover_dir(struct file_sink *fs, const char *topic, char *err, size_t errlen)
{
	char **names = NULL, dir[FILE_PATH_BUF];
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int dirfd, rc = -1;

	snprintf(dir, sizeof(dir), "%s/%s", fs->path, topic);
	dirfd = openat(fs->rootfd, topic, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(err, errlen, "file: open %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	d = fdopendir(dup(dirfd));
	if (!d) {
		snprintf(err, errlen, "file: open %s: %s", dir,
			 strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l <= 10 || strcmp(de->d_name + l - 10, ".avro.part") != 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **p = realloc(names, nc * sizeof(*names));
			if (!p)
				goto oom;
			names = p;
			cap = nc;
		}
		if (!(names[n] = strdup(de->d_name)))
			goto oom;
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = recover_part(dirfd, dir, names[i], err, errlen);
	goto out;
oom:
	snprintf(err, errlen, "file: recover %s: out of memory", dir);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
	close(dirfd);
	return rc;
}

/* Recover every topic directory under path. */
static int
recover_all(struct file_sink *fs, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	d = fdopendir(dup(fs->rootfd));
	if (!d) {
		snprintf(err, errlen, "file: open %s: %s", fs->path,
			 strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		struct stat stbuf;

		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] ||
		     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (fstatat(fs->rootfd, de->d_name, &stbuf,
			    AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(stbuf.st_mode))
			continue;
		rc = recover_dir(fs, de->d_name, err, errlen);
	}
	closedir(d);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Streams                                                            */
/* ------------------------------------------------------------------ */

static unsigned
topic_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h % FILE_BUCKETS;
}

/*
 * Create the stream of topic: make its directory (and fsync path when it
 * is new), and find the highest seq already used in it.
 */
static struct file_stream *
stream_new(struct file_sink *fs, const char *topic)
{
	struct file_stream *st;
	struct dirent *de;
	DIR *d;
	int dirfd;

	if (mkdirat(fs->rootfd, topic, 0755) == 0) {
		if (fsync_dir(fs->rootfd) < 0) {
			file_fail(fs, "file: fsync %s: %s", fs->path,
				  strerror(errno));
			return NULL;
		}
	} else if (errno != EEXIST) {
		file_fail(fs, "file: mkdir %s/%s: %s", fs->path, topic,
			  strerror(errno));
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->topic = strdup(topic))) {
		free(st);
		file_fail(fs, "file: out of memory");
		return NULL;
	}
	st->fd = -1;
	rc_buf_init(&st->block, (size_t)fs->block_bytes + RC_MAX_ENCODED_BYTES);

	dirfd = openat(fs->rootfd, topic, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = dirfd < 0 ? NULL : fdopendir(dirfd);
	if (!d) {
		file_fail(fs, "file: open %s/%s: %s", fs->path, topic,
			  strerror(errno));
		if (dirfd >= 0)
			close(dirfd);
		free(st->topic);
		free(st);
		return NULL;
	}
	while ((de = readdir(d))) {
		uint32_t seq = name_seq(topic, de->d_name);
		if (seq > st->seq)
			st->seq = seq;
	}
	closedir(d);
	return st;
}

/* The stream of a table, created on first use. NULL with lasterr set. */
static struct file_stream *
stream_get(struct file_sink *fs, struct rc_table *tbl)
{
	struct file_stream *st;
	char topic[FILE_TOPIC_MAX + 1];
	unsigned h;

	if (fs->last && fs->last_tbl == tbl) /* the common case: no topic */
		return fs->last;
	if (topic_of(tbl, topic) < 0) {
		file_fail(fs,
			  "file: table %s.%s: topic longer than %d bytes; "
			  "configure a shorter topic",
			  tbl->schema, tbl->name, FILE_TOPIC_MAX);
		return NULL;
	}
	h = topic_hash(topic);
	for (st = fs->buckets[h]; st; st = st->next)
		if (strcmp(st->topic, topic) == 0)
			break;
	if (!st) {
		st = stream_new(fs, topic);
		if (!st)
			return NULL;
		st->next = fs->buckets[h];
		fs->buckets[h] = st;
	}
	fs->last = st;
	rc_table_unref(fs->last_tbl);
	fs->last_tbl = rc_table_ref(tbl);
	return st;
}

/*
 * Start a new file for st with schema sch: create "<name>.avro.part"
 * (O_EXCL), write the header, fdatasync it and fsync the directory, so
 * that the file exists, whole, before any block in it is reported.
 */
static int
stream_open_file(struct file_sink *fs, struct file_stream *st,
		 struct rc_table *tbl, const struct rc_schemas *sch)
{
	struct rc_buf hdr;
	struct iovec iov;
	struct timespec ts;
	struct tm tm;
	size_t plen = strlen(st->topic) + 64;
	char *part = malloc(plen), *schema = strdup(sch->value_json);
	int dirfd = -1, fd = -1, created = 0;
	const char *what = "open";

	rc_buf_init(&hdr, RC_MAX_ENCODED_BYTES);
	if (!part || !schema) {
		free(part);
		free(schema);
		file_fail(fs, "file: out of memory");
		return -1;
	}
	part[0] = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	dirfd = openat(fs->rootfd, st->topic,
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		goto io_error;
	/* seq is unique unless someone else writes here: skip taken names */
	for (int tries = 0; fd < 0 && tries < 1000; tries++) {
		snprintf(
			part, plen,
			"%s-%04d%02d%02dT%02d%02d%02dZ-%06" PRIu32 ".avro.part",
			st->topic, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec, ++st->seq);
		fd = openat(dirfd, part,
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			goto io_error;
	}
	if (fd < 0)
		goto io_error;
	created = 1;
	if (random_sync(st->sync) < 0) {
		what = "random sync marker for";
		goto io_error;
	}
	if (rc_ocf_write_header(&hdr, sch->value_json, sch->value_fp,
				st->sync) < 0) {
		errno = ENOMEM;
		goto io_error;
	}
	iov.iov_base = hdr.data;
	iov.iov_len = hdr.len;
	what = "write";
	if (write_all(fd, &iov, 1) < 0)
		goto io_error;
	what = "fdatasync";
	if (fdatasync(fd) < 0)
		goto io_error;
	what = "fsync directory of";
	if (fsync_dir(dirfd) < 0)
		goto io_error;
	close(dirfd);
	st->fd = fd;
	st->part = part;
	st->schema = schema;
	st->tbl = rc_table_ref(tbl);
	st->file_bytes = hdr.len;
	st->blocks = 0;
	st->opened_ms = rc_mono_ms();
	rc_buf_free(&hdr);
	rc_debug("file", "opened %s/%s/%s", fs->path, st->topic, part);
	return 0;

io_error:
	file_fail(fs, "file: %s %s/%s/%s: %s", what, fs->path, st->topic, part,
		  strerror(errno));
	if (fd >= 0)
		close(fd);
	if (created)
		unlinkat(dirfd, part, 0); /* holds nothing reported */
	if (dirfd >= 0)
		close(dirfd);
	free(part);
	free(schema);
	rc_buf_free(&hdr);
	return -1;
}

/*
 * Does the open file of st take events of tbl, whose schemas are sch? The
 * same table shape does; another one (a new version after DDL, or a table
 * sharing the topic) does when its value schema text is the same.
 */
static int
stream_same_schema(struct file_stream *st, struct rc_table *tbl,
		   const struct rc_schemas *sch)
{
	if (tbl == st->tbl)
		return 1;
	if (strcmp(st->schema, sch->value_json) != 0)
		return 0;
	rc_table_unref(st->tbl);
	st->tbl = rc_table_ref(tbl);
	return 1;
}

/* Note one more event of txn_seq in the pending block's runs. */
static int
stream_add_run(struct file_stream *st, uint64_t txn_seq)
{
	struct file_run *r;

	if (st->nruns) {
		r = &st->runs[st->nruns - 1];
		if (r->txn_seq == txn_seq && r->n < UINT32_MAX) {
			r->n++;
			return 0;
		}
	}
	if (st->nruns == st->caprun) {
		size_t nc = st->caprun ? st->caprun * 2 : 16;
		r = realloc(st->runs, nc * sizeof(*r));
		if (!r)
			return -1;
		st->runs = r;
		st->caprun = nc;
	}
	st->runs[st->nruns].txn_seq = txn_seq;
	st->runs[st->nruns].n = 1;
	st->nruns++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The syncer                                                         */
/* ------------------------------------------------------------------ */

/*
 * The syncer thread: fdatasync each job of fs->todo in turn and move it to
 * fs->done with the result, until file_close() sets fs->stop and the queue
 * is empty. It reports nothing itself (rc_sink_durable() belongs to the
 * pipeline thread) and touches only the jobs it was given.
 *
 * @locality syncer thread. @locks fs->mu, released around fdatasync.
 */
static void *
syncer_main(void *arg)
{
	struct file_sink *fs = arg;
	struct file_sync_job *job;

	pthread_setname_np(pthread_self(), "rc-file-sync");
	pthread_mutex_lock(&fs->mu);
	for (;;) {
		while (!fs->todo && !fs->stop)
			pthread_cond_wait(&fs->todo_cv, &fs->mu);
		if (!fs->todo)
			break;
		job = fs->todo;
		if (!(fs->todo = job->next))
			fs->todo_tail = &fs->todo;
		pthread_mutex_unlock(&fs->mu);

		job->err = fdatasync(job->fd) < 0 ? errno : 0;

		pthread_mutex_lock(&fs->mu);
		job->next = NULL;
		*fs->done_tail = job;
		fs->done_tail = &job->next;
		pthread_cond_broadcast(&fs->done_cv);
	}
	pthread_mutex_unlock(&fs->mu);
	return NULL;
}

/*
 * Take the finished syncs off fs->done and give their jobs back to their
 * streams: a sync that returned 0 has its runs reported durable, in the
 * order they were written; a failed one breaks its stream and fails the
 * sink (file_fail), and none of its runs is reported, nor any of a stream
 * broken meanwhile. Reports nothing while closing.
 *
 * @locality pipeline thread. @locks fs->mu (not held while reporting).
 */
static void
sync_drain(struct file_sink *fs)
{
	struct file_sync_job *job, *next;

	pthread_mutex_lock(&fs->mu);
	job = fs->done;
	fs->done = NULL;
	fs->done_tail = &fs->done;
	pthread_mutex_unlock(&fs->mu);
	for (; job; job = next) {
		struct file_stream *st = job->st;

		next = job->next;
		st->syncing = 0;
		if (job->err) {
			st->broken = 1;
			file_fail(fs, "file: fdatasync %s/%s/%s: %s", fs->path,
				  st->topic, st->part, strerror(job->err));
		} else if (!st->broken && !fs->closing) {
			for (size_t i = 0; i < job->nruns; i++)
				rc_sink_durable(&fs->base, job->runs[i].txn_seq,
						job->runs[i].n);
		}
		job->nruns = 0;
	}
}

/*
 * Wait until st has no sync in flight, reporting (sync_drain) every sync
 * that finishes meanwhile, of any stream. Afterwards st's fd is the
 * pipeline thread's alone and may be closed.
 *
 * @locality pipeline thread. @locks fs->mu.
 */
static void
sync_wait(struct file_sink *fs, struct file_stream *st)
{
	while (st->syncing) {
		pthread_mutex_lock(&fs->mu);
		while (!fs->done)
			pthread_cond_wait(&fs->done_cv, &fs->mu);
		pthread_mutex_unlock(&fs->mu);
		sync_drain(fs);
	}
}

/*
 * Hand the fdatasync of st's written blocks to the syncer and return at
 * once: the runs noted so far move to st->job (st keeps the job's empty
 * array for the next ones), and sync_drain() reports them once the sync has
 * returned. Waits first for st's sync in flight, if any. Called only right
 * after a block was written, so no run belongs to a pending block.
 *
 * @locality pipeline thread. @locks fs->mu.
 */
static int
stream_sync_start(struct file_sink *fs, struct file_stream *st)
{
	struct file_sync_job *job = &st->job;
	struct file_run *runs;
	size_t cap;

	sync_wait(fs, st);
	if (st->broken)
		return -1;
	if (!st->unsynced)
		return 0;
	runs = job->runs;
	cap = job->caprun;
	job->runs = st->runs;
	job->nruns = st->nruns;
	job->caprun = st->caprun;
	st->runs = runs;
	st->caprun = cap;
	st->nruns = 0;
	st->unsynced = 0;
	job->st = st;
	job->fd = st->fd;
	job->err = 0;
	job->next = NULL;
	st->syncing = 1;
	pthread_mutex_lock(&fs->mu);
	*fs->todo_tail = job;
	fs->todo_tail = &job->next;
	pthread_cond_signal(&fs->todo_cv);
	pthread_mutex_unlock(&fs->mu);
	return 0;
}

/*
 * Sync st here, on the pipeline thread: wait for its sync in flight, then
 * fdatasync what was written after it and only then report those events
 * durable. A failure breaks the stream.
 */
static int
stream_sync(struct file_sink *fs, struct file_stream *st)
{
	sync_wait(fs, st);
	if (st->broken)
		return -1;
	if (!st->unsynced)
		return 0;
	if (fdatasync(st->fd) < 0) {
		st->broken = 1;
		file_fail(fs, "file: fdatasync %s/%s/%s: %s", fs->path,
			  st->topic, st->part, strerror(errno));
		return -1;
	}
	if (!fs->closing)
		for (size_t i = 0; i < st->nruns; i++)
			rc_sink_durable(&fs->base, st->runs[i].txn_seq,
					st->runs[i].n);
	st->nruns = 0;
	st->unsynced = 0;
	return 0;
}

/*
 * Write the pending block (prefix, objects, sync marker) with one
 * writev(2); sync now when asked, or hand the sync to the syncer when
 * FILE_SYNC_BYTES wait. Events are reported durable by stream_sync() and
 * sync_drain() only. The pending block's events are the last runs, so runs
 * can stay one list across blocks.
 */
static int
stream_write_block(struct file_sink *fs, struct file_stream *st, int sync)
{
	uint8_t prefix[RC_OCF_PREFIX_MAX];
	struct iovec iov[3];
	size_t total;

	if (st->broken)
		return -1;
	if (st->count > 0) {
		iov[0].iov_base = prefix;
		iov[0].iov_len = rc_ocf_block_prefix(prefix, st->count,
						     (int64_t)st->block.len);
		iov[1].iov_base = st->block.data;
		iov[1].iov_len = st->block.len;
		iov[2].iov_base = st->sync;
		iov[2].iov_len = RC_OCF_SYNC_LEN;
		total = iov[0].iov_len + iov[1].iov_len + iov[2].iov_len;
		if (write_all(st->fd, iov, 3) < 0) {
			st->broken = 1;
			file_fail(fs, "file: write %s/%s/%s: %s", fs->path,
				  st->topic, st->part, strerror(errno));
			return -1;
		}
		st->file_bytes += total;
		st->blocks++;
		if (!st->unsynced)
			st->unsynced_since = st->since_ms;
		st->unsynced += total;
		rc_buf_reset(&st->block);
		st->count = 0;
	}
	if (sync)
		return stream_sync(fs, st);
	if (st->unsynced >= FILE_SYNC_BYTES)
		return stream_sync_start(fs, st);
	return 0;
}

/* Release the memory a stream holds only while a file is open. No sync
 * of st may be in flight (sync_wait). */
static void
stream_release(struct file_stream *st)
{
	rc_buf_free(&st->block);
	free(st->runs);
	st->runs = NULL;
	st->nruns = st->caprun = 0;
	free(st->job.runs);
	st->job.runs = NULL;
	st->job.nruns = st->job.caprun = 0;
	st->count = 0;
	st->unsynced = 0;
	free(st->part);
	st->part = NULL;
	free(st->schema);
	st->schema = NULL;
	rc_table_unref(st->tbl);
	st->tbl = NULL;
	st->fd = -1;
}

/*
 * Close st's file: wait for its sync in flight (the syncer may still use
 * the fd), write its pending block, fsync, rename "<name>.part" to
 * "<name>" and fsync the directory. A broken file is closed as it is and
 * left as .part for recovery; returns -1 then.
 */
static int
stream_close_file(struct file_sink *fs, struct file_stream *st)
{
	char final[FILE_NAME_BUF];
	const char *what = "fsync";
	int dirfd = -1, rc;

	if (st->fd < 0)
		return 0;
	sync_wait(fs, st);
	if (stream_write_block(fs, st, 1) < 0) {
		rc_warn("file", "left %s/%s/%s for recovery at the next start",
			fs->path, st->topic, st->part);
		close(st->fd);
		stream_release(st);
		return -1;
	}
	snprintf(final, sizeof(final), "%.*s", (int)(strlen(st->part) - 5),
		 st->part);
	if (fsync(st->fd) < 0)
		goto fail;
	rc = close(st->fd);
	st->fd = -1;
	what = "close";
	if (rc < 0)
		goto fail;
	what = "open directory of";
	dirfd = openat(fs->rootfd, st->topic,
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		goto fail;
	if (st->blocks == 0) {
		/* header only (an event failed to encode): nothing to keep */
		what = "unlink";
		if (unlinkat(dirfd, st->part, 0) < 0)
			goto fail;
	} else {
		what = "rename";
		if (renameat(dirfd, st->part, dirfd, final) < 0)
			goto fail;
	}
	what = "fsync directory of";
	if (fsync_dir(dirfd) < 0)
		goto fail;
	close(dirfd);
	rc_debug("file",
		 "closed %s/%s/%s: %" PRIu64 " bytes in %" PRIu64 " blocks",
		 fs->path, st->topic, final, st->file_bytes, st->blocks);
	stream_release(st);
	return 0;

fail:
	file_fail(fs, "file: %s %s/%s/%s: %s", what, fs->path, st->topic,
		  st->part, strerror(errno));
	if (st->fd >= 0)
		close(st->fd);
	if (dirfd >= 0)
		close(dirfd);
	stream_release(st);
	return -1;
}

static int
stream_rotate_due(const struct file_sink *fs, const struct file_stream *st,
		  int64_t now)
{
	return st->fd >= 0 && (st->file_bytes >= fs->rotate_bytes ||
			       now - st->opened_ms >= fs->rotate_ms);
}

/* ------------------------------------------------------------------ */
/* The sink                                                           */
/* ------------------------------------------------------------------ */

static void file_close(struct rc_sink *snk);

/* ------------------------------------------------------------------ */
/* The path lock                                                      */
/* ------------------------------------------------------------------ */

/*
 * <path>/.rowcast.lock is flock(2)ed by the first file sink of a process
 * that opens the directory, and that sink recovers the .part files left by
 * a crash. rowcast gives each source its own instance of a [sink], all
 * opened before any event flows, so later instances on the same directory
 * share the lock (counted here) and must not recover: the files there are
 * already whole. Another process holding the lock is an error.
 */
struct path_lock {
	dev_t dev;
	ino_t ino;
	int fd;
	int refs;
	struct path_lock *next;
};

static pthread_mutex_t path_locks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct path_lock *path_locks;

/* 1: lock taken, recover; 0: already held by this process; -1: error. */
static int
path_lock_take(struct file_sink *fs, char *err, size_t errlen)
{
	struct path_lock *pl;
	struct stat st;
	int rc = -1;

	if (fstat(fs->rootfd, &st) < 0) {
		snprintf(err, errlen, "file: stat %s: %s", fs->path,
			 strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&path_locks_mu);
	for (pl = path_locks; pl; pl = pl->next)
		if (pl->dev == st.st_dev && pl->ino == st.st_ino) {
			pl->refs++;
			fs->lock = pl;
			rc = 0;
			goto out;
		}
	pl = calloc(1, sizeof(*pl));
	if (!pl) {
		snprintf(err, errlen, "file: out of memory");
		goto out;
	}
	pl->fd = openat(fs->rootfd, FILE_LOCK_NAME,
			O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pl->fd < 0) {
		snprintf(err, errlen, "file: open %s/%s: %s", fs->path,
			 FILE_LOCK_NAME, strerror(errno));
		free(pl);
		goto out;
	}
	if (flock(pl->fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen,
			 "file: %s is in use by another rowcast process "
			 "(%s/%s is locked); give each its own path",
			 fs->path, fs->path, FILE_LOCK_NAME);
		close(pl->fd);
		free(pl);
		goto out;
	}
	pl->dev = st.st_dev;
	pl->ino = st.st_ino;
	pl->refs = 1;
	pl->next = path_locks;
	path_locks = pl;
	fs->lock = pl;
	rc = 1;
out:
	pthread_mutex_unlock(&path_locks_mu);
	return rc;
}

static void
path_lock_release(struct file_sink *fs)
{
	struct path_lock **pp;

	if (!fs->lock)
		return;
	pthread_mutex_lock(&path_locks_mu);
	if (--fs->lock->refs == 0) {
		for (pp = &path_locks; *pp; pp = &(*pp)->next)
			if (*pp == fs->lock) {
				*pp = fs->lock->next;
				break;
			}
		close(fs->lock->fd); /* releases the flock */
		free(fs->lock);
	}
	pthread_mutex_unlock(&path_locks_mu);
	fs->lock = NULL;
}

static struct rc_sink *
file_open(const struct rc_config *cfg, const struct rc_conf_section *sec,
	  char *err, size_t errlen)
{
	struct file_sink *fs;
	const char *path = rc_conf_str(sec, "path");

	(void)cfg;
	if (!path || !path[0]) {
		snprintf(err, errlen, "file: [sink %s]: path is empty",
			 sec->name);
		return NULL;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs || !(fs->path = strdup(path))) {
		free(fs);
		snprintf(err, errlen, "file: out of memory");
		return NULL;
	}
	fs->base.ops = &rc_file_sink_ops;
	fs->base.name = sec->name;
	fs->rootfd = -1;
	pthread_mutex_init(&fs->mu, NULL);
	pthread_cond_init(&fs->todo_cv, NULL);
	pthread_cond_init(&fs->done_cv, NULL);
	fs->todo_tail = &fs->todo;
	fs->done_tail = &fs->done;
	fs->rotate_bytes = rc_conf_size(sec, "rotate_bytes");
	fs->block_bytes = rc_conf_size(sec, "block_bytes");
	fs->rotate_ms = rc_conf_ms(sec, "rotate_interval");
	fs->flush_ms = rc_conf_ms(sec, "flush_interval");

	if (mkdir_p(path) < 0) {
		snprintf(err, errlen, "file: mkdir %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	fs->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->rootfd < 0) {
		snprintf(err, errlen, "file: open %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	/* two processes in one directory would recover each other's files;
	 * the sinks of one process share the lock (see path_lock_take) */
	switch (path_lock_take(fs, err, errlen)) {
	case 1:
		if (recover_all(fs, err, errlen) < 0)
			goto fail;
		break;
	case 0:
		break;
	default:
		goto fail;
	}
	if (pthread_create(&fs->syncer, NULL, syncer_main, fs) != 0) {
		snprintf(err, errlen, "file: cannot start the syncer thread");
		goto fail;
	}
	fs->syncer_started = 1;
	return &fs->base;

fail:
	file_close(&fs->base);
	return NULL;
}

static int
file_write(struct rc_sink *snk, const struct rc_event *ev,
	   struct rc_encoder *enc)
{
	struct file_sink *fs = (struct file_sink *)snk;
	const struct rc_schemas *sch;
	struct file_stream *st;
	char err[RC_ERRLEN];
	size_t mark;
	int64_t now;

	st = stream_get(fs, ev->tbl);
	if (!st)
		return -1;
	if (st->broken)
		return -1;
	sch = rc_encoder_schemas(enc, ev->tbl, err, sizeof(err));
	if (!sch) {
		file_fail(fs, "file: %s: %s", st->topic, err);
		return -1;
	}
	/* a container file has one schema */
	if (st->fd >= 0 && !stream_same_schema(st, ev->tbl, sch) &&
	    stream_close_file(fs, st) < 0)
		return -1;
	if (st->fd < 0 && stream_open_file(fs, st, ev->tbl, sch) < 0)
		return -1;

	mark = st->block.len;
	err[0] = 0;
	if (rc_encode_value(enc, ev, &st->block, err, sizeof(err)) < 0 ||
	    stream_add_run(st, ev->txn_seq) < 0) {
		st->block.len = mark;
		if (st->block.data)
			st->block.data[mark] = 0;
		file_fail(fs, "file: %s: %s", st->topic,
			  err[0] ? err : "out of memory");
		return -1;
	}
	if (st->count++ == 0)
		st->since_ms = rc_mono_ms();
	if (st->block.len >= fs->block_bytes) {
		now = rc_mono_ms();
		if (stream_write_block(fs, st, 0) < 0)
			return -1;
		if (stream_rotate_due(fs, st, now))
			return stream_close_file(fs, st);
	}
	return 0;
}

/* Call fn on every stream; -1 when any call failed (all are still made). */
static int
file_each(struct file_sink *fs,
	  int (*fn)(struct file_sink *, struct file_stream *, int64_t))
{
	int64_t now = rc_mono_ms();
	int rc = 0;

	for (int h = 0; h < FILE_BUCKETS; h++)
		for (struct file_stream *st = fs->buckets[h]; st; st = st->next)
			if (fn(fs, st, now) < 0)
				rc = -1;
	return rc;
}

/* poll: write a block whose oldest event has waited flush_interval, and
 * close a file that is due for rotation. */
static int
poll_stream(struct file_sink *fs, struct file_stream *st, int64_t now)
{
	if (st->broken)
		return -1;
	if ((st->count && now - st->since_ms >= fs->flush_ms) ||
	    (st->unsynced && now - st->unsynced_since >= fs->flush_ms))
		if (stream_write_block(fs, st, 1) < 0)
			return -1;
	if (stream_rotate_due(fs, st, now))
		return stream_close_file(fs, st);
	return 0;
}

static int
flush_stream(struct file_sink *fs, struct file_stream *st, int64_t now)
{
	if (st->fd < 0)
		return 0;
	if (stream_write_block(fs, st, 1) < 0)
		return -1;
	if (stream_rotate_due(fs, st, now))
		return stream_close_file(fs, st);
	return 0;
}

/* poll: report the syncs the syncer finished, then look at each stream. */
static int
file_poll(struct rc_sink *snk)
{
	struct file_sink *fs = (struct file_sink *)snk;

	sync_drain(fs);
	return file_each(fs, poll_stream);
}

static int
file_flush(struct rc_sink *snk)
{
	return file_each((struct file_sink *)snk, flush_stream);
}

/*
 * Write what is pending and close (rename) every file (each close waits
 * for its file's sync in flight), stop and join the syncer, then free the
 * sink. Nothing is reported from here: the pipeline reports through
 * flush() before it closes, and an event written only now is replayed
 * after a restart rather than acknowledged during teardown.
 */
static void
file_close(struct rc_sink *snk)
{
	struct file_sink *fs = (struct file_sink *)snk;
	int logged;

	if (!fs)
		return;
	fs->closing = 1;
	/* an error set before was handled (logged) by the pipeline */
	logged = fs->base.lasterr[0] != 0;
	for (int h = 0; h < FILE_BUCKETS; h++) {
		struct file_stream *st = fs->buckets[h], *next;
		for (; st; st = next) {
			next = st->next;
			if (stream_close_file(fs, st) < 0 && !logged++)
				rc_error("file", "%s", fs->base.lasterr);
			stream_release(st);
			free(st->topic);
			free(st);
		}
	}
	if (fs->syncer_started) {
		pthread_mutex_lock(&fs->mu);
		fs->stop = 1;
		pthread_cond_signal(&fs->todo_cv);
		pthread_mutex_unlock(&fs->mu);
		pthread_join(fs->syncer, NULL);
	}
	pthread_cond_destroy(&fs->done_cv);
	pthread_cond_destroy(&fs->todo_cv);
	pthread_mutex_destroy(&fs->mu);
	path_lock_release(fs);
	if (fs->rootfd >= 0)
		close(fs->rootfd);
	rc_table_unref(fs->last_tbl);
	free(fs->path);
	free(fs);
}

/*
 * rowcast check: path exists and takes a file (a probe file, created and
 * removed), or it can be created. Nothing else is touched: open() would
 * recover the files of a stopped run and take the directory's lock.
 */
static void
file_check(const struct rc_config *cfg, const struct rc_conf_section *sec,
	   const char *const *topics, struct rc_check *chk)
{
	const char *path = rc_conf_str(sec, "path");
	char why[RC_ERRLEN], fix[RC_ERRLEN];
	int ntopics = 0;

	while (topics && topics[ntopics])
		ntopics++;
	switch (rc_check_dir_writable(path, why, sizeof(why))) {
	case 1:
		rc_check_ok(chk, "%s is writable (%d topic director%s)", path,
			    ntopics, ntopics == 1 ? "y" : "ies");
		break;
	case 2:
		rc_check_ok(chk, "%s", why);
		break;
	default:
		snprintf(fix, sizeof(fix),
			 "create %s and let the user rowcast runs as write in "
			 "it, or set path in [sink %s] (%s:%d)",
			 path, sec->name, cfg->path, rc_conf_line(sec, "path"));
		rc_check_add(chk, RC_CHECK_FAIL, fix, "%s", why);
	}
}

static const struct rc_conf_key file_keys[] = {
	{"path", RC_CONF_STRING, NULL, RC_CONF_REQUIRED,
	 "directory that receives one subdirectory of .avro files per table",
	 NULL, 0, 0},
	{"rotate_bytes", RC_CONF_SIZE, "64M", 0,
	 "close a file and start the next one past this size", NULL, 4096, 0},
	{"rotate_interval", RC_CONF_DURATION, "1h", 0,
	 "close a file and start the next one when it is this old", NULL, 1000,
	 0},
	{"block_bytes", RC_CONF_SIZE, "1M", 0,
	 "write a block once it holds this many bytes (fdatasync in the "
	 "background once 8 MiB of blocks wait, or after flush_interval)",
	 NULL, 1024, 0},
	{"flush_interval", RC_CONF_DURATION, "200ms", 0,
	 "longest time an event waits before it is written and fdatasynced",
	 NULL, 1, 0},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

const struct rc_sink_ops rc_file_sink_ops = {
	.name = "file",
	.description = "Avro object container files per table, rotated by size "
		       "and age",
	.conf_keys = file_keys,
	.open = file_open,
	.write = file_write,
	.poll = file_poll,
	.flush = file_flush,
	.close = file_close,
	.check = file_check,
};
