# The two commands a newcomer runs: `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
# ccache keyed on paths relative to the checkout, so every clone (CI's
# included) reuses what any other build of the same sources compiled.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps build run test bench clean format

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

bench: build
	@bash bench/http.sh

format:
	@find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
