/*
** wat_module.c -- module fields and sf_wat_to_wasm.
**
** Pass 1 walks the fields once to learn every identifier's index and every
** explicit type (names may be used before their definition); pass 2 walks
** them again and encodes each field into its section buffer.  Because the
** text format requires imports before definitions, text order is index
** order in both passes.  Implicit types from inline type uses are appended
** after the explicit ones during pass 2; the type section is written last.
*/
#include <stdlib.h>
#include <string.h>

#include "opcodes.h"
#include "wat.h"

/* Section buffers and counts of pass 2. */
typedef struct wat_out
{
	wat_buf		imports, funcs, tables, mems, globals, exports, elems, datas,
				code, start;
	uint32_t	nimports, nfuncs, ntables, nmems, nglobals, nexports, nelems,
				ndatas;
	int			has_start;
	uint32_t	cur[WS_COUNT];	/* next index in each space */
	wat_buf		body;			/* function body being built */
	wat_buf		ltypes;			/* its local types, one byte each */
	wat_buf		expr;			/* offset expression / element items */
	wat_buf		items;
} wat_out;

static const char *const field_kind_names[] = {
	"type", "function", "table", "memory", "global"
};

/* --- pass 1 ---------------------------------------------------------- */

/* Consume tokens until 'level' more ')' than '(' have been seen. */
static int
skip_rest(wat_parser *p, size_t level, size_t start)
{
	while (level > 0)
	{
		if (p->tok.kind == WT_EOF)
			return wat_fail(p, start, "unbalanced parentheses: missing ')'");
		if (p->tok.kind == WT_LPAR)
			level++;
		else if (p->tok.kind == WT_RPAR)
			level--;
		if (wat_next(p) < 0)
			return -1;
	}
	return 0;
}

/* Bind the identifier at the current token (if any) to index 'idx'. */
static int
bind_id(wat_parser *p, wat_space sp, uint32_t idx)
{
	static const char *const what[WS_COUNT] = {
		"type", "func", "table", "memory", "global", "elem", "data"
	};
	int			r;

	if (p->tok.kind != WT_ID)
		return 0;
	r = wat_map_put(&p->names[sp], p->text, p->tok.off, (uint32_t) p->tok.len, idx);
	if (r < 0)
		return wat_fail(p, p->tok.off, "out of memory");
	if (r > 0)
		return wat_fail(p, p->tok.off, "duplicate %s %.*s", what[sp],
						(int) (p->tok.len > 60 ? 60 : p->tok.len),
						p->text + p->tok.off);
	return wat_next(p);
}

static int
scan_type(wat_parser *p)
{
	size_t		off = p->sigs.len;
	uint32_t	np = 0;
	uint32_t	nr = 0;
	uint32_t	idx;

	if (bind_id(p, WS_TYPE, p->ntypes) < 0)
		return -1;
	if (!wat_peek_field(p, "func"))
		return wat_fail_expected(p, "'(func'");
	wat_next(p);
	wat_next(p);
	if (wat_param_list(p, 1, &np) < 0 || wat_result_list(p, &nr) < 0 ||
		wat_expect(p, WT_RPAR, "')'") < 0 ||
		wat_intern_type(p, off, np, nr, 1, &idx) < 0)
		return -1;
	p->nexplicit_types = p->ntypes;
	return wat_expect(p, WT_RPAR, "')'");
}

static int
space_of(const wat_parser *p, const wat_tok *t)
{
	static const char *const kws[] = {"func", "table", "memory", "global"};

	for (int i = 0; i < 4; i++)
		if (wat_is_keyword(p, t, kws[i]))
			return WS_FUNC + i;
	return -1;
}

/* 'seen_def' is the space of the first definition seen, or -1. */
static int
check_import_order(wat_parser *p, size_t where, int seen_def)
{
	if (seen_def >= 0)
		return wat_fail(p, where, "import after %s definition",
						field_kind_names[seen_def]);
	return 0;
}

