/*
 * sql_udf.c -- the C side of the SQL benchmark (bench/sql.sh): the same
 * functions as the wasm, PL/pgSQL and SQL versions, as plain C UDFs.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(c_add1);
PG_FUNCTION_INFO_V1(c_fib);
PG_FUNCTION_INFO_V1(c_arrsum);
PG_FUNCTION_INFO_V1(c_trip);
PG_FUNCTION_INFO_V1(c_series);
PG_FUNCTION_INFO_V1(c_tag);

Datum
c_add1(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_INT32(0) + 1);
}

/* Iterative Fibonacci modulo 1e9+7. */
Datum
c_fib(PG_FUNCTION_ARGS)
{
	int64		n = PG_GETARG_INT64(0);
	uint64		a = 0,
				b = 1;

	while (n-- > 0)
	{
		uint64		t = (a + b) % UINT64CONST(1000000007);

		a = b;
		b = t;
	}
	PG_RETURN_INT64((int64) a);
}

/* The sum of an int[] without NULLs. */
Datum
c_arrsum(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int			n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	const int32 *v = (const int32 *) ARR_DATA_PTR(a);
	int64		s = 0;

	if (ARR_HASNULL(a))
		elog(ERROR, "NULL element");
	for (int i = 0; i < n; i++)
		s += v[i];
	PG_RETURN_INT64(s);
}

/* trip (a int, b float8, c bigint) -> (a + 1, b * 2, c + a) */
Datum
c_trip(PG_FUNCTION_ARGS)
{
	HeapTupleHeader th = PG_GETARG_HEAPTUPLEHEADER(0);
	TupleDesc	td;
	HeapTupleData tup;
	Datum		v[3];
	bool		n[3];
	Datum		out;

	td = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th),
								HeapTupleHeaderGetTypMod(th));
	tup.t_len = HeapTupleHeaderGetDatumLength(th);
	tup.t_data = th;
	heap_deform_tuple(&tup, td, v, n);
	n[2] = n[2] || n[0];
	if (!n[2])
		v[2] = Int64GetDatum(DatumGetInt64(v[2]) + DatumGetInt32(v[0]));
	if (!n[0])
		v[0] = Int32GetDatum(DatumGetInt32(v[0]) + 1);
	if (!n[1])
		v[1] = Float8GetDatum(DatumGetFloat8(v[1]) * 2);
	out = HeapTupleGetDatum(heap_form_tuple(td, v, n));
	ReleaseTupleDesc(td);
	PG_RETURN_DATUM(out);
}

/* 1..n, one row per call */
Datum
c_series(PG_FUNCTION_ARGS)
{
	FuncCallContext *fc;

	if (SRF_IS_FIRSTCALL())
	{
		fc = SRF_FIRSTCALL_INIT();
		fc->max_calls = PG_GETARG_INT32(0);
	}
	fc = SRF_PERCALL_SETUP();
	if (fc->call_cntr < fc->max_calls)
	{
		int32		v = (int32) fc->call_cntr + 1;	/* before the macro counts */

		SRF_RETURN_NEXT(fc, Int32GetDatum(v));
	}
	SRF_RETURN_DONE(fc);
}

/* jsonb || '{"seen": true}' */
Datum
c_tag(PG_FUNCTION_ARGS)
{
	static Datum seen;

	if (seen == 0)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		seen = DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"seen\": true}"));
		MemoryContextSwitchTo(old);
	}
	return DirectFunctionCall2(jsonb_concat, PG_GETARG_DATUM(0), seen);
}
