/*
** Quicksort (median of three, Hoare partition, insertion sort for short
** ranges) of n pseudo-random i32; the checksum mixes the sorted values
** with their positions, and is -1 if the result is not sorted.
** bench: n=3000000 result=i32
*/
#include <stdint.h>

#define MAXN (8 * 1024 * 1024)

static int32_t v[MAXN];

static void swap(int32_t *x, int32_t *y)
{
	int32_t t = *x;

	*x = *y;
	*y = t;
}

static void insertion_sort(int32_t lo, int32_t hi)
{
	for (int32_t i = lo + 1; i <= hi; i++) {
		int32_t x = v[i], j = i - 1;

		while (j >= lo && v[j] > x) {
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
}

static int32_t median3(int32_t lo, int32_t hi)
{
	int32_t mid = lo + (hi - lo) / 2;

	if (v[mid] < v[lo])
		swap(&v[mid], &v[lo]);
	if (v[hi] < v[lo])
		swap(&v[hi], &v[lo]);
	if (v[hi] < v[mid])
		swap(&v[hi], &v[mid]);
	return v[mid];
}

/* Recurse on the smaller side only, so the depth stays O(log n). */
static void quicksort(int32_t lo, int32_t hi)
{
	while (hi - lo > 16) {
		int32_t pivot = median3(lo, hi), i = lo - 1, j = hi + 1;

		for (;;) {
			do i++; while (v[i] < pivot);
			do j--; while (v[j] > pivot);
			if (i >= j)
				break;
			swap(&v[i], &v[j]);
		}
		if (j - lo < hi - j) {
			quicksort(lo, j);
			lo = j + 1;
		} else {
			quicksort(j + 1, hi);
			hi = j;
		}
	}
	insertion_sort(lo, hi);
}

int32_t run(int32_t n)
{
	uint32_t seed = 12345, sum = 0;

	if (n < 1 || n > MAXN)
		return -1;
	for (int32_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		v[i] = (int32_t)(seed >> 1);
	}
	quicksort(0, n - 1);
	for (int32_t i = 0; i < n; i++) {
		if (i > 0 && v[i - 1] > v[i])
			return -1;
		sum = sum * 31u + (uint32_t)v[i] + (uint32_t)i;
	}
	return (int32_t)(sum & 0x7fffffff);
}