/* (import "m" "n" (kind id? ...)) */
static int
scan_import(wat_parser *p, int seen_def, size_t start)
{
	int			sp;

	if (check_import_order(p, start, seen_def) < 0 ||
		wat_expect(p, WT_STRING, "module name string") < 0 ||
		wat_expect(p, WT_STRING, "import name string") < 0 ||
		wat_expect(p, WT_LPAR, "'(' of an import description") < 0)
		return -1;
	if ((sp = space_of(p, &p->tok)) < 0)
		return wat_fail_expected(p, "'func', 'table', 'memory' or 'global'");
	wat_next(p);
	if (bind_id(p, sp, p->count[sp]) < 0)
		return -1;
	p->count[sp]++;
	p->nimports[sp]++;
	return skip_rest(p, 2, start);
}

/* func/table/memory/global: id, inline exports, maybe an inline import. */
static int
scan_def(wat_parser *p, int sp, int *seen_def, size_t start)
{
	if (bind_id(p, sp, p->count[sp]) < 0)
		return -1;
	p->count[sp]++;
	while (wat_peek_field(p, "export"))
		if (wat_skip_sexpr(p) < 0)
			return -1;
	if (wat_peek_field(p, "import"))
	{
		if (check_import_order(p, start, *seen_def) < 0)
			return -1;
		p->nimports[sp]++;
	}
	else if (*seen_def < 0)
		*seen_def = sp;
	return skip_rest(p, 1, start);
}

static int
scan_field(wat_parser *p, int *seen_def)
{
	size_t		start = p->tok.off;
	int			sp;

	if (wat_expect(p, WT_LPAR, "module field") < 0)
		return -1;
	if (wat_tok_is(p, "type"))
		return wat_next(p) < 0 ? -1 : scan_type(p);
	if (wat_tok_is(p, "import"))
		return wat_next(p) < 0 ? -1 : scan_import(p, *seen_def, start);
	if ((sp = space_of(p, &p->tok)) >= 0)
		return wat_next(p) < 0 ? -1 : scan_def(p, sp, seen_def, start);
	sp = wat_tok_is(p, "elem") ? WS_ELEM : wat_tok_is(p, "data") ? WS_DATA : -1;
	if (sp >= 0)
	{
		wat_next(p);
		if (bind_id(p, sp, p->count[sp]) < 0)
			return -1;
		p->count[sp]++;
		return skip_rest(p, 1, start);
	}
	if (wat_tok_is(p, "export") || wat_tok_is(p, "start"))
		return skip_rest(p, 1, start);
	return wat_fail_expected(p, "module field (type, import, func, table, "
							 "memory, global, export, start, elem or data)");
}

/* --- pass 2: shared pieces ------------------------------------------- */

static void
skip_id(wat_parser *p)
{
	if (p->tok.kind == WT_ID)
		wat_next(p);
}

/* (export "name")* of a definition of kind 'kind' at index 'idx'. */
static int
inline_exports(wat_parser *p, wat_out *o, uint8_t kind, uint32_t idx)
{
	while (wat_peek_field(p, "export"))
	{
		wat_next(p);
		wat_next(p);
		if (wat_parse_name(p, &o->exports) < 0 || wat_expect(p, WT_RPAR, "')'") < 0)
			return -1;
		wat_buf_byte(&o->exports, kind);
		wat_buf_u32(&o->exports, idx);
		o->nexports++;
	}
	return 0;
}

/* (import "m" "n") of an inline import: writes both names. */
static int
inline_import(wat_parser *p, wat_out *o)
{
	wat_next(p);
	wat_next(p);
	if (wat_parse_name(p, &o->imports) < 0 || wat_parse_name(p, &o->imports) < 0)
		return -1;
	o->nimports++;
	return wat_expect(p, WT_RPAR, "')'");
}

static int
u32_tok(wat_parser *p, uint32_t *v, const char *what)
{
	if (p->tok.kind != WT_NUM)
		return wat_fail_expected(p, what);
	if (wat_parse_u32(p, &p->tok, v) < 0)
		return -1;
	return wat_next(p);
}

static int
limits(wat_parser *p, wat_buf *out)
{
	uint32_t	min;
	uint32_t	max;

	if (u32_tok(p, &min, "limits (minimum size)") < 0)
		return -1;
	if (p->tok.kind == WT_NUM)
	{
		if (u32_tok(p, &max, "maximum size") < 0)
			return -1;
		wat_buf_byte(out, 1);
		wat_buf_u32(out, min);
		wat_buf_u32(out, max);
	}
	else
	{
		wat_buf_byte(out, 0);
		wat_buf_u32(out, min);
	}
	return 0;
}

