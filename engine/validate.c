/*
** validate.c -- module and function-body validation.
**
** Function bodies follow the spec's appendix algorithm: an operand stack
** of value types (0 = unknown, the polymorphic bottom after unreachable
** code) and a control stack of frames.  The body is decoded here, in one
** pass, so every encoding error inside code is reported from this file
** (as SF_MALFORMED) with the function index and byte offset.
**
** Instructions with a plain "params:results" signature in opcodes.h are
** typed from that table; the rest ("*") are typed by hand below.
** Nothing is allocated per instruction: the stacks live in the validator
** and only grow.
*/
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "opcodes.h"
#include "read.h"
#include "target.h"

#define T_UNKNOWN 0

typedef struct simple_sig
{
	uint8_t		npop;
	uint8_t		npush;
	uint8_t		pop[3];
	uint8_t		push;
} simple_sig;

static simple_sig sigs[SF_OP_COUNT];
static int16_t op_of_byte[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static uint8_t
sig_type(char c)
{
	switch (c)
	{
		case 'i': return SF_I32;
		case 'I': return SF_I64;
		case 'f': return SF_F32;
		case 'F': return SF_F64;
	}
	return T_UNKNOWN;
}

/* Turn the "params:results" strings into fixed-size records once. */
static void
init_tables(void)
{
	for (int op = 0; op < SF_OP_COUNT; op++)
	{
		const char *s = sf_opinfo_table[op].sig;
		simple_sig *g = &sigs[op];

		if (s[0] == '*')
			continue;
		for (; *s != ':'; s++)
			g->pop[g->npop++] = sig_type(*s);
		for (s++; *s; s++)
			g->push = sig_type(*s), g->npush++;
	}
	for (int b = 0; b < 256; b++)
		op_of_byte[b] = (int16_t) sf_opcode_lookup(0, (uint32_t) b);
}

typedef struct vframe
{
	uint8_t		op;				/* opcode byte: block, loop, if, else; 0 = function */
	bool		unreachable;
	uint32_t	height;			/* operand stack height at entry */
	uint32_t	nparams;
	uint32_t	nresults;
	const sf_valtype *params;
	const sf_valtype *results;
} vframe;

typedef struct val
{
	sf_module  *m;
	sf_error   *err;
	uint32_t	func;
	sf_reader	r;
	const uint8_t *op;			/* the current instruction (offset only on error) */
	uint8_t    *vals;
	uint32_t	nvals;
	uint32_t	cap_vals;
	uint32_t	max_vals;
	vframe	   *ctl;
	uint32_t	nctl;
	uint32_t	cap_ctl;
	uint32_t	max_ctl;
	uint8_t    *locals;			/* type of every local, params first */
	uint64_t   *uses;			/* weighted uses of every local (module.h) */
	uint32_t	nlocals;
	uint32_t	cap_locals;
	uint32_t	loops;			/* loop frames open */
	uint64_t	weight;			/* of one use here: 8^min(loops, 7) */
	uint32_t	nhot;			/* entries of m->hot_pool in use */
	uint32_t	cap_hot;
} val;

static const sf_valtype one_type[] = {
	SF_I32, SF_I64, SF_F32, SF_F64, SF_FUNCREF, SF_EXTERNREF
};

/* A one-element type list for block types and typed select, or NULL. */
static inline const sf_valtype *
single(sf_valtype t)
{
	switch (t)
	{
		case SF_I32: return &one_type[0];
		case SF_I64: return &one_type[1];
		case SF_F32: return &one_type[2];
		case SF_F64: return &one_type[3];
		case SF_FUNCREF: return &one_type[4];
		case SF_EXTERNREF: return &one_type[5];
		default: return NULL;
	}
}

static const char *
tname(uint8_t t)
{
	return t == T_UNKNOWN ? "any" : sf_valtype_name((sf_valtype) t);
}

static bool
is_ref(uint8_t t)
{
	return t == SF_FUNCREF || t == SF_EXTERNREF;
}

static sf_status SF_PRINTF(3, 4)
verr(val *v, sf_status st, const char *fmt, ...)
{
	char		buf[SF_ERROR_MSG_LEN];
	va_list		ap;
	uint32_t	off = (uint32_t) (v->op - v->r.base);

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);

	sf_error_set(v->err, st, "func %u at offset 0x%x: %s", v->func, off, buf);
	if (v->err)
	{
		v->err->func_index = v->func;
		v->err->offset = off;
	}
	return st;
}

static sf_status
rd_error(val *v)
{
	v->op = v->r.p;
	return verr(v, SF_MALFORMED, "%s", v->r.err);
}

#define TRY(x) do { if (SF_UNLIKELY(!(x))) return rd_error(v); } while (0)
#define CHECK(x) do { sf_status st_ = (x); if (SF_UNLIKELY(st_ != SF_OK)) return st_; } while (0)

/* --- Operand and control stacks ---------------------------------------- */

static sf_status
grow_vals(val *v)
{
	uint32_t	ncap = v->cap_vals ? v->cap_vals * 2 : 256;
	uint8_t    *nv = realloc(v->vals, ncap);

	if (!nv)
		return verr(v, SF_NOMEM, "out of memory");
	v->vals = nv;
	v->cap_vals = ncap;
	return SF_OK;
}

static inline sf_status
push(val *v, uint8_t t)
{
	if (SF_UNLIKELY(v->nvals == v->cap_vals))
		CHECK(grow_vals(v));
	v->vals[v->nvals++] = t;
	if (v->nvals > v->max_vals)
		v->max_vals = v->nvals;
	return SF_OK;
}

