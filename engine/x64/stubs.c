/*
** x64/stubs.c -- the shared stubs between the host and JIT code, emitted
** once per process into the first block of the code arena: the entry
** stub, the trap stubs and the host-call stub (frames: x64/abi.h).
**
** Entry stub, as C sees it:
**   uint64_t entry(ctx, code, slots, nslots, act)
** saves the callee-saved registers, records its stack pointer in
** act->saved_rsp, copies the argument slots to the stack, calls 'code'
** and copies the result slots back; it returns 0.  Copies of it for a
** fixed small count of slots copy them without a loop.  The trap stub has
** the frames above the trap noted (x64/frames.c), restores that stack
** pointer from the activation and leaves through the same epilogue with
** the trap kind in eax.  No unwinding, no longjmp.
**
** The prepared-call stubs (target.h) do sf_prepared_call's work and the
** entry stub's in one frame, the entry stub's: the trap stub leaves them
** through the same epilogue.
**
** The host-call stub is the wasm-convention entry of every host function:
** it saves the local registers C may clobber, hands the arguments, the
** fuel counter and the caller's context to sf_call_host_boundary
** (call.c), takes the counter back and traps if that says so.
*/
#include <pthread.h>
#include <stddef.h>

#include "codemem.h"
#include "runtime.h"
#include "signals.h"
#include "target.h"

static pthread_once_t stubs_once = PTHREAD_ONCE_INIT;
static sf_stubs stubs;
static bool stubs_ok;

/* Offsets inside the stub block, fixed up after installation. */
typedef struct stub_offs
{
	size_t		entry, entry_n[SF_ENTRY_SMALL], prepared_n[SF_ENTRY_SMALL][2],
				trap_explicit, trap_common, host_call;
} stub_offs;

/* Copy nslots (rcx) slots from [src + 8*i] to [dst + 8*i], with rax and r9. */
static void
copy_slots(x64_buf *b, int dst, int src)
{
	size_t		loop, done;

	x64_alu_rr(b, X64_XOR, 0, X64_RAX, X64_RAX);
	loop = x64_pos(b);
	x64_alu_rr(b, X64_CMP, 1, X64_RAX, X64_RCX);
	done = x64_jcc8(b, X64_CC_AE);
	x64_mov_rm(b, 1, X64_R9, x64_mx(src, X64_RAX, 8, 0));
	x64_mov_mr(b, 1, x64_mx(dst, X64_RAX, 8, 0), X64_R9);
	x64_alu_ri(b, X64_ADD, 1, X64_RAX, 1);
	x64_bind8_to(b, x64_jmp8(b), loop);
	x64_bind8(b, done);
}

/*
** The entry stubs' frame, down to X64_ENTRY_ACT (which 'act' fills): the
** callee-saved registers wasm code uses, the same in every entry stub, so
** that the trap stub can leave any of them through one epilogue.
*/
static void
push_entry_frame(x64_buf *b, int act)
{
	x64_push(b, X64_RBP);
	x64_mov_rr(b, 1, X64_RBP, X64_RSP);
	x64_push(b, X64_RBX);
	x64_push(b, X64_R12);
	x64_push(b, X64_CTX);
	x64_push(b, X64_MEM);
	x64_push(b, X64_FUEL);
	x64_push(b, act);
}

/* Leave push_entry_frame's frame, and return. */
static void
pop_entry_frame(x64_buf *b)
{
	x64_lea(b, 1, X64_RSP, x64_m(X64_RBP, X64_ENTRY_SAVED));
	x64_pop(b, X64_FUEL);
	x64_pop(b, X64_MEM);
	x64_pop(b, X64_CTX);
	x64_pop(b, X64_R12);
	x64_pop(b, X64_RBX);
	x64_pop(b, X64_RBP);
	x64_ret(b);
}

