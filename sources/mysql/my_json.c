/*
 * my_json.c -- MySQL binary JSON into text, and JSON diffs (my_json.h).
 *
 * The binary format (MySQL's json_binary.h), all integers little-endian:
 *
 *   doc      := type(1) value
 *   type     := 0x00 small object | 0x01 large object | 0x02 small array
 *             | 0x03 large array  | 0x04 literal (0 null, 1 true, 2 false)
 *             | 0x05 int16 | 0x06 uint16 | 0x07 int32 | 0x08 uint32
 *             | 0x09 int64 | 0x0a uint64 | 0x0b double | 0x0c string
 *             | 0x0f opaque
 *   object   := count size key-entry* value-entry* keys values
 *   array    := count size value-entry* values
 *               (count, size and offsets: 2 bytes when small, 4 when
 *               large; offsets count from the container's first byte)
 *   key-entry   := offset length(2)
 *   value-entry := type offset-or-inlined-value
 *               (literals, int16 and uint16 are inlined; in large
 *               containers int32 and uint32 too)
 *   string   := varlen(length) bytes  (varlen: 7 bits a byte, LSB first,
 *               high bit set on all but the last byte)
 *   opaque   := mysql-type(1) varlen(length) bytes
 */
#include "my_json.h"

#include "my_rows.h"
#include "reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum jkind { J_SCALAR, J_OBJECT, J_ARRAY };

struct jnode {
	enum jkind kind;
	char *text; /* J_SCALAR: the value as JSON text */
	size_t tlen;
	size_t n, cap;
	char **keys; /* J_OBJECT: raw UTF-8 key bytes */
	size_t *klens;
	struct jnode **kids;
};

struct my_jdoc {
	struct jnode *root;
};

struct jparse {
	size_t budget; /* nodes left: bounded by the document's size */
	char *err;
	size_t errlen;
};

static void
jnode_free(struct jnode *nd)
{
	if (!nd)
		return;
	free(nd->text);
	for (size_t i = 0; i < nd->n; i++) {
		if (nd->keys)
			free(nd->keys[i]);
		jnode_free(nd->kids[i]);
	}
	free(nd->keys);
	free(nd->klens);
	free(nd->kids);
	free(nd);
}

void
my_json_free(struct my_jdoc *jd)
{
	if (!jd)
		return;
	jnode_free(jd->root);
	free(jd);
}

static int
jfail(struct jparse *jp, const char *what)
{
	if (jp->err && jp->errlen && !jp->err[0])
		snprintf(jp->err, jp->errlen, "JSON: %s", what);
	return -1;
}

static struct jnode *
jnew(struct jparse *jp, enum jkind kind)
{
	struct jnode *nd;

	if (jp->budget == 0) {
		jfail(jp, "document expands beyond its size");
		return NULL;
	}
	jp->budget--;
	nd = calloc(1, sizeof(*nd));
	if (!nd)
		jfail(jp, "out of memory");
	else
		nd->kind = kind;
	return nd;
}

/* A scalar node holding a copy of the text t[0..n). */
static struct jnode *
jscalar(struct jparse *jp, const char *t, size_t n)
{
	struct jnode *nd = jnew(jp, J_SCALAR);

	if (!nd)
		return NULL;
	nd->text = malloc(n + 1);
	if (!nd->text) {
		free(nd);
		jfail(jp, "out of memory");
		return NULL;
	}
	memcpy(nd->text, t, n);
	nd->text[n] = 0;
	nd->tlen = n;
	return nd;
}

