/*
** compile_float.c -- lowering of floating-point operators and conversions
** (SSE2 plus SSE4.1 roundss/roundsd).
**
** WebAssembly semantics that x86 does not give for free: min/max return
** NaN if either operand is NaN and order -0 below +0; abs/neg/copysign
** are pure bit operations (no NaN canonicalisation); float->int
** conversions trap (or saturate) outside the exact range, which is checked
** in double precision before converting (every f32 is exact as a double).
*/
#include <stdlib.h>
#include <string.h>

#include "compile_inline.h"

static uint64_t
dbits(double d)
{
	uint64_t	u;

	memcpy(&u, &d, 8);
	return u;
}

static int
read_f(cstate *c, sval *v, uint32_t depth, int scratch)
{
	if (v->kind == VK_REG)
		return v->reg;
	cg_load_scratch(c, v, depth, scratch);
	return scratch;
}

/* xmm 'x' = a 32/64-bit constant bit pattern (from the pool). */
static void
xconst(cstate *c, int x, int dbl, uint64_t bits)
{
	cg_load_fconst(c, dbl, x, bits);
}

/*
** The second operand of a float operation: in a register, in a frame slot,
** or a constant in the pool.  The operand is 'dst op= b' (SSE) or 'dst =
** src op b' (AVX).
*/
static void
sse_with(cstate *c, x64_sse op, int dbl, int dst, int src, const sval *b, uint32_t db)
{
	bool		avx = src != dst;

	if (b->kind == VK_REG)
	{
		if (avx)
			x64_vsse_rr(c->b, op, dbl, dst, src, b->reg);
		else
			x64_sse_rr(c->b, op, dbl, dst, b->reg);
		return;
	}
	{
		x64_mem		m = b->kind == VK_CONST ? CG_POOL : cg_mem_of(c, b, db);

		if (avx)
			x64_vsse_rm(c->b, op, dbl, dst, src, m);
		else
			x64_sse_rm(c->b, op, dbl, dst, m);
		if (b->kind == VK_CONST)
			cg_pool_use(c, (uint64_t) b->imm);
	}
}

/*
** Where a float result goes: the register local the next local.set/tee
** writes (cg_next_set_local), one of the operands' own registers, or a
** fresh one.  The entry to push is left in *res.
*/
static int
f_result(cstate *c, int l, const sval *a, const sval *b, sval *res)
{
	*res = *a;
	if (l >= 0)
		return cg_target_local(c, res, l);
	if (owned_reg(a))
		return a->reg;
	if (b != NULL && owned_reg(b))
	{
		*res = *b;
		return b->reg;
	}
	res->kind = VK_REG;
	res->borrowed = 0;
	res->reg = (uint8_t) cg_alloc_xmm(c);
	return res->reg;
}

/* The operands are popped in place (cg_pop_ref): the push comes last. */
void
cg_f_binop(cstate *c, x64_sse op, int dbl)
{
	sval	   *a, *b, res;
	uint32_t	da, db;
	int			l, r;

	cg_pop2_ref(c, &a, &b);
	da = c->sp;
	db = c->sp + 1;
	l = cg_next_set_local(c);

	if ((op == X64_ADDS || op == X64_MULS) &&
		(l >= 0 ? cg_reads_local(b, l) && !cg_reads_local(a, l)
		 : a->kind == VK_CONST || (!owned_reg(a) && owned_reg(b))))
	{
		sval	   *t = a;

		a = b;
		b = t;
		da = db;
		db = c->sp;
	}
	if (l >= 0 && cg_reads_local(a, l))
	{
		/* x = x op y: the local's register in place */
		cg_local_written(c, (uint32_t) l);
		sse_with(c, op, dbl, a->reg, a->reg, b, db);
		cg_release(c, b);
		cg_push(c, *a);
		return;
	}
	if (c->ms->avx)
	{
		/* three operands: a stays where it is (xmm0 when not in a register) */
		r = f_result(c, l, a, b, &res);
		sse_with(c, op, dbl, r, a->kind == VK_REG ? a->reg : (cg_load_scratch(c, a, da, 0), 0), b, db);
	}
	else if (l >= 0 && !cg_reads_local(b, l))
	{
		/* a into the local's register, then the operation there */
		r = f_result(c, l, a, NULL, &res);
		cg_load_scratch(c, a, da, r);
		sse_with(c, op, dbl, r, r, b, db);
	}
	else
	{
		r = cg_own(c, a, da);
		res = *a;
		sse_with(c, op, dbl, r, r, b, db);
	}
	if (!(b->kind == VK_REG && b->reg == r && res.kind == VK_REG && !res.borrowed))
		cg_release(c, b);
	if (!(a->kind == VK_REG && a->reg == r))
		cg_release(c, a);
	cg_push(c, res);
}