/*
** The entry stub for 'n' slots, or for any number (in rcx) when n < 0.  The
** fixed-count ones, for the small counts of calls from SQL, copy the slots
** without a loop; all have the same frame, and the trap stub leaves
** through the epilogue of the general one ('exit_at').
*/
static size_t
emit_entry(x64_buf *b, int n, size_t *exit_at)
{
	size_t		start = x64_pos(b);
	int32_t		room = (int32_t) (((size_t) (n < 0 ? 0 : n) * 8 + 15) & ~(size_t) 15);

	push_entry_frame(b, X64_R8);	/* X64_ENTRY_ACT */
	x64_push(b, X64_RDX);		/* X64_ENTRY_SLOTS */
	x64_push(b, X64_RCX);		/* X64_ENTRY_NSLOTS */
	x64_mov_mr(b, 1, x64_m(X64_R8, SF_OFF_ACT_SAVED_RSP), X64_RSP);
	x64_mov_rr(b, 1, X64_CTX, X64_RDI);
	x64_mov_rm(b, 1, X64_MEM, x64_m(X64_CTX, SF_OFF_VM_MEM_BASE));
	x64_mov_rm(b, 1, X64_FUEL, x64_m(X64_R8, SF_OFF_ACT_FUEL));
	/* outgoing slots, 16-byte aligned */
	if (n < 0)
	{
		x64_mov_rr(b, 1, X64_RAX, X64_RCX);
		x64_shift_ri(b, X64_SHL, 1, X64_RAX, 3);
		x64_alu_ri(b, X64_ADD, 1, X64_RAX, 15);
		x64_alu_ri(b, X64_AND, 1, X64_RAX, -16);
		x64_alu_rr(b, X64_SUB, 1, X64_RSP, X64_RAX);
		copy_slots(b, X64_RSP, X64_RDX);
	}
	else if (room > 0)
	{
		x64_alu_ri(b, X64_SUB, 1, X64_RSP, room);
		for (int i = 0; i < n; i++)
		{
			x64_mov_rm(b, 1, X64_RAX, x64_m(X64_RDX, 8 * i));
			x64_mov_mr(b, 1, x64_m(X64_RSP, 8 * i), X64_RAX);
		}
	}
	x64_call_r(b, X64_RSI);
	if (n < 0)
	{
		x64_mov_rm(b, 1, X64_RCX, x64_m(X64_RBP, X64_ENTRY_NSLOTS));
		x64_mov_rm(b, 1, X64_RDX, x64_m(X64_RBP, X64_ENTRY_SLOTS));
		copy_slots(b, X64_RDX, X64_RSP);
	}
	else if (n > 0)
	{
		x64_mov_rm(b, 1, X64_RDX, x64_m(X64_RBP, X64_ENTRY_SLOTS));
		for (int i = 0; i < n; i++)
		{
			x64_mov_rm(b, 1, X64_RAX, x64_m(X64_RSP, 8 * i));
			x64_mov_mr(b, 1, x64_m(X64_RDX, 8 * i), X64_RAX);
		}
	}
	x64_mov_rm(b, 1, X64_R8, x64_m(X64_RBP, X64_ENTRY_ACT));
	x64_mov_mr(b, 1, x64_m(X64_R8, SF_OFF_ACT_FUEL), X64_FUEL);
	x64_alu_rr(b, X64_XOR, 0, X64_RAX, X64_RAX);
	if (exit_at != NULL)
		*exit_at = x64_pos(b);
	pop_entry_frame(b);
	return start;
}

/*
** The offsets from the thread pointer (fs) of the thread's current
** activation and its interrupt flag: initial-exec TLS, the same in every
** thread.  False if one does not fit a 32-bit displacement.
*/
static bool
tls_offsets(int32_t *cur, int32_t *intr)
{
	uintptr_t	tp;
	intptr_t	c,
				i;

	__asm__("mov %%fs:0, %0" : "=r"(tp));
	c = (intptr_t) ((uintptr_t) sf_call_current_addr() - tp);
	i = (intptr_t) ((uintptr_t) &sf_signals_interrupt - tp);
	if (c != (int32_t) c || i != (int32_t) i)
		return false;
	*cur = (int32_t) c;
	*intr = (int32_t) i;
	return true;
}

#define PREP(field) ((int32_t) offsetof(sf_prepared, field))
#define PREP_ACT(field) ((int32_t) (offsetof(sf_prepared, act) + offsetof(sf_activation, field)))

