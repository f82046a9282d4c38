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
#include "catalog/pg_enum.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "plwasm.h"

/* --- Names ------------------------------------------------------------ */

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

/* --- Scalars: one flat value ------------------------------------------- */

/*
 * The Datum of every by-value scalar below is its flat value: sf_call_slots
 * keeps only the low 32 bits of an i32 or f32 slot, which is where
 * BoolGetDatum, Int16GetDatum, Int32GetDatum, ObjectIdGetDatum and
 * Float4GetDatum put them.
 */
static void
lower_direct(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	flat[0] = (uint64) d;
}

/*
 * "argument 2", "the result", "field \"x\" of the result": what is being
 * converted, for messages.
 */
static char *
what(slackfuel_cx *cx)
{
	char	   *w = cx->argno > 0 ? psprintf("argument %d", cx->argno) :
		pstrdup("the result");

	return cx->field ? psprintf("field \"%s\" of %s", cx->field, w) : w;
}

static void
range_error(slackfuel_cx *cx, int64 v, const char *tname)
{
	/* a plain result is the result: its message says no more */
	if (cx->field == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("wasm function \"%s\" returned %lld, out of range for type %s",
						cx->fname, (long long) v, tname)));
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("wasm function \"%s\" returned %lld in %s, out of range for type %s",
					cx->fname, (long long) v, what(cx), tname)));
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

static Datum
lift_oid(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	return ObjectIdGetDatum((Oid) (uint32) flat[0]);
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

/* --- Dates and times: Unix epoch --------------------------------------- */

/*
 * PostgreSQL counts days and microseconds from 2000-01-01; guests count
 * from 1970-01-01, as their libraries do.  -infinity and infinity are the
 * type's least and greatest value, unchanged.
 */
#define UNIX_DAYS		(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE)
#define UNIX_USECS		((int64) UNIX_DAYS * USECS_PER_DAY)

static void
lower_date(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	DateADT		v = DatumGetDateADT(d);

	flat[0] = (uint32) (DATE_NOT_FINITE(v) ? v : v + UNIX_DAYS);
}

static Datum
lift_date(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	int32		v = (int32) (uint32) flat[0];
	int64		pg = (int64) v - UNIX_DAYS;

	if (DATE_NOT_FINITE(v))
		return DateADTGetDatum(v);
	if (pg < PG_INT32_MIN || !IS_VALID_DATE((DateADT) pg))
		range_error(cx, v, "date (days since 1970-01-01)");
	return DateADTGetDatum((DateADT) pg);
}

static void
lower_timestamp(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	int64		v = DatumGetInt64(d);
	int64		u;

	if (TIMESTAMP_NOT_FINITE(v))
		u = v;
	else if (pg_add_s64_overflow(v, UNIX_USECS, &u) || TIMESTAMP_NOT_FINITE(u))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("wasm function \"%s\" cannot take %s in %s",
						cx->fname, c->sqlname, what(cx)),
				 errdetail("It lies beyond the microseconds since 1970-01-01 that a signed 64-bit integer holds.")));
	flat[0] = (uint64) u;
}

static Datum
lift_timestamp(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	int64		v = (int64) flat[0];
	int64		pg;

	if (TIMESTAMP_NOT_FINITE(v))
		return Int64GetDatum(v);
	if (pg_sub_s64_overflow(v, UNIX_USECS, &pg) || !IS_VALID_TIMESTAMP(pg))
		range_error(cx, v, psprintf("%s (microseconds since 1970-01-01)", c->sqlname));
	return Int64GetDatum(pg);
}

static Datum
lift_time(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	int64		v = (int64) flat[0];

	if (v < 0 || v > USECS_PER_DAY)
		range_error(cx, v, "time (microseconds since midnight, at most 24:00:00)");
	return TimeADTGetDatum(v);
}

/* interval: record interval { months: s32, days: s32, microseconds: s64 } */
static const sf_wit_type *
build_interval(slackfuel_conv *c, slackfuel_typebuild *b)
{
	static const char *const names[] = {"months", "days", "microseconds"};
	const sf_wit_type *types[] = {sf_wit_prim(SF_WIT_S32), sf_wit_prim(SF_WIT_S32),
	sf_wit_prim(SF_WIT_S64)};

	return sf_wit_record(b->arena,
						 slackfuel_wit_typename(b, "interval", SLACKFUEL_KEY_FIXED(1)),
						 3, names, types);
}

static void
lower_interval(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	Interval   *iv = DatumGetIntervalP(d);

	flat[0] = (uint32) iv->month;
	flat[1] = (uint32) iv->day;
	flat[2] = (uint64) iv->time;
}

static Datum
lift_interval(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	Interval   *iv = palloc(sizeof(Interval));

	iv->month = (int32) (uint32) flat[0];
	iv->day = (int32) (uint32) flat[1];
	iv->time = (int64) flat[2];
	return IntervalPGetDatum(iv);
}

/* --- uuid: tuple<u64, u64>, big-endian halves ----------------------------- */

static const sf_wit_type *
build_uuid(slackfuel_conv *c, slackfuel_typebuild *b)
{
	const sf_wit_type *types[] = {sf_wit_prim(SF_WIT_U64), sf_wit_prim(SF_WIT_U64)};

	return sf_wit_tuple(b->arena, 2, types);
}

static void
lower_uuid(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	const unsigned char *u = DatumGetUUIDP(d)->data;

	flat[0] = pg_bswap64(*(const uint64 *) u);
	flat[1] = pg_bswap64(*(const uint64 *) (u + 8));
}

static Datum
lift_uuid(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));
	uint64		hi = pg_bswap64(flat[0]);
	uint64		lo = pg_bswap64(flat[1]);

	memcpy(u->data, &hi, 8);
	memcpy(u->data + 8, &lo, 8);
	return UUIDPGetDatum(u);
}

/* --- string and list<u8>: (ptr, len) in linear memory ------------------- */

/* 'len' bytes copied into memory from cabi_realloc; returns their pointer. */
uint32
slackfuel_lower_bytes(slackfuel_cx *cx, const char *data, size_t len)
{
	uint32		ptr;

	if (len > PG_UINT32_MAX)
		elog(ERROR, "value of %zu bytes does not fit a 32-bit memory", len);
	ptr = slackfuel_guest_alloc(cx, 1, (uint32) len);
	slackfuel_copy_in(cx, ptr, data, len, "a cabi_realloc result");
	return ptr;
}

static void
lower_bytes(slackfuel_cx *cx, const char *data, size_t len, uint64 *flat)
{
	flat[0] = slackfuel_lower_bytes(cx, data, len);
	flat[1] = len;
}

/* A string in the server encoding as a WIT string (UTF-8): its flat pair. */
uint32
slackfuel_lower_string(slackfuel_cx *cx, const char *s, size_t len, uint64 *flat)
{
	char	   *utf8 = pg_server_to_any(s, (int) len, PG_UTF8);

	if (utf8 != s)
		len = strlen(utf8);
	lower_bytes(cx, utf8, len, flat);
	return (uint32) flat[0];
}

static void
lower_text(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

	slackfuel_lower_string(cx, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), flat);
}

static void
lower_bytea(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

	lower_bytes(cx, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), flat);
}

