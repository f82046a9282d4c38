/*
** x64_emit.c -- the x86-64 byte encoder (see x64_emit.h).
**
** Every emitter funnels through enc() (register operand) or enc_m()
** (memory operand): legacy prefix, REX, opcode bytes, ModRM/SIB/
** displacement.  The special cases of ModRM (RSP/R12 need a SIB, RBP/R13
** with no displacement need an explicit disp8, byte registers 4..7 need a
** REX to mean SPL..DIL) live there and nowhere else.
*/
#include <stdlib.h>
#include <string.h>

#include "x64_emit.h"

#define F_W		1u				/* REX.W */
#define F_66	2u
#define F_F2	4u
#define F_F3	8u
#define F_BYTE	16u				/* byte registers: SPL..DIL need a REX */

void
x64_buf_init(x64_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->start = b->p = b->scratch;
	b->end = b->scratch;
	x64_grow(b, 1);
}

void
x64_buf_init_at(x64_buf *b, uint8_t *mem, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->start = b->p = mem;
	b->end = mem + cap - X64_RED_ZONE;
}

void
x64_buf_free(x64_buf *b)
{
	if (b->owned)
		free(b->start);
	b->start = b->p = b->end = NULL;
	b->owned = false;
}

void
x64_grow(x64_buf *b, size_t n)
{
	size_t		used, cap, want;
	uint8_t    *nb;

	if (b->p + n <= b->end)
		return;
	if (b->oom)
	{
		/* keep writing harmlessly into the scratch area */
		b->p = b->scratch;
		return;
	}
	used = (size_t) (b->p - b->start);
	cap = b->start == b->scratch ? 0 : (size_t) (b->end - b->start) + X64_RED_ZONE;
	want = cap ? cap * 2 : 4096;
	while (want < used + n + X64_RED_ZONE)
		want *= 2;
	nb = b->owned ? realloc(b->start, want) : malloc(want);
	if (nb == NULL)
	{
		b->oom = true;
		b->p = b->scratch;
		b->end = b->scratch + sizeof(b->scratch) - X64_RED_ZONE;
		return;
	}
	if (!b->owned)
		memcpy(nb, b->start, used);
	b->owned = true;
	b->start = nb;
	b->p = nb + used;
	b->end = nb + want - X64_RED_ZONE;
}

void
x64_byte(x64_buf *b, uint8_t v)
{
	x64_reserve(b, 1);
	*b->p++ = v;
}

void
x64_u32(x64_buf *b, uint32_t v)
{
	x64_reserve(b, 4);
	memcpy(b->p, &v, 4);
	b->p += 4;
}


uint32_t
x64_read32(const x64_buf *b, size_t at)
{
	uint32_t	v = 0;

	if (!b->oom)
		memcpy(&v, b->start + at, 4);
	return v;
}

