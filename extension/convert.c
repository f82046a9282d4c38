/*
 * convert.c -- SQL values in and out of wasm.
 *
 * Scalars map one to one (int2/int4/bool <-> i32, int8 <-> i64, float4 <->
 * f32, float8 <-> f64).  text, varchar and bytea follow the Component
 * Model canonical ABI: the guest exports "memory" and
 * cabi_realloc(old_ptr, old_size, align, new_size) -> ptr; a string
 * argument is copied into memory the guest allocated and passed as
 * (ptr, len); a string result is an i32 pointing at a (ptr, len) pair.
 * Text crosses as UTF-8 whatever the database encoding.  Every pointer
 * and length the guest hands back is checked against the memory size
 * before it is read, and results that do not fit their SQL type are
 * errors, not truncations.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "plwasm.h"

slackfuel_kind
slackfuel_kind_of(Oid typid, bool is_result, const char *fname)
{
	switch (typid)
	{
		case BOOLOID:
			return SLACKFUEL_BOOL;
		case INT2OID:
			return SLACKFUEL_INT2;
		case INT4OID:
			return SLACKFUEL_INT4;
		case INT8OID:
			return SLACKFUEL_INT8;
		case FLOAT4OID:
			return SLACKFUEL_FLOAT4;
		case FLOAT8OID:
			return SLACKFUEL_FLOAT8;
		case TEXTOID:
		case VARCHAROID:
			return SLACKFUEL_TEXT;
		case BYTEAOID:
			return SLACKFUEL_BYTEA;
		case VOIDOID:
			if (is_result)
				return SLACKFUEL_VOID;
			break;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("wasm function \"%s\" cannot %s type %s", fname,
					is_result ? "return" : "take an argument of",
					format_type_be(typid)),
			 errhint("wasm functions support bool, smallint, integer, bigint, real, double precision, text, varchar and bytea.")));
	return SLACKFUEL_VOID;		/* keep compiler quiet */
}

/* The SQL signature of a pg_proc row; refuses what wasm cannot express. */
void
slackfuel_sig_from_proc(HeapTuple proctup, slackfuel_sig *sig)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(proctup);
	const char *fname = NameStr(p->proname);
	bool		isnull;

	if (p->proretset)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm function \"%s\" cannot return a set", fname)));
	SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proallargtypes, &isnull);
	if (!isnull)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm function \"%s\" cannot have OUT or VARIADIC parameters", fname)));
	sig->nargs = p->pronargs;
	sig->uses_memory = false;
	for (int i = 0; i < p->pronargs; i++)
	{
		sig->argtypes[i] = p->proargtypes.values[i];
		sig->args[i] = slackfuel_kind_of(sig->argtypes[i], false, fname);
		sig->uses_memory |= SLACKFUEL_KIND_IN_MEMORY(sig->args[i]);
	}
	sig->rettype = p->prorettype;
	sig->ret = slackfuel_kind_of(p->prorettype, true, fname);
	sig->uses_memory |= SLACKFUEL_KIND_IN_MEMORY(sig->ret);
}

static sf_valtype
wasm_type(slackfuel_kind k)
{
	switch (k)
	{
		case SLACKFUEL_INT8:
			return SF_I64;
		case SLACKFUEL_FLOAT4:
			return SF_F32;
		case SLACKFUEL_FLOAT8:
			return SF_F64;
		default:
			return SF_I32;
	}
}

static void
append_types(StringInfo s, uint32 n, const sf_valtype *t)
{
	appendStringInfoChar(s, '(');
	for (uint32 i = 0; i < n; i++)
		appendStringInfo(s, "%s%s", i ? ", " : "", sf_valtype_name(t[i]));
	appendStringInfoChar(s, ')');
}

char *
slackfuel_format_functype(const sf_functype *ft)
{
	StringInfoData s;

	initStringInfo(&s);
	append_types(&s, ft->nparams, ft->params);
	appendStringInfoString(&s, " -> ");
	append_types(&s, ft->nresults, ft->results);
	return s.data;
}

/* The wasm type a SQL signature needs, in storage owned by the caller. */
static void
expected_functype(const slackfuel_sig *sig, sf_valtype *params,
				  sf_valtype *results, sf_functype *ft)
{
	uint32		n = 0;

	for (int i = 0; i < sig->nargs; i++)
	{
		params[n++] = SF_I32;
		if (SLACKFUEL_KIND_IN_MEMORY(sig->args[i]))
			params[n++] = SF_I32;	/* (ptr, len) */
		else
			params[n - 1] = wasm_type(sig->args[i]);
	}
	ft->nparams = n;
	ft->params = params;
	ft->nresults = sig->ret == SLACKFUEL_VOID ? 0 : 1;
	results[0] = wasm_type(sig->ret);
	ft->results = results;
}