/* Append a child (and its key, copied, for objects) at position pos. */
static int
jinsert(struct jnode *nd, size_t pos, const char *key, size_t klen,
	struct jnode *kid)
{
	if (nd->n == nd->cap) {
		size_t ncap = nd->cap ? nd->cap * 2 : 4;
		struct jnode **kids = realloc(nd->kids, ncap * sizeof(*kids));

		if (!kids)
			return -1;
		nd->kids = kids;
		if (nd->kind == J_OBJECT) {
			char **keys = realloc(nd->keys, ncap * sizeof(*keys));
			size_t *kl;

			if (!keys)
				return -1;
			nd->keys = keys;
			kl = realloc(nd->klens, ncap * sizeof(*kl));
			if (!kl)
				return -1;
			nd->klens = kl;
		}
		nd->cap = ncap;
	}
	if (nd->kind == J_OBJECT) {
		char *k = malloc(klen + 1);

		if (!k)
			return -1;
		memcpy(k, key, klen);
		k[klen] = 0;
		memmove(nd->keys + pos + 1, nd->keys + pos,
			(nd->n - pos) * sizeof(*nd->keys));
		memmove(nd->klens + pos + 1, nd->klens + pos,
			(nd->n - pos) * sizeof(*nd->klens));
		nd->keys[pos] = k;
		nd->klens[pos] = klen;
	}
	memmove(nd->kids + pos + 1, nd->kids + pos,
		(nd->n - pos) * sizeof(*nd->kids));
	nd->kids[pos] = kid;
	nd->n++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Text helpers                                                       */
/* ------------------------------------------------------------------ */

/* s as a JSON string literal, escaped the way MySQL prints it. */
static int
put_jstring(struct rc_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (rc_buf_putc(b, '"') < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];

		switch (c) {
		case '"':
			if (rc_buf_puts(b, "\\\"") < 0)
				return -1;
			continue;
		case '\\':
			if (rc_buf_puts(b, "\\\\") < 0)
				return -1;
			continue;
		case '\b':
			if (rc_buf_puts(b, "\\b") < 0)
				return -1;
			continue;
		case '\f':
			if (rc_buf_puts(b, "\\f") < 0)
				return -1;
			continue;
		case '\n':
			if (rc_buf_puts(b, "\\n") < 0)
				return -1;
			continue;
		case '\r':
			if (rc_buf_puts(b, "\\r") < 0)
				return -1;
			continue;
		case '\t':
			if (rc_buf_puts(b, "\\t") < 0)
				return -1;
			continue;
		default:
			break;
		}
		if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			if (rc_buf_append(b, esc, 6) < 0)
				return -1;
			continue;
		}
		if (rc_buf_putc(b, (char)c) < 0)
			return -1;
	}
	return rc_buf_putc(b, '"');
}

/* Shortest text that reads back as the same double, MySQL-style:
 * "3.14", "2.0", "1e20", "1.5e-7". */
static int
put_double(struct rc_buf *b, double d)
{
	char t[40];
	int prec;

	if (!isfinite(d))
		return rc_buf_puts(b, "null");
	for (prec = 1; prec <= 17; prec++) {
		snprintf(t, sizeof(t), "%.*g", prec, d);
		if (strtod(t, NULL) == d)
			break;
	}
	{
		char o[48];
		size_t j = 0;
		char *e = strchr(t, 'e');

		if (e) {
			char *q = e + 1;
			int neg = 0;

			memcpy(o, t, (size_t)(e - t));
			j = (size_t)(e - t);
			o[j++] = 'e';
			if (*q == '+' || *q == '-')
				neg = *q++ == '-';
			while (*q == '0' && q[1])
				q++;
			if (neg)
				o[j++] = '-';
			while (*q)
				o[j++] = *q++;
			o[j] = 0;
		} else {
			snprintf(o, sizeof(o), "%s%s", t,
				 strchr(t, '.') ? "" : ".0");
			j = strlen(o);
		}
		return rc_buf_append(b, o, j);
	}
}