static int
tabletype(wat_parser *p, wat_buf *out)
{
	wat_buf		lim = {0};
	int			rt;

	if (limits(p, &lim) < 0)
	{
		wat_buf_free(&lim);
		return -1;
	}
	rt = wat_reftype(p, &p->tok);
	if (rt < 0)
	{
		wat_buf_free(&lim);
		return wat_fail_expected(p, "reference type");
	}
	wat_buf_byte(out, (uint8_t) rt);
	wat_buf_bytes(out, lim.p, lim.len);
	wat_buf_free(&lim);
	return wat_next(p);
}

static int
globaltype(wat_parser *p, wat_buf *out)
{
	int			mut = 0;
	int			t;

	if (wat_peek_field(p, "mut"))
	{
		mut = 1;
		wat_next(p);
		wat_next(p);
	}
	if ((t = wat_valtype(p, &p->tok)) < 0)
		return wat_fail_expected(p, "value type");
	wat_next(p);
	if (mut && wat_expect(p, WT_RPAR, "')'") < 0)
		return -1;
	wat_buf_byte(out, (uint8_t) t);
	wat_buf_byte(out, (uint8_t) mut);
	return 0;
}

static void
buf_vec(wat_buf *out, uint32_t n, const wat_buf *items)
{
	wat_buf_u32(out, n);
	wat_buf_bytes(out, items->p, items->len);
}

/* --- pass 2: fields -------------------------------------------------- */

static int
enc_import(wat_parser *p, wat_out *o, size_t start)
{
	int			sp;
	int64_t		type;
	uint32_t	np;
	wat_buf    *b = &o->imports;

	if (wat_parse_name(p, b) < 0 || wat_parse_name(p, b) < 0 ||
		wat_expect(p, WT_LPAR, "'('") < 0)
		return -1;
	sp = space_of(p, &p->tok);
	wat_next(p);
	skip_id(p);
	o->nimports++;
	o->cur[sp]++;
	wat_buf_byte(b, (uint8_t) (sp - WS_FUNC));
	if (sp == WS_FUNC)
	{
		if (wat_typeuse(p, 1, &type, &np) < 0)
			return -1;
		wat_buf_u32(b, (uint32_t) type);
	}
	else if ((sp == WS_TABLE ? tabletype(p, b) : sp == WS_MEMORY ? limits(p, b)
			  : globaltype(p, b)) < 0)
		return -1;
	if (wat_expect(p, WT_RPAR, "')'") < 0)
		return -1;
	return wat_expect(p, WT_RPAR, "')'");
}

/* (local id? t) / (local t*), into o->ltypes with names bound. */
static int
locals(wat_parser *p, wat_out *o)
{
	while (wat_peek_field(p, "local"))
	{
		int			t;

		wat_next(p);
		wat_next(p);
		if (p->tok.kind == WT_ID)
		{
			int			r = wat_map_put(&p->locals, p->text, p->tok.off,
										(uint32_t) p->tok.len, p->nlocals);

			if (r != 0)
				return r > 0 ? wat_fail(p, p->tok.off, "duplicate local %.*s",
										(int) p->tok.len, p->text + p->tok.off)
					: wat_fail(p, p->tok.off, "out of memory");
			wat_next(p);
			if ((t = wat_valtype(p, &p->tok)) < 0)
				return wat_fail_expected(p, "value type");
			wat_buf_byte(&o->ltypes, (uint8_t) t);
			p->nlocals++;
			wat_next(p);
		}
		else
			while (p->tok.kind == WT_KEYWORD)
			{
				if ((t = wat_valtype(p, &p->tok)) < 0)
					return wat_fail_expected(p, "value type");
				wat_buf_byte(&o->ltypes, (uint8_t) t);
				p->nlocals++;
				wat_next(p);
			}
		if (wat_expect(p, WT_RPAR, "')'") < 0)
			return -1;
	}
	return wat_check_output(p, &o->ltypes);
}

