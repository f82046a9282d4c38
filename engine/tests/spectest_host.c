/*
** spectest_host.c -- the "spectest" host module (see spectest_host.h).
*/
#include <stdlib.h>
#include <string.h>

#include "spectest_host.h"
#include "util.h"

typedef struct export_ent
{
	const char *name;
	sf_extern	ext;
} export_ent;

#define NEXPORTS 13

struct sf_spectest
{
	export_ent	ex[NEXPORTS];
	int			n;
};

static int
print_fn(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results)
{
	return 0;
}

static bool
add_func(sf_spectest *st, sf_store *s, const char *name, const sf_valtype *params,
		 uint32_t np, sf_error *err)
{
	sf_functype ft = {np, 0, params, NULL};
	sf_func    *f = sf_func_new_host(s, &ft, print_fn, NULL, err);

	if (f == NULL)
		return false;
	st->ex[st->n].name = name;
	st->ex[st->n].ext.kind = SF_EXTERN_FUNC;
	st->ex[st->n++].ext.of.func = f;
	return true;
}

static bool
add_global(sf_spectest *st, sf_store *s, const char *name, sf_val v, sf_error *err)
{
	sf_global  *g = sf_global_new(s, v, 0, err);

	if (g == NULL)
		return false;
	st->ex[st->n].name = name;
	st->ex[st->n].ext.kind = SF_EXTERN_GLOBAL;
	st->ex[st->n++].ext.of.global = g;
	return true;
}

static sf_val
val_bits(sf_valtype t, uint64_t bits)
{
	sf_val		v;

	memset(&v, 0, sizeof(v));
	v.type = t;
	v.of.i64 = (int64_t) bits;
	if (t == SF_I32 || t == SF_F32)
		v.of.i32 = (int32_t) (uint32_t) bits;
	return v;
}

sf_spectest *
sf_spectest_new(sf_store *s, sf_error *err)
{
	static const sf_valtype i32[] = {SF_I32}, i64[] = {SF_I64}, f32[] = {SF_F32},
				f64[] = {SF_F64}, i32f32[] = {SF_I32, SF_F32}, f64f64[] = {SF_F64, SF_F64};
	sf_spectest *st = calloc(1, sizeof(*st));
	sf_limits	tl = {10, 20, 1}, ml = {1, 2, 1};
	sf_table   *t;
	sf_memory  *m;

	if (st == NULL)
	{
		sf_error_set(err, SF_NOMEM, "out of memory");
		return NULL;
	}
	if (!add_func(st, s, "print", NULL, 0, err) ||
		!add_func(st, s, "print_i32", i32, 1, err) ||
		!add_func(st, s, "print_i64", i64, 1, err) ||
		!add_func(st, s, "print_f32", f32, 1, err) ||
		!add_func(st, s, "print_f64", f64, 1, err) ||
		!add_func(st, s, "print_i32_f32", i32f32, 2, err) ||
		!add_func(st, s, "print_f64_f64", f64f64, 2, err) ||
		!add_global(st, s, "global_i32", val_bits(SF_I32, 666), err) ||
		!add_global(st, s, "global_i64", val_bits(SF_I64, 666), err) ||
		!add_global(st, s, "global_f32", val_bits(SF_F32, 0x4426a666u), err) ||
		!add_global(st, s, "global_f64", val_bits(SF_F64, 0x4084d4cccccccccdull), err) ||
		(t = sf_table_new(s, SF_FUNCREF, tl, err)) == NULL ||
		(m = sf_memory_new(s, ml, err)) == NULL)
	{
		free(st);
		return NULL;
	}
	st->ex[st->n].name = "table";
	st->ex[st->n].ext.kind = SF_EXTERN_TABLE;
	st->ex[st->n++].ext.of.table = t;
	st->ex[st->n].name = "memory";
	st->ex[st->n].ext.kind = SF_EXTERN_MEMORY;
	st->ex[st->n++].ext.of.memory = m;
	return st;
}

void
sf_spectest_free(sf_spectest *st)
{
	free(st);
}

bool
sf_spectest_lookup(sf_spectest *st, const char *name, size_t len, sf_extern *out)
{
	for (int i = 0; i < st->n; i++)
		if (strlen(st->ex[i].name) == len && memcmp(st->ex[i].name, name, len) == 0)
		{
			*out = st->ex[i].ext;
			return true;
		}
	return false;
}
