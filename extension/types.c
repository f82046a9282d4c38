/*
 * types.c -- the SQL type table and the canonical ABI.
 *
 * A function's ABI is the WebAssembly Component Model's canonical ABI for
 * the WIT function type its SQL signature maps to.  Each SQL type is one
 * row of 'type_table': its OID, the WIT type, that type's flattening into
 * core wasm values, and the two conversions, lower (Datum -> flat values,
 * copying into guest memory where needed) and lift (flat values -> Datum,
 * checked).  Adding a type is adding a row and its lower/lift.
 *
 * Per the canonical ABI a function's flat parameters are the concatenation
 * of its arguments' flattenings, and a result of more than one flat value
 * is returned as an i32 pointer to those values in linear memory.
 *
 * Lifting checks what the guest gives: pointers and lengths against the
 * memory size, UTF-8, and values outside the SQL type are errors, not
 * truncations.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "plwasm.h"

/* --- Scalars: one flat value ------------------------------------------- */

/*
 * The Datum of every by-value scalar below is its flat value: sf_call_slots
 * keeps only the low 32 bits of an i32 or f32 slot, which is where
 * BoolGetDatum, Int16GetDatum, Int32GetDatum and Float4GetDatum put them.
 */
static void
lower_direct(slackfuel_cx *cx, const slackfuel_type *t, Datum d, uint64 *flat)
{
	flat[0] = (uint64) d;
}

static void
range_error(slackfuel_cx *cx, int32 v, const char *tname)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("wasm function \"%s\" returned %d, out of range for type %s",
					cx->fname, v, tname)));
}

static Datum
lift_bool(slackfuel_cx *cx, const slackfuel_type *t, const uint64 *flat)
{
	int32		v = (int32) (uint32) flat[0];

	if (v != 0 && v != 1)
		range_error(cx, v, "boolean (0 or 1)");
	return BoolGetDatum(v != 0);
}

static Datum
lift_int2(slackfuel_cx *cx, const slackfuel_type *t, const uint64 *flat)
{
	int32		v = (int32) (uint32) flat[0];

	if (v < PG_INT16_MIN || v > PG_INT16_MAX)
		range_error(cx, v, "smallint");
	return Int16GetDatum((int16) v);
}

static Datum
lift_int4(slackfuel_cx *cx, const slackfuel_type *t, const uint64 *flat)
{
	return Int32GetDatum((int32) (uint32) flat[0]);
}

/* int8 and float8: the slot's 64 bits are the Datum. */
static Datum
lift_bits64(slackfuel_cx *cx, const slackfuel_type *t, const uint64 *flat)
{
	return (Datum) flat[0];
}

static Datum
lift_float4(slackfuel_cx *cx, const slackfuel_type *t, const uint64 *flat)
{
	uint32		bits = (uint32) flat[0];
	float4		f;

	memcpy(&f, &bits, sizeof(f));
	return Float4GetDatum(f);
}

/* --- string and list<u8>: (ptr, len) in linear memory ------------------- */

static void
lower_bytes(slackfuel_cx *cx, const char *data, size_t len, uint64 *flat)
{
	uint32		ptr;

	if (len > PG_UINT32_MAX)
		elog(ERROR, "value of %zu bytes does not fit a 32-bit memory", len);
	ptr = slackfuel_guest_alloc(cx, 1, (uint32) len);
	slackfuel_copy_in(cx, ptr, data, len, "a cabi_realloc result");
	flat[0] = ptr;
	flat[1] = len;
}

static void
lower_text(slackfuel_cx *cx, const slackfuel_type *t, Datum d, uint64 *flat)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
	const char *data = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	char	   *utf8 = pg_server_to_any(data, len, PG_UTF8);

	if (utf8 != data)
		len = strlen(utf8);
	lower_bytes(cx, utf8, len, flat);
}

static void
lower_bytea(slackfuel_cx *cx, const slackfuel_type *t, Datum d, uint64 *flat)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

	lower_bytes(cx, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), flat);
}

/* The guest's (ptr, len) copied out into a new varlena. */
static struct varlena *
lift_varlena(slackfuel_cx *cx, const uint64 *flat)
{
	uint32		ptr = (uint32) flat[0];
	uint32		len = (uint32) flat[1];
	struct varlena *res;

	slackfuel_check_range(cx, ptr, len, "a result string");
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" returned %u bytes, more than a value can hold",
						cx->fname, len)));
	res = (struct varlena *) palloc(VARHDRSZ + len);
	SET_VARSIZE(res, VARHDRSZ + len);
	slackfuel_copy_out(cx, VARDATA(res), ptr, len, "a result string");
	return res;
}

static Datum
lift_text(slackfuel_cx *cx, const slackfuel_type *t, const uint64 *flat)
{
	struct varlena *res = lift_varlena(cx, flat);
	int			len = VARSIZE(res) - VARHDRSZ;
	char	   *conv;

	/* Verifies UTF-8 (no NUL bytes either) and converts if needed. */
	conv = pg_any_to_server(VARDATA(res), len, PG_UTF8);
	if (conv != VARDATA(res))
	{
		pfree(res);
		return PointerGetDatum(cstring_to_text(conv));
	}
	return PointerGetDatum(res);
}

static Datum
lift_bytea(slackfuel_cx *cx, const slackfuel_type *t, const uint64 *flat)
{
	return PointerGetDatum(lift_varlena(cx, flat));
}