static void
too_long(slackfuel_cx *cx, uint64 len)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("wasm function \"%s\" returned %llu bytes, more than a value can hold",
					cx->fname, (unsigned long long) len)));
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
		too_long(cx, len);
	res = (struct varlena *) palloc(VARHDRSZ + len);
	SET_VARSIZE(res, VARHDRSZ + len);
	slackfuel_copy_out(cx, VARDATA(res), ptr, len, "a result string");
	return res;
}

/*
 * A WIT string at (ptr, len) as a NUL-terminated string in the server
 * encoding; invalid UTF-8 and NUL bytes are errors.
 */
char *
slackfuel_lift_string(slackfuel_cx *cx, uint32 ptr, uint32 len, const char *w)
{
	char	   *buf;
	char	   *conv;

	slackfuel_check_range(cx, ptr, len, w);
	if (len > MaxAllocSize - 1)
		too_long(cx, len);
	buf = palloc(len + 1);
	slackfuel_copy_out(cx, buf, ptr, len, w);
	buf[len] = '\0';
	conv = pg_any_to_server(buf, (int) len, PG_UTF8);
	return conv;
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

/* name: at most NAMEDATALEN - 1 bytes; a longer result is an error. */
static void
lower_name(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	const char *s = NameStr(*DatumGetName(d));

	slackfuel_lower_string(cx, s, strlen(s), flat);
}

static Datum
lift_name(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	char	   *s = slackfuel_lift_string(cx, (uint32) flat[0], (uint32) flat[1],
										  "a result string");
	Name		n;

	if (strlen(s) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("wasm function \"%s\" returned a name of %zu bytes",
						cx->fname, strlen(s)),
				 errdetail("A name holds at most %d bytes.", NAMEDATALEN - 1)));
	n = palloc0(NAMEDATALEN);
	strcpy(NameStr(*n), s);
	return NameGetDatum(n);
}

/*
 * Types whose WIT string is their text form (numeric, json, jsonb): out
 * through the type's output function, back through its input function,
 * which checks the text (and normalises jsonb).  An error there names the
 * function and the value in its context.
 */
static const sf_wit_type *
build_io(slackfuel_conv *c, slackfuel_typebuild *b)
{
	Oid			infunc,
				outfunc;
	bool		isvarlena;

	getTypeInputInfo(c->typid, &infunc, &c->ioparam);
	getTypeOutputInfo(c->typid, &outfunc, &isvarlena);
	fmgr_info_cxt(infunc, &c->in, CurrentMemoryContext);
	fmgr_info_cxt(outfunc, &c->out, CurrentMemoryContext);
	return sf_wit_prim(SF_WIT_STRING);
}

static void
lower_io(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	char	   *s = OutputFunctionCall((FmgrInfo *) &c->out, d);

	slackfuel_lower_string(cx, s, strlen(s), flat);
}

/*
 * json is stored as its text, which is what its output function gives
 * (lower_text, without the copy); jsonb's output function's work without
 * its copy of the result or the result's strlen.
 */
static void
lower_jsonb(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	Jsonb	   *jb = DatumGetJsonbP(d);
	StringInfoData s;

	initStringInfo(&s);
	JsonbToCString(&s, &jb->root, VARSIZE(jb));
	slackfuel_lower_string(cx, s.data, s.len, flat);
}

static void
lift_io_context(void *arg)
{
	slackfuel_cx *cx = arg;

	errcontext("%s of wasm function \"%s\"", what(cx), cx->fname);
}

static Datum
lift_io(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	char	   *s = slackfuel_lift_string(cx, (uint32) flat[0], (uint32) flat[1],
										  "a result string");
	ErrorContextCallback ctx;
	Datum		d;

	ctx.callback = lift_io_context;
	ctx.arg = cx;
	ctx.previous = error_context_stack;
	error_context_stack = &ctx;
	d = InputFunctionCall((FmgrInfo *) &c->in, s, c->ioparam, -1);
	error_context_stack = ctx.previous;
	return d;
}

/* --- Enums: WIT enum, by label ------------------------------------------ */

/*
 * The labels in their sort order, each as a WIT identifier; two labels
 * that become the same identifier are an error.
 */
static const sf_wit_type *
build_enum(slackfuel_conv *c, slackfuel_typebuild *b)
{
	CatCList   *list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(c->typid));
	uint32		n = list->n_members;
	Form_pg_enum *rows = palloc(Max(n, 1) * sizeof(Form_pg_enum));
	const char **labels = palloc(Max(n, 1) * sizeof(char *));
	const char *tname = format_type_be(c->typid);

	for (uint32 i = 0; i < n; i++)
		rows[i] = (Form_pg_enum) GETSTRUCT(&list->members[i]->tuple);
	/* by enumsortorder: insertion sort, enums are short */
	for (uint32 i = 1; i < n; i++)
		for (uint32 j = i; j > 0 && rows[j - 1]->enumsortorder > rows[j]->enumsortorder; j--)
		{
			Form_pg_enum t = rows[j];

			rows[j] = rows[j - 1];
			rows[j - 1] = t;
		}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("enum type %s has no labels, and a WIT enum needs one", tname)));
	c->nlabels = n;
	c->enum_oids = palloc(n * sizeof(Oid));
	c->sorted_oids = palloc(n * sizeof(Oid));
	c->sorted_cases = palloc(n * sizeof(uint32));
	for (uint32 i = 0; i < n; i++)
	{
		char	   *k = kebab(NameStr(rows[i]->enumlabel));

		if (k == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("label \"%s\" of enum type %s is no WIT identifier",
							NameStr(rows[i]->enumlabel), tname),
					 errdetail("A WIT enum's labels are lowercase letters, digits and '-', starting with a letter.")));
		for (uint32 j = 0; j < i; j++)
			if (strcmp(labels[j], k) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("labels \"%s\" and \"%s\" of enum type %s are the same WIT identifier \"%s\"",
								NameStr(rows[j]->enumlabel), NameStr(rows[i]->enumlabel),
								tname, k)));
		labels[i] = k;
		c->enum_oids[i] = rows[i]->oid;
		c->sorted_oids[i] = rows[i]->oid;
	}
	ReleaseSysCacheList(list);
	qsort(c->sorted_oids, n, sizeof(Oid), oid_cmp);
	for (uint32 i = 0; i < n; i++)
		for (uint32 j = 0; j < n; j++)
			if (c->enum_oids[j] == c->sorted_oids[i])
				c->sorted_cases[i] = j;
	if (b->sig)
		b->sig->has_enums = true;
	return sf_wit_enum(b->arena,
					   slackfuel_wit_typename(b, wit_name_or(tname, "type", c->typid), c->typid),
					   n, labels);
}

static void
lower_enum(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	Oid			v = DatumGetObjectId(d);
	Oid		   *hit = bsearch(&v, c->sorted_oids, c->nlabels, sizeof(Oid), oid_cmp);

	if (hit == NULL)
		elog(ERROR, "enum value %u of type %s not known to wasm function \"%s\"",
			 v, c->sqlname, cx->fname);
	flat[0] = c->sorted_cases[hit - c->sorted_oids];
}

