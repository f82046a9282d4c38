/*
** x64/emit.c -- the x86-64 byte encoder (see emit.h).
**
** Every emitter funnels through enc() (register operand) or one of the
** memory operand encoders (enc_fp, enc_bd, enc_bi for the frequent forms,
** enc_m_hot for any): legacy prefix, REX, opcode bytes, ModRM/SIB/
** displacement.  The special cases of ModRM (RSP/R12 need a SIB, RBP/R13
** with no displacement need an explicit disp8, byte registers 4..7 need a
** REX to mean SPL..DIL) live there and nowhere else.
*/
#include <stdlib.h>
#include <string.h>

#include "emit.h"

/*
** An emitter's flags: REX.W, byte registers, and the legacy prefix byte,
** if any (F_PREFIX).
*/
#define F_W		1u				/* REX.W */
#define F_BYTE	2u				/* byte registers: SPL..DIL need a REX */
#define F_66	0x6600u
#define F_F2	0xF200u
#define F_F3	0xF300u
#define F_PREFIX(flags) (((flags) >> 8) & 0xFFu)

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



/* The multi-byte NOPs the Intel SDM recommends (vol. 2B, "NOP"), by length. */
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

void
x64_put_nop(uint8_t *p, int len)
{
	if (len >= 1 && len <= 9)
		memcpy(p, nops[len - 1], (size_t) len);
}

void
x64_cut(x64_buf *b, size_t at, size_t len, size_t end)
{
	if (b->oom || end < at + len)
		return;
	memmove(b->start + at, b->start + at + len, end - (at + len));
	memset(b->start + end - len, 0xCC, len);
}

/*
** Emitters write first and grow after.  Between instructions p <= end
** holds; one instruction (at most 17 bytes) stays inside the red zone, so
** each emitter writes through a local pointer and only then, in done(),
** grows the buffer if it went past 'end'.  The growth call is the last
** thing an emitter does: its fast path keeps nothing live across a call.
**
** Whether there is a REX, and whether a base needs a SIB, takes no
** branch: the byte is written anyway and kept by moving p past it only
** when it is needed.  A displacement is written whole and p moved by its
** length (the red zone takes what lies past the instruction's end); its
** size stays a branch, which costs fewer instructions than computing the
** ModRM's mod and the length without one.
*/
static inline void
done(x64_buf *b, uint8_t *p)
{
	b->p = p;
	if (__builtin_expect(p > b->end, 0))
		x64_grow(b, 0);
}

static inline uint8_t *
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

/*
** The REX and the ModRM of a register-direct form, by REX.W and the
** registers in the reg and r/m fields (0..15): REX (0x40 and its W, R
** and B bits) in byte 0, ModRM (mod 3) in byte 1, and in byte 2 whether
** the REX is needed (REX_NEEDED: one of its bits is set).  Memory forms
** take the same entry with the r/m field's base and set mod themselves.
*/
#define REX_NEEDED(bits) ((unsigned) ((bits) != 0) << 16)
#define RR_(w, r, m) (0x40 | (w) << 3 | ((r) & 8) >> 1 | ((m) & 8) >> 3 | \
					  (0xC0 | ((r) & 7) << 3 | ((m) & 7)) << 8 | \
					  REX_NEEDED((w) << 3 | ((r) & 8) >> 1 | ((m) & 8) >> 3))
#define RR_ROW(w, r) RR_(w, r, 0), RR_(w, r, 1), RR_(w, r, 2), RR_(w, r, 3), \
	RR_(w, r, 4), RR_(w, r, 5), RR_(w, r, 6), RR_(w, r, 7), RR_(w, r, 8), \
	RR_(w, r, 9), RR_(w, r, 10), RR_(w, r, 11), RR_(w, r, 12), RR_(w, r, 13), \
	RR_(w, r, 14), RR_(w, r, 15)
#define RR_W(w) RR_ROW(w, 0), RR_ROW(w, 1), RR_ROW(w, 2), RR_ROW(w, 3), \
	RR_ROW(w, 4), RR_ROW(w, 5), RR_ROW(w, 6), RR_ROW(w, 7), RR_ROW(w, 8), \
	RR_ROW(w, 9), RR_ROW(w, 10), RR_ROW(w, 11), RR_ROW(w, 12), RR_ROW(w, 13), \
	RR_ROW(w, 14), RR_ROW(w, 15)

static const uint32_t rex_modrm[512] = {RR_W(0), RR_W(1)};

static inline unsigned
rex_modrm_of(unsigned flags, int reg, int rm)
{
	return rex_modrm[((flags & F_W) << 8 | (unsigned) reg << 4 | (unsigned) rm) & 0x1FF];
}

