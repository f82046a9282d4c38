/*
** Native driver for one benchmark kernel, linked with the kernel's object
** file (a separate translation unit, so run() cannot be inlined or its
** repeated calls merged).  Same interface as `build/sfrun --time`:
**
**     NAME.native N [--repeat=R]
**
** prints the checksum as TYPE:VALUE on stdout and, on stderr, "call time:
** SECONDS", the best of R calls by the wall clock, and "call cpu time:
** SECONDS", the best by this thread's CPU clock, each timed around the call
** only.  Compile with -DRESULT_I32, -DRESULT_I64 or -DRESULT_F64 for the
** kernel's result type.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(RESULT_I32)
typedef int32_t result_t;
#define SAME(a, b) ((a) == (b))
#define PRINT(r) printf("i32:%" PRId32 "\n", (r))
#elif defined(RESULT_I64)
typedef int64_t result_t;
#define SAME(a, b) ((a) == (b))
#define PRINT(r) printf("i64:%" PRId64 "\n", (r))
#elif defined(RESULT_F64)
typedef double result_t;
#define SAME(a, b) (memcmp(&(a), &(b), sizeof(double)) == 0)
#define PRINT(r) printf("f64:%.17g\n", (r))
#else
#error "define RESULT_I32, RESULT_I64 or RESULT_F64"
#endif

extern result_t run(int32_t n);

static double now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long n, repeat = 1;
	double best = 0, best_cpu = 0;
	result_t first = 0;

	if (argc < 2 || argc > 3 || (argc == 3 && strncmp(argv[2], "--repeat=", 9) != 0)) {
		fprintf(stderr, "usage: %s N [--repeat=R]\n", argv[0]);
		return 1;
	}
	n = strtol(argv[1], NULL, 10);
	if (argc == 3)
		repeat = strtol(argv[2] + 9, NULL, 10);
	if (repeat < 1)
		repeat = 1;
	for (long i = 0; i < repeat; i++) {
		double c0 = now(CLOCK_THREAD_CPUTIME_ID), t0 = now(CLOCK_MONOTONIC);
		result_t r = run((int32_t)n);
		double t = now(CLOCK_MONOTONIC) - t0, c = now(CLOCK_THREAD_CPUTIME_ID) - c0;

		if (i == 0 || t < best)
			best = t;
		if (i == 0 || c < best_cpu)
			best_cpu = c;
		if (i == 0)
			first = r;
		else if (!SAME(r, first)) {
			fprintf(stderr, "error: call %ld returned a different checksum\n", i + 1);
			return 1;
		}
	}
	PRINT(first);
	fprintf(stderr, "call time: %.6f\ncall cpu time: %.6f\n", best, best_cpu);
	return 0;
}
