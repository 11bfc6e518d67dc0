/*
 * my_gtid.c -- GTID sets in MySQL's and MariaDB's forms (see my_gtid.h).
 *
 * A MySQL set is a sorted array of TSIDs (uuid, tag; the empty tag first),
 * each with a sorted array of disjoint, non-touching intervals [start, end)
 * -- end exclusive, as in MySQL's binary form. Adding an interval merges it
 * with every interval it overlaps or touches, so the set is always in its
 * normal form and formatting it needs no extra pass.
 *
 * A MariaDB set is a sorted array of (domain, server_id, seq): one position
 * per replication domain, the last transaction seen there.
 *
 * An empty set has no flavor of its own to speak of: it takes the flavor of
 * the first GTID added to it, and parsing "" gives an empty MySQL set.
 */
#include "my_gtid.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "reader.h"

/* MySQL 8.4: a tag is [a-z_][a-z0-9_]{0,31}, stored lower-case. */
#define GTID_TAG_MAX 32

struct gtid_ival {
	int64_t start; /* first gno */
	int64_t end;   /* one past the last gno */
};

struct gtid_tsid {
	uint8_t uuid[16];
	char tag[GTID_TAG_MAX + 1]; /* "" = untagged */
	struct gtid_ival *iv;
	size_t n, cap;
};

struct gtid_domain {
	uint32_t domain;
	uint32_t server_id;
	uint64_t seq;
};

struct my_gtid_set {
	enum my_gtid_flavor flavor;
	struct gtid_tsid *ts; /* MySQL: sorted by (uuid, tag) */
	size_t nts, capts;
	struct gtid_domain *dom; /* MariaDB: sorted by domain */
	size_t ndom, capdom;
	size_t nivals; /* intervals in all TSIDs, capped */
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* The set                                                            */
/* ------------------------------------------------------------------ */

struct my_gtid_set *
my_gtid_set_new(enum my_gtid_flavor flavor)
{
	struct my_gtid_set *set = calloc(1, sizeof(*set));

	if (set)
		set->flavor = flavor == MY_GTID_MARIADB ? MY_GTID_MARIADB
							: MY_GTID_MYSQL;
	return set;
}

void
my_gtid_set_free(struct my_gtid_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->nts; i++)
		free(set->ts[i].iv);
	free(set->ts);
	free(set->dom);
	free(set);
}

enum my_gtid_flavor
my_gtid_set_flavor(const struct my_gtid_set *set)
{
	return set->flavor;
}

int
my_gtid_set_empty(const struct my_gtid_set *set)
{
	return set->nts == 0 && set->ndom == 0;
}

/* An empty set takes the flavor of the first GTID added; a non-empty set
 * refuses the other flavor. */
static int
take_flavor(struct my_gtid_set *set, enum my_gtid_flavor flavor)
{
	if (set->flavor == flavor)
		return 0;
	if (!my_gtid_set_empty(set))
		return -1;
	set->flavor = flavor;
	return 0;
}

/* Grow an array of `size`-byte elements to hold one more. */
static int
grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap > RC_MAX_GTID_INTERVALS)
		ncap = RC_MAX_GTID_INTERVALS;
	if (ncap <= n)
		return -1;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ------------------------------------------------------------------ */
/* MySQL: TSIDs and intervals                                         */
/* ------------------------------------------------------------------ */

static int
tsid_cmp(const uint8_t uuid[16], const char *tag, const struct gtid_tsid *t)
{
	int c = memcmp(uuid, t->uuid, 16);

	return c ? c : strcmp(tag, t->tag);
}