/*
** The same for a frame slot, [rbp + disp8], by REX.W and the reg field:
** the ModRM has mod 1 and r/m 5; a disp32 adds 0x40 to it (mod 2).
*/
#define FP_(w, r) (0x40 | (w) << 3 | ((r) & 8) >> 1 | (0x45 | ((r) & 7) << 3) << 8 | \
				   REX_NEEDED((w) << 3 | ((r) & 8) >> 1))
#define FP_W(w) FP_(w, 0), FP_(w, 1), FP_(w, 2), FP_(w, 3), FP_(w, 4), FP_(w, 5), \
	FP_(w, 6), FP_(w, 7), FP_(w, 8), FP_(w, 9), FP_(w, 10), FP_(w, 11), FP_(w, 12), \
	FP_(w, 13), FP_(w, 14), FP_(w, 15)

static const uint32_t rex_modrm_fp[32] = {FP_W(0), FP_W(1)};

/*
** The SIB of [base + index] (scale 1) by index and base: REX.X and REX.B
** in byte 0, the SIB in byte 1, and whether they need a REX in byte 2.
*/
#define SIB_(i, b) (((i) & 8) >> 2 | ((b) & 8) >> 3 | (((i) & 7) << 3 | ((b) & 7)) << 8 | \
					REX_NEEDED(((i) & 8) >> 2 | ((b) & 8) >> 3))
#define SIB_ROW(i) SIB_(i, 0), SIB_(i, 1), SIB_(i, 2), SIB_(i, 3), SIB_(i, 4), \
	SIB_(i, 5), SIB_(i, 6), SIB_(i, 7), SIB_(i, 8), SIB_(i, 9), SIB_(i, 10), \
	SIB_(i, 11), SIB_(i, 12), SIB_(i, 13), SIB_(i, 14), SIB_(i, 15)

static const uint32_t rex_sib[256] = {
	SIB_ROW(0), SIB_ROW(1), SIB_ROW(2), SIB_ROW(3), SIB_ROW(4), SIB_ROW(5), SIB_ROW(6),
	SIB_ROW(7), SIB_ROW(8), SIB_ROW(9), SIB_ROW(10), SIB_ROW(11), SIB_ROW(12), SIB_ROW(13),
	SIB_ROW(14), SIB_ROW(15)
};

/* Registers 4..7 as byte registers mean SPL..DIL only with a REX. */
static inline bool
needs_byte_rex(int reg)
{
	return (unsigned) (reg - 4) < 4;
}

/*
** Legacy prefix, REX and the opcode bytes ('op' holds 'oplen' of them,
** most significant first).  'rex' is a table entry: the REX byte is kept
** when the entry says it is needed, or when 'force' (a byte register) asks
** for an empty one.
*/
static inline __attribute__((always_inline)) uint8_t *
put_head(uint8_t *p, unsigned flags, unsigned rex, bool force, uint32_t op, int oplen)
{
	unsigned	pfx = F_PREFIX(flags);

	*p = (uint8_t) pfx;
	p += pfx != 0;
	*p = (uint8_t) rex;
	p += (rex >> 16) | force;
	if (oplen == 3)
		*p++ = (uint8_t) (op >> 16);
	if (oplen >= 2)
		*p++ = (uint8_t) (op >> 8);
	*p++ = (uint8_t) op;
	return p;
}

/*
** Encode one instruction with a register r/m operand at b->p; returns the
** position after it (the caller adds any immediate, then calls done()).
** Inlined into every emitter: with the flags and opcode constant, most of
** it folds away.
*/
static inline __attribute__((always_inline)) uint8_t *
enc(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, int rmreg)
{
	unsigned	rr = rex_modrm_of(flags, reg, rmreg);
	bool		force = (flags & F_BYTE) && (needs_byte_rex(rmreg) || needs_byte_rex(reg));
	uint8_t    *p = put_head(b->p, flags, rr, force, op, oplen);

	*p++ = (uint8_t) (rr >> 8);
	return p;
}

/*
** The same with the memory operand [rbp + disp], a frame slot
** (x64_is_fp): mod 1 (disp8) or 2 (disp32), never 0 (which with RBP means
** RIP-relative), no SIB.
*/
static inline __attribute__((always_inline)) uint8_t *
enc_fp(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, int32_t disp)
{
	unsigned	rr = rex_modrm_fp[((flags & F_W) << 4 | (unsigned) reg) & 31];
	bool		force = (flags & F_BYTE) && needs_byte_rex(reg);
	uint8_t    *p = put_head(b->p, flags, rr, force, op, oplen);

	memcpy(p + 1, &disp, 4);
	if ((uint32_t) disp + 128 < 256)
	{
		p[0] = (uint8_t) (rr >> 8);
		return p + 2;
	}
	p[0] = (uint8_t) ((rr >> 8) + 0x40);
	return p + 5;
}

