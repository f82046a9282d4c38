/*
 * trigger.c -- RETURNS trigger functions on the canonical ABI.
 *
 * A trigger function's export takes one record, trigger-data: the
 * trigger's name, its table, the event, timing and level, the arguments
 * of CREATE TRIGGER, and the OLD and NEW rows as JSON objects (row_to_json's
 * text), so that one guest serves any table without knowing it when it is
 * compiled.  It returns a trigger-result: skip (the row operation does not
 * happen), keep (it happens as it is), or row(json), the row to store
 * instead: an object whose keys are column names and whose values replace
 * those of NEW (OLD for DELETE), as jsonb_populate_record reads them.
 * docs/types.md shows the WIT.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "plwasm.h"

/* The fields of trigger-data, in order. */
enum
{
	TD_NAME, TD_SCHEMA, TD_TABLE, TD_EVENT, TD_TIMING, TD_LEVEL, TD_ARGS,
	TD_OLD, TD_NEW, TD_NFIELDS
};

/* trigger-result's cases */
enum
{
	TR_SKIP, TR_KEEP, TR_ROW, TR_NCASES
};

static const sf_wit_type *
wit_enum(slackfuel_typebuild *b, const char *name, int key, uint32 n,
		 const char *const *labels)
{
	return sf_wit_enum(b->arena, slackfuel_wit_typename(b, name, SLACKFUEL_KEY_FIXED(key)),
					   n, labels);
}

/* The WIT types of a trigger function: func(data: trigger-data) -> trigger-result */
void
slackfuel_trigger_wit(slackfuel_typebuild *b, const sf_wit_type **data,
					  const sf_wit_type **result)
{
	static const char *const events[] = {"insert", "update", "delete", "truncate"};
	static const char *const timings[] = {"before", "after", "instead-of"};
	static const char *const levels[] = {"row", "statement"};
	static const char *const fields[TD_NFIELDS] = {
		"name", "schema", "table", "event", "timing", "level", "args", "old", "new"
	};
	static const char *const cases[TR_NCASES] = {"skip", "keep", "row"};
	const sf_wit_type *str = sf_wit_prim(SF_WIT_STRING);
	const sf_wit_type *types[TD_NFIELDS];
	const sf_wit_type *payloads[TR_NCASES] = {NULL, NULL, str};

	types[TD_NAME] = str;
	types[TD_SCHEMA] = str;
	types[TD_TABLE] = str;
	types[TD_EVENT] = wit_enum(b, "trigger-event", 2, lengthof(events), events);
	types[TD_TIMING] = wit_enum(b, "trigger-timing", 3, lengthof(timings), timings);
	types[TD_LEVEL] = wit_enum(b, "trigger-level", 4, lengthof(levels), levels);
	types[TD_ARGS] = sf_wit_list(b->arena, str);
	types[TD_OLD] = sf_wit_option(b->arena, str);
	types[TD_NEW] = types[TD_OLD];
	*data = sf_wit_record(b->arena,
						  slackfuel_wit_typename(b, "trigger-data", SLACKFUEL_KEY_FIXED(5)),
						  TD_NFIELDS, fields, types);
	*result = sf_wit_variant(b->arena,
							 slackfuel_wit_typename(b, "trigger-result", SLACKFUEL_KEY_FIXED(6)),
							 TR_NCASES, cases, payloads);
}

/* --- Lowering the trigger data ------------------------------------------- */

static void
put_u32(slackfuel_cx *cx, uint32 at, uint32 v, uint32 size)
{
	slackfuel_copy_in(cx, at, &v, size, "an argument's memory");
}

static void
put_string(slackfuel_cx *cx, uint32 at, const char *s)
{
	uint64		flat[2];

	slackfuel_lower_string(cx, s, strlen(s), flat);
	put_u32(cx, at, (uint32) flat[0], 4);
	put_u32(cx, at + 4, (uint32) flat[1], 4);
}

