/*
** fuel_ref.h -- random structured programs and a reference interpreter
** that counts their fuel, for test_fuel.c.
**
** The generator writes the body of f(x: i32) -> i32 over i32 locals with
** void blocks, loops, if/else, br, br_if, br_table, return, calls of
** g(y) = y + 3, select, local.tee, drop and nop, including dead code
** after unconditional branches; with 'bulk', memory.fill and memory.copy
** of sizes computed at run time too (fr_generate_bulk).  Loops run a bounded number of times:
** each has its own counter local that nothing else writes, and every
** branch back to a loop's label -- its back edge at the end, or a
** 'continue' anywhere inside it, inner loops included, by br_if or by a br
** in an if -- first decrements that counter and is taken only while it
** stays above zero.
**
** With 'traps', the programs also run operators that trap on some inputs
** only: calls of t(y), which traps on y = 5; i32.load8_u past the end of
** memory for half the addresses; i32.div_u by zero; memory.fill past the
** end (fr_generate_traps).  Memory stays zero, so every load reads 0.
**
** The interpreter executes the same bytes one operator at a time and adds
** each executed operator's cost from the opcode table, the contract the
** compiler's per-run charging must match exactly on a call that returns;
** a trapping operator counts as executed.  Header-only.
*/
#ifndef SF_FUEL_REF_H
#define SF_FUEL_REF_H

#include <stdint.h>
#include <string.h>

#include "opcodes.h"
#include "slackfuel.h"
#include "wasmbuild.h"

#define FR_VARS 4				/* locals 1..4: written by statements */
#define FR_LOOPS 8				/* locals 5..12: loop counters */
#define FR_NLOCALS (1 + FR_VARS + FR_LOOPS)

typedef struct frgen
{
	wbuf	   *w;
	uint64_t	rng;
	char		labels[64];		/* 'b' block/if, 'l' loop */
	uint32_t	counter[64];	/* a loop label's counter local */
	int			nlabels;
	int			nloops;			/* counters handed out */
	int			budget;			/* statements left */
	bool		bulk;			/* memory.fill and memory.copy statements too */
	bool		traps;			/* trapping operators too */
} frgen;

static inline uint32_t
fr_rand(frgen *g, uint32_t n)
{
	g->rng = g->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t) (g->rng >> 33) % n;
}

static inline void
fr_s32(wbuf *w, int32_t v)
{
	for (;;)
	{
		uint8_t		b = v & 0x7f;

		v >>= 7;
		if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40)))
		{
			wb_u8(w, b);
			return;
		}
		wb_u8(w, b | 0x80);
	}
}

/* i32.const v */
static inline void
fr_const(wbuf *w, int32_t v)
{
	wb_u8(w, 0x41);
	fr_s32(w, v);
}

static void
fr_expr(frgen *g, int depth)
{
	static const uint8_t binops[] = {0x6a, 0x6b, 0x71, 0x49, 0x73};	/* add sub and lt_u xor */
	uint32_t	k = depth > 3 ? fr_rand(g, 2) : fr_rand(g, g->traps ? 11 : 8);

	switch (k)
	{
		case 8:					/* i32.load8_u offset=65534 (e & 3): traps on 2, 3 */
			fr_expr(g, depth + 1);
			fr_const(g->w, 3);
			wb_u8(g->w, 0x71);
			wb_u8(g->w, 0x2d);
			wb_u32(g->w, 0);
			wb_u32(g->w, 65534);
			return;
		case 9:					/* i32.div_u e (e & 3): traps on 0 */
			fr_expr(g, depth + 1);
			fr_expr(g, depth + 1);
			fr_const(g->w, 3);
			wb_u8(g->w, 0x71);
			wb_u8(g->w, 0x6e);
			return;
		case 10:				/* call t: traps on 5 */
			fr_expr(g, depth + 1);
			wb_u8(g->w, 0x10);
			wb_u32(g->w, 2);
			return;
		case 0:
			wb_u8(g->w, 0x41);
			fr_s32(g->w, (int32_t) fr_rand(g, 9) - 3);
			break;
		case 1:
			wb_u8(g->w, 0x20);
			wb_u32(g->w, fr_rand(g, FR_NLOCALS));
			break;
		case 2:
		case 3:
			fr_expr(g, depth + 1);
			fr_expr(g, depth + 1);
			wb_u8(g->w, binops[fr_rand(g, sizeof(binops))]);
			break;
		case 4:
			fr_expr(g, depth + 1);
			wb_u8(g->w, 0x45);	/* i32.eqz */
			break;
		case 5:
			fr_expr(g, depth + 1);
			wb_u8(g->w, 0x22);	/* local.tee */
			wb_u32(g->w, 1 + fr_rand(g, FR_VARS));
			break;
		case 6:
			fr_expr(g, depth + 1);
			fr_expr(g, depth + 1);
			fr_expr(g, depth + 1);
			wb_u8(g->w, 0x1b);	/* select */
			break;
		default:
			fr_expr(g, depth + 1);
			wb_u8(g->w, 0x10);	/* call g */
			wb_u32(g->w, 0);
			break;
	}
}