static sf_status
underflow(val *v, uint8_t expect)
{
	return verr(v, SF_INVALID, "type mismatch: expected %s, got nothing",
				tname(expect));
}

/* Pop one value of type 'expect' (T_UNKNOWN: any); its type in *got. */
static inline sf_status
pop_got(val *v, uint8_t expect, uint8_t *got)
{
	vframe	   *f = &v->ctl[v->nctl - 1];
	uint8_t		t;

	if (SF_UNLIKELY(v->nvals == f->height))
	{
		*got = T_UNKNOWN;
		return f->unreachable ? SF_OK : underflow(v, expect);
	}
	t = v->vals[--v->nvals];
	*got = t;
	if (SF_UNLIKELY(t != expect && t != T_UNKNOWN && expect != T_UNKNOWN))
		return verr(v, SF_INVALID, "type mismatch: expected %s, got %s",
					tname(expect), tname(t));
	return SF_OK;
}

static inline sf_status
pop(val *v, uint8_t expect)
{
	uint8_t		got;

	return pop_got(v, expect, &got);
}

static sf_status
pop_vals(val *v, const sf_valtype *types, uint32_t n)
{
	for (uint32_t i = n; i-- > 0;)
		CHECK(pop(v, (uint8_t) types[i]));
	return SF_OK;
}

static sf_status
push_vals(val *v, const sf_valtype *types, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		CHECK(push(v, (uint8_t) types[i]));
	return SF_OK;
}

/* Check the top of the stack against 'types' without popping (br_table). */
static sf_status
peek_vals(val *v, const sf_valtype *types, uint32_t n)
{
	vframe	   *f = &v->ctl[v->nctl - 1];

	for (uint32_t k = 0; k < n; k++)
	{
		uint8_t		expect = (uint8_t) types[n - 1 - k];
		uint8_t		t;

		if (v->nvals - f->height <= k)
		{
			if (f->unreachable)
				return SF_OK;
			return underflow(v, expect);
		}
		t = v->vals[v->nvals - 1 - k];
		if (t != expect && t != T_UNKNOWN)
			return verr(v, SF_INVALID, "type mismatch: expected %s, got %s",
						tname(expect), tname(t));
	}
	return SF_OK;
}

static sf_status
push_ctrl(val *v, uint8_t op, const sf_valtype *params, uint32_t np,
		  const sf_valtype *results, uint32_t nr)
{
	vframe	   *f;

	if (v->nctl >= v->m->cfg.max_nesting)
		return verr(v, SF_LIMIT, "control nesting too deep (limit %u)",
					v->m->cfg.max_nesting);
	if (v->nctl == v->cap_ctl)
	{
		uint32_t	ncap = v->cap_ctl ? v->cap_ctl * 2 : 64;
		vframe	   *nc = realloc(v->ctl, ncap * sizeof(vframe));

		if (!nc)
			return verr(v, SF_NOMEM, "out of memory");
		v->ctl = nc;
		v->cap_ctl = ncap;
	}
	f = &v->ctl[v->nctl++];
	if (v->nctl > v->max_ctl)
		v->max_ctl = v->nctl;
	f->op = op;
	f->unreachable = false;
	f->height = v->nvals;
	f->params = params;
	f->nparams = np;
	f->results = results;
	f->nresults = nr;
	return push_vals(v, params, np);
}

/* Check the frame's results and that nothing else is left. */
static sf_status
end_frame(val *v)
{
	vframe	   *f = &v->ctl[v->nctl - 1];

	CHECK(pop_vals(v, f->results, f->nresults));
	if (v->nvals != f->height)
		return verr(v, SF_INVALID,
					"type mismatch: %u value(s) left on the stack at the end of a block",
					v->nvals - f->height);
	return SF_OK;
}

static void
set_loops(val *v, uint32_t loops)
{
	v->loops = loops;
	v->weight = 1ull << (3 * (loops < 7 ? loops : 7));
}

static void
set_unreachable(val *v)
{
	vframe	   *f = &v->ctl[v->nctl - 1];

	v->nvals = f->height;
	f->unreachable = true;
}

static inline void
label_types(const vframe *f, const sf_valtype **types, uint32_t *n)
{
	if (f->op == 0x03)
		*types = f->params, *n = f->nparams;
	else
		*types = f->results, *n = f->nresults;
}

/* --- Immediates ---------------------------------------------------------- */

static sf_status
read_label(val *v, vframe **f)
{
	uint32_t	l;

	TRY(sf_rd_u32(&v->r, &l));
	if (l >= v->nctl)
		return verr(v, SF_INVALID, "unknown label %u", l);
	*f = &v->ctl[v->nctl - 1 - l];
	return SF_OK;
}

static sf_status
read_blocktype(val *v, const sf_valtype **p, uint32_t *np,
			   const sf_valtype **r, uint32_t *nr)
{
	uint8_t		b;
	int64_t		idx;

	*p = *r = NULL;
	*np = *nr = 0;
	if (SF_UNLIKELY(sf_rd_eof(&v->r)))
		return verr(v, SF_MALFORMED, "unexpected end");
	b = *v->r.p;
	if (b == 0x40)
	{
		v->r.p++;
		return SF_OK;
	}
	if ((*r = single((sf_valtype) b)) != NULL)
	{
		v->r.p++;
		*nr = 1;
		return SF_OK;
	}
	TRY(sf_rd_s33(&v->r, &idx));
	if (idx < 0)
		return verr(v, SF_MALFORMED, "malformed value type in block type");
	if (idx >= v->m->ntypes)
		return verr(v, SF_INVALID, "unknown type %lld", (long long) idx);
	*p = v->m->types[idx].params;
	*np = v->m->types[idx].nparams;
	*r = v->m->types[idx].results;
	*nr = v->m->types[idx].nresults;
	return SF_OK;
}