/* option<string> holding the row as a JSON object, or none. */
static void
put_row(slackfuel_cx *cx, const sf_wit_type *t, uint32 at, HeapTuple tup,
		TupleDesc td)
{
	text	   *json;

	if (tup == NULL)
	{
		put_u32(cx, at, 0, 1);
		return;
	}
	json = DatumGetTextPP(DirectFunctionCall1(row_to_json,
											  heap_copy_tuple_as_datum(tup, td)));
	put_u32(cx, at, 1, 1);
	put_string(cx, at + t->payload_offset, text_to_cstring(json));
}

static uint32
event_of(TriggerEvent ev)
{
	if (TRIGGER_FIRED_BY_INSERT(ev))
		return 0;
	if (TRIGGER_FIRED_BY_UPDATE(ev))
		return 1;
	if (TRIGGER_FIRED_BY_DELETE(ev))
		return 2;
	return 3;
}

/*
 * The trigger-data of this call, in memory from cabi_realloc; the export
 * takes its pointer (it flattens to more than 16 values).
 */
uint32
slackfuel_trigger_lower(slackfuel_cx *cx, const slackfuel_sig *sig,
						FunctionCallInfo fcinfo, uint64 *slots)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TriggerEvent ev = td->tg_event;
	Relation	rel = td->tg_relation;
	const sf_wit_type *data = sig->wit->params[0].type;
	const sf_wit_field *f = data->fields;
	TupleDesc	desc = RelationGetDescr(rel);
	uint32		ptr,
				args;
	bool		row = TRIGGER_FIRED_FOR_ROW(ev);

	if (!sig->wit->params_in_memory)
		elog(ERROR, "trigger-data is expected to cross memory");
	cx->argno = 1;
	ptr = slackfuel_guest_alloc(cx, data->align, data->size);
	put_string(cx, ptr + f[TD_NAME].offset, td->tg_trigger->tgname);
	put_string(cx, ptr + f[TD_SCHEMA].offset,
			   get_namespace_name(RelationGetNamespace(rel)));
	put_string(cx, ptr + f[TD_TABLE].offset, RelationGetRelationName(rel));
	put_u32(cx, ptr + f[TD_EVENT].offset, event_of(ev), f[TD_EVENT].type->size);
	put_u32(cx, ptr + f[TD_TIMING].offset,
			TRIGGER_FIRED_BEFORE(ev) ? 0 : TRIGGER_FIRED_AFTER(ev) ? 1 : 2,
			f[TD_TIMING].type->size);
	put_u32(cx, ptr + f[TD_LEVEL].offset, row ? 0 : 1, f[TD_LEVEL].type->size);
	args = slackfuel_guest_alloc(cx, 4, (uint32) td->tg_trigger->tgnargs * 8);
	for (int i = 0; i < td->tg_trigger->tgnargs; i++)
		put_string(cx, args + (uint32) i * 8, td->tg_trigger->tgargs[i]);
	put_u32(cx, ptr + f[TD_ARGS].offset, args, 4);
	put_u32(cx, ptr + f[TD_ARGS].offset + 4, (uint32) td->tg_trigger->tgnargs, 4);
	put_row(cx, f[TD_OLD].type, ptr + f[TD_OLD].offset,
			row && !TRIGGER_FIRED_BY_INSERT(ev) ? td->tg_trigtuple : NULL, desc);
	put_row(cx, f[TD_NEW].type, ptr + f[TD_NEW].offset,
			!row ? NULL : TRIGGER_FIRED_BY_INSERT(ev) ? td->tg_trigtuple :
			TRIGGER_FIRED_BY_UPDATE(ev) ? td->tg_newtuple : NULL, desc);
	slots[0] = ptr;
	return 1;
}

/* --- Lifting the trigger result ------------------------------------------ */

static void
row_context(void *arg)
{
	slackfuel_cx *cx = arg;

	errcontext("the row returned by wasm trigger function \"%s\"", cx->fname);
}

