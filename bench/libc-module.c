/*
** A larger module for measuring compile speed: the kernels are a few
** hundred bytes each, too small to show a compiler's throughput past its
** fixed costs.  Linked with wasi-libc, run() pulls in about 70 KB of
** real-world code (printf's float formatting, strtod, qsort through a
** function pointer, POSIX regex, gmtime and strftime).  Not timed against
** native (glibc is different code); its checksum is checked against V8's.
** Built by bench/plugins/compile-speed.sh.
*/
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define MAXV 1024

static double v[MAXV];

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static unsigned mix(unsigned h, const char *s)
{
	for (; *s; s++)
		h = h * 31 + (unsigned char)toupper((unsigned char)*s);
	return h;
}

int run(int n)
{
	char buf[128];
	regex_t re;
	unsigned h = 0;
	struct tm tm;
	time_t t = (time_t)n * 86400 * 37;

	if (n < 0 || n > MAXV)
		return -1;
	if (regcomp(&re, "^-?[0-9]+\\.[0-9]*(e[-+][0-9]+)?$", REG_EXTENDED) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof buf, "%.17g", sin(i) * pow(10, i % 40 - 20));
		h += regexec(&re, buf, 0, NULL, 0) == 0;
		v[i] = strtod(buf, NULL);
		h = mix(h, buf);
	}
	regfree(&re);
	qsort(v, (size_t)n, sizeof v[0], compare);
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %A %B", &tm);
	h = mix(h, buf);
	return (int)(h ^ (unsigned)(n > 0 ? v[0] * 1000 : 0));
}

/*
** Nothing here writes to a file, but libc's stdout/stderr objects refer
** to these; defining them keeps the WASI file-descriptor imports out of the
** module, so any engine can instantiate it with no imports.
*/
size_t __stdio_write(FILE *f, const unsigned char *buf, size_t len)
{
	return 0;
}

off_t __stdio_seek(FILE *f, off_t off, int whence)
{
	return -1;
}

int __stdio_close(FILE *f)
{
	return 0;
}
