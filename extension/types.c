/*
 * types.c -- the SQL type table and the canonical ABI.
 *
 * A function's ABI is the WebAssembly Component Model's canonical ABI for
 * the WIT function type its SQL signature maps to (docs/types.md).  Each
 * SQL type is one row of 'type_table': its OID and WIT type, and how a
 * Datum is lowered to the WIT type's flat core values and lifted back
 * (checked); arrays and composites are family rows that build their WIT
 * type from their element or columns.  The WIT types themselves, with the
 * canonical ABI's sizes, alignments and flattenings, come from the engine
 * (sf_wit_*).
 *
 * A signature becomes a tree of slackfuel_conv, one per value that
 * crosses, built once per cached function.  NULL: a function that is not
 * STRICT and has arguments sees each argument as option<T> and returns
 * option<T>; column values are option<T> unless the column is NOT NULL.
 *
 * Per the canonical ABI, more than 16 flat parameters are passed as one
 * pointer to their tuple in linear memory, allocated by cabi_realloc, and
 * a result of more than one flat value as a pointer to it in memory.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "plwasm.h"

/* --- Scalars: one flat value ------------------------------------------- */

/*
 * The Datum of every by-value scalar below is its flat value: sf_call_slots
 * keeps only the low 32 bits of an i32 or f32 slot, which is where
 * BoolGetDatum, Int16GetDatum, Int32GetDatum and Float4GetDatum put them.
 */
static void
lower_direct(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
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
lift_bool(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	int32		v = (int32) (uint32) flat[0];

	if (v != 0 && v != 1)
		range_error(cx, v, "boolean (0 or 1)");
	return BoolGetDatum(v != 0);
}

static Datum
lift_int2(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	int32		v = (int32) (uint32) flat[0];

	if (v < PG_INT16_MIN || v > PG_INT16_MAX)
		range_error(cx, v, "smallint");
	return Int16GetDatum((int16) v);
}

static Datum
lift_int4(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	return Int32GetDatum((int32) (uint32) flat[0]);
}

/* int8 and float8: the slot's 64 bits are the Datum. */
static Datum
lift_bits64(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	return (Datum) flat[0];
}

static Datum
lift_float4(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
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
lower_text(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
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
lower_bytea(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
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
lift_text(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
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
lift_bytea(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	return PointerGetDatum(lift_varlena(cx, flat));
}

/* --- Primitives in memory ------------------------------------------------ */

/*
 * A primitive's flat values stored at 'ptr' as the canonical ABI lays it
 * out: integers and floats little-endian in their size (the host is
 * x86-64, so the low bytes of the slot), string and list as (ptr, len).
 */
static void
store_flat(slackfuel_cx *cx, const sf_wit_type *t, const uint64 *flat,
		   uint32 ptr)
{
	uint32		pair[2];

	if (t->kind == SF_WIT_STRING || t->kind == SF_WIT_LIST)
	{
		pair[0] = (uint32) flat[0];
		pair[1] = (uint32) flat[1];
		slackfuel_copy_in(cx, ptr, pair, sizeof(pair), "an argument's memory");
	}
	else
		slackfuel_copy_in(cx, ptr, &flat[0], t->size, "an argument's memory");
}

/* The reverse: signed types sign-extend, as their flat i32 would be. */
static void
load_flat(slackfuel_cx *cx, const sf_wit_type *t, uint32 ptr, uint64 *flat)
{
	uint32		pair[2];
	uint64		v = 0;

	if (t->kind == SF_WIT_STRING || t->kind == SF_WIT_LIST)
	{
		slackfuel_copy_out(cx, pair, ptr, sizeof(pair), "a result pointer");
		flat[0] = pair[0];
		flat[1] = pair[1];
		return;
	}
	slackfuel_copy_out(cx, &v, ptr, t->size, "a result pointer");
	if (t->kind == SF_WIT_S8)
		v = (uint32) (int32) (int8) v;
	else if (t->kind == SF_WIT_S16)
		v = (uint32) (int32) (int16) v;
	flat[0] = v;
}

/* --- Values: NULL as option<T>, then the row ----------------------------- */

static void lower_value(slackfuel_cx *cx, const slackfuel_conv *c, Datum d,
						bool isnull, uint64 *flat);
static Datum lift_value(slackfuel_cx *cx, const slackfuel_conv *c,
						const uint64 *flat, bool *isnull);
static void store_value(slackfuel_cx *cx, const slackfuel_conv *c, Datum d,
						bool isnull, uint32 ptr);
static Datum load_value(slackfuel_cx *cx, const slackfuel_conv *c, uint32 ptr,
						bool *isnull);

/* "argument 2", "the result": what is being converted, for messages. */
static char *
what(slackfuel_cx *cx)
{
	return cx->argno > 0 ? psprintf("argument %d", cx->argno) : pstrdup("the result");
}

static void
null_error(slackfuel_cx *cx, const slackfuel_conv *c)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("wasm function \"%s\" cannot pass a NULL %s in %s",
					cx->fname, c->sqlname, what(cx)),
			 errdetail("Its WIT type is not an option<T>: the column is NOT NULL.")));
}

static uint32
option_disc(slackfuel_cx *cx, const slackfuel_conv *c, uint32 disc)
{
	if (disc > 1)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" gave option discriminant %u in %s",
						cx->fname, disc, what(cx)),
				 errdetail("An option<T> is 0 (none, NULL) or 1 (some).")));
	return disc;
}

