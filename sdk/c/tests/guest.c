/*
 * The C SDK's test guest (regress/sql/sdk_c.sql), built twice: freestanding
 * (the SDK's own allocator) and against wasi-libc (malloc).
 */
#include "slackfuel.h"

/* Scalars cross unchanged. */
static bool
not_b(bool b)
{
	return !b;
}
SF_EXPORT(not_b, bool, bool)

static int16_t
neg16(int16_t x)
{
	return (int16_t) -x;
}
SF_EXPORT(neg16, int16_t, int16_t)

static int64_t
mix(int32_t a, int64_t b, float c, double d, bool e)
{
	return a + b + (int64_t) (c * 2) + (int64_t) (d * 4) + e;
}
SF_EXPORT(mix, int64_t, int32_t, int64_t, float, double, bool)

static double
halve(double x)
{
	return x / 2;
}
SF_EXPORT(halve, double, double)

static float
twice(float x)
{
	return x * 2;
}
SF_EXPORT(twice, float, float)

/* A result that is a view of an argument: no copy. */
static sf_string
echo(sf_string s)
{
	return s;
}
SF_EXPORT(echo, sf_string, sf_string)

/* The part of 's' between 'from' and 'to' bytes: a view into it. */
static sf_string
slice(sf_string s, int32_t from, int32_t to)
{
	if (from < 0 || to < from || (size_t) to > s.len)
		sf_trap();
	return (sf_string) {s.ptr + from, (size_t) (to - from)};
}
SF_EXPORT(slice, sf_string, sf_string, int32_t, int32_t)

/* A new result, freed by cabi_post_concat. */
static sf_string
concat(sf_string a, sf_string b)
{
	sf_string	r = sf_string_new(a.len + b.len);

	memcpy(r.ptr, a.ptr, a.len);
	memcpy(r.ptr + a.len, b.ptr, b.len);
	return r;
}
SF_EXPORT(concat, sf_string, sf_string, sf_string)

/* A literal result. */
static sf_string
greeting(void)
{
	return SF_STR("hello from C");
}
SF_EXPORT(greeting, sf_string)

static sf_bytes
reversed(sf_bytes b)
{
	sf_bytes	r = sf_bytes_new(b.len);

	for (size_t i = 0; i < b.len; i++)
		r.ptr[i] = b.ptr[b.len - 1 - i];
	return r;
}
SF_EXPORT(reversed, sf_bytes, sf_bytes)

static int32_t
byte_sum(sf_bytes b)
{
	int32_t		sum = 0;

	for (size_t i = 0; i < b.len; i++)
		sum += b.ptr[i];
	return sum;
}
SF_EXPORT(byte_sum, int32_t, sf_bytes)

/* State kept between calls, in a global and in memory from sf_alloc. */
static int64_t total;
static sf_string last = {0};

static int64_t
remember(sf_string s)
{
	sf_free(last.ptr);
	last.ptr = sf_alloc(s.len ? s.len : 1);
	memcpy(last.ptr, s.ptr, s.len);
	last.len = s.len;
	total += (int64_t) s.len;
	return total;
}
SF_EXPORT(remember, int64_t, sf_string)

static sf_string
recall(void)
{
	return last;
}
SF_EXPORT(recall, sf_string)

/*
 * The allocator under churn: 'n' blocks of sizes 1 to 5000 bytes, each
 * filled with a pattern; every third freed, the rest grown by realloc;
 * then every pattern checked and every block freed.  Returns the number
 * of blocks intact (n when all is well).
 */
