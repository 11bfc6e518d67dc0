/*
 * fuzz_binlog.c -- libFuzzer target for the MySQL/MariaDB binlog decoder
 * (sources/mysql): whatever a server or a binlog file can send must give
 * a clean error or a value, never a crash, an overread or undefined
 * behaviour.
 *
 * An input that starts with the binlog magic (fe 'b' 'i' 'n') is a
 * binlog file: its events are walked as the source walks them (FDE,
 * table maps kept by id, rows into events, payloads into their inner
 * events). The harness rewrites each event's CRC32 when the FDE says
 * CRC32, so mutations reach the body parsers instead of the CRC check.
 * Any other input: the first byte picks binary JSON (with a diff applied)
 * or a single cell of a type and metadata taken from the next bytes.
 *
 *   make fuzz          (clang, -fsanitize=fuzzer,address,undefined)
 *   tests/fuzz/fuzz_binlog -max_total_time=60 tests/fuzz/corpus_binlog
 * The real binlog fixtures make a good seed corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "event.h"
#include "my_binlog.h"
#include "my_json.h"
#include "my_rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAPS 4

static void
rows_event(const struct my_fde *fde, const struct my_event *ev,
	   struct my_tablemap **maps)
{
	char err[512];
	struct my_rows rows;
	struct my_tablemap *tm = NULL;
	struct rc_table *tbl;

	if (my_rows_parse(fde, ev, &rows, err, sizeof(err)) < 0)
		return;
	for (int i = 0; i < MAPS; i++)
		if (maps[i] && maps[i]->table_id == rows.table_id)
			tm = maps[i];
	if (!tm)
		return;
	tbl = rc_table_new("s", "d", tm->db, tm->table, tm->ncols);
	if (tbl && my_table_describe(tm, NULL, tbl, err, sizeof(err)) == 0) {
		for (int n = 0; n < 10000; n++) {
			struct rc_event *rev = rc_event_new(rows.op, tbl);
			int r = rev ? my_rows_next(&rows, tm, NULL, rev, err,
						   sizeof(err))
				    : -1;

			rc_event_free(rev);
			if (r <= 0)
				break;
		}
	}
	rc_table_unref(tbl);
}

static void
one_event(struct my_fde *fde, const struct my_event *ev,
	  struct my_tablemap **maps, int depth)
{
	char err[512], name[256];
	uint64_t u;

	switch (ev->type) {
	case MY_FORMAT_DESCRIPTION: {
		struct my_fde f;

		if (my_fde_parse(ev, &f, err, sizeof(err)) == 0)
			*fde = f;
		break;
	}
	case MY_ROTATE:
		my_rotate_parse(ev, &u, name, sizeof(name), err, sizeof(err));
		break;
	case MY_QUERY: {
		struct my_query q;

		my_query_parse(fde, ev, &q, err, sizeof(err));
		break;
	}
	case MY_XID:
		my_xid_parse(ev, &u, err, sizeof(err));
		break;
	case MY_GTID:
	case MY_ANONYMOUS_GTID:
	case MY_GTID_TAGGED: {
		struct my_gtid g;

		my_gtid_parse(ev, &g, err, sizeof(err));
		break;
	}
	case MY_MARIA_GTID: {
		struct my_maria_gtid g;

		my_maria_gtid_parse(ev, &g, err, sizeof(err));
		break;
	}
	case MY_MARIA_GTID_LIST: {
		struct my_maria_gtid l[4];
		size_t n;

		my_maria_gtid_list_parse(ev, l, 4, &n, err, sizeof(err));
		break;
	}
	case MY_ROWS_QUERY:
	case MY_MARIA_ANNOTATE_ROWS: {
		const char *s;
		size_t n;

		my_rows_query_parse(ev, &s, &n, err, sizeof(err));
		break;
	}
	case MY_TABLE_MAP: {
		struct my_tablemap *tm = my_tablemap_parse(fde, ev, err,
							   sizeof(err));
		int slot = 0;

		if (!tm)
			break;
		for (int i = 0; i < MAPS; i++)
			if (maps[i] && maps[i]->table_id == tm->table_id)
				slot = i;
		if (maps[slot] && maps[slot]->table_id != tm->table_id)
			slot = (int)(tm->table_id % MAPS);
		my_tablemap_free(maps[slot]);
		maps[slot] = tm;
		break;
	}
	case MY_WRITE_ROWS_V1:
	case MY_UPDATE_ROWS_V1:
	case MY_DELETE_ROWS_V1:
	case MY_WRITE_ROWS_V2:
	case MY_UPDATE_ROWS_V2:
	case MY_DELETE_ROWS_V2:
	case MY_PARTIAL_UPDATE_ROWS:
		rows_event(fde, ev, maps);
		break;
	case MY_TRANSACTION_PAYLOAD: {
		struct my_payload pl;
		struct my_event in;

		if (depth > 0 || my_payload_open(ev, &pl, err, sizeof(err)) < 0)
			break;
		while (my_payload_next(&pl, fde, &in, err, sizeof(err)) > 0)
			one_event(fde, &in, maps, depth + 1);
		my_payload_close(&pl);
		break;
	}
	default:
		break;
	}
}

static void
fix_crc(uint8_t *e, size_t len, int is_fde)
{
	uint16_t flags = (uint16_t)(e[17] | e[18] << 8);
	uLong crc;

	if (is_fde)
		e[17] &= (uint8_t)~1u;
	crc = crc32(0L, e, (uInt)(len - 4));
	e[17] = (uint8_t)flags;
	e[len - 4] = (uint8_t)crc;
	e[len - 3] = (uint8_t)(crc >> 8);
	e[len - 2] = (uint8_t)(crc >> 16);
	e[len - 1] = (uint8_t)(crc >> 24);
}

static void
stream(const uint8_t *data, size_t size)
{
	struct my_fde fde;
	struct my_tablemap *maps[MAPS] = {0};
	size_t off = 4;
	char err[512];

	my_fde_init(&fde);
	while (size - off >= MY_HEADER_LEN) {
		uint32_t len = (uint32_t)data[off + 9] |
			       (uint32_t)data[off + 10] << 8 |
			       (uint32_t)data[off + 11] << 16 |
			       (uint32_t)data[off + 12] << 24;
		uint8_t *e;
		struct my_event ev;
		int is_fde = data[off + 4] == MY_FORMAT_DESCRIPTION;

		if (len < MY_HEADER_LEN || len > size - off)
			break;
		e = malloc(len); /* exact size: overreads show */
		memcpy(e, data + off, len);
		if (len >= MY_HEADER_LEN + 4 &&
		    ((is_fde && len >= 5 && e[len - 5] == MY_CHECKSUM_CRC32) ||
		     (!is_fde && fde.checksum_alg == MY_CHECKSUM_CRC32)))
			fix_crc(e, len, is_fde);
		if (my_event_parse(&fde, e, len, &ev, err, sizeof(err)) == 0)
			one_event(&fde, &ev, maps, 0);
		my_event_clear(&ev);
		free(e);
		off += len;
	}
	for (int i = 0; i < MAPS; i++)
		my_tablemap_free(maps[i]);
}

