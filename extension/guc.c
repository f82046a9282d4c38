/*
 * guc.c -- the slackfuel.* settings.
 *
 * Ordinary users may lower and raise their own limits only up to a
 * superuser-only ceiling: every use takes min(setting, ceiling), so a
 * lowered ceiling wins at once.  A value above its ceiling is refused when
 * an ordinary role stores it (ALTER ROLE/DATABASE/FUNCTION ... SET) or
 * passes it when connecting (PGOPTIONS), and accepted, to be capped where
 * it is used, from postgresql.conf, the command line, a superuser's
 * ALTER ... SET, and a session's SET: a function's SET clause is applied
 * as a SET when it is called, by whichever role calls it, whose ceiling
 * may be lower than the one its value was stored under (see
 * ceiling_applies).
 *
 * The fuel limit needs 64 bits, which an int GUC lacks, so it is a string
 * of digits with an optional decimal suffix (k, M, G, T), parsed once by
 * the check hook.
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>

#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"

#include "plwasm.h"

#define FUEL_LIMIT_MAX	UINT64CONST(1000000000000000000)	/* 1e18 < 2^63 */

static char *fuel_limit_str;
static char *fuel_limit_ceiling_str;
static char *precise_below_str;
static uint64 fuel_limit = 100000000;
static uint64 fuel_limit_ceiling = UINT64CONST(10000000000);
static uint64 precise_below = 10000000;
static int	fuel_mode = SF_FUEL_SLACKED;
int			slackfuel_check_interval = 10;
int			slackfuel_compile_threads = 0;
bool		slackfuel_track_functions = true;
int			slackfuel_stat_functions_max = 5000;
bool		slackfuel_perf_map = false;
static int	max_memory_kb = 64 * 1024;
static int	max_memory_ceiling_kb = 1024 * 1024;
static int	max_stack_kb = 512;
static int	max_backend_memory_kb = 512 * 1024;
static int	max_stack_ceiling_kb = 1024;

/*
 * Capabilities: what a wasm function may reach beyond its own memory, one
 * row each (docs/host.md).  Each is a setting with a superuser-only
 * ceiling, capped where used like the limits (on with the ceiling off is
 * off).  Output is an enum beside them, its values ordered none < notice
 * < log.
 */
typedef struct capability
{
	const char *name;
	const char *ceiling_name;
	const char *desc;
	bool		value;
	bool		ceiling;
} capability;

static capability caps[SLACKFUEL_NCAPS] = {
	[SLACKFUEL_CAP_SQL] = {"slackfuel.allow_sql", "slackfuel.allow_sql_ceiling",
	"Whether wasm functions may run read-only SQL queries.", true, true},
	[SLACKFUEL_CAP_CLOCK] = {"slackfuel.allow_clock", "slackfuel.allow_clock_ceiling",
	"Whether wasm functions may read the clock (WASI clock_time_get).", true, true},
	[SLACKFUEL_CAP_RANDOM] = {"slackfuel.allow_random", "slackfuel.allow_random_ceiling",
	"Whether wasm functions may read random bytes (WASI random_get).", true, true},
};

static int	output_mode = SLACKFUEL_OUTPUT_NOTICE;
static int	output_ceiling = SLACKFUEL_OUTPUT_LOG;

static const struct config_enum_entry output_options[] = {
	{"none", SLACKFUEL_OUTPUT_NONE, false},
	{"notice", SLACKFUEL_OUTPUT_NOTICE, false},
	{"log", SLACKFUEL_OUTPUT_LOG, false},
	{NULL, 0, false}
};

static const struct config_enum_entry fuel_mode_options[] = {
	{"slacked", SF_FUEL_SLACKED, false},
	{"precise", SF_FUEL_PRECISE, false},
	{"off", SF_FUEL_OFF, false},
	{NULL, 0, false}
};

/*
 * Does 'source' come from a user acting now (a SET, a connection option,
 * the validation of ALTER ... SET), rather than from the configuration?
 */
