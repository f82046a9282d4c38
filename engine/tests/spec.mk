# spec.mk -- the core spec suite (included by the top-level Makefile).
#
# Every .wast of $(SPEC_DIR) becomes $(B)/spec/NAME.json plus its module
# files (converted again only when the .wast is newer); the runner takes
# any number of JSON files, whose module files sit next to them.

SPEC_WASTS := $(wildcard $(SPEC_DIR)/*.wast)
SPEC_JSONS := $(patsubst $(SPEC_DIR)/%.wast,$(B)/spec/%.json,$(SPEC_WASTS))
SPECTEST_SRCS := engine/tests/spectest.c engine/tests/spec_json.c

$(B)/spec/%.json: $(SPEC_DIR)/%.wast
	@mkdir -p $(dir $@)
	@wast2json $< -o $@

$(B)/spectest: $(SPECTEST_SRCS) engine/tests/spec.h $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(ENGINE_CC) $(ENGINE_CFLAGS) -Iengine/tests $(SPECTEST_SRCS) -o $@ $(ENGINE_LIB) $(ENGINE_LIBS)

spec: $(B)/spectest $(SPEC_JSONS)
	@$(B)/spectest $(SPEC_JSONS)