static int
put_b64(struct rc_buf *b, const uint8_t *p, size_t n)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
				 "tuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = tb[(v >> 18) & 63];
		q[1] = tb[(v >> 12) & 63];
		q[2] = i + 1 < n ? tb[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tb[v & 63] : '=';
		if (rc_buf_append(b, q, 4) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Binary to tree                                                     */
/* ------------------------------------------------------------------ */

static int
read_varlen(const uint8_t *p, size_t n, size_t *used, uint64_t *v)
{
	uint64_t r = 0;

	for (size_t i = 0; i < 5 && i < n; i++) {
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*used = i + 1;
			*v = r;
			return 0;
		}
	}
	return -1;
}

static uint64_t
le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* The text of a MySQL opaque value (a JSON string in the output). */
static int
opaque_text(uint8_t mtype, const uint8_t *p, size_t n, struct rc_buf *t)
{
	char s[96];

	switch (mtype) {
	case 10: /* DATE */
	case 12: /* DATETIME */
	case 7:	 /* TIMESTAMP */
	case 11: /* TIME */
	{
		int64_t packed;
		uint64_t a, ip;
		unsigned frac;
		int neg;

		if (n < 8)
			return -1;
		packed = (int64_t)le(p, 8);
		neg = packed < 0;
		a = neg ? 0 - (uint64_t)packed : (uint64_t)packed;
		ip = a >> 24;
		frac = (unsigned)(a & 0xffffff);
		if (frac > 999999)
			return -1;
		if (mtype == 11) {
			snprintf(s, sizeof(s), "%s%02u:%02u:%02u.%06u",
				 neg ? "-" : "", (unsigned)((ip >> 12) & 0x3ff),
				 (unsigned)((ip >> 6) & 63),
				 (unsigned)(ip & 63), frac);
		} else {
			uint64_t ymd = ip >> 17, ym = ymd >> 5;
			unsigned hms = (unsigned)(ip & 0x1ffff);

			if (neg)
				return -1;
			if (mtype == 10)
				snprintf(s, sizeof(s), "%04u-%02u-%02u",
					 (unsigned)((ym / 13) % 10000),
					 (unsigned)(ym % 13),
					 (unsigned)(ymd & 31));
			else
				snprintf(s, sizeof(s),
					 "%04u-%02u-%02u %02u:%02u:%02u.%06u",
					 (unsigned)((ym / 13) % 10000),
					 (unsigned)(ym % 13),
					 (unsigned)(ymd & 31), hms >> 12,
					 (hms >> 6) & 63, hms & 63, frac);
		}
		return put_jstring(t, s, strlen(s));
	}
	case 246: /* NEWDECIMAL: precision, scale, binary decimal */
	{
		char d[MY_DECIMAL_TEXT_MAX];
		int len;

		if (n < 2)
			return -1;
		len = my_decimal_text(p + 2, n - 2, p[0], p[1], d, sizeof(d));
		if (len < 0)
			return -1;
		return put_jstring(t, d, (size_t)len);
	}
	default:
		snprintf(s, sizeof(s), "\"base64:type%u:", mtype);
		if (rc_buf_puts(t, s) < 0 || put_b64(t, p, n) < 0)
			return -1;
		return rc_buf_putc(t, '"');
	}
}

static struct jnode *parse_value(struct jparse *jp, uint8_t type,
				 const uint8_t *p, size_t n, int depth);

/* A scalar from its bytes; text built in a scratch buffer. */
static struct jnode *
parse_scalar(struct jparse *jp, uint8_t type, const uint8_t *p, size_t n)
{
	struct rc_buf t;
	struct jnode *nd = NULL;
	char s[32];
	int rc = 0;

	rc_buf_init(&t, (size_t)1 << 30);
	switch (type) {
	case 0x04:
		if (n < 1)
			goto short_;
		if (p[0] > 2) {
			jfail(jp, "bad literal");
			goto out;
		}
		rc = rc_buf_puts(&t, p[0] == 0	 ? "null"
				     : p[0] == 1 ? "true"
						 : "false");
		break;
	case 0x05:
		if (n < 2)
			goto short_;
		snprintf(s, sizeof(s), "%d", (int16_t)le(p, 2));
		rc = rc_buf_puts(&t, s);
		break;
	case 0x06:
		if (n < 2)
			goto short_;
		snprintf(s, sizeof(s), "%u", (unsigned)le(p, 2));
		rc = rc_buf_puts(&t, s);
		break;
	case 0x07:
		if (n < 4)
			goto short_;
		snprintf(s, sizeof(s), "%d", (int32_t)le(p, 4));
		rc = rc_buf_puts(&t, s);
		break;
	case 0x08:
		if (n < 4)
			goto short_;
		snprintf(s, sizeof(s), "%u", (unsigned)le(p, 4));
		rc = rc_buf_puts(&t, s);
		break;
	case 0x09:
		if (n < 8)
			goto short_;
		snprintf(s, sizeof(s), "%lld", (long long)(int64_t)le(p, 8));
		rc = rc_buf_puts(&t, s);
		break;
	case 0x0a:
		if (n < 8)
			goto short_;
		snprintf(s, sizeof(s), "%llu", (unsigned long long)le(p, 8));
		rc = rc_buf_puts(&t, s);
		break;
	case 0x0b: {
		uint64_t u;
		double d;

		if (n < 8)
			goto short_;
		u = le(p, 8);
		memcpy(&d, &u, sizeof(d));
		rc = put_double(&t, d);
		break;
	}
	case 0x0c: {
		uint64_t len;
		size_t used;

		if (read_varlen(p, n, &used, &len) < 0 || len > n - used)
			goto short_;
		rc = put_jstring(&t, (const char *)p + used, (size_t)len);
		break;
	}
	case 0x0f: {
		uint64_t len;
		size_t used;

		if (n < 1 || read_varlen(p + 1, n - 1, &used, &len) < 0 ||
		    len > n - 1 - used)
			goto short_;
		if (opaque_text(p[0], p + 1 + used, (size_t)len, &t) < 0) {
			jfail(jp, "bad opaque value");
			goto out;
		}
		break;
	}
	default:
		snprintf(s, sizeof(s), "unknown value type 0x%02x", type);
		jfail(jp, s);
		goto out;
	}
	if (rc < 0) {
		jfail(jp, "out of memory");
		goto out;
	}
	nd = jscalar(jp, t.data ? t.data : "", t.len);
	goto out;
short_:
	jfail(jp, "value truncated");
out:
	rc_buf_free(&t);
	return nd;
}

static int
inlined(uint8_t type, int large)
{
	return type == 0x04 || type == 0x05 || type == 0x06 ||
	       (large && (type == 0x07 || type == 0x08));
}

/* An object or array starting at p, n bytes available. */
static struct jnode *
parse_container(struct jparse *jp, uint8_t type, const uint8_t *p, size_t n,
		int depth)
{
	int large = type == 0x01 || type == 0x03;
	int obj = type == 0x00 || type == 0x01;
	int w = large ? 4 : 2;
	size_t count, size, hdr, kentry = (size_t)w + 2, ventry = 1 + (size_t)w;
	struct jnode *nd;

	if (depth > MY_JSON_MAX_DEPTH) {
		jfail(jp, "nested too deep");
		return NULL;
	}
	if (n < 2 * (size_t)w) {
		jfail(jp, "container truncated");
		return NULL;
	}
	count = le(p, w);
	size = le(p + w, w);
	if (size > n || size < 2 * (size_t)w) {
		jfail(jp, "container size out of range");
		return NULL;
	}
	hdr = 2 * (size_t)w;
	if (count > (size - hdr) / (ventry + (obj ? kentry : 0))) {
		jfail(jp, "element count out of range");
		return NULL;
	}
	nd = jnew(jp, obj ? J_OBJECT : J_ARRAY);
	if (!nd)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *ve =
			p + hdr + (obj ? count * kentry : 0) + i * ventry;
		const char *key = NULL;
		size_t klen = 0;
		uint8_t vt = ve[0];
		struct jnode *kid;

		if (obj) {
			const uint8_t *ke = p + hdr + i * kentry;
			size_t koff = le(ke, w);

			klen = le(ke + w, 2);
			if (koff > size || klen > size - koff) {
				jfail(jp, "key out of range");
				goto fail;
			}
			key = (const char *)p + koff;
		}
		if (inlined(vt, large)) {
			kid = parse_scalar(jp, vt, ve + 1, (size_t)w);
		} else {
			size_t voff = le(ve + 1, w);

			if (voff >= size) {
				jfail(jp, "value offset out of range");
				goto fail;
			}
			kid = parse_value(jp, vt, p + voff, size - voff,
					  depth + 1);
		}
		if (!kid)
			goto fail;
		if (jinsert(nd, nd->n, key, klen, kid) < 0) {
			jnode_free(kid);
			jfail(jp, "out of memory");
			goto fail;
		}
	}
	return nd;
fail:
	jnode_free(nd);
	return NULL;
}