static bool
user_source(GucSource source)
{
	return source >= PGC_S_CLIENT || source == PGC_S_TEST;
}

/*
 * Is a value above its ceiling refused for 'source'?  A superuser's
 * ALTER ROLE/DATABASE/FUNCTION ... SET is validated (PGC_S_TEST) against
 * the superuser's own session ceiling, which says nothing about the
 * ceiling the role will have; it is accepted, and clamped where it is
 * used.  A SET (PGC_S_SESSION) cannot be told apart from a function's SET
 * clause, applied at each call under the caller's ceiling, so it is
 * accepted and clamped too.
 */
static bool
ceiling_applies(GucSource source)
{
	if (!user_source(source) || source == PGC_S_SESSION)
		return false;
	return !(source == PGC_S_TEST && IsNormalProcessingMode() &&
			 OidIsValid(GetUserId()) && superuser());
}

/* Parse digits with an optional k/M/G/T (powers of 1000) suffix. */
static bool
parse_fuel(const char *s, uint64 *out)
{
	uint64		v = 0;
	uint64		mult = 1;
	const char *p = s;

	while (isspace((unsigned char) *p))
		p++;
	if (!isdigit((unsigned char) *p))
		return false;
	for (; isdigit((unsigned char) *p); p++)
	{
		if (v > FUEL_LIMIT_MAX / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	switch (*p)
	{
		case 'k':
		case 'K':
			mult = 1000;
			p++;
			break;
		case 'M':
			mult = 1000000;
			p++;
			break;
		case 'G':
			mult = UINT64CONST(1000000000);
			p++;
			break;
		case 'T':
			mult = UINT64CONST(1000000000000);
			p++;
			break;
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0' || v > FUEL_LIMIT_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

static bool
check_fuel_common(char **newval, void **extra)
{
	uint64	   *parsed;
	uint64		v;

	if (*newval == NULL || !parse_fuel(*newval, &v))
	{
		GUC_check_errdetail("A fuel amount is a whole number of at most 10^18, optionally followed by k, M, G or T (powers of 1000).");
		return false;
	}
#if PG_VERSION_NUM >= 160000
	parsed = guc_malloc(LOG, sizeof(uint64));
#else
	parsed = malloc(sizeof(uint64));	/* guc.c free()s extras */
#endif
	if (parsed == NULL)
		return false;
	*parsed = v;
	*extra = parsed;
	return true;
}

static bool
check_fuel_limit(char **newval, void **extra, GucSource source)
{
	if (!check_fuel_common(newval, extra))
		return false;
	if (ceiling_applies(source) && *(uint64 *) *extra > fuel_limit_ceiling)
	{
		GUC_check_errmsg("slackfuel.fuel_limit cannot exceed slackfuel.fuel_limit_ceiling (%s)",
						 fuel_limit_ceiling_str);
		GUC_check_errhint("A superuser can raise slackfuel.fuel_limit_ceiling.");
		return false;
	}
	return true;
}

uint64		slackfuel_fuel_limit_eff = 100000000;
sf_fuel_mode slackfuel_call_mode_eff = SF_FUEL_SLACKED;

/*
 * The effective limit and the mode calls run in follow the settings they
 * derive from; a change of mode selects other modules and instances.
 */
static void
derive(void)
{
	sf_fuel_mode mode = (sf_fuel_mode) fuel_mode;

	slackfuel_fuel_limit_eff = Min(fuel_limit, fuel_limit_ceiling);
	if (mode == SF_FUEL_SLACKED && slackfuel_fuel_limit_eff < precise_below)
		mode = SF_FUEL_PRECISE;
	if (mode != slackfuel_call_mode_eff)
	{
		slackfuel_call_mode_eff = mode;
		slackfuel_epoch_bump();
	}
}

static void
assign_fuel_limit(const char *newval, void *extra)
{
	fuel_limit = *(uint64 *) extra;
	derive();
}

static bool
check_fuel_ceiling(char **newval, void **extra, GucSource source)
{
	return check_fuel_common(newval, extra);
}

static void
assign_fuel_ceiling(const char *newval, void *extra)
{
	fuel_limit_ceiling = *(uint64 *) extra;
	derive();
}

static void
assign_precise_below(const char *newval, void *extra)
{
	precise_below = *(uint64 *) extra;
	derive();
}

static void
assign_fuel_mode(int newval, void *extra)
{
	fuel_mode = newval;
	slackfuel_epoch_bump();
	derive();
}

/* The fuel mode and the limits select compiled modules and instances. */
static void
assign_epoch_int(int newval, void *extra)
{
	slackfuel_epoch_bump();
}

/* Call sites of the scalar path keep whether they count (call.c). */
static void
assign_track_functions(bool newval, void *extra)
{
	if (newval != slackfuel_track_functions)
		slackfuel_epoch_bump();
}

static void
assign_backend_memory(int newval, void *extra)
{
	max_backend_memory_kb = newval;
	slackfuel_budget_changed();
}

static bool
check_fuel_mode(int *newval, void **extra, GucSource source)
{
	if (*newval == SF_FUEL_OFF && user_source(source) &&
		IsNormalProcessingMode() && OidIsValid(GetUserId()) && !superuser())
	{
		GUC_check_errmsg("permission denied to set slackfuel.fuel_mode to \"off\"");
		GUC_check_errdetail("Only superusers may run wasm functions without fuel metering.");
		return false;
	}
	return true;
}

static bool
check_below(int newval, int ceiling, const char *name, const char *cname,
			GucSource source)
{
	if (ceiling_applies(source) && newval > ceiling)
	{
		GUC_check_errmsg("%s cannot exceed %s (%s)", name, cname,
						 GetConfigOptionByName(cname, NULL, false));
		GUC_check_errhint("A superuser can raise %s.", cname);
		return false;
	}
	return true;
}

static bool
check_max_memory(int *newval, void **extra, GucSource source)
{
	return check_below(*newval, max_memory_ceiling_kb, "slackfuel.max_memory",
					   "slackfuel.max_memory_ceiling", source);
}

static bool
check_max_stack(int *newval, void **extra, GucSource source)
{
	return check_below(*newval, max_stack_ceiling_kb, "slackfuel.max_stack",
					   "slackfuel.max_stack_ceiling", source);
}

static bool
check_cap(slackfuel_cap cap, bool newval, GucSource source)
{
	if (newval && !caps[cap].ceiling && ceiling_applies(source))
	{
		GUC_check_errmsg("%s cannot be on while %s is off", caps[cap].name,
						 caps[cap].ceiling_name);
		GUC_check_errhint("A superuser can turn on %s.", caps[cap].ceiling_name);
		return false;
	}
	return true;
}

#define CAP_CHECK(cap) \
	static bool check_cap_##cap(bool *newval, void **extra, GucSource source) \
	{ return check_cap(cap, *newval, source); }
CAP_CHECK(SLACKFUEL_CAP_SQL)
CAP_CHECK(SLACKFUEL_CAP_CLOCK)
CAP_CHECK(SLACKFUEL_CAP_RANDOM)
#undef CAP_CHECK

static const GucBoolCheckHook cap_checks[SLACKFUEL_NCAPS] = {
	[SLACKFUEL_CAP_SQL] = check_cap_SLACKFUEL_CAP_SQL,
	[SLACKFUEL_CAP_CLOCK] = check_cap_SLACKFUEL_CAP_CLOCK,
	[SLACKFUEL_CAP_RANDOM] = check_cap_SLACKFUEL_CAP_RANDOM,
};

static bool
check_output(int *newval, void **extra, GucSource source)
{
	if (*newval > output_ceiling && ceiling_applies(source))
	{
		GUC_check_errmsg("slackfuel.output cannot exceed slackfuel.output_ceiling (%s)",
						 output_options[output_ceiling].name);
		GUC_check_errhint("A superuser can raise slackfuel.output_ceiling; the order is none, notice, log.");
		return false;
	}
	return true;
}

static void
define_capabilities(void)
{
	for (int i = 0; i < SLACKFUEL_NCAPS; i++)
		DefineCustomBoolVariable(caps[i].ceiling_name,
								 psprintf("Whether users may turn on %s.", caps[i].name),
								 NULL, &caps[i].ceiling, caps[i].ceiling,
								 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("slackfuel.output_ceiling",
							 "Largest slackfuel.output a user may set (none < notice < log).",
							 NULL, &output_ceiling, SLACKFUEL_OUTPUT_LOG, output_options,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	for (int i = 0; i < SLACKFUEL_NCAPS; i++)
		DefineCustomBoolVariable(caps[i].name, caps[i].desc, NULL,
								 &caps[i].value, caps[i].value,
								 PGC_USERSET, 0, cap_checks[i], NULL, NULL);
	DefineCustomEnumVariable("slackfuel.output",
							 "Where the output of wasm functions (WASI stdout and stderr) goes: none, notice (a NOTICE per line) or log (the server log).",
							 NULL, &output_mode, SLACKFUEL_OUTPUT_NOTICE, output_options,
							 PGC_USERSET, 0, check_output, NULL, NULL);
}

/* Ceilings first: a placeholder value of a setting is checked against them. */
static void
define_ceilings(void)
{
	DefineCustomStringVariable("slackfuel.fuel_limit_ceiling",
							   "Largest slackfuel.fuel_limit a user may set.",
							   NULL, &fuel_limit_ceiling_str, "10G",
							   PGC_SUSET, 0,
							   check_fuel_ceiling, assign_fuel_ceiling, NULL);
	DefineCustomIntVariable("slackfuel.max_memory_ceiling",
							"Largest slackfuel.max_memory a user may set.",
							NULL, &max_memory_ceiling_kb, 1024 * 1024,
							64, 4 * 1024 * 1024, PGC_SUSET, GUC_UNIT_KB,
							NULL, assign_epoch_int, NULL);
	DefineCustomIntVariable("slackfuel.max_stack_ceiling",
							"Largest slackfuel.max_stack a user may set.",
							NULL, &max_stack_ceiling_kb, 1024,
							16, 64 * 1024, PGC_SUSET, GUC_UNIT_KB,
							NULL, assign_epoch_int, NULL);
	DefineCustomIntVariable("slackfuel.max_backend_memory",
							"Most memory a backend's wasm may hold: every instance's linear memory, tables and structures, and compiled code.",
							"When it would be exceeded, the least recently used instances with no call running are evicted.",
							&max_backend_memory_kb, 512 * 1024,
							1024, INT_MAX, PGC_SUSET, GUC_UNIT_KB,
							NULL, assign_backend_memory, NULL);
}

void
slackfuel_guc_init(void)
{
	define_ceilings();
	DefineCustomStringVariable("slackfuel.fuel_limit",
							   "Fuel (executed wasm operators) allowed per call of a wasm function.",
							   "Digits with an optional k, M, G or T suffix (powers of 1000).",
							   &fuel_limit_str, "100M", PGC_USERSET, 0,
							   check_fuel_limit, assign_fuel_limit, NULL);
	DefineCustomEnumVariable("slackfuel.fuel_mode",
							 "Fuel metering: slacked (cheap, asynchronous), precise, or off (superuser only).",
							 NULL, &fuel_mode, SF_FUEL_SLACKED, fuel_mode_options,
							 PGC_USERSET, 0, check_fuel_mode, assign_fuel_mode, NULL);
	DefineCustomStringVariable("slackfuel.precise_below",
							   "In slacked mode, calls with a fuel limit below this run precise code, so that they stop exactly at their limit.",
							   "Slacked code is stopped by the next check after its limit; with a small limit that check comes after more than the call's whole budget.  Precise code is compiled on first need and kept beside the slacked code.",
							   &precise_below_str, "10M", PGC_SUSET, 0,
							   check_fuel_ceiling, assign_precise_below, NULL);
	DefineCustomIntVariable("slackfuel.check_interval",
							"Interval of the asynchronous fuel and cancellation check while wasm runs.",
							NULL, &slackfuel_check_interval, 10, 1, 10000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("slackfuel.compile_threads",
							"Threads that compile a wasm module: 0 lets the engine choose (one for a small module, up to 4 for a large one), 1 keeps compiling in the backend's own thread.",
							"Helper threads block every signal and run only the compiler; the code is the same whatever the count.",
							&slackfuel_compile_threads, 0, 0, 16,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("slackfuel.max_memory",
							"Largest linear memory of a wasm instance.",
							NULL, &max_memory_kb, 64 * 1024, 64, 4 * 1024 * 1024,
							PGC_USERSET, GUC_UNIT_KB, check_max_memory, assign_epoch_int, NULL);
	DefineCustomIntVariable("slackfuel.max_stack",
							"Largest native stack a wasm call may use.",
							NULL, &max_stack_kb, 512, 16, 64 * 1024,
							PGC_USERSET, GUC_UNIT_KB, check_max_stack, assign_epoch_int, NULL);
	define_capabilities();
	DefineCustomBoolVariable("slackfuel.track_functions",
							 "Collects statistics of wasm functions (view slackfuel.stat_functions).",
							 "They need the library in shared_preload_libraries.",
							 &slackfuel_track_functions, true,
							 PGC_SUSET, 0, NULL, assign_track_functions, NULL);
	/* It sizes shared memory: it exists only while the server starts. */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("slackfuel.stat_functions_max",
								"Functions the statistics keep, over all databases; the least called make room.",
								NULL, &slackfuel_stat_functions_max, 5000, 100, 1000000,
								PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("slackfuel.perf_map",
							 "Writes perf's map of compiled wasm code, /tmp/perf-<pid>.map, so perf names wasm functions.",
							 NULL, &slackfuel_perf_map, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("slackfuel");
#else
	EmitWarningsOnPlaceholders("slackfuel");
#endif
}

const char *
slackfuel_fuel_limit_string(void)
{
	return fuel_limit <= fuel_limit_ceiling ? fuel_limit_str : fuel_limit_ceiling_str;
}

/* The fuel limit set, when the ceiling caps it; NULL when it does not. */
const char *
slackfuel_fuel_limit_capped(void)
{
	return fuel_limit > fuel_limit_ceiling ? fuel_limit_str : NULL;
}

sf_fuel_mode
slackfuel_fuel_mode(void)
{
	return (sf_fuel_mode) fuel_mode;
}

uint64
slackfuel_max_memory(void)
{
	return (uint64) Min(max_memory_kb, max_memory_ceiling_kb) * 1024;
}

uint64
slackfuel_max_backend_memory(void)
{
	return (uint64) max_backend_memory_kb * 1024;
}

/*
 * The wasm stack shares the backend's stack, so it is also kept within
 * half of max_stack_depth, leaving the other half to the backend's frames
 * below the call (slackfuel_check_stack checks the sum).
 */
uint64
slackfuel_max_stack(void)
{
	int			kb = Min(max_stack_kb, max_stack_ceiling_kb);

	kb = Min(kb, max_stack_depth / 2);
	return (uint64) kb * 1024;
}

/* Is 'cap' on, within its ceiling? */
bool
slackfuel_allowed(slackfuel_cap cap)
{
	return caps[cap].value && caps[cap].ceiling;
}

const char *
slackfuel_cap_setting(slackfuel_cap cap)
{
	return caps[cap].value ? caps[cap].ceiling_name : caps[cap].name;
}

slackfuel_output
slackfuel_output_mode(void)
{
	return (slackfuel_output) Min(output_mode, output_ceiling);
}
