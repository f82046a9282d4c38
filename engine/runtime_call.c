/*
** runtime_call.c -- crossing between the host and JIT code: the shared
** stubs (entry, trap, host call), sf_call, the host-function boundary,
** canonical function types, the PC -> function registry, the CPU check.
**
** Entry stub, as C sees it:
**   uint64_t entry(ctx, code, slots, nslots, act)
** saves the callee-saved registers, records its stack pointer in
** act->saved_rsp, copies the argument slots to the stack, calls 'code'
** and copies the result slots back; it returns 0.  The trap stub restores
** that stack pointer from the activation and leaves through the same
** epilogue with the trap kind in eax.  No unwinding, no longjmp.
*/
#define _GNU_SOURCE				/* pthread_getattr_np */
#include <cpuid.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codemem.h"
#include "runtime.h"
#include "x64_emit.h"

/* ---- canonical function types ---------------------------------------------------- */

typedef struct typeent
{
	uint32_t	hash;
	uint32_t	len;
	uint8_t    *key;
} typeent;

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static typeent *types_tab;
static uint32_t types_cap, types_n;

static uint32_t
hash_bytes(const uint8_t *p, size_t n)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static bool
types_grow(void)
{
	uint32_t	ncap = types_cap ? types_cap * 2 : 256;
	typeent    *nt = calloc(ncap, sizeof(typeent));

	if (nt == NULL)
		return false;
	for (uint32_t i = 0; i < types_cap; i++)
	{
		if (types_tab[i].key == NULL)
			continue;
		uint32_t	j = types_tab[i].hash & (ncap - 1);

		while (nt[j].key)
			j = (j + 1) & (ncap - 1);
		nt[j] = types_tab[i];
	}
	free(types_tab);
	types_tab = nt;
	types_cap = ncap;
	return true;
}

/*
** Ids are 1 + the slot's insertion order... more simply, the id is stored
** in the key's first four bytes so it survives rehashing.
*/
uint32_t
sf_rt_type_id(const sf_functype *t, sf_error *err)
{
	size_t		len = 8 + (size_t) t->nparams + t->nresults;
	uint8_t    *key = malloc(len + 4);
	uint32_t	h, id = 0;

	if (key == NULL)
	{
		sf_error_set(err, SF_NOMEM, "out of memory");
		return 0;
	}
	memcpy(key + 4, &t->nparams, 4);
	memcpy(key + 8, &t->nresults, 4);
	for (uint32_t i = 0; i < t->nparams; i++)
		key[12 + i] = (uint8_t) t->params[i];
	for (uint32_t i = 0; i < t->nresults; i++)
		key[12 + t->nparams + i] = (uint8_t) t->results[i];
	h = hash_bytes(key + 4, len);
	pthread_mutex_lock(&types_lock);
	if ((types_n + 1) * 2 > types_cap && !types_grow())
		goto out;
	for (uint32_t j = h & (types_cap - 1);; j = (j + 1) & (types_cap - 1))
	{
		typeent    *e = &types_tab[j];

		if (e->key == NULL)
		{
			id = ++types_n;
			memcpy(key, &id, 4);
			e->key = key;
			e->hash = h;
			e->len = (uint32_t) len;
			key = NULL;
			break;
		}
		if (e->hash == h && e->len == len && memcmp(e->key + 4, key + 4, len) == 0)
		{
			memcpy(&id, e->key, 4);
			break;
		}
	}
out:
	pthread_mutex_unlock(&types_lock);
	free(key);
	if (id == 0)
		sf_error_set(err, SF_NOMEM, "out of memory");
	return id;
}

/* ---- stubs ---------------------------------------------------------------------- */

static pthread_once_t stubs_once = PTHREAD_ONCE_INIT;
static sf_stubs stubs;
static bool stubs_ok;

/* Offsets inside the stub block, fixed up after installation. */
typedef struct stub_offs
{
	size_t		entry, trap_explicit, trap_common, host_call;
} stub_offs;