static Datum
lift_enum(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	uint32		v = (uint32) flat[0];

	if (v >= c->nlabels)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("wasm function \"%s\" gave case %u of enum %s in %s",
						cx->fname, v, c->sqlname, what(cx)),
				 errdetail("The enum has %u labels, cases 0 to %u.", c->nlabels, c->nlabels - 1)));
	return ObjectIdGetDatum(c->enum_oids[v]);
}

/* --- Primitives in memory ------------------------------------------------ */

/*
 * Values in memory are converted in a host copy of their bytes: lowering
 * lays a value out in a buffer that one slackfuel_copy_in then puts in
 * guest memory, and lifting reads a value's bytes with one
 * slackfuel_copy_out and takes them apart here.  Only strings and lists
 * point elsewhere in guest memory, and are copied on their own.
 *
 * A value's flat values stored at 'dst' as the canonical ABI lays it out:
 * integers and floats little-endian in their size (the host is x86-64, so
 * the low bytes of the slot), string and list as (ptr, len), a record or
 * tuple of these field by field.  Returns the flat values used.
 */
static uint32
store_flat(const sf_wit_type *t, const uint64 *flat, uint8 *dst)
{
	uint32		pair[2];
	uint32		used = 0;

	switch (t->kind)
	{
		case SF_WIT_STRING:
		case SF_WIT_LIST:
			pair[0] = (uint32) flat[0];
			pair[1] = (uint32) flat[1];
			memcpy(dst, pair, sizeof(pair));
			return 2;
		case SF_WIT_RECORD:
		case SF_WIT_TUPLE:
			for (uint32 i = 0; i < t->nfields; i++)
				used += store_flat(t->fields[i].type, flat + used,
								   dst + t->fields[i].offset);
			return used;
		default:
			switch (t->size)
			{
				case 1:
					*dst = (uint8) flat[0];
					break;
				case 2:
					{
						uint16		h = (uint16) flat[0];

						memcpy(dst, &h, 2);
						break;
					}
				case 4:
					{
						uint32		w = (uint32) flat[0];

						memcpy(dst, &w, 4);
						break;
					}
				default:
					memcpy(dst, &flat[0], 8);
					break;
			}
			return 1;
	}
}

/* The reverse: signed types sign-extend, as their flat i32 would be. */
static uint32
load_flat(const sf_wit_type *t, const uint8 *src, uint64 *flat)
{
	uint32		pair[2];
	uint64		v = 0;
	uint32		used = 0;

	switch (t->kind)
	{
		case SF_WIT_STRING:
		case SF_WIT_LIST:
			memcpy(pair, src, sizeof(pair));
			flat[0] = pair[0];
			flat[1] = pair[1];
			return 2;
		case SF_WIT_RECORD:
		case SF_WIT_TUPLE:
			for (uint32 i = 0; i < t->nfields; i++)
				used += load_flat(t->fields[i].type, src + t->fields[i].offset,
								  flat + used);
			return used;
		default:
			switch (t->size)
			{
				case 1:
					v = t->kind == SF_WIT_S8 ? (uint32) (int32) *(const int8 *) src : *src;
					break;
				case 2:
					{
						uint16		h;

						memcpy(&h, src, 2);
						v = t->kind == SF_WIT_S16 ? (uint32) (int32) (int16) h : h;
						break;
					}
				case 4:
					{
						uint32		w;

						memcpy(&w, src, 4);
						v = w;
						break;
					}
				default:
					memcpy(&v, src, 8);
					break;
			}
			flat[0] = v;
			return 1;
	}
}

/*
 * A host buffer for 'len' bytes of values: 'small' when they fit, else
 * palloc'd (bounded, as every copy out is, by what a value can hold).
 */
static uint8 *
value_buffer(slackfuel_cx *cx, uint8 *small, size_t small_len, uint64 len)
{
	if (len <= small_len)
		return small;
	if (len > MaxAllocSize)
		too_long(cx, len);
	return palloc(len);
}

/* --- Values: NULL as option<T>, then the row ----------------------------- */

static void lower_value(slackfuel_cx *cx, const slackfuel_conv *c, Datum d,
						bool isnull, uint64 *flat);
static Datum lift_value(slackfuel_cx *cx, const slackfuel_conv *c,
						const uint64 *flat, bool *isnull);
static void store_value(slackfuel_cx *cx, const slackfuel_conv *c, Datum d,
						bool isnull, uint8 *dst);
static Datum load_value(slackfuel_cx *cx, const slackfuel_conv *c,
						const uint8 *src, bool *isnull);

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

/* A result of a domain type must satisfy the domain's constraints. */
static void
check_domain(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, bool isnull)
{
	ErrorContextCallback ctx;

	ctx.callback = lift_io_context;
	ctx.arg = cx;
	ctx.previous = error_context_stack;
	error_context_stack = &ctx;
	domain_check(d, isnull, c->domain, c->domain_extra, c->mcxt);
	error_context_stack = ctx.previous;
}

static Datum
lift_value(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat,
		   bool *isnull)
{
	Datum		d = (Datum) 0;

	*isnull = false;
	if (c->nullable && option_disc(cx, c, (uint32) *flat++) == 0)
		*isnull = true;
	else
		d = c->type->lift(cx, c, flat);
	if (unlikely(OidIsValid(c->domain)))
		check_domain(cx, c, d, *isnull);
	return d;
}

static void
store_value(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, bool isnull,
			uint8 *dst)
{
	uint64		flat[4];

	if (c->nullable)
	{
		dst[0] = isnull ? 0 : 1;
		if (isnull)
			return;
		dst += c->wit->payload_offset;
	}
	else if (isnull)
		null_error(cx, c);
	if (c->type->store)
		c->type->store(cx, c, d, dst);
	else
	{
		c->type->lower(cx, c, d, flat);
		store_flat(c->inner, flat, dst);
	}
}

static Datum
load_value(slackfuel_cx *cx, const slackfuel_conv *c, const uint8 *src,
		   bool *isnull)
{
	uint64		flat[4];
	Datum		d = (Datum) 0;

	*isnull = false;
	if (c->nullable)
	{
		if (option_disc(cx, c, src[0]) == 0)
			*isnull = true;
		src += c->wit->payload_offset;
	}
	if (*isnull)
		;
	else if (c->type->load)
		d = c->type->load(cx, c, src);
	else
	{
		load_flat(c->inner, src, flat);
		d = c->type->lift(cx, c, flat);
	}
	if (unlikely(OidIsValid(c->domain)))
		check_domain(cx, c, d, *isnull);
	return d;
}

/* --- Arrays: list<T> ----------------------------------------------------- */

/* The SQL type of a conversion's values: the domain, if it is one. */
static inline Oid
decl_type(const slackfuel_conv *c)
{
	return OidIsValid(c->domain) ? c->domain : c->typid;
}

