/*
 * stats.c -- statistics per (database, function): calls, fuel, time,
 * traps by kind, compiles, code size and peak memory.
 *
 * As PostgreSQL's own statistics, they are counted per backend and flushed
 * at transaction end: the call path adds to a slackfuel_fstats of its own
 * backend (a few adds, and two reads of the time stamp counter), and the
 * transaction callback adds every entry counted since into a hash table in
 * shared memory, under a shared LWLock and the entry's spinlock, taking the
 * lock exclusively only to add an entry.  The table holds at most
 * slackfuel.stat_functions_max entries; when it is full the entry with the
 * fewest calls makes room.  pg_stat_statements is the model.
 *
 * Shared memory exists only when the library is in shared_preload_libraries
 * (it is requested while the postmaster starts).  Without it nothing is
 * counted and the SQL functions say so.
 */
#include "postgres.h"

#include <time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "access/xact.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "plwasm.h"

PG_FUNCTION_INFO_V1(slackfuel_stat_functions);
PG_FUNCTION_INFO_V1(slackfuel_stat_reset);

typedef struct stats_key
{
	Oid			dbid;
	Oid			funcid;
} stats_key;

/* A function's totals in shared memory; times in ms. */
typedef struct stats_entry
{
	stats_key	key;			/* hash key */
	slock_t		mutex;			/* protects the fields below */
	int64		calls;
	uint64		fuel;
	uint64		fuel_max;
	double		time_ms;
	int64		traps[SF_TRAP_COUNT];
	int64		compiles;
	double		compile_time_ms;
	uint64		code_size;
	uint64		peak_memory;
} stats_entry;

typedef struct stats_shared
{
	LWLock	   *lock;			/* shared: update entries; exclusive: add, remove */
} stats_shared;

static stats_shared *shared;
static HTAB *shared_htab;
static shmem_request_hook_type prev_shmem_request_hook;
static shmem_startup_hook_type prev_shmem_startup_hook;

static HTAB *pending;			/* this backend's slackfuel_fstats by funcid */
static slackfuel_fstats *dirty_list;

/* --- The clock ------------------------------------------------------------ */

bool		slackfuel_clock_tsc;
static uint64 anchor_ticks;		/* the clock and CLOCK_MONOTONIC at load */
static uint64 anchor_ns;

uint64
slackfuel_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64) ts.tv_sec * 1000000000 + (uint64) ts.tv_nsec;
}

/* Does the time stamp counter tick at a constant rate (invariant TSC)? */
static bool
tsc_invariant(void)
{
#if defined(__x86_64__)
	unsigned int a,
				b,
				c,
				d;

	if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000007 &&
		__get_cpuid(0x80000007, &a, &b, &c, &d))
		return (d & (1u << 8)) != 0;
#endif
	return false;
}

/*
 * Milliseconds per tick, measured against CLOCK_MONOTONIC since the
 * library was loaded (with preloading, when the server started).
 */
static double
ms_per_tick(void)
{
	uint64		ticks = slackfuel_clock() - anchor_ticks;
	uint64		ns = slackfuel_clock_ns() - anchor_ns;

	if (!slackfuel_clock_tsc || ticks == 0)
		return 1e-6;
	return (double) ns / (double) ticks / 1e6;
}

/* --- Shared memory -------------------------------------------------------- */

static Size
shared_size(void)
{
	return MAXALIGN(sizeof(stats_shared)) +
		hash_estimate_size(slackfuel_stat_functions_max, sizeof(stats_entry));
}

static void
stats_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
	RequestNamedLWLockTranche("slackfuel_stats", 1);
}