/*
** The prepared-call stub for 'n' slots (target.h), slot 0 narrowed to
** its low 32 bits if 'narrow0': p in rdi, the fuel limit in rsi; it
** returns 0 in rax and the fuel consumed in rdx, or what C decides from
** in rax.  Its frame is the entry stub's (p where that keeps the
** activation, and the limit across a retry where that keeps the slots);
** it leaves through the entry stub's epilogue ('exit_at').
*/
static size_t
emit_prepared(x64_buf *b, int n, bool narrow0, size_t exit_at, int32_t cur, int32_t intr)
{
	size_t		start = x64_pos(b);
	int32_t		room = (int32_t) (((size_t) n * 8 + 15) & ~(size_t) 15);
	size_t		top, retry_limit, nested, retry_frame, interrupted, finish, fin_intr;

	push_entry_frame(b, X64_RDI);	/* X64_ENTRY_ACT: p */
	x64_alu_ri(b, X64_SUB, 1, X64_RSP, 16);
	/* again after a retry, with rdi and rsi as they came */
	top = x64_pos(b);
	x64_alu_rm(b, X64_CMP, 1, X64_RSI, x64_m(X64_RDI, PREP(limit_asked)));
	retry_limit = x64_jcc32(b, X64_CC_NE, 0);
	/* the activation's link */
	x64_mov_rm(b, 1, X64_RBX, x64_m(X64_RDI, PREP(store)));
	x64_mov_rm(b, 1, X64_RAX, x64_m(X64_RBX, SF_OFF_STORE_ACT));
	x64_mov_mr(b, 1, x64_m(X64_RDI, PREP_ACT(prev)), X64_RAX);
	x64_test_rr(b, 1, X64_RAX, X64_RAX);
	nested = x64_jcc8(b, X64_CC_NE);
	/* outermost: the stack limit found for this frame */
	x64_alu_rm(b, X64_CMP, 1, X64_RBP, x64_m(X64_RDI, PREP(frame)));
	retry_frame = x64_jcc32(b, X64_CC_NE, 0);
	x64_mov_rm(b, 1, X64_RCX, x64_m(X64_RDI, PREP(floor)));
	x64_mov_mr(b, 1, x64_m(X64_RBX, SF_OFF_STORE_STACK_LIMIT), X64_RCX);
	x64_bind8(b, nested);
	x64_mov_r_fs(b, X64_RAX, cur);
	x64_mov_mr(b, 1, x64_m(X64_RDI, PREP(prev_cur)), X64_RAX);
	/* the activation complete, then visible: store->act, then the thread's */
	x64_lea(b, 1, X64_RAX, x64_m(X64_RDI, PREP(act)));
	x64_mov_mr(b, 1, x64_m(X64_RAX, SF_OFF_ACT_SAVED_RSP), X64_RSP);
	x64_mov_rm(b, 1, X64_FUEL, x64_m(X64_RDI, PREP(fuel_start)));
	x64_mov_mr(b, 1, x64_m(X64_RBX, SF_OFF_STORE_ACT), X64_RAX);
	x64_mov_fs_r(b, cur, X64_RAX);
	/* a request that came before the activation was visible is not lost */
	x64_cmp_fs32_i8(b, intr, 0);
	interrupted = x64_jcc32(b, X64_CC_NE, 0);
	x64_mov_rm(b, 1, X64_CTX, x64_m(X64_RDI, PREP(ctx)));
	x64_mov_rm(b, 1, X64_MEM, x64_m(X64_CTX, SF_OFF_VM_MEM_BASE));
	if (room > 0)
	{
		x64_alu_ri(b, X64_SUB, 1, X64_RSP, room);
		for (int i = 0; i < n; i++)
		{
			/* a 32-bit load: slot 0 narrowed */
			x64_mov_rm(b, i > 0 || !narrow0, X64_RAX, x64_m(X64_RDI, PREP(slots) + 8 * i));
			x64_mov_mr(b, 1, x64_m(X64_RSP, 8 * i), X64_RAX);
		}
	}
	x64_call_m(b, x64_m(X64_RDI, PREP(code)));
	x64_mov_rm(b, 1, X64_RCX, x64_m(X64_RBP, X64_ENTRY_ACT));
	for (int i = 0; i < n; i++)
	{
		x64_mov_rm(b, 1, X64_RAX, x64_m(X64_RSP, 8 * i));
		x64_mov_mr(b, 1, x64_m(X64_RCX, PREP(slots) + 8 * i), X64_RAX);
	}
	/* out of fuel or an interrupt pending: C decides, linked still */
	x64_test_rr(b, 1, X64_FUEL, X64_FUEL);
	finish = x64_jcc32(b, X64_CC_G, 0);
	x64_cmp_fs32_i8(b, intr, 0);
	fin_intr = x64_jcc32(b, X64_CC_NE, 0);
	/* unlink; rdx = consumed = (counter + limit) & consumed_mask */
	x64_mov_rm(b, 1, X64_RAX, x64_m(X64_RCX, PREP(prev_cur)));
	x64_mov_fs_r(b, cur, X64_RAX);
	x64_mov_rm(b, 1, X64_RDX, x64_m(X64_RCX, PREP(store)));
	x64_mov_rm(b, 1, X64_RAX, x64_m(X64_RCX, PREP_ACT(prev)));
	x64_mov_mr(b, 1, x64_m(X64_RDX, SF_OFF_STORE_ACT), X64_RAX);
	x64_mov_rr(b, 1, X64_RDX, X64_FUEL);
	x64_alu_rm(b, X64_ADD, 1, X64_RDX, x64_m(X64_RCX, PREP(limit)));
	x64_alu_rm(b, X64_AND, 1, X64_RDX, x64_m(X64_RCX, PREP(consumed_mask)));
	x64_alu_rr(b, X64_XOR, 0, X64_RAX, X64_RAX);
	pop_entry_frame(b);
	/* returned, and C decides: the counter in the activation */
	x64_bind32(b, finish, x64_pos(b));
	x64_bind32(b, fin_intr, x64_pos(b));
	x64_mov_mr(b, 1, x64_m(X64_RCX, PREP_ACT(fuel)), X64_FUEL);
	x64_mov_ri(b, 0, X64_RAX, SF_PREPARED_FINISH);
	x64_bind32(b, x64_jmp32(b, 0), exit_at);
	/* interrupted before the call, linked */
	x64_bind32(b, interrupted, x64_pos(b));
	x64_mov_mr(b, 1, x64_m(X64_RDI, PREP_ACT(fuel)), X64_FUEL);
	x64_mov_ri(b, 0, X64_RAX, SF_TRAP_INTERRUPTED);
	x64_bind32(b, x64_jmp32(b, 0), exit_at);
	/*
	** Another limit, or another frame for an outermost call: nothing
	** linked yet.  sf_prepared_stub_retry(p, limit, frame) finds the
	** counter's start or the stack limit, and the stub starts again.
	*/
	x64_bind32(b, retry_limit, x64_pos(b));
	x64_bind32(b, retry_frame, x64_pos(b));
	x64_mov_mr(b, 1, x64_m(X64_RBP, X64_ENTRY_SLOTS), X64_RSI);
	x64_mov_rr(b, 1, X64_RDX, X64_RBP);
	x64_mov_ri(b, 1, X64_RAX, (int64_t) (uintptr_t) sf_prepared_stub_retry);
	x64_call_r(b, X64_RAX);
	x64_mov_rm(b, 1, X64_RDI, x64_m(X64_RBP, X64_ENTRY_ACT));
	x64_mov_rm(b, 1, X64_RSI, x64_m(X64_RBP, X64_ENTRY_SLOTS));
	x64_bind32(b, x64_jmp32(b, 0), top);
	return start;
}

