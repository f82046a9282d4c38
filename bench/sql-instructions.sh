#!/usr/bin/env bash
# Instructions per call of the trivial function of bench/sql.sh (sum(f(i))
# over generate_series), counted by valgrind's callgrind: a private server
# (scripts/pginstall) whose postmaster runs under callgrind, one backend per
# (variant, N) that runs the query with N and with 6N rows; the difference
# of the two backends' totals divided by 5N is what one more row costs.
# Rows: C, wasm with slackfuel.track_functions off, and on.  PostgreSQL's
# LLVM JIT is off (SQL_INSTR_JIT=on to keep it): whether the planner
# compiles a query depends on its cost, and thus on N, so the N and 6N
# queries would not differ by their rows alone.
#   bench/sql-instructions.sh            N=100000 (SQL_INSTR_N)
# Takes a few minutes; not part of make bench.
set -eu
cd "$(dirname "$0")/.."
N=${SQL_INSTR_N:-100000}
pg=$(scripts/pginstall)
export "$pg"
dir=$(mktemp -d /tmp/slackfuel-instr.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cc -O2 -fPIC -shared -I"$(pg_config --includedir-server)" bench/sql_udf.c -o "$dir/sql_udf.so"
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
count() {	# OPTIONS VARIANT ROWS: the instructions of one backend
	local pid f
	pid=$(PGOPTIONS="$1" psql -X -qAt -d postgres -c 'SELECT pg_backend_pid()' \
		-c "SELECT sum($2_add1(i)) FROM generate_series(1, $3) i" | head -1)
	f=$dir/cg.$pid
	for _ in $(seq 600); do [ -s "$f" ] && grep -q '^totals:' "$f" && break; sleep 0.5; done
	sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f"
}
echo "Instructions per call (callgrind, sum(f(i)) over generate_series, N=$N and 6N rows)"
base=""
for v in "c|" "wasm|-c slackfuel.track_functions=off" "wasm|-c slackfuel.track_functions=on"; do
	name=${v%%|*} opts=${v#*|}
	count "$opts" "$name" "$N" >/dev/null	# warm-up: catalog caches
	a=$(count "$opts" "$name" "$N")
	b=$(count "$opts" "$name" $((6 * N)))
	per=$(awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / (5 * n) }')
	base=${base:-$per}
	printf '%-6s %-36s %8s  %5.3fx\n' "$name" "${opts:-}" "$per" "$(awk -v p="$per" -v c="$base" 'BEGIN { print p / c }')"
done
