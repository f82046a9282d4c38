/*
 * money.c -- an ordinary C program against wasi-libc (printf, snprintf,
 * malloc), built by build.sh twice: as a WASI command, whose _start runs
 * main, and as a reactor, whose exports are called one by one (from SQL:
 * regress/sql/programs.sql).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "-1,234,567.89" for -123456789 cents, in a malloc'd string. */
static char *
money(long long cents)
{
	unsigned long long v = cents < 0 ? 0ull - (unsigned long long) cents : (unsigned long long) cents;
	char		digits[32];
	int			n = snprintf(digits, sizeof(digits), "%llu", v / 100);
	char	   *out = malloc((size_t) n + (size_t) n / 3 + 8);
	char	   *p = out;

	if (out == NULL)
		return NULL;
	if (cents < 0)
		*p++ = '-';
	for (int i = 0; i < n; i++)
	{
		if (i > 0 && (n - i) % 3 == 0)
			*p++ = ',';
		*p++ = digits[i];
	}
	snprintf(p, 8, ".%02llu", v % 100);
	return out;
}

/* The canonical ABI's allocator: the host copies text arguments into it. */
__attribute__((export_name("cabi_realloc")))
void *
cabi_realloc(void *old, size_t old_size, size_t align, size_t size)
{
	return realloc(old, size ? size : 1);
}

/* A text result: a pointer to (ptr, len), freed by cabi_post_fmt_money. */
static struct
{
	char	   *ptr;
	size_t		len;
}			result;

__attribute__((export_name("fmt_money")))
void *
fmt_money(long long cents)
{
	result.ptr = money(cents);
	result.len = result.ptr ? strlen(result.ptr) : 0;
	return &result;
}

__attribute__((export_name("cabi_post_fmt_money")))
void
fmt_money_done(void *p)
{
	free(result.ptr);
}

/* Print the amount on stdout; return the length of the text. */
__attribute__((export_name("print_money")))
int
print_money(long long cents)
{
	char	   *s = money(cents);
	int			n;

	if (s == NULL)
		return -1;
	n = (int) strlen(s);
	printf("%s\n", s);
	free(s);
	return n;
}

int
main(void)
{
	static const long long amounts[] = {0, 5, -99, 123456789, INT64_MIN};
	size_t		count = sizeof(amounts) / sizeof(amounts[0]);

	for (size_t i = 0; i < count; i++)
	{
		char	   *s = money(amounts[i]);

		printf("%lld -> %s\n", amounts[i], s);
		free(s);
	}
	fprintf(stderr, "%zu amounts\n", count);
	exit(0);
}