static sf_status
zero_byte(val *v)
{
	uint8_t		b;

	TRY(sf_rd_u8(&v->r, &b));
	if (b != 0)
		return verr(v, SF_MALFORMED, "zero byte expected");
	return SF_OK;
}

static sf_status
need_memory(val *v)
{
	if (v->m->nmems == 0)
		return verr(v, SF_INVALID, "unknown memory 0");
	return SF_OK;
}

static sf_status
read_table(val *v, uint32_t *t)
{
	TRY(sf_rd_u32(&v->r, t));
	if (*t >= v->m->ntables)
		return verr(v, SF_INVALID, "unknown table %u", *t);
	return SF_OK;
}

static sf_status
read_elemidx(val *v, uint32_t *e)
{
	TRY(sf_rd_u32(&v->r, e));
	if (*e >= v->m->nelems)
		return verr(v, SF_INVALID, "unknown elem segment %u", *e);
	return SF_OK;
}

static sf_status
read_dataidx(val *v)
{
	uint32_t	d;

	TRY(sf_rd_u32(&v->r, &d));
	if (!v->m->has_datacount)
		return verr(v, SF_MALFORMED, "data count section required");
	if (d >= v->m->datacount)
		return verr(v, SF_INVALID, "unknown data segment %u", d);
	return SF_OK;
}

/* --- Instructions typed by hand ------------------------------------------- */

static sf_status
op_simple_slow(val *v, const simple_sig *s)
{
	for (int i = s->npop; i-- > 0;)
		CHECK(pop(v, s->pop[i]));
	if (s->npush)
		CHECK(push(v, s->push));
	return SF_OK;
}

/*
** The bulk of all code.  When the operands are all above the frame's
** base and of the right type (or unknown), pop and push in place; the
** slow path handles the rest and words the errors.
*/
static inline __attribute__((always_inline)) sf_status
op_simple(val *v, int op)
{
	const simple_sig *s = &sigs[op];
	uint32_t	base;
	const uint8_t *top;

	if (SF_UNLIKELY(v->nvals - v->ctl[v->nctl - 1].height < s->npop ||
					v->nvals == v->cap_vals))
		return op_simple_slow(v, s);
	base = v->nvals - s->npop;
	top = v->vals + base;
	for (int i = 0; i < s->npop; i++)
		if (SF_UNLIKELY(top[i] != s->pop[i] && top[i] != T_UNKNOWN))
			return op_simple_slow(v, s);
	v->nvals = base;
	if (s->npush)
	{
		v->vals[v->nvals++] = s->push;
		if (v->nvals > v->max_vals)
			v->max_vals = v->nvals;
	}
	return SF_OK;
}

static sf_status
op_memarg(val *v, int op)
{
	uint32_t	align,
				offset;
	unsigned	natural = (unsigned) __builtin_ctz(sf_opinfo_table[op].mem);

	TRY(sf_rd_u32(&v->r, &align));
	TRY(sf_rd_u32(&v->r, &offset));
	CHECK(need_memory(v));
	if (align > natural)
		return verr(v, SF_INVALID,
					"alignment must not be larger than natural: 2**%u for %s",
					align, sf_opinfo_table[op].name);
	return op_simple(v, op);
}

static sf_status
op_block(val *v, uint8_t op)
{
	const sf_valtype *p,
			   *r;
	uint32_t	np,
				nr;

	CHECK(read_blocktype(v, &p, &np, &r, &nr));
	if (op == 0x04)
		CHECK(pop(v, SF_I32));
	CHECK(pop_vals(v, p, np));
	CHECK(push_ctrl(v, op, p, np, r, nr));
	if (op == 0x03)
		set_loops(v, v->loops + 1);
	return SF_OK;
}

static sf_status
op_else(val *v)
{
	vframe	   *f = &v->ctl[v->nctl - 1];

	if (f->op != 0x04)
		return verr(v, SF_MALFORMED, "else without matching if");
	CHECK(end_frame(v));
	f->op = 0x05;
	f->unreachable = false;
	return push_vals(v, f->params, f->nparams);
}

