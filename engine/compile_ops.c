/*
** compile_ops.c -- lowering of individual operators (the opcode dispatch).
**
** Conventions: operands are popped in reverse order, so after popping
** 'b' then 'a' their stack indexes are c->sp + 1 and c->sp (needed to find
** the home slot of a VK_MEM value).  An i32 in a general register is
** always zero-extended to 64 bits: every i32 operation uses the 32-bit
** form, which clears the upper half.  That makes a wasm address directly
** usable as an index off the memory base in r14.
*/
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compile_inline.h"
#include "read.h"

/*
** Lowerings called from the dispatch stay out of line: inlined there, they
** gave the decoding loop a frame of six saved registers that every
** operator paid for, whatever it was.
*/
#define OUT_OF_LINE __attribute__((noinline))

/* ---- immediates ---------------------------------------------------------------- */

__attribute__((noinline)) uint32_t
cg_read_u32_slow(cstate *c)
{
	const uint8_t *p = c->pc;
	uint64_t	v = 0;
	int			shift = 0;

	while (p < c->end && shift < 35)
	{
		uint8_t		byte = *p++;

		v |= (uint64_t) (byte & 0x7F) << shift;
		shift += 7;
		if (!(byte & 0x80))
			break;
	}
	c->pc = p;
	return (uint32_t) v;
}

__attribute__((noinline)) int64_t
cg_read_s64_slow(cstate *c)
{
	const uint8_t *p = c->pc;
	uint64_t	v = 0;
	int			shift = 0;
	uint8_t		byte = 0;

	/* three bytes: most constants that miss the inline paths (one or two) */
	if (c->end - p >= 3 && p[0] >= 0x80 && p[1] >= 0x80 && p[2] < 0x80)
	{
		uint32_t	v3 = (uint32_t) (p[0] & 0x7F) | (uint32_t) (p[1] & 0x7F) << 7 |
			(uint32_t) p[2] << 14;

		c->pc = p + 3;
		return (int64_t) (v3 ^ 0x100000) - 0x100000;
	}

	while (p < c->end && shift < 70)
	{
		byte = *p++;
		if (shift < 64)
			v |= (uint64_t) (byte & 0x7F) << shift;
		shift += 7;
		if (!(byte & 0x80))
			break;
	}
	c->pc = p;
	if (shift < 64 && (byte & 0x40))
		v |= ~(uint64_t) 0 << shift;
	return (int64_t) v;
}

/*
** cg_next_set_local's slow path: the index of the local.set or local.tee
** at c->pc, two bytes long or more (UINT32_MAX if it is cut short).
*/
__attribute__((noinline)) uint32_t
cg_next_local_long(const cstate *c)
{
	const uint8_t *p = c->pc + 1;
	uint32_t	l = 0;

	for (int shift = 0; p < c->end && shift < 35; shift += 7)
	{
		l |= (uint32_t) (*p & 0x7F) << shift;
		if (!(*p++ & 0x80))
			return l;
	}
	return UINT32_MAX;
}

static uint64_t
read_bytes(cstate *c, int n)
{
	uint64_t	v = 0;

	if (c->end - c->pc < n)
	{
		c->pc = c->end;
		return 0;
	}
	memcpy(&v, c->pc, (size_t) n);
	c->pc += n;
	return v;
}

/* Consume the immediates of 'op' (unreachable code emits nothing). */
static void
skip_imm(cstate *c, int kind)
{
	switch (kind)
	{
		case SF_IMM_LABEL:
		case SF_IMM_FUNC:
		case SF_IMM_LOCAL:
		case SF_IMM_GLOBAL:
		case SF_IMM_TABLE:
		case SF_IMM_DATA:
		case SF_IMM_ELEM:
		case SF_IMM_MEMIDX:
		case SF_IMM_REFTYPE:
			cg_read_u32(c);
			break;
		case SF_IMM_CALL_INDIRECT:
		case SF_IMM_MEMARG:
		case SF_IMM_MEMORY_INIT:
		case SF_IMM_MEMORY_COPY:
		case SF_IMM_TABLE_INIT:
		case SF_IMM_TABLE_COPY:
			cg_read_u32(c);
			cg_read_u32(c);
			break;
		case SF_IMM_I32:
		case SF_IMM_I64:
			cg_read_s64(c);
			break;
		case SF_IMM_F32:
			read_bytes(c, 4);
			break;
		case SF_IMM_F64:
			read_bytes(c, 8);
			break;
		case SF_IMM_BR_TABLE:
			for (uint32_t n = cg_read_u32(c) + 1; n > 0 && c->pc < c->end; n--)
				cg_read_u32(c);
			break;
		case SF_IMM_SELECT_T:
			{
				uint32_t	n = cg_read_u32(c);

				for (uint32_t i = 0; i < n && c->pc < c->end; i++)
					c->pc++;
				break;
			}
		default:
			break;
	}
}

/* ---- operand helpers -------------------------------------------------------------- */

/* A popped value at stack index 'depth' into a register we may clobber. */
int
cg_own(cstate *c, sval *v, uint32_t depth)
{
	int			r;

	if (owned_reg(v))
		return v->reg;
	r = cg_alloc(c, v->type);
	cg_load_scratch(c, v, depth, r);
	v->kind = VK_REG;
	v->reg = (uint8_t) r;
	v->borrowed = 0;
	return r;
}

static bool
imm32_ok(const sval *v)
{
	if (v->kind != VK_CONST)
		return false;
	if (!is_wide(v->type))
		return true;
	return v->imm >= INT32_MIN && v->imm <= INT32_MAX;
}

/* A popped value as a register that may be read but not written. */
static int
readable(cstate *c, sval *v, uint32_t depth, int scratch)
{
	if (v->kind == VK_REG)
		return v->reg;
	cg_load_scratch(c, v, depth, scratch);
	return scratch;
}

/* ---- integers ---------------------------------------------------------------------- */

static bool
fold_int(int op, int64_t a, int64_t b, int64_t *out)
{
	uint32_t	ua = (uint32_t) a, ub = (uint32_t) b;
	uint64_t	la = (uint64_t) a, lb = (uint64_t) b;

	switch (op)
	{
		case SF_OP_I32_ADD: *out = (uint32_t) (ua + ub); return true;
		case SF_OP_I32_SUB: *out = (uint32_t) (ua - ub); return true;
		case SF_OP_I32_MUL: *out = (uint32_t) (ua * ub); return true;
		case SF_OP_I32_AND: *out = ua & ub; return true;
		case SF_OP_I32_OR: *out = ua | ub; return true;
		case SF_OP_I32_XOR: *out = ua ^ ub; return true;
		case SF_OP_I32_SHL: *out = (uint32_t) (ua << (ub & 31)); return true;
		case SF_OP_I32_SHR_U: *out = ua >> (ub & 31); return true;
		case SF_OP_I32_SHR_S: *out = (uint32_t) ((int32_t) ua >> (ub & 31)); return true;
		case SF_OP_I64_ADD: *out = (int64_t) (la + lb); return true;
		case SF_OP_I64_SUB: *out = (int64_t) (la - lb); return true;
		case SF_OP_I64_MUL: *out = (int64_t) (la * lb); return true;
		case SF_OP_I64_AND: *out = (int64_t) (la & lb); return true;
		case SF_OP_I64_OR: *out = (int64_t) (la | lb); return true;
		case SF_OP_I64_XOR: *out = (int64_t) (la ^ lb); return true;
		case SF_OP_I64_SHL: *out = (int64_t) (la << (lb & 63)); return true;
		case SF_OP_I64_SHR_U: *out = (int64_t) (la >> (lb & 63)); return true;
		case SF_OP_I64_SHR_S: *out = a >> (lb & 63); return true;
		default:
			return false;
	}
}

/*
** The register to compute 'a op b' into, with 'a' loaded there: register
** local L when the result goes to L (a = L updates it in place; else a is
** copied into L unless b reads L), or a register we own.  'l' is
** cg_next_set_local's answer.  On return 'a' is the entry to push.
** Inline in the integer binops, which are many; out of line
** (result_reg) for the others.
*/
static inline __attribute__((always_inline)) int
result_reg_in(cstate *c, int l, sval *a, uint32_t depth, const sval *b)
{
	if (l >= 0 && cg_reads_local(a, l))
	{
		cg_local_written(c, a->local);
		return a->reg;
	}
	if (l >= 0 && (b == NULL || !cg_reads_local(b, l)))
	{
		sval		t = *a;
		int			r = cg_target_local(c, a, l);

		cg_load_scratch(c, &t, depth, r);
		cg_release(c, &t);
		return r;
	}
	return cg_own(c, a, depth);
}

static OUT_OF_LINE int
result_reg(cstate *c, int l, sval *a, uint32_t depth, const sval *b)
{
	return result_reg_in(c, l, a, depth, b);
}

/* dst op= b, where b is a popped value at index 'depth'. */
static inline __attribute__((always_inline)) void
alu_with(cstate *c, x64_alu alu, int w, int dst, sval *b, uint32_t depth)
{
	if (imm32_ok(b))
		x64_alu_ri(c->b, alu, w, dst, (int32_t) b->imm);
	else if (b->kind == VK_REG)
		x64_alu_rr(c->b, alu, w, dst, b->reg);
	else if (b->kind == VK_LOCAL || b->kind == VK_MEM)
		x64_alu_rm(c->b, alu, w, dst, cg_mem_of(c, b, depth));
	else
	{
		cg_load_scratch(c, b, depth, X64_RAX);
		x64_alu_rr(c->b, alu, w, dst, X64_RAX);
	}
}

