/*
** codemem.c -- the JIT code arena (see codemem.h).
**
** One PROT_NONE reservation of SF_CODE_ARENA bytes; blocks are whole pages
** handed out first-fit from a small free list under a mutex.  Only
** allocation and release take the lock; the signal-handler query reads
** two words that are written once, before any code can run.
*/
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "codemem.h"

#define SF_CODE_ARENA ((size_t) 1 << 30)
#define SF_MAX_HOLES 4096
/*
** A block of a huge page or more (the compiler asks for 3x the wasm, so
** from about 700 KB of wasm) starts on a huge-page boundary and asks for
** transparent huge pages: writing code into fresh 4 KiB pages cost 3-11 us
** a page here on first touch (a fault each in this virtual machine,
** prefaulted or not), a 2 MiB page 0.1-0.3 ms in all.  A smaller block
** would leave most of a huge page empty.  Seal keeps the rest of the last
** huge page the code reaches with the code (read-execute, never written):
** freeing it would split the huge page, which cost more than the
** mprotect, and leave the empty part resident until the kernel reclaims
** it anyway; so such a block holds whole huge pages (sf_codemem_held).
*/
#define SF_HUGE_PAGE SF_CODEMEM_HUGE_PAGE

/*
** Seal keeps a small block whole, its tail read-execute and never written,
** when what was faulted in past the code is at most this and at most a
** quarter of the code: one mprotect of the whole block changes the
** mapping in place, where sealing the code's part splits it and dropping
** the rest takes a second call (libc-module, 70 KB of wasm, in a fresh
** process: 65-105 against 104-150 us here).  The tail's address space stays
** with the block until it is freed; of its memory, only the part faulted
** in, which the block holds (and counts).
*/
#define SF_SEAL_KEEP_MAX ((size_t) 64 << 10)

typedef struct hole
{
	uintptr_t	start;
	size_t		len;
} hole;

static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t arena_lo, arena_hi;
static volatile uintptr_t stubs_lo, stubs_hi;
static hole holes[SF_MAX_HOLES];
static int	nholes;

static size_t
page_round(size_t n)
{
	size_t		pg = (size_t) sysconf(_SC_PAGESIZE);

	return (n + pg - 1) & ~(pg - 1);
}

