#!/usr/bin/env bash
# The README's test command: installs what is missing, builds netcorr under ASan+UBSan, builds
# the libFuzzer targets with clang, and runs every test (unit, end-to-end in throwaway network
# namespaces, and short bounded fuzz runs). Needs root for ptrace, capture and namespaces: without
# it, it refuses at once, since the tests that need root fail without it (docs/testing.md). A
# developer who wants the unprivileged part only sets NETCORR_ALLOW_SKIP=1 (those tests then skip).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" -ne 0 ] && [ "${NETCORR_ALLOW_SKIP:-}" != 1 ]; then
  echo "test.sh: must run as root (ptrace, packet capture, network namespaces): sudo $0" >&2
  exit 1
fi

"$top/scripts/install-deps.sh"
export NETCORR_WERROR=ON  # warnings are errors in CI (users' builds keep them warnings)

build=${NETCORR_TEST_BUILD:-"$top/build-test"}
"$top/scripts/build.sh" "$build" -DNETCORR_SANITIZE=ON -DNETCORR_TESTS=ON

fuzz_build=${NETCORR_FUZZ_BUILD:-"$top/build-fuzz"}
NETCORR_BUILD_TARGET=fuzzers "$top/scripts/build.sh" "$fuzz_build" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DNETCORR_FUZZ=ON -DNETCORR_TESTS=OFF

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
(cd "$build" && ctest --output-on-failure --no-tests=error -j"$(nproc)" --timeout 600) || status=1
(cd "$fuzz_build" && ctest --output-on-failure --no-tests=error -j"$(nproc)" --timeout 300) || status=1
"$top/scripts/test-install.sh" || status=1  # Release build, install, man, completion, .deb
exit $status