/* Function body: run-length encoded locals, code, end; size-prefixed. */
static int
func_body(wat_parser *p, wat_out *o)
{
	wat_buf		head = {0};
	uint32_t	groups = 0;
	size_t		n = o->ltypes.len;

	o->body.len = 0;
	p->in_func = 1;
	p->nlabels = 0;
	p->depth = 0;
	if (wat_instrs(p, &o->body) < 0 || wat_expect(p, WT_RPAR, "')'") < 0)
		return -1;
	p->in_func = 0;
	wat_buf_byte(&o->body, 0x0B);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || o->ltypes.p[i] != o->ltypes.p[i - 1])
			groups++;
	wat_buf_u32(&head, groups);
	for (size_t i = 0; i < n;)
	{
		size_t		j = i;

		while (j < n && o->ltypes.p[j] == o->ltypes.p[i])
			j++;
		wat_buf_u32(&head, (uint32_t) (j - i));
		wat_buf_byte(&head, o->ltypes.p[i]);
		i = j;
	}
	wat_buf_u32(&o->code, (uint32_t) (head.len + o->body.len));
	wat_buf_bytes(&o->code, head.p, head.len);
	wat_buf_bytes(&o->code, o->body.p, o->body.len);
	if (head.oom)
		o->code.oom = head.oom;
	wat_buf_free(&head);
	return wat_check_output(p, &o->code);
}

static int
enc_func(wat_parser *p, wat_out *o, size_t start)
{
	uint32_t	idx = o->cur[WS_FUNC]++;
	int64_t		type;
	uint32_t	np;

	skip_id(p);
	if (inline_exports(p, o, 0, idx) < 0)
		return -1;
	if (wat_peek_field(p, "import"))
	{
		if (inline_import(p, o) < 0 || wat_typeuse(p, 1, &type, &np) < 0)
			return -1;
		wat_buf_byte(&o->imports, 0);
		wat_buf_u32(&o->imports, (uint32_t) type);
		return wat_expect(p, WT_RPAR, "')'");
	}
	wat_map_free(&p->locals);
	if (wat_typeuse(p, 2, &type, &np) < 0)
		return -1;
	wat_buf_u32(&o->funcs, (uint32_t) type);
	o->nfuncs++;
	p->nlocals = np;
	o->ltypes.len = 0;
	if (locals(p, o) < 0)
		return -1;
	return func_body(p, o);
}

/*
** An element segment.  'mode' 0 active, 1 passive, 2 declarative; 'exprs'
** whether the items are expressions (else function indices).  Flags 0 and
** 4, which imply table 0 and funcref, are used when they fit.
*/
/*
** If every item expression is exactly "ref.func x end", rewrite 'items'
** as the plain index list (the shorter encoding wat2wasm also picks).
*/
static int
exprs_to_indices(wat_buf *items)
{
	size_t		i = 0;
	size_t		k = 0;

	while (i < items->len)
	{
		size_t		j = i + 1;

		if (items->p[i] != 0xD2)
			return 0;
		while (j < items->len && (items->p[j] & 0x80))
			j++;
		if (j + 1 >= items->len || items->p[j + 1] != 0x0B)
			return 0;
		i = j + 2;
	}
	for (i = 0; i < items->len;)
	{
		size_t		j = i + 1;

		while (items->p[j] & 0x80)
			items->p[k++] = items->p[j++];
		items->p[k++] = items->p[j];
		i = j + 2;
	}
	items->len = k;
	return 1;
}

static void
emit_elem(wat_out *o, int mode, uint32_t table, const wat_buf *offset,
		  int exprs, int reftype, uint32_t n, wat_buf *items)
{
	wat_buf    *b = &o->elems;

	if (exprs && reftype == SF_FUNCREF && exprs_to_indices(items))
		exprs = 0;

	if (mode == 0 && table == 0 && reftype == SF_FUNCREF)
	{
		wat_buf_byte(b, exprs ? 4 : 0);
		wat_buf_bytes(b, offset->p, offset->len);
	}
	else
	{
		wat_buf_byte(b, (uint8_t) ((exprs ? 4 : 0) | (mode == 0 ? 2 : mode == 1 ? 1 : 3)));
		if (mode == 0)
		{
			wat_buf_u32(b, table);
			wat_buf_bytes(b, offset->p, offset->len);
		}
		wat_buf_byte(b, exprs ? (uint8_t) reftype : 0x00);
	}
	buf_vec(b, n, items);
	o->nelems++;
}