/*
** The ModRM at *modrm (reg and r/m bits 'r') with its mode, and the
** displacement at d: none (mod 0) when it is 0 and the base is not
** RBP/R13, where mod 0 means something else; one byte (mod 1) when it
** fits; four (mod 2).  Returns the end of the instruction so far.
*/
static inline __attribute__((always_inline)) uint8_t *
modrm_disp(uint8_t *modrm, uint8_t *d, unsigned r, int base, int32_t disp)
{
	memcpy(d, &disp, 4);
	if (disp == 0 && (base & 7) != 5)
	{
		modrm[0] = (uint8_t) r;
		return d;
	}
	if ((uint32_t) disp + 128 < 256)
	{
		modrm[0] = (uint8_t) (0x40 | r);
		return d + 1;
	}
	modrm[0] = (uint8_t) (0x80 | r);
	return d + 4;
}

/*
** [base + disp], no index, base not RIP (x64_is_bd).  RSP/R12 as a base
** need a SIB with no index (0x24); mod 0 when there is no displacement,
** but for RBP/R13, where mod 0 means something else.
*/
static inline __attribute__((always_inline)) uint8_t *
enc_bd(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, int base, int32_t disp)
{
	unsigned	rr = rex_modrm_of(flags, reg, base);
	unsigned	r = (rr >> 8) & 0x3F;
	bool		force = (flags & F_BYTE) && needs_byte_rex(reg);
	uint8_t    *p = put_head(b->p, flags, rr, force, op, oplen);
	uint8_t    *q = p + 1 + ((base & 7) == 4);

	p[1] = 0x24;
	return modrm_disp(p, q, r, base, disp);
}

/*
** [base + index + disp], scale 1, base not RIP (x64_is_bi): ModRM with a
** SIB, which holds index and base as a ModRM holds reg and r/m.
*/
static inline __attribute__((always_inline)) uint8_t *
enc_bi(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, int base,
	   int index, int32_t disp)
{
	/* r/m 4: a SIB follows */
	unsigned	rr = rex_modrm_of(flags, reg, 4);
	unsigned	sib = rex_sib[((unsigned) index << 4 | (unsigned) base) & 0xFF];
	unsigned	r = (rr >> 8) & 0x3F;
	bool		force = (flags & F_BYTE) && needs_byte_rex(reg);
	uint8_t    *p = put_head(b->p, flags, rr | sib, force, op, oplen);

	p[1] = (uint8_t) (sib >> 8);
	return modrm_disp(p, p + 2, r, base, disp);
}

/*
** Any memory operand *m: RIP-relative (mod 0, r/m 5, disp32), or a base
** with an optional scaled index: a SIB when there is an index or the base
** is RSP/R12 (index 4: none).
*/
static inline __attribute__((always_inline)) uint8_t *
enc_m_hot(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, const x64_mem *m)
{
	int			base = m->base, index = m->index;
	unsigned	rex = (flags & F_W) << 3 | (unsigned) (reg & 8) >> 1;
	bool		force = (flags & F_BYTE) && needs_byte_rex(reg);
	uint8_t    *p;
	int			mod;

	if (base == X64_RIP)
	{
		p = put_head(b->p, flags, 0x40 | rex | REX_NEEDED(rex), force, op, oplen);
		*p++ = (uint8_t) (((reg & 7) << 3) | 5);
		return put32(p, (uint32_t) m->disp);
	}
	if (base & 8)
		rex |= 1;
	if (index != X64_NOINDEX && (index & 8))
		rex |= 2;
	p = put_head(b->p, flags, 0x40 | rex | REX_NEEDED(rex), force, op, oplen);
	if (m->disp == 0 && (base & 7) != 5)
		mod = 0;
	else if (m->disp >= -128 && m->disp <= 127)
		mod = 1;
	else
		mod = 2;
	if (index != X64_NOINDEX || (base & 7) == 4)
	{
		/* log2 of the scale (1, 2, 4 or 8) in one instruction */
		int			ss = __builtin_ctz(m->scale | 8u);
		int			idx = index == X64_NOINDEX ? 4 : (index & 7);

		*p++ = (uint8_t) ((mod << 6) | ((reg & 7) << 3) | 4);
		*p++ = (uint8_t) ((ss << 6) | (idx << 3) | (base & 7));
	}
	else
		*p++ = (uint8_t) ((mod << 6) | ((reg & 7) << 3) | (base & 7));
	if (mod == 1)
		*p++ = (uint8_t) (int8_t) m->disp;
	else if (mod == 2)
		p = put32(p, (uint32_t) m->disp);
	return p;
}

/*
** Any memory operand, the frequent forms first: a frame slot, a base and
** a displacement, a wasm memory address.
*/
static inline __attribute__((always_inline)) uint8_t *
enc_mem(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, const x64_mem *m)
{
	if (x64_is_fp(*m))
		return enc_fp(b, flags, op, oplen, reg, m->disp);
	if (x64_is_bd(*m))
		return enc_bd(b, flags, op, oplen, reg, m->base, m->disp);
	if (x64_is_bi(*m))
		return enc_bi(b, flags, op, oplen, reg, m->base, m->index, m->disp);
	return enc_m_hot(b, flags, op, oplen, reg, m);
}

