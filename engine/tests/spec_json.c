/*
** spec_json.c -- a small, strict JSON reader and the spec value helpers.
**
** wast2json output is trusted only as far as its shape: every access is
** checked, depth is bounded, strings are decoded (\uXXXX with surrogate
** pairs to UTF-8) because names.wast uses exotic export names.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

#define JSON_MAX_DEPTH 64

typedef struct jp
{
	const char *p;
	const char *end;
	char	   *why;
	size_t		why_len;
} jp;

static json *parse_value(jp *s, int depth);

static void
skip_ws(jp *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static json *
json_fail(jp *s, const char *msg)
{
	if (s->why[0] == '\0')
		snprintf(s->why, s->why_len, "%s", msg);
	return NULL;
}

static json *
new_node(json_type t)
{
	json	   *j = calloc(1, sizeof(json));

	if (j)
		j->type = t;
	return j;
}

static bool
append(json *j, json *item, char *key)
{
	json	  **ni = realloc(j->items, (j->n + 1) * sizeof(json *));

	if (!ni)
		return false;
	j->items = ni;
	if (j->type == JSON_OBJECT)
	{
		char	  **nk = realloc(j->keys, (j->n + 1) * sizeof(char *));

		if (!nk)
			return false;
		j->keys = nk;
		j->keys[j->n] = key;
	}
	j->items[j->n++] = item;
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
read_hex4(jp *s, uint32_t *out)
{
	*out = 0;
	if (s->end - s->p < 4)
		return false;
	for (int i = 0; i < 4; i++)
	{
		int			h = hexval(s->p[i]);

		if (h < 0)
			return false;
		*out = (*out << 4) | (uint32_t) h;
	}
	s->p += 4;
	return true;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80)
		return o[0] = (char) cp, 1;
	if (cp < 0x800)
		return o[0] = (char) (0xC0 | cp >> 6), o[1] = (char) (0x80 | (cp & 0x3F)), 2;
	if (cp < 0x10000)
		return o[0] = (char) (0xE0 | cp >> 12), o[1] = (char) (0x80 | ((cp >> 6) & 0x3F)),
			o[2] = (char) (0x80 | (cp & 0x3F)), 3;
	o[0] = (char) (0xF0 | cp >> 18);
	o[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

static bool
read_escape(jp *s, char *o, size_t *n)
{
	char		c = *s->p++;
	uint32_t	cp,
				lo;

	switch (c)
	{
		case '"': case '\\': case '/':
			o[(*n)++] = c;
			return true;
		case 'b': o[(*n)++] = '\b'; return true;
		case 'f': o[(*n)++] = '\f'; return true;
		case 'n': o[(*n)++] = '\n'; return true;
		case 'r': o[(*n)++] = '\r'; return true;
		case 't': o[(*n)++] = '\t'; return true;
		case 'u':
			if (!read_hex4(s, &cp))
				return false;
			if (cp >= 0xD800 && cp <= 0xDBFF && s->end - s->p >= 6 &&
				s->p[0] == '\\' && s->p[1] == 'u')
			{
				s->p += 2;
				if (!read_hex4(s, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return false;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			*n += put_utf8(o + *n, cp);
			return true;
	}
	return false;
}

/* A string; the decoded form is never longer than the escaped one + 1. */
static char *
parse_string(jp *s, size_t *len)
{
	const char *start = ++s->p;
	char	   *out;
	size_t		n = 0;

	while (s->p < s->end && *s->p != '"')
		s->p += (*s->p == '\\' && s->p + 1 < s->end) ? 2 : 1;
	if (s->p >= s->end)
		return (char *) json_fail(s, "unterminated string");
	out = malloc((size_t) (s->p - start) + 4);
	if (!out)
		return (char *) json_fail(s, "out of memory");
	s->p = start;
	while (*s->p != '"')
	{
		if (*s->p == '\\')
		{
			s->p++;
			if (!read_escape(s, out, &n))
			{
				free(out);
				return (char *) json_fail(s, "bad escape in string");
			}
		}
		else
			out[n++] = *s->p++;
	}
	s->p++;
	out[n] = '\0';
	*len = n;
	return out;
}

