/*
** x64/emit.h -- the x86-64 byte encoder.
**
** Knows x86-64 encodings and nothing about WebAssembly: registers, memory
** operands, and one emitter per instruction form.  The lowering
** (compile*.c) decides what to emit; this file decides the bytes.
**
** The buffer keeps a red zone past 'end': an emitter writes its whole
** instruction (at most 17 bytes, and may write a few bytes past it that
** the next instruction overwrites) and only then checks 'end' once,
** growing the buffer if it got past it, so there is no bounds check per
** byte.
** Raw bytes (x64_byte, x64_u32) reserve first.  Growth failures are
** sticky: 'oom' is set and later emitters write into a scratch area, so the
** caller checks once at the end.
*/
#ifndef SF_X64_EMIT_H
#define SF_X64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* General-purpose registers, in encoding order. */
#define X64_GPR_LIST(X) \
	X(RAX) X(RCX) X(RDX) X(RBX) X(RSP) X(RBP) X(RSI) X(RDI) \
	X(R8) X(R9) X(R10) X(R11) X(R12) X(R13) X(R14) X(R15)

typedef enum x64_gpr
{
#define SF_X_(r) X64_##r,
	X64_GPR_LIST(SF_X_)
#undef SF_X_
	X64_NGPR
} x64_gpr;

/* XMM registers are numbered 0..15 in their own space. */
#define X64_NXMM 16

/* Register sets are bitmasks over one register space. */
typedef uint32_t x64_regset;
#define X64_SET(r) ((x64_regset) 1 << (r))

/* Pseudo base register for RIP-relative operands. */
#define X64_RIP 0x40
#define X64_NOINDEX 0xff

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
typedef enum x64_cc
{
	X64_CC_O = 0, X64_CC_NO = 1, X64_CC_B = 2, X64_CC_AE = 3,
	X64_CC_E = 4, X64_CC_NE = 5, X64_CC_BE = 6, X64_CC_A = 7,
	X64_CC_S = 8, X64_CC_NS = 9, X64_CC_P = 10, X64_CC_NP = 11,
	X64_CC_L = 12, X64_CC_GE = 13, X64_CC_LE = 14, X64_CC_G = 15
} x64_cc;

#define X64_CC_NOT(cc) ((x64_cc) ((cc) ^ 1))

/* A memory operand: [base + index*scale + disp]. */
typedef struct x64_mem
{
	uint8_t		base;			/* gpr or X64_RIP */
	uint8_t		index;			/* gpr or X64_NOINDEX */
	uint8_t		scale;			/* 1, 2, 4, 8 */
	int32_t		disp;
} x64_mem;

static inline x64_mem
x64_m(int base, int32_t disp)
{
	x64_mem		m = {(uint8_t) base, X64_NOINDEX, 1, disp};

	return m;
}

static inline x64_mem
x64_mx(int base, int index, int scale, int32_t disp)
{
	x64_mem		m = {(uint8_t) base, (uint8_t) index, (uint8_t) scale, disp};

	return m;
}

#define X64_RED_ZONE 64

typedef struct x64_buf
{
	uint8_t    *start;
	uint8_t    *p;
	uint8_t    *end;			/* start + capacity - X64_RED_ZONE */
	bool		oom;
	bool		owned;			/* start was malloc'ed here */
	uint8_t		scratch[256];
} x64_buf;

void		x64_buf_init(x64_buf *b);
/*
** Write into the caller's memory of 'cap' bytes (more than the red zone)
** until it is full; then growth moves the code to a malloc'ed buffer.
*/
void		x64_buf_init_at(x64_buf *b, uint8_t *mem, size_t cap);
void		x64_buf_free(x64_buf *b);
void		x64_grow(x64_buf *b, size_t n);

/* Make room for 'n' raw bytes. */
static inline void
x64_reserve(x64_buf *b, size_t n)
{
	if (b->p + n > b->end)
		x64_grow(b, n);
}

static inline size_t
x64_pos(const x64_buf *b)
{
	return (size_t) (b->p - b->start);
}

static inline void
x64_byte(x64_buf *b, uint8_t v)
{
	x64_reserve(b, 1);
	*b->p++ = v;
}

