#!/usr/bin/env bash
# Configures and builds netcorr. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# NETCORR_WERROR=ON in the environment makes warnings errors (the test command sets it).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$top/build"}
shift || true
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  ${NETCORR_WERROR:+-DNETCORR_WERROR="$NETCORR_WERROR"} "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" ${NETCORR_BUILD_TARGET:+--target "$NETCORR_BUILD_TARGET"}