static struct jnode *
parse_value(struct jparse *jp, uint8_t type, const uint8_t *p, size_t n,
	    int depth)
{
	if (type <= 0x03)
		return parse_container(jp, type, p, n, depth);
	return parse_scalar(jp, type, p, n);
}

static struct jnode *
parse_doc(struct jparse *jp, const uint8_t *doc, size_t n)
{
	if (n == 0)
		return jscalar(jp, "null", 4);
	return parse_value(jp, doc[0], doc + 1, n - 1, 1);
}

struct my_jdoc *
my_json_parse(const uint8_t *doc, size_t n, char *err, size_t errlen)
{
	struct jparse jp = {n + 16, err, errlen};
	struct my_jdoc *jd;

	if (err && errlen)
		err[0] = 0;
	jd = calloc(1, sizeof(*jd));
	if (!jd) {
		jfail(&jp, "out of memory");
		return NULL;
	}
	jd->root = parse_doc(&jp, doc, n);
	if (!jd->root) {
		free(jd);
		return NULL;
	}
	return jd;
}

/* ------------------------------------------------------------------ */
/* Tree to text                                                       */
/* ------------------------------------------------------------------ */

static int
write_node(const struct jnode *nd, struct rc_buf *out)
{
	if (nd->kind == J_SCALAR)
		return rc_buf_append(out, nd->text, nd->tlen);
	if (rc_buf_putc(out, nd->kind == J_OBJECT ? '{' : '[') < 0)
		return -1;
	for (size_t i = 0; i < nd->n; i++) {
		if (i && rc_buf_puts(out, ", ") < 0)
			return -1;
		if (nd->kind == J_OBJECT &&
		    (put_jstring(out, nd->keys[i], nd->klens[i]) < 0 ||
		     rc_buf_puts(out, ": ") < 0))
			return -1;
		if (write_node(nd->kids[i], out) < 0)
			return -1;
	}
	return rc_buf_putc(out, nd->kind == J_OBJECT ? '}' : ']');
}

