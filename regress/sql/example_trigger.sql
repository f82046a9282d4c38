-- A trigger in Rust (examples/rust/email_trigger): BEFORE INSERT OR UPDATE,
-- normalise an e-mail column (trim, lower case) and skip rows whose
-- address is not one; rows cross as JSON objects.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE SCHEMA IF NOT EXISTS ex_rust;
RESET client_min_messages;
\set trig '\\x' `od -An -v -tx1 build/examples/rust/email_trigger.wasm | tr -d ' \n'`
CREATE FUNCTION ex_rust.normalize_email() RETURNS trigger LANGUAGE wasm AS :'trig';
CREATE TABLE ex_rust.users (id int PRIMARY KEY, name text, contact text, note jsonb);
CREATE TRIGGER users_contact BEFORE INSERT OR UPDATE ON ex_rust.users
  FOR EACH ROW EXECUTE FUNCTION ex_rust.normalize_email('contact');

INSERT INTO ex_rust.users VALUES
  (1, 'Ada', '  Ada@Example.ORG ', '{"x": [1, {"y": "}"}]}'),
  (2, 'Bob', 'not an address', NULL),
  (3, 'Cy "the" \', NULL, '"s"'),
  (4, 'Dee', 'dee@host.example', '{}'),
  (5, 'Eve', 'ÉVE@Example.Com', NULL);
SELECT * FROM ex_rust.users ORDER BY id;
UPDATE ex_rust.users SET contact = 'DEE@NEW.example  ' WHERE id = 4;
UPDATE ex_rust.users SET contact = 'broken@' WHERE id = 1;
SELECT id, contact FROM ex_rust.users ORDER BY id;
-- DELETE and statement-level triggers keep the row (the result is ignored).
CREATE TRIGGER users_stmt AFTER DELETE ON ex_rust.users
  FOR EACH STATEMENT EXECUTE FUNCTION ex_rust.normalize_email();
DELETE FROM ex_rust.users WHERE id = 5;
SELECT count(*) FROM ex_rust.users;
-- The column named by the argument; the default is "email".
CREATE TABLE ex_rust.subscribers (email text);
CREATE TRIGGER subscribers_email BEFORE INSERT ON ex_rust.subscribers
  FOR EACH ROW EXECUTE FUNCTION ex_rust.normalize_email();
INSERT INTO ex_rust.subscribers SELECT 'User' || g || '@Mail.Example' FROM generate_series(1, 1000) g;
INSERT INTO ex_rust.subscribers VALUES ('nope'), (NULL);
SELECT count(*), count(email), min(email), max(email) FROM ex_rust.subscribers;

SET client_min_messages = warning;
DROP SCHEMA ex_rust CASCADE;
RESET client_min_messages;
