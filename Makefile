# The two commands a newcomer runs: `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
# ccache keyed on paths relative to the checkout, so every clone (CI's
# included) reuses what any other build of the same sources compiled.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
# Every object is compiled with the precompiled header (src/pch.hpp); ccache
# only caches those with this sloppiness (otherwise: "could not use
# precompiled header", every build cold).
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

# `make fuzz`: every fuzz target for FUZZ_SECONDS each (FUZZ_TARGETS="range jwt"
# for some; FUZZ_MERGE=1 to keep new inputs in fuzz/corpus/), under ASan+UBSan.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: all deps build run test bench clean format fuzz sanitize

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@mkdir -p data
	./$(BUILD_DIR)/interview-companion serve --log-format=text

test: build
	@bash scripts/test.sh

# The clang ASan+UBSan tree (build-sanitize): unit tests and fuzz targets.
sanitize: deps
	@bash scripts/fuzz.sh build
	@bash scripts/fuzz.sh unit

fuzz: deps
	@bash scripts/fuzz.sh build
	@bash scripts/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Every comparison with its reference in the same run (bench/all.sh).
bench: build
	@bash bench/all.sh

format:
	@find src tests bench fuzz -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) build-sanitize