/* The TSID (uuid, tag), created in its sorted place when missing. */
static struct gtid_tsid *
tsid_get(struct my_gtid_set *set, const uint8_t uuid[16], const char *tag)
{
	size_t lo = 0, hi = set->nts;
	struct gtid_tsid *t;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = tsid_cmp(uuid, tag, &set->ts[mid]);

		if (c == 0)
			return &set->ts[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (grow((void **)&set->ts, &set->capts, set->nts, sizeof(*set->ts)))
		return NULL;
	memmove(&set->ts[lo + 1], &set->ts[lo],
		(set->nts - lo) * sizeof(*set->ts));
	set->nts++;
	t = &set->ts[lo];
	memset(t, 0, sizeof(*t));
	memcpy(t->uuid, uuid, 16);
	snprintf(t->tag, sizeof(t->tag), "%s", tag);
	return t;
}

/*
 * Add [start, end) to t, merging with every interval it overlaps or
 * touches. Intervals stay sorted, disjoint and non-touching.
 */
static int
ival_add(struct my_gtid_set *set, struct gtid_tsid *t, int64_t start,
	 int64_t end)
{
	size_t lo = 0, hi = t->n, i, j;

	/* first interval that ends at or after start (touching counts) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->iv[mid].end < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	if (i == t->n || t->iv[i].start > end) {
		if (set->nivals >= RC_MAX_GTID_INTERVALS)
			return -1;
		if (grow((void **)&t->iv, &t->cap, t->n, sizeof(*t->iv)))
			return -1;
		memmove(&t->iv[i + 1], &t->iv[i], (t->n - i) * sizeof(*t->iv));
		t->iv[i].start = start;
		t->iv[i].end = end;
		t->n++;
		set->nivals++;
		return 0;
	}
	if (start < t->iv[i].start)
		t->iv[i].start = start;
	j = i;
	while (j + 1 < t->n && t->iv[j + 1].start <= end)
		j++;
	if (t->iv[j].end > end)
		end = t->iv[j].end;
	t->iv[i].end = end;
	if (j > i) {
		memmove(&t->iv[i + 1], &t->iv[j + 1],
			(t->n - j - 1) * sizeof(*t->iv));
		t->n -= j - i;
		set->nivals -= j - i;
	}
	return 0;
}

/* Check and lower-case a tag of n bytes into out; 0 or -1. */
static int
tag_norm(const char *s, size_t n, char out[GTID_TAG_MAX + 1])
{
	if (n > GTID_TAG_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(isalpha(ch) || ch == '_' || (i > 0 && isdigit(ch))))
			return -1;
		out[i] = (char)tolower(ch);
	}
	out[n] = 0;
	return 0;
}

static int
add_interval(struct my_gtid_set *set, const uint8_t uuid[16], const char *tag,
	     int64_t start, int64_t end)
{
	struct gtid_tsid *t;

	if (take_flavor(set, MY_GTID_MYSQL))
		return -1;
	t = tsid_get(set, uuid, tag);
	if (!t)
		return -1;
	return ival_add(set, t, start, end);
}

int
my_gtid_set_add_mysql(struct my_gtid_set *set, const uint8_t uuid[16],
		      const char *tag, int64_t gno)
{
	char norm[GTID_TAG_MAX + 1];

	if (gno < 1 || gno == INT64_MAX)
		return -1;
	if (tag_norm(tag ? tag : "", tag ? strlen(tag) : 0, norm))
		return -1;
	return add_interval(set, uuid, norm, gno, gno + 1);
}

/* ------------------------------------------------------------------ */
/* MariaDB: one position per domain                                   */
/* ------------------------------------------------------------------ */

static struct gtid_domain *
domain_find(const struct my_gtid_set *set, uint32_t domain, size_t *at)
{
	size_t lo = 0, hi = set->ndom;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->dom[mid].domain == domain)
			return &set->dom[mid];
		if (set->dom[mid].domain > domain)
			hi = mid;
		else
			lo = mid + 1;
	}
	*at = lo;
	return NULL;
}