static void
stats_shmem_startup(void)
{
	HASHCTL		info;
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("slackfuel stats", sizeof(stats_shared), &found);
	if (!found)
		shared->lock = &(GetNamedLWLockTranche("slackfuel_stats"))->lock;
	info.keysize = sizeof(stats_key);
	info.entrysize = sizeof(stats_entry);
	shared_htab = ShmemInitHash("slackfuel stats hash",
								slackfuel_stat_functions_max,
								slackfuel_stat_functions_max,
								&info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/* --- Flushing ------------------------------------------------------------- */

/* Remove the entry with the fewest calls.  Lock held exclusively. */
static void
evict_one(void)
{
	HASH_SEQ_STATUS seq;
	stats_entry *e;
	stats_entry *victim = NULL;

	hash_seq_init(&seq, shared_htab);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (victim == NULL || e->calls < victim->calls)
			victim = e;
	if (victim != NULL)
		hash_search(shared_htab, &victim->key, HASH_REMOVE, NULL);
}

/*
 * The entry of 'key', added if missing (making room if needed).  Called
 * with the lock held shared; returns with it held shared.
 */
static stats_entry *
entry_for(const stats_key *key)
{
	stats_entry *e = hash_search(shared_htab, key, HASH_FIND, NULL);
	bool		found;

	if (e != NULL)
		return e;
	LWLockRelease(shared->lock);
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	e = hash_search(shared_htab, key, HASH_FIND, NULL);
	if (e == NULL)
	{
		if (hash_get_num_entries(shared_htab) >= slackfuel_stat_functions_max)
			evict_one();
		e = hash_search(shared_htab, key, HASH_ENTER_NULL, &found);
		if (e != NULL && !found)
		{
			memset((char *) e + sizeof(stats_key), 0, sizeof(*e) - sizeof(stats_key));
			SpinLockInit(&e->mutex);
		}
	}
	LWLockRelease(shared->lock);
	LWLockAcquire(shared->lock, LW_SHARED);
	/* It may have been evicted in between; then this round's counts go. */
	return hash_search(shared_htab, key, HASH_FIND, NULL);
}

static void
add_counters(stats_entry *e, const slackfuel_counters *c, double ms)
{
	SpinLockAcquire(&e->mutex);
	e->calls += c->calls;
	e->fuel += c->fuel;
	e->fuel_max = Max(e->fuel_max, c->fuel_max);
	e->time_ms += (double) c->time * ms;
	for (int k = 0; k < SF_TRAP_COUNT; k++)
		e->traps[k] += c->traps[k];
	e->compiles += c->compiles;
	e->compile_time_ms += c->compile_ms;
	if (c->compiles > 0)
		e->code_size = c->code_size;
	e->peak_memory = Max(e->peak_memory, c->peak_memory);
	SpinLockRelease(&e->mutex);
}

/*
 * Add what this backend counted into shared memory.  Runs at transaction
 * end, commit or abort: it must not fail (no allocation, no ereport).
 */
static void
flush(void)
{
	double		ms;
	stats_key	key;

	if (shared == NULL)
		return;
	slackfuel_scalar_sites_count();
	if (dirty_list == NULL)
		return;
	ms = ms_per_tick();
	key.dbid = MyDatabaseId;
	LWLockAcquire(shared->lock, LW_SHARED);
	while (dirty_list != NULL)
	{
		slackfuel_fstats *st = dirty_list;
		stats_entry *e;

		key.funcid = st->funcid;
		if (st->c.calls > 0 || st->c.compiles > 0)	/* not reset since */
		{
			e = entry_for(&key);
			if (e != NULL)
				add_counters(e, &st->c, ms);
		}
		memset(&st->c, 0, sizeof(st->c));
		st->untimed = 0;
		dirty_list = st->next_dirty;
		st->next_dirty = NULL;
		st->dirty = false;
	}
	LWLockRelease(shared->lock);
}

static void
flush_at_xact_end(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			flush();
			break;
		default:
			break;
	}
}

/* --- The call path's side ------------------------------------------------- */

/* This backend's entry of 'funcid'; NULL without shared memory. */
slackfuel_fstats *
slackfuel_stats_entry(Oid funcid)
{
	bool		found;
	slackfuel_fstats *st;

	if (shared == NULL)
		return NULL;
	if (pending == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(slackfuel_fstats);
		pending = hash_create("slackfuel pending statistics", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS);
	}
	st = hash_search(pending, &funcid, HASH_ENTER, &found);
	if (!found)
		memset((char *) st + sizeof(Oid), 0, sizeof(*st) - sizeof(Oid));
	return st;
}

/* 'st' has counts to flush (its first since the last flush). */
void
slackfuel_stats_mark(slackfuel_fstats *st)
{
	st->dirty = true;
	st->next_dirty = dirty_list;
	dirty_list = st;
}

/*
 * A timed call took 'ticks'.  Past SLACKFUEL_TIME_ALL calls since the
 * last flush, the next timed call comes after 0 to 2 * SLACKFUEL_TIME_EVERY
 * - 2 untimed ones, uniformly at random, so that each timed call stands
 * for SLACKFUEL_TIME_EVERY on average, whatever pattern the durations of
 * the calls follow; the sum estimates the total without bias.
 */
uint32		slackfuel_stats_rng = 2463534242u;

void
slackfuel_stats_timed(slackfuel_fstats *st, uint64 ticks)
{
	if (st->c.calls <= SLACKFUEL_TIME_ALL)
	{
		st->c.time += ticks;
		return;
	}
	st->c.time += ticks * SLACKFUEL_TIME_EVERY;
	st->untimed = slackfuel_stats_random() % (2 * SLACKFUEL_TIME_EVERY - 1);
}

/* 'm' was compiled for calls of the function. */
void
slackfuel_stats_compiled(slackfuel_fstats *st, sf_module *m)
{
	sf_compile_stats cs;

	if (st == NULL || !slackfuel_track_functions)
		return;
	sf_module_compile_stats(m, &cs);
	st->c.compiles++;
	st->c.compile_ms += cs.compile_seconds * 1000.0;
	st->c.code_size = cs.code_bytes;
	if (!st->dirty)
		slackfuel_stats_mark(st);
}

void
slackfuel_stats_init(void)
{
	slackfuel_clock_tsc = tsc_invariant();
	anchor_ns = slackfuel_clock_ns();
	anchor_ticks = slackfuel_clock();
	RegisterXactCallback(flush_at_xact_end, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = stats_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = stats_shmem_startup;
}

/* --- SQL ----------------------------------------------------------------- */

static void
require_shared(void)
{
	if (shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("slackfuel statistics are not available"),
				 errdetail("They live in shared memory, which the library can only request when the server starts."),
				 errhint("Add slackfuel to shared_preload_libraries and restart the server.")));
}

static Datum
uint64_datum(uint64 v)
{
	return Int64GetDatum((int64) Min(v, (uint64) PG_INT64_MAX));
}

/* {"kind": count, ...} of the traps other than out of fuel and interrupts. */
static Datum
traps_by_kind(const int64 *traps)
{
	StringInfoData s;
	bool		first = true;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	for (int k = SF_TRAP_NONE + 1; k < SF_TRAP_COUNT; k++)
	{
		if (traps[k] == 0 || k == SF_TRAP_OUT_OF_FUEL || k == SF_TRAP_INTERRUPTED)
			continue;
		if (!first)
			appendStringInfoString(&s, ", ");
		escape_json(&s, sf_trap_message((sf_trap_kind) k));
		appendStringInfo(&s, ": " INT64_FORMAT, traps[k]);
		first = false;
	}
	appendStringInfoChar(&s, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data));
}

