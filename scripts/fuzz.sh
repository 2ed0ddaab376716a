#!/usr/bin/env bash
# The sanitizer build and the fuzz targets (docs/testing.md).
#
#   scripts/fuzz.sh build                  configure (preset "sanitize") and build
#                                          build-sanitize: the unit tests and fuzz/*
#   scripts/fuzz.sh unit                   the unit tests under ASan + UBSan
#   scripts/fuzz.sh run SECONDS [NAME...]  each fuzz target (all, or the NAMEs:
#                                          json_body, range, ...) for SECONDS
#
# `run` starts every target from its seed corpus in fuzz/corpus/<name>/ (with
# fuzz/<name>.dict when there is one); new inputs go to a scratch directory,
# not into the repository, unless FUZZ_MERGE=1, which then minimises them
# into the seed corpus. A crash, a sanitizer report, a leak or a timeout
# leaves its input in build-sanitize/fuzz-artifacts/<name>/ and fails.
# One line per target: "fuzz_<name>: ok (...)" or "fuzz_<name>: FAILED (...)".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${SANITIZE_BUILD_DIR:-build-sanitize}
JOBS=${JOBS:-2}
# ccache: the same keying as the Makefile's, for callers that bypass make.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
# Any report stops the process with a stack; UBSan is fatal (-fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Stack traces with file:line (llvm-14 ships it outside the PATH).
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} && -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

scratch=
trap '[[ -n $scratch ]] && rm -rf "$scratch"' EXIT

targets() { for f in fuzz/*.cpp; do basename "$f" .cpp; done; }

build() {
  if [[ ! -f $BUILD/build.ninja ]]; then
    cmake --preset sanitize -B "$BUILD" >/dev/null || return 1
  fi
  cmake --build "$BUILD" -j "$JOBS" --target companion_unit_tests fuzz_targets
}

unit() {
  "$BUILD/companion_unit_tests" --gtest_brief=1 "$@"
}

run() {
  local seconds=${1:?usage: fuzz.sh run SECONDS [NAME...]}
  shift
  local names=("$@") failed=0 name
  ((${#names[@]})) || mapfile -t names < <(targets)
  scratch=$(mktemp -d /tmp/companion-fuzz.XXXXXX)
  for name in "${names[@]}"; do
    local bin=$BUILD/fuzz/fuzz_$name seeds=fuzz/corpus/$name art=$BUILD/fuzz-artifacts/$name
    local log=$scratch/$name.log new=$scratch/$name
    if [[ ! -x $bin ]]; then
      echo "fuzz_$name: FAILED (not built: $bin)"
      failed=1
      continue
    fi
    mkdir -p "$new" "$art" "$seeds"
    local args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$art/")
    [[ -f fuzz/$name.dict ]] && args+=(-dict="fuzz/$name.dict")
    # The first directory receives new inputs; the seeds are only read.
    "$bin" "${args[@]}" "$new" "$seeds" >"$log" 2>&1
    local rc=$?
    local runs cov
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
    cov=$(grep -oE '(DONE|INITED) +cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
    if ((rc == 0)); then
      echo "fuzz_$name: ok (${runs:-?} runs in ${seconds} s, coverage ${cov:-?}," \
        "$(ls "$new" | wc -l) new inputs)"
    else
      failed=1
      echo "fuzz_$name: FAILED (exit $rc; input in $art/)"
      grep -E 'ERROR: |FUZZ_CHECK|runtime error|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/    /'
      grep -E '^    #[0-9]+ .* (/work|\.\./)' "$log" | grep -v '/fuzz/fuzz_[a-z_]*+0x' | head -8
    fi
    if [[ ${FUZZ_MERGE:-0} == 1 ]] && ((rc == 0)) && [[ -n $(ls "$new") ]]; then
      "$bin" -merge=1 "$seeds" "$new" >>"$log" 2>&1 &&
        echo "    merged into $seeds: $(ls "$seeds" | wc -l) inputs"
    fi
  done
  return $failed
}

case ${1:-} in
  build) build ;;
  unit) shift; unit "$@" ;;
  run) shift; run "$@" ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
