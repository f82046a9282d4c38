/*
** component.c -- decoding a WebAssembly component (the Component Model's
** binary format) of the kind `wasm-tools component new` and `jco new`
** make from a core module and a WIT world that exports functions: one core
** module, instantiated once; `canon lift` of its exports, each with its
** WIT function type; those functions exported by name.
**
** Decoding keeps index spaces for what such a component defines (types,
** functions, core functions and memories, core instances) and records, for
** each exported function, its WIT type (sf_wit_*), the core export it
** lifts and the core exports its canonical options name.  Anything else
** (nested components, component instances, canon lower, resources, async,
** strings other than UTF-8) is reported as SF_UNSUPPORTED, naming it;
** imports are recorded, so that a caller providing none can name them, and
** a component whose imports could not be decoded around says which they are.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read.h"
#include "slackfuel.h"
#include "util.h"

#define CT_MAX_ITEMS	100000	/* per index space: hostile input is bounded */
#define CT_MAX_DEPTH	100		/* nesting of value types */
#define CT_NO_TYPE		INT64_MIN

/* A value type as decoded: >= 0 a type index, < 0 a primitive's -(kind + 1). */
typedef int64_t ct_ref;

typedef enum ct_kind
{
	CT_UNSUPPORTED,				/* 'why' says what */
	CT_PRIM,
	CT_LIST,
	CT_OPTION,
	CT_RESULT,
	CT_RECORD,
	CT_TUPLE,
	CT_VARIANT,
	CT_ENUM,
	CT_FLAGS,
	CT_FUNC,
	CT_ALIAS					/* a type export: 'target' under 'name' */
} ct_kind;

typedef struct ct_field
{
	char	   *name;
	ct_ref		type;			/* CT_NO_TYPE: none */
} ct_field;

typedef struct ctype
{
	ct_kind		kind;
	const char *why;
	sf_wit_kind prim;
	ct_ref		elem;			/* list, option, result ok */
	ct_ref		err;			/* result error */
	uint32_t	n;
	ct_field   *fields;			/* record, tuple, variant, enum, flags, params */
	ct_ref		result;			/* func */
	uint32_t	target;			/* alias */
	char	   *name;			/* alias: the export's name */
	const sf_wit_type *built;
	const sf_wit_func *built_func;
} ctype;

/* A core function or memory: a core export of the one core instance. */
typedef struct ct_core
{
	char	   *name;			/* NULL: not an export of the main instance */
	const char *why;
} ct_core;

typedef struct ct_lift
{
	uint32_t	core_func;
	uint32_t	type;
	int64_t		memory;			/* -1: no such option */
	int64_t		realloc;
	int64_t		post_return;
} ct_lift;

/* An exported function, and the component function it exports. */
typedef struct ct_export
{
	sf_component_export pub;
	uint32_t	func;
} ct_export;

/* A component function: a lift, or something unsupported. */
typedef struct ct_func
{
	int64_t		lift;			/* index into lifts, or -1 */
	const char *why;
} ct_func;

#define VEC(T) struct { T *v; uint32_t n, cap; }

struct sf_component
{
	const uint8_t *core;
	size_t		core_len;
	int			ncore_modules;
	int			main_instance;	/* core instance index, or -1 */
	int			ncore_instances;
	VEC(ctype) types;
	VEC(ct_core) core_funcs;
	VEC(ct_core) core_memories;
	VEC(ct_lift) lifts;
	VEC(ct_func) funcs;
	VEC(char *) imports;
	VEC(ct_export) exports;
	const char *unsupported;	/* the first unsupported construct */
	char		unsupported_buf[160];
	sf_wit_arena *arena;
};

typedef struct ct_dec
{
	sf_component *c;
	sf_reader	r;
	sf_error   *err;
} ct_dec;

#define GROW(vec, dec) \
	((vec).n < (vec).cap || grow((void **) &(vec).v, &(vec).cap, sizeof(*(vec).v), dec))