/* Depth (relative) of a random block/if label, or -1 if there is none. */
static int
fr_target(frgen *g)
{
	int			cand[64], n = 0;

	for (int i = 0; i < g->nlabels; i++)
		if (g->labels[i] == 'b')
			cand[n++] = g->nlabels - 1 - i;
	return n ? cand[fr_rand(g, (uint32_t) n)] : -1;
}

static void fr_stmts(frgen *g, int depth);

static void
fr_block(frgen *g, int depth, uint8_t op)
{
	wb_u8(g->w, op);
	wb_u8(g->w, 0x40);
	g->labels[g->nlabels++] = 'b';
	fr_stmts(g, depth + 1);
	if (op == 0x04 && fr_rand(g, 2))
	{
		wb_u8(g->w, 0x05);
		fr_stmts(g, depth + 1);
	}
	g->nlabels--;
	wb_u8(g->w, 0x0b);
}

/* local.tee c (c - 1) > 0: the test of every branch back to c's loop */
static void
fr_dec_test(frgen *g, uint32_t c)
{
	wb_u8(g->w, 0x20);
	wb_u32(g->w, c);
	wb_u8(g->w, 0x41);
	fr_s32(g->w, 1);
	wb_u8(g->w, 0x6b);
	wb_u8(g->w, 0x22);
	wb_u32(g->w, c);
	wb_u8(g->w, 0x41);
	fr_s32(g->w, 0);
	wb_u8(g->w, 0x4a);			/* i32.gt_s */
}

static void
fr_loop(frgen *g, int depth)
{
	uint32_t	c = 1 + FR_VARS + (uint32_t) g->nloops++;
	int			d;

	/* with traps: often a trapping operator just before the loop */
	if (g->traps && fr_rand(g, 2))
	{
		fr_expr(g, 3);
		wb_u8(g->w, 0x1a);		/* drop */
	}
	wb_u8(g->w, 0x41);
	fr_s32(g->w, 1 + (int32_t) fr_rand(g, 3));
	wb_u8(g->w, 0x21);
	wb_u32(g->w, c);
	wb_u8(g->w, 0x03);
	wb_u8(g->w, 0x40);
	g->counter[g->nlabels] = c;
	g->labels[g->nlabels++] = 'l';
	/* with traps: often an exit at the top, which charges the body late */
	if (g->traps && fr_rand(g, 2) && (d = fr_target(g)) >= 0)
	{
		fr_expr(g, 2);
		wb_u8(g->w, 0x0d);
		wb_u32(g->w, (uint32_t) d);
	}
	fr_stmts(g, depth + 1);
	fr_dec_test(g, c);
	wb_u8(g->w, 0x0d);			/* br_if 0 */
	wb_u32(g->w, 0);
	g->nlabels--;
	wb_u8(g->w, 0x0b);
}

/* A continue of a random enclosing loop; nothing when there is none. */
static void
fr_continue(frgen *g)
{
	int			cand[64], n = 0, i;
	uint32_t	d;

	for (i = 0; i < g->nlabels; i++)
		if (g->labels[i] == 'l')
			cand[n++] = i;
	if (n == 0)
		return;
	i = cand[fr_rand(g, (uint32_t) n)];
	d = (uint32_t) (g->nlabels - 1 - i);
	fr_dec_test(g, g->counter[i]);
	if (fr_rand(g, 2))
	{
		wb_u8(g->w, 0x0d);		/* br_if d */
		wb_u32(g->w, d);
		return;
	}
	wb_u8(g->w, 0x04);			/* if (then br d+1) */
	wb_u8(g->w, 0x40);
	wb_u8(g->w, 0x0c);
	wb_u32(g->w, d + 1);
	wb_u8(g->w, 0x0b);
}

/* An expression masked to [0, mask]. */
static void
fr_masked(frgen *g, int32_t mask)
{
	fr_expr(g, 1);
	wb_u8(g->w, 0x41);
	fr_s32(g->w, mask);
	wb_u8(g->w, 0x71);			/* i32.and */
}