static json *
parse_container(jp *s, int depth, bool object)
{
	json	   *j = new_node(object ? JSON_OBJECT : JSON_ARRAY);
	char		close = object ? '}' : ']';

	if (!j)
		return json_fail(s, "out of memory");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close)
	{
		s->p++;
		return j;
	}
	for (;;)
	{
		char	   *key = NULL;
		size_t		klen;
		json	   *item;

		skip_ws(s);
		if (object)
		{
			if (s->p >= s->end || *s->p != '"' || !(key = parse_string(s, &klen)))
				break;
			skip_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
			{
				free(key);
				break;
			}
		}
		item = parse_value(s, depth + 1);
		if (!item || !append(j, item, key))
		{
			json_free(item);
			free(key);
			break;
		}
		skip_ws(s);
		if (s->p < s->end && *s->p == ',')
		{
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == close)
		{
			s->p++;
			return j;
		}
		break;
	}
	json_free(j);
	return json_fail(s, object ? "bad object" : "bad array");
}

static json *
parse_literal(jp *s)
{
	static const struct
	{
		const char *word;
		json_type	type;
		bool		b;
	}			lits[] = {{"true", JSON_BOOL, true}, {"false", JSON_BOOL, false},
	{"null", JSON_NULL, false}};

	for (size_t i = 0; i < 3; i++)
	{
		size_t		n = strlen(lits[i].word);

		if ((size_t) (s->end - s->p) >= n && memcmp(s->p, lits[i].word, n) == 0)
		{
			json	   *j = new_node(lits[i].type);

			s->p += n;
			if (j)
				j->b = lits[i].b;
			return j ? j : json_fail(s, "out of memory");
		}
	}
	return json_fail(s, "unexpected character");
}

static json *
parse_number(jp *s)
{
	char		buf[64];
	size_t		n = 0;
	json	   *j;

	while (s->p < s->end && n < sizeof(buf) - 1 && strchr("+-0123456789.eE", *s->p))
		buf[n++] = *s->p++;
	buf[n] = '\0';
	if (n == 0 || !(j = new_node(JSON_NUMBER)))
		return json_fail(s, "bad number");
	j->num = strtod(buf, NULL);
	return j;
}

static json *
parse_value(jp *s, int depth)
{
	json	   *j;

	if (depth > JSON_MAX_DEPTH)
		return json_fail(s, "nesting too deep");
	skip_ws(s);
	if (s->p >= s->end)
		return json_fail(s, "unexpected end");
	switch (*s->p)
	{
		case '{':
			return parse_container(s, depth, true);
		case '[':
			return parse_container(s, depth, false);
		case '"':
			if (!(j = new_node(JSON_STRING)))
				return json_fail(s, "out of memory");
			if (!(j->str = parse_string(s, &j->len)))
			{
				free(j);
				return NULL;
			}
			return j;
		case '-':
		case '0' ... '9':
			return parse_number(s);
	}
	return parse_literal(s);
}

json *
json_parse(const char *text, size_t len, char *why, size_t why_len)
{
	jp			s = {text, text + len, why, why_len};
	json	   *j;

	why[0] = '\0';
	j = parse_value(&s, 0);
	skip_ws(&s);
	if (j && s.p != s.end)
	{
		json_free(j);
		return json_fail(&s, "trailing characters");
	}
	return j;
}