/* Called with the lock held. */
static bool
arena_init(void)
{
	void	   *p;

	if (arena_lo)
		return true;
	p = mmap(NULL, SF_CODE_ARENA, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	arena_lo = (uintptr_t) p;
	arena_hi = arena_lo + SF_CODE_ARENA;
	holes[0].start = arena_lo;
	holes[0].len = SF_CODE_ARENA;
	nholes = 1;
	return true;
}

static uintptr_t
take(size_t len)
{
	for (int i = 0; i < nholes; i++)
	{
		if (holes[i].len >= len)
		{
			uintptr_t	at = holes[i].start;

			holes[i].start += len;
			holes[i].len -= len;
			if (holes[i].len == 0)
			{
				memmove(&holes[i], &holes[i + 1], (size_t) (nholes - i - 1) * sizeof(hole));
				nholes--;
			}
			return at;
		}
	}
	return 0;
}

/* Return a block to the sorted free list, merging neighbours. */
static void
give_back(uintptr_t at, size_t len)
{
	int			i = 0;

	while (i < nholes && holes[i].start < at)
		i++;
	if (i > 0 && holes[i - 1].start + holes[i - 1].len == at)
	{
		holes[i - 1].len += len;
		if (i < nholes && at + len == holes[i].start)
		{
			holes[i - 1].len += holes[i].len;
			memmove(&holes[i], &holes[i + 1], (size_t) (nholes - i - 1) * sizeof(hole));
			nholes--;
		}
		return;
	}
	if (i < nholes && at + len == holes[i].start)
	{
		holes[i].start = at;
		holes[i].len += len;
		return;
	}
	if (nholes == SF_MAX_HOLES)
		return;					/* leak the range rather than corrupt the list */
	memmove(&holes[i + 1], &holes[i], (size_t) (nholes - i) * sizeof(hole));
	holes[i].start = at;
	holes[i].len = len;
	nholes++;
}

/* Called with the lock held: 'sz' bytes starting on a huge-page boundary. */
static uintptr_t
take_aligned(size_t sz)
{
	uintptr_t	at = take(sz + SF_HUGE_PAGE),
				start;

	if (at == 0)
		return 0;
	start = (at + SF_HUGE_PAGE - 1) & ~(SF_HUGE_PAGE - 1);
	if (start > at)
		give_back(at, start - at);
	if (at + SF_HUGE_PAGE > start)
		give_back(start + sz, at + SF_HUGE_PAGE - start);
	return start;
}

void *
sf_codemem_reserve(size_t len, sf_error *err)
{
	size_t		sz = page_round(len ? len : 1);
	bool		huge = sz >= SF_HUGE_PAGE;
	uintptr_t	at;

	pthread_mutex_lock(&arena_lock);
	at = !arena_init() ? 0 : huge ? take_aligned(sz) : take(sz);
	/* no room for the alignment: any place will do, in small pages */
	if (at == 0 && huge && arena_lo != 0)
	{
		huge = false;
		at = take(sz);
	}
	pthread_mutex_unlock(&arena_lock);
	if (at == 0)
	{
		sf_error_set(err, SF_NOMEM, "out of JIT code memory (%zu bytes wanted)", len);
		return NULL;
	}
	if (mprotect((void *) at, sz, PROT_READ | PROT_WRITE) != 0)
	{
		sf_error_set(err, SF_NOMEM, "mprotect of JIT code failed: %s", strerror(errno));
		sf_codemem_free((void *) at, len);
		return NULL;
	}
#ifdef MADV_HUGEPAGE
	if (huge)
		(void) madvise((void *) at, sz, MADV_HUGEPAGE);
#endif
	return (void *) at;
}

bool
sf_codemem_seal(void *block, size_t len, size_t used, size_t faulted,
				size_t *kept, size_t *held, sf_error *err)
{
	size_t		sz = page_round(len ? len : 1);
	size_t		usz = page_round(used ? used : 1);
	size_t		fsz = faulted & ~(page_round(1) - 1);
	bool		whole;

	fsz = fsz > sz ? sz : fsz < usz ? usz : fsz;
	whole = sz < SF_HUGE_PAGE && fsz - usz <= SF_SEAL_KEEP_MAX && fsz - usz <= usz / 4;
	if (usz <= sz && !whole)
		usz = sf_codemem_held(block, len, used);
	if (usz > sz || mprotect(block, whole ? sz : usz, PROT_READ | PROT_EXEC) != 0)
	{
		sf_error_set(err, SF_NOMEM, "mprotect of JIT code failed: %s",
					 usz > sz ? "block overrun" : strerror(errno));
		sf_codemem_free(block, len);
		return false;
	}
	if (whole)
	{
		*kept = sz;
		*held = fsz;
		return true;
	}
	if (usz < sz)
		sf_codemem_free((uint8_t *) block + usz, sz - usz);
	*kept = *held = usz;
	return true;
}

size_t
sf_codemem_held(const void *block, size_t len, size_t used)
{
	size_t		sz = page_round(len ? len : 1);
	size_t		usz = page_round(used ? used : 1);

	if (sz >= SF_HUGE_PAGE && ((uintptr_t) block & (SF_HUGE_PAGE - 1)) == 0)
	{
		usz = (usz + SF_HUGE_PAGE - 1) & ~(SF_HUGE_PAGE - 1);
		if (usz > sz)
			usz = sz;
	}
	return usz;
}

/*
** Fault the pages in with one call (Linux 5.14+): the kernel fills them in
** a batch, cheaper than a page fault each, which cost ~3 us here.  Only a
** hint: older kernels answer EINVAL and the pages fault one by one.
*/
void
sf_codemem_prefault(void *block, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	size_t		sz = len & ~(page_round(1) - 1);

	if (sz > 0)
		(void) madvise(block, sz, MADV_POPULATE_WRITE);
#else
	(void) block;
	(void) len;
#endif
}

void *
sf_codemem_install(const void *code, size_t len, sf_error *err)
{
	void	   *at = sf_codemem_reserve(len, err);
	size_t		kept, held;

	if (at == NULL)
		return NULL;
	memcpy(at, code, len);
	return sf_codemem_seal(at, len, len, 0, &kept, &held, err) ? at : NULL;
}

void
sf_codemem_free(void *code, size_t len)
{
	size_t		sz = page_round(len ? len : 1);

	if (code == NULL)
		return;
	/* drop the pages and make the range fault again */
	mmap(code, sz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	pthread_mutex_lock(&arena_lock);
	give_back((uintptr_t) code, sz);
	pthread_mutex_unlock(&arena_lock);
}

void
sf_codemem_set_stubs(const void *start, size_t len)
{
	stubs_lo = (uintptr_t) start;
	stubs_hi = (uintptr_t) start + len;
}

bool
sf_codemem_in_body(uintptr_t pc)
{
	return pc >= arena_lo && pc < arena_hi && !(pc >= stubs_lo && pc < stubs_hi);
}

void
sf_codemem_bounds(uintptr_t *lo, uintptr_t *hi)
{
	*lo = arena_lo;
	*hi = arena_hi;
}
