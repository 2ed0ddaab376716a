#!/usr/bin/env bash
# The sanitizer layer of `make test` (scripts/test.sh runs it; it also runs
# on its own): builds build-sanitize (clang 14, ASan + UBSan, preset
# "sanitize"), runs the unit tests in it, then every fuzz target briefly
# over its seed corpus (CI_FUZZ_SECONDS each, default 10). Prints one
# "== NAME  N passed, M failed" line per step and the closing
# "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${CI_FUZZ_SECONDS:-10}
work=$(mktemp -d /tmp/companion-sanitize.XXXXXX)
trap 'rm -rf "$work"' EXIT

source scripts/count.sh

echo "== sanitizer build (clang 14, ASan + UBSan, build-sanitize)"
start=$(date +%s)
if ! scripts/fuzz.sh build >"$work/build.log" 2>&1; then
  grep -E 'error|FAILED' "$work/build.log" | head -30
  tail -20 "$work/build.log"
  count "sanitizer build" 0 1
  echo
  echo "$passed passed, $failed failed"
  exit 1
fi
echo "   built in $(($(date +%s) - start)) s"

echo "== unit tests under ASan + UBSan"
scripts/fuzz.sh unit >"$work/unit.log" 2>&1
rc=$?
u_pass=$(grep -oE '^\[  PASSED  \] [0-9]+ test' "$work/unit.log" | grep -oE '[0-9]+')
u_fail=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$work/unit.log" | grep -oE '[0-9]+')
u_fail=${u_fail:-0}
if [[ -z $u_pass ]]; then
  # Stopped by a sanitizer report (or a crash) before gtest's summary.
  grep -E 'ERROR: |runtime error|SUMMARY|^\[ RUN' "$work/unit.log" | tail -6
  tail -30 "$work/unit.log"
  count "unit tests (ASan + UBSan)" 0 1
else
  grep -E '^\[  FAILED  \]|ERROR: |runtime error|SUMMARY' "$work/unit.log" | head -40
  # Every test passed but the process failed at exit (LeakSanitizer).
  if ((rc != 0 && u_fail == 0)); then
    tail -30 "$work/unit.log"
    u_fail=1
  fi
  count "unit tests (ASan + UBSan)" "$u_pass" "$u_fail"
fi

echo "== fuzz targets, ${SECONDS_EACH} s each over their seed corpora"
start=$(date +%s)
scripts/fuzz.sh run "$SECONDS_EACH" >"$work/fuzz.log" 2>&1
cat "$work/fuzz.log"
f_pass=$(grep -cE '^fuzz_[a-z_0-9]+: ok' "$work/fuzz.log")
f_fail=$(grep -cE '^fuzz_[a-z_0-9]+: FAILED' "$work/fuzz.log")
((f_pass + f_fail == 0)) && f_fail=1
echo "   fuzzed in $(($(date +%s) - start)) s"
count "fuzz targets (libFuzzer)" "$f_pass" "$f_fail"

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
