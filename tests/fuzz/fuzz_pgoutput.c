/*
 * fuzz_pgoutput.c -- libFuzzer target for what comes off the replication
 * connection: CopyData frames, pgoutput messages, and the text and binary
 * values of every type converter. Any input must give a clean error or a
 * value, never a crash, an overread or undefined behaviour.
 *
 *   make fuzz          (clang, -fsanitize=fuzzer,address,undefined)
 *   tests/fuzz/fuzz_pgoutput -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "pg_proto.h"
#include "pg_types.h"

static struct pg_parser parser;
static struct rc_table *tbl;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct pg_copy cp;
	struct pg_msg m;
	struct rc_event *ev;
	int64_t row;

	if (!tbl) {
		pg_parser_init(&parser);
		tbl = rc_table_new("s", "d", "public", "t", 1);
		rc_table_set_column(tbl, 0, "c", RC_T_STRING, "text");
		rc_table_finish(tbl);
	}
	pg_parse_copy(data, size, &cp, err, sizeof(err));
	pg_parse(&parser, data, size, &m, err, sizeof(err));
	if (size < 1)
		return 0;

	/* the first byte picks a built-in type; the rest is its value */
	{
		const struct pg_builtin_type *bt =
			&pg_builtin_types[data[0] % pg_builtin_types_count];
		struct pg_mapped map;
		char *copy = malloc(size - 1 ? size - 1 : 1);

		memcpy(copy, data + 1, size - 1);
		pg_map_type(bt->oid, (data[0] & 1) ? -1 : ((12 << 16) | 2) + 4,
			    NULL, NULL, &map);
		ev = rc_event_new('c', tbl);
		if (rc_event_alloc_row(ev, &row) == 0) {
			tbl->cols[0].type = map.type;
			tbl->cols[0].elem_type = map.elem_type;
			pg_convert_text(ev, row, 0, &map, copy, size - 1, err,
					sizeof(err));
			if (pg_binary_ok(&map))
				pg_convert_binary(ev, row, 0, &map, copy,
						  size - 1, err, sizeof(err));
		}
		rc_event_free(ev);
		free(copy);
	}
	return 0;
}
