/*
** compile_module.c -- the per-module driver: the code block, the defined
** functions compiled on one thread or several, their calls linked, the
** code sealed.
**
** Functions are independent until their calls are linked: a function's
** code refers to nothing outside itself but through absolute addresses and
** the call fixups it records (cg_compile_function).  So with more than one
** thread, each function is taken by exactly one thread (an atomic flag per
** function) and compiled into that thread's buffer with that thread's
** compile state, which records where it went.  The caller takes functions
** in order, into the code block; a helper takes the largest left, into its
** own region of the block.  At the end the caller gathers every function,
** in order, where one thread alone would have put it, and moves what the
** functions recorded (offsets, entry charges, call fixups) with them: the
** code is the same, byte for byte.
**
** The caller never waits for a helper to start: a helper that only starts
** after every function was taken exits without touching the module.  So a
** late helper (an idle virtual CPU here took 0.1-3 ms to run a new thread)
** costs its creation (~0.1 ms in a fresh process), not the wait.  The
** helpers block every signal, so that timers, cancel requests and the fuel
** check keep reaching the calling thread (a PostgreSQL backend's handlers
** assume that); they run nothing but the compiler, which calls no library
** function but malloc, realloc and free.
*/
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codemem.h"
#include "compile.h"
#include "signals.h"

/*
** Below this much wasm, a thread costs more than it can save (starting
** it, its own arrays and code region, gathering its code): on a 2-vCPU
** machine two threads break even at about 120 KB of wasm code.
*/
#define PAR_MIN_BYTES	(128u << 10)
/* ... and each thread should have this much to do. */
#define PART_MIN_BYTES	(12u << 10)
/* threads used when compile_threads is 0 (automatic) */
#define AUTO_THREADS	4
#define MAX_THREADS		16
/* a compile thread's stack: the compiler does not recurse */
#define HELPER_STACK	(1u << 20)
/* how long to spin for a running helper before sleeping, in seconds */
#define WAIT_SPIN		2e-3

enum
{
	HELPER_WAITING,				/* created, not yet running */
	HELPER_RUNNING,
	HELPER_DONE,				/* its buffer and failure are ready */
	HELPER_CANCELLED			/* the work was done before it ran */
};

/* Where a function's code went before it is gathered. */
typedef struct fplace
{
	uint32_t	fix_lo, fix_hi; /* its call fixups in its thread's ms.fix */
	uint8_t		thread;
	uint8_t		in_line;		/* where in a 64-byte line it may start */
	uint8_t		skew;			/* and how far past that */
} fplace;

typedef struct job job;

/* One compiling thread: the caller (threads[0]) or a helper. */
typedef struct worker
{
	modstate	ms;
	job		   *job;
	sf_error	err;
	sf_status	st;
	uint32_t	failed;			/* the function that failed, or UINT32_MAX */
	uint32_t	index;
	_Atomic int state;
	bool		created;
} worker;

/*
** What the threads share.  Helpers reach it through a reference each:
** a cancelled helper may run after the caller has returned, and the last
** one out frees it.
*/
struct job
{
	const sf_module *m;
	struct sf_jit *j;
	fplace	   *place;			/* per defined function, with more than one thread */
	uint32_t	ndef;
	_Atomic unsigned char *taken;	/* per defined function, with more than one thread */
	_Atomic uint32_t fail_min;	/* the lowest function that failed, or UINT32_MAX */
	_Atomic uint32_t refs;
	pthread_mutex_t lock;		/* for 'done' */
	pthread_cond_t done;		/* a helper is done */
	uint8_t    *region;			/* the helpers' regions of the code block */
	size_t		region_len;		/* each */
	size_t		prefault;		/* what a helper faults in of its region */
	size_t		faulted;		/* what the caller faulted in of the block's start */
	uint64_t	wasm;			/* bytes of function bodies */
	uint32_t	max_body;		/* the largest body */
	uint32_t	next_body;		/* the second largest: the caller's largest, with helpers */
	uint64_t	calls;			/* direct calls to defined functions (the validator's) */
	uint32_t	max_depth;		/* the deepest control nesting of any body */
	uint32_t	max_stack;		/* the deepest operand stack of any body */
	uint32_t	n;
	worker		w[];
};

static uint64_t
wasm_code_bytes(const sf_module *m)
{
	uint64_t	n = 0;

	for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
		n += m->codes[i].end_off - m->codes[i].body_off;
	return n;
}

/* ---- how many threads ---------------------------------------------------------- */

static pthread_once_t cpus_once = PTHREAD_ONCE_INIT;
static cpu_set_t cpus_allowed;
static uint32_t ncpus = 1;

static void
count_cpus(void)
{
	if (sched_getaffinity(0, sizeof(cpus_allowed), &cpus_allowed) == 0 &&
		CPU_COUNT(&cpus_allowed) > 0)
		ncpus = (uint32_t) CPU_COUNT(&cpus_allowed);
	else
		CPU_ZERO(&cpus_allowed);
}

