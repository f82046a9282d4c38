-- A function that reads a table (examples/rust/nearest): the nearest city
-- to a point, read through slackfuel's host interface with a bound
-- query, the distance computed in the guest; checked against SQL.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE SCHEMA IF NOT EXISTS ex_rust;
RESET client_min_messages;
\set nearest '\\x' `od -An -v -tx1 build/examples/rust/nearest.wasm | tr -d ' \n'`
SET search_path = ex_rust, public;
SELECT slackfuel_install_module('nearest', :'nearest');
CREATE FUNCTION nearest_city(lat float8, lon float8) RETURNS text
  STRICT STABLE LANGUAGE wasm AS 'nearest:nearest_city';
CREATE FUNCTION cities_within(lat float8, lon float8, km float8) RETURNS bigint
  STRICT STABLE LANGUAGE wasm AS 'nearest:cities_within';
-- No table yet: the query's error is the function's.
\set VERBOSITY terse
SELECT nearest_city(0, 0);
\set VERBOSITY default
CREATE TABLE cities (name text, lat float8, lon float8);
SELECT nearest_city(0, 0);
INSERT INTO cities VALUES ('Paris', 48.8566, 2.3522), ('London', 51.5074, -0.1278),
  ('Berlin', 52.52, 13.405), ('Madrid', 40.4168, -3.7038), ('Rome', 41.9028, 12.4964),
  ('Lisbon', 38.7223, -9.1393), ('Vienna', 48.2082, 16.3738), ('Nowhere', NULL, NULL);
SELECT nearest_city(48.1, 11.6) AS munich, nearest_city(50.85, 4.35) AS brussels,
       cities_within(48.8566, 2.3522, 400) AS within_400_km_of_paris,
       cities_within(48.8566, 2.3522, 10000) AS all_with_positions;
-- The same in SQL, over a grid of points.
CREATE FUNCTION pg_temp.km(lat1 float8, lon1 float8, lat2 float8, lon2 float8)
  RETURNS float8 LANGUAGE sql AS $$
  SELECT 2 * 6371.0088 * asin(least(1, sqrt(sin(radians(lat2 - lat1) / 2) ^ 2 +
         cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2)))
$$;
SELECT count(*) AS points,
       count(*) FILTER (WHERE nearest_city(la, lo) =
         (SELECT name FROM cities WHERE lat IS NOT NULL ORDER BY pg_temp.km(la, lo, lat, lon) LIMIT 1)) AS nearest_agrees,
       count(*) FILTER (WHERE cities_within(la, lo, 800) =
         (SELECT count(*) FROM cities WHERE pg_temp.km(la, lo, lat, lon) <= 800)) AS within_agrees
  FROM generate_series(36, 56, 2) la, generate_series(-10, 20, 3) lo;
-- The query sees what the calling statement sees, its transaction's rows too.
BEGIN;
INSERT INTO cities VALUES ('Brussels', 50.8503, 4.3517);
SELECT nearest_city(50.85, 4.35);
ROLLBACK;
SELECT nearest_city(50.85, 4.35);
-- slackfuel.allow_sql = off withholds SQL.
SET slackfuel.allow_sql = off;
SELECT nearest_city(0, 0);
RESET slackfuel.allow_sql;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA ex_rust CASCADE;
RESET client_min_messages;
SELECT slackfuel_drop_module('nearest');
