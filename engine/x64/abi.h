/*
** x64/abi.h -- the conventions of the x86-64 target, in one place: the
** pinned registers, the register pools, the registers that hold locals,
** the frames of compiled functions and of the stubs, and how many hot
** locals a function may keep in registers.  The lowering (compile*.c), the
** stubs (x64/stubs.c) and, through target.h, the validator read them here.
*/
#ifndef SF_X64_ABI_H
#define SF_X64_ABI_H

#include "x64/emit.h"

/*
** Pinned for the whole of a call into wasm:
**   ctx  an instance's sf_vmctx, or a host function's sf_hostctx (both
**        start with the store pointer and the memory base)
**   mem  the base of the instance's memory 0
**   fuel the fuel counter, consumed - limit (docs/fuel.md)
** rbp is the frame pointer of every compiled function and stub.
*/
#define X64_CTX			X64_R13
#define X64_MEM			X64_R14
#define X64_FUEL		X64_R15

/*
** Scratch registers, never in a pool: rax, rcx, rdx, xmm0 and xmm1.  The
** lowering uses them inside one operator, for helper arguments and for
** the moves of calls and branches.
*/

/*
** A function's hot locals (the validator ranks them, module.h) live in
** these registers for the whole function, in rank order.  They are
** callee-saved between wasm functions: a function saves the ones it uses
** in its prologue.  A function without a fifth hot integer local leaves
** r9 alone: it is never a value register, since a callee that used it
** for values without saving it would clobber its caller's local.  Values
** never borrow a local's register.
**
** A function with more than eight hot float locals keeps the ninth in
** xmm7, taken from its own value pool, which keeps five registers (with
** four, deep float expressions spill).  xmm7 is caller-saved: every
** function may use it for values, so the function that keeps a local
** there writes it to its frame slot around each of its calls and reads
** it back after.
*/
#define X64_HOT_INT		5
#define X64_HOT_FLOAT	9
#define X64_INT_LOCAL_REGS	{X64_RBX, X64_R12, X64_R11, X64_R10, X64_R9}
#define X64_FLOAT_LOCAL_REGS	{15, 14, 13, 12, 11, 10, 9, 8, 7}
#define X64_INT_LOCAL_SET	(X64_SET(X64_RBX) | X64_SET(X64_R12) | \
							 X64_SET(X64_R11) | X64_SET(X64_R10) | X64_SET(X64_R9))
/* the callee-saved ones */
#define X64_FLOAT_LOCAL_SET ((x64_regset) 0xFF00)

/*
** Registers for the values of the operand stack: what is neither scratch,
** pinned, the frame or a local's.  Three integer ones always suffice: an
** operator holds at most two popped registers when it takes one.  Every
** register is caller-saved between wasm functions but the locals'.
*/
#define X64_VALUE_GPRS	(X64_SET(X64_RSI) | X64_SET(X64_RDI) | X64_SET(X64_R8))
#define X64_VALUE_XMMS	((x64_regset) 0x00FC)

/*
** C helpers and host functions follow the System V ABI: arguments in these
** registers, and of the local registers only rbx and r12 survive a call
** (r13-r15 do too).  The others are saved around a call into C: by the
** lowering around a helper call, by the host-call stub around a host
** function.
*/
#define X64_SYSV_ARGS	{X64_RDI, X64_RSI, X64_RDX, X64_RCX, X64_R8, X64_R9}
#define X64_SYSV_KEEPS_LOCALS (X64_SET(X64_RBX) | X64_SET(X64_R12))

/*
** Frame of a compiled function (rbp-relative):
**   [rbp+16+8k]   parameter k / result k (the caller's outgoing slots)
**   [rbp+8]       return address
**   [rbp]         caller's rbp
**   [rbp-8]       own ctx, reloaded after calls through an sf_func
**   [rbp-16-8j]   declared local j
**   below         the save area of the local registers it uses
**   below         one home slot per value-stack depth
**   [rsp+8k]      outgoing argument/result slots of the calls it makes
** Arguments and results travel in the same 8-byte slots: the callee
** writes its results over its arguments.  A compiled function also
** returns its first result in rax (xmm0 for a float), which its direct
** callers read instead of the slot; callers through an sf_func (imports,
** tables), which may reach the host-call stub, and the entry stub read
** the slot.
*/
#define X64_FRAME_ARGS	16
#define X64_FRAME_CTX	(-8)
#define X64_FRAME_LOCALS	(-16)

/*
** The entry stub's frame: rbp, then its callee-saved rbx, r12, r13, r14,
** r15 (the five below rbp), then the activation, the slots and their count.
** The activation's saved_rsp is rsp once those are pushed, so the trap
** stub finds rbp X64_ENTRY_FRAME above it.
*/
#define X64_ENTRY_SAVED	(-40)
#define X64_ENTRY_ACT	(-48)
#define X64_ENTRY_SLOTS	(-56)
#define X64_ENTRY_NSLOTS	(-64)
#define X64_ENTRY_FRAME	64

/*
** The trap stub calls C (sf_frames_walk) on the wasm stack only if its
** stack pointer is no more than this below the stack limit, which lies at
** least 128 KiB above the end of the thread's stack (call.c).
*/
#define X64_TRAP_WALK_ROOM	(32 << 10)

/*
** The host-call stub saves the local registers C may clobber (the local
** sets minus X64_SYSV_KEEPS_LOCALS), lowest first, 8 bytes each, in an area
** of this size below its rbp.
*/
#define X64_HOSTCALL_SAVE	96

#endif							/* SF_X64_ABI_H */