static void
list_too_long(slackfuel_cx *cx, uint64 n)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("wasm function \"%s\" returned a list of %llu elements, more than an array can hold",
					cx->fname, (unsigned long long) n)));
}

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
		uint8	   *buf = MemoryContextAllocExtended(CurrentMemoryContext, Max(bytes, 1),
													MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

		deconstruct_array(arr, decl_type(c->elem), c->elmlen, c->elmbyval,
						  c->elmalign, &values, &nulls, &count);
		for (int i = 0; i < count; i++)
		{
			if ((i & 0xffff) == 0xffff)
				CHECK_FOR_INTERRUPTS();
			if (nulls[i] && cx->host != NULL && cx->host_ctx != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("a query of wasm function \"%s\" returned an array with NULL elements in typed rows",
								cx->fname),
						 errdetail("Element %d of column \"%s\" is NULL, and a list<T> has no place for it.",
								   i + 1, cx->field ? cx->field : "?"),
						 errhint("Read the column with query or next, or remove the NULLs (array_remove).")));
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("wasm function \"%s\" cannot take an array with NULL elements",
								cx->fname),
						 errdetail("Element %d of %s is NULL.", i + 1, what(cx))));
			store_value(cx, c->elem, values[i], false, buf + (size_t) i * et->size);
		}
		slackfuel_copy_in(cx, ptr, buf, bytes, "an argument's memory");
		pfree(buf);
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
	Oid			elemtype = decl_type(c->elem);
	uint8	   *buf;
	Datum	   *values;
	bool	   *nulls;
	int			dims[1] = {(int) n};
	int			lbs[1] = {1};

	slackfuel_check_range(cx, ptr, bytes, "a result list");
	if (n > MaxArraySize)
		list_too_long(cx, n);
	if (n == 0)
		return PointerGetDatum(construct_empty_array(elemtype));
	if (c->elem->type->bulk && !OidIsValid(c->elem->domain))
	{
		Size		nbytes = ARR_OVERHEAD_NONULLS(1) + bytes;
		ArrayType  *arr;

		if (!AllocSizeIsValid(nbytes))
			list_too_long(cx, n);
		arr = palloc0(nbytes);
		SET_VARSIZE(arr, nbytes);
		arr->ndim = 1;
		arr->dataoffset = 0;
		arr->elemtype = elemtype;
		*ARR_DIMS(arr) = (int) n;
		*ARR_LBOUND(arr) = 1;
		slackfuel_copy_out(cx, ARR_DATA_PTR(arr), ptr, bytes, "a result list");
		return PointerGetDatum(arr);
	}
	if ((Size) n > MaxAllocSize / sizeof(Datum))
		list_too_long(cx, n);
	buf = value_buffer(cx, NULL, 0, bytes);
	slackfuel_copy_out(cx, buf, ptr, bytes, "a result list");
	values = palloc(n * sizeof(Datum));
	nulls = palloc(n * sizeof(bool));
	for (uint32 i = 0; i < n; i++)
	{
		if ((i & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
		values[i] = load_value(cx, c->elem, buf + (size_t) i * et->size, &nulls[i]);
	}
	pfree(buf);
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs,
											  elemtype, c->elmlen,
											  c->elmbyval, c->elmalign));
}

/* --- Composites: record -------------------------------------------------- */

/*
 * A row's columns go through c->values and c->nulls, allocated once with
 * the signature: nothing is palloc'd per call but the tuple a result is.
 * A conversion is never re-entered while its row is in use (a composite
 * cannot contain itself, and no SQL runs while values convert).
 */
static void
deform(const slackfuel_conv *c, Datum d)
{
	HeapTupleHeader th = DatumGetHeapTupleHeader(d);
	HeapTupleData tup;

	tup.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = th;
	heap_deform_tuple(&tup, c->tupdesc, c->values, c->nulls);
}

static void
lower_record(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint64 *flat)
{
	int			natts = c->tupdesc->natts;

	const char *outer = cx->field;

	deform(c, d);
	for (int i = 0; i < natts; i++)
	{
		if (c->fields[i] == NULL)
			continue;
		cx->field = NameStr(TupleDescAttr(c->tupdesc, i)->attname);
		lower_value(cx, c->fields[i], c->values[i], c->nulls[i], flat);
		flat += c->fields[i]->wit->nflat;
	}
	cx->field = outer;
}

static void
store_record(slackfuel_cx *cx, const slackfuel_conv *c, Datum d, uint8 *dst)
{
	int			natts = c->tupdesc->natts;
	uint32		f = 0;
	const char *outer = cx->field;

	deform(c, d);
	for (int i = 0; i < natts; i++)
		if (c->fields[i] != NULL)
		{
			cx->field = NameStr(TupleDescAttr(c->tupdesc, i)->attname);
			store_value(cx, c->fields[i], c->values[i], c->nulls[i],
						dst + c->inner->fields[f++].offset);
		}
	cx->field = outer;
}

static Datum
lift_record(slackfuel_cx *cx, const slackfuel_conv *c, const uint64 *flat)
{
	int			natts = c->tupdesc->natts;
	const char *outer = cx->field;

	for (int i = 0; i < natts; i++)
	{
		c->nulls[i] = true;
		c->values[i] = (Datum) 0;
		if (c->fields[i] == NULL)
			continue;
		cx->field = NameStr(TupleDescAttr(c->tupdesc, i)->attname);
		c->values[i] = lift_value(cx, c->fields[i], flat, &c->nulls[i]);
		flat += c->fields[i]->wit->nflat;
	}
	cx->field = outer;
	return HeapTupleGetDatum(heap_form_tuple(c->tupdesc, c->values, c->nulls));
}

/* The columns of the record at 'src' into c->values, c->nulls. */
static void
load_columns(slackfuel_cx *cx, const slackfuel_conv *c, const uint8 *src)
{
	int			natts = c->tupdesc->natts;
	uint32		f = 0;
	const char *outer = cx->field;

	for (int i = 0; i < natts; i++)
	{
		c->nulls[i] = true;
		c->values[i] = (Datum) 0;
		if (c->fields[i] == NULL)
			continue;
		cx->field = NameStr(TupleDescAttr(c->tupdesc, i)->attname);
		c->values[i] = load_value(cx, c->fields[i],
								  src + c->inner->fields[f++].offset, &c->nulls[i]);
	}
	cx->field = outer;
}

static Datum
load_record(slackfuel_cx *cx, const slackfuel_conv *c, const uint8 *src)
{
	load_columns(cx, c, src);
	return HeapTupleGetDatum(heap_form_tuple(c->tupdesc, c->values, c->nulls));
}

/* --- Building conversions ----------------------------------------------- */

static slackfuel_conv *conv_build(Oid typid, bool nullable, slackfuel_typebuild *b);

struct slackfuel_witnames
{
	List	   *names;			/* char *, parallel to keys */
	List	   *keys;			/* int64 *, the type each name was given to */
};

slackfuel_witnames *
slackfuel_witnames_new(void)
{
	return palloc0(sizeof(slackfuel_witnames));
}

/*
 * The WIT name of the named type 'key': 'base', or, when another type has
 * that name, 'base' followed by -2, -3, ...
 */
const char *
slackfuel_wit_typename(slackfuel_typebuild *b, const char *base, int64 key)
{
	slackfuel_witnames *w = b->names;
	char	   *name = pstrdup(base);

	for (int n = 2;; n++)
	{
		ListCell   *ln,
				   *lk;
		bool		taken = false;

		forboth(ln, w->names, lk, w->keys)
		{
			if (strcmp(lfirst(ln), name) != 0)
				continue;
			if (*(int64 *) lfirst(lk) == key)
				return lfirst(ln);
			taken = true;
		}
		if (!taken)
		{
			int64	   *k = palloc(sizeof(int64));

			*k = key;
			w->names = lappend(w->names, name);
			w->keys = lappend(w->keys, k);
			return name;
		}
		name = psprintf("%s-%d", base, n);
	}
}