/*
** Can 'x alu b' be one lea: an add of a register or a constant, or a
** subtraction of a constant (whose negation fits)?
*/
static bool
lea_form(x64_alu alu, int w, const sval *b)
{
	if (alu == X64_ADD)
		return b->kind == VK_REG || imm32_ok(b);
	return alu == X64_SUB && imm32_ok(b) && (!w || b->imm != INT32_MIN);
}

/*
** 'a alu b' (lea_form) where 'a' is a register we may not change (a
** local's): one lea into a register of our own, or into the local the
** result goes to, instead of a copy and the operation.  The flags are
** left alone.  'l': cg_next_set_local's answer.
*/
static void
lea_binop(cstate *c, int l, x64_alu alu, int w, sval *a, sval *b)
{
	x64_mem		m;
	int			r;

	if (b->kind == VK_REG)
		m = x64_mx(a->reg, b->reg, 1, 0);
	else
		m = x64_m(a->reg, (int32_t) (alu == X64_SUB ? -b->imm : b->imm));
	if (l >= 0)
	{
		r = cg_target_local(c, a, l);
		x64_lea(c->b, w, r, m);
		cg_release(c, b);
		cg_push(c, *a);
		return;
	}
	r = cg_alloc_gpr(c);
	x64_lea(c->b, w, r, m);
	cg_release(c, b);
	cg_push_reg(c, (uint8_t) a->type, r);
}

/* The operands are popped in place (cg_pop_ref): nothing pushes before the result. */
static OUT_OF_LINE void
cg_int_binop(cstate *c, int op, int w, x64_alu alu, bool commutative)
{
	sval	   *a, *b;
	uint32_t	da, db;
	int64_t		folded;
	int			r, l;

	cg_pop2_ref(c, &a, &b);
	da = c->sp;
	db = c->sp + 1;

	if (a->kind == VK_CONST && b->kind == VK_CONST && fold_int(op, a->imm, b->imm, &folded))
	{
		cg_push_const(c, (uint8_t) a->type, folded);
		return;
	}
	l = cg_next_set_local(c);
	if (commutative)
	{
		/* the local the result goes to, or the register we own, first */
		if (l >= 0 ? cg_reads_local(b, l) && !cg_reads_local(a, l) : !owned_reg(a) && owned_reg(b))
		{
			sval	   *t = a;

			a = b;
			b = t;
			da = db;
			db = c->sp;
		}
	}
	if (a->kind == VK_REG && a->borrowed && lea_form(alu, w, b) &&
		!cg_reads_local(a, l))
	{
		lea_binop(c, l, alu, w, a, b);
		return;
	}
	r = result_reg_in(c, l, a, da, b);
	alu_with(c, alu, w, r, b, db);
	/* add/sub/and/or/xor leave ZF = (result == 0) for a following test */
	c->zf_pos = x64_pos(c->b);
	c->zf_reg = r;
	c->zf_w = w;
	cg_release(c, b);
	if (a->kind == VK_REG && a->borrowed)
		cg_push(c, *a);			/* computed in a local's register: the local itself */
	else
		cg_push_reg(c, (uint8_t) a->type, r);
}

static OUT_OF_LINE void
int_mul(cstate *c, int op, int w)
{
	sval		b = cg_pop(c), a = cg_pop(c);
	uint32_t	da = c->sp, db = c->sp + 1;
	int64_t		folded;
	int			r, l;

	if (a.kind == VK_CONST && b.kind == VK_CONST && fold_int(op, a.imm, b.imm, &folded))
	{
		cg_push_const(c, (uint8_t) a.type, folded);
		return;
	}
	l = cg_next_set_local(c);
	if (a.kind == VK_CONST ||
		(l >= 0 ? cg_reads_local(&b, l) && !cg_reads_local(&a, l) : !owned_reg(&a) && owned_reg(&b)))
	{
		sval		t = a;

		a = b;
		b = t;
		da = db;
		db = c->sp;
	}
	if (imm32_ok(&b))
	{
		int			src;

		/* the local the result goes to, a register operand, or a fresh one */
		if (l >= 0)
		{
			sval		t = a;

			r = cg_target_local(c, &a, l);
			src = readable(c, &t, da, X64_RAX);
			x64_imul_rri(c->b, w, r, src, (int32_t) b.imm);
			cg_release(c, &t);
			cg_push(c, a);
			return;
		}
		src = readable(c, &a, da, X64_RAX);
		r = owned_reg(&a) ? a.reg : cg_alloc_gpr(c);
		x64_imul_rri(c->b, w, r, src, (int32_t) b.imm);
		cg_push_reg(c, (uint8_t) a.type, r);
		return;
	}
	r = result_reg(c, l, &a, da, &b);
	if (b.kind == VK_REG)
		x64_imul_rr(c->b, w, r, b.reg);
	else if (b.kind == VK_LOCAL || b.kind == VK_MEM)
		x64_imul_rm(c->b, w, r, cg_mem_of(c, &b, db));
	else
	{
		cg_load_scratch(c, &b, db, X64_RAX);
		x64_imul_rr(c->b, w, r, X64_RAX);
	}
	cg_release(c, &b);
	if (a.kind == VK_REG && a.borrowed)
		cg_push(c, a);
	else
		cg_push_reg(c, (uint8_t) a.type, r);
}

static OUT_OF_LINE void
cg_int_shift(cstate *c, int op, int w, x64_shift sh)
{
	sval	   *a, *b;
	int64_t		folded;
	int			r;

	cg_pop2_ref(c, &a, &b);		/* in place: the push comes last */

	if (a->kind == VK_CONST && b->kind == VK_CONST && fold_int(op, a->imm, b->imm, &folded))
	{
		cg_push_const(c, (uint8_t) a->type, folded);
		return;
	}
	if (b->kind == VK_CONST)
	{
		r = result_reg(c, cg_next_set_local(c), a, c->sp, NULL);
		x64_shift_ri(c->b, sh, w, r, (uint8_t) (b->imm & (w ? 63 : 31)));
	}
	else
	{
		cg_load_scratch(c, b, c->sp + 1, X64_RCX);
		cg_release(c, b);
		r = result_reg(c, cg_next_set_local(c), a, c->sp, NULL);
		x64_shift_rcl(c->b, sh, w, r);
	}
	if (a->kind == VK_REG && a->borrowed)
		cg_push(c, *a);
	else
		cg_push_reg(c, (uint8_t) a->type, r);
}

static bool
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Division and remainder; 'sgn' signed, 'rem' remainder. */
static OUT_OF_LINE void
int_div(cstate *c, int w, bool sgn, bool rem)
{
	sval		b = cg_pop(c), a = cg_pop(c);
	uint64_t	bv = w ? (uint64_t) b.imm : (uint32_t) b.imm;
	int			r;

	if (b.kind == VK_CONST && !sgn && is_pow2(bv) && bv <= 0x40000000)
	{
		r = cg_own(c, &a, c->sp);
		if (rem)
			x64_alu_ri(c->b, X64_AND, w, r, (int32_t) (bv - 1));
		else
			x64_shift_ri(c->b, X64_SHR, w, r, (uint8_t) __builtin_ctzll(bv));
		cg_push_reg(c, (uint8_t) a.type, r);
		return;
	}
	cg_load_scratch(c, &b, c->sp + 1, X64_RCX);
	cg_release(c, &b);
	cg_load_scratch(c, &a, c->sp, X64_RAX);
	cg_release(c, &a);
	if (b.kind != VK_CONST || bv == 0)
	{
		x64_test_rr(c->b, w, X64_RCX, X64_RCX);
		cg_trap_if(c, X64_CC_E, SF_TRAP_DIV_BY_ZERO);
	}
	if (sgn)
	{
		size_t		normal = 0, done = 0;
		bool		check = b.kind != VK_CONST || (w ? b.imm == -1 : (int32_t) b.imm == -1);

		if (check)
		{
			x64_alu_ri(c->b, X64_CMP, w, X64_RCX, -1);
			normal = cg_jcc8(c, X64_CC_NE);
			if (rem)
			{
				x64_alu_rr(c->b, X64_XOR, 0, X64_RDX, X64_RDX);
				done = cg_jmp8(c);
			}
			else
			{
				/* INT_MIN / -1 overflows; anything else / -1 is a negation */
				x64_mov_ri(c->b, w, X64_RDX, w ? INT64_MIN : (int64_t) (uint32_t) INT32_MIN);
				x64_alu_rr(c->b, X64_CMP, w, X64_RAX, X64_RDX);
				cg_trap_if(c, X64_CC_E, SF_TRAP_INT_OVERFLOW);
			}
			x64_bind8(c->b, normal);
		}
		x64_cdq(c->b, w);
		x64_unary_r(c->b, X64_IDIV, w, X64_RCX);
		if (done)
			x64_bind8(c->b, done);
	}
	else
	{
		x64_alu_rr(c->b, X64_XOR, 0, X64_RDX, X64_RDX);
		x64_unary_r(c->b, X64_DIV, w, X64_RCX);
	}
	r = cg_alloc_gpr(c);
	x64_mov_rr(c->b, w, r, rem ? X64_RDX : X64_RAX);
	cg_push_reg(c, (uint8_t) a.type, r);
}