static void
lower_value(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, bool isnull,
			uint64 *flat)
{
	if (c->nullable)
	{
		if (isnull)
		{
			memset(flat, 0, sizeof(uint64) * c->wit->nflat);
			return;
		}
		*flat++ = 1;
	}
	else if (isnull)
		null_error(cx, c);
	c->type->lower(cx, c, d, flat);
}

static Datum
lift_value(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat,
		   bool *isnull)
{
	*isnull = false;
	if (c->nullable && option_disc(cx, c, (uint32) *flat++) == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return c->type->lift(cx, c, flat);
}

static void
store_value(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, bool isnull,
			uint32 ptr)
{
	uint64		flat[2];

	if (c->nullable)
	{
		uint8		disc = isnull ? 0 : 1;

		slackfuel_copy_in(cx, ptr, &disc, 1, "an argument's memory");
		if (isnull)
			return;
		ptr += c->wit->payload_offset;
	}
	else if (isnull)
		null_error(cx, c);
	if (c->type->store)
		c->type->store(cx, c, d, ptr);
	else
	{
		c->type->lower(cx, c, d, flat);
		store_flat(cx, c->inner, flat, ptr);
	}
}

static Datum
load_value(slackfuel_cx *cx, const slackfuel_conv *c, uint32 ptr, bool *isnull)
{
	uint64		flat[2];

	*isnull = false;
	if (c->nullable)
	{
		uint8		disc;

		slackfuel_copy_out(cx, &disc, ptr, 1, "a result pointer");
		if (option_disc(cx, c, disc) == 0)
		{
			*isnull = true;
			return (Datum) 0;
		}
		ptr += c->wit->payload_offset;
	}
	if (c->type->load)
		return c->type->load(cx, c, ptr);
	load_flat(cx, c->inner, ptr, flat);
	return c->type->lift(cx, c, flat);
}

/* --- Arrays: list<T> ----------------------------------------------------- */

/*
 * A one-dimensional array is a list of its elements; a NULL element is an
 * error (the list has no place for it), as is an array of more dimensions.
 * Elements whose array storage is their wasm layout (bulk rows) are copied
 * in one piece.
 */
static void
lower_array(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	const sf_wit_type *et = c->elem->wit;
	int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	uint64		bytes = (uint64) n * et->size;
	uint32		ptr;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("wasm function \"%s\" takes one-dimensional arrays", cx->fname),
				 errdetail("The array in %s has %d dimensions.", what(cx), ARR_NDIM(arr))));
	if (bytes > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("array of %d elements does not fit a 32-bit memory", n)));
	ptr = slackfuel_guest_alloc(cx, et->align, (uint32) bytes);
	if (c->elem->type->bulk && !ARR_HASNULL(arr))
		slackfuel_copy_in(cx, ptr, ARR_DATA_PTR(arr), bytes, "an argument's memory");
	else
	{
		Datum	   *values;
		bool	   *nulls;
		int			count;

		deconstruct_array(arr, c->elem->typid, c->elmlen, c->elmbyval,
						  c->elmalign, &values, &nulls, &count);
		for (int i = 0; i < count; i++)
		{
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("wasm function \"%s\" cannot take an array with NULL elements",
								cx->fname),
						 errdetail("Element %d of %s is NULL.", i + 1, what(cx))));
			store_value(cx, c->elem, values[i], false, ptr + (uint32) i * et->size);
		}
	}
	flat[0] = ptr;
	flat[1] = (uint32) n;
}