/*
** Overwrite 'len' (1..9) bytes of emitted code with one multi-byte NOP,
** the forms the Intel SDM recommends (vol. 2B, "NOP").
*/
void
x64_nop_at(x64_buf *b, size_t at, int len)
{
	static const uint8_t nops[9][9] = {
		{0x90},
		{0x66, 0x90},
		{0x0F, 0x1F, 0x00},
		{0x0F, 0x1F, 0x40, 0x00},
		{0x0F, 0x1F, 0x44, 0x00, 0x00},
		{0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
		{0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
		{0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
		{0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	};

	if (!b->oom && len >= 1 && len <= 9)
		memcpy(b->start + at, nops[len - 1], (size_t) len);
}

/* Raw byte without a reserve: callers reserved for the whole instruction. */
#define PUT(b, v) (*(b)->p++ = (uint8_t) (v))

static void
put32(x64_buf *b, uint32_t v)
{
	memcpy(b->p, &v, 4);
	b->p += 4;
}

/*
** Legacy prefixes, REX and the opcode bytes ('op' holds 'oplen' of them,
** most significant first).  'rex' has the R/X/B bits, or 0x40 alone when
** a byte register needs an empty REX.
*/
static inline __attribute__((always_inline)) uint8_t *
put_head(uint8_t *p, unsigned flags, unsigned rex, uint32_t op, int oplen)
{
	if (flags & F_66)
		*p++ = 0x66;
	if (flags & F_F2)
		*p++ = 0xF2;
	if (flags & F_F3)
		*p++ = 0xF3;
	if (flags & F_W)
		rex |= 8;
	if (rex)
		*p++ = (uint8_t) (0x40 | (rex & 0xF));
	if (oplen == 3)
		*p++ = (uint8_t) (op >> 16);
	if (oplen >= 2)
		*p++ = (uint8_t) (op >> 8);
	*p++ = (uint8_t) op;
	return p;
}

/*
** Encode one instruction with a register r/m operand.  Inlined into every
** emitter: with the flags and opcode constant, most of it folds away.  The
** bytes go through a local pointer, since stores through uint8_t * would
** otherwise force b->p to be reloaded after each one.
*/
static inline __attribute__((always_inline)) void
enc(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, int rmreg)
{
	unsigned	rex = ((unsigned) (reg & 8) >> 1) | ((unsigned) (rmreg & 8) >> 3);
	uint8_t    *p;

	x64_reserve(b, 16);
	if ((flags & F_BYTE) && ((rmreg >= 4 && rmreg < 8) || (reg >= 4 && reg < 8)))
		rex |= 0x40;
	p = put_head(b->p, flags, rex, op, oplen);
	*p++ = (uint8_t) (0xC0 | ((reg & 7) << 3) | (rmreg & 7));
	b->p = p;
}

/*
** The same with the memory operand *m: ModRM, SIB, displacement.  RSP/R12
** as a base need a SIB, RBP/R13 with no displacement an explicit disp8.
** Inlined only into the frequent moves (enc_m_hot); the rest share one
** out-of-line copy.
*/
static inline __attribute__((always_inline)) void
enc_m_hot(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, const x64_mem *m)
{
	int			base = m->base, index = m->index;
	unsigned	rex = (unsigned) (reg & 8) >> 1;
	uint8_t    *p;
	int			mod;

	x64_reserve(b, 16);
	if (base != X64_RIP && (base & 8))
		rex |= 1;
	if (index != X64_NOINDEX && (index & 8))
		rex |= 2;
	if ((flags & F_BYTE) && reg >= 4 && reg < 8)
		rex |= 0x40;
	p = put_head(b->p, flags, rex, op, oplen);
	if (base == X64_RIP)
	{
		*p++ = (uint8_t) (((reg & 7) << 3) | 5);
		memcpy(p, &m->disp, 4);
		b->p = p + 4;
		return;
	}
	if (m->disp == 0 && (base & 7) != 5)
		mod = 0;
	else if (m->disp >= -128 && m->disp <= 127)
		mod = 1;
	else
		mod = 2;
	if (index != X64_NOINDEX || (base & 7) == 4)
	{
		int			ss = m->scale == 8 ? 3 : m->scale == 4 ? 2 : m->scale == 2 ? 1 : 0;
		int			idx = index == X64_NOINDEX ? 4 : (index & 7);

		*p++ = (uint8_t) ((mod << 6) | ((reg & 7) << 3) | 4);
		*p++ = (uint8_t) ((ss << 6) | (idx << 3) | (base & 7));
	}
	else
		*p++ = (uint8_t) ((mod << 6) | ((reg & 7) << 3) | (base & 7));
	if (mod == 1)
		*p++ = (uint8_t) (int8_t) m->disp;
	else if (mod == 2)
	{
		memcpy(p, &m->disp, 4);
		p += 4;
	}
	b->p = p;
}

static void
enc_m(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, const x64_mem *m)
{
	enc_m_hot(b, flags, op, oplen, reg, m);
}

static inline unsigned
wflag(int w)
{
	return w ? F_W : 0;
}

void
x64_mov_rr(x64_buf *b, int w, int dst, int src)
{
	enc(b, wflag(w), 0x8B, 1, dst, src);
}

void
x64_mov_ri(x64_buf *b, int w, int dst, int64_t imm)
{
	/* never 'xor r, r': callers may have live flags */
	if (!w || (imm >= 0 && imm <= 0xFFFFFFFFll))
	{
		/* mov r32, imm32 zero-extends */
		x64_reserve(b, 16);
		if (dst & 8)
			PUT(b, 0x41);
		PUT(b, 0xB8 + (dst & 7));
		put32(b, (uint32_t) imm);
		return;
	}
	if (imm >= INT32_MIN && imm <= INT32_MAX)
	{
		enc(b, F_W, 0xC7, 1, 0, dst);
		put32(b, (uint32_t) imm);
		return;
	}
	x64_reserve(b, 16);
	PUT(b, 0x48 | ((dst & 8) ? 1 : 0));
	PUT(b, 0xB8 + (dst & 7));
	memcpy(b->p, &imm, 8);
	b->p += 8;
}

void
x64_mov_rm(x64_buf *b, int w, int dst, x64_mem m)
{
	enc_m_hot(b, wflag(w), 0x8B, 1, dst, &m);
}

void
x64_mov_mr(x64_buf *b, int w, x64_mem m, int src)
{
	enc_m_hot(b, wflag(w), 0x89, 1, src, &m);
}

void
x64_mov_mi(x64_buf *b, int w, x64_mem m, int32_t imm)
{
	enc_m(b, wflag(w), 0xC7, 1, 0, &m);
	put32(b, (uint32_t) imm);
}

void
x64_store(x64_buf *b, int size, x64_mem m, int src)
{
	switch (size)
	{
		case 1:
			enc_m(b, F_BYTE, 0x88, 1, src, &m);
			break;
		case 2:
			enc_m(b, F_66, 0x89, 1, src, &m);
			break;
		case 4:
			enc_m(b, 0, 0x89, 1, src, &m);
			break;
		default:
			enc_m(b, F_W, 0x89, 1, src, &m);
			break;
	}
}

void
x64_movzx_rm(x64_buf *b, int srcsize, int dst, x64_mem m)
{
	if (srcsize == 4)
		enc_m(b, 0, 0x8B, 1, dst, &m);
	else
		enc_m(b, 0, srcsize == 1 ? 0x0FB6 : 0x0FB7, 2, dst, &m);
}

void
x64_movsx_rm(x64_buf *b, int w, int srcsize, int dst, x64_mem m)
{
	if (srcsize == 4)
		enc_m(b, F_W, 0x63, 1, dst, &m);
	else
		enc_m(b, wflag(w), srcsize == 1 ? 0x0FBE : 0x0FBF, 2, dst, &m);
}

void
x64_movzx_rr(x64_buf *b, int srcsize, int dst, int src)
{
	if (srcsize == 4)
		enc(b, 0, 0x8B, 1, dst, src);
	else
		enc(b, srcsize == 1 ? F_BYTE : 0, srcsize == 1 ? 0x0FB6 : 0x0FB7, 2, dst, src);
}

void
x64_movsx_rr(x64_buf *b, int w, int srcsize, int dst, int src)
{
	if (srcsize == 4)
		enc(b, F_W, 0x63, 1, dst, src);
	else
		enc(b, wflag(w) | (srcsize == 1 ? F_BYTE : 0),
			srcsize == 1 ? 0x0FBE : 0x0FBF, 2, dst, src);
}

void
x64_lea(x64_buf *b, int w, int dst, x64_mem m)
{
	enc_m(b, wflag(w), 0x8D, 1, dst, &m);
}

void
x64_alu_rr(x64_buf *b, x64_alu op, int w, int dst, int src)
{
	enc(b, wflag(w), 0x03 + 8 * op, 1, dst, src);
}

void
x64_alu_ri(x64_buf *b, x64_alu op, int w, int dst, int32_t imm)
{
	if (imm >= -128 && imm <= 127)
	{
		enc(b, wflag(w), 0x83, 1, op, dst);
		PUT(b, (int8_t) imm);
	}
	else if (dst == X64_RAX)
	{
		x64_reserve(b, 16);
		if (w)
			PUT(b, 0x48);
		PUT(b, 0x05 + 8 * op);
		put32(b, (uint32_t) imm);
	}
	else
	{
		enc(b, wflag(w), 0x81, 1, op, dst);
		put32(b, (uint32_t) imm);
	}
}

void
x64_alu_rm(x64_buf *b, x64_alu op, int w, int dst, x64_mem m)
{
	enc_m(b, wflag(w), 0x03 + 8 * op, 1, dst, &m);
}

void
x64_alu_mi(x64_buf *b, x64_alu op, int w, x64_mem m, int32_t imm)
{
	if (imm >= -128 && imm <= 127)
	{
		enc_m(b, wflag(w), 0x83, 1, op, &m);
		PUT(b, (int8_t) imm);
	}
	else
	{
		enc_m(b, wflag(w), 0x81, 1, op, &m);
		put32(b, (uint32_t) imm);
	}
}

void
x64_alu_mr(x64_buf *b, x64_alu op, int w, x64_mem m, int src)
{
	enc_m(b, wflag(w), 0x01 + 8 * op, 1, src, &m);
}

void
x64_test_rr(x64_buf *b, int w, int a, int c)
{
	enc(b, wflag(w), 0x85, 1, c, a);
}


void
x64_imul_rr(x64_buf *b, int w, int dst, int src)
{
	enc(b, wflag(w), 0x0FAF, 2, dst, src);
}

void
x64_imul_rm(x64_buf *b, int w, int dst, x64_mem m)
{
	enc_m(b, wflag(w), 0x0FAF, 2, dst, &m);
}

void
x64_imul_rri(x64_buf *b, int w, int dst, int src, int32_t imm)
{
	if (imm >= -128 && imm <= 127)
	{
		enc(b, wflag(w), 0x6B, 1, dst, src);
		PUT(b, (int8_t) imm);
	}
	else
	{
		enc(b, wflag(w), 0x69, 1, dst, src);
		put32(b, (uint32_t) imm);
	}
}

void
x64_unary_r(x64_buf *b, x64_unary op, int w, int r)
{
	enc(b, wflag(w), 0xF7, 1, op, r);
}

void
x64_shift_ri(x64_buf *b, x64_shift op, int w, int r, uint8_t imm)
{
	enc(b, wflag(w), 0xC1, 1, op, r);
	PUT(b, imm);
}

void
x64_shift_rcl(x64_buf *b, x64_shift op, int w, int r)
{
	enc(b, wflag(w), 0xD3, 1, op, r);
}

void
x64_cdq(x64_buf *b, int w)
{
	x64_reserve(b, 2);
	if (w)
		PUT(b, 0x48);
	PUT(b, 0x99);
}

void
x64_bsr(x64_buf *b, int w, int dst, int src)
{
	enc(b, wflag(w), 0x0FBD, 2, dst, src);
}

void
x64_bsf(x64_buf *b, int w, int dst, int src)
{
	enc(b, wflag(w), 0x0FBC, 2, dst, src);
}

void
x64_popcnt(x64_buf *b, int w, int dst, int src)
{
	enc(b, wflag(w) | F_F3, 0x0FB8, 2, dst, src);
}



void
x64_setcc(x64_buf *b, x64_cc cc, int r)
{
	enc(b, F_BYTE, 0x0F90 + cc, 2, 0, r);
}

void
x64_cmov_rr(x64_buf *b, x64_cc cc, int w, int dst, int src)
{
	enc(b, wflag(w), 0x0F40 + cc, 2, dst, src);
}

void
x64_cmov_rm(x64_buf *b, x64_cc cc, int w, int dst, x64_mem m)
{
	enc_m(b, wflag(w), 0x0F40 + cc, 2, dst, &m);
}

void
x64_push(x64_buf *b, int r)
{
	x64_reserve(b, 2);
	if (r & 8)
		PUT(b, 0x41);
	PUT(b, 0x50 + (r & 7));
}

void
x64_pop(x64_buf *b, int r)
{
	x64_reserve(b, 2);
	if (r & 8)
		PUT(b, 0x41);
	PUT(b, 0x58 + (r & 7));
}

void
x64_ret(x64_buf *b)
{
	x64_byte(b, 0xC3);
}

void
x64_ud2(x64_buf *b)
{
	x64_reserve(b, 2);
	PUT(b, 0x0F);
	PUT(b, 0x0B);
}

void
x64_call_r(x64_buf *b, int r)
{
	enc(b, 0, 0xFF, 1, 2, r);
}

void
x64_call_m(x64_buf *b, x64_mem m)
{
	enc_m(b, 0, 0xFF, 1, 2, &m);
}

void
x64_jmp_r(x64_buf *b, int r)
{
	enc(b, 0, 0xFF, 1, 4, r);
}

void
x64_rep_stosq(x64_buf *b)
{
	x64_reserve(b, 3);
	PUT(b, 0xF3);
	PUT(b, 0x48);
	PUT(b, 0xAB);
}

size_t
x64_jmp32(x64_buf *b, int32_t rel)
{
	x64_reserve(b, 5);
	PUT(b, 0xE9);
	put32(b, (uint32_t) rel);
	return x64_pos(b) - 4;
}

size_t
x64_jcc32(x64_buf *b, x64_cc cc, int32_t rel)
{
	x64_reserve(b, 6);
	PUT(b, 0x0F);
	PUT(b, 0x80 + cc);
	put32(b, (uint32_t) rel);
	return x64_pos(b) - 4;
}

size_t
x64_call32(x64_buf *b, int32_t rel)
{
	x64_reserve(b, 5);
	PUT(b, 0xE8);
	put32(b, (uint32_t) rel);
	return x64_pos(b) - 4;
}

size_t
x64_jcc8(x64_buf *b, x64_cc cc)
{
	x64_reserve(b, 2);
	PUT(b, 0x70 + cc);
	PUT(b, 0);
	return x64_pos(b) - 1;
}

size_t
x64_jmp8(x64_buf *b)
{
	x64_reserve(b, 2);
	PUT(b, 0xEB);
	PUT(b, 0);
	return x64_pos(b) - 1;
}

void
x64_bind8(x64_buf *b, size_t at)
{
	if (!b->oom)
		b->start[at] = (uint8_t) (int8_t) (x64_pos(b) - (at + 1));
}

void
x64_bind32(x64_buf *b, size_t at, size_t target)
{
	x64_patch32(b, at, (uint32_t) (int32_t) ((int64_t) target - (int64_t) (at + 4)));
}

void
x64_movs_rr(x64_buf *b, int dbl, int dst, int src)
{
	/* movaps/movapd copy the whole register and break dependencies */
	enc(b, dbl ? F_66 : 0, 0x0F28, 2, dst, src);
}

void
x64_movs_rm(x64_buf *b, int dbl, int dst, x64_mem m)
{
	enc_m(b, dbl ? F_F2 : F_F3, 0x0F10, 2, dst, &m);
}

void
x64_movs_mr(x64_buf *b, int dbl, x64_mem m, int src)
{
	enc_m(b, dbl ? F_F2 : F_F3, 0x0F11, 2, src, &m);
}

void
x64_movaps(x64_buf *b, int dst, int src)
{
	enc(b, 0, 0x0F28, 2, dst, src);
}

void
x64_sse_rr(x64_buf *b, x64_sse op, int dbl, int dst, int src)
{
	enc(b, dbl ? F_F2 : F_F3, 0x0F00 | op, 2, dst, src);
}

void
x64_sse_rm(x64_buf *b, x64_sse op, int dbl, int dst, x64_mem m)
{
	enc_m(b, dbl ? F_F2 : F_F3, 0x0F00 | op, 2, dst, &m);
}

void
x64_sselogic_rr(x64_buf *b, x64_sselogic op, int dbl, int dst, int src)
{
	enc(b, dbl ? F_66 : 0, 0x0F00 | op, 2, dst, src);
}

void
x64_ucomis_rr(x64_buf *b, int dbl, int a, int c)
{
	enc(b, dbl ? F_66 : 0, 0x0F2E, 2, a, c);
}

void
x64_movd_xr(x64_buf *b, int w, int xmm, int gpr)
{
	enc(b, F_66 | wflag(w), 0x0F6E, 2, xmm, gpr);
}

void
x64_movd_rx(x64_buf *b, int w, int gpr, int xmm)
{
	enc(b, F_66 | wflag(w), 0x0F7E, 2, xmm, gpr);
}

void
x64_cvtsi2s(x64_buf *b, int dbl, int w, int xmm, int gpr)
{
	enc(b, (dbl ? F_F2 : F_F3) | wflag(w), 0x0F2A, 2, xmm, gpr);
}

void
x64_cvtts2si(x64_buf *b, int dbl, int w, int gpr, int xmm)
{
	enc(b, (dbl ? F_F2 : F_F3) | wflag(w), 0x0F2C, 2, gpr, xmm);
}

void
x64_cvts2s(x64_buf *b, int from_dbl, int dst, int src)
{
	enc(b, from_dbl ? F_F2 : F_F3, 0x0F5A, 2, dst, src);
}

void
x64_rounds(x64_buf *b, int dbl, int dst, int src, uint8_t mode)
{
	enc(b, F_66, dbl ? 0x0F3A0B : 0x0F3A0A, 3, dst, src);
	PUT(b, mode | 8);			/* 8: suppress the precision exception */
}