/* The out-of-line copy, for the less frequent emitters. */
static uint8_t *
enc_m(x64_buf *b, unsigned flags, uint32_t op, int oplen, int reg, const x64_mem *m)
{
	return enc_mem(b, flags, op, oplen, reg, m);
}

static inline unsigned
wflag(bool w)
{
	return (unsigned) w * F_W;
}

void
x64_mov_rr(x64_buf *b, bool w, int dst, int src)
{
	done(b, enc(b, wflag(w), 0x8B, 1, dst, src));
}

void
x64_mov_ri(x64_buf *b, bool w, int dst, int64_t imm)
{
	uint8_t    *p = b->p;

	/* never 'xor r, r': callers may have live flags */
	if (!w || (imm >= 0 && imm <= 0xFFFFFFFFll))
	{
		/* mov r32, imm32 zero-extends */
		if (dst & 8)
			*p++ = 0x41;
		*p++ = (uint8_t) (0xB8 + (dst & 7));
		p = put32(p, (uint32_t) imm);
	}
	else if (imm >= INT32_MIN && imm <= INT32_MAX)
		p = put32(enc(b, F_W, 0xC7, 1, 0, dst), (uint32_t) imm);
	else
	{
		*p++ = (uint8_t) (0x48 | ((dst & 8) ? 1 : 0));
		*p++ = (uint8_t) (0xB8 + (dst & 7));
		memcpy(p, &imm, 8);
		p += 8;
	}
	done(b, p);
}

void
x64_mov_rm_any(x64_buf *b, bool w, int dst, x64_mem m)
{
	done(b, enc_m_hot(b, wflag(w), 0x8B, 1, dst, &m));
}

void
x64_mov_rm_fp(x64_buf *b, bool w, int dst, int32_t disp)
{
	done(b, enc_fp(b, wflag(w), 0x8B, 1, dst, disp));
}

void
x64_mov_rm_bd(x64_buf *b, bool w, int dst, int base, int32_t disp)
{
	done(b, enc_bd(b, wflag(w), 0x8B, 1, dst, base, disp));
}

void
x64_mov_rm_bi(x64_buf *b, bool w, int dst, int base, int index, int32_t disp)
{
	done(b, enc_bi(b, wflag(w), 0x8B, 1, dst, base, index, disp));
}

void
x64_mov_mr_any(x64_buf *b, bool w, x64_mem m, int src)
{
	done(b, enc_m_hot(b, wflag(w), 0x89, 1, src, &m));
}

void
x64_mov_mr_fp(x64_buf *b, bool w, int32_t disp, int src)
{
	done(b, enc_fp(b, wflag(w), 0x89, 1, src, disp));
}

void
x64_mov_mr_bd(x64_buf *b, bool w, int base, int32_t disp, int src)
{
	done(b, enc_bd(b, wflag(w), 0x89, 1, src, base, disp));
}

void
x64_mov_mi_any(x64_buf *b, bool w, x64_mem m, int32_t imm)
{
	done(b, put32(enc_m_hot(b, wflag(w), 0xC7, 1, 0, &m), (uint32_t) imm));
}

void
x64_mov_mi_fp(x64_buf *b, bool w, int32_t disp, int32_t imm)
{
	done(b, put32(enc_fp(b, wflag(w), 0xC7, 1, 0, disp), (uint32_t) imm));
}

void
x64_mov_mi_bd(x64_buf *b, bool w, int base, int32_t disp, int32_t imm)
{
	done(b, put32(enc_bd(b, wflag(w), 0xC7, 1, 0, base, disp), (uint32_t) imm));
}

void
x64_mov_mi_bi(x64_buf *b, bool w, int base, int index, int32_t disp, int32_t imm)
{
	done(b, put32(enc_bi(b, wflag(w), 0xC7, 1, 0, base, index, disp), (uint32_t) imm));
}

void
x64_store8_i(x64_buf *b, x64_mem m, uint8_t imm)
{
	uint8_t    *p = enc_m(b, 0, 0xC6, 1, 0, &m);

	*p++ = imm;
	done(b, p);
}

void
x64_store_bi(x64_buf *b, int size, int base, int index, int32_t disp, int src)
{
	uint8_t    *p;

	switch (size)
	{
		case 1:
			p = enc_bi(b, F_BYTE, 0x88, 1, src, base, index, disp);
			break;
		case 2:
			p = enc_bi(b, F_66, 0x89, 1, src, base, index, disp);
			break;
		case 4:
			p = enc_bi(b, 0, 0x89, 1, src, base, index, disp);
			break;
		default:
			p = enc_bi(b, F_W, 0x89, 1, src, base, index, disp);
			break;
	}
	done(b, p);
}

