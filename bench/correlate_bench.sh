#!/usr/bin/env bash
# Correlator alone: 1,000,000 generated packets and ~100,000 syscalls through the streaming API.
# Reports wall time and peak RSS (/usr/bin/time -v). Target: < 2 s and < 200 MB on the 2-core VM.
# Usage: bench/correlate_bench.sh [PACKETS]      (default 1000000)
# Builds the binary optimised and unsanitised, with only correlate/ and src/model/, in a temporary
# directory (removed at exit); build and timed run hold the shared build lock.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
packets=${1:-1000000}
lock=/tmp/netcorr-build.lock
work=$(mktemp -d /tmp/netcorr-corrbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

sources=("$top"/bench/correlate_bench.cc)
for f in "$top"/correlate/*.cc "$top"/src/model/*.cc; do
  case "$f" in *_test.cc|*/test_util.cc) ;; *) sources+=("$f") ;; esac
done
bin="$work/correlate_bench"
# shellcheck disable=SC2046
flock "$lock" g++ -O2 -DNDEBUG -std=c++20 -I"$top" "${sources[@]}" -o "$bin" \
  $(pkg-config --cflags --libs absl_strings absl_str_format absl_hash absl_raw_hash_set)

flock "$lock" /usr/bin/time -v "$bin" "$packets" 2>"$work/time.txt"
grep -E "Elapsed|Maximum resident" "$work/time.txt"
