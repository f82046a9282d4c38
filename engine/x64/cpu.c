/*
** x64/cpu.c -- the CPU features the x86-64 code generator needs.
*/
#include <cpuid.h>
#include <pthread.h>
#include <stdbool.h>

#include "util.h"
#include "x64/emit.h"

static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;
static unsigned cpu_ecx, cpu_edx;
static bool cpu_known, cpu_avx;

/*
** AVX needs the CPU's support and the OS's: it saves the ymm state
** (OSXSAVE, and XCR0 has the SSE and AVX bits).  sf_config.jit_no_avx
** makes the code generator use the SSE forms anyway.
*/
static void
read_cpuid(void)
{
	unsigned	a, b;

	cpu_known = __get_cpuid(1, &a, &b, &cpu_ecx, &cpu_edx) != 0;
	if (cpu_known && (cpu_ecx & bit_OSXSAVE) && (cpu_ecx & bit_AVX))
	{
		unsigned	lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		cpu_avx = (lo & 6) == 6;
	}
}

bool
x64_cpu_avx(void)
{
	pthread_once(&cpu_once, read_cpuid);
	return cpu_avx;
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