/* funcidx* or elemexpr* ("(item instr*)" or one folded instruction). */
static int
elem_items(wat_parser *p, int exprs, wat_buf *items, uint32_t *n)
{
	uint32_t	x;

	items->len = 0;
	*n = 0;
	if (!exprs)
	{
		while (p->tok.kind == WT_NUM || p->tok.kind == WT_ID)
		{
			if (wat_index(p, WS_FUNC, &x) < 0)
				return -1;
			wat_buf_u32(items, x);
			(*n)++;
		}
		return wat_check_output(p, items);
	}
	while (p->tok.kind == WT_LPAR)
	{
		p->depth = 0;
		if (wat_peek_field(p, "item"))
		{
			wat_next(p);
			wat_next(p);
			if (wat_expr(p, items) < 0 || wat_expect(p, WT_RPAR, "')'") < 0)
				return -1;
		}
		else
		{
			if (wat_folded_instr(p, items) < 0)
				return -1;
			wat_buf_byte(items, 0x0B);
		}
		(*n)++;
	}
	return wat_check_output(p, items);
}

/* (offset instr*) or a single folded instruction, into o->expr. */
static int
offset_expr(wat_parser *p, wat_out *o)
{
	o->expr.len = 0;
	p->depth = 0;
	if (wat_peek_field(p, "offset"))
	{
		wat_next(p);
		wat_next(p);
		if (wat_expr(p, &o->expr) < 0)
			return -1;
		return wat_expect(p, WT_RPAR, "')'");
	}
	if (p->tok.kind != WT_LPAR)
		return wat_fail_expected(p, "offset expression");
	if (wat_folded_instr(p, &o->expr) < 0)
		return -1;
	wat_buf_byte(&o->expr, 0x0B);
	return wat_check_output(p, &o->expr);
}

static void
zero_offset(wat_out *o)
{
	static const uint8_t zero[] = {0x41, 0x00, 0x0B};	/* i32.const 0 end */

	o->expr.len = 0;
	wat_buf_bytes(&o->expr, zero, sizeof(zero));
}

static int
enc_table(wat_parser *p, wat_out *o, size_t start)
{
	uint32_t	idx = o->cur[WS_TABLE]++;
	int			rt;
	int			exprs;
	uint32_t	n;

	skip_id(p);
	if (inline_exports(p, o, 1, idx) < 0)
		return -1;
	if (wat_peek_field(p, "import"))
	{
		if (inline_import(p, o) < 0)
			return -1;
		wat_buf_byte(&o->imports, 1);
		if (tabletype(p, &o->imports) < 0)
			return -1;
		return wat_expect(p, WT_RPAR, "')'");
	}
	if ((rt = wat_reftype(p, &p->tok)) < 0)
	{
		o->ntables++;
		if (tabletype(p, &o->tables) < 0)
			return -1;
		return wat_expect(p, WT_RPAR, "')'");
	}
	/* reftype (elem ...): a table exactly as large as its segment */
	wat_next(p);
	if (!wat_peek_field(p, "elem"))
		return wat_fail_expected(p, "'(elem'");
	wat_next(p);
	wat_next(p);
	exprs = p->tok.kind == WT_LPAR;
	if (elem_items(p, exprs, &o->items, &n) < 0 ||
		wat_expect(p, WT_RPAR, "')'") < 0)
		return -1;
	wat_buf_byte(&o->tables, (uint8_t) rt);
	wat_buf_byte(&o->tables, 1);
	wat_buf_u32(&o->tables, n);
	wat_buf_u32(&o->tables, n);
	o->ntables++;
	zero_offset(o);
	emit_elem(o, 0, idx, &o->expr, exprs, rt, n, &o->items);
	return wat_expect(p, WT_RPAR, "')'");
}

static void
emit_data(wat_out *o, int active, uint32_t mem, const wat_buf *bytes)
{
	wat_buf    *b = &o->datas;

	if (!active)
		wat_buf_byte(b, 1);
	else if (mem == 0)
	{
		wat_buf_byte(b, 0);
		wat_buf_bytes(b, o->expr.p, o->expr.len);
	}
	else
	{
		wat_buf_byte(b, 2);
		wat_buf_u32(b, mem);
		wat_buf_bytes(b, o->expr.p, o->expr.len);
	}
	wat_buf_u32(b, (uint32_t) bytes->len);
	wat_buf_bytes(b, bytes->p, bytes->len);
	o->ndatas++;
}