static const sf_wit_type *
build_list_u8(slackfuel_conv *c, slackfuel_typebuild *b)
{
	return sf_wit_list(b->arena, sf_wit_prim(SF_WIT_U8));
}

static const sf_wit_type *
build_array(slackfuel_conv *c, slackfuel_typebuild *b)
{
	Oid			elemtype = get_element_type(c->typid);

	c->elem = conv_build(elemtype, false, b);
	get_typlenbyvalalign(elemtype, &c->elmlen, &c->elmbyval, &c->elmalign);
	return sf_wit_list(b->arena, c->elem->wit);
}

/* A record of the columns of c->tupdesc, named 'name'. */
static const sf_wit_type *
record_of(slackfuel_conv *c, slackfuel_typebuild *b, const char *name)
{
	TupleDesc	td = c->tupdesc;
	const char **names = palloc(td->natts * sizeof(char *));
	const sf_wit_type **types = palloc(td->natts * sizeof(sf_wit_type *));
	uint32		n = 0;

	c->fields = palloc0(td->natts * sizeof(slackfuel_conv *));
	c->values = palloc0(td->natts * sizeof(Datum));
	c->nulls = palloc0(td->natts * sizeof(bool));
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (att->attisdropped)
			continue;
		c->fields[i] = conv_build(att->atttypid, !att->attnotnull, b);
		names[n] = wit_name_or(NameStr(att->attname), "field", i + 1);
		types[n++] = c->fields[i]->wit;
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("type %s has no columns, and a WIT record needs one",
						format_type_be(c->typid))));
	return sf_wit_record(b->arena, name, n, names, types);
}

static const sf_wit_type *
build_composite(slackfuel_conv *c, slackfuel_typebuild *b)
{
	c->tupdesc = lookup_rowtype_tupdesc_copy(c->typid, -1);
	return record_of(c, b,
					 slackfuel_wit_typename(b, wit_name_or(format_type_be(c->typid),
														   "type", c->typid),
											c->typid));
}

/* --- The table ----------------------------------------------------------- */

#define SCALAR(oid, sql, wit, lift, bulk) \
	{oid, sql, wit, true, bulk, NULL, lower_direct, lift, NULL, NULL}
#define CONVERTED(oid, sql, wit, lower, lift, bulk) \
	{oid, sql, wit, false, bulk, NULL, lower, lift, NULL, NULL}
#define BUILT(oid, sql, wit, build, lower, lift) \
	{oid, sql, wit, false, false, build, lower, lift, NULL, NULL}

static const slackfuel_type type_table[] = {
	SCALAR(BOOLOID, "bool", SF_WIT_BOOL, lift_bool, false),
	SCALAR(INT2OID, "smallint", SF_WIT_S16, lift_int2, true),
	SCALAR(INT4OID, "integer", SF_WIT_S32, lift_int4, true),
	SCALAR(INT8OID, "bigint", SF_WIT_S64, lift_bits64, true),
	SCALAR(FLOAT4OID, "real", SF_WIT_F32, lift_float4, true),
	SCALAR(FLOAT8OID, "double precision", SF_WIT_F64, lift_bits64, true),
	SCALAR(OIDOID, "oid", SF_WIT_U32, lift_oid, true),
	SCALAR(REGCLASSOID, "regclass", SF_WIT_U32, lift_oid, true),
	SCALAR(REGTYPEOID, "regtype", SF_WIT_U32, lift_oid, true),
	SCALAR(REGPROCOID, "regproc", SF_WIT_U32, lift_oid, true),
	SCALAR(REGPROCEDUREOID, "regprocedure", SF_WIT_U32, lift_oid, true),
	SCALAR(REGNAMESPACEOID, "regnamespace", SF_WIT_U32, lift_oid, true),
	SCALAR(REGROLEOID, "regrole", SF_WIT_U32, lift_oid, true),
	CONVERTED(TEXTOID, "text", SF_WIT_STRING, lower_text, lift_text, false),
	CONVERTED(VARCHAROID, "varchar", SF_WIT_STRING, lower_text, lift_text, false),
	CONVERTED(BPCHAROID, "char(n)", SF_WIT_STRING, lower_text, lift_text, false),
	CONVERTED(NAMEOID, "name", SF_WIT_STRING, lower_name, lift_name, false),
	BUILT(BYTEAOID, "bytea", SF_WIT_LIST, build_list_u8, lower_bytea, lift_bytea),
	BUILT(NUMERICOID, "numeric", SF_WIT_STRING, build_io, lower_io, lift_io),
	BUILT(JSONOID, "json", SF_WIT_STRING, build_io, lower_text, lift_io),
	BUILT(JSONBOID, "jsonb", SF_WIT_STRING, build_io, lower_jsonb, lift_io),
	BUILT(UUIDOID, "uuid", SF_WIT_TUPLE, build_uuid, lower_uuid, lift_uuid),
	CONVERTED(DATEOID, "date", SF_WIT_S32, lower_date, lift_date, false),
	CONVERTED(TIMESTAMPOID, "timestamp", SF_WIT_S64, lower_timestamp, lift_timestamp, false),
	CONVERTED(TIMESTAMPTZOID, "timestamptz", SF_WIT_S64, lower_timestamp, lift_timestamp, false),
	SCALAR(TIMEOID, "time", SF_WIT_S64, lift_time, true),
	BUILT(INTERVALOID, "interval", SF_WIT_RECORD, build_interval, lower_interval, lift_interval),
};

static const slackfuel_type array_row =
{InvalidOid, "arrays of these", SF_WIT_LIST, false, false, build_array,
lower_array, lift_array, NULL, NULL};

static const slackfuel_type composite_row =
{InvalidOid, "composite types", SF_WIT_RECORD, false, false,
build_composite, lower_record, lift_record, store_record, load_record};

static const slackfuel_type enum_row =
{InvalidOid, "enums", SF_WIT_ENUM, false, false, build_enum, lower_enum,
lift_enum, NULL, NULL};

/* "bool, smallint, ... interval, arrays of these, composite types, enums and domains over these" */
static char *
supported_types(void)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < lengthof(type_table); i++)
		appendStringInfo(&s, "%s, ", type_table[i].sql);
	appendStringInfo(&s, "%s, %s, %s and domains over these",
					 array_row.sql, composite_row.sql, enum_row.sql);
	return s.data;
}

static void
unsupported(Oid typid, slackfuel_typebuild *b)
{
	/* without a signature: the columns of a query (slackfuel_rowtype_new) */
	if (b->sig == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a query of wasm function \"%s\" returns a column of type %s, which has no WIT type",
						b->fname, format_type_be(typid)),
				 errhint("Typed rows support %s; cast the column, or read it with query or next.",
						 supported_types())));
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("wasm function \"%s\" cannot %s type %s", b->fname,
					b->is_result ? "return" : "take an argument of",
					format_type_be(typid)),
			 errhint("wasm functions support %s.", supported_types())));
}

