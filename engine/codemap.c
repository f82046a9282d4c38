/*
** codemap.c -- the encoding of code maps (codemap.h): written once per
** function by the compiler, read only to explain a trap.
*/
#include <stdlib.h>
#include <string.h>

#include "codemap.h"

/* A change too large for its byte: the escape, then the value itself. */
#define CODE_FAR	0xFF
#define WASM_FAR	128

static bool
reserve(sf_codemap_buf *out, size_t more)
{
	size_t		cap;
	uint8_t    *nb;

	if (out->oom)
		return false;
	if (out->n + more <= out->cap)
		return true;
	cap = out->cap ? out->cap * 2 : 1024;
	while (cap < out->n + more)
		cap *= 2;
	nb = realloc(out->b, cap);
	if (nb == NULL)
	{
		out->oom = true;
		return false;
	}
	out->b = nb;
	out->cap = cap;
	return true;
}

static inline uint8_t *
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static inline uint32_t
get32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return v;
}

/*
** Point p after the last one stored, at (*code, *wasm): the code offset's
** increase and the wasm offset's change, a byte each unless too large.
** Nothing when the same operator goes on.
*/
static inline uint8_t *
put_point(uint8_t *w, const sf_codemap_point *p, uint32_t *code, uint32_t *wasm)
{
	uint32_t	dc = p->code - *code;
	int64_t		dw = (int64_t) p->wasm - (int64_t) *wasm;

	if (dw == 0 && *code != 0)
		return w;
	if (dc < CODE_FAR)
		*w++ = (uint8_t) dc;
	else
	{
		*w++ = CODE_FAR;
		w = put32(w, p->code);
	}
	if (dw > -WASM_FAR && dw < WASM_FAR)
		*w++ = (uint8_t) (int8_t) dw;
	else
	{
		*w++ = (uint8_t) WASM_FAR;
		w = put32(w, p->wasm);
	}
	*code = p->code;
	*wasm = p->wasm;
	return w;
}

void
sf_codemap_put(sf_codemap_buf *out, const sf_codemap_marks *marks,
			   const sf_codemap_point *p, uint32_t n, uint32_t wasm_base)
{
	uint32_t	code = 0,
				wasm = wasm_base;
	uint8_t    *w;

	if (!reserve(out, 8 + (size_t) n * 10))
		return;
	w = out->b + out->n;
	w = put32(w, marks->frame_at);
	w = put32(w, marks->thunks_at);
	/* of points at one code offset, the last one counts */
	for (uint32_t i = 0; i + 1 < n; i++)
		if (p[i + 1].code != p[i].code)
			w = put_point(w, &p[i], &code, &wasm);
	if (n > 0)
		w = put_point(w, &p[n - 1], &code, &wasm);
	out->n = (size_t) (w - out->b);
}

uint32_t
sf_codemap_find(const uint8_t *map, const uint8_t *end, uint32_t wasm_base,
				uint32_t off, sf_codemap_marks *marks)
{
	const uint8_t *p = map;
	uint32_t	code = 0,
				wasm = wasm_base,
				found = wasm_base;

	marks->frame_at = marks->thunks_at = 0;
	if (end - p < 8)
		return wasm_base;
	marks->frame_at = get32(p);
	marks->thunks_at = get32(p + 4);
	p += 8;
	while (p < end)
	{
		if (*p != CODE_FAR)
			code += *p++;
		else if (end - p >= 5)
		{
			code = get32(p + 1);
			p += 5;
		}
		else
			break;
		if (p >= end)
			break;
		if (*p != (uint8_t) WASM_FAR)
			wasm += (uint32_t) (int32_t) (int8_t) *p++;
		else if (end - p >= 5)
		{
			wasm = get32(p + 1);
			p += 5;
		}
		else
			break;
		if (code > off)
			break;
		found = wasm;
	}
	return found;
}
