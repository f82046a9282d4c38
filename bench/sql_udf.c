/*
 * sql_udf.c -- the C side of the SQL benchmark (bench/sql.sh): the same two
 * functions as the wasm, PL/pgSQL and SQL versions, as plain C UDFs.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(c_add1);
PG_FUNCTION_INFO_V1(c_fib);

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