static x64_cc
swap_cc(x64_cc cc)
{
	switch (cc)
	{
		case X64_CC_L: return X64_CC_G;
		case X64_CC_G: return X64_CC_L;
		case X64_CC_LE: return X64_CC_GE;
		case X64_CC_GE: return X64_CC_LE;
		case X64_CC_B: return X64_CC_A;
		case X64_CC_A: return X64_CC_B;
		case X64_CC_BE: return X64_CC_AE;
		case X64_CC_AE: return X64_CC_BE;
		default: return cc;
	}
}

static bool
eval_cc(x64_cc cc, int w, int64_t a, int64_t b)
{
	int64_t		sa = w ? a : (int32_t) a, sb = w ? b : (int32_t) b;
	uint64_t	ua = w ? (uint64_t) a : (uint32_t) a, ub = w ? (uint64_t) b : (uint32_t) b;

	switch (cc)
	{
		case X64_CC_E: return ua == ub;
		case X64_CC_NE: return ua != ub;
		case X64_CC_L: return sa < sb;
		case X64_CC_G: return sa > sb;
		case X64_CC_LE: return sa <= sb;
		case X64_CC_GE: return sa >= sb;
		case X64_CC_B: return ua < ub;
		case X64_CC_A: return ua > ub;
		case X64_CC_BE: return ua <= ub;
		default: return ua >= ub;
	}
}

/* Integer compare: leaves the result in the flags (operands popped in place). */
static OUT_OF_LINE void
int_cmp(cstate *c, int w, x64_cc cc)
{
	sval	   *a, *b;
	uint32_t	da, db;

	cg_pop2_ref(c, &a, &b);
	da = c->sp;
	db = c->sp + 1;

	if (a->kind == VK_CONST && b->kind == VK_CONST)
	{
		cg_push_const(c, SF_I32, eval_cc(cc, w, a->imm, b->imm));
		return;
	}
	if (a->kind == VK_CONST || (a->kind != VK_REG && b->kind == VK_REG))
	{
		sval	   *t = a;

		a = b;
		b = t;
		da = db;
		db = c->sp;
		cc = swap_cc(cc);
	}
	if (a->kind == VK_REG)
		alu_with(c, X64_CMP, w, a->reg, b, db);
	else if (imm32_ok(b))
		x64_alu_mi(c->b, X64_CMP, w, cg_mem_of(c, a, da), (int32_t) b->imm);
	else
	{
		int			rb = readable(c, b, db, X64_RAX);

		x64_alu_mr(c->b, X64_CMP, w, cg_mem_of(c, a, da), rb);
	}
	cg_release(c, a);
	cg_release(c, b);
	cg_push_flags(c, cc);
}

/*
** The condition of i32.eq .. i32.ge_u, by op - SF_OP_I32_EQ: one table
** read in the dispatch instead of a switch.
*/
static const uint8_t i32_cmp_cc[] = {
	X64_CC_E, X64_CC_NE, X64_CC_L, X64_CC_B, X64_CC_G, X64_CC_A,
	X64_CC_LE, X64_CC_BE, X64_CC_GE, X64_CC_AE
};

_Static_assert(SF_OP_I32_NE == SF_OP_I32_EQ + 1 && SF_OP_I32_LT_S == SF_OP_I32_EQ + 2 &&
			   SF_OP_I32_LT_U == SF_OP_I32_EQ + 3 && SF_OP_I32_GT_S == SF_OP_I32_EQ + 4 &&
			   SF_OP_I32_GT_U == SF_OP_I32_EQ + 5 && SF_OP_I32_LE_S == SF_OP_I32_EQ + 6 &&
			   SF_OP_I32_LE_U == SF_OP_I32_EQ + 7 && SF_OP_I32_GE_S == SF_OP_I32_EQ + 8 &&
			   SF_OP_I32_GE_U == SF_OP_I32_EQ + 9, "i32_cmp_cc: the i32 compares in order");

/* The operand is popped in place (cg_pop_ref): the push comes last. */
static OUT_OF_LINE void
cg_int_eqz(cstate *c, int w)
{
	sval	   *a = cg_pop_ref(c);

	cg_flags_popped(c, a);
	if (a->kind == VK_FLAGS)
	{
		cg_push_flags(c, X64_CC_NOT((x64_cc) a->cc));
		return;
	}
	if (a->kind == VK_CONST)
	{
		cg_push_const(c, SF_I32, w ? a->imm == 0 : (uint32_t) a->imm == 0);
		return;
	}
	if (a->kind == VK_REG)
		cg_test_zero(c, w, a->reg);
	else
		x64_alu_mi(c->b, X64_CMP, w, cg_mem_of(c, a, c->sp), 0);
	cg_release(c, a);
	cg_push_flags(c, X64_CC_E);
}

static OUT_OF_LINE void
int_count(cstate *c, int op, int w)
{
	sval		a = cg_pop(c);
	int			r = cg_own(c, &a, c->sp);

	switch (op)
	{
		case SF_OP_I32_POPCNT:
		case SF_OP_I64_POPCNT:
			x64_popcnt(c->b, w, r, r);
			break;
		case SF_OP_I32_CLZ:
		case SF_OP_I64_CLZ:
			/* bsr leaves ZF set for 0; 2*bits-1 xor (bits-1) gives bits */
			x64_mov_ri(c->b, 0, X64_RCX, w ? 127 : 63);
			x64_bsr(c->b, w, r, r);
			x64_cmov_rr(c->b, X64_CC_E, w, r, X64_RCX);
			x64_alu_ri(c->b, X64_XOR, w, r, w ? 63 : 31);
			break;
		default:
			x64_mov_ri(c->b, 0, X64_RCX, w ? 64 : 32);
			x64_bsf(c->b, w, r, r);
			x64_cmov_rr(c->b, X64_CC_E, w, r, X64_RCX);
			break;
	}
	cg_push_reg(c, (uint8_t) a.type, r);
}

/* Sign/zero extensions and wrap within the integer registers. */
static OUT_OF_LINE void
int_extend(cstate *c, int op)
{
	sval		a = cg_pop(c);
	int			r;
	uint8_t		rt = SF_I64;

	if (a.kind == VK_CONST)
	{
		int64_t		v = a.imm;

		switch (op)
		{
			case SF_OP_I32_WRAP_I64: v = (uint32_t) v; rt = SF_I32; break;
			case SF_OP_I64_EXTEND_I32_S: v = (int32_t) v; break;
			case SF_OP_I64_EXTEND_I32_U: v = (uint32_t) v; break;
			case SF_OP_I32_EXTEND8_S: v = (uint32_t) (int32_t) (int8_t) v; rt = SF_I32; break;
			case SF_OP_I32_EXTEND16_S: v = (uint32_t) (int32_t) (int16_t) v; rt = SF_I32; break;
			case SF_OP_I64_EXTEND8_S: v = (int8_t) v; break;
			case SF_OP_I64_EXTEND16_S: v = (int16_t) v; break;
			default: v = (int32_t) v; break;
		}
		cg_push_const(c, rt, v);
		return;
	}
	r = cg_own(c, &a, c->sp);
	switch (op)
	{
		case SF_OP_I32_WRAP_I64:
		case SF_OP_I64_EXTEND_I32_U:
			x64_mov_rr(c->b, 0, r, r);
			rt = op == SF_OP_I32_WRAP_I64 ? SF_I32 : SF_I64;
			break;
		case SF_OP_I64_EXTEND_I32_S:
		case SF_OP_I64_EXTEND32_S:
			x64_movsx_rr(c->b, 1, 4, r, r);
			break;
		case SF_OP_I32_EXTEND8_S:
			x64_movsx_rr(c->b, 0, 1, r, r);
			rt = SF_I32;
			break;
		case SF_OP_I32_EXTEND16_S:
			x64_movsx_rr(c->b, 0, 2, r, r);
			rt = SF_I32;
			break;
		case SF_OP_I64_EXTEND8_S:
			x64_movsx_rr(c->b, 1, 1, r, r);
			break;
		default:
			x64_movsx_rr(c->b, 1, 2, r, r);
			break;
	}
	cg_push_reg(c, rt, r);
}

/* ---- memory ------------------------------------------------------------------------ */

/*
** The address operand of a load/store: r14 + zero-extended i32 + offset.
** The 8 GiB reservation covers every such address, so no bounds check.
** Uses rax when the address is not already in a register.
**
** The operand is always [r14 + index + disp] (index X64_NOINDEX: none),
** kept as those two (mem_at): the loads and stores pick the encoder's
** forms from them directly, with no x64_mem built and taken apart.
*/
typedef struct mem_at
{
	int			index;
	int32_t		disp;
} mem_at;

static inline mem_at
mem_at_ix(int index, int32_t disp)
{
	return (mem_at) {index, disp};
}

/* The operand as an x64_mem, for the less frequent forms. */
static inline x64_mem
mem_at_operand(mem_at a)
{
	return x64_mx(X64_MEM, a.index, 1, a.disp);
}