static bool
grow(void **v, uint32_t *cap, size_t elem, ct_dec *d)
{
	uint32_t	ncap = *cap ? *cap * 2 : 8;
	void	   *nv;

	if (*cap >= CT_MAX_ITEMS)
	{
		sf_error_set(d->err, SF_LIMIT, "component: more than %d items in an index space",
					 CT_MAX_ITEMS);
		return false;
	}
	nv = realloc(*v, ncap * elem);
	if (nv == NULL)
	{
		sf_error_set(d->err, SF_NOMEM, "component: out of memory");
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

static bool
malformed(ct_dec *d, const char *what)
{
	sf_error_set(d->err, SF_MALFORMED, "component: at offset 0x%x: %s%s%s",
				 sf_rd_off(&d->r), what, d->r.err ? ": " : "", d->r.err ? d->r.err : "");
	d->err->offset = sf_rd_off(&d->r);
	return false;
}

/* Remember the first unsupported construct; decoding goes on around it. */
static void
unsupported(ct_dec *d, const char *what)
{
	if (d->c->unsupported == NULL)
	{
		snprintf(d->c->unsupported_buf, sizeof(d->c->unsupported_buf),
				 "%s (at offset 0x%x)", what, sf_rd_off(&d->r));
		d->c->unsupported = d->c->unsupported_buf;
	}
}

/* A name: LEB length, UTF-8 bytes; malloc'd and NUL-terminated. */
static bool
read_name(ct_dec *d, char **out)
{
	uint32_t	len;
	const uint8_t *s;

	if (!sf_rd_u32(&d->r, &len) || !sf_rd_bytes(&d->r, len, &s))
		return malformed(d, "a name");
	if (!sf_utf8_valid(s, len) || memchr(s, 0, len) != NULL)
		return malformed(d, "a name that is not UTF-8");
	*out = malloc(len + 1);
	if (*out == NULL)
		return sf_error_set(d->err, SF_NOMEM, "component: out of memory"), false;
	memcpy(*out, s, len);
	(*out)[len] = 0;
	return true;
}

/* --- Types ----------------------------------------------------------------- */

static bool
prim_of(uint8_t code, sf_wit_kind *k)
{
	static const struct
	{
		uint8_t		code;
		sf_wit_kind kind;
	}			prims[] = {
		{0x7f, SF_WIT_BOOL}, {0x7e, SF_WIT_S8}, {0x7d, SF_WIT_U8},
		{0x7c, SF_WIT_S16}, {0x7b, SF_WIT_U16}, {0x7a, SF_WIT_S32},
		{0x79, SF_WIT_U32}, {0x78, SF_WIT_S64}, {0x77, SF_WIT_U64},
		{0x76, SF_WIT_F32}, {0x75, SF_WIT_F64}, {0x74, SF_WIT_CHAR},
		{0x73, SF_WIT_STRING},
	};

	for (size_t i = 0; i < sizeof(prims) / sizeof(prims[0]); i++)
		if (prims[i].code == code)
		{
			*k = prims[i].kind;
			return true;
		}
	return false;
}

/* A valtype: a primitive's code or a type index defined before. */
static bool
read_valtype(ct_dec *d, ct_ref *out)
{
	uint8_t		b;
	uint32_t	idx;
	sf_wit_kind k;

	if (sf_rd_left(&d->r) == 0)
		return malformed(d, "a value type");
	b = *d->r.p;
	if (b >= 0x40 && b < 0x80)
	{
		d->r.p++;
		if (!prim_of(b, &k))
			return malformed(d, "an unknown value type");
		*out = -(int64_t) k - 1;
		return true;
	}
	if (!sf_rd_u32(&d->r, &idx))
		return malformed(d, "a type index");
	if (idx >= d->c->types.n)
		return malformed(d, "a type index out of range");
	*out = idx;
	return true;
}

static bool
read_opt_valtype(ct_dec *d, ct_ref *out)
{
	uint8_t		present;

	if (!sf_rd_u8(&d->r, &present) || present > 1)
		return malformed(d, "an optional value type");
	*out = CT_NO_TYPE;
	return present == 0 || read_valtype(d, out);
}

/* vec of (label, valtype) or, for 'with_types' false, of labels. */
static bool
read_fields(ct_dec *d, ctype *t, int kind)
{
	uint32_t	n;

	if (!sf_rd_u32(&d->r, &n))
		return malformed(d, "a count");
	if (n > CT_MAX_ITEMS || n > sf_rd_left(&d->r))
		return malformed(d, "a count past the end");
	t->fields = calloc(n ? n : 1, sizeof(ct_field));
	if (t->fields == NULL)
		return sf_error_set(d->err, SF_NOMEM, "component: out of memory"), false;
	t->n = n;
	for (uint32_t i = 0; i < n; i++)
	{
		ct_field   *f = &t->fields[i];

		f->type = CT_NO_TYPE;
		if (!read_name(d, &f->name))
			return false;
		if (kind == 'T' && !read_valtype(d, &f->type))	/* record, params */
			return false;
		if (kind == 'C')		/* variant case: optional type, then 0x00 */
		{
			uint8_t		z;

			if (!read_opt_valtype(d, &f->type) || !sf_rd_u8(&d->r, &z) || z != 0)
				return malformed(d, "a variant case");
		}
	}
	return true;
}

static bool
read_tuple(ct_dec *d, ctype *t)
{
	uint32_t	n;

	if (!sf_rd_u32(&d->r, &n))
		return malformed(d, "a count");
	if (n > CT_MAX_ITEMS || n > sf_rd_left(&d->r))
		return malformed(d, "a count past the end");
	t->fields = calloc(n ? n : 1, sizeof(ct_field));
	if (t->fields == NULL)
		return sf_error_set(d->err, SF_NOMEM, "component: out of memory"), false;
	t->n = n;
	for (uint32_t i = 0; i < n; i++)
		if (!read_valtype(d, &t->fields[i].type))
			return false;
	return true;
}

/*
 * One type definition.  Returns false on malformed input; an unsupported
 * definition is decoded as CT_UNSUPPORTED when its extent is known, and
 * otherwise makes the caller skip the rest of the section.
 */
static bool
read_type(ct_dec *d, ctype *t, bool *skip_rest)
{
	uint8_t		op;
	sf_wit_kind k;

	t->elem = t->err = t->result = CT_NO_TYPE;
	if (!sf_rd_u8(&d->r, &op))
		return malformed(d, "a type");
	if (prim_of(op, &k))
	{
		t->kind = CT_PRIM;
		t->prim = k;
		return true;
	}
	switch (op)
	{
		case 0x72:
			t->kind = CT_RECORD;
			return read_fields(d, t, 'T');
		case 0x71:
			t->kind = CT_VARIANT;
			return read_fields(d, t, 'C');
		case 0x70:
			t->kind = CT_LIST;
			return read_valtype(d, &t->elem);
		case 0x6f:
			t->kind = CT_TUPLE;
			return read_tuple(d, t);
		case 0x6e:
			t->kind = CT_FLAGS;
			return read_fields(d, t, 'L');
		case 0x6d:
			t->kind = CT_ENUM;
			return read_fields(d, t, 'L');
		case 0x6b:
			t->kind = CT_OPTION;
			return read_valtype(d, &t->elem);
		case 0x6a:
			t->kind = CT_RESULT;
			return read_opt_valtype(d, &t->elem) && read_opt_valtype(d, &t->err);
		case 0x40:
			{
				uint8_t		rk;

				t->kind = CT_FUNC;
				if (!read_fields(d, t, 'T') || !sf_rd_u8(&d->r, &rk))
					return malformed(d, "a function type");
				if (rk == 0x00)
					return read_valtype(d, &t->result);
				if (rk == 0x01 && sf_rd_u8(&d->r, &rk) && rk == 0x00)
					return true;
				return malformed(d, "a function type's results");
			}
		case 0x69:
		case 0x68:
			{
				uint32_t	idx;

				t->kind = CT_UNSUPPORTED;
				t->why = "resource handles (own, borrow)";
				return sf_rd_u32(&d->r, &idx) || malformed(d, "a handle type");
			}
		default:
			/* resources, component and instance types, async, streams... */
			t->kind = CT_UNSUPPORTED;
			t->why = op == 0x42 ? "instance types (imported or exported interfaces)" :
				op == 0x41 ? "component types" :
				op == 0x3f ? "resource types" :
				op == 0x43 ? "async functions" : "this kind of type";
			*skip_rest = true;
			return true;
	}
}

static bool
type_section(ct_dec *d, size_t end)
{
	uint32_t	n;
	bool		skip = false;

	if (!sf_rd_u32(&d->r, &n))
		return malformed(d, "a count");
	for (uint32_t i = 0; i < n; i++)
	{
		ctype	   *t;

		if (!GROW(d->c->types, d))
			return false;
		t = &d->c->types.v[d->c->types.n];
		memset(t, 0, sizeof(*t));
		if (!skip && !read_type(d, t, &skip))
		{
			d->c->types.n++;
			return false;
		}
		if (skip)
		{
			t->kind = CT_UNSUPPORTED;
			if (t->why == NULL)
				t->why = "a type defined after an unsupported one";
			unsupported(d, t->why);
		}
		d->c->types.n++;
	}
	if (skip)
		d->r.p = d->r.base + end;
	return true;
}

/* --- Core modules and instances, aliases, canon ---------------------------- */

static bool
core_instance_section(ct_dec *d)
{
	uint32_t	n;

	if (!sf_rd_u32(&d->r, &n))
		return malformed(d, "a count");
	for (uint32_t i = 0; i < n; i++)
	{
		uint8_t		op;
		uint32_t	idx,
					nargs;

		if (!sf_rd_u8(&d->r, &op) || op > 1 || !sf_rd_u32(&d->r, &nargs))
			return malformed(d, "a core instance");
		if (op == 0x00)
		{
			idx = nargs;
			if (!sf_rd_u32(&d->r, &nargs))
				return malformed(d, "a core instance");
			if (idx != 0 || d->c->ncore_modules == 0)
				return malformed(d, "a core instance of an unknown module");
			if (d->c->main_instance >= 0)
				unsupported(d, "the core module instantiated twice");
			else if (nargs > 0)
				unsupported(d, "a core module importing functions (canon lower)");
			else
				d->c->main_instance = d->c->ncore_instances;
		}
		for (uint32_t j = 0; j < nargs; j++)
		{
			char	   *name;
			uint8_t		sort;

			if (!read_name(d, &name))
				return false;
			free(name);
			if (!sf_rd_u8(&d->r, &sort) || (op == 0 && sort != 0x12) ||
				!sf_rd_u32(&d->r, &idx))
				return malformed(d, "a core instance argument");
		}
		if (op == 0x01)
			unsupported(d, "core instances made of exports (canon lower)");
		d->c->ncore_instances++;
	}
	return true;
}

static bool
push_core(ct_dec *d, int sort, char *name, const char *why)
{
	if (sort == 0x00)
	{
		if (!GROW(d->c->core_funcs, d))
			return false;
		d->c->core_funcs.v[d->c->core_funcs.n++] = (ct_core) {name, why};
		return true;
	}
	if (sort == 0x02)
	{
		if (!GROW(d->c->core_memories, d))
			return false;
		d->c->core_memories.v[d->c->core_memories.n++] = (ct_core) {name, why};
		return true;
	}
	free(name);					/* tables and globals: not used here */
	return true;
}

static bool
push_func(ct_dec *d, int64_t lift, const char *why)
{
	if (!GROW(d->c->funcs, d))
		return false;
	d->c->funcs.v[d->c->funcs.n++] = (ct_func) {lift, why};
	return true;
}

static bool
push_unsupported_type(ct_dec *d, const char *why)
{
	if (!GROW(d->c->types, d))
		return false;
	memset(&d->c->types.v[d->c->types.n], 0, sizeof(ctype));
	d->c->types.v[d->c->types.n].kind = CT_UNSUPPORTED;
	d->c->types.v[d->c->types.n].why = why;
	d->c->types.n++;
	return true;
}

/* A new index in the space of 'sort' (component-level sortidx sort). */
static bool
push_sort(ct_dec *d, uint8_t sort, uint8_t core_sort, const char *why)
{
	switch (sort)
	{
		case 0x00:
			return push_core(d, core_sort, NULL, why);
		case 0x01:
			return push_func(d, -1, why);
		case 0x03:
			return push_unsupported_type(d, why);
		default:
			return true;		/* instances, components, values */
	}
}

static bool
alias_section(ct_dec *d)
{
	uint32_t	n;

	if (!sf_rd_u32(&d->r, &n))
		return malformed(d, "a count");
	for (uint32_t i = 0; i < n; i++)
	{
		uint8_t		sort,
					core_sort = 0,
					kind;
		uint32_t	inst,
					idx;
		char	   *name = NULL;

		if (!sf_rd_u8(&d->r, &sort) || (sort == 0x00 && !sf_rd_u8(&d->r, &core_sort)) ||
			!sf_rd_u8(&d->r, &kind))
			return malformed(d, "an alias");
		if (kind == 0x02)
		{
			if (!sf_rd_u32(&d->r, &inst) || !sf_rd_u32(&d->r, &idx))
				return malformed(d, "an outer alias");
			unsupported(d, "outer aliases");
			if (!push_sort(d, sort, core_sort, "an outer alias"))
				return false;
			continue;
		}
		if (kind > 1 || !sf_rd_u32(&d->r, &inst) || !read_name(d, &name))
			return malformed(d, "an alias");
		if (kind == 0x01 && sort == 0x00 && (int) inst == d->c->main_instance)
		{
			if (!push_core(d, core_sort, name, NULL))
				return false;
			continue;
		}
		free(name);
		if (kind == 0x00)
			unsupported(d, "aliases of exports of component instances (imported interfaces)");
		if (!push_sort(d, sort, core_sort, "an alias of another instance"))
			return false;
	}
	return true;
}

static bool
read_opts(ct_dec *d, ct_lift *l)
{
	uint32_t	n;

	l->memory = l->realloc = l->post_return = -1;
	if (!sf_rd_u32(&d->r, &n))
		return malformed(d, "canonical options");
	for (uint32_t i = 0; i < n; i++)
	{
		uint8_t		op;
		uint32_t	idx = 0;

		if (!sf_rd_u8(&d->r, &op) || (op >= 3 && op <= 5 && !sf_rd_u32(&d->r, &idx)))
			return malformed(d, "a canonical option");
		switch (op)
		{
			case 0x00:
				break;			/* utf8 */
			case 0x01:
			case 0x02:
				unsupported(d, "string encodings other than UTF-8");
				break;
			case 0x03:
				if (idx >= d->c->core_memories.n)
					return malformed(d, "a memory index out of range");
				l->memory = idx;
				break;
			case 0x04:
			case 0x05:
				if (idx >= d->c->core_funcs.n)
					return malformed(d, "a core function index out of range");
				if (op == 0x04)
					l->realloc = idx;
				else
					l->post_return = idx;
				break;
			case 0x07:
				if (!sf_rd_u32(&d->r, &idx))
					return malformed(d, "a canonical option");
				/* FALLTHROUGH */
			case 0x06:
				unsupported(d, "async functions");
				break;
			default:
				return malformed(d, "an unknown canonical option");
		}
	}
	return true;
}

static bool
canon_section(ct_dec *d)
{
	uint32_t	n;

	if (!sf_rd_u32(&d->r, &n))
		return malformed(d, "a count");
	for (uint32_t i = 0; i < n; i++)
	{
		uint8_t		op,
					sort;
		ct_lift		l;

		if (!sf_rd_u8(&d->r, &op))
			return malformed(d, "a canonical definition");
		if (op == 0x00)
		{
			if (!sf_rd_u8(&d->r, &sort) || sort != 0x00 || !sf_rd_u32(&d->r, &l.core_func) ||
				!read_opts(d, &l) || !sf_rd_u32(&d->r, &l.type))
				return malformed(d, "a canon lift");
			if (l.core_func >= d->c->core_funcs.n || l.type >= d->c->types.n)
				return malformed(d, "a canon lift's index out of range");
			if (!GROW(d->c->lifts, d))
				return false;
			d->c->lifts.v[d->c->lifts.n] = l;
			if (!push_func(d, d->c->lifts.n++, NULL))
				return false;
			continue;
		}
		/* canon lower and the rest define core functions the core module imports. */
		if (op == 0x01)
		{
			uint32_t	f;

			if (!sf_rd_u8(&d->r, &sort) || sort != 0x00 || !sf_rd_u32(&d->r, &f) ||
				!read_opts(d, &l))
				return malformed(d, "a canon lower");
			unsupported(d, "canon lower (the component calls imported functions)");
		}
		else if (op >= 0x02 && op <= 0x04)
		{
			uint32_t	t;

			if (!sf_rd_u32(&d->r, &t))
				return malformed(d, "a resource function");
			unsupported(d, "resources");
		}
		else
		{
			unsupported(d, "async or thread built-ins");
			d->r.p = d->r.end;	/* their encodings vary: skip the section */
			return push_core(d, 0x00, NULL, "a built-in");
		}
		if (!push_core(d, 0x00, NULL, "a lowered function"))
			return false;
	}
	return true;
}

/* --- Imports and exports --------------------------------------------------- */

static bool
read_externname(ct_dec *d, char **name)
{
	uint8_t		kind;

	if (!sf_rd_u8(&d->r, &kind) || kind > 2)
		return malformed(d, "an extern name");
	if (!read_name(d, name))
		return false;
	if (kind == 2)
	{
		uint32_t	n;

		if (!sf_rd_u32(&d->r, &n))
			return malformed(d, "name attributes");
		for (uint32_t i = 0; i < n; i++)
		{
			uint8_t		a;
			char	   *s;

			if (!sf_rd_u8(&d->r, &a) || a > 2 || !read_name(d, &s))
				return malformed(d, "a name attribute");
			free(s);
		}
	}
	return true;
}

/* An externtype: its sort byte in '*sort'. */
static bool
read_externtype(ct_dec *d, uint8_t *sort, uint32_t *idx)
{
	uint8_t		b;

	if (!sf_rd_u8(&d->r, sort))
		return malformed(d, "an extern type");
	switch (*sort)
	{
		case 0x00:
			if (!sf_rd_u8(&d->r, &b) || b != 0x11 || !sf_rd_u32(&d->r, idx))
				return malformed(d, "a core module extern type");
			return true;
		case 0x02:
		case 0x03:
			if (!sf_rd_u8(&d->r, &b) || b > 1)
				return malformed(d, "a bound");
			if (b == 0x01 && *sort == 0x03)
				return true;	/* (sub resource) */
			if (b == 0x01)
			{
				ct_ref		t;

				return read_valtype(d, &t);
			}
			return sf_rd_u32(&d->r, idx) || malformed(d, "a bound");
		case 0x01:
		case 0x04:
		case 0x05:
			return sf_rd_u32(&d->r, idx) || malformed(d, "an extern type");
		default:
			return malformed(d, "an unknown extern type");
	}
}

static bool
import_section(ct_dec *d)
{
	uint32_t	n;

	if (!sf_rd_u32(&d->r, &n))
		return malformed(d, "a count");
	for (uint32_t i = 0; i < n; i++)
	{
		char	   *name;
		uint8_t		sort;
		uint32_t	idx;

		if (!read_externname(d, &name))
			return false;
		if (!GROW(d->c->imports, d))
		{
			free(name);
			return false;
		}
		d->c->imports.v[d->c->imports.n++] = name;
		if (!read_externtype(d, &sort, &idx))
			return false;
		if (sort == 0x01 && !push_func(d, -1, "an imported function"))
			return false;
		if (sort == 0x03 && !push_unsupported_type(d, "an imported type"))
			return false;
	}
	return true;
}

static bool
export_section(ct_dec *d)
{
	uint32_t	n;

	if (!sf_rd_u32(&d->r, &n))
		return malformed(d, "a count");
	for (uint32_t i = 0; i < n; i++)
	{
		char	   *name;
		uint8_t		sort,
					core_sort = 0,
					has_type,
					tsort;
		uint32_t	idx,
					tidx;

		if (!read_externname(d, &name))
			return false;
		if (!sf_rd_u8(&d->r, &sort) || (sort == 0x00 && !sf_rd_u8(&d->r, &core_sort)) ||
			!sf_rd_u32(&d->r, &idx) || !sf_rd_u8(&d->r, &has_type) || has_type > 1 ||
			(has_type && !read_externtype(d, &tsort, &tidx)))
		{
			free(name);
			return malformed(d, "an export");
		}
		if (sort != 0x01 && sort != 0x03)
		{
			free(name);
			unsupported(d, sort == 0x05 ? "exported interfaces (instances): export functions from the world itself" :
						"exports other than functions and types");
			continue;
		}
		if (idx >= (sort == 0x01 ? d->c->funcs.n : d->c->types.n))
		{
			free(name);
			return malformed(d, sort == 0x01 ? "an exported function index out of range" :
							 "an exported type index out of range");
		}
		if (sort == 0x01 ? !GROW(d->c->exports, d) : !GROW(d->c->types, d))
		{
			free(name);
			return false;
		}
		if (sort == 0x01)
		{
			ct_export  *e = &d->c->exports.v[d->c->exports.n++];

			memset(e, 0, sizeof(*e));
			e->pub.name = name;
			e->func = idx;
			if (!push_func(d, d->c->funcs.v[idx].lift, d->c->funcs.v[idx].why))
				return false;
		}
		else
		{
			ctype	   *t = &d->c->types.v[d->c->types.n++];

			memset(t, 0, sizeof(*t));
			t->kind = CT_ALIAS;
			t->target = idx;
			t->name = name;
		}
	}
	return true;
}

/* --- Building WIT types ---------------------------------------------------- */

static const sf_wit_type *build_ref(sf_component *c, ct_ref r, const char *name,
									int depth, sf_error *err);

static const sf_wit_type *
build_fail(sf_error *err, sf_status st, const char *fmt, const char *what)
{
	sf_error_set(err, st, fmt, what);
	return NULL;
}

static const sf_wit_type *
build_type(sf_component *c, ctype *t, const char *name, int depth, sf_error *err)
{
	const sf_wit_type *types[64];
	const sf_wit_type **tv = types;
	const char *names[64];
	const char **nv = names;
	const sf_wit_type *out = NULL;
	char		anon[32];

	if (t->built)
		return t->built;
	if (depth > CT_MAX_DEPTH)
		return build_fail(err, SF_LIMIT, "component: %s", "value types nested too deeply");
	if (t->n > 64)
	{
		tv = calloc(t->n, sizeof(*tv));
		nv = calloc(t->n, sizeof(*nv));
		if (tv == NULL || nv == NULL)
		{
			free(tv);
			free(nv);
			return build_fail(err, SF_NOMEM, "component: %s", "out of memory");
		}
	}
	if (name == NULL)
	{
		snprintf(anon, sizeof(anon), "type%u", (unsigned) (t - c->types.v));
		name = anon;
	}
	for (uint32_t i = 0; i < t->n; i++)
	{
		nv[i] = t->fields[i].name;
		tv[i] = NULL;
		if (t->fields[i].type != CT_NO_TYPE &&
			(tv[i] = build_ref(c, t->fields[i].type, NULL, depth + 1, err)) == NULL)
			goto done;
	}
	switch (t->kind)
	{
		case CT_PRIM:
			out = sf_wit_prim(t->prim);
			break;
		case CT_LIST:
		case CT_OPTION:
			{
				const sf_wit_type *e = build_ref(c, t->elem, NULL, depth + 1, err);

				if (e != NULL)
					out = t->kind == CT_LIST ? sf_wit_list(c->arena, e) : sf_wit_option(c->arena, e);
				break;
			}
		case CT_RESULT:
			{
				const sf_wit_type *ok = NULL,
						   *er = NULL;

				if ((t->elem != CT_NO_TYPE && (ok = build_ref(c, t->elem, NULL, depth + 1, err)) == NULL) ||
					(t->err != CT_NO_TYPE && (er = build_ref(c, t->err, NULL, depth + 1, err)) == NULL))
					goto done;
				out = sf_wit_result(c->arena, ok, er);
				break;
			}
		case CT_RECORD:
			out = sf_wit_record(c->arena, name, t->n, nv, tv);
			break;
		case CT_TUPLE:
			out = sf_wit_tuple(c->arena, t->n, tv);
			break;
		case CT_VARIANT:
			out = sf_wit_variant(c->arena, name, t->n, nv, tv);
			break;
		case CT_ENUM:
			out = sf_wit_enum(c->arena, name, t->n, nv);
			break;
		case CT_FLAGS:
			out = sf_wit_flags(c->arena, name, t->n, nv);
			break;
		case CT_ALIAS:
			out = build_ref(c, t->target, t->name, depth, err);
			break;
		case CT_FUNC:
			build_fail(err, SF_MALFORMED, "component: %s", "a function type used as a value type");
			goto done;
		case CT_UNSUPPORTED:
			build_fail(err, SF_UNSUPPORTED, "component: unsupported: %s", t->why);
			goto done;
	}
	if (out == NULL && err->status == SF_OK)
		sf_wit_arena_status(c->arena, err);
	t->built = out;
done:
	if (tv != types)
	{
		free(tv);
		free(nv);
	}
	return out;
}

static const sf_wit_type *
build_ref(sf_component *c, ct_ref r, const char *name, int depth, sf_error *err)
{
	if (r < 0)
		return sf_wit_prim((sf_wit_kind) (-r - 1));
	return build_type(c, &c->types.v[r], name, depth, err);
}

static const sf_wit_func *
build_func(sf_component *c, uint32_t idx, sf_error *err)
{
	ctype	   *t = &c->types.v[idx];
	const sf_wit_type *types[SF_WIT_MAX_FLAT_PARAMS * 4];
	const char *names[SF_WIT_MAX_FLAT_PARAMS * 4];
	const sf_wit_type *result = NULL;

	while (t->kind == CT_ALIAS)
		t = &c->types.v[t->target];
	if (t->kind != CT_FUNC)
	{
		sf_error_set(err, t->kind == CT_UNSUPPORTED ? SF_UNSUPPORTED : SF_MALFORMED,
					 "component: a lifted function's type is not a function type%s%s",
					 t->why ? ": " : "", t->why ? t->why : "");
		return NULL;
	}
	if (t->built_func)
		return t->built_func;
	if (t->n > sizeof(types) / sizeof(types[0]))
	{
		sf_error_set(err, SF_LIMIT, "component: a function with %u parameters", t->n);
		return NULL;
	}
	for (uint32_t i = 0; i < t->n; i++)
	{
		names[i] = t->fields[i].name;
		if ((types[i] = build_ref(c, t->fields[i].type, NULL, 1, err)) == NULL)
			return NULL;
	}
	if (t->result != CT_NO_TYPE && (result = build_ref(c, t->result, NULL, 1, err)) == NULL)
		return NULL;
	t->built_func = sf_wit_func_new(c->arena, t->n, names, types, result);
	if (t->built_func == NULL)
		sf_wit_arena_status(c->arena, err);
	return t->built_func;
}

static const char *
core_name(sf_component *c, int64_t idx)
{
	return idx < 0 ? NULL : c->core_funcs.v[idx].name;
}

/* Each exported function: its lift, core names and WIT type. */
static sf_status
resolve_exports(sf_component *c, sf_error *err)
{
	for (uint32_t i = 0; i < c->exports.n; i++)
	{
		sf_component_export *e = &c->exports.v[i].pub;
		ct_func    *f = &c->funcs.v[c->exports.v[i].func];
		ct_lift    *l;

		if (f->lift < 0)
			return sf_error_set(err, SF_UNSUPPORTED,
								"component: export \"%s\" is not a lifted core function (%s)",
								e->name, f->why ? f->why : "unknown");
		l = &c->lifts.v[f->lift];
		e->core_name = core_name(c, l->core_func);
		if (e->core_name == NULL)
			return sf_error_set(err, SF_UNSUPPORTED,
								"component: export \"%s\" lifts a core function that is not an export of its core module",
								e->name);
		e->memory = l->memory < 0 ? NULL : c->core_memories.v[l->memory].name;
		e->realloc = core_name(c, l->realloc);
		e->post_return = core_name(c, l->post_return);
		if ((l->memory >= 0 && e->memory == NULL) || (l->realloc >= 0 && e->realloc == NULL) ||
			(l->post_return >= 0 && e->post_return == NULL))
			return sf_error_set(err, SF_UNSUPPORTED,
								"component: the options of export \"%s\" name what its core module does not export",
								e->name);
		if ((e->type = build_func(c, l->type, err)) == NULL)
			return err->status;
	}
	return SF_OK;
}

/* --- Entry points ---------------------------------------------------------- */

int
sf_is_component(const uint8_t *bytes, size_t len)
{
	static const uint8_t preamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

	return len >= 8 && memcmp(bytes, preamble, 8) == 0;
}

void
sf_component_free(sf_component *c)
{
	if (c == NULL)
		return;
	for (uint32_t i = 0; i < c->types.n; i++)
	{
		for (uint32_t j = 0; j < c->types.v[i].n; j++)
			free(c->types.v[i].fields[j].name);
		free(c->types.v[i].fields);
		free(c->types.v[i].name);
	}
	for (uint32_t i = 0; i < c->core_funcs.n; i++)
		free(c->core_funcs.v[i].name);
	for (uint32_t i = 0; i < c->core_memories.n; i++)
		free(c->core_memories.v[i].name);
	for (uint32_t i = 0; i < c->imports.n; i++)
		free(c->imports.v[i]);
	for (uint32_t i = 0; i < c->exports.n; i++)
		free((char *) c->exports.v[i].pub.name);
	free(c->types.v);
	free(c->core_funcs.v);
	free(c->core_memories.v);
	free(c->lifts.v);
	free(c->funcs.v);
	free(c->imports.v);
	free(c->exports.v);
	if (c->arena)
		sf_wit_arena_free(c->arena);
	free(c);
}

static bool
decode_sections(ct_dec *d)
{
	while (!sf_rd_eof(&d->r))
	{
		uint8_t		id;
		uint32_t	size;
		size_t		end;
		const uint8_t *save_end = d->r.end;
		bool		ok = true;

		if (!sf_rd_u8(&d->r, &id) || !sf_rd_u32(&d->r, &size) || size > sf_rd_left(&d->r))
			return malformed(d, "a section header");
		end = sf_rd_off(&d->r) + size;
		d->r.end = d->r.base + end;
		switch (id)
		{
			case 0:				/* custom */
				break;
			case 1:
				if (d->c->ncore_modules++ == 0)
				{
					d->c->core = d->r.p;
					d->c->core_len = size;
				}
				else
					unsupported(d, "more than one core module");
				break;
			case 2:
				ok = core_instance_section(d);
				break;
			case 3:				/* core types: used only by nested declarations */
				break;
			case 6:
				ok = alias_section(d);
				break;
			case 7:
				ok = type_section(d, end);
				break;
			case 8:
				ok = canon_section(d);
				break;
			case 10:
				ok = import_section(d);
				break;
			case 11:
				ok = export_section(d);
				break;
			case 4:
				unsupported(d, "nested components");
				break;
			case 5:
				unsupported(d, "component instances");
				break;
			default:
				unsupported(d, "start functions and values");
				break;
		}
		if (!ok)
			return false;
		if (id != 0 && id != 1 && id != 3 && id != 4 && id != 5 && id <= 11 &&
			sf_rd_off(&d->r) != end && d->c->unsupported == NULL)
			return malformed(d, "a section's size does not match its contents");
		d->r.p = d->r.base + end;
		d->r.end = save_end;
	}
	return true;
}

sf_component *
sf_component_decode(const uint8_t *bytes, size_t len, sf_error *err)
{
	sf_error	local;
	ct_dec		d;
	sf_component *c;

	if (err == NULL)
		err = &local;
	sf_error_clear(err);
	if (!sf_is_component(bytes, len))
	{
		sf_error_set(err, SF_MALFORMED, "not a WebAssembly component (no component preamble)");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->arena = sf_wit_arena_new()) == NULL)
	{
		free(c);
		sf_error_set(err, SF_NOMEM, "component: out of memory");
		return NULL;
	}
	c->main_instance = -1;
	d.c = c;
	d.err = err;
	sf_rd_init(&d.r, bytes, 8, len);
	if (decode_sections(&d))
	{
		if (c->unsupported == NULL && c->ncore_modules == 0)
			unsupported(&d, "a component without a core module");
		if (c->unsupported == NULL && c->main_instance < 0)
			unsupported(&d, "a core module that is never instantiated");
		if (c->imports.n > 0)
			return c;			/* the caller names them; the rest is moot */
		if (c->unsupported != NULL)
			sf_error_set(err, SF_UNSUPPORTED, "component: unsupported: %s", c->unsupported);
		else if (resolve_exports(c, err) == SF_OK)
			return c;
	}
	sf_component_free(c);
	return NULL;
}

void
sf_component_core(const sf_component *c, const uint8_t **bytes, size_t *len)
{
	*bytes = c->core;
	*len = c->core_len;
}

uint32_t
sf_component_num_imports(const sf_component *c)
{
	return c->imports.n;
}

const char *
sf_component_import(const sf_component *c, uint32_t i)
{
	return i < c->imports.n ? c->imports.v[i] : NULL;
}

uint32_t
sf_component_num_exports(const sf_component *c)
{
	return c->imports.n > 0 ? 0 : c->exports.n;
}

const sf_component_export *
sf_component_export_at(const sf_component *c, uint32_t i)
{
	return i < sf_component_num_exports(c) ? &c->exports.v[i].pub : NULL;
}

const sf_component_export *
sf_component_find_export(const sf_component *c, const char *name, size_t len)
{
	for (uint32_t i = 0; i < sf_component_num_exports(c); i++)
	{
		const sf_component_export *e = &c->exports.v[i].pub;

		if (strlen(e->name) == len && memcmp(e->name, name, len) == 0)
			return e;
	}
	return NULL;
}