static inline void
x64_u32(x64_buf *b, uint32_t v)
{
	x64_reserve(b, 4);
	memcpy(b->p, &v, 4);
	b->p += 4;
}

/* Inline: chains of forward jumps are patched field by field. */
static inline void
x64_patch32(x64_buf *b, size_t at, uint32_t v)
{
	if (!b->oom)
		memcpy(b->start + at, &v, 4);
}

/* Inline: chains of forward jumps are read field by field. */
static inline uint32_t
x64_read32(const x64_buf *b, size_t at)
{
	uint32_t	v = 0;

	if (!b->oom)
		memcpy(&v, b->start + at, 4);
	return v;
}

/* A 'len'-byte NOP (1..9) at p, in emitted code. */
void		x64_put_nop(uint8_t *p, int len);

/*
** Remove the 'len' bytes at 'at' from the code before 'end': what lies
** between moves up over them, and int3 fills the 'len' bytes freed before
** 'end'.  The caller makes sure nothing else points into what moved.
*/
void		x64_cut(x64_buf *b, size_t at, size_t len, size_t end);

/* Leave 'n' bytes, for an instruction written there later. */
static inline void
x64_skip(x64_buf *b, size_t n)
{
	x64_reserve(b, n);
	b->p += n;
}

/*
** Integer ALU operations of the 0x01/0x03/0x81/0x83 group, by their /digit.
*/
typedef enum x64_alu
{
	X64_ADD = 0, X64_OR = 1, X64_ADC = 2, X64_SBB = 3,
	X64_AND = 4, X64_SUB = 5, X64_XOR = 6, X64_CMP = 7
} x64_alu;

/* Shift/rotate group (0xC1/0xD3 /digit). */
typedef enum x64_shift
{
	X64_ROL = 0, X64_ROR = 1, X64_SHL = 4, X64_SHR = 5, X64_SAR = 7
} x64_shift;

/* Unary group 3 (0xF7 /digit). */
typedef enum x64_unary
{
	X64_NOT = 2, X64_NEG = 3, X64_MUL1 = 4, X64_IMUL1 = 5, X64_DIV = 6, X64_IDIV = 7
} x64_unary;

/* SSE scalar arithmetic (F3/F2 0F xx). */
typedef enum x64_sse
{
	X64_SQRT = 0x51, X64_ADDS = 0x58, X64_MULS = 0x59, X64_SUBS = 0x5C,
	X64_MINS = 0x5D, X64_DIVS = 0x5E, X64_MAXS = 0x5F
} x64_sse;

/* Packed bitwise ops (0F xx, 66 for the pd form). */
typedef enum x64_sselogic
{
	X64_ANDP = 0x54, X64_ANDNP = 0x55, X64_ORP = 0x56, X64_XORP = 0x57
} x64_sselogic;

/*
** The most frequent memory operands by far are [base + disp] with no
** index: frame slots, outgoing argument slots, fields.  The emitters of
** the frequent forms below test for them inline and pass base and disp
** as two plain arguments to a '_bd' emitter, which skips unpacking an
** x64_mem and the SIB and RIP cases; with a constant operand
** (x64_m(X64_RBP, ...)) the test folds away.  '_any' emitters take every
** operand.
*/
static inline bool
x64_is_bd(x64_mem m)
{
	return m.index == X64_NOINDEX && m.base != X64_RIP;
}

/*
** The next most frequent: [base + index + disp], scale 1, the address of
** a wasm memory access (r14 + the address register); '_bi' emitters.
*/
static inline bool
x64_is_bi(x64_mem m)
{
	return m.scale == 1 && m.index != X64_NOINDEX && m.base != X64_RIP;
}

/*
** Of those, frame slots, [rbp + disp]: the '_fp' emitters take only the
** displacement and skip what other bases need (a SIB, the form with no
** displacement).  The emitters of the frequent forms below test for them
** first.
*/
static inline bool
x64_is_fp(x64_mem m)
{
	return m.index == X64_NOINDEX && m.base == X64_RBP;
}