void
x64_store_any(x64_buf *b, int size, x64_mem m, int src)
{
	uint8_t    *p;

	switch (size)
	{
		case 1:
			p = enc_m_hot(b, F_BYTE, 0x88, 1, src, &m);
			break;
		case 2:
			p = enc_m_hot(b, F_66, 0x89, 1, src, &m);
			break;
		case 4:
			p = enc_m_hot(b, 0, 0x89, 1, src, &m);
			break;
		default:
			p = enc_m_hot(b, F_W, 0x89, 1, src, &m);
			break;
	}
	done(b, p);
}

void
x64_movzx_rm_any(x64_buf *b, int srcsize, int dst, x64_mem m)
{
	if (srcsize == 4)
		done(b, enc_m(b, 0, 0x8B, 1, dst, &m));
	else
		done(b, enc_m(b, 0, srcsize == 1 ? 0x0FB6 : 0x0FB7, 2, dst, &m));
}

void
x64_movzx_rm_bi(x64_buf *b, int srcsize, int dst, int base, int index, int32_t disp)
{
	if (srcsize == 4)
		done(b, enc_bi(b, 0, 0x8B, 1, dst, base, index, disp));
	else
		done(b, enc_bi(b, 0, srcsize == 1 ? 0x0FB6 : 0x0FB7, 2, dst, base, index, disp));
}

void
x64_movsx_rm(x64_buf *b, bool w, int srcsize, int dst, x64_mem m)
{
	if (srcsize == 4)
		done(b, enc_m(b, F_W, 0x63, 1, dst, &m));
	else
		done(b, enc_m(b, wflag(w), srcsize == 1 ? 0x0FBE : 0x0FBF, 2, dst, &m));
}

void
x64_movzx_rr(x64_buf *b, int srcsize, int dst, int src)
{
	if (srcsize == 4)
		done(b, enc(b, 0, 0x8B, 1, dst, src));
	else
		done(b, enc(b, srcsize == 1 ? F_BYTE : 0, srcsize == 1 ? 0x0FB6 : 0x0FB7, 2, dst, src));
}

void
x64_movsx_rr(x64_buf *b, bool w, int srcsize, int dst, int src)
{
	if (srcsize == 4)
		done(b, enc(b, F_W, 0x63, 1, dst, src));
	else
		done(b, enc(b, wflag(w) | (srcsize == 1 ? F_BYTE : 0),
					srcsize == 1 ? 0x0FBE : 0x0FBF, 2, dst, src));
}

void
x64_lea_bd(x64_buf *b, bool w, int dst, int base, int32_t disp)
{
	done(b, enc_bd(b, wflag(w), 0x8D, 1, dst, base, disp));
}

void
x64_lea_any(x64_buf *b, bool w, int dst, x64_mem m)
{
	done(b, enc_m(b, wflag(w), 0x8D, 1, dst, &m));
}

void
x64_alu_rr(x64_buf *b, x64_alu op, bool w, int dst, int src)
{
	done(b, enc(b, wflag(w), 0x03 + 8 * op, 1, dst, src));
}

void
x64_alu_ri(x64_buf *b, x64_alu op, bool w, int dst, int32_t imm)
{
	uint8_t    *p;

	if (imm >= -128 && imm <= 127)
	{
		p = enc(b, wflag(w), 0x83, 1, op, dst);
		*p++ = (uint8_t) (int8_t) imm;
	}
	else if (dst == X64_RAX)
	{
		p = b->p;
		*p = 0x48;
		p += w;
		*p++ = (uint8_t) (0x05 + 8 * op);
		p = put32(p, (uint32_t) imm);
	}
	else
		p = put32(enc(b, wflag(w), 0x81, 1, op, dst), (uint32_t) imm);
	done(b, p);
}


void
x64_alu_rm_any(x64_buf *b, x64_alu op, bool w, int dst, x64_mem m)
{
	done(b, enc_m_hot(b, wflag(w), 0x03 + 8 * op, 1, dst, &m));
}

void
x64_alu_rm_bd(x64_buf *b, x64_alu op, bool w, int dst, int base, int32_t disp)
{
	done(b, enc_bd(b, wflag(w), 0x03 + 8 * op, 1, dst, base, disp));
}

void
x64_alu_mi_any(x64_buf *b, x64_alu op, bool w, x64_mem m, int32_t imm)
{
	uint8_t    *p;

	if (imm >= -128 && imm <= 127)
	{
		p = enc_m_hot(b, wflag(w), 0x83, 1, op, &m);
		*p++ = (uint8_t) (int8_t) imm;
	}
	else
		p = put32(enc_m_hot(b, wflag(w), 0x81, 1, op, &m), (uint32_t) imm);
	done(b, p);
}

