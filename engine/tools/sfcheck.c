/*
** sfcheck -- decode and validate modules; optionally measure throughput.
**
**   engine/sfcheck [--time] [--reps N] FILE.wasm...
**
** Prints "FILE: OK" or "FILE: <status>: <message>" per file; exits 1 if
** any file failed.  With --time, loads each valid file N times (default 20)
** and prints its size and the best decode+validate throughput.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slackfuel.h"

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf = NULL;
	size_t		cap = 0,
				n = 0;

	if (!f)
		return NULL;
	for (;;)
	{
		if (n == cap)
		{
			uint8_t    *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb)
			{
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t		got = fread(buf + n, 1, cap - n, f);

		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

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

int
main(int argc, char **argv)
{
	int			timing = 0,
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
		sf_module_free(m);
		free(bytes);
	}
	return failed;
}