/*
** Tasks running or ready to run on the whole system now, this thread
** included: the fourth field of /proc/loadavg ("running/total"); 0 if
** unknown.
*/
static uint32_t
runnable_now(void)
{
	char		buf[128];
	const char *p = buf;
	uint32_t	n = 0;
	ssize_t		len;
	int			fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	for (int field = 0; field < 3 && *p != '\0'; field++)
	{
		while (*p != '\0' && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	for (; *p >= '0' && *p <= '9' && n < 100000; p++)
		n = n * 10 + (uint32_t) (*p - '0');
	return *p == '/' ? n : 0;
}

/*
** Threads for this module: as configured, or automatic.  Automatic counts
** only the CPUs idle now: a helper started on a CPU another process keeps
** busy gets a share of it, and the caller, out of work, waits for the
** function it holds (on this shared 2-CPU machine, at load 2-4, a compile
** of bench/large-module.rs on two threads had a median 2.5x one thread's,
** the caller waiting 10-18 ms for a helper's function).
*/
static uint32_t
count_threads(const sf_module *m, uint64_t wasm)
{
	uint32_t	ndef = m->nfuncs - m->nfunc_imports;
	uint32_t	want = m->cfg.compile_threads;

	if (want == 0)
	{
		uint32_t	busy;

		if (wasm < PAR_MIN_BYTES)
			return 1;
		pthread_once(&cpus_once, count_cpus);
		want = ncpus < AUTO_THREADS ? ncpus : AUTO_THREADS;
		if (want > wasm / PART_MIN_BYTES)
			want = (uint32_t) (wasm / PART_MIN_BYTES);
		/* this thread, and one helper for each CPU nothing runs on */
		if ((busy = runnable_now()) > 0 && want > 1 + (busy < ncpus ? ncpus - busy : 0))
			want = 1 + (busy < ncpus ? ncpus - busy : 0);
	}
	if (want > MAX_THREADS)
		want = MAX_THREADS;
	if (want > ndef)
		want = ndef;
	return want > 0 ? want : 1;
}

/* ---- compiling ----------------------------------------------------------------- */

/*
** Code [lo, hi) of a function spans at most one instruction-cache line more
** than its length needs, depending on where in a line it starts.  What that
** extra line costs: a short stretch more than a long one.
*/
static inline uint32_t
extra_line_cost(uint32_t lo, uint32_t hi)
{
	uint32_t	len = hi - lo;

	return len == 0 ? 0 : 64 / ((len + 63) / 64);
}

/* Whether code [lo, hi) spans the extra line when its function starts 'at' into a line. */
static inline bool
spans_extra_line(uint32_t at, uint32_t lo, uint32_t hi)
{
	uint32_t	len = hi - lo;

	return (((at + lo) & 63) + len + 63) / 64 > (len + 63) / 64;
}

/*
** Where in a 64-byte line a function may start: a mask of the four 16-byte
** steps (bit k: 16k bytes in) plus a skew past each, chosen so that its hot
** code spans the fewest instruction-cache lines.  This CPU's op cache, like
** Intel's, caches code by line: a 30-byte loop across a line boundary
** fetched from two lines each iteration and ran up to 8% slower than the
** same loop within one.  The hot code is each innermost loop, and the code
** a direct call runs first (its target to the first branch), which a
** function called in a loop runs as often as a loop: fib's slacked/off
** time was 1.00x with that in one line and up to 1.10x across two (sffuel,
** every start 0..63).  A loop weighs four times the entry, as it runs many
** times per call, but one that makes a direct call weighs half of it: the
** callee's code is fetched each iteration anyway, and fib's loop runs 1.6
** times per call.  The skew is 0, or what puts a direct call's target
** (past the entry charge it skips, cg_fuel_call_entry) on a 16-byte step:
** preferred on a tie for a function some 'call' targets, and for one no
** 'call' targets ('called', from the validator), which has no such
** target, taken only where its hot code spans fewer lines: nbody's step,
** compiled at every start in a line, ran about 1.2x slower at the odd
** ones (the skew past a 7-byte charge is 9) than at the even ones.  The
** choice looks only at the function's own code and the module's calls,
** so every thread makes the same one.
*/
static uint8_t
starts_in_line(const modstate *ms, bool called, uint32_t *skew_out)
{
	uint32_t	skew = (16 - ms->entry_lo) & 15,
				skews[2] = {called ? skew : 0, called ? 0 : skew},
				least = UINT32_MAX,
				cost[2][4];
	uint8_t		mask = 0;
	uint32_t	hi = ms->entry_hi < ms->entry_lo + 64 ? ms->entry_hi : ms->entry_lo + 64,
				nskews = skew != 0 ? 2 : 1;

	for (uint32_t s = 0; s < nskews; s++)
		for (uint32_t k = 0; k < 4; k++)
			cost[s][k] = spans_extra_line(16 * k + skews[s], ms->entry_lo, hi) ?
				extra_line_cost(ms->entry_lo, hi) : 0;
	for (uint32_t l = 0; l < ms->nloops; l++)
	{
		uint32_t	lo = ms->loop_lo[l],
					lhi = ms->loop_hi[l],
					c = ms->loop_calls[l] ? extra_line_cost(lo, lhi) / 2 : 4 * extra_line_cost(lo, lhi);

		for (uint32_t s = 0; s < nskews; s++)
			for (uint32_t k = 0; k < 4; k++)
				cost[s][k] += spans_extra_line(16 * k + skews[s], lo, lhi) ? c : 0;
	}
	for (uint32_t s = 0; s < nskews; s++)
		for (uint32_t k = 0; k < 4; k++)
			if (cost[s][k] < least)
				least = cost[s][k];
	for (uint32_t s = 0; s < nskews && mask == 0; s++)
	{
		for (uint32_t k = 0; k < 4; k++)
			if (cost[s][k] == least)
				mask |= (uint8_t) (1u << k);
		*skew_out = skews[s];
	}
	return mask;
}

/* The first 16-byte aligned place from 'pos' whose step in its line is in 'mask'. */
static inline size_t
next_start(size_t pos, uint8_t mask)
{
	pos = (pos + 15) & ~(size_t) 15;
	while (!(mask & (1u << ((pos >> 4) & 3))))
		pos += 16;
	return pos;
}

/*
** Function i into w's buffer, 16-byte aligned (padded with int3), then
** moved to the first place in a line it may start at (starts_in_line).  Nothing in a
** function's code depends on where it is but its call fixups and the
** entry charge a direct call skips, which move with it, and its float
** pool's alignment, which cg_pool_realign restores.
*/
static sf_status
compile_one(worker *w, struct sf_jit *j, uint32_t i)
{
	modstate   *ms = &w->ms;
	uint32_t	fix_lo = ms->nfix;
	uint8_t		in = 15;
	uint32_t	skew = 0;
	size_t		at, len, pad;
	sf_status	st;

	at = next_start(x64_pos(&ms->buf), 15);
	x64_reserve(&ms->buf, at - x64_pos(&ms->buf));
	if (!ms->buf.oom)
	{
		memset(ms->buf.p, 0xCC, at - x64_pos(&ms->buf));
		ms->buf.p = ms->buf.start + at;
	}
	st = cg_compile_function(ms, i);
	len = x64_pos(&ms->buf) - at;
	if (st == SF_OK && !ms->buf.oom)
	{
		in = starts_in_line(ms, ms->m->codes[i].called, &skew);
		pad = next_start(at, in) + skew - at;
		x64_reserve(&ms->buf, pad);
		if (pad > 0 && !ms->buf.oom)
		{
			memmove(ms->buf.start + at + pad, ms->buf.start + at, len);
			memset(ms->buf.start + at, 0xCC, pad);
			ms->buf.p += pad;
			for (uint32_t k = fix_lo; k < ms->nfix; k++)
			{
				ms->fix[k].at += pad;
				if (ms->fix[k].pay.site != NO_SITE)
					ms->fix[k].pay.at += pad;
			}
			if (ms->fuel.entry != NULL && ms->fuel.entry[i].at != NO_SITE)
				ms->fuel.entry[i].at += pad;
			at += pad;
		}
		len += cg_pool_realign(ms, pad);
	}
	else
		cg_pool_realign(ms, 0);
	j->func_off[i] = (uint32_t) at;
	j->func_end[i] = (uint32_t) (at + len);
	/* in this thread's maps until gather_maps */
	j->map_off[i] = ms->map_lo;
	j->map_end[i] = ms->map_hi;
	if (st == SF_OK && ms->buf.oom)
		st = sf_error_set(ms->err, SF_NOMEM, "out of memory for code");
	if (w->job->place != NULL)
		w->job->place[i] = (fplace) {fix_lo, ms->nfix, (uint8_t) w->index, in, (uint8_t) skew};
	return st;
}

/* Whether function i is still to be compiled, and now ours. */
static inline bool
take(job *jb, uint32_t i)
{
	return jb->n == 1 ||
		atomic_exchange_explicit(&jb->taken[i], 1, memory_order_relaxed) == 0;
}

/*
** Whether function i is worth compiling: not past one that failed.  Those
** before it are still compiled, so that the failure reported is the first
** in function order, as with one thread.
*/
static inline bool
wanted(job *jb, uint32_t i)
{
	return i < atomic_load_explicit(&jb->fail_min, memory_order_relaxed);
}

/* Compile function i if it is still to be compiled; false on failure. */
static bool
work_on(worker *w, uint32_t i)
{
	job		   *jb = w->job;
	uint32_t	low;

	if (!take(jb, i))
		return true;
	if ((w->st = compile_one(w, jb->j, i)) == SF_OK)
		return true;
	w->failed = i;
	low = atomic_load(&jb->fail_min);
	while (i < low && !atomic_compare_exchange_weak(&jb->fail_min, &low, i))
		;
	return false;
}

/*
** The caller takes the functions in order, so that its buffer holds them
** in order (gather relies on it).  Between functions it honours a request
** to stop (the helpers block signals and never see one): the helpers then
** take no new function, and the compile fails as interrupted.
*/
static void
work_in_order(worker *w)
{
	job		   *jb = w->job;

	w->st = SF_OK;
	w->failed = UINT32_MAX;
	for (uint32_t i = 0; i < jb->ndef && wanted(jb, i); i++)
	{
		if (sf_interrupt_check(w->ms.err))
		{
			w->st = SF_TRAP;
			w->failed = 0;
			atomic_store(&jb->fail_min, 0);
			break;
		}
		if (!work_on(w, i))
			break;
	}
}

static int
by_size_down(const void *a, const void *b, void *arg)
{
	const sf_module *m = arg;
	const sf_code *x = &m->codes[*(const uint32_t *) a];
	const sf_code *y = &m->codes[*(const uint32_t *) b];
	uint32_t	sx = x->end_off - x->body_off,
				sy = y->end_off - y->body_off;

	return sx < sy ? 1 : sx > sy ? -1 : 0;
}

/*
** A helper takes the largest functions first: one function may be a third
** of a module (libc's printf core), and started last it would be the
** makespan.  Without memory for the order, it works from the end.
*/
static void
work_largest_first(worker *w)
{
	job		   *jb = w->job;
	uint32_t   *order = malloc(((size_t) jb->ndef + 1) * sizeof(uint32_t));

	w->st = SF_OK;
	w->failed = UINT32_MAX;
	if (order != NULL)
	{
		for (uint32_t i = 0; i < jb->ndef; i++)
			order[i] = i;
		qsort_r(order, jb->ndef, sizeof(uint32_t), by_size_down, (void *) jb->m);
	}
	for (uint32_t k = 0; k < jb->ndef; k++)
	{
		uint32_t	i = order != NULL ? order[k] : jb->ndef - 1 - k;

		if (wanted(jb, i) && !work_on(w, i))
			break;
	}
	free(order);
}

static void
release_job(job *jb)
{
	if (atomic_fetch_sub(&jb->refs, 1) == 1)
		free(jb);
}

/*
** Fault in 'len' bytes of the code block in steps, stopping early when the
** compile is stopped: with the first touch of a page costing microseconds,
** tens of megabytes take long enough for a cancel to wait on.  Only the
** caller sees its thread's interrupt request; a helper sees the compile
** stopped (fail_min at 0, work_in_order).
*/
#define PREFAULT_STEP ((size_t) 4 << 20)

static void
prefault(job *jb, uint8_t *mem, size_t len, bool caller)
{
	for (size_t off = 0; off < len; off += PREFAULT_STEP)
	{
		if (caller ? sf_signals_interrupt_pending() : atomic_load(&jb->fail_min) == 0)
			return;
		sf_codemem_prefault(mem + off, len - off < PREFAULT_STEP ? len - off : PREFAULT_STEP);
	}
}

/*
** Fault in the whole pages of a malloc'ed block with one call (a hint, as
** sf_codemem_prefault): a fresh page faulted on first touch cost 8.6 us
** here, one of a batch 0.4 us.
*/
static void
prefault_heap(void *p, size_t len)
{
	uintptr_t	lo = ((uintptr_t) p + 4095) & ~(uintptr_t) 4095,
				hi = ((uintptr_t) p + len) & ~(uintptr_t) 4095;

	if (hi > lo)
		sf_codemem_prefault((void *) lo, hi - lo);
}

/* A block of n bytes, faulted in; NULL when out of memory. */
static void *
presized(size_t n)
{
	void	   *p = malloc(n);

	if (p != NULL)
		prefault_heap(p, n);
	return p;
}

/* At most this much of each array is sized in advance. */
#define PRESIZE_MAX		(1u << 20)

static inline uint32_t
presize_count(uint64_t want, size_t size)
{
	return (uint32_t) (want * size > PRESIZE_MAX ? PRESIZE_MAX / size : want);
}

/* One array of the scratch block: its pointer and capacity, and its room. */
typedef struct part
{
	void	  **p;
	uint32_t   *cap;
	size_t		size;			/* of an element */
	uint32_t	n;				/* elements it has room for */
	uint32_t	touch;			/* of those, how many are faulted in */
} part;

#define PART(ptr, capp, want, want_touch) \
	(part) {(void **) &(ptr), &(capp), sizeof(*(ptr)), \
			presize_count((want), sizeof(*(ptr))), presize_count((want_touch), sizeof(*(ptr)))}

/*
** The compile state's arrays that grow, at the sizes the functions this
** thread compiles need, in one malloc'ed block (modstate.scratch) faulted
** in at once.  Here a fresh page cost 6-13 us on its first touch (a
** page-table fill by the hypervisor, more when the kernel fills it too),
** faulting a page in with a batch (MADV_POPULATE_WRITE) about 1 us of
** that, and each array of its own also cost a system call, a page for
** malloc's header past its end, and, grown by doubling, its earlier
** copies.  What the compile touches is the first part of each array: the
** arrays whose size is known come first (the call fixups, from the
** validator's count of calls with one thread, else from the thread's
** share of the wasm, a call per 109 bytes in libc-module, 95 in a Rust
** module of 1 MB, 49 of 1.8 MB; the control and value stacks, from the
** deepest body), then the small ones, then the two large ones, so that
** the parts a compile touches share pages.  Those reused from function to
** function go by the largest body (libc-module, slacked: a trap branch per
** 330 bytes, a pool use per 168, a constant per 480, an if-without-else
** per 142, a plain arm per 190, a zero candidate per 80 at the most, a
** loop skip per 263, a fuel site per 21, a code-map point per 16; Rust
** code has far fewer of all but the last two; precise fuel mode, a trap
** branch per 20 and a point per 5.6) and are faulted in for 'touch_body',
** the largest body the thread is likely to compile.  The code maps (module-wide,
** a map byte per 7.5 bytes of wasm in libc-module, 6.3 and 4.3 in the
** Rust ones) have a block of their own, with room for the largest
** function's reserve (sf_codemap_put reserves 10 bytes a point), which is
** not written; with helpers, the caller's is sized for every thread's
** (gather_maps appends theirs).  Past these sizes the arrays grow as they
** need.
*/
static void
presize(modstate *ms, const job *jb, uint64_t share, uint64_t maps_share, uint32_t touch_body)
{
	bool		precise = ms->m->cfg.fuel_mode == SF_FUEL_PRECISE;
	bool		counting = ms->m->cfg.fuel_mode != SF_FUEL_OFF;
	uint32_t	max_body = jb->max_body;
	/* map points and trap branches per byte of the largest body, as divisors */
	uint32_t	per_point = precise ? 4 : 8;
	uint32_t	per_trap = precise || ms->bounds_checked ? 16 : 256;
	uint64_t	calls = jb->n == 1 ? jb->calls + 1 : share / 64 + 64;
	fuel_module *fm = &ms->fuel;
	uint32_t	nparts = 0;
	part		parts[16];
	size_t		len = 0, off = 0, touch_lo = 0, touch_hi = 0;
	uint32_t	n;

	n = presize_count(share / 5 + (uint64_t) max_body / per_point * 10 + 1024, 1);
	if (ms->maps.b == NULL &&
		(ms->maps.b = malloc(n)) != NULL)
	{
		prefault_heap(ms->maps.b, presize_count(maps_share / 5 + 1024, 1));
		ms->maps.cap = n;
	}
	if (ms->scratch != NULL)
		return;
	parts[nparts++] = PART(ms->fix, ms->capfix, calls, calls);
	parts[nparts++] = PART(ms->cs, ms->ccap, jb->max_depth + 2, jb->max_depth + 2);
	parts[nparts++] = PART(ms->vs, ms->vcap, jb->max_stack + 16, jb->max_stack + 16);
	parts[nparts++] = PART(ms->sites, ms->capsites, max_body / per_trap + 16, touch_body / per_trap + 16);
	parts[nparts++] = PART(ms->kfix, ms->capkfix, max_body / 128 + 16, touch_body / 128 + 16);
	parts[nparts++] = PART(ms->kpool, ms->capkpool, max_body / 256 + 16, touch_body / 256 + 16);
	if (counting)
	{
		parts[nparts++] = PART(fm->hoists, fm->caphoists, max_body / 128 + 8, touch_body / 128 + 8);
		parts[nparts++] = PART(fm->plains, fm->capplains, max_body / 160 + 8, touch_body / 160 + 8);
		parts[nparts++] = PART(fm->zcand, fm->capzcand, max_body / 64 + 16, touch_body / 64 + 16);
		parts[nparts++] = PART(fm->skips, fm->capskips, max_body / 224 + 8, touch_body / 224 + 8);
		parts[nparts++] = PART(fm->stubs, fm->capstubs, 8, 8);
		parts[nparts++] = PART(fm->sites, fm->capsites, max_body / 16 + 64, touch_body / 16 + 64);
	}
	parts[nparts++] = PART(ms->map, ms->capmap, max_body / per_point + 256, touch_body / per_point + 256);
	for (uint32_t i = 0; i < nparts; i++)
		len += ((size_t) parts[i].n * parts[i].size + 15) & ~(size_t) 15;
	if ((ms->scratch = malloc(len)) == NULL)
		return;					/* the arrays grow from nothing */
	ms->scratch_len = len;
	/*
	 * Each part's room, and what of it is faulted in: one call for the
	 * block when every part is faulted in whole (one thread), else one
	 * per run of parts that touch each other.
	 */
	for (uint32_t i = 0; i < nparts; i++)
	{
		*parts[i].p = ms->scratch + off;
		*parts[i].cap = parts[i].n;
		if (off != touch_hi)
		{
			prefault_heap(ms->scratch + touch_lo, touch_hi - touch_lo);
			touch_lo = off;
		}
		touch_hi = off + (size_t) parts[i].touch * parts[i].size;
		off += ((size_t) parts[i].n * parts[i].size + 15) & ~(size_t) 15;
		if (parts[i].touch == parts[i].n)
			touch_hi = off;
	}
	prefault_heap(ms->scratch + touch_lo, touch_hi - touch_lo);
}

/*
** A helper writes into its own region of the code block, past the caller's,
** and faults in its part of it itself; past it, its code moves to malloc.
*/
static void
helper_buffer(worker *w)
{
	job		   *jb = w->job;

	presize(&w->ms, jb, jb->wasm / jb->n, jb->wasm / jb->n, jb->max_body);
	if (jb->region != NULL)
	{
		uint8_t    *mem = jb->region + (size_t) (w->index - 1) * jb->region_len;

		prefault(jb, mem, jb->prefault, false);
		x64_buf_init_at(&w->ms.buf, mem, jb->region_len);
	}
	else
		x64_buf_init(&w->ms.buf);
}

static void *
helper_main(void *arg)
{
	worker	   *w = arg;
	job		   *jb = w->job;
	int			waiting = HELPER_WAITING;

	if (atomic_compare_exchange_strong(&w->state, &waiting, HELPER_RUNNING))
	{
		helper_buffer(w);
		work_largest_first(w);
		pthread_mutex_lock(&jb->lock);
		atomic_store(&w->state, HELPER_DONE);
		pthread_cond_broadcast(&jb->done);
		pthread_mutex_unlock(&jb->lock);
	}
	release_job(jb);
	return NULL;
}

/*
** Start helper w on a detached thread that blocks every signal and, if it
** can, runs on another CPU than this one: placed on this CPU, a new thread
** waited behind the caller for the whole compile while the other CPU idled.
*/
static void
start_helper(worker *w)
{
	pthread_attr_t attr;
	pthread_t	tid;
	sigset_t	all, old;
	cpu_set_t	cpus;
	int			cpu;
	bool		pinned = false;

	if (pthread_attr_init(&attr) != 0)
		return;
	(void) pthread_attr_setstacksize(&attr, HELPER_STACK);
	(void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_once(&cpus_once, count_cpus);
	cpus = cpus_allowed;
	if ((cpu = sched_getcpu()) >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &cpus))
	{
		CPU_CLR(cpu, &cpus);
		if (CPU_COUNT(&cpus) > 0)
			pinned = pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus) == 0;
	}
	sigfillset(&all);
	atomic_fetch_add(&w->job->refs, 1);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	w->created = pthread_create(&tid, &attr, helper_main, w) == 0;
	/* a CPU set the system refuses (a cpuset changed since): any CPU then */
	if (!w->created && pinned &&
		pthread_attr_setaffinity_np(&attr, sizeof(cpus_allowed), &cpus_allowed) == 0)
		w->created = pthread_create(&tid, &attr, helper_main, w) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (!w->created)
		atomic_fetch_sub(&w->job->refs, 1);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
** Wait for a running helper.  It is in its last function: spin first, for
** a sleeping thread here woke 0.1 ms or more after it was signalled.
*/
static void
wait_helper(job *jb, worker *w)
{
	double		until = now_seconds() + WAIT_SPIN;

	for (uint32_t k = 1; atomic_load(&w->state) != HELPER_DONE; k++)
	{
		__builtin_ia32_pause();
		if ((k & 255) == 0 && now_seconds() > until)
		{
			pthread_mutex_lock(&jb->lock);
			while (atomic_load(&w->state) != HELPER_DONE)
				pthread_cond_wait(&jb->done, &jb->lock);
			pthread_mutex_unlock(&jb->lock);
			break;
		}
	}
}

/*
** Wait for the helpers that started; those that did not will find nothing
** to do, so they are let go.  Returns the first failure in function order.
*/
static sf_status
finish_helpers(job *jb, worker **failed)
{
	worker	   *first = NULL;

	for (uint32_t t = 0; t < jb->n; t++)
	{
		worker	   *w = &jb->w[t];
		int			waiting = HELPER_WAITING;

		if (t > 0 && w->created &&
			!atomic_compare_exchange_strong(&w->state, &waiting, HELPER_CANCELLED))
			wait_helper(jb, w);
		if (w->st != SF_OK && (first == NULL || w->failed < first->failed))
			first = w;
	}
	*failed = first;
	return first != NULL ? first->st : SF_OK;
}

/* ---- gathering the code -------------------------------------------------------- */

static uint32_t
func_len(const struct sf_jit *j, uint32_t i)
{
	return j->func_end[i] - j->func_off[i];
}

/* Where each function goes: one thread's layout.  Returns the code size. */
static size_t
final_layout(const job *jb, uint32_t *at)
{
	size_t		pos = 0;

	for (uint32_t i = 0; i < jb->ndef; i++)
	{
		pos = next_start(pos, jb->place[i].in_line) + jb->place[i].skew;
		at[i] = (uint32_t) pos;
		pos += func_len(jb->j, i);
	}
	return pos;
}

/*
** Every function's code to at[i] in 'dst', int3 between.  The caller's own
** functions may be in 'dst' already, below their place (each is preceded
** there by a subset of what precedes it in the end): they move up, last
** first, before the others are copied in from the helpers' buffers.
*/
static void
place_code(job *jb, uint8_t *dst, const uint8_t *own, const uint32_t *at, size_t len)
{
	struct sf_jit *j = jb->j;
	size_t		prev = 0;

	for (uint32_t i = jb->ndef; i-- > 0;)
		if (jb->place[i].thread == 0)
			memmove(dst + at[i], own + j->func_off[i], func_len(j, i));
	for (uint32_t i = 0; i < jb->ndef; i++)
	{
		const worker *w = &jb->w[jb->place[i].thread];

		memset(dst + prev, 0xCC, at[i] - prev);
		if (jb->place[i].thread != 0)
			memcpy(dst + at[i], w->ms.buf.start + j->func_off[i], func_len(j, i));
		prev = at[i] + func_len(j, i);
	}
	memset(dst + prev, 0xCC, len - prev);
}

/*
** What the functions recorded, moved with them.  The call fixups stay in
** their threads' arrays (link_threads reads each): gathered into a fresh
** array, a Rust module's 9,730 fixups (272 KB) cost 0.5-0.7 ms here in
** page faults.
*/
static void
move_records(job *jb, const uint32_t *at)
{
	modstate   *ms = &jb->w[0].ms;
	struct sf_jit *j = jb->j;

	for (uint32_t i = 0; i < jb->ndef; i++)
	{
		const fplace *pl = &jb->place[i];
		call_fixup *fix = jb->w[pl->thread].ms.fix;
		uint32_t	delta = at[i] - j->func_off[i],
					len = func_len(j, i);

		for (uint32_t k = pl->fix_lo; k < pl->fix_hi; k++)
		{
			fix[k].at += delta;
			if (fix[k].pay.site != NO_SITE)
				fix[k].pay.at += delta;
		}
		if (ms->fuel.entry != NULL && ms->fuel.entry[i].at != NO_SITE)
			ms->fuel.entry[i].at += delta;
		j->func_off[i] = at[i];
		j->func_end[i] = at[i] + len;
	}
	for (uint32_t t = 1; t < jb->n; t++)
	{
		ms->fuel.points += jb->w[t].ms.fuel.points;
		ms->fuel.unrolled += jb->w[t].ms.fuel.unrolled;
		ms->fuel.peeled += jb->w[t].ms.fuel.peeled;
	}
}

/*
** The functions into the caller's buffer in one thread's layout: in place
** if they fit in its block, else into a fresh malloc'ed buffer.
*/
static sf_status
gather(job *jb)
{
	modstate   *ms = &jb->w[0].ms;
	uint32_t   *at = malloc(((size_t) jb->ndef + 1) * sizeof(uint32_t));
	size_t		len;
	x64_buf		out;

	if (at == NULL)
		return sf_error_set(ms->err, SF_NOMEM, "out of memory");
	len = final_layout(jb, at);
	x64_reserve(&ms->buf, len - x64_pos(&ms->buf) + 16);
	if (!ms->buf.oom && !ms->buf.owned)
	{
		/* in place: the block had room (x64_reserve did not move it) */
		place_code(jb, ms->buf.start, ms->buf.start, at, len);
		ms->buf.p = ms->buf.start + len;
	}
	else
	{
		x64_buf_init(&out);
		x64_reserve(&out, len);
		if (!out.oom)
		{
			place_code(jb, out.start, ms->buf.start, at, len);
			out.p = out.start + len;
		}
		x64_buf_free(&ms->buf);
		ms->buf = out;
	}
	if (ms->buf.oom)
	{
		free(at);
		return sf_error_set(ms->err, SF_NOMEM, "out of memory for code");
	}
	move_records(jb, at);
	free(at);
	return SF_OK;
}

/* Every function compiled, by the caller and the helpers started. */
static sf_status
compile_functions(job *jb)
{
	worker	   *failed;
	sf_status	st;

	work_in_order(&jb->w[0]);
	st = finish_helpers(jb, &failed);
	if (st != SF_OK)
	{
		if (failed != &jb->w[0])
			jb->w[0].err = failed->err;
		return st;
	}
	for (uint32_t t = 1; t < jb->n; t++)
		if (jb->w[t].ms.buf.start != NULL && x64_pos(&jb->w[t].ms.buf) > 0)
			return gather(jb);
	return SF_OK;
}

/* ---- the code block ------------------------------------------------------------ */

/*
** How much code a byte of wasm makes, in tenths: about the most measured
** (code / wasm on libc-module, bench/large-module.rs and two smaller
** builds of it: fuel off 1.50-1.84, slacked 1.72-2.18, precise 2.05-2.70;
** bounds-checked 2.93-3.10, 3.43-3.60 and 3.21-3.96).  That much of the
** code block is faulted in at once; the block has room for half the wasm
** more, and at least 3x.
*/
static uint64_t
code_tenths(const modstate *ms)
{
	static const uint8_t tenths[2][3] = {
		[0][SF_FUEL_OFF] = 20,[0][SF_FUEL_SLACKED] = 23,[0][SF_FUEL_PRECISE] = 28,
		[1][SF_FUEL_OFF] = 32,[1][SF_FUEL_SLACKED] = 37,[1][SF_FUEL_PRECISE] = 41,
	};

	return tenths[ms->bounds_checked][ms->m->cfg.fuel_mode];
}

static uint64_t
room_tenths(const modstate *ms)
{
	return code_tenths(ms) + 5 > 30 ? code_tenths(ms) + 5 : 30;
}

/*
** Code is written straight into a JIT block (code_tenths), which spares a
** copy and the page faults of a second buffer (a fresh page cost 3-9 us
** here, 5% of the whole compile), and the part the code nearly always
** fills is faulted in at once (-5% in a fresh process): a page faulted in
** past the code is held (or, past a quarter of the code, dropped at the
** seal, a second call), one the code reaches unfaulted costs a page fault
** each.  Past the block the code moves to a growing malloc'ed buffer,
** copied into place at the end.  Each helper has a region of the same
** room for its share past that (gather moves its code down); the caller's
** buffer ends where they begin.  Returns the block, or NULL if the code
** goes to malloc'ed buffers from the start.
*/
static uint8_t *
reserve_code(job *jb, uint64_t wasm, size_t *cap, size_t *own)
{
	const modstate *ms = &jb->w[0].ms;
	uint8_t    *block = NULL;

	*own = *cap = ((size_t) (wasm * room_tenths(ms) / 10) + 4096 + 4095) & ~(size_t) 4095;
	if (jb->n > 1)
	{
		jb->region_len = ((size_t) (wasm * room_tenths(ms) / 10 / jb->n) + 4096 + 4095) &
			~(size_t) 4095;
		jb->prefault = (size_t) (wasm * code_tenths(ms) / 10 / jb->n);
		*cap += jb->region_len * (jb->n - 1);
	}
	/*
	 * A block in huge pages (codemem.c) ends on a huge-page boundary: the
	 * last huge page, partly past the block, would fault in 4 KiB pages
	 * (a helper's whole region, when the block ended inside the huge page
	 * its region is in).  The rest is only address space until written.
	 */
	if (*cap >= SF_CODEMEM_HUGE_PAGE)
		*cap = (*cap + SF_CODEMEM_HUGE_PAGE - 1) & ~(SF_CODEMEM_HUGE_PAGE - 1);
	if (wasm < (64u << 20))
		block = sf_codemem_reserve(*cap, NULL);
	if (block != NULL && jb->n > 1)
		jb->region = block + *own;
	return block;
}

/*
** The caller's buffer: the start of the block, faulted in, or malloc'ed.
** A block in huge pages is faulted in only up to a huge-page boundary: a
** huge page faults in whole when it is first written, as cheaply as in
** advance, and one the code does not reach (large-module's 1.6 MB of code
** of 2.3x 924 KB) is then never filled.
*/
static void
start_code(job *jb, modstate *ms, uint8_t *block, size_t own, size_t cap, uint64_t wasm)
{
	size_t		fault = (size_t) (wasm * code_tenths(ms) / 10);

	presize(ms, jb, wasm / jb->n, wasm, jb->n > 1 ? jb->next_body : jb->max_body);
	if (cap >= SF_CODEMEM_HUGE_PAGE && fault > SF_CODEMEM_HUGE_PAGE)
		fault &= ~(SF_CODEMEM_HUGE_PAGE - 1);
	if (block != NULL)
	{
		prefault(jb, block, fault, true);
		jb->faulted = fault;
		x64_buf_init_at(&ms->buf, block, own);
	}
	else
		x64_buf_init(&ms->buf);
}

/*
** The code into its final, executable place: sealed in place or copied.
** 'faulted' is what was faulted in of the block from its start (all of it
** when helpers faulted in their regions).
*/
static sf_status
finish_code(modstate *ms, struct sf_jit *j, void *block, size_t cap, size_t faulted)
{
	sf_error   *err = ms->err;

	j->code_len = x64_pos(&ms->buf);
	if (block != NULL && ms->buf.start == block)
	{
		if (!sf_codemem_seal(block, cap, j->code_len, faulted, &j->code_kept, &j->code_held, err))
			return err->status;
		j->code = block;
		return SF_OK;
	}
	if (block != NULL)
		sf_codemem_free(block, cap);
	j->code = sf_codemem_install(ms->buf.start, j->code_len, err);
	j->code_held = j->code_kept = sf_codemem_held(j->code, j->code_len, j->code_len);
	return j->code != NULL ? SF_OK : err->status;
}

/* ---- the driver ---------------------------------------------------------------- */

static struct sf_jit *
new_jit(const sf_module *m)
{
	uint32_t	ndef = m->nfuncs - m->nfunc_imports;
	struct sf_jit *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->m = m;
	j->nfuncs = ndef;
	j->func_off = calloc(ndef + 1, sizeof(uint32_t));
	j->func_end = calloc(ndef + 1, sizeof(uint32_t));
	j->type_ids = calloc(m->ntypes + 1, sizeof(uint32_t));
	j->map_off = calloc(ndef + 1, sizeof(uint32_t));
	j->map_end = calloc(ndef + 1, sizeof(uint32_t));
	if (!j->func_off || !j->func_end || !j->type_ids || !j->map_off || !j->map_end)
	{
		sf_jit_free(j);
		return NULL;
	}
	return j;
}

/*
** The job for n threads: each thread's compile state shares the module,
** the stubs, the type ids and the entry charges of all functions (each
** thread writes those of the functions it compiles).
*/
static job *
new_job(const sf_module *m, struct sf_jit *j, const sf_stubs *stubs, uint32_t n,
		bool bounds_checked)
{
	uint32_t	ndef = m->nfuncs - m->nfunc_imports;
	job		   *jb = calloc(1, sizeof(job) + n * sizeof(worker));
	modstate   *ms;

	if (jb == NULL)
		return NULL;
	jb->m = m;
	jb->j = j;
	jb->ndef = ndef;
	jb->n = n;
	for (uint32_t i = 0; i < ndef; i++)
	{
		uint32_t	len = m->codes[i].end_off - m->codes[i].body_off;

		jb->wasm += len;
		jb->calls += m->codes[i].ncalls;
		if (m->codes[i].max_depth > jb->max_depth)
			jb->max_depth = m->codes[i].max_depth;
		if (m->codes[i].max_stack > jb->max_stack)
			jb->max_stack = m->codes[i].max_stack;
		if (len > jb->max_body)
		{
			jb->next_body = jb->max_body;
			jb->max_body = len;
		}
		else if (len > jb->next_body)
			jb->next_body = len;
	}
	atomic_init(&jb->refs, 1);
	atomic_init(&jb->fail_min, UINT32_MAX);
	pthread_mutex_init(&jb->lock, NULL);
	pthread_cond_init(&jb->done, NULL);
	ms = &jb->w[0].ms;
	if (n > 1)
	{
		jb->place = calloc((size_t) ndef + 1, sizeof(fplace));
		jb->taken = calloc((size_t) ndef + 1, 1);
	}
	if (m->cfg.fuel_mode != SF_FUEL_OFF)
	{
		ms->fuel.entry = malloc(((size_t) ndef + 1) * sizeof(fuel_entry));
		for (uint32_t i = 0; ms->fuel.entry != NULL && i <= ndef; i++)
			ms->fuel.entry[i] = (fuel_entry) {NO_SITE, 0, 0};
	}
	if ((n > 1 && (jb->place == NULL || jb->taken == NULL)) ||
		(m->cfg.fuel_mode != SF_FUEL_OFF && !ms->fuel.entry))
	{
		free(ms->fuel.entry);
		free(jb->place);
		free((void *) jb->taken);
		free(jb);
		return NULL;
	}
	for (uint32_t t = 0; t < n; t++)
	{
		worker	   *w = &jb->w[t];

		w->job = jb;
		w->index = t;
		w->ms.m = m;
		w->ms.bounds_checked = bounds_checked;
		w->ms.avx = x64_cpu_avx() && !m->cfg.jit_no_avx;
		w->ms.stubs = stubs;
		w->ms.type_ids = j->type_ids;
		w->ms.err = &w->err;
		w->ms.fuel.entry = ms->fuel.entry;
		atomic_init(&w->state, HELPER_WAITING);
	}
	return jb;
}

/* What the job holds besides the helpers still running; then our reference. */
static void
free_job(job *jb)
{
	free(jb->w[0].ms.fuel.entry);
	free(jb->place);
	free((void *) jb->taken);
	for (uint32_t t = 0; t < jb->n; t++)
	{
		modstate   *ms = &jb->w[t].ms;

		if (t > 0 && atomic_load(&jb->w[t].state) == HELPER_CANCELLED)
			continue;
		x64_buf_free(&ms->buf);
		cg_free(ms, ms->fix);
		cg_free(ms, ms->vs);
		cg_free(ms, ms->cs);
		cg_free(ms, ms->lbuf);
		cg_fuel_free(ms);
		cg_free(ms, ms->kpool);
		cg_free(ms, ms->kfix);
		cg_free(ms, ms->map);
		free(ms->maps.b);
		free(ms->ahead);
		cg_free(ms, ms->sites);
		free(ms->scratch);
	}
	release_job(jb);
}

static sf_status
type_ids(const sf_module *m, struct sf_jit *j, sf_error *err)
{
	for (uint32_t t = 0; t < m->ntypes; t++)
	{
		j->type_ids[t] = sf_typeid_get(&m->types[t], err);
		if (j->type_ids[t] == 0)
			return err->status;
	}
	return SF_OK;
}

/*
** Bind every direct call, at the callee's entry or past its entry charge
** when the caller's run pays it (cg_fuel_call_entry); then the paying
** charges that changed are written.
*/
static void
link_calls(modstate *ms, const uint32_t *func_off)
{
	for (uint32_t i = 0; i < ms->nfix; i++)
		x64_bind32(&ms->buf, ms->fix[i].at,
				   func_off[ms->fix[i].callee] + cg_fuel_call_entry(ms, i));
	cg_fuel_write_pays(ms);
}

/*
** The calls of every thread's functions: a helper's fixups, moved with
** their functions (move_records), are read through a copy of its state
** that writes into the caller's buffer and counts the charges it adds.
** A function's fixups refer only to each other, so the order of the
** threads does not matter.
*/
static void
link_threads(job *jb)
{
	modstate   *ms = &jb->w[0].ms;

	for (uint32_t t = 1; t < jb->n; t++)
	{
		modstate	view;

		if (atomic_load(&jb->w[t].state) != HELPER_DONE || jb->w[t].ms.nfix == 0)
			continue;
		view = jb->w[t].ms;
		view.buf = ms->buf;
		view.fuel.points = 0;
		link_calls(&view, jb->j->func_off);
		ms->fuel.points += view.fuel.points;
	}
	link_calls(ms, jb->j->func_off);
}

/*
** The code maps of every thread's functions into the module's one block
** (each function's range moves by where its thread's maps went).
*/
static sf_status
gather_maps(job *jb)
{
	struct sf_jit *j = jb->j;
	size_t		base[MAX_THREADS] = {0},
				n = 0;

	/* a cancelled helper compiled nothing, and its state is not ours */
	for (uint32_t t = 0; t < jb->n; t++)
		if (t == 0 || atomic_load(&jb->w[t].state) != HELPER_CANCELLED)
		{
			base[t] = n;
			n += jb->w[t].ms.maps.n;
		}
	if (n > UINT32_MAX)
		return sf_error_set(jb->w[0].ms.err, SF_NOMEM, "out of memory");
	if (jb->w[0].ms.maps.b != NULL && n <= jb->w[0].ms.maps.cap)
	{
		/*
		 * The helpers' maps after the caller's, in its buffer (presized
		 * with room for a function's reserve, more than they need), which
		 * is then taken, not copied, its spare room given back.
		 */
		sf_codemap_buf *own = &jb->w[0].ms.maps;

		for (uint32_t t = 1; t < jb->n; t++)
			if (atomic_load(&jb->w[t].state) != HELPER_CANCELLED && jb->w[t].ms.maps.n > 0)
				memcpy(own->b + base[t], jb->w[t].ms.maps.b, jb->w[t].ms.maps.n);
		j->maps = realloc(own->b, n + 1);
		if (j->maps == NULL)
			j->maps = own->b;
		own->b = NULL;
		own->n = own->cap = 0;
	}
	else
	{
		if ((j->maps = presized(n + 1)) == NULL)
			return sf_error_set(jb->w[0].ms.err, SF_NOMEM, "out of memory");
		for (uint32_t t = 0; t < jb->n; t++)
			if ((t == 0 || atomic_load(&jb->w[t].state) != HELPER_CANCELLED) &&
				jb->w[t].ms.maps.n > 0)
				memcpy(j->maps + base[t], jb->w[t].ms.maps.b, jb->w[t].ms.maps.n);
	}
	j->maps_len = n;
	for (uint32_t i = 0; i < jb->ndef && jb->n > 1; i++)
	{
		j->map_off[i] += (uint32_t) base[jb->place[i].thread];
		j->map_end[i] += (uint32_t) base[jb->place[i].thread];
	}
	return SF_OK;
}

/* The ranges where the counter runs ahead, every thread's, into the module's. */
static sf_status
gather_ahead(job *jb)
{
	struct sf_jit *j = jb->j;
	uint32_t	n = 0;

	for (uint32_t t = 0; t < jb->n; t++)
		if (t == 0 || atomic_load(&jb->w[t].state) != HELPER_CANCELLED)
			n += jb->w[t].ms.nahead;
	if (n == 0)
		return SF_OK;
	if ((j->ahead = malloc(n * sizeof(sf_fuel_ahead))) == NULL)
		return sf_error_set(jb->w[0].ms.err, SF_NOMEM, "out of memory");
	for (uint32_t t = 0; t < jb->n; t++)
		if ((t == 0 || atomic_load(&jb->w[t].state) != HELPER_CANCELLED) && jb->w[t].ms.nahead > 0)
		{
			memcpy(j->ahead + j->nahead, jb->w[t].ms.ahead, jb->w[t].ms.nahead * sizeof(sf_fuel_ahead));
			j->nahead += jb->w[t].ms.nahead;
		}
	return SF_OK;
}

/* Compile, link and seal into jb->j. */
static sf_status
compile_module(job *jb, uint64_t wasm)
{
	modstate   *ms = &jb->w[0].ms;
	size_t		cap, own;
	uint8_t    *block;
	sf_status	st;

	if ((st = type_ids(jb->m, jb->j, ms->err)) != SF_OK)
		return st;
	block = reserve_code(jb, wasm, &cap, &own);
	/* the helpers start first: they take a while to run (see the top) */
	for (uint32_t t = 1; t < jb->n; t++)
		start_helper(&jb->w[t]);
	start_code(jb, ms, block, own, cap, wasm);
	st = compile_functions(jb);
	if (st == SF_OK)
		st = gather_maps(jb);
	if (st == SF_OK)
		st = gather_ahead(jb);
	if (st == SF_OK)
	{
		link_threads(jb);
		return finish_code(ms, jb->j, block, cap, jb->n > 1 ? cap : jb->faulted);
	}
	if (block != NULL)
		sf_codemem_free(block, cap);
	return st;
}

/* How many threads compiled at least one function. */
static uint32_t
threads_used(const job *jb)
{
	uint32_t	used = 1;

	for (uint32_t t = 1; t < jb->n; t++)
		if (atomic_load(&jb->w[t].state) == HELPER_DONE &&
			jb->w[t].ms.buf.start != NULL && x64_pos(&jb->w[t].ms.buf) > 0)
			used++;
	return used;
}

sf_status
sf_compile_module(const sf_module *m, bool bounds_checked, struct sf_jit **out,
				  sf_compile_stats *stats, sf_error *err)
{
	job		   *jb;
	struct sf_jit *j;
	const sf_stubs *stubs;
	sf_status	st;
	double		t0;
	uint64_t	wasm;

	if ((st = sf_cpu_check(err)) != SF_OK)
		return st;
	cg_init_tables();
	stubs = sf_stubs_get(err);
	if (stubs == NULL)
		return err ? err->status : SF_NOMEM;
	/* the clock starts after the once-per-process CPU check and stubs */
	t0 = now_seconds();
	wasm = wasm_code_bytes(m);
	j = new_jit(m);
	jb = j != NULL ? new_job(m, j, stubs, count_threads(m, wasm), bounds_checked) : NULL;
	if (jb == NULL)
	{
		sf_jit_free(j);
		return sf_error_set(err, SF_NOMEM, "out of memory");
	}
	st = compile_module(jb, wasm);
	if (st != SF_OK && err != NULL)
		*err = jb->w[0].err;
	stats->fuel_points = jb->w[0].ms.fuel.points;
	stats->loops_unrolled = jb->w[0].ms.fuel.unrolled;
	stats->loops_peeled = jb->w[0].ms.fuel.peeled;
	stats->compile_threads = threads_used(jb);
	free_job(jb);
	if (st != SF_OK)
	{
		sf_jit_free(j);
		return st;
	}
	sf_jit_register(j);
	*out = j;
	stats->code_bytes = j->code_len;
	stats->code_held_bytes = j->code_held;
	stats->wasm_code_bytes = wasm;
	stats->map_bytes = j->maps_len;
	stats->compile_seconds = now_seconds() - t0;
	return SF_OK;
}