/* Every key of the object 'jb' must name a column of 'desc'. */
static void
check_keys(slackfuel_cx *cx, Jsonb *jb, TupleDesc desc)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wasm trigger function \"%s\" returned a row that is not a JSON object",
						cx->fname)));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		found = false;

		if (tok != WJB_KEY)
			continue;
		for (int i = 0; i < desc->natts && !found; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			found = !att->attisdropped &&
				strlen(NameStr(att->attname)) == v.val.string.len &&
				memcmp(NameStr(att->attname), v.val.string.val, v.val.string.len) == 0;
		}
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("wasm trigger function \"%s\" returned a row with key \"%.*s\", not a column of the table",
							cx->fname, v.val.string.len, v.val.string.val)));
	}
}

/* 'base' with the columns the JSON object 'json' gives replaced. */
static HeapTuple
row_from_json(slackfuel_cx *cx, Relation rel, HeapTuple base, const char *json)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			rowtype = desc->tdtypeid;
	ErrorContextCallback ctx;
	FmgrInfo	flinfo;
	Datum		jb;
	Datum		d;
	HeapTupleHeader th;
	HeapTupleData tmp;

	LOCAL_FCINFO(fc, 2);

	ctx.callback = row_context;
	ctx.arg = cx;
	ctx.previous = error_context_stack;
	error_context_stack = &ctx;
	jb = DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
	check_keys(cx, DatumGetJsonbP(jb), desc);
	/* jsonb_populate_record(base, jb): it finds the row type in fn_expr */
	fmgr_info(F_JSONB_POPULATE_RECORD, &flinfo);
	flinfo.fn_expr = (Node *)
		makeFuncExpr(F_JSONB_POPULATE_RECORD, rowtype,
					 list_make2(makeNullConst(rowtype, -1, InvalidOid),
								makeNullConst(JSONBOID, -1, InvalidOid)),
					 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	InitFunctionCallInfoData(*fc, &flinfo, 2, InvalidOid, NULL, NULL);
	fc->args[0].value = heap_copy_tuple_as_datum(base, desc);
	fc->args[0].isnull = false;
	fc->args[1].value = jb;
	fc->args[1].isnull = false;
	d = FunctionCallInvoke(fc);
	if (fc->isnull)
		elog(ERROR, "jsonb_populate_record returned NULL");
	error_context_stack = ctx.previous;

	th = DatumGetHeapTupleHeader(d);
	tmp.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tmp.t_self);
	tmp.t_tableOid = RelationGetRelid(rel);
	tmp.t_data = th;
	return heap_copytuple(&tmp);
}

/*
 * What the trigger manager gets: NULL to skip the row operation, the row
 * as it is, or the row the guest gave.  Only BEFORE and INSTEAD OF row
 * triggers' results matter; the others' are ignored, as PostgreSQL does.
 */
Datum
slackfuel_trigger_lift(slackfuel_cx *cx, const slackfuel_sig *sig,
					   FunctionCallInfo fcinfo, const uint64 *slots)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TriggerEvent ev = td->tg_event;
	const sf_wit_type *t = sig->wit->result;
	HeapTuple	row = TRIGGER_FIRED_BY_UPDATE(ev) ? td->tg_newtuple : td->tg_trigtuple;
	uint32		ptr = (uint32) slots[0];
	uint8		disc;
	uint32		pair[2];

	cx->argno = 0;
	if (ptr % t->align != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" returned a misaligned result pointer",
						cx->fname),
				 errdetail("Pointer %u, alignment %u.", ptr, t->align)));
	slackfuel_copy_out(cx, &disc, ptr, 1, "a result pointer");
	if (disc >= TR_NCASES)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm trigger function \"%s\" gave trigger-result case %u",
						cx->fname, disc),
				 errdetail("The cases are 0 (skip), 1 (keep) and 2 (row).")));
	if (!TRIGGER_FIRED_FOR_ROW(ev))
		return PointerGetDatum(NULL);
	if (disc == TR_SKIP)
		return PointerGetDatum(NULL);
	if (disc == TR_ROW && !TRIGGER_FIRED_AFTER(ev))
	{
		char	   *json;

		slackfuel_copy_out(cx, pair, ptr + t->payload_offset, sizeof(pair),
						   "a result pointer");
		json = slackfuel_lift_string(cx, pair[0], pair[1], "a result string");
		return PointerGetDatum(row_from_json(cx, td->tg_relation, row, json));
	}
	return PointerGetDatum(row);
}