static int
data_strings(wat_parser *p, wat_buf *out)
{
	out->len = 0;
	while (p->tok.kind == WT_STRING)
	{
		if (wat_parse_string(p, &p->tok, out) < 0)
			return -1;
		wat_next(p);
	}
	return wat_check_output(p, out);
}

static int
enc_memory(wat_parser *p, wat_out *o, size_t start)
{
	uint32_t	idx = o->cur[WS_MEMORY]++;
	uint32_t	pages;

	skip_id(p);
	if (inline_exports(p, o, 2, idx) < 0)
		return -1;
	if (wat_peek_field(p, "import"))
	{
		if (inline_import(p, o) < 0)
			return -1;
		wat_buf_byte(&o->imports, 2);
		if (limits(p, &o->imports) < 0)
			return -1;
		return wat_expect(p, WT_RPAR, "')'");
	}
	o->nmems++;
	if (!wat_peek_field(p, "data"))
	{
		if (limits(p, &o->mems) < 0)
			return -1;
		return wat_expect(p, WT_RPAR, "')'");
	}
	wat_next(p);
	wat_next(p);
	if (data_strings(p, &o->items) < 0 || wat_expect(p, WT_RPAR, "')'") < 0)
		return -1;
	pages = (uint32_t) ((o->items.len + 65535) / 65536);
	wat_buf_byte(&o->mems, 1);
	wat_buf_u32(&o->mems, pages);
	wat_buf_u32(&o->mems, pages);
	zero_offset(o);
	emit_data(o, 1, idx, &o->items);
	return wat_expect(p, WT_RPAR, "')'");
}

static int
enc_global(wat_parser *p, wat_out *o, size_t start)
{
	uint32_t	idx = o->cur[WS_GLOBAL]++;

	skip_id(p);
	if (inline_exports(p, o, 3, idx) < 0)
		return -1;
	if (wat_peek_field(p, "import"))
	{
		if (inline_import(p, o) < 0)
			return -1;
		wat_buf_byte(&o->imports, 3);
		if (globaltype(p, &o->imports) < 0)
			return -1;
		return wat_expect(p, WT_RPAR, "')'");
	}
	if (globaltype(p, &o->globals) < 0)
		return -1;
	p->depth = 0;
	if (wat_expr(p, &o->globals) < 0)
		return -1;
	o->nglobals++;
	return wat_expect(p, WT_RPAR, "')'");
}

static int
enc_export(wat_parser *p, wat_out *o, size_t start)
{
	int			sp;
	uint32_t	x;

	if (wat_parse_name(p, &o->exports) < 0 ||
		wat_expect(p, WT_LPAR, "'(' of an export description") < 0)
		return -1;
	if ((sp = space_of(p, &p->tok)) < 0)
		return wat_fail_expected(p, "'func', 'table', 'memory' or 'global'");
	wat_next(p);
	if (wat_index(p, sp, &x) < 0)
		return -1;
	wat_buf_byte(&o->exports, (uint8_t) (sp - WS_FUNC));
	wat_buf_u32(&o->exports, x);
	o->nexports++;
	if (wat_expect(p, WT_RPAR, "')'") < 0)
		return -1;
	return wat_expect(p, WT_RPAR, "')'");
}

static int
enc_start(wat_parser *p, wat_out *o, size_t start)
{
	uint32_t	x;

	if (o->has_start)
		return wat_fail(p, start, "multiple start sections");
	if (wat_index(p, WS_FUNC, &x) < 0)
		return -1;
	o->has_start = 1;
	wat_buf_u32(&o->start, x);
	return wat_expect(p, WT_RPAR, "')'");
}