void
cg_f_minmax(cstate *c, bool is_min, int dbl)
{
	sval		b = cg_pop(c), a = cg_pop(c);
	uint32_t	da = c->sp, db = c->sp + 1;
	int			r = cg_own(c, &a, da);
	int			rb = read_f(c, &b, db, 1);
	size_t		nan, normal, done1, done2;

	x64_ucomis_rr(c->b, dbl, r, rb);
	nan = cg_jcc8(c, X64_CC_P);
	normal = cg_jcc8(c, X64_CC_NE);
	/* equal: only the sign of a zero can differ */
	x64_sselogic_rr(c->b, is_min ? X64_ORP : X64_ANDP, 0, r, rb);
	done1 = cg_jmp8(c);
	x64_bind8(c->b, normal);
	x64_sse_rr(c->b, is_min ? X64_MINS : X64_MAXS, dbl, r, rb);
	done2 = cg_jmp8(c);
	x64_bind8(c->b, nan);
	x64_sse_rr(c->b, X64_ADDS, dbl, r, rb);	/* propagates a quiet NaN */
	x64_bind8(c->b, done1);
	x64_bind8(c->b, done2);
	cg_release(c, &b);
	cg_push_reg(c, (uint8_t) a.type, r);
}

void
cg_f_unop(cstate *c, int op, int dbl)
{
	sval		a = cg_pop(c), res;
	int			l = cg_next_set_local(c);
	uint64_t	sign = dbl ? 0x8000000000000000ull : 0x80000000ull;
	int			r,
				src;

	/* the result's register (the local it goes to, a's own, a fresh one), then a */
	r = f_result(c, l, &a, NULL, &res);
	src = a.kind == VK_REG ? a.reg : r;
	if (a.kind != VK_REG)
		cg_load_scratch(c, &a, c->sp, r);
	switch (op)
	{
		case SF_OP_F32_ABS:
		case SF_OP_F64_ABS:
		case SF_OP_F32_NEG:
		case SF_OP_F64_NEG:
			{
				bool		abs = op == SF_OP_F32_ABS || op == SF_OP_F64_ABS;
				uint64_t	mask = abs ? ~sign & (dbl ? ~0ull : 0xFFFFFFFFull) : sign;
				x64_sselogic lop = abs ? X64_ANDP : X64_XORP;

				if (c->ms->avx)
				{
					/* reads 16 bytes: the pool has room after every entry */
					x64_vsselogic_rm(c->b, lop, 0, r, src, CG_POOL);
					cg_pool_use(c, mask);
					break;
				}
				if (src != r)
					x64_movaps(c->b, r, src);
				xconst(c, 0, dbl, mask);
				x64_sselogic_rr(c->b, lop, 0, r, 0);
				break;
			}
		case SF_OP_F32_SQRT:
		case SF_OP_F64_SQRT:
			x64_sse_rr(c->b, X64_SQRT, dbl, r, src);
			break;
		case SF_OP_F32_CEIL:
		case SF_OP_F64_CEIL:
			x64_rounds(c->b, dbl, r, src, 2);
			break;
		case SF_OP_F32_FLOOR:
		case SF_OP_F64_FLOOR:
			x64_rounds(c->b, dbl, r, src, 1);
			break;
		case SF_OP_F32_TRUNC:
		case SF_OP_F64_TRUNC:
			x64_rounds(c->b, dbl, r, src, 3);
			break;
		default:
			x64_rounds(c->b, dbl, r, src, 0);
			break;
	}
	if (!(a.kind == VK_REG && a.reg == r))
		cg_release(c, &a);
	cg_push(c, res);
}