void
json_free(json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++)
	{
		json_free(j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	free(j);
}

const json *
json_get(const json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

const char *
json_str(const json *obj, const char *key)
{
	const json *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v->str : NULL;
}

/* --- Values ------------------------------------------------------------- */

static bool
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char	   *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return false;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static bool
value_type(const char *t, sf_valtype *out)
{
	static const struct
	{
		const char *name;
		sf_valtype	type;
	}			types[] = {{"i32", SF_I32}, {"i64", SF_I64}, {"f32", SF_F32},
	{"f64", SF_F64}, {"funcref", SF_FUNCREF}, {"externref", SF_EXTERNREF}};

	for (size_t i = 0; t && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(t, types[i].name) == 0)
			return *out = types[i].type, true;
	return false;
}

bool
spec_parse_value(const json *j, spec_value *out, char *why, size_t why_len)
{
	const char *t = json_str(j, "type");
	const char *v = json_str(j, "value");
	uint64_t	max;

	memset(out, 0, sizeof(*out));
	if (!value_type(t, &out->type))
		return snprintf(why, why_len, "unsupported value type %s", t ? t : "(none)"), false;
	if (!v)
		return out->any = true;
	if (out->type == SF_FUNCREF || out->type == SF_EXTERNREF)
	{
		if (strcmp(v, "null") == 0)
			return out->is_null = true;
		if (!parse_u64(v, UINT64_MAX - 1, &out->bits))
			return snprintf(why, why_len, "bad reference value %s", v), false;
		return true;
	}
	if (strcmp(v, "nan:canonical") == 0)
		return out->nan = SPEC_NAN_CANONICAL, true;
	if (strcmp(v, "nan:arithmetic") == 0)
		return out->nan = SPEC_NAN_ARITHMETIC, true;
	max = (out->type == SF_I32 || out->type == SF_F32) ? UINT32_MAX : UINT64_MAX;
	if (!parse_u64(v, max, &out->bits))
		return snprintf(why, why_len, "bad %s value %s", t, v), false;
	return true;
}

void
spec_value_to_sf(const spec_value *v, sf_val *out)
{
	memset(out, 0, sizeof(*out));
	out->type = v->type;
	switch (v->type)
	{
		case SF_I32:
		case SF_F32:
			out->of.f32_bits = (uint32_t) v->bits;
			break;
		case SF_I64:
		case SF_F64:
			out->of.f64_bits = v->bits;
			break;
		case SF_EXTERNREF:
			out->of.externref = v->is_null ? SF_EXTERNREF_NULL : (uintptr_t) v->bits + 1;
			break;
		default:
			out->of.funcref = NULL;		/* only null funcrefs can be written */
			break;
	}
}

static bool
nan_matches(spec_nan kind, uint64_t bits, uint64_t exp_mask, uint64_t quiet)
{
	uint64_t	payload = bits & (exp_mask | (quiet * 2 - 1));

	if ((bits & exp_mask) != exp_mask || (bits & (quiet * 2 - 1)) == 0)
		return false;			/* not a NaN */
	if (kind == SPEC_NAN_CANONICAL)
		return payload == (exp_mask | quiet);
	return (bits & quiet) != 0;
}

bool
spec_value_matches(const spec_value *want, const sf_val *got)
{
	if (got->type != want->type)
		return false;
	if (want->any)
		return true;
	switch (want->type)
	{
		case SF_I32:
			return (uint32_t) got->of.i32 == (uint32_t) want->bits;
		case SF_I64:
			return (uint64_t) got->of.i64 == want->bits;
		case SF_F32:
			if (want->nan != SPEC_EXACT)
				return nan_matches(want->nan, got->of.f32_bits, 0x7f800000u, 0x400000u);
			return got->of.f32_bits == (uint32_t) want->bits;
		case SF_F64:
			if (want->nan != SPEC_EXACT)
				return nan_matches(want->nan, got->of.f64_bits,
								   0x7ff0000000000000ull, 0x8000000000000ull);
			return got->of.f64_bits == want->bits;
		case SF_EXTERNREF:
			if (want->is_null)
				return got->of.externref == SF_EXTERNREF_NULL;
			return got->of.externref == (uintptr_t) want->bits + 1;
		default:
			if (want->is_null)
				return got->of.funcref == NULL;
			return got->of.funcref != NULL;
	}
}

void
spec_value_format(const spec_value *v, char *buf, size_t len)
{
	const char *t = sf_valtype_name(v->type);

	if (v->nan == SPEC_NAN_CANONICAL)
		snprintf(buf, len, "%s:nan:canonical", t);
	else if (v->nan == SPEC_NAN_ARITHMETIC)
		snprintf(buf, len, "%s:nan:arithmetic", t);
	else if (v->is_null)
		snprintf(buf, len, "%s:null", t);
	else if (v->any)
		snprintf(buf, len, "%s:any", t);
	else
		snprintf(buf, len, "%s:0x%llx", t, (unsigned long long) v->bits);
}

void
spec_sfval_format(const sf_val *v, char *buf, size_t len)
{
	const char *t = sf_valtype_name(v->type);

	switch (v->type)
	{
		case SF_I32:
		case SF_F32:
			snprintf(buf, len, "%s:0x%x", t, v->of.f32_bits);
			break;
		case SF_I64:
		case SF_F64:
			snprintf(buf, len, "%s:0x%llx", t, (unsigned long long) v->of.f64_bits);
			break;
		case SF_EXTERNREF:
			snprintf(buf, len, "%s:0x%llx", t, (unsigned long long) v->of.externref);
			break;
		default:
			snprintf(buf, len, "%s:%p", t, (void *) v->of.funcref);
			break;
	}
}
