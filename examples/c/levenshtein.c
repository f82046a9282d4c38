/*
 * levenshtein(a text, b text) -> integer: the edit distance between two
 * strings, counted in Unicode code points (insertions, deletions and
 * substitutions each cost 1).
 *
 *	CREATE FUNCTION levenshtein(a text, b text) RETURNS integer
 *		IMMUTABLE STRICT LANGUAGE wasm AS '\x...';
 */
#include "slackfuel.h"

/* Decode UTF-8 (valid: the extension checks text) into code points. */
static size_t
code_points(sf_string s, uint32_t *out)
{
	size_t		n = 0;

	for (size_t i = 0; i < s.len; n++)
	{
		unsigned char c = (unsigned char) s.ptr[i];
		int			extra = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
		uint32_t	cp = extra == 0 ? c : c & (0x3f >> extra);

		for (int k = 1; k <= extra; k++)
			cp = cp << 6 | ((unsigned char) s.ptr[i + k] & 0x3f);
		out[n] = cp;
		i += 1 + extra;
	}
	return n;
}

static int32_t
levenshtein(sf_string a, sf_string b)
{
	uint32_t   *x = sf_scratch((a.len + b.len) * sizeof(uint32_t));
	size_t		n = code_points(a, x);
	uint32_t   *y = x + n;
	size_t		m = code_points(b, y);
	uint32_t   *row = sf_scratch((m + 1) * sizeof(uint32_t));

	for (size_t j = 0; j <= m; j++)
		row[j] = (uint32_t) j;
	for (size_t i = 1; i <= n; i++)
	{
		uint32_t	diag = row[0];

		row[0] = (uint32_t) i;
		for (size_t j = 1; j <= m; j++)
		{
			uint32_t	up = row[j];
			uint32_t	best = diag + (x[i - 1] != y[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return (int32_t) row[m];
}
SF_EXPORT(levenshtein, int32_t, sf_string, sf_string)