/* --- The table ----------------------------------------------------------- */

#define SCALAR(oid, sql, wit, core, lift) \
	{oid, sql, wit, 1, {core}, false, true, lower_direct, lift}
#define BYTES(oid, sql, wit, lower, lift) \
	{oid, sql, wit, 2, {SF_I32, SF_I32}, true, false, lower, lift}

static const slackfuel_type type_table[] = {
	SCALAR(BOOLOID, "bool", "bool", SF_I32, lift_bool),
	SCALAR(INT2OID, "smallint", "s16", SF_I32, lift_int2),
	SCALAR(INT4OID, "integer", "s32", SF_I32, lift_int4),
	SCALAR(INT8OID, "bigint", "s64", SF_I64, lift_bits64),
	SCALAR(FLOAT4OID, "real", "f32", SF_F32, lift_float4),
	SCALAR(FLOAT8OID, "double precision", "f64", SF_F64, lift_bits64),
	BYTES(TEXTOID, "text", "string", lower_text, lift_text),
	BYTES(VARCHAROID, "varchar", "string", lower_text, lift_text),
	BYTES(BYTEAOID, "bytea", "list<u8>", lower_bytea, lift_bytea),
};

/* "bool, smallint, ... and bytea": what the table supports. */
static char *
supported_types(void)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < lengthof(type_table); i++)
		appendStringInfo(&s, "%s%s", i == 0 ? "" :
						 i == lengthof(type_table) - 1 ? " and " : ", ",
						 type_table[i].sql);
	return s.data;
}

/*
 * The row of 'typid'; NULL for a void result.  Refuses what no row
 * expresses.
 */
const slackfuel_type *
slackfuel_type_of(Oid typid, bool is_result, const char *fname)
{
	for (int i = 0; i < lengthof(type_table); i++)
		if (type_table[i].oid == typid)
			return &type_table[i];
	if (typid == VOIDOID && is_result)
		return NULL;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("wasm function \"%s\" cannot %s type %s", fname,
					is_result ? "return" : "take an argument of",
					format_type_be(typid)),
			 errhint("wasm functions support %s.", supported_types())));
	return NULL;				/* keep compiler quiet */
}

/* --- Signatures ---------------------------------------------------------- */

/*
 * The SQL signature of a pg_proc row and the core wasm type it flattens
 * to; refuses what wasm cannot express.
 */
void
slackfuel_sig_from_proc(HeapTuple proctup, slackfuel_sig *sig)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(proctup);
	const char *fname = NameStr(p->proname);
	const slackfuel_type *ret;
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
	sig->nparams = 0;
	sig->uses_memory = false;
	sig->direct = true;
	for (int i = 0; i < p->pronargs; i++)
	{
		const slackfuel_type *t = slackfuel_type_of(p->proargtypes.values[i],
													false, fname);

		sig->args[i] = t;
		for (int j = 0; j < t->nflat; j++)
			sig->params[sig->nparams++] = t->flat[j];
		sig->uses_memory |= t->in_memory;
		sig->direct &= t->direct;
	}
	sig->ret = ret = slackfuel_type_of(p->prorettype, true, fname);
	sig->nresults = ret == NULL ? 0 : 1;
	sig->ret_indirect = ret != NULL && ret->nflat > 1;
	if (ret != NULL)
	{
		sig->results[0] = sig->ret_indirect ? SF_I32 : ret->flat[0];
		sig->uses_memory |= ret->in_memory;
		sig->direct &= !sig->ret_indirect;
	}
}

/* The core wasm type of 'sig', pointing into it. */
void
slackfuel_sig_functype(const slackfuel_sig *sig, sf_functype *ft)
{
	ft->nparams = sig->nparams;
	ft->params = sig->params;
	ft->nresults = sig->nresults;
	ft->results = sig->results;
}

/* --- Lowering and lifting ------------------------------------------------ */

/* The arguments of 'fcinfo' as the export's flat parameters. */
void
slackfuel_lower_args(slackfuel_cx *cx, const slackfuel_sig *sig,
					 FunctionCallInfo fcinfo, uint64 *slots)
{
	uint64	   *flat = slots;

	for (int i = 0; i < sig->nargs; i++)
	{
		const slackfuel_type *t = sig->args[i];

		t->lower(cx, t, fcinfo->args[i].value, flat);
		flat += t->nflat;
	}
}

static uint32
read_u32(const uint8 *p)
{
	return (uint32) p[0] | (uint32) p[1] << 8 | (uint32) p[2] << 16 |
		(uint32) p[3] << 24;
}

/*
 * The result from the export's flat results: the value itself, or a
 * pointer to its flat values (each i32 here) in linear memory.
 */
Datum
slackfuel_lift_result(slackfuel_cx *cx, const slackfuel_sig *sig,
					  const uint64 *slots)
{
	const slackfuel_type *t = sig->ret;
	uint64		flat[SLACKFUEL_MAX_FLAT];
	uint8		buf[4 * SLACKFUEL_MAX_FLAT];

	if (!sig->ret_indirect)
		return t->lift(cx, t, slots);
	slackfuel_copy_out(cx, buf, (uint32) slots[0], 4 * t->nflat,
					   "a result pointer");
	for (int i = 0; i < t->nflat; i++)
		flat[i] = read_u32(buf + 4 * i);
	return t->lift(cx, t, flat);
}
