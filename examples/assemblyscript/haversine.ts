// haversine(lat1, lon1, lat2, lon2 double precision) -> double precision:
// the great-circle distance in kilometres between two points given in
// degrees, on a sphere of the Earth's mean radius (6371.0088 km), as
// examples/c/haversine.c computes it.  Scalars only: no SDK helper is
// called, but the import routes AssemblyScript's abort to a trap.
import "slackfuel";

function radians(deg: f64): f64 {
  return deg * (Math.PI / 180.0);
}

export function haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64): f64 {
  const dlat = radians(lat2 - lat1);
  const dlon = radians(lon2 - lon1);
  const a = Math.sin(dlat / 2) * Math.sin(dlat / 2) +
    Math.cos(radians(lat1)) * Math.cos(radians(lat2)) * Math.sin(dlon / 2) * Math.sin(dlon / 2);
  return 2 * 6371.0088 * Math.asin(Math.min(1.0, Math.sqrt(a)));
}