static bool
same_types(const sf_valtype *a, uint32_t na, const sf_valtype *b, uint32_t nb)
{
	if (na != nb)
		return false;
	for (uint32_t i = 0; i < na; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Returns SF_OK with *done set when the function's own frame ends. */
static sf_status
op_end(val *v, bool *done)
{
	vframe		f = v->ctl[v->nctl - 1];

	CHECK(end_frame(v));
	if (f.op == 0x04 && !same_types(f.params, f.nparams, f.results, f.nresults))
		return verr(v, SF_INVALID,
					"type mismatch: if without else must not change the stack types");
	v->nctl--;
	if (f.op == 0x03)
		set_loops(v, v->loops - 1);
	if (v->nctl == 0)
	{
		if (!sf_rd_eof(&v->r))
			return verr(v, SF_MALFORMED,
						"section size mismatch: %zu byte(s) after the function's end",
						sf_rd_left(&v->r));
		*done = true;
		return SF_OK;
	}
	return push_vals(v, f.results, f.nresults);
}

static sf_status
op_br(val *v, uint8_t op)
{
	vframe	   *f;
	const sf_valtype *types;
	uint32_t	n;

	CHECK(read_label(v, &f));
	label_types(f, &types, &n);
	if (op == 0x0C)
	{
		CHECK(pop_vals(v, types, n));
		set_unreachable(v);
		return SF_OK;
	}
	CHECK(pop(v, SF_I32));
	CHECK(pop_vals(v, types, n));
	return push_vals(v, types, n);
}

static sf_status
op_br_table(val *v)
{
	uint32_t	n,
				l = 0;
	sf_reader	labels;
	vframe	   *def,
			   *f;
	const sf_valtype *dtypes,
			   *types;
	uint32_t	arity,
				k;

	TRY(sf_rd_u32(&v->r, &n));
	if (n > v->m->cfg.max_br_table)
		return verr(v, SF_LIMIT, "br_table has %u targets (limit %u)",
					n, v->m->cfg.max_br_table);
	labels = v->r;
	for (uint32_t i = 0; i < n; i++)	/* the default comes last: find it */
		TRY(sf_rd_u32(&v->r, &l));
	CHECK(read_label(v, &def));
	CHECK(pop(v, SF_I32));
	label_types(def, &dtypes, &arity);
	for (uint32_t i = 0; i < n; i++)
	{
		sf_rd_u32(&labels, &l);
		if (l >= v->nctl)
			return verr(v, SF_INVALID, "unknown label %u", l);
		f = &v->ctl[v->nctl - 1 - l];
		label_types(f, &types, &k);
		if (k != arity)
			return verr(v, SF_INVALID,
						"type mismatch: br_table targets have %u and %u values",
						k, arity);
		CHECK(peek_vals(v, types, k));
	}
	CHECK(pop_vals(v, dtypes, arity));
	set_unreachable(v);
	return SF_OK;
}

static sf_status
call_type(val *v, const sf_functype *ft)
{
	CHECK(pop_vals(v, ft->params, ft->nparams));
	return push_vals(v, ft->results, ft->nresults);
}

static sf_status
op_call(val *v)
{
	uint32_t	fi;

	TRY(sf_rd_u32(&v->r, &fi));
	if (fi >= v->m->nfuncs)
		return verr(v, SF_INVALID, "unknown function %u", fi);
	if (fi >= v->m->nfunc_imports)
	{
		v->m->codes[fi - v->m->nfunc_imports].called = true;
		v->m->codes[v->func - v->m->nfunc_imports].ncalls++;
	}
	return call_type(v, sf_module_functype(v->m, fi));
}

static sf_status
op_call_indirect(val *v)
{
	uint32_t	ti,
				tab;

	TRY(sf_rd_u32(&v->r, &ti));
	TRY(sf_rd_u32(&v->r, &tab));
	if (tab >= v->m->ntables)
		return verr(v, SF_INVALID, "unknown table %u", tab);
	if (ti >= v->m->ntypes)
		return verr(v, SF_INVALID, "unknown type %u", ti);
	if (v->m->tables[tab].elem != SF_FUNCREF)
		return verr(v, SF_INVALID,
					"type mismatch: call_indirect on a table of %s",
					tname((uint8_t) v->m->tables[tab].elem));
	CHECK(pop(v, SF_I32));
	return call_type(v, &v->m->types[ti]);
}

static sf_status
op_select(val *v)
{
	uint8_t		t1,
				t2;

	CHECK(pop(v, SF_I32));
	CHECK(pop_got(v, T_UNKNOWN, &t1));
	CHECK(pop_got(v, T_UNKNOWN, &t2));
	if (is_ref(t1) || is_ref(t2))
		return verr(v, SF_INVALID,
					"type mismatch: select without a type needs numeric operands, got %s",
					tname(is_ref(t1) ? t1 : t2));
	if (t1 != t2 && t1 != T_UNKNOWN && t2 != T_UNKNOWN)
		return verr(v, SF_INVALID, "type mismatch: select of %s and %s",
					tname(t2), tname(t1));
	return push(v, t1 == T_UNKNOWN ? t2 : t1);
}

static sf_status
op_select_t(val *v)
{
	uint32_t	n;
	uint8_t		b;

	TRY(sf_rd_u32(&v->r, &n));
	if (n != 1)
		return verr(v, SF_INVALID, "invalid result arity %u for select", n);
	TRY(sf_rd_u8(&v->r, &b));
	if (!single((sf_valtype) b))
		return verr(v, SF_MALFORMED, "malformed value type 0x%02x", b);
	CHECK(pop(v, SF_I32));
	CHECK(pop(v, b));
	CHECK(pop(v, b));
	return push(v, b);
}

static sf_status
op_local(val *v, uint8_t op)
{
	uint32_t	x;
	uint8_t		t;

	TRY(sf_rd_u32(&v->r, &x));
	if (x >= v->nlocals)
		return verr(v, SF_INVALID, "unknown local %u", x);
	v->uses[x] += v->weight;
	t = v->locals[x];
	if (op == 0x20)
		return push(v, t);
	CHECK(pop(v, t));
	return op == 0x22 ? push(v, t) : SF_OK;
}

static sf_status
op_global(val *v, uint8_t op)
{
	uint32_t	x;
	const sf_globaltype *g;

	TRY(sf_rd_u32(&v->r, &x));
	if (x >= v->m->nglobals)
		return verr(v, SF_INVALID, "unknown global %u", x);
	g = &v->m->globals[x];
	if (op == 0x23)
		return push(v, (uint8_t) g->type);
	if (!g->mutable_)
		return verr(v, SF_INVALID, "global is immutable: global %u", x);
	return pop(v, (uint8_t) g->type);
}

static sf_status
op_table_getset(val *v, uint8_t op)
{
	uint32_t	t;
	uint8_t		et;

	CHECK(read_table(v, &t));
	et = (uint8_t) v->m->tables[t].elem;
	if (op == 0x25)
	{
		CHECK(pop(v, SF_I32));
		return push(v, et);
	}
	CHECK(pop(v, et));
	return pop(v, SF_I32);
}

static sf_status
op_memidx(val *v, int op)
{
	CHECK(zero_byte(v));
	CHECK(need_memory(v));
	return op_simple(v, op);
}

static sf_status
op_const(val *v, uint8_t op)
{
	int32_t		i32;
	int64_t		i64;
	const uint8_t *b;

	switch (op)
	{
		case 0x41:
			TRY(sf_rd_s32(&v->r, &i32));
			return push(v, SF_I32);
		case 0x42:
			TRY(sf_rd_s64(&v->r, &i64));
			return push(v, SF_I64);
		case 0x43:
			TRY(sf_rd_bytes(&v->r, 4, &b));
			return push(v, SF_F32);
		default:
			TRY(sf_rd_bytes(&v->r, 8, &b));
			return push(v, SF_F64);
	}
}

static sf_status
op_ref(val *v, uint8_t op)
{
	uint8_t		t;
	uint32_t	fi;

	switch (op)
	{
		case 0xD0:
			TRY(sf_rd_u8(&v->r, &t));
			if (!is_ref(t))
				return verr(v, SF_MALFORMED, "malformed reference type 0x%02x", t);
			return push(v, t);
		case 0xD1:
			CHECK(pop_got(v, T_UNKNOWN, &t));
			if (t != T_UNKNOWN && !is_ref(t))
				return verr(v, SF_INVALID,
							"type mismatch: expected a reference, got %s", tname(t));
			return push(v, SF_I32);
		default:
			TRY(sf_rd_u32(&v->r, &fi));
			if (fi >= v->m->nfuncs)
				return verr(v, SF_INVALID, "unknown function %u", fi);
			if (!(v->m->declared_funcs[fi >> 3] & (1u << (fi & 7))))
				return verr(v, SF_INVALID, "undeclared function reference %u", fi);
			return push(v, SF_FUNCREF);
	}
}

static sf_status
pop3(val *v, uint8_t a, uint8_t b, uint8_t c)
{
	CHECK(pop(v, c));
	CHECK(pop(v, b));
	return pop(v, a);
}

static sf_status
op_table_misc(val *v, uint32_t sub)
{
	uint32_t	t,
				t2,
				e;
	uint8_t		et;

	switch (sub)
	{
		case 12:				/* table.init elem table */
			CHECK(read_elemidx(v, &e));
			CHECK(read_table(v, &t));
			if (v->m->elems[e].type != v->m->tables[t].elem)
				return verr(v, SF_INVALID, "type mismatch: table.init of %s into %s table",
							tname((uint8_t) v->m->elems[e].type),
							tname((uint8_t) v->m->tables[t].elem));
			return pop3(v, SF_I32, SF_I32, SF_I32);
		case 13:				/* elem.drop */
			return read_elemidx(v, &e);
		case 14:				/* table.copy dst src */
			CHECK(read_table(v, &t));
			CHECK(read_table(v, &t2));
			if (v->m->tables[t].elem != v->m->tables[t2].elem)
				return verr(v, SF_INVALID, "type mismatch: table.copy between tables of %s and %s",
							tname((uint8_t) v->m->tables[t].elem),
							tname((uint8_t) v->m->tables[t2].elem));
			return pop3(v, SF_I32, SF_I32, SF_I32);
	}
	CHECK(read_table(v, &t));
	et = (uint8_t) v->m->tables[t].elem;
	switch (sub)
	{
		case 15:				/* table.grow */
			CHECK(pop(v, SF_I32));
			CHECK(pop(v, et));
			return push(v, SF_I32);
		case 16:				/* table.size */
			return push(v, SF_I32);
		default:				/* table.fill */
			return pop3(v, SF_I32, et, SF_I32);
	}
}

static sf_status
op_prefix_fc(val *v)
{
	uint32_t	sub;
	int			op;

	TRY(sf_rd_u32(&v->r, &sub));
	op = sf_opcode_lookup(0xFC, sub);
	if (op < 0)
		return verr(v, SF_MALFORMED, "illegal opcode 0xfc %u", sub);
	switch (sub)
	{
		case 8:					/* memory.init data 0 */
			CHECK(read_dataidx(v));
			CHECK(zero_byte(v));
			CHECK(need_memory(v));
			return op_simple(v, op);
		case 9:					/* data.drop */
			return read_dataidx(v);
		case 10:				/* memory.copy 0 0 */
			CHECK(zero_byte(v));
			/* fall through */
		case 11:				/* memory.fill 0 */
			return op_memidx(v, op);
	}
	if (sub >= 12)
		return op_table_misc(v, sub);
	return op_simple(v, op);
}

/* --- Function bodies ---------------------------------------------------- */

static sf_status
instr(val *v, bool *done)
{
	uint8_t		b;

	v->op = v->r.p;
	TRY(sf_rd_u8(&v->r, &b));
	switch (b)
	{
		case 0x00:
			set_unreachable(v);
			return SF_OK;
		case 0x01:
			return SF_OK;
		case 0x02:
		case 0x03:
		case 0x04:
			return op_block(v, b);
		case 0x05:
			return op_else(v);
		case 0x0B:
			return op_end(v, done);
		case 0x0C:
		case 0x0D:
			return op_br(v, b);
		case 0x0E:
			return op_br_table(v);
		case 0x0F:
			CHECK(pop_vals(v, v->ctl[0].results, v->ctl[0].nresults));
			set_unreachable(v);
			return SF_OK;
		case 0x10:
			return op_call(v);
		case 0x11:
			return op_call_indirect(v);
		case 0x1A:
			return pop(v, T_UNKNOWN);
		case 0x1B:
			return op_select(v);
		case 0x1C:
			return op_select_t(v);
		case 0x20:
		case 0x21:
		case 0x22:
			return op_local(v, b);
		case 0x23:
		case 0x24:
			return op_global(v, b);
		case 0x25:
		case 0x26:
			return op_table_getset(v, b);
		case 0x28 ... 0x3E:
			return op_memarg(v, op_of_byte[b]);
		case 0x3F:
		case 0x40:
			return op_memidx(v, op_of_byte[b]);
		case 0x41 ... 0x44:
			return op_const(v, b);
		case 0x45 ... 0xC4:
			return op_simple(v, op_of_byte[b]);
		case 0xD0 ... 0xD2:
			return op_ref(v, b);
		case 0xFC:
			return op_prefix_fc(v);
	}
	return verr(v, SF_MALFORMED, "illegal opcode 0x%02x", b);
}

static sf_status
setup_locals(val *v, const sf_functype *ft, const sf_code *c)
{
	uint64_t	n = (uint64_t) ft->nparams + c->nlocals;
	uint32_t	k = 0;

	if (n > v->m->cfg.max_locals)
		return verr(v, SF_LIMIT, "too many locals: %llu (limit %u)",
					(unsigned long long) n, v->m->cfg.max_locals);
	if (n > v->cap_locals)
	{
		uint8_t    *nl = realloc(v->locals, n);
		uint64_t   *nu;

		if (!nl)
			return verr(v, SF_NOMEM, "out of memory");
		v->locals = nl;
		nu = realloc(v->uses, n * sizeof(uint64_t));
		if (!nu)
			return verr(v, SF_NOMEM, "out of memory");
		v->uses = nu;
		v->cap_locals = (uint32_t) n;
	}
	if (n > 0)					/* uses is NULL while no body had a local */
		memset(v->uses, 0, n * sizeof(uint64_t));
	for (uint32_t i = 0; i < ft->nparams; i++)
		v->locals[k++] = (uint8_t) ft->params[i];
	for (uint32_t i = 0; i < c->nruns; i++)
		for (uint32_t j = 0; j < c->runs[i].count; j++)
			v->locals[k++] = (uint8_t) c->runs[i].type;
	v->nlocals = k;
	return SF_OK;
}

/* --- Hot locals (module.h) --------------------------------------------- */

/*
** Local 'l' into the list of the 'max' most used ones, most used first.
** Locals come in index order, so an insertion after every entry used as
** much or more breaks ties to the lower index.
*/
static void
rank_hot(const val *v, uint32_t l, uint32_t *out, uint32_t *n, uint32_t max)
{
	uint64_t	u = v->uses[l];
	uint32_t	at = *n;

	if (u < 2)
		return;
	while (at > 0 && v->uses[out[at - 1]] < u)
		at--;
	if (at >= max)
		return;
	if (*n < max)
		(*n)++;
	for (uint32_t k = *n - 1; k > at; k--)
		out[k] = out[k - 1];
	out[at] = l;
}

/* One pass over the locals: ranked lists, and the first ones in index order. */
static __attribute__((noinline)) sf_status
keep_hot(val *v, sf_code *c)
{
	uint32_t	ranked_i[SF_TARGET_HOT_INT], ranked_f[SF_TARGET_HOT_FLOAT];
	uint32_t	first_i[SF_TARGET_HOT_INT], first_f[SF_TARGET_HOT_FLOAT];
	uint32_t	nri = 0, nrf = 0, ni = 0, nf = 0;
	bool		all;
	uint32_t   *out;

	if (v->cap_hot - v->nhot < SF_TARGET_HOT_INT + SF_TARGET_HOT_FLOAT)
	{
		uint64_t	ncap = v->cap_hot ? 2ull * v->cap_hot : 256;
		uint32_t   *np;

		if (ncap > UINT32_MAX)
			return verr(v, SF_LIMIT, "too many functions");
		np = realloc(v->m->hot_pool, ncap * sizeof(uint32_t));
		if (!np)
			return verr(v, SF_NOMEM, "out of memory");
		v->m->hot_pool = np;
		v->cap_hot = (uint32_t) ncap;
	}
	for (uint32_t l = 0; l < v->nlocals; l++)
	{
		uint8_t		t = v->locals[l];

		if (t == SF_I32 || t == SF_I64)
		{
			if (ni < SF_TARGET_HOT_INT)
				first_i[ni] = l;
			ni++;
			rank_hot(v, l, ranked_i, &nri, SF_TARGET_HOT_INT);
		}
		else if (t == SF_F32 || t == SF_F64)
		{
			if (nf < SF_TARGET_HOT_FLOAT)
				first_f[nf] = l;
			nf++;
			rank_hot(v, l, ranked_f, &nrf, SF_TARGET_HOT_FLOAT);
		}
	}
	/* all fit: every one of them, in index order, used or not */
	all = ni <= SF_TARGET_HOT_INT && nf <= SF_TARGET_HOT_FLOAT;
	if (all)
	{
		memcpy(ranked_i, first_i, ni * sizeof(uint32_t));
		memcpy(ranked_f, first_f, nf * sizeof(uint32_t));
		nri = ni;
		nrf = nf;
	}
	out = v->m->hot_pool + v->nhot;
	memcpy(out, ranked_i, nri * sizeof(uint32_t));
	memcpy(out + nri, ranked_f, nrf * sizeof(uint32_t));
	c->hot_off = v->nhot;
	c->nhot_int = (uint8_t) nri;
	c->nhot_float = (uint8_t) nrf;
	v->nhot += nri + nrf;
	return SF_OK;
}

static sf_status
validate_body(val *v, uint32_t func)
{
	sf_code    *c = &v->m->codes[func - v->m->nfunc_imports];
	const sf_functype *ft = sf_module_functype(v->m, func);
	bool		done = false;

	v->func = func;
	c->ncalls = 0;
	sf_rd_init(&v->r, v->m->bytes, c->expr_off, c->end_off);
	v->op = v->r.p;
	v->nvals = v->nctl = v->max_vals = v->max_ctl = 0;
	set_loops(v, 0);
	CHECK(setup_locals(v, ft, c));
	CHECK(push_ctrl(v, 0, NULL, 0, ft->results, ft->nresults));
	while (!done)
		CHECK(instr(v, &done));
	c->max_stack = v->max_vals;
	c->max_depth = v->max_ctl;
	return keep_hot(v, c);
}

/* --- Module-level rules ----------------------------------------------- */

static sf_status SF_PRINTF(3, 4)
merr(sf_error *err, sf_status st, const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	sf_error_vset(err, st, fmt, ap);
	va_end(ap);
	return st;
}

static sf_status
check_limits(sf_error *err, const sf_limits *l, uint64_t bound,
			 const char *what, uint32_t idx)
{
	if (l->min > bound || (l->has_max && l->max > bound))
	{
		if (bound == 65536)
			return merr(err, SF_INVALID,
						"%s %u: memory size must be at most 65536 pages (4GiB)",
						what, idx);
		return merr(err, SF_INVALID, "%s %u: size out of range", what, idx);
	}
	if (l->has_max && l->min > l->max)
		return merr(err, SF_INVALID,
					"%s %u: size minimum must not be greater than maximum", what, idx);
	return SF_OK;
}

static sf_status
check_types_of_space(const sf_module *m, sf_error *err)
{
	if (m->nmems > 1)
		return merr(err, SF_INVALID, "multiple memories: %u", m->nmems);
	for (uint32_t i = 0; i < m->nfuncs; i++)
		if (m->func_types[i] >= m->ntypes)
			return merr(err, SF_INVALID, "func %u: unknown type %u",
						i, m->func_types[i]);
	for (uint32_t i = 0; i < m->ntables; i++)
	{
		CHECK(check_limits(err, &m->tables[i].lim, UINT32_MAX, "table", i));
		if (m->tables[i].lim.min > m->cfg.max_table_size)
			return merr(err, SF_LIMIT, "table %u: minimum size %llu exceeds the limit %u",
						i, (unsigned long long) m->tables[i].lim.min,
						m->cfg.max_table_size);
	}
	for (uint32_t i = 0; i < m->nmems; i++)
		CHECK(check_limits(err, &m->mems[i], 65536, "memory", i));
	return SF_OK;
}

static void
declare(sf_module *m, const sf_constexpr *ce)
{
	if (ce->op == SF_OP_REF_FUNC && ce->v.index < m->nfuncs)
		m->declared_funcs[ce->v.index >> 3] |= (uint8_t) (1u << (ce->v.index & 7));
}

/* C.refs: functions referenced outside function bodies. */
static sf_status
collect_refs(sf_module *m, sf_error *err)
{
	m->declared_funcs = calloc(m->nfuncs / 8 + 1, 1);
	if (!m->declared_funcs)
		return merr(err, SF_NOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nglobals - m->nglobal_imports; i++)
		declare(m, &m->global_inits[i]);
	for (uint32_t i = 0; i < m->nelems; i++)
		for (uint32_t j = 0; j < m->elems[i].count; j++)
			declare(m, &m->elems[i].items[j]);
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].kind == SF_EXTERN_FUNC && m->exports[i].index < m->nfuncs)
		{
			uint32_t	f = m->exports[i].index;

			m->declared_funcs[f >> 3] |= (uint8_t) (1u << (f & 7));
		}
	return SF_OK;
}