int
my_gtid_set_add_maria(struct my_gtid_set *set, uint32_t domain,
		      uint32_t server_id, uint64_t seq)
{
	struct gtid_domain *d;
	size_t at = 0;

	if (take_flavor(set, MY_GTID_MARIADB))
		return -1;
	d = domain_find(set, domain, &at);
	if (!d) {
		if (set->ndom >= RC_MAX_GTID_INTERVALS ||
		    grow((void **)&set->dom, &set->capdom, set->ndom,
			 sizeof(*set->dom)))
			return -1;
		memmove(&set->dom[at + 1], &set->dom[at],
			(set->ndom - at) * sizeof(*set->dom));
		set->ndom++;
		d = &set->dom[at];
		d->domain = domain;
	}
	d->server_id = server_id;
	d->seq = seq;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Text form                                                          */
/* ------------------------------------------------------------------ */

static void
uuid_text(const uint8_t u[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u[i] >> 4];
		*p++ = hex[u[i] & 15];
	}
	*p = 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A UUID at s: 8-4-4-4-12 hex digits with dashes, or 32 without. Returns
 * the characters used, 0 when there is none.
 */
static size_t
uuid_parse(const char *s, uint8_t out[16])
{
	size_t pos = 0;
	int dashed = strnlen(s, 9) == 9 && s[8] == '-';

	for (int i = 0; i < 16; i++) {
		int hi, lo;

		if (dashed && (i == 4 || i == 6 || i == 8 || i == 10)) {
			if (s[pos] != '-')
				return 0;
			pos++;
		}
		hi = hexval(s[pos]);
		if (hi < 0)
			return 0;
		lo = hexval(s[pos + 1]);
		if (lo < 0)
			return 0;
		out[i] = (uint8_t)(hi << 4 | lo);
		pos += 2;
	}
	return pos;
}

static const char *
skip_ws(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* A decimal number up to max; returns the end or NULL. */
static const char *
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return NULL;
	while (isdigit((unsigned char)*s)) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (max - d) / 10)
			return NULL;
		v = v * 10 + d;
		s++;
	}
	*out = v;
	return s;
}

/* The element starting at s (up to the next comma), for messages. */
static int
elem_len(const char *s)
{
	size_t n = strcspn(s, ",");

	return n > 80 ? 80 : (int)n;
}

/*
 * MySQL: "uuid:1-5:7[:tag:1-3...][, uuid2...]". Whitespace (MySQL prints
 * ",\n" between UUIDs) and empty elements are allowed; an interval with
 * its end before its start, a gno of 0, a UUID or tag without intervals is
 * an error that quotes the element.
 */
static int
parse_mysql(struct my_gtid_set *set, const char *text, char *err, size_t errlen)
{
	const char *s = text;

	for (;;) {
		const char *elem;
		uint8_t uuid[16];
		char tag[GTID_TAG_MAX + 1] = "";
		size_t n;
		int have_iv = 0;

		s = skip_ws(s);
		if (*s == ',') {
			s++;
			continue;
		}
		if (!*s)
			return 0;
		elem = s;
		n = uuid_parse(s, uuid);
		if (!n) {
			seterr(err, errlen,
			       "GTID set: '%.*s' does not start with a UUID",
			       elem_len(elem), elem);
			return -1;
		}
		s = skip_ws(s + n);
		while (*s == ':') {
			s = skip_ws(s + 1);
			if (isdigit((unsigned char)*s)) {
				uint64_t a, b;
				const char *e;

				e = parse_u64(s, INT64_MAX - 1, &a);
				if (!e || a == 0) {
					seterr(err, errlen,
					       "GTID set: '%.*s': transaction "
					       "number '%.*s' is out of range "
					       "(1 to 2^63-2)",
					       elem_len(elem), elem,
					       (int)strspn(s, "0123456789"), s);
					return -1;
				}
				b = a;
				s = skip_ws(e);
				if (*s == '-') {
					s = skip_ws(s + 1);
					e = parse_u64(s, INT64_MAX - 1, &b);
					if (!e) {
						seterr(err, errlen,
						       "GTID set: '%.*s': bad "
						       "interval end at "
						       "'%.10s'",
						       elem_len(elem), elem, s);
						return -1;
					}
					if (b < a) {
						seterr(err, errlen,
						       "GTID set: '%.*s': "
						       "interval %llu-%llu "
						       "ends "
						       "before it starts",
						       elem_len(elem), elem,
						       (unsigned long long)a,
						       (unsigned long long)b);
						return -1;
					}
					s = skip_ws(e);
				}
				if (add_interval(set, uuid, tag, (int64_t)a,
						 (int64_t)b + 1)) {
					seterr(err, errlen,
					       "GTID set: out of memory or "
					       "more "
					       "than %u intervals",
					       RC_MAX_GTID_INTERVALS);
					return -1;
				}
				have_iv = 1;
			} else {
				size_t tl = 0;

				while (s[tl] && s[tl] != ':' && s[tl] != ',' &&
				       !isspace((unsigned char)s[tl]))
					tl++;
				if (tl == 0 || tag_norm(s, tl, tag)) {
					seterr(err, errlen,
					       "GTID set: '%.*s': '%.*s' is "
					       "neither an interval nor a tag "
					       "(a letter or _, then up to 31 "
					       "letters, digits or _)",
					       elem_len(elem), elem,
					       (int)(tl ? tl : 1), s);
					return -1;
				}
				s = skip_ws(s + tl);
				if (*s != ':' ||
				    !isdigit((unsigned char)*skip_ws(s + 1))) {
					seterr(err, errlen,
					       "GTID set: '%.*s': tag '%s' has "
					       "no interval",
					       elem_len(elem), elem, tag);
					return -1;
				}
			}
		}
		if (!have_iv) {
			seterr(err, errlen,
			       "GTID set: '%.*s': a UUID needs at least one "
			       "interval (uuid:1-5)",
			       elem_len(elem), elem);
			return -1;
		}
		if (*s && *s != ',') {
			seterr(err, errlen, "GTID set: '%.*s': unexpected '%c'",
			       elem_len(elem), elem, *s);
			return -1;
		}
	}
}