/*
** Bounds-checked mode (no 8 GiB reservation): trap unless
** addr + offset + size <= the memory's current size.  Uses rax for the
** address, rdx for its end and rcx for the memory object.
*/
static OUT_OF_LINE mem_at
checked_operand(cstate *c, sval *addr, uint32_t depth, uint32_t offset, int size)
{
	int			r = X64_RAX;

	if (addr->kind == VK_REG)
		r = addr->reg;
	else
		cg_load_scratch(c, addr, depth, X64_RAX);
	x64_mov_ri(c->b, 1, X64_RDX, (int64_t) offset + size);
	x64_alu_rr(c->b, X64_ADD, 1, X64_RDX, r);
	x64_mov_rm(c->b, 1, X64_RCX, x64_m(X64_CTX, SF_OFF_VM_MEM));
	x64_alu_rm(c->b, X64_CMP, 1, X64_RDX, x64_m(X64_RCX, SF_OFF_MEM_SIZE));
	cg_trap_if(c, X64_CC_A, SF_TRAP_MEMORY_OOB);
	if (offset <= INT32_MAX)
		return mem_at_ix(r, (int32_t) offset);
	x64_lea(c->b, 1, X64_RAX, x64_m(X64_RDX, -size));
	return mem_at_ix(X64_RAX, 0);
}

/* mem_operand's other cases: a constant address, a compare's result, a large offset. */
static OUT_OF_LINE mem_at
mem_operand_other(cstate *c, sval *addr, uint32_t depth, uint32_t offset)
{
	if (addr->kind == VK_CONST)
	{
		uint64_t	ea = (uint64_t) (uint32_t) addr->imm + offset;

		if (ea <= INT32_MAX)
			return mem_at_ix(X64_NOINDEX, (int32_t) ea);
		x64_mov_ri(c->b, 1, X64_RAX, (int64_t) ea);
		return mem_at_ix(X64_RAX, 0);
	}
	{
		int			r = addr->kind == VK_REG ? addr->reg : X64_RAX;

		if (addr->kind != VK_REG)
			cg_load_scratch(c, addr, depth, X64_RAX);
		if (offset <= INT32_MAX)
			return mem_at_ix(r, (int32_t) offset);
		if (r != X64_RAX)
			x64_mov_rr(c->b, 0, X64_RAX, r);
		x64_mov_ri(c->b, 1, X64_RDX, offset);
		x64_alu_rr(c->b, X64_ADD, 1, X64_RAX, X64_RDX);
		return mem_at_ix(X64_RAX, 0);
	}
}

/*
** Inline in the loads and stores, the common cases: the address in a
** register, or in a local's or its own slot (loaded into rax), and an
** offset that fits a displacement.
*/
static inline __attribute__((always_inline)) mem_at
mem_operand(cstate *c, sval *addr, uint32_t depth, uint32_t offset, int size)
{
	cg_fuel_may_trap(c);
	if (SF_UNLIKELY(c->ms->bounds_checked))
		return checked_operand(c, addr, depth, offset, size);
	if (SF_LIKELY(offset <= INT32_MAX))
	{
		if (addr->kind == VK_REG)
			return mem_at_ix(addr->reg, (int32_t) offset);
		if (addr->kind == VK_LOCAL || addr->kind == VK_MEM)
		{
			x64_mov_rm(c->b, is_wide(addr->type), X64_RAX, cg_mem_of(c, addr, depth));
			return mem_at_ix(X64_RAX, (int32_t) offset);
		}
	}
	return mem_operand_other(c, addr, depth, offset);
}

/*
** Inline in cg_load_i32 (i32.load, with 'op' a constant: the common
** load) and cg_emit_load (the others).
*/
static inline __attribute__((always_inline)) void
load_body(cstate *c, int op)
{
	uint32_t	offset;
	sval	   *addr,
				dst;
	mem_at		m;
	int			r,
				l;
	/* i32.load's are constants in cg_load_i32 (no table read) */
	bool		i32 = op == SF_OP_I32_LOAD;
	uint8_t		size = i32 ? 4 : sf_opinfo_table[op].mem;

	c->fuel.last_load = c->op_start;
	cg_read_u32(c);				/* alignment hint */
	offset = cg_read_u32(c);
	addr = cg_pop_ref(c);		/* in place: the push comes last */
	m = mem_operand(c, addr, c->sp, offset, size);
	l = cg_next_set_local(c);
	if (l >= 0)
	{
		/* into the local the result goes to */
		sval		t = *addr;

		r = cg_target_local(c, &dst, l);
		cg_release(c, &t);
	}
	else if (op == SF_OP_F32_LOAD || op == SF_OP_F64_LOAD)
	{
		cg_release(c, addr);
		r = cg_alloc_xmm(c);
	}
	else
	{
		/* reuse the address register when we owned it */
		cg_release(c, addr);
		r = owned_reg(addr) ? addr->reg : cg_alloc_gpr(c);
		if (owned_reg(addr))
			c->gused |= X64_SET(r);
	}
	switch (op)
	{
		case SF_OP_F32_LOAD:
		case SF_OP_F64_LOAD:
			x64_movs_rm(c->b, op == SF_OP_F64_LOAD, r, mem_at_operand(m));
			if (l >= 0)
				cg_push(c, dst);
			else
				cg_push_reg(c, op == SF_OP_F64_LOAD ? SF_F64 : SF_F32, r);
			return;
		default:
			break;
	}
	switch (op)
	{
		case SF_OP_I32_LOAD:
		case SF_OP_I64_LOAD:
			if (m.index != X64_NOINDEX)
				x64_mov_rm_bi(c->b, op == SF_OP_I64_LOAD, r, X64_MEM, m.index, m.disp);
			else
				x64_mov_rm_bd(c->b, op == SF_OP_I64_LOAD, r, X64_MEM, m.disp);
			break;
		case SF_OP_I32_LOAD8_S:
		case SF_OP_I32_LOAD16_S:
			x64_movsx_rm(c->b, 0, size, r, mem_at_operand(m));
			break;
		case SF_OP_I64_LOAD8_S:
		case SF_OP_I64_LOAD16_S:
		case SF_OP_I64_LOAD32_S:
			x64_movsx_rm(c->b, 1, size, r, mem_at_operand(m));
			break;
		default:
			if (m.index != X64_NOINDEX)
				x64_movzx_rm_bi(c->b, size, r, X64_MEM, m.index, m.disp);
			else
				x64_movzx_rm_any(c->b, size, r, mem_at_operand(m));
			break;
	}
	if (l >= 0)
		cg_push(c, dst);
	else
		cg_push_reg(c, !i32 && sf_opinfo_table[op].sig[2] == 'I' ? SF_I64 : SF_I32, r);
}

static OUT_OF_LINE void
cg_load_i32(cstate *c)
{
	load_body(c, SF_OP_I32_LOAD);
}

static OUT_OF_LINE void
cg_emit_load(cstate *c, int op)
{
	load_body(c, op);
}

static OUT_OF_LINE void
cg_emit_store(cstate *c, int op)
{
	uint32_t	offset;
	sval	   *val,
			   *addr;
	mem_at		m;
	uint8_t		size = sf_opinfo_table[op].mem;
	int			vr;
	bool		late;

	cg_read_u32(c);
	offset = cg_read_u32(c);
	cg_pop2_ref(c, &addr, &val);	/* in place: nothing is pushed */
	/* a bounds check needs rcx: an integer value is loaded after it */
	late = c->ms->bounds_checked && !is_float(val->type);
	/* the value first, into rcx/xmm0 if needed: the address may use rax/rdx */
	if (val->kind == VK_REG)
		vr = val->reg;
	else if (val->kind == VK_CONST && !is_float(val->type) &&
			 (size == 1 || (size >= 4 && imm32_ok(val))))
		vr = -1;
	else
	{
		vr = is_float(val->type) ? 0 : X64_RCX;
		if (!late)
			cg_load_scratch(c, val, c->sp + 1, vr);
	}
	m = mem_operand(c, addr, c->sp, offset, size);
	if (late && vr == X64_RCX)
		cg_load_scratch(c, val, c->sp + 1, vr);
	if (is_float(val->type))
		x64_movs_mr(c->b, val->type == SF_F64, mem_at_operand(m), vr);
	else if (vr < 0 && size == 1)
		x64_store8_i(c->b, mem_at_operand(m), (uint8_t) val->imm);
	else if (vr < 0 && m.index != X64_NOINDEX)
		x64_mov_mi_bi(c->b, size == 8, X64_MEM, m.index, m.disp, (int32_t) val->imm);
	else if (vr < 0)
		x64_mov_mi_bd(c->b, size == 8, X64_MEM, m.disp, (int32_t) val->imm);
	else if (m.index != X64_NOINDEX)
		x64_store_bi(c->b, size, X64_MEM, m.index, m.disp, vr);
	else
		x64_store_any(c->b, size, mem_at_operand(m), vr);
	cg_release(c, val);
	cg_release(c, addr);
}

