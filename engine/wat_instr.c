/*
** wat_instr.c -- instructions, blocks, type uses and expressions.
**
** Mnemonics and encodings come from the opcode table (opcodes.h).  Folded
** instructions "(op imm* operand*)" are emitted operands first: the
** immediates are encoded into a scratch buffer of the current depth and
** appended after the operands, so nothing is ever moved in the output.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opcodes.h"
#include "wat.h"

static const char *const space_names[WS_COUNT] = {
	"type", "function", "table", "memory", "global", "elem segment",
	"data segment"
};

/* Value type keyword -> binary encoding, or -1. */
int
wat_valtype(wat_parser *p, const wat_tok *t)
{
	static const struct
	{
		const char *kw;
		int			code;
	}			types[] = {
		{"i32", SF_I32}, {"i64", SF_I64}, {"f32", SF_F32}, {"f64", SF_F64},
		{"funcref", SF_FUNCREF}, {"externref", SF_EXTERNREF}
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (wat_is_keyword(p, t, types[i].kw))
			return types[i].code;
	return -1;
}

int
wat_reftype(wat_parser *p, const wat_tok *t)
{
	int			v = wat_valtype(p, t);

	return (v == SF_FUNCREF || v == SF_EXTERNREF) ? v : -1;
}

/* An index in space 'sp': a u32 or a known $identifier.  Consumes it. */
int
wat_index(wat_parser *p, wat_space sp, uint32_t *out)
{
	if (p->tok.kind == WT_NUM)
	{
		if (wat_parse_u32(p, &p->tok, out) < 0)
			return -1;
		return wat_next(p);
	}
	if (p->tok.kind == WT_ID)
	{
		int64_t		v = wat_map_get(&p->names[sp], p->text, p->tok.off,
									(uint32_t) p->tok.len);

		if (v < 0)
			return wat_fail(p, p->tok.off, "unknown %s %.*s", space_names[sp],
							(int) (p->tok.len > 60 ? 60 : p->tok.len),
							p->text + p->tok.off);
		*out = (uint32_t) v;
		return wat_next(p);
	}
	{
		char		what[40];

		snprintf(what, sizeof(what), "%s index", space_names[sp]);
		return wat_fail_expected(p, what);
	}
}

/* An optional index: 1 if one was parsed, 0 if none is there. */
int
wat_opt_index(wat_parser *p, wat_space sp, uint32_t *out)
{
	if (p->tok.kind != WT_NUM && p->tok.kind != WT_ID)
		return 0;
	return wat_index(p, sp, out) < 0 ? -1 : 1;
}

/*
** Find or append the type whose signature bytes are sigs[off..off+np+nr).
** Those bytes must be the tail of 'p->sigs'; when an equal type exists they
** are dropped again.  Explicit (type ...) definitions 'force_new': they
** always get their own index, and the first of equal types is the one
** inline type uses name.
*/
int
wat_intern_type(wat_parser *p, size_t off, uint32_t np, uint32_t nr,
				int force_new, uint32_t *idx)
{
	int64_t		found;

	/* the key includes the param count so (i32)->() differs from ()->(i32) */
	wat_buf_u32(&p->sigs, np);
	if (wat_check_output(p, &p->sigs) < 0)
		return -1;
	found = wat_map_get(&p->sigmap, (const char *) p->sigs.p, off,
						(uint32_t) (p->sigs.len - off));
	if (found >= 0 && !force_new)
	{
		*idx = (uint32_t) found;
		p->sigs.len = off;
		return 0;
	}
	if (p->ntypes == p->types_cap)
	{
		uint32_t	ncap = p->types_cap ? p->types_cap * 2 : 16;
		wat_type   *nt;

		if (ncap > (1u << 26))
			return wat_fail(p, p->tok.off, "too many types");
		nt = realloc(p->types, ncap * sizeof(*nt));
		if (nt == NULL)
			return wat_fail(p, p->tok.off, "out of memory");
		p->types = nt;
		p->types_cap = ncap;
	}
	p->types[p->ntypes].off = off;
	p->types[p->ntypes].nparams = np;
	p->types[p->ntypes].nresults = nr;
	if (found < 0 && wat_map_put(&p->sigmap, (const char *) p->sigs.p, off,
								 (uint32_t) (p->sigs.len - off), p->ntypes) < 0)
		return wat_fail(p, p->tok.off, "out of memory");
	*idx = p->ntypes++;
	return 0;
}

/*
** "(param id? t)" / "(param t*)" and "(result t*)" lists, appended to
** p->sigs.  'names': 0 = identifiers forbidden, 1 = allowed and ignored,
** 2 = bound as locals of the function being parsed.
*/
int
wat_param_list(wat_parser *p, int names, uint32_t *np)
{
	while (wat_peek_field(p, "param"))
	{
		wat_next(p);
		if (wat_next(p) < 0)
			return -1;
		if (p->tok.kind == WT_ID)
		{
			int			t;

			if (names == 0)
				return wat_fail(p, p->tok.off, "unexpected identifier: a "
								"parameter here cannot be named");
			if (names == 2)
			{
				int			r = wat_map_put(&p->locals, p->text, p->tok.off,
											(uint32_t) p->tok.len, *np);

				if (r != 0)
					return r > 0 ? wat_fail(p, p->tok.off, "duplicate local %.*s",
											(int) p->tok.len, p->text + p->tok.off)
						: wat_fail(p, p->tok.off, "out of memory");
			}
			wat_next(p);
			if ((t = wat_valtype(p, &p->tok)) < 0)
				return wat_fail_expected(p, "value type");
			wat_buf_byte(&p->sigs, (uint8_t) t);
			(*np)++;
			wat_next(p);
		}
		else
			while (p->tok.kind == WT_KEYWORD)
			{
				int			t = wat_valtype(p, &p->tok);

				if (t < 0)
					return wat_fail_expected(p, "value type");
				wat_buf_byte(&p->sigs, (uint8_t) t);
				(*np)++;
				wat_next(p);
			}
		if (wat_expect(p, WT_RPAR, "')'") < 0)
			return -1;
	}
	return wat_check_output(p, &p->sigs);
}

int
wat_result_list(wat_parser *p, uint32_t *nr)
{
	while (wat_peek_field(p, "result"))
	{
		wat_next(p);
		if (wat_next(p) < 0)
			return -1;
		while (p->tok.kind == WT_KEYWORD)
		{
			int			t = wat_valtype(p, &p->tok);

			if (t < 0)
				return wat_fail_expected(p, "value type");
			wat_buf_byte(&p->sigs, (uint8_t) t);
			(*nr)++;
			wat_next(p);
		}
		if (wat_expect(p, WT_RPAR, "')'") < 0)
			return -1;
	}
	return wat_check_output(p, &p->sigs);
}

/* A parsed type use, before it is turned into an index. */
typedef struct typeuse
{
	int64_t		idx;			/* (type x), or -1 */
	size_t		off;			/* inline params/results in p->sigs */
	uint32_t	np;
	uint32_t	nr;
	size_t		where;			/* text offset for errors */
} typeuse;

static int
typeuse_parse(wat_parser *p, int names, typeuse *tu)
{
	tu->idx = -1;
	tu->where = p->tok.off;
	tu->np = tu->nr = 0;
	if (wat_peek_field(p, "type"))
	{
		uint32_t	x;

		wat_next(p);
		wat_next(p);
		if (wat_index(p, WS_TYPE, &x) < 0 || wat_expect(p, WT_RPAR, "')'") < 0)
			return -1;
		tu->idx = x;
	}
	tu->off = p->sigs.len;
	if (wat_param_list(p, names, &tu->np) < 0 || wat_result_list(p, &tu->nr) < 0)
		return -1;
	return 0;
}

/*
** Resolve a type use to an index: an explicit (type x) must agree with any
** inline signature; otherwise the inline signature names the first equal
** type, or a new one appended at the end of the type section.
*/
static int
typeuse_resolve(wat_parser *p, typeuse *tu, uint32_t *idx, uint32_t *nparams)
{
	if (tu->idx >= 0)
	{
		uint32_t	x = (uint32_t) tu->idx;
		int			inline_sig = tu->np + tu->nr > 0;

		if (x < p->ntypes)
		{
			const wat_type *t = &p->types[x];

			if (inline_sig &&
				(t->nparams != tu->np || t->nresults != tu->nr ||
				 memcmp(p->sigs.p + t->off, p->sigs.p + tu->off, tu->np + tu->nr) != 0))
				return wat_fail(p, tu->where, "inline function type does not "
								"match type %u", x);
			*nparams = t->nparams;
		}
		else if (inline_sig)
			return wat_fail(p, tu->where, "unknown type %u: the inline "
							"function type cannot be checked against it", x);
		else
			*nparams = 0;		/* the validator reports the bad index */
		p->sigs.len = tu->off;
		*idx = x;
		return 0;
	}
	*nparams = tu->np;
	return wat_intern_type(p, tu->off, tu->np, tu->nr, 0, idx);
}

int
wat_typeuse(wat_parser *p, int names, int64_t *typeidx, uint32_t *nparams)
{
	typeuse		tu;
	uint32_t	idx;

	if (typeuse_parse(p, names, &tu) < 0 || typeuse_resolve(p, &tu, &idx, nparams) < 0)
		return -1;
	*typeidx = idx;
	return 0;
}

/* A block type: empty, one result, or a type use (s33 index). */
static int
blocktype(wat_parser *p, wat_buf *out)
{
	typeuse		tu;
	uint32_t	idx;
	uint32_t	np;

	if (typeuse_parse(p, 0, &tu) < 0)
		return -1;
	if (tu.idx < 0 && tu.np == 0 && tu.nr <= 1)
	{
		wat_buf_byte(out, tu.nr ? p->sigs.p[tu.off] : 0x40);
		p->sigs.len = tu.off;
		return 0;
	}
	if (typeuse_resolve(p, &tu, &idx, &np) < 0)
		return -1;
	/* a named type of the short shape gets the short encoding, as in wabt */
	if (idx < p->ntypes && p->types[idx].nparams == 0 && p->types[idx].nresults <= 1)
	{
		const wat_type *t = &p->types[idx];

		wat_buf_byte(out, t->nresults ? p->sigs.p[t->off] : 0x40);
		return 0;
	}
	wat_buf_s64(out, idx);
	return 0;
}

/* --- labels and locals ----------------------------------------------- */

static int
push_label(wat_parser *p, size_t off, size_t len)
{
	if (p->nlabels == p->labels_cap)
	{
		uint32_t	ncap = p->labels_cap ? p->labels_cap * 2 : 16;
		wat_label  *nl = realloc(p->labels, ncap * sizeof(*nl));

		if (nl == NULL)
			return wat_fail(p, off, "out of memory");
		p->labels = nl;
		p->labels_cap = ncap;
	}
	p->labels[p->nlabels].off = off;
	p->labels[p->nlabels].len = len;
	p->nlabels++;
	return 0;
}

/* A label reference: a depth, or the innermost label of that name. */
static int
label_index(wat_parser *p, uint32_t *out)
{
	if (p->tok.kind == WT_ID)
	{
		for (uint32_t i = p->nlabels; i-- > 0;)
		{
			const wat_label *l = &p->labels[i];

			if (l->len == p->tok.len &&
				memcmp(p->text + l->off, p->text + p->tok.off, l->len) == 0)
			{
				*out = p->nlabels - 1 - i;
				return wat_next(p);
			}
		}
		return wat_fail(p, p->tok.off, "unknown label %.*s",
						(int) (p->tok.len > 60 ? 60 : p->tok.len),
						p->text + p->tok.off);
	}
	if (p->tok.kind != WT_NUM)
		return wat_fail_expected(p, "label");
	if (wat_parse_u32(p, &p->tok, out) < 0)
		return -1;
	return wat_next(p);
}

static int
local_index(wat_parser *p, uint32_t *out)
{
	if (p->tok.kind == WT_ID)
	{
		int64_t		v = p->in_func ? wat_map_get(&p->locals, p->text, p->tok.off,
												 (uint32_t) p->tok.len) : -1;

		if (v < 0)
			return wat_fail(p, p->tok.off, "unknown local %.*s",
							(int) (p->tok.len > 60 ? 60 : p->tok.len),
							p->text + p->tok.off);
		*out = (uint32_t) v;
		return wat_next(p);
	}
	if (p->tok.kind != WT_NUM)
		return wat_fail_expected(p, "local index");
	if (wat_parse_u32(p, &p->tok, out) < 0)
		return -1;
	return wat_next(p);
}

/* --- immediates ------------------------------------------------------ */

static int
lookup_op(wat_parser *p, const wat_tok *t)
{
	const char *s = p->text + t->off;

	for (int i = 0; i < SF_OP_COUNT; i++)
	{
		const char *n = sf_opinfo_table[i].name;

		if (n[0] == s[0] && strlen(n) == t->len && memcmp(n, s, t->len) == 0)
			return i;
	}
	return -1;
}

static void
emit_op(wat_buf *out, int op)
{
	const sf_opinfo *o = &sf_opinfo_table[op];

	if (o->prefix)
	{
		wat_buf_byte(out, o->prefix);
		wat_buf_u32(out, o->code);
	}
	else
		wat_buf_byte(out, o->code);
}

/* "key=value" memarg field: parse value as u32 if the keyword matches. */
static int
memarg_field(wat_parser *p, const char *key, uint32_t *out)
{
	size_t		kl = strlen(key);
	wat_tok		v;

	if (p->tok.kind != WT_KEYWORD || p->tok.len <= kl ||
		memcmp(p->text + p->tok.off, key, kl) != 0)
		return 0;
	v.kind = WT_NUM;
	v.off = p->tok.off + kl;
	v.len = p->tok.len - kl;
	if (wat_parse_u32(p, &v, out) < 0)
		return -1;
	return wat_next(p) < 0 ? -1 : 1;
}

static int
memarg(wat_parser *p, int op, wat_buf *out)
{
	uint32_t	offset = 0;
	uint32_t	align = sf_opinfo_table[op].mem;
	uint32_t	log2 = 0;
	size_t		where;

	if (memarg_field(p, "offset=", &offset) < 0)
		return -1;
	where = p->tok.off;
	if (memarg_field(p, "align=", &align) < 0)
		return -1;
	if (align == 0 || (align & (align - 1)) != 0)
		return wat_fail(p, where, "alignment must be a power of two");
	while ((1u << log2) < align)
		log2++;
	wat_buf_u32(out, log2);
	wat_buf_u32(out, offset);
	return 0;
}

static int
literal(wat_parser *p, int kind, wat_buf *out)
{
	uint32_t	u32;
	uint64_t	u64;
	int			r;

	if (p->tok.kind != WT_NUM && p->tok.kind != WT_KEYWORD)
		return wat_fail_expected(p, "number");
	switch (kind)
	{
		case SF_IMM_I32:
			if ((r = wat_parse_i32(p, &p->tok, &u32)) == 0)
				wat_buf_s32(out, (int32_t) u32);
			break;
		case SF_IMM_I64:
			if ((r = wat_parse_i64(p, &p->tok, &u64)) == 0)
				wat_buf_s64(out, (int64_t) u64);
			break;
		case SF_IMM_F32:
			if ((r = wat_parse_f32(p, &p->tok, &u32)) == 0)
				for (int i = 0; i < 4; i++)
					wat_buf_byte(out, (uint8_t) (u32 >> (8 * i)));
			break;
		default:
			if ((r = wat_parse_f64(p, &p->tok, &u64)) == 0)
				for (int i = 0; i < 8; i++)
					wat_buf_byte(out, (uint8_t) (u64 >> (8 * i)));
			break;
	}
	return r < 0 ? -1 : wat_next(p);
}

static int
br_table(wat_parser *p, wat_buf *out)
{
	uint32_t	n = 0;
	uint32_t	l;

	p->tmp.len = 0;
	while (p->tok.kind == WT_NUM || p->tok.kind == WT_ID)
	{
		if (label_index(p, &l) < 0)
			return -1;
		wat_buf_u32(&p->tmp, l);
		n++;
	}
	if (n == 0)
		return wat_fail_expected(p, "label");
	if (wat_check_output(p, &p->tmp) < 0)
		return -1;
	wat_buf_u32(out, n - 1);
	wat_buf_bytes(out, p->tmp.p, p->tmp.len);
	return 0;
}

static int
select_types(wat_parser *p, wat_buf *out)
{
	size_t		off = p->sigs.len;
	uint32_t	n = 0;

	if (wat_result_list(p, &n) < 0)
		return -1;
	wat_buf_u32(out, n);
	wat_buf_bytes(out, p->sigs.p + off, n);
	p->sigs.len = off;
	return 0;
}

static int
call_indirect(wat_parser *p, wat_buf *out)
{
	uint32_t	table = 0;
	uint32_t	np;
	int64_t		type;

	if (wat_opt_index(p, WS_TABLE, &table) < 0 ||
		wat_typeuse(p, 0, &type, &np) < 0)
		return -1;
	wat_buf_u32(out, (uint32_t) type);
	wat_buf_u32(out, table);
	return 0;
}

/* table.init x y (table x, elem y) or table.init y (table 0). */
static int
table_init(wat_parser *p, wat_buf *out)
{
	wat_tok		next;
	uint32_t	a = 0;
	uint32_t	b;

	if (wat_peek(p, &next) < 0)
		return -1;
	if ((p->tok.kind == WT_NUM || p->tok.kind == WT_ID) &&
		(next.kind == WT_NUM || next.kind == WT_ID) &&
		wat_index(p, WS_TABLE, &a) < 0)
		return -1;
	if (wat_index(p, WS_ELEM, &b) < 0)
		return -1;
	wat_buf_u32(out, b);
	wat_buf_u32(out, a);
	return 0;
}

static int
two_tables(wat_parser *p, wat_buf *out)
{
	uint32_t	a = 0;
	uint32_t	b = 0;
	int			r = wat_opt_index(p, WS_TABLE, &a);

	if (r < 0)
		return -1;
	if (r == 1 && wat_index(p, WS_TABLE, &b) < 0)
		return -1;
	wat_buf_u32(out, a);
	wat_buf_u32(out, b);
	return 0;
}

static int
index_imm(wat_parser *p, wat_space sp, wat_buf *out)
{
	uint32_t	x;

	if (wat_index(p, sp, &x) < 0)
		return -1;
	wat_buf_u32(out, x);
	return 0;
}

static int
ref_null(wat_parser *p, wat_buf *out)
{
	if (wat_tok_is(p, "func"))
		wat_buf_byte(out, SF_FUNCREF);
	else if (wat_tok_is(p, "extern"))
		wat_buf_byte(out, SF_EXTERNREF);
	else
		return wat_fail_expected(p, "heap type 'func' or 'extern'");
	return wat_next(p);
}

/* Opcode and immediates of a non-block instruction, into 'out'. */
static int
plain_imm(wat_parser *p, int op, wat_buf *out)
{
	uint32_t	x = 0;

	if (op == SF_OP_SELECT && wat_peek_field(p, "result"))
		op = SF_OP_SELECT_T;
	emit_op(out, op);
	switch ((sf_imm_kind) sf_opinfo_table[op].imm)
	{
		case SF_IMM_NONE:
			return 0;
		case SF_IMM_LABEL:
			if (label_index(p, &x) < 0)
				return -1;
			wat_buf_u32(out, x);
			return 0;
		case SF_IMM_BR_TABLE:
			return br_table(p, out);
		case SF_IMM_FUNC:
			return index_imm(p, WS_FUNC, out);
		case SF_IMM_CALL_INDIRECT:
			return call_indirect(p, out);
		case SF_IMM_LOCAL:
			if (local_index(p, &x) < 0)
				return -1;
			wat_buf_u32(out, x);
			return 0;
		case SF_IMM_GLOBAL:
			return index_imm(p, WS_GLOBAL, out);
		case SF_IMM_TABLE:
			if (wat_opt_index(p, WS_TABLE, &x) < 0)
				return -1;
			wat_buf_u32(out, x);
			return 0;
		case SF_IMM_MEMARG:
			return memarg(p, op, out);
		case SF_IMM_MEMIDX:
			wat_buf_byte(out, 0);
			return 0;
		case SF_IMM_I32:
		case SF_IMM_I64:
		case SF_IMM_F32:
		case SF_IMM_F64:
			return literal(p, sf_opinfo_table[op].imm, out);
		case SF_IMM_SELECT_T:
			return select_types(p, out);
		case SF_IMM_REFTYPE:
			return ref_null(p, out);
		case SF_IMM_MEMORY_INIT:
			p->uses_data_index = 1;
			if (index_imm(p, WS_DATA, out) < 0)
				return -1;
			wat_buf_byte(out, 0);
			return 0;
		case SF_IMM_DATA:
			p->uses_data_index = 1;
			return index_imm(p, WS_DATA, out);
		case SF_IMM_MEMORY_COPY:
			wat_buf_byte(out, 0);
			wat_buf_byte(out, 0);
			return 0;
		case SF_IMM_TABLE_INIT:
			return table_init(p, out);
		case SF_IMM_ELEM:
			return index_imm(p, WS_ELEM, out);
		case SF_IMM_TABLE_COPY:
			return two_tables(p, out);
		case SF_IMM_BLOCK:
			break;
	}
	return wat_fail(p, p->tok.off, "internal error: unhandled immediate");
}

/* --- blocks ---------------------------------------------------------- */

static int
enter(wat_parser *p)
{
	if (p->depth >= WAT_MAX_NESTING)
		return wat_fail(p, p->tok.off, "nesting too deep: more than %d levels "
						"of blocks and parentheses", WAT_MAX_NESTING);
	p->depth++;
	return 0;
}

/* Optional label identifier after block/loop/if: (off, len) or len 0. */
static void
opt_label(wat_parser *p, size_t *off, size_t *len)
{
	*off = p->tok.off;
	*len = 0;
	if (p->tok.kind == WT_ID)
	{
		*len = p->tok.len;
		wat_next(p);
	}
}

/* The identifier after 'end' or 'else' must repeat the block's label. */
static int
closing_label(wat_parser *p, size_t off, size_t len)
{
	if (p->tok.kind != WT_ID)
		return 0;
	if (len != p->tok.len || memcmp(p->text + off, p->text + p->tok.off, len) != 0)
		return wat_fail(p, p->tok.off, "mismatching label %.*s",
						(int) (p->tok.len > 60 ? 60 : p->tok.len),
						p->text + p->tok.off);
	return wat_next(p);
}

/*
** An empty else arm means the same as none (both require the block's
** params to equal its results); dropping it gives wat2wasm's bytes.
*/
static void
drop_empty_else(wat_buf *out, size_t mark)
{
	if (!out->oom && out->len == mark)
		out->len--;
}

/* block/loop/if ... end, after the keyword. */
static int
block_plain(wat_parser *p, int op, wat_buf *out)
{
	size_t		loff;
	size_t		llen;
	size_t		mark;

	if (enter(p) < 0)
		return -1;
	opt_label(p, &loff, &llen);
	emit_op(out, op);
	if (blocktype(p, out) < 0 || push_label(p, loff, llen) < 0 ||
		wat_instrs(p, out) < 0)
		return -1;
	if (op == SF_OP_IF && wat_tok_is(p, "else"))
	{
		wat_next(p);
		if (closing_label(p, loff, llen) < 0)
			return -1;
		emit_op(out, SF_OP_ELSE);
		mark = out->len;
		if (wat_instrs(p, out) < 0)
			return -1;
		drop_empty_else(out, mark);
	}
	if (wat_expect_keyword(p, "end") < 0 || closing_label(p, loff, llen) < 0)
		return -1;
	emit_op(out, SF_OP_END);
	p->nlabels--;
	p->depth--;
	return 0;
}

/* (then instr*) or (else instr*), after the folded if's condition. */
static int
if_arm(wat_parser *p, const char *kw, wat_buf *out)
{
	if (!wat_peek_field(p, kw))
	{
		char		what[16];

		snprintf(what, sizeof(what), "'(%s'", kw);
		return wat_fail_expected(p, what);
	}
	wat_next(p);
	wat_next(p);
	if (wat_instrs(p, out) < 0)
		return -1;
	return wat_expect(p, WT_RPAR, "')'");
}

/* (if label? bt folded* (then ...) (else ...)?), after "if". */
static int
if_folded(wat_parser *p, wat_buf *out)
{
	size_t		loff;
	size_t		llen;
	wat_buf    *bt = &p->scratch[p->depth];

	opt_label(p, &loff, &llen);
	bt->len = 0;
	if (blocktype(p, bt) < 0)
		return -1;
	while (p->tok.kind == WT_LPAR && !wat_peek_field(p, "then"))
		if (wat_folded_instr(p, out) < 0)
			return -1;
	emit_op(out, SF_OP_IF);
	wat_buf_bytes(out, bt->p, bt->len);
	if (push_label(p, loff, llen) < 0 || if_arm(p, "then", out) < 0)
		return -1;
	if (wat_peek_field(p, "else"))
	{
		size_t		mark;

		emit_op(out, SF_OP_ELSE);
		mark = out->len;
		if (if_arm(p, "else", out) < 0)
			return -1;
		drop_empty_else(out, mark);
	}
	emit_op(out, SF_OP_END);
	p->nlabels--;
	return 0;
}

static int
block_folded(wat_parser *p, int op, wat_buf *out)
{
	size_t		loff;
	size_t		llen;

	if (op == SF_OP_IF)
		return if_folded(p, out);
	opt_label(p, &loff, &llen);
	emit_op(out, op);
	if (blocktype(p, out) < 0 || push_label(p, loff, llen) < 0 ||
		wat_instrs(p, out) < 0)
		return -1;
	emit_op(out, SF_OP_END);
	p->nlabels--;
	return 0;
}

static int
scratch_init(wat_parser *p)
{
	if (p->scratch)
		return 0;
	p->scratch = calloc(WAT_MAX_NESTING + 1, sizeof(wat_buf));
	if (p->scratch == NULL)
		return wat_fail(p, p->tok.off, "out of memory");
	p->nscratch = WAT_MAX_NESTING + 1;
	return 0;
}

static int
mnemonic(wat_parser *p)
{
	int			op;

	if (p->tok.kind != WT_KEYWORD)
		return wat_fail_expected(p, "instruction");
	op = lookup_op(p, &p->tok);
	if (op < 0)
		return wat_fail(p, p->tok.off, "unknown operator %.*s",
						(int) (p->tok.len > 60 ? 60 : p->tok.len),
						p->text + p->tok.off);
	return op;
}

/* "(" instr ")" in folded form, the current token being "(". */
int
wat_folded_instr(wat_parser *p, wat_buf *out)
{
	int			op;
	wat_buf    *imm;

	if (scratch_init(p) < 0 || enter(p) < 0 || wat_next(p) < 0)
		return -1;
	if ((op = mnemonic(p)) < 0)
		return -1;
	wat_next(p);
	if (op == SF_OP_BLOCK || op == SF_OP_LOOP || op == SF_OP_IF)
	{
		if (block_folded(p, op, out) < 0)
			return -1;
	}
	else if (op == SF_OP_ELSE || op == SF_OP_END)
		return wat_fail(p, p->tok.off, "unexpected '%s' in folded instruction",
						sf_opinfo_table[op].name);
	else
	{
		imm = &p->scratch[p->depth];
		imm->len = 0;
		if (plain_imm(p, op, imm) < 0)
			return -1;
		while (p->tok.kind == WT_LPAR)
			if (wat_folded_instr(p, out) < 0)
				return -1;
		wat_buf_bytes(out, imm->p, imm->len);
	}
	if (wat_expect(p, WT_RPAR, "')'") < 0)
		return -1;
	p->depth--;
	return wat_check_output(p, out);
}

/*
** A sequence of instructions, up to ')' or the 'end'/'else' that closes
** the enclosing block (left for the caller).
*/
int
wat_instrs(wat_parser *p, wat_buf *out)
{
	while (!p->failed)
	{
		int			op;

		if (p->tok.kind == WT_LPAR)
		{
			if (wat_folded_instr(p, out) < 0)
				return -1;
			continue;
		}
		if (p->tok.kind != WT_KEYWORD || wat_tok_is(p, "end") || wat_tok_is(p, "else"))
			break;
		if ((op = mnemonic(p)) < 0)
			return -1;
		wat_next(p);
		if (op == SF_OP_BLOCK || op == SF_OP_LOOP || op == SF_OP_IF)
		{
			if (block_plain(p, op, out) < 0)
				return -1;
		}
		else if (plain_imm(p, op, out) < 0)
			return -1;
		if (wat_check_output(p, out) < 0)
			return -1;
	}
	return p->failed ? -1 : 0;
}

/* instr* followed by 'end', as in globals, offsets and element items. */
int
wat_expr(wat_parser *p, wat_buf *out)
{
	if (wat_instrs(p, out) < 0)
		return -1;
	emit_op(out, SF_OP_END);
	return wat_check_output(p, out);
}

void
wat_instr_free(wat_parser *p)
{
	for (uint32_t i = 0; i < p->nscratch; i++)
		wat_buf_free(&p->scratch[i]);
	free(p->scratch);
	p->scratch = NULL;
	p->nscratch = 0;
	free(p->labels);
	p->labels = NULL;
	wat_buf_free(&p->tmp);
}
