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

/* Lists (arrays): in, out, of strings, and as a set (RETURNS SETOF). */
static int64_t
sum_i32(sf_list_i32 xs)
{
	int64_t		sum = 0;

	for (size_t i = 0; i < xs.len; i++)
		sum += xs.ptr[i];
	return sum;
}
SF_EXPORT(sum_i32, int64_t, sf_list_i32)

static sf_list_f64
scaled(sf_list_f64 xs, double k)
{
	sf_list_f64 r = {sf_scratch(xs.len * sizeof(double) + 1), xs.len};

	for (size_t i = 0; i < xs.len; i++)
		r.ptr[i] = xs.ptr[i] * k;
	return r;
}
SF_EXPORT(scaled, sf_list_f64, sf_list_f64, double)

static int32_t
count_true(sf_list_bool bs)
{
	int32_t		n = 0;

	for (size_t i = 0; i < bs.len; i++)
		n += bs.ptr[i];
	return n;
}
SF_EXPORT(count_true, int32_t, sf_list_bool)

static sf_list_i64
widths(sf_list_bytes bs)
{
	sf_list_i64 r = {sf_scratch(bs.len * sizeof(int64_t) + 1), bs.len};

	for (size_t i = 0; i < bs.len; i++)
		r.ptr[i] = (int64_t) bs.ptr[i].len;
	return r;
}
SF_EXPORT(widths, sf_list_i64, sf_list_bytes)

/* The strings joined with 'sep': a new string. */
static sf_string
joined(sf_list_string xs, sf_string sep)
{
	size_t		len = 0,
				at = 0;
	sf_string	r;

	for (size_t i = 0; i < xs.len; i++)
		len += xs.ptr[i].len + (i > 0 ? sep.len : 0);
	r = sf_string_new(len);
	for (size_t i = 0; i < xs.len; i++)
	{
		if (i > 0)
		{
			memcpy(r.ptr + at, sep.ptr, sep.len);
			at += sep.len;
		}
		memcpy(r.ptr + at, xs.ptr[i].ptr, xs.ptr[i].len);
		at += xs.ptr[i].len;
	}
	return r;
}
SF_EXPORT(joined, sf_string, sf_list_string, sf_string)

/* The words of 's' (split on spaces): views into it, as text[] or a set. */
static sf_list_string
words(sf_string s)
{
	sf_list_string r = {sf_scratch((s.len / 2 + 1) * sizeof(sf_string)), 0};
	size_t		i = 0;

	while (i < s.len)
	{
		size_t		start;

		while (i < s.len && s.ptr[i] == ' ')
			i++;
		start = i;
		while (i < s.len && s.ptr[i] != ' ')
			i++;
		if (i > start)
			r.ptr[r.len++] = (sf_string) {s.ptr + start, i - start};
	}
	return r;
}
SF_EXPORT(words, sf_list_string, sf_string)

/* Options: a function that is not STRICT (NULL is none). */
static sf_opt_i32
first_of(sf_opt_i32 a, sf_opt_i32 b)
{
	return a.is_some ? a : b;
}
SF_EXPORT(first_of, sf_opt_i32, sf_opt_i32, sf_opt_i32)

static sf_opt_f64
halved(sf_opt_f64 x)
{
	return x.is_some ? SF_SOME(sf_opt_f64, x.val / 2) : SF_NONE(sf_opt_f64);
}
SF_EXPORT(halved, sf_opt_f64, sf_opt_f64)

/* 's' in upper case (ASCII), NULL for NULL or for an empty string. */
static sf_opt_string
shout(sf_opt_string s)
{
	sf_string	r;

	if (!s.is_some || s.val.len == 0)
		return SF_NONE(sf_opt_string);
	r = sf_string_new(s.val.len);
	for (size_t i = 0; i < s.val.len; i++)
		r.ptr[i] = s.val.ptr[i] >= 'a' && s.val.ptr[i] <= 'z' ? s.val.ptr[i] - 32 : s.val.ptr[i];
	return SF_SOME(sf_opt_string, r);
}
SF_EXPORT(shout, sf_opt_string, sf_opt_string)

static sf_opt_i64
size_of(sf_opt_bytes b)
{
	return b.is_some ? SF_SOME(sf_opt_i64, (int64_t) b.val.len) : SF_NONE(sf_opt_i64);
}
SF_EXPORT(size_of, sf_opt_i64, sf_opt_bytes)

/*
 * A trigger: skips the row when its first argument is "skip"; otherwise
 * sets the column 'note' to "<trigger> <event> on <schema>.<table>".
 */
static sf_trigger_result
stamp(sf_trigger_data td)
{
	static const char *events[] = {"insert", "update", "delete", "truncate"};
	const char *ev = events[td.event];
	sf_string	r;
	size_t		at = 0;

	if (td.args.len > 0 && sf_string_eq(td.args.ptr[0], SF_STR("skip")))
		return SF_SKIP();
	if (td.level != SF_TRIGGER_ROW || td.timing == SF_TRIGGER_AFTER || !td.new.is_some)
		return SF_KEEP();
	r = sf_string_new(12 + td.name.len + 1 + strlen(ev) + 4 + td.schema.len + 1 +
					  td.table.len + 2);
#define PUT(p, n) (memcpy(r.ptr + at, (p), (n)), at += (n))
	PUT("{\"note\": \"", 10);
	PUT(td.name.ptr, td.name.len);
	PUT(" ", 1);
	PUT(ev, strlen(ev));
	PUT(" on ", 4);
	PUT(td.schema.ptr, td.schema.len);
	PUT(".", 1);
	PUT(td.table.ptr, td.table.len);
	PUT("\"}", 2);
#undef PUT
	r.len = at;
	return SF_ROW(r);
}
SF_EXPORT(stamp, sf_trigger_result, sf_trigger_data)