static OUT_OF_LINE void
emit_global_get(cstate *c, uint32_t g)
{
	uint8_t		t = c->m->globals[g].type;
	int			r = cg_alloc(c, t);

	x64_mov_rm(c->b, 1, X64_RAX, x64_m(X64_CTX, sf_vm_global_off(c->m, g)));
	if (is_float(t))
		x64_movs_rm(c->b, t == SF_F64, r, x64_m(X64_RAX, 0));
	else
		x64_mov_rm(c->b, is_wide(t), r, x64_m(X64_RAX, 0));
	cg_push_reg(c, t, r);
}

static OUT_OF_LINE void
emit_global_set(cstate *c, uint32_t g)
{
	sval		v = cg_pop(c);

	/* the value into a register first: storing through rax needs rax */
	if (v.kind != VK_REG && v.kind != VK_CONST)
		cg_own(c, &v, c->sp);
	x64_mov_rm(c->b, 1, X64_RDX, x64_m(X64_CTX, sf_vm_global_off(c->m, g)));
	cg_store_to(c, &v, c->sp, x64_m(X64_RDX, 0));
	cg_release(c, &v);
}

/*
** local.set or local.tee of local 'l' when the entry on top is that local
** itself (the operator before it computed its result in the local's
** register, cg_target_local): a set pops it, a tee leaves it.  Inline in
** the dispatch, the case of about two sets in five; false otherwise.
*/
static inline bool
local_set_itself(cstate *c, uint32_t l, bool tee)
{
	const sval *v;

	if (c->sp == 0)
		return false;
	v = cg_top(c, 0);
	if (v->local != l || !(v->kind == VK_LOCAL || (v->kind == VK_REG && v->borrowed)))
		return false;
	/* what cg_pop_ref and, for a tee, cg_push of the same entry do */
	if (c->clean > c->sp - 1)
		c->clean = c->sp - 1;
	if (!tee)
		c->sp--;
	return true;
}

/*
** The other cases (local_set_itself first).  The value is popped in place
** (cg_pop_ref): a push comes last.  Inline in cg_local_set and
** cg_local_tee, each with 'tee' a constant.
*/
static inline __attribute__((always_inline)) void
local_set_body(cstate *c, uint32_t l, bool tee)
{
	sval	   *v = cg_pop_ref(c);
	x64_mem		dst = x64_m(X64_RBP, c->loff[l]);

	cg_flags_popped(c, v);
	if (c->lreg[l] >= 0)
	{
		sval		lv = {.kind = VK_REG, .type = c->ltype[l], .reg = (uint8_t) c->lreg[l],
		.borrowed = 1, .local = l};

		cg_local_written(c, l);
		cg_load_scratch(c, v, c->sp, c->lreg[l]);
		/* a tee of a computed value keeps its own copy for the consumer */
		if (tee && owned_reg(v))
			cg_push(c, *v);
		else
		{
			cg_release(c, v);
			if (tee)
				cg_push(c, lv);
		}
		return;
	}
	cg_local_written(c, l);
	if (tee && v->kind != VK_CONST)
		cg_own(c, v, c->sp);
	if (tee && v->kind == VK_REG && !is_float(v->type) &&
		c->zf_pos == x64_pos(c->b) && c->zf_reg == v->reg)
	{
		/* the store leaves the flags alone: ZF still tests the value */
		cg_store_to(c, v, c->sp, dst);
		c->zf_pos = x64_pos(c->b);
	}
	else
		cg_store_to(c, v, c->sp, dst);
	if (tee)
		cg_push(c, *v);
	else
		cg_release(c, v);
}

static OUT_OF_LINE void
cg_local_set(cstate *c, uint32_t l)
{
	local_set_body(c, l, false);
}

static OUT_OF_LINE void
cg_local_tee(cstate *c, uint32_t l)
{
	local_set_body(c, l, true);
}

/* ---- select ---------------------------------------------------------------------------- */

/* The operands are popped in place (cg_pop_ref): the push comes last. */
static OUT_OF_LINE void
emit_select(cstate *c)
{
	sval	   *cond = cg_pop_ref(c), *b = cg_pop_ref(c), *a = cg_pop_ref(c);
	uint32_t	da = c->sp, db = c->sp + 1, dc = c->sp + 2;
	x64_cc		cc = X64_CC_NE;
	int			r;

	cg_flags_popped(c, cond);
	if (cond->kind == VK_CONST)
	{
		sval		keep = (uint32_t) cond->imm ? *a : *b;

		cg_release(c, (uint32_t) cond->imm ? b : a);
		if (keep.kind == VK_MEM)
			cg_own(c, &keep, (uint32_t) cond->imm ? da : db);
		cg_push(c, keep);
		return;
	}
	r = cg_own(c, a, da);
	if (!is_float(a->type) && b->kind != VK_REG && b->kind != VK_LOCAL && b->kind != VK_MEM)
		cg_load_scratch(c, b, db, X64_RDX);
	else if (is_float(a->type) && b->kind != VK_REG)
		cg_load_scratch(c, b, db, 1);
	/* the condition test must come last: loads above keep the flags */
	if (cond->kind == VK_FLAGS)
		cc = (x64_cc) cond->cc;
	else if (cond->kind == VK_REG)
		cg_test_zero(c, 0, cond->reg);
	else
		x64_alu_mi(c->b, X64_CMP, 0, cg_mem_of(c, cond, dc), 0);
	if (!is_float(a->type))
	{
		int			w = is_wide(a->type);

		if (b->kind == VK_REG)
			x64_cmov_rr(c->b, X64_CC_NOT(cc), w, r, b->reg);
		else if (b->kind == VK_LOCAL || b->kind == VK_MEM)
			x64_cmov_rm(c->b, X64_CC_NOT(cc), w, r, cg_mem_of(c, b, db));
		else
			x64_cmov_rr(c->b, X64_CC_NOT(cc), w, r, X64_RDX);
	}
	else
	{
		size_t		skip = cg_jcc8(c, cc);

		x64_movs_rr(c->b, a->type == SF_F64, r, b->kind == VK_REG ? b->reg : 1);
		x64_bind8(c->b, skip);
	}
	cg_release(c, b);
	cg_release(c, cond);
	cg_push_reg(c, (uint8_t) a->type, r);
}

/* ---- tables and references ------------------------------------------------------------ */

/* rax = table, rcx = checked index (trap if out of bounds). */
static void
table_index(cstate *c, uint32_t t, sval *idx, uint32_t depth)
{
	cg_load_scratch(c, idx, depth, X64_RCX);
	x64_mov_rm(c->b, 1, X64_RAX, x64_m(X64_CTX, sf_vm_table_off(c->m, t)));
	x64_alu_rm(c->b, X64_CMP, 0, X64_RCX, x64_m(X64_RAX, SF_OFF_TABLE_SIZE));
	cg_trap_if(c, X64_CC_AE, SF_TRAP_TABLE_OOB);
	x64_mov_rm(c->b, 1, X64_RAX, x64_m(X64_RAX, SF_OFF_TABLE_ELEMS));
}

static OUT_OF_LINE void
emit_table_get(cstate *c, uint32_t t)
{
	sval		idx = cg_pop(c);
	int			r;

	table_index(c, t, &idx, c->sp);
	cg_release(c, &idx);
	r = cg_alloc_gpr(c);
	x64_mov_rm(c->b, 1, r, x64_mx(X64_RAX, X64_RCX, 8, 0));
	cg_push_reg(c, c->m->tables[t].elem, r);
}

static OUT_OF_LINE void
emit_table_set(cstate *c, uint32_t t)
{
	sval		val = cg_pop(c), idx = cg_pop(c);

	cg_load_scratch(c, &val, c->sp + 1, X64_RDX);
	table_index(c, t, &idx, c->sp);
	x64_mov_mr(c->b, 1, x64_mx(X64_RAX, X64_RCX, 8, 0), X64_RDX);
	cg_release(c, &val);
	cg_release(c, &idx);
}

static OUT_OF_LINE void
emit_is_null(cstate *c)
{
	sval		a = cg_pop(c);

	if (a.kind == VK_CONST)
	{
		cg_push_const(c, SF_I32, a.imm == 0);
		return;
	}
	if (a.kind == VK_REG)
		x64_test_rr(c->b, 1, a.reg, a.reg);
	else
		x64_alu_mi(c->b, X64_CMP, 1, cg_mem_of(c, &a, c->sp), 0);
	cg_release(c, &a);
	cg_push_flags(c, X64_CC_E);
}

/*
** A compare result on the stack lives in the CPU flags.  It may stay there
** across the operators that leave the flags alone (local.get, constants,
** nop) and for those that use it on top of the stack (if, br_if,
** i32.eqz, select, and local.set and local.tee, which set a local's
** register or slot from them); before any other operator it goes to a
** register.
*/
enum
{
	FLAGS_LOST,					/* the operator needs them in a register */
	FLAGS_KEPT,					/* it leaves them alone */
	FLAGS_USED					/* it uses them when they are on top */
};

static uint8_t op_flags[SF_OP_COUNT];

static void
init_op_flags(void)
{
	static const int kept[] = {SF_OP_LOCAL_GET, SF_OP_I32_CONST, SF_OP_I64_CONST,
	SF_OP_F32_CONST, SF_OP_F64_CONST, SF_OP_REF_NULL, SF_OP_NOP};
	static const int used[] = {SF_OP_IF, SF_OP_BR_IF, SF_OP_I32_EQZ, SF_OP_SELECT,
	SF_OP_SELECT_T, SF_OP_LOCAL_SET, SF_OP_LOCAL_TEE};

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		op_flags[kept[i]] = FLAGS_KEPT;
	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++)
		op_flags[used[i]] = FLAGS_USED;
}