/* w: 64-bit operand size (REX.W), else 32-bit. */
void		x64_mov_rr(x64_buf *b, bool w, int dst, int src);
void		x64_mov_ri(x64_buf *b, bool w, int dst, int64_t imm);
void		x64_mov_rm_any(x64_buf *b, bool w, int dst, x64_mem m);
void		x64_mov_rm_fp(x64_buf *b, bool w, int dst, int32_t disp);
void		x64_mov_rm_bd(x64_buf *b, bool w, int dst, int base, int32_t disp);
void		x64_mov_rm_bi(x64_buf *b, bool w, int dst, int base, int index, int32_t disp);
void		x64_mov_mr_any(x64_buf *b, bool w, x64_mem m, int src);
void		x64_mov_mr_fp(x64_buf *b, bool w, int32_t disp, int src);
void		x64_mov_mr_bd(x64_buf *b, bool w, int base, int32_t disp, int src);
void		x64_mov_mi_any(x64_buf *b, bool w, x64_mem m, int32_t imm);
void		x64_mov_mi_fp(x64_buf *b, bool w, int32_t disp, int32_t imm);
void		x64_mov_mi_bd(x64_buf *b, bool w, int base, int32_t disp, int32_t imm);
void		x64_mov_mi_bi(x64_buf *b, bool w, int base, int index, int32_t disp, int32_t imm);
/*
** A byte store of an immediate (movb $imm8).  There is no 2-byte form on
** purpose: movw $imm16 has a length-changing prefix, which stalls the
** decoders of Intel cores; 4 and 8 bytes are x64_mov_mi.
*/
void		x64_store8_i(x64_buf *b, x64_mem m, uint8_t imm);
/* Stores of 1/2/4/8 bytes. */
void		x64_store_any(x64_buf *b, int size, x64_mem m, int src);
void		x64_store_bi(x64_buf *b, int size, int base, int index, int32_t disp, int src);

static inline void
x64_mov_rm(x64_buf *b, bool w, int dst, x64_mem m)
{
	if (x64_is_fp(m))
		x64_mov_rm_fp(b, w, dst, m.disp);
	else if (x64_is_bd(m))
		x64_mov_rm_bd(b, w, dst, m.base, m.disp);
	else if (x64_is_bi(m))
		x64_mov_rm_bi(b, w, dst, m.base, m.index, m.disp);
	else
		x64_mov_rm_any(b, w, dst, m);
}

static inline void
x64_store(x64_buf *b, int size, x64_mem m, int src)
{
	if (x64_is_bi(m))
		x64_store_bi(b, size, m.base, m.index, m.disp, src);
	else
		x64_store_any(b, size, m, src);
}

static inline void
x64_mov_mr(x64_buf *b, bool w, x64_mem m, int src)
{
	if (x64_is_fp(m))
		x64_mov_mr_fp(b, w, m.disp, src);
	else if (x64_is_bd(m))
		x64_mov_mr_bd(b, w, m.base, m.disp, src);
	else
		x64_mov_mr_any(b, w, m, src);
}

static inline void
x64_mov_mi(x64_buf *b, bool w, x64_mem m, int32_t imm)
{
	if (x64_is_fp(m))
		x64_mov_mi_fp(b, w, m.disp, imm);
	else if (x64_is_bd(m))
		x64_mov_mi_bd(b, w, m.base, m.disp, imm);
	else if (x64_is_bi(m))
		x64_mov_mi_bi(b, w, m.base, m.index, m.disp, imm);
	else
		x64_mov_mi_any(b, w, m, imm);
}
/* Loads of 1/2/4 bytes extended to 32 or 64 bits. */
void		x64_movzx_rm_any(x64_buf *b, int srcsize, int dst, x64_mem m);
void		x64_movzx_rm_bi(x64_buf *b, int srcsize, int dst, int base, int index, int32_t disp);