static Datum
lift_array(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	uint32		ptr = (uint32) flat[0];
	uint32		n = (uint32) flat[1];
	const sf_wit_type *et = c->elem->wit;
	uint64		bytes = (uint64) n * et->size;
	Datum	   *values;
	bool	   *nulls;
	int			dims[1] = {(int) n};
	int			lbs[1] = {1};

	slackfuel_check_range(cx, ptr, bytes, "a result list");
	if (n > MaxArraySize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" returned a list of %u elements, more than an array can hold",
						cx->fname, n)));
	if (n == 0)
		return PointerGetDatum(construct_empty_array(c->elem->typid));
	if (c->elem->type->bulk)
	{
		Size		nbytes = ARR_OVERHEAD_NONULLS(1) + bytes;
		ArrayType  *arr;

		if (!AllocSizeIsValid(nbytes))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("wasm function \"%s\" returned a list of %u elements, more than an array can hold",
							cx->fname, n)));
		arr = palloc0(nbytes);
		SET_VARSIZE(arr, nbytes);
		arr->ndim = 1;
		arr->dataoffset = 0;
		arr->elemtype = c->elem->typid;
		*ARR_DIMS(arr) = (int) n;
		*ARR_LBOUND(arr) = 1;
		slackfuel_copy_out(cx, ARR_DATA_PTR(arr), ptr, bytes, "a result list");
		return PointerGetDatum(arr);
	}
	if ((Size) n > MaxAllocSize / sizeof(Datum))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" returned a list of %u elements, more than an array can hold",
						cx->fname, n)));
	values = palloc(n * sizeof(Datum));
	nulls = palloc(n * sizeof(bool));
	for (uint32 i = 0; i < n; i++)
		values[i] = load_value(cx, c->elem, ptr + i * et->size, &nulls[i]);
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs,
											  c->elem->typid, c->elmlen,
											  c->elmbyval, c->elmalign));
}

/* --- Composites: record -------------------------------------------------- */

static void
deform(const slackfuel_conv *c, Datum d, Datum *values, bool *nulls)
{
	HeapTupleHeader th = DatumGetHeapTupleHeader(d);
	HeapTupleData tup;

	tup.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = th;
	heap_deform_tuple(&tup, c->tupdesc, values, nulls);
}

static void
lower_record(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	int			natts = c->tupdesc->natts;
	Datum	   *values = palloc(natts * sizeof(Datum));
	bool	   *nulls = palloc(natts * sizeof(bool));

	deform(c, d, values, nulls);
	for (int i = 0; i < natts; i++)
	{
		if (c->fields[i] == NULL)
			continue;
		lower_value(cx, c->fields[i], values[i], nulls[i], flat);
		flat += c->fields[i]->wit->nflat;
	}
}

static void
store_record(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint32 ptr)
{
	int			natts = c->tupdesc->natts;
	Datum	   *values = palloc(natts * sizeof(Datum));
	bool	   *nulls = palloc(natts * sizeof(bool));
	uint32		f = 0;

	deform(c, d, values, nulls);
	for (int i = 0; i < natts; i++)
		if (c->fields[i] != NULL)
			store_value(cx, c->fields[i], values[i], nulls[i],
						ptr + c->inner->fields[f++].offset);
}

