/*
 * guest.h -- what the regress suites' C guests share: exports by name, a
 * bump allocator as cabi_realloc (reset by each module's cabi_post_*
 * functions through heap_reset), and little string helpers.
 * Built freestanding: clang --target=wasm32 -nostdlib -mbulk-memory.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef struct
{
	const char *ptr;
	uint32_t	len;
} string;

extern unsigned char __heap_base;
static uintptr_t heap_top;

static void
heap_reset(void)
{
	heap_top = (uintptr_t) &__heap_base;
}

static void *
alloc(size_t align, size_t size)
{
	uintptr_t	p,
				end,
				have;

	if (heap_top == 0)
		heap_reset();
	p = (heap_top + align - 1) & ~(uintptr_t) (align - 1);
	end = p + size;
	have = __builtin_wasm_memory_size(0) * 65536;
	if (end > have &&
		__builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t) -1)
		__builtin_trap();
	heap_top = end;
	return (void *) p;
}

EXPORT(cabi_realloc) void *
cabi_realloc(void *old, size_t old_size, size_t align, size_t size)
{
	char	   *p = alloc(align, size);

	if (old)
		__builtin_memcpy(p, old, old_size < size ? old_size : size);
	return p;
}

static size_t
slen(const char *s)
{
	size_t		n = 0;

	while (s[n])
		n++;
	return n;
}

/* A string builder on the heap. */
typedef struct
{
	char	   *buf;
	uint32_t	len,
				cap;
} sb;

static void
sb_put(sb *b, const char *s, uint32_t n)
{
	if (b->len + n > b->cap)
	{
		uint32_t	cap = (b->len + n) * 2 + 64;
		char	   *nb = alloc(1, cap);

		if (b->len)
			__builtin_memcpy(nb, b->buf, b->len);
		b->buf = nb;
		b->cap = cap;
	}
	__builtin_memcpy(b->buf + b->len, s, n);
	b->len += n;
}

static void
sb_str(sb *b, const char *s)
{
	sb_put(b, s, slen(s));
}

static void
sb_int(sb *b, int64_t v)
{
	char		d[24];
	int			n = 0;
	uint64_t	u = v < 0 ? -(uint64_t) v : (uint64_t) v;

	do
		d[n++] = '0' + u % 10;
	while ((u /= 10) != 0);
	if (v < 0)
		sb_put(b, "-", 1);
	while (n > 0)
		sb_put(b, &d[--n], 1);
}

#endif