void
cg_f_copysign(cstate *c, int dbl)
{
	sval		b = cg_pop(c), a = cg_pop(c);
	uint32_t	da = c->sp, db = c->sp + 1;
	int			r = cg_own(c, &a, da);
	uint64_t	sign = dbl ? 0x8000000000000000ull : 0x80000000ull;

	if (b.kind == VK_REG)
		x64_movaps(c->b, 1, b.reg);
	else
		cg_load_scratch(c, &b, db, 1);
	xconst(c, 0, dbl, sign);
	x64_sselogic_rr(c->b, X64_ANDP, 0, 1, 0);	/* xmm1 = sign of b */
	x64_sselogic_rr(c->b, X64_ANDNP, 0, 0, r);	/* xmm0 = a without sign */
	x64_sselogic_rr(c->b, X64_ORP, 0, 0, 1);
	x64_movaps(c->b, r, 0);
	cg_release(c, &b);
	cg_push_reg(c, (uint8_t) a.type, r);
}

void
cg_f_cmp(cstate *c, int op, int dbl)
{
	sval		b = cg_pop(c), a = cg_pop(c);
	uint32_t	da = c->sp, db = c->sp + 1;
	int			ra = read_f(c, &a, da, 0);
	int			rb = read_f(c, &b, db, 1);
	int			k = dbl ? op - SF_OP_F64_EQ : op - SF_OP_F32_EQ;

	cg_release(c, &a);
	cg_release(c, &b);
	switch (k)
	{
		case 0:					/* eq: ZF and not PF */
		case 1:					/* ne: not ZF or PF */
			{
				int			r = cg_alloc_gpr(c);

				x64_ucomis_rr(c->b, dbl, ra, rb);
				x64_setcc(c->b, k == 0 ? X64_CC_E : X64_CC_NE, r);
				x64_setcc(c->b, k == 0 ? X64_CC_NP : X64_CC_P, X64_RCX);
				x64_movzx_rr(c->b, 1, r, r);
				x64_movzx_rr(c->b, 1, X64_RCX, X64_RCX);
				x64_alu_rr(c->b, k == 0 ? X64_AND : X64_OR, 0, r, X64_RCX);
				cg_push_reg(c, SF_I32, r);
				return;
			}
		case 2:					/* lt: b > a, false when unordered */
			x64_ucomis_rr(c->b, dbl, rb, ra);
			cg_push_flags(c, X64_CC_A);
			return;
		case 3:					/* gt */
			x64_ucomis_rr(c->b, dbl, ra, rb);
			cg_push_flags(c, X64_CC_A);
			return;
		case 4:					/* le */
			x64_ucomis_rr(c->b, dbl, rb, ra);
			cg_push_flags(c, X64_CC_AE);
			return;
		default:				/* ge */
			x64_ucomis_rr(c->b, dbl, ra, rb);
			cg_push_flags(c, X64_CC_AE);
			return;
	}
}

/* ---- conversions ---------------------------------------------------------------------- */

typedef struct truncinfo
{
	double		lb, ub;			/* exclusive bounds of the valid range */
	bool		to64, sgn;
	int64_t		minv, maxv;		/* saturation values */
} truncinfo;