static Datum
form(const slackfuel_conv *c, Datum *values, bool *nulls)
{
	return HeapTupleGetDatum(heap_form_tuple(c->tupdesc, values, nulls));
}

static Datum
lift_record(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	int			natts = c->tupdesc->natts;
	Datum	   *values = palloc0(natts * sizeof(Datum));
	bool	   *nulls = palloc(natts * sizeof(bool));

	for (int i = 0; i < natts; i++)
	{
		nulls[i] = true;
		if (c->fields[i] == NULL)
			continue;
		values[i] = lift_value(cx, c->fields[i], flat, &nulls[i]);
		flat += c->fields[i]->wit->nflat;
	}
	return form(c, values, nulls);
}

static Datum
load_record(slackfuel_cx *cx, const slackfuel_conv *c, uint32 ptr)
{
	int			natts = c->tupdesc->natts;
	Datum	   *values = palloc0(natts * sizeof(Datum));
	bool	   *nulls = palloc(natts * sizeof(bool));
	uint32		f = 0;

	for (int i = 0; i < natts; i++)
	{
		nulls[i] = true;
		if (c->fields[i] != NULL)
			values[i] = load_value(cx, c->fields[i],
								   ptr + c->inner->fields[f++].offset, &nulls[i]);
	}
	return form(c, values, nulls);
}

/* --- Building conversions ----------------------------------------------- */

static slackfuel_conv *conv_build(Oid typid, bool nullable, sf_wit_arena *a,
								  const char *fname, bool is_result);



/*
 * 'sql' as a WIT identifier: lowercase, '_' and runs of non-alphanumerics
 * become one '-'; NULL if that is no identifier (empty, or not starting
 * with a letter).
 */
static char *
kebab(const char *sql)
{
	StringInfoData s;

	initStringInfo(&s);
	for (const char *p = sql; *p; p++)
	{
		unsigned char ch = (unsigned char) *p;

		if (ch >= 'A' && ch <= 'Z')
			appendStringInfoChar(&s, (char) (ch - 'A' + 'a'));
		else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			appendStringInfoChar(&s, (char) ch);
		else if (s.len > 0 && s.data[s.len - 1] != '-')
			appendStringInfoChar(&s, '-');
	}
	while (s.len > 0 && s.data[s.len - 1] == '-')
		s.data[--s.len] = '\0';
	return sf_wit_name_ok(s.data) ? s.data : NULL;
}

/* The WIT name of a SQL name, else 'prefix' and a number. */
static char *
wit_name_or(const char *sql, const char *prefix, uint32 n)
{
	char	   *k = sql ? kebab(sql) : NULL;

	return k ? k : psprintf("%s%u", prefix, n);
}

static const sf_wit_type *
build_list_u8(slackfuel_conv *c, sf_wit_arena *a, const char *fname, bool is_result)
{
	return sf_wit_list(a, sf_wit_prim(SF_WIT_U8));
}

static const sf_wit_type *
build_array(slackfuel_conv *c, sf_wit_arena *a, const char *fname, bool is_result)
{
	Oid			elemtype = get_element_type(c->typid);

	c->elem = conv_build(elemtype, false, a, fname, is_result);
	get_typlenbyvalalign(elemtype, &c->elmlen, &c->elmbyval, &c->elmalign);
	return sf_wit_list(a, c->elem->wit);
}

/* A record of the columns of c->tupdesc, named 'name'. */
static const sf_wit_type *
record_of(slackfuel_conv *c, sf_wit_arena *a, const char *name,
		  const char *fname, bool is_result)
{
	TupleDesc	td = c->tupdesc;
	const char **names = palloc(td->natts * sizeof(char *));
	const sf_wit_type **types = palloc(td->natts * sizeof(sf_wit_type *));
	uint32		n = 0;

	c->fields = palloc0(td->natts * sizeof(slackfuel_conv *));
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (att->attisdropped)
			continue;
		c->fields[i] = conv_build(att->atttypid, !att->attnotnull, a, fname, is_result);
		names[n] = wit_name_or(NameStr(att->attname), "field", i + 1);
		types[n++] = c->fields[i]->wit;
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("type %s has no columns, and a WIT record needs one",
						format_type_be(c->typid))));
	return sf_wit_record(a, name, n, names, types);
}

