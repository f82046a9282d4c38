-- An example over double precision: haversine distance in C (wasi-libc's
-- libm) and AssemblyScript, against the same formula in SQL.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE SCHEMA IF NOT EXISTS ex_c;
CREATE SCHEMA IF NOT EXISTS ex_as;
RESET client_min_messages;
\set c_hav '\\x' `od -An -v -tx1 build/examples/c/haversine.wasm | tr -d ' \n'`
\set as_hav '\\x' `od -An -v -tx1 build/examples/assemblyscript/haversine.wasm | tr -d ' \n'`
CREATE FUNCTION ex_c.haversine(lat1 float8, lon1 float8, lat2 float8, lon2 float8)
  RETURNS float8 IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'c_hav';
CREATE FUNCTION ex_as.haversine(lat1 float8, lon1 float8, lat2 float8, lon2 float8)
  RETURNS float8 IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'as_hav';
CREATE FUNCTION pg_temp.haversine_sql(lat1 float8, lon1 float8, lat2 float8, lon2 float8)
  RETURNS float8 LANGUAGE sql AS $$
  SELECT 2 * 6371.0088 * asin(least(1, sqrt(sin(radians(lat2 - lat1) / 2) ^ 2 +
         cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2)))
$$;

SELECT name, round(ex_c.haversine(a1, o1, a2, o2)::numeric, 3) AS c_km,
       round(ex_as.haversine(a1, o1, a2, o2)::numeric, 3) AS as_km
  FROM (VALUES ('Paris-London', 48.8566, 2.3522, 51.5074, -0.1278),
               ('same point', 10, 20, 10, 20),
               ('antipodes', 0, 0, 0, 180),
               ('pole to pole', 90, 0, -90, 0),
               ('across the date line', 0, 179.5, 0, -179.5)) v(name, a1, o1, a2, o2);
-- 10,000 pseudo-random pairs agree with SQL to within a micrometre.
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE abs(ex_c.haversine(a1, o1, a2, o2) - pg_temp.haversine_sql(a1, o1, a2, o2)) < 1e-9) AS c_agrees,
       count(*) FILTER (WHERE abs(ex_as.haversine(a1, o1, a2, o2) - pg_temp.haversine_sql(a1, o1, a2, o2)) < 1e-9) AS as_agrees
  FROM (SELECT (g * 7919 % 18000) / 100.0 - 90 AS a1, (g * 104729 % 36000) / 100.0 - 180 AS o1,
               (g * 1299709 % 18000) / 100.0 - 90 AS a2, (g * 15485863 % 36000) / 100.0 - 180 AS o2
          FROM generate_series(1::bigint, 10000) g) p;
SET client_min_messages = warning;
DROP SCHEMA ex_c, ex_as CASCADE;
RESET client_min_messages;
