/*
** Mandelbrot set on an n x n grid over [-1.5, 0.5] x [-1, 1], at most 50
** iterations per point; returns the number of points that stay bounded.
** f64 multiply/add chains and a data-dependent loop exit.
** bench: n=2000 result=i32
*/
#include <stdint.h>

#define MAX_ITER 50

static int32_t bounded(double cr, double ci)
{
	double zr = 0, zi = 0, tr = 0, ti = 0;

	for (int32_t i = 0; i < MAX_ITER; i++) {
		zi = 2.0 * zr * zi + ci;
		zr = tr - ti + cr;
		tr = zr * zr;
		ti = zi * zi;
		if (tr + ti > 4.0)
			return 0;
	}
	return 1;
}

int32_t run(int32_t n)
{
	int32_t count = 0;

	for (int32_t y = 0; y < n; y++) {
		double ci = 2.0 * y / n - 1.0;

		for (int32_t x = 0; x < n; x++)
			count += bounded(2.0 * x / n - 1.5, ci);
	}
	return count;
}
