/*
** test_wit.c -- WIT types (wit.c): the canonical ABI's size, alignment and
** flattening for a 32-bit memory, function types under the 16-parameter
** and 1-result limits, names, errors, and WIT text.
**
** Two oracles: values worked out by hand from CanonicalABI.md, and a
** second implementation written here the way the document states it
** (recursive, option/result/enum despecialized to variants on the fly),
** compared with the engine's on randomly built types.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "slackfuel.h"

#define P(k) sf_wit_prim(SF_WIT_##k)

static sf_wit_arena *
arena(void)
{
	sf_wit_arena *a = sf_wit_arena_new();

	assert_non_null(a);
	return a;
}

static void
assert_ok(sf_wit_arena *a)
{
	sf_error	err;

	if (sf_wit_arena_status(a, &err) != SF_OK)
		fail_msg("arena error: %s", err.msg);
}

static void
assert_flat(const sf_wit_type *t, uint32_t n, ...)
{
	va_list		ap;

	assert_int_equal(t->nflat, n);
	va_start(ap, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(t->flat[i], va_arg(ap, int));
	va_end(ap);
}

static void
assert_layout(const sf_wit_type *t, uint32_t size, uint32_t align)
{
	assert_non_null(t);
	assert_int_equal(t->size, size);
	assert_int_equal(t->align, align);
}

static const char *
text_of(const sf_wit_type *t)
{
	static char buf[4096];

	sf_wit_print_type(t, buf, sizeof(buf));
	return buf;
}

/* --- By hand ------------------------------------------------------------- */

