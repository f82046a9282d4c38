/*
** Recursive Fibonacci: call overhead, frame setup and return paths.
** bench: n=39 result=i32
*/
#include <stdint.h>

static int32_t fib(int32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int32_t run(int32_t n)
{
	return fib(n);
}
