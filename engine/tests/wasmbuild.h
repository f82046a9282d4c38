/*
** wasmbuild.h -- build small binary modules in unit tests.
**
** A tmod collects section entries; tm_build writes the header and every
** non-empty section in the standard order.  Function bodies are given as
** byte strings ("\x20\x00\x0b": local.get 0, end).  Header-only: every
** test binary includes it once.
*/
#ifndef SF_WASMBUILD_H
#define SF_WASMBUILD_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "slackfuel.h"

typedef struct wbuf
{
	uint8_t		b[16384];
	size_t		n;
} wbuf;

static inline void
wb_bytes(wbuf *w, const void *p, size_t n)
{
	assert(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static inline void
wb_u8(wbuf *w, uint8_t v)
{
	wb_bytes(w, &v, 1);
}

static inline void
wb_u32(wbuf *w, uint32_t v)
{
	do
	{
		uint8_t		b = v & 0x7f;

		v >>= 7;
		wb_u8(w, b | (v ? 0x80 : 0));
	} while (v);
}

static inline void
wb_name(wbuf *w, const char *s)
{
	wb_u32(w, (uint32_t) strlen(s));
	wb_bytes(w, s, strlen(s));
}

/* Value types as letters: i I f F r (funcref) e (externref). */
static inline uint8_t
wb_valtype(char c)
{
	switch (c)
	{
		case 'i': return 0x7f;
		case 'I': return 0x7e;
		case 'f': return 0x7d;
		case 'F': return 0x7c;
		case 'r': return 0x70;
		case 'e': return 0x6f;
	}
	assert(!"bad value type letter");
	return 0;
}

static inline void
wb_valtypes(wbuf *w, const char *s)
{
	wb_u32(w, (uint32_t) strlen(s));
	for (; *s; s++)
		wb_u8(w, wb_valtype(*s));
}

enum
{
	TM_TYPE = 1, TM_IMPORT, TM_FUNC, TM_TABLE, TM_MEMORY, TM_GLOBAL,
	TM_EXPORT, TM_START, TM_ELEM, TM_CODE, TM_DATA, TM_DATACOUNT, TM_NSEC
};

typedef struct tmod
{
	wbuf		sec[TM_NSEC];
	uint32_t	count[TM_NSEC];
	bool		has_start;
	bool		has_datacount;
	uint32_t	datacount;
} tmod;

static inline void
tm_init(tmod *t)
{
	memset(t, 0, sizeof(*t));
}

static inline uint32_t
tm_type(tmod *t, const char *params, const char *results)
{
	wb_u8(&t->sec[TM_TYPE], 0x60);
	wb_valtypes(&t->sec[TM_TYPE], params);
	wb_valtypes(&t->sec[TM_TYPE], results);
	return t->count[TM_TYPE]++;
}

static inline void
tm_import_func(tmod *t, const char *mod, const char *name, uint32_t type)
{
	wbuf	   *w = &t->sec[TM_IMPORT];

	wb_name(w, mod);
	wb_name(w, name);
	wb_u8(w, 0x00);
	wb_u32(w, type);
	t->count[TM_IMPORT]++;
}

static inline void
tm_import_global(tmod *t, const char *mod, const char *name, char type, bool mut)
{
	wbuf	   *w = &t->sec[TM_IMPORT];

	wb_name(w, mod);
	wb_name(w, name);
	wb_u8(w, 0x03);
	wb_u8(w, wb_valtype(type));
	wb_u8(w, mut);
	t->count[TM_IMPORT]++;
}

/* A function with 'locals' as letters (one run per letter) and 'body'. */
static inline uint32_t
tm_func_n(tmod *t, uint32_t type, const char *locals, const void *body, size_t blen)
{
	wbuf		b = {.n = 0};

	wb_u32(&t->sec[TM_FUNC], type);
	t->count[TM_FUNC]++;
	wb_u32(&b, (uint32_t) strlen(locals));
	for (const char *l = locals; *l; l++)
	{
		wb_u32(&b, 1);
		wb_u8(&b, wb_valtype(*l));
	}
	wb_bytes(&b, body, blen);
	wb_u32(&t->sec[TM_CODE], (uint32_t) b.n);
	wb_bytes(&t->sec[TM_CODE], b.b, b.n);
	t->count[TM_CODE]++;
	return t->count[TM_FUNC] - 1;
}

#define tm_func(t, type, locals, body) \
	tm_func_n((t), (type), (locals), (body), sizeof(body) - 1)

static inline void
tm_memory(tmod *t, uint32_t min, int64_t max)
{
	wbuf	   *w = &t->sec[TM_MEMORY];

	wb_u8(w, max >= 0);
	wb_u32(w, min);
	if (max >= 0)
		wb_u32(w, (uint32_t) max);
	t->count[TM_MEMORY]++;
}

static inline void
tm_table(tmod *t, char elem, uint32_t min, int64_t max)
{
	wbuf	   *w = &t->sec[TM_TABLE];

	wb_u8(w, wb_valtype(elem));
	wb_u8(w, max >= 0);
	wb_u32(w, min);
	if (max >= 0)
		wb_u32(w, (uint32_t) max);
	t->count[TM_TABLE]++;
}

/* 'init' is the constant expression including its end byte. */
static inline void
tm_global_n(tmod *t, char type, bool mut, const void *init, size_t n)
{
	wb_u8(&t->sec[TM_GLOBAL], wb_valtype(type));
	wb_u8(&t->sec[TM_GLOBAL], mut);
	wb_bytes(&t->sec[TM_GLOBAL], init, n);
	t->count[TM_GLOBAL]++;
}

#define tm_global(t, type, mut, init) \
	tm_global_n((t), (type), (mut), (init), sizeof(init) - 1)

static inline void
tm_export(tmod *t, const char *name, uint8_t kind, uint32_t index)
{
	wb_name(&t->sec[TM_EXPORT], name);
	wb_u8(&t->sec[TM_EXPORT], kind);
	wb_u32(&t->sec[TM_EXPORT], index);
	t->count[TM_EXPORT]++;
}

static inline void
tm_start(tmod *t, uint32_t f)
{
	t->has_start = true;
	t->sec[TM_START].n = 0;
	wb_u32(&t->sec[TM_START], f);
}

/* A raw element or data segment (everything after the count). */
#define tm_elem(t, raw) \
	(wb_bytes(&(t)->sec[TM_ELEM], (raw), sizeof(raw) - 1), (t)->count[TM_ELEM]++)
#define tm_data(t, raw) \
	(wb_bytes(&(t)->sec[TM_DATA], (raw), sizeof(raw) - 1), (t)->count[TM_DATA]++)

static inline void
tm_datacount(tmod *t, uint32_t n)
{
	t->has_datacount = true;
	t->datacount = n;
}

static inline void
tm_section(wbuf *out, uint8_t id, const wbuf *content)
{
	wb_u8(out, id);
	wb_u32(out, (uint32_t) content->n);
	wb_bytes(out, content->b, content->n);
}

static inline void
tm_vec_section(wbuf *out, uint8_t id, uint32_t count, const wbuf *entries)
{
	static wbuf tmp;

	tmp.n = 0;
	wb_u32(&tmp, count);
	wb_bytes(&tmp, entries->b, entries->n);
	tm_section(out, id, &tmp);
}

static inline void
tm_header(wbuf *out)
{
	out->n = 0;
	wb_bytes(out, "\0asm\1\0\0\0", 8);
}

static inline void
tm_build(tmod *t, wbuf *out)
{
	static const uint8_t order[] = {
		TM_TYPE, TM_IMPORT, TM_FUNC, TM_TABLE, TM_MEMORY, TM_GLOBAL, TM_EXPORT,
		TM_START, TM_ELEM, TM_DATACOUNT, TM_CODE, TM_DATA
	};

	tm_header(out);
	for (size_t i = 0; i < sizeof(order); i++)
	{
		uint8_t		id = order[i];

		if (id == TM_START && t->has_start)
			tm_section(out, id, &t->sec[id]);
		else if (id == TM_DATACOUNT && t->has_datacount)
		{
			wbuf		c = {.n = 0};

			wb_u32(&c, t->datacount);
			tm_section(out, id, &c);
		}
		else if (id != TM_START && id != TM_DATACOUNT && t->count[id])
			tm_vec_section(out, id, t->count[id], &t->sec[id]);
	}
}

/* Load 'w' with the default config; the module (or NULL) and 'err'. */
static inline sf_module *
tm_load(const wbuf *w, sf_error *err)
{
	return sf_module_load(w->b, w->n, NULL, err);
}

#endif							/* SF_WASMBUILD_H */