static const sf_wit_type *
build_composite(slackfuel_conv *c, sf_wit_arena *a, const char *fname,
				bool is_result)
{
	c->tupdesc = lookup_rowtype_tupdesc_copy(c->typid, -1);
	return record_of(c, a, wit_name_or(format_type_be(c->typid), "type", c->typid),
					 fname, is_result);
}

/* --- The table ----------------------------------------------------------- */

#define SCALAR(oid, sql, wit, lift, bulk) \
	{oid, sql, wit, true, bulk, NULL, lower_direct, lift, NULL, NULL}
#define BYTES(oid, sql, wit, build, lower, lift) \
	{oid, sql, wit, false, false, build, lower, lift, NULL, NULL}

static const slackfuel_type type_table[] = {
	SCALAR(BOOLOID, "bool", SF_WIT_BOOL, lift_bool, false),
	SCALAR(INT2OID, "smallint", SF_WIT_S16, lift_int2, true),
	SCALAR(INT4OID, "integer", SF_WIT_S32, lift_int4, true),
	SCALAR(INT8OID, "bigint", SF_WIT_S64, lift_bits64, true),
	SCALAR(FLOAT4OID, "real", SF_WIT_F32, lift_float4, true),
	SCALAR(FLOAT8OID, "double precision", SF_WIT_F64, lift_bits64, true),
	BYTES(TEXTOID, "text", SF_WIT_STRING, NULL, lower_text, lift_text),
	BYTES(VARCHAROID, "varchar", SF_WIT_STRING, NULL, lower_text, lift_text),
	BYTES(BYTEAOID, "bytea", SF_WIT_LIST, build_list_u8, lower_bytea, lift_bytea),
};

static const slackfuel_type array_row =
{InvalidOid, "arrays of these", SF_WIT_LIST, false, false, build_array,
lower_array, lift_array, NULL, NULL};

static const slackfuel_type composite_row =
{InvalidOid, "composite types of these", SF_WIT_RECORD, false, false,
build_composite, lower_record, lift_record, store_record, load_record};

/* "bool, smallint, ... bytea, arrays of these and composite types of these" */
static char *
supported_types(void)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < lengthof(type_table); i++)
		appendStringInfo(&s, "%s, ", type_table[i].sql);
	appendStringInfo(&s, "%s and %s", array_row.sql, composite_row.sql);
	return s.data;
}

static void
unsupported(Oid typid, bool is_result, const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("wasm function \"%s\" cannot %s type %s", fname,
					is_result ? "return" : "take an argument of",
					format_type_be(typid)),
			 errhint("wasm functions support %s.", supported_types())));
}

/* The row of 'typid', or NULL. */
static const slackfuel_type *
row_of(Oid typid)
{
	for (int i = 0; i < lengthof(type_table); i++)
		if (type_table[i].oid == typid)
			return &type_table[i];
	if (type_is_array(typid))
		return &array_row;
	if (get_typtype(typid) == TYPTYPE_COMPOSITE)
		return &composite_row;
	return NULL;
}

/*
 * How a value of 'typid' crosses, in the current memory context; its WIT
 * types in 'a'.  'fname' names the function in errors.
 */
static slackfuel_conv *
conv_build(Oid typid, bool nullable, sf_wit_arena *a, const char *fname,
		   bool is_result)
{
	slackfuel_conv *c = palloc0(sizeof(slackfuel_conv));

	c->typid = typid;
	c->type = row_of(typid);
	if (c->type == NULL)
		unsupported(typid, is_result, fname);
	c->sqlname = format_type_be(typid);
	c->nullable = nullable;
	c->inner = c->type->build ? c->type->build(c, a, fname, is_result) :
		sf_wit_prim(c->type->wit);
	c->wit = nullable ? sf_wit_option(a, c->inner) : c->inner;
	if (c->wit == NULL)
	{
		sf_error	err;

		sf_wit_arena_status(a, &err);
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("type %s has no WIT type", format_type_be(typid)),
				 errdetail("%s", err.msg)));
	}
	return c;
}