int
my_json_write(const struct my_jdoc *jd, struct rc_buf *out)
{
	return write_node(jd->root, out);
}

int
my_json_to_text(const uint8_t *doc, size_t n, struct rc_buf *out, char *err,
		size_t errlen)
{
	struct my_jdoc *jd = my_json_parse(doc, n, err, errlen);
	int rc;

	if (!jd)
		return -1;
	rc = my_json_write(jd, out);
	if (rc < 0)
		snprintf(err, errlen, "JSON text too large");
	my_json_free(jd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Paths and diffs                                                    */
/* ------------------------------------------------------------------ */

struct leg {
	int is_key;
	char *key; /* unescaped */
	size_t klen;
	int last;	/* [last] or [last-N] */
	uint64_t index; /* [N], or N of [last-N] */
};

#define MAX_LEGS MY_JSON_MAX_DEPTH

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
put_utf8(char *o, size_t *j, uint32_t cp)
{
	if (cp < 0x80) {
		o[(*j)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*j)++] = (char)(0xc0 | (cp >> 6));
		o[(*j)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*j)++] = (char)(0xe0 | (cp >> 12));
		o[(*j)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*j)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*j)++] = (char)(0xf0 | (cp >> 18));
		o[(*j)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*j)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*j)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* A quoted key "..." at s[*i]; the unescaped bytes go to a new string. */
static int
parse_quoted(const char *s, size_t n, size_t *i, struct leg *lg)
{
	size_t j = 0, k = *i + 1;
	char *o = malloc(n + 1);

	if (!o)
		return -1;
	while (k < n && s[k] != '"') {
		if (s[k] != '\\') {
			o[j++] = s[k++];
			continue;
		}
		if (++k >= n)
			goto bad;
		switch (s[k]) {
		case 'b':
			o[j++] = '\b';
			break;
		case 'f':
			o[j++] = '\f';
			break;
		case 'n':
			o[j++] = '\n';
			break;
		case 'r':
			o[j++] = '\r';
			break;
		case 't':
			o[j++] = '\t';
			break;
		case 'u': {
			uint32_t cp = 0;

			if (n - k < 5)
				goto bad;
			for (int h = 1; h <= 4; h++) {
				int v = hexv(s[k + h]);

				if (v < 0)
					goto bad;
				cp = cp << 4 | (uint32_t)v;
			}
			k += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && n - k >= 7 &&
			    s[k + 1] == '\\' && s[k + 2] == 'u') {
				uint32_t lo = 0;
				int okh = 1;

				for (int h = 3; h <= 6; h++) {
					int v = hexv(s[k + h]);

					if (v < 0)
						okh = 0;
					lo = lo << 4 |
					     (uint32_t)(v < 0 ? 0 : v);
				}
				if (okh && lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					k += 6;
				}
			}
			/* \uXXXX makes at most 4 bytes from 6 chars */
			put_utf8(o, &j, cp);
			break;
		}
		default:
			o[j++] = s[k];
			break;
		}
		k++;
	}
	if (k >= n)
		goto bad;
	*i = k + 1;
	lg->is_key = 1;
	lg->key = o;
	lg->klen = j;
	return 0;