static inline void
x64_movzx_rm(x64_buf *b, int srcsize, int dst, x64_mem m)
{
	if (x64_is_bi(m))
		x64_movzx_rm_bi(b, srcsize, dst, m.base, m.index, m.disp);
	else
		x64_movzx_rm_any(b, srcsize, dst, m);
}
void		x64_movsx_rm(x64_buf *b, bool w, int srcsize, int dst, x64_mem m);
void		x64_movzx_rr(x64_buf *b, int srcsize, int dst, int src);
void		x64_movsx_rr(x64_buf *b, bool w, int srcsize, int dst, int src);
void		x64_lea_bd(x64_buf *b, bool w, int dst, int base, int32_t disp);
void		x64_lea_any(x64_buf *b, bool w, int dst, x64_mem m);

static inline void
x64_lea(x64_buf *b, bool w, int dst, x64_mem m)
{
	if (x64_is_bd(m))
		x64_lea_bd(b, w, dst, m.base, m.disp);
	else
		x64_lea_any(b, w, dst, m);
}

void		x64_alu_rr(x64_buf *b, x64_alu op, bool w, int dst, int src);
void		x64_alu_ri(x64_buf *b, x64_alu op, bool w, int dst, int32_t imm);
void		x64_alu_rm_any(x64_buf *b, x64_alu op, bool w, int dst, x64_mem m);
void		x64_alu_rm_bd(x64_buf *b, x64_alu op, bool w, int dst, int base, int32_t disp);
void		x64_alu_mi_any(x64_buf *b, x64_alu op, bool w, x64_mem m, int32_t imm);
void		x64_alu_mi_bd(x64_buf *b, x64_alu op, bool w, int base, int32_t disp, int32_t imm);
void		x64_alu_mr(x64_buf *b, x64_alu op, bool w, x64_mem m, int src);
void		x64_test_rr(x64_buf *b, bool w, int a, int c);
/* Thread-local operands, fs:[disp] (the thread pointer plus 'disp'). */
void		x64_mov_r_fs(x64_buf *b, int dst, int32_t disp);	/* 64-bit load */
void		x64_mov_fs_r(x64_buf *b, int32_t disp, int src);	/* 64-bit store */
void		x64_cmp_fs32_i8(x64_buf *b, int32_t disp, int8_t imm);
/*
** Instructions written over bytes left for them (x64_skip), at p in the
** emitted code (x64_code), in fixed-length forms: 'op dst, imm32' (REX
** 81 /op id) and 'lea dst, [base + disp32]' (REX 8D /r, mod 2; base
** neither rsp nor r12, which need a SIB).  Inline: fuel writes one per
** charge.
*/
static inline void
x64_put_alu_ri32(uint8_t *p, x64_alu op, int w, int dst, int32_t imm)
{
	unsigned	rex = (w ? 8u : 0u) | ((unsigned) (dst & 8) >> 3);

	if (rex)
		*p++ = (uint8_t) (0x40 | rex);
	*p++ = 0x81;
	*p++ = (uint8_t) (0xC0 | (op << 3) | (dst & 7));
	memcpy(p, &imm, 4);
}

static inline void
x64_put_lea_d32(uint8_t *p, int w, int dst, int base, int32_t disp)
{
	unsigned	rex = (w ? 8u : 0u) | ((unsigned) (dst & 8) >> 1) | ((unsigned) (base & 8) >> 3);

	if (rex)
		*p++ = (uint8_t) (0x40 | rex);
	*p++ = 0x8D;
	*p++ = (uint8_t) (0x80 | ((dst & 7) << 3) | (base & 7));
	memcpy(p, &disp, 4);
}

/*
** The 7-byte NOP (0F 1F 80 00000000, the x64_put_nop of 7) at p, inline:
** fuel writes one per dropped charge, in the length of the forms above
** with a REX prefix.
*/
static inline void
x64_put_nop7(uint8_t *p)
{
	static const uint8_t nop7[7] = {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00};

	memcpy(p, nop7, sizeof(nop7));
}

/* 'jmp rel8' (EB cb) at p, landing 'rel' bytes after its end. */
static inline void
x64_put_jmp8(uint8_t *p, int8_t rel)
{
	p[0] = 0xEB;
	p[1] = (uint8_t) rel;
}

