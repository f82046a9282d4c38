/*
 * sqltypes.c -- guest of regress/sql/sqltypes.sql: one export per SQL
 * function, in the core types docs/types.md gives each SQL signature.
 */
#include "guest.h"

/* Every export that takes or returns memory resets the heap after. */
#define POST(name, T) EXPORT(cabi_post_##name) void post_##name(T r) { heap_reset(); }

static string ret;				/* a string result's (ptr, len) */

static string *
give(const char *p, uint32_t n)
{
	ret.ptr = p;
	ret.len = n;
	return &ret;
}

/* numeric, json, jsonb, char(n), name: strings */
EXPORT(num_echo) string *num_echo(const char *p, uint32_t n) { return give(p, n); }
POST(num_echo, int32_t)
EXPORT(num_bad) string *num_bad(void) { return give("12.5.1", 6); }
EXPORT(json_echo) string *json_echo(const char *p, uint32_t n) { return give(p, n); }
POST(json_echo, int32_t)
EXPORT(jsonb_echo) string *jsonb_echo(const char *p, uint32_t n) { return give(p, n); }
POST(jsonb_echo, int32_t)
EXPORT(jsonb_bad) string *jsonb_bad(void) { return give("{\"a\": [1, 2}", 12); }
EXPORT(jsonb_len) int32_t jsonb_len(const char *p, uint32_t n) { heap_reset(); return n; }
EXPORT(bp_echo) string *bp_echo(const char *p, uint32_t n) { return give(p, n); }
POST(bp_echo, int32_t)
EXPORT(name_echo) string *name_echo(const char *p, uint32_t n) { return give(p, n); }
POST(name_echo, int32_t)
EXPORT(name_long) string *
name_long(void)
{
	char	   *s = alloc(1, 70);

	for (int i = 0; i < 70; i++)
		s[i] = 'a' + i % 26;
	return give(s, 70);
}
POST(name_long, int32_t)

/* uuid: tuple<u64, u64>, big-endian halves */
static uint64_t pair[2];
EXPORT(uuid_swap) uint64_t *
uuid_swap(uint64_t hi, uint64_t lo)
{
	pair[0] = lo;
	pair[1] = hi;
	return pair;
}
EXPORT(uuid_hi) int64_t uuid_hi(uint64_t hi, uint64_t lo) { return (int64_t) hi; }

/* dates and times: days and microseconds since 1970-01-01 */
EXPORT(date_days) int32_t date_days(int32_t d) { return d; }
EXPORT(days_date) int32_t days_date(int32_t d) { return d; }
EXPORT(date_next) int32_t date_next(int32_t d) { return d + 1; }
EXPORT(ts_us) int64_t ts_us(int64_t t) { return t; }
EXPORT(us_ts) int64_t us_ts(int64_t t) { return t; }
EXPORT(tsl_us) int64_t tsl_us(int64_t t) { return t; }
EXPORT(us_tsl) int64_t us_tsl(int64_t t) { return t; }
EXPORT(time_us) int64_t time_us(int64_t t) { return t; }
EXPORT(us_time) int64_t us_time(int64_t t) { return t; }

/* interval: record { months: s32, days: s32, microseconds: s64 } */
static struct
{
	int32_t		months,
				days;
	int64_t		us;
}			iv;

EXPORT(iv_double) void *
iv_double(int32_t m, int32_t d, int64_t us)
{
	iv.months = 2 * m;
	iv.days = 2 * d;
	iv.us = 2 * us;
	return &iv;
}

/* oid, regclass: u32 */
EXPORT(oid_next) uint32_t oid_next(uint32_t o) { return o + 1; }
EXPORT(rc_echo) uint32_t rc_echo(uint32_t o) { return o; }

/* enums: the case, in label order */
EXPORT(mood_next) int32_t mood_next(int32_t m) { return m + 1; }
EXPORT(mood_count_ok) int32_t
mood_count_ok(const uint8_t *p, uint32_t n)
{
	int32_t		c = 0;

	for (uint32_t i = 0; i < n; i++)
		c += p[i] == 1;
	heap_reset();
	return c;
}

