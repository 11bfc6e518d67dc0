/*
 * sink.c -- what every sink calls back (see sink.h).
 *
 * Kept apart from pipeline.c so that a sink's unit test can link the sink
 * with its own rc_sink_durable() and without the pipeline.
 */
#include "pipeline.h"
#include "sink.h"

void
rc_sink_durable(struct rc_sink *snk, uint64_t txn_seq, uint32_t n)
{
	rc_pipeline_durable(snk->pl, snk, txn_seq, n);
}