/*
** A constant expression of type 'expect'; global.get may only name one
** of the first 'nvisible' globals (the imported ones: the 2.0 test suite
** rejects defined globals in offsets too), and only an immutable one.  Fills in
** the type of a global.get for the passes after us.
*/
static sf_status
check_const(sf_module *m, sf_error *err, sf_constexpr *ce, sf_valtype expect,
			uint32_t nvisible, const char *what, uint32_t idx)
{
	if (ce->op == SF_OP_GLOBAL_GET)
	{
		if (ce->v.index >= nvisible)
			return merr(err, SF_INVALID, "%s %u: unknown global %u",
						what, idx, ce->v.index);
		if (m->globals[ce->v.index].mutable_)
			return merr(err, SF_INVALID,
						"%s %u: constant expression required, global %u is mutable",
						what, idx, ce->v.index);
		ce->type = m->globals[ce->v.index].type;
	}
	if (ce->op == SF_OP_REF_FUNC && ce->v.index >= m->nfuncs)
		return merr(err, SF_INVALID, "%s %u: unknown function %u",
					what, idx, ce->v.index);
	if (ce->type != expect)
		return merr(err, SF_INVALID, "%s %u: type mismatch: expected %s, got %s",
					what, idx, sf_valtype_name(expect), sf_valtype_name(ce->type));
	return SF_OK;
}

