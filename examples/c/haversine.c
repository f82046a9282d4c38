/*
 * haversine(lat1, lon1, lat2, lon2 double precision) -> double precision:
 * the great-circle distance in kilometres between two points given in
 * degrees, on a sphere of the Earth's mean radius (6371.0088 km).
 *
 * Built with wasi-libc for math.h (sin, cos, asin).
 */
#include <math.h>

#include "slackfuel.h"

static double
radians(double deg)
{
	return deg * (M_PI / 180.0);
}

static double
haversine(double lat1, double lon1, double lat2, double lon2)
{
	double		dlat = radians(lat2 - lat1);
	double		dlon = radians(lon2 - lon1);
	double		a = sin(dlat / 2) * sin(dlat / 2) +
		cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * 6371.0088 * asin(fmin(1.0, sqrt(a)));
}
SF_EXPORT(haversine, double, double, double, double, double)