/* memory.fill or memory.copy of up to 2047 bytes at offsets below 256. */
static void
fr_bulk(frgen *g)
{
	bool		copy = fr_rand(g, 2);

	fr_masked(g, 0xff);
	if (copy)
		fr_masked(g, 0xff);
	else
		fr_expr(g, 1);
	fr_masked(g, 0x7ff);
	wb_u8(g->w, 0xfc);
	wb_u32(g->w, copy ? 10 : 11);
	wb_u8(g->w, 0x00);
	if (copy)
		wb_u8(g->w, 0x00);
}

static void
fr_stmt(frgen *g, int depth)
{
	uint32_t	k = fr_rand(g, depth > 3 ? 6 : 12);
	int			d;

	if (g->bulk && fr_rand(g, 5) == 0)
	{
		fr_bulk(g);
		return;
	}
	if (fr_rand(g, 8) == 0)
	{
		fr_continue(g);
		return;
	}
	if (g->traps && fr_rand(g, 12) == 0)
	{
		/* memory.fill (e & 3) 0 65534: traps on 3 */
		fr_expr(g, 0);
		fr_const(g->w, 3);
		wb_u8(g->w, 0x71);
		fr_const(g->w, 0);
		fr_const(g->w, 65534);
		wb_u8(g->w, 0xfc);
		wb_u32(g->w, 11);
		wb_u8(g->w, 0);
		return;
	}
	switch (k)
	{
		case 0:
		case 1:
			fr_expr(g, 0);
			wb_u8(g->w, 0x21);	/* local.set */
			wb_u32(g->w, 1 + fr_rand(g, FR_VARS));
			break;
		case 2:
			fr_expr(g, 0);
			wb_u8(g->w, 0x1a);	/* drop */
			break;
		case 3:
			wb_u8(g->w, 0x01);	/* nop */
			break;
		case 4:
			if ((d = fr_target(g)) < 0)
				break;
			fr_expr(g, 0);
			wb_u8(g->w, 0x0d);	/* br_if */
			wb_u32(g->w, (uint32_t) d);
			break;
		case 5:
			if (fr_rand(g, 4) == 0 && (d = fr_target(g)) >= 0)
			{
				wb_u8(g->w, 0x0c);	/* br: what follows is dead */
				wb_u32(g->w, (uint32_t) d);
			}
			else if (fr_rand(g, 8) == 0)
			{
				fr_expr(g, 0);
				wb_u8(g->w, 0x0f);	/* return */
			}
			break;
		case 6:
			if ((d = fr_target(g)) < 0)
				break;
			{
				uint32_t	n = fr_rand(g, 4);

				fr_expr(g, 0);
				wb_u8(g->w, 0x0e);	/* br_table */
				wb_u32(g->w, n);
				for (uint32_t i = 0; i <= n; i++)
					wb_u32(g->w, (uint32_t) fr_target(g));
			}
			break;
		case 7:
		case 8:
			fr_block(g, depth, 0x02);
			break;
		case 9:
		case 10:
			fr_expr(g, 0);
			fr_block(g, depth, 0x04);
			break;
		default:
			if (g->nloops < FR_LOOPS)
				fr_loop(g, depth);
			break;
	}
}

static void
fr_stmts(frgen *g, int depth)
{
	uint32_t	n = fr_rand(g, 5);

	for (uint32_t i = 0; i < n && g->budget > 0; i++, g->budget--)
		fr_stmt(g, depth);
}

/* The body of f: statements, then x + l1 + l2 + l3 + l4. */
static inline void
fr_generate_with(wbuf *w, uint64_t seed, bool bulk, bool traps)
{
	frgen		g;

	memset(&g, 0, sizeof(g));
	g.w = w;
	g.rng = seed * 2654435761u + 1;
	g.budget = 40;
	g.bulk = bulk;
	g.traps = traps;
	fr_stmts(&g, 0);
	fr_stmts(&g, 0);
	wb_u8(w, 0x20);
	wb_u32(w, 0);
	for (uint32_t l = 1; l <= FR_VARS; l++)
	{
		wb_u8(w, 0x20);
		wb_u32(w, l);
		wb_u8(w, 0x6a);
	}
	wb_u8(w, 0x0b);
}

static inline void
fr_generate(wbuf *w, uint64_t seed)
{
	fr_generate_with(w, seed, false, false);
}

/* The same with bulk statements: the module needs a memory of a page. */
static inline void
fr_generate_bulk(wbuf *w, uint64_t seed)
{
	fr_generate_with(w, seed, true, false);
}

