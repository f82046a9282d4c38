/*
** fuzz_load.c -- libFuzzer target: sf_module_load on arbitrary bytes.
** Built and run by engine/tests/fuzz.sh (clang, ASan + UBSan).
*/
#include <stdint.h>
#include <stddef.h>

#include "slackfuel.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_error	err;
	sf_module  *m = sf_module_load(data, size, NULL, &err);

	if (m)
	{
		for (uint32_t i = 0; i < sf_module_num_imports(m); i++)
		{
			sf_import_desc d;

			sf_module_import(m, i, &d);
		}
		for (uint32_t i = 0; i < sf_module_num_exports(m); i++)
		{
			sf_export_desc d;

			sf_module_export(m, i, &d);
			(void) sf_module_find_export(m, d.name, d.name_len);
		}
		(void) sf_module_func_name(m, 0);
		sf_module_free(m);
	}
	return 0;
}
