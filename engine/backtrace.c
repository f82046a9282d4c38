/*
** backtrace.c -- a trap's wasm call stack (sf_error's frames) as one line
** of text, the form the tools and the extension print.  The frames
** themselves are found by the target at the trap (x64/frames.c).
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Longest name printed; a longer one ends in "...". */
#define NAME_MAX_SHOWN 80

typedef struct line
{
	char	   *buf;
	size_t		len;			/* room in buf */
	size_t		n;				/* length of the whole line */
} line;

static void SF_PRINTF(2, 3)
add(line *l, const char *fmt, ...)
{
	va_list		ap;
	int			k;

	va_start(ap, fmt);
	k = vsnprintf(l->n < l->len ? l->buf + l->n : NULL,
				  l->n < l->len ? l->len - l->n : 0, fmt, ap);
	va_end(ap);
	if (k > 0)
		l->n += (size_t) k;
}

/* A name between quotes: control characters, quotes and backslashes as '?'. */
static void
add_name(line *l, const char *name)
{
	char		shown[NAME_MAX_SHOWN + 4];
	size_t		i;

	for (i = 0; name[i] != '\0' && i < NAME_MAX_SHOWN; i++)
	{
		unsigned char ch = (unsigned char) name[i];

		shown[i] = ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\' ? '?' : (char) ch;
	}
	if (name[i] != '\0')
	{
		memcpy(shown + i, "...", 3);
		i += 3;
	}
	shown[i] = '\0';
	add(l, " \"%s\"", shown);
}

size_t
sf_backtrace_format(const sf_error *err, char *buf, size_t len)
{
	line		l = {buf, len, 0};

	if (len > 0)
		buf[0] = '\0';
	for (uint32_t i = 0; i < err->nframes; i++)
	{
		const sf_frame *f = &err->frames[i];
		const char *name = f->module ? sf_module_func_name(f->module, f->func_index) : NULL;

		add(&l, "%s#%u func %u", i > 0 ? ", " : "", i, f->func_index);
		if (name != NULL)
			add_name(&l, name);
		add(&l, " at 0x%x", f->offset);
	}
	if (err->depth > err->nframes && err->nframes > 0)
		add(&l, ", ... %u more", err->depth - err->nframes);
	return l.n;
}