static const uint8_t cell_types[] = {1,	 2,   3,   4,	5,   7,	  8,   9,
				     10, 11,  12,  13,	14,  15,  16,  17,
				     18, 19,  245, 246, 247, 248, 252, 253,
				     254, 255};

static void
cell(const uint8_t *data, size_t size)
{
	struct my_tablemap tm;
	struct my_col col;
	struct rc_table *tbl;
	struct rc_event *ev;
	char err[512];
	static char *vals[3] = {"a", "b", "c"};
	size_t used;

	if (size < 5)
		return;
	memset(&col, 0, sizeof(col));
	col.name = "c";
	col.type = col.real_type = cell_types[data[1] % sizeof(cell_types)];
	col.meta = (uint16_t)(data[2] | data[3] << 8);
	if (col.type == 254 && (data[2] == 247 || data[2] == 248))
		col.real_type = data[2];
	col.is_unsigned = data[4] & 1;
	col.collation = (data[4] & 2) ? 63 : (data[4] & 4) ? 8 : 45;
	col.nvalues = (data[4] & 8) ? 3 : 0;
	col.values = col.nvalues ? vals : NULL;
	col.geometry_type = -1;
	col.visible = 1;
	memset(&tm, 0, sizeof(tm));
	tm.db = "d";
	tm.table = "t";
	tm.ncols = 1;
	tm.cols = &col;
	tbl = rc_table_new("s", "d", "d", "t", 1);
	if (tbl && my_table_describe(&tm, NULL, tbl, err, sizeof(err)) == 0) {
		uint8_t *copy = malloc(size - 5 ? size - 5 : 1);

		memcpy(copy, data + 5, size - 5);
		ev = rc_event_new('c', tbl);
		if (ev && rc_event_alloc_row(ev, &ev->after) == 0)
			my_cell_decode(ev, ev->after, 0, &col, copy, size - 5,
				       &used, err, sizeof(err));
		rc_event_free(ev);
		free(copy);
	}
	rc_table_unref(tbl);
}

static void
json(const uint8_t *data, size_t size)
{
	char err[512];
	size_t split, plen;
	uint8_t *doc;
	struct my_jdoc *jd;
	struct rc_buf b;

	if (size < 4)
		return;
	split = 4 + (size - 4) * data[1] / 256;
	plen = (size - split) * data[2] / 256;
	doc = malloc(split - 4 ? split - 4 : 1);
	memcpy(doc, data + 4, split - 4);
	rc_buf_init(&b, 1u << 24);
	jd = my_json_parse(doc, split - 4, err, sizeof(err));
	if (jd) {
		char *path = malloc(plen ? plen : 1);
		uint8_t *val = malloc(size - split - plen ? size - split - plen
							    : 1);

		memcpy(path, data + split, plen);
		memcpy(val, data + split + plen, size - split - plen);
		my_json_apply(jd, (enum my_json_op)(data[3] % 3), path, plen,
			      val, size - split - plen, err, sizeof(err));
		my_json_write(jd, &b);
		free(path);
		free(val);
		my_json_free(jd);
	}
	rc_buf_free(&b);
	free(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 4 && !memcmp(data, "\xfe" "bin", 4))
		stream(data, size);
	else if (size >= 1 && (data[0] & 1))
		json(data, size);
	else
		cell(data, size);
	return 0;
}