/* domains: their base type */
EXPORT(dom_dec) int32_t dom_dec(int32_t x) { return x - 1; }
static struct
{
	uint8_t		some;
	string		s;
}			opt;

EXPORT(nn_first) void *
nn_first(int32_t some, const char *p, uint32_t n)
{
	opt.some = some;
	opt.s.ptr = p;
	opt.s.len = n;
	return &opt;
}
POST(nn_first, int32_t)

/* VARIADIC int[]: list<s32> */
EXPORT(vsum) int64_t
vsum(const int32_t *p, uint32_t n)
{
	int64_t		s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += p[i];
	heap_reset();
	return s;
}

/*
 * pdiv(a, b, OUT q, INOUT r): a procedure, so its parameters are options:
 * (a, b, r) -> option<record { q: option<s32>, r: option<s32> }>
 */
static struct
{
	uint8_t		some;
	struct
	{
		uint8_t		has_q;
		int32_t		q;
		uint8_t		has_r;
		int32_t		r;
	}			v;				/* at 4, the record's alignment */
}			pd;

EXPORT(pdiv) void *
pdiv(int32_t has_a, int32_t a, int32_t has_b, int32_t b, int32_t has_r, int32_t r)
{
	pd.some = 1;
	pd.v.has_q = has_a && has_b && b != 0;
	pd.v.q = pd.v.has_q ? a / b : 0;
	pd.v.has_r = pd.v.has_q;
	pd.v.r = pd.v.has_q ? a % b + (has_r ? r : 0) : 0;
	return &pd;
}

/* pair = record { a: option<s32> }, "Pair" = record { b: option<s64> } */
EXPORT(pair_a) int32_t pair_a(int32_t has, int32_t a) { return has ? a : -1; }
EXPORT(pair_b) int32_t pair_b(int32_t has, int64_t b) { return has ? (int32_t) b : -1; }

/* flagged = record { a: option<s32>, b: option<bool> }, with a bad field */
static uint8_t flagged[12];

EXPORT(bad_bool_field) void *
bad_bool_field(void)
{
	flagged[0] = 1;				/* a: some(7) */
	flagged[4] = 7;
	flagged[8] = 1;				/* b: some(2), not a bool */
	flagged[9] = 2;
	return flagged;
}

EXPORT(bad_disc_field) void *
bad_disc_field(void)
{
	bad_bool_field();
	flagged[0] = 3;				/* a: no option */
	return flagged;
}

/* Not STRICT: option<tuple<u64, u64>> and option<interval> -> option<s32> */
static struct
{
	uint8_t		some;
	int32_t		v;
}			opt_s32;

EXPORT(uuid_low_byte) void *
uuid_low_byte(int32_t has, uint64_t hi, uint64_t lo)
{
	opt_s32.some = has;
	opt_s32.v = (int32_t) (lo & 0xff);
	return &opt_s32;
}

EXPORT(iv_days) void *
iv_days(int32_t has, int32_t months, int32_t days, int64_t us)
{
	opt_s32.some = has;
	opt_s32.v = days;
	return &opt_s32;
}

/* Arrays of converted types: date[] is list<s32> of Unix days */
EXPORT(date_min) int32_t
date_min(const int32_t *p, uint32_t n)
{
	int32_t		m = 0x7fffffff;

	for (uint32_t i = 0; i < n; i++)
		if (p[i] < m)
			m = p[i];
	heap_reset();
	return m;
}

/* numeric[] -> int[]: list<string> -> list<s32>, each string's length */
static struct
{
	int32_t    *ptr;
	uint32_t	len;
}			lens;

EXPORT(num_lens) void *
num_lens(const string *p, uint32_t n)
{
	lens.ptr = alloc(4, n * 4);
	for (uint32_t i = 0; i < n; i++)
		lens.ptr[i] = p[i].len;
	lens.len = n;
	return &lens;
}
POST(num_lens, int32_t)
