#!/usr/bin/env bash
# Installs everything the build, the tests and the benchmarks need, from
# Debian packages (apt-get) and, for test tools only, the npm registry.
# Idempotent: when everything is present it checks and returns in a second.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config make git
  # the sanitizer build and the fuzz targets (CMakePresets.json "sanitize"):
  # clang, its ASan/UBSan/libFuzzer runtimes, llvm-symbolizer for the traces
  clang-14 libclang-rt-14-dev libfuzzer-14-dev llvm-14
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libpq-dev libsodium-dev libssl-dev
  libspdlog-dev libfmt-dev libre2-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libzip-dev libcurl4-openssl-dev libavformat-dev libavcodec-dev libavutil-dev libswresample-dev
  libhiredis-dev libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us libstemmer-dev
  # real parts started by the tests, and the tools that drive them
  postgresql-15 postgresql-client-15 redis-server curl python3
  # the SMTP sink the e-mail tests send to (run with Debian's /usr/bin/python3)
  python3-aiosmtpd
  # test media: generated at test time
  ffmpeg sox espeak-ng flite
  # the report page is rendered by a real browser in the end-to-end tests
  chromium
  # benchmarks: the load generator, the HTTP core's reference, the profiler
  wrk nginx-light linux-perf
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Node.js (with npm) runs the contract check and the test tools; the Debian
# package is used only where no node is on the PATH already.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  # Packages with a service (nginx) must not start it: the benchmarks run
  # their own on a free loopback port. policy-rc.d says so to invoke-rc.d
  # for this install only, where the machine has none of its own.
  own_policy=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [[ -n "$own_policy" ]]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

# Test-only tools from the npm registry, pinned in tests/tools/package.json.
if [[ ! -d tests/tools/node_modules ]] || [[ tests/tools/package.json -nt tests/tools/node_modules ]]; then
  echo "install-deps: npm install (tests/tools)"
  (cd tests/tools && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  touch tests/tools/node_modules
fi
