/*
** The n-body simulation of the Computer Language Benchmarks Game: five
** bodies, n steps of 0.01; returns the system's energy afterwards.  f64
** arithmetic with sqrt and divisions.
** bench: n=3000000 result=f64
*/
#include <stdint.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NBODIES 5

struct body {
	double x, y, z, vx, vy, vz, mass;
};

static struct body bodies[NBODIES];

static const struct body initial[NBODIES] = {
	{0, 0, 0, 0, 0, 0, SOLAR_MASS},
	{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
	 1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
	 -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
	{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
	 -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
	 2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
	{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
	 2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
	 -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
	{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
	 2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
	 -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
};

static void offset_momentum(void)
{
	double px = 0, py = 0, pz = 0;

	for (int i = 0; i < NBODIES; i++) {
		px += bodies[i].vx * bodies[i].mass;
		py += bodies[i].vy * bodies[i].mass;
		pz += bodies[i].vz * bodies[i].mass;
	}
	bodies[0].vx = -px / SOLAR_MASS;
	bodies[0].vy = -py / SOLAR_MASS;
	bodies[0].vz = -pz / SOLAR_MASS;
}

static double energy(void)
{
	double e = 0;

	for (int i = 0; i < NBODIES; i++) {
		struct body *b = &bodies[i];

		e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
		for (int j = i + 1; j < NBODIES; j++) {
			struct body *b2 = &bodies[j];
			double dx = b->x - b2->x, dy = b->y - b2->y, dz = b->z - b2->z;

			e -= b->mass * b2->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
		}
	}
	return e;
}

static void advance(double dt)
{
	for (int i = 0; i < NBODIES; i++) {
		struct body *b = &bodies[i];

		for (int j = i + 1; j < NBODIES; j++) {
			struct body *b2 = &bodies[j];
			double dx = b->x - b2->x, dy = b->y - b2->y, dz = b->z - b2->z;
			double d2 = dx * dx + dy * dy + dz * dz;
			double mag = dt / (d2 * __builtin_sqrt(d2));

			b->vx -= dx * b2->mass * mag;
			b->vy -= dy * b2->mass * mag;
			b->vz -= dz * b2->mass * mag;
			b2->vx += dx * b->mass * mag;
			b2->vy += dy * b->mass * mag;
			b2->vz += dz * b->mass * mag;
		}
	}
	for (int i = 0; i < NBODIES; i++) {
		bodies[i].x += dt * bodies[i].vx;
		bodies[i].y += dt * bodies[i].vy;
		bodies[i].z += dt * bodies[i].vz;
	}
}

double run(int32_t n)
{
	/* Field by field: a struct copy would become a memcpy call, and the
	** wasm build has no libc to provide one. */
	for (int i = 0; i < NBODIES; i++) {
		bodies[i].x = initial[i].x;
		bodies[i].y = initial[i].y;
		bodies[i].z = initial[i].z;
		bodies[i].vx = initial[i].vx;
		bodies[i].vy = initial[i].vy;
		bodies[i].vz = initial[i].vz;
		bodies[i].mass = initial[i].mass;
	}
	offset_momentum();
	for (int32_t i = 0; i < n; i++)
		advance(0.01);
	return energy();
}
