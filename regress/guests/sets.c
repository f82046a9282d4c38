/*
 * sets.c -- guest of regress/sql/sets.sql: set-returning functions as
 * list<T> (all at once) and as iterators (<export>_next, _close).
 */
#include "guest.h"

#define POST(name) EXPORT(cabi_post_##name) void post_##name(int32_t r) { heap_reset(); }

static struct
{
	void	   *ptr;
	uint32_t	len;
}			list;

/* series(n) -> list<s32>: 1..n */
EXPORT(series) void *
series(int32_t n)
{
	int32_t    *v = alloc(4, (size_t) (n > 0 ? n : 0) * 4);

	for (int32_t i = 0; i < n; i++)
		v[i] = i + 1;
	list.ptr = v;
	list.len = n > 0 ? n : 0;
	return &list;
}
POST(series)

/* pairs(n) -> list<record { i: option<s32>, sq: option<s64> }> */
typedef struct
{
	uint8_t		has_i;
	int32_t		i;
	uint8_t		has_sq;
	int64_t		sq;
} pair;

EXPORT(pairs) void *
pairs(int32_t n)
{
	pair	   *v = alloc(8, (size_t) n * sizeof(pair));

	for (int32_t i = 0; i < n; i++)
	{
		v[i].has_i = 1;
		v[i].i = i;
		v[i].has_sq = i != 2;	/* a NULL in row 3 */
		v[i].sq = (int64_t) i * i;
	}
	list.ptr = v;
	list.len = n;
	return &list;
}
POST(pairs)

/* words() -> list<string> */
EXPORT(words) void *
words(void)
{
	static string w[3] = {{"ab", 2}, {"", 0}, {"w\xc3\xb6rld", 6}};

	list.ptr = w;
	list.len = 3;
	return &list;
}

/* maybe(n) -> list<option<s32>>: the odd ones, NULL for the even */
EXPORT(maybe) void *
maybe(int32_t has_n, int32_t n)
{
	struct
	{
		uint8_t		some;
		int32_t		v;
	}		   *v = alloc(4, (size_t) n * 8);

	for (int32_t i = 0; i < n; i++)
	{
		v[i].some = i % 2;
		v[i].v = i;
	}
	list.ptr = v;
	list.len = has_n ? n : 0;
	return &list;
}
POST(maybe)

/* bad_list() -> list<s32> beyond memory */
EXPORT(bad_list) void *
bad_list(void)
{
	list.ptr = (void *) 16;
	list.len = 0x40000000;
	return &list;
}

/*
 * stream(n) -> u32, stream_next(it) -> option<s32>, stream_close(it):
 * 1..n, endless for n < 0; at most 8 iterators at once, so that an
 * iterator left unclosed shows.
 */
static struct
{
	int32_t		used,
				next,
				end;
}			its[8];
static struct
{
	uint8_t		some;
	int32_t		v;
}			row;

EXPORT(stream) uint32_t
stream(int32_t n)
{
	for (uint32_t i = 0; i < 8; i++)
		if (!its[i].used)
		{
			its[i].used = 1;
			its[i].next = 1;
			its[i].end = n;
			return i;
		}
	__builtin_trap();
}

EXPORT(stream_next) void *
stream_next(uint32_t it)
{
	if (it >= 8 || !its[it].used)
		__builtin_trap();
	row.some = its[it].end < 0 || its[it].next <= its[it].end;
	row.v = its[it].next++;
	if (!row.some)
		its[it].used = 0;
	return &row;
}

EXPORT(stream_close) void
stream_close(uint32_t it)
{
	if (it >= 8 || !its[it].used)
		__builtin_trap();
	its[it].used = 0;
}

/* trap_at(k): an iterator whose k-th row traps */
EXPORT(trap_at) uint32_t trap_at(int32_t k) { return stream(k); }
EXPORT(trap_at_next) void *
trap_at_next(uint32_t it)
{
	if (its[it].next == its[it].end)
		__builtin_trap();
	return stream_next(it);
}

/* text_stream(n) -> iterator of option<string>: "row 1" .. "row n" */
static struct
{
	uint8_t		some;
	string		s;
}			srow;

EXPORT(text_stream) uint32_t text_stream(int32_t n) { return stream(n); }
EXPORT(text_stream_next) void *
text_stream_next(uint32_t it)
{
	sb			b = {0};

	heap_reset();
	srow.some = its[it].next <= its[it].end;
	sb_str(&b, "row ");
	sb_int(&b, its[it].next++);
	srow.s.ptr = b.buf;
	srow.s.len = b.len;
	if (!srow.some)
		its[it].used = 0;
	return &srow;
}

/* pairs_t(n) -> list<pairt>, pairt the same record as pairs' rows */
EXPORT(pairs_t) void *pairs_t(int32_t n) { return pairs(n); }
POST(pairs_t)

/* pairs_d(n): the same rows, declared as a domain over pairt */
EXPORT(pairs_d) void *pairs_d(int32_t n) { return pairs(n); }
POST(pairs_d)

/* stream_i(n): stream, under the name of an IMMUTABLE declaration */
EXPORT(stream_i) uint32_t stream_i(int32_t n) { return stream(n); }
EXPORT(stream_i_next) void *stream_i_next(uint32_t it) { return stream_next(it); }
EXPORT(stream_i_close) void stream_i_close(uint32_t it) { stream_close(it); }