/*
** n redundant DS segment prefixes (3E), which 64-bit mode ignores: with
** the instruction right after them, one longer instruction that does the
** same, for code that may enter at the prefixes or at the instruction.
*/
static inline void
x64_put_prefixes(uint8_t *p, int n)
{
	memset(p, 0x3E, (size_t) n);
}

/* The emitted code, to write over; NULL once out of memory. */
static inline uint8_t *
x64_code(x64_buf *b)
{
	return b->oom ? NULL : b->start;
}

static inline void
x64_alu_rm(x64_buf *b, x64_alu op, bool w, int dst, x64_mem m)
{
	if (x64_is_bd(m))
		x64_alu_rm_bd(b, op, w, dst, m.base, m.disp);
	else
		x64_alu_rm_any(b, op, w, dst, m);
}

static inline void
x64_alu_mi(x64_buf *b, x64_alu op, bool w, x64_mem m, int32_t imm)
{
	if (x64_is_bd(m))
		x64_alu_mi_bd(b, op, w, m.base, m.disp, imm);
	else
		x64_alu_mi_any(b, op, w, m, imm);
}
void		x64_imul_rr(x64_buf *b, bool w, int dst, int src);
void		x64_imul_rm(x64_buf *b, bool w, int dst, x64_mem m);
void		x64_imul_rri(x64_buf *b, bool w, int dst, int src, int32_t imm);
void		x64_unary_r(x64_buf *b, x64_unary op, bool w, int r);
void		x64_shift_ri(x64_buf *b, x64_shift op, bool w, int r, uint8_t imm);
void		x64_shift_rcl(x64_buf *b, x64_shift op, bool w, int r);
void		x64_cdq(x64_buf *b, bool w);	/* cdq / cqo */
void		x64_bsr(x64_buf *b, bool w, int dst, int src);
void		x64_bsf(x64_buf *b, bool w, int dst, int src);
void		x64_popcnt(x64_buf *b, bool w, int dst, int src);
void		x64_setcc(x64_buf *b, x64_cc cc, int r);
void		x64_cmov_rr(x64_buf *b, x64_cc cc, bool w, int dst, int src);
void		x64_cmov_rm(x64_buf *b, x64_cc cc, bool w, int dst, x64_mem m);

void		x64_push(x64_buf *b, int r);
void		x64_pop(x64_buf *b, int r);
void		x64_ret(x64_buf *b);
void		x64_ud2(x64_buf *b);
void		x64_call_r(x64_buf *b, int r);
void		x64_call_m(x64_buf *b, x64_mem m);
void		x64_jmp_r(x64_buf *b, int r);
void		x64_rep_stosq(x64_buf *b);
/*
** Branches with a rel32 field: 'n' opcode bytes of 'op' (most significant
** first) and the rel32; they return the field's offset for patching
** (taken before a growth may move the code).  Inline: a module has
** thousands.
*/
static inline size_t
x64_branch32(x64_buf *b, uint32_t op, int n, int32_t rel)
{
	uint8_t    *p = b->p;
	size_t		field;

	if (n == 2)
		*p++ = (uint8_t) (op >> 8);
	*p++ = (uint8_t) op;
	field = (size_t) (p - b->start);
	memcpy(p, &rel, 4);
	b->p = p + 4;
	if (__builtin_expect(b->p > b->end, 0))
		x64_grow(b, 0);
	return field;
}

static inline size_t
x64_jmp32(x64_buf *b, int32_t rel)
{
	return x64_branch32(b, 0xE9, 1, rel);
}

static inline size_t
x64_jcc32(x64_buf *b, x64_cc cc, int32_t rel)
{
	return x64_branch32(b, 0x0F80 + cc, 2, rel);
}

static inline size_t
x64_call32(x64_buf *b, int32_t rel)
{
	return x64_branch32(b, 0xE8, 1, rel);
}
/* Short branch with a rel8 field; returns the field's offset. */
size_t		x64_jcc8(x64_buf *b, x64_cc cc);
size_t		x64_jmp8(x64_buf *b);
/* Point the rel8 field at 'at' to the current position, or to 'target'. */
void		x64_bind8(x64_buf *b, size_t at);
void		x64_bind8_to(x64_buf *b, size_t at, size_t target);
/* Point the rel32 field at 'at' to 'target' (buffer offsets). */
static inline void
x64_bind32(x64_buf *b, size_t at, size_t target)
{
	x64_patch32(b, at, (uint32_t) (int32_t) ((int64_t) target - (int64_t) (at + 4)));
}

