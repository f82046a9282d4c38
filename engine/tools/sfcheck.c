/*
** sfcheck -- decode and validate modules; optionally measure throughput.
**
**   build/sfcheck [--time] [--reps N] [--mutate] FILE.wasm...
**
** Prints "FILE: OK" or "FILE: <status>: <message>" per file; exits 1 if
** any file failed.  With --time, loads each valid file N times (default 20)
** and prints its size and the best decode+validate throughput.  With
** --mutate, also loads every truncation of each file and, for each of its
** first 4000 bytes, the file with that byte replaced by a few interesting
** values and with one bit flipped: a deterministic robustness run, meant
** for the sanitizer build (build-san/sfcheck --mutate build-san/spec/\*.wasm).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slackfuel.h"
#include "read_file.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
time_load(const char *path, const uint8_t *bytes, size_t len, int reps)
{
	double		best = 1e30;
	sf_error	err;

	for (int i = 0; i < reps; i++)
	{
		double		t0 = now();
		sf_module  *m = sf_module_load(bytes, len, NULL, &err);
		double		t = now() - t0;

		sf_module_free(m);
		if (t < best)
			best = t;
	}
	printf("%s: %zu bytes, best of %d: %.3f ms, %.1f MB/s\n", path, len, reps,
		   best * 1e3, len / best / 1e6);
}

static uint64_t mutant_loads,
			mutant_accepted;

static void
load_mutant(const uint8_t *bytes, size_t len)
{
	sf_error	err;
	sf_module  *m = sf_module_load(bytes, len, NULL, &err);

	mutant_loads++;
	mutant_accepted += m != NULL;
	sf_module_free(m);
}

static void
mutate(const uint8_t *bytes, size_t len)
{
	static const uint8_t values[] = {0x00, 0x01, 0x0b, 0x40, 0x41, 0x7f, 0x80, 0xff};
	uint8_t    *copy = malloc(len ? len : 1);

	if (!copy)
		return;
	for (size_t k = 0; k < len; k++)
		load_mutant(bytes, k);
	memcpy(copy, bytes, len);
	for (size_t k = 8; k < len && k < 4000; k++)
	{
		for (size_t v = 0; v <= sizeof(values); v++)
		{
			copy[k] = v < sizeof(values) ? values[v] : bytes[k] ^ (uint8_t) (1u << (k % 8));
			load_mutant(copy, len);
		}
		copy[k] = bytes[k];
	}
	free(copy);
}

int
main(int argc, char **argv)
{
	int			timing = 0,
				mutating = 0,
				reps = 20,
				failed = 0;

	for (int i = 1; i < argc; i++)
	{
		sf_error	err;
		sf_module  *m;
		uint8_t    *bytes;
		size_t		len = 0;

		if (strcmp(argv[i], "--time") == 0)
		{
			timing = 1;
			continue;
		}
		if (strcmp(argv[i], "--mutate") == 0)
		{
			mutating = 1;
			continue;
		}
		if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
		{
			reps = atoi(argv[++i]);
			if (reps < 1)
				reps = 1;
			continue;
		}
		bytes = read_file(argv[i], &len);
		if (!bytes)
		{
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			failed = 1;
			continue;
		}
		m = sf_module_load(bytes, len, NULL, &err);
		if (m)
			printf("%s: OK\n", argv[i]);
		else
		{
			printf("%s: %s: %s\n", argv[i], sf_status_name(err.status), err.msg);
			failed = 1;
		}
		if (m && timing)
			time_load(argv[i], bytes, len, reps);
		if (mutating)
			mutate(bytes, len);
		sf_module_free(m);
		free(bytes);
	}
	if (mutating)
		printf("mutants: %llu loaded, %llu accepted\n",
			   (unsigned long long) mutant_loads,
			   (unsigned long long) mutant_accepted);
	return failed;
}