#define STAT_COLS 14

static void
entry_row(const stats_entry *e, Datum *v)
{
	int64		traps = 0;

	for (int k = SF_TRAP_NONE + 1; k < SF_TRAP_COUNT; k++)
		if (k != SF_TRAP_OUT_OF_FUEL && k != SF_TRAP_INTERRUPTED)
			traps += e->traps[k];
	v[0] = ObjectIdGetDatum(e->key.dbid);
	v[1] = ObjectIdGetDatum(e->key.funcid);
	v[2] = Int64GetDatum(e->calls);
	v[3] = uint64_datum(e->fuel);
	v[4] = uint64_datum(e->fuel_max);
	v[5] = Float8GetDatum(e->time_ms);
	v[6] = Int64GetDatum(traps);
	v[7] = Int64GetDatum(e->traps[SF_TRAP_OUT_OF_FUEL]);
	v[8] = Int64GetDatum(e->traps[SF_TRAP_INTERRUPTED]);
	v[9] = traps_by_kind(e->traps);
	v[10] = Int64GetDatum(e->compiles);
	v[11] = Float8GetDatum(e->compile_time_ms);
	v[12] = uint64_datum(e->code_size);
	v[13] = uint64_datum(e->peak_memory);
}

/*
 * slackfuel_stat_functions(): one row per (database, function) of the
 * cluster, as flushed so far (this backend's current transaction not yet).
 */
Datum
slackfuel_stat_functions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	stats_entry *e;
	stats_entry copy;
	Datum		values[STAT_COLS];
	bool		nulls[STAT_COLS] = {0};

	require_shared();
	InitMaterializedSRF(fcinfo, 0);
	LWLockAcquire(shared->lock, LW_SHARED);
	hash_seq_init(&seq, shared_htab);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		SpinLockAcquire(&e->mutex);
		copy = *e;
		SpinLockRelease(&e->mutex);
		entry_row(&copy, values);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(shared->lock);
	return (Datum) 0;
}

/*
 * slackfuel_stat_reset(funcid oid DEFAULT NULL): forget the statistics of
 * one function, or of every function, of the current database, and what
 * this backend counted and has not flushed for them.
 */
Datum
slackfuel_stat_reset(PG_FUNCTION_ARGS)
{
	bool		all = PG_ARGISNULL(0);
	Oid			funcid = all ? InvalidOid : PG_GETARG_OID(0);
	HASH_SEQ_STATUS seq;
	stats_entry *e;
	slackfuel_fstats *st;

	require_shared();
	slackfuel_scalar_sites_count();
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, shared_htab);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (e->key.dbid == MyDatabaseId && (all || e->key.funcid == funcid))
			hash_search(shared_htab, &e->key, HASH_REMOVE, NULL);
	LWLockRelease(shared->lock);
	for (st = dirty_list; st != NULL; st = st->next_dirty)
		if (all || st->funcid == funcid)
			memset(&st->c, 0, sizeof(st->c));
	PG_RETURN_VOID();
}
