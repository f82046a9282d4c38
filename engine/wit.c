/*
** wit.c -- WIT value types, their canonical ABI layout, and WIT text.
**
** The layout follows the Component Model's CanonicalABI.md for a 32-bit
** memory: alignment, elem_size (here 'size') and flatten_type, with
** option, result and enum laid out as the variants they despecialize to.
** Each type's layout is computed once, when it is built from types whose
** layout is already known, so reading it is a field access.
*/
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "slackfuel.h"
#include "util.h"

/* Nesting deeper than this is refused, so that walks may recurse. */
#define WIT_MAX_DEPTH	100

/* --- Arena ---------------------------------------------------------------- */

typedef struct chunk
{
	struct chunk *next;
	size_t		used,
				cap;
	max_align_t data[];
} chunk;

struct sf_wit_arena
{
	chunk	   *chunks;
	sf_error	err;			/* the first error */
};

sf_wit_arena *
sf_wit_arena_new(void)
{
	sf_wit_arena *a = calloc(1, sizeof(*a));

	if (a != NULL)
		sf_error_clear(&a->err);
	return a;
}

void
sf_wit_arena_free(sf_wit_arena *a)
{
	if (a == NULL)
		return;
	while (a->chunks != NULL)
	{
		chunk	   *next = a->chunks->next;

		free(a->chunks);
		a->chunks = next;
	}
	free(a);
}

sf_status
sf_wit_arena_status(const sf_wit_arena *a, sf_error *err)
{
	if (err != NULL)
		*err = a->err;
	return a->err.status;
}

static int
failed(const sf_wit_arena *a)
{
	return a->err.status != SF_OK;
}

static void *fail(sf_wit_arena *a, sf_status st, const char *fmt,...) SF_PRINTF(3, 4);