/* The row of 'typid' (not a domain), or NULL. */
static const slackfuel_type *
row_of(Oid typid)
{
	char		typtype;

	for (int i = 0; i < lengthof(type_table); i++)
		if (type_table[i].oid == typid)
			return &type_table[i];
	if (type_is_array(typid))
		return &array_row;
	typtype = get_typtype(typid);
	if (typtype == TYPTYPE_COMPOSITE)
		return &composite_row;
	if (typtype == TYPTYPE_ENUM)
		return &enum_row;
	return NULL;
}

static void
wit_failed(sf_wit_arena *a, Oid typid)
{
	sf_error	err;

	sf_wit_arena_status(a, &err);
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("type %s has no WIT type", format_type_be(typid)),
			 errdetail("%s", err.msg)));
}

/*
 * How a value of 'typid' crosses, in the current memory context (which is
 * the signature's); its WIT types in b->arena.  A domain crosses as its
 * base type and is checked on results.
 */
static slackfuel_conv *
conv_build(Oid typid, bool nullable, slackfuel_typebuild *b)
{
	slackfuel_conv *c = palloc0(sizeof(slackfuel_conv));

	c->sqlname = format_type_be(typid);
	c->mcxt = CurrentMemoryContext;
	if (get_typtype(typid) == TYPTYPE_DOMAIN)
	{
		c->domain = typid;
		c->domain_extra = palloc0(sizeof(void *));
		typid = getBaseType(typid);
	}
	c->typid = typid;
	c->type = row_of(typid);
	if (c->type == NULL)
		unsupported(OidIsValid(c->domain) ? c->domain : typid, b);
	c->nullable = nullable;
	c->direct = c->type->direct && !nullable && !OidIsValid(c->domain);
	c->inner = c->type->build ? c->type->build(c, b) : sf_wit_prim(c->type->wit);
	c->wit = nullable && c->inner ? sf_wit_option(b->arena, c->inner) : c->inner;
	if (c->wit == NULL)
		wit_failed(b->arena, typid);
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
out_record(TupleDesc td, bool nullable, slackfuel_typebuild *b, Oid procoid)
{
	slackfuel_conv *c = palloc0(sizeof(slackfuel_conv));

	c->type = &composite_row;
	c->typid = RECORDOID;
	c->sqlname = "record";
	c->mcxt = CurrentMemoryContext;
	c->nullable = nullable;
	c->tupdesc = CreateTupleDescCopy(td);
	BlessTupleDesc(c->tupdesc);
	c->inner = record_of(c, b,
						 slackfuel_wit_typename(b,
												psprintf("%s-result",
														 wit_name_or(b->fname, "function", 0)),
												SLACKFUEL_KEY_RESULT(procoid)));
	c->wit = nullable ? sf_wit_option(b->arena, c->inner) : c->inner;
	if (c->wit == NULL)
		wit_failed(b->arena, RECORDOID);
	return c;
}

/*
 * The WIT names of the parameters, from the names of the input arguments
 * (proargnames covers every argument; proargmodes tells which are OUT).
 */
static const char **
param_names(HeapTuple proctup, int n)
{
	const char **names = palloc(Max(1, n) * sizeof(char *));
	Datum	   *argnames = NULL;
	Datum	   *modes = NULL;
	int			nargnames = 0,
				nmodes = 0,
				k = 0;
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proargnames, &isnull);

	if (!isnull)
		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
						  &argnames, NULL, &nargnames);
	d = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proargmodes, &isnull);
	if (!isnull)
		deconstruct_array(DatumGetArrayTypeP(d), CHAROID, 1, true, TYPALIGN_CHAR,
						  &modes, NULL, &nmodes);
	for (int i = 0; i < Max(nargnames, nmodes) && k < n; i++)
	{
		char		mode = i < nmodes ? DatumGetChar(modes[i]) : PROARGMODE_IN;

		if (mode == PROARGMODE_OUT || mode == PROARGMODE_TABLE)
			continue;
		names[k] = wit_name_or(i < nargnames ? TextDatumGetCString(argnames[i]) : NULL,
							   "arg", k + 1);
		k++;
	}
	for (; k < n; k++)
		names[k] = psprintf("arg%d", k + 1);
	return names;
}

static const sf_wit_func *
func_or_fail(slackfuel_typebuild *b, uint32 n, const char **names,
			 const sf_wit_type **types, const sf_wit_type *result)
{
	const sf_wit_func *f = sf_wit_func_new(b->arena, n, names, types, result);
	sf_error	err;

	if (sf_wit_arena_status(b->arena, &err) != SF_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the signature of wasm function \"%s\" has no WIT type", b->fname),
				 errdetail("%s", err.msg)));
	return f;
}

/*
 * A set's forms: list<T> all at once, or an iterator: the export returns a
 * handle (u32) and <export>_next(handle) gives option<T> until none.
 */
static void
build_set_forms(slackfuel_sig *sig, slackfuel_typebuild *b, const char **names,
				const sf_wit_type **types)
{
	static const char *const it_name[] = {"iterator"};
	const sf_wit_type *u32[] = {sf_wit_prim(SF_WIT_U32)};

	sig->wit_list = func_or_fail(b, sig->nargs, names, types,
								 sf_wit_list(b->arena, sig->ret->wit));
	sig->wit_start = func_or_fail(b, sig->nargs, names, types, u32[0]);
	sig->wit_next = func_or_fail(b, 1, (const char **) it_name, u32,
								 sf_wit_option(b->arena, sig->ret->wit));
}

/*
 * The signature of a pg_proc row, in a new memory context under 'parent'
 * (slackfuel_sig_free, or the parent's reset, releases it); refuses what
 * wasm cannot express.  Named types get names unique within 'names'
 * (NULL: within this signature).
 */