static bool
functype_equal(const sf_functype *a, const sf_functype *b)
{
	if (a->nparams != b->nparams || a->nresults != b->nresults)
		return false;
	for (uint32 i = 0; i < a->nparams; i++)
		if (a->params[i] != b->params[i])
			return false;
	for (uint32 i = 0; i < a->nresults; i++)
		if (a->results[i] != b->results[i])
			return false;
	return true;
}

void
slackfuel_check_signature(const char *fname, const slackfuel_sig *sig,
						  const char *export_name, const sf_functype *ft)
{
	sf_valtype	params[2 * FUNC_MAX_ARGS];
	sf_valtype	results[1];
	sf_functype want;

	expected_functype(sig, params, results, &want);
	if (!functype_equal(&want, ft))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm export \"%s\" does not match the signature of function \"%s\"",
						export_name, fname),
				 errdetail("The export has type %s; the SQL signature needs %s.",
						   slackfuel_format_functype(ft),
						   slackfuel_format_functype(&want)),
				 errhint("text, varchar and bytea arguments are (ptr, len) pairs of i32; such results are an i32 pointer to a (ptr, len) pair.")));
}

/* A function using strings needs the canonical ABI's memory and allocator. */
void
slackfuel_check_abi_exports(const char *fname, sf_module *m,
							const char *export_name)
{
	static const sf_valtype i4[4] = {SF_I32, SF_I32, SF_I32, SF_I32};
	static const sf_valtype i1[1] = {SF_I32};
	const sf_functype want = {4, 1, i4, i1};
	const sf_functype want_post = {1, 0, i1, NULL};
	char	   *post = psprintf("cabi_post_%s", export_name);
	sf_export_desc d;
	int64		i;

	i = sf_module_find_export(m, "memory", 6);
	if (i >= 0)
		sf_module_export(m, (uint32) i, &d);
	if (i < 0 || d.kind != SF_EXTERN_MEMORY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm module of function \"%s\" must export its memory as \"memory\"", fname),
				 errdetail("text, varchar and bytea values cross linear memory.")));
	i = sf_module_find_export(m, "cabi_realloc", 12);
	if (i >= 0)
		sf_module_export(m, (uint32) i, &d);
	if (i < 0 || d.kind != SF_EXTERN_FUNC || !functype_equal(&want, &d.functype))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm module of function \"%s\" must export cabi_realloc with type %s",
						fname, slackfuel_format_functype(&want)),
				 errdetail("text, varchar and bytea arguments are copied into memory allocated by cabi_realloc(old_ptr, old_size, align, new_size).")));
	i = sf_module_find_export(m, post, strlen(post));
	if (i >= 0)
		sf_module_export(m, (uint32) i, &d);
	if (i >= 0 && (d.kind != SF_EXTERN_FUNC || !functype_equal(&want_post, &d.functype)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm export \"%s\" of function \"%s\" must have type %s",
						post, fname, slackfuel_format_functype(&want_post))));
}

/* One sf_call, charged to the SQL call's fuel budget. */
static bool
run(sf_func *f, const sf_val *args, uint32 nargs, sf_val *results,
	uint32 nresults, slackfuel_outcome *out)
{
	sf_call_opts opts;
	sf_status	st;

	opts.fuel_limit = out->limit - Min(out->consumed, out->limit);
	st = sf_call(f, args, nargs, results, nresults, &opts, &out->err);
	out->consumed += sf_last_fuel_consumed();
	slackfuel_last_fuel = out->consumed;
	if (st == SF_OK)
		return true;
	out->trapped = true;
	return false;
}

static void
bounds_error(const char *fname, const char *what, uint64 ptr, uint64 len,
			 uint64 size)
{
	ereport(ERROR,
			(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
			 errmsg("wasm function \"%s\" gave %s outside its linear memory", fname, what),
			 errdetail("Pointer %llu, length %llu, memory size %llu bytes.",
					   (unsigned long long) ptr, (unsigned long long) len,
					   (unsigned long long) size)));
}

/* Copy 'len' bytes into memory allocated by the guest; false on a trap. */
static bool
pass_bytes(slackfuel_func *fn, slackfuel_inst *inst, const char *data,
		   int len, sf_val *ptr_len, slackfuel_outcome *out)
{
	sf_val		a[4];
	sf_val		r;
	uint32		ptr;
	uint64		size;

	a[0].type = a[1].type = a[2].type = a[3].type = SF_I32;
	a[0].of.i32 = 0;
	a[1].of.i32 = 0;
	a[2].of.i32 = 1;
	a[3].of.i32 = len;
	if (!run(inst->realloc, a, 4, &r, 1, out))
		return false;
	ptr = (uint32) r.of.i32;
	size = sf_memory_size(inst->memory);
	if ((uint64) ptr + (uint64) len > size)
		bounds_error(fn->proname, "a cabi_realloc result", ptr, len, size);
	if (len > 0)
		memcpy(sf_memory_data(inst->memory) + ptr, data, len);
	ptr_len[0].type = ptr_len[1].type = SF_I32;
	ptr_len[0].of.i32 = (int32) ptr;
	ptr_len[1].of.i32 = len;
	return true;
}