bad:
	free(o);
	return -1;
}

static void
free_legs(struct leg *legs, int nlegs)
{
	for (int i = 0; i < nlegs; i++)
		free(legs[i].key);
}

/* "$" then .key, ."key", [N], [last], [last-N]. Returns the leg count. */
static int
parse_path(const char *s, size_t n, struct leg *legs)
{
	size_t i = 0;
	int nl = 0;

	while (i < n && s[i] == ' ')
		i++;
	if (i >= n || s[i++] != '$')
		return -1;
	while (i < n) {
		struct leg *lg;

		if (s[i] == ' ') {
			i++;
			continue;
		}
		if (nl >= MAX_LEGS)
			goto bad;
		lg = &legs[nl];
		memset(lg, 0, sizeof(*lg));
		if (s[i] == '.') {
			i++;
			if (i < n && s[i] == '"') {
				if (parse_quoted(s, n, &i, lg) < 0)
					goto bad;
			} else {
				size_t st = i;

				while (i < n && s[i] != '.' && s[i] != '[' &&
				       s[i] != ' ')
					i++;
				if (i == st || (i - st == 1 && s[st] == '*'))
					goto bad;
				lg->is_key = 1;
				lg->klen = i - st;
				lg->key = malloc(lg->klen + 1);
				if (!lg->key)
					goto bad;
				memcpy(lg->key, s + st, lg->klen);
				lg->key[lg->klen] = 0;
			}
		} else if (s[i] == '[') {
			i++;
			while (i < n && s[i] == ' ')
				i++;
			if (n - i >= 4 && !memcmp(s + i, "last", 4)) {
				lg->last = 1;
				i += 4;
				while (i < n && s[i] == ' ')
					i++;
				if (i < n && s[i] == '-') {
					i++;
					while (i < n && s[i] == ' ')
						i++;
				} else if (i < n && s[i] == ']') {
					i++;
					nl++;
					continue;
				} else {
					goto bad;
				}
			}
			if (i >= n || s[i] < '0' || s[i] > '9')
				goto bad;
			while (i < n && s[i] >= '0' && s[i] <= '9') {
				if (lg->index > UINT32_MAX)
					goto bad;
				lg->index =
					lg->index * 10 + (uint64_t)(s[i] - '0');
				i++;
			}
			while (i < n && s[i] == ' ')
				i++;
			if (i >= n || s[i] != ']')
				goto bad;
			i++;
		} else {
			goto bad;
		}
		nl++;
	}
	return nl;
bad:
	free_legs(legs, nl + 1 <= MAX_LEGS ? nl + 1 : nl);
	return -1;
}

static int
key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	if (al != bl)
		return al < bl ? -1 : 1;
	return memcmp(a, b, al);
}

static long
find_key(const struct jnode *nd, const char *k, size_t kl)
{
	for (size_t i = 0; i < nd->n; i++)
		if (nd->klens[i] == kl && !memcmp(nd->keys[i], k, kl))
			return (long)i;
	return -1;
}

/* An array leg's position in nd; past the end gives nd->n or more. */
static uint64_t
leg_index(const struct leg *lg, const struct jnode *nd)
{
	if (!lg->last)
		return lg->index;
	if (nd->n == 0 || lg->index > nd->n - 1)
		return UINT64_MAX;
	return nd->n - 1 - lg->index;
}