static int
enc_elem(wat_parser *p, wat_out *o, size_t start)
{
	int			mode = 1;
	uint32_t	table = 0;
	int			exprs = 0;
	int			rt = SF_FUNCREF;
	uint32_t	n;

	o->cur[WS_ELEM]++;
	skip_id(p);
	if (wat_tok_is(p, "declare"))
	{
		mode = 2;
		wat_next(p);
	}
	else if (wat_peek_field(p, "table"))
	{
		wat_next(p);
		wat_next(p);
		if (wat_index(p, WS_TABLE, &table) < 0 || wat_expect(p, WT_RPAR, "')'") < 0 ||
			offset_expr(p, o) < 0)
			return -1;
		mode = 0;
	}
	else if (p->tok.kind == WT_LPAR)
	{
		if (offset_expr(p, o) < 0)
			return -1;
		mode = 0;
	}
	if (wat_tok_is(p, "func"))
		wat_next(p);
	else if ((rt = wat_reftype(p, &p->tok)) >= 0)
	{
		exprs = 1;
		wat_next(p);
	}
	else if (mode == 0)
		rt = SF_FUNCREF;		/* (elem (offset ...) funcidx*) abbreviation */
	else
		return wat_fail_expected(p, "'func' or a reference type");
	if (elem_items(p, exprs, &o->items, &n) < 0)
		return -1;
	emit_elem(o, mode, table, &o->expr, exprs, rt, n, &o->items);
	return wat_expect(p, WT_RPAR, "')'");
}

static int
enc_data(wat_parser *p, wat_out *o, size_t start)
{
	int			active = 0;
	uint32_t	mem = 0;

	o->cur[WS_DATA]++;
	skip_id(p);
	if (wat_peek_field(p, "memory"))
	{
		wat_next(p);
		wat_next(p);
		if (wat_index(p, WS_MEMORY, &mem) < 0 || wat_expect(p, WT_RPAR, "')'") < 0 ||
			offset_expr(p, o) < 0)
			return -1;
		active = 1;
	}
	else if (p->tok.kind == WT_LPAR)
	{
		if (offset_expr(p, o) < 0)
			return -1;
		active = 1;
	}
	if (data_strings(p, &o->items) < 0)
		return -1;
	emit_data(o, active, mem, &o->items);
	return wat_expect(p, WT_RPAR, "')'");
}

/* One module field of pass 2; 'start' is the offset of its '('. */
typedef int (*field_encoder) (wat_parser *p, wat_out *o, size_t start);

static int
enc_field(wat_parser *p, wat_out *o)
{
	static const struct
	{
		const char *kw;
		field_encoder enc;
	}			fields[] = {
		{"func", enc_func}, {"table", enc_table},
		{"memory", enc_memory}, {"global", enc_global},
		{"import", enc_import}, {"export", enc_export},
		{"start", enc_start}, {"elem", enc_elem}, {"data", enc_data}
	};
	size_t		start = p->tok.off;

	wat_next(p);				/* '(': pass 1 checked the field's shape */
	if (wat_tok_is(p, "type"))
		return skip_rest(p, 1, start);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (wat_tok_is(p, fields[i].kw))
			return wat_next(p) < 0 ? -1 : fields[i].enc(p, o, start);
	return wat_fail_expected(p, "module field");
}

static void
out_free(wat_out *o)
{
	wat_buf    *bufs[] = {&o->imports, &o->funcs, &o->tables, &o->mems,
		&o->globals, &o->exports, &o->elems, &o->datas, &o->code, &o->start,
	&o->body, &o->ltypes, &o->expr, &o->items};

	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		wat_buf_free(bufs[i]);
}

static void
section(wat_buf *mod, uint8_t id, uint32_t count, const wat_buf *content,
		int always)
{
	wat_buf		head = {0};

	if (count == 0 && !always)
		return;
	wat_buf_u32(&head, count);
	wat_buf_byte(mod, id);
	wat_buf_u32(mod, (uint32_t) (head.len + content->len));
	wat_buf_bytes(mod, head.p, head.len);
	wat_buf_bytes(mod, content->p, content->len);
	if (head.oom)
		mod->oom = head.oom;
	wat_buf_free(&head);
}

static void
type_section(wat_parser *p, wat_buf *mod)
{
	wat_buf		c = {0};

	for (uint32_t i = 0; i < p->ntypes; i++)
	{
		const wat_type *t = &p->types[i];

		wat_buf_byte(&c, 0x60);
		wat_buf_u32(&c, t->nparams);
		wat_buf_bytes(&c, p->sigs.p + t->off, t->nparams);
		wat_buf_u32(&c, t->nresults);
		wat_buf_bytes(&c, p->sigs.p + t->off + t->nparams, t->nresults);
	}
	section(mod, 1, p->ntypes, &c, 0);
	if (c.oom)
		mod->oom = c.oom;
	wat_buf_free(&c);
}