static bool
pass_varlena(slackfuel_func *fn, slackfuel_inst *inst, slackfuel_kind k,
			 Datum d, sf_val *ptr_len, slackfuel_outcome *out)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
	const char *data = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);

	if (k == SLACKFUEL_TEXT)
	{
		char	   *utf8 = pg_server_to_any(data, len, PG_UTF8);

		if (utf8 != data)
			len = strlen(utf8);
		data = utf8;
	}
	return pass_bytes(fn, inst, data, len, ptr_len, out);
}

static uint32
read_u32(const uint8 *p)
{
	return (uint32) p[0] | (uint32) p[1] << 8 | (uint32) p[2] << 16 |
		(uint32) p[3] << 24;
}

/* The (ptr, len) pair at 'at', checked, as a text or bytea Datum. */
static Datum
result_varlena(slackfuel_func *fn, slackfuel_inst *inst, slackfuel_kind k,
			   uint32 at)
{
	const uint8 *mem = sf_memory_data(inst->memory);
	uint64		size = sf_memory_size(inst->memory);
	uint32		ptr;
	uint32		len;
	const char *data;
	bytea	   *res;

	if ((uint64) at + 8 > size)
		bounds_error(fn->proname, "a result pointer", at, 8, size);
	ptr = read_u32(mem + at);
	len = read_u32(mem + at + 4);
	if ((uint64) ptr + len > size)
		bounds_error(fn->proname, "a result string", ptr, len, size);
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" returned %u bytes, more than a value can hold",
						fn->proname, len)));
	data = (const char *) mem + ptr;
	if (k == SLACKFUEL_TEXT)
	{
		/* Verifies UTF-8 (no NUL bytes either) and converts if needed. */
		char	   *conv = pg_any_to_server(data, (int) len, PG_UTF8);

		if (conv != data)
		{
			len = strlen(conv);
			data = conv;
		}
	}
	res = (bytea *) palloc(VARHDRSZ + len);
	SET_VARSIZE(res, VARHDRSZ + len);
	memcpy(VARDATA(res), data, len);
	return PointerGetDatum(res);
}

static void
range_error(const char *fname, int32 v, const char *tname)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("wasm function \"%s\" returned %d, out of range for type %s",
					fname, v, tname)));
}

/* A scalar result from its raw slot (i32 and f32 in the low 32 bits). */
static inline Datum
result_slot(slackfuel_func *fn, uint64 slot)
{
	int32		i32 = (int32) (uint32) slot;
	uint32		f32_bits = (uint32) slot;
	float4		f4;
	float8		f8;

	switch (fn->sig.ret)
	{
		case SLACKFUEL_BOOL:
			if (i32 != 0 && i32 != 1)
				range_error(fn->proname, i32, "boolean (0 or 1)");
			return BoolGetDatum(i32 != 0);
		case SLACKFUEL_INT2:
			if (i32 < PG_INT16_MIN || i32 > PG_INT16_MAX)
				range_error(fn->proname, i32, "smallint");
			return Int16GetDatum((int16) i32);
		case SLACKFUEL_INT4:
			return Int32GetDatum(i32);
		case SLACKFUEL_INT8:
			return Int64GetDatum((int64) slot);
		case SLACKFUEL_FLOAT4:
			memcpy(&f4, &f32_bits, sizeof(f4));
			return Float4GetDatum(f4);
		case SLACKFUEL_FLOAT8:
			memcpy(&f8, &slot, sizeof(f8));
			return Float8GetDatum(f8);
		default:
			return (Datum) 0;
	}
}

static Datum
result_scalar(slackfuel_func *fn, const sf_val *r)
{
	if (r->type == SF_I32 || r->type == SF_F32)
		return result_slot(fn, (uint32) r->of.i32);
	return result_slot(fn, (uint64) r->of.i64);
}