/* MariaDB: "domain-server-seq[,...]", one element per domain. */
static int
parse_maria(struct my_gtid_set *set, const char *text, char *err, size_t errlen)
{
	const char *s = text;

	for (;;) {
		const char *elem, *e;
		uint64_t d, sid, seq;
		size_t at;

		s = skip_ws(s);
		if (*s == ',') {
			s++;
			continue;
		}
		if (!*s)
			return 0;
		elem = s;
		e = parse_u64(s, UINT32_MAX, &d);
		if (e && *e == '-')
			e = parse_u64(e + 1, UINT32_MAX, &sid);
		else
			e = NULL;
		if (e && *e == '-')
			e = parse_u64(e + 1, UINT64_MAX, &seq);
		else
			e = NULL;
		if (e)
			e = skip_ws(e);
		if (!e || (*e && *e != ',')) {
			seterr(err, errlen,
			       "GTID set: '%.*s' is not a MariaDB GTID "
			       "(domain-server_id-sequence, e.g. 0-1-42) nor "
			       "a MySQL one (uuid:1-42)",
			       elem_len(elem), elem);
			return -1;
		}
		if (domain_find(set, (uint32_t)d, &at)) {
			seterr(err, errlen,
			       "GTID set: domain %llu appears twice (at "
			       "'%.*s'); a MariaDB position has one GTID per "
			       "domain",
			       (unsigned long long)d, elem_len(elem), elem);
			return -1;
		}
		if (my_gtid_set_add_maria(set, (uint32_t)d, (uint32_t)sid,
					  seq)) {
			seterr(err, errlen, "GTID set: out of memory");
			return -1;
		}
		s = e;
	}
}

struct my_gtid_set *
my_gtid_set_parse(const char *text, char *err, size_t errlen)
{
	struct my_gtid_set *set;
	const char *s;
	size_t n;
	int rc;

	if (!text)
		text = "";
	/* the first element decides: MySQL's always has a ':' */
	s = text;
	while (*s == ',' || isspace((unsigned char)*s))
		s++;
	n = strcspn(s, ",");
	{
		uint8_t u[16];
		int mysql = !*s || memchr(s, ':', n) || uuid_parse(s, u);

		set = my_gtid_set_new(mysql ? MY_GTID_MYSQL : MY_GTID_MARIADB);
	}
	if (!set) {
		seterr(err, errlen, "GTID set: out of memory");
		return NULL;
	}
	if (set->flavor == MY_GTID_MYSQL)
		rc = parse_mysql(set, text, err, errlen);
	else
		rc = parse_maria(set, text, err, errlen);
	if (rc) {
		my_gtid_set_free(set);
		return NULL;
	}
	return set;
}

