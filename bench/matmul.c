/*
** Dense f64 matrix multiply C = A * B of n x n matrices (n <= MAXN), as
** dot products of A's rows with the rows of B transposed, so both inner
** loads stream; the checksum is the sum of C.
** bench: n=640 result=f64
*/
#include <stdint.h>

#define MAXN 700

static double a[MAXN * MAXN], bt[MAXN * MAXN], c[MAXN * MAXN];

static void init(int32_t n)
{
	for (int32_t i = 0; i < n; i++)
		for (int32_t j = 0; j < n; j++) {
			a[i * n + j] = (double)((i * 7 + j * 3) % 17) / 16.0 - 0.5;
			bt[j * n + i] = (double)((i * 5 + j * 11) % 13) / 12.0 + 0.25;
		}
}

static void multiply(int32_t n)
{
	for (int32_t i = 0; i < n; i++)
		for (int32_t j = 0; j < n; j++) {
			const double *arow = &a[i * n], *bcol = &bt[j * n];
			double sum = 0.0;

			for (int32_t k = 0; k < n; k++)
				sum += arow[k] * bcol[k];
			c[i * n + j] = sum;
		}
}

double run(int32_t n)
{
	double sum = 0.0;

	if (n < 1 || n > MAXN)
		return -1.0;
	init(n);
	multiply(n);
	for (int32_t i = 0; i < n * n; i++)
		sum += c[i];
	return sum;
}