static void
emit_entry(x64_buf *b, stub_offs *o, size_t *exit_at)
{
	size_t		l1, j1, l3, j3;

	o->entry = x64_pos(b);
	x64_push(b, X64_RBP);
	x64_mov_rr(b, 1, X64_RBP, X64_RSP);
	x64_push(b, X64_RBX);
	x64_push(b, X64_R12);
	x64_push(b, X64_R13);
	x64_push(b, X64_R14);
	x64_push(b, X64_R15);
	x64_push(b, X64_R8);		/* [rbp-48] act */
	x64_push(b, X64_RDX);		/* [rbp-56] slots */
	x64_push(b, X64_RCX);		/* [rbp-64] nslots */
	x64_mov_mr(b, 1, x64_m(X64_R8, SF_OFF_ACT_SAVED_RSP), X64_RSP);
	x64_mov_rr(b, 1, X64_R13, X64_RDI);
	x64_mov_rm(b, 1, X64_R14, x64_m(X64_R13, SF_OFF_VM_MEM_BASE));
	x64_mov_rm(b, 1, X64_R15, x64_m(X64_R8, SF_OFF_ACT_FUEL));
	/* outgoing slots, 16-byte aligned */
	x64_mov_rr(b, 1, X64_RAX, X64_RCX);
	x64_shift_ri(b, X64_SHL, 1, X64_RAX, 3);
	x64_alu_ri(b, X64_ADD, 1, X64_RAX, 15);
	x64_alu_ri(b, X64_AND, 1, X64_RAX, -16);
	x64_alu_rr(b, X64_SUB, 1, X64_RSP, X64_RAX);
	x64_alu_rr(b, X64_XOR, 0, X64_RAX, X64_RAX);
	l1 = x64_pos(b);
	x64_alu_rr(b, X64_CMP, 1, X64_RAX, X64_RCX);
	j1 = x64_jcc8(b, X64_CC_AE);
	x64_mov_rm(b, 1, X64_R9, x64_mx(X64_RDX, X64_RAX, 8, 0));
	x64_mov_mr(b, 1, x64_mx(X64_RSP, X64_RAX, 8, 0), X64_R9);
	x64_alu_ri(b, X64_ADD, 1, X64_RAX, 1);
	x64_byte(b, 0xEB);
	x64_byte(b, (uint8_t) (int8_t) (l1 - (x64_pos(b) + 1)));
	x64_bind8(b, j1);
	x64_call_r(b, X64_RSI);
	x64_mov_rm(b, 1, X64_RCX, x64_m(X64_RBP, -64));
	x64_mov_rm(b, 1, X64_RDX, x64_m(X64_RBP, -56));
	x64_alu_rr(b, X64_XOR, 0, X64_RAX, X64_RAX);
	l3 = x64_pos(b);
	x64_alu_rr(b, X64_CMP, 1, X64_RAX, X64_RCX);
	j3 = x64_jcc8(b, X64_CC_AE);
	x64_mov_rm(b, 1, X64_R9, x64_mx(X64_RSP, X64_RAX, 8, 0));
	x64_mov_mr(b, 1, x64_mx(X64_RDX, X64_RAX, 8, 0), X64_R9);
	x64_alu_ri(b, X64_ADD, 1, X64_RAX, 1);
	x64_byte(b, 0xEB);
	x64_byte(b, (uint8_t) (int8_t) (l3 - (x64_pos(b) + 1)));
	x64_bind8(b, j3);
	x64_mov_rm(b, 1, X64_R8, x64_m(X64_RBP, -48));
	x64_mov_mr(b, 1, x64_m(X64_R8, SF_OFF_ACT_FUEL), X64_R15);
	x64_alu_rr(b, X64_XOR, 0, X64_RAX, X64_RAX);
	*exit_at = x64_pos(b);
	x64_lea(b, 1, X64_RSP, x64_m(X64_RBP, -40));
	x64_pop(b, X64_R15);
	x64_pop(b, X64_R14);
	x64_pop(b, X64_R13);
	x64_pop(b, X64_R12);
	x64_pop(b, X64_RBX);
	x64_pop(b, X64_RBP);
	x64_ret(b);
}

