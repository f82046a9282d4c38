/*
** testwat.h -- a module from WebAssembly text, for the cmocka suites.
** Include after <cmocka.h> and "slackfuel.h"; any failure fails the test.
*/
#ifndef SF_TESTWAT_H
#define SF_TESTWAT_H

static sf_module *
load_wat_cfg(const char *text, const sf_config *cfg)
{
	uint8_t    *wasm;
	size_t		len;
	sf_error	err;
	sf_module  *m;

	if (sf_wat_to_wasm(text, strlen(text), &wasm, &len, &err) != SF_OK)
		fail_msg("wat: %s", err.msg);
	m = sf_module_load(wasm, len, cfg, &err);
	free(wasm);
	if (m == NULL)
		fail_msg("load: %s", err.msg);
	return m;
}

#endif							/* SF_TESTWAT_H */