static void
emit_traps(x64_buf *b, stub_offs *o, size_t exit_at)
{
	size_t		skip;

	/*
	** Called from a trap thunk.  The return address may lie one past the
	** function's code (the thunk is its last instruction), so the trap PC
	** is taken one byte back, inside the call.
	*/
	o->trap_explicit = x64_pos(b);
	x64_pop(b, X64_RDX);
	x64_lea(b, 1, X64_RDX, x64_m(X64_RDX, -1));
	x64_mov_rm(b, 1, X64_RCX, x64_m(X64_CTX, SF_OFF_VM_STORE));
	x64_mov_rm(b, 1, X64_RCX, x64_m(X64_RCX, SF_OFF_STORE_ACT));
	/* from a signal handler: eax = kind, rdx = pc, rcx = activation */
	o->trap_common = x64_pos(b);
	x64_mov_rr(b, 0, X64_RAX, X64_RAX);
	x64_mov_mr(b, 1, x64_m(X64_RCX, SF_OFF_ACT_TRAP), X64_RAX);
	x64_mov_mr(b, 1, x64_m(X64_RCX, SF_OFF_ACT_TRAP_PC), X64_RDX);
	x64_mov_mr(b, 1, x64_m(X64_RCX, SF_OFF_ACT_FUEL), X64_FUEL);
	/*
	** The frames, while they are still there: sf_frames_walk(act, rsp,
	** rbp) on this stack, 16-byte aligned, if the stack pointer is no
	** deeper than X64_TRAP_WALK_ROOM below the stack limit (a frame may
	** take it past the limit, which the prologue's check then reports;
	** the thread's stack has room there, call.c).  It returns act.
	*/
	x64_mov_mi(b, 1, x64_m(X64_RCX, offsetof(sf_activation, nret)), 0);
	x64_mov_mi(b, 1, x64_m(X64_RCX, offsetof(sf_activation, sp_words)), 0);
	x64_mov_mi(b, 1, x64_m(X64_RCX, offsetof(sf_activation, sp_words) + 8), 0);
	x64_mov_rm(b, 1, X64_RAX, x64_m(X64_RCX, SF_OFF_ACT_STORE));
	x64_mov_rm(b, 1, X64_RAX, x64_m(X64_RAX, SF_OFF_STORE_STACK_LIMIT));
	x64_alu_ri(b, X64_SUB, 1, X64_RAX, X64_TRAP_WALK_ROOM);
	x64_alu_rr(b, X64_CMP, 1, X64_RSP, X64_RAX);
	skip = x64_jcc8(b, X64_CC_B);
	x64_mov_rr(b, 1, X64_RDI, X64_RCX);
	x64_mov_rr(b, 1, X64_RSI, X64_RSP);
	x64_mov_rr(b, 1, X64_RDX, X64_RBP);
	x64_alu_ri(b, X64_AND, 1, X64_RSP, -16);
	x64_mov_ri(b, 1, X64_RAX, (int64_t) (uintptr_t) sf_frames_walk);
	x64_call_r(b, X64_RAX);
	x64_mov_rr(b, 1, X64_RCX, X64_RAX);
	x64_bind8(b, skip);
	x64_mov_rm(b, 0, X64_RAX, x64_m(X64_RCX, SF_OFF_ACT_TRAP));
	x64_mov_rm(b, 1, X64_RSP, x64_m(X64_RCX, SF_OFF_ACT_SAVED_RSP));
	x64_lea(b, 1, X64_RBP, x64_m(X64_RSP, X64_ENTRY_FRAME));
	x64_bind32(b, x64_jmp32(b, 0), exit_at);
}