static int32_t
churn_once(int32_t n)
{
	uint8_t   **p = sf_scratch((size_t) n * sizeof(uint8_t *));
	size_t	   *len = sf_scratch((size_t) n * sizeof(size_t));
	int32_t		intact = 0;

	for (int32_t i = 0; i < n; i++)
	{
		len[i] = 1 + (size_t) (i * 7919) % 5000;
		p[i] = sf_alloc(len[i]);
		memset(p[i], i & 0xff, len[i]);
	}
	for (int32_t i = 0; i < n; i += 3)
	{
		sf_free(p[i]);
		p[i] = NULL;
	}
	for (int32_t i = 0; i < n; i++)
	{
		if (p[i] == NULL)
			continue;
		p[i] = sf_realloc(p[i], len[i] * 2);
		memset(p[i] + len[i], i & 0xff, len[i]);
		len[i] *= 2;
	}
	for (int32_t i = 0; i < n; i++)
	{
		bool		ok = true;

		if (p[i] == NULL)
		{
			intact++;
			continue;
		}
		for (size_t k = 0; k < len[i]; k++)
			ok &= p[i][k] == (uint8_t) (i & 0xff);
		intact += ok;
		sf_free(p[i]);
	}
	return intact;
}

/* Churns twice: the second run must fit in the memory the first freed. */
static int32_t
churn(int32_t n)
{
	size_t		pages;

	churn_once(n);
	pages = __builtin_wasm_memory_size(0);
	n = churn_once(n);
	return __builtin_wasm_memory_size(0) == pages ? n : -1;
}
SF_EXPORT(churn, int32_t, int32_t)

/* Freeing twice is caught, not a corrupted heap. */
static int32_t
double_free(void)
{
	void	   *p = sf_alloc(10);

	sf_free(p);
	sf_free(p);
	return 0;
}
SF_EXPORT(double_free, int32_t)

/*
 * Allocates 'mb' megabytes and keeps them (in a chain, so that the
 * compiler cannot drop the allocations): stopped by slackfuel.max_memory.
 */
static void *hoarded;

static int32_t
hoard(int32_t mb)
{
	for (int32_t i = 0; i < mb; i++)
	{
		void	  **p = sf_alloc(1 << 20);

		if (p == NULL)
			return i;
		*p = hoarded;
		hoarded = p;
	}
	return mb;
}
SF_EXPORT(hoard, int32_t, int32_t)

static void
nothing(void)
{
}
SF_EXPORT(nothing, void)

/* The host interface: messages, errors, read-only SQL. */
static int32_t
talk(int32_t level)
{
	sf_log((sf_level) level, "a message from C");
	sf_notice("and a notice");
	return level;
}
SF_EXPORT(talk, int32_t, int32_t)

static int32_t
fail_with(int32_t how)
{
	if (how == 1)
		sf_raise("22012", "custom division error", "a detail", "a hint");
	if (how == 2)
		sf_raise("", "plain error", NULL, NULL);
	if (how == 3)
		sf_raise("XX000", "an internal error is refused", NULL, NULL);
	return how;
}
SF_EXPORT(fail_with, int32_t, int32_t)

/* The sum of 1..n, and the longest text, read from SQL. */
static sf_string
queried(int32_t n)
{
	sf_value	params[2] = {SF_VALUE_INT4(n), SF_VALUE_TEXT(SF_STR("x"))};
	sf_rows		rows = sf_query("SELECT g::bigint, repeat($2, g) FROM generate_series(1, $1) g",
								params, 2, 0);
	int64_t		sum = 0;
	sf_string	longest = SF_STR("");
	sf_string	out = sf_string_new(32);
	size_t		len = 0;
	char		digits[24];
	int			nd = 0;

	for (size_t i = 0; i < rows.len; i++)
	{
		sum += rows.ptr[i].ptr[0].as.i8;
		if (rows.ptr[i].ptr[1].as.text.len > longest.len)
			longest = rows.ptr[i].ptr[1].as.text;
	}
	do
		digits[nd++] = (char) ('0' + sum % 10);
	while ((sum /= 10) > 0);
	while (nd > 0)
		out.ptr[len++] = digits[--nd];
	out.ptr[len++] = ' ';
	for (size_t i = 0; i < longest.len && len < 32; i++)
		out.ptr[len++] = longest.ptr[i];
	out.len = len;
	return out;
}
SF_EXPORT(queried, sf_string, int32_t)
