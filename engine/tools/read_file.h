/*
 * read_file.h: the whole of a file, for the command-line tools and the
 * spec runner.
 */
#ifndef SF_TOOL_READ_FILE_H
#define SF_TOOL_READ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * The bytes of the file at 'path' in a malloc'd buffer, with a '\0' after
 * them (so text can be read as a string), their count in *len; NULL when
 * the file cannot be opened or read, or memory runs out.  Read until the
 * end, so pipes and /dev/stdin work too.
 */
static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf = NULL;
	size_t		cap = 0,
				n = 0;

	if (f == NULL)
		return NULL;
	for (;;)
	{
		size_t		got;

		if (cap - n < 2)
		{
			uint8_t    *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (nb == NULL)
				break;
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
		{
			if (ferror(f))
				break;
			fclose(f);
			buf[n] = '\0';
			*len = n;
			return buf;
		}
	}
	free(buf);
	fclose(f);
	return NULL;
}

#endif