static void
emit_traps(x64_buf *b, stub_offs *o, size_t exit_at)
{
	size_t		j;

	/*
	** Called from a trap thunk.  The return address may lie one past the
	** function's code (the thunk is its last instruction), so the trap PC
	** is taken one byte back, inside the call.
	*/
	o->trap_explicit = x64_pos(b);
	x64_pop(b, X64_RDX);
	x64_lea(b, 1, X64_RDX, x64_m(X64_RDX, -1));
	x64_mov_rm(b, 1, X64_RCX, x64_m(X64_R13, SF_OFF_VM_STORE));
	x64_mov_rm(b, 1, X64_RCX, x64_m(X64_RCX, SF_OFF_STORE_ACT));
	/* from a signal handler: eax = kind, rdx = pc, rcx = activation */
	o->trap_common = x64_pos(b);
	x64_mov_rr(b, 0, X64_RAX, X64_RAX);
	x64_mov_mr(b, 1, x64_m(X64_RCX, SF_OFF_ACT_TRAP), X64_RAX);
	x64_mov_mr(b, 1, x64_m(X64_RCX, SF_OFF_ACT_TRAP_PC), X64_RDX);
	x64_mov_mr(b, 1, x64_m(X64_RCX, SF_OFF_ACT_FUEL), X64_R15);
	x64_mov_rm(b, 1, X64_RSP, x64_m(X64_RCX, SF_OFF_ACT_SAVED_RSP));
	x64_lea(b, 1, X64_RBP, x64_m(X64_RSP, 64));
	j = x64_jmp32(b, 0);
	x64_bind32(b, j, exit_at);
}

static void
emit_host_call(x64_buf *b, stub_offs *o)
{
	size_t		j, t;

	o->host_call = x64_pos(b);
	x64_push(b, X64_RBP);
	x64_mov_rr(b, 1, X64_RBP, X64_RSP);
	/*
	** JIT code keeps locals in r10, r11 and xmm8-15 across calls (see
	** compile.c); C may clobber them, so the stub saves them.
	*/
	x64_alu_ri(b, X64_SUB, 1, X64_RSP, 96);
	x64_mov_mr(b, 1, x64_m(X64_RSP, 0), X64_R10);
	x64_mov_mr(b, 1, x64_m(X64_RSP, 8), X64_R11);
	for (int x = 8; x < 16; x++)
		x64_movs_mr(b, 1, x64_m(X64_RSP, 16 + 8 * (x - 8)), x);
	x64_mov_rr(b, 1, X64_RDI, X64_R13);
	x64_lea(b, 1, X64_RSI, x64_m(X64_RBP, 16));
	x64_mov_rr(b, 1, X64_RDX, X64_R15);
	x64_mov_rm(b, 1, X64_RCX, x64_m(X64_RBP, 0));
	x64_mov_rm(b, 1, X64_RCX, x64_m(X64_RCX, -8));
	x64_mov_ri(b, 1, X64_RAX, (int64_t) (uintptr_t) sf_rt_host_call);
	x64_call_r(b, X64_RAX);
	x64_mov_rr(b, 1, X64_R15, X64_RAX);
	x64_mov_rm(b, 1, X64_R10, x64_m(X64_RSP, 0));
	x64_mov_rm(b, 1, X64_R11, x64_m(X64_RSP, 8));
	for (int x = 8; x < 16; x++)
		x64_movs_rm(b, 1, x, x64_m(X64_RSP, 16 + 8 * (x - 8)));
	x64_test_rr(b, 1, X64_RDX, X64_RDX);
	j = x64_jcc8(b, X64_CC_NE);
	x64_mov_rr(b, 1, X64_RSP, X64_RBP);
	x64_pop(b, X64_RBP);
	x64_ret(b);
	x64_bind8(b, j);
	x64_mov_rr(b, 0, X64_RAX, X64_RDX);
	t = x64_call32(b, 0);
	x64_bind32(b, t, o->trap_explicit);
}