/* Does 'c' put anything in linear memory (strings, lists)? */
static bool
conv_uses_memory(const slackfuel_conv *c)
{
	if (c->inner->kind == SF_WIT_STRING || c->inner->kind == SF_WIT_LIST)
		return true;
	if (c->fields)
		for (int i = 0; i < c->tupdesc->natts; i++)
			if (c->fields[i] && conv_uses_memory(c->fields[i]))
				return true;
	return false;
}

/* Add the relations of the row types 'c' depends on to sig->relids. */
static void
collect_rowtypes(slackfuel_sig *sig, const slackfuel_conv *c)
{
	if (c->elem)
		collect_rowtypes(sig, c->elem);
	if (c->tupdesc == NULL)
		return;
	if (c->typid != RECORDOID)
		sig->relids = lappend_oid(sig->relids, get_typ_typrelid(c->typid));
	for (int i = 0; i < c->tupdesc->natts; i++)
		if (c->fields[i])
			collect_rowtypes(sig, c->fields[i]);
}

static void
arena_release(void *arg)
{
	sf_wit_arena_free((sf_wit_arena *) arg);
}

/*
 * The result of a function with OUT parameters: a record of them, named
 * after the function.
 */
static slackfuel_conv *
out_record(TupleDesc td, bool nullable, sf_wit_arena *a, const char *fname)
{
	slackfuel_conv *c = palloc0(sizeof(slackfuel_conv));

	c->type = &composite_row;
	c->typid = RECORDOID;
	c->sqlname = "record";
	c->nullable = nullable;
	c->tupdesc = CreateTupleDescCopy(td);
	BlessTupleDesc(c->tupdesc);
	c->inner = record_of(c, a, psprintf("%s-result", wit_name_or(fname, "function", 0)),
						 fname, true);
	c->wit = nullable ? sf_wit_option(a, c->inner) : c->inner;
	return c;
}

/*
 * The signature of a pg_proc row, in a new memory context under 'parent'
 * (slackfuel_sig_free, or the parent's reset, releases it); refuses what
 * wasm cannot express.
 */
slackfuel_sig *
slackfuel_sig_from_proc(HeapTuple proctup, MemoryContext parent)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(proctup);
	const char *fname = NameStr(p->proname);
	MemoryContext mcxt = AllocSetContextCreate(parent, "slackfuel signature",
											   ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	slackfuel_sig *sig = palloc0(sizeof(slackfuel_sig));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));
	bool		nullable = !p->proisstrict && p->pronargs > 0;
	const char **names;
	const sf_wit_type **types;
	TupleDesc	outdesc;
	sf_error	err;
	Datum	   *argnames = NULL;
	int			nargnames = 0;
	bool		isnull;
	Datum		d;

	sig->mcxt = mcxt;
	sig->arena = sf_wit_arena_new();
	if (sig->arena == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	cb->func = arena_release;
	cb->arg = sig->arena;
	MemoryContextRegisterResetCallback(mcxt, cb);

	if (p->proretset)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm function \"%s\" cannot return a set", fname)));
	d = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proargnames, &isnull);
	if (!isnull)
		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
						  &argnames, NULL, &nargnames);
	SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proallargtypes, &isnull);
	if (!isnull && p->prokind == PROKIND_PROCEDURE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm procedure \"%s\" cannot have OUT or VARIADIC parameters", fname)));

	sig->nargs = p->pronargs;
	sig->args = palloc0(Max(1, sig->nargs) * sizeof(slackfuel_conv *));
	names = palloc(Max(1, sig->nargs) * sizeof(char *));
	types = palloc(Max(1, sig->nargs) * sizeof(sf_wit_type *));
	sig->direct = true;
	for (int i = 0; i < sig->nargs; i++)
	{
		slackfuel_conv *c = conv_build(p->proargtypes.values[i], nullable,
									   sig->arena, fname, false);

		sig->args[i] = c;
		names[i] = wit_name_or(i < nargnames ? TextDatumGetCString(argnames[i]) : NULL,
							   "arg", i + 1);
		types[i] = c->wit;
		sig->uses_memory |= conv_uses_memory(c);
		collect_rowtypes(sig, c);
		sig->direct &= c->type->direct && !c->nullable;
	}

	outdesc = build_function_result_tupdesc_t(proctup);
	if (outdesc != NULL)
		sig->ret = out_record(outdesc, nullable, sig->arena, fname);
	else if (p->prorettype != VOIDOID)
		sig->ret = conv_build(p->prorettype, nullable, sig->arena, fname, true);
	if (sig->ret)
	{
		sig->uses_memory |= conv_uses_memory(sig->ret);
		collect_rowtypes(sig, sig->ret);
	}

	sig->wit_name = wit_name_or(fname, "function", 0);
	sig->wit = sf_wit_func_new(sig->arena, sig->nargs, names, types,
							   sig->ret ? sig->ret->wit : NULL);
	if (sf_wit_arena_status(sig->arena, &err) != SF_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the signature of wasm function \"%s\" has no WIT type", fname),
				 errdetail("%s", err.msg)));
	sig->nparams = sig->wit->core.nparams;
	sig->nresults = sig->wit->core.nresults;
	sig->uses_memory |= sig->wit->params_in_memory || sig->wit->result_in_memory;
	sig->direct &= !sig->wit->params_in_memory &&
		(sig->ret == NULL || (sig->ret->type->direct && !sig->ret->nullable));
	MemoryContextSwitchTo(old);
	return sig;
}

