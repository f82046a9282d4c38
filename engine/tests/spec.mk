# spec.mk -- the core spec suite (included by the top-level Makefile).
#
# Every .wast of $(SPEC_DIR) becomes $(B)/spec/NAME.json plus its module
# files (converted again only when the .wast is newer); the runner takes
# any number of JSON files, whose module files sit next to them.
#
# Three passes: "wast2json" runs wabt's conversion; "own" converts every
# .wast with our own text parser (build/sfwast) into $(B)/spec-own/ and
# runs the same commands; "bounds-checked" runs wabt's conversion again with
# explicit bounds checks instead of guard pages, SSE forms of the float
# operators where the CPU has AVX, and every module compiled by up to 4
# threads (-t 4: the code must not change).  Each pass prints its
# own totals; the last line is the sum, and any failure fails the target.

SPEC_WASTS := $(wildcard $(SPEC_DIR)/*.wast)
SPEC_JSONS := $(patsubst $(SPEC_DIR)/%.wast,$(B)/spec/%.json,$(SPEC_WASTS))
SPECTEST_SRCS := engine/tests/spectest.c engine/tests/spec_json.c engine/tests/spectest_host.c
SPEC_OWN_JSONS := $(patsubst $(SPEC_DIR)/%.wast,$(B)/spec-own/%.json,$(SPEC_WASTS))
SFWAST := $(B)/sfwast

$(B)/spec/%.json: $(SPEC_DIR)/%.wast
	@mkdir -p $(dir $@)
	@wast2json $< -o $@

$(B)/spec-own/%.json: $(SPEC_DIR)/%.wast $(SFWAST)
	@mkdir -p $(dir $@)
	@$(SFWAST) $< -o $@

$(B)/spectest: $(SPECTEST_SRCS) engine/tests/spec.h engine/tests/spectest_host.h engine/tools/read_file.h $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(ENGINE_CC) $(ENGINE_CFLAGS) -Iengine/tests $(SPECTEST_SRCS) -o $@ $(ENGINE_LIB) $(ENGINE_LIBS)

spec: $(B)/spectest $(SPEC_JSONS) $(SPEC_OWN_JSONS)
	@test -n "$(SPEC_WASTS)" || { echo "spec: no .wast files in $(SPEC_DIR)"; exit 1; }
	@$(B)/spectest -p wast2json $(SPEC_JSONS) -p own $(SPEC_OWN_JSONS) -p bounds-checked -b -t 4 $(SPEC_JSONS)
