/*
** fuzz_wat.c -- libFuzzer target: sf_wat_to_wasm on arbitrary text, and
** whatever it produces through sf_module_load (the output must be a
** well-formed binary whenever the parser accepts).
** Built and run by engine/tests/fuzz-wat.sh (clang, ASan + UBSan).
*/
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "slackfuel.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *out = NULL;
	size_t		len = 0;
	sf_error	err;

	if (sf_wat_to_wasm((const char *) data, size, &out, &len, &err) == SF_OK)
	{
		sf_module  *m = sf_module_load(out, len, NULL, &err);

		/* every accepted text encodes a binary the decoder can read */
		if (!m && err.status == SF_MALFORMED)
			abort();
		sf_module_free(m);
		free(out);
	}
	else if (out != NULL || strlen(err.msg) == 0)
		abort();
	return 0;
}