slackfuel_sig *
slackfuel_sig_from_proc(HeapTuple proctup, MemoryContext parent,
						slackfuel_witnames *names_in)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(proctup);
	const char *fname = NameStr(p->proname);
	MemoryContext mcxt = AllocSetContextCreate(parent, "slackfuel signature",
											   ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	slackfuel_sig *sig = palloc0(sizeof(slackfuel_sig));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));
	slackfuel_typebuild b;
	bool		nullable;
	const char **names;
	const sf_wit_type **types;
	TupleDesc	outdesc;

	sig->mcxt = mcxt;
	sig->arena = sf_wit_arena_new();
	if (sig->arena == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	cb->func = arena_release;
	cb->arg = sig->arena;
	MemoryContextRegisterResetCallback(mcxt, cb);
	b.arena = sig->arena;
	b.fname = fname;
	b.is_result = false;
	b.sig = sig;
	b.names = names_in ? names_in : slackfuel_witnames_new();

	sig->nargs = p->pronargs;
	nullable = !p->proisstrict && sig->nargs > 0;
	sig->args = palloc0(Max(1, sig->nargs) * sizeof(slackfuel_conv *));
	names = param_names(proctup, sig->nargs);
	types = palloc(Max(1, sig->nargs) * sizeof(sf_wit_type *));
	sig->direct = true;
	for (int i = 0; i < sig->nargs; i++)
	{
		slackfuel_conv *c = conv_build(p->proargtypes.values[i], nullable, &b);

		sig->args[i] = c;
		types[i] = c->wit;
		sig->uses_memory |= conv_uses_memory(c);
		collect_rowtypes(sig, c);
		sig->direct &= c->direct;
	}

	b.is_result = true;
	if (p->prorettype == TRIGGEROID)
	{
		const sf_wit_type *data,
				   *result;
		static const char *const tname[] = {"data"};

		slackfuel_trigger_wit(&b, &data, &result);
		sig->trigger = true;
		sig->uses_memory = true;
		sig->direct = false;
		sig->wit = func_or_fail(&b, 1, (const char **) tname, &data, result);
	}
	else
	{
		outdesc = build_function_result_tupdesc_t(proctup);
		if (outdesc != NULL)
			sig->ret = out_record(outdesc, nullable, &b, p->oid);
		else if (p->prorettype != VOIDOID)
			sig->ret = conv_build(p->prorettype, nullable, &b);
		if (sig->ret)
		{
			sig->uses_memory |= conv_uses_memory(sig->ret);
			collect_rowtypes(sig, sig->ret);
		}
		sig->retset = p->proretset;
		if (sig->retset)
		{
			build_set_forms(sig, &b, names, types);
			sig->uses_memory = true;
			sig->direct = false;
			sig->wit = sig->wit_list;
		}
		else
			sig->wit = func_or_fail(&b, sig->nargs, names, types,
									sig->ret ? sig->ret->wit : NULL);
	}
	sig->wit_name = wit_name_or(fname, "function", 0);
	sig->nparams = sig->wit->core.nparams;
	sig->nresults = sig->wit->core.nresults;
	sig->uses_memory |= sig->wit->params_in_memory || sig->wit->result_in_memory;
	sig->direct &= !sig->wit->params_in_memory &&
		(sig->ret == NULL || sig->ret->direct);
	MemoryContextSwitchTo(old);
	return sig;
}

/* A set function's module chose the iterator form (or not). */
void
slackfuel_sig_set_stream(slackfuel_sig *sig, bool stream)
{
	Assert(sig->retset);
	sig->stream = stream;
	sig->wit = stream ? sig->wit_start : sig->wit_list;
	sig->nparams = sig->wit->core.nparams;
	sig->nresults = sig->wit->core.nresults;
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
	uint8		small[256];
	uint8	   *buf = NULL;

	if (f->params_in_memory)
	{
		tuple = slackfuel_guest_alloc(cx, f->params_tuple->align,
									  f->params_tuple->size);
		buf = value_buffer(cx, small, sizeof(small), f->params_tuple->size);
		memset(buf, 0, f->params_tuple->size);
	}
	for (int i = 0; i < sig->nargs; i++)
	{
		const slackfuel_conv *c = sig->args[i];
		NullableDatum *arg = &fcinfo->args[i];

		cx->argno = i + 1;
		if (f->params_in_memory)
			store_value(cx, c, arg->value, arg->isnull,
						buf + f->params_tuple->fields[i].offset);
		else
		{
			lower_value(cx, c, arg->value, arg->isnull, flat);
			flat += c->wit->nflat;
		}
	}
	if (f->params_in_memory)
	{
		slackfuel_copy_in(cx, tuple, buf, f->params_tuple->size, "an argument's memory");
		slots[0] = tuple;
	}
	return sig->nparams;
}

/*
 * The bytes of a result of type 't' in memory, at the pointer the export
 * returned (checked for alignment), copied into 'small' if they fit.
 */
static uint8 *
read_result(slackfuel_cx *cx, const sf_wit_type *t, const uint64 *slots,
			uint8 *small, size_t small_len)
{
	uint32		ptr = (uint32) slots[0];
	uint8	   *buf;

	if (ptr % t->align != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" returned a misaligned result pointer",
						cx->fname),
				 errdetail("Pointer %u, alignment %u.", ptr, t->align)));
	buf = value_buffer(cx, small, small_len, t->size);
	slackfuel_copy_out(cx, buf, ptr, t->size, "a result pointer");
	return buf;
}

/* How the call path lifts the direct result 'c' (NULL: none). */
slackfuel_direct_lift
slackfuel_direct_lift_of(const slackfuel_conv *c)
{
	if (c == NULL)
		return SLACKFUEL_LIFT_VOID;
	if (c->type->lift == lift_int4)
		return SLACKFUEL_LIFT_INT32;
	if (c->type->lift == lift_bits64)
		return SLACKFUEL_LIFT_BITS64;
	return SLACKFUEL_LIFT_CALL;
}

/*
 * The result from the export's core results: the value itself, or a
 * pointer to it in linear memory.
 */
Datum
slackfuel_lift_result(slackfuel_cx *cx, const slackfuel_sig *sig,
					  const uint64 *slots, bool *isnull)
{
	uint8		small[256];

	cx->argno = 0;
	if (sig->wit->result_in_memory)
		return load_value(cx, sig->ret,
						  read_result(cx, sig->ret->wit, slots, small, sizeof(small)),
						  isnull);
	return lift_value(cx, sig->ret, slots, isnull);
}

/* A set's rows are copied out this many bytes at a time. */
#define SET_BATCH	65536

/*
 * A set's list<T> into the tuplestore of 'rsi' (set up by the caller): the
 * rows' bytes a batch at a time, each row converted in a context reset
 * after it is stored.
 */
void
slackfuel_lift_set(slackfuel_cx *cx, const slackfuel_sig *sig,
				   const uint64 *slots, ReturnSetInfo *rsi)
{
	const slackfuel_conv *c = sig->ret;
	uint8		small[16];
	uint32		pair[2];
	uint32		ptr,
				n,
				size = c->wit->size,
				per_batch = Max(1, SET_BATCH / size);
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext,
												 "slackfuel set row",
												 ALLOCSET_DEFAULT_SIZES);
	bool		rows = c->tupdesc != NULL;
	uint8	   *buf;

	if (rsi->setDesc->natts != (rows ? c->tupdesc->natts : 1))
		elog(ERROR, "wasm function \"%s\": the set's row type has %d columns, its WIT type %d",
			 cx->fname, rsi->setDesc->natts, rows ? c->tupdesc->natts : 1);

	cx->argno = 0;
	memcpy(pair, read_result(cx, sig->wit->result, slots, small, sizeof(small)),
		   sizeof(pair));
	ptr = pair[0];
	n = pair[1];
	slackfuel_check_range(cx, ptr, (uint64) n * size, "a result list");
	buf = palloc((size_t) per_batch * size);
	for (uint32 first = 0; first < n; first += per_batch)
	{
		uint32		count = Min(per_batch, n - first);

		cx->lifted = 0;			/* a batch and its rows' values */
		slackfuel_copy_out(cx, buf, ptr + first * size, (size_t) count * size,
						   "a result list");
		for (uint32 i = 0; i < count; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt);
			const uint8 *at = buf + (size_t) i * size;
			bool		isnull = false;
			Datum		d;

			CHECK_FOR_INTERRUPTS();
			if (rows && c->nullable)
			{
				isnull = option_disc(cx, c, at[0]) == 0;
				at += c->wit->payload_offset;
			}
			if (rows && !isnull)
				load_columns(cx, c, at);
			else if (rows)
				for (int j = 0; j < c->tupdesc->natts; j++)
					c->nulls[j] = true;
			if (rows && OidIsValid(c->domain))
				check_domain(cx, c, isnull ? (Datum) 0 :
							 HeapTupleGetDatum(heap_form_tuple(c->tupdesc, c->values, c->nulls)),
							 isnull);
			if (rows)
				tuplestore_putvalues(rsi->setResult, rsi->setDesc, c->values, c->nulls);
			else
			{
				d = load_value(cx, c, at, &isnull);
				tuplestore_putvalues(rsi->setResult, rsi->setDesc, &d, &isnull);
			}
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
	}
	pfree(buf);
	MemoryContextDelete(rowcxt);
}