static sf_status
check_globals(sf_module *m, sf_error *err)
{
	for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
		CHECK(check_const(m, err, &m->global_inits[i - m->nglobal_imports],
						  m->globals[i].type, m->nglobal_imports, "global", i));
	return SF_OK;
}

static sf_status
check_elems(sf_module *m, sf_error *err)
{
	for (uint32_t i = 0; i < m->nelems; i++)
	{
		sf_elem    *e = &m->elems[i];

		if (e->mode == SF_SEG_ACTIVE)
		{
			if (e->table >= m->ntables)
				return merr(err, SF_INVALID, "elem %u: unknown table %u", i, e->table);
			if (m->tables[e->table].elem != e->type)
				return merr(err, SF_INVALID,
							"elem %u: type mismatch: %s segment for a %s table", i,
							sf_valtype_name(e->type),
							sf_valtype_name(m->tables[e->table].elem));
			CHECK(check_const(m, err, &e->offset, SF_I32, m->nglobal_imports, "elem", i));
		}
		for (uint32_t j = 0; j < e->count; j++)
			CHECK(check_const(m, err, &e->items[j], e->type, m->nglobal_imports, "elem", i));
	}
	return SF_OK;
}

static sf_status
check_datas(sf_module *m, sf_error *err)
{
	for (uint32_t i = 0; i < m->ndatas; i++)
	{
		sf_data    *d = &m->datas[i];

		if (d->mode != SF_SEG_ACTIVE)
			continue;
		if (d->memory >= m->nmems)
			return merr(err, SF_INVALID, "data %u: unknown memory %u", i, d->memory);
		CHECK(check_const(m, err, &d->offset, SF_I32, m->nglobal_imports, "data", i));
	}
	return SF_OK;
}

