# shellcheck shell=bash
# The scale-out rows: sum(f(x)) over 1M rows on one node, one Citus worker
# and two, and the delay of statement_timeout across nodes, timed by
# bench/citus.sh on a scratch Citus cluster.  Sourced by bench/run.
citus_section() {
	RUNS=$ROUNDS bench/citus.sh
}
register_section citus_section