/*
 * An iterator's next value from <export>_next's result, option<T>: false
 * when it is none, the end of the set.
 */
bool
slackfuel_lift_next(slackfuel_cx *cx, const slackfuel_sig *sig,
					const uint64 *slots, Datum *d, bool *isnull)
{
	const sf_wit_type *t = sig->wit_next->result;
	uint8		small[256];
	uint8	   *buf;

	cx->argno = 0;
	buf = read_result(cx, t, slots, small, sizeof(small));
	if (buf[0] > 1)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" gave option discriminant %u from its iterator",
						cx->fname, buf[0]),
				 errdetail("An option<T> is 0 (none, the end of the set) or 1 (some).")));
	if (buf[0] == 0)
		return false;
	*d = load_value(cx, sig->ret, buf + t->payload_offset, isnull);
	return true;
}

/* --- Query rows (sql.c) -------------------------------------------------- */

/*
 * Can what 'c' describes change without its type OID changing: an enum's
 * labels, a composite's columns (arrays of these too)?
 */
static bool
conv_may_change(const slackfuel_conv *c)
{
	if (c->type == &enum_row || c->type == &composite_row)
		return true;
	return c->elem != NULL && conv_may_change(c->elem);
}

/*
 * The rows of a query as the type mapping gives them: a record "row" of its
 * columns, each option<T> (NULL is none) with T its type's WIT type, named
 * after the column (a column whose name is no WIT name, or repeats one, is
 * "field<n>").  Built in a new memory context under 'parent'.
 */
slackfuel_rowtype *
slackfuel_rowtype_new(TupleDesc td, const char *fname, MemoryContext parent)
{
	/* under the current context until built, so an error frees it */
	MemoryContext mcxt = AllocSetContextCreate(CurrentMemoryContext, "slackfuel row type",
											   ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	slackfuel_rowtype *rt = palloc0(sizeof(slackfuel_rowtype));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));
	slackfuel_conv *c = palloc0(sizeof(slackfuel_conv));
	slackfuel_typebuild b;
	const char **names = palloc(Max(td->natts, 1) * sizeof(char *));
	const sf_wit_type **types = palloc(Max(td->natts, 1) * sizeof(sf_wit_type *));
	uint32		n = 0;
	size_t		len;

	rt->mcxt = mcxt;
	rt->arena = sf_wit_arena_new();
	if (rt->arena == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	cb->func = arena_release;
	cb->arg = rt->arena;
	MemoryContextRegisterResetCallback(mcxt, cb);
	b.arena = rt->arena;
	b.fname = fname;
	b.is_result = false;
	b.sig = NULL;
	b.names = slackfuel_witnames_new();

	c->type = &composite_row;
	c->typid = RECORDOID;
	c->sqlname = "record";
	c->mcxt = mcxt;
	c->tupdesc = CreateTupleDescCopy(td);
	c->fields = palloc0(Max(td->natts, 1) * sizeof(slackfuel_conv *));
	c->values = palloc0(Max(td->natts, 1) * sizeof(Datum));
	c->nulls = palloc0(Max(td->natts, 1) * sizeof(bool));
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);
		const char *name;

		if (att->attisdropped)
			continue;
		c->fields[i] = conv_build(att->atttypid, true, &b);
		name = wit_name_or(NameStr(att->attname), "field", i + 1);
		for (uint32 j = 0; j < n; j++)
			if (strcmp(names[j], name) == 0)
			{
				name = psprintf("field%d", i + 1);
				break;
			}
		names[n] = name;
		types[n++] = c->fields[i]->wit;
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a query of wasm function \"%s\" returns no columns, and a WIT record needs one",
						fname)));
	c->inner = sf_wit_record(rt->arena, "row", n, names, types);
	c->wit = c->inner;
	if (c->wit == NULL)
		wit_failed(rt->arena, RECORDOID);
	rt->conv = c;
	for (int i = 0; i < td->natts; i++)
		if (c->fields[i] != NULL && conv_may_change(c->fields[i]))
			rt->rebuild = true;
	rt->size = c->inner->size;
	rt->align = c->inner->align;
	len = sf_wit_print_typedef(c->inner, "", NULL, 0);
	rt->wit = palloc(len + 1);
	sf_wit_print_typedef(c->inner, "", rt->wit, len + 1);
	MemoryContextSwitchTo(old);
	MemoryContextSetParent(mcxt, parent);
	return rt;
}

void
slackfuel_rowtype_free(slackfuel_rowtype *rt)
{
	MemoryContextDelete(rt->mcxt);
}

/* Are the columns of 'td' those 'rt' was built for? */
bool
slackfuel_rowtype_matches(const slackfuel_rowtype *rt, TupleDesc td)
{
	TupleDesc	mine = rt->conv->tupdesc;

	/* an enum's labels or a composite's columns may have changed */
	if (rt->rebuild || mine->natts != td->natts)
		return false;
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(mine, i),
					b = TupleDescAttr(td, i);

		if (a->atttypid != b->atttypid || a->attisdropped != b->attisdropped)
			return false;
	}
	return true;
}

/*
 * One row's columns laid out as the record at 'dst' (rt->size bytes, zeroed
 * by the caller), their strings and lists in fresh allocations of the guest
 * that called the host function with 'ctx'.
 */
void
slackfuel_rowtype_store(slackfuel_cx *cx, sf_ctx *ctx, slackfuel_rowtype *rt,
						const Datum *values, const bool *nulls, uint8 *dst)
{
	const slackfuel_conv *c = rt->conv;
	sf_ctx	   *outer_ctx = cx->host_ctx;
	int			outer_argno = cx->argno;
	const char *outer_field = cx->field;
	uint32		f = 0;

	/* a composite column's conversion keeps its row in c->values */
	if (rt->busy)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("wasm function \"%s\" ran a statement again while its rows were being returned",
						cx->fname),
				 errdetail("Its cabi_realloc ran the statement.")));
	rt->busy = true;
	cx->host_ctx = ctx;
	cx->argno = 0;
	for (int i = 0; i < c->tupdesc->natts; i++)
		if (c->fields[i] != NULL)
		{
			cx->field = NameStr(TupleDescAttr(c->tupdesc, i)->attname);
			store_value(cx, c->fields[i], values[i], nulls[i],
						dst + c->inner->fields[f++].offset);
		}
	cx->field = outer_field;
	cx->argno = outer_argno;
	cx->host_ctx = outer_ctx;
	rt->busy = false;
}
