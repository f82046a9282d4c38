/*
** decode.h -- the two passes of sf_module_load (engine-internal).
**
** sf_decode_module reads m->bytes into the sf_module structure (binary
** format only: everything it rejects is SF_MALFORMED or SF_LIMIT).
** sf_validate_module checks the decoded module and every function body
** (SF_INVALID; encoding errors inside bodies are SF_MALFORMED), and fills
** the per-function facts the compiler uses.
*/
#ifndef SF_DECODE_H
#define SF_DECODE_H

#include "module.h"

sf_status	sf_decode_module(sf_module *m, sf_error *err);
sf_status	sf_validate_module(sf_module *m, sf_error *err);

/* Release everything sf_decode_module allocated (not m itself). */
void		sf_module_release(sf_module *m);

#endif							/* SF_DECODE_H */