static const truncinfo trunc_i32_s = {-2147483649.0, 2147483648.0, false, true, INT32_MIN, INT32_MAX};
static const truncinfo trunc_i32_u = {-1.0, 4294967296.0, false, false, 0, 0xFFFFFFFFll};
static const truncinfo trunc_i64_s = {-9223372036854777856.0, 9223372036854775808.0, true, true, INT64_MIN, INT64_MAX};
static const truncinfo trunc_i64_u = {-1.0, 18446744073709551616.0, true, false, 0, -1};

/* Convert xmm0 (a double known to be in range) to an integer in 'r'. */
static void
convert_in_range(cstate *c, const truncinfo *ti, int r)
{
	if (!ti->to64 && ti->sgn)
	{
		x64_cvtts2si(c->b, 1, 0, r, 0);
		return;
	}
	if (!ti->to64)
	{
		x64_cvtts2si(c->b, 1, 1, r, 0);
		x64_mov_rr(c->b, 0, r, r);
		return;
	}
	if (ti->sgn)
	{
		x64_cvtts2si(c->b, 1, 1, r, 0);
		return;
	}
	{
		size_t		big, done;

		xconst(c, 1, 1, dbits(9223372036854775808.0));
		x64_ucomis_rr(c->b, 1, 0, 1);
		big = cg_jcc8(c, X64_CC_AE);
		x64_cvtts2si(c->b, 1, 1, r, 0);
		done = cg_jmp8(c);
		x64_bind8(c->b, big);
		x64_sse_rr(c->b, X64_SUBS, 1, 0, 1);
		x64_cvtts2si(c->b, 1, 1, r, 0);
		x64_mov_ri(c->b, 1, X64_RAX, INT64_MIN);
		x64_alu_rr(c->b, X64_XOR, 1, r, X64_RAX);
		x64_bind8(c->b, done);
	}
}

/*
** A trapping conversion to a signed integer, or to u32: convert first (to
** 64 bits for u32), and only when the result is the CPU's sentinel (the
** most negative integer, for NaN and out of range) or, for u32, does not
** fit in 32 bits, go out of line (cg_f_cold) to tell a trap from an
** in-range result.
*/
static void
trunc_fast(cstate *c, bool to64, bool sgn, bool src_dbl, int ra, int r)
{
	cold_conv  *k;
	size_t		jcc;

	cg_fuel_may_trap(c);
	if (sgn)
	{
		x64_cvtts2si(c->b, src_dbl, to64, r, ra);
		/* r - 1 overflows only for the most negative integer */
		x64_alu_ri(c->b, X64_CMP, to64, r, 1);
		jcc = cg_jcc32(c, X64_CC_O);
	}
	else
	{
		x64_cvtts2si(c->b, src_dbl, 1, r, ra);
		x64_mov_rr(c->b, 1, X64_RAX, r);
		x64_shift_ri(c->b, X64_SHR, 1, X64_RAX, 32);
		jcc = cg_jcc32(c, X64_CC_NE);
	}
	if (c->ncold == c->capcold)
	{
		uint32_t	ncap = c->capcold ? 2 * c->capcold : 8;
		cold_conv  *nk = realloc(c->cold, ncap * sizeof(cold_conv));

		if (nk == NULL)
		{
			cg_fail(c, SF_NOMEM, "out of memory");
			return;
		}
		c->cold = nk;
		c->capcold = ncap;
	}
	k = &c->cold[c->ncold++];
	*k = (cold_conv) {(uint32_t) jcc, (uint32_t) x64_pos(c->b), c->op_start, (uint8_t) ra,
	src_dbl, sgn, to64};
}

