/*
** sfcodehash -- a hash of every function's generated code, to check that a
** change to the compiler left the code byte for byte as it was.
**
**   build/sfcodehash FILE.wasm...
**
** Compiles each module in every fuel mode (off, precise, slacked), on one
** thread and on two, and prints one line each:
**
**   libc-module.wasm fuel 2 threads 1: 72 funcs 151377 bytes masked 1 hash cbbd42567456457c
**
** The hash (FNV-1a, 64 bits) covers each function's code length and bytes,
** in function order.  Code holds absolute addresses (the runtime's
** helpers, and others), so the tool runs itself again with address-space
** randomization off; an 8-byte value that points into this executable,
** which moves when the engine changes, is hashed as 0xAA bytes ("masked"
** counts them).  Run
** it before and after a change, on modules large enough to exercise the
** compiler (bench/out/libc-module.wasm, bench/out/large-module.wasm), and
** compare the outputs; lines for one and two threads must agree too.  Exit
** status 1 if a module does not load or compile.
*/
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

#include "slackfuel.h"
#include "read_file.h"

extern char __executable_start[],
			_end[];

static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		h = (h ^ p[k]) * 1099511628211ull;
	return h;
}

/* One compile of 'bytes': prints its line; false on failure. */
static bool
hash_one(const char *path, const uint8_t *bytes, size_t len, int mode, uint32_t threads)
{
	sf_config	cfg;
	sf_error	err;
	sf_module  *m;
	uint64_t	h = 1469598103934665603ull;
	size_t		total = 0,
				masked = 0;
	uint32_t	n;

	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	cfg.compile_threads = threads;
	m = sf_module_load(bytes, len, &cfg, &err);
	if (m == NULL || sf_module_compile(m, &err) != SF_OK)
	{
		fprintf(stderr, "sfcodehash: %s: %s\n", path, err.msg);
		sf_module_free(m);
		return false;
	}
	n = sf_module_num_code_ranges(m);
	for (uint32_t i = 0; i < n; i++)
	{
		sf_code_range r;
		uint8_t    *c;
		uint32_t	size;

		sf_module_code_range(m, i, &r);
		if ((c = malloc(r.size + 1)) == NULL)
		{
			fprintf(stderr, "sfcodehash: out of memory\n");
			sf_module_free(m);
			return false;
		}
		memcpy(c, r.start, r.size);
		for (size_t k = 0; k + 8 <= r.size; k++)
		{
			uint64_t	v;

			memcpy(&v, c + k, 8);
			if (v >= (uint64_t) (uintptr_t) __executable_start && v < (uint64_t) (uintptr_t) _end)
			{
				memset(c + k, 0xAA, 8);
				masked++;
				k += 7;
			}
		}
		size = (uint32_t) r.size;
		h = fnv(h, (const uint8_t *) &size, sizeof(size));
		h = fnv(h, c, r.size);
		total += r.size;
		free(c);
	}
	printf("%s fuel %d threads %u: %u funcs %zu bytes masked %zu hash %016llx\n",
		   path, mode, threads, n, total, masked, (unsigned long long) h);
	sf_module_free(m);
	return true;
}

int
main(int argc, char **argv)
{
	int			rc = 0;

	int			pers = personality(0xffffffff);

	if (argc < 2)
	{
		fprintf(stderr, "usage: sfcodehash FILE.wasm...\n");
		return 1;
	}
	if (pers != -1 && !(pers & ADDR_NO_RANDOMIZE) &&
		personality((unsigned long) pers | ADDR_NO_RANDOMIZE) != -1)
	{
		execv("/proc/self/exe", argv);
		fprintf(stderr, "sfcodehash: cannot run again without address randomization\n");
		return 1;
	}
	for (int a = 1; a < argc; a++)
	{
		size_t		len = 0;
		uint8_t    *bytes = read_file(argv[a], &len);

		if (bytes == NULL)
		{
			fprintf(stderr, "sfcodehash: cannot read %s\n", argv[a]);
			rc = 1;
			continue;
		}
		for (int mode = SF_FUEL_OFF; mode <= SF_FUEL_SLACKED; mode++)
			for (uint32_t t = 1; t <= 2; t++)
				if (!hash_one(argv[a], bytes, len, mode, t))
					rc = 1;
		free(bytes);
	}
	return rc;
}
