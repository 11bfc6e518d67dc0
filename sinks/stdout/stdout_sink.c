/*
 * stdout_sink.c -- one JSON object per line on standard output.
 *
 * Each event becomes rc_encode_json() plus '\n', appended to a buffer that
 * is written to fd 1 with write(2) once it holds more than
 * STDOUT_BATCH_BYTES, on every poll and on flush. An event is durable as
 * soon as its line has been written (there is nothing further to wait
 * for): the events of a batch are reported right after its last byte went
 * out, per run of one transaction.
 *
 * Errors: a closed stdout (EPIPE; main ignores SIGPIPE) or any other write
 * error fails the sink for good: every later call returns -1 with the first
 * error in lasterr, and the lines not written are never reported.
 *
 * @locality pipeline thread only.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "encoder.h"
#include "limits.h"
#include "sink.h"

/* Write the batch once it holds more than this. */
#define STDOUT_BATCH_BYTES (64u * 1024u)

extern const struct rc_sink_ops rc_stdout_sink_ops;

/* One run of consecutive events of one transaction in the batch. */
struct stdout_run {
	uint64_t txn_seq;
	uint32_t n;
};

struct stdout_sink {
	struct rc_sink base; /* first member */
	int fd;
	int failed;
	int closing;	   /* in close(): report nothing */
	struct rc_buf out; /* lines not yet written; at most one batch
			    * plus one event */
	struct stdout_run *runs;
	size_t nruns, caprun;
};

static struct rc_sink *
stdout_open(const struct rc_config *cfg, const struct rc_conf_section *sec,
	    char *err, size_t errlen)
{
	struct stdout_sink *ss = calloc(1, sizeof(*ss));

	(void)cfg;
	if (!ss) {
		snprintf(err, errlen, "stdout: out of memory");
		return NULL;
	}
	ss->base.ops = &rc_stdout_sink_ops;
	ss->base.name = sec->name;
	ss->fd = STDOUT_FILENO;
	rc_buf_init(&ss->out, STDOUT_BATCH_BYTES + RC_MAX_ENCODED_BYTES);
	return &ss->base;
}

/*
 * Write the whole batch, retrying short writes and EINTR, and waiting with
 * poll(2) when stdout is a non-blocking pipe that is full. Then report its
 * events durable. Returns 0, or -1 with the sink failed.
 */
static int
stdout_drain(struct stdout_sink *ss)
{
	size_t done = 0;

	if (ss->failed)
		return -1;
	while (done < ss->out.len) {
		ssize_t w =
			write(ss->fd, ss->out.data + done, ss->out.len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = ss->fd, .events = POLLOUT};
			poll(&pfd, 1, 100);
			continue;
		}
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			ss->failed = 1;
			snprintf(ss->base.lasterr, sizeof(ss->base.lasterr),
				 "stdout: write: %s", strerror(errno));
			return -1;
		}
		done += (size_t)w;
	}
	if (!ss->closing)
		for (size_t i = 0; i < ss->nruns; i++)
			rc_sink_durable(&ss->base, ss->runs[i].txn_seq,
					ss->runs[i].n);
	rc_buf_reset(&ss->out);
	ss->nruns = 0;
	return 0;
}

/* Note one more event of txn_seq in the batch's runs. */
static int
stdout_add_run(struct stdout_sink *ss, uint64_t txn_seq)
{
	struct stdout_run *r;

	if (ss->nruns) {
		r = &ss->runs[ss->nruns - 1];
		if (r->txn_seq == txn_seq && r->n < UINT32_MAX) {
			r->n++;
			return 0;
		}
	}
	if (ss->nruns == ss->caprun) {
		size_t nc = ss->caprun ? ss->caprun * 2 : 64;
		r = realloc(ss->runs, nc * sizeof(*r));
		if (!r)
			return -1;
		ss->runs = r;
		ss->caprun = nc;
	}
	ss->runs[ss->nruns].txn_seq = txn_seq;
	ss->runs[ss->nruns].n = 1;
	ss->nruns++;
	return 0;
}

static int
stdout_write(struct rc_sink *snk, const struct rc_event *ev,
	     struct rc_encoder *enc)
{
	struct stdout_sink *ss = (struct stdout_sink *)snk;
	size_t mark = ss->out.len;

	(void)enc;
	if (ss->failed)
		return -1;
	if (rc_encode_json(ev, &ss->out) < 0 ||
	    rc_buf_putc(&ss->out, '\n') < 0 ||
	    stdout_add_run(ss, ev->txn_seq) < 0) {
		ss->out.len = mark;
		if (ss->out.data)
			ss->out.data[mark] = 0;
		snprintf(snk->lasterr, sizeof(snk->lasterr),
			 "stdout: %s.%s: cannot encode the event as JSON "
			 "(out of memory or larger than %u bytes)",
			 ev->tbl->schema, ev->tbl->name, RC_MAX_ENCODED_BYTES);
		return -1;
	}
	if (ss->out.len > STDOUT_BATCH_BYTES)
		return stdout_drain(ss);
	return 0;
}

static int
stdout_poll(struct rc_sink *snk)
{
	struct stdout_sink *ss = (struct stdout_sink *)snk;

	if (ss->failed)
		return -1;
	return ss->out.len ? stdout_drain(ss) : 0;
}

static int
stdout_flush(struct rc_sink *snk)
{
	return stdout_poll(snk);
}

/*
 * Write what is left and free the sink. Nothing is reported from here:
 * the pipeline reports through flush() before it closes.
 */
static void
stdout_close(struct rc_sink *snk)
{
	struct stdout_sink *ss = (struct stdout_sink *)snk;

	if (!ss)
		return;
	ss->closing = 1;
	if (ss->out.len)
		stdout_drain(ss);
	rc_buf_free(&ss->out);
	free(ss->runs);
	free(ss);
}

/* rowcast check: standard output takes anything. */
static void
stdout_check(const struct rc_config *cfg, const struct rc_conf_section *sec,
	     const char *const *topics, struct rc_check *chk)
{
	(void)cfg;
	(void)sec;
	(void)topics;
	rc_check_ok(chk, "writes JSON lines to standard output");
}

static const struct rc_conf_key stdout_keys[] = {
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

const struct rc_sink_ops rc_stdout_sink_ops = {
	.name = "stdout",
	.description = "one JSON object per line on standard output, for "
		       "people and pipes",
	.conf_keys = stdout_keys,
	.open = stdout_open,
	.write = stdout_write,
	.poll = stdout_poll,
	.flush = stdout_flush,
	.close = stdout_close,
	.check = stdout_check,
};