/*
** The out-of-line halves of trunc_fast, after the function's code: NaN
** traps as an invalid conversion; a signed conversion whose source lies
** between the exclusive lower bound and 0 had the most negative integer as
** its true result, and goes back; anything else overflowed.  The trap
** branches are noted at the conversion's wasm offset.
*/
void
cg_f_cold(cstate *c)
{
	const uint8_t *op = c->op_start;

	for (uint32_t i = 0; i < c->ncold && c->status == SF_OK; i++)
	{
		const cold_conv *k = &c->cold[i];

		c->op_start = k->op_start;
		x64_bind32(c->b, k->jcc, x64_pos(c->b));
		/* the code map: this code is the conversion's, from its first byte */
		cg_map_note(c);
		/* xmm1 = the source as a double */
		if (!k->src_dbl)
			x64_cvts2s(c->b, 0, 1, k->x);
		else if (k->x != 1)
			x64_movs_rr(c->b, 1, 1, k->x);
		x64_ucomis_rr(c->b, 1, 1, 1);
		cg_trap_if(c, X64_CC_P, SF_TRAP_INVALID_CONV);
		if (k->sgn)
		{
			const truncinfo *ti = k->to64 ? &trunc_i64_s : &trunc_i32_s;

			xconst(c, 0, 1, dbits(ti->lb));
			x64_ucomis_rr(c->b, 1, 1, 0);
			cg_trap_if(c, X64_CC_BE, SF_TRAP_INT_OVERFLOW);
			x64_sselogic_rr(c->b, X64_XORP, 0, 0, 0);
			x64_ucomis_rr(c->b, 1, 1, 0);
			cg_trap_if(c, X64_CC_AE, SF_TRAP_INT_OVERFLOW);
			x64_bind32(c->b, cg_jmp32(c), k->back);
		}
		else
			cg_trap_now(c, SF_TRAP_INT_OVERFLOW);
	}
	c->op_start = op;
}

/* A float (f64 if src_dbl) to an i32/i64 (to64), signed or not, trapping or saturating. */
void
cg_f_trunc(cstate *c, bool to64, bool sgn, bool src_dbl, bool sat)
{
	const truncinfo *ti = to64 ? (sgn ? &trunc_i64_s : &trunc_i64_u) : (sgn ? &trunc_i32_s : &trunc_i32_u);
	sval		a = cg_pop(c);
	int			ra = read_f(c, &a, c->sp, 0);
	int			r;

	if (!sat && (sgn || !to64))
	{
		cg_release(c, &a);
		r = cg_alloc_gpr(c);
		trunc_fast(c, to64, sgn, src_dbl, ra, r);
		cg_push_reg(c, ti->to64 ? SF_I64 : SF_I32, r);
		return;
	}

	if (src_dbl)
	{
		if (ra != 0)
			x64_movs_rr(c->b, 1, 0, ra);
	}
	else
		x64_cvts2s(c->b, 0, 0, ra);
	cg_release(c, &a);
	r = cg_alloc_gpr(c);
	if (!sat)
	{
		x64_ucomis_rr(c->b, 1, 0, 0);
		cg_trap_if(c, X64_CC_P, SF_TRAP_INVALID_CONV);
		xconst(c, 1, 1, dbits(ti->lb));
		x64_ucomis_rr(c->b, 1, 0, 1);
		cg_trap_if(c, X64_CC_BE, SF_TRAP_INT_OVERFLOW);
		xconst(c, 1, 1, dbits(ti->ub));
		x64_ucomis_rr(c->b, 1, 0, 1);
		cg_trap_if(c, X64_CC_AE, SF_TRAP_INT_OVERFLOW);
		convert_in_range(c, ti, r);
	}
	else
	{
		size_t		j_nan, j_lo, j_hi, d1, d2, d3;

		x64_mov_ri(c->b, 0, r, 0);
		x64_ucomis_rr(c->b, 1, 0, 0);
		j_nan = cg_jcc32(c, X64_CC_P);
		xconst(c, 1, 1, dbits(ti->lb));
		x64_ucomis_rr(c->b, 1, 0, 1);
		j_lo = cg_jcc32(c, X64_CC_BE);
		xconst(c, 1, 1, dbits(ti->ub));
		x64_ucomis_rr(c->b, 1, 0, 1);
		j_hi = cg_jcc32(c, X64_CC_AE);
		convert_in_range(c, ti, r);
		d1 = cg_jmp32(c);
		x64_bind32(c->b, j_lo, x64_pos(c->b));
		x64_mov_ri(c->b, ti->to64, r, ti->to64 ? ti->minv : (int64_t) (uint32_t) ti->minv);
		d2 = cg_jmp32(c);
		x64_bind32(c->b, j_hi, x64_pos(c->b));
		x64_mov_ri(c->b, ti->to64, r, ti->to64 ? ti->maxv : (int64_t) (uint32_t) ti->maxv);
		d3 = cg_jmp32(c);
		x64_bind32(c->b, j_nan, x64_pos(c->b));
		x64_bind32(c->b, d1, x64_pos(c->b));
		x64_bind32(c->b, d2, x64_pos(c->b));
		x64_bind32(c->b, d3, x64_pos(c->b));
	}
	cg_push_reg(c, ti->to64 ? SF_I64 : SF_I32, r);
}