/* Where the rel32 field at 'at' points (a buffer offset). */
static inline size_t
x64_target32(const x64_buf *b, size_t at)
{
	return (size_t) ((int64_t) at + 4 + (int32_t) x64_read32(b, at));
}

/* SSE.  'dbl': 1 for the f64 (sd/pd) form, 0 for f32 (ss/ps). */
void		x64_movs_rr(x64_buf *b, int dbl, int dst, int src);
void		x64_movs_rm_fp(x64_buf *b, int dbl, int dst, int32_t disp);
void		x64_movs_rm_bd(x64_buf *b, int dbl, int dst, int base, int32_t disp);
void		x64_movs_rm_any(x64_buf *b, int dbl, int dst, x64_mem m);
void		x64_movs_mr_fp(x64_buf *b, int dbl, int32_t disp, int src);
void		x64_movs_mr_bd(x64_buf *b, int dbl, int base, int32_t disp, int src);
void		x64_movs_mr_any(x64_buf *b, int dbl, x64_mem m, int src);

static inline void
x64_movs_rm(x64_buf *b, int dbl, int dst, x64_mem m)
{
	if (x64_is_fp(m))
		x64_movs_rm_fp(b, dbl, dst, m.disp);
	else if (x64_is_bd(m))
		x64_movs_rm_bd(b, dbl, dst, m.base, m.disp);
	else
		x64_movs_rm_any(b, dbl, dst, m);
}

static inline void
x64_movs_mr(x64_buf *b, int dbl, x64_mem m, int src)
{
	if (x64_is_fp(m))
		x64_movs_mr_fp(b, dbl, m.disp, src);
	else if (x64_is_bd(m))
		x64_movs_mr_bd(b, dbl, m.base, m.disp, src);
	else
		x64_movs_mr_any(b, dbl, m, src);
}
void		x64_movaps(x64_buf *b, int dst, int src);
void		x64_sse_rr(x64_buf *b, x64_sse op, int dbl, int dst, int src);
void		x64_sse_rm(x64_buf *b, x64_sse op, int dbl, int dst, x64_mem m);
void		x64_sselogic_rr(x64_buf *b, x64_sselogic op, int dbl, int dst, int src);
void		x64_ucomis_rr(x64_buf *b, int dbl, int a, int c);
/*
** AVX (VEX.128) three-operand forms, dst = src1 op src2, for a CPU that
** has AVX (x64_cpu_avx): the scalar arithmetic and the packed bitwise ops
** with a memory operand (which, unlike SSE's, need no alignment).
*/
void		x64_vsse_rr(x64_buf *b, x64_sse op, int dbl, int dst, int src1, int src2);
void		x64_vsse_rm(x64_buf *b, x64_sse op, int dbl, int dst, int src1, x64_mem m);
void		x64_vsselogic_rm(x64_buf *b, x64_sselogic op, int dbl, int dst, int src1, x64_mem m);
/* movd/movq between a gpr and an xmm register (w selects 64 bits). */
void		x64_movd_xr(x64_buf *b, bool w, int xmm, int gpr);
void		x64_movd_rx(x64_buf *b, bool w, int gpr, int xmm);
void		x64_cvtsi2s(x64_buf *b, int dbl, bool w, int xmm, int gpr);
void		x64_cvtts2si(x64_buf *b, int dbl, bool w, int gpr, int xmm);
void		x64_cvts2s(x64_buf *b, int from_dbl, int dst, int src);
/* roundss/roundsd (SSE4.1); mode 1 floor, 2 ceil, 3 trunc, 0 nearest. */
void		x64_rounds(x64_buf *b, int dbl, int dst, int src, uint8_t mode);

/* Whether the CPU and the OS support AVX (x64/cpu.c; asked once). */
bool		x64_cpu_avx(void);

#endif							/* SF_X64_EMIT_H */