/*
** The same with trapping operators: the module needs a memory of a page
** and t as function 2 (FR_T_BODY).
*/
static inline void
fr_generate_traps(wbuf *w, uint64_t seed)
{
	fr_generate_with(w, seed, false, true);
}

/* ---- the reference interpreter --------------------------------------------------- */

typedef struct frlabel
{
	uint8_t		loop;
	size_t		start;			/* loop: first operator of the body */
	size_t		end;			/* position of the matching end */
	int			height;
} frlabel;

static uint32_t
fr_u32(const uint8_t *p, size_t *pc)
{
	uint32_t	v = 0;
	int			shift = 0;
	uint8_t		b;

	do
	{
		b = p[(*pc)++];
		v |= (uint32_t) (b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	return v;
}

static int32_t
fr_i32(const uint8_t *p, size_t *pc)
{
	int64_t		v = 0;
	int			shift = 0;
	uint8_t		b;

	do
	{
		b = p[(*pc)++];
		v |= (int64_t) (b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= -((int64_t) 1 << shift);
	return (int32_t) v;
}

/* Skip the operator at *pc (opcode included); its opcode. */
static uint8_t
fr_skip(const uint8_t *p, size_t *pc)
{
	uint8_t		op = p[(*pc)++];

	switch (op)
	{
		case 0x02:
		case 0x03:
		case 0x04:
			(*pc)++;
			break;
		case 0x0c:
		case 0x0d:
		case 0x10:
		case 0x20:
		case 0x21:
		case 0x22:
			fr_u32(p, pc);
			break;
		case 0x0e:
			for (uint32_t n = fr_u32(p, pc) + 1; n > 0; n--)
				fr_u32(p, pc);
			break;
		case 0x41:
			fr_i32(p, pc);
			break;
		case 0x2d:
			fr_u32(p, pc);
			fr_u32(p, pc);
			break;
		case 0xfc:
			*pc += fr_u32(p, pc) == 10 ? 2 : 1;
			break;
	}
	return op;
}

/* Position of the end (and else, or 0) matching the block opening at 'at'. */
static size_t
fr_match(const uint8_t *p, size_t at, size_t *else_at)
{
	size_t		pc = at;
	int			depth = 0;

	*else_at = 0;
	for (;;)
	{
		size_t		here = pc;
		uint8_t		op = fr_skip(p, &pc);

		if (op == 0x02 || op == 0x03 || op == 0x04)
			depth++;
		else if (op == 0x05 && depth == 1)
			*else_at = here;
		else if (op == 0x0b && --depth == 0)
			return here;
	}
}

static inline uint64_t
fr_cost(uint8_t op)
{
	return sf_opinfo_table[sf_opcode_lookup(0, op)].fuel;
}

/*
** A bulk statement's cost: the operator, and the bytes it reads and writes
** (memory.fill's writes count twice, memory.copy reads and writes n).
*/
static inline uint64_t
fr_bulk_cost(uint32_t sub, uint32_t n)
{
	return sf_opinfo_table[sf_opcode_lookup(0xfc, sub)].fuel +
		sf_fuel_for_bytes(2 * (uint64_t) n);
}

/* g(y) = y + 3: local.get, i32.const, i32.add. */
#define FR_G_COST 3

/*
** t(y): local.get, i32.const 5, i32.eq, if, then unreachable (a trap) on
** y = 5, else local.get after the if: returns y.
*/
#define FR_T_BODY "\x20\x00\x41\x05\x46\x04\x40\x00\x0b\x20\x00\x0b"
#define FR_T_COST 5

/*
** Run f's body on 'x'; the result, the fuel used added to *fuel.  A trap
** ends the run: *trap is its kind (SF_TRAP_NONE when f returns) and the
** trapping operator counts as executed.
*/
static inline int32_t
fr_run(const uint8_t *p, int32_t x, uint64_t *fuel, sf_trap_kind *trap)
{
	int32_t		loc[FR_NLOCALS] = {x}, st[256];
	frlabel		lab[64];
	int			sp = 0, nl = 0;
	size_t		pc = 0;

	for (;;)
	{
		size_t		at = pc, e, el;
		uint8_t		op = p[pc];
		int			d = -1;

		*trap = SF_TRAP_NONE;
		if (op == 0xfc)
		{
			size_t		q = at + 1;
			uint32_t	sub = fr_u32(p, &q),
						n = (uint32_t) st[sp - 1],
						dst = (uint32_t) st[sp - 3];

			sp -= 3;
			fr_skip(p, &pc);
			/* out of bounds: no byte touched, none charged (memory.fill only) */
			if (sub == 11 && (uint64_t) dst + n > 65536)
			{
				*fuel += sf_opinfo_table[sf_opcode_lookup(0xfc, sub)].fuel;
				*trap = SF_TRAP_MEMORY_OOB;
				return 0;
			}
			*fuel += fr_bulk_cost(sub, n);
			continue;
		}
		*fuel += fr_cost(op);
		fr_skip(p, &pc);
		switch (op)
		{
			case 0x01:
				break;
			case 0x02:
			case 0x03:
				e = fr_match(p, at, &el);
				lab[nl++] = (frlabel) {op == 0x03, pc, e, sp};
				break;
			case 0x04:
				e = fr_match(p, at, &el);
				lab[nl++] = (frlabel) {0, pc, e, sp - 1};
				if (st[--sp] == 0)
					pc = el ? el + 1 : e;
				break;
			case 0x05:			/* end of the then arm */
				pc = lab[nl - 1].end;
				break;
			case 0x0b:
				if (nl == 0)
					return st[sp - 1];
				nl--;
				break;
			case 0x0c:
				pc = at + 1;
				d = (int) fr_u32(p, &pc);
				break;
			case 0x0d:
				pc = at + 1;
				d = (int) fr_u32(p, &pc);
				if (st[--sp] == 0)
					d = -1;
				break;
			case 0x0e:
				{
					uint32_t	n, i = (uint32_t) st[--sp];
					size_t		q = at + 1;

					n = fr_u32(p, &q);
					for (uint32_t k = 0; k <= n; k++)
					{
						uint32_t	t = fr_u32(p, &q);

						if (k == (i < n ? i : n))
							d = (int) t;
					}
					break;
				}
			case 0x0f:
				return st[sp - 1];
			case 0x10:
				if (p[at + 1] == 2)
				{
					*fuel += FR_T_COST;
					if (st[sp - 1] == 5)
					{
						*trap = SF_TRAP_UNREACHABLE;
						return 0;
					}
					break;
				}
				st[sp - 1] = (int32_t) ((uint32_t) st[sp - 1] + 3);
				*fuel += FR_G_COST;
				break;
			case 0x2d:			/* i32.load8_u offset=65534 of 0..3 */
				if ((uint32_t) st[sp - 1] >= 2)
				{
					*trap = SF_TRAP_MEMORY_OOB;
					return 0;
				}
				st[sp - 1] = 0;
				break;
			case 0x6e:			/* i32.div_u */
				sp--;
				if (st[sp] == 0)
				{
					*trap = SF_TRAP_DIV_BY_ZERO;
					return 0;
				}
				st[sp - 1] = (int32_t) ((uint32_t) st[sp - 1] / (uint32_t) st[sp]);
				break;
			case 0x1a:
				sp--;
				break;
			case 0x1b:
				sp -= 2;
				if (st[sp + 1] == 0)
					st[sp - 1] = st[sp];
				break;
			case 0x20:
			case 0x21:
			case 0x22:
				{
					size_t		q = at + 1;
					uint32_t	l = fr_u32(p, &q);

					if (op == 0x20)
						st[sp++] = loc[l];
					else
						loc[l] = op == 0x21 ? st[--sp] : st[sp - 1];
					break;
				}
			case 0x41:
				{
					size_t		q = at + 1;

					st[sp++] = fr_i32(p, &q);
					break;
				}
			case 0x45:
				st[sp - 1] = st[sp - 1] == 0;
				break;
			default:			/* binary: add sub and lt_u gt_s xor */
				sp--;
				st[sp - 1] = op == 0x6a ? (int32_t) ((uint32_t) st[sp - 1] + (uint32_t) st[sp]) :
					op == 0x6b ? (int32_t) ((uint32_t) st[sp - 1] - (uint32_t) st[sp]) :
					op == 0x71 ? st[sp - 1] & st[sp] :
					op == 0x49 ? (uint32_t) st[sp - 1] < (uint32_t) st[sp] :
					op == 0x4a ? st[sp - 1] > st[sp] :
					st[sp - 1] ^ st[sp];
				break;
		}
		if (d >= 0)
		{
			frlabel    *t = &lab[nl - 1 - d];

			sp = t->height;
			if (t->loop)
			{
				pc = t->start;
				nl = nl - d;
			}
			else
			{
				pc = t->end + 1;
				nl = nl - 1 - d;
			}
		}
	}
}

#endif							/* SF_FUEL_REF_H */
