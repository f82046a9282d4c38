/*
 * agg.c -- guest of regress/sql/aggregates.sql: the state, final and
 * combine functions of an average, over a composite state
 * avgst = record { n: option<s64>, sum: option<f64> }.
 */
#include "guest.h"

typedef struct
{
	uint8_t		has_n;
	int64_t		n;				/* at 8 */
	uint8_t		has_sum;
	double		sum;			/* at 24 */
} avgst;

static avgst st;

EXPORT(avg_step) avgst *
avg_step(int32_t has_n, int64_t n, int32_t has_sum, double sum, double x)
{
	st.has_n = st.has_sum = 1;
	st.n = (has_n ? n : 0) + 1;
	st.sum = (has_sum ? sum : 0) + x;
	return &st;
}

EXPORT(avg_combine) avgst *
avg_combine(int32_t has_n1, int64_t n1, int32_t has_s1, double s1,
			int32_t has_n2, int64_t n2, int32_t has_s2, double s2)
{
	st.has_n = st.has_sum = 1;
	st.n = (has_n1 ? n1 : 0) + (has_n2 ? n2 : 0);
	st.sum = (has_s1 ? s1 : 0) + (has_s2 ? s2 : 0);
	return &st;
}

EXPORT(avg_final) double
avg_final(int32_t has_n, int64_t n, int32_t has_sum, double sum)
{
	return has_n && n > 0 ? sum / n : __builtin_nan("");
}
