/*
** read.h -- bounds-checked reading of the binary format (engine-internal).
**
** A reader walks [p, end) of a buffer whose start is 'base' (so offsets in
** messages are module offsets).  Every read checks the bound; on failure it
** returns false and leaves in 'err' the spec's wording for what went wrong,
** so callers only add where it happened.  The one-byte LEB128 case is
** inlined because it is by far the most common in code.
*/
#ifndef SF_READ_H
#define SF_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

typedef struct sf_reader
{
	const uint8_t *base;
	const uint8_t *p;
	const uint8_t *end;
	const char *err;			/* why the last read failed */
} sf_reader;

static inline void
sf_rd_init(sf_reader *r, const uint8_t *base, size_t off, size_t end)
{
	r->base = base;
	r->p = base + off;
	r->end = base + end;
	r->err = NULL;
}

static inline uint32_t
sf_rd_off(const sf_reader *r)
{
	return (uint32_t) (r->p - r->base);
}

static inline size_t
sf_rd_left(const sf_reader *r)
{
	return (size_t) (r->end - r->p);
}

static inline bool
sf_rd_eof(const sf_reader *r)
{
	return r->p >= r->end;
}

static inline bool
sf_rd_fail(sf_reader *r, const char *why)
{
	r->err = why;
	return false;
}

static inline bool
sf_rd_u8(sf_reader *r, uint8_t *out)
{
	if (SF_UNLIKELY(r->p >= r->end))
		return sf_rd_fail(r, "unexpected end");
	*out = *r->p++;
	return true;
}

static inline bool
sf_rd_bytes(sf_reader *r, size_t n, const uint8_t **out)
{
	if (SF_UNLIKELY(sf_rd_left(r) < n))
		return sf_rd_fail(r, "unexpected end");
	*out = r->p;
	r->p += n;
	return true;
}

/*
** LEB128 of at most 'bits' bits.  The spec allows at most ceil(bits/7)
** bytes; in the last one the bits beyond 'bits' must be zero (unsigned) or
** copies of the sign bit (signed).
*/
static inline bool
sf_rd_leb(sf_reader *r, unsigned bits, bool is_signed, uint64_t *out)
{
	const uint8_t *p = r->p;
	unsigned	maxbytes = (bits + 6) / 7;
	uint64_t	result = 0;
	unsigned	shift = 0;
	uint8_t		b;

	for (unsigned i = 0;; i++)
	{
		if (SF_UNLIKELY(p >= r->end))
			return sf_rd_fail(r, "unexpected end");
		b = *p++;
		if (i == maxbytes - 1)
		{
			unsigned	used = bits - 7 * i;
			uint8_t		mask;

			if (b & 0x80)
				return sf_rd_fail(r, "integer representation too long");
			if (is_signed)
			{
				mask = (uint8_t) ((0x7f >> (used - 1)) << (used - 1));
				if ((b & mask) != 0 && (b & mask) != mask)
					return sf_rd_fail(r, "integer too large");
			}
			else if (b & (0x7f & ~((1u << used) - 1)))
				return sf_rd_fail(r, "integer too large");
		}
		result |= (uint64_t) (b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (is_signed && shift < 64 && (b & 0x40))
		result |= ~(uint64_t) 0 << shift;
	r->p = p;
	*out = result;
	return true;
}

static inline bool
sf_rd_u32(sf_reader *r, uint32_t *out)
{
	uint64_t	v;

	if (SF_LIKELY(r->p < r->end && *r->p < 0x80))
	{
		*out = *r->p++;
		return true;
	}
	if (!sf_rd_leb(r, 32, false, &v))
		return false;
	*out = (uint32_t) v;
	return true;
}

/* One-byte signed LEB128: bit 6 is the sign. */
static inline bool
sf_rd_s7(sf_reader *r, int64_t *out)
{
	if (SF_LIKELY(r->p < r->end && *r->p < 0x80))
	{
		*out = (int64_t) ((uint64_t) *r->p++ << 57) >> 57;
		return true;
	}
	return false;
}

static inline bool
sf_rd_s32(sf_reader *r, int32_t *out)
{
	uint64_t	v;
	int64_t		small;

	if (sf_rd_s7(r, &small))
	{
		*out = (int32_t) small;
		return true;
	}
	if (!sf_rd_leb(r, 32, true, &v))
		return false;
	*out = (int32_t) (uint32_t) v;
	return true;
}

static inline bool
sf_rd_s33(sf_reader *r, int64_t *out)
{
	uint64_t	v;

	if (!sf_rd_leb(r, 33, true, &v))
		return false;
	*out = (int64_t) v;
	return true;
}

static inline bool
sf_rd_s64(sf_reader *r, int64_t *out)
{
	uint64_t	v;

	if (sf_rd_s7(r, out))
		return true;
	if (!sf_rd_leb(r, 64, true, &v))
		return false;
	*out = (int64_t) v;
	return true;
}

static inline bool
sf_rd_f32(sf_reader *r, uint32_t *bits)
{
	const uint8_t *b;

	if (!sf_rd_bytes(r, 4, &b))
		return false;
	memcpy(bits, b, 4);			/* the engine only targets little-endian */
	return true;
}

static inline bool
sf_rd_f64(sf_reader *r, uint64_t *bits)
{
	const uint8_t *b;

	if (!sf_rd_bytes(r, 8, &b))
		return false;
	memcpy(bits, b, 8);
	return true;
}

/* True if [s, s+len) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
bool		sf_utf8_valid(const uint8_t *s, size_t len);

#endif							/* SF_READ_H */