int
my_gtid_set_format(const struct my_gtid_set *set, struct rc_buf *out)
{
	char u[37];

	if (set->flavor == MY_GTID_MARIADB) {
		for (size_t i = 0; i < set->ndom; i++)
			if (rc_buf_printf(out, "%s%u-%u-%llu", i ? "," : "",
					  set->dom[i].domain,
					  set->dom[i].server_id,
					  (unsigned long long)set->dom[i].seq))
				return -1;
		return 0;
	}
	for (size_t i = 0; i < set->nts; i++) {
		const struct gtid_tsid *t = &set->ts[i];

		if (i == 0 || memcmp(t->uuid, set->ts[i - 1].uuid, 16)) {
			uuid_text(t->uuid, u);
			if (rc_buf_printf(out, "%s%s", i ? "," : "", u))
				return -1;
		}
		if (t->tag[0] && rc_buf_printf(out, ":%s", t->tag))
			return -1;
		for (size_t j = 0; j < t->n; j++) {
			long long a = t->iv[j].start, b = t->iv[j].end - 1;
			int rc =
				a == b ? rc_buf_printf(out, ":%lld", a)
				       : rc_buf_printf(out, ":%lld-%lld", a, b);
			if (rc)
				return -1;
		}
	}
	return 0;
}

void
my_gtid_format_one_mysql(const uint8_t uuid[16], const char *tag, int64_t gno,
			 char *buf, size_t len)
{
	char u[37];

	if (!len)
		return;
	uuid_text(uuid, u);
	if (tag && tag[0])
		snprintf(buf, len, "%s:%s:%lld", u, tag, (long long)gno);
	else
		snprintf(buf, len, "%s:%lld", u, (long long)gno);
}

/* ------------------------------------------------------------------ */
/* MySQL's binary form                                                */
/* ------------------------------------------------------------------ */

/*
 * Layout (Gtid_set::encode, MySQL 5.6 to 8.4+), all integers little-endian:
 *
 *   header      8   untagged: n_sids (top byte 0)
 *                   tagged (8.4+, only when some GTID has a tag):
 *                   byte 0 = 1, bytes 1..6 = n_sids, byte 7 = 1
 *   n_sids times:
 *     uuid     16
 *     tag       -   tagged format only: length as a serialization-library
 *                   varint (one byte len<<1 for len <= 32), then the bytes
 *                   (length 0 = untagged)
 *     n_ivals   8
 *     n_ivals times: start 8, end 8 (exclusive), ascending and disjoint
 *
 * The same UUID appears once per tag in the tagged format.
 */

#define GTID_FORMAT_UNTAGGED 0
#define GTID_FORMAT_TAGGED   1

static int
put_le64(struct rc_buf *out, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return rc_buf_append(out, b, 8);
}

int
my_gtid_set_encode(const struct my_gtid_set *set, struct rc_buf *out)
{
	int tagged = 0;
	uint64_t hdr;

	if (set->flavor != MY_GTID_MYSQL && !my_gtid_set_empty(set))
		return -1;
	for (size_t i = 0; i < set->nts; i++)
		if (set->ts[i].tag[0])
			tagged = 1;
	hdr = set->nts;
	if (tagged)
		hdr = (uint64_t)GTID_FORMAT_TAGGED << 56 |
		      (uint64_t)set->nts << 8 | GTID_FORMAT_TAGGED;
	if (put_le64(out, hdr))
		return -1;
	for (size_t i = 0; i < set->nts; i++) {
		const struct gtid_tsid *t = &set->ts[i];

		if (rc_buf_append(out, t->uuid, 16))
			return -1;
		if (tagged) {
			size_t tl = strlen(t->tag);

			if (rc_buf_putc(out, (char)(tl << 1)) ||
			    rc_buf_append(out, t->tag, tl))
				return -1;
		}
		if (put_le64(out, t->n))
			return -1;
		for (size_t j = 0; j < t->n; j++)
			if (put_le64(out, (uint64_t)t->iv[j].start) ||
			    put_le64(out, (uint64_t)t->iv[j].end))
				return -1;
	}
	return 0;
}

