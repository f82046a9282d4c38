/*
** Sieve of Eratosthenes over [0, n) with one byte per number; returns the
** number of primes below n.  Byte loads/stores and tight strided loops.
** bench: n=40000000 result=i32
*/
#include <stdint.h>

#define MAXN (64 * 1024 * 1024)

static uint8_t composite[MAXN];

int32_t run(int32_t n)
{
	int32_t count = 0;

	if (n < 2 || n > MAXN)
		return -1;
	/* Even numbers start marked: this also keeps the init loop from
	** being recognised as a memset, which the wasm build has no libc for. */
	for (int32_t i = 0; i < n; i++)
		composite[i] = (uint8_t)((i & 1) == 0);
	composite[2] = 0;
	for (int32_t i = 3; (int64_t)i * i < n; i += 2)
		if (!composite[i])
			for (int32_t j = i * i; j < n; j += 2 * i)
				composite[j] = 1;
	for (int32_t i = 2; i < n; i++)
		count += !composite[i];
	return count;
}