static void *
fail(sf_wit_arena *a, sf_status st, const char *fmt,...)
{
	va_list		ap;

	if (!failed(a))
	{
		va_start(ap, fmt);
		sf_error_vset(&a->err, st, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

static void *
arena_alloc(sf_wit_arena *a, size_t size)
{
	const size_t al = sizeof(max_align_t);
	chunk	   *c = a->chunks;
	void	   *p;

	size = (size + al - 1) / al * al;
	if (size == 0)
		size = al;
	if (c == NULL || c->cap - c->used < size)
	{
		size_t		cap = size > 4096 ? size : 4096;

		c = malloc(sizeof(chunk) + cap);
		if (c == NULL)
			return fail(a, SF_NOMEM, "out of memory");
		c->used = 0;
		c->cap = cap;
		c->next = a->chunks;
		a->chunks = c;
	}
	p = (char *) c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

static const char *
arena_strdup(sf_wit_arena *a, const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *p = arena_alloc(a, n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

/* --- Names ---------------------------------------------------------------- */

static const char *const keywords[] = {
	"as", "async", "bool", "borrow", "char", "constructor", "enum", "export",
	"f32", "f64", "flags", "from", "func", "future", "import", "include",
	"interface", "list", "map", "option", "own", "package", "record",
	"resource", "result", "s16", "s32", "s64", "s8", "static", "stream",
	"string", "tuple", "type", "u16", "u32", "u64", "u8", "use", "variant",
	"with", "world"
};

static int
is_keyword(const char *name)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(name, keywords[i]) == 0)
			return 1;
	return 0;
}

/*
** A label: fragments separated by '-', each all lowercase letters and
** digits or all uppercase letters and digits; the first starts with a
** letter.
*/
int
sf_wit_name_ok(const char *name)
{
	const char *p = name;

	if (name == NULL || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while (*p)
	{
		int			lower = 0,
					upper = 0;
		const char *start = p;

		for (; *p && *p != '-'; p++)
		{
			if (*p >= 'a' && *p <= 'z')
				lower = 1;
			else if (*p >= 'A' && *p <= 'Z')
				upper = 1;
			else if (!(*p >= '0' && *p <= '9'))
				return 0;
		}
		if (p == start || (lower && upper))
			return 0;
		if (*p == '-' && *++p == '\0')
			return 0;
	}
	return 1;
}

/* Names compare without regard to case (WIT's uniqueness rule). */
static int
name_cmp(const char *a, const char *b)
{
	for (;; a++, b++)
	{
		int			x = (*a >= 'A' && *a <= 'Z') ? *a - 'A' + 'a' : *a;
		int			y = (*b >= 'A' && *b <= 'Z') ? *b - 'A' + 'a' : *b;

		if (x != y || x == 0)
			return x - y;
	}
}

static int
field_cmp(const void *x, const void *y)
{
	return name_cmp((*(const sf_wit_field *const *) x)->name,
					(*(const sf_wit_field *const *) y)->name);
}

/* No two of the 'n' names of 'f' are the same; sorted, so any n is cheap. */
static int
names_unique(sf_wit_arena *a, const sf_wit_field *f, uint32_t n)
{
	const sf_wit_field **s = malloc((size_t) n * sizeof(*s));
	const char *dup = NULL;

	if (s == NULL)
	{
		fail(a, SF_NOMEM, "out of memory");
		return 0;
	}
	for (uint32_t i = 0; i < n; i++)
		s[i] = &f[i];
	qsort(s, n, sizeof(*s), field_cmp);
	for (uint32_t i = 1; i < n && dup == NULL; i++)
		if (name_cmp(s[i - 1]->name, s[i]->name) == 0)
			dup = s[i - 1] < s[i] ? s[i]->name : s[i - 1]->name;
	free(s);
	if (dup != NULL)
		fail(a, SF_BADARG, "duplicate WIT name \"%s\"", dup);
	return dup == NULL;
}

/* --- Primitives ----------------------------------------------------------- */

static const char *const kind_names[] = {
#define SF_X_(id, name) name,
	SF_WIT_KIND_LIST(SF_X_)
#undef SF_X_
};

const char *
sf_wit_kind_name(sf_wit_kind k)
{
	return (unsigned) k < SF_WIT_KIND_COUNT ? kind_names[k] : "?";
}

static const sf_valtype flat_i32[2] = {SF_I32, SF_I32};
static const sf_valtype flat_i64[1] = {SF_I64};
static const sf_valtype flat_f32[1] = {SF_F32};
static const sf_valtype flat_f64[1] = {SF_F64};

#define PRIM(k, sz, fl, n) {k, NULL, NULL, NULL, 0, NULL, sz, sz, 0, 0, 0, n, fl, 0}

static const sf_wit_type prims[] = {
	PRIM(SF_WIT_BOOL, 1, flat_i32, 1),
	PRIM(SF_WIT_S8, 1, flat_i32, 1),
	PRIM(SF_WIT_U8, 1, flat_i32, 1),
	PRIM(SF_WIT_S16, 2, flat_i32, 1),
	PRIM(SF_WIT_U16, 2, flat_i32, 1),
	PRIM(SF_WIT_S32, 4, flat_i32, 1),
	PRIM(SF_WIT_U32, 4, flat_i32, 1),
	PRIM(SF_WIT_S64, 8, flat_i64, 1),
	PRIM(SF_WIT_U64, 8, flat_i64, 1),
	PRIM(SF_WIT_F32, 4, flat_f32, 1),
	PRIM(SF_WIT_F64, 8, flat_f64, 1),
	PRIM(SF_WIT_CHAR, 4, flat_i32, 1),
	{SF_WIT_STRING, NULL, NULL, NULL, 0, NULL, 8, 4, 0, 0, 0, 2, flat_i32, 0},
};

const sf_wit_type *
sf_wit_prim(sf_wit_kind k)
{
	return (unsigned) k <= SF_WIT_STRING ? &prims[k] : NULL;
}

/* --- Layout helpers ------------------------------------------------------- */

static uint64_t
align_to(uint64_t n, uint32_t align)
{
	return (n + align - 1) / align * align;
}

/* Nesting depth: 0 for primitives, one more than the deepest member. */
static uint32_t
depth_of(const sf_wit_type *t)
{
	uint32_t	d = 0;

	if (t->elem && t->elem->depth > d)
		d = t->elem->depth;
	if (t->err && t->err->depth > d)
		d = t->err->depth;
	for (uint32_t i = 0; i < t->nfields; i++)
		if (t->fields[i].type && t->fields[i].type->depth > d)
			d = t->fields[i].type->depth;
	return d + 1;
}

static sf_wit_type *
new_type(sf_wit_arena *a, sf_wit_kind kind)
{
	sf_wit_type *t;

	if (failed(a))
		return NULL;
	t = arena_alloc(a, sizeof(*t));
	if (t != NULL)
		t->kind = kind;
	return t;
}

/* Checks common to every finished type: size and nesting bounds. */
static const sf_wit_type *
finish(sf_wit_arena *a, sf_wit_type *t, uint64_t size)
{
	if (size >= SF_WIT_MAX_SIZE)
		return fail(a, SF_LIMIT, "WIT type %s is too large: its size reaches 2^28 bytes",
					sf_wit_kind_name(t->kind));
	t->size = (uint32_t) size;
	t->depth = depth_of(t);
	if (t->depth > WIT_MAX_DEPTH)
		return fail(a, SF_LIMIT, "WIT type %s nests too deeply", sf_wit_kind_name(t->kind));
	return t;
}

/* The fields of 'names' x 'types' in the arena, names checked and unique. */
static sf_wit_field *
new_fields(sf_wit_arena *a, const char *what, uint32_t n,
		   const char *const *names, const sf_wit_type *const *types,
		   int need_types)
{
	sf_wit_field *f;

	if (n == 0)
		return fail(a, SF_BADARG, "a WIT %s needs at least one member", what);
	f = arena_alloc(a, (size_t) n * sizeof(*f));
	if (f == NULL)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
	{
		if (names != NULL)
		{
			if (!sf_wit_name_ok(names[i]))
				return fail(a, SF_BADARG, "\"%s\" is not a WIT identifier",
							names[i] ? names[i] : "(null)");
			if ((f[i].name = arena_strdup(a, names[i])) == NULL)
				return NULL;
		}
		f[i].type = types ? types[i] : NULL;
		if (need_types && f[i].type == NULL)
			return fail(a, SF_BADARG, "a member of a WIT %s has no type", what);
	}
	if (names != NULL && !names_unique(a, f, n))
		return NULL;
	return f;
}

static int
set_name(sf_wit_arena *a, sf_wit_type *t, const char *name)
{
	if (!sf_wit_name_ok(name))
	{
		fail(a, SF_BADARG, "\"%s\" is not a WIT identifier", name ? name : "(null)");
		return 0;
	}
	return (t->name = arena_strdup(a, name)) != NULL;
}

/* --- Lists, records, tuples ----------------------------------------------- */

const sf_wit_type *
sf_wit_list(sf_wit_arena *a, const sf_wit_type *elem)
{
	sf_wit_type *t = new_type(a, SF_WIT_LIST);

	if (t == NULL)
		return NULL;
	if (elem == NULL)
		return fail(a, SF_BADARG, "a WIT list needs an element type");
	t->elem = elem;
	t->align = 4;
	t->nflat = 2;
	t->flat = flat_i32;
	return finish(a, t, 8);
}

/* Offsets, alignment, size and flattening of a record or tuple. */
static const sf_wit_type *
lay_out_fields(sf_wit_arena *a, sf_wit_type *t, sf_wit_field *f, uint32_t n)
{
	uint64_t	s = 0;
	uint64_t	nflat = 0;
	sf_valtype *flat;

	t->align = 1;
	for (uint32_t i = 0; i < n; i++)
	{
		s = align_to(s, f[i].type->align);
		f[i].offset = (uint32_t) (s < SF_WIT_MAX_SIZE ? s : SF_WIT_MAX_SIZE);
		s += f[i].type->size;
		if (s >= SF_WIT_MAX_SIZE)
			s = SF_WIT_MAX_SIZE;
		if (f[i].type->align > t->align)
			t->align = f[i].type->align;
		nflat += f[i].type->nflat;
	}
	if (nflat >= SF_WIT_MAX_SIZE)
		return fail(a, SF_LIMIT, "WIT %s flattens to too many values", sf_wit_kind_name(t->kind));
	flat = arena_alloc(a, (size_t) nflat * sizeof(sf_valtype));
	if (flat == NULL)
		return NULL;
	t->nflat = 0;
	for (uint32_t i = 0; i < n; i++)
	{
		memcpy(flat + t->nflat, f[i].type->flat, f[i].type->nflat * sizeof(sf_valtype));
		t->nflat += f[i].type->nflat;
	}
	t->flat = flat;
	t->fields = f;
	t->nfields = n;
	return finish(a, t, align_to(s, t->align));
}

const sf_wit_type *
sf_wit_record(sf_wit_arena *a, const char *name, uint32_t n,
			  const char *const *names, const sf_wit_type *const *types)
{
	sf_wit_type *t = new_type(a, SF_WIT_RECORD);
	sf_wit_field *f;

	if (t == NULL || !set_name(a, t, name))
		return NULL;
	if (names == NULL)
		return fail(a, SF_BADARG, "a WIT record's fields need names");
	f = new_fields(a, "record", n, names, types, 1);
	return f ? lay_out_fields(a, t, f, n) : NULL;
}

const sf_wit_type *
sf_wit_tuple(sf_wit_arena *a, uint32_t n, const sf_wit_type *const *types)
{
	sf_wit_type *t = new_type(a, SF_WIT_TUPLE);
	sf_wit_field *f;

	if (t == NULL)
		return NULL;
	f = new_fields(a, "tuple", n, NULL, types, 1);
	return f ? lay_out_fields(a, t, f, n) : NULL;
}

/* --- Variants and what despecializes to them ------------------------------ */

static sf_valtype
join(sf_valtype x, sf_valtype y)
{
	if (x == y)
		return x;
	if ((x == SF_I32 && y == SF_F32) || (x == SF_F32 && y == SF_I32))
		return SF_I32;
	return SF_I64;
}

const sf_wit_type *
sf_wit_case_type(const sf_wit_type *t, uint32_t i)
{
	switch (t->kind)
	{
		case SF_WIT_OPTION:
			return i == 1 ? t->elem : NULL;
		case SF_WIT_RESULT:
			return i == 0 ? t->elem : t->err;
		case SF_WIT_VARIANT:
			return i < t->nfields ? t->fields[i].type : NULL;
		default:
			return NULL;
	}
}

/*
** The discriminant, payload offset, alignment, size and flattening of a
** variant-like type of 'ncases' cases.
*/
static const sf_wit_type *
lay_out_cases(sf_wit_arena *a, sf_wit_type *t, uint32_t ncases)
{
	uint32_t	case_align = 1;
	uint64_t	case_size = 0;
	uint32_t	npay = 0;
	sf_valtype *flat;

	t->ncases = ncases;
	t->disc_size = ncases <= 256 ? 1 : ncases <= 65536 ? 2 : 4;
	for (uint32_t i = 0; i < ncases; i++)
	{
		const sf_wit_type *c = sf_wit_case_type(t, i);

		if (c == NULL)
			continue;
		if (c->align > case_align)
			case_align = c->align;
		if (c->size > case_size)
			case_size = c->size;
		if (c->nflat > npay)
			npay = c->nflat;
	}
	t->payload_offset = (uint32_t) align_to(t->disc_size, case_align);
	t->align = t->disc_size > case_align ? t->disc_size : case_align;
	flat = arena_alloc(a, (size_t) (1 + npay) * sizeof(sf_valtype));
	if (flat == NULL)
		return NULL;
	flat[0] = SF_I32;
	npay = 0;
	for (uint32_t i = 0; i < ncases; i++)
	{
		const sf_wit_type *c = sf_wit_case_type(t, i);

		for (uint32_t j = 0; c != NULL && j < c->nflat; j++)
			flat[1 + j] = j < npay ? join(flat[1 + j], c->flat[j]) : c->flat[j];
		if (c != NULL && c->nflat > npay)
			npay = c->nflat;
	}
	t->nflat = 1 + npay;
	t->flat = flat;
	return finish(a, t, align_to(t->payload_offset + case_size, t->align));
}

const sf_wit_type *
sf_wit_option(sf_wit_arena *a, const sf_wit_type *elem)
{
	sf_wit_type *t = new_type(a, SF_WIT_OPTION);

	if (t == NULL)
		return NULL;
	if (elem == NULL)
		return fail(a, SF_BADARG, "a WIT option needs an element type");
	t->elem = elem;
	return lay_out_cases(a, t, 2);
}

const sf_wit_type *
sf_wit_result(sf_wit_arena *a, const sf_wit_type *ok, const sf_wit_type *err)
{
	sf_wit_type *t = new_type(a, SF_WIT_RESULT);

	if (t == NULL)
		return NULL;
	t->elem = ok;
	t->err = err;
	return lay_out_cases(a, t, 2);
}

const sf_wit_type *
sf_wit_variant(sf_wit_arena *a, const char *name, uint32_t n,
			   const char *const *names, const sf_wit_type *const *types)
{
	sf_wit_type *t = new_type(a, SF_WIT_VARIANT);
	sf_wit_field *f;

	if (t == NULL || !set_name(a, t, name))
		return NULL;
	if (names == NULL)
		return fail(a, SF_BADARG, "a WIT variant's cases need names");
	if ((f = new_fields(a, "variant", n, names, types, 0)) == NULL)
		return NULL;
	t->fields = f;
	t->nfields = n;
	return lay_out_cases(a, t, n);
}

const sf_wit_type *
sf_wit_enum(sf_wit_arena *a, const char *name, uint32_t n,
			const char *const *labels)
{
	sf_wit_type *t = new_type(a, SF_WIT_ENUM);
	sf_wit_field *f;

	if (t == NULL || !set_name(a, t, name))
		return NULL;
	if (labels == NULL)
		return fail(a, SF_BADARG, "a WIT enum needs labels");
	if ((f = new_fields(a, "enum", n, labels, NULL, 0)) == NULL)
		return NULL;
	t->fields = f;
	t->nfields = n;
	return lay_out_cases(a, t, n);
}

const sf_wit_type *
sf_wit_flags(sf_wit_arena *a, const char *name, uint32_t n,
			 const char *const *labels)
{
	sf_wit_type *t = new_type(a, SF_WIT_FLAGS);
	sf_wit_field *f;

	if (t == NULL || !set_name(a, t, name))
		return NULL;
	if (n > 32)
		return fail(a, SF_LIMIT, "WIT flags have at most 32 labels");
	if (labels == NULL)
		return fail(a, SF_BADARG, "WIT flags need labels");
	if ((f = new_fields(a, "flags", n, labels, NULL, 0)) == NULL)
		return NULL;
	t->fields = f;
	t->nfields = n;
	t->align = n <= 8 ? 1 : n <= 16 ? 2 : 4;
	t->nflat = 1;
	t->flat = flat_i32;
	return finish(a, t, t->align);
}

/* --- Functions ------------------------------------------------------------ */

const sf_wit_func *
sf_wit_func_new(sf_wit_arena *a, uint32_t nparams, const char *const *names,
				const sf_wit_type *const *types, const sf_wit_type *result)
{
	sf_wit_func *f;
	sf_valtype *params;
	sf_valtype *results;

	if (failed(a) || (f = arena_alloc(a, sizeof(*f))) == NULL)
		return NULL;
	if (nparams > 0)
	{
		if (names == NULL)
			return fail(a, SF_BADARG, "a WIT function's parameters need names");
		if ((f->params = new_fields(a, "function", nparams, names, types, 1)) == NULL ||
			(f->params_tuple = sf_wit_tuple(a, nparams, types)) == NULL)
			return NULL;
	}
	f->nparams = nparams;
	f->result = result;
	f->nflat_params = f->params_tuple ? f->params_tuple->nflat : 0;
	f->nflat_results = result ? result->nflat : 0;
	f->params_in_memory = f->nflat_params > SF_WIT_MAX_FLAT_PARAMS;
	f->result_in_memory = f->nflat_results > SF_WIT_MAX_FLAT_RESULTS;
	f->core.nparams = f->params_in_memory ? 1 : f->nflat_params;
	f->core.nresults = f->result_in_memory ? 1 : f->nflat_results;
	params = f->params_in_memory ? (sf_valtype *) flat_i32 :
		(sf_valtype *) (f->nflat_params ? f->params_tuple->flat : NULL);
	results = f->result_in_memory ? (sf_valtype *) flat_i32 :
		(sf_valtype *) (result ? result->flat : NULL);
	f->core.params = params;
	f->core.results = results;
	return f;
}

/* --- WIT text ------------------------------------------------------------- */

typedef struct out
{
	char	   *buf;
	size_t		cap,
				len;
} out;

static void
put(out *o, const char *s)
{
	size_t		n = strlen(s);

	if (o->len < o->cap)
	{
		size_t		room = o->cap - o->len - 1;
		size_t		k = n < room ? n : room;

		memcpy(o->buf + o->len, s, k);
		o->buf[o->len + k] = '\0';
	}
	o->len += n;
}

static void
put_name(out *o, const char *name)
{
	if (is_keyword(name))
		put(o, "%");
	put(o, name);
}

static void
put_type(out *o, const sf_wit_type *t)
{
	switch (t->kind)
	{
		case SF_WIT_LIST:
		case SF_WIT_OPTION:
			put(o, sf_wit_kind_name(t->kind));
			put(o, "<");
			put_type(o, t->elem);
			put(o, ">");
			break;
		case SF_WIT_RESULT:
			put(o, "result");
			if (t->elem == NULL && t->err == NULL)
				break;
			put(o, "<");
			if (t->elem)
				put_type(o, t->elem);
			else
				put(o, "_");
			if (t->err)
			{
				put(o, ", ");
				put_type(o, t->err);
			}
			put(o, ">");
			break;
		case SF_WIT_TUPLE:
			put(o, "tuple<");
			for (uint32_t i = 0; i < t->nfields; i++)
			{
				if (i > 0)
					put(o, ", ");
				put_type(o, t->fields[i].type);
			}
			put(o, ">");
			break;
		case SF_WIT_RECORD:
		case SF_WIT_VARIANT:
		case SF_WIT_ENUM:
		case SF_WIT_FLAGS:
			put_name(o, t->name);
			break;
		default:
			put(o, sf_wit_kind_name(t->kind));
			break;
	}
}

static void
put_typedef(out *o, const sf_wit_type *t, const char *indent)
{
	if (t->name == NULL)
		return;
	put(o, indent);
	put(o, sf_wit_kind_name(t->kind));
	put(o, " ");
	put_name(o, t->name);
	put(o, " {\n");
	for (uint32_t i = 0; i < t->nfields; i++)
	{
		put(o, indent);
		put(o, "    ");
		put_name(o, t->fields[i].name);
		if (t->kind == SF_WIT_RECORD)
		{
			put(o, ": ");
			put_type(o, t->fields[i].type);
		}
		else if (t->fields[i].type != NULL)
		{
			put(o, "(");
			put_type(o, t->fields[i].type);
			put(o, ")");
		}
		put(o, ",\n");
	}
	put(o, indent);
	put(o, "}\n");
}

static void
put_func(out *o, const char *name, const sf_wit_func *f)
{
	put_name(o, name);
	put(o, ": func(");
	for (uint32_t i = 0; i < f->nparams; i++)
	{
		if (i > 0)
			put(o, ", ");
		put_name(o, f->params[i].name);
		put(o, ": ");
		put_type(o, f->params[i].type);
	}
	put(o, ")");
	if (f->result)
	{
		put(o, " -> ");
		put_type(o, f->result);
	}
	put(o, ";");
}

size_t
sf_wit_print_type(const sf_wit_type *t, char *buf, size_t cap)
{
	out			o = {buf, cap, 0};

	if (cap > 0)
		buf[0] = '\0';
	put_type(&o, t);
	return o.len;
}

size_t
sf_wit_print_typedef(const sf_wit_type *t, const char *indent, char *buf,
					 size_t cap)
{
	out			o = {buf, cap, 0};

	if (cap > 0)
		buf[0] = '\0';
	put_typedef(&o, t, indent ? indent : "");
	return o.len;
}

size_t
sf_wit_print_func(const char *name, const sf_wit_func *f, char *buf, size_t cap)
{
	out			o = {buf, cap, 0};

	if (cap > 0)
		buf[0] = '\0';
	put_func(&o, name, f);
	return o.len;
}

/*
** The named types a world uses, in post-order (a type after those it
** uses), numbered from 0 as they are met.  A visit callback sees each.
*/
typedef struct walk
{
	uint32_t	seen;			/* named types met so far */
	uint32_t	stop;			/* for find_name: look before this one */
	const char *name;
	int			found;
	out		   *o;
	uint32_t	n;				/* the world's functions */
	const sf_wit_func *const *funcs;
} walk;

static void walk_type(walk *w, const sf_wit_type *t,
					  void (*visit) (walk *, const sf_wit_type *));

static void
walk_funcs(walk *w, uint32_t n, const sf_wit_func *const *funcs,
		   void (*visit) (walk *, const sf_wit_type *))
{
	for (uint32_t i = 0; i < n; i++)
	{
		for (uint32_t j = 0; j < funcs[i]->nparams; j++)
			walk_type(w, funcs[i]->params[j].type, visit);
		if (funcs[i]->result)
			walk_type(w, funcs[i]->result, visit);
	}
}

static void
walk_type(walk *w, const sf_wit_type *t,
		  void (*visit) (walk *, const sf_wit_type *))
{
	if (t == NULL || t->kind <= SF_WIT_STRING)
		return;
	walk_type(w, t->elem, visit);
	walk_type(w, t->err, visit);
	if (t->kind != SF_WIT_ENUM && t->kind != SF_WIT_FLAGS)
		for (uint32_t i = 0; i < t->nfields; i++)
			walk_type(w, t->fields[i].type, visit);
	if (t->name != NULL)
	{
		visit(w, t);
		w->seen++;
	}
}

static void
find_name(walk *w, const sf_wit_type *t)
{
	if (w->seen < w->stop && strcmp(t->name, w->name) == 0)
		w->found = 1;
}

/* Print a named type unless one of its name was met before it. */
static void
print_first(walk *w, const sf_wit_type *t)
{
	walk		again = {0};

	again.stop = w->seen;
	again.name = t->name;
	walk_funcs(&again, w->n, w->funcs, find_name);
	if (!again.found)
		put_typedef(w->o, t, "    ");
}

size_t
sf_wit_print_world(const char *name, uint32_t n, const char *const *names,
				   const sf_wit_func *const *funcs, char *buf, size_t cap)
{
	out			o = {buf, cap, 0};
	walk		w = {0};

	if (cap > 0)
		buf[0] = '\0';
	put(&o, "world ");
	put_name(&o, name);
	put(&o, " {\n");
	w.o = &o;
	w.n = n;
	w.funcs = funcs;
	walk_funcs(&w, n, funcs, print_first);
	for (uint32_t i = 0; i < n; i++)
	{
		put(&o, "    export ");
		put_func(&o, names[i], funcs[i]);
		put(&o, "\n");
	}
	put(&o, "}\n");
	return o.len;
}
