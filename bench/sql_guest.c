/*
 * sql_guest.c -- the wasm side of the SQL benchmark's type rows
 * (bench/sql.sh): an int[] summed, a 3-field composite in and out, a set
 * of rows (as list<s32> and as an iterator), a jsonb function.  Built
 * freestanding: clang --target=wasm32 -nostdlib -mbulk-memory.
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

extern unsigned char __heap_base;
static uintptr_t heap_top;

EXPORT(cabi_realloc) void *
cabi_realloc(void *old, size_t old_size, size_t align, size_t size)
{
	uintptr_t	p,
				end,
				have;

	if (heap_top == 0)
		heap_top = (uintptr_t) &__heap_base;
	p = (heap_top + align - 1) & ~(uintptr_t) (align - 1);
	end = p + size;
	have = __builtin_wasm_memory_size(0) * 65536;
	if (end > have &&
		__builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t) -1)
		__builtin_trap();
	heap_top = end;
	return (void *) p;
}

static void
heap_reset(void)
{
	heap_top = (uintptr_t) &__heap_base;
}

/* wasm_arrsum(int[]) -> bigint: list<s32> -> s64 */
EXPORT(wasm_arrsum) int64_t
wasm_arrsum(const int32_t *p, uint32_t n)
{
	int64_t		s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += p[i];
	return s;
}
EXPORT(cabi_post_wasm_arrsum) void post_arrsum(int64_t r) { heap_reset(); }

/*
 * wasm_trip(trip) -> trip, trip = record { a: option<s32>, b: option<f64>,
 * c: option<s64> }: (a + 1, b * 2, c + a)
 */
static struct
{
	uint8_t		has_a;
	int32_t		a;
	uint8_t		has_b;
	double		b;
	uint8_t		has_c;
	int64_t		c;
}			trip;

EXPORT(wasm_trip) void *
wasm_trip(int32_t has_a, int32_t a, int32_t has_b, double b, int32_t has_c, int64_t c)
{
	trip.has_a = has_a;
	trip.a = a + 1;
	trip.has_b = has_b;
	trip.b = b * 2;
	trip.has_c = has_c && has_a;
	trip.c = c + a;
	return &trip;
}

/* wasm_series(n) -> list<s32>: 1..n */
static struct
{
	int32_t    *ptr;
	uint32_t	len;
}			list;

EXPORT(wasm_series) void *
wasm_series(int32_t n)
{
	list.ptr = cabi_realloc(0, 0, 4, (size_t) n * 4);
	for (int32_t i = 0; i < n; i++)
		list.ptr[i] = i + 1;
	list.len = n;
	return &list;
}
EXPORT(cabi_post_wasm_series) void post_series(int32_t r) { heap_reset(); }

/* wasm_stream(n): the same set one row per call */
static int32_t next_v,
			end_v;
static struct
{
	uint8_t		some;
	int32_t		v;
}			row;

EXPORT(wasm_stream) uint32_t
wasm_stream(int32_t n)
{
	next_v = 1;
	end_v = n;
	return 0;
}

EXPORT(wasm_stream_next) void *
wasm_stream_next(uint32_t it)
{
	row.some = next_v <= end_v;
	row.v = next_v++;
	return &row;
}

/* wasm_tag(jsonb) -> jsonb: the object with "seen": true added */
static struct
{
	char	   *ptr;
	uint32_t	len;
}			str;

EXPORT(wasm_tag) void *
wasm_tag(const char *p, uint32_t n)
{
	static const char tail[] = ", \"seen\": true}";
	char	   *out = cabi_realloc(0, 0, 1, n + sizeof(tail));
	uint32_t	k = n;

	while (k > 0 && p[k - 1] != '}')
		k--;
	if (k == 0)
		__builtin_trap();
	__builtin_memcpy(out, p, k - 1);
	__builtin_memcpy(out + k - 1, tail, sizeof(tail) - 1);
	str.ptr = out;
	str.len = k - 1 + sizeof(tail) - 1;
	return &str;
}
EXPORT(cabi_post_wasm_tag) void post_tag(int32_t r) { heap_reset(); }