static uint32_t
name_hash(const sf_name *n)
{
	uint32_t	h = 2166136261u;

	for (uint32_t i = 0; i < n->len; i++)
		h = (h ^ (uint8_t) n->ptr[i]) * 16777619u;
	return h;
}

/* Export names must be unique: an open-addressing set of export indices. */
static sf_status
check_export_names(const sf_module *m, sf_error *err)
{
	uint32_t	size = 16;
	uint32_t   *slots;
	sf_status	st = SF_OK;

	while (size < 2 * (uint64_t) m->nexports)
		size *= 2;
	slots = calloc(size, sizeof(uint32_t));
	if (!slots)
		return merr(err, SF_NOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nexports && st == SF_OK; i++)
	{
		const sf_name *n = &m->exports[i].name;
		uint32_t	h = name_hash(n) & (size - 1);

		for (; slots[h] != 0; h = (h + 1) & (size - 1))
		{
			const sf_name *o = &m->exports[slots[h] - 1].name;

			if (o->len == n->len && memcmp(o->ptr, n->ptr, n->len) == 0)
			{
				st = merr(err, SF_INVALID, "duplicate export name \"%.*s\"",
						  (int) (n->len > 64 ? 64 : n->len), n->ptr);
				break;
			}
		}
		slots[h] = i + 1;
	}
	free(slots);
	return st;
}

