#!/usr/bin/env bash
# Compare build/sfwast with wabt's wast2json on every core .wast file:
# the JSON (minus source_filename) must be identical, and each module file
# byte-identical or, failing that, the same after wasm2wat.
#   engine/tests/sfwast-compare.sh        (after make engine spec)
# Prints one line per difference, then a summary; exit 1 on a JSON
# difference.  Modules may differ in encoding choices: the known ones are
# memory_init.4/.9 (invalid modules: we write a data count section for
# memory.init/data.drop even without data segments) and select.2
# ("select (result)" stays a typed select with no types; wabt writes the
# untyped form).
set -u
cd "$(dirname "$0")/../.."
ref=build/spec own=build/spec-compare
spec_dir=${SPEC_DIR:-../shared/spec-testsuite/core}
rm -rf "$own" && mkdir -p "$own"
json_diff=0 same=0 same_text=0 differ=0 status=0
for w in "$spec_dir"/*.wast; do
	n=$(basename "$w" .wast)
	[ -f "$ref/$n.json" ] || wast2json "$w" -o "$ref/$n.json"
	build/sfwast "$w" -o "$own/$n.json" || status=1
	if ! cmp -s <(sed 1d "$ref/$n.json") <(sed 1d "$own/$n.json"); then
		echo "json differs: $n"; json_diff=$((json_diff + 1)); status=1
	fi
done
for f in "$ref"/*.wasm "$ref"/*.wat; do
	b=$(basename "$f")
	if cmp -s "$f" "$own/$b"; then
		same=$((same + 1))
	elif [ "${b##*.}" = wasm ] && [ "$( { wasm2wat --no-check "$f"; } 2>&1)" = \
		"$( { wasm2wat --no-check "$own/$b"; } 2>&1)" ]; then
		same_text=$((same_text + 1))
	else
		echo "module differs: $b"; differ=$((differ + 1))
	fi
done
echo "sfwast-compare: json differs in $json_diff files; modules: $same identical," \
	"$same_text same after wasm2wat, $differ different"
exit $status
