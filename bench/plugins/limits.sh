# shellcheck shell=bash
# Limits (every limit bounds what it claims): three sections, printed by
# bench/limits.sh, which says how each is measured.  Sourced by bench/run;
# uses its print_table.  LIMITS_RUNS (default 30) runs per stop-latency
# cell.
limits_cost_section() {
	echo "### CPU time per unit of fuel (the cost table's calibration)"
	echo
	bench/limits.sh cost | print_table
}

limits_stop_section() {
	echo "### Stop latency: a loop of 512 MiB copies in a 1 GiB memory, 10 ms tick"
	echo
	bench/limits.sh stop | print_table
}

limits_small_section() {
	echo "### Small limits in slacked mode: out-of-fuel calls against unreachable traps"
	echo
	bench/limits.sh small | print_table
}

register_section limits_cost_section
register_section limits_stop_section
register_section limits_small_section