void
x64_alu_mi_bd(x64_buf *b, x64_alu op, bool w, int base, int32_t disp, int32_t imm)
{
	uint8_t    *p;

	if (imm >= -128 && imm <= 127)
	{
		p = enc_bd(b, wflag(w), 0x83, 1, op, base, disp);
		*p++ = (uint8_t) (int8_t) imm;
	}
	else
		p = put32(enc_bd(b, wflag(w), 0x81, 1, op, base, disp), (uint32_t) imm);
	done(b, p);
}

void
x64_alu_mr(x64_buf *b, x64_alu op, bool w, x64_mem m, int src)
{
	done(b, enc_m(b, wflag(w), 0x01 + 8 * op, 1, src, &m));
}

/* fs:[disp32] as the r/m operand: mod 00, r/m 100, SIB with no base or index. */
static void
fs_operand(x64_buf *b, bool w, uint8_t op, int reg, int32_t disp)
{
	x64_byte(b, 0x64);
	if (w || reg >= 8)
		x64_byte(b, (uint8_t) (0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0)));
	x64_byte(b, op);
	x64_byte(b, (uint8_t) (0x04 | ((reg & 7) << 3)));
	x64_byte(b, 0x25);
	x64_u32(b, (uint32_t) disp);
}

void
x64_mov_r_fs(x64_buf *b, int dst, int32_t disp)
{
	fs_operand(b, 1, 0x8B, dst, disp);
}

void
x64_mov_fs_r(x64_buf *b, int32_t disp, int src)
{
	fs_operand(b, 1, 0x89, src, disp);
}

void
x64_cmp_fs32_i8(x64_buf *b, int32_t disp, int8_t imm)
{
	fs_operand(b, 0, 0x83, 7, disp);
	x64_byte(b, (uint8_t) imm);
}

void
x64_test_rr(x64_buf *b, bool w, int a, int c)
{
	done(b, enc(b, wflag(w), 0x85, 1, c, a));
}

void
x64_imul_rr(x64_buf *b, bool w, int dst, int src)
{
	done(b, enc(b, wflag(w), 0x0FAF, 2, dst, src));
}

void
x64_imul_rm(x64_buf *b, bool w, int dst, x64_mem m)
{
	done(b, enc_m(b, wflag(w), 0x0FAF, 2, dst, &m));
}

void
x64_imul_rri(x64_buf *b, bool w, int dst, int src, int32_t imm)
{
	uint8_t    *p;

	if (imm >= -128 && imm <= 127)
	{
		p = enc(b, wflag(w), 0x6B, 1, dst, src);
		*p++ = (uint8_t) (int8_t) imm;
	}
	else
		p = put32(enc(b, wflag(w), 0x69, 1, dst, src), (uint32_t) imm);
	done(b, p);
}

void
x64_unary_r(x64_buf *b, x64_unary op, bool w, int r)
{
	done(b, enc(b, wflag(w), 0xF7, 1, op, r));
}

void
x64_shift_ri(x64_buf *b, x64_shift op, bool w, int r, uint8_t imm)
{
	uint8_t    *p = enc(b, wflag(w), 0xC1, 1, op, r);

	*p++ = imm;
	done(b, p);
}

void
x64_shift_rcl(x64_buf *b, x64_shift op, bool w, int r)
{
	done(b, enc(b, wflag(w), 0xD3, 1, op, r));
}

void
x64_cdq(x64_buf *b, bool w)
{
	uint8_t    *p = b->p;

	if (w)
		*p++ = 0x48;
	*p++ = 0x99;
	done(b, p);
}

void
x64_bsr(x64_buf *b, bool w, int dst, int src)
{
	done(b, enc(b, wflag(w), 0x0FBD, 2, dst, src));
}

void
x64_bsf(x64_buf *b, bool w, int dst, int src)
{
	done(b, enc(b, wflag(w), 0x0FBC, 2, dst, src));
}

void
x64_popcnt(x64_buf *b, bool w, int dst, int src)
{
	done(b, enc(b, wflag(w) | F_F3, 0x0FB8, 2, dst, src));
}

void
x64_setcc(x64_buf *b, x64_cc cc, int r)
{
	done(b, enc(b, F_BYTE, 0x0F90 + cc, 2, 0, r));
}

void
x64_cmov_rr(x64_buf *b, x64_cc cc, bool w, int dst, int src)
{
	done(b, enc(b, wflag(w), 0x0F40 + cc, 2, dst, src));
}

void
x64_cmov_rm(x64_buf *b, x64_cc cc, bool w, int dst, x64_mem m)
{
	done(b, enc_m(b, wflag(w), 0x0F40 + cc, 2, dst, &m));
}

/* An opcode byte plus the register in its low bits (push, pop). */
static void
op_plus_reg(x64_buf *b, uint8_t op, int r)
{
	uint8_t    *p = b->p;

	if (r & 8)
		*p++ = 0x41;
	*p++ = (uint8_t) (op + (r & 7));
	done(b, p);
}

void
x64_push(x64_buf *b, int r)
{
	op_plus_reg(b, 0x50, r);
}