static sf_status
check_exports(const sf_module *m, sf_error *err)
{
	static const char *const kinds[] = {"function", "table", "memory", "global"};

	for (uint32_t i = 0; i < m->nexports; i++)
	{
		const sf_export *e = &m->exports[i];
		uint32_t	n = e->kind == SF_EXTERN_FUNC ? m->nfuncs :
			e->kind == SF_EXTERN_TABLE ? m->ntables :
			e->kind == SF_EXTERN_MEMORY ? m->nmems : m->nglobals;

		if (e->index >= n)
			return merr(err, SF_INVALID, "export %u: unknown %s %u",
						i, kinds[e->kind], e->index);
	}
	return check_export_names(m, err);
}

static sf_status
check_start(const sf_module *m, sf_error *err)
{
	const sf_functype *ft;

	if (!m->has_start)
		return SF_OK;
	if (m->start >= m->nfuncs)
		return merr(err, SF_INVALID, "unknown function %u as start function", m->start);
	ft = sf_module_functype(m, m->start);
	if (ft->nparams || ft->nresults)
		return merr(err, SF_INVALID,
					"start function %u must have type [] -> []", m->start);
	return SF_OK;
}

static sf_status
check_bodies(sf_module *m, sf_error *err)
{
	val			v;
	sf_status	st = SF_OK;

	memset(&v, 0, sizeof(v));
	v.m = m;
	v.err = err;
	for (uint32_t f = m->nfunc_imports; f < m->nfuncs && st == SF_OK; f++)
		st = sf_interrupt_check(err) ? SF_TRAP : validate_body(&v, f);
	free(v.vals);
	free(v.ctl);
	free(v.locals);
	free(v.uses);
	return st;
}

sf_status
sf_validate_module(sf_module *m, sf_error *err)
{
	pthread_once(&tables_once, init_tables);
	for (uint32_t i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == SF_EXTERN_FUNC &&
			m->imports[i].desc.type_index >= m->ntypes)
			return merr(err, SF_INVALID, "import %u: unknown type %u",
						i, m->imports[i].desc.type_index);
	CHECK(check_types_of_space(m, err));
	CHECK(collect_refs(m, err));
	CHECK(check_globals(m, err));
	CHECK(check_elems(m, err));
	CHECK(check_datas(m, err));
	CHECK(check_exports(m, err));
	CHECK(check_start(m, err));
	return check_bodies(m, err);
}