static void
build_stubs(void)
{
	x64_buf		b;
	stub_offs	o;
	size_t		exit_at;
	uint8_t    *code;

	x64_buf_init(&b);
	emit_entry(&b, &o, &exit_at);
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
		stubs.trap_explicit = code + o.trap_explicit;
		stubs.trap_common = code + o.trap_common;
		stubs.host_call = code + o.host_call;
		stubs_ok = true;
	}
	x64_buf_free(&b);
}

/* Set once the stubs exist: the per-call path reads it without pthread_once. */
static const sf_stubs *stubs_ready;

const sf_stubs *
sf_rt_stubs(sf_error *err)
{
	const sf_stubs *st = __atomic_load_n(&stubs_ready, __ATOMIC_ACQUIRE);

	if (st != NULL)
		return st;
	pthread_once(&stubs_once, build_stubs);
	if (!stubs_ok)
	{
		sf_error_set(err, SF_NOMEM, "cannot allocate executable memory for the JIT stubs");
		return NULL;
	}
	__atomic_store_n(&stubs_ready, &stubs, __ATOMIC_RELEASE);
	return &stubs;
}

/* ---- the thread's activation ------------------------------------------------------ */

static __thread sf_activation *cur_act __attribute__((tls_model("initial-exec")));

sf_activation *
sf_rt_current(void)
{
	return cur_act;
}

void
sf_rt_set_current(sf_activation *act)
{
	cur_act = act;
}

/* ---- PC -> function ----------------------------------------------------------------- */

static pthread_mutex_t jits_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sf_jit **jits;
static uint32_t njits, capjits;

void
sf_jit_register(struct sf_jit *j)
{
	pthread_mutex_lock(&jits_lock);
	if (njits == capjits)
	{
		uint32_t	ncap = capjits ? capjits * 2 : 16;
		struct sf_jit **nj = realloc(jits, ncap * sizeof(*nj));

		if (nj == NULL)
		{
			/* traps in this module just won't name their function */
			pthread_mutex_unlock(&jits_lock);
			return;
		}
		jits = nj;
		capjits = ncap;
	}
	jits[njits++] = j;
	pthread_mutex_unlock(&jits_lock);
}

void
sf_jit_unregister(struct sf_jit *j)
{
	pthread_mutex_lock(&jits_lock);
	for (uint32_t i = 0; i < njits; i++)
		if (jits[i] == j)
		{
			jits[i] = jits[--njits];
			break;
		}
	pthread_mutex_unlock(&jits_lock);
}

const sf_module *
sf_jit_find_pc(uintptr_t pc, uint32_t *func_index)
{
	const sf_module *found = NULL;

	pthread_mutex_lock(&jits_lock);
	for (uint32_t i = 0; i < njits && !found; i++)
	{
		struct sf_jit *j = jits[i];
		uintptr_t	base = (uintptr_t) j->code;

		if (pc < base || pc >= base + j->code_len)
			continue;
		for (uint32_t f = 0; f < j->nfuncs; f++)
			if (pc >= base + j->func_off[f] && pc < base + j->func_end[f])
			{
				*func_index = j->m->nfunc_imports + f;
				found = j->m;
				break;
			}
	}
	pthread_mutex_unlock(&jits_lock);
	return found;
}

/* ---- calls ---------------------------------------------------------------------- */

struct sf_ctx
{
	sf_store   *store;
	sf_memory  *mem;
	sf_activation *act;
	char		msg[SF_ERROR_MSG_LEN];	/* from sf_ctx_set_error */
};

static __thread uint64_t last_fuel __attribute__((tls_model("initial-exec")));

uint64_t
sf_last_fuel_consumed(void)
{
	return last_fuel;
}

void
sf_rt_set_last_fuel(uint64_t fuel)
{
	last_fuel = fuel;
}

static uint64_t
val_to_slot(const sf_val *v)
{
	switch (v->type)
	{
		case SF_I32:
		case SF_F32:
			return (uint32_t) v->of.i32;
		case SF_FUNCREF:
			return (uint64_t) (uintptr_t) v->of.funcref;
		case SF_EXTERNREF:
			return (uint64_t) v->of.externref;
		default:
			return (uint64_t) v->of.i64;
	}
}

