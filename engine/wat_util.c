/*
** wat_util.c -- byte buffers, identifier maps and error reporting for the
** text-format parser.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat.h"

/*
** Grow 'b' so that 'extra' more bytes fit.  The total is capped so that no
** text, however hostile, makes the parser allocate without bound; 'oom' is
** 1 for a failed allocation and 2 for the cap.
*/
int
wat_buf_reserve(wat_buf *b, size_t extra)
{
	size_t		need;
	size_t		cap;
	uint8_t    *np;

	if (b->oom)
		return -1;
	if (extra > WAT_MAX_OUTPUT || b->len + extra > WAT_MAX_OUTPUT)
	{
		b->oom = 2;
		return -1;
	}
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	np = realloc(b->p, cap);
	if (np == NULL)
	{
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

void
wat_buf_byte(wat_buf *b, uint8_t v)
{
	if (wat_buf_reserve(b, 1) == 0)
		b->p[b->len++] = v;
}

void
wat_buf_bytes(wat_buf *b, const void *src, size_t n)
{
	if (n > 0 && wat_buf_reserve(b, n) == 0)
	{
		memcpy(b->p + b->len, src, n);
		b->len += n;
	}
}

void
wat_buf_u32(wat_buf *b, uint32_t v)
{
	do
	{
		uint8_t		byte = v & 0x7f;

		v >>= 7;
		wat_buf_byte(b, byte | (v ? 0x80 : 0));
	} while (v);
}

void
wat_buf_s64(wat_buf *b, int64_t v)
{
	for (;;)
	{
		uint8_t		byte = v & 0x7f;
		int			done;

		/* arithmetic shift; written out so it holds for negative values */
		v = v < 0 ? ~(~v >> 7) : v >> 7;
		done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
		wat_buf_byte(b, byte | (done ? 0 : 0x80));
		if (done)
			break;
	}
}

void
wat_buf_s32(wat_buf *b, int32_t v)
{
	wat_buf_s64(b, v);
}

void
wat_buf_free(wat_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* FNV-1a over the key bytes. */
static uint32_t
map_hash(const char *k, uint32_t n)
{
	uint32_t	h = 2166136261u;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ (uint8_t) k[i]) * 16777619u;
	return h;
}

static int
map_grow(wat_map *m, const char *base)
{
	uint32_t	ncap = m->cap ? m->cap * 2 : 16;
	wat_map_ent *ne;

	if (ncap == 0 || ncap > (1u << 28))
		return -1;
	ne = malloc((size_t) ncap * sizeof(*ne));
	if (ne == NULL)
		return -1;
	for (uint32_t i = 0; i < ncap; i++)
		ne[i].val = UINT32_MAX;
	for (uint32_t i = 0; i < m->cap; i++)
	{
		wat_map_ent *e = &m->ents[i];
		uint32_t	j;

		if (e->val == UINT32_MAX)
			continue;
		j = map_hash(base + e->koff, e->klen) & (ncap - 1);
		while (ne[j].val != UINT32_MAX)
			j = (j + 1) & (ncap - 1);
		ne[j] = *e;
	}
	free(m->ents);
	m->ents = ne;
	m->cap = ncap;
	return 0;
}

/*
** Insert key -> val.  Returns 1 if the key was already present (the old
** value stays), 0 if inserted, -1 when out of memory.
*/
int
wat_map_put(wat_map *m, const char *base, size_t koff, uint32_t klen,
			uint32_t val)
{
	uint32_t	j;

	if (wat_map_get(m, base, koff, klen) >= 0)
		return 1;
	if ((m->n + 1) * 2 > m->cap && map_grow(m, base) < 0)
		return -1;
	j = map_hash(base + koff, klen) & (m->cap - 1);
	while (m->ents[j].val != UINT32_MAX)
		j = (j + 1) & (m->cap - 1);
	m->ents[j].koff = koff;
	m->ents[j].klen = klen;
	m->ents[j].val = val;
	m->n++;
	return 0;
}

int64_t
wat_map_get(const wat_map *m, const char *base, size_t koff, uint32_t klen)
{
	uint32_t	j;

	if (m->cap == 0)
		return -1;
	j = map_hash(base + koff, klen) & (m->cap - 1);
	while (m->ents[j].val != UINT32_MAX)
	{
		const wat_map_ent *e = &m->ents[j];

		if (e->klen == klen && memcmp(base + e->koff, base + koff, klen) == 0)
			return e->val;
		j = (j + 1) & (m->cap - 1);
	}
	return -1;
}

void
wat_map_free(wat_map *m)
{
	free(m->ents);
	memset(m, 0, sizeof(*m));
}

/* 1-based line and column (in bytes) of offset 'off'. */
static void
line_col(const wat_parser *p, size_t off, size_t *line, size_t *col)
{
	size_t		l = 1;
	size_t		start = 0;

	if (off > p->len)
		off = p->len;
	for (size_t i = 0; i < off; i++)
		if (p->text[i] == '\n')
		{
			l++;
			start = i + 1;
		}
	*line = l;
	*col = off - start + 1;
}

/* Record the first error as "line:col: message"; always returns -1. */
int
wat_fail(wat_parser *p, size_t off, const char *fmt, ...)
{
	char		msg[SF_ERROR_MSG_LEN];
	size_t		line;
	size_t		col;
	va_list		ap;

	if (p->failed)
		return -1;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_col(p, off, &line, &col);
	sf_error_set(p->err, SF_MALFORMED, "%zu:%zu: %s", line, col, msg);
	if (p->err)
		p->err->offset = (int64_t) off;
	return -1;
}

/* "expected WHAT but found 'TOKEN'" at the current token. */
int
wat_fail_expected(wat_parser *p, const char *what)
{
	const wat_tok *t = &p->tok;
	char		shown[48];
	size_t		n = t->len;

	if (t->kind == WT_EOF)
		return wat_fail(p, t->off, "expected %s but found end of input", what);
	if (n > 40)
		n = 40;
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) p->text[t->off + i];

		shown[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char) c;
	}
	shown[n] = '\0';
	return wat_fail(p, t->off, "expected %s but found '%s%s'", what, shown,
					t->len > 40 ? "..." : "");
}

/* Turn a buffer's sticky allocation failure into an error. */
int
wat_check_output(wat_parser *p, const wat_buf *b)
{
	if (!b->oom)
		return 0;
	if (p->failed)
		return -1;
	p->failed = 1;
	if (b->oom == 2)
		sf_error_set(p->err, SF_LIMIT,
					 "binary output would exceed %u bytes", WAT_MAX_OUTPUT);
	else
		sf_error_set(p->err, SF_NOMEM, "out of memory");
	if (p->err)
		p->err->offset = (int64_t) p->tok.off;
	return -1;
}