/* ---- decoding opcodes ---------------------------------------------------------------------- */

int16_t		cg_byte_ops[256];
uint8_t		cg_op_fuel[SF_OP_COUNT];
bool		cg_op_traps[SF_OP_COUNT];
/*
** How cg_from_load sees each operator, a byte: SCAN_NO (it ends the
** scan), or the values it pops (2 bits) and pushes (SCAN_PUSH), SCAN_LOAD
** for a load, SCAN_LOCAL for local.get, set and tee (typed by hand), and
** its immediates' shape (SCAN_IMM_*).
*/
#define SCAN_NO 0xFF
#define SCAN_PUSH 0x04
#define SCAN_LOAD 0x08
#define SCAN_LOCAL 0x10
#define SCAN_IMM_LEB 0x20		/* one LEB128 */
#define SCAN_IMM_2LEB 0x40		/* two */
#define SCAN_IMM_BYTES 0x60		/* 4 or 8 bytes: an f32 or f64 constant */
#define SCAN_IMM_MASK 0x60
static uint8_t scan_kind[SF_OP_COUNT];

static pthread_once_t byte_ops_once = PTHREAD_ONCE_INIT;

static uint8_t
scan_kind_of(int op)
{
	const sf_opinfo *oi = &sf_opinfo_table[op];
	uint32_t	pops,
				pushes,
				imm;

	switch (oi->imm)
	{
		case SF_IMM_NONE:
			imm = 0;
			break;
		case SF_IMM_LOCAL:
		case SF_IMM_GLOBAL:
		case SF_IMM_I32:
		case SF_IMM_I64:
			imm = SCAN_IMM_LEB;
			break;
		case SF_IMM_MEMARG:
			imm = SCAN_IMM_2LEB;
			break;
		case SF_IMM_F32:
		case SF_IMM_F64:
			imm = SCAN_IMM_BYTES;
			break;
		default:
			return SCAN_NO;
	}
	switch (op)
	{
		case SF_OP_LOCAL_GET:
		case SF_OP_LOCAL_SET:
		case SF_OP_LOCAL_TEE:
			return (uint8_t) (SCAN_LOCAL | imm);
		case SF_OP_GLOBAL_GET:
			return (uint8_t) (SCAN_PUSH | imm);
		case SF_OP_GLOBAL_SET:
		case SF_OP_DROP:
			return (uint8_t) (1 | imm);
		case SF_OP_SELECT:
			return 3 | SCAN_PUSH;
		default:
			if (oi->prefix != 0 || oi->sig[0] == '*')
				return SCAN_NO;
			pops = (uint32_t) (strchr(oi->sig, ':') - oi->sig);
			pushes = (uint32_t) strlen(oi->sig) - pops - 1;
			if (pops > 3 || pushes > 1)
				return SCAN_NO;
			return (uint8_t) (pops | (pushes ? SCAN_PUSH : 0) | imm |
							  (oi->mem != 0 && pushes ? SCAN_LOAD : 0));
	}
}

static void
init_byte_ops(void)
{
	for (int b = 0; b < 256; b++)
		cg_byte_ops[b] = (int16_t) sf_opcode_lookup(0, (uint32_t) b);
	cg_byte_ops[0xFC] = CG_OP_PREFIX;
	for (int op = 0; op < SF_OP_COUNT; op++)
	{
		cg_op_fuel[op] = sf_opinfo_table[op].fuel;
		cg_op_traps[op] = sf_opinfo_table[op].trap != 0;
		scan_kind[op] = scan_kind_of(op);
	}
	init_op_flags();
}

/* Once per compile, not per opcode: pthread_once showed at 2% of compile time. */
void
cg_init_tables(void)
{
	pthread_once(&byte_ops_once, init_byte_ops);
}

/* cg_lookup_op's slow path: the 0xFC prefix. */
int
cg_lookup_prefixed(cstate *c)
{
	return sf_opcode_lookup(0xFC, cg_read_u32(c));
}

#define SCAN_LOCALS 8

/*
** Whether the value that straight-line code [from, to) leaves on top of
** the stack derives from a load in it, directly or through a local it
** sets (up to SCAN_LOCALS of them; more, or an operator it does not know,
** say yes).  Values from before 'from' do not; nor do locals it reads
** before setting them.
*/
bool
cg_from_load(const uint8_t *from, const uint8_t *to)
{
	sf_reader	r = {from, from, to, NULL};
	uint64_t	stack = 0,
				imm;
	uint32_t	local[SCAN_LOCALS],
				nlocals = 0,
				loaded = 0;
	uint8_t		byte;
	const uint8_t *bytes;

	while (sf_rd_u8(&r, &byte))
	{
		int			op = cg_byte_ops[byte];
		uint32_t	kind,
					x,
					i;
		bool		in;

		if (op < 0 || (kind = scan_kind[op]) == SCAN_NO)
			return true;
		if (kind & SCAN_LOCAL)
		{
			if (!sf_rd_u32(&r, &x))
				return true;
			for (i = 0; i < nlocals && local[i] != x; i++)
				;
			if (op == SF_OP_LOCAL_GET)
			{
				stack = stack << 1 | (i < nlocals && (loaded >> i & 1));
				continue;
			}
			if (i == SCAN_LOCALS)
				return true;
			if (i == nlocals)
				local[nlocals++] = x;
			loaded = (loaded & ~(1u << i)) | (uint32_t) (stack & 1) << i;
			if (op == SF_OP_LOCAL_SET)
				stack >>= 1;
			continue;
		}
		/* the immediates: LEB128s read as signed 64-bit numbers fit them all */
		switch (kind & SCAN_IMM_MASK)
		{
			case SCAN_IMM_2LEB:
				if (!sf_rd_leb(&r, 64, true, &imm))
					return true;
				/* fall through */
			case SCAN_IMM_LEB:
				if (!sf_rd_leb(&r, 64, true, &imm))
					return true;
				break;
			case SCAN_IMM_BYTES:
				if (!sf_rd_bytes(&r, op == SF_OP_F32_CONST ? 4 : 8, &bytes))
					return true;
				break;
		}
		in = (kind & SCAN_LOAD) || (stack & ((1u << (kind & 3)) - 1));
		stack >>= kind & 3;
		if (kind & SCAN_PUSH)
			stack = stack << 1 | in;
	}
	return stack & 1;
}

/* ---- the dispatcher -------------------------------------------------------------------- */

static OUT_OF_LINE void
emit_memory_size(cstate *c)
{
	int			r;

	cg_read_u32(c);
	r = cg_alloc_gpr(c);
	x64_mov_rm(c->b, 1, r, x64_m(X64_CTX, SF_OFF_VM_MEM));
	x64_mov_rm(c->b, 1, r, x64_m(r, SF_OFF_MEM_SIZE));
	x64_shift_ri(c->b, X64_SHR, 1, r, 16);
	cg_push_reg(c, SF_I32, r);
}

static OUT_OF_LINE void
emit_ref_func(cstate *c, uint32_t func)
{
	int			r = cg_alloc_gpr(c);

	x64_mov_rm(c->b, 1, r, x64_m(X64_CTX, sf_vm_func_off(c->m, func)));
	cg_push_reg(c, SF_FUNCREF, r);
}

static OUT_OF_LINE void
emit_table_size(cstate *c, uint32_t table)
{
	int			r = cg_alloc_gpr(c);

	x64_mov_rm(c->b, 1, r, x64_m(X64_CTX, sf_vm_table_off(c->m, table)));
	x64_mov_rm(c->b, 0, r, x64_m(r, SF_OFF_TABLE_SIZE));
	cg_push_reg(c, SF_I32, r);
}

static OUT_OF_LINE void
helper(cstate *c, void *fn, int nargs, int64_t i0, int64_t i1, int nimm,
	   bool traps, int rtype)
{
	int64_t		imms[2] = {i0, i1};

	cg_call_helper(c, fn, nargs, imms, nimm, traps, rtype);
}

/*
** Code after an unconditional branch is never executed: it costs no fuel
** and emits nothing, but keeps the frame structure (a dead block, loop or
** if pushes a dead frame), and every other operator's immediates are
** consumed.
*/
static OUT_OF_LINE bool
lower_dead(cstate *c, int op)
{
	switch (op)
	{
		case SF_OP_BLOCK:
			cg_block(c);
			break;
		case SF_OP_LOOP:
			cg_loop(c);
			break;
		case SF_OP_IF:
			cg_if(c);
			break;
		case SF_OP_ELSE:
			cg_else(c);
			break;
		case SF_OP_END:
			cg_end(c);
			return c->csp == 0 || c->pc >= c->end;
		default:
			skip_imm(c, sf_opinfo_table[op].imm);
			break;
	}
	return false;
}

/* Inline: 'nflags' may stay above 0 after the compare is gone. */
static inline void
flags_before(cstate *c, int op)
{
	if (c->nflags != 0 && op_flags[op] != FLAGS_KEPT &&
		(op_flags[op] == FLAGS_LOST || c->sp == 0 || cg_top(c, 0)->kind != VK_FLAGS))
		cg_materialize_flags_slow(c);
}

