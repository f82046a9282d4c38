-- CREATE EXTENSION creates the trusted language wasm; a database owner
-- who is not a superuser may install it (trusted = true).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
SELECT lanname, lanpltrusted, lanplcallfoid::regproc, laninline::regproc,
       lanvalidator::regproc
  FROM pg_language WHERE lanname = 'wasm';
SELECT extname, extversion FROM pg_extension WHERE extname = 'slackfuel';

CREATE ROLE regress_slackfuel_owner LOGIN;
CREATE DATABASE regress_slackfuel_owned OWNER regress_slackfuel_owner;
\c regress_slackfuel_owned regress_slackfuel_owner
SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
CREATE EXTENSION IF NOT EXISTS slackfuel;
SELECT lanname, lanpltrusted FROM pg_language WHERE lanname = 'wasm';
DROP EXTENSION slackfuel;
\c contrib_regression postgres
DROP DATABASE regress_slackfuel_owned;
DROP ROLE regress_slackfuel_owner;
