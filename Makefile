# slackfuel -- top-level build.
#
# The engine (engine/) is a plain C11 static library with its tools and
# tests; it builds and tests without PostgreSQL.  The extension (extension/)
# is built with PGXS when pg_config is available and links the engine.
#
#   make            engine library, the tools (build/sfrun, ...), and the extension
#   make test       everything the README's test command runs
#   make spec       the core spec test suite
#   make examples   the example UDFs (examples/) built from source
#   make bench      benchmark tables
#   make SANITIZE=1 test   the same with ASan + UBSan (separate build dir)

ENGINE_CC ?= gcc
SANITIZE ?=
ifeq ($(SANITIZE),1)
B := build-san
ENGINE_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else
B := build
ENGINE_SAN :=
endif

ENGINE_CFLAGS = -std=gnu11 -O2 -g -fPIC -Wall -Wextra -Wno-unused-parameter \
	-fno-strict-aliasing -fvisibility=hidden -ftls-model=initial-exec \
	-Iengine/include -Iengine $(ENGINE_SAN)
# engine/x64/: the x86-64 target (encoder, ABI, stubs)
ENGINE_SRCS := $(wildcard engine/*.c engine/x64/*.c)
ENGINE_OBJS := $(patsubst engine/%.c,$(B)/engine/%.o,$(ENGINE_SRCS))
ENGINE_LIB := $(B)/libslackfuel.a
ENGINE_HDRS := $(wildcard engine/*.h engine/x64/*.h engine/include/*.h)
ENGINE_LIBS := -lm -lpthread

UNIT_SRCS := $(wildcard engine/tests/test_*.c)
UNIT_BINS := $(patsubst engine/tests/%.c,$(B)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard engine/tools/*.c)
TOOL_BINS := $(patsubst engine/tools/%.c,$(B)/%,$(TOOL_SRCS))

SPEC_DIR ?= ../shared/spec-testsuite/core

.PHONY: engine test unit spec bench engine-clean run regress difftest guests wasi-programs examples
engine: $(ENGINE_LIB) $(TOOL_BINS)

$(B)/engine/%.o: engine/%.c $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(ENGINE_CC) $(ENGINE_CFLAGS) -c $< -o $@

$(ENGINE_LIB): $(ENGINE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/%: engine/tools/%.c engine/tools/read_file.h $(ENGINE_LIB)
	$(ENGINE_CC) $(ENGINE_CFLAGS) $< -o $@ $(ENGINE_LIB) $(ENGINE_LIBS)

# the spec suite's "spectest" host module: test support, not in the library
SPECTEST_HOST := $(B)/tests/spectest_host.o
$(SPECTEST_HOST): engine/tests/spectest_host.c engine/tests/spectest_host.h $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(ENGINE_CC) $(ENGINE_CFLAGS) -c $< -o $@

$(B)/sfrun: engine/tools/sfrun.c engine/tools/read_file.h $(ENGINE_LIB) $(SPECTEST_HOST)
	$(ENGINE_CC) $(ENGINE_CFLAGS) -Iengine/tests $< $(SPECTEST_HOST) -o $@ $(ENGINE_LIB) $(ENGINE_LIBS)

$(B)/tests/%: engine/tests/%.c $(ENGINE_LIB) $(wildcard engine/tests/*.h)
	@mkdir -p $(dir $@)
	$(ENGINE_CC) $(ENGINE_CFLAGS) -Iengine/tests $< -o $@ $(ENGINE_LIB) -lcmocka $(ENGINE_LIBS)

unit: $(UNIT_BINS)
	@scripts/run-unit $(UNIT_BINS)

# WASI programs (C and Rust, built from examples/wasi) under sfrun
SFRUN_BIN := $(B)/sfrun
wasi-programs: $(SFRUN_BIN)
	@SFRUN=$(SFRUN_BIN) engine/tests/wasi-programs.sh

-include engine/tests/spec.mk

test:
	@scripts/test-all

bench:
	@$(MAKE) -s engine
	@bench/run

run:
	@scripts/run-demo

regress:
	@scripts/regress

examples:
	@$(MAKE) -s -C examples

# The regress suites' guests, C built freestanding for wasm32
GUEST_SRCS := $(wildcard regress/guests/*.c)
GUEST_WASM := $(patsubst regress/guests/%.c,build/guests/%.wasm,$(GUEST_SRCS))
build/guests/%.wasm: regress/guests/%.c regress/guests/guest.h
	@mkdir -p $(dir $@)
	clang --target=wasm32 -O2 -nostdlib -mbulk-memory -Wl,--no-entry \
		-Wl,--export-dynamic $< -o $@
# C against wasi-libc, as reactors (regress/guests/wasi), and the WASI
# example programs (examples/wasi) that regress/sql/programs.sql loads
WASI_GUEST_SRCS := $(wildcard regress/guests/wasi/*.c)
WASI_GUEST_WASM := $(patsubst regress/guests/wasi/%.c,build/guests/wasi/%.wasm,$(WASI_GUEST_SRCS))
build/guests/wasi/%.wasm: regress/guests/wasi/%.c
	@mkdir -p $(dir $@)
	clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror -mexec-model=reactor $< -o $@
guests: $(GUEST_WASM) $(WASI_GUEST_WASM)
	@examples/wasi/build.sh build/wasi

# differential testing against Node.js; DIFFTEST_SECONDS (default 60), DIFFTEST_SEED
difftest: engine
	@engine/tests/difftest/run.sh

engine-clean:
	rm -rf build build-san

# ---- PostgreSQL extension (PGXS) ----------------------------------------
PG_CONFIG ?= pg_config
HAVE_PG := $(shell command -v $(PG_CONFIG) >/dev/null 2>&1 && echo yes)
EXT_SRCS := $(wildcard extension/*.c)

ifneq ($(and $(HAVE_PG),$(EXT_SRCS)),)
MODULE_big = slackfuel
OBJS = $(EXT_SRCS:.c=.o)
EXTENSION = slackfuel
DATA = $(wildcard sql/slackfuel--*.sql)
REGRESS = $(sort $(notdir $(basename $(wildcard regress/sql/*.sql))))
REGRESS_OPTS = --inputdir=regress --outputdir=$(B)/regress
PG_CPPFLAGS = -Iengine/include
SHLIB_LINK = $(ENGINE_LIB) $(ENGINE_LIBS)
EXTRA_CLEAN = build build-san
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
$(OBJS): $(ENGINE_HDRS) $(wildcard extension/*.h)
$(shlib): $(ENGINE_LIB)
all: engine
else
all: engine
clean: engine-clean
endif
