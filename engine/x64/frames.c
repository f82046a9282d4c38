/*
** x64/frames.c -- a trap's wasm call stack, from the frame-pointer chain
** (the frames: x64/abi.h).
**
** Every compiled function and the host-call stub keep rbp as a frame
** pointer: [rbp] is the caller's rbp, [rbp+8] the return address into
** the caller.  At a trap the trap stub, before it leaves the frames, calls
** sf_frames_walk on the wasm stack (not in a signal handler: a signal's
** redirect has returned to the stub by then), which keeps the return
** address of each frame up to the entry stub's.  Nothing runs for this
** unless a call traps.  After the return to the host, sf_frames_read
** turns the trap's PC and those addresses into functions and module
** offsets through the code maps (codemap.h, jit.c).
**
** The innermost function may have no frame of its own yet (its entry
** charge, its 'push rbp', its 'mov rbp, rsp') or no longer (at its
** 'ret'): rbp is then still its caller's, and the return address into
** the caller is at the stack pointer (or one word above, after the push).
** Only a PC the signal handlers sent can be there (an interrupt or out of
** fuel from the timer): an explicit trap's PC is in its site's stub, and
** a site before the prologue has a stub that makes the frame (compile.c).
*/
#include <stddef.h>

#include "runtime.h"
#include "target.h"

_Static_assert(offsetof(sf_activation, depth) == offsetof(sf_activation, nret) + 4,
			   "the trap stub clears nret and depth with one store");

sf_activation *
sf_frames_walk(sf_activation *act, uintptr_t sp, uintptr_t fp)
{
	/* the entry stub's rbp: the chain ends there, at its caller in C */
	uintptr_t	top = act->saved_rsp + X64_ENTRY_FRAME;
	uintptr_t	low = sp;
	uint32_t	n = 0,
				depth = 0;

	act->sp_words[0] = ((const uintptr_t *) sp)[0];
	act->sp_words[1] = ((const uintptr_t *) sp)[1];
	/*
	** Each frame lies above the last one, below the entry stub's; the
	** outermost wasm frame's caller is the entry stub (its saved rbp is
	** the stub's).
	*/
	while (fp >= low && fp < top && (fp & 7) == 0)
	{
		const uintptr_t *frame = (const uintptr_t *) fp;

		if (frame[0] == top)
			break;
		if (n < SF_BACKTRACE_MAX)
			act->ret[n++] = frame[1];
		depth++;
		low = fp + 16;
		fp = frame[0];
	}
	act->nret = n;
	act->depth = depth;
	return act;
}

/* One frame at 'pc' (a return address less one: inside its call). */
static void
add_frame(sf_error *err, const sf_jit_loc *loc)
{
	if (err->nframes < SF_BACKTRACE_MAX)
		err->frames[err->nframes++] = (sf_frame) {loc->m, loc->func_index, loc->wasm};
}

int64_t
sf_frames_read(const sf_activation *act, sf_error *err)
{
	sf_jit_loc	loc;
	uintptr_t	caller = 0;
	int64_t		at = -1;

	err->nframes = 0;
	err->depth = 0;
	if (sf_jit_locate(act->trap_pc, &loc))
	{
		add_frame(err, &loc);
		err->depth++;
		at = loc.wasm;
		/* a PC sent by a signal handler, where the frame may not be made */
		if (loc.off < loc.marks.thunks_at)
		{
			if (loc.off <= loc.marks.frame_at || loc.func[loc.off] == 0xC3)
				caller = act->sp_words[0];
			else if (loc.off == loc.marks.frame_at + 1)
				caller = act->sp_words[1];
		}
	}
	if (caller != 0 && sf_jit_locate(caller - 1, &loc))
	{
		add_frame(err, &loc);
		err->depth++;
	}
	for (uint32_t i = 0; i < act->nret; i++)
	{
		if (!sf_jit_locate(act->ret[i] - 1, &loc))
			break;
		add_frame(err, &loc);
	}
	err->depth += act->depth;
	return at;
}