void
x64_pop(x64_buf *b, int r)
{
	op_plus_reg(b, 0x58, r);
}

void
x64_ret(x64_buf *b)
{
	x64_byte(b, 0xC3);
}

void
x64_ud2(x64_buf *b)
{
	uint8_t    *p = b->p;

	*p++ = 0x0F;
	*p++ = 0x0B;
	done(b, p);
}

void
x64_call_r(x64_buf *b, int r)
{
	done(b, enc(b, 0, 0xFF, 1, 2, r));
}

void
x64_call_m(x64_buf *b, x64_mem m)
{
	done(b, enc_m(b, 0, 0xFF, 1, 2, &m));
}

void
x64_jmp_r(x64_buf *b, int r)
{
	done(b, enc(b, 0, 0xFF, 1, 4, r));
}

void
x64_rep_stosq(x64_buf *b)
{
	uint8_t    *p = b->p;

	*p++ = 0xF3;
	*p++ = 0x48;
	*p++ = 0xAB;
	done(b, p);
}

/* A short branch with a zero rel8; returns the rel8's offset. */
static size_t
branch8(x64_buf *b, uint8_t op)
{
	uint8_t    *p = b->p;
	size_t		field;

	*p++ = op;
	field = (size_t) (p - b->start);
	*p++ = 0;
	done(b, p);
	return field;
}

size_t
x64_jcc8(x64_buf *b, x64_cc cc)
{
	return branch8(b, (uint8_t) (0x70 + cc));
}

size_t
x64_jmp8(x64_buf *b)
{
	return branch8(b, 0xEB);
}

void
x64_bind8(x64_buf *b, size_t at)
{
	x64_bind8_to(b, at, x64_pos(b));
}

void
x64_bind8_to(x64_buf *b, size_t at, size_t target)
{
	if (!b->oom)
		b->start[at] = (uint8_t) (int8_t) ((int64_t) target - (int64_t) (at + 1));
}

void
x64_movs_rr(x64_buf *b, int dbl, int dst, int src)
{
	/* movaps/movapd copy the whole register and break dependencies */
	done(b, enc(b, dbl ? F_66 : 0, 0x0F28, 2, dst, src));
}

void
x64_movs_rm_fp(x64_buf *b, int dbl, int dst, int32_t disp)
{
	done(b, enc_fp(b, dbl ? F_F2 : F_F3, 0x0F10, 2, dst, disp));
}

void
x64_movs_rm_bd(x64_buf *b, int dbl, int dst, int base, int32_t disp)
{
	done(b, enc_bd(b, dbl ? F_F2 : F_F3, 0x0F10, 2, dst, base, disp));
}

void
x64_movs_rm_any(x64_buf *b, int dbl, int dst, x64_mem m)
{
	done(b, enc_m(b, dbl ? F_F2 : F_F3, 0x0F10, 2, dst, &m));
}

void
x64_movs_mr_fp(x64_buf *b, int dbl, int32_t disp, int src)
{
	done(b, enc_fp(b, dbl ? F_F2 : F_F3, 0x0F11, 2, src, disp));
}

void
x64_movs_mr_bd(x64_buf *b, int dbl, int base, int32_t disp, int src)
{
	done(b, enc_bd(b, dbl ? F_F2 : F_F3, 0x0F11, 2, src, base, disp));
}

void
x64_movs_mr_any(x64_buf *b, int dbl, x64_mem m, int src)
{
	done(b, enc_m(b, dbl ? F_F2 : F_F3, 0x0F11, 2, src, &m));
}

void
x64_movaps(x64_buf *b, int dst, int src)
{
	done(b, enc(b, 0, 0x0F28, 2, dst, src));
}

void
x64_sse_rr(x64_buf *b, x64_sse op, int dbl, int dst, int src)
{
	done(b, enc(b, dbl ? F_F2 : F_F3, 0x0F00 | op, 2, dst, src));
}

void
x64_sse_rm(x64_buf *b, x64_sse op, int dbl, int dst, x64_mem m)
{
	done(b, enc_m(b, dbl ? F_F2 : F_F3, 0x0F00 | op, 2, dst, &m));
}

void
x64_sselogic_rr(x64_buf *b, x64_sselogic op, int dbl, int dst, int src)
{
	done(b, enc(b, dbl ? F_66 : 0, 0x0F00 | op, 2, dst, src));
}

