/*
** spec.h -- pieces of the spec-test runner (engine/tests/spectest.c).
**
** A small JSON reader for wast2json output, the parsed form of a command
** and of its argument/expected values, and the value helpers every
** command kind that executes code will need.
*/
#ifndef SF_SPEC_H
#define SF_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slackfuel.h"

/* --- JSON ------------------------------------------------------------- */

typedef enum json_type
{
	JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_type;

typedef struct json
{
	json_type	type;
	bool		b;
	double		num;
	char	   *str;			/* JSON_STRING: UTF-8, NUL-terminated (may hold NULs) */
	size_t		len;
	size_t		n;				/* ARRAY / OBJECT: number of items */
	struct json **items;
	char	  **keys;			/* OBJECT only */
} json;

/* Parse 'len' bytes; NULL with a message in 'why' on error. */
json	   *json_parse(const char *text, size_t len, char *why, size_t why_len);
void		json_free(json *j);
/* Member of an object, or NULL. */
const json *json_get(const json *obj, const char *key);
/* String member, or NULL if absent or not a string. */
const char *json_str(const json *obj, const char *key);

/* --- Values ------------------------------------------------------------- */

typedef enum spec_nan
{
	SPEC_EXACT,
	SPEC_NAN_CANONICAL,
	SPEC_NAN_ARITHMETIC
} spec_nan;

/*
** An argument or expected result.  Numbers are bit patterns (wast2json
** writes them as unsigned decimal).  References: 'is_null', or 'bits'
** holds the host value (externref) or nothing in particular (funcref).
** 'any' means only the type is given (assert_trap results have no value):
** any value of that type matches.
*/
typedef struct spec_value
{
	sf_valtype	type;
	spec_nan	nan;
	bool		is_null;
	bool		any;
	uint64_t	bits;
} spec_value;

/* Parse {"type": ..., "value": ...}; false with a reason in 'why'. */
bool		spec_parse_value(const json *j, spec_value *out, char *why, size_t why_len);

/*
** The engine value for an argument.  An externref N becomes the host value
** N + 1, because 0 is the engine's null.
*/
void		spec_value_to_sf(const spec_value *v, sf_val *out);

/* Does 'got' match the expected value 'want' (NaN patterns included)? */
bool		spec_value_matches(const spec_value *want, const sf_val *got);

/* Print a value the way the .wast files write it, for messages. */
void		spec_value_format(const spec_value *v, char *buf, size_t len);
void		spec_sfval_format(const sf_val *v, char *buf, size_t len);

#endif							/* SF_SPEC_H */