/*
** Save (or restore) the local registers C may clobber: the local sets
** minus what System V preserves, lowest register first.
*/
static void
move_clobbered_locals(x64_buf *b, bool save)
{
	x64_regset	g = X64_INT_LOCAL_SET & ~X64_SYSV_KEEPS_LOCALS,
				x = X64_FLOAT_LOCAL_SET;
	int32_t		at = 0;

	for (int r = 0; r < X64_NGPR; r++)
		if (g & X64_SET(r))
		{
			if (save)
				x64_mov_mr(b, 1, x64_m(X64_RSP, at), r);
			else
				x64_mov_rm(b, 1, r, x64_m(X64_RSP, at));
			at += 8;
		}
	for (int r = 0; r < X64_NXMM; r++)
		if (x & X64_SET(r))
		{
			if (save)
				x64_movs_mr(b, 1, x64_m(X64_RSP, at), r);
			else
				x64_movs_rm(b, 1, r, x64_m(X64_RSP, at));
			at += 8;
		}
}

static void
emit_host_call(x64_buf *b, stub_offs *o)
{
	static const int sysv_args[] = X64_SYSV_ARGS;
	size_t		j;

	o->host_call = x64_pos(b);
	x64_push(b, X64_RBP);
	x64_mov_rr(b, 1, X64_RBP, X64_RSP);
	x64_alu_ri(b, X64_SUB, 1, X64_RSP, X64_HOSTCALL_SAVE);
	move_clobbered_locals(b, true);
	/* sf_call_host_boundary(ctx, the argument slots, fuel, the caller's ctx) */
	x64_mov_rr(b, 1, sysv_args[0], X64_CTX);
	x64_lea(b, 1, sysv_args[1], x64_m(X64_RBP, X64_FRAME_ARGS));
	x64_mov_rr(b, 1, sysv_args[2], X64_FUEL);
	x64_mov_rm(b, 1, sysv_args[3], x64_m(X64_RBP, 0));
	x64_mov_rm(b, 1, sysv_args[3], x64_m(sysv_args[3], X64_FRAME_CTX));
	x64_mov_ri(b, 1, X64_RAX, (int64_t) (uintptr_t) sf_call_host_boundary);
	x64_call_r(b, X64_RAX);
	/* sf_hostret in rax (fuel) and rdx (trap) */
	x64_mov_rr(b, 1, X64_FUEL, X64_RAX);
	move_clobbered_locals(b, false);
	x64_test_rr(b, 1, X64_RDX, X64_RDX);
	j = x64_jcc8(b, X64_CC_NE);
	x64_mov_rr(b, 1, X64_RSP, X64_RBP);
	x64_pop(b, X64_RBP);
	x64_ret(b);
	x64_bind8(b, j);
	x64_mov_rr(b, 0, X64_RAX, X64_RDX);
	x64_bind32(b, x64_call32(b, 0), o->trap_explicit);
}