static sf_val
slot_to_val(uint64_t s, sf_valtype t)
{
	sf_val		v;

	memset(&v, 0, sizeof(v));
	v.type = t;
	if (t == SF_I32 || t == SF_F32)
		v.of.i32 = (int32_t) (uint32_t) s;
	else if (t == SF_FUNCREF)
		v.of.funcref = (sf_func *) (uintptr_t) s;
	else
		v.of.i64 = (int64_t) s;
	return v;
}

static void
describe_trap(sf_error *err, const sf_activation *act)
{
	uint32_t	fi = 0;
	const sf_module *m = sf_jit_find_pc(act->trap_pc, &fi);
	sf_trap_kind k = (sf_trap_kind) act->trap;
	const char *msg = k == SF_TRAP_HOST && act->host_msg[0] ? act->host_msg : sf_trap_message(k);
	const char *name = m ? sf_module_func_name(m, fi) : NULL;

	if (err == NULL)
		return;
	if (m && name)
		sf_error_set(err, SF_TRAP, "%s (in wasm function %u \"%s\")", msg, fi, name);
	else if (m)
		sf_error_set(err, SF_TRAP, "%s (in wasm function %u)", msg, fi);
	else
		sf_error_set(err, SF_TRAP, "%s", msg);
	err->trap = k;
	err->func_index = m ? (int64_t) fi : -1;
}

static sf_status
call_host(sf_func *f, const sf_val *args, sf_val *results, sf_error *err)
{
	struct sf_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.store = f->store;
	ctx.act = f->store->act;
	if (f->host(&ctx, f->env, args, results) != 0)
	{
		sf_error_set(err, SF_TRAP, "%s", ctx.msg[0] ? ctx.msg : sf_trap_message(SF_TRAP_HOST));
		if (err)
			err->trap = SF_TRAP_HOST;
		return SF_TRAP;
	}
	return SF_OK;
}

static sf_status
check_args(sf_func *f, const sf_val *args, uint32_t nargs, uint32_t nresults, sf_error *err)
{
	if (nargs != f->type.nparams || nresults != f->type.nresults)
		return sf_error_set(err, SF_BADARG, "function takes %u arguments and returns %u results",
							f->type.nparams, f->type.nresults);
	for (uint32_t i = 0; i < nargs; i++)
		if (args[i].type != f->type.params[i])
			return sf_error_set(err, SF_BADARG, "argument %u is %s, expected %s", i,
								sf_valtype_name(args[i].type), sf_valtype_name(f->type.params[i]));
	return SF_OK;
}

/*
** r15 starts at -limit.  No options means no limit; the limit is capped
** at 2^62, far below INT64_MAX: a loop's entry lowers the counter for a
** moment (its compensation, under 2^30; compile_fuel.c), and from -limit
** that must not wrap around to a positive count.  With fuel off nothing
** counts and the counter starts where no host charge can bring it above
** zero.
*/
#define FUEL_LIMIT_CAP ((uint64_t) 1 << 62)

static uint64_t
fuel_setup(sf_activation *act, const sf_func *f, const sf_call_opts *opts)
{
	uint64_t	limit = opts ? opts->fuel_limit : FUEL_LIMIT_CAP;

	if (limit > FUEL_LIMIT_CAP)
		limit = FUEL_LIMIT_CAP;
	act->counting = f->inst->m->cfg.fuel_mode != SF_FUEL_OFF;
	act->fuel = act->counting ? -(int64_t) limit : INT64_MIN;
	return limit;
}

/*
** The decisions at the return to the host.  A call whose counter ended
** above zero consumed more than its limit: it is out of fuel whatever
** else happened (a trap it raised, an interrupt, or a normal return that
** slacked mode let run past the limit), so the outcome never depends on
** timing.  An interrupt still pending is honoured here.  The outermost
** activation of the thread consumes the request; nested ones leave it
** for the boundary checks of the activations around them.
*/
static uint64_t
fuel_finish(sf_activation *act, uint64_t limit, bool outermost, uint64_t *trap)
{
	uint64_t	consumed = 0;

	if (act->counting)
	{
		consumed = (uint64_t) act->fuel + limit;
		if (act->fuel > 0)
			*trap = SF_TRAP_OUT_OF_FUEL;
	}
	if (sf_rt_interrupt_pending())
	{
		if (*trap == 0)
			*trap = SF_TRAP_INTERRUPTED;
		if (outermost)
			sf_clear_interrupt();
	}
	return consumed;
}