static void
test_primitives(void **state)
{
	static const struct
	{
		sf_wit_kind k;
		uint32_t	size;
		sf_valtype	flat;
	}			want[] = {
		{SF_WIT_BOOL, 1, SF_I32}, {SF_WIT_S8, 1, SF_I32}, {SF_WIT_U8, 1, SF_I32},
		{SF_WIT_S16, 2, SF_I32}, {SF_WIT_U16, 2, SF_I32}, {SF_WIT_S32, 4, SF_I32},
		{SF_WIT_U32, 4, SF_I32}, {SF_WIT_S64, 8, SF_I64}, {SF_WIT_U64, 8, SF_I64},
		{SF_WIT_F32, 4, SF_F32}, {SF_WIT_F64, 8, SF_F64}, {SF_WIT_CHAR, 4, SF_I32},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
	{
		const sf_wit_type *t = sf_wit_prim(want[i].k);

		assert_layout(t, want[i].size, want[i].size);
		assert_flat(t, 1, want[i].flat);
		assert_string_equal(text_of(t), sf_wit_kind_name(want[i].k));
	}
	assert_layout(P(STRING), 8, 4);
	assert_flat(P(STRING), 2, SF_I32, SF_I32);
	assert_null(sf_wit_prim(SF_WIT_LIST));
	assert_null(sf_wit_prim(SF_WIT_KIND_COUNT));
}

static void
test_records_and_tuples(void **state)
{
	sf_wit_arena *a = arena();
	const char *n3[] = {"a", "b", "c"};
	const sf_wit_type *t3[] = {P(U8), P(U32), P(U16)};
	const sf_wit_type *r = sf_wit_record(a, "r", 3, n3, t3);
	const sf_wit_type *t2[] = {P(U64), P(U8)};
	const sf_wit_type *r2 = sf_wit_record(a, "big-one", 2, n3, t2);
	const sf_wit_type *tt[] = {P(U8), P(U16), P(U8)};
	const sf_wit_type *tup = sf_wit_tuple(a, 3, tt);
	const sf_wit_type *nest[] = {P(U8), r2, P(STRING)};
	const sf_wit_type *tn = sf_wit_tuple(a, 3, nest);

	assert_ok(a);
	assert_layout(r, 12, 4);
	assert_int_equal(r->fields[0].offset, 0);
	assert_int_equal(r->fields[1].offset, 4);
	assert_int_equal(r->fields[2].offset, 8);
	assert_flat(r, 3, SF_I32, SF_I32, SF_I32);
	assert_layout(r2, 16, 8);
	assert_flat(r2, 2, SF_I64, SF_I32);
	assert_layout(tup, 6, 2);
	assert_int_equal(tup->fields[1].offset, 2);
	assert_int_equal(tup->fields[2].offset, 4);
	/* u8 at 0, the record at 8 (16 bytes), the string at 24: 32, align 8 */
	assert_layout(tn, 32, 8);
	assert_int_equal(tn->fields[1].offset, 8);
	assert_int_equal(tn->fields[2].offset, 24);
	assert_flat(tn, 5, SF_I32, SF_I64, SF_I32, SF_I32, SF_I32);
	assert_string_equal(text_of(tn), "tuple<u8, big-one, string>");
	sf_wit_arena_free(a);
}

static void
test_lists_options_results(void **state)
{
	sf_wit_arena *a = arena();
	const sf_wit_type *ls = sf_wit_list(a, P(STRING));
	const sf_wit_type *ou8 = sf_wit_option(a, P(U8));
	const sf_wit_type *o64 = sf_wit_option(a, P(S64));
	const sf_wit_type *os = sf_wit_option(a, P(STRING));
	const sf_wit_type *of = sf_wit_option(a, P(F32));
	const sf_wit_type *rfu = sf_wit_result(a, P(F32), P(U32));
	const sf_wit_type *rdf = sf_wit_result(a, P(F64), P(F32));
	const sf_wit_type *rnone = sf_wit_result(a, NULL, NULL);
	const sf_wit_type *rerr = sf_wit_result(a, NULL, P(STRING));
	const sf_wit_type *rok = sf_wit_result(a, P(U16), NULL);
	const sf_wit_type *lol = sf_wit_list(a, sf_wit_option(a, sf_wit_list(a, P(S32))));

	assert_ok(a);
	assert_layout(ls, 8, 4);
	assert_flat(ls, 2, SF_I32, SF_I32);
	assert_layout(ou8, 2, 1);
	assert_int_equal(ou8->payload_offset, 1);
	assert_flat(ou8, 2, SF_I32, SF_I32);
	assert_layout(o64, 16, 8);
	assert_int_equal(o64->payload_offset, 8);
	assert_flat(o64, 2, SF_I32, SF_I64);
	assert_layout(os, 12, 4);
	assert_int_equal(os->payload_offset, 4);
	assert_flat(os, 3, SF_I32, SF_I32, SF_I32);
	assert_flat(of, 2, SF_I32, SF_F32);
	assert_flat(rfu, 2, SF_I32, SF_I32);	/* join(f32, i32) = i32 */
	assert_flat(rdf, 2, SF_I32, SF_I64);	/* join(f64, f32) = i64 */
	assert_layout(rdf, 16, 8);
	assert_layout(rnone, 1, 1);
	assert_flat(rnone, 1, SF_I32);
	assert_layout(rerr, 12, 4);
	assert_int_equal(ou8->ncases, 2);
	assert_int_equal(ou8->disc_size, 1);
	assert_null(sf_wit_case_type(ou8, 0));
	assert_ptr_equal(sf_wit_case_type(ou8, 1), P(U8));
	assert_ptr_equal(sf_wit_case_type(rerr, 1), P(STRING));
	assert_string_equal(text_of(lol), "list<option<list<s32>>>");
	assert_string_equal(text_of(rnone), "result");
	assert_string_equal(text_of(rerr), "result<_, string>");
	assert_string_equal(text_of(rok), "result<u16>");
	assert_string_equal(text_of(rfu), "result<f32, u32>");
	sf_wit_arena_free(a);
}

/* 'n' labels "c0", "c1", ... */
static const char **
labels(uint32_t n)
{
	const char **l = calloc(n, sizeof(char *));

	assert_non_null(l);
	for (uint32_t i = 0; i < n; i++)
	{
		char	   *s = malloc(16);

		assert_non_null(s);
		snprintf(s, 16, "c%u", i);
		l[i] = s;
	}
	return l;
}

static void
free_labels(const char **l, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free((char *) l[i]);
	free(l);
}

static void
test_variants_enums_flags(void **state)
{
	sf_wit_arena *a = arena();
	const char **l = labels(65537);
	const sf_wit_type *pa[] = {P(F32), sf_wit_tuple(a, 2, (const sf_wit_type *[]) {P(U32), P(U32)})};
	const sf_wit_type *va = sf_wit_variant(a, "v", 2, l, pa);
	const sf_wit_type *pb[] = {P(U8), P(F64), NULL};
	const sf_wit_type *vb = sf_wit_variant(a, "w", 3, l, pb);
	const sf_wit_type *pc[] = {sf_wit_tuple(a, 2, (const sf_wit_type *[]) {P(F32), P(F32)}), P(F32)};
	const sf_wit_type *vc = sf_wit_variant(a, "x", 2, l, pc);

	assert_ok(a);
	assert_flat(va, 3, SF_I32, SF_I32, SF_I32);
	assert_layout(va, 12, 4);
	assert_flat(vb, 2, SF_I32, SF_I64);
	assert_layout(vb, 16, 8);
	assert_flat(vc, 3, SF_I32, SF_F32, SF_F32);
	assert_ptr_equal(sf_wit_case_type(vb, 1), P(F64));
	assert_null(sf_wit_case_type(vb, 2));

	/* the discriminant is the smallest of u8, u16, u32 that counts the cases */
	assert_int_equal(sf_wit_enum(a, "e1", 1, l)->disc_size, 1);
	assert_int_equal(sf_wit_enum(a, "e256", 256, l)->disc_size, 1);
	assert_layout(sf_wit_enum(a, "e257", 257, l), 2, 2);
	assert_layout(sf_wit_enum(a, "e65536", 65536, l), 2, 2);
	assert_layout(sf_wit_enum(a, "e65537", 65537, l), 4, 4);
	assert_flat(sf_wit_enum(a, "e3", 3, l), 1, SF_I32);
	{
		const sf_wit_type *pv[257] = {[256] = P(U8)};
		const sf_wit_type *v = sf_wit_variant(a, "big", 257, l, pv);

		assert_layout(v, 4, 2);
		assert_int_equal(v->payload_offset, 2);
	}

	assert_layout(sf_wit_flags(a, "f1", 1, l), 1, 1);
	assert_layout(sf_wit_flags(a, "f8", 8, l), 1, 1);
	assert_layout(sf_wit_flags(a, "f9", 9, l), 2, 2);
	assert_layout(sf_wit_flags(a, "f16", 16, l), 2, 2);
	assert_layout(sf_wit_flags(a, "f17", 17, l), 4, 4);
	assert_layout(sf_wit_flags(a, "f32", 32, l), 4, 4);
	assert_flat(sf_wit_flags(a, "g", 32, l), 1, SF_I32);
	assert_ok(a);
	assert_null(sf_wit_flags(a, "f33", 33, l));
	assert_int_equal(sf_wit_arena_status(a, NULL), SF_LIMIT);
	free_labels(l, 65537);
	sf_wit_arena_free(a);
}

static void
test_functions(void **state)
{
	sf_wit_arena *a = arena();
	const char **l = labels(17);
	const sf_wit_type *p[17];
	const sf_wit_func *f16,
			   *f17,
			   *fs,
			   *f0,
			   *f8;

	for (int i = 0; i < 17; i++)
		p[i] = P(S32);
	f16 = sf_wit_func_new(a, 16, l, p, P(S64));
	f17 = sf_wit_func_new(a, 17, l, p, NULL);
	fs = sf_wit_func_new(a, 2, l, (const sf_wit_type *[]) {P(STRING), P(F64)}, P(STRING));
	f0 = sf_wit_func_new(a, 0, NULL, NULL, NULL);
	p[0] = P(STRING);			/* 2 + 7 * 2: 16 flat, still in registers */
	for (int i = 1; i < 8; i++)
		p[i] = P(STRING);
	f8 = sf_wit_func_new(a, 8, l, p, sf_wit_option(a, P(U8)));
	assert_ok(a);

	assert_int_equal(f16->nflat_params, 16);
	assert_false(f16->params_in_memory);
	assert_int_equal(f16->core.nparams, 16);
	assert_int_equal(f16->core.nresults, 1);
	assert_int_equal(f16->core.results[0], SF_I64);

	assert_int_equal(f17->nflat_params, 17);
	assert_true(f17->params_in_memory);
	assert_int_equal(f17->core.nparams, 1);
	assert_int_equal(f17->core.params[0], SF_I32);
	assert_int_equal(f17->core.nresults, 0);
	assert_layout(f17->params_tuple, 68, 4);

	assert_int_equal(fs->core.nparams, 3);
	assert_int_equal(fs->core.params[2], SF_F64);
	assert_true(fs->result_in_memory);
	assert_int_equal(fs->core.nresults, 1);
	assert_int_equal(fs->core.results[0], SF_I32);

	assert_int_equal(f0->core.nparams, 0);
	assert_int_equal(f0->core.nresults, 0);
	assert_null(f0->params_tuple);

	assert_false(f8->params_in_memory);
	assert_int_equal(f8->core.nparams, 16);
	assert_true(f8->result_in_memory);	/* option<u8> flattens to 2 */
	free_labels(l, 17);
	sf_wit_arena_free(a);
}

static void
test_names(void **state)
{
	const char *good[] = {"a", "foo-bar", "FOO-bar", "a-1", "x2y", "HTTP", "parse-XML-document", "a-B-c"};
	const char *bad[] = {"", "Foo", "foo_bar", "1a", "a--b", "a-", "-a", "fOO", "a b", "%a", "é"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(sf_wit_name_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sf_wit_name_ok(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_false(sf_wit_name_ok(NULL));
}

static void
expect_error(sf_wit_arena *a, sf_status st, const char *part)
{
	sf_error	err;

	assert_int_equal(sf_wit_arena_status(a, &err), st);
	if (strstr(err.msg, part) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, part);
	sf_wit_arena_free(a);
}

static void
test_errors(void **state)
{
	sf_wit_arena *a;
	const char *n2[] = {"x", "X"};
	const sf_wit_type *t2[] = {P(U8), P(U8)};
	const sf_wit_type *t;

	a = arena();
	assert_null(sf_wit_record(a, "r", 2, n2, t2));
	expect_error(a, SF_BADARG, "duplicate WIT name \"X\"");

	a = arena();
	assert_null(sf_wit_record(a, "r", 0, n2, t2));
	expect_error(a, SF_BADARG, "at least one member");

	a = arena();
	assert_null(sf_wit_record(a, "my_rec", 2, (const char *[]) {"a", "b"}, t2));
	expect_error(a, SF_BADARG, "\"my_rec\" is not a WIT identifier");

	a = arena();
	assert_null(sf_wit_tuple(a, 2, (const sf_wit_type *[]) {P(U8), NULL}));
	expect_error(a, SF_BADARG, "has no type");

	/* a failed child makes every parent fail, and the first error stays */
	a = arena();
	t = sf_wit_list(a, sf_wit_option(a, sf_wit_enum(a, "bad name", 1, n2)));
	assert_null(t);
	assert_null(sf_wit_list(a, P(U8)));
	expect_error(a, SF_BADARG, "\"bad name\"");

	/* sizes reach 2^28: 8 kB, 8 MB, then 512 MB */
	a = arena();
	{
		const sf_wit_type *m[1024];

		for (int i = 0; i < 1024; i++)
			m[i] = P(U64);
		t = sf_wit_tuple(a, 1024, m);
		assert_layout(t, 8192, 8);
		for (int i = 0; i < 1024; i++)
			m[i] = t;
		t = sf_wit_tuple(a, 1024, m);
		assert_layout(t, 8u << 20, 8);
		for (int i = 0; i < 64; i++)
			m[i] = t;
		assert_null(sf_wit_tuple(a, 64, m));
	}
	expect_error(a, SF_LIMIT, "too large");

	a = arena();
	t = P(U8);
	for (int i = 0; i < 100; i++)
		t = sf_wit_option(a, t);
	assert_non_null(t);
	assert_int_equal(t->depth, 100);
	assert_null(sf_wit_option(a, t));
	expect_error(a, SF_LIMIT, "nests too deeply");
}

static void
test_printing(void **state)
{
	sf_wit_arena *a = arena();
	const sf_wit_type *color = sf_wit_enum(a, "color", 2, (const char *[]) {"red", "type"});
	const sf_wit_type *point = sf_wit_record(a, "point", 2, (const char *[]) {"x", "y"},
											 (const sf_wit_type *[]) {P(F64), P(F64)});
	const sf_wit_type *shape = sf_wit_variant(a, "shape", 2, (const char *[]) {"dot", "none"},
											  (const sf_wit_type *[]) {point, NULL});
	const sf_wit_type *perm = sf_wit_flags(a, "perm", 2, (const char *[]) {"read", "write"});
	const sf_wit_type *rec = sf_wit_record(a, "record", 3, (const char *[]) {"c", "s", "p"},
										   (const sf_wit_type *[]) {color, sf_wit_list(a, shape), perm});
	const sf_wit_func *f1 = sf_wit_func_new(a, 2, (const char *[]) {"r", "list"},
											(const sf_wit_type *[]) {rec, P(S32)},
											sf_wit_option(a, point));
	const sf_wit_func *f2 = sf_wit_func_new(a, 1, (const char *[]) {"p"},
											(const sf_wit_type *[]) {point}, NULL);
	const sf_wit_func *fs[] = {f1, f2};
	const char *names[] = {"area", "show-it"};
	char		buf[2048];
	char		tiny[8];
	size_t		n;

	assert_ok(a);
	sf_wit_print_typedef(point, "", buf, sizeof(buf));
	assert_string_equal(buf, "record point {\n    x: f64,\n    y: f64,\n}\n");
	sf_wit_print_typedef(shape, "  ", buf, sizeof(buf));
	assert_string_equal(buf, "  variant shape {\n      dot(point),\n      none,\n  }\n");
	sf_wit_print_typedef(color, "", buf, sizeof(buf));
	assert_string_equal(buf, "enum color {\n    red,\n    %type,\n}\n");
	assert_string_equal(text_of(rec), "%record");
	assert_int_equal(sf_wit_print_typedef(P(S32), "", buf, sizeof(buf)), 0);

	sf_wit_print_func("area", f1, buf, sizeof(buf));
	assert_string_equal(buf, "area: func(r: %record, %list: s32) -> option<point>;");

	n = sf_wit_print_world("udfs", 2, names, fs, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf,
						"world udfs {\n"
						"    enum color {\n        red,\n        %type,\n    }\n"
						"    record point {\n        x: f64,\n        y: f64,\n    }\n"
						"    variant shape {\n        dot(point),\n        none,\n    }\n"
						"    flags perm {\n        read,\n        write,\n    }\n"
						"    record %record {\n        c: color,\n        s: list<shape>,\n        p: perm,\n    }\n"
						"    export area: func(r: %record, %list: s32) -> option<point>;\n"
						"    export show-it: func(p: point);\n"
						"}\n");

	/* snprintf-like: truncated, terminated, and the needed length returned */
	assert_int_equal(sf_wit_print_world("udfs", 2, names, fs, tiny, sizeof(tiny)), n);
	assert_string_equal(tiny, "world u");
	assert_int_equal(sf_wit_print_type(point, NULL, 0), 5);
	sf_wit_arena_free(a);
}

/* --- The document's definitions, written out again ----------------------- */

static uint32_t ref_align(const sf_wit_type *t);
static uint32_t ref_size(const sf_wit_type *t);

static uint32_t
align_up(uint32_t n, uint32_t a)
{
	return (n + a - 1) / a * a;
}

/* Cases of a despecialized variant: option, result, enum, variant. */
static uint32_t
ref_ncases(const sf_wit_type *t)
{
	return t->kind == SF_WIT_OPTION || t->kind == SF_WIT_RESULT ? 2 : t->nfields;
}

static const sf_wit_type *
ref_case(const sf_wit_type *t, uint32_t i)
{
	switch (t->kind)
	{
		case SF_WIT_OPTION:
			return i == 0 ? NULL : t->elem;
		case SF_WIT_RESULT:
			return i == 0 ? t->elem : t->err;
		case SF_WIT_ENUM:
			return NULL;
		default:
			return t->fields[i].type;
	}
}

static uint32_t
ref_disc(const sf_wit_type *t)
{
	uint32_t	n = ref_ncases(t);

	/* ceil(log2(n) / 8): 0 or 1 -> u8, 2 -> u16, 3 -> u32 */
	uint32_t	bits = 0;

	while ((1ull << bits) < n)
		bits++;
	switch ((bits + 7) / 8)
	{
		case 0:
		case 1:
			return 1;
		case 2:
			return 2;
		default:
			return 4;
	}
}

static uint32_t
ref_case_align(const sf_wit_type *t)
{
	uint32_t	a = 1;

	for (uint32_t i = 0; i < ref_ncases(t); i++)
		if (ref_case(t, i) && ref_align(ref_case(t, i)) > a)
			a = ref_align(ref_case(t, i));
	return a;
}

static int
variant_like(const sf_wit_type *t)
{
	return t->kind == SF_WIT_OPTION || t->kind == SF_WIT_RESULT ||
		t->kind == SF_WIT_ENUM || t->kind == SF_WIT_VARIANT;
}

static uint32_t
ref_align(const sf_wit_type *t)
{
	uint32_t	a = 1;

	switch (t->kind)
	{
		case SF_WIT_BOOL: case SF_WIT_S8: case SF_WIT_U8:
			return 1;
		case SF_WIT_S16: case SF_WIT_U16:
			return 2;
		case SF_WIT_S32: case SF_WIT_U32: case SF_WIT_F32: case SF_WIT_CHAR:
		case SF_WIT_STRING: case SF_WIT_LIST:
			return 4;
		case SF_WIT_S64: case SF_WIT_U64: case SF_WIT_F64:
			return 8;
		case SF_WIT_RECORD: case SF_WIT_TUPLE:
			for (uint32_t i = 0; i < t->nfields; i++)
				if (ref_align(t->fields[i].type) > a)
					a = ref_align(t->fields[i].type);
			return a;
		case SF_WIT_FLAGS:
			return t->nfields <= 8 ? 1 : t->nfields <= 16 ? 2 : 4;
		default:
			a = ref_case_align(t);
			return ref_disc(t) > a ? ref_disc(t) : a;
	}
}

static uint32_t
ref_size(const sf_wit_type *t)
{
	uint32_t	s = 0,
				cs = 0;

	switch (t->kind)
	{
		case SF_WIT_STRING: case SF_WIT_LIST:
			return 8;
		case SF_WIT_RECORD: case SF_WIT_TUPLE:
			for (uint32_t i = 0; i < t->nfields; i++)
			{
				s = align_up(s, ref_align(t->fields[i].type));
				s += ref_size(t->fields[i].type);
			}
			return align_up(s, ref_align(t));
		case SF_WIT_FLAGS:
			return ref_align(t);
		default:
			if (!variant_like(t))
				return ref_align(t);	/* primitives: size = alignment */
			s = align_up(ref_disc(t), ref_case_align(t));
			for (uint32_t i = 0; i < ref_ncases(t); i++)
				if (ref_case(t, i) && ref_size(ref_case(t, i)) > cs)
					cs = ref_size(ref_case(t, i));
			return align_up(s + cs, ref_align(t));
	}
}

static sf_valtype
ref_join(sf_valtype a, sf_valtype b)
{
	if (a == b)
		return a;
	if ((a == SF_I32 && b == SF_F32) || (a == SF_F32 && b == SF_I32))
		return SF_I32;
	return SF_I64;
}

/* flatten_type into 'out' (room for 4096); returns the count. */
static uint32_t
ref_flatten(const sf_wit_type *t, sf_valtype *out)
{
	uint32_t	n = 0;

	switch (t->kind)
	{
		case SF_WIT_S64: case SF_WIT_U64:
			out[0] = SF_I64;
			return 1;
		case SF_WIT_F32:
			out[0] = SF_F32;
			return 1;
		case SF_WIT_F64:
			out[0] = SF_F64;
			return 1;
		case SF_WIT_STRING: case SF_WIT_LIST:
			out[0] = out[1] = SF_I32;
			return 2;
		case SF_WIT_RECORD: case SF_WIT_TUPLE:
			for (uint32_t i = 0; i < t->nfields; i++)
				n += ref_flatten(t->fields[i].type, out + n);
			return n;
		default:
			out[0] = SF_I32;
			if (!variant_like(t))
				return 1;
			n = 1;
			for (uint32_t i = 0; i < ref_ncases(t); i++)
			{
				sf_valtype	c[4096];
				uint32_t	k = ref_case(t, i) ? ref_flatten(ref_case(t, i), c) : 0;

				for (uint32_t j = 0; j < k; j++)
				{
					if (1 + j < n)
						out[1 + j] = ref_join(out[1 + j], c[j]);
					else
						out[n++] = c[j];
				}
			}
			return n;
	}
}

/* A random type of at most 'depth' levels, built in 'a'. */
static const sf_wit_type *
random_type(sf_wit_arena *a, unsigned *seed, int depth, int *serial)
{
	static const char *const nm[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
	const sf_wit_type *m[8];
	char		name[16];
	uint32_t	n;
	int			pick = rand_r(seed) % (depth > 0 ? 21 : 13);

	if (pick < 13)
		return sf_wit_prim((sf_wit_kind) pick);
	n = 1 + (uint32_t) (rand_r(seed) % 5);
	for (uint32_t i = 0; i < n; i++)
		m[i] = rand_r(seed) % 4 == 0 && pick == 18 ? NULL :
			random_type(a, seed, depth - 1, serial);
	snprintf(name, sizeof(name), "t%d", (*serial)++);
	switch (pick)
	{
		case 13:
			return sf_wit_list(a, m[0]);
		case 14:
			return sf_wit_option(a, m[0]);
		case 15:
			return sf_wit_result(a, rand_r(seed) % 3 ? m[0] : NULL,
								 n > 1 && rand_r(seed) % 3 ? m[1] : NULL);
		case 16:
			return sf_wit_record(a, name, n, nm, m);
		case 17:
			return sf_wit_tuple(a, n, m);
		case 18:
			return sf_wit_variant(a, name, n, nm, m);
		case 19:
			return sf_wit_enum(a, name, n, nm);
		default:
			return sf_wit_flags(a, name, n, nm);
	}
}

static void
check_against_reference(const sf_wit_type *t)
{
	sf_valtype	flat[4096];
	uint32_t	n = ref_flatten(t, flat);

	assert_int_equal(t->align, ref_align(t));
	assert_int_equal(t->size, ref_size(t));
	assert_int_equal(t->nflat, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(t->flat[i], flat[i]);
	if (t->kind == SF_WIT_RECORD || t->kind == SF_WIT_TUPLE)
	{
		uint32_t	off = 0;

		for (uint32_t i = 0; i < t->nfields; i++)
		{
			off = align_up(off, ref_align(t->fields[i].type));
			assert_int_equal(t->fields[i].offset, off);
			off += ref_size(t->fields[i].type);
			check_against_reference(t->fields[i].type);
		}
	}
	if (variant_like(t))
	{
		assert_int_equal(t->disc_size, ref_disc(t));
		assert_int_equal(t->payload_offset, align_up(ref_disc(t), ref_case_align(t)));
		for (uint32_t i = 0; i < ref_ncases(t); i++)
		{
			assert_ptr_equal(sf_wit_case_type(t, i), ref_case(t, i));
			if (ref_case(t, i))
				check_against_reference(ref_case(t, i));
		}
	}
	if (t->kind == SF_WIT_LIST)
		check_against_reference(t->elem);
}

static void
test_random_against_reference(void **state)
{
	unsigned	seed = 12345;
	int			serial = 0;

	for (int round = 0; round < 2000; round++)
	{
		sf_wit_arena *a = arena();
		const sf_wit_type *t = random_type(a, &seed, 1 + round % 4, &serial);

		assert_ok(a);
		check_against_reference(t);
		sf_wit_arena_free(a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_records_and_tuples),
		cmocka_unit_test(test_lists_options_results),
		cmocka_unit_test(test_variants_enums_flags),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_printing),
		cmocka_unit_test(test_random_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