void
cg_f_convert(cstate *c, int dbl, bool from64, bool sgn)
{
	sval		a = cg_pop(c);
	int			ra = read_f(c, &a, c->sp, X64_RCX);
	int			x;

	cg_release(c, &a);
	x = cg_alloc_xmm(c);
	x64_sselogic_rr(c->b, X64_XORP, 0, x, x);
	if (!from64)
	{
		/* an i32 is zero-extended: the 64-bit form converts it unsigned */
		x64_cvtsi2s(c->b, dbl, !sgn, x, ra);
	}
	else if (sgn)
		x64_cvtsi2s(c->b, dbl, 1, x, ra);
	else
	{
		size_t		big, done;

		x64_test_rr(c->b, 1, ra, ra);
		big = cg_jcc8(c, X64_CC_S);
		x64_cvtsi2s(c->b, dbl, 1, x, ra);
		done = cg_jmp8(c);
		x64_bind8(c->b, big);
		/* halve with the lost bit folded in (round to odd), then double */
		x64_mov_rr(c->b, 1, X64_RAX, ra);
		x64_shift_ri(c->b, X64_SHR, 1, X64_RAX, 1);
		x64_mov_rr(c->b, 1, X64_RDX, ra);
		x64_alu_ri(c->b, X64_AND, 0, X64_RDX, 1);
		x64_alu_rr(c->b, X64_OR, 1, X64_RAX, X64_RDX);
		x64_cvtsi2s(c->b, dbl, 1, x, X64_RAX);
		x64_sse_rr(c->b, X64_ADDS, dbl, x, x);
		x64_bind8(c->b, done);
	}
	cg_push_reg(c, dbl ? SF_F64 : SF_F32, x);
}

void
cg_f_demote_promote(cstate *c, bool to_dbl)
{
	sval		a = cg_pop(c);
	int			ra = read_f(c, &a, c->sp, 0);
	int			x;

	cg_release(c, &a);
	x = cg_alloc_xmm(c);
	x64_cvts2s(c->b, !to_dbl, x, ra);
	cg_push_reg(c, to_dbl ? SF_F64 : SF_F32, x);
}

/* Reinterpretations keep the bits; only the register class changes. */
void
cg_f_reinterpret(cstate *c, uint8_t to)
{
	sval		a = cg_pop(c);
	int			r;

	if (a.kind == VK_CONST)
	{
		cg_push_const(c, to, a.imm);
		return;
	}
	if (a.kind != VK_REG)
	{
		a.type = to;
		r = cg_own(c, &a, c->sp);
		cg_push_reg(c, to, r);
		return;
	}
	cg_release(c, &a);
	r = cg_alloc(c, to);
	if (is_float(to))
		x64_movd_xr(c->b, is_wide(to), r, a.reg);
	else
		x64_movd_rx(c->b, is_wide(to), r, a.reg);
	cg_push_reg(c, to, r);
}