static void
build_stubs(void)
{
	x64_buf		b;
	stub_offs	o;
	size_t		exit_at;
	uint8_t    *code;
	int32_t		cur = 0,
				intr = 0;
	bool		prepared;

	x64_buf_init(&b);
	o.entry = emit_entry(&b, -1, &exit_at);
	for (int n = 0; n < SF_ENTRY_SMALL; n++)
		o.entry_n[n] = emit_entry(&b, n, NULL);
	prepared = tls_offsets(&cur, &intr);
	for (int n = 0; prepared && n < SF_ENTRY_SMALL; n++)
		for (int k = 0; k < 2; k++)
			o.prepared_n[n][k] = emit_prepared(&b, n, k, exit_at, cur, intr);
	emit_traps(&b, &o, exit_at);
	emit_host_call(&b, &o);
	if (b.oom)
	{
		x64_buf_free(&b);
		return;
	}
	code = sf_codemem_install(b.start, x64_pos(&b), NULL);
	if (code)
	{
		sf_codemem_set_stubs(code, x64_pos(&b));
		stubs.entry = (sf_entry_fn) (void *) (code + o.entry);
		for (int n = 0; n < SF_ENTRY_SMALL; n++)
			stubs.entry_n[n] = (sf_entry_fn) (void *) (code + o.entry_n[n]);
		for (int n = 0; prepared && n < SF_ENTRY_SMALL; n++)
			for (int k = 0; k < 2; k++)
				stubs.prepared_n[n][k] = (sf_prepared_fn) (void *) (code + o.prepared_n[n][k]);
		stubs.trap_explicit = code + o.trap_explicit;
		stubs.trap_common = code + o.trap_common;
		stubs.host_call = code + o.host_call;
		stubs_ok = true;
	}
	x64_buf_free(&b);
}

const sf_stubs *sf_stubs_ready;

const sf_stubs *
sf_stubs_build(sf_error *err)
{
	pthread_once(&stubs_once, build_stubs);
	if (!stubs_ok)
	{
		sf_error_set(err, SF_NOMEM, "cannot allocate executable memory for the JIT stubs");
		return NULL;
	}
	__atomic_store_n(&sf_stubs_ready, &stubs, __ATOMIC_RELEASE);
	return &stubs;
}