int
my_json_apply(struct my_jdoc *jd, enum my_json_op op, const char *path,
	      size_t pathlen, const uint8_t *val, size_t vallen, char *err,
	      size_t errlen)
{
	struct leg legs[MAX_LEGS];
	struct jparse jp = {vallen + 16, err, errlen};
	struct jnode *nd, *kid = NULL;
	const struct leg *lg;
	int nl, rc = -1;

	if (err && errlen)
		err[0] = 0;
	nl = parse_path(path, pathlen, legs);
	if (nl < 0) {
		snprintf(err, errlen, "JSON diff: bad path '%.*s'",
			 (int)(pathlen > 200 ? 200 : pathlen), path);
		return -1;
	}
	if (op != MY_JSON_REMOVE) {
		kid = parse_doc(&jp, val, vallen);
		if (!kid)
			goto out;
	}
	if (nl == 0) {
		if (op != MY_JSON_REPLACE) {
			snprintf(err, errlen, "JSON diff: cannot %s '$'",
				 op == MY_JSON_INSERT ? "insert" : "remove");
			goto out;
		}
		jnode_free(jd->root);
		jd->root = kid;
		kid = NULL;
		rc = 0;
		goto out;
	}
	/* walk to the parent of the last leg */
	nd = jd->root;
	for (int i = 0; i < nl - 1; i++) {
		lg = &legs[i];
		if (lg->is_key) {
			long k = nd->kind == J_OBJECT
					 ? find_key(nd, lg->key, lg->klen)
					 : -1;

			if (k < 0)
				goto missing;
			nd = nd->kids[k];
		} else {
			uint64_t ix;

			if (nd->kind != J_ARRAY)
				goto missing;
			ix = leg_index(lg, nd);
			if (ix >= nd->n)
				goto missing;
			nd = nd->kids[ix];
		}
	}
	lg = &legs[nl - 1];
	if (lg->is_key) {
		long k;

		if (nd->kind != J_OBJECT)
			goto missing;
		k = find_key(nd, lg->key, lg->klen);
		if (op == MY_JSON_INSERT) {
			size_t pos = 0;

			if (k >= 0) {
				snprintf(err, errlen,
					 "JSON diff: insert of an existing "
					 "member");
				goto out;
			}
			while (pos < nd->n &&
			       key_cmp(nd->keys[pos], nd->klens[pos], lg->key,
				       lg->klen) < 0)
				pos++;
			if (jinsert(nd, pos, lg->key, lg->klen, kid) < 0) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			kid = NULL;
		} else {
			if (k < 0)
				goto missing;
			if (op == MY_JSON_REPLACE) {
				jnode_free(nd->kids[k]);
				nd->kids[k] = kid;
				kid = NULL;
			} else {
				jnode_free(nd->kids[k]);
				free(nd->keys[k]);
				memmove(nd->keys + k, nd->keys + k + 1,
					(nd->n - (size_t)k - 1) *
						sizeof(*nd->keys));
				memmove(nd->klens + k, nd->klens + k + 1,
					(nd->n - (size_t)k - 1) *
						sizeof(*nd->klens));
				memmove(nd->kids + k, nd->kids + k + 1,
					(nd->n - (size_t)k - 1) *
						sizeof(*nd->kids));
				nd->n--;
			}
		}
	} else {
		uint64_t ix;

		if (nd->kind != J_ARRAY)
			goto missing;
		ix = leg_index(lg, nd);
		if (op == MY_JSON_INSERT) {
			if (ix > nd->n)
				ix = nd->n;
			if (jinsert(nd, (size_t)ix, NULL, 0, kid) < 0) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			kid = NULL;
		} else {
			if (ix >= nd->n)
				goto missing;
			jnode_free(nd->kids[ix]);
			if (op == MY_JSON_REPLACE) {
				nd->kids[ix] = kid;
				kid = NULL;
			} else {
				memmove(nd->kids + ix, nd->kids + ix + 1,
					(nd->n - (size_t)ix - 1) *
						sizeof(*nd->kids));
				nd->n--;
			}
		}
	}
	rc = 0;
	goto out;
missing:
	snprintf(err, errlen, "JSON diff: path '%.*s' not in the document",
		 (int)(pathlen > 200 ? 200 : pathlen), path);
out:
	jnode_free(kid);
	free_legs(legs, nl);
	return rc;
}
