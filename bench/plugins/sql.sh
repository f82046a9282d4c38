# shellcheck shell=bash
# The SQL rows (PostgreSQL extension): whole queries over many rows with
# the same function in wasm, C, PL/pgSQL and SQL, timed by bench/sql.sh
# against a scratch cluster.  Sourced by bench/run.
sql_section() {
	RUNS=$ROUNDS bench/sql.sh
}
register_section sql_section
