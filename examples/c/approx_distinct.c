/*
 * approx_count_distinct(text): an aggregate estimating the number of
 * distinct values with a HyperLogLog sketch of 1024 one-byte registers
 * (standard error about 3.3%), in constant memory whatever the input.
 * Its state is the sketch as bytea, so parallel workers' sketches are
 * merged by a combine function:
 *
 *	hll_add(state bytea, value text) -> bytea		state function
 *	hll_merge(a bytea, b bytea) -> bytea			combine function
 *	hll_count(state bytea) -> bigint				final function
 *
 *	CREATE AGGREGATE approx_count_distinct(text) (
 *		sfunc = hll_add, stype = bytea, initcond = '',
 *		combinefunc = hll_merge, finalfunc = hll_count, parallel = safe);
 *
 * The empty bytea (initcond) is the empty sketch.  Built with wasi-libc
 * for log().
 */
#include <math.h>

#include "slackfuel.h"

#define P 10					/* index bits */
#define M (1 << P)				/* registers */

/* FNV-1a over the bytes, then murmur3's 64-bit finaliser to mix them. */
static uint64_t
hash(sf_string s)
{
	uint64_t	h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < s.len; i++)
		h = (h ^ (unsigned char) s.ptr[i]) * 0x100000001b3u;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h;
}

/* A sketch from a state: the empty state becomes a new, zeroed sketch. */
static sf_bytes
sketch(sf_bytes state)
{
	sf_bytes	s;

	if (state.len == M)
		return state;
	if (state.len != 0)
		sf_trap();				/* not a state of this aggregate */
	s = sf_bytes_new(M);
	memset(s.ptr, 0, M);
	return s;
}

/* The argument's buffer is updated in place and returned. */
static sf_bytes
hll_add(sf_bytes state, sf_string value)
{
	sf_bytes	s = sketch(state);
	uint64_t	h = hash(value);
	uint64_t	rest = h << P;
	uint8_t		rank = rest == 0 ? 64 - P + 1 : (uint8_t) (__builtin_clzll(rest) + 1);
	uint8_t    *r = &s.ptr[h >> (64 - P)];

	if (rank > *r)
		*r = rank;
	return s;
}
SF_EXPORT(hll_add, sf_bytes, sf_bytes, sf_string)

static sf_bytes
hll_merge(sf_bytes a, sf_bytes b)
{
	sf_bytes	x = sketch(a);
	sf_bytes	y = sketch(b);

	for (int i = 0; i < M; i++)
		if (y.ptr[i] > x.ptr[i])
			x.ptr[i] = y.ptr[i];
	return x;
}
SF_EXPORT(hll_merge, sf_bytes, sf_bytes, sf_bytes)

static int64_t
hll_count(sf_bytes state)
{
	sf_bytes	s = sketch(state);
	double		sum = 0;
	int			zeros = 0;
	double		estimate;

	for (int i = 0; i < M; i++)
	{
		sum += ldexp(1.0, -s.ptr[i]);
		zeros += s.ptr[i] == 0;
	}
	estimate = 0.7213 / (1 + 1.079 / M) * M * M / sum;
	if (estimate <= 2.5 * M && zeros > 0)
		estimate = M * log((double) M / zeros);		/* linear counting */
	return (int64_t) (estimate + 0.5);
}
SF_EXPORT(hll_count, int64_t, sf_bytes)
