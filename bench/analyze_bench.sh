#!/usr/bin/env bash
# `netcorr analyze` on a generated strace log (~70 MB, 500,000 lines) and a ~1,000,000-packet capture: wall time
# and peak memory, next to tshark and tcpdump merely reading the same capture, in one run.
# Usage: bench/analyze_bench.sh [PACKETS] [RUNS]    (defaults: 1000000, 3; medians reported)
# Builds netcorr optimised and unsanitised in build-demo/ (as scripts/demo.sh does). Builds and
# timed runs take the shared build lock so nothing else competes for the CPUs meanwhile.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
packets=${1:-1000000}
runs=${2:-3}
lock=/tmp/netcorr-build.lock
build=${NETCORR_DEMO_BUILD:-"$top/build-demo"}
work=$(mktemp -d /tmp/netcorr-anbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

for tool in tcpdump tshark pkg-config g++ /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "analyze_bench: $tool missing" >&2; exit 1; }
done
flock "$lock" "$top/scripts/build.sh" "$build" -DNETCORR_TESTS=OFF -DNETCORR_SANITIZE=OFF >/dev/null

sources=("$top"/capture/pcapng_writer.cc "$top"/capture/testing/packet_builder.cc
         "$top"/bench/analyze_input_gen.cc)
for f in "$top"/src/model/*.cc; do
  case "$f" in *_test.cc) ;; *) sources+=("$f") ;; esac
done
# shellcheck disable=SC2046
flock "$lock" g++ -O2 -DNDEBUG -std=c++20 -I"$top" "${sources[@]}" -o "$work/gen" \
  $(pkg-config --cflags --libs absl_status absl_statusor absl_strings absl_str_format absl_hash)

log="$work/app.strace"
pcap="$work/app.pcapng"
"$work/gen" "$log" "$pcap" "$packets"
echo "input: $(stat -c %s "$log" | awk '{printf "%.0f MB", $1/1e6}') strace log ($(wc -l <"$log") lines)," \
  "$(stat -c %s "$pcap" | awk '{printf "%.0f MB", $1/1e6}') capture ($packets packets)" >&2

# Median wall seconds and the peak RSS (MB) of `runs` runs, timed while holding the lock.
measure() {
  local out=()
  for _ in $(seq "$runs"); do
    out+=("$(flock "$lock" /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1)")
  done
  printf '%s\n' "${out[@]}" | sort -n | awk '{t[NR]=$1; m[NR]=$2} END {i=int((NR+1)/2); printf "%.2f %.0f\n", t[i], m[i]/1024}'
}

read -r t_netcorr m_netcorr < <(measure "$build/netcorr" analyze --strace "$log" --pcap "$pcap" -o /dev/null)
read -r t_tshark m_tshark < <(measure tshark -r "$pcap")
read -r t_tshark_q m_tshark_q < <(measure tshark -r "$pcap" -q)
read -r t_tcpdump m_tcpdump < <(measure tcpdump -nn -r "$pcap")

printf '| tool | wall (s, median of %d) | peak RSS (MB) | vs tshark -r |\n|---|---|---|---|\n' "$runs"
printf '| netcorr analyze (log + capture, correlated) | %s | %s | %.2fx |\n' "$t_netcorr" "$m_netcorr" \
  "$(echo "$t_netcorr $t_tshark" | awk '{print $1/$2}')"
printf '| tshark -r (capture only, one line per packet) | %s | %s | 1x |\n' "$t_tshark" "$m_tshark"
printf '| tshark -r -q (capture only, no dissection output) | %s | %s | %.2fx |\n' "$t_tshark_q" \
  "$m_tshark_q" "$(echo "$t_tshark_q $t_tshark" | awk '{print $1/$2}')"
printf '| tcpdump -nn -r (capture only) | %s | %s | %.2fx |\n' "$t_tcpdump" "$m_tcpdump" \
  "$(echo "$t_tcpdump $t_tshark" | awk '{print $1/$2}')"