/*
** Room left below the deepest wasm frame for host functions, the stubs and
** signal handlers.
*/
#define STACK_MARGIN ((uintptr_t) 128 << 10)

/*
** The lowest stack address wasm may use: max_stack_bytes below the
** outermost call's frame, but never within STACK_MARGIN of the end of this
** thread's stack.  Without the clamp a thread with a small stack, or a
** caller already deep in it, overflows into the guard page: SIGSEGV
** instead of "call stack exhausted".  The bound is looked up once per
** thread (for the main thread glibc reads /proc/self/maps).
*/
static __thread uintptr_t thread_lo;

static __attribute__((noinline)) void
find_thread_lo(void)
{
	pthread_attr_t attr;
	void	   *addr;
	size_t		size;

	thread_lo = 1;
	if (pthread_getattr_np(pthread_self(), &attr) == 0)
	{
		if (pthread_attr_getstack(&attr, &addr, &size) == 0)
			thread_lo = (uintptr_t) addr + STACK_MARGIN;
		pthread_attr_destroy(&attr);
	}
}

/* Inline: runs on every outermost call; the lookup only once per thread. */
static inline uintptr_t
stack_floor(uintptr_t frame, uint64_t max_bytes)
{
	uintptr_t	lim = frame > max_bytes ? frame - (uintptr_t) max_bytes : 0;

	if (__builtin_expect(thread_lo == 0, 0))
		find_thread_lo();
	return lim > thread_lo ? lim : thread_lo;
}

/*
** Run JIT function 'f' on 'slots' (arguments in, results out).  This runs
** on every call from SQL: the activation's message buffer is not cleared
** (only read after a host trap, which writes it first), and the stubs,
** which exist once 'f' was compiled, are looked up once.
*/
static inline __attribute__((always_inline)) sf_status
call_jit(sf_func *f, uint64_t *slots, uint32_t nslots, const sf_call_opts *opts,
		 sf_error *err)
{
	sf_store   *s = f->store;
	sf_activation act;
	sf_activation *prev_cur;
	uintptr_t	prev_limit = s->stack_limit;
	uint64_t	trap, limit;
	const sf_stubs *stubs = __atomic_load_n(&stubs_ready, __ATOMIC_ACQUIRE);

	if (__builtin_expect(stubs == NULL, 0))
		stubs = sf_rt_stubs(NULL);
	memset(&act, 0, offsetof(sf_activation, host_msg));
	act.host_msg[0] = '\0';
	act.prev = s->act;
	act.store = s;
	act.trap_stub = (uintptr_t) stubs->trap_common;
	limit = fuel_setup(&act, f, opts);
	if (act.prev == NULL)
		s->stack_limit = stack_floor((uintptr_t) __builtin_frame_address(0), s->cfg.max_stack_bytes);
	s->act = &act;
	prev_cur = sf_rt_current();
	/* the activation is complete before a signal handler can see it */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	sf_rt_set_current(&act);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* a request that came before the activation was visible is not lost */
	if (sf_rt_interrupt_pending())
		trap = SF_TRAP_INTERRUPTED;
	else
		trap = stubs->entry(f->ctx, f->code, slots, nslots, &act);
	sf_rt_set_current(prev_cur);
	s->act = act.prev;
	s->stack_limit = prev_limit;
	last_fuel = fuel_finish(&act, limit, prev_cur == NULL, &trap);
	if (__builtin_expect(trap != 0, 0))
	{
		act.trap = (int64_t) trap;
		sf_error_clear(err);	/* sf_call_slots leaves it alone until now */
		describe_trap(err, &act);
		return SF_TRAP;
	}
	return SF_OK;
}

