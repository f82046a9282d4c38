#!/usr/bin/env bash
# Instructions per call of the trivial function of bench/sql.sh (sum(f(i))
# over generate_series), counted by valgrind's callgrind: a private server
# (scripts/pginstall) whose postmaster runs under callgrind, one backend per
# (variant, N) that runs the query with N and with 6N rows; the difference
# of the two backends' totals divided by 5N is what one more row costs.
# Rows: C, wasm with slackfuel.track_functions off, and on.  With the
# argument jsonb, the jsonb row of bench/sql.sh instead (sum(length(f(j)::
# text)) over the first N and 6N rows of its table, N=5000 unless
# SQL_INSTR_N): C, wasm and PL/pgSQL.  PostgreSQL's
# LLVM JIT is off (SQL_INSTR_JIT=on to keep it): whether the planner
# compiles a query depends on its cost, and thus on N, so the N and 6N
# queries would not differ by their rows alone.
#   bench/sql-instructions.sh            N=100000 (SQL_INSTR_N)
#   bench/sql-instructions.sh jsonb      N=5000
# Takes a few minutes; not part of make bench.
set -eu
cd "$(dirname "$0")/.."
ROW=${1:-trivial}
case $ROW in
trivial) N=${SQL_INSTR_N:-100000} ;;
jsonb) N=${SQL_INSTR_N:-5000} ;;
*) echo "usage: $0 [trivial|jsonb]" >&2; exit 2 ;;
esac
pg=$(scripts/pginstall)
export "$pg"
dir=$(mktemp -d /tmp/slackfuel-instr.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cc -O2 -fPIC -shared -I"$(pg_config --includedir-server)" bench/sql_udf.c -o "$dir/sql_udf.so"
clang --target=wasm32 -O2 -nostdlib -mbulk-memory -Wl,--no-entry -Wl,--export-dynamic \
	bench/sql_guest.c -o "$dir/sql_guest.wasm"
guest="\\x$(od -An -v -tx1 "$dir/sql_guest.wasm" | tr -d ' \n')"
as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" \
	"$PGBIN/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses= -c fsync=off \
	-c shared_preload_libraries=slackfuel -c autovacuum=off -c jit="${SQL_INSTR_JIT:-off}" \
	>"$dir/server.log" 2>&1 &
vpid=$!
stop() {
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 300 stop >/dev/null 2>&1 ||
		kill -INT "$vpid" 2>/dev/null
	wait "$vpid" 2>/dev/null || true
	rm -rf "$dir"
}
trap stop EXIT
export PGHOST=$dir PGPORT=$port PGUSER=postgres
for _ in $(seq 300); do pg_isready -q && break; sleep 1; done
psql -X -q -v ON_ERROR_STOP=1 -d postgres <<SQL
SET client_min_messages = warning;
CREATE EXTENSION slackfuel;
CREATE FUNCTION c_add1(int) RETURNS int AS '$dir/sql_udf.so', 'c_add1' LANGUAGE C STRICT IMMUTABLE;
CREATE FUNCTION wasm_add1(int) RETURNS int STRICT IMMUTABLE LANGUAGE wasm AS
  '(module (func (export "wasm_add1") (param i32) (result i32) local.get 0 i32.const 1 i32.add))';
SQL
[ "$ROW" = jsonb ] && psql -X -q -v ON_ERROR_STOP=1 -d postgres <<SQL
CREATE FUNCTION c_tag(jsonb) RETURNS jsonb AS '$dir/sql_udf.so', 'c_tag' LANGUAGE C STRICT IMMUTABLE;
CREATE FUNCTION wasm_tag(jsonb) RETURNS jsonb STRICT IMMUTABLE LANGUAGE wasm AS '$guest';
CREATE FUNCTION plpgsql_tag(j jsonb) RETURNS jsonb STRICT IMMUTABLE LANGUAGE plpgsql AS \$\$
BEGIN
  RETURN j || '{"seen": true}';
END \$\$;
CREATE TABLE docs AS SELECT jsonb_build_object('id', i, 'name', 'item ' || i, 'tags', jsonb_build_array('a', i % 7)) AS j
  FROM generate_series(1, 6 * $N) i;
SQL
query() {	# VARIANT ROWS
	if [ "$ROW" = jsonb ]; then
		echo "SELECT sum(length($1_tag(j)::text)) FROM (SELECT j FROM docs LIMIT $2) s"
	else
		echo "SELECT sum($1_add1(i)) FROM generate_series(1, $2) i"
	fi
}
count() {	# OPTIONS VARIANT ROWS: the instructions of one backend
	local pid f
	pid=$(PGOPTIONS="$1" psql -X -qAt -d postgres -c 'SELECT pg_backend_pid()' \
		-c "$(query "$2" "$3")" | head -1)
	f=$dir/cg.$pid
	for _ in $(seq 600); do [ -s "$f" ] && grep -q '^totals:' "$f" && break; sleep 0.5; done
	sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f"
}
if [ "$ROW" = jsonb ]; then
	echo "Instructions per call (callgrind, sum(length(f(j)::text)) over jsonb rows, N=$N and 6N rows)"
	variants=("c|" "wasm|" "plpgsql|")
else
	echo "Instructions per call (callgrind, sum(f(i)) over generate_series, N=$N and 6N rows)"
	variants=("c|" "wasm|-c slackfuel.track_functions=off" "wasm|-c slackfuel.track_functions=on")
fi
base=""
for v in "${variants[@]}"; do
	name=${v%%|*} opts=${v#*|}
	count "$opts" "$name" "$N" >/dev/null	# warm-up: catalog caches
	a=$(count "$opts" "$name" "$N")
	b=$(count "$opts" "$name" $((6 * N)))
	per=$(awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / (5 * n) }')
	base=${base:-$per}
	printf '%-8s %-36s %8s  %5.3fx\n' "$name" "${opts:-}" "$per" "$(awk -v p="$per" -v c="$base" 'BEGIN { print p / c }')"
done