/*
** VEX-encoded (AVX) forms of map 0F: a prefix that carries the legacy
** prefix (pp: 66, F3, F2), REX's R, X, B and W, and a second source
** register (vvvv), then the opcode byte and the ModRM of the legacy form.
** The two-byte prefix (C5) when X, B and W are clear, else the three-byte
** one (C4).  Only 128-bit forms (L = 0), which zero the upper half of
** the destination's ymm: no AVX/SSE transition penalty.
*/
static inline uint8_t *
put_vex(uint8_t *p, unsigned flags, int reg, int vvvv, unsigned xb, uint8_t op)
{
	unsigned	pfx = F_PREFIX(flags);
	unsigned	pp = pfx == 0x66 ? 1 : pfx == 0xF3 ? 2 : pfx == 0xF2 ? 3 : 0;
	unsigned	r = (reg & 8) ? 0 : 0x80;
	unsigned	v = (unsigned) (~vvvv & 15) << 3;

	if (xb == 0 && !(flags & F_W))
	{
		*p++ = 0xC5;
		*p++ = (uint8_t) (r | v | pp);
	}
	else
	{
		*p++ = 0xC4;
		*p++ = (uint8_t) (r | ((~xb & 3) << 5) | 1);
		*p++ = (uint8_t) ((flags & F_W ? 0x80 : 0) | v | pp);
	}
	*p++ = op;
	return p;
}

/* A VEX instruction, dst = src1 op src2, all registers. */
static void
vex_rrr(x64_buf *b, unsigned flags, uint8_t op, int dst, int src1, int src2)
{
	uint8_t    *p = put_vex(b->p, flags, dst, src1, (unsigned) (src2 & 8) >> 3, op);

	*p++ = (uint8_t) (0xC0 | ((dst & 7) << 3) | (src2 & 7));
	done(b, p);
}

/*
** The same with a memory operand: the legacy encoding of the ModRM, SIB
** and displacement, after a VEX prefix instead of the legacy prefixes,
** REX and 0F.
*/
static void
vex_rrm(x64_buf *b, unsigned flags, uint8_t op, int dst, int src1, const x64_mem *m)
{
	uint8_t		tmp[24];
	x64_buf		t = *b;
	uint8_t    *q,
			   *p;
	unsigned	xb = 0;
	size_t		skip;

	/* the legacy form without prefixes, into a scratch copy */
	t.p = tmp;
	q = enc_m_hot(&t, 0, 0x0F00 | op, 2, dst & 7, m);
	if (m->base != X64_RIP && (m->base & 8))
		xb |= 1;
	if (m->index != X64_NOINDEX && (m->index & 8))
		xb |= 2;
	/* skip the REX byte, if any, and the two opcode bytes */
	skip = (tmp[0] & 0xF0) == 0x40 ? 3 : 2;
	p = put_vex(b->p, flags, dst, src1, xb, op);
	memcpy(p, tmp + skip, (size_t) (q - tmp) - skip);
	done(b, p + (q - tmp) - skip);
}

void
x64_vsse_rr(x64_buf *b, x64_sse op, int dbl, int dst, int src1, int src2)
{
	vex_rrr(b, dbl ? F_F2 : F_F3, (uint8_t) op, dst, src1, src2);
}

void
x64_vsse_rm(x64_buf *b, x64_sse op, int dbl, int dst, int src1, x64_mem m)
{
	vex_rrm(b, dbl ? F_F2 : F_F3, (uint8_t) op, dst, src1, &m);
}

void
x64_vsselogic_rm(x64_buf *b, x64_sselogic op, int dbl, int dst, int src1, x64_mem m)
{
	vex_rrm(b, dbl ? F_66 : 0, (uint8_t) op, dst, src1, &m);
}

void
x64_ucomis_rr(x64_buf *b, int dbl, int a, int c)
{
	done(b, enc(b, dbl ? F_66 : 0, 0x0F2E, 2, a, c));
}

void
x64_movd_xr(x64_buf *b, bool w, int xmm, int gpr)
{
	done(b, enc(b, F_66 | wflag(w), 0x0F6E, 2, xmm, gpr));
}

void
x64_movd_rx(x64_buf *b, bool w, int gpr, int xmm)
{
	done(b, enc(b, F_66 | wflag(w), 0x0F7E, 2, xmm, gpr));
}

void
x64_cvtsi2s(x64_buf *b, int dbl, bool w, int xmm, int gpr)
{
	done(b, enc(b, (dbl ? F_F2 : F_F3) | wflag(w), 0x0F2A, 2, xmm, gpr));
}

void
x64_cvtts2si(x64_buf *b, int dbl, bool w, int gpr, int xmm)
{
	done(b, enc(b, (dbl ? F_F2 : F_F3) | wflag(w), 0x0F2C, 2, gpr, xmm));
}

void
x64_cvts2s(x64_buf *b, int from_dbl, int dst, int src)
{
	done(b, enc(b, from_dbl ? F_F2 : F_F3, 0x0F5A, 2, dst, src));
}

void
x64_rounds(x64_buf *b, int dbl, int dst, int src, uint8_t mode)
{
	uint8_t    *p = enc(b, F_66, dbl ? 0x0F3A0B : 0x0F3A0A, 3, dst, src);

	*p++ = (uint8_t) (mode | 8);	/* 8: suppress the precision exception */
	done(b, p);
}