sf_status
sf_call(sf_func *f, const sf_val *args, uint32_t nargs, sf_val *results,
		uint32_t nresults, const sf_call_opts *opts, sf_error *err)
{
	uint32_t	nslots = nargs > nresults ? nargs : nresults;
	uint64_t	small[16], *slots = small;
	sf_status	st;

	sf_error_clear(err);
	if ((st = check_args(f, args, nargs, nresults, err)) != SF_OK)
		return st;
	if (f->host)
		return call_host(f, args, results, err);
	if (nslots > 16 && (slots = malloc(nslots * sizeof(uint64_t))) == NULL)
		return sf_error_set(err, SF_NOMEM, "out of memory");
	for (uint32_t i = 0; i < nargs; i++)
		slots[i] = val_to_slot(&args[i]);
	st = call_jit(f, slots, nslots, opts, err);
	if (st == SF_OK)
		for (uint32_t i = 0; i < nresults; i++)
			results[i] = slot_to_val(slots[i], f->type.results[i]);
	if (slots != small)
		free(slots);
	return st;
}

/* A host function called through sf_call_slots: the slots become sf_vals. */
static sf_status
call_host_slots(sf_func *f, uint64_t *slots, sf_error *err)
{
	sf_val		small_a[8], small_r[8];
	sf_val	   *args = small_a, *results = small_r;
	sf_status	st = SF_NOMEM;

	sf_error_clear(err);
	if ((f->type.nparams > 8 && !(args = malloc(f->type.nparams * sizeof(sf_val)))) ||
		(f->type.nresults > 8 && !(results = malloc(f->type.nresults * sizeof(sf_val)))))
	{
		sf_error_set(err, SF_NOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < f->type.nparams; i++)
		args[i] = slot_to_val(slots[i], f->type.params[i]);
	memset(results, 0, f->type.nresults * sizeof(sf_val));
	st = call_host(f, args, results, err);
	if (st == SF_OK)
		for (uint32_t i = 0; i < f->type.nresults; i++)
			slots[i] = val_to_slot(&results[i]);
out:
	if (args != small_a)
		free(args);
	if (results != small_r)
		free(results);
	return st;
}

sf_status
sf_call_slots(sf_func *f, uint64_t *slots, uint32_t nargs, uint32_t nresults,
			  const sf_call_opts *opts, sf_error *err)
{
	if (__builtin_expect(nargs != f->type.nparams || nresults != f->type.nresults, 0))
	{
		sf_error_clear(err);
		return sf_error_set(err, SF_BADARG, "function takes %u arguments and returns %u results",
							f->type.nparams, f->type.nresults);
	}
	for (uint32_t i = 0; i < nargs; i++)
		if (f->type.params[i] == SF_I32 || f->type.params[i] == SF_F32)
			slots[i] = (uint32_t) slots[i];
	if (__builtin_expect(f->host != NULL, 0))
		return call_host_slots(f, slots, err);
	return call_jit(f, slots, nargs > nresults ? nargs : nresults, opts, err);
}

/*
** The check at a host-call boundary, before and after the host function:
** the slacked-mode counterpart of precise mode's branch, and where an
** interrupt requested outside JIT code is honoured.  Out of fuel wins.
*/
static uint64_t
boundary_trap(const sf_activation *act, uint64_t trap)
{
	if (act->counting && act->fuel > 0)
		return SF_TRAP_OUT_OF_FUEL;
	if (trap == 0 && sf_rt_interrupt_pending())
		return SF_TRAP_INTERRUPTED;
	return trap;
}

/* Called by the host-call stub with the wasm caller's state. */
sf_hostret
sf_rt_host_call(sf_hostctx *hc, uint64_t *slots, int64_t fuel, sf_vmctx *caller)
{
	sf_func    *f = hc->func;
	sf_activation *act = sf_rt_current();
	sf_val		small_a[8], small_r[8];
	sf_val	   *args = small_a, *results = small_r;
	sf_hostret	ret = {fuel, 0};
	struct sf_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.store = hc->store;
	ctx.mem = caller ? caller->mem : NULL;
	ctx.act = act;
	if (act)
	{
		act->fuel = fuel;
		act->host_msg[0] = '\0';
		/* no host side effect once the limit is passed or a stop requested */
		if ((ret.trap = boundary_trap(act, 0)) != 0)
			return ret;
	}
	if ((f->type.nparams > 8 && !(args = malloc(f->type.nparams * sizeof(sf_val)))) ||
		(f->type.nresults > 8 && !(results = malloc(f->type.nresults * sizeof(sf_val)))))
	{
		ret.trap = SF_TRAP_HOST;
		if (act)
			strcpy(act->host_msg, "out of memory calling a host function");
		goto out;
	}
	for (uint32_t i = 0; i < f->type.nparams; i++)
		args[i] = slot_to_val(slots[i], f->type.params[i]);
	memset(results, 0, f->type.nresults * sizeof(sf_val));
	if (f->host(&ctx, f->env, args, results) != 0)
	{
		ret.trap = SF_TRAP_HOST;
		if (act)
			memcpy(act->host_msg, ctx.msg, sizeof(ctx.msg));
	}
	else
		for (uint32_t i = 0; i < f->type.nresults; i++)
			slots[i] = val_to_slot(&results[i]);
	if (act)
	{
		ret.fuel = act->fuel;
		ret.trap = boundary_trap(act, ret.trap);
	}
out:
	if (args != small_a)
		free(args);
	if (results != small_r)
		free(results);
	return ret;
}

/* ---- host-function context --------------------------------------------------------- */

sf_memory *
sf_ctx_memory(sf_ctx *ctx)
{
	return ctx->mem;
}

/* Without metering (fuel off, or no wasm caller) the fuel is unlimited. */
uint64_t
sf_ctx_fuel_remaining(sf_ctx *ctx)
{
	if (ctx->act == NULL || !ctx->act->counting)
		return UINT64_MAX;
	if (ctx->act->fuel >= 0)
		return 0;
	return (uint64_t) -ctx->act->fuel;
}

/* Saturating: a huge charge exhausts the fuel, it never wraps the counter. */
bool
sf_rt_charge(sf_activation *act, uint64_t units)
{
	if (act == NULL || !act->counting)
		return false;
	if (units > (uint64_t) INT64_MAX ||
		__builtin_add_overflow(act->fuel, (int64_t) units, &act->fuel))
		act->fuel = INT64_MAX;
	return act->fuel > 0;
}

int
sf_ctx_charge_fuel(sf_ctx *ctx, uint64_t units)
{
	return sf_rt_charge(ctx->act, units);
}

void
sf_ctx_set_error(sf_ctx *ctx, const char *msg)
{
	snprintf(ctx->msg, sizeof(ctx->msg), "%s", msg);
}

/* ---- CPU ---------------------------------------------------------------------- */

static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;
static unsigned cpu_ecx, cpu_edx;
static bool cpu_known;

static void
read_cpuid(void)
{
	unsigned	a, b;

	cpu_known = __get_cpuid(1, &a, &b, &cpu_ecx, &cpu_edx) != 0;
}

/* CPUID may trap to a hypervisor: ask once per process. */
sf_status
sf_cpu_check(sf_error *err)
{
	unsigned	c, d;

	pthread_once(&cpu_once, read_cpuid);
	c = cpu_ecx;
	d = cpu_edx;
	if (!cpu_known)
		return sf_error_set(err, SF_UNSUPPORTED, "cannot identify the CPU (no CPUID leaf 1)");
	if (!(d & bit_SSE2))
		return sf_error_set(err, SF_UNSUPPORTED, "the JIT needs an x86-64 CPU with SSE2");
	if (!(c & bit_SSE4_1))
		return sf_error_set(err, SF_UNSUPPORTED,
							"the JIT needs SSE4.1 (roundss/roundsd), which this CPU lacks");
	if (!(c & bit_POPCNT))
		return sf_error_set(err, SF_UNSUPPORTED, "the JIT needs the POPCNT instruction, which this CPU lacks");
	return SF_OK;
}

void
sf_module_compile_stats(const sf_module *m, sf_compile_stats *out)
{
	*out = m->stats;
}