/*
** Sections in the binary order.  The data count section is written only
** when the code uses memory.init or data.drop, which need it (as wat2wasm
** does, so the bytes agree).
*/
static void
assemble(wat_parser *p, wat_out *o, wat_buf *mod)
{
	static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
	wat_buf		empty = {0};

	wat_buf_bytes(mod, header, sizeof(header));
	type_section(p, mod);
	section(mod, 2, o->nimports, &o->imports, 0);
	section(mod, 3, o->nfuncs, &o->funcs, 0);
	section(mod, 4, o->ntables, &o->tables, 0);
	section(mod, 5, o->nmems, &o->mems, 0);
	section(mod, 6, o->nglobals, &o->globals, 0);
	section(mod, 7, o->nexports, &o->exports, 0);
	if (o->has_start)
	{
		wat_buf_byte(mod, 8);
		wat_buf_u32(mod, (uint32_t) o->start.len);
		wat_buf_bytes(mod, o->start.p, o->start.len);
	}
	section(mod, 9, o->nelems, &o->elems, 0);
	if (p->uses_data_index)
		section(mod, 12, o->ndatas, &empty, 1);
	section(mod, 10, o->nfuncs, &o->code, 0);
	section(mod, 11, o->ndatas, &o->datas, 0);
}

/* Between fields: a large text can take a while, so a stop is honoured. */
static bool
stopped(wat_parser *p)
{
	if (!sf_interrupt_check(p->err))
		return false;
	p->failed = 1;
	return true;
}

/* The module's fields, up to ')' (wrapped) or the end of the text. */
static int
pass1(wat_parser *p, int wrapped)
{
	int			seen_def = -1;

	while (p->tok.kind == WT_LPAR)
		if (stopped(p) || scan_field(p, &seen_def) < 0)
			return -1;
	if (wrapped && wat_expect(p, WT_RPAR, "')' or a module field") < 0)
		return -1;
	if (p->tok.kind != WT_EOF)
		return wat_fail_expected(p, wrapped ? "end of input" : "module field");
	return 0;
}

static int
pass2(wat_parser *p, wat_out *o)
{
	while (p->tok.kind == WT_LPAR)
		if (stopped(p) || enc_field(p, o) < 0)
			return -1;
	return p->failed ? -1 : 0;
}

static void
parser_free(wat_parser *p)
{
	for (int i = 0; i < WS_COUNT; i++)
		wat_map_free(&p->names[i]);
	wat_map_free(&p->sigmap);
	wat_map_free(&p->locals);
	free(p->types);
	wat_buf_free(&p->sigs);
	wat_instr_free(p);
}

static sf_status
convert(wat_parser *p, uint8_t **out, size_t *out_len)
{
	wat_out		o;
	wat_buf		mod = {0};
	int			wrapped = 0;
	size_t		body_pos;
	wat_tok		body_tok;

	memset(&o, 0, sizeof(o));
	if (wat_next(p) < 0)
		return p->err ? p->err->status : SF_MALFORMED;
	if (wat_peek_field(p, "module"))
	{
		wat_next(p);
		wat_next(p);
		skip_id(p);
		wrapped = 1;
	}
	body_pos = p->pos;
	body_tok = p->tok;
	if (pass1(p, wrapped) == 0)
	{
		p->pos = body_pos;
		p->tok = body_tok;
		if (pass2(p, &o) == 0)
		{
			assemble(p, &o, &mod);
			wat_check_output(p, &mod);
		}
	}
	out_free(&o);
	if (p->failed)
	{
		wat_buf_free(&mod);
		return p->err ? p->err->status : SF_MALFORMED;
	}
	*out = mod.p;
	*out_len = mod.len;
	return SF_OK;
}

sf_status
sf_wat_to_wasm(const char *text, size_t len, uint8_t **out, size_t *out_len,
			   sf_error *err)
{
	wat_parser	p;
	sf_error	local;
	sf_status	st;

	if (err == NULL)
		err = &local;
	sf_error_clear(err);
	if (out == NULL || out_len == NULL || (text == NULL && len > 0))
		return sf_error_set(err, SF_BADARG, "sf_wat_to_wasm: NULL argument");
	*out = NULL;
	*out_len = 0;
	memset(&p, 0, sizeof(p));
	p.text = text ? text : "";
	p.len = len;
	p.err = err;
	st = convert(&p, out, out_len);
	parser_free(&p);
	return st;
}