struct my_gtid_set *
my_gtid_set_decode(const void *p, size_t len, char *err, size_t errlen)
{
	struct my_gtid_set *set;
	struct rc_reader r;
	uint64_t hdr, n_sids;
	unsigned format;
	size_t min_sid;
	char u[37];

	rc_reader_init(&r, p, len);
	hdr = rc_reader_le64(&r);
	if (!rc_reader_ok(&r)) {
		seterr(err, errlen,
		       "binary GTID set: %zu bytes, shorter than its 8-byte "
		       "header",
		       len);
		return NULL;
	}
	format = (unsigned)(hdr >> 56);
	if (format == GTID_FORMAT_UNTAGGED) {
		n_sids = hdr;
	} else if (format == GTID_FORMAT_TAGGED && (hdr & 0xff) == 1) {
		n_sids = (hdr >> 8) & 0xffffffffffffULL;
	} else {
		seterr(err, errlen,
		       "binary GTID set: unknown format in header "
		       "0x%016llx",
		       (unsigned long long)hdr);
		return NULL;
	}
	min_sid = 16 + 8 + (format == GTID_FORMAT_TAGGED);
	if (n_sids > rc_reader_left(&r) / min_sid) {
		seterr(err, errlen,
		       "binary GTID set: header says %llu UUIDs but only %zu "
		       "bytes follow",
		       (unsigned long long)n_sids, rc_reader_left(&r));
		return NULL;
	}
	set = my_gtid_set_new(MY_GTID_MYSQL);
	if (!set) {
		seterr(err, errlen, "binary GTID set: out of memory");
		return NULL;
	}
	for (uint64_t i = 0; i < n_sids; i++) {
		const unsigned char *uuid = rc_reader_bytes(&r, 16);
		char tag[GTID_TAG_MAX + 1] = "";
		uint64_t n_iv;
		int64_t last = 0;

		if (!uuid)
			goto truncated;
		uuid_text(uuid, u);
		if (format == GTID_FORMAT_TAGGED) {
			uint8_t b = rc_reader_u8(&r);
			size_t tl = b >> 1;
			const unsigned char *tp;

			/* a longer varint means a length > 127 > 32 */
			if (b & 1 || tl > GTID_TAG_MAX) {
				seterr(err, errlen,
				       "binary GTID set: UUID %s: tag longer "
				       "than %d bytes",
				       u, GTID_TAG_MAX);
				goto fail;
			}
			tp = rc_reader_bytes(&r, tl);
			if (!tp)
				goto truncated;
			if (tag_norm((const char *)tp, tl, tag)) {
				seterr(err, errlen,
				       "binary GTID set: UUID %s: invalid tag "
				       "'%.*s'",
				       u, (int)tl, (const char *)tp);
				goto fail;
			}
		}
		n_iv = rc_reader_le64(&r);
		if (!rc_reader_ok(&r))
			goto truncated;
		if (n_iv > rc_reader_left(&r) / 16) {
			seterr(err, errlen,
			       "binary GTID set: UUID %s says %llu intervals "
			       "but only %zu bytes follow",
			       u, (unsigned long long)n_iv, rc_reader_left(&r));
			goto fail;
		}
		for (uint64_t j = 0; j < n_iv; j++) {
			int64_t start = (int64_t)rc_reader_le64(&r);
			int64_t end = (int64_t)rc_reader_le64(&r);

			if (!rc_reader_ok(&r))
				goto truncated;
			/* as MySQL: ascending, disjoint, non-touching,
			 * start >= 1 */
			if (start <= last || end <= start) {
				seterr(err, errlen,
				       "binary GTID set: UUID %s%s%s: interval "
				       "[%lld, %lld) is empty or out of order",
				       u, tag[0] ? ":" : "", tag,
				       (long long)start, (long long)end);
				goto fail;
			}
			last = end;
			if (add_interval(set, uuid, tag, start, end)) {
				seterr(err, errlen,
				       "binary GTID set: out of memory or more "
				       "than %u intervals",
				       RC_MAX_GTID_INTERVALS);
				goto fail;
			}
		}
	}
	if (rc_reader_left(&r)) {
		seterr(err, errlen,
		       "binary GTID set: %zu bytes left after the last UUID "
		       "(pass the event body without its CRC32)",
		       rc_reader_left(&r));
		goto fail;
	}
	return set;
truncated:
	seterr(err, errlen,
	       "binary GTID set: truncated (%zu bytes, a count or an "
	       "interval runs past the end)",
	       len);
fail:
	my_gtid_set_free(set);
	return NULL;
}