void
slackfuel_sig_free(slackfuel_sig *sig)
{
	MemoryContextDelete(sig->mcxt);
}

/* "name: func(...) -> ...;" */
char *
slackfuel_sig_wit(const slackfuel_sig *sig)
{
	size_t		n = sf_wit_print_func(sig->wit_name, sig->wit, NULL, 0);
	char	   *buf = palloc(n + 1);

	sf_wit_print_func(sig->wit_name, sig->wit, buf, n + 1);
	return buf;
}

/* --- Lowering arguments, lifting results --------------------------------- */

/*
 * The arguments of 'fcinfo' as the export's core parameters: their flat
 * values, or, beyond 16 of those, a pointer to their tuple in memory.
 * Returns how many core parameters were written.
 */
uint32
slackfuel_lower_args(slackfuel_cx *cx, const slackfuel_sig *sig,
					 FunctionCallInfo fcinfo, uint64 *slots)
{
	const sf_wit_func *f = sig->wit;
	uint64	   *flat = slots;
	uint32		tuple = 0;

	if (f->params_in_memory)
		tuple = slackfuel_guest_alloc(cx, f->params_tuple->align,
									  f->params_tuple->size);
	for (int i = 0; i < sig->nargs; i++)
	{
		const slackfuel_conv *c = sig->args[i];

		cx->argno = i + 1;
		if (f->params_in_memory)
			store_value(cx, c, fcinfo->args[i].value, fcinfo->args[i].isnull,
						tuple + f->params_tuple->fields[i].offset);
		else
		{
			lower_value(cx, c, fcinfo->args[i].value, fcinfo->args[i].isnull, flat);
			flat += c->wit->nflat;
		}
	}
	if (f->params_in_memory)
		slots[0] = tuple;
	return sig->nparams;
}

/*
 * The result from the export's core results: the value itself, or a
 * pointer to it in linear memory.
 */
Datum
slackfuel_lift_result(slackfuel_cx *cx, const slackfuel_sig *sig,
					  const uint64 *slots, bool *isnull)
{
	cx->argno = 0;
	if (sig->wit->result_in_memory)
	{
		uint32		ptr = (uint32) slots[0];

		if (ptr % sig->ret->wit->align != 0)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("wasm function \"%s\" returned a misaligned result pointer",
							cx->fname),
					 errdetail("Pointer %u, alignment %u.", ptr, sig->ret->wit->align)));
		slackfuel_check_range(cx, ptr, sig->ret->wit->size, "a result pointer");
		return load_value(cx, sig->ret, ptr, isnull);
	}
	return lift_value(cx, sig->ret, slots, isnull);
}