/* Out of line: the loop keeps no copy of the opcode's byte for it. */
static __attribute__((noinline, cold)) sf_status
unknown_opcode(cstate *c)
{
	return cg_fail(c, SF_UNSUPPORTED, "unsupported opcode 0x%02x", *c->op_start);
}

/*
** Decode and lower the body's operators, one at a time, until the 'end'
** that closes the function's frame or a failure.  Neither the position
** nor the status is tested per operator: the validated body ends in that
** 'end' (an 'end' at the last byte stops the loop in any case), and
** cg_fail sets 'failed', which the heads test with the other rare cases
** ('slow').  The one
** dispatch: a jump through the table of the operators' labels (every
** operator of the opcode list has one, or this does not compile, so no
** range check as a switch has), from one of two heads, by fuel mode:
** 'counting' runs cg_fuel_op, 'off' does not (it would do nothing).
** Each lowering ends with NEXT, back to the head.  local.get and the
** constants only push an entry; every other operator calls its lowering,
** out of line so that the loop keeps a small frame.
*/
#define NEXT goto next

static sf_status
lower_ops(cstate *c)
{
	static const void *const ops[SF_OP_COUNT] = {
#define SF_X_(id, name, prefix, code, imm, sig, fuel, mem, trap) [SF_OP_##id] = &&op_##id,
		SF_OPCODE_LIST(SF_X_)
#undef SF_X_
	};
	bool		counting = c->fuel.counting;
	uint32_t	imm;
	int			op;

next:
	if (!counting)
		goto off;
	c->op_start = c->pc;
	op = cg_lookup_op(c);
	if (SF_UNLIKELY(op < 0))
		return unknown_opcode(c);
	if (SF_UNLIKELY(c->slow != 0))
		goto slow;
	cg_fuel_op(c, op);
	goto *ops[op];

off:
	c->op_start = c->pc;
	op = cg_lookup_op(c);
	if (SF_UNLIKELY(op < 0))
		return unknown_opcode(c);
	if (SF_LIKELY(c->slow == 0))
		goto *ops[op];

	/* a failure, unreachable code, or compare results on the stack */
slow:
	if (c->failed)
		return c->status;
	if (c->unreachable)
	{
		if (lower_dead(c, op))
			return c->status;
		NEXT;
	}
	if (counting)
		cg_fuel_op(c, op);
	flags_before(c, op);
	goto *ops[op];

	/* values: only a push */
op_LOCAL_GET:
	cg_push_local(c, cg_read_u32(c));
	NEXT;
op_I32_CONST:
	cg_push_const(c, SF_I32, (uint32_t) cg_read_s32(c));
	NEXT;
op_I64_CONST:
	cg_push_const(c, SF_I64, cg_read_s64(c));
	NEXT;
op_F32_CONST:
	cg_push_const(c, SF_F32, (int64_t) read_bytes(c, 4));
	NEXT;
op_F64_CONST:
	cg_push_const(c, SF_F64, (int64_t) read_bytes(c, 8));
	NEXT;
op_REF_NULL:
	imm = cg_read_u32(c);
	cg_push_const(c, (uint8_t) imm, 0);
	NEXT;
op_NOP:
	NEXT;

	/* control */
op_BLOCK:
	cg_block(c);
	NEXT;
op_LOOP:
	cg_loop(c);
	NEXT;
op_IF:
	cg_if(c);
	NEXT;
op_BR_IF:
	cg_br_if(c, cg_read_u32(c));
	NEXT;
op_ELSE:
	cg_else(c);
	NEXT;
op_END:
	cg_end(c);
	if (c->csp == 0 || SF_UNLIKELY(c->pc >= c->end))
		return c->status;
	NEXT;
op_BR:
	cg_br(c, cg_read_u32(c));
	NEXT;
op_BR_TABLE:
	cg_br_table(c);
	NEXT;
op_RETURN:
	cg_return(c);
	NEXT;
op_CALL:
	cg_call(c, cg_read_u32(c));
	NEXT;
op_CALL_INDIRECT:
	imm = cg_read_u32(c);
	cg_call_indirect(c, imm, cg_read_u32(c));
	NEXT;
op_UNREACHABLE:
	cg_trap_now(c, SF_TRAP_UNREACHABLE);
	c->unreachable = true;
	NEXT;

	/* variables */
op_SELECT_T:
	skip_imm(c, SF_IMM_SELECT_T);
	/* fall through */
op_SELECT:
	emit_select(c);
	NEXT;
op_DROP:
	{
		sval	   *v = cg_pop_ref(c);

		cg_release(c, v);
		NEXT;
	}
op_LOCAL_SET:
	imm = cg_read_u32(c);
	if (!local_set_itself(c, imm, false))
		cg_local_set(c, imm);
	NEXT;
op_LOCAL_TEE:
	imm = cg_read_u32(c);
	if (!local_set_itself(c, imm, true))
		cg_local_tee(c, imm);
	NEXT;
op_GLOBAL_GET:
	emit_global_get(c, cg_read_u32(c));
	NEXT;
op_GLOBAL_SET:
	emit_global_set(c, cg_read_u32(c));
	NEXT;

	/* memory */
op_I32_LOAD:
	cg_load_i32(c);
	NEXT;
op_I64_LOAD:
op_F32_LOAD:
op_F64_LOAD:
op_I32_LOAD8_S:
op_I32_LOAD8_U:
op_I32_LOAD16_S:
op_I32_LOAD16_U:
op_I64_LOAD8_S:
op_I64_LOAD8_U:
op_I64_LOAD16_S:
op_I64_LOAD16_U:
op_I64_LOAD32_S:
op_I64_LOAD32_U:
	cg_emit_load(c, op);
	NEXT;
op_I32_STORE:
op_I64_STORE:
op_F32_STORE:
op_F64_STORE:
op_I32_STORE8:
op_I32_STORE16:
op_I64_STORE8:
op_I64_STORE16:
op_I64_STORE32:
	cg_emit_store(c, op);
	NEXT;
op_MEMORY_SIZE:
	emit_memory_size(c);
	NEXT;
op_MEMORY_GROW:
	cg_read_u32(c);
	helper(c, (void *) sf_rt_memory_grow, 1, 0, 0, 0, true, SF_I32);
	NEXT;
op_MEMORY_INIT:
	imm = cg_read_u32(c);
	cg_read_u32(c);
	helper(c, (void *) sf_rt_memory_init, 3, imm, 0, 1, true, 0);
	NEXT;
op_DATA_DROP:
	helper(c, (void *) sf_rt_data_drop, 0, cg_read_u32(c), 0, 1, false, 0);
	NEXT;
op_MEMORY_COPY:
	cg_read_u32(c);
	cg_read_u32(c);
	helper(c, (void *) sf_rt_memory_copy, 3, 0, 0, 0, true, 0);
	NEXT;
op_MEMORY_FILL:
	cg_read_u32(c);
	helper(c, (void *) sf_rt_memory_fill, 3, 0, 0, 0, true, 0);
	NEXT;

	/* tables and references */
op_TABLE_GET:
	emit_table_get(c, cg_read_u32(c));
	NEXT;
op_TABLE_SET:
	emit_table_set(c, cg_read_u32(c));
	NEXT;
op_TABLE_INIT:
	{
		uint32_t	seg = cg_read_u32(c);

		imm = cg_read_u32(c);
		helper(c, (void *) sf_rt_table_init, 3, imm, seg, 2, true, 0);
		NEXT;
	}
op_ELEM_DROP:
	helper(c, (void *) sf_rt_elem_drop, 0, cg_read_u32(c), 0, 1, false, 0);
	NEXT;
op_TABLE_COPY:
	{
		uint32_t	dt = cg_read_u32(c);

		imm = cg_read_u32(c);
		helper(c, (void *) sf_rt_table_copy, 3, dt, imm, 2, true, 0);
		NEXT;
	}
op_TABLE_GROW:
	helper(c, (void *) sf_rt_table_grow, 2, cg_read_u32(c), 0, 1, true, SF_I32);
	NEXT;
op_TABLE_SIZE:
	emit_table_size(c, cg_read_u32(c));
	NEXT;
op_TABLE_FILL:
	helper(c, (void *) sf_rt_table_fill, 3, cg_read_u32(c), 0, 1, true, 0);
	NEXT;
op_REF_IS_NULL:
	emit_is_null(c);
	NEXT;
op_REF_FUNC:
	emit_ref_func(c, cg_read_u32(c));
	NEXT;

	/* integers */
op_I32_EQZ:
	cg_int_eqz(c, 0);
	NEXT;
op_I64_EQZ:
	cg_int_eqz(c, 1);
	NEXT;
op_I32_EQ:
op_I32_NE:
op_I32_LT_S:
op_I32_LT_U:
op_I32_GT_S:
op_I32_GT_U:
op_I32_LE_S:
op_I32_LE_U:
op_I32_GE_S:
op_I32_GE_U:
	int_cmp(c, 0, (x64_cc) i32_cmp_cc[op - SF_OP_I32_EQ]);
	NEXT;
op_I64_EQ: int_cmp(c, 1, X64_CC_E); NEXT;
op_I64_NE: int_cmp(c, 1, X64_CC_NE); NEXT;
op_I64_LT_S: int_cmp(c, 1, X64_CC_L); NEXT;
op_I64_LT_U: int_cmp(c, 1, X64_CC_B); NEXT;
op_I64_GT_S: int_cmp(c, 1, X64_CC_G); NEXT;
op_I64_GT_U: int_cmp(c, 1, X64_CC_A); NEXT;
op_I64_LE_S: int_cmp(c, 1, X64_CC_LE); NEXT;
op_I64_LE_U: int_cmp(c, 1, X64_CC_BE); NEXT;
op_I64_GE_S: int_cmp(c, 1, X64_CC_GE); NEXT;
op_I64_GE_U: int_cmp(c, 1, X64_CC_AE); NEXT;
op_I32_CLZ:
op_I32_CTZ:
op_I32_POPCNT:
	int_count(c, op, 0);
	NEXT;
op_I64_CLZ:
op_I64_CTZ:
op_I64_POPCNT:
	int_count(c, op, 1);
	NEXT;
op_I32_ADD: cg_int_binop(c, op, 0, X64_ADD, true); NEXT;
op_I32_SUB: cg_int_binop(c, op, 0, X64_SUB, false); NEXT;
op_I32_AND: cg_int_binop(c, op, 0, X64_AND, true); NEXT;
op_I32_OR: cg_int_binop(c, op, 0, X64_OR, true); NEXT;
op_I32_XOR: cg_int_binop(c, op, 0, X64_XOR, true); NEXT;
op_I64_ADD: cg_int_binop(c, op, 1, X64_ADD, true); NEXT;
op_I64_SUB: cg_int_binop(c, op, 1, X64_SUB, false); NEXT;
op_I64_AND: cg_int_binop(c, op, 1, X64_AND, true); NEXT;
op_I64_OR: cg_int_binop(c, op, 1, X64_OR, true); NEXT;
op_I64_XOR: cg_int_binop(c, op, 1, X64_XOR, true); NEXT;
op_I32_MUL: int_mul(c, op, 0); NEXT;
op_I64_MUL: int_mul(c, op, 1); NEXT;
op_I32_DIV_S: int_div(c, 0, true, false); NEXT;
op_I32_DIV_U: int_div(c, 0, false, false); NEXT;
op_I32_REM_S: int_div(c, 0, true, true); NEXT;
op_I32_REM_U: int_div(c, 0, false, true); NEXT;
op_I64_DIV_S: int_div(c, 1, true, false); NEXT;
op_I64_DIV_U: int_div(c, 1, false, false); NEXT;
op_I64_REM_S: int_div(c, 1, true, true); NEXT;
op_I64_REM_U: int_div(c, 1, false, true); NEXT;
op_I32_SHL: cg_int_shift(c, op, 0, X64_SHL); NEXT;
op_I32_SHR_S: cg_int_shift(c, op, 0, X64_SAR); NEXT;
op_I32_SHR_U: cg_int_shift(c, op, 0, X64_SHR); NEXT;
op_I32_ROTL: cg_int_shift(c, op, 0, X64_ROL); NEXT;
op_I32_ROTR: cg_int_shift(c, op, 0, X64_ROR); NEXT;
op_I64_SHL: cg_int_shift(c, op, 1, X64_SHL); NEXT;
op_I64_SHR_S: cg_int_shift(c, op, 1, X64_SAR); NEXT;
op_I64_SHR_U: cg_int_shift(c, op, 1, X64_SHR); NEXT;
op_I64_ROTL: cg_int_shift(c, op, 1, X64_ROL); NEXT;
op_I64_ROTR: cg_int_shift(c, op, 1, X64_ROR); NEXT;
op_I32_WRAP_I64:
op_I64_EXTEND_I32_S:
op_I64_EXTEND_I32_U:
op_I32_EXTEND8_S:
op_I32_EXTEND16_S:
op_I64_EXTEND8_S:
op_I64_EXTEND16_S:
op_I64_EXTEND32_S:
	int_extend(c, op);
	NEXT;

	/* floats (compile_float.c) */
op_F32_ADD: cg_f_binop(c, X64_ADDS, 0); NEXT;
op_F32_SUB: cg_f_binop(c, X64_SUBS, 0); NEXT;
op_F32_MUL: cg_f_binop(c, X64_MULS, 0); NEXT;
op_F32_DIV: cg_f_binop(c, X64_DIVS, 0); NEXT;
op_F64_ADD: cg_f_binop(c, X64_ADDS, 1); NEXT;
op_F64_SUB: cg_f_binop(c, X64_SUBS, 1); NEXT;
op_F64_MUL: cg_f_binop(c, X64_MULS, 1); NEXT;
op_F64_DIV: cg_f_binop(c, X64_DIVS, 1); NEXT;
op_F32_MIN: cg_f_minmax(c, true, 0); NEXT;
op_F32_MAX: cg_f_minmax(c, false, 0); NEXT;
op_F64_MIN: cg_f_minmax(c, true, 1); NEXT;
op_F64_MAX: cg_f_minmax(c, false, 1); NEXT;
op_F32_COPYSIGN: cg_f_copysign(c, 0); NEXT;
op_F64_COPYSIGN: cg_f_copysign(c, 1); NEXT;
op_F32_ABS:
op_F32_NEG:
op_F32_CEIL:
op_F32_FLOOR:
op_F32_TRUNC:
op_F32_NEAREST:
op_F32_SQRT:
	cg_f_unop(c, op, 0);
	NEXT;
op_F64_ABS:
op_F64_NEG:
op_F64_CEIL:
op_F64_FLOOR:
op_F64_TRUNC:
op_F64_NEAREST:
op_F64_SQRT:
	cg_f_unop(c, op, 1);
	NEXT;
op_F32_EQ:
op_F32_NE:
op_F32_LT:
op_F32_GT:
op_F32_LE:
op_F32_GE:
	cg_f_cmp(c, op, 0);
	NEXT;
op_F64_EQ:
op_F64_NE:
op_F64_LT:
op_F64_GT:
op_F64_LE:
op_F64_GE:
	cg_f_cmp(c, op, 1);
	NEXT;
op_I32_TRUNC_F32_S: cg_f_trunc(c, false, true, false, false); NEXT;
op_I32_TRUNC_F32_U: cg_f_trunc(c, false, false, false, false); NEXT;
op_I32_TRUNC_F64_S: cg_f_trunc(c, false, true, true, false); NEXT;
op_I32_TRUNC_F64_U: cg_f_trunc(c, false, false, true, false); NEXT;
op_I64_TRUNC_F32_S: cg_f_trunc(c, true, true, false, false); NEXT;
op_I64_TRUNC_F32_U: cg_f_trunc(c, true, false, false, false); NEXT;
op_I64_TRUNC_F64_S: cg_f_trunc(c, true, true, true, false); NEXT;
op_I64_TRUNC_F64_U: cg_f_trunc(c, true, false, true, false); NEXT;
op_I32_TRUNC_SAT_F32_S: cg_f_trunc(c, false, true, false, true); NEXT;
op_I32_TRUNC_SAT_F32_U: cg_f_trunc(c, false, false, false, true); NEXT;
op_I32_TRUNC_SAT_F64_S: cg_f_trunc(c, false, true, true, true); NEXT;
op_I32_TRUNC_SAT_F64_U: cg_f_trunc(c, false, false, true, true); NEXT;
op_I64_TRUNC_SAT_F32_S: cg_f_trunc(c, true, true, false, true); NEXT;
op_I64_TRUNC_SAT_F32_U: cg_f_trunc(c, true, false, false, true); NEXT;
op_I64_TRUNC_SAT_F64_S: cg_f_trunc(c, true, true, true, true); NEXT;
op_I64_TRUNC_SAT_F64_U: cg_f_trunc(c, true, false, true, true); NEXT;
op_F32_CONVERT_I32_S: cg_f_convert(c, 0, false, true); NEXT;
op_F32_CONVERT_I32_U: cg_f_convert(c, 0, false, false); NEXT;
op_F32_CONVERT_I64_S: cg_f_convert(c, 0, true, true); NEXT;
op_F32_CONVERT_I64_U: cg_f_convert(c, 0, true, false); NEXT;
op_F64_CONVERT_I32_S: cg_f_convert(c, 1, false, true); NEXT;
op_F64_CONVERT_I32_U: cg_f_convert(c, 1, false, false); NEXT;
op_F64_CONVERT_I64_S: cg_f_convert(c, 1, true, true); NEXT;
op_F64_CONVERT_I64_U: cg_f_convert(c, 1, true, false); NEXT;
op_F32_DEMOTE_F64: cg_f_demote_promote(c, false); NEXT;
op_F64_PROMOTE_F32: cg_f_demote_promote(c, true); NEXT;
op_I32_REINTERPRET_F32: cg_f_reinterpret(c, SF_I32); NEXT;
op_I64_REINTERPRET_F64: cg_f_reinterpret(c, SF_I64); NEXT;
op_F32_REINTERPRET_I32: cg_f_reinterpret(c, SF_F32); NEXT;
op_F64_REINTERPRET_I64: cg_f_reinterpret(c, SF_F64); NEXT;
}

#undef NEXT

sf_status
cg_lower_body(cstate *c)
{
	if (c->status != SF_OK)
		return c->status;
	return lower_ops(c);
}
