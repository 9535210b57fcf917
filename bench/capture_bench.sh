#!/usr/bin/env bash
# Decoder throughput: netcorr's capture decoders against `tcpdump -nn -r` and
# `tshark -r -q -z conv,tcp` on one generated ~1,000,000-packet capture, in one run.
# Usage: bench/capture_bench.sh [PACKETS] [RUNS]     (defaults: 1000000, 3; medians reported)
# Builds the bench binary optimised and unsanitised, with only capture/ and src/model/, in a
# temporary directory (removed at exit). Builds and timed runs take the shared build lock so
# that nothing else competes for the two CPUs while a number is measured.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
packets=${1:-1000000}
runs=${2:-3}
lock=/tmp/netcorr-build.lock
work=$(mktemp -d /tmp/netcorr-capbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

for tool in tcpdump tshark pkg-config g++; do
  command -v "$tool" >/dev/null || { echo "capture_bench: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done

sources=("$top"/capture/testing/packet_builder.cc "$top"/bench/capture_decode_bench.cc)
for f in "$top"/capture/*.cc "$top"/src/model/*.cc; do
  case "$f" in *_test.cc) ;; *) sources+=("$f") ;; esac
done
bin="$work/capture_decode_bench"
# shellcheck disable=SC2046
flock "$lock" g++ -O2 -DNDEBUG -std=c++20 -I"$top" "${sources[@]}" -o "$bin" \
  $(pkg-config --cflags --libs libpcap absl_status absl_statusor absl_strings absl_str_format \
      absl_synchronization absl_time absl_hash) -lpthread

file="$work/bench.pcapng"
"$bin" generate "$file" "$packets" >&2
size=$(stat -c %s "$file")

# Median wall seconds of `runs` runs of a command (output discarded), timed while holding the
# lock (waiting for it is not part of the measurement).
measure() {
  local times=()
  for _ in $(seq "$runs"); do
    times+=("$(flock "$lock" bash -c \
      't0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 ))' \
      _ "$@")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", a[int((NR+1)/2)] / 1e6}'
}

echo "decoding check:" >&2
"$bin" decode "$file" >&2

t_cat=$(measure cat "$file")
t_netcorr=$(measure "$bin" decode "$file")
t_tcpdump=$(measure tcpdump -nn -r "$file")
t_tshark=$(measure tshark -r "$file" -q -z conv,tcp)

row() {  # name seconds
  awk -v n="$1" -v t="$2" -v p="$packets" -v nc="$t_netcorr" \
    'BEGIN { printf "| %s | %.2f | %.0f | %.1fx |\n", n, t, p / t, t / nc }'
}
echo
echo "$packets packets, $((size / 1024 / 1024)) MiB pcapng (Linux cooked, snap length 768), median of $runs runs, $(nproc) CPUs"
echo
echo "| reader | seconds | packets/s | time vs netcorr |"
echo "|---|---|---|---|"
row "netcorr decode (libpcap read + full decode)" "$t_netcorr"
row "tcpdump -nn -r" "$t_tcpdump"
row "tshark -r -q -z conv,tcp" "$t_tshark"
row "cat (reading the file only)" "$t_cat"