/* A scalar argument as the raw slot sf_call_slots takes. */
static inline uint64
scalar_slot(slackfuel_kind k, Datum d)
{
	float4		f4;
	float8		f8;
	uint32		u32;
	uint64		u64;

	switch (k)
	{
		case SLACKFUEL_BOOL:
			return DatumGetBool(d) ? 1 : 0;
		case SLACKFUEL_INT2:
			return (uint32) (int32) DatumGetInt16(d);
		case SLACKFUEL_INT4:
			return (uint32) DatumGetInt32(d);
		case SLACKFUEL_INT8:
			return (uint64) DatumGetInt64(d);
		case SLACKFUEL_FLOAT4:
			f4 = DatumGetFloat4(d);
			memcpy(&u32, &f4, sizeof(u32));
			return u32;
		default:
			f8 = DatumGetFloat8(d);
			memcpy(&u64, &f8, sizeof(u64));
			return u64;
	}
}

static void
scalar_arg(slackfuel_kind k, Datum d, sf_val *v)
{
	float4		f4;
	float8		f8;

	switch (k)
	{
		case SLACKFUEL_BOOL:
			v->type = SF_I32;
			v->of.i32 = DatumGetBool(d) ? 1 : 0;
			break;
		case SLACKFUEL_INT2:
			v->type = SF_I32;
			v->of.i32 = DatumGetInt16(d);
			break;
		case SLACKFUEL_INT4:
			v->type = SF_I32;
			v->of.i32 = DatumGetInt32(d);
			break;
		case SLACKFUEL_INT8:
			v->type = SF_I64;
			v->of.i64 = DatumGetInt64(d);
			break;
		case SLACKFUEL_FLOAT4:
			f4 = DatumGetFloat4(d);
			v->type = SF_F32;
			memcpy(&v->of.f32_bits, &f4, sizeof(f4));
			break;
		default:
			f8 = DatumGetFloat8(d);
			v->type = SF_F64;
			memcpy(&v->of.f64_bits, &f8, sizeof(f8));
			break;
	}
}

/*
 * Call the function.  A trap (including out of fuel and interrupts) fills
 * 'out' and returns; the caller discards the instance before reporting.
 * Errors about values (range, bounds, encoding) are raised here; they
 * leave the instance consistent.
 */
Datum
slackfuel_call(slackfuel_func *fn, slackfuel_inst *inst,
			   FunctionCallInfo fcinfo, slackfuel_outcome *out)
{
	sf_val		args[2 * FUNC_MAX_ARGS];
	sf_val		res[1];
	uint32		na = 0;
	uint32		nres = fn->sig.ret == SLACKFUEL_VOID ? 0 : 1;
	Datum		d;

	out->trapped = false;
	out->consumed = 0;
	out->limit = slackfuel_fuel_limit();
	slackfuel_prepare_run(inst->max_stack);

	for (int i = 0; i < fn->sig.nargs; i++)
	{
		slackfuel_kind k = fn->sig.args[i];

		if (SLACKFUEL_KIND_IN_MEMORY(k))
		{
			if (!pass_varlena(fn, inst, k, fcinfo->args[i].value, &args[na], out))
				return (Datum) 0;
			na += 2;
		}
		else
			scalar_arg(k, fcinfo->args[i].value, &args[na++]);
	}
	if (!run(inst->func, args, na, res, nres, out))
		return (Datum) 0;
	if (!SLACKFUEL_KIND_IN_MEMORY(fn->sig.ret))
		return result_scalar(fn, res);
	d = result_varlena(fn, inst, fn->sig.ret, (uint32) res[0].of.i32);
	if (inst->post_return)
		run(inst->post_return, res, 1, NULL, 0, out);
	return d;
}

/*
 * The call of a function whose arguments and result are all scalars (the
 * cache checked its export's type against the SQL signature once): no
 * linear memory, no sf_val, one sf_call_slots.  Same outcomes as
 * slackfuel_call.
 */
Datum
slackfuel_call_scalar(slackfuel_func *fn, slackfuel_inst *inst,
					  FunctionCallInfo fcinfo, slackfuel_outcome *out)
{
	uint64		slots[FUNC_MAX_ARGS];
	int			nargs = fn->sig.nargs;
	sf_call_opts opts;
	sf_status	st;

	out->trapped = false;
	out->limit = opts.fuel_limit = slackfuel_fuel_limit();
	slackfuel_prepare_run(inst->max_stack);
	for (int i = 0; i < nargs; i++)
		slots[i] = scalar_slot(fn->sig.args[i], fcinfo->args[i].value);
	st = sf_call_slots(inst->func, slots, nargs,
					   fn->sig.ret == SLACKFUEL_VOID ? 0 : 1, &opts, &out->err);
	out->consumed = slackfuel_last_fuel = sf_last_fuel_consumed();
	if (unlikely(st != SF_OK))
	{
		out->trapped = true;
		return (Datum) 0;
	}
	return result_slot(fn, slots[0]);
}
